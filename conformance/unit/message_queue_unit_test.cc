// Argument checks of the message-queue wrappers: a request the wrapper can
// already tell is wrong is refused with std::invalid_argument, whose message
// says what is wrong, and never reaches the kernel (so it cannot create,
// for instance, a queue with a malformed name on the host).
#include <fcntl.h>

#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/posix_message_queue.h"
#include "ipc/sysv_message_queue.h"

namespace {

using ::testing::HasSubstr;

// The message of the std::invalid_argument `call` throws, or "" if none.
template <typename Call>
std::string InvalidArgumentMessage(Call call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(PosixQueueNameTest, RefusesNamesThatMqOverviewDoesNotAllow) {
  // mq_overview(7): "/somename": a '/' then up to NAME_MAX characters, none
  // of them a '/'.
  for (const std::string& bad :
       {std::string(""), std::string("noslash"), std::string("/"),
        std::string("/a/b"), std::string("/") + std::string(300, 'x'),
        std::string("/nul\0inside", 11)}) {
    EXPECT_THAT(
        InvalidArgumentMessage([&] { ipc::PosixMessageQueue::CheckName(bad); }),
        HasSubstr("PosixMessageQueue name"))
        << "name of " << bad.size() << " bytes";
  }
  EXPECT_NO_THROW(ipc::PosixMessageQueue::CheckName("/ipcproof-ok"));
}

TEST(PosixQueueCreateTest, RefusesBadNamesFlagsModesAndSizesBeforeOpening) {
  EXPECT_THAT(InvalidArgumentMessage(
                  [] { ipc::PosixMessageQueue::Create("no-slash"); }),
              HasSubstr("must be '/' followed by"));
  EXPECT_THAT(InvalidArgumentMessage([] {
                ipc::PosixMessageQueue::Create("/q", std::nullopt,
                                               O_RDWR | O_TRUNC);
              }),
              HasSubstr("flags may only add O_NONBLOCK and O_CLOEXEC"));
  EXPECT_THAT(InvalidArgumentMessage([] {
                ipc::PosixMessageQueue::Create("/q", std::nullopt, O_RDWR,
                                               04777);
              }),
              HasSubstr("permission bits"));
  EXPECT_THAT(InvalidArgumentMessage([] {
                ipc::PosixMessageQueue::Create(
                    "/q", ipc::PosixQueueAttributes{-1, 128});
              }),
              HasSubstr("must be positive"));
  EXPECT_THAT(
      InvalidArgumentMessage([] {
        ipc::PosixMessageQueue::Create("/q", ipc::PosixQueueAttributes{4, 0});
      }),
      HasSubstr("must be positive"));
  EXPECT_THAT(
      InvalidArgumentMessage([] { ipc::PosixMessageQueue::Open("/a/b"); }),
      HasSubstr("no '/' after the first"));
}

TEST(SysvQueueArgumentsTest, RefusesBadModesTypesAndFlagsBeforeTheCall) {
  EXPECT_THAT(InvalidArgumentMessage([] {
                ipc::SysvMessageQueue::Create(IPC_PRIVATE, IPC_CREAT | 0600);
              }),
              HasSubstr("permission bits"));
  EXPECT_THAT(InvalidArgumentMessage(
                  [] { ipc::SysvMessageQueue::OpenExisting(IPC_PRIVATE); }),
              HasSubstr("IPC_PRIVATE names no existing queue"));
  EXPECT_THAT(InvalidArgumentMessage([] { ipc::SysvMessageQueue::FromId(-1); }),
              HasSubstr("id is negative"));
  // A queue id nobody uses: the checks below must fire before msgsnd or
  // msgrcv could report EINVAL for it.
  ipc::SysvMessageQueue unused = ipc::SysvMessageQueue::FromId(0x7ffffff0);
  EXPECT_THAT(InvalidArgumentMessage([&] { unused.Send(0, "x"); }),
              HasSubstr("message type must be positive"));
  EXPECT_THAT(InvalidArgumentMessage([&] { unused.Send(-3, "x"); }),
              HasSubstr("message type must be positive"));
  EXPECT_THAT(InvalidArgumentMessage([&] { unused.Send(1, "x", MSG_NOERROR); }),
              HasSubstr("flags may only be IPC_NOWAIT"));
  EXPECT_THAT(InvalidArgumentMessage([&] { unused.Receive(8, 0, IPC_CREAT); }),
              HasSubstr("flags may only combine"));
}

TEST(SysvQueueErrorsTest, KernelErrorsNameTheCallAndTheQueue) {
  ipc::SysvMessageQueue unused = ipc::SysvMessageQueue::FromId(0x7ffffff0);
  try {
    unused.Send(1, "x", IPC_NOWAIT);
    ADD_FAILURE() << "msgsnd to an unused id succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_THAT(e.what(), HasSubstr("msgsnd(msqid=2147483632) of 1 bytes"));
  }
}

}  // namespace

// Fault injection into ipc::SysvMessageQueue (ipc/sysv_message_queue.h)
// through the ipc::SysvMsgSyscalls seam: which arguments reach msgget(2),
// msgsnd(2), msgrcv(2) and msgctl(2); which are refused before any call;
// what EINTR, EAGAIN, ENOMSG and other errors become; and that a queue this
// object created is removed with IPC_RMID exactly once, by its last owner.
//
// signal(7): msgsnd and msgrcv are never restarted by SA_RESTART; they fail
// with EINTR after any handler, which is why the wrapper retries them.
//
// The allocation-free forms (ReceiveInto, SysvMessageBuffer) are held to
// their promise by counting heap allocations: this binary replaces the
// global operator new with one that counts, and a loopback seam (a one-slot
// queue with no gmock behind it, since gmock itself allocates while matching
// a call) runs the hot loops inside the counted window.
#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_sysv_msg_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/sysv_message_queue.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsNull;
using ::testing::MockFunction;
using ::testing::NotNull;
using ::testing::Pointee;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;

constexpr key_t kKey = 0x1234;
constexpr int kOtherQueueId = 0x7ffffff1;

// "msgsnd(msqid=2147483632)": how the wrapper names the call and the queue.
std::string Named(const char* call) {
  return std::string(call) + "(msqid=" + std::to_string(kFakeQueueId) + ")";
}

// One message as the wrapper handed it to msgsnd(2): the long type that
// starts the struct msgbuf, and the `size` bytes after it.
struct Sent {
  long type;
  std::string bytes;
  int flags;
};

// A msgsnd(2) stand-in that records what it was given into `sent`, then
// returns `result` (with errno `err` when it is -1).
auto RecordSend(std::vector<Sent>& sent, int result = 0, int err = 0) {
  return [&sent, result, err](int, const void* msgp, size_t size,
                              int flags) -> int {
    long type;
    std::memcpy(&type, msgp, sizeof type);
    sent.push_back(Sent{
        type, std::string(static_cast<const char*>(msgp) + sizeof(long), size),
        flags});
    if (result < 0) errno = err;
    return result;
  };
}

// A msgrcv(2) stand-in that delivers a message of `type` and `text`, as the
// kernel fills a struct msgbuf: the type, then the bytes, returning the
// byte count. Delivers no more than `size` bytes (the kernel's MSG_NOERROR
// truncation; without MSG_NOERROR it would fail E2BIG instead).
auto Deliver(long type, std::string_view text) {
  return [type, text](int, void* msgp, size_t size, long, int) -> ssize_t {
    const size_t n = std::min(size, text.size());
    std::memcpy(msgp, &type, sizeof type);
    std::memcpy(static_cast<char*>(msgp) + sizeof(long), text.data(), n);
    return static_cast<ssize_t>(n);
  };
}

std::string AsString(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A span of `n` bytes of `fill`, so a test can see which bytes a receive
// wrote and which it left alone.
std::vector<std::byte> Filled(size_t n, char fill = '~') {
  return std::vector<std::byte>(n, static_cast<std::byte>(fill));
}

class SysvQueueUnitTest : public MockedSysvMsgSyscallsTest {
 protected:
  // A queue this object created (msgget succeeded with kFakeQueueId); the
  // test states what happens to it at the end.
  ipc::SysvMessageQueue MakeOwned(int id = kFakeQueueId) {
    EXPECT_CALL(sys_, Msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600))
        .WillOnce(Return(id))
        .RetiresOnSaturation();
    return ipc::SysvMessageQueue::Create();
  }
  void ExpectRemovedOnce(int id = kFakeQueueId) {
    EXPECT_CALL(sys_, Msgctl(id, IPC_RMID, IsNull())).WillOnce(Return(0));
  }
  // A queue known by id only: never removed, so no msgctl is expected.
  static ipc::SysvMessageQueue Borrowed() {
    return ipc::SysvMessageQueue::FromId(kFakeQueueId);
  }
};

// ------------------------------------------------------- Create and Open

TEST_F(SysvQueueUnitTest, CreatePassesIpcCreatIpcExclAndTheModeAndOwns) {
  // IPC_EXCL: a key already in use must fail (EEXIST) rather than hand
  // this object someone else's queue, which its destructor would remove.
  EXPECT_CALL(sys_, Msgget(kKey, IPC_CREAT | IPC_EXCL | 0640))
      .WillOnce(Return(kFakeQueueId));
  ExpectRemovedOnce();

  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create(kKey, 0640);
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_TRUE(queue.owned());
}

TEST_F(SysvQueueUnitTest, CreateFailureThrowsNamingMsggetAndTheKey) {
  // Nothing was created, so nothing is removed (StrictMock: no msgctl).
  EXPECT_CALL(sys_, Msgget(kKey, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EEXIST, -1));

  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::Create(kKey); },
      ThrowsSystemError(EEXIST, HasSubstr("msgget(key=" + std::to_string(kKey) +
                                          ", IPC_CREAT|IPC_EXCL)")));
}

TEST_F(SysvQueueUnitTest, OpenExistingPassesNoFlagsAndNeverRemoves) {
  EXPECT_CALL(sys_, Msgget(kKey, 0)).WillOnce(Return(kFakeQueueId));
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::OpenExisting(kKey);
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
}

TEST_F(SysvQueueUnitTest, OpenExistingFailureThrowsNamingMsggetAndTheKey) {
  EXPECT_CALL(sys_, Msgget(kKey, 0)).WillOnce(SetErrnoAndReturn(ENOENT, -1));

  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::OpenExisting(kKey); },
      ThrowsSystemError(ENOENT,
                        HasSubstr("msgget(key=" + std::to_string(kKey) + ")")));
}

TEST_F(SysvQueueUnitTest, FromIdMakesNoCallAndNeverRemoves) {
  EXPECT_CALL(sys_, Msgget).Times(0);
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
}

// ---------------------------------------------------------- Bad arguments

TEST_F(SysvQueueUnitTest, BadArgumentsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, Msgget).Times(0);
  EXPECT_CALL(sys_, Msgsnd).Times(0);
  EXPECT_CALL(sys_, Msgrcv).Times(0);
  EXPECT_CALL(sys_, Msgctl).Times(0);

  // Create: IPC_CREAT/IPC_EXCL are the wrapper's to add; mode is 0777 bits.
  EXPECT_THAT([] { ipc::SysvMessageQueue::Create(kKey, IPC_CREAT | 0600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::SysvMessageQueue::Create(kKey, 01000); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::OpenExisting(IPC_PRIVATE); },
      ThrowsInvalidArgument(HasSubstr("IPC_PRIVATE names no existing queue")));
  EXPECT_THAT([] { ipc::SysvMessageQueue::FromId(-1); },
              ThrowsInvalidArgument(HasSubstr("id is negative")));

  // msgsnd(2): "The mtype field must have a strictly positive integer
  // value" (the kernel would say EINVAL; the wrapper says which argument).
  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  for (const long type : {0L, -1L, -3L}) {
    EXPECT_THAT(
        [&] { queue.Send(type, "x"); },
        ThrowsInvalidArgument(HasSubstr("message type must be positive")))
        << "type " << type;
    EXPECT_THAT(
        [&] { queue.TrySend(type, one); },
        ThrowsInvalidArgument(HasSubstr("message type must be positive")))
        << "type " << type;
  }
  // msgsnd takes only IPC_NOWAIT; MSG_NOERROR and MSG_EXCEPT are msgrcv's.
  for (const int flags : {MSG_NOERROR, MSG_EXCEPT, IPC_CREAT}) {
    EXPECT_THAT(
        [&] { queue.Send(1, "x", flags); },
        ThrowsInvalidArgument(HasSubstr("flags may only be IPC_NOWAIT")))
        << "flags " << flags;
  }
  for (const int flags : {IPC_CREAT, IPC_EXCL, 0x80000}) {
    EXPECT_THAT([&] { queue.Receive(8, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")))
        << "flags " << flags;
    EXPECT_THAT([&] { queue.TryReceive(8, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")))
        << "flags " << flags;
  }
}

// ------------------------------------------------------------------- Send

TEST_F(SysvQueueUnitTest, SendPacksTheTypeBeforeTheBytesAndCountsOnlyBytes) {
  // msgsnd(2): msgp points at {long mtype; char mtext[]}, and msgsz is "the
  // size of mtext" only. Counting the type in would send 8 stray bytes.
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 6, 0))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(7, std::string_view("hel\0lo", 6));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, 7);
  EXPECT_EQ(sent[0].bytes, std::string("hel\0lo", 6));
}

TEST_F(SysvQueueUnitTest, SendOfNoBytesSendsTheTypeAlone) {
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 0, 0))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(2, "");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, 2);
}

TEST_F(SysvQueueUnitTest, SendRetriesAfterEintrWithTheSameMessage) {
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 3, 0))
      .WillOnce(RecordSend(sent, -1, EINTR))
      .WillOnce(RecordSend(sent, -1, EINTR))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(5, "abc");
  ASSERT_EQ(sent.size(), 3u);
  for (const Sent& s : sent) {
    EXPECT_EQ(s.type, 5);
    EXPECT_EQ(s.bytes, "abc");
    EXPECT_EQ(s.flags, 0);
  }
}

TEST_F(SysvQueueUnitTest, SendErrorThrowsNamingMsgsndTheQueueAndTheSize) {
  // EIDRM: the queue was removed while the sender waited (msgsnd(2)).
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 5, 0))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT(
      [&] { queue.Send(1, "hello"); },
      ThrowsSystemError(EIDRM, HasSubstr(Named("msgsnd") + " of 5 bytes")));
}

TEST_F(SysvQueueUnitTest, SendWithIpcNowaitOnAFullQueueThrowsEagain) {
  // Send promises to throw what msgsnd said; "nothing sent" as a value is
  // TrySend's job.
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Send(1, "x", IPC_NOWAIT); },
              ThrowsSystemError(EAGAIN, HasSubstr(Named("msgsnd"))));
}

TEST_F(SysvQueueUnitTest, TrySendAddsIpcNowaitAndMapsEagainToFalse) {
  // msgsnd(2) EAGAIN: "the message can't be sent due to the msg_qbytes
  // limit for the queue and IPC_NOWAIT was specified in msgflg".
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(0));

  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  EXPECT_FALSE(queue.TrySend(1, one));
  EXPECT_TRUE(queue.TrySend(1, one));  // after an EINTR retried
}

TEST_F(SysvQueueUnitTest, TrySendThrowsErrorsOtherThanEagain) {
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  EXPECT_THAT([&] { queue.TrySend(1, one); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgsnd"))));
}

// ---------------------------------------------------------------- Receive

TEST_F(SysvQueueUnitTest, ReceivePassesSizeTypeAndFlagsAndReturnsTheMessage) {
  // msgsz is the room for mtext, not counting the type; the type the kernel
  // wrote at the start of the buffer is the message's, not the selector.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 16, 3, MSG_EXCEPT))
      .WillOnce(Deliver(4, std::string_view("a\0c", 3)));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(16, 3, MSG_EXCEPT);
  EXPECT_EQ(message.type, 4);
  EXPECT_EQ(AsString(message.data), std::string("a\0c", 3));
}

TEST_F(SysvQueueUnitTest, ReceiveOfAnEmptyMessageReturnsItsTypeAndNoBytes) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 8, 0, 0))
      .WillOnce(Deliver(9, ""));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(8);
  EXPECT_EQ(message.type, 9);
  EXPECT_TRUE(message.data.empty());
}

TEST_F(SysvQueueUnitTest, ReceiveRetriesAfterEintr) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 8, -2, 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(1, "ok"));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(8, -2);
  EXPECT_EQ(message.type, 1);
  EXPECT_EQ(AsString(message.data), "ok");
}

TEST_F(SysvQueueUnitTest, ReceiveErrorThrowsNamingMsgrcvTheQueueAndTheSize) {
  // E2BIG: the message is longer than msgsz and MSG_NOERROR was not given.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 4, 0, 0))
      .WillOnce(SetErrnoAndReturn(E2BIG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Receive(4); },
              ThrowsSystemError(
                  E2BIG, HasSubstr(Named("msgrcv") + " of at most 4 bytes")));
}

TEST_F(SysvQueueUnitTest, MsgNoerrorIsPassedAndTheTruncatedBytesReturned) {
  // msgrcv(2) MSG_NOERROR: "To truncate the message text if longer than
  // msgsz bytes." The wrapper must pass the flag and return what the
  // kernel copied (msgsz bytes), not the message's full length.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 4, 0, MSG_NOERROR))
      .WillOnce(Deliver(1, "abcdefgh"));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(AsString(queue.Receive(4, 0, MSG_NOERROR).data), "abcd");
}

TEST_F(SysvQueueUnitTest, ReceiveWithTheCallersIpcNowaitThrowsEnomsg) {
  // Receive returns a message or throws; ENOMSG as "nothing" is only
  // TryReceive's.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(ENOMSG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Receive(8, 0, IPC_NOWAIT); },
              ThrowsSystemError(ENOMSG, HasSubstr(Named("msgrcv"))));
}

TEST_F(SysvQueueUnitTest, TryReceiveAlwaysAddsIpcNowaitAndMapsEnomsgToNothing) {
  // msgrcv(2) ENOMSG: "IPC_NOWAIT was specified in msgflg and no message of
  // the requested type existed on the message queue." Without IPC_NOWAIT
  // the call would block, so TryReceive must add it to any flags given.
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 5, MSG_NOERROR | IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 5, MSG_EXCEPT | IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EINTR, -1))
        .WillOnce(Deliver(6, "six"));
  }

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(queue.TryReceive(8), std::nullopt);
  EXPECT_EQ(queue.TryReceive(8, 5, MSG_NOERROR), std::nullopt);
  const std::optional<ipc::SysvMessage> got =
      queue.TryReceive(8, 5, MSG_EXCEPT);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->type, 6);
  EXPECT_EQ(AsString(got->data), "six");
}

TEST_F(SysvQueueUnitTest, TryReceiveThrowsErrorsOtherThanEnomsg) {
  // EAGAIN is msgsnd's "full", never msgrcv's "empty": it must not be read
  // as "nothing" either.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.TryReceive(8); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgrcv"))));
  EXPECT_THAT([&] { queue.TryReceive(8); },
              ThrowsSystemError(EAGAIN, HasSubstr(Named("msgrcv"))));
}

// ------------------------------------------------------------ ReceiveInto

TEST_F(SysvQueueUnitTest, ReceiveIntoOffersTheSpanAndReturnsTypeAndSize) {
  // msgsz is the span's size; the kernel's count of bytes and the type it
  // wrote come back, and only those bytes of the span change.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 16, 3, MSG_EXCEPT))
      .WillOnce(Deliver(4, std::string_view("a\0c", 3)));

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> text = Filled(16);
  const ipc::SysvReceived got = queue.ReceiveInto(text, 3, MSG_EXCEPT);
  EXPECT_EQ(got.type, 4);
  ASSERT_EQ(got.size, 3u);
  EXPECT_EQ(AsString(text), std::string("a\0c", 3) + std::string(13, '~'));
}

TEST_F(SysvQueueUnitTest, ReceiveIntoRetriesAfterEintr) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 8, -2, 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(1, "ok"));

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> text = Filled(8);
  const ipc::SysvReceived got = queue.ReceiveInto(text, -2);
  EXPECT_EQ(got.type, 1);
  ASSERT_EQ(got.size, 2u);
  EXPECT_EQ(AsString(std::span(text).first(2)), "ok");
}

TEST_F(SysvQueueUnitTest, ReceiveIntoASpanTooSmallFailsE2bigAsTheKernelSays) {
  // msgrcv(2) E2BIG: "The message text length is greater than msgsz and
  // MSG_NOERROR isn't specified in msgflg." The span's size is msgsz, so
  // the kernel decides; the wrapper names the call and the size and leaves
  // the span as it was.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 4, 0, 0))
      .WillOnce(SetErrnoAndReturn(E2BIG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> text = Filled(4);
  EXPECT_THAT([&] { queue.ReceiveInto(text); },
              ThrowsSystemError(
                  E2BIG, HasSubstr(Named("msgrcv") + " of at most 4 bytes")));
  EXPECT_EQ(AsString(text), "~~~~");
}

TEST_F(SysvQueueUnitTest, ReceiveIntoWithMsgNoerrorFillsTheSpanAndNoMore) {
  // MSG_NOERROR: the kernel copies msgsz bytes; the wrapper must neither
  // report the message's full length nor write past the span.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 4, 0, MSG_NOERROR))
      .WillOnce(Deliver(2, "abcdefgh"));

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> storage = Filled(6);
  const ipc::SysvReceived got =
      queue.ReceiveInto(std::span(storage).first(4), 0, MSG_NOERROR);
  EXPECT_EQ(got.type, 2);
  EXPECT_EQ(got.size, 4u);
  EXPECT_EQ(AsString(storage), "abcd~~");
}

TEST_F(SysvQueueUnitTest, ReceiveIntoAnEmptySpanTakesAnEmptyMessage) {
  // msgsz 0 is valid (msgrcv(2) refuses only msgsz < 0): it takes a
  // message of no bytes, or fails E2BIG for a longer one.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 0, 0, 0))
      .WillOnce(Deliver(5, ""))
      .WillOnce(SetErrnoAndReturn(E2BIG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvReceived got = queue.ReceiveInto({});
  EXPECT_EQ(got.type, 5);
  EXPECT_EQ(got.size, 0u);
  EXPECT_THAT([&] { queue.ReceiveInto({}); },
              ThrowsSystemError(E2BIG, HasSubstr(Named("msgrcv"))));
}

TEST_F(SysvQueueUnitTest, ReceiveIntoWithTheCallersIpcNowaitThrowsEnomsg) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(ENOMSG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> text = Filled(8);
  EXPECT_THAT([&] { queue.ReceiveInto(text, 0, IPC_NOWAIT); },
              ThrowsSystemError(ENOMSG, HasSubstr(Named("msgrcv"))));
}

TEST_F(SysvQueueUnitTest, TryReceiveIntoAddsIpcNowaitAndMapsOnlyEnomsg) {
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 5, MSG_EXCEPT | IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EINTR, -1))
        .WillOnce(Deliver(6, "six"));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EIDRM, -1));
  }

  ipc::SysvMessageQueue queue = Borrowed();
  std::vector<std::byte> text = Filled(8);
  EXPECT_EQ(queue.TryReceiveInto(text), std::nullopt);
  const std::optional<ipc::SysvReceived> got =
      queue.TryReceiveInto(text, 5, MSG_EXCEPT);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->type, 6);
  ASSERT_EQ(got->size, 3u);
  EXPECT_EQ(AsString(std::span(text).first(3)), "six");
  EXPECT_THAT([&] { queue.TryReceiveInto(text); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgrcv"))));
}

// ------------------------------------------------------ SysvMessageBuffer

TEST_F(SysvQueueUnitTest, ABufferStartsZeroedWithTypeZeroAndItsCapacity) {
  // Zeroed once at construction, so bytes sent without being written are
  // zeros rather than old heap contents; type 0 is what Send refuses.
  const ipc::SysvMessageBuffer message(5);
  EXPECT_EQ(message.capacity(), 5u);
  EXPECT_EQ(message.type(), 0);
  EXPECT_EQ(AsString(message.text()), std::string(5, '\0'));
  // The type is the struct msgbuf's first member, the text right after it.
  EXPECT_EQ(static_cast<const std::byte*>(message.msgbuf()) + sizeof(long),
            message.text().data());
}

TEST_F(SysvQueueUnitTest, SendOfABufferHandsTheKernelTheBufferItself) {
  // No packing copy: msgsnd gets the buffer's own struct msgbuf, and msgsz
  // counts the `size` bytes asked for, not the capacity.
  ipc::SysvMessageBuffer message(16);
  message.set_type(7);
  std::memcpy(message.text().data(), "hel\0lo", 6);
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, message.msgbuf(), 6, 0))
      .WillOnce(RecordSend(sent, -1, EINTR))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(message, 6);
  ASSERT_EQ(sent.size(), 2u);  // the EINTR was retried
  EXPECT_EQ(sent[1].type, 7);
  EXPECT_EQ(sent[1].bytes, std::string("hel\0lo", 6));
}

TEST_F(SysvQueueUnitTest, SendOfABufferKeepsTheErrorRulesOfSend) {
  ipc::SysvMessageBuffer message(4);
  message.set_type(1);
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, message.msgbuf(), 4, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EAGAIN, -1));
    EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, message.msgbuf(), 2, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
        .WillOnce(SetErrnoAndReturn(EINTR, -1))
        .WillOnce(Return(0))
        .WillOnce(SetErrnoAndReturn(EIDRM, -1));
  }

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT(
      [&] { queue.Send(message, 4, IPC_NOWAIT); },
      ThrowsSystemError(EAGAIN, HasSubstr(Named("msgsnd") + " of 4 bytes")));
  EXPECT_FALSE(queue.TrySend(message, 2));
  EXPECT_TRUE(queue.TrySend(message, 2));  // after an EINTR retried
  EXPECT_THAT([&] { queue.TrySend(message, 2); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgsnd"))));
}

TEST_F(SysvQueueUnitTest, ReceiveIntoABufferLetsTheKernelWriteIntoIt) {
  // msgrcv gets the buffer's own struct msgbuf with msgsz its capacity: the
  // kernel writes the type and the text there, and nothing is copied.
  ipc::SysvMessageBuffer message(16);
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, message.msgbuf(), 16, -3, 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(2, std::string_view("x\0z", 3)));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(queue.ReceiveInto(message, -3), 3u);
  EXPECT_EQ(message.type(), 2);
  EXPECT_EQ(AsString(message.text().first(3)), std::string("x\0z", 3));
}

TEST_F(SysvQueueUnitTest, ReceiveIntoABufferKeepsTheErrorRulesOfReceive) {
  ipc::SysvMessageBuffer message(4);
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, message.msgbuf(), 4, 0, 0))
        .WillOnce(SetErrnoAndReturn(E2BIG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, message.msgbuf(), 4, 1, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, message.msgbuf(), 4, 1,
                             MSG_NOERROR | IPC_NOWAIT))
        .WillOnce(Deliver(1, "truncated"))
        .WillOnce(SetErrnoAndReturn(EIDRM, -1));
  }

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.ReceiveInto(message); },
              ThrowsSystemError(
                  E2BIG, HasSubstr(Named("msgrcv") + " of at most 4 bytes")));
  EXPECT_THAT([&] { queue.ReceiveInto(message, 1, IPC_NOWAIT); },
              ThrowsSystemError(ENOMSG, HasSubstr(Named("msgrcv"))));
  EXPECT_EQ(queue.TryReceiveInto(message, 1), std::nullopt);
  EXPECT_EQ(queue.TryReceiveInto(message, 1, MSG_NOERROR), 4u);
  EXPECT_EQ(AsString(message.text()), "trun");
  EXPECT_THAT([&] { queue.TryReceiveInto(message, 1, MSG_NOERROR); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgrcv"))));
}

TEST_F(SysvQueueUnitTest, TheBufferFormsRefuseBadArgumentsBeforeAnyCall) {
  EXPECT_CALL(sys_, Msgsnd).Times(0);
  EXPECT_CALL(sys_, Msgrcv).Times(0);

  ipc::SysvMessageQueue queue = Borrowed();
  ipc::SysvMessageBuffer message(4);
  // A fresh buffer's type is 0: msgsnd(2) wants "a strictly positive" one.
  EXPECT_THAT(
      [&] { queue.Send(message, 1); },
      ThrowsInvalidArgument(HasSubstr("message type must be positive")));
  EXPECT_THAT(
      [&] { queue.TrySend(message, 1); },
      ThrowsInvalidArgument(HasSubstr("message type must be positive")));
  message.set_type(1);
  // Beyond the capacity would send bytes past the buffer's end.
  EXPECT_THAT(
      [&] { queue.Send(message, 5); },
      ThrowsInvalidArgument(HasSubstr("exceeds the SysvMessageBuffer")));
  EXPECT_THAT(
      [&] { queue.TrySend(message, 5); },
      ThrowsInvalidArgument(HasSubstr("exceeds the SysvMessageBuffer")));
  EXPECT_THAT([&] { queue.Send(message, 1, MSG_NOERROR); },
              ThrowsInvalidArgument(HasSubstr("flags may only be IPC_NOWAIT")));
  std::vector<std::byte> text = Filled(4);
  for (const int flags : {IPC_CREAT, IPC_EXCL, 0x80000}) {
    EXPECT_THAT([&] { queue.ReceiveInto(text, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")));
    EXPECT_THAT([&] { queue.TryReceiveInto(text, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")));
    EXPECT_THAT([&] { queue.ReceiveInto(message, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")));
    EXPECT_THAT([&] { queue.TryReceiveInto(message, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")));
  }
  // A moved-from buffer has no struct msgbuf left to hand the kernel.
  ipc::SysvMessageBuffer taken = std::move(message);
  EXPECT_EQ(message.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(taken.capacity(), 4u);
  EXPECT_EQ(taken.type(), 1);
  EXPECT_THAT([&] { queue.ReceiveInto(message); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { queue.TryReceiveInto(message); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT(
      [&] { queue.Send(message, 0); },
      ThrowsInvalidArgument(HasSubstr("message type must be positive")));
  // msgrcv(2) refuses a msgsz above LONG_MAX (EINVAL); the allocating forms
  // would first have to allocate that much and the type in front of it.
  EXPECT_THAT([&] { queue.Receive(SIZE_MAX); },
              ThrowsInvalidArgument(HasSubstr("largest struct msgbuf")));
  EXPECT_THAT([&] { queue.TryReceive(static_cast<size_t>(LONG_MAX)); },
              ThrowsInvalidArgument(HasSubstr("largest struct msgbuf")));
  EXPECT_THAT([] { ipc::SysvMessageBuffer huge(SIZE_MAX); },
              ThrowsInvalidArgument(HasSubstr("largest struct msgbuf")));
}

TEST_F(SysvQueueUnitTest, BuffersOfAKibibyteOrMorePutTheTextAtPageOffset1536) {
  // sysv_message_queue.cc, WHERE: the kernel's copy into or out of its
  // msg_msg (text 48 bytes into a slab object) is several times slower on
  // AMD Zen when the two ends are 1-63 bytes apart modulo 4096, so the
  // wrapper's buffers do not leave the text's page offset to the heap.
  // Without this a wrapper could be as cheap as raw calls in one run and
  // microseconds dearer in the next.
  auto page_offset = [](const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % 4096;
  };
  const ipc::SysvMessageBuffer large(4096);
  EXPECT_EQ(page_offset(large.text().data()), 1536u);
  std::vector<std::uintptr_t> offsets;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 4096, 0))
      .WillOnce([&](int, const void* msgp, size_t, int) {
        offsets.push_back(page_offset(static_cast<const char*>(msgp) + 8));
        return 0;
      });
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 2048, 0, 0))
      .WillOnce([&](int id, void* msgp, size_t size, long type, int flags) {
        offsets.push_back(page_offset(static_cast<const char*>(msgp) + 8));
        return Deliver(1, "x")(id, msgp, size, type, flags);
      });

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(1, std::string(4096, 'x'));
  std::vector<std::byte> text = Filled(2048);
  EXPECT_EQ(queue.ReceiveInto(text).size, 1u);
  EXPECT_THAT(offsets, ::testing::ElementsAre(1536u, 1536u));
}

// -------------------------------------- Messages larger than the retained
// packing buffer (1 MiB): packed in a buffer of the call's own.

TEST_F(SysvQueueUnitTest, AMessageOverTheRetainedBufferIsPackedWhole) {
  const size_t size = (size_t{1} << 20) + 3;
  std::string big(size, 'b');
  big.front() = 'F';
  big.back() = 'L';
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), size, 0))
      .WillOnce(RecordSend(sent));
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), size, 0, 0))
      .WillOnce(Deliver(9, big));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(9, big);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, 9);
  EXPECT_TRUE(sent[0].bytes == big) << "the packed bytes differ";
  std::vector<std::byte> text(size);
  const ipc::SysvReceived got = queue.ReceiveInto(text);
  EXPECT_EQ(got.type, 9);
  ASSERT_EQ(got.size, size);
  EXPECT_TRUE(AsString(text) == big) << "the received bytes differ";
}

// ------------------------------------------------------------ Stat and Set

TEST_F(SysvQueueUnitTest, StatReturnsWhatIpcStatFilledIn) {
  msqid_ds filled{};
  filled.msg_qnum = 3;
  filled.msg_qbytes = 16384;
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(filled), Return(0)));

  const msqid_ds ds = Borrowed().Stat();
  EXPECT_EQ(ds.msg_qnum, 3u);
  EXPECT_EQ(ds.msg_qbytes, 16384u);
}

TEST_F(SysvQueueUnitTest, StatErrorThrowsNamingIpcStat) {
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Stat(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("msgctl(IPC_STAT)"))));
}

TEST_F(SysvQueueUnitTest, SetQueueBytesChangesOnlyMsgQbytes) {
  // msgctl(2) IPC_SET copies msg_perm.uid, msg_perm.gid, the mode bits and
  // msg_qbytes from the buffer. A wrapper that sent a zeroed buffer with
  // only msg_qbytes set would also give the queue to root with mode 0; so
  // it must send back what IPC_STAT said, changed in msg_qbytes alone.
  msqid_ds stated{};
  stated.msg_perm.uid = 1234;
  stated.msg_perm.gid = 5678;
  stated.msg_perm.mode = 0640;
  stated.msg_qbytes = 16384;
  InSequence in_order;
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(stated), Return(0)));
  EXPECT_CALL(
      sys_, Msgctl(kFakeQueueId, IPC_SET,
                   Pointee(AllOf(Field(&msqid_ds::msg_qbytes, 100u),
                                 Field(&msqid_ds::msg_perm,
                                       AllOf(Field(&ipc_perm::uid, 1234u),
                                             Field(&ipc_perm::gid, 5678u),
                                             Field(&ipc_perm::mode, 0640)))))))
      .WillOnce(Return(0));

  Borrowed().SetQueueBytes(100);
}

TEST_F(SysvQueueUnitTest, SetQueueBytesErrorThrowsNamingIpcSetAndTheSize) {
  // EPERM: raising msg_qbytes above msgmnb needs CAP_SYS_RESOURCE.
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_SET, NotNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.SetQueueBytes(1 << 20); },
              ThrowsSystemError(EPERM, HasSubstr(Named("msgctl(IPC_SET)") +
                                                 " msg_qbytes=1048576")));
}

// -------------------------------------------------------------- Ownership

TEST_F(SysvQueueUnitTest, DestructorRemovesAnOwnedQueueOnce) {
  // sysvipc(7): a queue outlives every process until IPC_RMID; the owner
  // removes it so a failed test leaves none behind.
  ExpectRemovedOnce();
  ipc::SysvMessageQueue queue = MakeOwned();
}

TEST_F(SysvQueueUnitTest, DestructorSwallowsAFailingIpcRmid) {
  // A destructor cannot throw; EIDRM/EINVAL (someone else removed it) is
  // the usual reason and leaves nothing to do.
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ipc::SysvMessageQueue queue = MakeOwned();
}

TEST_F(SysvQueueUnitTest, RemoveCallsIpcRmidNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("removed"));
  }
  {
    ipc::SysvMessageQueue queue = MakeOwned();
    queue.Remove();
    EXPECT_FALSE(queue.owned());
    checkpoint.Call("removed");
  }
}

TEST_F(SysvQueueUnitTest, RemoveFailureThrowsAndKeepsOwnership) {
  // A failed IPC_RMID leaves the object owning the queue, so the destructor
  // tries once more rather than leaking it.
  ipc::SysvMessageQueue queue = MakeOwned();
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .WillOnce(Return(0));

  EXPECT_THAT([&] { queue.Remove(); },
              ThrowsSystemError(EPERM, HasSubstr(Named("msgctl(IPC_RMID)"))));
  EXPECT_TRUE(queue.owned());
}

TEST_F(SysvQueueUnitTest, ReleaseGivesUpOwnershipWithoutRemoving) {
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = MakeOwned();
  EXPECT_EQ(queue.Release(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
  EXPECT_EQ(queue.id(), kFakeQueueId);  // still usable, by id
}

TEST_F(SysvQueueUnitTest, MovedFromQueueDoesNotRemove) {
  ExpectRemovedOnce();

  ipc::SysvMessageQueue original = MakeOwned();
  ipc::SysvMessageQueue moved = std::move(original);
  EXPECT_FALSE(original.owned());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(original.id(), -1);    // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owned());
  EXPECT_EQ(moved.id(), kFakeQueueId);
}

TEST_F(SysvQueueUnitTest, MoveAssignmentRemovesTheTargetsOwnQueueFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgctl(kOtherQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
  }
  {
    ipc::SysvMessageQueue source = MakeOwned(kFakeQueueId);
    ipc::SysvMessageQueue target = MakeOwned(kOtherQueueId);
    target = std::move(source);
    EXPECT_EQ(target.id(), kFakeQueueId);
    EXPECT_TRUE(target.owned());
    checkpoint.Call("assigned");
  }
}

TEST_F(SysvQueueUnitTest, SelfMoveAssignmentKeepsTheQueue) {
  ExpectRemovedOnce();

  ipc::SysvMessageQueue queue = MakeOwned();
  ipc::SysvMessageQueue& alias = queue;
  queue = std::move(alias);
  EXPECT_TRUE(queue.owned());
  EXPECT_EQ(queue.id(), kFakeQueueId);
}

// ------------------------------------------------------- No allocation

// A one-message queue in memory: msgsnd stores the struct msgbuf, msgrcv
// hands it back (E2BIG for a message longer than msgsz without
// MSG_NOERROR, ENOMSG when empty), and nothing here allocates, so the
// allocations counted around a loop of wrapper calls are the wrapper's.
class LoopbackSysvMsgSyscalls : public ipc::SysvMsgSyscalls {
 public:
  int Msgget(key_t, int) override { return kFakeQueueId; }
  int Msgsnd(int, const void* msgp, size_t size, int) override {
    if (full_ || size > kCapacity) {
      errno = full_ ? EAGAIN : EINVAL;
      return -1;
    }
    std::memcpy(slot_.data(), msgp, sizeof(long) + size);
    size_ = size;
    full_ = true;
    return 0;
  }
  ssize_t Msgrcv(int, void* msgp, size_t size, long, int flags) override {
    if (!full_) {
      errno = ENOMSG;
      return -1;
    }
    if (size_ > size && (flags & MSG_NOERROR) == 0) {
      errno = E2BIG;
      return -1;
    }
    const size_t n = std::min(size, size_);
    std::memcpy(msgp, slot_.data(), sizeof(long) + n);
    full_ = false;
    return static_cast<ssize_t>(n);
  }
  int Msgctl(int, int, msqid_ds*) override { return 0; }

  static constexpr size_t kCapacity = 8192;  // MSGMAX, msgsnd(2)

 private:
  std::array<std::byte, sizeof(long) + kCapacity> slot_{};
  size_t size_ = 0;
  bool full_ = false;
};

class SysvQueueAllocationTest : public ::testing::Test {
 protected:
  LoopbackSysvMsgSyscalls loopback_;
  ipc::SysvMsgSyscalls::ScopedOverride override_{loopback_};
};

TEST_F(SysvQueueAllocationTest, SendAndReceiveIntoAllocateNothingPerMessage) {
  // The hot loop the wrapper promises is as cheap as raw msgsnd/msgrcv:
  // after the first round has grown this thread's packing buffer, no round
  // allocates, for every size up to MSGMAX.
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::FromId(kFakeQueueId);
  for (const size_t size : {size_t{1}, size_t{4096}, size_t{8192}}) {
    SCOPED_TRACE(std::to_string(size) + "-byte messages");
    const std::vector<std::byte> out = Filled(size, 'o');
    std::vector<std::byte> in(size);
    long type_seen = 0;
    size_t size_seen = 0;
    auto round = [&] {
      queue.Send(3, out);
      const ipc::SysvReceived got = queue.ReceiveInto(in);
      type_seen = got.type;
      size_seen = got.size;
    };
    round();  // may grow the thread's packing buffer
    EXPECT_EQ(AllocationsIn(100, round), 0);
    EXPECT_EQ(type_seen, 3);
    EXPECT_EQ(size_seen, size);
    EXPECT_TRUE(in == out);

    int misses = 0;
    auto try_round = [&] {
      misses += !queue.TrySend(3, out);
      misses += !queue.TryReceiveInto(in, 3).has_value();
    };
    EXPECT_EQ(AllocationsIn(100, try_round), 0);
    EXPECT_EQ(misses, 0);
  }
}

TEST_F(SysvQueueAllocationTest, TheBufferFormsAllocateNothingAtAll) {
  // No warm-up: with a SysvMessageBuffer the wrapper needs no memory of
  // its own, not even the first time.
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::FromId(kFakeQueueId);
  ipc::SysvMessageBuffer out(LoopbackSysvMsgSyscalls::kCapacity);
  ipc::SysvMessageBuffer in(LoopbackSysvMsgSyscalls::kCapacity);
  out.set_type(5);
  size_t received = 0;
  int misses = 0;
  auto round = [&] {
    queue.Send(out, out.capacity());
    received = queue.ReceiveInto(in);
    misses += !queue.TrySend(out, 7);
    misses += queue.TryReceiveInto(in) != 7u;
  };
  EXPECT_EQ(AllocationsIn(100, round), 0);
  EXPECT_EQ(misses, 0);
  EXPECT_EQ(received, out.capacity());
  EXPECT_EQ(in.type(), 5);
}

TEST_F(SysvQueueAllocationTest, ReceiveAllocatesOnlyTheReturnedVector) {
  // The convenient form: one allocation per message, the vector it returns
  // (sized to the bytes received, not to max_size).
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::FromId(kFakeQueueId);
  const std::vector<std::byte> out = Filled(100, 'o');
  size_t capacity_seen = 0;
  auto round = [&] {
    queue.Send(1, out);
    const ipc::SysvMessage got = queue.Receive(8192);
    capacity_seen = got.data.capacity();
  };
  round();  // may grow the thread's packing buffer
  EXPECT_EQ(AllocationsIn(100, round), 100);
  EXPECT_EQ(capacity_seen, 100u);
}

}  // namespace
}  // namespace ipcproof::unit

// The errno a failed call left must be the one the wrappers report, even
// when building the error message allocates. Nothing promises that memory
// allocation leaves errno alone: POSIX lets any function set errno on
// success unless documented otherwise, glibc's malloc leaves ENOMEM behind
// when it falls back from brk to mmap, and a replaceable operator new may do
// anything to errno. So the wrappers must copy errno before formatting.
//
// This binary replaces the global operator new with one that, while armed,
// overwrites errno with ENOMEM on every allocation, and injects failures
// through hand-written seams (not gmock, whose bookkeeping after the action
// would itself allocate and clobber errno before the wrapper reads it).
// Arming starts inside the failing fake call and stops in the catch.
//
// Most cases below are call sites whose message allocates (a path, a queue
// name or id, a byte count), so each fails if its call site reads errno
// after building the message, e.g. `ThrowErrno("open(" + path_ + ")")`,
// where the argument is evaluated first. The wrappers copy errno right
// after the failing call (`const int err = errno;`) and pass it to
// ThrowSystemError.
#include <errno.h>
#include <fcntl.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/fd_syscalls.h"
#include "ipc/fifo.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/posix_mq_syscalls.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/sysv_msg_syscalls.h"

namespace {

// While true, every operator new sets errno to ENOMEM (and still succeeds).
bool clobber_errno = false;

}  // namespace

void* operator new(std::size_t size) {
  if (clobber_errno) errno = ENOMEM;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ipcproof::unit {
namespace {

constexpr int kFd = 1000;
constexpr int kReadFd = 1001;
constexpr int kWriteFd = 1002;

// Fails like a system call: sets errno to `error` and arms the clobbering.
int Fail(int error) {
  errno = error;
  clobber_errno = true;
  return -1;
}

// Every call whose failure a test checks fails with `error_` and arms the
// clobbering; pipe2 (setup), close and unlink (destructors) succeed.
class FailingFdSyscalls : public ipc::FdSyscalls {
 public:
  explicit FailingFdSyscalls(int error) : error_(error) {}

  ssize_t Read(int, void*, size_t) override { return Fail(); }
  ssize_t Write(int, const void*, size_t) override { return Fail(); }
  int Close(int) override { return 0; }
  int Pipe2(int fds[2], int) override {
    fds[0] = kReadFd;
    fds[1] = kWriteFd;
    return 0;
  }
  int Fcntl(int, int, int) override { return Fail(); }
  int Ioctl(int, unsigned long, void*) override { return Fail(); }
  int Open(const char*, int, mode_t) override { return Fail(); }
  int Mkfifo(const char*, mode_t) override { return Fail(); }
  int Unlink(const char*) override { return 0; }

 private:
  int Fail() { return unit::Fail(error_); }

  int error_;
};

// msgget, msgsnd and msgrcv fail; msgctl (the destructor's IPC_RMID)
// succeeds.
class FailingSysvMsgSyscalls : public ipc::SysvMsgSyscalls {
 public:
  explicit FailingSysvMsgSyscalls(int error) : error_(error) {}

  int Msgget(key_t, int) override { return unit::Fail(error_); }
  int Msgsnd(int, const void*, size_t, int) override {
    return unit::Fail(error_);
  }
  ssize_t Msgrcv(int, void*, size_t, long, int) override {
    return unit::Fail(error_);
  }
  int Msgctl(int, int, msqid_ds*) override { return 0; }

 private:
  int error_;
};

// mq_open fails while `open_fails`, else opens a queue of 64-byte messages;
// sending and receiving fail; closing and unlinking succeed.
class FailingPosixMqSyscalls : public ipc::PosixMqSyscalls {
 public:
  FailingPosixMqSyscalls(int error, bool open_fails)
      : error_(error), open_fails_(open_fails) {}

  mqd_t MqOpen(const char*, int, mode_t, mq_attr*) override {
    return open_fails_ ? unit::Fail(error_) : kFd;
  }
  int MqClose(mqd_t) override { return 0; }
  int MqUnlink(const char*) override { return 0; }
  int MqGetattr(mqd_t, mq_attr* attr) override {
    *attr = mq_attr{};
    attr->mq_maxmsg = 1;
    attr->mq_msgsize = 64;
    return 0;
  }
  int MqSetattr(mqd_t, const mq_attr*, mq_attr*) override {
    return unit::Fail(error_);
  }
  int MqSend(mqd_t, const char*, size_t, unsigned) override {
    return unit::Fail(error_);
  }
  int MqTimedsend(mqd_t, const char*, size_t, unsigned,
                  const timespec*) override {
    return unit::Fail(error_);
  }
  ssize_t MqReceive(mqd_t, char*, size_t, unsigned*) override {
    return unit::Fail(error_);
  }
  ssize_t MqTimedreceive(mqd_t, char*, size_t, unsigned*,
                         const timespec*) override {
    return unit::Fail(error_);
  }
  int MqNotify(mqd_t, const sigevent*) override { return unit::Fail(error_); }

 private:
  int error_;
  bool open_fails_;
};

// Runs `f` and returns the errno value of the std::system_error it throws
// (0 if it throws none), with the clobbering disarmed before any check.
template <typename F>
int ReportedErrno(F&& f) {
  int reported = 0;
  try {
    f();
  } catch (const std::system_error& e) {
    reported = e.code().value();
  }
  clobber_errno = false;
  return reported;
}

constexpr char kLongQueueName[] =
    "/ipcproof-unit-a-name-long-enough-to-allocate";

constexpr std::string_view kLongPath =
    "/nonexistent-ipcproof-unit/a-path-long-enough-to-allocate";

TEST(ErrnoPreservationTest, TheClobberingAllocatorIsInEffect) {
  // Guards the other tests: if operator new were not replaced, they would
  // pass without testing anything.
  clobber_errno = true;
  errno = EPIPE;
  auto* p = new std::vector<int>(100);
  const int after = errno;
  clobber_errno = false;
  delete p;
  EXPECT_EQ(after, ENOMEM);
}

TEST(ErrnoPreservationTest, ShortMessagesKeepErrno) {
  // Messages short enough for std::string's inline buffer do not allocate,
  // so these would pass even with errno read late; they pin the simple case.
  FailingFdSyscalls sys(EAGAIN);
  ipc::FdSyscalls::ScopedOverride override(sys);
  std::vector<std::byte> buffer(8);
  EXPECT_EQ(ReportedErrno([&] { ipc::ReadSome(kFd, buffer); }), EAGAIN);
  ipc::Pipe pipe = ipc::Pipe::Create();
  EXPECT_EQ(ReportedErrno([&] { pipe.Capacity(); }), EAGAIN);
}

TEST(ErrnoPreservationTest, WriteAllReportsTheWriteErrno) {
  FailingFdSyscalls sys(EPIPE);
  ipc::FdSyscalls::ScopedOverride override(sys);
  EXPECT_EQ(ReportedErrno([&] { ipc::WriteAll(kFd, std::string(30, 'x')); }),
            EPIPE);
}

TEST(ErrnoPreservationTest, ReadExactReportsTheReadErrno) {
  FailingFdSyscalls sys(EIO);
  ipc::FdSyscalls::ScopedOverride override(sys);
  std::vector<std::byte> buffer(30);
  EXPECT_EQ(ReportedErrno([&] { ipc::ReadExact(kFd, buffer); }), EIO);
}

TEST(ErrnoPreservationTest, SetCapacityReportsTheFcntlErrno) {
  FailingFdSyscalls sys(EPERM);
  ipc::FdSyscalls::ScopedOverride override(sys);
  ipc::Pipe pipe = ipc::Pipe::Create();
  EXPECT_EQ(ReportedErrno([&] { pipe.SetCapacity(1 << 21); }), EPERM);
}

TEST(ErrnoPreservationTest, FifoCreateReportsTheMkfifoErrno) {
  FailingFdSyscalls sys(EEXIST);
  ipc::FdSyscalls::ScopedOverride override(sys);
  EXPECT_EQ(ReportedErrno([&] { ipc::Fifo::Create(std::string(kLongPath)); }),
            EEXIST);
}

TEST(ErrnoPreservationTest, FifoOpenReportsTheOpenErrno) {
  FailingFdSyscalls sys(ENXIO);
  ipc::FdSyscalls::ScopedOverride override(sys);
  const ipc::Fifo fifo = ipc::Fifo::Existing(std::string(kLongPath));
  EXPECT_EQ(ReportedErrno([&] { fifo.OpenForWriting(O_NONBLOCK); }), ENXIO);
}

TEST(ErrnoPreservationTest, BytesUnreadReportsTheIoctlErrno) {
  FailingFdSyscalls sys(EBADF);
  ipc::FdSyscalls::ScopedOverride override(sys);
  EXPECT_EQ(ReportedErrno([&] { ipc::BytesUnread(kFd); }), EBADF);
}

TEST(ErrnoPreservationTest, SysvCreateSendAndReceiveReportTheirErrno) {
  FailingSysvMsgSyscalls sys(EIDRM);
  ipc::SysvMsgSyscalls::ScopedOverride override(sys);
  EXPECT_EQ(ReportedErrno([] { ipc::SysvMessageQueue::Create(0x1234); }),
            EIDRM);
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::FromId(0x7ffffff0);
  EXPECT_EQ(ReportedErrno([&] { queue.Send(1, std::string(30, 'x')); }), EIDRM);
  EXPECT_EQ(ReportedErrno([&] { queue.Receive(30); }), EIDRM);
}

TEST(ErrnoPreservationTest, PosixCreateReportsTheMqOpenErrno) {
  FailingPosixMqSyscalls sys(EMFILE, /*open_fails=*/true);
  ipc::PosixMqSyscalls::ScopedOverride override(sys);
  EXPECT_EQ(ReportedErrno([] {
              ipc::PosixMessageQueue::Create(kLongQueueName,
                                             ipc::PosixQueueAttributes{1, 64});
            }),
            EMFILE);
}

TEST(ErrnoPreservationTest, PosixSendAndReceiveReportTheirErrno) {
  FailingPosixMqSyscalls sys(EBADF, /*open_fails=*/false);
  ipc::PosixMqSyscalls::ScopedOverride override(sys);
  ipc::PosixMessageQueue queue = ipc::PosixMessageQueue::Create(kLongQueueName);
  EXPECT_EQ(ReportedErrno([&] { queue.Send("x"); }), EBADF);
  EXPECT_EQ(ReportedErrno([&] { queue.Receive(); }), EBADF);
  EXPECT_EQ(ReportedErrno([&] { queue.TimedReceive(std::chrono::seconds(1)); }),
            EBADF);
}

}  // namespace
}  // namespace ipcproof::unit

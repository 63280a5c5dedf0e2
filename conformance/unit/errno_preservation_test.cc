// The errno a failed call left must be the one the wrappers report, even
// when building the error message allocates. Nothing promises that memory
// allocation leaves errno alone: POSIX lets any function set errno on
// success unless documented otherwise, glibc's malloc leaves ENOMEM behind
// when it falls back from brk to mmap, and a replaceable operator new may do
// anything to errno. So the wrappers must copy errno before formatting.
//
// This binary replaces the global operator new with one that, while armed,
// overwrites errno with ENOMEM on every allocation, and injects failures
// through a hand-written Syscalls (not gmock, whose bookkeeping after the
// action would itself allocate and clobber errno before the wrapper reads
// it). Arming starts inside the failing fake call and stops in the catch.
//
// BUG (ipc/, reported to the lead): the tests marked "FAILS until fixed"
// below fail because the call sites build the message string before
// ThrowErrno reads errno: `ThrowErrno(Describe(...))` in ipc/io.cc (WriteAll,
// ReadUntilEof/ReadExact, ReadSome/WriteSome for long messages),
// `ThrowErrno("fcntl(F_SETPIPE_SZ, " + ...)` in ipc/pipe.cc, and every
// `ThrowErrno("...(" + path_ + ")")` in ipc/fifo.cc. The argument is
// evaluated first, so errno is read after the allocations. Fix: save
// `const int err = errno;` right after the failing call and use
// ThrowSystemError(err, ...).
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
#include "ipc/fifo.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/syscalls.h"

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

// Every call whose failure a test checks fails with `error_` and arms the
// clobbering; pipe2 (setup), close and unlink (destructors) succeed.
class FailingSyscalls : public ipc::Syscalls {
 public:
  explicit FailingSyscalls(int error) : error_(error) {}

  ssize_t Read(int, void*, size_t) override { return Fail(); }
  ssize_t Write(int, const void*, size_t) override { return Fail(); }
  int Close(int) override { return 0; }
  int Pipe2(int fds[2], int) override {
    fds[0] = kReadFd;
    fds[1] = kWriteFd;
    return 0;
  }
  int Fcntl(int, int, int) override { return Fail(); }
  int Open(const char*, int, mode_t) override { return Fail(); }
  int Mkfifo(const char*, mode_t) override { return Fail(); }
  int Unlink(const char*) override { return 0; }

 private:
  int Fail() {
    errno = error_;
    clobber_errno = true;
    return -1;
  }

  int error_;
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
  // so these pass today; they pin the behaviour once fixed too.
  FailingSyscalls sys(EAGAIN);
  ipc::ScopedSyscallsOverride override(sys);
  std::vector<std::byte> buffer(8);
  EXPECT_EQ(ReportedErrno([&] { ipc::ReadSome(kFd, buffer); }), EAGAIN);
  ipc::Pipe pipe = ipc::Pipe::Create();
  EXPECT_EQ(ReportedErrno([&] { pipe.Capacity(); }), EAGAIN);
}

// FAILS until fixed: ipc/io.cc WriteAll, ThrowErrno(Describe(...)).
TEST(ErrnoPreservationTest, WriteAllReportsTheWriteErrno) {
  FailingSyscalls sys(EPIPE);
  ipc::ScopedSyscallsOverride override(sys);
  EXPECT_EQ(ReportedErrno([&] { ipc::WriteAll(kFd, std::string(30, 'x')); }),
            EPIPE);
}

// FAILS until fixed: ipc/io.cc ReadUntilEof, ThrowErrno(Describe(...)).
TEST(ErrnoPreservationTest, ReadExactReportsTheReadErrno) {
  FailingSyscalls sys(EIO);
  ipc::ScopedSyscallsOverride override(sys);
  std::vector<std::byte> buffer(30);
  EXPECT_EQ(ReportedErrno([&] { ipc::ReadExact(kFd, buffer); }), EIO);
}

// FAILS until fixed: ipc/pipe.cc SetCapacity, ThrowErrno("fcntl(F_SETPIPE_SZ,
// " + std::to_string(bytes) + ")").
TEST(ErrnoPreservationTest, SetCapacityReportsTheFcntlErrno) {
  FailingSyscalls sys(EPERM);
  ipc::ScopedSyscallsOverride override(sys);
  ipc::Pipe pipe = ipc::Pipe::Create();
  EXPECT_EQ(ReportedErrno([&] { pipe.SetCapacity(1 << 21); }), EPERM);
}

// FAILS until fixed: ipc/fifo.cc Create, ThrowErrno("mkfifo(" + path + ")").
TEST(ErrnoPreservationTest, FifoCreateReportsTheMkfifoErrno) {
  FailingSyscalls sys(EEXIST);
  ipc::ScopedSyscallsOverride override(sys);
  EXPECT_EQ(ReportedErrno([&] { ipc::Fifo::Create(std::string(kLongPath)); }),
            EEXIST);
}

// FAILS until fixed: ipc/fifo.cc Open, ThrowErrno("open(" + path_ + ")").
TEST(ErrnoPreservationTest, FifoOpenReportsTheOpenErrno) {
  FailingSyscalls sys(ENXIO);
  ipc::ScopedSyscallsOverride override(sys);
  const ipc::Fifo fifo = ipc::Fifo::Existing(std::string(kLongPath));
  EXPECT_EQ(ReportedErrno([&] { fifo.OpenForWriting(O_NONBLOCK); }), ENXIO);
}

}  // namespace
}  // namespace ipcproof::unit

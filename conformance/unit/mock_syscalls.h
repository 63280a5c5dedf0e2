// A GoogleMock implementation of the ipc::Syscalls seam, and a fixture that
// installs it, for fault-injection tests of the ipc/ wrappers: make write(2)
// fail with EINTR, return a short count or 0, and check what WriteAll does.
//
// These are unit tests of the wrappers' logic, not of the kernel: no call
// reaches the kernel while the mock is installed.
#ifndef CONFORMANCE_UNIT_MOCK_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SYSCALLS_H_

#include <errno.h>
#include <sys/types.h>

#include <cstddef>
#include <stdexcept>
#include <system_error>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/syscalls.h"

namespace ipcproof::unit {

class MockSyscalls : public ipc::Syscalls {
 public:
  MOCK_METHOD(ssize_t, Read, (int fd, void* buf, size_t count), (override));
  MOCK_METHOD(ssize_t, Write, (int fd, const void* buf, size_t count),
              (override));
  MOCK_METHOD(int, Close, (int fd), (override));
  // `int fds[2]` in the interface; the parameter is an int* either way.
  MOCK_METHOD(int, Pipe2, (int* fds, int flags), (override));
  MOCK_METHOD(int, Fcntl, (int fd, int cmd, int arg), (override));
  MOCK_METHOD(int, Open, (const char* path, int flags, mode_t mode),
              (override));
  MOCK_METHOD(int, Mkfifo, (const char* path, mode_t mode), (override));
  MOCK_METHOD(int, Unlink, (const char* path), (override));
};

// Descriptor numbers handed out by the mock. They are far above anything a
// test process has open, so if a wrapper ever outlived the override and
// reached the real close(2) with one, the kernel would answer EBADF instead
// of closing a descriptor gtest is using.
inline constexpr int kFakeFd = 1000;
inline constexpr int kFakeReadFd = 1001;
inline constexpr int kFakeWriteFd = 1002;

// Installs a StrictMock for the whole test: any syscall a test did not
// expect fails it (which is how "rejected before any syscall" is asserted).
//
// Objects created in the test body are destroyed before the fixture, so
// their destructors (UniqueFd closing, Fifo unlinking) still reach the mock
// and are checked against its expectations.
class MockedSyscallsTest : public ::testing::Test {
 protected:
  MockedSyscallsTest() {
    // A call no expectation covers is already a failure (StrictMock); make
    // it also fail fast. gmock would return 0, and 0 from write(2) is "no
    // progress", which a broken retry loop would spin on forever. (Throws()
    // re-runs the callable to explain a mismatch, against expectations the
    // first run already used up, so this happens on any failing
    // EXPECT_THAT(..., Throws...).)
    using ::testing::SetErrnoAndReturn;
    ON_CALL(sys_, Read).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Write).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Close).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Pipe2).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Fcntl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Open).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Mkfifo).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(sys_, Unlink).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  ::testing::StrictMock<MockSyscalls> sys_;

 private:
  // Declared after sys_: removed before the mock is verified and destroyed.
  ipc::ScopedSyscallsOverride override_{sys_};
};

// Matches a callable that throws std::system_error carrying `err` the way the
// wrappers promise (std::error_code(errno, std::system_category()), so it
// also compares equal to the portable std::errc value) and whose what()
// matches `what` (e.g. HasSubstr("pipe2")).
template <typename WhatMatcher>
auto ThrowsSystemError(int err, WhatMatcher what) {
  return ::testing::Throws<std::system_error>(::testing::AllOf(
      ::testing::Property("code", &std::system_error::code,
                          std::error_code(err, std::system_category())),
      ::testing::Property("what", &std::system_error::what, what)));
}

// Matches a callable that throws std::invalid_argument: the wrappers' answer
// to a request they know is wrong, given before any syscall.
inline auto ThrowsInvalidArgument() {
  return ::testing::Throws<std::invalid_argument>();
}

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SYSCALLS_H_

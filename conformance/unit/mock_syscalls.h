// What every fault-injection test of the ipc/ wrappers shares: a fixture
// that installs a StrictMock on one of the seams of ipc/syscalls.h for the
// whole test, and matchers for the two kinds of exception the wrappers
// throw. The mocks themselves are per seam: mock_fd_syscalls.h,
// mock_process_syscalls.h, mock_sysv_msg_syscalls.h,
// mock_posix_mq_syscalls.h.
//
// These are unit tests of the wrappers' logic, not of the kernel: no call
// of the mocked seam reaches the kernel while the mock is installed.
#ifndef CONFORMANCE_UNIT_MOCK_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SYSCALLS_H_

#include <stdexcept>
#include <system_error>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::unit {

// Installs a StrictMock<Mock> on Mock's seam for the whole test: any call a
// test did not expect fails it (which is how "rejected before any call" is
// asserted, together with EXPECT_CALL(...).Times(0) where a test wants to
// say so). Each mock's constructor makes an unexpected call also fail with
// ENOSYS, so that a wrapper's retry loop cannot spin on gmock's default 0
// (which from write(2) would be "no progress"). (Throws() re-runs the
// callable to explain a mismatch, against expectations the first run
// already used up, so such calls happen on any failing
// EXPECT_THAT(..., Throws...).)
//
// Objects created in the test body are destroyed before the fixture, so
// their destructors (a descriptor closing, a queue being removed) still
// reach the mock and are checked against its expectations.
template <typename Mock>
class MockedSeamTest : public ::testing::Test {
 protected:
  ::testing::StrictMock<Mock> sys_;

 private:
  // Declared after sys_: removed before the mock is verified and destroyed.
  typename Mock::ScopedOverride override_{sys_};
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

// The same, with a what() matching `what`.
template <typename WhatMatcher>
auto ThrowsInvalidArgument(WhatMatcher what) {
  return ::testing::Throws<std::invalid_argument>(
      ::testing::Property("what", &std::invalid_argument::what, what));
}

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SYSCALLS_H_

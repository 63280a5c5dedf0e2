// Matchers for libc-style return values (-1 and errno on failure) that read
// like the man page and print the errno name when they fail:
//
//   EXPECT_THAT(write(fd, "x", 1), SyscallFailsWithErrno(EPIPE));
//   ASSERT_THAT(pipe2(fds, 0), SyscallSucceeds());
//   EXPECT_THAT(read(fd, buf, 4), SyscallSucceedsWithValue(4));
//
// errno is read when the matcher runs, right after the call: keep the call
// inside EXPECT_THAT so nothing in between can change errno.
#ifndef CONFORMANCE_HARNESS_SYSCALL_MATCHERS_H_
#define CONFORMANCE_HARNESS_SYSCALL_MATCHERS_H_

#include <cerrno>
#include <string>

#include "gmock/gmock.h"

namespace ipcproof {

// "EPIPE (Broken pipe)".
std::string ErrnoName(int err);

MATCHER(SyscallSucceeds, negation ? "fails" : "succeeds") {
  if (arg != -1) return true;
  *result_listener << "failed with " << ::ipcproof::ErrnoName(errno);
  return false;
}

MATCHER_P(SyscallSucceedsWithValue, expected,
          std::string(negation ? "does not succeed with " : "succeeds with ") +
              ::testing::PrintToString(expected)) {
  if (arg == -1) {
    *result_listener << "failed with " << ::ipcproof::ErrnoName(errno);
    return false;
  }
  if (arg == static_cast<decltype(arg)>(expected)) return true;
  *result_listener << "returned " << arg;
  return false;
}

MATCHER_P(SyscallFailsWithErrno, expected_errno,
          std::string(negation ? "does not fail with " : "fails with ") +
              ::ipcproof::ErrnoName(expected_errno)) {
  const int err = errno;
  if (arg != -1) {
    *result_listener << "succeeded, returning " << arg;
    return false;
  }
  if (err == expected_errno) return true;
  *result_listener << "failed with " << ::ipcproof::ErrnoName(err);
  return false;
}

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_SYSCALL_MATCHERS_H_

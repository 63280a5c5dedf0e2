// How a forked test child reports back through its exit status.
//
// A child may not run gtest assertions, so it exits with a code the parent
// can decode: 0 for success, a small test-specific code (1 to 99) for each
// failure point, or ErrnoExit(errno) when a call failed, which the parent's
// messages turn back into the errno's name.
#ifndef CONFORMANCE_HARNESS_CHILD_EXIT_H_
#define CONFORMANCE_HARNESS_CHILD_EXIT_H_

#include <algorithm>
#include <cerrno>
#include <string>

#include "gtest/gtest.h"
#include "ipc/child_process.h"

namespace ipcproof {

// Exit codes from kErrnoExitBase up mean "a call failed with errno
// (code - kErrnoExitBase)". Every Linux errno (at most 133) fits below 256.
inline constexpr int kErrnoExitBase = 100;

// The exit code for a call that failed with `err`. Async-signal-safe: for
// use in a forked child. (ipc::ChildProcess::kBodyThrew, 125, is also
// 100 + ENOTTY; DescribeChildExit names both readings.)
inline int ErrnoExit(int err = errno) {
  return kErrnoExitBase + std::clamp(err, 0, 255 - kErrnoExitBase);
}

// "exited with status 104 (the call failed with EINTR (Interrupted system
// call))": the status, and what an ErrnoExit code means.
std::string DescribeChildExit(const ipc::WaitStatus& status);

// Succeeds when the child exited with 0; otherwise says how it ended.
::testing::AssertionResult ExitedWithZero(const ipc::WaitStatus& status);

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_CHILD_EXIT_H_

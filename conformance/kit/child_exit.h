// The one table of exit codes a forked test child reports with, and how the
// parent reads a wait status back (kselftest's KSFT_PASS / KSFT_FAIL / ...
// in spirit: one table, read the same way everywhere).
//
// After fork a child does only async-signal-safe work, so it cannot run
// gtest assertions: it reports through its exit status, 8 bits. Each
// reading has its own range, so no code means two things:
//
//   code      reading                                  written by
//   0         success                                  the child's body
//   1..99     a failure point of the test itself       the test (its own
//                                                      numbering)
//   100..109  DropToUid: which call failed, and        DropToUid
//             whether with EPERM, EINVAL or another    (kit/credentials.h)
//             errno
//   110..119  a failure point of a kit child           MeasureTransfer's
//                                                      receiver, the uid probe
//   120..124  unassigned
//   125       the ipc::ChildProcess body threw, or     ipc/child_process.cc
//             its set-up before the body failed        (kBodyThrew)
//   126       exec failed: cannot execute              ExecFailureExit
//   127       exec failed: not found                   ExecFailureExit
//   128       a call failed with an errno that no      ErrnoExit
//             code carries (0, or above 126)
//   129..254  a call failed with errno (code - 128)    ErrnoExit
//   255       unassigned (what exit(-1) gives)
//
// 126 and 127 are the shell's conventions ("found but cannot execute", "not
// found"), which ExecProgram's callers (runner/programs.h) follow.
//
// A signal is not an exit code: a child killed by signal N shows as
// WaitStatus::signaled(), and DescribeChildExit says "killed by signal N".
// (A shell reports such a child of its own as status 128 + N; no kit or test
// child is a shell, so 129..254 read as errno codes only.)
//
// Why DropToUid does not put the errno in its code: 8 bits cannot hold
// "which of three calls" times 133 errnos. The calls fail with EPERM (no
// capability) or EINVAL (id not mapped in the user namespace), the two
// readings a skip needs; any other errno gets one code per call, and a
// caller that needs it exactly sends errno through a pipe
// (WhyCannotBecomeUid does).
#ifndef CONFORMANCE_KIT_CHILD_EXIT_H_
#define CONFORMANCE_KIT_CHILD_EXIT_H_

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "conformance/kit/blocking.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"

namespace ipcproof {

// --- The table --------------------------------------------------------------

enum class ExitCodeKind {
  kSuccess,            // 0
  kTestFailurePoint,   // 1..99
  kDropToUid,          // 100..109
  kKitFailurePoint,    // 110..119
  kBodyThrew,          // 125
  kExecCannotExecute,  // 126
  kExecNotFound,       // 127
  kErrnoNotCarried,    // 128
  kErrno,              // 129..254
  kUnassigned,         // 120..124, 255
};

struct ExitCodeRange {
  int first;
  int last;
  ExitCodeKind kind;
};

// Every exit status 0..255, in order, each in exactly one range.
inline constexpr std::array<ExitCodeRange, 11> kExitCodeTable = {{
    {0, 0, ExitCodeKind::kSuccess},
    {1, 99, ExitCodeKind::kTestFailurePoint},
    {100, 109, ExitCodeKind::kDropToUid},
    {110, 119, ExitCodeKind::kKitFailurePoint},
    {120, 124, ExitCodeKind::kUnassigned},
    {125, 125, ExitCodeKind::kBodyThrew},
    {126, 126, ExitCodeKind::kExecCannotExecute},
    {127, 127, ExitCodeKind::kExecNotFound},
    {128, 128, ExitCodeKind::kErrnoNotCarried},
    {129, 254, ExitCodeKind::kErrno},
    {255, 255, ExitCodeKind::kUnassigned},
}};

// The table starts at 0, ends at 255, and each range begins right after the
// one before: no gap, no overlap.
constexpr bool ExitCodeTableIsAPartition() {
  int next = 0;
  for (const ExitCodeRange& range : kExitCodeTable) {
    if (range.first != next || range.last < range.first) return false;
    next = range.last + 1;
  }
  return next == 256;
}
static_assert(ExitCodeTableIsAPartition());

// Which range `code` falls in; kUnassigned outside 0..255.
constexpr ExitCodeKind ClassifyExitCode(int code) {
  for (const ExitCodeRange& range : kExitCodeTable) {
    if (code >= range.first && code <= range.last) return range.kind;
  }
  return ExitCodeKind::kUnassigned;
}

// --- Codes the kit assigns --------------------------------------------------

inline constexpr int kExitSuccess = 0;
inline constexpr int kFirstTestFailureExit = 1;
inline constexpr int kLastTestFailureExit = 99;

// A failure point of a child the kit forks (110..119).
inline constexpr int kTransferReadyFailed = 110;   // writing "ready" failed
inline constexpr int kTransferBadChunkSize = 111;  // 0 bytes, or past the end
inline constexpr int kTransferDataMismatch = 112;  // a byte differs
inline constexpr int kUidProbeCannotReachPath = 113;  // WhyCannotBecomeUid

inline constexpr int kExitBodyThrew = ipc::ChildProcess::kBodyThrew;
static_assert(kExitBodyThrew == 125, "ipc/child_process.h moved kBodyThrew");
inline constexpr int kExitExecCannotExecute = 126;
inline constexpr int kExitExecNotFound = 127;

// ErrnoExit(e) is kErrnoExitBase + e for 1 <= e <= kLargestErrnoInExit;
// kErrnoExitBase itself means "an errno no code carries".
inline constexpr int kErrnoExitBase = 128;
inline constexpr int kLargestErrnoInExit = 126;
inline constexpr int kErrnoNotCarriedExit = kErrnoExitBase;

// The exit code for a call that failed with `err`. Async-signal-safe: for
// use in a forked child. The errnos above 126 (EKEYEXPIRED to EHWPOISON, key
// management and memory errors) and 0 all become kErrnoNotCarriedExit.
constexpr int ErrnoExit(int err) {
  return err >= 1 && err <= kLargestErrnoInExit ? kErrnoExitBase + err
                                                : kErrnoNotCarriedExit;
}
inline int ErrnoExit() { return ErrnoExit(errno); }

// The errno an ErrnoExit code carries; nullopt for any other code
// (kErrnoNotCarriedExit included).
constexpr std::optional<int> ErrnoFromExit(int code) {
  if (ClassifyExitCode(code) != ExitCodeKind::kErrno) return std::nullopt;
  return code - kErrnoExitBase;
}

// The exit code for an exec that failed with `err`, as a shell would give
// it: 127 for ENOENT (not found), 126 for anything else (EACCES, ENOEXEC:
// found but cannot execute). Async-signal-safe.
constexpr int ExecFailureExit(int err) {
  return err == ENOENT ? kExitExecNotFound : kExitExecCannotExecute;
}
inline int ExecFailureExit() { return ExecFailureExit(errno); }

// --- DropToUid's block (100..109) -------------------------------------------

// DropToUid's calls, in the order it makes them.
enum class DropStep {
  kSetgroups = 0,  // setgroups(0, nullptr)
  kSetresgid = 1,  // setresgid(gid, gid, gid)
  kSetresuid = 2,  // setresuid(uid, uid, uid)
  kPdeathsig = 3,  // prctl(PR_SET_PDEATHSIG, SIGKILL)
};

inline constexpr int kFirstDropToUidExit = 100;
inline constexpr int kLastDropToUidExit = 109;

// The code for DropToUid's `step` failing with `err`: three per call
// (EPERM, EINVAL, any other errno), one for prctl whatever its errno.
// Async-signal-safe.
constexpr int DropToUidExit(DropStep step, int err) {
  if (step == DropStep::kPdeathsig) return kLastDropToUidExit;
  const int which = err == EPERM ? 0 : err == EINVAL ? 1 : 2;
  return kFirstDropToUidExit + 3 * static_cast<int>(step) + which;
}

// What a DropToUid code says.
struct DropToUidFailure {
  DropStep step;
  int err;  // EPERM or EINVAL; 0 for "another errno" (and for prctl)
};

// Decodes a DropToUid code; nullopt for a code outside 100..109.
constexpr std::optional<DropToUidFailure> DecodeDropToUidExit(int code) {
  if (ClassifyExitCode(code) != ExitCodeKind::kDropToUid) return std::nullopt;
  if (code == kLastDropToUidExit)
    return DropToUidFailure{DropStep::kPdeathsig, 0};
  const int offset = code - kFirstDropToUidExit;
  constexpr int kErrs[] = {EPERM, EINVAL, 0};
  return DropToUidFailure{static_cast<DropStep>(offset / 3), kErrs[offset % 3]};
}

// "setresuid", "prctl(PR_SET_PDEATHSIG)".
const char* DropStepCall(DropStep step);

// --- Reading a status back --------------------------------------------------

// What `code` means, by the table: "success", "failure point 3 of the test",
// "DropToUid: setresuid failed with EPERM (Operation not permitted)",
// "ipc::ChildProcess body threw (or its set-up before the body failed)",
// "exec failed: not found (127)", "the call failed with EINTR (Interrupted
// system call)". Different for every code 0..255.
std::string DescribeExitCode(int code);

// "exited with status 4" for a test's own failure point; "exited with status
// 132 (the call failed with EINTR (Interrupted system call))" for any code
// the kit assigned; "killed by signal 9 (Killed)".
std::string DescribeChildExit(const ipc::WaitStatus& status);

// Succeeds when the child exited with 0; otherwise says how it ended.
::testing::AssertionResult ExitedWithZero(const ipc::WaitStatus& status);

// --- Waiting with a deadline ------------------------------------------------
// Each `timeout` is at time scale 1: the wait lasts ScaledTimeout(timeout)
// (kit/time_scale.h).

// Reaps `child` once /proc shows it has exited (WaitUntilExited), at most
// `timeout` from now: its status, or nullopt when it is still running then
// (a call in it has not returned; the caller fails the test, and the
// ChildProcess destructor kills it).
std::optional<ipc::WaitStatus> ReapWithin(
    ipc::ChildProcess& child,
    std::chrono::milliseconds timeout = kBlockedTimeout);

// What /proc shows of a child that a deadline passed on, for a failure
// message: "pid 12 is still running: pid 12 tid 12 (fifo_test) state S, in
// openat(0xffffff9c, ...) [wchan fifo_open]", or that it is gone.
std::string DescribeUnfinishedChild(const ipc::ChildProcess& child);

// Succeeds when `child` exits with `code` within `timeout` (and reaps it).
// Otherwise fails saying how it ended and what `code` would have meant, or,
// when it is still running, what /proc shows of it
// (DescribeUnfinishedChild), read before it is killed and reaped here: a
// kernel that never wakes the child fails this one check instead of hanging
// the test.
::testing::AssertionResult ExitsWithWithin(
    ipc::ChildProcess& child, int code,
    std::chrono::milliseconds timeout = kBlockedTimeout);

// ExitsWithWithin(child, 0, timeout).
::testing::AssertionResult ExitsWithZeroWithin(
    ipc::ChildProcess& child,
    std::chrono::milliseconds timeout = kBlockedTimeout);

}  // namespace ipcproof

// In a test body: reaps `child` (ReapWithin, kBlockedTimeout) into a new
// `const ipc::WaitStatus status`, or fails the test fatally with what /proc
// shows of the child still running; the ChildProcess destructor then kills
// it. For a test that checks the status itself (an errno, a code).
#define ASSERT_CHILD_EXITS(child, status)                     \
  const std::optional<::ipc::WaitStatus> status##_if_reaped = \
      ::ipcproof::ReapWithin(child);                          \
  ASSERT_TRUE(status##_if_reaped)                             \
      << "a call in the child has not returned: "             \
      << ::ipcproof::DescribeUnfinishedChild(child);          \
  const ::ipc::WaitStatus status = *status##_if_reaped

#endif  // CONFORMANCE_KIT_CHILD_EXIT_H_

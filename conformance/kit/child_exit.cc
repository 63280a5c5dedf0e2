#include "conformance/kit/child_exit.h"

#include <optional>
#include <string>

#include "conformance/kit/errno_name.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/task.h"

namespace ipcproof {
namespace {

std::string DescribeDropToUid(const DropToUidFailure& failure) {
  std::string text = "DropToUid: ";
  text += DropStepCall(failure.step);
  if (failure.step == DropStep::kPdeathsig) return text + " failed";
  if (failure.err == 0) {
    return text + " failed with an errno other than EPERM and EINVAL";
  }
  return text + " failed with " + ErrnoName(failure.err);
}

std::string DescribeKitFailurePoint(int code) {
  switch (code) {
    case kTransferReadyFailed:
      return "MeasureTransfer's receiver: writing its \"ready\" byte failed";
    case kTransferBadChunkSize:
      return "MeasureTransfer's receiver: a receive returned 0 bytes or more "
             "than was left to send";
    case kTransferDataMismatch:
      return "MeasureTransfer's receiver: a received chunk differs from the "
             "data sent";
    case kUidProbeCannotReachPath:
      return "WhyCannotBecomeUid's probe: became the uid, but stat(2) of the "
             "path failed";
    default:
      return "kit failure point " + std::to_string(code) +
             " (assigned to nothing in kit/child_exit.h)";
  }
}

}  // namespace

const char* DropStepCall(DropStep step) {
  switch (step) {
    case DropStep::kSetgroups:
      return "setgroups";
    case DropStep::kSetresgid:
      return "setresgid";
    case DropStep::kSetresuid:
      return "setresuid";
    case DropStep::kPdeathsig:
      return "prctl(PR_SET_PDEATHSIG)";
  }
  return "an unknown DropToUid step";
}

std::string DescribeExitCode(int code) {
  switch (ClassifyExitCode(code)) {
    case ExitCodeKind::kSuccess:
      return "success";
    case ExitCodeKind::kTestFailurePoint:
      return "failure point " + std::to_string(code) + " of the test";
    case ExitCodeKind::kDropToUid:
      return DescribeDropToUid(*DecodeDropToUidExit(code));
    case ExitCodeKind::kKitFailurePoint:
      return DescribeKitFailurePoint(code);
    case ExitCodeKind::kBodyThrew:
      return "ipc::ChildProcess body threw (or its set-up before the body "
             "failed)";
    case ExitCodeKind::kExecCannotExecute:
      return "exec failed: cannot execute (126)";
    case ExitCodeKind::kExecNotFound:
      return "exec failed: not found (127)";
    case ExitCodeKind::kErrnoNotCarried:
      return "a call failed with an errno no exit code carries (0, or above " +
             std::to_string(kLargestErrnoInExit) + ")";
    case ExitCodeKind::kErrno:
      return "the call failed with " + ErrnoName(*ErrnoFromExit(code));
    case ExitCodeKind::kUnassigned:
      break;
  }
  return "code " + std::to_string(code) +
         " is in no range of the exit-code table (kit/child_exit.h)";
}

std::string DescribeChildExit(const ipc::WaitStatus& status) {
  std::string text = status.ToString();
  if (!status.exited()) return text;
  switch (ClassifyExitCode(status.exit_code())) {
    case ExitCodeKind::kSuccess:
    case ExitCodeKind::kTestFailurePoint:
      // The test numbers these itself; only it knows what 3 means.
      return text;
    default:
      return text + " (" + DescribeExitCode(status.exit_code()) + ")";
  }
}

::testing::AssertionResult ExitedWithZero(const ipc::WaitStatus& status) {
  if (status.ExitedWith(0)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "child " << DescribeChildExit(status);
}

std::optional<ipc::WaitStatus> ReapWithin(ipc::ChildProcess& child,
                                          std::chrono::milliseconds timeout) {
  if (!WaitUntilExited(child.pid(), timeout)) return std::nullopt;
  return child.Wait();
}

std::string DescribeUnfinishedChild(const ipc::ChildProcess& child) {
  const std::optional<TaskState> state =
      ReadTaskState(child.pid(), child.pid());
  const std::string who = "pid " + std::to_string(child.pid());
  if (!state) return who + " is gone from /proc";
  return who + " is still running: " + state->ToString();
}

::testing::AssertionResult ExitsWithWithin(ipc::ChildProcess& child, int code,
                                           std::chrono::milliseconds timeout) {
  if (const std::optional<ipc::WaitStatus> status =
          ReapWithin(child, timeout)) {
    if (status->ExitedWith(code)) return ::testing::AssertionSuccess();
    if (code == 0) return ExitedWithZero(*status);
    return ::testing::AssertionFailure()
           << "child " << DescribeChildExit(*status)
           << ", expected exit status " << code << " ("
           << DescribeExitCode(code) << ")";
  }
  const std::string state = DescribeUnfinishedChild(child);
  child.Kill();
  return ::testing::AssertionFailure()
         << "the child did not exit within " << DescribeScaledTimeout(timeout)
         << " and was killed; " << state;
}

::testing::AssertionResult ExitsWithZeroWithin(
    ipc::ChildProcess& child, std::chrono::milliseconds timeout) {
  return ExitsWithWithin(child, 0, timeout);
}

}  // namespace ipcproof

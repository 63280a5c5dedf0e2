#include "conformance/kit/child_exit.h"

#include "conformance/kit/matchers.h"

namespace ipcproof {

std::string DescribeChildExit(const ipc::WaitStatus& status) {
  std::string text = status.ToString();
  if (!status.exited() || status.exit_code() < kErrnoExitBase) return text;
  text += " (the call failed with " +
          ErrnoName(status.exit_code() - kErrnoExitBase);
  if (status.exit_code() == ipc::ChildProcess::kBodyThrew) {
    text += ", or the child's body threw / its set-up failed";
  }
  return text + ")";
}

::testing::AssertionResult ExitedWithZero(const ipc::WaitStatus& status) {
  if (status.ExitedWith(0)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "child " << DescribeChildExit(status);
}

}  // namespace ipcproof

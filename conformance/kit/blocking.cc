#include "conformance/kit/blocking.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "conformance/procfs/task.h"

namespace ipcproof {
namespace {

std::string Names(std::initializer_list<long> syscalls) {
  std::string text;
  for (long nr : syscalls) {
    if (!text.empty()) text += " or ";
    text += SyscallName(nr);
  }
  return text;
}

}  // namespace

bool PollUntil(std::chrono::milliseconds timeout,
               const std::function<bool()>& done) {
  const auto deadline =
      std::chrono::steady_clock::now() + ScaledTimeout(timeout);
  std::chrono::microseconds pause{20};
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds{2000});
  }
}

::testing::AssertionResult WaitUntilBlockedIn(
    pid_t pid, pid_t tid, std::initializer_list<long> syscalls,
    std::chrono::milliseconds timeout) {
  std::optional<TaskState> last;
  bool exited = false;
  const bool blocked = PollUntil(timeout, [&] {
    last = ReadTaskState(pid, tid);
    // A task that has exited never blocks again: stop now, not at the
    // deadline.
    if (!last || last->exited()) {
      exited = true;
      return true;
    }
    if (!last->sleeping() || !last->syscall) return false;
    for (long nr : syscalls) {
      if (*last->syscall == nr) return true;
    }
    return false;
  });
  const std::string who =
      tid == pid ? "pid " + std::to_string(pid)
                 : "pid " + std::to_string(pid) + " tid " + std::to_string(tid);
  if (exited) {
    auto failure = ::testing::AssertionFailure() << who;
    if (last) {
      failure << " exited (state " << last->state << ") before blocking in "
              << Names(syscalls);
    } else {
      failure << " is gone (exited and reaped, or never existed) before "
                 "blocking in "
              << Names(syscalls);
    }
    return failure;
  }
  if (blocked) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << who << " was not blocked in " << Names(syscalls) << " within "
         << DescribeScaledTimeout(timeout)
         << "; last seen: " << last->ToString();
}

::testing::AssertionResult WaitUntilExited(pid_t pid,
                                           std::chrono::milliseconds timeout) {
  std::optional<TaskState> last;
  const bool exited = PollUntil(timeout, [&] {
    last = ReadTaskState(pid, pid);
    return !last || last->exited();
  });
  if (exited) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "pid " << pid << " did not exit within "
         << DescribeScaledTimeout(timeout)
         << "; last seen: " << last->ToString();
}

::testing::AssertionResult WaitUntilStopped(pid_t pid,
                                            std::chrono::milliseconds timeout) {
  std::optional<TaskState> last;
  const bool settled = PollUntil(timeout, [&] {
    last = ReadTaskState(pid, pid);
    return !last || last->exited() || last->state == 'T';
  });
  if (!last || last->exited()) {
    return ::testing::AssertionFailure()
           << "pid " << pid << " exited before it was stopped";
  }
  if (settled) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "pid " << pid << " was not stopped within "
         << DescribeScaledTimeout(timeout)
         << "; last seen: " << last->ToString();
}

}  // namespace ipcproof

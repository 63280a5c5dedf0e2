#include "conformance/kit/blocking.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "conformance/procfs/task.h"

namespace ipcproof {
namespace {

// Polls `done` until it holds or `timeout` passes. Polling /proc is the
// point (the state cannot be waited for), so the pauses between polls only
// pace the loop; they never decide an outcome. They start tiny so a task
// that blocks at once is seen at once.
template <typename Probe>
bool PollUntil(std::chrono::milliseconds timeout, Probe done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause{20};
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds{2000});
  }
}

std::string Names(std::initializer_list<long> syscalls) {
  std::string text;
  for (long nr : syscalls) {
    if (!text.empty()) text += " or ";
    text += SyscallName(nr);
  }
  return text;
}

}  // namespace

::testing::AssertionResult WaitUntilBlockedIn(
    pid_t pid, pid_t tid, std::initializer_list<long> syscalls,
    std::chrono::milliseconds timeout) {
  std::optional<TaskState> last;
  const bool blocked = PollUntil(timeout, [&] {
    last = ReadTaskState(pid, tid);
    if (!last || !last->sleeping() || !last->syscall) return false;
    for (long nr : syscalls) {
      if (*last->syscall == nr) return true;
    }
    return false;
  });
  if (blocked) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << "pid " << pid << " tid " << tid << " was not blocked in "
          << Names(syscalls) << " within " << timeout.count() << " ms; ";
  if (last) {
    failure << "last seen: " << last->ToString();
  } else {
    failure << "the task no longer exists";
  }
  return failure;
}

::testing::AssertionResult WaitUntilExited(pid_t pid,
                                           std::chrono::milliseconds timeout) {
  std::optional<TaskState> last;
  const bool exited = PollUntil(timeout, [&] {
    last = ReadTaskState(pid, pid);
    return !last || last->state == 'Z' || last->state == 'X';
  });
  if (exited) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "pid " << pid << " did not exit within " << timeout.count()
         << " ms; last seen: " << last->ToString();
}

}  // namespace ipcproof

#include "conformance/harness/task_state.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace ipcproof {
namespace {

// Generated at build time from the kernel's asm/unistd_64.h, so the table is
// complete and never typed by hand.
const std::unordered_map<long, std::string_view>& SyscallNames() {
  static const auto* names = new std::unordered_map<long, std::string_view>{
#include "conformance/harness/syscall_names.inc"
  };
  return *names;
}

bool ReadSmallFile(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

std::string TaskDir(pid_t pid, pid_t tid) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
}

std::string Hex(unsigned long value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%lx", value);
  return text;
}

}  // namespace

std::string SyscallName(long number) {
  const auto& names = SyscallNames();
  const auto it = names.find(number);
  if (it != names.end()) return std::string(it->second);
  return "syscall_" + std::to_string(number);
}

pid_t CurrentTid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

std::optional<TaskState> ReadTaskState(pid_t pid, pid_t tid) {
  const std::string dir = TaskDir(pid, tid);
  std::string stat;
  if (!ReadSmallFile(dir + "/stat", stat)) return std::nullopt;
  TaskState task;
  task.pid = pid;
  task.tid = tid;
  // "tid (comm) S ...": comm may hold spaces and parentheses, so the state
  // is the field after the *last* ')'.
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos ||
      close + 2 >= stat.size()) {
    return std::nullopt;
  }
  task.comm = stat.substr(open + 1, close - open - 1);
  task.state = stat[close + 2];

  // "running", or "-1 sp pc" outside a syscall, or "nr a0..a5 sp pc".
  std::string syscall;
  if (ReadSmallFile(dir + "/syscall", syscall) &&
      syscall.rfind("running", 0) != 0) {
    std::istringstream fields(syscall);
    long number = 0;
    if (fields >> number) {
      task.syscall = number;
      for (unsigned long& arg : task.args) {
        std::string text;
        if (!(fields >> text)) break;
        arg = std::stoul(text, nullptr, 16);
      }
    }
  }
  ReadSmallFile(dir + "/wchan", task.wchan);
  return task;
}

std::string TaskState::ToString() const {
  std::string text = "pid " + std::to_string(pid) + " tid " +
                     std::to_string(tid) + " (" + comm + ") state " + state;
  if (!syscall) {
    text += ", running";
  } else if (*syscall < 0) {
    text += ", not in a system call";
  } else {
    text += ", in " + SyscallName(*syscall) + "(";
    for (size_t i = 0; i < 3; ++i) {
      if (i > 0) text += ", ";
      text += Hex(args[i]);
    }
    text += ", ...)";
  }
  if (!wchan.empty() && wchan != "0") text += " [wchan " + wchan + "]";
  return text;
}

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

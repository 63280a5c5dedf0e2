#include "conformance/procfs/task.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "conformance/procfs/files.h"

namespace ipcproof {
namespace {

// Generated at build time from the kernel's asm/unistd_64.h, so the table is
// complete and never typed by hand.
const std::unordered_map<long, std::string_view>& SyscallNames() {
  static const auto* names = new std::unordered_map<long, std::string_view>{
#include "conformance/procfs/syscall_names.inc"
  };
  return *names;
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
  if (std::optional<std::string> text = ReadFileIfPresent(dir + "/stat")) {
    stat = *std::move(text);
  } else {
    return std::nullopt;
  }
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
  if (std::optional<std::string> text = ReadFileIfPresent(dir + "/syscall")) {
    syscall = *std::move(text);
  }
  if (!syscall.empty() && syscall.rfind("running", 0) != 0) {
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
  task.wchan = ReadFileIfPresent(dir + "/wchan").value_or("");
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

}  // namespace ipcproof

#include "conformance/procfs/task.h"

#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

std::optional<TaskState> ReadTaskStat(pid_t pid, pid_t tid) {
  std::optional<std::string> text =
      ReadFileIfPresent(TaskDir(pid, tid) + "/stat");
  if (!text) return std::nullopt;
  const std::string& stat = *text;
  TaskState task;
  task.pid = pid;
  task.tid = tid;
  // "tid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so
  // the fields after it start after the *last* ')'.
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos ||
      close + 2 >= stat.size()) {
    return std::nullopt;
  }
  task.comm = stat.substr(open + 1, close - open - 1);
  char state = '?';
  int ppid = 0, pgrp = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) <
      1) {
    return std::nullopt;
  }
  task.state = state;
  task.ppid = ppid;
  task.pgrp = pgrp;
  return task;
}

std::optional<TaskState> ReadTaskState(pid_t pid, pid_t tid) {
  std::optional<TaskState> stat = ReadTaskStat(pid, tid);
  if (!stat) return std::nullopt;
  TaskState task = *std::move(stat);
  const std::string dir = TaskDir(pid, tid);

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

std::vector<pid_t> ListTaskIds(pid_t pid) {
  std::vector<pid_t> tids;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return tids;
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long tid = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0') {
      tids.push_back(static_cast<pid_t>(tid));
    }
  }
  ::closedir(dir);
  std::sort(tids.begin(), tids.end());
  return tids;
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

// Small readers the lifecycle tests (sigchld_test, kill_test,
// signal_delivery_test) share: the signal masks /proc/PID/status prints, and
// a way to tell an ipc::ChildProcess that the kernel or a raw waitid(2)
// already reaped its child.
#ifndef CONFORMANCE_SIGNAL_LIFECYCLE_H_
#define CONFORMANCE_SIGNAL_LIFECYCLE_H_

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "ipc/child_process.h"

namespace ipcproof {

// One of the hexadecimal masks of /proc/PID/status (proc(5): SigPnd,
// ShdPnd, SigBlk, SigIgn, SigCgt); nullopt when the process is gone or the
// line is missing.
inline std::optional<uint64_t> ProcStatusMask(pid_t pid,
                                              std::string_view field) {
  const std::optional<std::string> text =
      ReadFileIfPresent("/proc/" + std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    return std::stoull(line.substr(prefix.size()), nullptr, 16);
  }
  return std::nullopt;
}

// proc(5): bit N-1 of a mask stands for signal N.
inline bool MaskHas(uint64_t mask, int signal) {
  return (mask >> (signal - 1)) & 1;
}

// The scheduler state letter of process `pid` (R, S, T, Z, ...), nullopt
// once /proc/PID is gone.
inline std::optional<char> ProcessState(pid_t pid) {
  const std::optional<TaskState> task = ReadTaskStat(pid, pid);
  if (!task) return std::nullopt;
  return task->state;
}

// After a raw wait (waitid, wait4 with rusage) or the kernel's own reaping
// (SIGCHLD ignored), `child` must not kill or wait for the pid again: its
// TryWait sees ECHILD and forgets the pid (ipc/child_process.cc). Call it
// only once the pid is known to be reaped.
inline void ForgetReapedChild(ipc::ChildProcess& child) {
  if (child.reaped()) return;
  try {
    child.TryWait();
  } catch (const std::system_error&) {
  }
}

}  // namespace ipcproof

#endif  // CONFORMANCE_SIGNAL_LIFECYCLE_H_

// What /proc says a task (thread) is doing: its scheduler state, its parent
// and process group, the system call it sleeps in and its kernel wait
// channel. Read by the runner (to walk a test's process tree and say what a
// hung test was blocked in) and by the kit (to prove a task blocks).
#ifndef CONFORMANCE_PROCFS_TASK_H_
#define CONFORMANCE_PROCFS_TASK_H_

#include <sys/types.h>

#include <array>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof {

// What /proc says one task is doing.
struct TaskState {
  pid_t pid = 0;
  pid_t tid = 0;
  std::string comm;
  char state = '?';  // R running, S sleeping, D disk sleep, Z zombie, T/t...
  pid_t ppid = 0;    // the parent process
  pid_t pgrp = 0;    // the process group
  // The syscall the task is in; -1 when it is not in one (the file says -1),
  // nullopt when it is running (the file says "running").
  std::optional<long> syscall;
  std::array<unsigned long, 6> args{};
  std::string wchan;  // kernel function it sleeps in, "" or "0" if none

  bool sleeping() const { return state == 'S' || state == 'D'; }
  // Exited: a zombie not yet reaped (Z) or a task being torn down (X).
  bool exited() const { return state == 'Z' || state == 'X'; }
  // "pid 12 tid 12 (pipe_test) S in read(0x3, 0x7ffd..., 0x1) [pipe_read]"
  std::string ToString() const;
};

// Reads /proc/PID/task/TID/{stat,syscall,wchan}; nullopt if the task is gone.
std::optional<TaskState> ReadTaskState(pid_t pid, pid_t tid);

// Reads only /proc/PID/task/TID/stat (comm, state, ppid, pgrp), for scans of
// every process; `syscall` and `wchan` are left unknown (nullopt, "").
std::optional<TaskState> ReadTaskStat(pid_t pid, pid_t tid);

// The tasks (threads) of process `pid`, from /proc/PID/task, in ascending
// order; empty once the process is gone.
std::vector<pid_t> ListTaskIds(pid_t pid);

// The name of an x86-64 system call number ("read" for 0), or "syscall_N".
std::string SyscallName(long number);

// The calling thread's id (gettid).
pid_t CurrentTid();

}  // namespace ipcproof

#endif  // CONFORMANCE_PROCFS_TASK_H_

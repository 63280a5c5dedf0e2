// What /proc says a task (thread) is doing: its scheduler state, the system
// call it sleeps in and its kernel wait channel. Read by the runner (to say
// what a hung test was blocked in) and by the kit (to prove a task blocks).
#ifndef CONFORMANCE_PROCFS_TASK_H_
#define CONFORMANCE_PROCFS_TASK_H_

#include <sys/types.h>

#include <array>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace ipcproof {

// What /proc says one task is doing.
struct TaskState {
  pid_t pid = 0;
  pid_t tid = 0;
  std::string comm;
  char state = '?';  // R running, S sleeping, D disk sleep, Z zombie, T/t...
  // The syscall the task is in; -1 when it is not in one (the file says -1),
  // nullopt when it is running (the file says "running").
  std::optional<long> syscall;
  std::array<unsigned long, 6> args{};
  std::string wchan;  // kernel function it sleeps in, "" or "0" if none

  bool sleeping() const { return state == 'S' || state == 'D'; }
  // "pid 12 tid 12 (pipe_test) S in read(0x3, 0x7ffd..., 0x1) [pipe_read]"
  std::string ToString() const;
};

// Reads /proc/PID/task/TID/{stat,syscall,wchan}; nullopt if the task is gone.
std::optional<TaskState> ReadTaskState(pid_t pid, pid_t tid);

// The name of an x86-64 system call number ("read" for 0), or "syscall_N".
std::string SyscallName(long number);

// The calling thread's id (gettid).
pid_t CurrentTid();

}  // namespace ipcproof

#endif  // CONFORMANCE_PROCFS_TASK_H_

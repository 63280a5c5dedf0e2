// Proving that a process or thread is blocked, without sleeping.
//
// A test that needs "the reader is now blocked in read()" polls the task's
// /proc/PID/task/TID/stat (scheduler state) and /proc/PID/task/TID/syscall
// (the system call it is sleeping in) until both say so or a monotonic
// deadline passes. Only then does it act (write, signal, close), so the
// order of events is proven rather than hoped for.
#ifndef CONFORMANCE_HARNESS_TASK_STATE_H_
#define CONFORMANCE_HARNESS_TASK_STATE_H_

#include <sys/types.h>

#include <array>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

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

inline constexpr std::chrono::milliseconds kBlockedTimeout{10000};

// Succeeds once task `tid` of process `pid` sleeps inside one of the given
// system calls (numbers from <sys/syscall.h>, e.g. SYS_read). Fails with the
// task's last observed state when the deadline passes or the task exits.
::testing::AssertionResult WaitUntilBlockedIn(
    pid_t pid, pid_t tid, std::initializer_list<long> syscalls,
    std::chrono::milliseconds timeout = kBlockedTimeout);

// Same for a single-threaded process (tid == pid).
inline ::testing::AssertionResult WaitUntilBlockedIn(
    pid_t pid, long syscall,
    std::chrono::milliseconds timeout = kBlockedTimeout) {
  return WaitUntilBlockedIn(pid, pid, {syscall}, timeout);
}

// Succeeds once the task is a zombie or gone (it has exited but may not
// have been reaped yet), without reaping it.
::testing::AssertionResult WaitUntilExited(
    pid_t pid, std::chrono::milliseconds timeout = kBlockedTimeout);

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_TASK_STATE_H_

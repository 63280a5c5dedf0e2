// Proving that a process or thread is blocked, without sleeping.
//
// A test that needs "the reader is now blocked in read()" polls the task's
// /proc/PID/task/TID/stat (scheduler state) and /proc/PID/task/TID/syscall
// (the system call it is sleeping in) until both say so or a monotonic
// deadline passes. Only then does it act (write, signal, close), so the
// order of events is proven rather than hoped for.
#ifndef CONFORMANCE_KIT_BLOCKING_H_
#define CONFORMANCE_KIT_BLOCKING_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <initializer_list>

#include "conformance/kit/time_scale.h"
#include "conformance/procfs/task.h"
#include "gtest/gtest.h"

namespace ipcproof {

// Every timeout below is its value on a fast machine: the wait lasts
// ScaledTimeout(timeout), the run's time scale times longer
// (kit/time_scale.h), and a failure says both ("within 100 s (10 s × time
// scale 10)").

// Calls `done` until it returns true (then returns true) or `timeout`
// (scaled) passes (then false). For a state that /proc shows but nothing
// can wait for: the pauses between probes (20 us doubling to 2 ms, so a
// state that holds at once is seen at once) only pace the loop and never
// decide an outcome. Every Wait* below is built on it.
bool PollUntil(std::chrono::milliseconds timeout,
               const std::function<bool()>& done);

// The default bound of the kit's waits (at time scale 1): ample for a
// process to reach a call, or to exit, on a loaded machine.
inline constexpr std::chrono::milliseconds kBlockedTimeout{10000};

// Succeeds once task `tid` of process `pid` sleeps inside one of the given
// system calls (numbers from <sys/syscall.h>, e.g. SYS_read). Fails with the
// task's last observed state when the deadline passes, and at once (not at
// the deadline) when the task has exited: "pid 12 exited (state Z) before
// blocking in read", or "... is gone ..." once it has been reaped.
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

// Succeeds once process `pid` is stopped by a signal (state T: SIGSTOP,
// SIGTSTP, ...). Fails at once, not at the deadline, when it has exited
// (it never stops then), and with its last observed state when the deadline
// passes.
::testing::AssertionResult WaitUntilStopped(
    pid_t pid, std::chrono::milliseconds timeout = kBlockedTimeout);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_BLOCKING_H_

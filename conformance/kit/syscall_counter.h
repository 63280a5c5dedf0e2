// Counting the system calls a process makes between two points.
//
// /proc keeps no per-process syscall count (/proc/PID/syscall is one sample
// of the call a task is in now), so a test that must show "no system call
// happened between A and B" (shm.no-kernel-buffer: the reader sees the
// writer's bytes with no syscall in between) needs a tracer. The counter
// forks a child, follows it with ptrace (PTRACE_TRACEME in the child, then
// PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC and
// PTRACE_SYSCALL from the caller) and records the number of every system
// call the child enters between its two MARKS:
//
//   SyscallCount count = CountSyscallsBetweenMarks([&] {
//     SyscallCountStartMark();          // async-signal-safe work only
//     for (int i = 0; i < 3; ++i) ::syscall(SYS_getpid);
//     SyscallCountEndMark();
//     return 0;                         // the child's exit status
//   });
//   SKIP_UNLESS_SYSCALLS_COUNTED(count);   // EPERM from ptrace: a skip
//   ASSERT_TRUE(count.ok()) << count.error;
//   EXPECT_EQ(count.CountOf(SYS_getpid), 3u) << count.Describe();
//
// The mark: prctl(kSyscallCountMarkOption, kSyscallCountMarkMagic, phase,
// 0, 0), made with syscall(2). The option 0x69706370 ("ipcp") is no prctl
// option (Linux's are small numbers, or ASCII tags like PR_SET_PTRACER's
// "Yama"), so the kernel fails it with EINVAL at once; the tracer tells a
// mark from any real prctl by the option *and* the 64-bit magic in arg2.
// It is one raw system call: async-signal-safe, cheap, allocation-free. The
// marks themselves (their entry and their exit) are not counted; every
// system call entered after the start mark and before the end mark is, in
// order, the failed ones too.
//
// What it does not see: vDSO calls (clock_gettime, gettimeofday, time,
// getcpu on x86-64) make no system call while the clock source supports the
// vDSO, so they are (rightly) not counted; and only the child's own thread
// is followed: a body must not start threads or fork (the clone itself is
// counted, the new task's calls are not). A body that execs (ExecProgram)
// stays traced: an exec'd copy of this binary may make the end mark.
//
// Working with a peer: the counter only traces; the test arranges the
// rest. options.on_first_mark runs in the calling (tracing) process once
// the child has made the start mark and runs again, so the caller (or a
// process it wakes) acts while the child is between the marks, e.g. writes
// the shared memory the child is spinning on. The child waits for such a
// write by spinning on memory, with a bound of its own (an iteration
// count), since a syscall there would be counted.
//
// Bounded: the whole trace has one deadline (options.timeout, from fork to
// the child's exit) and at most options.max_syscalls calls between the
// marks; past either, or when the child never makes a mark, the child is
// killed and reaped and `error` says what happened and what /proc showed.
// The child is always reaped before the call returns. Should the tracer die
// first (a test killed by its watchdog), PTRACE_O_EXITKILL and the child's
// PR_SET_PDEATHSIG (set before PTRACE_TRACEME, for the moment before the
// options are set) kill it, and the supervisor, a subreaper, reaps it.
//
// Tracing in the calling thread: with PTRACE_TRACEME the tracer is the
// thread that forked, so the whole trace runs inside this call. The calling
// process must not be traced itself (under strace or gdb the child's
// PTRACE_TRACEME fails EPERM, reported as a refusal) and must not reap the
// child elsewhere (a SIGCHLD handler calling wait()).
#ifndef CONFORMANCE_KIT_SYSCALL_COUNTER_H_
#define CONFORMANCE_KIT_SYSCALL_COUNTER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/claims.h"
#include "ipc/child_process.h"

namespace ipcproof {

// The mark's prctl option and the magic in its second argument.
inline constexpr int kSyscallCountMarkOption = 0x69706370;  // "ipcp"
inline constexpr unsigned long kSyscallCountMarkMagic = 0x5ca11c0a7e0f1e1dUL;
// The mark's third argument: which mark it is.
inline constexpr unsigned long kSyscallCountStartPhase = 1;
inline constexpr unsigned long kSyscallCountEndPhase = 2;

// The marks, for the child's body. Async-signal-safe (one raw prctl). Each
// body makes the start mark once and then the end mark once; a second start
// mark, or an end mark before the start, is an error of the count.
void SyscallCountStartMark();
void SyscallCountEndMark();

struct SyscallCounterOptions {
  // The whole trace, from fork to the child's exit, at time scale 1 (the
  // trace may last ScaledTimeout(timeout), kit/time_scale.h).
  std::chrono::milliseconds timeout = kBlockedTimeout;
  // The most calls recorded between the marks; one more is an error (the
  // child is killed), so a body in a syscall loop cannot fill memory.
  std::size_t max_syscalls = 100000;
  // Called once in the calling process, with the child's pid, after the
  // child made the start mark and was let go again; the child may already
  // be making calls while it runs (they stay stopped until it returns).
  // Exceptions propagate after the child is killed and reaped.
  std::function<void(pid_t child)> on_first_mark;
};

struct SyscallCount {
  // "" when both marks were seen and the child exited; otherwise what went
  // wrong: "ptrace(PTRACE_TRACEME) failed in the child: EPERM (Operation
  // not permitted)", "the child was killed by signal 11 (Segmentation
  // fault) after the start mark, before the end mark", "the trace passed
  // its deadline of 10 s after the start mark, before the end mark:
  // pid 12 tid 12 (kit_test) state R ...".
  std::string error;
  // The error is a refusal to trace (ptrace denied by Yama's
  // ptrace_scope, a seccomp policy, or because this process is traced
  // itself): the test skips, unverified, with `error` as the reason.
  bool tracing_refused = false;
  // Whether each mark was reached.
  bool saw_start_mark = false;
  bool saw_end_mark = false;
  // The numbers (<sys/syscall.h>) of the calls entered between the marks,
  // in order. Meaningful in full only when ok(); on an error, the calls
  // seen up to it.
  std::vector<long> syscalls;
  // How the child ended (its body's return value is its exit code); nullopt
  // only when it could not be forked.
  std::optional<ipc::WaitStatus> exit_status;

  bool ok() const { return error.empty(); }
  // How many times call `number` was entered between the marks.
  std::size_t CountOf(long number) const;
  // The names of `syscalls` ("getpid", ...), from the kernel headers' table
  // (procfs SyscallName).
  std::vector<std::string> Names() const;
  // "3 system calls between the marks: getpid, getpid, getpid" (at most
  // the first 50 names), plus the error when there is one.
  std::string Describe() const;
};

// Forks a child that runs `child_body` under ptrace and returns the calls
// it made between its marks. `child_body` runs after fork: async-signal-
// safe work only; its return value is the child's exit status (an
// exception in it gives kExitBodyThrew, kit/child_exit.h). Throws
// std::system_error only when pipe2 or fork fails.
SyscallCount CountSyscallsBetweenMarks(
    const std::function<int()>& child_body,
    const SyscallCounterOptions& options = SyscallCounterOptions());

}  // namespace ipcproof

// In a test body: skips (SKIP_UNVERIFIED, with the refusal as the reason)
// when the system refused to trace the child; returns normally otherwise.
#define SKIP_UNLESS_SYSCALLS_COUNTED(count)                           \
  do {                                                                \
    if ((count).tracing_refused) {                                    \
      SKIP_UNVERIFIED("cannot count system calls: " + (count).error); \
    }                                                                 \
  } while (0)

#endif  // CONFORMANCE_KIT_SYSCALL_COUNTER_H_

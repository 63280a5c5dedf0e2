// The seams between the ipc/ wrappers and the kernel, and the rule that says
// which calls go through one.
//
// THE RULE. Every system call whose result a wrapper interprets goes through
// its mechanism's seam. A wrapper interprets a result when it does more than
// hand it back: it retries (EINTR), loops (a short read or write), turns an
// errno into a value (EAGAIN, ENOMSG or ETIMEDOUT into "nothing"), into an
// exception naming the call, or into a change of state (a failed unlink
// keeps ownership, ECHILD forgets a pid). Each of those branches is the
// wrapper's own logic, and the kernel produces most of them only in races no
// test can order (a signal landing inside the call, a write cut short). A
// GoogleMock test installed on the seam makes the call answer exactly that,
// and checks the branch (conformance/unit/). In practice this is every call
// the library makes, with two exceptions, which call libc directly:
//   - calls that cannot fail with what the wrapper passes and whose result
//     is only a value: clock_gettime(CLOCK_REALTIME) in
//     RealtimeDeadlineFromNow, clock_gettime(CLOCK_MONOTONIC) in
//     MonotonicDeadlineFromNow (posix_semaphore.cc), getpid() in
//     ChildProcess::Fork, getpid() and getuid() in QueueSignal (the
//     sender's identity it writes into the siginfo, signalfd.cc),
//     steady_clock::now() in PollInWithin (signal_syscalls.cc) and
//     TcpSocket::ReceiveExactWithin (tcp_socket.cc);
//   - calls a freshly forked child makes before its body runs (prctl,
//     getppid, setpgid, _exit in ChildProcess::Fork): they must be
//     async-signal-safe and direct, and a mocked fork never reaches them (it
//     returns a parent's pid: 0 would run the child's path in the test
//     process itself).
//
// ONE SEAM PER MECHANISM, each a small interface holding that mechanism's
// calls with libc's signatures and convention (-1, or (mqd_t)-1, with errno
// set on failure), declared beside its wrapper and built into the wrapper's
// Bazel target:
//   FdSyscalls       ipc/fd_syscalls.h        read write close pipe2 fcntl
//                                             ioctl open mkfifo unlink
//   ProcessSyscalls  ipc/process_syscalls.h   fork waitpid kill
//   SysvMsgSyscalls  ipc/sysv_msg_syscalls.h  msgget msgsnd msgrcv msgctl
//   PosixMqSyscalls  ipc/posix_mq_syscalls.h  mq_open mq_close mq_unlink
//                                             mq_getattr mq_setattr mq_send
//                                             mq_timedsend mq_receive
//                                             mq_timedreceive mq_notify
//   ShmSyscalls      ipc/shm_syscalls.h       shmget shmat shmdt shmctl
//                                             shm_open shm_unlink
//                                             memfd_create ftruncate mmap
//                                             munmap
//   SemSyscalls      ipc/sem_syscalls.h       semget semop semtimedop semctl
//                                             sem_init sem_destroy sem_open
//                                             sem_close sem_unlink sem_wait
//                                             sem_trywait sem_timedwait
//                                             sem_clockwait sem_post
//                                             sem_getvalue
//   SignalSyscalls   ipc/signal_syscalls.h    signalfd4 rt_sigqueueinfo
//                                             pidfd_open pidfd_send_signal
//                                             pidfd_getfd waitid poll
//   TerminalSyscalls ipc/terminal_syscalls.h  posix_openpt grantpt unlockpt
//                                             ptsname_r setsid tcsetpgrp
//                                             tcgetpgrp tcgetattr tcsetattr
//                                             dup2 (open, close, fcntl and
//                                             ioctl TIOCSCTTY via FdSyscalls)
//   SocketSyscalls   ipc/socket_syscalls.h    socket socketpair bind listen
//                                             accept4 connect sendmsg recvmsg
//                                             getsockopt setsockopt shutdown
//                                             getsockname getpeername
//                                             (close via FdSyscalls, poll
//                                             via SignalSyscalls)
//   ZeroCopySyscalls ipc/zero_copy_syscalls.h sendfile splice tee vmsplice
// A new mechanism (shared memory, semaphores, signals, sockets) adds its own
// <mechanism>_syscalls.h the same way; a call it shares with another
// (read(2) on a socket, close(2) of any descriptor) uses the seam that
// already has it, never a second copy. Per mechanism rather than one seam of
// everything because a test then mocks only the calls of the wrapper under
// test, a new mechanism changes no existing fake, and a program that links
// only pipes does not link the queue calls.
//
// COST: one load and one indirect call in front of each system call, about
// a nanosecond: noise next to the kernel entry and exit around it (hundreds
// of nanoseconds). conformance/bench/wrapper_cost_bench measures raw calls,
// calls through a seam and the wrappers side by side.
//
// Each seam `Calls` derives from Seam<Calls>, which gives it:
//   Calls::Kernel()         the implementation that makes the real calls;
//   Calls::Current()        what the wrappers call: Kernel() unless a test
//                           installed a replacement;
//   Calls::ScopedOverride   installs a replacement for its own lifetime and
//                           then restores whatever was there, so overrides
//                           nest. For tests only: not thread-safe against
//                           wrappers running at the same time on other
//                           threads.
#ifndef IPC_SYSCALLS_H_
#define IPC_SYSCALLS_H_

#include <utility>

namespace ipc {

template <typename Calls>
class Seam {
 public:
  static Calls& Kernel();
  static Calls& Current() { return *current_; }

  class ScopedOverride {
   public:
    explicit ScopedOverride(Calls& replacement)
        : previous_(std::exchange(current_, &replacement)) {}
    ~ScopedOverride() { current_ = previous_; }
    ScopedOverride(const ScopedOverride&) = delete;
    ScopedOverride& operator=(const ScopedOverride&) = delete;

   private:
    Calls* previous_;
  };

 protected:
  Seam() = default;
  ~Seam() = default;  // Calls declares the public virtual destructor.

 private:
  // One per seam, defined (constant-initialised to the kernel, so wrappers
  // used from static constructors work) in the seam's .cc. Each seam's
  // header declares the two specialisations after its interface:
  //   template <> Calls& Seam<Calls>::Kernel();
  //   template <> Calls* Seam<Calls>::current_;
  static Calls* current_;
};

}  // namespace ipc

#endif  // IPC_SYSCALLS_H_

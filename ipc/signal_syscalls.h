// The seam of the signal and process-handle calls (rule: ipc/syscalls.h):
// signalfd, queueing a signal with a payload, pidfds and waitid, with libc's
// signatures and convention (-1 with errno set). The calls glibc 2.36 does
// not wrap on every supported system (rt_sigqueueinfo, the pidfd calls) are
// made with syscall(2), so a kernel that lacks one answers ENOSYS to the
// caller instead of failing the link.
#ifndef IPC_SIGNAL_SYSCALLS_H_
#define IPC_SIGNAL_SYSCALLS_H_

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>

#include "ipc/syscalls.h"

namespace ipc {

class SignalSyscalls : public Seam<SignalSyscalls> {
 public:
  virtual ~SignalSyscalls() = default;

  // signalfd(2) (glibc's signalfd, which is signalfd4 with the kernel's
  // sigset size): `fd` -1 makes a new descriptor, else replaces the mask of
  // the signalfd `fd`.
  virtual int Signalfd(int fd, const sigset_t* mask, int flags) = 0;
  // rt_sigqueueinfo(2): sends `sig` with the caller-built `info` to the
  // thread group `tgid`. What sigqueue(3) calls.
  virtual int RtSigqueueinfo(pid_t tgid, int sig, siginfo_t* info) = 0;
  // pidfd_open(2), Linux 5.3.
  virtual int PidfdOpen(pid_t pid, unsigned flags) = 0;
  // pidfd_send_signal(2), Linux 5.1; `info` may be null.
  virtual int PidfdSendSignal(int pidfd, int sig, siginfo_t* info,
                              unsigned flags) = 0;
  // pidfd_getfd(2), Linux 5.6: a duplicate of `target_fd` of the process
  // `pidfd` refers to (needs PTRACE_MODE_ATTACH_REALCREDS on it).
  virtual int PidfdGetfd(int pidfd, int target_fd, unsigned flags) = 0;
  // waitid(2); P_PIDFD as `idtype` since Linux 5.4 (older kernels answer
  // EINVAL, not ENOSYS: the system call exists, the idtype does not).
  virtual int Waitid(idtype_t idtype, id_t id, siginfo_t* info,
                     int options) = 0;
  // poll(2). No seam had it yet; it lives here because a pidfd's readiness
  // ("the process exited") and a signalfd's are what the library polls.
  virtual int Poll(pollfd* fds, nfds_t nfds, int timeout_ms) = 0;
};

// poll(2) for POLLIN on `fd` through the seam for up to `timeout` (a
// negative one counts as 0), the helper both signalfd and pidfd waits use:
// returns 0 with `*revents` set (0 when the timeout passed first), or the
// errno of a failed poll. EINTR (a handler ran) polls again for the time
// left on the monotonic clock, so a SIGCHLD arriving while a test waits for
// that child's pidfd does not end the wait early; the loop ends because the
// deadline does.
int PollInWithin(int fd, std::chrono::milliseconds timeout, short* revents);

template <>
SignalSyscalls& Seam<SignalSyscalls>::Kernel();
template <>
SignalSyscalls* Seam<SignalSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_SIGNAL_SYSCALLS_H_

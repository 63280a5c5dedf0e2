// A process handle (pidfd_open(2)): a descriptor that refers to one process
// for as long as it is open, so a signal sent through it cannot reach a
// process that was given the same pid after the first one was reaped
// (pidfd_send_signal(2): ESRCH instead), and poll(2) on it reports the
// process's exit (POLLIN).
//
// The calls are younger than some kernels a suite meets: pidfd_send_signal
// 5.1, pidfd_open 5.3, waitid(P_PIDFD) 5.4, pidfd_getfd 5.6, PIDFD_NONBLOCK
// 5.10. Every operation therefore has an errno form that returns ENOSYS (or,
// for waitid, EINVAL) as a value, so a test can mark its row unverified with
// the reason instead of failing; the throwing forms throw std::system_error
// naming the call, the pid and the errno.
//
// Not for a forked child: the throwing forms allocate. The Errno forms of
// SendSignal and Wait allocate nothing (with valid arguments) and may be
// called there.
#ifndef IPC_PIDFD_H_
#define IPC_PIDFD_H_

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <utility>

#include "ipc/unique_fd.h"

namespace ipc {

class Pidfd {
 public:
  // What TryOpen found: a Pidfd, or the errno of pidfd_open.
  struct OpenResult;

  // pidfd_open(pid, flags). `pid` must be > 0 (else std::invalid_argument
  // before any call); `flags` (0, PIDFD_NONBLOCK, PIDFD_THREAD) go to the
  // kernel as given, so its EINVAL for an unknown flag stays visible.
  // Throws std::system_error naming pidfd_open(pid=N) on failure (ESRCH: no
  // such process; ENOSYS: kernel before 5.3).
  static Pidfd Open(pid_t pid, unsigned flags = 0);
  // The same, with the errno as a value (ENOSYS before 5.3, ESRCH, EINVAL,
  // EMFILE) instead of an exception. Argument errors still throw.
  static OpenResult TryOpen(pid_t pid, unsigned flags = 0);

  Pidfd() = default;  // owns nothing
  Pidfd(Pidfd&&) noexcept = default;
  Pidfd& operator=(Pidfd&&) noexcept = default;
  Pidfd(const Pidfd&) = delete;
  Pidfd& operator=(const Pidfd&) = delete;
  ~Pidfd() = default;  // closes the descriptor (UniqueFd)

  // -1 once moved from or closed.
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  // The pid the handle was opened for (the process's pid in the caller's
  // namespace at that time); kept for messages and tests, never reused for
  // a call.
  pid_t pid() const { return pid_; }

  // pidfd_send_signal(fd(), signal, info, 0). `signal` in 0..SIGRTMAX (0
  // sends nothing and checks existence and permission, as kill(2)); else
  // std::invalid_argument. `info` null means "as kill(2)" (SI_USER); else
  // it must name `signal` in si_signo, and the kernel refuses a forged
  // si_code for another process (EPERM). Throws on failure: ESRCH once the
  // process has been reaped, even if its pid was given to a new process
  // since (a zombie, as with kill(2), still accepts the call).
  void SendSignal(int signal, siginfo_t* info = nullptr);
  // The same, returning 0 or the errno (ESRCH, EPERM, EINVAL, ENOSYS).
  int SendSignalErrno(int signal, siginfo_t* info = nullptr);

  // poll(2) for POLLIN, which a pidfd reports once the process has exited
  // (a zombie counts; pidfd_open(2)). True when it did within `timeout`,
  // false when the timeout passed first. A signal handler interrupting the
  // poll (SIGCHLD from that very exit, typically) does not end the wait:
  // it polls again for the time left. Throws on any other failure, and on
  // POLLNVAL or POLLERR.
  bool WaitReadable(std::chrono::milliseconds timeout);

  // waitid(P_PIDFD, fd(), &info, options) (Linux 5.4): `options` as for
  // waitid(2) (WEXITED, WSTOPPED, WCONTINUED, with WNOHANG, WNOWAIT). The
  // child's siginfo (si_pid, si_code CLD_*, si_status); std::nullopt with
  // WNOHANG when the child has not changed state (the kernel then leaves
  // si_pid 0). Throws std::system_error naming waitid(P_PIDFD, pid=N) on
  // failure: ECHILD (not our child, or already reaped), EINTR (a handler
  // without SA_RESTART), EINVAL (no P_PIDFD before 5.4, or bad options).
  std::optional<siginfo_t> Wait(int options = WEXITED);
  // The same, returning 0 or the errno and the siginfo in `*info` (zeroed
  // first, so si_pid 0 after WNOHANG means "no change").
  int WaitErrno(int options, siginfo_t* info);

  // pidfd_getfd(fd(), target_fd, 0) (Linux 5.6): a duplicate, with
  // FD_CLOEXEC, of descriptor `target_fd` of the process; it shares the
  // open file description. Throws on failure (EBADF: no such descriptor
  // there; EPERM: ptrace access refused; ENOSYS).
  UniqueFd GetFd(int target_fd);
  // The same, returning the descriptor (caller owns it) or -errno.
  int GetFdOrNegativeErrno(int target_fd);

  // Closes the descriptor now.
  void Close() { fd_.Reset(); }
  // Gives up ownership without closing; returns the descriptor.
  int Release() { return fd_.Release(); }

 private:
  Pidfd(UniqueFd fd, pid_t pid) : fd_(std::move(fd)), pid_(pid) {}

  UniqueFd fd_;
  pid_t pid_ = 0;
};

struct Pidfd::OpenResult {
  Pidfd pidfd;    // valid() exactly when error == 0
  int error = 0;  // 0, or pidfd_open's errno
  bool ok() const { return error == 0; }
};

}  // namespace ipc

#endif  // IPC_PIDFD_H_

#include "ipc/pidfd.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <cstring>
#include <string>

#include "ipc/error.h"
#include "ipc/signal_syscalls.h"
#include "ipc/signalfd.h"  // CheckSignalNumber

namespace ipc {
namespace {

void CheckPid(pid_t pid, const char* where) {
  // pidfd_open(2): EINVAL "pid is not valid"; the kernel refuses pid <= 0
  // (no "myself" or process-group forms).
  CheckArgument(pid > 0, where, "pid must be > 0");
}

}  // namespace

#define IPC_CHECK_LIVE(where)                \
  CheckArgument(fd_.valid(), where,          \
                "the pidfd was moved from, " \
                "closed or released")

Pidfd Pidfd::Open(pid_t pid, unsigned flags) {
  OpenResult result = TryOpen(pid, flags);
  if (!result.ok()) {
    ThrowSystemError(result.error, "pidfd_open(pid=" + std::to_string(pid) +
                                       ", flags=" + std::to_string(flags) +
                                       ")");
  }
  return std::move(result.pidfd);
}

Pidfd::OpenResult Pidfd::TryOpen(pid_t pid, unsigned flags) {
  CheckPid(pid, "Pidfd::Open");
  const int fd = SignalSyscalls::Current().PidfdOpen(pid, flags);
  if (fd < 0) return OpenResult{Pidfd(), errno};
  return OpenResult{Pidfd(UniqueFd(fd), pid), 0};
}

int Pidfd::SendSignalErrno(int signal, siginfo_t* info) {
  IPC_CHECK_LIVE("Pidfd::SendSignal");
  CheckSignalNumber(signal, "Pidfd::SendSignal");
  return SignalSyscalls::Current().PidfdSendSignal(fd_.get(), signal, info,
                                                   0) == 0
             ? 0
             : errno;
}

void Pidfd::SendSignal(int signal, siginfo_t* info) {
  const int err = SendSignalErrno(signal, info);
  if (err != 0) {
    ThrowSystemError(err, "pidfd_send_signal(pid=" + std::to_string(pid_) +
                              ", " + SignalName(signal) + ")");
  }
}

bool Pidfd::WaitReadable(std::chrono::milliseconds timeout) {
  IPC_CHECK_LIVE("Pidfd::WaitReadable");
  short revents = 0;
  const int err = PollInWithin(fd_.get(), timeout, &revents);
  const auto call = [this] {
    return "poll(pidfd of pid=" + std::to_string(pid_) + ")";
  };
  if (err != 0) ThrowSystemError(err, call());
  if (revents == 0) return false;
  if (revents & POLLNVAL) ThrowSystemError(EBADF, call());
  // A pidfd reports POLLIN once the process exited, with POLLHUP too once
  // it was reaped; nothing else is documented.
  if (!(revents & POLLIN)) {
    ThrowSystemError(EIO, call() + " reported revents=" +
                              std::to_string(revents) + " without POLLIN");
  }
  return true;
}

int Pidfd::WaitErrno(int options, siginfo_t* info) {
  IPC_CHECK_LIVE("Pidfd::Wait");
  CheckArgument(info != nullptr, "Pidfd::WaitErrno", "info is null");
  // Zeroed first: waitid(2) with WNOHANG and no change leaves si_pid 0
  // only if it was 0 ("zero out the si_pid field before the call").
  std::memset(info, 0, sizeof *info);
  return SignalSyscalls::Current().Waitid(P_PIDFD, static_cast<id_t>(fd_.get()),
                                          info, options) == 0
             ? 0
             : errno;
}

std::optional<siginfo_t> Pidfd::Wait(int options) {
  siginfo_t info;
  const int err = WaitErrno(options, &info);
  if (err != 0) {
    ThrowSystemError(err, "waitid(P_PIDFD, pid=" + std::to_string(pid_) +
                              ", options=" + std::to_string(options) + ")");
  }
  if ((options & WNOHANG) && info.si_pid == 0) return std::nullopt;
  return info;
}

int Pidfd::GetFdOrNegativeErrno(int target_fd) {
  IPC_CHECK_LIVE("Pidfd::GetFd");
  CheckArgument(target_fd >= 0, "Pidfd::GetFd", "target_fd must be >= 0");
  const int fd = SignalSyscalls::Current().PidfdGetfd(fd_.get(), target_fd, 0);
  return fd >= 0 ? fd : -errno;
}

UniqueFd Pidfd::GetFd(int target_fd) {
  const int fd = GetFdOrNegativeErrno(target_fd);
  if (fd < 0) {
    ThrowSystemError(-fd, "pidfd_getfd(pid=" + std::to_string(pid_) +
                              ", fd=" + std::to_string(target_fd) + ")");
  }
  return UniqueFd(fd);
}

#undef IPC_CHECK_LIVE

}  // namespace ipc

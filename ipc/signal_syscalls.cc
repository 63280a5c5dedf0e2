#include "ipc/signal_syscalls.h"

#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace ipc {
namespace {

class KernelSignalSyscalls final : public SignalSyscalls {
 public:
  int Signalfd(int fd, const sigset_t* mask, int flags) override {
    return ::signalfd(fd, mask, flags);
  }
  int RtSigqueueinfo(pid_t tgid, int sig, siginfo_t* info) override {
    return static_cast<int>(::syscall(SYS_rt_sigqueueinfo, tgid, sig, info));
  }
  int PidfdOpen(pid_t pid, unsigned flags) override {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
  }
  int PidfdSendSignal(int pidfd, int sig, siginfo_t* info,
                      unsigned flags) override {
    return static_cast<int>(
        ::syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags));
  }
  int PidfdGetfd(int pidfd, int target_fd, unsigned flags) override {
    return static_cast<int>(
        ::syscall(SYS_pidfd_getfd, pidfd, target_fd, flags));
  }
  int Waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) override {
    return ::waitid(idtype, id, info, options);
  }
  int Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override {
    return ::poll(fds, nfds, timeout_ms);
  }
};

constinit KernelSignalSyscalls kernel;

}  // namespace

template <>
SignalSyscalls& Seam<SignalSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit SignalSyscalls* Seam<SignalSyscalls>::current_ = &kernel;

}  // namespace ipc

namespace ipc {

int PollInWithin(int fd, std::chrono::milliseconds timeout, short* revents) {
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC
  if (timeout.count() < 0) timeout = std::chrono::milliseconds(0);
  const Clock::time_point deadline = Clock::now() + timeout;
  *revents = 0;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd entry{fd, POLLIN, 0};
    const int ready = SignalSyscalls::Current().Poll(
        &entry, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (ready >= 0) {
      *revents = ready > 0 ? entry.revents : 0;
      return 0;
    }
    const int err = errno;
    if (err != EINTR) return err;
    // Interrupted by a handler: poll again for what is left. Interrupted
    // once the deadline has passed: that is a timeout (a loop that only
    // ends when the deadline does).
    if (left.count() <= 0) return 0;
  }
}

}  // namespace ipc

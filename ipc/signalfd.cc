#include "ipc/signalfd.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"
#include "ipc/signal_syscalls.h"

namespace ipc {
namespace {

constexpr ssize_t kRecord = sizeof(signalfd_siginfo);

std::string FlagNames(int flags) {
  std::string names;
  if (flags & SFD_CLOEXEC) names += "SFD_CLOEXEC";
  if (flags & SFD_NONBLOCK)
    names += names.empty() ? "SFD_NONBLOCK" : "|SFD_NONBLOCK";
  return names.empty() ? "0" : names;
}

std::string Call(const char* call, int fd) {
  return std::string(call) + "(signalfd=" + std::to_string(fd) + ")";
}

// Checks the arguments of QueueSignal* (see signalfd.h).
void CheckQueueArguments(pid_t pid, int signal, const char* where) {
  CheckArgument(pid > 0, where,
                "pid must be > 0 (sigqueue(3) addresses one process)");
  CheckSignalNumber(signal, where);
}

// rt_sigqueueinfo as glibc's sigqueue(3) makes it. getpid() and getuid()
// cannot fail and return only a value: direct calls (ipc/syscalls.h, THE
// RULE's first exception).
int Queue(pid_t pid, int signal, sigval value) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_signo = signal;
  info.si_code = SI_QUEUE;
  info.si_pid = ::getpid();
  info.si_uid = ::getuid();
  info.si_value = value;
  return SignalSyscalls::Current().RtSigqueueinfo(pid, signal, &info) == 0
             ? 0
             : errno;
}

void QueueOrThrow(pid_t pid, int signal, sigval value) {
  const int err = Queue(pid, signal, value);
  if (err != 0) {
    ThrowSystemError(err, "rt_sigqueueinfo(pid=" + std::to_string(pid) + ", " +
                              SignalName(signal) + ", SI_QUEUE)");
  }
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbreviation = signal > 0 ? ::sigabbrev_np(signal) : nullptr;
  if (abbreviation != nullptr) return std::string("SIG") + abbreviation;
  return "signal " + std::to_string(signal);
}

void CheckSignalNumber(int signal, const char* where) {
  // SIGRTMAX is a glibc function (the kernel's _NSIG - 1 = 64 on x86-64),
  // not a system call.
  // The message is built only on failure: the Errno forms promise no
  // allocation with valid arguments.
  if (signal < 0 || signal > SIGRTMAX) {
    ThrowInvalidArgument(where, "signal must lie in 0..SIGRTMAX (" +
                                    std::to_string(SIGRTMAX) + "), got " +
                                    std::to_string(signal));
  }
}

// ----------------------------------------------------------------- Signalfd

Signalfd Signalfd::Create(const sigset_t& mask, int flags) {
  CheckArgument((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) == 0,
                "Signalfd::Create",
                "flags may hold only SFD_CLOEXEC and SFD_NONBLOCK");
  const int fd = SignalSyscalls::Current().Signalfd(-1, &mask, flags);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "signalfd(-1, " + FlagNames(flags) + ")");
  }
  return Signalfd(UniqueFd(fd), flags);
}

int Signalfd::ReadErrno(signalfd_siginfo* out) {
  CheckArgument(fd_.valid(), "Signalfd::ReadErrno",
                "the signalfd was moved from, closed or released");
  const ssize_t n = FdSyscalls::Current().Read(fd_.get(), out, sizeof *out);
  if (n < 0) return errno;
  // signalfd(2) hands out whole records only; anything else is a kernel
  // (or seam) fault, reported rather than taken for a signal.
  return n == kRecord ? 0 : EIO;
}

std::optional<signalfd_siginfo> Signalfd::Read() {
  CheckArgument(fd_.valid(), "Signalfd::Read",
                "the signalfd was moved from, closed or released");
  signalfd_siginfo record;
  const ssize_t n =
      FdSyscalls::Current().Read(fd_.get(), &record, sizeof record);
  if (n < 0) {
    const int err = errno;
    // EAGAIN: SFD_NONBLOCK and no signal of the mask pending (signalfd(2)).
    if (err == EAGAIN) return std::nullopt;
    ThrowSystemError(err, Call("read", fd_.get()));
  }
  if (n != kRecord) {
    ThrowSystemError(EIO, Call("read", fd_.get()) + " returned " +
                              std::to_string(n) + " of " +
                              std::to_string(kRecord) + " bytes");
  }
  return record;
}

std::optional<signalfd_siginfo> Signalfd::ReadWithin(
    std::chrono::milliseconds timeout) {
  CheckArgument(fd_.valid(), "Signalfd::ReadWithin",
                "the signalfd was moved from, closed or released");
  short revents = 0;
  const int err = PollInWithin(fd_.get(), timeout, &revents);
  if (err != 0) ThrowSystemError(err, Call("poll", fd_.get()));
  if (revents == 0) return std::nullopt;
  if (revents & POLLNVAL) ThrowSystemError(EBADF, Call("poll", fd_.get()));
  if (!(revents & POLLIN)) {
    ThrowSystemError(EIO, Call("poll", fd_.get()) + " reported revents=" +
                              std::to_string(revents) + " without POLLIN");
  }
  return Read();
}

void Signalfd::SetMask(const sigset_t& mask) {
  CheckArgument(fd_.valid(), "Signalfd::SetMask",
                "the signalfd was moved from, closed or released");
  if (SignalSyscalls::Current().Signalfd(fd_.get(), &mask, 0) < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("signalfd", fd_.get()) + " replacing the mask");
  }
}

// -------------------------------------------------------------- QueueSignal

void QueueSignal(pid_t pid, int signal, int value) {
  CheckQueueArguments(pid, signal, "QueueSignal");
  sigval payload{};
  payload.sival_int = value;
  QueueOrThrow(pid, signal, payload);
}

void QueueSignal(pid_t pid, int signal, void* pointer) {
  CheckQueueArguments(pid, signal, "QueueSignal");
  sigval payload{};
  payload.sival_ptr = pointer;
  QueueOrThrow(pid, signal, payload);
}

int QueueSignalErrno(pid_t pid, int signal, int value) {
  CheckQueueArguments(pid, signal, "QueueSignalErrno");
  sigval payload{};
  payload.sival_int = value;
  return Queue(pid, signal, payload);
}

int QueueSignalErrno(pid_t pid, int signal, void* pointer) {
  CheckQueueArguments(pid, signal, "QueueSignalErrno");
  sigval payload{};
  payload.sival_ptr = pointer;
  return Queue(pid, signal, payload);
}

}  // namespace ipc

// Signals read from a descriptor (signalfd(2)), and signals sent with a
// payload (sigqueue(3)).
//
// A signalfd only sees a signal that stays pending: "the set of signals to
// be received via the file descriptor should be blocked using
// sigprocmask(2), to prevent the signals being handled according to their
// default dispositions" (signalfd(2)). The caller blocks them first (in a
// test: ScopedSignalBlock, conformance/kit/signals.h); Create does not, so
// the wrapper never changes the process's mask behind the caller's back.
//
// Reading dequeues the signal exactly as sigwaitinfo would: a standard
// signal pending twice is read once (it was only pending once), real-time
// signals are read one siginfo per instance, lowest number first.
#ifndef IPC_SIGNALFD_H_
#define IPC_SIGNALFD_H_

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "ipc/unique_fd.h"

namespace ipc {

class Signalfd {
 public:
  // signalfd(-1, &mask, flags). `flags` may hold only SFD_CLOEXEC and
  // SFD_NONBLOCK (else std::invalid_argument before any call). SIGKILL and
  // SIGSTOP in the mask are silently ignored by the kernel (signalfd(2)).
  // Throws std::system_error naming signalfd on failure (EMFILE, ENOMEM).
  static Signalfd Create(const sigset_t& mask, int flags = SFD_CLOEXEC);

  Signalfd() = default;  // owns nothing
  Signalfd(Signalfd&&) noexcept = default;
  Signalfd& operator=(Signalfd&&) noexcept = default;
  Signalfd(const Signalfd&) = delete;
  Signalfd& operator=(const Signalfd&) = delete;
  ~Signalfd() = default;  // closes the descriptor (UniqueFd)

  // -1 once moved from or closed.
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  int flags() const { return flags_; }

  // Reads one signalfd_siginfo (dequeuing one pending signal of the mask).
  // Blocks while none is pending, unless made with SFD_NONBLOCK: then
  // std::nullopt means EAGAIN (nothing pending). Throws std::system_error
  // naming the read on any other failure, EINTR included (a handler ran
  // during a blocking read; nothing is retried), and when the kernel
  // returns anything but one whole record.
  std::optional<signalfd_siginfo> Read();
  // The same as 0 or the errno (EAGAIN, EINTR, ...), the record in `*out`.
  // No allocation on any path: usable where Read's exceptions are not.
  int ReadErrno(signalfd_siginfo* out);
  // Waits up to `timeout` for the descriptor to become readable (poll(2)
  // POLLIN; EINTR polls again for what is left of the timeout), then reads
  // one record. std::nullopt: nothing arrived in time (or, with
  // SFD_NONBLOCK, another reader took it first). Use this where arrival is
  // what a test checks: a kernel that never delivers fails the check
  // instead of hanging. After POLLIN a blocking read blocks only if another
  // thread of the process dequeued the signal in between.
  std::optional<signalfd_siginfo> ReadWithin(std::chrono::milliseconds timeout);

  // signalfd(fd(), &mask, 0): replaces the set of signals the descriptor
  // reads ("If fd is not -1 ... replace the set of signals", signalfd(2)).
  void SetMask(const sigset_t& mask);

  // Closes the descriptor now.
  void Close() { fd_.Reset(); }
  // Gives up ownership without closing; returns the descriptor.
  int Release() { return fd_.Release(); }

 private:
  Signalfd(UniqueFd fd, int flags) : fd_(std::move(fd)), flags_(flags) {}

  UniqueFd fd_;
  int flags_ = 0;
};

// sigqueue(3): sends `signal` with the payload `value` (si_value.sival_int)
// or `pointer` (si_value.sival_ptr) to the process `pid`, as si_code
// SI_QUEUE. Made with rt_sigqueueinfo(2) through the seam (what glibc's
// sigqueue does): the wrapper fills si_signo, si_code = SI_QUEUE, si_pid =
// getpid(), si_uid = getuid() and si_value, so a test can check what the
// kernel carried to the receiver (the kernel takes the siginfo as given; it
// only refuses a si_code a process may not forge: EPERM).
//
// Arguments: `pid` must be > 0 (sigqueue addresses one process: there is no
// process-group form as in kill(2)); `signal` must lie in 0..SIGRTMAX, and 0
// sends nothing but still checks that the process exists and may be
// signalled (ESRCH, EPERM), as kill(2) and sigqueue(3) define it. Otherwise
// std::invalid_argument before any call.
//
// The throwing forms throw std::system_error naming rt_sigqueueinfo, the pid
// and the signal (EAGAIN: the receiver's queue of real-time signals is at
// RLIMIT_SIGPENDING; ESRCH; EPERM). The Errno forms return 0 or the errno
// and, with valid arguments, allocate nothing and throw nothing: a forked
// child may call them (rt_sigqueueinfo, getpid and getuid are
// async-signal-safe).
void QueueSignal(pid_t pid, int signal, int value);
void QueueSignal(pid_t pid, int signal, void* pointer);
int QueueSignalErrno(pid_t pid, int signal, int value);
int QueueSignalErrno(pid_t pid, int signal, void* pointer);

// Throws std::invalid_argument("<where>: ...") unless 0 <= signal <=
// SIGRTMAX: the range QueueSignal and Pidfd::SendSignal accept.
void CheckSignalNumber(int signal, const char* where);

// "SIGINT" (sigabbrev_np), or "signal 35" for a number without an
// abbreviation (real-time signals, 0): how errors name a signal.
std::string SignalName(int signal);

}  // namespace ipc

#endif  // IPC_SIGNALFD_H_

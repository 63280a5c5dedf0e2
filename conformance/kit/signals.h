// Scoped signal state: a disposition or a mask changed for one scope and
// restored on exit, so a test that ignores SIGPIPE or blocks SIGUSR1 leaves
// the process as it found it.
#ifndef CONFORMANCE_KIT_SIGNALS_H_
#define CONFORMANCE_KIT_SIGNALS_H_

#include <signal.h>

#include <optional>

namespace ipcproof {

// Ignores a signal for the lifetime of the object (pipe(7): "If the calling
// process is ignoring this signal, then write(2) fails with the error
// EPIPE").
class ScopedSignalIgnored {
 public:
  explicit ScopedSignalIgnored(int signal);
  ~ScopedSignalIgnored();
  ScopedSignalIgnored(const ScopedSignalIgnored&) = delete;
  ScopedSignalIgnored& operator=(const ScopedSignalIgnored&) = delete;

 private:
  int signal_;
  struct sigaction previous_ {};
};

// Blocks a signal for the object's lifetime, so an instance stays pending
// where the test can look at it (TakePendingSignal) instead of running a
// handler or the default action. Instances still pending are discarded
// before unblocking.
class ScopedSignalBlock {
 public:
  explicit ScopedSignalBlock(int signal);
  ~ScopedSignalBlock();
  ScopedSignalBlock(const ScopedSignalBlock&) = delete;
  ScopedSignalBlock& operator=(const ScopedSignalBlock&) = delete;

 private:
  int signal_;
  sigset_t previous_{};
};

// The pending instance of `signal`, taken without waiting (sigtimedwait(2)
// with a zero timeout: "a poll is performed"). The signal must be blocked.
std::optional<siginfo_t> TakePendingSignal(int signal);

// In a forked child (async-signal-safe): restores the default action of
// `signal` and unblocks it, so the child shows what the kernel does to a
// process that asked for nothing special (the test process or its runner may
// ignore or block it). Returns false when a call failed.
bool RestoreDefaultSignal(int signal);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_SIGNALS_H_

#include "conformance/kit/signals.h"

#include <time.h>

#include "ipc/error.h"

namespace ipcproof {

ScopedSignalIgnored::ScopedSignalIgnored(int signal) : signal_(signal) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  if (::sigaction(signal_, &ignore, &previous_) != 0) {
    ipc::ThrowErrno("sigaction(SIG_IGN)");
  }
}

ScopedSignalIgnored::~ScopedSignalIgnored() {
  ::sigaction(signal_, &previous_, nullptr);
}

ScopedSignalBlock::ScopedSignalBlock(int signal) : signal_(signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_);
  if (::sigprocmask(SIG_BLOCK, &set, &previous_) != 0) {
    ipc::ThrowErrno("sigprocmask(SIG_BLOCK)");
  }
}

ScopedSignalBlock::~ScopedSignalBlock() {
  // Bounded: each round takes one pending instance, and standard signals
  // coalesce; the bound only guards against a kernel that never clears one.
  for (int i = 0; i < 1024 && TakePendingSignal(signal_); ++i) {
  }
  ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<siginfo_t> TakePendingSignal(int signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  const timespec zero{0, 0};
  siginfo_t info{};
  if (::sigtimedwait(&set, &info, &zero) == signal) return info;
  return std::nullopt;
}

bool RestoreDefaultSignal(int signal) {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  if (::sigaction(signal, &default_action, nullptr) != 0) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  return ::sigprocmask(SIG_UNBLOCK, &set, nullptr) == 0;
}

}  // namespace ipcproof

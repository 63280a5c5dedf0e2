#include "tools/verify/interrupt.h"

#include <signal.h>

#include <initializer_list>

namespace ipcproof::verify {
namespace {

volatile sig_atomic_t caught = 0;

void Record(int signal) { caught = signal; }

}  // namespace

void CatchInterrupts() {
  struct sigaction action {};
  action.sa_handler = Record;
  ::sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    ::sigaction(signal, &action, nullptr);
  }
}

int InterruptSignal() { return caught; }

}  // namespace ipcproof::verify

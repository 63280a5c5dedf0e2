// Ctrl+C (or SIGTERM, SIGHUP) during a run. The binaries verify starts run
// in process groups of their own, so the terminal's SIGINT reaches only
// verify: it must end them itself, and remove its half-written output,
// rather than die and leave both behind.
#ifndef TOOLS_VERIFY_INTERRUPT_H_
#define TOOLS_VERIFY_INTERRUPT_H_

namespace ipcproof::verify {

// Installs handlers that only record the signal (no SA_RESTART, so a
// blocking poll returns at once).
void CatchInterrupts();

// The signal caught since CatchInterrupts(), or 0.
int InterruptSignal();

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_INTERRUPT_H_

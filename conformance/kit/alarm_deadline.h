// A deadline for a call that has none of its own: a write(2) asleep in
// pipe_write for room, a msgsnd asleep for queue space. SIGALRM, installed
// without SA_RESTART, interrupts such a call (it returns what it moved so
// far, or fails EINTR; msgsnd and msgrcv fail EINTR even with SA_RESTART,
// signal(7)), so a peer that stopped reading, or a wake-up the kernel lost,
// fails the transfer instead of hanging the test until the watchdog.
//
//   ScopedAlarmDeadline deadline;            // installs the handler
//   deadline.Arm(std::chrono::seconds(5));   // with the first chunk
//   ... blocking writes; after each: if (deadline.passed()) throw ...;
//
// Once the deadline passes the timer repeats every 100 ms, so a call that
// began just after one signal is interrupted by the next. Interval timers
// are not inherited across fork(2), so a forked peer never gets it. One
// deadline at a time per process (SIGALRM is process-wide).
#ifndef CONFORMANCE_KIT_ALARM_DEADLINE_H_
#define CONFORMANCE_KIT_ALARM_DEADLINE_H_

#include <signal.h>

#include <chrono>

namespace ipcproof {

class ScopedAlarmDeadline {
 public:
  // Run by the signal handler each time the timer fires past the deadline,
  // with `argument`: async-signal-safe calls only (removing the queue a
  // sender sleeps on, so it wakes with EIDRM at once).
  using Action = void (*)(int argument);

  // Installs the SIGALRM handler (not yet armed). Throws std::logic_error if
  // another ScopedAlarmDeadline is alive, std::system_error if sigaction
  // fails.
  explicit ScopedAlarmDeadline(Action at_deadline = nullptr, int argument = 0);
  // Disarms the timer and restores SIGALRM's previous disposition.
  ~ScopedAlarmDeadline();
  ScopedAlarmDeadline(const ScopedAlarmDeadline&) = delete;
  ScopedAlarmDeadline& operator=(const ScopedAlarmDeadline&) = delete;

  // Starts the clock: the deadline is ScaledTimeout(after) from now (`after`
  // is at time scale 1, kit/time_scale.h).
  void Arm(std::chrono::milliseconds after);
  // Stops the timer (the deadline may already have passed).
  void Disarm();
  // Whether the deadline has passed since the last Arm.
  bool passed() const;

 private:
  struct sigaction previous_ {};
};

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_ALARM_DEADLINE_H_

#include "conformance/kit/alarm_deadline.h"

#include <sys/time.h>

#include <stdexcept>

#include "conformance/kit/time_scale.h"
#include "ipc/error.h"

namespace ipcproof {
namespace {

// What the handler reads: plain sig_atomic_t and a function pointer set
// before the handler is installed, so the handler touches nothing else.
volatile sig_atomic_t g_passed = 0;
volatile sig_atomic_t g_active = 0;
volatile sig_atomic_t g_argument = 0;
ScopedAlarmDeadline::Action g_action = nullptr;

void AtDeadline(int) {
  g_passed = 1;
  if (g_action != nullptr) g_action(g_argument);
}

}  // namespace

ScopedAlarmDeadline::ScopedAlarmDeadline(Action at_deadline, int argument) {
  if (g_active) {
    throw std::logic_error("ScopedAlarmDeadline: one is already alive");
  }
  g_passed = 0;
  g_action = at_deadline;
  g_argument = argument;
  struct sigaction action {};
  action.sa_handler = AtDeadline;
  sigemptyset(&action.sa_mask);  // no SA_RESTART: that is the point
  if (::sigaction(SIGALRM, &action, &previous_) != 0) {
    ipc::ThrowErrno("sigaction(SIGALRM)");
  }
  g_active = 1;
}

ScopedAlarmDeadline::~ScopedAlarmDeadline() {
  Disarm();
  ::sigaction(SIGALRM, &previous_, nullptr);
  g_action = nullptr;
  g_active = 0;
}

void ScopedAlarmDeadline::Arm(std::chrono::milliseconds base) {
  const std::chrono::milliseconds after = ScaledTimeout(base);
  g_passed = 0;
  itimerval timer{};
  timer.it_value.tv_sec = after.count() / 1000;
  timer.it_value.tv_usec = (after.count() % 1000) * 1000;
  if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0) {
    timer.it_value.tv_usec = 1;  // zero would disarm it
  }
  timer.it_interval.tv_usec = 100 * 1000;
  if (::setitimer(ITIMER_REAL, &timer, nullptr) != 0) {
    ipc::ThrowErrno("setitimer(ITIMER_REAL)");
  }
}

void ScopedAlarmDeadline::Disarm() {
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
}

bool ScopedAlarmDeadline::passed() const { return g_passed != 0; }

}  // namespace ipcproof

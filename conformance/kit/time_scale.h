// The run's time scale: how many times longer than on a fast machine the
// kit lets something take that should happen soon. An emulated guest (QEMU
// without KVM) runs the suite at 10. The runner takes it as
// --ipcproof_time_scale=N and gives it to every test process in
// IPCPROOF_TIME_SCALE (runner/wire.h); without a runner it is 1.
//
// The rule: every bound given to a kit wait (PollUntil, WaitUntilBlockedIn,
// WaitUntilExited, WaitUntilStopped, ReapWithin, ExitsWithWithin,
// PollWithin, ReadIntoWithin, ReadWithin, ReadExactWithin, ReadReport,
// ReadExactInChild, ScopedAlarmDeadline::Arm, the syscall counter's and the
// two hosts' deadlines, the transfers' deadlines) is its value on a fast
// machine; the kit waits ScaledTimeout(bound) and says so when it gives up
// ("within 100 s (10 s × time scale 10)"). A bound a test hands straight to
// a system call or an ipc:: wrapper as patience (a poll, a timed receive
// that should get its message) is scaled by the test with ScaledTimeout.
// Never scaled: a timeout that is the test's subject, one the kernel must
// honour (a timed wait that must time out, a deadline already past), and
// figures the kernel produces (rates, latencies).
#ifndef CONFORMANCE_KIT_TIME_SCALE_H_
#define CONFORMANCE_KIT_TIME_SCALE_H_

#include <chrono>
#include <string>

namespace ipcproof {

// IPCPROOF_TIME_SCALE, 1..100; 1 when it is unset or malformed (the runner
// refuses a malformed one before any test runs). Read each time, with no
// allocation and no lock: async-signal-safe in practice (getenv only reads
// environ), so a forked child's kit waits scale too.
int TimeScale();

// `base` × TimeScale().
std::chrono::milliseconds ScaledTimeout(std::chrono::milliseconds base);

// What is left until `deadline` (one already scaled, now + ScaledTimeout(..)),
// as a bound at time scale 1 that a kit wait scales back to the time left
// (rounded up, never below 0): for a caller that spends one deadline over
// several kit waits.
std::chrono::milliseconds UnscaledTimeLeft(
    std::chrono::steady_clock::time_point deadline);

// How long a wait on `base` lasted, for a failure message: "10 s" or
// "250 ms" at scale 1; "100 s (10 s × time scale 10)" above it.
std::string DescribeScaledTimeout(std::chrono::milliseconds base);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_TIME_SCALE_H_

// The bound verify gives a binary's run in a guest kernel. The time scales
// themselves (TCG, KVM) and the kernel runner's own default limit live in
// tools/kernels/guest_run.h; this adds what the runner cannot know: how
// many tests the binary will run.
#ifndef TOOLS_VERIFY_GUEST_TIMING_H_
#define TOOLS_VERIFY_GUEST_TIMING_H_

#include <chrono>

#include "tools/kernels/guest_run.h"

namespace ipcproof::verify {

// On top of the runner's default (kBinaryTimeLimitPerScale: room for one
// test that ends at its watchdog), per test the binary lists, before the
// time scale. On the host a test takes well under a second; the issue
// measured the suite's binaries at 10-41 s each in a TCG guest.
inline constexpr std::chrono::seconds kGuestSecondsPerTest{3};

// time scale x (kBinaryTimeLimitPerScale + kGuestSecondsPerTest x tests).
inline std::chrono::seconds GuestBinaryBound(int tests, int time_scale) {
  return time_scale *
         (kernels::kBinaryTimeLimitPerScale + tests * kGuestSecondsPerTest);
}

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_GUEST_TIMING_H_

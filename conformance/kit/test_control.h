// What a running test may ask of the runner that supervises it.
#ifndef CONFORMANCE_KIT_TEST_CONTROL_H_
#define CONFORMANCE_KIT_TEST_CONTROL_H_

#include <chrono>

namespace ipcproof {

// Allow the running test `budget` from now before the watchdog ends it, in
// place of the run's --ipcproof_timeout (a watchdog report then names this
// budget). Like the run's, `budget` is at time scale 1: the runner allows it
// --ipcproof_time_scale times as long. For tests whose work is legitimately
// long (stress loops). A no-op with --ipcproof_in_process, where no
// watchdog runs.
void SetTestTimeout(std::chrono::seconds budget);

// True inside a test process run by the runner (false with
// --ipcproof_in_process).
bool RunningUnderSupervisor();

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_TEST_CONTROL_H_

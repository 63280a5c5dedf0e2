// A Report for the writers' tests (test-only): every claim of the real
// registry, every verdict, every failure kind, a rerun that passes and
// reruns that fail, a measured claim with figures, a claim that is not
// measured whose tests recorded figures, skips with reasons, and
// messages made to break a careless writer (markup, table bars, entities,
// quotes, newlines, backtick fences, Chinese, invalid UTF-8, terminal
// escapes).
#ifndef TOOLS_REPORT_SAMPLE_REPORT_H_
#define TOOLS_REPORT_SAMPLE_REPORT_H_

#include <string>
#include <vector>

#include "tools/claims/registry.h"
#include "tools/verify/model.h"

namespace ipcproof::verify::testing {

// A message holding everything above; every failure and skip of the sample
// carries it.
extern const char kHostileMessage[];

// The claim that earns its verdict with two passing tests is not measured,
// yet its tests record figures: the first test "sa_restart.read" =
// "resumed", "sa_restart.msgrcv" = "EINTR", then this name and value (valid
// UTF-8, so every format carries them unchanged); the second test
// kManyFigures figures "sample.step_NNN" = "7 * NNN", more than a section
// shows.
extern const char kHostileFigureName[];
extern const char kHostileFigureValue[];
inline constexpr int kManyFigures = 125;

// The host sample's benchmark run (Report::benchmarks): latency and
// throughput of "pipe", "posix_mq" and "shm_futex" at 64 B, 4 KiB and 1 MiB
// (every throughput below memcpy/2), memcpy/single_core at the same sizes,
// syscall/empty/0 and a wrapper pair. posix_mq at 1 MiB is skipped in both
// kinds, the latency skip with kHostileMessage; shm_futex's latency at 64 B
// has a zero median; `unusable` is empty. Guests of SampleKernels() have
// none.
BenchmarkRun SampleBenchmarks();

// docs/claims.json, read from the test's runfiles (the working directory of
// a Bazel test is its runfiles root).
claims::Registry LoadSampleRegistry();

// The sample run over every claim of `registry`. The registry must hold at
// least one measured claim and nine claims that are neither measured nor
// not-checkable, so every verdict appears (the real one does).
Report BuildSampleReport(const claims::Registry& registry);

// BuildSampleReport(LoadSampleRegistry()).
Report SampleReport();

// A run on four kernels (verify --kernel host --kernel linux-6.1 --kernel
// linux-6.12 --kernel student/bzImage), for the several-kernels forms:
//   [0] "host": the sample run above, unchanged.
//   [1] "linux-6.1": a guest under TCG (KVM refused, with the reason), the
//       host's results except that exactly one claim, `differing_claim`
//       (earned on the host by one passing test), deviates here: its test
//       fails twice with kGuestAssertion and records a figure.
//   [2] "linux-6.12": lacks kMissingRequirement: the tests of
//       `missing_folder` were not run, and its claims are unverified naming
//       the option (the claims without tests keep their verdicts).
//   [3] "bzImage": a student's bare image (no package, config probed) that
//       panicked (kGuestFailureMessage) in the host's third binary: the
//       first two binaries' tests and claims are as on the host (failures
//       and skips among them), every other claim with tests is unverified,
//       naming the panic.
struct KernelsSample {
  std::vector<Report> reports;
  std::string differing_claim;
  std::string missing_folder;
};
extern const char kGuestAssertion[];
extern const char kMissingRequirement[];
extern const char kGuestFailureMessage[];
KernelsSample BuildKernelsSample(const claims::Registry& registry);
// BuildKernelsSample(LoadSampleRegistry()).
KernelsSample SampleKernels();

}  // namespace ipcproof::verify::testing

#endif  // TOOLS_REPORT_SAMPLE_REPORT_H_

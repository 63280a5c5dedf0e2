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

// docs/claims.json, read from the test's runfiles (the working directory of
// a Bazel test is its runfiles root).
claims::Registry LoadSampleRegistry();

// The sample run over every claim of `registry`. The registry must hold at
// least one measured claim and nine claims that are neither measured nor
// not-checkable, so every verdict appears (the real one does).
Report BuildSampleReport(const claims::Registry& registry);

// BuildSampleReport(LoadSampleRegistry()).
Report SampleReport();

}  // namespace ipcproof::verify::testing

#endif  // TOOLS_REPORT_SAMPLE_REPORT_H_

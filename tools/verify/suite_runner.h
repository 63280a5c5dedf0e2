// Runs the conformance binaries of a suite one after another, directly on
// the host (never in parallel: they would share the per-uid pipe and queue
// accounting and disturb each other's figures), reads each one's gtest XML,
// and reruns every failed test once on its own.
#ifndef TOOLS_VERIFY_SUITE_RUNNER_H_
#define TOOLS_VERIFY_SUITE_RUNNER_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tools/verify/model.h"
#include "tools/verify/progress_display.h"
#include "tools/verify/suite_file.h"

namespace ipcproof::verify {

struct SuiteSettings {
  // Per test, passed to each binary as --ipcproof_timeout=N.
  int test_timeout_seconds = 30;
  // The bound on one run of one binary; by default
  // tests x (test timeout + 5) + 60 seconds.
  std::optional<std::chrono::seconds> binary_bound;
  // Passed as --gtest_filter when non-empty; a binary that lists no test
  // for it is not run. Empty: every binary runs in full.
  std::string gtest_filter;
  // Where the binaries write their XML (verify's scratch directory).
  std::string xml_dir;
  // Where each binary's console output is kept: "<logs_dir>/<name>.txt".
  std::string logs_dir;
  // Put before the progress lines when the run has several kernels
  // ("host"); empty: the lines are as they were before --kernel.
  std::string kernel_label;
};

// One binary of a run and the tests it listed (with the filter, if any).
struct PlannedBinary {
  SuiteBinary binary;
  std::vector<std::string> tests;
};

// The binaries' names, in plan order.
std::vector<std::string> BinaryNames(const std::vector<PlannedBinary>& plan);

struct SuiteRun {
  std::vector<TestResult> tests;      // in run order, reruns attached
  std::vector<std::string> binaries;  // the names of the binaries run
};

// The default bound on one binary's run.
std::chrono::seconds BinaryBound(int tests, int test_timeout_seconds);

// Lists each binary's tests on this host (--gtest_list_tests, with the
// filter when not empty) and keeps the binaries that have any; with no
// filter, every binary. A guest kernel runs the same static binaries, so
// what they list here is what they run there. Throws InfrastructureError
// naming a binary that cannot start, crashes or fails to list its tests.
std::vector<PlannedBinary> PlanSuite(const std::vector<SuiteBinary>& binaries,
                                     const std::string& gtest_filter);

// Throws InfrastructureError naming the binary (it cannot start, crashes,
// exits with a status other than 0 or 1, outlives its bound, or fails to
// list its tests) or the XML file (missing, not XML, truncated, without a
// result for a test it listed).
SuiteRun RunSuite(const std::vector<SuiteBinary>& binaries,
                  const SuiteSettings& settings, ProgressDisplay& progress);

// The same for binaries already listed (PlanSuite with the same filter).
SuiteRun RunPlannedSuite(const std::vector<PlannedBinary>& plan,
                         const SuiteSettings& settings,
                         ProgressDisplay& progress);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_SUITE_RUNNER_H_

// The merged XML of a run, in the shape gtest writes (so Bazel, CI systems
// and tools/ read it like any gtest result). The runner rewrites it whole
// before each test and after the last one, each time to PATH.partial and
// then renamed over PATH, so PATH is always a complete document with every
// result known so far: a runner killed half-way leaves the results it had,
// and names the test that was running when it died.
#ifndef CONFORMANCE_RUNNER_XML_WRITER_H_
#define CONFORMANCE_RUNNER_XML_WRITER_H_

#include <ctime>
#include <string>
#include <vector>

#include "conformance/runner/outcome.h"
#include "conformance/runner/test_selection.h"

namespace ipcproof {

struct TestResult {
  SelectedTest test;
  Outcome outcome;
};

// The failure a test is written with while it runs: what the XML says of it
// if the runner never comes back to write its result.
inline constexpr char kRunnerDiedMessage[] =
    "the supervisor ended (killed?) while this test was running: no result "
    "was recorded";

// Writes `results`, and `running` (if not null) as a failed test carrying
// kRunnerDiedMessage, to `path`; the root element carries the run's
// `time_scale` (xml_property::kTimeScale). Returns "" on success, otherwise
// what failed ("open(PATH.partial): No such file or directory").
std::string WriteMergedXml(const std::string& path,
                           const std::vector<TestResult>& results,
                           const SelectedTest* running, std::time_t started,
                           double total_seconds, int time_scale);

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_XML_WRITER_H_

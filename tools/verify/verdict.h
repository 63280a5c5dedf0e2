// The rule of the README ("How a verdict is earned"), applied exactly: from
// the registry, the claim index, this run's test results and the expected
// deviations, a verdict per claim. A pure function of its inputs.
#ifndef TOOLS_VERIFY_VERDICT_H_
#define TOOLS_VERIFY_VERDICT_H_

#include <string>
#include <vector>

#include "tools/claims/registry.h"
#include "tools/verify/expected_deviations.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {

// Decides every claim of `selected` (ids, registry order; every registry
// claim when empty) from `tests` (one entry per test run, reruns attached).
// A test decides the claims of its "claims" property. Throws
// std::invalid_argument if any test (also one outside the selection)
// declares an id the registry lacks or a claim it marks not-checkable (the
// message names the binary, the test and the id), or if `selected` names an
// id the registry lacks.
std::vector<ClaimReport> DecideClaims(
    const claims::Registry& registry, const std::vector<TestResult>& tests,
    const std::vector<ExpectedDeviation>& expected,
    const std::string& kernel_release,
    const std::vector<std::string>& selected);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_VERDICT_H_

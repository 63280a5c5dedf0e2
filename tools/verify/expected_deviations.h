// The expected-deviations file (docs/expected-deviations.json): known kernel
// differences, as kernel CI systems keep known issues. A listed claim that
// deviates on a kernel whose release matches the pattern is reported as an
// expected deviation, with the reason, and does not fail the run.
//
//   {"version": 1, "deviations": [
//     {"claim": "pipe.blocks", "kernel": "6.1.*", "reason": "..."}]}
#ifndef TOOLS_VERIFY_EXPECTED_DEVIATIONS_H_
#define TOOLS_VERIFY_EXPECTED_DEVIATIONS_H_

#include <string>
#include <vector>

#include "tools/claims/registry.h"

namespace ipcproof::verify {

struct ExpectedDeviation {
  std::string claim;
  std::string kernel;  // fnmatch(3) pattern on the release (uname -r)
  std::string reason;  // never empty
};

// Throws std::runtime_error naming the file on a read or parse error, a
// missing field, an empty reason, or a claim id the registry lacks.
std::vector<ExpectedDeviation> LoadExpectedDeviations(
    const std::string& path, const claims::Registry& registry);

// The first entry for this claim whose pattern matches the whole release
// (fnmatch(3), no flags: "6.1.*" matches "6.1.0-18-amd64", not "6.18.0");
// nullptr if none.
const ExpectedDeviation* FindExpectedDeviation(
    const std::vector<ExpectedDeviation>& expected, const std::string& claim,
    const std::string& kernel_release);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_EXPECTED_DEVIATIONS_H_

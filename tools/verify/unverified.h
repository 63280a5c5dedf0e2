// Claims a kernel leaves unverified for a reason no test could report: the
// folder's requirements are missing there (its binaries were not run, or
// their results were set aside), or declaring tests never reported (a guest
// that panicked before them, a binary killed at its limit). The verdict
// rule (verdict.h) decides from the results that exist; these reasons then
// take precedence, so a missing result never reads as "untested" or as an
// earned verdict resting on part of the evidence.
#ifndef TOOLS_VERIFY_UNVERIFIED_H_
#define TOOLS_VERIFY_UNVERIFIED_H_

#include <map>
#include <string>
#include <vector>

#include "tools/claims/claim_index.h"
#include "tools/claims/registry.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {

// A folder whose requirements the kernel lacks: every claim the registry
// assigns to it is unverified, whatever its tests elsewhere said.
struct FolderBlock {
  std::string folder;    // "conformance/mq"
  std::string sentence;  // "linux-6.1 lacks CONFIG_POSIX_MQUEUE (...)"
};

// A test that was planned (listed by its binary) and did not report.
struct TestGap {
  std::string binary;    // "conformance/mq/posix_mq_test"
  std::string test;      // its full name, as listed
  std::string sentence;  // "linux-6.1 panicked before ... reported"
};

struct UnverifiedReason {
  std::string sentence;
  // A folder block replaces every verdict; a gap leaves a deviation that a
  // reported test showed (that evidence stands).
  bool replaces_deviation = false;
};

// The claims these reasons touch, by id: a block's by the registry's
// folder; a gap's by the claim index (the declarations whose test the gap's
// test is, however it is instantiated). The first reason of a claim wins,
// blocks before gaps.
std::map<std::string, UnverifiedReason> UnverifiedClaims(
    const claims::Registry& registry, const claims::ClaimIndex& index,
    const std::vector<FolderBlock>& blocks, const std::vector<TestGap>& gaps);

// Applies them to decided claims: the verdict becomes kUnverified and the
// explanation the reason (figures and rule outcome are dropped: they came
// from part of the evidence). Claims without a reason stay as they are.
void MarkUnverified(std::vector<ClaimReport>& claims,
                    const std::map<std::string, UnverifiedReason>& reasons);

// A guest under TCG: every measured claim whose rule reads speeds
// (MeasuredRule::measures_speed) and that earned a verdict becomes
// unverified, keeping its figures and rule outcome to show. The host and KVM
// guests are left alone.
void UnverifySpeedUnderEmulation(std::vector<ClaimReport>& claims,
                                 const KernelInfo& kernel);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_UNVERIFIED_H_

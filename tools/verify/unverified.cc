#include "tools/verify/unverified.h"

#include <fnmatch.h>

namespace ipcproof::verify {
namespace {

// The declaration's test is this test: the same patterns as the gtest
// filter that selects it (claim_index.h GtestFilterFor).
bool IsDeclaredBy(const claims::Declaration& declaration,
                  const std::string& full_name) {
  const std::string filter = claims::GtestFilterFor(declaration);
  size_t start = 0;
  while (start < filter.size()) {
    size_t end = filter.find(':', start);
    if (end == std::string::npos) end = filter.size();
    const std::string pattern = filter.substr(start, end - start);
    start = end + 1;
    if (!pattern.empty() &&
        ::fnmatch(pattern.c_str(), full_name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::map<std::string, UnverifiedReason> UnverifiedClaims(
    const claims::Registry& registry, const claims::ClaimIndex& index,
    const std::vector<FolderBlock>& blocks, const std::vector<TestGap>& gaps) {
  std::map<std::string, UnverifiedReason> reasons;
  for (const FolderBlock& block : blocks) {
    for (const claims::Claim& claim : registry.claims) {
      if (claim.folder != block.folder) continue;
      reasons.try_emplace(claim.id, UnverifiedReason{block.sentence, true});
    }
  }
  for (const TestGap& gap : gaps) {
    for (const claims::Declaration& declaration : index.declarations) {
      if (!IsDeclaredBy(declaration, gap.test)) continue;
      reasons.try_emplace(declaration.claim,
                          UnverifiedReason{gap.sentence, false});
    }
  }
  return reasons;
}

void MarkUnverified(std::vector<ClaimReport>& claims,
                    const std::map<std::string, UnverifiedReason>& reasons) {
  for (ClaimReport& claim : claims) {
    const auto found = reasons.find(claim.claim.id);
    if (found == reasons.end()) continue;
    const UnverifiedReason& reason = found->second;
    // No test declares these: a missing requirement or a gap changes
    // nothing about them, and marking them would read as a difference
    // between kernels that is not there.
    if (claim.verdict == Verdict::kNotCheckable ||
        claim.verdict == Verdict::kUntested) {
      continue;
    }
    const bool shown_deviating = claim.verdict == Verdict::kDeviates ||
                                 claim.verdict == Verdict::kExpectedDeviation;
    if (shown_deviating && !reason.replaces_deviation) continue;
    claim.verdict = Verdict::kUnverified;
    claim.explanation = reason.sentence;
    claim.figures.clear();
    claim.rule_outcome.clear();
    claim.expected_deviation_reason.clear();
  }
}

void UnverifySpeedUnderEmulation(std::vector<ClaimReport>& claims,
                                 const KernelInfo& kernel) {
  if (!kernel.guest || kernel.accelerator != "tcg") return;
  for (ClaimReport& claim : claims) {
    if (!claim.claim.rule.has_value() || !claim.claim.rule->measures_speed ||
        !IsEarned(claim.verdict)) {
      continue;
    }
    claim.verdict = Verdict::kUnverified;
    claim.explanation =
        kernel.label +
        " ran under QEMU's TCG emulator, where a speed measures the emulator, "
        "not the kernel: the rule's figures are shown (" +
        claim.rule_outcome +
        ") but decide nothing; the host or a KVM guest decides this claim";
  }
}

}  // namespace ipcproof::verify

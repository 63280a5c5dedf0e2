// What the several-kernels forms of the writers share (verify --kernel K
// ...; report_writers.h): the kernels' labels, the claims lined up across
// the kernels with whether their verdicts differ, and the facts of each
// kernel's run in words. One place, so the Markdown table, the HTML page,
// the JSON and the Gradescope output never disagree about which claims
// differ or what a kernel was.
#ifndef TOOLS_REPORT_KERNEL_COLUMNS_H_
#define TOOLS_REPORT_KERNEL_COLUMNS_H_

#include <string>
#include <vector>

#include "tools/verify/model.h"

namespace ipcproof::verify {

// The label of each report's kernel, in order: KernelInfo::label ("host"
// when empty), and a second "bzImage" as "bzImage#2", so every column,
// JUnit suite and Gradescope prefix names one kernel.
std::vector<std::string> KernelLabels(const std::vector<Report>& reports);

// How a claim's verdicts compare across the kernels.
enum class Difference {
  kSame,  // one verdict on every kernel that ran the claim
  // At least two kernels answered (a verdict other than unverified, not
  // checkable or untested) and their answers differ: the kernels behave
  // differently, or one is flaky where the other is not.
  kAnswers,
  // The answers agree, but some kernels gave none (a missing requirement, a
  // guest that failed, a skip): the claim was decided on some kernels only.
  kCoverage,
};
// "same", "answers", "coverage": for JSON and HTML attributes.
std::string_view DifferenceKey(Difference difference);

// One claim across the kernels.
struct ClaimAcrossKernels {
  std::string id;
  // The first kernel's entry for it (registry fields are the same in each).
  const ClaimReport* claim = nullptr;
  // Per kernel, in report order: its ClaimReport, or nullptr when that
  // kernel's run lacks the claim (another selection); a missing claim makes
  // the row differ in coverage.
  std::vector<const ClaimReport*> on;
  Difference difference = Difference::kSame;
  bool Differs() const { return difference != Difference::kSame; }
};

// Every claim of every report: the first report's in its order, then the
// claims only later reports have, in their order. Pointers into `reports`.
std::vector<ClaimAcrossKernels> ClaimsAcrossKernels(
    const std::vector<Report>& reports);

// How many rows differ in answers and how many in coverage.
struct DifferenceCounts {
  int answers = 0;
  int coverage = 0;
};
DifferenceCounts CountDifferences(const std::vector<ClaimAcrossKernels>& rows);

// A verdict that is an answer: not unverified, not checkable or untested.
bool IsAnswer(Verdict verdict);

// One fact of a kernel's run, in words, for the kernel tables of Markdown
// and HTML (not escaped). `loud`: a reader must not miss it (a guest that
// failed, a taint, kernel warnings, missing requirements).
struct KernelFact {
  std::string name;
  std::string value;
  bool loud = false;
};
// The facts, the same names in the same order for every report, so they
// line up as rows with a column per kernel.
std::vector<KernelFact> KernelFacts(const Report& report);
// Only the guest's own facts (how it was booted), for the single report of
// a guest: label, package, image, accelerator, time scale, boot time,
// config. Empty for the host.
std::vector<KernelFact> GuestFacts(const Report& report);

// "tcg" / "tcg (not KVM: <why>)" / "kvm"; for the host "none: the suite ran
// on the host itself".
std::string AcceleratorWords(const KernelInfo& kernel);

// A guest that failed, in one sentence naming the kernel and the kind:
// "The guest kernel bzImage failed (panic): the run fails whatever its
// verdicts say, and they cover only what ran before the failure." Empty
// when it did not fail.
std::string GuestFailureSentence(const std::string& label,
                                 const KernelInfo& kernel);

// "host (Linux 6.18.0)", "linux-6.1 (Linux 6.1.0-57-cloud-amd64)".
std::string KernelTitle(const std::string& label, const Report& report);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_KERNEL_COLUMNS_H_

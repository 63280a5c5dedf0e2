// The words every report format shares: how a test's outcome is said, why a
// claim has no verdict, the evidence for a verdict as plain text. One place,
// so Markdown, HTML, KTAP and Gradescope never tell a reader different
// stories about the same run.
#ifndef TOOLS_REPORT_CLAIM_EVIDENCE_H_
#define TOOLS_REPORT_CLAIM_EVIDENCE_H_

#include <string>
#include <string_view>

#include "tools/verify/model.h"

namespace ipcproof::verify {

// "passed", "skipped", "failed: assertion", "failed: crash (the test's
// process died)", "failed: timeout (the watchdog ended it)".
std::string AttemptOutcome(const Attempt& attempt);

// AttemptOutcome of the first run, and of the rerun when there is one:
// "failed: assertion; rerun on its own: passed".
std::string TestOutcome(const TestResult& test);

// The final outcome of a test, for counting: the rerun's status when it was
// rerun, else the first run's.
TestStatus FinalStatus(const TestResult& test);

// Unverified, not checkable, untested: "<verdict>: <why>", the why from the
// explanation, else from the registry (not checkable), else a default.
// Empty for every other verdict.
std::string NoVerdictReason(const ClaimReport& claim);

// The evidence for a claim's verdict as plain text, several lines: the
// verdict and its explanation, the expected-deviation reason, the rule with
// its figures and outcome, then each deciding test with its outcome, where
// it is declared and its (trimmed) messages.
std::string EvidenceText(const Report& report, const ClaimReport& claim);

// An explanation as a sentence after "Verdict: x.": its first letter upper
// case ("3 tests passed" stays, "no test declares ..." becomes "No test
// declares ...").
std::string AsSentence(std::string_view text);

// The HTML id and Markdown anchor of a claim's section: "claim-<id>".
std::string ClaimAnchor(const std::string& claim_id);

// Seconds as a report shows them: "0.012".
std::string FormatSeconds(double seconds);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_CLAIM_EVIDENCE_H_

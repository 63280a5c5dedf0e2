// report.ktap: the kernel's test format (Documentation/dev-tools/ktap.rst),
// one result line per claim, so kselftest parsers (LKFT, KernelCI, kunit's
// parser) read an ipcproof run unchanged.
//
// How each verdict maps onto KTAP's results and directives:
//   confirmed, refined, refuted  ok N id                (earned)
//   kernel deviates              not ok N id # ...      (fails the run)
//   expected deviation           ok N id # XFAIL ...    (kselftest's
//       ksft_test_result_xfail writes exactly this for a failure that is
//       expected; KTAP lists XFAIL, while TODO is "not recognized" in KTAP
//       and discouraged in the kernel, so a known kernel difference is an
//       XFAIL: reported, not failing, as verify's exit status has it)
//   flaky                        ok N id # SKIP flaky: ...   (no verdict: a
//       failure that passed when rerun alone says nothing either way, and
//       verify does not fail the run on it; SKIP is KTAP's "no result")
//   unverified, not checkable, untested   ok N id # SKIP <verdict>: <why>
#include <string>

#include "fmt/format.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

// A KTAP description "can be any string of words (can't include #)", and a
// result is one line.
std::string Description(std::string_view text) {
  std::string line = OneLine(text);
  for (char& c : line) {
    if (c == '#' || c == ' ') c = '_';
  }
  return line.empty() ? std::string("unnamed") : line;
}

// Diagnostic data after the directive: one line. A '#' there is harmless to
// the kernel's parsers (they split at the first " # "), but keep it out so
// no parser can mistake it for a second directive.
std::string Diagnostic(std::string_view text) {
  std::string line = OneLine(text);
  for (char& c : line) {
    if (c == '#') c = '_';
  }
  return line;
}

// Multi-line text as diagnostic lines ("# " + line), which KTAP puts right
// before the result line they explain.
void AddDiagnosticLines(std::string_view text, std::string& ktap) {
  const std::string clean = CleanText(text);
  size_t start = 0;
  while (start < clean.size()) {
    size_t end = clean.find('\n', start);
    if (end == std::string::npos) end = clean.size();
    ktap += "# " + clean.substr(start, end - start) + "\n";
    start = end + 1;
  }
}

}  // namespace

std::string WriteKtap(const Report& report) {
  std::string ktap = "KTAP version 1\n";
  ktap += fmt::format("1..{}\n", report.claims.size());
  ktap += "# ipcproof: " + Diagnostic(report.note_title) +
          ", claim by claim, on Linux " +
          Diagnostic(report.run.kernel_release) + " (" +
          Diagnostic(report.run.machine) + "), " +
          Diagnostic(report.run.started_utc) + "\n";
  ktap += "# " + Diagnostic(report.run.verify_version) + ": " +
          Diagnostic(report.run.command_line) + "\n";
  if (report.health.TaintChanged()) {
    ktap += "# kernel tainted during the run: " +
            Diagnostic(report.health.tainted_before) + " -> " +
            Diagnostic(report.health.tainted_after) + "\n";
  }
  for (const std::string& warning : report.health.warnings) {
    ktap += "# kernel log: " + Diagnostic(warning) + "\n";
  }

  int pass = 0, fail = 0, xfail = 0, skip = 0;
  int number = 0;
  for (const ClaimReport& claim : report.claims) {
    ++number;
    const std::string id = Description(claim.claim.id);
    const std::string explanation = Diagnostic(claim.explanation);
    switch (claim.verdict) {
      case Verdict::kConfirmed:
      case Verdict::kRefined:
      case Verdict::kRefuted:
        ++pass;
        ktap += fmt::format("ok {} {} # {}\n", number, id,
                            VerdictName(claim.verdict));
        break;
      case Verdict::kDeviates:
        ++fail;
        AddDiagnosticLines(EvidenceText(report, claim), ktap);
        ktap += fmt::format("not ok {} {} # kernel deviates: {}\n", number, id,
                            explanation);
        break;
      case Verdict::kExpectedDeviation:
        ++xfail;
        ktap +=
            fmt::format("ok {} {} # XFAIL expected deviation: {}\n", number, id,
                        Diagnostic(claim.expected_deviation_reason.empty()
                                       ? claim.explanation
                                       : claim.expected_deviation_reason));
        break;
      case Verdict::kFlaky:
        ++skip;
        AddDiagnosticLines(EvidenceText(report, claim), ktap);
        ktap +=
            fmt::format("ok {} {} # SKIP flaky: {}\n", number, id, explanation);
        break;
      case Verdict::kUnverified:
      case Verdict::kNotCheckable:
      case Verdict::kUntested:
        ++skip;
        ktap += fmt::format("ok {} {} # SKIP {}\n", number, id,
                            Diagnostic(NoVerdictReason(claim)));
        break;
    }
  }
  // kselftest's closing line, which LKFT's and KernelCI's parsers read.
  ktap += fmt::format(
      "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:0\n", pass,
      fail, xfail, skip);
  return ktap;
}

}  // namespace ipcproof::verify

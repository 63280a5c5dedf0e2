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
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/kernel_columns.h"
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
    const std::string line = clean.substr(start, end - start);
    // kunit's parser takes any "# Subtest: x" line for a subtest's header,
    // whatever came before it: a message line must not look like one.
    ktap += (line.starts_with("Subtest:") ? "#  " : "# ") + line + "\n";
    start = end + 1;
  }
}

struct KtapTotals {
  int pass = 0, fail = 0, xfail = 0, skip = 0;
};

// Everything after the "KTAP version 1" line of one kernel's run: the plan,
// the diagnostics, a result per claim, and for a guest that failed one more
// result, "not ok", so no parser reads a panicked kernel as a pass.
std::string KtapBody(const Report& report, KtapTotals& totals) {
  const KernelInfo& kernel = report.run.kernel;
  const bool failed = !kernel.failure.empty();
  std::string ktap =
      fmt::format("1..{}\n", report.claims.size() + (failed ? 1 : 0));
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
  if (kernel.guest) {
    ktap += "# guest " + Diagnostic(kernel.label) + ": " +
            Diagnostic(kernel.package.empty() ? kernel.image_path
                                              : kernel.package) +
            ", accelerator " + Diagnostic(AcceleratorWords(kernel)) +
            fmt::format(", time scale {}, booted in {:.1f} s",
                        kernel.time_scale, kernel.boot_seconds) +
            "\n";
  }
  for (const std::string& missing : kernel.missing_requirements) {
    ktap += "# missing requirement: " + Diagnostic(missing) + "\n";
  }

  int& pass = totals.pass;
  int& fail = totals.fail;
  int& xfail = totals.xfail;
  int& skip = totals.skip;
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
  if (failed) {
    ++fail;
    AddDiagnosticLines(GuestFailureSentence(kernel.label, kernel), ktap);
    AddDiagnosticLines(kernel.failure_message, ktap);
    ktap += fmt::format("not ok {} guest_ran_the_suite_to_its_end # guest {}\n",
                        number + 1, Diagnostic(kernel.failure));
  }
  // kselftest's closing line, which LKFT's and KernelCI's parsers read.
  ktap += fmt::format(
      "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:0\n", pass,
      fail, xfail, skip);
  return ktap;
}

std::string Indented(std::string_view text) {
  std::string indented;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    indented += "    ";
    indented += text.substr(start, end - start);
    indented += "\n";
    start = end + 1;
  }
  return indented;
}

}  // namespace

std::string WriteKtap(const Report& report) {
  KtapTotals totals;
  return "KTAP version 1\n" + KtapBody(report, totals);
}

// Several kernels: one subtest per kernel (ktap.rst's nesting: the
// subtest's lines indented by four spaces, its "# Subtest:" name and its
// own plan, then its result line at the top level), the kernel's result
// "not ok" when a claim deviates there or the guest failed.
std::string WriteKtap(const std::vector<Report>& reports) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteKtap(reports.front());
  const std::vector<std::string> labels = KernelLabels(reports);
  std::string ktap = "KTAP version 1\n";
  ktap += fmt::format("1..{}\n", reports.size());
  std::string names;
  for (const std::string& label : labels) {
    names += (names.empty() ? "" : ", ") + Diagnostic(label);
  }
  ktap += "# ipcproof: " + Diagnostic(reports.front().note_title) +
          ", claim by claim, on " + std::to_string(reports.size()) +
          " kernels: " + names + "\n";
  int pass = 0, fail = 0;
  for (size_t k = 0; k < reports.size(); ++k) {
    const Report& report = reports[k];
    const std::string name = Description(labels[k]);
    KtapTotals totals;
    ktap += Indented("KTAP version 1\n# Subtest: " + name + "\n" +
                     KtapBody(report, totals));
    const KernelInfo& kernel = report.run.kernel;
    if (!kernel.failure.empty()) {
      ++fail;
      ktap += fmt::format("not ok {} {} # guest failed: {}\n", k + 1, name,
                          Diagnostic(kernel.failure));
    } else if (report.AnyDeviation()) {
      ++fail;
      ktap += fmt::format("not ok {} {} # {} claim(s) deviate\n", k + 1, name,
                          report.Count(Verdict::kDeviates));
    } else {
      ++pass;
      ktap += fmt::format("ok {} {}\n", k + 1, name);
    }
  }
  ktap += fmt::format(
      "# Totals: pass:{} fail:{} xfail:0 xpass:0 skip:0 error:0\n", pass, fail);
  return ktap;
}

}  // namespace ipcproof::verify

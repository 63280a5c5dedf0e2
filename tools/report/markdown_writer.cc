// report.md: for a reader of the note. The summary table comes first, so a
// reader finds their sentence and its answer at once; each id links to the
// claim's section with the evidence.
#include <algorithm>
#include <string>

#include "fmt/format.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/claim_figures.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

// An inline code span holding `text` literally: the backtick fence is longer
// than any run inside. In a table cell a `|` still ends the cell (GFM splits
// cells before it reads code spans), so `in_table` writes it as `\|`.
std::string CodeSpan(std::string_view text, bool in_table = false) {
  std::string line = OneLine(text);
  if (in_table) {
    std::string escaped;
    for (char c : line) {
      if (c == '|') escaped += '\\';
      escaped += c;
    }
    line = escaped;
  }
  size_t longest_run = 0;
  size_t run = 0;
  for (char c : line) {
    run = c == '`' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
  }
  const std::string fence(longest_run + 1, '`');
  const bool pad = !line.empty() && (line.front() == '`' || line.back() == '`');
  return fence + (pad ? " " : "") + line + (pad ? " " : "") + fence;
}

std::string ClaimLink(const std::string& id) {
  return "[" + CodeSpan(id, true) + "](#" + ClaimAnchor(id) + ")";
}

std::string NoteWordsCell(const ClaimReport& claim) {
  if (claim.claim.beyond_note) return "beyond the note";
  return MarkdownEscape(claim.claim.note_quote);
}

std::string Joined(const std::vector<std::string>& items,
                   std::string_view separator) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

void WriteRun(const Report& report, std::string& md) {
  const RunInfo& run = report.run;
  md += "| run | |\n|---|---|\n";
  md += fmt::format("| kernel | Linux {} ({}) |\n",
                    MarkdownEscape(run.kernel_release),
                    MarkdownEscape(run.machine));
  md += fmt::format("| kernel version | {} |\n",
                    MarkdownEscape(run.kernel_version));
  md += fmt::format("| host | {} |\n", MarkdownEscape(run.hostname));
  md += fmt::format("| date | {} |\n", MarkdownEscape(run.started_utc));
  md += fmt::format("| wall time | {:.1f} s |\n", run.wall_seconds);
  md += fmt::format("| command | {} |\n", CodeSpan(run.command_line, true));
  md += fmt::format("| selection | {} |\n",
                    run.selection.empty()
                        ? std::string("every claim")
                        : MarkdownEscape(Joined(run.selection, ", ")));
  md += fmt::format("| strict | {} |\n", run.strict ? "yes" : "no");
  md += fmt::format("| binaries run | {} |\n", run.binaries.size());
  md += fmt::format("| verify | {} |\n\n", MarkdownEscape(run.verify_version));
}

void WriteHealth(const KernelHealth& health, std::string& md) {
  md += "## Kernel health\n\n";
  md += fmt::format(
      "- Taint (`/proc/sys/kernel/tainted`): {} before, {} after{}.\n",
      CodeSpan(health.tainted_before), CodeSpan(health.tainted_after),
      health.TaintChanged() ? " — **the kernel was tainted during the run**"
                            : " (unchanged)");
  if (!health.log_unreadable.empty()) {
    md += "- Kernel log not read: " + MarkdownEscape(health.log_unreadable) +
          ".\n\n";
  } else if (health.warnings.empty()) {
    md += "- Kernel log: no WARNING, BUG or Oops during the run.\n\n";
  } else {
    md += fmt::format(
        "- Kernel log: **{} line(s) with WARNING, BUG or Oops appeared during "
        "the run**:\n\n",
        health.warnings.size());
    std::string lines;
    for (const std::string& line : health.warnings) lines += line + "\n";
    md += MarkdownCodeBlock(TrimMessage(lines, 100, 10000)) + "\n";
  }
}

void WriteSummary(const Report& report, std::string& md) {
  md += "## Summary\n\n| verdict | claims |\n|---|---:|\n";
  for (Verdict verdict : AllVerdicts()) {
    md += fmt::format("| {} | {} |\n", VerdictName(verdict),
                      report.Count(verdict));
  }
  md += fmt::format("| **total** | **{}** |\n\n", report.claims.size());
  md += "| claim | area | verdict | the note says |\n|---|---|---|---|\n";
  for (const ClaimReport& claim : report.claims) {
    md += fmt::format("| {} | {} | {} | {} |\n", ClaimLink(claim.claim.id),
                      MarkdownEscape(claim.claim.area),
                      VerdictName(claim.verdict), NoteWordsCell(claim));
  }
  md += "\n";
}

void WriteTests(const Report& report, const ClaimReport& claim,
                std::string& md) {
  if (claim.tests.empty()) return;
  md +=
      "**Deciding tests:**\n\n| test | outcome | declared at "
      "|\n|---|---|---|\n";
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    std::string outcome = AttemptOutcome(test.first) + " (" +
                          FormatSeconds(test.first.seconds) + " s)";
    if (test.rerun) {
      outcome += "; rerun on its own: " + AttemptOutcome(*test.rerun) + " (" +
                 FormatSeconds(test.rerun->seconds) + " s)";
    }
    md += fmt::format(
        "| {} in {} | {} | {} |\n", CodeSpan(test.full_name, true),
        CodeSpan(test.binary, true), MarkdownEscape(outcome),
        test.declared_at.empty() ? std::string("—")
                                 : CodeSpan(test.declared_at, true));
  }
  md += "\n";
  const auto write_messages = [&](const TestResult& test,
                                  const Attempt& attempt, bool rerun) {
    if (attempt.status == TestStatus::kPassed) return;
    const std::string what =
        attempt.status == TestStatus::kSkipped ? "Skip" : "Failure";
    for (const std::string& message : attempt.messages) {
      md += fmt::format("{} of {}{}:\n\n", what, CodeSpan(test.full_name),
                        rerun ? " (rerun)" : "");
      md += MarkdownCodeBlock(TrimMessage(message)) + "\n";
    }
  };
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    write_messages(test, test.first, false);
    if (test.rerun) write_messages(test, *test.rerun, true);
  }
}

// Every figure the deciding tests recorded, whatever the claim's kind: the
// test's name only on the first row of its group, so a long list reads as
// one block per test.
void WriteMeasuredFigures(const Report& report, const ClaimReport& claim,
                          std::string& md) {
  const ClaimFigures figures = FiguresOfClaim(report, claim);
  if (figures.groups.empty()) return;
  md += "**Figures measured:**\n\n| test | figure | value |\n|---|---|---|\n";
  for (const TestFigures& group : figures.groups) {
    for (size_t i = 0; i < group.shown; ++i) {
      const auto& [name, value] = group.test->measured[i];
      md += fmt::format(
          "| {} | {} | {} |\n",
          i == 0 ? CodeSpan(group.test->full_name, true) : std::string(),
          name.empty() ? std::string("—") : CodeSpan(name, true),
          MarkdownEscape(FigureValueCell(value)));
    }
  }
  md += "\n";
  if (figures.left_out > 0) {
    md += fmt::format(
        "… {} more in report.json (and junit.xml): this section shows the "
        "first {} figures.\n\n",
        figures.left_out, figures.shown);
  }
}

void WriteClaim(const Report& report, const ClaimReport& claim,
                std::string& md) {
  const claims::Claim& c = claim.claim;
  md += fmt::format("<a id=\"{}\"></a>\n\n### {} — {}\n\n",
                    HtmlEscape(ClaimAnchor(c.id)), CodeSpan(c.id),
                    VerdictName(claim.verdict));
  if (c.beyond_note) {
    md += "*Beyond the note: documented semantics ipcproof also pins.*\n\n";
  } else {
    md += "> " + MarkdownEscape(c.note_quote) + "\n>\n> — the note, section " +
          MarkdownEscape(c.note_section) + "\n\n";
  }
  md += "**Meaning:** " + MarkdownEscape(c.meaning) + "\n\n";
  md += "**Documented semantics:** " + MarkdownEscape(c.semantics);
  if (!c.references.empty()) {
    md += " (" + MarkdownEscape(Joined(c.references, ", ")) + ")";
  }
  md += "\n\n";
  md += fmt::format("**Verdict: {}.** {}\n\n", VerdictName(claim.verdict),
                    MarkdownEscape(AsSentence(claim.explanation)));
  if (!claim.expected_deviation_reason.empty()) {
    md +=
        "**Expected deviation** (a known kernel difference; it does not "
        "fail the run): " +
        MarkdownEscape(claim.expected_deviation_reason) + "\n\n";
  }
  // The explanation usually is the registry's reason already.
  if (claim.verdict == Verdict::kNotCheckable && !c.not_checkable.empty() &&
      claim.explanation.find(c.not_checkable) == std::string::npos) {
    md += "**Why it cannot be checked here:** " +
          MarkdownEscape(c.not_checkable) + "\n\n";
  }
  if (c.rule) {
    md += "**Rule:** " + MarkdownEscape(c.rule->text) + "\n\n";
    if (!claim.figures.empty()) {
      md += "| figure | value | recorded by |\n|---|---:|---|\n";
      for (const Figure& figure : claim.figures) {
        md += fmt::format("| {} | {} | {} |\n", CodeSpan(figure.name, true),
                          MarkdownEscape(figure.value),
                          CodeSpan(figure.test, true));
      }
      md += "\n";
    }
    if (!claim.rule_outcome.empty()) {
      md += "**Rule outcome:** " + MarkdownEscape(claim.rule_outcome) + "\n\n";
    }
  }
  WriteTests(report, claim, md);
  WriteMeasuredFigures(report, claim, md);
}

}  // namespace

std::string WriteMarkdown(const Report& report) {
  std::string md =
      "# ipcproof report: " + MarkdownEscape(report.note_title) + "\n\n";
  md += fmt::format(
      "What the note \"{}\" says about Linux IPC, checked on Linux {}: each "
      "claim's verdict was earned by the tests of this run.\n\n",
      MarkdownEscape(report.note_title),
      MarkdownEscape(report.run.kernel_release));
  WriteRun(report, md);
  WriteHealth(report.health, md);
  WriteSummary(report, md);
  std::vector<bool> written(report.claims.size(), false);
  const auto write_area = [&](const std::string& id, const std::string& title) {
    bool any = false;
    for (size_t i = 0; i < report.claims.size(); ++i) {
      if (written[i] || report.claims[i].claim.area != id) continue;
      if (!any) {
        md +=
            fmt::format("## {} ({})\n\n", MarkdownEscape(title), CodeSpan(id));
      }
      any = true;
      written[i] = true;
      WriteClaim(report, report.claims[i], md);
    }
  };
  for (const claims::Area& area : report.areas) write_area(area.id, area.title);
  // A claim of an area the report does not list still gets its section.
  for (size_t i = 0; i < report.claims.size(); ++i) {
    if (!written[i]) {
      const std::string area = report.claims[i].claim.area;
      write_area(area, area);
    }
  }
  return md;
}

}  // namespace ipcproof::verify

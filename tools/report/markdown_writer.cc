// report.md: for a reader of the note. The summary table comes first, so a
// reader finds their sentence and its answer at once; each id links to the
// claim's section with the evidence.
#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tools/report/benchmark_charts.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/claim_figures.h"
#include "tools/report/kernel_columns.h"
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
  // A guest's report says how it was booted; the host's has no such rows.
  for (const KernelFact& fact : GuestFacts(report)) {
    md += fmt::format("| {} | {} |\n", fact.name, MarkdownEscape(fact.value));
  }
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

// The health bullets (and the warnings' code block), after a heading.
void WriteHealthBody(const KernelHealth& health, std::string& md) {
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

void WriteHealth(const KernelHealth& health, std::string& md) {
  md += "## Kernel health\n\n";
  WriteHealthBody(health, md);
}

// A guest that failed, loudly, with the runner's message (which quotes the
// kernel's log) whole in a code block.
void WriteGuestFailureBody(const std::string& label, const KernelInfo& kernel,
                           std::string& md) {
  md += "**" + MarkdownEscape(GuestFailureSentence(label, kernel)) + "**\n\n";
  if (!kernel.failure_message.empty()) {
    md += MarkdownCodeBlock(TrimMessage(kernel.failure_message, 100, 10000)) +
          "\n";
  }
}

void WriteMissingRequirementsBody(const KernelInfo& kernel, std::string& md) {
  for (const std::string& missing : kernel.missing_requirements) {
    md += "- " + MarkdownEscape(missing) + "\n";
  }
  md += "\n";
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

// A benchmark table: mechanism rows by size columns; `cell` gives each
// cell's Markdown.
void WriteBenchmarkGrid(
    const BenchmarkTable& table,
    const std::function<std::string(const BenchmarkResult*)>& cell,
    std::string& md) {
  md += "| mechanism |";
  std::string rule = "|---|";
  for (int64_t size : table.sizes) {
    md += " " + (size == 0 ? std::string("no size") : FormatSize(size)) + " |";
    rule += "---:|";
  }
  md += "\n" + rule + "\n";
  for (size_t m = 0; m < table.mechanisms.size(); ++m) {
    md += "| " + MarkdownEscape(table.mechanisms[m]) + " |";
    for (const BenchmarkResult* result : table.cells[m]) {
      md += " " + cell(result) + " |";
    }
    md += "\n";
  }
  md += "\n";
}

// verify --benchmarks: the run's stamp, then per kind a table of medians
// with their spread, throughput also against memcpy/2, and what was skipped.
// `heading` is the Markdown heading of each kind ("###").
void WriteBenchmarkBody(const BenchmarkRun& run, std::string_view heading,
                        std::string& md) {
  if (!run.unusable.empty()) {
    md += "> **These figures decide nothing: " + MarkdownEscape(run.unusable) +
          "**\n\n";
  }
  md += "| benchmark run | |\n|---|---|\n";
  md += "| date | " + MarkdownEscape(run.date) + " |\n";
  md += "| command | " + CodeSpan(run.command, true) + " |\n";
  md += "| CPU | " + MarkdownEscape(run.cpu_model) + " |\n";
  md += fmt::format("| CPUs online | {} |\n", run.cpus);
  md += "| pinning | " + MarkdownEscape(run.pinning) + " |\n";
  md += "| IPC namespace | " + MarkdownEscape(run.ipc_namespace) + " |\n";
  md += fmt::format("| repetitions | {} |\n", run.repetitions);
  md += fmt::format(
      "| smoke run | {} |\n",
      run.smoke ? "yes: each benchmark once at its smallest size; these "
                  "figures show that it runs, never how fast"
                : "no");
  md += fmt::format("| wall time | {:.1f} s |\n", run.seconds);
  md += "| figures | " + CodeSpan(run.file, true) + " |\n\n";
  md +=
      "Each cell is the median over the repetitions and its cv (stddev / "
      "mean). Sizes in binary units (1 KiB = 1024 B), rates in decimal units "
      "(1 GB/s = 10^9 bytes per second).\n\n";
  const auto cell = [](const BenchmarkResult* result) {
    return result == nullptr ? std::string("—")
                             : MarkdownEscape(CellText(*result));
  };
  for (const BenchmarkTable& table : BenchmarkTables(run)) {
    const std::string description = KindDescription(table.kind);
    md += std::string(heading) + " " + MarkdownEscape(table.kind) +
          (description.empty() ? "" : ": " + MarkdownEscape(description)) +
          "\n\n";
    WriteBenchmarkGrid(table, cell, md);
    if (table.kind == "wrapper") {
      const std::vector<WrapperRatio> ratios = WrapperRatios(run);
      if (!ratios.empty()) {
        md += "| path | size | wrappers / raw |\n|---|---:|---:|\n";
        for (const WrapperRatio& ratio : ratios) {
          md +=
              fmt::format("| {} | {} | {:.3f} |\n", MarkdownEscape(ratio.path),
                          FormatSize(ratio.size), ratio.ratio);
        }
        md += "\n";
      }
    }
    if (table.kind == "throughput") {
      md +=
          "As a fraction of memcpy/single_core / 2 at the same size (a "
          "channel that copies twice cannot exceed 1):\n\n";
      WriteBenchmarkGrid(
          table,
          [&](const BenchmarkResult* result) {
            const std::optional<double> ratio =
                result == nullptr ? std::nullopt
                                  : RatioToHalfMemcpy(run, *result);
            return ratio ? fmt::format("{:.2f}", *ratio) : std::string("—");
          },
          md);
    }
    const std::vector<std::string> left_out = LeftOutResults(run, table.kind);
    if (!left_out.empty()) {
      md += "Without a figure:\n\n";
      for (const std::string& line : left_out) {
        md += "- " + MarkdownEscape(TrimMessage(line, 5, 600)) + "\n";
      }
      md += "\n";
    }
  }
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

// What the registry says of a claim: the note's words (or that it is
// beyond the note), its meaning and the documented semantics.
void WriteClaimHeader(const claims::Claim& c, std::string& md) {
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
}

// What one run found for a claim: the verdict and why, the rule with its
// figures, the deciding tests with their messages, the figures measured.
void WriteVerdictEvidence(const Report& report, const ClaimReport& claim,
                          std::string& md) {
  const claims::Claim& c = claim.claim;
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

void WriteClaim(const Report& report, const ClaimReport& claim,
                std::string& md) {
  const claims::Claim& c = claim.claim;
  md += fmt::format("<a id=\"{}\"></a>\n\n### {} — {}\n\n",
                    HtmlEscape(ClaimAnchor(c.id)), CodeSpan(c.id),
                    VerdictName(claim.verdict));
  WriteClaimHeader(c, md);
  WriteVerdictEvidence(report, claim, md);
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
  if (!report.run.kernel.failure.empty()) {
    md += "## The guest kernel failed\n\n";
    WriteGuestFailureBody(report.run.kernel.label, report.run.kernel, md);
  }
  WriteRun(report, md);
  if (!report.run.kernel.missing_requirements.empty()) {
    md +=
        "## Missing requirements\n\nThis kernel lacks what some folders "
        "need (conformance/*/requirements): their claims are unverified, "
        "naming what is missing, not failed.\n\n";
    WriteMissingRequirementsBody(report.run.kernel, md);
  }
  WriteHealth(report.health, md);
  WriteSummary(report, md);
  if (report.benchmarks) {
    md += "## Benchmarks\n\n";
    WriteBenchmarkBody(*report.benchmarks, "###", md);
  }
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

// --- Several kernels (verify --kernel K ...): a column per kernel.

namespace {

std::string VerdictCell(const ClaimReport* claim, bool differs) {
  if (claim == nullptr) return "—";
  const std::string name(VerdictName(claim->verdict));
  return differs ? "**" + name + "**" : name;
}

// "| a | b |" for the table header of a row of kernels, with `before` and
// `after` columns around them.
std::string KernelHeader(const std::vector<std::string>& before,
                         const std::vector<std::string>& labels,
                         const std::vector<std::string>& after,
                         std::string_view kernel_rule = "---") {
  std::string header = "|";
  std::string rule = "|";
  for (const std::string& name : before) {
    header += " " + name + " |";
    rule += "---|";
  }
  for (const std::string& label : labels) {
    header += " " + MarkdownEscape(label) + " |";
    rule += std::string(kernel_rule) + "|";
  }
  for (const std::string& name : after) {
    header += " " + name + " |";
    rule += "---|";
  }
  return header + "\n" + rule + "\n";
}

// The facts every kernel's run shares: taken from the first report.
void WriteCommonRun(const Report& report, std::string& md) {
  const RunInfo& run = report.run;
  md += "| run | |\n|---|---|\n";
  md += fmt::format("| host | {} |\n", MarkdownEscape(run.hostname));
  md += fmt::format("| date | {} |\n", MarkdownEscape(run.started_utc));
  md += fmt::format("| command | {} |\n", CodeSpan(run.command_line, true));
  md += fmt::format("| selection | {} |\n",
                    run.selection.empty()
                        ? std::string("every claim")
                        : MarkdownEscape(Joined(run.selection, ", ")));
  md += fmt::format("| strict | {} |\n", run.strict ? "yes" : "no");
  md += fmt::format("| verify | {} |\n\n", MarkdownEscape(run.verify_version));
}

void WriteKernels(const std::vector<Report>& reports,
                  const std::vector<std::string>& labels, std::string& md) {
  md += "## Kernels\n\n";
  md += KernelHeader({""}, labels, {});
  std::vector<std::vector<KernelFact>> facts;
  for (const Report& report : reports) facts.push_back(KernelFacts(report));
  for (size_t row = 0; row < facts.front().size(); ++row) {
    md += "| " + facts.front()[row].name + " |";
    for (const std::vector<KernelFact>& kernel : facts) {
      const KernelFact& fact = kernel[row];
      const std::string value = MarkdownEscape(fact.value);
      md += " " + (fact.loud ? "**" + value + "**" : value) + " |";
    }
    md += "\n";
  }
  md += "\n";
  bool any_failure = false;
  for (const Report& report : reports) {
    any_failure = any_failure || !report.run.kernel.failure.empty();
  }
  if (any_failure) {
    md += "<a id=\"guest-failures\"></a>\n\n### Guest failures\n\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      const KernelInfo& kernel = reports[k].run.kernel;
      if (kernel.failure.empty()) continue;
      md += "#### " + MarkdownEscape(labels[k]) + ": " +
            MarkdownEscape(kernel.failure) + "\n\n";
      WriteGuestFailureBody(labels[k], kernel, md);
    }
  }
  bool any_missing = false;
  for (const Report& report : reports) {
    any_missing =
        any_missing || !report.run.kernel.missing_requirements.empty();
  }
  if (any_missing) {
    md +=
        "### Missing requirements\n\nWhat some folders need "
        "(conformance/*/requirements) and a kernel lacks: their claims are "
        "unverified on that kernel, naming what is missing, not failed.\n\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      const KernelInfo& kernel = reports[k].run.kernel;
      if (kernel.missing_requirements.empty()) continue;
      md += "#### " + MarkdownEscape(labels[k]) + "\n\n";
      WriteMissingRequirementsBody(kernel, md);
    }
  }
}

void WriteSeveralSummary(const std::vector<Report>& reports,
                         const std::vector<std::string>& labels,
                         const std::vector<ClaimAcrossKernels>& rows,
                         std::string& md) {
  md += "## Summary\n\n";
  // Counts are numbers: right-aligned, as in the single report.
  md += KernelHeader({"verdict"}, labels, {}, "---:");
  for (Verdict verdict : AllVerdicts()) {
    md += fmt::format("| {} |", VerdictName(verdict));
    for (const Report& report : reports) {
      md += fmt::format(" {} |", report.Count(verdict));
    }
    md += "\n";
  }
  md += "| **total** |";
  for (const Report& report : reports) {
    md += fmt::format(" **{}** |", report.claims.size());
  }
  md += "\n\n";
  md += KernelHeader({"claim", "area"}, labels, {"the note says"});
  for (const ClaimAcrossKernels& row : rows) {
    // Different answers are what a reader looks for: marked and bold. A
    // claim decided on some kernels only is marked, quietly.
    const bool answers = row.difference == Difference::kAnswers;
    md += "| " + ClaimLink(row.id) +
          (answers                                   ? " **differs**"
           : row.difference == Difference::kCoverage ? " *some kernels only*"
                                                     : "") +
          " | " + MarkdownEscape(row.claim->claim.area) + " |";
    for (const ClaimReport* claim : row.on) {
      md += " " + VerdictCell(claim, answers) + " |";
    }
    md += " " + NoteWordsCell(*row.claim) + " |\n";
  }
  md += "\n";
}

std::string DiffersAnchor(const std::string& id) { return "differs-" + id; }

// Why a kernel has no answer for a claim, for the coverage table.
std::string NoAnswerWhy(const std::vector<std::string>& labels,
                        const ClaimAcrossKernels& row) {
  std::string why;
  for (size_t k = 0; k < row.on.size(); ++k) {
    const ClaimReport* claim = row.on[k];
    std::string reason;
    if (claim == nullptr) {
      reason = "not in this kernel's run";
    } else if (!IsAnswer(claim->verdict)) {
      reason = NoVerdictReason(*claim);
    } else {
      continue;
    }
    if (!why.empty()) why += "; ";
    why += labels[k] + ": " + reason;
  }
  return why;
}

void WriteDiffers(const std::vector<Report>& reports,
                  const std::vector<std::string>& labels,
                  const std::vector<ClaimAcrossKernels>& rows,
                  std::string& md) {
  const auto [answers, coverage] = CountDifferences(rows);
  md +=
      "<a id=\"differs-between-kernels\"></a>\n\n## Differs between "
      "kernels\n\n";
  if (answers + coverage == 0) {
    md += "Every claim has the same verdict on every kernel.\n\n";
    return;
  }
  md += "### Different answers\n\n";
  if (answers == 0) {
    md +=
        "No claim got different answers: where two kernels answered, they "
        "agree.\n\n";
  } else {
    md += fmt::format(
        "{} claim(s) got different answers on different kernels. Each is "
        "shown with every kernel's verdict and evidence.\n\n",
        answers);
    md += KernelHeader({"claim", "area"}, labels, {});
    for (const ClaimAcrossKernels& row : rows) {
      if (row.difference != Difference::kAnswers) continue;
      md += "| [" + CodeSpan(row.id, true) + "](#" + DiffersAnchor(row.id) +
            ") | " + MarkdownEscape(row.claim->claim.area) + " |";
      for (const ClaimReport* claim : row.on) {
        md += " " + VerdictCell(claim, true) + " |";
      }
      md += "\n";
    }
    md += "\n";
    for (const ClaimAcrossKernels& row : rows) {
      if (row.difference != Difference::kAnswers) continue;
      md += fmt::format("<a id=\"{}\"></a>\n\n#### {}\n\n",
                        HtmlEscape(DiffersAnchor(row.id)), CodeSpan(row.id));
      md += "**Meaning:** " + MarkdownEscape(row.claim->claim.meaning) +
            " ([the claim's section](#" + ClaimAnchor(row.id) + "))\n\n";
      md += "| kernel | verdict | why |\n|---|---|---|\n";
      for (size_t k = 0; k < row.on.size(); ++k) {
        const ClaimReport* claim = row.on[k];
        md += "| " + MarkdownEscape(labels[k]) + " | " +
              VerdictCell(claim, false) + " | " +
              (claim == nullptr ? std::string("not in this kernel's run")
                                : MarkdownEscape(claim->explanation)) +
              " |\n";
      }
      md += "\n";
      for (size_t k = 0; k < row.on.size(); ++k) {
        if (row.on[k] == nullptr) continue;
        md += "##### On " + MarkdownEscape(labels[k]) + ": " +
              std::string(VerdictName(row.on[k]->verdict)) + "\n\n";
        WriteVerdictEvidence(reports[k], *row.on[k], md);
      }
    }
  }
  md += "### Decided on some kernels only\n\n";
  if (coverage == 0) {
    md += "None: every claim answered on one kernel was answered on all.\n\n";
    return;
  }
  md += fmt::format(
      "{} claim(s) have the same answer wherever there is one, but some "
      "kernels gave none (a missing requirement, a guest that failed, "
      "skipped tests). Each claim's section has every kernel's "
      "evidence.\n\n",
      coverage);
  md += KernelHeader({"claim", "area"}, labels, {"why not everywhere"});
  for (const ClaimAcrossKernels& row : rows) {
    if (row.difference != Difference::kCoverage) continue;
    md += "| " + ClaimLink(row.id) + " | " +
          MarkdownEscape(row.claim->claim.area) + " |";
    for (const ClaimReport* claim : row.on) {
      md += " " + VerdictCell(claim, false) + " |";
    }
    md += " " + MarkdownEscape(NoAnswerWhy(labels, row)) + " |\n";
  }
  md += "\n";
}

void WriteSeveralClaim(const std::vector<Report>& reports,
                       const std::vector<std::string>& labels,
                       const ClaimAcrossKernels& row, std::string& md) {
  std::string verdicts;
  bool same = !row.Differs();
  if (same) {
    verdicts =
        std::string(VerdictName(row.claim->verdict)) + " on every kernel";
  } else {
    for (size_t k = 0; k < row.on.size(); ++k) {
      if (!verdicts.empty()) verdicts += " · ";
      verdicts +=
          MarkdownEscape(labels[k]) + ": " +
          (row.on[k] == nullptr ? std::string("—")
                                : std::string(VerdictName(row.on[k]->verdict)));
    }
  }
  md +=
      fmt::format("<a id=\"{}\"></a>\n\n### {} — {}\n\n",
                  HtmlEscape(ClaimAnchor(row.id)), CodeSpan(row.id), verdicts);
  WriteClaimHeader(row.claim->claim, md);
  if (row.difference == Difference::kAnswers) {
    md +=
        "**Differs between kernels:** the kernels answered differently ([all "
        "answers side by side](#" +
        DiffersAnchor(row.id) + ")).\n\n";
  } else if (row.difference == Difference::kCoverage) {
    md += "**Differs between kernels:** decided on some kernels only.\n\n";
  }
  for (size_t k = 0; k < row.on.size(); ++k) {
    if (row.on[k] == nullptr) {
      md += "#### On " + MarkdownEscape(labels[k]) +
            ": not run\n\nThis kernel's run did not include the claim.\n\n";
      continue;
    }
    md += "#### On " + MarkdownEscape(labels[k]) + ": " +
          std::string(VerdictName(row.on[k]->verdict)) + "\n\n";
    WriteVerdictEvidence(reports[k], *row.on[k], md);
  }
}

}  // namespace

std::string WriteMarkdown(const std::vector<Report>& reports) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteMarkdown(reports.front());
  const std::vector<std::string> labels = KernelLabels(reports);
  const std::vector<ClaimAcrossKernels> rows = ClaimsAcrossKernels(reports);
  const Report& first = reports.front();

  std::string md =
      "# ipcproof report: " + MarkdownEscape(first.note_title) + "\n\n";
  std::string kernels;
  for (size_t k = 0; k < reports.size(); ++k) {
    if (!kernels.empty()) kernels += ", ";
    kernels += KernelTitle(labels[k], reports[k]);
  }
  md += fmt::format(
      "What the note \"{}\" says about Linux IPC, checked on {} kernels, a "
      "column each: {}. Each kernel's verdicts were earned by the tests run "
      "on that kernel.\n\n",
      MarkdownEscape(first.note_title), reports.size(),
      MarkdownEscape(kernels));
  // A guest that failed is said before anything else: its verdicts stop
  // where it failed.
  for (size_t k = 0; k < reports.size(); ++k) {
    const std::string sentence =
        GuestFailureSentence(labels[k], reports[k].run.kernel);
    if (sentence.empty()) continue;
    md += "> **" + MarkdownEscape(sentence) +
          "** Its log is under [Guest failures](#guest-failures).\n\n";
  }
  const auto [answers, coverage] = CountDifferences(rows);
  if (answers + coverage > 0) {
    md += fmt::format(
        "**{} claim(s) got different answers on different kernels, and {} "
        "were decided on some kernels only:** see [Differs between "
        "kernels](#differs-between-kernels).\n\n",
        answers, coverage);
  } else {
    md += "Every claim has the same verdict on every kernel.\n\n";
  }
  WriteCommonRun(first, md);
  WriteKernels(reports, labels, md);
  md += "## Kernel health\n\n";
  for (size_t k = 0; k < reports.size(); ++k) {
    md += "### " + MarkdownEscape(labels[k]) + "\n\n";
    WriteHealthBody(reports[k].health, md);
  }
  WriteSeveralSummary(reports, labels, rows, md);
  // The benchmarks run on the host only: each report that has them, under
  // its kernel's label.
  bool any_benchmarks = false;
  for (const Report& report : reports) {
    any_benchmarks = any_benchmarks || report.benchmarks.has_value();
  }
  if (any_benchmarks) {
    md += "## Benchmarks\n\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      if (!reports[k].benchmarks) continue;
      md += "### On " + MarkdownEscape(labels[k]) + "\n\n";
      WriteBenchmarkBody(*reports[k].benchmarks, "####", md);
    }
  }
  WriteDiffers(reports, labels, rows, md);

  std::vector<bool> written(rows.size(), false);
  const auto write_area = [&](const std::string& id, const std::string& title) {
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (written[i] || rows[i].claim->claim.area != id) continue;
      if (!any) {
        md +=
            fmt::format("## {} ({})\n\n", MarkdownEscape(title), CodeSpan(id));
      }
      any = true;
      written[i] = true;
      WriteSeveralClaim(reports, labels, rows[i], md);
    }
  };
  for (const claims::Area& area : first.areas) write_area(area.id, area.title);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!written[i]) {
      const std::string area = rows[i].claim->claim.area;
      write_area(area, area);
    }
  }
  return md;
}

}  // namespace ipcproof::verify

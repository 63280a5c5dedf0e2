#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/claim_figures.h"
#include "tools/report/markdown_summary.h"
#include "tools/report/report_test_util.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SampleReport;

class MarkdownWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    report_ = new Report(SampleReport());
    markdown_ = new std::string(WriteMarkdown(*report_));
  }
  static Report* report_;
  static std::string* markdown_;
};
Report* MarkdownWriterTest::report_ = nullptr;
std::string* MarkdownWriterTest::markdown_ = nullptr;

const ClaimReport& FirstWith(const Report& report, Verdict verdict) {
  for (const ClaimReport& claim : report.claims) {
    if (claim.verdict == verdict) return claim;
  }
  throw std::logic_error("the sample has no claim with this verdict");
}

TEST_F(MarkdownWriterTest, SummaryListsEveryClaimOnceInRegistryOrder) {
  std::vector<std::string> expected;
  for (const ClaimReport& claim : report_->claims)
    expected.push_back(claim.claim.id);
  EXPECT_EQ(SummaryClaimIds(*markdown_), expected);
}

TEST_F(MarkdownWriterTest, SummaryRowsGiveVerdictAndTheNotesWords) {
  const ClaimReport& deviates = FirstWith(*report_, Verdict::kDeviates);
  EXPECT_THAT(
      *markdown_,
      HasSubstr("| [`" + deviates.claim.id + "`](#claim-" + deviates.claim.id +
                ") | " + deviates.claim.area + " | kernel deviates | " +
                MarkdownEscape(deviates.claim.note_quote) + " |\n"));
  for (const ClaimReport& claim : report_->claims) {
    if (!claim.claim.beyond_note) continue;
    EXPECT_THAT(*markdown_, HasSubstr("(#claim-" + claim.claim.id + ") | " +
                                      claim.claim.area + " | " +
                                      std::string(VerdictName(claim.verdict)) +
                                      " | beyond the note |\n"));
    break;
  }
}

TEST_F(MarkdownWriterTest, CountsPerVerdictComeFirst) {
  const size_t counts = markdown_->find("| verdict | claims |");
  const size_t claims = markdown_->find("| claim | area | verdict |");
  ASSERT_NE(counts, std::string::npos);
  ASSERT_NE(claims, std::string::npos);
  EXPECT_LT(counts, claims);
  for (Verdict verdict : AllVerdicts()) {
    EXPECT_THAT(*markdown_,
                HasSubstr("| " + std::string(VerdictName(verdict)) + " | " +
                          std::to_string(report_->Count(verdict)) + " |\n"));
  }
}

TEST_F(MarkdownWriterTest, EveryClaimHasOneAnchoredSection) {
  for (const ClaimReport& claim : report_->claims) {
    const std::string anchor = "<a id=\"claim-" + claim.claim.id + "\"></a>";
    const size_t at = markdown_->find(anchor);
    ASSERT_NE(at, std::string::npos) << claim.claim.id;
    EXPECT_EQ(markdown_->find(anchor, at + 1), std::string::npos)
        << claim.claim.id;
  }
}

TEST_F(MarkdownWriterTest, EveryTableRowHasTheColumnsOfItsTable) {
  // A `|` from a message, a command line or an explanation that is not
  // escaped would add a cell.
  const testing::MarkdownParts parts = testing::SplitMarkdown(*markdown_);
  int columns = -1;
  for (const std::string& line : testing::SplitLines(parts.outside)) {
    if (!line.starts_with("|")) {
      columns = -1;
      continue;
    }
    const int bars = testing::UnescapedBars(line);
    if (columns < 0) columns = bars;
    EXPECT_EQ(bars, columns) << line;
  }
}

// Whether `text` holds `tag` with its `<` not escaped: "\\<script" is the
// text "<script" in CommonMark, "<script" is an element.
bool HasUnescapedTag(const std::string& text, const std::string& tag) {
  for (size_t at = text.find(tag); at != std::string::npos;
       at = text.find(tag, at + 1)) {
    if (at == 0 || text[at - 1] != '\\') return true;
  }
  return false;
}

TEST_F(MarkdownWriterTest, MarkupFromMessagesStaysInsideCodeBlocks) {
  const testing::MarkdownParts parts = testing::SplitMarkdown(*markdown_);
  EXPECT_FALSE(HasUnescapedTag(parts.outside, "<script"));
  EXPECT_THAT(parts.outside, Not(HasSubstr("<b>")));
  EXPECT_THAT(parts.outside, Not(HasSubstr("<i>")));
  // The message (with its own ``` and </pre>) is one whole block, not cut
  // short by a fence inside it.
  const std::string whole = TrimMessage(testing::kHostileMessage) + "\n";
  int found = 0;
  for (const std::string& block : parts.code_blocks) found += block == whole;
  EXPECT_GT(found, 0) << "no code block holds the whole failure message";
}

TEST_F(MarkdownWriterTest, DeviationShowsFailureRerunAndDeclaration) {
  const ClaimReport& deviates = FirstWith(*report_, Verdict::kDeviates);
  const TestResult& failing = report_->tests[deviates.tests.front()];
  const size_t section = markdown_->find("<a id=\"claim-" + deviates.claim.id);
  const size_t next = markdown_->find("<a id=\"claim-", section + 1);
  const std::string text = markdown_->substr(section, next - section);
  EXPECT_THAT(text, HasSubstr("`" + failing.declared_at + "`"));
  EXPECT_THAT(text, HasSubstr("failed: assertion (0.250 s); rerun on its own: "
                              "failed: assertion"));
  EXPECT_THAT(text,
              HasSubstr("Failure of `" + failing.full_name + "` (rerun):"));
  EXPECT_THAT(text,
              HasSubstr("> " + MarkdownEscape(deviates.claim.note_quote)));
  EXPECT_THAT(text, HasSubstr("> — the note, section " +
                              MarkdownEscape(deviates.claim.note_section)));
}

TEST_F(MarkdownWriterTest, MeasuredClaimShowsRuleAndFigures) {
  for (const ClaimReport& claim : report_->claims) {
    if (claim.figures.empty()) continue;
    EXPECT_THAT(*markdown_, HasSubstr("**Rule:** " +
                                      MarkdownEscape(claim.claim.rule->text)));
    EXPECT_THAT(*markdown_, HasSubstr("| `sample.ratio` | 0.21 | `" +
                                      claim.figures[0].test + "` |"));
    EXPECT_THAT(*markdown_, HasSubstr("**Rule outcome:** " +
                                      MarkdownEscape(claim.rule_outcome)));
    return;
  }
  FAIL() << "the sample has no measured claim with figures";
}

// The claim of the sample that is not measured and whose tests recorded
// figures (sample_report.h).
const ClaimReport& NotMeasuredWithFigures(const Report& report) {
  for (const ClaimReport& claim : report.claims) {
    if (claim.claim.rule || claim.tests.empty()) continue;
    if (!report.tests[claim.tests.front()].measured.empty()) return claim;
  }
  throw std::logic_error("the sample has no unmeasured claim with figures");
}

// The text of one claim's section, up to the next claim's anchor.
std::string SectionOf(const std::string& markdown, const std::string& id) {
  const size_t section = markdown.find("<a id=\"claim-" + id + "\"");
  if (section == std::string::npos) return "";
  const size_t next = markdown.find("<a id=\"claim-", section + 1);
  return markdown.substr(
      section, next == std::string::npos ? std::string::npos : next - section);
}

TEST_F(MarkdownWriterTest, FiguresMeasuredFollowTheDecidingTestsGroupedByTest) {
  const ClaimReport& claim = NotMeasuredWithFigures(*report_);
  const std::string text = SectionOf(*markdown_, claim.claim.id);
  const std::string first = report_->tests[claim.tests[0]].full_name;
  const std::string second = report_->tests[claim.tests[1]].full_name;
  const size_t tests = text.find("**Deciding tests:**");
  const size_t figures = text.find(
      "**Figures measured:**\n\n| test | figure | value |\n|---|---|---|\n"
      "| `" +
      first +
      "` | `sa_restart.read` | resumed |\n"
      "|  | `sa_restart.msgrcv` | EINTR |\n");
  ASSERT_NE(tests, std::string::npos);
  ASSERT_NE(figures, std::string::npos) << text;
  EXPECT_LT(tests, figures);
  // The second test's group starts with its name, and its figures keep the
  // order they were recorded in.
  EXPECT_THAT(text, HasSubstr("| `" + second +
                              "` | `sample.step_000` | 0 |\n"
                              "|  | `sample.step_001` | 7 |\n"));
}

TEST_F(MarkdownWriterTest, FigureNamesAndValuesAreEscaped) {
  const ClaimReport& claim = NotMeasuredWithFigures(*report_);
  const std::string text = SectionOf(*markdown_, claim.claim.id);
  // The name is literal code (its `|` escaped for the table), the value
  // plain text with every markup character escaped.
  EXPECT_THAT(text,
              HasSubstr("|  | ``odd\\|name `tick` <u>&amp;`` | " +
                        MarkdownEscape(testing::kHostileFigureValue) + " |\n"));
  EXPECT_FALSE(
      HasUnescapedTag(testing::SplitMarkdown(text).outside, "<script"));
  EXPECT_FALSE(HasUnescapedTag(text, "</script"));
}

TEST_F(MarkdownWriterTest, FiguresMeasuredAreCappedPerClaim) {
  const ClaimReport& claim = NotMeasuredWithFigures(*report_);
  const std::string text = SectionOf(*markdown_, claim.claim.id);
  // 3 figures of the first test, then the second test's up to the cap.
  const int second_shown = static_cast<int>(kMaxFigureRowsPerClaim) - 3;
  const int left_out = testing::kManyFigures - second_shown;
  ASSERT_GT(left_out, 0) << "the sample must exceed the cap";
  EXPECT_THAT(text, HasSubstr(fmt::format("| `sample.step_{:03}` |",
                                          second_shown - 1)));
  EXPECT_THAT(text,
              Not(HasSubstr(fmt::format("`sample.step_{:03}`", second_shown))));
  EXPECT_THAT(text, HasSubstr(fmt::format(
                        "… {} more in report.json (and junit.xml): this "
                        "section shows the first {} figures.",
                        left_out, kMaxFigureRowsPerClaim)));
}

TEST_F(MarkdownWriterTest, MeasuredClaimKeepsItsRuleFiguresAndListsAll) {
  for (const ClaimReport& claim : report_->claims) {
    if (claim.figures.empty()) continue;
    const std::string text = SectionOf(*markdown_, claim.claim.id);
    const size_t rule = text.find("| figure | value | recorded by |");
    const size_t measured = text.find("**Figures measured:**");
    ASSERT_NE(rule, std::string::npos);
    ASSERT_NE(measured, std::string::npos);
    EXPECT_LT(rule, measured);
    EXPECT_THAT(text.substr(measured), HasSubstr("| `sample.ratio` | 0.21 |"));
    EXPECT_THAT(text, Not(HasSubstr("more in report.json")));
    return;
  }
  FAIL() << "the sample has no measured claim with figures";
}

TEST_F(MarkdownWriterTest, ClaimsWithoutFiguresHaveNoFiguresTable) {
  for (const ClaimReport& claim : report_->claims) {
    bool any = false;
    for (size_t index : claim.tests) {
      any = any || !report_->tests[index].measured.empty();
    }
    EXPECT_EQ(
        SectionOf(*markdown_, claim.claim.id).find("**Figures measured:**") !=
            std::string::npos,
        any)
        << claim.claim.id;
  }
}

TEST_F(MarkdownWriterTest, ExpectedDeviationAndNotCheckableSayWhy) {
  const ClaimReport& expected =
      FirstWith(*report_, Verdict::kExpectedDeviation);
  EXPECT_THAT(*markdown_,
              HasSubstr(MarkdownEscape(expected.expected_deviation_reason)));
  const ClaimReport& not_checkable =
      FirstWith(*report_, Verdict::kNotCheckable);
  EXPECT_THAT(
      *markdown_,
      HasSubstr("**Verdict: not checkable.** " +
                MarkdownEscape(AsSentence(not_checkable.claim.not_checkable))));
}

TEST_F(MarkdownWriterTest, RunAndHealthAreStated) {
  EXPECT_THAT(*markdown_,
              HasSubstr("| kernel | Linux 6.18.0-sample (x86\\_64) |"));
  EXPECT_THAT(*markdown_, HasSubstr("2026-12-01T11:24:58Z"));
  EXPECT_THAT(*markdown_, HasSubstr("| wall time | 6.4 s |"));
  EXPECT_THAT(*markdown_, HasSubstr("the kernel was tainted during the run"));
  EXPECT_THAT(*markdown_, HasSubstr("WARNING: CPU: 1 PID: 4242"));
}

TEST_F(MarkdownWriterTest, BenchmarksFollowTheSummaryAsTables) {
  const size_t summary = markdown_->find("\n## Summary\n");
  const size_t benchmarks = markdown_->find("\n## Benchmarks\n");
  ASSERT_NE(benchmarks, std::string::npos);
  EXPECT_LT(summary, benchmarks);
  EXPECT_EQ(markdown_->find("\n## Benchmarks\n", benchmarks + 1),
            std::string::npos);
  const size_t next = markdown_->find("\n## ", benchmarks + 1);
  ASSERT_NE(next, std::string::npos);
  const std::string section = markdown_->substr(benchmarks, next - benchmarks);
  EXPECT_THAT(section, HasSubstr("| CPU | AMD EPYC 7B13 64-Core Processor |"));
  EXPECT_THAT(section, HasSubstr("| pinning | cpu0,cpu1 |"));
  EXPECT_THAT(section, Not(HasSubstr("decide nothing")));
  // Mechanism rows by size columns, the median and its cv in human units.
  EXPECT_THAT(section, HasSubstr("| mechanism | 64 B | 4 KiB | 1 MiB |\n"
                                 "|---|---:|---:|---:|\n"
                                 "| pipe | 8.12 µs ±1.8 % | 12.0 µs ±3.1 % | "
                                 "410 µs ±5.2 % |\n"));
  EXPECT_THAT(section, HasSubstr("| shm\\_futex | no median | 4.10 µs ±1.2 % "
                                 "| 260 µs |\n"));
  EXPECT_THAT(section,
              HasSubstr("| pipe | 310 MB/s ±4.0 % | 2.90 GB/s ±2.0 % | "
                        "3.30 GB/s ±3.0 % |\n"));
  // Throughput against memcpy/2 at the same size: 2.9 / (24 / 2) at 4 KiB.
  EXPECT_THAT(section, HasSubstr("| pipe | 0.08 | 0.24 | 0.55 |\n"));
  EXPECT_THAT(section, HasSubstr("| posix\\_mq | 0.07 | 0.17 | — |\n"));
  // The wrappers against raw calls: 1210 / 1201.
  EXPECT_THAT(section, HasSubstr("| pipe | 4 KiB | 1.007 |\n"));
  // Skips listed with their (escaped) reason.
  EXPECT_THAT(section, HasSubstr("- posix\\_mq at 1 MiB: skipped: "
                                 "conformance/pipe/pipe\\_test.cc:120"));
  EXPECT_THAT(section,
              HasSubstr("- shm\\_futex at 64 B: no usable median (0)"));
  EXPECT_FALSE(HasUnescapedTag(section, "<script"));
}

TEST(MarkdownBenchmarksTest, NoBenchmarksNoSectionAndUnusableIsLoud) {
  Report report = SampleReport();
  report.benchmarks->unusable = "a smoke run | <b>x</b>";
  EXPECT_THAT(WriteMarkdown(report),
              HasSubstr("> **These figures decide nothing: a smoke run \\| "
                        "\\<b\\>x\\</b\\>**\n"));
  report.benchmarks.reset();
  EXPECT_THAT(WriteMarkdown(report), Not(HasSubstr("## Benchmarks")));
}

}  // namespace
}  // namespace ipcproof::verify

namespace ipcproof::verify {
namespace {

TEST(MarkdownWriterReasonTest, RegistryReasonIsShownWhenTheExplanationLacksIt) {
  Report report;
  ClaimReport claim;
  claim.claim.id = "zerocopy.history";
  claim.claim.area = "zerocopy";
  claim.claim.not_checkable = "history, not behaviour";
  claim.verdict = Verdict::kNotCheckable;
  claim.explanation = "no test can decide it";
  report.claims.push_back(claim);
  EXPECT_THAT(WriteMarkdown(report),
              ::testing::HasSubstr(
                  "**Why it cannot be checked here:** history, not behaviour"));
  report.claims[0].explanation = "history, not behaviour";
  EXPECT_THAT(WriteMarkdown(report),
              ::testing::Not(::testing::HasSubstr("**Why it cannot")));
}

}  // namespace
}  // namespace ipcproof::verify

namespace ipcproof::verify {
namespace {

TEST(MarkdownWriterFiguresTest, ATestsFiguresAppearUnderEveryClaimItDeclares) {
  Report report;
  TestResult test;
  test.full_name = "SaRestart.PipeRead";
  test.claims = {"signal.a", "signal.b"};
  test.measured = {{"sa_restart.read", "resumed"}};
  report.tests.push_back(test);
  for (const char* id : {"signal.a", "signal.b"}) {
    ClaimReport claim;
    claim.claim.id = id;
    claim.claim.area = "signal";
    claim.verdict = Verdict::kConfirmed;
    claim.tests = {0};
    report.claims.push_back(claim);
  }
  const std::string markdown = WriteMarkdown(report);
  const std::string row =
      "| `SaRestart.PipeRead` | `sa_restart.read` | resumed |";
  const size_t first = markdown.find(row);
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(markdown.find(row, first + 1), std::string::npos);
}

}  // namespace
}  // namespace ipcproof::verify

// --- Several kernels.

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MarkdownOneKernelTest, OneReportIsTheSingleReportByteForByte) {
  const testing::KernelsSample sample = testing::SampleKernels();
  // The host, and a guest that panicked with a requirement missing.
  Report guest = sample.reports[3];
  guest.run.kernel.missing_requirements = {testing::kMissingRequirement};
  for (const Report& report : {sample.reports[0], guest}) {
    EXPECT_EQ(WriteMarkdown(std::vector<Report>{report}),
              WriteMarkdown(report));
  }
  EXPECT_THROW(WriteMarkdown(std::vector<Report>{}), std::invalid_argument);
}

TEST(MarkdownOneKernelTest, AGuestsReportSaysHowItBootedAndThatItFailed) {
  const testing::KernelsSample sample = testing::SampleKernels();
  Report guest = sample.reports[3];
  guest.run.kernel.missing_requirements = {testing::kMissingRequirement};
  const std::string markdown = WriteMarkdown(guest);
  EXPECT_THAT(markdown, HasSubstr("| booted as | bzImage |"));
  EXPECT_THAT(markdown,
              HasSubstr("| accelerator | tcg (not KVM: no /dev/kvm) |"));
  EXPECT_THAT(markdown, HasSubstr("| time scale | 10 (deadlines ×10) |"));
  // The failure comes before the run table, in bold, with the log whole.
  const size_t failure = markdown.find("## The guest kernel failed");
  ASSERT_NE(failure, std::string::npos);
  EXPECT_LT(failure, markdown.find("| run | |"));
  EXPECT_THAT(markdown, HasSubstr("**The guest kernel bzImage failed "
                                  "(panic)"));
  const std::string log =
      TrimMessage(testing::kGuestFailureMessage, 100, 10000) + "\n";
  int blocks = 0;
  for (const std::string& block : testing::SplitMarkdown(markdown).code_blocks)
    blocks += block == log;
  EXPECT_EQ(blocks, 1);
  EXPECT_THAT(markdown, HasSubstr("## Missing requirements"));
  EXPECT_THAT(markdown,
              HasSubstr(MarkdownEscape(testing::kMissingRequirement)));
  // The host's report has none of it.
  const std::string host = WriteMarkdown(sample.reports[0]);
  EXPECT_THAT(host, Not(HasSubstr("booted as")));
  EXPECT_THAT(host, Not(HasSubstr("guest")));
}

class MarkdownKernelsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sample_ = new testing::KernelsSample(testing::SampleKernels());
    markdown_ = new std::string(WriteMarkdown(sample_->reports));
  }
  static const std::vector<Report>& reports() { return sample_->reports; }
  static testing::KernelsSample* sample_;
  static std::string* markdown_;
};
testing::KernelsSample* MarkdownKernelsTest::sample_ = nullptr;
std::string* MarkdownKernelsTest::markdown_ = nullptr;

// The table row of `markdown` whose first cell is `first`, split into its
// cells (unescaped bars only); empty when there is none.
std::vector<std::string> RowCells(const std::string& markdown,
                                  const std::string& first) {
  for (const std::string& line : testing::SplitLines(markdown)) {
    if (!line.starts_with("| " + first + " |")) continue;
    std::vector<std::string> cells;
    std::string cell;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        cell += line.substr(i, 2);
        ++i;
      } else if (line[i] == '|') {
        cells.push_back(cell.substr(1, cell.size() - 2));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    return cells;
  }
  return {};
}

TEST_F(MarkdownKernelsTest, TheHeadingNamesEveryKernelWithItsRelease) {
  const std::string intro = markdown_->substr(0, markdown_->find("| run |"));
  EXPECT_THAT(intro, HasSubstr("checked on 4 kernels"));
  for (const Report& report : reports()) {
    EXPECT_THAT(intro,
                HasSubstr(MarkdownEscape(report.run.kernel.label + " (Linux " +
                                         report.run.kernel_release + ")")));
  }
}

TEST_F(MarkdownKernelsTest, TheKernelsTableHasAColumnPerKernel) {
  EXPECT_EQ(RowCells(*markdown_, ""),
            (std::vector<std::string>{"", "host", "linux-6.1", "linux-6.12",
                                      "bzImage"}));
  EXPECT_EQ(RowCells(*markdown_, "accelerator")[2],
            "tcg (not KVM: KVM internal error. Suberror: 1 emulation "
            "failure)");
  EXPECT_EQ(RowCells(*markdown_, "time scale")[2], "10 (deadlines ×10)");
  EXPECT_EQ(RowCells(*markdown_, "boot time")[3], "2.9 s");
  EXPECT_EQ(RowCells(*markdown_, "wall time")[1], "6.4 s");
  EXPECT_EQ(RowCells(*markdown_, "wall time")[2], "95.3 s");
  EXPECT_EQ(RowCells(*markdown_, "package")[2],
            MarkdownEscape(reports()[1].run.kernel.package));
  EXPECT_EQ(RowCells(*markdown_, "missing requirements")[3],
            "**1 (listed below)**");
  EXPECT_EQ(RowCells(*markdown_, "guest")[4], "**FAILED: panic**");
}

TEST_F(MarkdownKernelsTest, AGuestFailureIsSaidFirstAndItsLogGivenWhole) {
  const size_t loud =
      markdown_->find("> **The guest kernel bzImage failed (panic)");
  ASSERT_NE(loud, std::string::npos);
  EXPECT_LT(loud, markdown_->find("## Kernels"));
  EXPECT_THAT(*markdown_, HasSubstr("#### bzImage: panic\n"));
  const std::string log =
      TrimMessage(testing::kGuestFailureMessage, 100, 10000) + "\n";
  int blocks = 0;
  for (const std::string& block :
       testing::SplitMarkdown(*markdown_).code_blocks) {
    blocks += block == log;
  }
  EXPECT_EQ(blocks, 1);
  EXPECT_THAT(*markdown_,
              HasSubstr("- " + MarkdownEscape(testing::kMissingRequirement)));
}

TEST_F(MarkdownKernelsTest, CountsHaveAColumnPerKernel) {
  for (Verdict verdict : AllVerdicts()) {
    const std::vector<std::string> cells =
        RowCells(*markdown_, std::string(VerdictName(verdict)));
    ASSERT_EQ(cells.size(), 5u) << VerdictName(verdict);
    for (size_t k = 0; k < reports().size(); ++k) {
      EXPECT_EQ(cells[k + 1], std::to_string(reports()[k].Count(verdict)));
    }
  }
}

TEST_F(MarkdownKernelsTest, TheClaimTableListsEveryClaimOnceWithEachVerdict) {
  std::vector<std::string> expected;
  for (const ClaimReport& claim : reports()[0].claims) {
    expected.push_back(claim.claim.id);
  }
  EXPECT_EQ(SummaryClaimIds(*markdown_), expected);
  const std::string summary = markdown_->substr(
      markdown_->find("## Summary"),
      markdown_->find("## Differs") - markdown_->find("## Summary"));
  for (size_t i = 0; i < expected.size(); ++i) {
    const std::string link =
        "[`" + expected[i] + "`](#claim-" + expected[i] + ")";
    const size_t at = summary.find("| " + link);
    ASSERT_NE(at, std::string::npos) << expected[i];
    const std::string row = summary.substr(at, summary.find('\n', at) - at);
    const bool differs = expected[i] == sample_->differing_claim;
    for (const Report& report : reports()) {
      const std::string verdict(VerdictName(report.claims[i].verdict));
      EXPECT_THAT(row, HasSubstr(differs ? "| **" + verdict + "** |"
                                         : "| " + verdict + " |"))
          << row;
    }
    EXPECT_EQ(row.find("**differs**") != std::string::npos, differs) << row;
  }
}

TEST_F(MarkdownKernelsTest, DifferingAnswersComeFirstWithEveryKernelsEvidence) {
  const size_t differs = markdown_->find("## Differs between kernels");
  const size_t answers = markdown_->find("### Different answers", differs);
  const size_t coverage =
      markdown_->find("### Decided on some kernels only", answers);
  const size_t details = markdown_->find("<a id=\"claim-");
  ASSERT_NE(differs, std::string::npos);
  ASSERT_NE(coverage, std::string::npos);
  EXPECT_LT(coverage, details) << "before the per-claim detail";
  const std::string section = markdown_->substr(answers, coverage - answers);
  const std::string& id = sample_->differing_claim;
  EXPECT_THAT(section, HasSubstr("1 claim(s) got different answers"));
  EXPECT_THAT(section, HasSubstr("<a id=\"differs-" + id + "\"></a>"));
  EXPECT_THAT(section, HasSubstr("| [`" + id + "`](#differs-" + id + ") |"));
  // Every kernel's answer, and each kernel's evidence under its heading.
  for (const std::string& heading :
       {std::string("##### On host: confirmed"),
        std::string("##### On linux-6.1: kernel deviates"),
        std::string("##### On linux-6.12: confirmed"),
        std::string("##### On bzImage: unverified")}) {
    EXPECT_THAT(section, HasSubstr(heading));
  }
  const testing::MarkdownParts parts = testing::SplitMarkdown(section);
  int failures = 0;
  for (const std::string& block : parts.code_blocks) {
    failures += block == std::string(testing::kGuestAssertion) + "\n";
  }
  EXPECT_EQ(failures, 2) << "the failure and its rerun";
  EXPECT_THAT(section, HasSubstr("| `sample.wakeups` | 0 |"));
  // Only the one claim is in it.
  size_t anchors = 0;
  for (size_t at = section.find("<a id=\"differs-"); at != std::string::npos;
       at = section.find("<a id=\"differs-", at + 1)) {
    ++anchors;
  }
  EXPECT_EQ(anchors, 1u);
}

TEST_F(MarkdownKernelsTest, ClaimsDecidedOnSomeKernelsOnlySayWhy) {
  const size_t coverage = markdown_->find("### Decided on some kernels only");
  const std::string section = markdown_->substr(
      coverage, markdown_->find("\n## ", coverage) - coverage);
  const ClaimReport* mq = nullptr;
  for (const ClaimReport& claim : reports()[2].claims) {
    if (claim.claim.folder == sample_->missing_folder &&
        claim.verdict == Verdict::kUnverified &&
        claim.explanation == testing::kMissingRequirement) {
      mq = &claim;
      break;
    }
  }
  ASSERT_NE(mq, nullptr);
  const size_t row = section.find("| [`" + mq->claim.id + "`]");
  ASSERT_NE(row, std::string::npos);
  EXPECT_THAT(
      section.substr(row, section.find('\n', row) - row),
      HasSubstr(MarkdownEscape("linux-6.12: unverified: " +
                               std::string(testing::kMissingRequirement))));
}

TEST_F(MarkdownKernelsTest, EachClaimSectionHasEveryKernelsVerdict) {
  for (const ClaimReport& claim : reports()[0].claims) {
    const std::string text = SectionOf(*markdown_, claim.claim.id);
    ASSERT_FALSE(text.empty()) << claim.claim.id;
    for (size_t k = 0; k < reports().size(); ++k) {
      const ClaimReport& here =
          reports()[k].claims[&claim - &reports()[0].claims[0]];
      EXPECT_THAT(
          text,
          HasSubstr("#### On " + MarkdownEscape(reports()[k].run.kernel.label) +
                    ": " + std::string(VerdictName(here.verdict)) +
                    "\n\n**Verdict: " + std::string(VerdictName(here.verdict)) +
                    ".**"))
          << claim.claim.id;
    }
  }
  const std::string text = SectionOf(*markdown_, sample_->differing_claim);
  EXPECT_THAT(text, HasSubstr("host: confirmed · linux-6.1: kernel deviates · "
                              "linux-6.12: confirmed · bzImage: unverified"));
  EXPECT_THAT(text, HasSubstr("(#differs-" + sample_->differing_claim + ")"));
}

TEST_F(MarkdownKernelsTest, AnchorsAreUniqueAndEveryLinkFindsOne) {
  std::set<std::string> anchors;
  const std::regex anchor("<a id=\"([^\"]+)\"></a>");
  for (auto it =
           std::sregex_iterator(markdown_->begin(), markdown_->end(), anchor);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(anchors.insert((*it)[1]).second) << (*it)[1];
  }
  const std::regex link("\\]\\(#([^)]+)\\)");
  int links = 0;
  for (auto it =
           std::sregex_iterator(markdown_->begin(), markdown_->end(), link);
       it != std::sregex_iterator(); ++it) {
    ++links;
    EXPECT_TRUE(anchors.contains((*it)[1])) << (*it)[1];
  }
  EXPECT_GT(links, static_cast<int>(reports()[0].claims.size()));
}

TEST_F(MarkdownKernelsTest, EveryTableRowHasTheColumnsOfItsTable) {
  const testing::MarkdownParts parts = testing::SplitMarkdown(*markdown_);
  int columns = -1;
  for (const std::string& line : testing::SplitLines(parts.outside)) {
    if (!line.starts_with("|")) {
      columns = -1;
      continue;
    }
    const int bars = testing::UnescapedBars(line);
    if (columns < 0) columns = bars;
    EXPECT_EQ(bars, columns) << line;
  }
}

TEST_F(MarkdownKernelsTest, MarkupFromMessagesAndLogsStaysText) {
  const testing::MarkdownParts parts = testing::SplitMarkdown(*markdown_);
  EXPECT_FALSE(HasUnescapedTag(parts.outside, "<script"));
  EXPECT_FALSE(HasUnescapedTag(parts.outside, "<i>"));
  EXPECT_FALSE(HasUnescapedTag(parts.outside, "<b>"));
}

TEST_F(MarkdownKernelsTest, BenchmarksAreShownOnceUnderTheHostsLabel) {
  const size_t benchmarks = markdown_->find("\n## Benchmarks\n");
  ASSERT_NE(benchmarks, std::string::npos);
  EXPECT_EQ(markdown_->find("\n## Benchmarks\n", benchmarks + 1),
            std::string::npos);
  const size_t next = markdown_->find("\n## ", benchmarks + 1);
  const std::string section = markdown_->substr(benchmarks, next - benchmarks);
  std::vector<std::string> headings;
  for (const std::string& line : testing::SplitLines(section)) {
    if (line.starts_with("### ")) headings.push_back(line);
  }
  EXPECT_THAT(headings, ::testing::ElementsAre("### On host"));
  EXPECT_THAT(section, HasSubstr("\n#### latency: "));
}

}  // namespace
}  // namespace ipcproof::verify

namespace ipcproof::verify {
namespace {

TEST(MarkdownKernelsSelectionTest, AClaimOneKernelsRunLacksIsShownAsNotRun) {
  Report host;
  Report guest;
  guest.run.kernel.label = "linux-6.1";
  guest.run.kernel.guest = true;
  for (const char* id : {"pipe.a", "pipe.b"}) {
    ClaimReport claim;
    claim.claim.id = id;
    claim.claim.area = "pipe";
    claim.claim.beyond_note = true;
    claim.verdict = Verdict::kConfirmed;
    host.claims.push_back(claim);
    if (std::string(id) == "pipe.a") guest.claims.push_back(claim);
  }
  const std::string markdown = WriteMarkdown(std::vector<Report>{host, guest});
  EXPECT_THAT(markdown,
              ::testing::HasSubstr("| [`pipe.b`](#claim-pipe.b) *some kernels "
                                   "only* | pipe | confirmed | — |"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("#### On linux-6.1: not run"));
  EXPECT_THAT(markdown,
              ::testing::HasSubstr("linux-6.1: not in this kernel's run"));
  // The page of the same run is well-formed and says the same.
  pugi::xml_document page =
      testing::ParseHtml(WriteHtml(std::vector<Report>{host, guest}));
  const pugi::xml_node section = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("id").value()) == "claim-pipe.b";
  });
  ASSERT_TRUE(section);
  EXPECT_STREQ(section.attribute("data-verdicts").value(), "confirmed -");
  EXPECT_STREQ(section.attribute("data-differs").value(), "coverage");
}

}  // namespace
}  // namespace ipcproof::verify

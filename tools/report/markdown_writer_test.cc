#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/report/claim_evidence.h"
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

TEST_F(MarkdownWriterTest, MarkupFromMessagesStaysInsideCodeBlocks) {
  const testing::MarkdownParts parts = testing::SplitMarkdown(*markdown_);
  EXPECT_THAT(parts.outside, Not(HasSubstr("<script")));
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

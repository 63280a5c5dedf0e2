#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/report/report_test_util.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

namespace ipcproof::verify {
namespace {

using testing::SampleReport;
using ::testing::StartsWith;

TEST(KtapWriterTest, PlanAndOneResultLinePerClaim) {
  const Report report = SampleReport();
  const std::vector<std::string> lines = testing::SplitLines(WriteKtap(report));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "KTAP version 1");
  EXPECT_EQ(lines[1], "1.." + std::to_string(report.claims.size()));

  // ktap.rst: "<result> <number> [<description>][ # [<directive>] [<diagnostic
  // data>]]"
  const std::regex result_line(R"(^(ok|not ok) (\d+) ([^#\s]+)(?: # (.*))?$)");
  size_t number = 0;
  for (size_t i = 2; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.starts_with("# ")) continue;
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, result_line))
        << "neither a result nor a diagnostic line: " << line;
    ASSERT_LT(number, report.claims.size());
    const ClaimReport& claim = report.claims[number];
    EXPECT_EQ(std::stoul(match[2]), ++number);
    EXPECT_EQ(match[3], claim.claim.id);
    const std::string result = match[1];
    const std::string directive = match[4];
    switch (claim.verdict) {
      case Verdict::kConfirmed:
      case Verdict::kRefined:
      case Verdict::kRefuted:
        EXPECT_EQ(result, "ok") << line;
        EXPECT_EQ(directive, VerdictName(claim.verdict));
        break;
      case Verdict::kDeviates:
        EXPECT_EQ(result, "not ok") << line;
        EXPECT_THAT(directive, StartsWith("kernel deviates: "));
        break;
      case Verdict::kExpectedDeviation:
        EXPECT_EQ(result, "ok") << line;
        EXPECT_THAT(directive, StartsWith("XFAIL expected deviation: "));
        break;
      case Verdict::kFlaky:
        EXPECT_EQ(result, "ok") << line;
        EXPECT_THAT(directive, StartsWith("SKIP flaky: "));
        break;
      case Verdict::kUnverified:
        EXPECT_THAT(directive, StartsWith("SKIP unverified: ")) << line;
        break;
      case Verdict::kNotCheckable:
        EXPECT_THAT(directive, StartsWith("SKIP not checkable: ")) << line;
        break;
      case Verdict::kUntested:
        EXPECT_THAT(directive, StartsWith("SKIP untested: ")) << line;
        break;
    }
  }
  EXPECT_EQ(number, report.claims.size());
  EXPECT_THAT(lines.back(), StartsWith("# Totals: pass:"));
}

TEST(KtapWriterTest, DeviationEvidenceIsDiagnosticLinesBeforeItsResult) {
  const Report report = SampleReport();
  const std::vector<std::string> lines = testing::SplitLines(WriteKtap(report));
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("not ok ")) continue;
    ASSERT_GT(i, 0u);
    EXPECT_THAT(lines[i - 1], StartsWith("# ")) << lines[i];
    // The multi-line failure message became diagnostic lines, not results.
    bool saw_message = false;
    for (size_t k = i; k-- > 0 && lines[k].starts_with("# ");) {
      saw_message =
          saw_message || lines[k].find("管道已满") != std::string::npos;
    }
    EXPECT_TRUE(saw_message) << lines[i];
    return;
  }
  FAIL() << "no not-ok line";
}

TEST(KtapWriterTest, NamesLoseHashesAndSpaces) {
  Report report;
  ClaimReport claim;
  claim.claim.id = "odd.id#with space\nand-newline";
  claim.verdict = Verdict::kUntested;
  claim.explanation = "why # with a hash\nand a newline";
  report.claims.push_back(claim);
  const std::vector<std::string> lines = testing::SplitLines(WriteKtap(report));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[1], "1..1");
  int results = 0;
  for (const std::string& line : lines) {
    if (!line.starts_with("ok ")) continue;
    ++results;
    EXPECT_EQ(line,
              "ok 1 odd.id_with_space_and-newline # SKIP untested: why _ "
              "with a hash and a newline");
  }
  EXPECT_EQ(results, 1);
}

}  // namespace
}  // namespace ipcproof::verify

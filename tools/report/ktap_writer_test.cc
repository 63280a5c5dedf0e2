#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

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

// --- Several kernels.

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(KtapOneKernelTest, OneReportIsTheSingleReportByteForByte) {
  const testing::KernelsSample sample = testing::SampleKernels();
  for (const Report& report : sample.reports) {
    EXPECT_EQ(WriteKtap(std::vector<Report>{report}), WriteKtap(report));
  }
  EXPECT_THROW(WriteKtap(std::vector<Report>{}), std::invalid_argument);
}

TEST(KtapOneKernelTest, AGuestThatFailedEndsWithANotOkResult) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const Report& student = sample.reports[3];
  const std::vector<std::string> lines =
      testing::SplitLines(WriteKtap(student));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[1], "1.." + std::to_string(student.claims.size() + 1));
  std::vector<std::string> results;
  for (const std::string& line : lines) {
    if (line.starts_with("ok ") || line.starts_with("not ok ")) {
      results.push_back(line);
    }
  }
  ASSERT_EQ(results.size(), student.claims.size() + 1);
  EXPECT_EQ(results.back(),
            "not ok " + std::to_string(student.claims.size() + 1) +
                " guest_ran_the_suite_to_its_end # guest panic");
  // The log came just before it, as diagnostics.
  EXPECT_NE(WriteKtap(student).find("# [   12.305] Kernel panic - not syncing"),
            std::string::npos);
  // A host run has no such line.
  EXPECT_EQ(WriteKtap(sample.reports[0]).find("guest_ran"), std::string::npos);
}

TEST(KtapOneKernelTest, AMessageLineNeverLooksLikeASubtestHeader) {
  Report report;
  ClaimReport claim;
  claim.claim.id = "pipe.x";
  claim.verdict = Verdict::kDeviates;
  claim.tests = {0};
  report.claims.push_back(claim);
  TestResult test;
  test.full_name = "T.x";
  test.first = Attempt{TestStatus::kFailed,
                       FailureKind::kAssertion,
                       {"line one\nSubtest: forged\n1..9"},
                       0};
  report.tests.push_back(test);
  for (const std::string& line : testing::SplitLines(WriteKtap(report))) {
    // kunit_parser.py's TEST_HEADER and TEST_PLAN.
    EXPECT_FALSE(std::regex_match(line, std::regex(R"(^\s*# Subtest: .*$)")))
        << line;
    EXPECT_FALSE(std::regex_search(line, std::regex(R"(^\s*1\.\.[0-9]+)")) &&
                 line != "1..1")
        << line;
  }
}

TEST(KtapKernelsTest, OneSubtestPerKernelIndentedWithItsOwnPlan) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const std::vector<std::string> lines =
      testing::SplitLines(WriteKtap(sample.reports));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "KTAP version 1");
  EXPECT_EQ(lines[1], "1..4");
  std::vector<std::string> top_results;
  std::vector<std::string> subtests;
  size_t kernel = 0;
  size_t expected_number = 0;
  for (size_t i = 2; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.starts_with("    ")) {
      // A top-level line: a diagnostic or a kernel's result.
      if (line.starts_with("# ")) continue;
      top_results.push_back(line);
      ASSERT_LT(kernel, sample.reports.size());
      EXPECT_EQ(expected_number,
                sample.reports[kernel].claims.size() + (kernel == 3 ? 1 : 0))
          << "each subtest's results are its plan";
      ++kernel;
      expected_number = 0;
      continue;
    }
    const std::string inner = line.substr(4);
    if (inner.starts_with("# Subtest: ")) subtests.push_back(inner.substr(11));
    std::smatch result;
    if (std::regex_search(inner, result,
                          std::regex(R"(^(?:ok|not ok) (\d+) )"))) {
      ++expected_number;
      EXPECT_EQ(std::stoul(result[1]), expected_number) << inner;
    }
  }
  EXPECT_THAT(subtests,
              ElementsAre("host", "linux-6.1", "linux-6.12", "bzImage"));
  EXPECT_THAT(top_results,
              ElementsAre("not ok 1 host # 3 claim(s) deviate",
                          "not ok 2 linux-6.1 # 4 claim(s) deviate",
                          "not ok 3 linux-6.12 # 3 claim(s) deviate",
                          "not ok 4 bzImage # guest failed: panic"));
  EXPECT_THAT(lines.back(), StartsWith("# Totals: pass:0 fail:4"));
}

TEST(KtapKernelsTest, ACleanKernelIsOk) {
  Report clean;
  ClaimReport claim;
  claim.claim.id = "pipe.x";
  claim.verdict = Verdict::kConfirmed;
  clean.claims.push_back(claim);
  Report guest = clean;
  guest.run.kernel.label = "linux-6.1";
  guest.run.kernel.guest = true;
  const std::vector<std::string> lines =
      testing::SplitLines(WriteKtap(std::vector<Report>{clean, guest}));
  std::vector<std::string> top;
  for (const std::string& line : lines) {
    if (!line.starts_with(" ") && !line.starts_with("#")) top.push_back(line);
  }
  EXPECT_THAT(top, ElementsAre("KTAP version 1", "1..2", "ok 1 host",
                               "ok 2 linux-6.1"));
}

}  // namespace
}  // namespace ipcproof::verify

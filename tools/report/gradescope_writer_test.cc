#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/report/claim_evidence.h"
#include "tools/report/grading_config.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

namespace ipcproof::verify {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::SampleReport;
using ::testing::StartsWith;

class GradescopeWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { report_ = new Report(SampleReport()); }
  static json Write(const GradingConfig& config) {
    return json::parse(WriteGradescope(*report_, config));
  }
  static Report* report_;
};
Report* GradescopeWriterTest::report_ = nullptr;

GradingConfig Config(const std::string& text) {
  return ParseGradingConfig(text, "test-config.json");
}

TEST_F(GradescopeWriterTest, OneEntryPerClaimScoredByVerdict) {
  const json results = Write(Config(
      R"({"version": 1, "default": {"weight": 2},
          "rules": [{"match": "*.beyond.*", "weight": 0.5}]})"));
  const json& tests = results["tests"];
  ASSERT_EQ(tests.size(), report_->claims.size());
  double sum = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    const ClaimReport& claim = report_->claims[i];
    const json& entry = tests[i];
    const double weight = claim.claim.beyond_note ? 0.5 : 2;
    EXPECT_THAT(entry["name"].get<std::string>(), HasSubstr(claim.claim.id));
    EXPECT_EQ(entry["tags"],
              json::array(
                  {claim.claim.area, std::string(VerdictKey(claim.verdict))}));
    EXPECT_EQ(entry["visibility"], "visible");
    EXPECT_TRUE(entry["number"].is_string());
    sum += entry["score"].get<double>();
    switch (claim.verdict) {
      case Verdict::kConfirmed:
      case Verdict::kRefined:
      case Verdict::kRefuted:
        EXPECT_EQ(entry["score"], weight) << claim.claim.id;
        EXPECT_EQ(entry["max_score"], weight);
        EXPECT_EQ(entry["status"], "passed");
        break;
      case Verdict::kExpectedDeviation:
        EXPECT_EQ(entry["score"], weight);
        EXPECT_EQ(entry["max_score"], weight);
        EXPECT_THAT(entry["output"].get<std::string>(),
                    HasSubstr("known kernel difference"));
        break;
      case Verdict::kDeviates:
      case Verdict::kFlaky:
        EXPECT_EQ(entry["score"], 0) << claim.claim.id;
        EXPECT_EQ(entry["max_score"], weight);
        EXPECT_EQ(entry["status"], "failed");
        EXPECT_THAT(entry["output"].get<std::string>(), HasSubstr("管道已满"));
        break;
      case Verdict::kUnverified:
      case Verdict::kNotCheckable:
      case Verdict::kUntested:
        EXPECT_EQ(entry["score"], 0) << claim.claim.id;
        EXPECT_EQ(entry["max_score"], 0) << claim.claim.id;
        EXPECT_THAT(entry["output"].get<std::string>(),
                    StartsWith("Not graded (0 of 0).\nVerdict: " +
                               std::string(VerdictName(claim.verdict)) + ". " +
                               AsSentence(claim.explanation)));
        EXPECT_FALSE(claim.explanation.empty());
        break;
    }
  }
  EXPECT_DOUBLE_EQ(results["score"].get<double>(), sum);
  EXPECT_EQ(results["execution_time"], std::lround(report_->run.wall_seconds));
  EXPECT_EQ(results["visibility"], "visible");
  EXPECT_THAT(results["output"].get<std::string>(), HasSubstr("6.18.0-sample"));
}

TEST_F(GradescopeWriterTest, HideErrorsReplacesOnlyFailedOutput) {
  const json results =
      Write(Config(R"({"version": 1, "hide_errors": "Ask the instructor."})"));
  int hidden = 0;
  for (const json& entry : results["tests"]) {
    if (entry["status"] == "failed") {
      ++hidden;
      EXPECT_EQ(entry["output"], "Ask the instructor.");
    } else {
      EXPECT_NE(entry["output"], "Ask the instructor.");
    }
  }
  EXPECT_GT(hidden, 0);
}

TEST_F(GradescopeWriterTest, VisibilityComesFromTheConfig) {
  const json results = Write(Config(
      R"({"version": 1, "visibility": "after_published",
          "default": {"visibility": "after_due_date"},
          "rules": [{"match": "pipe.*", "visibility": "hidden"}]})"));
  EXPECT_EQ(results["visibility"], "after_published");
  for (size_t i = 0; i < report_->claims.size(); ++i) {
    EXPECT_EQ(results["tests"][i]["visibility"],
              report_->claims[i].claim.id.starts_with("pipe.")
                  ? "hidden"
                  : "after_due_date");
  }
}

TEST_F(GradescopeWriterTest, PerTestEntries) {
  const json results = Write(Config(R"({"version": 1, "per": "test"})"));
  const json& tests = results["tests"];
  ASSERT_EQ(tests.size(), report_->tests.size());
  for (size_t i = 0; i < tests.size(); ++i) {
    const TestResult& test = report_->tests[i];
    EXPECT_THAT(tests[i]["name"].get<std::string>(), HasSubstr(test.full_name));
    if (test.first.status == TestStatus::kSkipped) {
      EXPECT_EQ(tests[i]["max_score"], 0);
    } else if (test.first.status == TestStatus::kPassed) {
      EXPECT_EQ(tests[i]["score"], 1);
    } else if (test.rerun && test.rerun->status == TestStatus::kPassed) {
      EXPECT_EQ(tests[i]["score"], 0) << "flaky earns nothing";
      EXPECT_EQ(tests[i]["status"], "failed");
    }
  }
}

}  // namespace
}  // namespace ipcproof::verify

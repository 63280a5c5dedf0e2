#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

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

// --- Several kernels, and a student's kernel.

namespace ipcproof::verify {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const GradingConfig& PerClaim() {
  static const GradingConfig config = ParseGradingConfig(
      R"({"version": 1, "rules": [{"match": "*.beyond.*", "weight": 0.5}]})",
      "per-claim.json");
  return config;
}

const GradingConfig& PerTest() {
  static const GradingConfig config =
      ParseGradingConfig(R"({"version": 1, "per": "test"})", "per-test.json");
  return config;
}

TEST(GradescopeOneKernelTest, OneReportIsTheSingleReportByteForByte) {
  const testing::KernelsSample sample = testing::SampleKernels();
  for (const Report& report : sample.reports) {
    for (const GradingConfig* config : {&PerClaim(), &PerTest()}) {
      EXPECT_EQ(WriteGradescope(std::vector<Report>{report}, *config),
                WriteGradescope(report, *config));
    }
  }
  EXPECT_THROW(WriteGradescope(std::vector<Report>{}, PerClaim()),
               std::invalid_argument);
}

TEST(GradescopeOneKernelTest, AStudentsKernelIsGradedExactlyLikeTheHost) {
  // The same results, once from the host and once from a guest booted from
  // a student's bzImage: every entry the same, and the same score.
  const Report host = testing::SampleReport();
  Report student = host;
  student.run.kernel.label = "bzImage";
  student.run.kernel.guest = true;
  student.run.kernel.accelerator = "tcg";
  student.run.kernel.image_path = "/autograder/submission/bzImage";
  for (const GradingConfig* config : {&PerClaim(), &PerTest()}) {
    const json a = json::parse(WriteGradescope(host, *config));
    const json b = json::parse(WriteGradescope(student, *config));
    EXPECT_EQ(a["tests"], b["tests"]);
    EXPECT_EQ(a["score"], b["score"]);
    EXPECT_THAT(b["output"].get<std::string>(),
                HasSubstr("in a guest (bzImage, tcg)"));
  }
}

double MaxScore(const json& results) {
  double max_score = 0;
  for (const json& entry : results["tests"]) {
    max_score += entry["max_score"].get<double>();
  }
  return max_score;
}

TEST(GradescopeOneKernelTest, APanickedKernelScoresNothingAndSaysWhy) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const Report& student = sample.reports[3];
  const std::string first_line =
      std::string(testing::kGuestFailureMessage)
          .substr(0, std::string(testing::kGuestFailureMessage).find('\n'));
  const json results = json::parse(WriteGradescope(student, PerClaim()));
  EXPECT_EQ(results["score"], 0);
  EXPECT_THAT(results["output"].get<std::string>(),
              StartsWith("The guest kernel bzImage failed (panic)"));
  EXPECT_THAT(results["output"].get<std::string>(), HasSubstr(first_line));
  ASSERT_EQ(results["tests"].size(), student.claims.size());
  for (size_t i = 0; i < student.claims.size(); ++i) {
    const json& entry = results["tests"][i];
    const ClaimReport& claim = student.claims[i];
    EXPECT_EQ(entry["score"], 0) << claim.claim.id;
    if (claim.verdict == Verdict::kNotCheckable ||
        claim.verdict == Verdict::kUntested) {
      // No kernel can earn these: 0 of 0, as on any kernel.
      EXPECT_EQ(entry["max_score"], 0) << claim.claim.id;
      continue;
    }
    // Earned on the part that ran or unverified by the crash: 0 of the
    // claim's weight, failed, the failure first.
    EXPECT_EQ(entry["max_score"], claim.claim.beyond_note ? 0.5 : 1)
        << claim.claim.id;
    EXPECT_EQ(entry["status"], "failed") << claim.claim.id;
    EXPECT_THAT(entry["output"].get<std::string>(),
                StartsWith("The guest kernel bzImage failed (panic)"));
    EXPECT_THAT(entry["output"].get<std::string>(), HasSubstr(first_line));
    EXPECT_THAT(entry["output"].get<std::string>(),
                ::testing::Not(HasSubstr("Not graded")));
    EXPECT_THAT(entry["output"].get<std::string>(),
                ::testing::Not(HasSubstr("not counted against")));
  }
  // Not a shrunken total: every claim that ran or could have run counts.
  const json host = json::parse(WriteGradescope(sample.reports[0], PerClaim()));
  EXPECT_GE(MaxScore(results), MaxScore(host));
}

TEST(GradescopeOneKernelTest, PerTestAPanickedKernelStillOwesEveryClaim) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const Report& student = sample.reports[3];
  const json results = json::parse(WriteGradescope(student, PerTest()));
  EXPECT_EQ(results["score"], 0);
  size_t untested_claims = 0;
  for (const ClaimReport& claim : student.claims) {
    untested_claims += claim.tests.empty() &&
                       claim.verdict != Verdict::kNotCheckable &&
                       claim.verdict != Verdict::kUntested;
  }
  ASSERT_GT(untested_claims, 0u);
  // An entry per test that ran, and one per claim the crash left unrun.
  EXPECT_EQ(results["tests"].size(), student.tests.size() + untested_claims);
  for (const json& entry : results["tests"]) {
    EXPECT_EQ(entry["score"], 0);
    EXPECT_EQ(entry["status"], "failed") << entry["name"];
    EXPECT_GT(entry["max_score"].get<double>(), 0) << entry["name"];
  }
}

TEST(GradescopeOneKernelTest, HideErrorsHidesEntriesButNotTheCrash) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const json results = json::parse(WriteGradescope(
      sample.reports[3],
      ParseGradingConfig(R"({"version": 1, "hide_errors": "Ask."})", "h")));
  EXPECT_THAT(results["output"].get<std::string>(),
              HasSubstr("Kernel panic - not syncing"));
  for (const json& entry : results["tests"]) {
    if (entry["status"] == "failed") EXPECT_EQ(entry["output"], "Ask.");
  }
}

TEST(GradescopeKernelsTest, EachKernelsEntriesPrefixedAndTheScoreSummed) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const json results = json::parse(WriteGradescope(sample.reports, PerClaim()));
  const std::vector<std::string> labels = {"host", "linux-6.1", "linux-6.12",
                                           "bzImage"};
  size_t at = 0;
  double score = 0;
  double seconds = 0;
  for (size_t k = 0; k < sample.reports.size(); ++k) {
    const json single =
        json::parse(WriteGradescope(sample.reports[k], PerClaim()));
    for (const json& expected : single["tests"]) {
      ASSERT_LT(at, results["tests"].size());
      json entry = results["tests"][at++];
      EXPECT_EQ(entry["name"],
                "[" + labels[k] + "] " + expected["name"].get<std::string>());
      EXPECT_EQ(entry["number"], std::to_string(k + 1) + "." +
                                     expected["number"].get<std::string>());
      EXPECT_EQ(entry["tags"].back(), labels[k]);
      // Otherwise exactly the kernel's own entry.
      entry["name"] = expected["name"];
      entry["number"] = expected["number"];
      entry["tags"].erase(entry["tags"].size() - 1);
      EXPECT_EQ(entry, expected);
    }
    score += single["score"].get<double>();
    seconds += sample.reports[k].run.wall_seconds;
    EXPECT_THAT(results["output"].get<std::string>(),
                HasSubstr("[" + labels[k] + "] ipcproof on Linux " +
                          sample.reports[k].run.kernel_release));
  }
  EXPECT_EQ(at, results["tests"].size());
  EXPECT_DOUBLE_EQ(results["score"].get<double>(), score);
  EXPECT_EQ(results["execution_time"], std::lround(seconds));
  EXPECT_THAT(results["output"].get<std::string>(),
              HasSubstr("[bzImage] The guest kernel bzImage failed (panic)"));
  EXPECT_THAT(results["output"].get<std::string>(),
              HasSubstr("[linux-6.12] Missing requirement"));
}

TEST(GradescopeKernelsTest, TheDifferingClaimScoresOnOneKernelOnly) {
  const testing::KernelsSample sample = testing::SampleKernels();
  const json results = json::parse(WriteGradescope(sample.reports, PerClaim()));
  std::map<std::string, double> scores;
  for (const json& entry : results["tests"]) {
    const std::string name = entry["name"];
    if (name.find("] " + sample.differing_claim + ":") == std::string::npos) {
      continue;
    }
    scores[name.substr(1, name.find(']') - 1)] = entry["score"];
  }
  double weight = 1;
  for (const ClaimReport& claim : sample.reports[0].claims) {
    if (claim.claim.id == sample.differing_claim && claim.claim.beyond_note) {
      weight = 0.5;
    }
  }
  EXPECT_EQ(scores, (std::map<std::string, double>{{"host", weight},
                                                   {"linux-6.1", 0},
                                                   {"linux-6.12", weight},
                                                   {"bzImage", 0}}));
}

}  // namespace
}  // namespace ipcproof::verify

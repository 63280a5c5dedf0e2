#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using nlohmann::json;
using testing::SampleReport;

class JsonWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    report_ = new Report(SampleReport());
    json_ = new json(json::parse(WriteJson(*report_)));
  }
  static Report* report_;
  static json* json_;
};
Report* JsonWriterTest::report_ = nullptr;
json* JsonWriterTest::json_ = nullptr;

TEST_F(JsonWriterTest, IsVersionedAndHasEveryTopLevelPart) {
  EXPECT_EQ((*json_)["schema"], "ipcproof-report");
  EXPECT_EQ((*json_)["version"], 1);
  for (const char* key : {"run", "note", "areas", "health", "counts",
                          "deviates", "claims", "tests"}) {
    EXPECT_TRUE(json_->contains(key)) << key;
  }
  EXPECT_EQ((*json_)["run"]["kernel_release"], report_->run.kernel_release);
  EXPECT_EQ((*json_)["run"]["wall_seconds"], report_->run.wall_seconds);
  EXPECT_EQ((*json_)["health"]["taint_changed"], true);
  EXPECT_FALSE((*json_)["health"].contains("log_unreadable"));
  EXPECT_EQ((*json_)["deviates"], true);
}

TEST_F(JsonWriterTest, EveryClaimWithItsVerdictKeyInOrder) {
  const json& claims = (*json_)["claims"];
  ASSERT_EQ(claims.size(), report_->claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    const ClaimReport& claim = report_->claims[i];
    EXPECT_EQ(claims[i]["id"], claim.claim.id);
    EXPECT_EQ(claims[i]["verdict"], std::string(VerdictKey(claim.verdict)));
    EXPECT_EQ(claims[i]["earned"], IsEarned(claim.verdict));
    EXPECT_EQ(claims[i]["tests"].get<std::vector<size_t>>(), claim.tests);
    // Optional parts are absent, not empty, where they do not apply.
    EXPECT_EQ(claims[i].contains("note"), !claim.claim.beyond_note);
    EXPECT_EQ(claims[i].contains("rule"), claim.claim.rule.has_value());
    if (claim.claim.rule) {
      EXPECT_EQ(claims[i]["rule"]["then"], claim.claim.rule->verdict_if_true);
      EXPECT_EQ(claims[i]["rule"]["threshold"], claim.claim.rule->threshold);
    }
    EXPECT_EQ(claims[i].contains("expected_deviation_reason"),
              !claim.expected_deviation_reason.empty());
  }
}

TEST_F(JsonWriterTest, CountsAddUpToTheClaims) {
  const json& counts = (*json_)["counts"];
  int sum = 0;
  for (Verdict verdict : AllVerdicts()) {
    const std::string key(VerdictKey(verdict));
    ASSERT_TRUE(counts.contains(key)) << key;
    EXPECT_EQ(counts[key], report_->Count(verdict));
    sum += counts[key].get<int>();
  }
  EXPECT_EQ(counts["total"], sum);
  EXPECT_EQ(sum, static_cast<int>(report_->claims.size()));
}

TEST_F(JsonWriterTest, TestsKeepMessagesWholeAndReruns) {
  const json& tests = (*json_)["tests"];
  ASSERT_EQ(tests.size(), report_->tests.size());
  int reruns = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    const TestResult& test = report_->tests[i];
    EXPECT_EQ(tests[i]["full_name"], test.full_name);
    EXPECT_EQ(tests[i]["first"]["status"],
              std::string(TestStatusName(test.first.status)));
    EXPECT_EQ(tests[i].contains("rerun"), test.rerun.has_value());
    if (test.rerun) {
      ++reruns;
      EXPECT_EQ(tests[i]["rerun"]["status"],
                std::string(TestStatusName(test.rerun->status)));
    }
    if (test.first.status == TestStatus::kFailed) {
      EXPECT_EQ(tests[i]["first"]["failure_kind"],
                std::string(FailureKindName(test.first.failure_kind)));
      // Untrimmed: machines get the whole message (made valid UTF-8).
      EXPECT_EQ(tests[i]["first"]["messages"][0],
                CleanText(testing::kHostileMessage));
    } else {
      EXPECT_FALSE(tests[i]["first"].contains("failure_kind"));
    }
  }
  EXPECT_GT(reruns, 0);
}

TEST_F(JsonWriterTest, TestsCarryEveryFigureTheyRecordedInOrder) {
  // The Markdown and HTML sections cap their figure tables and send the
  // reader here for the rest.
  const json& tests = (*json_)["tests"];
  ASSERT_EQ(tests.size(), report_->tests.size());
  size_t most = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    const auto& measured = report_->tests[i].measured;
    ASSERT_EQ(tests[i]["measured"].size(), measured.size());
    for (size_t k = 0; k < measured.size(); ++k) {
      EXPECT_EQ(tests[i]["measured"][k]["name"], measured[k].first);
      EXPECT_EQ(tests[i]["measured"][k]["value"], measured[k].second);
    }
    most = std::max(most, measured.size());
  }
  EXPECT_EQ(most, static_cast<size_t>(testing::kManyFigures));
}

TEST_F(JsonWriterTest, FiguresCarryTheirTest) {
  for (const json& claim : (*json_)["claims"]) {
    if (claim["figures"].empty()) continue;
    EXPECT_EQ(claim["figures"][0]["name"], "sample.ratio");
    EXPECT_EQ(claim["figures"][0]["value"], "0.21");
    EXPECT_TRUE(claim.contains("rule_outcome"));
    return;
  }
  FAIL() << "no claim with figures";
}

}  // namespace
}  // namespace ipcproof::verify

// --- Several kernels.

namespace ipcproof::verify {
namespace {

using nlohmann::json;

TEST(JsonOneKernelTest, OneReportIsTheVersionOneDocument) {
  const testing::KernelsSample sample = testing::SampleKernels();
  for (const Report& report : sample.reports) {
    EXPECT_EQ(WriteJson(std::vector<Report>{report}), WriteJson(report));
  }
  EXPECT_THROW(WriteJson(std::vector<Report>{}), std::invalid_argument);
  // A host run keeps today's v1 document: no run.kernel.
  const json host = json::parse(WriteJson(sample.reports[0]));
  EXPECT_EQ(host["version"], 1);
  EXPECT_FALSE(host["run"].contains("kernel"));
  // A guest's adds run.kernel, an optional field of v1.
  const json guest = json::parse(WriteJson(sample.reports[3]));
  EXPECT_EQ(guest["version"], 1);
  const json& kernel = guest["run"]["kernel"];
  EXPECT_EQ(kernel["label"], "bzImage");
  EXPECT_EQ(kernel["guest"], true);
  EXPECT_EQ(kernel["failure"], "panic");
  EXPECT_EQ(kernel["failure_message"],
            CleanText(testing::kGuestFailureMessage));
  EXPECT_FALSE(kernel.contains("package")) << "absent, not empty";
  EXPECT_EQ(kernel["time_scale"], 10);
}

class JsonKernelsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sample_ = new testing::KernelsSample(testing::SampleKernels());
    json_ = new json(json::parse(WriteJson(sample_->reports)));
  }
  static const std::vector<Report>& reports() { return sample_->reports; }
  static testing::KernelsSample* sample_;
  static json* json_;
};
testing::KernelsSample* JsonKernelsTest::sample_ = nullptr;
json* JsonKernelsTest::json_ = nullptr;

TEST_F(JsonKernelsTest, VersionTwoHoldsOneVersionOneDocumentPerKernel) {
  EXPECT_EQ((*json_)["schema"], "ipcproof-report");
  EXPECT_EQ((*json_)["version"], 2);
  EXPECT_EQ((*json_)["labels"],
            json::array({"host", "linux-6.1", "linux-6.12", "bzImage"}));
  EXPECT_EQ((*json_)["deviates"], true);
  EXPECT_EQ((*json_)["guest_failed"], true);
  const json& kernels = (*json_)["kernels"];
  ASSERT_EQ(kernels.size(), reports().size());
  for (size_t k = 0; k < reports().size(); ++k) {
    json expected = json::parse(WriteJson(reports()[k]));
    // The same document as the kernel's own report, with run.kernel always.
    if (!expected["run"].contains("kernel")) {
      ASSERT_FALSE(reports()[k].run.kernel.guest);
      EXPECT_EQ(kernels[k]["run"]["kernel"],
                (json{{"label", "host"},
                      {"guest", false},
                      {"time_scale", 1},
                      {"missing_requirements", json::array()}}));
      expected["run"]["kernel"] = kernels[k]["run"]["kernel"];
    }
    EXPECT_EQ(kernels[k], expected) << k;
  }
  EXPECT_EQ(kernels[2]["run"]["kernel"]["missing_requirements"],
            json::array({CleanText(testing::kMissingRequirement)}));
  EXPECT_EQ(kernels[1]["run"]["kernel"]["accelerator"], "tcg");
  EXPECT_EQ(kernels[1]["run"]["kernel"]["boot_seconds"], 2.4);
}

TEST_F(JsonKernelsTest, DiffersListsEachDifferingClaimWithEveryVerdict) {
  const json& differs = (*json_)["differs"];
  int answers = 0;
  std::set<std::string> listed;
  for (const json& entry : differs) {
    const std::string id = entry["id"];
    listed.insert(id);
    ASSERT_EQ(entry["verdicts"].size(), reports().size());
    if (entry["difference"] == "answers") {
      ++answers;
      EXPECT_EQ(id, sample_->differing_claim);
      EXPECT_EQ(entry["verdicts"], json::array({"confirmed", "deviates",
                                                "confirmed", "unverified"}));
    } else {
      EXPECT_EQ(entry["difference"], "coverage") << id;
    }
  }
  EXPECT_EQ(answers, 1);
  // Exactly the claims whose verdicts are not all the same.
  for (size_t i = 0; i < reports()[0].claims.size(); ++i) {
    bool same = true;
    for (const Report& report : reports()) {
      same = same && report.claims[i].verdict == reports()[0].claims[i].verdict;
    }
    EXPECT_EQ(listed.contains(reports()[0].claims[i].claim.id), !same)
        << reports()[0].claims[i].claim.id;
  }
}

}  // namespace
}  // namespace ipcproof::verify

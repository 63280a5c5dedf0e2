#include "tools/report/kernel_columns.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/report/sample_report.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;

Report WithClaims(const std::string& label,
                  const std::vector<std::pair<std::string, Verdict>>& claims) {
  Report report;
  report.run.kernel.label = label;
  for (const auto& [id, verdict] : claims) {
    ClaimReport claim;
    claim.claim.id = id;
    claim.verdict = verdict;
    report.claims.push_back(claim);
  }
  return report;
}

TEST(KernelLabelsTest, EveryKernelGetsItsOwnLabel) {
  std::vector<Report> reports(4);
  reports[0].run.kernel.label = "";
  reports[1].run.kernel.label = "bzImage";
  reports[2].run.kernel.label = "bzImage";
  reports[3].run.kernel.label = "linux-6.1";
  EXPECT_THAT(KernelLabels(reports),
              ElementsAre("host", "bzImage", "bzImage#2", "linux-6.1"));
}

TEST(ClaimsAcrossKernelsTest, AnswersCoverageAndSame) {
  const std::vector<Report> reports = {
      WithClaims("host", {{"a", Verdict::kConfirmed},
                          {"b", Verdict::kConfirmed},
                          {"c", Verdict::kConfirmed},
                          {"d", Verdict::kUnverified},
                          {"e", Verdict::kFlaky}}),
      WithClaims("linux-6.1", {{"a", Verdict::kConfirmed},
                               {"b", Verdict::kDeviates},
                               {"c", Verdict::kUnverified},
                               {"d", Verdict::kNotCheckable},
                               {"e", Verdict::kConfirmed},
                               {"f", Verdict::kConfirmed}}),
  };
  const std::vector<ClaimAcrossKernels> rows = ClaimsAcrossKernels(reports);
  std::vector<std::string> ids;
  std::vector<Difference> differences;
  for (const ClaimAcrossKernels& row : rows) {
    ids.push_back(row.id);
    differences.push_back(row.difference);
    ASSERT_EQ(row.on.size(), 2u);
  }
  // The first report's order, then the claims only a later one has.
  EXPECT_THAT(ids, ElementsAre("a", "b", "c", "d", "e", "f"));
  EXPECT_THAT(differences,
              ElementsAre(Difference::kSame,
                          // confirmed against deviates: answers differ
                          Difference::kAnswers,
                          // answered on one kernel only
                          Difference::kCoverage,
                          // neither answered, but the verdicts differ
                          Difference::kCoverage,
                          // flaky against confirmed: answers differ
                          Difference::kAnswers,
                          // missing from the host's run
                          Difference::kCoverage));
  EXPECT_EQ(rows[5].on[0], nullptr);
  EXPECT_EQ(rows[5].claim, &reports[1].claims[5]);
  EXPECT_EQ(rows[1].on[1]->verdict, Verdict::kDeviates);
}

TEST(ClaimsAcrossKernelsTest, TheSampleDiffersInAnswersOnlyInItsOneClaim) {
  const testing::KernelsSample sample = testing::SampleKernels();
  ASSERT_EQ(sample.reports.size(), 4u);
  const std::vector<ClaimAcrossKernels> rows =
      ClaimsAcrossKernels(sample.reports);
  std::vector<std::string> answers;
  int coverage = 0;
  for (const ClaimAcrossKernels& row : rows) {
    if (row.difference == Difference::kAnswers) answers.push_back(row.id);
    if (row.difference != Difference::kCoverage) continue;
    ++coverage;
    // A coverage difference here is a claim answered on the host that the
    // kernel missing a requirement or the panicked one left unverified.
    EXPECT_TRUE(IsAnswer(row.on[0]->verdict)) << row.id;
    EXPECT_TRUE(row.on[2]->verdict == Verdict::kUnverified ||
                row.on[3]->verdict == Verdict::kUnverified)
        << row.id;
  }
  EXPECT_THAT(answers, ElementsAre(sample.differing_claim));
  EXPECT_GT(coverage, 0);
}

TEST(KernelFactsTest, HostAndGuestsLineUpAndFailuresAreLoud) {
  const testing::KernelsSample sample = testing::SampleKernels();
  std::vector<std::string> names;
  for (const KernelFact& fact : KernelFacts(sample.reports[0])) {
    names.push_back(fact.name);
  }
  for (const Report& report : sample.reports) {
    std::vector<std::string> here;
    for (const KernelFact& fact : KernelFacts(report)) {
      here.push_back(fact.name);
    }
    EXPECT_EQ(here, names) << report.run.kernel.label;
  }
  const auto fact = [](const Report& report, const std::string& name) {
    for (const KernelFact& fact : KernelFacts(report)) {
      if (fact.name == name) return fact;
    }
    return KernelFact{};
  };
  EXPECT_EQ(fact(sample.reports[1], "accelerator").value,
            "tcg (not KVM: KVM internal error. Suberror: 1 emulation "
            "failure)");
  EXPECT_EQ(fact(sample.reports[1], "time scale").value, "10 (deadlines ×10)");
  EXPECT_EQ(fact(sample.reports[1], "boot time").value, "2.4 s");
  EXPECT_FALSE(fact(sample.reports[1], "guest").loud);
  EXPECT_TRUE(fact(sample.reports[2], "missing requirements").loud);
  EXPECT_EQ(fact(sample.reports[3], "guest").value, "FAILED: panic");
  EXPECT_TRUE(fact(sample.reports[3], "guest").loud);
  EXPECT_TRUE(fact(sample.reports[0], "taint").loud);
  EXPECT_TRUE(GuestFacts(sample.reports[0]).empty());
  EXPECT_EQ(GuestFacts(sample.reports[3]).front().value, "bzImage");
}

TEST(GuestFailureSentenceTest, NamesTheKernelAndTheKindOrIsEmpty) {
  KernelInfo kernel;
  kernel.guest = true;
  EXPECT_EQ(GuestFailureSentence("linux-6.1", kernel), "");
  kernel.failure = "hang";
  const std::string sentence = GuestFailureSentence("linux-6.1", kernel);
  EXPECT_THAT(sentence, ::testing::HasSubstr("linux-6.1 failed (hang)"));
}

}  // namespace
}  // namespace ipcproof::verify

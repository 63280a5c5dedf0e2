#include "tools/verify/unverified.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::UnorderedElementsAre;

claims::Claim Claim(const std::string& id, const std::string& folder) {
  claims::Claim claim;
  claim.id = id;
  claim.folder = folder;
  return claim;
}

claims::Registry Registry() {
  claims::Registry registry;
  registry.claims = {
      Claim("mq.a", "conformance/mq"), Claim("mq.b", "conformance/mq"),
      Claim("pipe.a", "conformance/pipe"), Claim("pipe.b", "conformance/pipe")};
  return registry;
}

claims::ClaimIndex Index() {
  claims::ClaimIndex index;
  index.declarations = {
      {"pipe.a", "PipeTest.Blocks", "conformance/pipe/pipe_test.cc", 10},
      {"pipe.b", "PipeSemanticsTest.Reads", "conformance/pipe/pipe_test.cc",
       20},
      {"mq.b", "PipeTest.Blocks", "conformance/pipe/pipe_test.cc", 11},
  };
  return index;
}

TEST(UnverifiedClaimsTest, ABlockTakesEveryClaimOfItsFolder) {
  const auto reasons = UnverifiedClaims(
      Registry(), Index(),
      {{"conformance/mq", "linux-6.1 lacks CONFIG_POSIX_MQUEUE (...)"}}, {});
  EXPECT_THAT(reasons, UnorderedElementsAre(Key("mq.a"), Key("mq.b")));
  EXPECT_EQ(reasons.at("mq.a").sentence,
            "linux-6.1 lacks CONFIG_POSIX_MQUEUE (...)");
  EXPECT_TRUE(reasons.at("mq.a").replaces_deviation);
}

TEST(UnverifiedClaimsTest, AGapTakesTheClaimsItsTestDeclaresHoweverNamed) {
  // A TEST_P runs as Instantiation/Suite.Name/Parameter.
  const auto reasons = UnverifiedClaims(
      Registry(), Index(), {},
      {{"conformance/pipe/pipe_test", "Pipes/PipeSemanticsTest.Reads/fifo",
        "linux-6.1 panicked before conformance/pipe/pipe_test reported"}});
  EXPECT_THAT(reasons, UnorderedElementsAre(Key("pipe.b")));
  EXPECT_FALSE(reasons.at("pipe.b").replaces_deviation);

  // One test, two claims; a block comes first for the claim it covers.
  const auto both = UnverifiedClaims(
      Registry(), Index(), {{"conformance/mq", "block"}},
      {{"conformance/pipe/pipe_test", "PipeTest.Blocks", "gap"}});
  EXPECT_EQ(both.at("pipe.a").sentence, "gap");
  EXPECT_EQ(both.at("mq.b").sentence, "block");
  EXPECT_TRUE(UnverifiedClaims(Registry(), Index(), {}, {}).empty());
}

TEST(MarkUnverifiedTest, ReplacesVerdictsButKeepsADeviationAGapLeaves) {
  std::vector<ClaimReport> claims(3);
  claims[0].claim = Claim("pipe.a", "conformance/pipe");
  claims[0].verdict = Verdict::kConfirmed;
  claims[0].explanation = "1 test passed";
  claims[0].figures = {{"capacity", "65536", "PipeTest.Blocks"}};
  claims[0].rule_outcome = "min(capacity) = 65536 > 0";
  claims[1].claim = Claim("pipe.b", "conformance/pipe");
  claims[1].verdict = Verdict::kDeviates;
  claims[1].explanation = "PipeTest.Reads failed";
  claims[2].claim = Claim("mq.a", "conformance/mq");
  claims[2].verdict = Verdict::kDeviates;

  MarkUnverified(claims, {{"pipe.a", {"gap a", false}},
                          {"pipe.b", {"gap b", false}},
                          {"mq.a", {"block", true}}});
  EXPECT_EQ(claims[0].verdict, Verdict::kUnverified);
  EXPECT_EQ(claims[0].explanation, "gap a");
  EXPECT_THAT(claims[0].figures, IsEmpty());
  EXPECT_EQ(claims[0].rule_outcome, "");
  // A reported failure is evidence that stands.
  EXPECT_EQ(claims[1].verdict, Verdict::kDeviates);
  EXPECT_EQ(claims[1].explanation, "PipeTest.Reads failed");
  // A folder the kernel lacks says nothing about its tests' failures.
  EXPECT_EQ(claims[2].verdict, Verdict::kUnverified);
  EXPECT_EQ(claims[2].explanation, "block");
}

TEST(MarkUnverifiedTest, LeavesClaimsNoTestDeclaresAlone) {
  std::vector<ClaimReport> claims(2);
  claims[0].claim = Claim("pipe.a", "conformance/pipe");
  claims[0].verdict = Verdict::kNotCheckable;
  claims[0].explanation = "cannot be observed";
  claims[1].claim = Claim("pipe.b", "conformance/pipe");
  claims[1].verdict = Verdict::kUntested;
  MarkUnverified(claims,
                 {{"pipe.a", {"block", true}}, {"pipe.b", {"block", true}}});
  EXPECT_EQ(claims[0].verdict, Verdict::kNotCheckable);
  EXPECT_EQ(claims[0].explanation, "cannot be observed");
  EXPECT_EQ(claims[1].verdict, Verdict::kUntested);
}

ClaimReport SpeedClaim(Verdict verdict, bool measures_speed) {
  ClaimReport report;
  report.claim = Claim("pipe.fast", "conformance/pipe");
  report.claim.rule = claims::MeasuredRule{.text = "a rate rule",
                                           .figure = "rate",
                                           .aggregate = "min",
                                           .op = ">=",
                                           .threshold = 1000,
                                           .verdict_if_true = "refuted",
                                           .verdict_if_false = "confirmed",
                                           .measures_speed = measures_speed,
                                           .benchmarks = std::nullopt};
  report.verdict = verdict;
  report.figures = {{"rate", "321", "PipeTest.Rate"}};
  report.rule_outcome = "min(rate) = 321 not >= 1000 → confirmed";
  return report;
}

TEST(UnverifySpeedUnderEmulationTest, OnlySpeedRulesOfTcgGuestsAreSetAside) {
  KernelInfo tcg;
  tcg.label = "linux-6.1";
  tcg.guest = true;
  tcg.accelerator = "tcg";
  KernelInfo kvm = tcg;
  kvm.accelerator = "kvm";
  KernelInfo host;

  std::vector<ClaimReport> claims = {SpeedClaim(Verdict::kConfirmed, true),
                                     SpeedClaim(Verdict::kConfirmed, false),
                                     SpeedClaim(Verdict::kDeviates, true)};
  UnverifySpeedUnderEmulation(claims, tcg);
  EXPECT_EQ(claims[0].verdict, Verdict::kUnverified);
  EXPECT_THAT(claims[0].explanation,
              ::testing::HasSubstr("linux-6.1 ran under QEMU's TCG"));
  EXPECT_THAT(claims[0].explanation, ::testing::HasSubstr("321"));
  EXPECT_THAT(claims[0].figures, ::testing::SizeIs(1));  // still shown
  EXPECT_EQ(claims[1].verdict, Verdict::kConfirmed);     // not a speed
  EXPECT_EQ(claims[2].verdict, Verdict::kDeviates);      // a failure stands

  for (const KernelInfo& kernel : {kvm, host}) {
    std::vector<ClaimReport> decided = {SpeedClaim(Verdict::kConfirmed, true)};
    UnverifySpeedUnderEmulation(decided, kernel);
    EXPECT_EQ(decided[0].verdict, Verdict::kConfirmed) << kernel.label;
  }
}

}  // namespace
}  // namespace ipcproof::verify

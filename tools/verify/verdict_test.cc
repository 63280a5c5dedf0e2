#include "tools/verify/verdict.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/claims/registry.h"
#include "tools/verify/expected_deviations.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// A registry with one claim of each kind the rule tells apart. Two measured
// claims: one aggregates with min (a rate that must stay low), one with max
// (any interleaving seen is enough).
constexpr char kRegistryJson[] = R"json({
  "version": 1,
  "note": {"title": "进程间的通信方式", "source": "a test registry"},
  "areas": [{"id": "pipe", "title": "Anonymous pipes"},
            {"id": "fifo", "title": "Named pipes"}],
  "claims": [
    {"id": "pipe.blocks", "area": "pipe", "beyond_note": false,
     "note": {"quote": "使用管道进程会阻塞", "section": "1、管道"},
     "meaning": "A reader blocks while the pipe is empty.",
     "semantics": {"text": "read on an empty pipe blocks.",
                   "references": ["pipe(7)"]},
     "predicted": "confirmed", "folder": "conformance/pipe"},
    {"id": "pipe.close-unused-end", "area": "pipe", "beyond_note": false,
     "note": {"quote": "这样就不会存在干扰", "section": "1、管道"},
     "meaning": "Each side uses one end.",
     "semantics": {"text": "each side must close the other end.",
                   "references": ["pipe(7)"]},
     "predicted": "refined", "folder": "conformance/pipe"},
    {"id": "pipe.parent-child-only", "area": "pipe", "beyond_note": false,
     "note": {"quote": "匿名管道只能用于父子进程间的通信", "section": "1、管道"},
     "meaning": "Only parent and child can use it.",
     "semantics": {"text": "any process holding the fds can use it.",
                   "references": ["pipe(7)"]},
     "predicted": "refuted", "folder": "conformance/pipe"},
    {"id": "pipe.not-for-frequent-exchange", "area": "pipe",
     "beyond_note": false,
     "note": {"quote": "不适合频繁的交换数据", "section": "1、管道"},
     "meaning": "Pipes are too slow for frequent exchange.",
     "semantics": {"text": "a rate, measured.", "references": ["pipe(7)"]},
     "predicted": "measured", "folder": "conformance/pipe",
     "rule": {"text": "refuted when the slowest rate is 10000 a second or more",
              "figure": "rate.*", "aggregate": "min", "op": ">=",
              "threshold": 10000, "then": "refuted", "else": "confirmed"}},
    {"id": "pipe.beyond.large-writes-interleave", "area": "pipe",
     "beyond_note": true,
     "meaning": "Large writes may interleave.",
     "semantics": {"text": "writes over PIPE_BUF may interleave.",
                   "references": ["pipe(7)"]},
     "predicted": "measured", "folder": "conformance/pipe",
     "rule": {"text": "confirmed when any interleaving is seen",
              "figure": "interleavings.*", "aggregate": "max", "op": ">",
              "threshold": 0, "then": "confirmed", "else": "unverified"}},
    {"id": "pipe.beyond.two-copies", "area": "pipe", "beyond_note": true,
     "meaning": "A pipe's hop costs two copies.",
     "semantics": {"text": "a count, measured.", "references": ["pipe(7)"]},
     "predicted": "measured", "folder": "conformance/pipe",
     "rule": {"text": "confirmed when every count is within 2 ± 0.5",
              "figure": "copies.*", "aggregate": "all", "op": "==",
              "threshold": 2, "tolerance": 0.5, "then": "confirmed",
              "else": "refuted"}},
    {"id": "pipe.unidirectional", "area": "pipe", "beyond_note": false,
     "note": {"quote": "只能单向传输", "section": "1、管道"},
     "meaning": "One direction only.",
     "semantics": {"text": "pipes are one-way on Linux.",
                   "references": ["pipe(7)"]},
     "predicted": "confirmed", "folder": "conformance/pipe"},
    {"id": "fifo.history", "area": "fifo", "beyond_note": false,
     "note": {"quote": "以文件形式存在的", "section": "1、管道"},
     "meaning": "A statement about history.",
     "semantics": {"text": "history, not behaviour.",
                   "references": ["fifo(7)"]},
     "predicted": "not-checkable", "folder": "conformance/pipe",
     "not_checkable": "it is history, not behaviour of a running kernel"}
  ]
})json";

constexpr char kKernel[] = "6.18.0-test";

const claims::Registry& TestRegistry() {
  static const claims::Registry registry =
      claims::ParseRegistry(kRegistryJson, "verdict_test registry");
  return registry;
}

TestResult MakeTest(const std::string& full_name,
                    std::vector<std::string> claims, TestStatus status) {
  TestResult test;
  test.binary = "conformance/pipe/pipe_test";
  const size_t dot = full_name.find('.');
  test.suite = full_name.substr(0, dot);
  test.name = full_name.substr(dot + 1);
  test.full_name = full_name;
  test.claims = std::move(claims);
  test.first.status = status;
  return test;
}

TestResult Passed(
    const std::string& full_name, std::vector<std::string> claims,
    std::vector<std::pair<std::string, std::string>> measured = {}) {
  TestResult test = MakeTest(full_name, std::move(claims), TestStatus::kPassed);
  test.measured = std::move(measured);
  return test;
}

TestResult Skipped(const std::string& full_name,
                   std::vector<std::string> claims,
                   const std::string& unverified,
                   const std::string& message = "") {
  TestResult test =
      MakeTest(full_name, std::move(claims), TestStatus::kSkipped);
  test.unverified = unverified;
  if (!message.empty()) test.first.messages.push_back(message);
  return test;
}

Attempt Rerun(TestStatus status, const std::string& message = "") {
  Attempt attempt;
  attempt.status = status;
  if (status == TestStatus::kFailed) {
    attempt.failure_kind = FailureKind::kAssertion;
  }
  if (!message.empty()) attempt.messages.push_back(message);
  return attempt;
}

TestResult Failed(const std::string& full_name, std::vector<std::string> claims,
                  FailureKind kind, const std::string& message,
                  std::optional<Attempt> rerun = Rerun(TestStatus::kFailed)) {
  TestResult test = MakeTest(full_name, std::move(claims), TestStatus::kFailed);
  test.first.failure_kind = kind;
  test.first.messages.push_back(message);
  test.rerun = std::move(rerun);
  return test;
}

// Decides one claim of the test registry.
ClaimReport Decide(const std::string& id, const std::vector<TestResult>& tests,
                   const std::vector<ExpectedDeviation>& expected = {},
                   const std::string& kernel = kKernel) {
  std::vector<ClaimReport> reports =
      DecideClaims(TestRegistry(), tests, expected, kernel, {id});
  EXPECT_THAT(reports, SizeIs(1));
  if (reports.empty()) return ClaimReport{};
  return reports.front();
}

// --- No declaring test.

TEST(DecideClaimsTest, NoDeclaringTestIsUntestedAGap) {
  const ClaimReport report =
      Decide("pipe.unidirectional", {Passed("Pipe.Blocks", {"pipe.blocks"})});
  EXPECT_EQ(report.verdict, Verdict::kUntested);
  EXPECT_EQ(report.explanation, "no test declares this claim yet");
  EXPECT_THAT(report.tests, IsEmpty());
  EXPECT_EQ(report.claim.id, "pipe.unidirectional");
}

TEST(DecideClaimsTest, NoDeclaringTestOfANotCheckableClaimGivesItsReason) {
  const ClaimReport report = Decide("fifo.history", {});
  EXPECT_EQ(report.verdict, Verdict::kNotCheckable);
  EXPECT_EQ(report.explanation,
            "it is history, not behaviour of a running kernel");
}

TEST(DecideClaimsTest, MeasuredClaimWithNoDeclaringTestIsUntested) {
  const ClaimReport report = Decide("pipe.not-for-frequent-exchange", {});
  EXPECT_EQ(report.verdict, Verdict::kUntested);
  EXPECT_THAT(report.figures, IsEmpty());
}

TEST(DecideClaimsTest, ATestDeclaringANotCheckableClaimThrows) {
  try {
    DecideClaims(TestRegistry(), {Passed("Fifo.History", {"fifo.history"})}, {},
                 kKernel, {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(),
                AllOf(HasSubstr("conformance/pipe/pipe_test"),
                      HasSubstr("Fifo.History"), HasSubstr("fifo.history"),
                      HasSubstr("cannot be checked")));
  }
}

// --- Earned verdicts.

TEST(DecideClaimsTest, PassingTestsEarnThePredictedVerdict) {
  const std::vector<TestResult> tests = {
      Passed("Pipe.Blocks", {"pipe.blocks"}),
      Passed("Pipe.BlocksToo", {"pipe.blocks"}),
      Passed("Pipe.CloseEnds", {"pipe.close-unused-end"}),
      Passed("Pipe.Siblings", {"pipe.parent-child-only"}),
  };
  const std::vector<ClaimReport> reports = DecideClaims(
      TestRegistry(), tests, {}, kKernel,
      {"pipe.blocks", "pipe.close-unused-end", "pipe.parent-child-only"});
  ASSERT_THAT(reports, SizeIs(3));
  EXPECT_EQ(reports[0].verdict, Verdict::kConfirmed);
  EXPECT_EQ(reports[0].explanation, "2 tests passed");
  EXPECT_THAT(reports[0].tests, ElementsAre(0, 1));
  EXPECT_EQ(reports[1].verdict, Verdict::kRefined);
  EXPECT_EQ(reports[1].explanation, "1 test passed");
  EXPECT_EQ(reports[2].verdict, Verdict::kRefuted);
  EXPECT_THAT(reports[2].tests, ElementsAre(3));
}

TEST(DecideClaimsTest, PassWithSkipsListsEachSkipReason) {
  const ClaimReport report =
      Decide("pipe.blocks",
             {Skipped("Pipe.AsNobody", {"pipe.blocks"}, "needs uid 65534"),
              Passed("Pipe.Blocks", {"pipe.blocks"}),
              Skipped("Pipe.InGuest", {"pipe.blocks"}, "", "no guest kernel")});
  EXPECT_EQ(report.verdict, Verdict::kConfirmed);
  EXPECT_EQ(report.explanation,
            "1 test passed; 2 skipped: Pipe.AsNobody: needs uid 65534; "
            "Pipe.InGuest: no guest kernel");
  EXPECT_THAT(report.tests, ElementsAre(0, 1, 2));
}

TEST(DecideClaimsTest, ATestDeclaringAClaimTwiceCountsOnce) {
  const ClaimReport report = Decide(
      "pipe.blocks", {Passed("Pipe.Blocks", {"pipe.blocks", "pipe.blocks"})});
  EXPECT_THAT(report.tests, ElementsAre(0));
  EXPECT_EQ(report.explanation, "1 test passed");
}

// --- Unverified: every declaring test skipped.

TEST(DecideClaimsTest, EverySkippedIsUnverifiedWithEachReason) {
  const ClaimReport report =
      Decide("pipe.blocks",
             {Skipped("Pipe.AsNobody", {"pipe.blocks"},
                      "needs uid 65534 (leaves unverified: pipe.blocks)",
                      "the skip message, not used when unverified is set"),
              Passed("Other.Test", {"pipe.close-unused-end"}),
              Skipped("Pipe.Cap", {"pipe.blocks"}, "",
                      "no CAP_SYS_RESOURCE\nsecond line")});
  EXPECT_EQ(report.verdict, Verdict::kUnverified);
  EXPECT_EQ(report.explanation,
            "all 2 tests skipped: Pipe.AsNobody: needs uid 65534 (leaves "
            "unverified: pipe.blocks); Pipe.Cap: no CAP_SYS_RESOURCE second "
            "line");
  EXPECT_THAT(report.tests, ElementsAre(0, 2));
}

TEST(DecideClaimsTest, ASkipWithNoReasonSaysSo) {
  const ClaimReport report =
      Decide("pipe.blocks", {Skipped("Pipe.Quiet", {"pipe.blocks"}, "")});
  EXPECT_EQ(report.verdict, Verdict::kUnverified);
  EXPECT_THAT(report.explanation, HasSubstr("Pipe.Quiet: the skip gave no"));
}

// --- Kernel deviates.

struct FailureCase {
  FailureKind kind;
  std::string words;
};

class DeviationTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(DeviationTest, AFailureThatFailsAgainDeviatesAndSaysHow) {
  const ClaimReport report = Decide(
      "pipe.blocks", {Passed("Pipe.Fine", {"pipe.blocks"}),
                      Failed("Pipe.Blocks", {"pipe.blocks"}, GetParam().kind,
                             "read returned 0\nmore detail")});
  EXPECT_EQ(report.verdict, Verdict::kDeviates);
  EXPECT_EQ(report.explanation, "Pipe.Blocks failed (" + GetParam().words +
                                    "): read returned 0; rerun alone it "
                                    "failed again");
  EXPECT_THAT(report.explanation, Not(HasSubstr("more detail")));
  EXPECT_THAT(report.explanation, Not(HasSubstr("Pipe.Fine")));
  EXPECT_TRUE(report.expected_deviation_reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, DeviationTest,
    ::testing::Values(
        FailureCase{FailureKind::kAssertion, "an assertion failed"},
        FailureCase{FailureKind::kCrash, "the test's process crashed"},
        FailureCase{FailureKind::kTimeout, "the watchdog ended it"}),
    [](const ::testing::TestParamInfo<FailureCase>& info) {
      return std::string(FailureKindName(info.param.kind));
    });

TEST(DecideClaimsTest, AGtestAssertionHeaderIsJoinedToTheLineAfterIt) {
  const ClaimReport report = Decide(
      "pipe.blocks",
      {Failed("Pipe.Blocks", {"pipe.blocks"}, FailureKind::kAssertion,
              "conformance/pipe/pipe_test.cc:406: Failure\n"
              "Expected equality of these values:\n  n\n    Which is: 0")});
  EXPECT_THAT(report.explanation,
              HasSubstr("Pipe.Blocks failed (an assertion failed): "
                        "conformance/pipe/pipe_test.cc:406: Expected "
                        "equality of these values:;"));
}

TEST(DecideClaimsTest, AFailureNotRerunDeviates) {
  const ClaimReport report = Decide(
      "pipe.blocks", {Failed("Pipe.Blocks", {"pipe.blocks"},
                             FailureKind::kCrash, "SIGSEGV", std::nullopt)});
  EXPECT_EQ(report.verdict, Verdict::kDeviates);
  EXPECT_THAT(report.explanation, HasSubstr("not rerun"));
}

TEST(DecideClaimsTest, ARerunThatSkipsIsNoPassAndDeviates) {
  const ClaimReport report =
      Decide("pipe.blocks",
             {Failed("Pipe.Blocks", {"pipe.blocks"}, FailureKind::kAssertion,
                     "boom", Rerun(TestStatus::kSkipped, "no reason"))});
  EXPECT_EQ(report.verdict, Verdict::kDeviates);
  EXPECT_THAT(report.explanation, HasSubstr("rerun alone it skipped"));
}

// --- Flaky.

TEST(DecideClaimsTest, EveryFailureThatPassesWhenRerunIsFlaky) {
  const ClaimReport report =
      Decide("pipe.blocks",
             {Failed("Pipe.Slow", {"pipe.blocks"}, FailureKind::kTimeout,
                     "state S, in read(0x3, ...)\nthread 2",
                     Rerun(TestStatus::kPassed)),
              Passed("Pipe.Fine", {"pipe.blocks"}),
              Failed("Pipe.Odd", {"pipe.blocks"}, FailureKind::kAssertion,
                     "x != y", Rerun(TestStatus::kPassed))});
  EXPECT_EQ(report.verdict, Verdict::kFlaky);
  EXPECT_EQ(report.explanation,
            "Pipe.Slow failed (timeout: state S, in read(0x3, ...)), then "
            "passed when rerun alone; Pipe.Odd failed (assertion: x != y), "
            "then passed when rerun alone");
  EXPECT_FALSE(IsEarned(report.verdict));
}

TEST(DecideClaimsTest, OneOfTwoRerunsFailingIsADeviationNotFlaky) {
  const ClaimReport report = Decide(
      "pipe.blocks", {Failed("Pipe.A", {"pipe.blocks"}, FailureKind::kTimeout,
                             "hung", Rerun(TestStatus::kPassed)),
                      Failed("Pipe.B", {"pipe.blocks"}, FailureKind::kCrash,
                             "SIGSEGV", Rerun(TestStatus::kFailed, "SIGBUS"))});
  EXPECT_EQ(report.verdict, Verdict::kDeviates);
  EXPECT_EQ(report.explanation,
            "Pipe.A failed (the watchdog ended it): hung; passed when rerun "
            "alone; Pipe.B failed (the test's process crashed): SIGSEGV; "
            "rerun alone it failed again: SIGBUS");
}

// --- Expected deviations.

TEST(DecideClaimsTest, AListedDeviationIsExpectedOnlyOnAMatchingKernel) {
  const std::vector<TestResult> tests = {
      Failed("Pipe.Blocks", {"pipe.blocks"}, FailureKind::kAssertion, "wrong")};
  const std::vector<ExpectedDeviation> expected = {
      {.claim = "pipe.close-unused-end", .kernel = "*", .reason = "other"},
      {.claim = "pipe.blocks", .kernel = "6.1.*", .reason = "known in 6.1"},
  };

  const ClaimReport on_6_1 =
      Decide("pipe.blocks", tests, expected, "6.1.0-18-amd64");
  EXPECT_EQ(on_6_1.verdict, Verdict::kExpectedDeviation);
  EXPECT_EQ(on_6_1.expected_deviation_reason, "known in 6.1");
  EXPECT_THAT(on_6_1.explanation,
              AllOf(HasSubstr("Pipe.Blocks failed (an assertion failed): "
                              "wrong"),
                    HasSubstr("6.1.*")));

  // "6.1.*" must not match 6.18: the pattern is on the whole release.
  const ClaimReport on_6_18 =
      Decide("pipe.blocks", tests, expected, "6.18.0-test");
  EXPECT_EQ(on_6_18.verdict, Verdict::kDeviates);
  EXPECT_TRUE(on_6_18.expected_deviation_reason.empty());
}

TEST(DecideClaimsTest, AFlakyClaimStaysFlakyEvenWhenListedAsExpected) {
  const ClaimReport report =
      Decide("pipe.blocks",
             {Failed("Pipe.Blocks", {"pipe.blocks"}, FailureKind::kTimeout,
                     "hung", Rerun(TestStatus::kPassed))},
             {{.claim = "pipe.blocks", .kernel = "*", .reason = "known"}});
  EXPECT_EQ(report.verdict, Verdict::kFlaky);
  EXPECT_TRUE(report.expected_deviation_reason.empty());
}

// --- Measured claims.

constexpr char kRate[] = "pipe.not-for-frequent-exchange";
constexpr char kInterleave[] = "pipe.beyond.large-writes-interleave";

TEST(MeasuredRuleTest, ThresholdMetTakesThen) {
  const ClaimReport report = Decide(
      kRate, {Passed("Pipe.Rate", {kRate},
                     {{"rate.unpinned", "250000"}, {"rate.pinned", "12000"}})});
  EXPECT_EQ(report.verdict, Verdict::kRefuted);
  EXPECT_EQ(report.rule_outcome, "min(rate.*) = 12000 >= 10000 → refuted");
  EXPECT_THAT(report.explanation,
              HasSubstr("rule: min(rate.*) = 12000 >= 10000 → refuted, from 2 "
                        "figures of 1 passing test"));
  EXPECT_THAT(report.figures,
              ElementsAre(AllOf(Field(&Figure::name, "rate.unpinned"),
                                Field(&Figure::value, "250000"),
                                Field(&Figure::test, "Pipe.Rate")),
                          AllOf(Field(&Figure::name, "rate.pinned"),
                                Field(&Figure::value, "12000"))));
}

TEST(MeasuredRuleTest, ThresholdMissedTakesElseAndMinIsTheSmallest) {
  // max would be 250000 (refuted); min is 0.5, below the threshold.
  const ClaimReport report = Decide(
      kRate, {Passed("Pipe.Rate", {kRate}, {{"rate.unpinned", "250000"}}),
              Passed("Pipe.Rate2", {kRate}, {{"rate.pinned", "0.5"}})});
  EXPECT_EQ(report.verdict, Verdict::kConfirmed);
  EXPECT_EQ(report.rule_outcome, "min(rate.*) = 0.5 not >= 10000 → confirmed");
  EXPECT_THAT(report.figures, SizeIs(2));
}

TEST(MeasuredRuleTest, MaxIsTheLargest) {
  // min would be 0 (not > 0: unverified); max is 14.
  const ClaimReport report =
      Decide(kInterleave, {Passed("Pipe.Interleave", {kInterleave},
                                  {{"interleavings.two_writers", "0"},
                                   {"interleavings.four_writers", "14"}})});
  EXPECT_EQ(report.verdict, Verdict::kConfirmed);
  EXPECT_EQ(report.rule_outcome, "max(interleavings.*) = 14 > 0 → confirmed");
}

TEST(MeasuredRuleTest, AnElseOfUnverifiedLeavesTheClaimUnverified) {
  const ClaimReport report =
      Decide(kInterleave, {Passed("Pipe.Interleave", {kInterleave},
                                  {{"interleavings.two_writers", "0"}})});
  EXPECT_EQ(report.verdict, Verdict::kUnverified);
  EXPECT_EQ(report.rule_outcome,
            "max(interleavings.*) = 0 not > 0 → unverified");
}

TEST(MeasuredRuleTest, OnlyFiguresMatchingTheGlobAreRead) {
  const ClaimReport report =
      Decide(kInterleave, {Passed("Pipe.Interleave", {kInterleave},
                                  {{"interleavings.a", "3"},
                                   {"bytes_written", "99999"},
                                   {"xinterleavings.b", "500"},
                                   {"interleavings.b", "7"}})});
  EXPECT_THAT(report.figures,
              ElementsAre(Field(&Figure::name, "interleavings.a"),
                          Field(&Figure::name, "interleavings.b")));
  EXPECT_EQ(report.rule_outcome, "max(interleavings.*) = 7 > 0 → confirmed");
}

TEST(MeasuredRuleTest, AFigureThatIsNotANumberIsKeptButNotUsed) {
  const ClaimReport report =
      Decide(kInterleave, {Passed("Pipe.Interleave", {kInterleave},
                                  {{"interleavings.a", "12abc"},
                                   {"interleavings.b", "nan"},
                                   {"interleavings.c", "2"}})});
  EXPECT_EQ(report.verdict, Verdict::kConfirmed);
  EXPECT_EQ(report.rule_outcome, "max(interleavings.*) = 2 > 0 → confirmed");
  EXPECT_THAT(report.figures, SizeIs(3));
  EXPECT_THAT(report.explanation,
              AllOf(HasSubstr("from 1 figure of"),
                    HasSubstr("not a number, so not used: interleavings.a = "
                              "\"12abc\" (Pipe.Interleave)")));
}

TEST(MeasuredRuleTest, NoNumericFigureIsUnverified) {
  const ClaimReport report =
      Decide(kRate, {Passed("Pipe.Rate", {kRate}, {{"rate.unpinned", "fast"}}),
                     Passed("Pipe.Other", {kRate}, {{"latency", "3"}})});
  EXPECT_EQ(report.verdict, Verdict::kUnverified);
  EXPECT_THAT(report.explanation,
              HasSubstr("the rule needs figure rate.*, which no passing test "
                        "recorded in this run"));
  EXPECT_THAT(report.figures, ElementsAre(Field(&Figure::value, "fast")));
}

TEST(MeasuredRuleTest, FiguresOfSkippedTestsAreNeverUsed) {
  // The skipped test's 5 would make min < 10000 and the claim confirmed.
  TestResult skipped = Skipped("Pipe.RateAsNobody", {kRate}, "no uid 65534");
  skipped.measured = {{"rate.nobody", "5"}};
  const ClaimReport report = Decide(
      kRate,
      {skipped, Passed("Pipe.Rate", {kRate}, {{"rate.unpinned", "250000"}})});
  EXPECT_EQ(report.verdict, Verdict::kRefuted);
  EXPECT_THAT(report.figures, ElementsAre(Field(&Figure::test, "Pipe.Rate")));
  EXPECT_THAT(report.explanation,
              HasSubstr("; 1 skipped: Pipe.RateAsNobody: no uid 65534"));
}

TEST(MeasuredRuleTest, OnlySkippedTestsWithFiguresLeaveItUnverified) {
  TestResult skipped = Skipped("Pipe.Rate", {kRate}, "no uid 65534");
  skipped.measured = {{"rate.unpinned", "250000"}};
  const ClaimReport report = Decide(kRate, {skipped});
  EXPECT_EQ(report.verdict, Verdict::kUnverified);
  EXPECT_THAT(report.figures, IsEmpty());
}

TEST(MeasuredRuleTest, FiguresOfFailedTestsAreNeverUsed) {
  TestResult failed =
      Failed("Pipe.Rate", {kRate}, FailureKind::kAssertion, "bad");
  failed.measured = {{"rate.unpinned", "5"}};
  const ClaimReport report = Decide(
      kRate, {failed, Passed("Pipe.Rate2", {kRate}, {{"rate.x", "250000"}})});
  EXPECT_EQ(report.verdict, Verdict::kDeviates);
  EXPECT_THAT(report.figures, IsEmpty());
  EXPECT_TRUE(report.rule_outcome.empty());
}

TEST(MeasuredRuleTest, FiguresOfTestsThatDoNotDeclareTheClaimAreNeverUsed) {
  const ClaimReport report = Decide(
      kRate, {Passed("Pipe.Blocks", {"pipe.blocks"}, {{"rate.other", "5"}}),
              Passed("Pipe.Rate", {kRate}, {{"rate.unpinned", "250000"}})});
  EXPECT_EQ(report.verdict, Verdict::kRefuted);
  EXPECT_THAT(report.figures, ElementsAre(Field(&Figure::test, "Pipe.Rate")));
}

TEST(MeasuredRuleTest, NumbersAreFormattedWithPercentG) {
  const ClaimReport report = Decide(
      kRate, {Passed("Pipe.Rate", {kRate}, {{"rate.unpinned", "1234567.25"}})});
  EXPECT_EQ(report.rule_outcome,
            "min(rate.*) = 1.23457e+06 >= 10000 → refuted");
}

// --- Unknown ids and the selection.

TEST(DecideClaimsTest, ATestDeclaringAnUnknownIdThrowsNamingIt) {
  // The test is outside the selection: it is checked all the same.
  std::vector<TestResult> tests = {Passed("Pipe.Blocks", {"pipe.blocks"}),
                                   Passed("Fifo.Typo", {"fifo.no-such-claim"})};
  tests[1].binary = "conformance/pipe/fifo_test";
  try {
    DecideClaims(TestRegistry(), tests, {}, kKernel, {"pipe.blocks"});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(),
                AllOf(HasSubstr("conformance/pipe/fifo_test"),
                      HasSubstr("Fifo.Typo"), HasSubstr("fifo.no-such-claim")));
  }
}

TEST(DecideClaimsTest, ASelectedIdTheRegistryLacksThrows) {
  EXPECT_THROW(DecideClaims(TestRegistry(), {}, {}, kKernel,
                            {"pipe.blocks", "pipe.nonexistent"}),
               std::invalid_argument);
}

TEST(DecideClaimsTest, EmptySelectionDecidesEveryClaimInRegistryOrder) {
  const std::vector<ClaimReport> reports =
      DecideClaims(TestRegistry(), {}, {}, kKernel, {});
  std::vector<std::string> ids;
  for (const ClaimReport& report : reports) ids.push_back(report.claim.id);
  std::vector<std::string> registry_ids;
  for (const claims::Claim& claim : TestRegistry().claims) {
    registry_ids.push_back(claim.id);
  }
  EXPECT_EQ(ids, registry_ids);
  EXPECT_THAT(ids, SizeIs(8));
}

TEST(DecideClaimsTest, ASelectionIsASubsetInRegistryOrder) {
  const std::vector<ClaimReport> reports =
      DecideClaims(TestRegistry(), {Passed("Pipe.Blocks", {"pipe.blocks"})}, {},
                   kKernel, {"fifo.history", "pipe.blocks", "fifo.history"});
  ASSERT_THAT(reports, SizeIs(2));
  EXPECT_EQ(reports[0].claim.id, "pipe.blocks");
  EXPECT_EQ(reports[0].verdict, Verdict::kConfirmed);
  EXPECT_EQ(reports[1].claim.id, "fifo.history");
}

// --- The model's helpers (model.cc).

TEST(ModelTest, VerdictWordsAndKeys) {
  EXPECT_EQ(VerdictName(Verdict::kDeviates), "kernel deviates");
  EXPECT_EQ(VerdictKey(Verdict::kDeviates), "deviates");
  EXPECT_EQ(VerdictName(Verdict::kExpectedDeviation), "expected deviation");
  EXPECT_EQ(VerdictKey(Verdict::kExpectedDeviation), "expected-deviation");
  EXPECT_EQ(VerdictName(Verdict::kNotCheckable), "not checkable");
  EXPECT_EQ(VerdictKey(Verdict::kNotCheckable), "not-checkable");
  EXPECT_EQ(TestStatusName(TestStatus::kSkipped), "skipped");
  EXPECT_EQ(FailureKindName(FailureKind::kNone), "");
  EXPECT_EQ(FailureKindName(FailureKind::kTimeout), "timeout");
}

TEST(ModelTest, AllVerdictsInReportOrderAndOnlyThreeEarned) {
  const std::vector<Verdict>& all = AllVerdicts();
  ASSERT_THAT(all, SizeIs(9));
  EXPECT_EQ(all.front(), Verdict::kConfirmed);
  EXPECT_EQ(all[3], Verdict::kDeviates);
  EXPECT_EQ(all.back(), Verdict::kUntested);
  std::vector<std::string> keys;
  int earned = 0;
  for (Verdict verdict : all) {
    keys.emplace_back(VerdictKey(verdict));
    earned += IsEarned(verdict) ? 1 : 0;
  }
  EXPECT_THAT(keys, ElementsAre("confirmed", "refined", "refuted", "deviates",
                                "expected-deviation", "flaky", "unverified",
                                "not-checkable", "untested"));
  EXPECT_EQ(earned, 3);
}

TEST(ModelTest, ReportCountsVerdictsAndOnlyADeviationFailsTheRun) {
  Report report;
  report.claims.resize(3);
  report.claims[0].verdict = Verdict::kConfirmed;
  report.claims[1].verdict = Verdict::kExpectedDeviation;
  report.claims[2].verdict = Verdict::kConfirmed;
  EXPECT_EQ(report.Count(Verdict::kConfirmed), 2);
  EXPECT_EQ(report.Count(Verdict::kDeviates), 0);
  EXPECT_FALSE(report.AnyDeviation());
  report.claims[2].verdict = Verdict::kDeviates;
  EXPECT_TRUE(report.AnyDeviation());
}

// A two-sided rule: an extra copy refutes as surely as a missing one, and
// the outcome names the range of the figures.
TEST(DecideClaimsTest, TwoSidedRuleConfirmsOnlyWithinTheTolerance) {
  const ClaimReport within =
      Decide("pipe.beyond.two-copies",
             {Passed("Copy.Pipe", {"pipe.beyond.two-copies"},
                     {{"copies.pipe", "2"}, {"copies.tcp", "2.25"}})});
  EXPECT_EQ(within.verdict, Verdict::kConfirmed);
  EXPECT_EQ(within.rule_outcome,
            "all(copies.*) = 2 to 2.25, within 2 ± 0.5 → confirmed");

  const ClaimReport above =
      Decide("pipe.beyond.two-copies",
             {Passed("Copy.Pipe", {"pipe.beyond.two-copies"},
                     {{"copies.pipe", "2"}, {"copies.tcp", "3"}})});
  EXPECT_EQ(above.verdict, Verdict::kRefuted);
  EXPECT_EQ(above.rule_outcome,
            "all(copies.*) = 2 to 3, not within 2 ± 0.5 → refuted");

  const ClaimReport below = Decide(
      "pipe.beyond.two-copies", {Passed("Copy.Pipe", {"pipe.beyond.two-copies"},
                                        {{"copies.pipe", "1"}})});
  EXPECT_EQ(below.verdict, Verdict::kRefuted);
  EXPECT_EQ(below.rule_outcome,
            "all(copies.*) = 1, not within 2 ± 0.5 → refuted");
}

}  // namespace
}  // namespace ipcproof::verify

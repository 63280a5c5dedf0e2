#include "tools/report/claim_figures.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TestResult TestWithFigures(const std::string& name, int count) {
  TestResult test;
  test.full_name = name;
  for (int i = 0; i < count; ++i) {
    test.measured.push_back({"f" + std::to_string(i), std::to_string(i)});
  }
  return test;
}

// Tests 0..2 with 2, 0 and 3 figures, all declaring one claim.
struct Sample {
  Report report;
  ClaimReport claim;
};
Sample ThreeTests() {
  Sample sample;
  sample.report.tests = {TestWithFigures("A.a", 2), TestWithFigures("B.b", 0),
                         TestWithFigures("C.c", 3)};
  sample.claim.tests = {0, 1, 2};
  return sample;
}

TEST(FiguresOfClaimTest, GroupsByTestInTheClaimsOrderSkippingTestsWithNone) {
  const Sample sample = ThreeTests();
  const ClaimFigures figures = FiguresOfClaim(sample.report, sample.claim);
  ASSERT_EQ(figures.groups.size(), 2u);
  EXPECT_EQ(figures.groups[0].test, &sample.report.tests[0]);
  EXPECT_EQ(figures.groups[0].shown, 2u);
  EXPECT_EQ(figures.groups[1].test, &sample.report.tests[2]);
  EXPECT_EQ(figures.groups[1].shown, 3u);
  EXPECT_EQ(figures.shown, 5u);
  EXPECT_EQ(figures.left_out, 0u);
}

TEST(FiguresOfClaimTest, TheCapCutsInsideAGroupAndCountsTheRest) {
  const Sample sample = ThreeTests();
  const ClaimFigures figures = FiguresOfClaim(sample.report, sample.claim, 3);
  ASSERT_EQ(figures.groups.size(), 2u);
  EXPECT_EQ(figures.groups[1].shown, 1u);
  EXPECT_EQ(figures.shown, 3u);
  EXPECT_EQ(figures.left_out, 2u);

  // A cap reached by the first test leaves out every later test's figures.
  const ClaimFigures two = FiguresOfClaim(sample.report, sample.claim, 2);
  ASSERT_EQ(two.groups.size(), 1u);
  EXPECT_EQ(two.left_out, 3u);
}

TEST(FiguresOfClaimTest, OnlyTheClaimsOwnTestsAndNoIndexPastTheRun) {
  Sample sample = ThreeTests();
  sample.claim.tests = {2, 7};
  const ClaimFigures figures = FiguresOfClaim(sample.report, sample.claim);
  ASSERT_EQ(figures.groups.size(), 1u);
  EXPECT_EQ(figures.groups[0].test->full_name, "C.c");
  EXPECT_EQ(figures.shown, 3u);
}

TEST(FigureValueCellTest, ShortValuesStayAsTheyAreLongOnesAreCut) {
  EXPECT_EQ(FigureValueCell("resumed"), "resumed");
  EXPECT_EQ(FigureValueCell("two\nlines"), "two lines");
  const std::string cell = FigureValueCell(std::string(5000, 'x'));
  EXPECT_LT(cell.size(), 500u);
  EXPECT_THAT(cell, HasSubstr("report.json"));
  EXPECT_THAT(cell, Not(HasSubstr("\n")));
}

}  // namespace
}  // namespace ipcproof::verify

#include "tools/verify/gtest_list.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(GtestListTest, ReadsPlainParameterisedAndTypedTests) {
  EXPECT_THAT(ParseGtestList("PipeTest.\n"
                             "  ReadOnEmptyPipeBlocks\n"
                             "  WriteOnFullPipeBlocks\n"
                             "Pipes/PipeSemanticsTest.\n"
                             "  ReadBlocks/anonymous  # GetParam() = 4\n"
                             "Typed/0.  # TypeParam = int\n"
                             "  Works\n"),
              ElementsAre("PipeTest.ReadOnEmptyPipeBlocks",
                          "PipeTest.WriteOnFullPipeBlocks",
                          "Pipes/PipeSemanticsTest.ReadBlocks/anonymous",
                          "Typed/0.Works"));
}

TEST(GtestListTest, IgnoresLinesOfOtherShapes) {
  EXPECT_THAT(ParseGtestList("  Orphan\n"
                             "Note: Google Test filter = X\n"
                             "  NotATest\n"
                             "S.\n"
                             "  Real\n"
                             "  two words\n"),
              ElementsAre("S.Real"));
  EXPECT_THAT(ParseGtestList(""), IsEmpty());
}

TEST(GtestListTest, ALastLineWithoutNewlineCounts) {
  EXPECT_THAT(ParseGtestList("S.\n  N"), ElementsAre("S.N"));
}

}  // namespace
}  // namespace ipcproof::verify

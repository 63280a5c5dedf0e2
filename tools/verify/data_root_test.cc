#include "tools/verify/data_root.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::IsEmpty;

TEST(RootCandidatesTest, RunfilesFirstThenTheBundleLayout) {
  RootPlaces places;
  places.runfiles_dir = "/r";
  places.test_srcdir = "/t";
  places.executable = "/b/ipcproof/bin/verify";
  EXPECT_THAT(
      RootCandidates(places),
      ElementsAre("/r/ipcproof", "/t/ipcproof",
                  "/b/ipcproof/bin/verify.runfiles/ipcproof", "/b/ipcproof"));
  EXPECT_THAT(RootCandidates(RootPlaces{}), IsEmpty());
}

TEST(FindDataRootTest, UnderBazelTestItIsTheRunfilesTree) {
  // This test's data include docs/claims.json.
  std::vector<std::string> tried;
  const std::string root = FindDataRoot(&tried);
  EXPECT_THAT(root, EndsWith("/ipcproof"));
  EXPECT_FALSE(tried.empty());
  EXPECT_EQ(tried.back(), root);
}

TEST(UnderRootTest, AbsolutePathsStayAsGiven) {
  EXPECT_EQ(UnderRoot("/r", "docs/claims.json"), "/r/docs/claims.json");
  EXPECT_EQ(UnderRoot("/r", "/etc/x.json"), "/etc/x.json");
}

}  // namespace
}  // namespace ipcproof::verify

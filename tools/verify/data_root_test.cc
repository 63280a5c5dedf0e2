#include "tools/verify/data_root.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

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

// Part of another target's runfiles (an sh_test that runs verify, with
// verify in its data): Bazel sets RUNFILES_DIR and TEST_SRCDIR to that
// target's tree, which holds verify's data too, and verify's own
// VERIFY.runfiles may not exist at all.
TEST(FindDataRootTest, AnotherTargetsRunfilesAreFoundThroughTheEnvironment) {
  const std::string other =
      std::string(std::getenv("TEST_TMPDIR")) + "/other_test.runfiles";
  ASSERT_EQ(::mkdir(other.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((other + "/ipcproof").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((other + "/ipcproof/docs").c_str(), 0755), 0);
  std::ofstream(other + "/ipcproof/docs/claims.json") << "{}";
  const std::string saved_runfiles =
      std::getenv("RUNFILES_DIR") != nullptr ? std::getenv("RUNFILES_DIR") : "";
  const std::string saved_srcdir = std::getenv("TEST_SRCDIR");
  ::setenv("RUNFILES_DIR", other.c_str(), 1);
  EXPECT_EQ(FindDataRoot(), other + "/ipcproof");
  // A shell script that exports only TEST_SRCDIR.
  ::unsetenv("RUNFILES_DIR");
  ::setenv("TEST_SRCDIR", other.c_str(), 1);
  EXPECT_EQ(FindDataRoot(), other + "/ipcproof");
  ::setenv("TEST_SRCDIR", saved_srcdir.c_str(), 1);
  if (!saved_runfiles.empty()) {
    ::setenv("RUNFILES_DIR", saved_runfiles.c_str(), 1);
  }
}

TEST(UnderRootTest, AbsolutePathsStayAsGiven) {
  EXPECT_EQ(UnderRoot("/r", "docs/claims.json"), "/r/docs/claims.json");
  EXPECT_EQ(UnderRoot("/r", "/etc/x.json"), "/etc/x.json");
}

}  // namespace
}  // namespace ipcproof::verify

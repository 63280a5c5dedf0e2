#include "tools/verify/output_directory.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using ::testing::UnorderedElementsAre;

class OutputDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    base_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/outdir-XXXXXX";
    ASSERT_NE(::mkdtemp(base_.data()), nullptr);
  }
  void TearDown() override { RemoveTree(base_); }

  std::vector<std::string> Entries(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }

  std::string base_;
};

TEST_F(OutputDirectoryTest, CommitCreatesTheTargetWithEveryFile) {
  const std::string target = base_ + "/sub/report";
  {
    StagedDirectory staged(target);
    EXPECT_EQ(staged.path().rfind(target + ".tmp-", 0), 0u) << staged.path();
    staged.WriteFile("report.md", "# hello\n");
    staged.WriteFile("logs/pipe_test.txt", "[ RUN      ] x\n");
    EXPECT_NE(::access(target.c_str(), F_OK), 0) << "visible before Commit";
    staged.Commit();
  }
  EXPECT_EQ(Read(target + "/report.md"), "# hello\n");
  EXPECT_EQ(Read(target + "/logs/pipe_test.txt"), "[ RUN      ] x\n");
  EXPECT_EQ(::access((target + "/" + kReportMarker).c_str(), F_OK), 0);
  EXPECT_THAT(Entries(base_ + "/sub"), ElementsAre("report"));
}

TEST_F(OutputDirectoryTest, CommitReplacesAnEarlierReportWhole) {
  const std::string target = base_ + "/report";
  {
    StagedDirectory first(target);
    first.WriteFile("report.md", "old\n");
    first.WriteFile("report.ktap", "old ktap\n");
    first.Commit();
  }
  CheckReplaceable(target);  // it is verify's own now
  {
    StagedDirectory second(target);
    second.WriteFile("report.md", "new\n");
    second.Commit();
  }
  EXPECT_EQ(Read(target + "/report.md"), "new\n");
  // Nothing of the old report is mixed in, and nothing is left beside it.
  EXPECT_THAT(Entries(target),
              UnorderedElementsAre("report.md", kReportMarker));
  EXPECT_THAT(Entries(base_), ElementsAre("report"));
}

TEST_F(OutputDirectoryTest, WithoutCommitTheTargetIsUntouched) {
  const std::string target = base_ + "/report";
  {
    StagedDirectory first(target);
    first.WriteFile("report.md", "old\n");
    first.Commit();
  }
  {
    StagedDirectory failed(target);
    failed.WriteFile("report.md", "half\n");
    // Destroyed without Commit, as when a later step throws.
  }
  EXPECT_EQ(Read(target + "/report.md"), "old\n");
  EXPECT_THAT(Entries(base_), ElementsAre("report"));
}

TEST_F(OutputDirectoryTest, AFileWrittenTwiceIsAnErrorNamingIt) {
  StagedDirectory staged(base_ + "/report");
  staged.WriteFile("a.txt", "1");
  EXPECT_THAT([&] { staged.WriteFile("a.txt", "2"); },
              ThrowsMessage<InfrastructureError>(HasSubstr("a.txt): EEXIST")));
}

TEST_F(OutputDirectoryTest, OnlyAbsentEmptyOrOwnDirectoriesAreReplaceable) {
  CheckReplaceable(base_ + "/absent");
  ASSERT_EQ(::mkdir((base_ + "/empty").c_str(), 0755), 0);
  CheckReplaceable(base_ + "/empty");

  ASSERT_EQ(::mkdir((base_ + "/home").c_str(), 0755), 0);
  std::ofstream(base_ + "/home/precious.txt") << "keep me";
  EXPECT_THAT([&] { CheckReplaceable(base_ + "/home"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("is not a report verify wrote")));
  std::ofstream(base_ + "/file") << "x";
  EXPECT_THAT([&] { CheckReplaceable(base_ + "/file"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("exists and is not a directory")));
}

TEST_F(OutputDirectoryTest, WriteFileAtomicallyReplacesAndLeavesNoTemporary) {
  const std::string path = base_ + "/report.md";
  std::ofstream(path) << "old";
  WriteFileAtomically(path, "new text\n");
  EXPECT_EQ(Read(path), "new text\n");
  EXPECT_THAT(Entries(base_), ElementsAre("report.md"));
  EXPECT_THAT([&] { WriteFileAtomically(base_ + "/no/such/dir/f", "x"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr(base_ + "/no/such/dir/f.tmp-")));
}

}  // namespace
}  // namespace ipcproof::verify

#include "tools/verify/suite_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(ParseSuiteTest, RelativeNamesAreUnderTheRootAbsoluteOnesAsGiven) {
  const std::vector<SuiteBinary> suite = ParseSuite(
      "# generated\nconformance/pipe/pipe_test\n\n  /opt/x/fifo_test  \n",
      "suite.txt", "/root/r");
  ASSERT_EQ(suite.size(), 2u);
  EXPECT_EQ(suite[0].name, "conformance/pipe/pipe_test");
  EXPECT_EQ(suite[0].path, "/root/r/conformance/pipe/pipe_test");
  EXPECT_EQ(suite[1].name, "/opt/x/fifo_test");
  EXPECT_EQ(suite[1].path, "/opt/x/fifo_test");
}

TEST(ParseSuiteTest, ABinaryListedTwiceIsAnError) {
  EXPECT_THAT([] { ParseSuite("a/b\nc\na/b\n", "s.txt", "/r"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("s.txt:3: a/b is listed twice")));
}

class LoadSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(std::getenv("TEST_TMPDIR")) + "/suite-XXXXXX";
    ASSERT_NE(::mkdtemp(root_.data()), nullptr);
    std::ofstream(root_ + "/runs") << "#!/bin/false\n";
    ASSERT_EQ(::chmod((root_ + "/runs").c_str(), 0755), 0);
    std::ofstream(root_ + "/plain") << "data\n";
    ASSERT_EQ(::chmod((root_ + "/plain").c_str(), 0644), 0);
  }
  std::string Suite(const std::string& text) {
    const std::string path = root_ + "/suite.txt";
    std::ofstream(path) << text;
    return path;
  }
  std::string root_;
};

TEST_F(LoadSuiteTest, EveryBinaryMustBeAnExecutableFile) {
  EXPECT_EQ(LoadSuite(Suite("runs\n"), root_).size(), 1u);
  EXPECT_THAT(
      [&] { LoadSuite(Suite("runs\nconformance/x/gone_test\n"), root_); },
      ThrowsMessage<InfrastructureError>(
          HasSubstr("conformance/x/gone_test: cannot be found (" + root_ +
                    "/conformance/x/gone_test): ENOENT")));
  EXPECT_THAT(
      [&] { LoadSuite(Suite("."), root_); },
      ThrowsMessage<InfrastructureError>(HasSubstr(".: not a regular file")));
  // Root may execute anything with an x bit; a file with none is refused
  // by everyone.
  EXPECT_THAT(
      [&] { LoadSuite(Suite("plain"), root_); },
      ThrowsMessage<InfrastructureError>(HasSubstr("plain: not executable")));
}

TEST_F(LoadSuiteTest, AMissingOrEmptySuiteFileIsAnError) {
  EXPECT_THAT([&] { LoadSuite(root_ + "/absent.txt", root_); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("absent.txt: cannot be read: ENOENT")));
  EXPECT_THAT([&] { LoadSuite(Suite("# nothing\n"), root_); },
              ThrowsMessage<InfrastructureError>(HasSubstr("lists no binary")));
}

}  // namespace
}  // namespace ipcproof::verify

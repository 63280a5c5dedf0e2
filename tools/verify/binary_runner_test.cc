#include "tools/verify/binary_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;

// The fake conformance binary, run under names the script knows.
class BinaryRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/runner-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    const std::string fake = std::string(std::getenv("TEST_SRCDIR")) +
                             "/ipcproof/tools/verify/fake_suite";
    for (const char* name : {"passes", "fails", "crashes", "hangs"}) {
      ASSERT_EQ(::symlink(fake.c_str(), (dir_ + "/" + name).c_str()), 0);
    }
    const std::string script = dir_ + "/script.json";
    std::ofstream(script) << R"({"state_dir": ")" << dir_ << R"(",
      "binaries": {
        "passes": {"tests": [{"name": "S.A"}, {"name": "S.B"}]},
        "fails": {"tests": [{"name": "S.A", "outcome": "fail"}]},
        "crashes": {"misbehave": "crash", "tests": [{"name": "S.A"}]},
        "hangs": {"misbehave": "hang", "tests": [{"name": "S.A"}]}}})";
    ::setenv("IPCPROOF_FAKE_SCRIPT", script.c_str(), 1);
  }

  RunRequest Request(const std::string& name) {
    RunRequest request;
    request.path = dir_ + "/" + name;
    request.bound = std::chrono::seconds(20);
    request.on_output = [this](std::string_view chunk) {
      output_.append(chunk);
    };
    return request;
  }

  std::string dir_;
  std::string output_;
};

TEST_F(BinaryRunnerTest, CollectsTheCombinedOutputAndTheExitStatus) {
  const RunEnd end = RunProgram(Request("passes"));
  EXPECT_EQ(end.how, RunEnd::How::kExited);
  EXPECT_EQ(end.exit_code, 0);
  EXPECT_THAT(output_, HasSubstr("[       OK ] S.A (1 ms)"));
  EXPECT_THAT(output_, HasSubstr("[       OK ] S.B (1 ms)"));

  output_.clear();
  const RunEnd failed = RunProgram(Request("fails"));
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(output_, HasSubstr("[  FAILED  ] S.A (1 ms)"));
}

TEST_F(BinaryRunnerTest, StderrArrivesInTheSamePipe) {
  ::unsetenv("IPCPROOF_FAKE_SCRIPT");  // the fake says so on stderr
  const RunEnd end = RunProgram(Request("passes"));
  EXPECT_EQ(end.exit_code, 3);
  EXPECT_THAT(output_, HasSubstr("IPCPROOF_FAKE_SCRIPT is not set"));
}

TEST_F(BinaryRunnerTest, ACrashIsTheSignal) {
  const RunRequest request = Request("crashes");
  const RunEnd end = RunProgram(request);
  ASSERT_EQ(end.how, RunEnd::How::kSignaled);
  EXPECT_EQ(end.signal, SIGSEGV);
  EXPECT_EQ(DescribeRunEnd(end, request), "crashed (killed by SIGSEGV)");
  // What it printed before it died is kept.
  EXPECT_THAT(output_, HasSubstr("[ RUN      ] S.A"));
}

TEST_F(BinaryRunnerTest, AHangIsKilledAtTheBound) {
  RunRequest request = Request("hangs");
  request.bound = std::chrono::milliseconds(1000);
  const auto started = std::chrono::steady_clock::now();
  const RunEnd end = RunProgram(request);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(end.how, RunEnd::How::kTimedOut);
  EXPECT_EQ(DescribeRunEnd(end, request), "timed out after 1 s");
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_GE(took, std::chrono::milliseconds(1000));
}

TEST_F(BinaryRunnerTest, AnExecFailureIsReportedWithItsErrno) {
  const std::string text_file = dir_ + "/not-a-program";
  std::ofstream(text_file) << "just text\n";
  ASSERT_EQ(::chmod(text_file.c_str(), 0755), 0);
  RunRequest request = Request("not-a-program");
  RunEnd end = RunProgram(request);
  ASSERT_EQ(end.how, RunEnd::How::kCannotStart);
  EXPECT_EQ(end.start_errno, ENOEXEC);
  EXPECT_EQ(DescribeRunEnd(end, request), "cannot start: ENOEXEC");

  end = RunProgram(Request("absent"));
  ASSERT_EQ(end.how, RunEnd::How::kCannotStart);
  EXPECT_EQ(end.start_errno, ENOENT);
}

}  // namespace
}  // namespace ipcproof::verify

// The real verify with the real benchmark runner: `verify --benchmark-smoke`
// on the claims the benchmarks decide runs their conformance tests and every
// benchmark once, puts the run in the report (OUT/benchmarks/, report.json,
// the benchmarks' tests in junit.xml) and decides nothing from it, saying
// why. The full run (`tools/bazel run -c opt //tools/verify -- --benchmarks`)
// takes minutes and is its own command; this keeps its plumbing from
// rotting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/verify/binary_runner.h"

namespace ipcproof::verify {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

TEST(VerifyBenchmarksSmokeTest, TheRunIsReportedAndDecidesNothing) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/report";
  RunRequest request;
  request.path =
      std::string(std::getenv("TEST_SRCDIR")) + "/ipcproof/tools/verify/verify";
  request.args = {"--benchmark-smoke",
                  "--quiet",
                  "--out",
                  out,
                  "--claims",
                  "pipe.not-for-frequent-exchange,mq.not-for-big-data"};
  // Well inside the test's own timeout (medium: 300 s).
  request.bound = std::chrono::seconds(240);
  std::string output;
  request.on_output = [&](std::string_view chunk) { output += chunk; };
  const RunEnd end = RunProgram(request);
  ASSERT_EQ(end.how, RunEnd::How::kExited)
      << DescribeRunEnd(end, request) << "\n"
      << output;
  ASSERT_EQ(end.exit_code, 0) << output;

  const json benchmarks =
      json::parse(ReadFile(out + "/benchmarks/benchmarks.json"));
  EXPECT_EQ(benchmarks["run"]["smoke"], true);
  EXPECT_EQ(benchmarks["run"]["complete"], true) << benchmarks["run"].dump(2);

  const json report = json::parse(ReadFile(out + "/report.json"));
  ASSERT_TRUE(report.contains("benchmarks")) << output;
  EXPECT_EQ(report["benchmarks"]["smoke"], true);
  EXPECT_EQ(report["benchmarks"]["usable"], false);
  EXPECT_GT(report["benchmarks"]["results"].size(), 0u);
  for (const json& claim : report["claims"]) {
    EXPECT_EQ(claim["verdict"], "unverified") << claim["id"];
    EXPECT_THAT(claim["explanation"].get<std::string>(),
                HasSubstr("never how fast"))
        << claim["id"];
  }
  const std::string junit = ReadFile(out + "/junit.xml");
  EXPECT_THAT(junit, HasSubstr("Benchmarks"));
  EXPECT_THAT(junit, HasSubstr("never how fast"));
  EXPECT_GT(ReadFile(out + "/benchmarks-run.log").size(), 0u);
}

}  // namespace
}  // namespace ipcproof::verify

// The benchmark suite's smoke test: the runner with --smoke runs every
// benchmark once at its smallest size; each family of
// expected_benchmarks.txt must come back with a result or a skip, and the
// run must be complete (no binary failed, nothing listed went missing).
// A benchmark that hangs, crashes or is dropped from its binary fails here
// instead of rotting until the next full run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "tools/verify/binary_runner.h"

namespace ipcproof::bench {
namespace {

using nlohmann::json;

std::string Runfile(const std::string& path) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/ipcproof/" + path;
}

TEST(BenchSmokeTest, EveryBenchmarkRunsOrSaysWhyNot) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/smoke";
  verify::RunRequest request;
  request.path = Runfile("tools/bench/bench");
  request.args = {"--smoke", "--out", out};
  // Well inside the test's own timeout (medium: 300 s), so a hang is
  // reported with the runner's output.
  request.bound = std::chrono::seconds(240);
  std::string output;
  request.on_output = [&](std::string_view chunk) { output += chunk; };
  const verify::RunEnd end = verify::RunProgram(request);
  ASSERT_EQ(end.how, verify::RunEnd::How::kExited)
      << verify::DescribeRunEnd(end, request) << "\n"
      << output;
  EXPECT_EQ(end.exit_code, 0) << output;

  std::ifstream in(out + "/benchmarks.json");
  ASSERT_TRUE(in) << "no benchmarks.json\n" << output;
  const json document = json::parse(in);
  EXPECT_EQ(document["schema"], "ipcproof-benchmarks");
  EXPECT_EQ(document["run"]["smoke"], true);
  EXPECT_EQ(document["run"]["complete"], true) << document["run"].dump(2);

  std::set<std::string> families;
  for (const json& result : document["results"]) {
    families.insert(result["kind"].get<std::string>() + "/" +
                    result["mechanism"].get<std::string>());
    // A result has its figure or its reason, never neither.
    EXPECT_TRUE(result.contains("median") || result.contains("skipped"))
        << result.dump();
  }
  std::ifstream expected(Runfile("tools/bench/expected_benchmarks.txt"));
  ASSERT_TRUE(expected);
  std::string line;
  int checked = 0;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++checked;
    EXPECT_EQ(families.count(line), 1u)
        << line << " has neither a result nor a skip in the smoke run";
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace ipcproof::bench

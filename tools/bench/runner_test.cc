// The runner against sample_bench: what benchmarks.json holds, and the
// exit status for a crash and for usage errors.
#include "tools/bench/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipcproof::bench {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

std::string SampleBench() {
  return std::string(std::getenv("TEST_SRCDIR")) +
         "/ipcproof/tools/bench/sample_bench";
}

std::string FreshDirectory(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

int RunBench(std::vector<std::string> words) {
  words.insert(words.begin(), "bench");
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  return BenchMain(static_cast<int>(words.size()), argv.data());
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

const json* Find(const json& document, const std::string& kind,
                 const std::string& mechanism, int64_t size) {
  for (const json& result : document["results"]) {
    if (result["kind"] == kind && result["mechanism"] == mechanism &&
        result["size"] == size) {
      return &result;
    }
  }
  return nullptr;
}

TEST(RunnerTest, MergesResultsStampsTheRunAndReportsSkips) {
  const std::string out = FreshDirectory("merged");
  ASSERT_EQ(RunBench({"--binary", SampleBench(), "--out", out, "--repetitions",
                      "3", "--min-time", "0.001"}),
            0);
  const json document = ReadJson(out + "/benchmarks.json");
  EXPECT_EQ(document["schema"], "ipcproof-benchmarks");
  EXPECT_EQ(document["version"], 1);
  const json& run = document["run"];
  EXPECT_FALSE(run["kernel"]["release"].get<std::string>().empty());
  EXPECT_EQ(run["repetitions"], 3);
  EXPECT_EQ(run["smoke"], false);
  EXPECT_EQ(run["complete"], true);
  EXPECT_EQ(run["pinning"], "not attempted (sample)");
  EXPECT_EQ(run["ipc_namespace"], "not reported");
  EXPECT_THAT(run["command"].get<std::string>(), HasSubstr("--repetitions 3"));

  // Eight benchmarks listed (sample_bench.cc), eight results.
  EXPECT_EQ(document["results"].size(), 8u);
  const json* latency = Find(document, "latency", "sample", 64);
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ((*latency)["unit"], "ns");
  EXPECT_EQ((*latency)["repetitions"], 3);
  EXPECT_GT((*latency)["median"].get<double>(), 0);
  EXPECT_TRUE((*latency)["cv"].is_number());
  const json* throughput = Find(document, "throughput", "sample", 4096);
  ASSERT_NE(throughput, nullptr);
  EXPECT_EQ((*throughput)["unit"], "bytes_per_second");
  // A copy of 4 KiB at under 1 MB/s would be no measurement at all.
  EXPECT_GT((*throughput)["median"].get<double>(), 1e6);
  const json* skipped = Find(document, "throughput", "skipping", 1 << 20);
  ASSERT_NE(skipped, nullptr);
  EXPECT_EQ((*skipped)["skipped"], "msgmax is 8192 (/proc/sys/kernel/msgmax)");
  EXPECT_FALSE(skipped->contains("median"));

  struct stat status;
  EXPECT_EQ(::stat((out + "/raw/sample_bench.json").c_str(), &status), 0);
}

TEST(RunnerTest, SmokeRunsOnceWithoutSpread) {
  const std::string out = FreshDirectory("smoke");
  ASSERT_EQ(RunBench({"--binary", SampleBench(), "--out", out, "--smoke",
                      "--min-time", "0.001"}),
            0);
  const json document = ReadJson(out + "/benchmarks.json");
  EXPECT_EQ(document["run"]["smoke"], true);
  EXPECT_EQ(document["run"]["repetitions"], 1);
  const json* latency = Find(document, "latency", "sample", 64);
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ((*latency)["repetitions"], 1);
  EXPECT_TRUE((*latency)["stddev"].is_null());
  EXPECT_EQ((*latency)["median"], (*latency)["mean"]);
}

TEST(RunnerTest, FilterSelectsAndIsRecorded) {
  const std::string out = FreshDirectory("filtered");
  ASSERT_EQ(
      RunBench({"--binary", SampleBench(), "--out", out, "--filter",
                "^wrapper/", "--min-time", "0.001", "--repetitions", "2"}),
      0);
  const json document = ReadJson(out + "/benchmarks.json");
  EXPECT_EQ(document["run"]["filter"], "^wrapper/");
  EXPECT_EQ(document["results"].size(), 2u);
}

TEST(RunnerTest, CrashingBinaryFailsTheRunAndNamesTheMissingResults) {
  const std::string out = FreshDirectory("crashed");
  // The runner passes its environment on; it gives binaries only its own
  // flags.
  ASSERT_EQ(::setenv("IPCPROOF_SAMPLE_CRASH", "1", 1), 0);
  const int status = RunBench({"--binary", SampleBench(), "--out", out,
                               "--min-time", "0.001", "--repetitions", "2"});
  ::unsetenv("IPCPROOF_SAMPLE_CRASH");
  EXPECT_EQ(status, 1);
  const json document = ReadJson(out + "/benchmarks.json");
  EXPECT_EQ(document["run"]["complete"], false);
  EXPECT_THAT(document["run"]["missing"],
              Contains("sample_bench: throughput/sample/64"));
}

TEST(RunnerTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunBench({"--no-such-option"}), 2);
  EXPECT_EQ(RunBench({"--repetitions", "0"}), 2);
  EXPECT_EQ(RunBench({"--min-time", "-1"}), 2);
}

}  // namespace
}  // namespace ipcproof::bench

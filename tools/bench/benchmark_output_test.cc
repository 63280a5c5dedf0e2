#include "tools/bench/benchmark_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace ipcproof::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ParseBenchmarkNameTest, DropsWhatGoogleBenchmarkAppends) {
  EXPECT_THAT(ParseBenchmarkName("latency/pipe/64/real_time"),
              Optional(BenchmarkName{"latency", "pipe", 64}));
  EXPECT_THAT(ParseBenchmarkName("syscall/empty/0/iterations:1/real_time"),
              Optional(BenchmarkName{"syscall", "empty", 0}));
  EXPECT_THAT(
      ParseBenchmarkName("zerocopy/unix_socket.splice/65536/min_time:0.010"),
      Optional(BenchmarkName{"zerocopy", "unix_socket.splice", 65536}));
}

TEST(ParseBenchmarkNameTest, RejectsOtherShapes) {
  EXPECT_EQ(ParseBenchmarkName("BM_PipeRaw/64"), std::nullopt);
  EXPECT_EQ(ParseBenchmarkName("latency/pipe/64/64"), std::nullopt);
  EXPECT_EQ(ParseBenchmarkName("latency/pipe/big"), std::nullopt);
  EXPECT_EQ(ParseBenchmarkName("latency//64"), std::nullopt);
}

// Shaped like Google Benchmark 1.7.1's output with three repetitions and
// --benchmark_report_aggregates_only=true (captured, then trimmed).
constexpr char kAggregates[] = R"({
  "context": {"date": "2026-01-01", "num_cpus": 2, "kernel": "6.18.0",
              "pinning": "cpu0,cpu1"},
  "benchmarks": [
    {"name": "latency/pipe/64/real_time_mean", "run_name": "latency/pipe/64/real_time",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "mean",
     "real_time": 2.0, "cpu_time": 1.0, "time_unit": "us"},
    {"name": "latency/pipe/64/real_time_median", "run_name": "latency/pipe/64/real_time",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "median",
     "real_time": 1.5, "cpu_time": 1.0, "time_unit": "us"},
    {"name": "latency/pipe/64/real_time_stddev", "run_name": "latency/pipe/64/real_time",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "stddev",
     "real_time": 0.5, "cpu_time": 1.0, "time_unit": "us"},
    {"name": "latency/pipe/64/real_time_cv", "run_name": "latency/pipe/64/real_time",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "cv",
     "aggregate_unit": "percentage", "real_time": 0.25, "cpu_time": 1.0,
     "time_unit": "us"},
    {"name": "throughput/pipe/64_mean", "run_name": "throughput/pipe/64",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "mean",
     "real_time": 4.0, "time_unit": "ns", "bytes_per_second": 2e9},
    {"name": "throughput/pipe/64_median", "run_name": "throughput/pipe/64",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "median",
     "real_time": 4.0, "time_unit": "ns", "bytes_per_second": 3e9},
    {"name": "throughput/pipe/64_stddev", "run_name": "throughput/pipe/64",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "stddev",
     "real_time": 4.0, "time_unit": "ns", "bytes_per_second": 1e8},
    {"name": "throughput/pipe/64_cv", "run_name": "throughput/pipe/64",
     "run_type": "aggregate", "repetitions": 3, "aggregate_name": "cv",
     "real_time": 0.9, "time_unit": "ns", "bytes_per_second": 0.05},
    {"name": "throughput/sysv_msg/1048576", "run_name": "throughput/sysv_msg/1048576",
     "run_type": "iteration", "repetitions": 3, "error_occurred": true,
     "error_message": "msgmax is 8192", "real_time": 0, "time_unit": "ns"},
    {"name": "throughput/sysv_msg/1048576", "run_name": "throughput/sysv_msg/1048576",
     "run_type": "iteration", "repetitions": 3, "error_occurred": true,
     "error_message": "msgmax is 8192", "real_time": 0, "time_unit": "ns"},
    {"name": "throughput/sysv_msg/1048576", "run_name": "throughput/sysv_msg/1048576",
     "run_type": "iteration", "repetitions": 3, "error_occurred": true,
     "error_message": "msgmax is 8192", "real_time": 0, "time_unit": "ns"}
  ]
})";

TEST(ParseBenchmarkJsonTest, ReadsAggregatesInTheirUnits) {
  const BinaryOutput output = ParseBenchmarkJson(kAggregates, "ipc_bench");
  EXPECT_THAT(output.problems, ElementsAre());
  EXPECT_EQ(output.context.at("pinning"), "cpu0,cpu1");
  EXPECT_EQ(output.context.count("num_cpus"), 0u);  // not a string
  ASSERT_EQ(output.results.size(), 3u);

  const Result& latency = output.results[0];
  EXPECT_EQ(latency.name, (BenchmarkName{"latency", "pipe", 64}));
  EXPECT_EQ(latency.binary, "ipc_bench");
  EXPECT_EQ(latency.unit, "ns");
  EXPECT_DOUBLE_EQ(latency.median, 1500);  // us converted to ns
  EXPECT_DOUBLE_EQ(latency.mean, 2000);
  EXPECT_THAT(latency.stddev, Optional(500.0));
  EXPECT_THAT(latency.cv, Optional(0.25));  // a fraction, not converted
  EXPECT_EQ(latency.repetitions, 3);

  const Result& throughput = output.results[1];
  EXPECT_EQ(throughput.unit, "bytes_per_second");
  EXPECT_DOUBLE_EQ(throughput.median, 3e9);
  EXPECT_THAT(throughput.cv, Optional(0.05));

  const Result& skipped = output.results[2];
  EXPECT_THAT(skipped.skipped, Optional(std::string("msgmax is 8192")));
}

TEST(ParseBenchmarkJsonTest, OneRepetitionHasNoSpread) {
  const BinaryOutput output = ParseBenchmarkJson(R"({"benchmarks": [
    {"name": "syscall/empty/0/iterations:1/real_time",
     "run_name": "syscall/empty/0/iterations:1/real_time",
     "run_type": "iteration", "repetitions": 1, "real_time": 80.5,
     "time_unit": "ns"}]})",
                                                 "limits_bench");
  ASSERT_EQ(output.results.size(), 1u);
  EXPECT_DOUBLE_EQ(output.results[0].median, 80.5);
  EXPECT_DOUBLE_EQ(output.results[0].mean, 80.5);
  EXPECT_EQ(output.results[0].stddev, std::nullopt);
  EXPECT_EQ(output.results[0].cv, std::nullopt);
  EXPECT_EQ(output.results[0].repetitions, 1);
}

TEST(ParseBenchmarkJsonTest, ASkipInSomeRepetitionsSkipsTheBenchmark) {
  const BinaryOutput output = ParseBenchmarkJson(R"({"benchmarks": [
    {"run_name": "latency/fifo/64", "run_type": "iteration", "repetitions": 3,
     "real_time": 10, "time_unit": "ns"},
    {"run_name": "latency/fifo/64", "run_type": "iteration", "repetitions": 3,
     "error_occurred": true, "error_message": "peer died",
     "real_time": 0, "time_unit": "ns"}]})",
                                                 "ipc_bench");
  ASSERT_EQ(output.results.size(), 1u);
  EXPECT_THAT(output.results[0].skipped,
              Optional(std::string("peer died (in 1 of 3 repetitions)")));
}

TEST(ParseBenchmarkJsonTest, NamesWhatItCannotRead) {
  const BinaryOutput output = ParseBenchmarkJson(R"({"benchmarks": [
    {"run_name": "BM_Odd/64", "run_type": "iteration", "repetitions": 1,
     "real_time": 1, "time_unit": "ns"},
    {"run_name": "throughput/pipe/64", "run_type": "iteration",
     "repetitions": 1, "real_time": 1, "time_unit": "ns"}]})",
                                                 "ipc_bench");
  EXPECT_THAT(output.results, ElementsAre());
  EXPECT_THAT(
      output.problems,
      ElementsAre(HasSubstr("\"BM_Odd/64\" is not named kind/mechanism/size"),
                  HasSubstr("throughput/pipe/64 reports no bytes_per_second")));
}

TEST(ParseBenchmarkJsonTest, ThrowsOnWhatIsNotItsJson) {
  EXPECT_THROW(ParseBenchmarkJson("{\"benchmarks\": [", "x"),
               std::runtime_error);
  EXPECT_THROW(ParseBenchmarkJson("{\"context\": {}}", "x"),
               std::runtime_error);
}

TEST(ParseBenchmarkListTest, KeepsNamesDropsNotes) {
  EXPECT_THAT(
      ParseBenchmarkList("***WARNING*** Library was built as DEBUG.\n"
                         "latency/pipe/64/real_time\n"
                         "\n"
                         "syscall/empty/0/real_time\n"),
      ElementsAre("latency/pipe/64/real_time", "syscall/empty/0/real_time"));
}

}  // namespace
}  // namespace ipcproof::bench

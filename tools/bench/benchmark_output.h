// Reads what one Google Benchmark 1.7.1 binary wrote: the names it lists
// (--benchmark_list_tests) and its JSON (--benchmark_out_format=json, run
// with --benchmark_report_aggregates_only=true), turned into the results of
// benchmarks.json (docs/benchmarks-schema.md). Pure: text in, values out.
#ifndef TOOLS_BENCH_BENCHMARK_OUTPUT_H_
#define TOOLS_BENCH_BENCHMARK_OUTPUT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipcproof::bench {

// A benchmark's name as the suite spells it: "latency/pipe/64".
struct BenchmarkName {
  std::string kind;       // latency, throughput, memcpy, syscall, ...
  std::string mechanism;  // pipe, single_core, empty, ...
  int64_t size = 0;       // bytes per message; 0 where there is none
  std::string Text() const;
  friend bool operator==(const BenchmarkName&, const BenchmarkName&) = default;
};

// "latency/pipe/64" from what Google Benchmark prints: the components it
// appends ("real_time", "manual_time", "iterations:1", "min_time:0.010",
// "repeats:3", "threads:1") are dropped. Empty when what is left is not
// kind/mechanism/size with a decimal size.
std::optional<BenchmarkName> ParseBenchmarkName(const std::string& printed);

// One benchmark's figures over its repetitions.
struct Result {
  BenchmarkName name;
  std::string binary;
  // "ns" (real time per iteration) or "bytes_per_second".
  std::string unit;
  double median = 0;
  double mean = 0;
  // Absent with one repetition: a single run has no spread.
  std::optional<double> stddev;
  std::optional<double> cv;  // stddev / mean, a fraction
  int repetitions = 0;
  // Set instead of the figures when the benchmark called SkipWithError in
  // any repetition: its message.
  std::optional<std::string> skipped;
};

// What one binary's JSON holds.
struct BinaryOutput {
  // The context's string values (Google Benchmark's own and the suite's
  // AddCustomContext: kernel, machine, cpu_model, pinning, ipc_namespace).
  std::map<std::string, std::string> context;
  std::vector<Result> results;
  // Entries that could not be read (a name not kind/mechanism/size, a
  // throughput without bytes_per_second): each makes the run fail.
  std::vector<std::string> problems;
};

// The unit a kind is measured in: "bytes_per_second" for throughput,
// memcpy and zerocopy; "ns" (real time per iteration) for latency, syscall
// and wrapper; for any other kind, bytes_per_second when the entry has it.
std::string UnitOfKind(const std::string& kind, bool has_bytes_per_second);

// Throws std::runtime_error when `json_text` is not Google Benchmark's
// JSON (not JSON, no "benchmarks" array).
BinaryOutput ParseBenchmarkJson(const std::string& json_text,
                                const std::string& binary);

// The names --benchmark_list_tests=true printed, one a line, as given;
// lines with a space (warnings, notes on stderr) are not names.
std::vector<std::string> ParseBenchmarkList(const std::string& text);

}  // namespace ipcproof::bench

#endif  // TOOLS_BENCH_BENCHMARK_OUTPUT_H_

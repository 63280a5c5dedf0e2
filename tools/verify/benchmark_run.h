// verify --benchmarks: what the benchmark run made during this verify run
// says (its benchmarks.json, docs/benchmarks-schema.md), checked before any
// figure may decide, and the tests it adds to the host's report: one per
// claim whose rule reads the benchmarks (registry.h BenchmarkFigures), with
// the rule's figures as its measured values. Pure: text in, values out.
#ifndef TOOLS_VERIFY_BENCHMARK_RUN_H_
#define TOOLS_VERIFY_BENCHMARK_RUN_H_

#include <string>
#include <string_view>
#include <vector>

#include "tools/claims/registry.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {

// What this verify run expects of the file it asked for.
struct BenchmarkExpectations {
  std::string kernel_release;  // the host's uname -r
  // When this verify run started (ISO 8601 UTC, "2026-12-01T18:47:03Z"): a
  // run stamped earlier is an older file, not this run's.
  std::string not_before_utc;
  bool smoke = false;  // --benchmark-smoke was asked for
  // Where the file lies relative to the report ("benchmarks/...json").
  std::string file_in_report;
};

struct BenchmarkReading {
  BenchmarkRun run;
  // The file is not what this run asked for (unreadable, another schema,
  // incomplete, another kernel, older, unoptimised): run.unusable says why
  // and verify exits 1. A smoke run asked for is unusable but not failed.
  bool failed = false;
};

// Never throws for what the file holds: every problem becomes `unusable`.
BenchmarkReading ReadBenchmarkRun(std::string_view json_text,
                                  const BenchmarkExpectations& expect);

// A run that never wrote its file: unusable (and failed) with `why`.
BenchmarkReading MissingBenchmarkRun(const std::string& why,
                                     const BenchmarkExpectations& expect);

// One test (binary kBenchmarkBinary, suite kBenchmarkSuite, name the claim
// id) per claim of `selected` (every claim when empty) whose rule reads the
// benchmarks. It passes with the rule's figures ("latency.pipe.64
// .over_fastest"), and beside them the medians they divide, as measured
// values; a benchmark that skipped is recorded as "skipped: <why>". When
// the run is unusable it is skipped, with that reason as its unverified
// property.
std::vector<TestResult> BenchmarkTests(const claims::Registry& registry,
                                       const std::vector<std::string>& selected,
                                       const BenchmarkRun& run);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_BENCHMARK_RUN_H_

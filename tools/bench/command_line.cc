#include "tools/bench/command_line.h"

#include <CLI/CLI.hpp>

namespace ipcproof::bench {
namespace {

constexpr char kDescription[] = R"(NAME
  bench - run ipcproof's benchmarks and write benchmarks.json

SYNOPSIS
  tools/bazel run -c opt //tools/bench -- [OPTIONS]

DESCRIPTION
  bench runs each benchmark binary of the suite (conformance/bench:
  ipc_bench, limits_bench) on this host, one after another, with
  --benchmark_format=json, --benchmark_repetitions=N and
  --benchmark_report_aggregates_only=true. It first asks each binary for the
  benchmarks it has (--benchmark_list_tests), then runs them, and checks that
  every listed benchmark gave a result or a skip. The results of all
  binaries are merged into OUT/benchmarks.json (schema ipcproof-benchmarks
  version 1, docs/benchmarks-schema.md), stamped with the kernel, machine,
  CPU, date, command and the binaries' pinning and IPC namespace, and printed
  as tables: per kind, mechanism rows by size columns (median and cv %),
  throughput as a fraction of memcpy/2 at the same size, and the wrappers'
  ipc/raw ratios.

  OUT is replaced as a whole, only when everything was written: a run that
  cannot write leaves an earlier OUT as it was. OUT/raw/ keeps each binary's
  own JSON and output. Build with -c opt for figures worth keeping.)";

constexpr char kFooter[] = R"(EXIT STATUS
  0  every binary ran and every listed benchmark has a result or a skip
  1  a binary failed (exit status, signal, time bound, unreadable JSON) or
     a listed benchmark has no result; benchmarks.json is still written,
     with run.complete false
  2  a usage error, or the runner could not set up or write its output

FILES
  OUT/benchmarks.json  the merged results
  OUT/raw/NAME.json    what binary NAME wrote (--benchmark_out)
  OUT/raw/NAME.log     its standard output and error

EXAMPLES
  tools/bazel run -c opt //tools/bench -- --out /tmp/bench
  tools/bazel run -c opt //tools/bench -- --filter 'latency/' --repetitions 9
  tools/bazel run //tools/bench -- --smoke --out /tmp/smoke)";

}  // namespace

CommandLine ParseCommandLine(int argc, const char* const* argv) {
  CommandLine line;
  CLI::App app(kDescription, "bench");
  app.footer(kFooter);
  app.set_help_flag();
  bool help = false;
  app.add_flag("-h,--help", help, "Print this help and exit");
  app.add_option("--out", line.out,
                 "Output directory (default ipcproof-benchmarks; relative to "
                 "where bazel run was started)");
  std::optional<int> repetitions;
  app.add_option("--repetitions", repetitions,
                 "Repetitions of each benchmark (default 5; 1 with --smoke)");
  app.add_option("--min-time", line.min_time,
                 "Seconds each repetition runs at least "
                 "(--benchmark_min_time; default Google Benchmark's)");
  app.add_option("--filter", line.filter,
                 "Only benchmarks whose name matches REGEX "
                 "(--benchmark_filter)");
  app.add_flag("--smoke", line.smoke,
               "Each benchmark once at its smallest size (--ipcproof_smoke)");
  app.add_option("--binary", line.binaries,
                 "Run this benchmark binary instead of the suite's "
                 "(repeatable; for tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what());
  }
  if (help) {
    line.help = true;
    line.help_text = app.help();
    return line;
  }
  line.repetitions = repetitions.value_or(line.smoke ? 1 : 5);
  if (line.repetitions < 1) {
    throw UsageError("--repetitions must be at least 1");
  }
  if (line.min_time && !(*line.min_time > 0)) {
    throw UsageError("--min-time must be a positive number of seconds");
  }
  if (line.out.empty()) throw UsageError("--out must not be empty");
  return line;
}

}  // namespace ipcproof::bench

// The benchmark runner's command line (CLI11) and its --help.
#ifndef TOOLS_BENCH_COMMAND_LINE_H_
#define TOOLS_BENCH_COMMAND_LINE_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ipcproof::bench {

// The command line asks for something the runner cannot do: exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  std::string out = "ipcproof-benchmarks";
  // Default: 5, or 1 with --smoke (a smoke run checks that each benchmark
  // runs, not its spread).
  int repetitions = 5;
  // --benchmark_min_time in seconds; absent: Google Benchmark's default.
  std::optional<double> min_time;
  std::optional<std::string> filter;
  bool smoke = false;
  // Benchmark binaries to run instead of the suite's (for tests).
  std::vector<std::string> binaries;
  bool help = false;
  std::string help_text;
};

// Throws UsageError with CLI11's message, or naming a repetition count
// below 1 or a negative --min-time.
CommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace ipcproof::bench

#endif  // TOOLS_BENCH_COMMAND_LINE_H_

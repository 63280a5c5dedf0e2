#include "tools/bench/runner.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tools/bench/benchmark_output.h"
#include "tools/bench/command_line.h"
#include "tools/bench/results_document.h"
#include "tools/bench/table.h"
#include "tools/verify/binary_runner.h"
#include "tools/verify/data_root.h"
#include "tools/verify/interrupt.h"
#include "tools/verify/output_directory.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::bench {
namespace {

using verify::CallerDirectory;
using verify::InfrastructureError;
using verify::RunEnd;
using verify::RunRequest;

// The suite's binaries, one workspace-relative path a line (//tools/bench:
// binaries); its presence marks the runner's data root.
constexpr char kBinariesFile[] = "tools/bench/binaries.txt";

// Listing the benchmarks is registration only.
constexpr std::chrono::seconds kListBound{60};
// A run's bound stops a hung binary, not a slow one: per benchmark and
// repetition, ten times the time it is asked to run plus set-up.
constexpr double kDefaultMinTimeSeconds = 0.5;  // Google Benchmark 1.7.1's
constexpr double kSetupSecondsPerRun = 5;
constexpr double kFixedSeconds = 120;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InfrastructureError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<std::string> SuiteBinaries() {
  // The runfiles root is found as verify finds its data root, by the file
  // that marks it.
  const std::string root = verify::FindDataRoot(nullptr, kBinariesFile);
  if (root.empty()) {
    throw InfrastructureError(std::string("no ") + kBinariesFile +
                              " in the runfiles: run through tools/bazel run "
                              "//tools/bench, or give --binary");
  }
  std::vector<std::string> binaries;
  std::istringstream lines(ReadFile(verify::UnderRoot(root, kBinariesFile)));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) binaries.push_back(verify::UnderRoot(root, line));
  }
  return binaries;
}

std::string Quoted(const std::string& word) {
  if (!word.empty() &&
      word.find_first_of(" \t'\"\\$*?[]{}()|&;<>") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string CommandText(int argc, char** argv) {
  std::string command = "tools/bazel run -c opt //tools/bench --";
  for (int i = 1; i < argc; ++i) command += " " + Quoted(argv[i]);
  return command;
}

std::vector<std::string> SelectionArgs(const CommandLine& line) {
  std::vector<std::string> args;
  if (line.filter) args.push_back("--benchmark_filter=" + *line.filter);
  if (line.smoke) args.push_back("--ipcproof_smoke");
  return args;
}

struct Outcome {
  std::vector<Result> results;
  std::vector<std::string> problems;
  std::vector<std::string> missing;
  bool interrupted = false;
};

void RunBinary(const std::string& path, const CommandLine& line,
               const verify::StagedDirectory& staged, RunStamp& stamp,
               Outcome& outcome) {
  const std::string name = BaseName(path);
  const auto fail = [&](const std::string& what) {
    outcome.problems.push_back(name + ": " + what);
    std::fprintf(stderr, "bench: %s: %s\n", name.c_str(), what.c_str());
  };

  RunRequest list{path, SelectionArgs(line), kListBound, nullptr};
  list.args.insert(list.args.begin(), "--benchmark_list_tests=true");
  std::string listed_text;
  list.on_output = [&](std::string_view chunk) { listed_text += chunk; };
  const RunEnd listed_end = verify::RunProgram(list);
  if (listed_end.how == RunEnd::How::kInterrupted) {
    outcome.interrupted = true;
    return;
  }
  if (listed_end.how != RunEnd::How::kExited || listed_end.exit_code != 0) {
    fail("listing its benchmarks: " + verify::DescribeRunEnd(listed_end, list) +
         ": " + listed_text);
    stamp.binaries.push_back({name,
                              verify::DescribeRunEnd(listed_end, list),
                              listed_end.seconds,
                              {}});
    return;
  }
  const std::vector<std::string> listed = ParseBenchmarkList(listed_text);
  std::fprintf(stderr, "bench: %s: %zu benchmarks, %d repetitions each\n",
               name.c_str(), listed.size(), line.repetitions);

  const std::string json_path = staged.path() + "/raw/" + name + ".json";
  const double per_run =
      10 * line.min_time.value_or(kDefaultMinTimeSeconds) + kSetupSecondsPerRun;
  const auto bound = std::chrono::milliseconds(static_cast<int64_t>(
      1000 * (kFixedSeconds + per_run * static_cast<double>(listed.size()) *
                                  line.repetitions)));
  RunRequest run{path,
                 {"--benchmark_format=json", "--benchmark_out=" + json_path,
                  "--benchmark_out_format=json",
                  "--benchmark_repetitions=" + std::to_string(line.repetitions),
                  "--benchmark_report_aggregates_only=true",
                  // Repetitions of different benchmarks interleaved in a
                  // random order: run order alone moved the wrappers'
                  // ipc/raw ratio from 1.06 to 0.75 here.
                  "--benchmark_enable_random_interleaving=true"},
                 bound,
                 nullptr};
  if (line.min_time) {
    std::ostringstream seconds;
    seconds << *line.min_time;
    run.args.push_back("--benchmark_min_time=" + seconds.str());
  }
  for (const std::string& arg : SelectionArgs(line)) run.args.push_back(arg);
  std::string log;
  run.on_output = [&](std::string_view chunk) { log += chunk; };
  const RunEnd end = verify::RunProgram(run);
  staged.WriteFile("raw/" + name + ".log", log);
  if (end.how == RunEnd::How::kInterrupted) {
    outcome.interrupted = true;
    return;
  }
  BinaryRun binary{name, verify::DescribeRunEnd(end, run), end.seconds, {}};
  if (end.how != RunEnd::How::kExited || end.exit_code != 0) {
    fail(binary.end + " (its output: raw/" + name + ".log)");
  }

  BinaryOutput output;
  try {
    output = ParseBenchmarkJson(ReadFile(json_path), name);
  } catch (const std::exception& error) {
    fail("raw/" + name + ".json: " + error.what());
  }
  // Only the suite's own context (kernel, machine, cpu_model, pinning,
  // ipc_namespace, ...), not Google Benchmark's (date, load_avg, ...).
  static const std::set<std::string> kLibraryContext = {
      "date",        "host_name",           "executable",
      "mhz_per_cpu", "cpu_scaling_enabled", "library_build_type"};
  for (const auto& [key, value] : output.context) {
    if (kLibraryContext.count(key) == 0) binary.context[key] = value;
  }
  const auto kernel = output.context.find("kernel");
  if (kernel != output.context.end() &&
      kernel->second != stamp.kernel_release) {
    fail("ran on kernel " + kernel->second + ", not " + stamp.kernel_release);
  }
  for (const std::string& problem : output.problems) fail(problem);

  std::set<std::string> reported;
  int skipped = 0;
  for (const Result& result : output.results) {
    reported.insert(result.name.Text());
    if (result.skipped) ++skipped;
  }
  // Every listed benchmark has a result, and the results go in the
  // binary's own order (pipe, fifo, ... as registered), not the random order
  // they ran in: tables and charts then list the mechanisms the same way in
  // every run.
  std::map<std::string, size_t> position;
  for (const std::string& printed : listed) {
    const std::optional<BenchmarkName> parsed = ParseBenchmarkName(printed);
    if (!parsed) {
      fail("\"" + printed + "\" is not named kind/mechanism/size");
      continue;
    }
    position.emplace(parsed->Text(), position.size());
    if (reported.count(parsed->Text()) == 0) {
      outcome.missing.push_back(name + ": " + parsed->Text());
      fail(parsed->Text() + " was listed but has no result");
    }
  }
  std::stable_sort(output.results.begin(), output.results.end(),
                   [&position](const Result& a, const Result& b) {
                     const auto at = [&position](const Result& r) {
                       const auto found = position.find(r.name.Text());
                       return found == position.end() ? position.size()
                                                      : found->second;
                     };
                     return at(a) < at(b);
                   });
  std::fprintf(stderr, "bench: %s: %zu results, %d skipped (%.1f s)\n",
               name.c_str(), output.results.size(), skipped, end.seconds);
  outcome.results.insert(outcome.results.end(), output.results.begin(),
                         output.results.end());
  stamp.binaries.push_back(binary);
}

int Run(int argc, char** argv, const CommandLine& line) {
  const std::string caller = CallerDirectory();
  std::vector<std::string> binaries;
  if (line.binaries.empty()) {
    binaries = SuiteBinaries();
  } else {
    for (const std::string& binary : line.binaries) {
      binaries.push_back(verify::UnderRoot(caller, binary));
    }
  }
  const std::string out = verify::UnderRoot(caller, line.out);
  verify::CheckReplaceable(out);
  verify::StagedDirectory staged(out);
  staged.MakeDirectory("raw");

  RunStamp stamp = StampThisMachine();
  stamp.command = CommandText(argc, argv);
  stamp.repetitions = line.repetitions;
  stamp.min_time = line.min_time;
  stamp.filter = line.filter;
  stamp.smoke = line.smoke;

  Outcome outcome;
  for (const std::string& binary : binaries) {
    RunBinary(binary, line, staged, stamp, outcome);
    if (outcome.interrupted) {
      std::fprintf(stderr, "bench: interrupted; %s left as it was\n",
                   out.c_str());
      return 1;
    }
  }
  nlohmann::json document = BuildDocument(stamp, outcome.results);
  const bool complete = outcome.problems.empty();
  document["run"]["complete"] = complete;
  document["run"]["problems"] = outcome.problems;
  document["run"]["missing"] = outcome.missing;
  staged.WriteFile("benchmarks.json", document.dump(2) + "\n");
  staged.Commit();

  std::fputs(FormatTables(outcome.results).c_str(), stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "bench: %zu results from %zu binaries in %s%s\n",
               outcome.results.size(), binaries.size(),
               (out + "/benchmarks.json").c_str(),
               complete ? "" : " (incomplete: see run.problems)");
  return complete ? 0 : 1;
}

}  // namespace

int BenchMain(int argc, char** argv) {
  namespace bench = ipcproof::bench;
  bench::CommandLine line;
  try {
    line = bench::ParseCommandLine(argc, argv);
  } catch (const bench::UsageError& error) {
    std::fprintf(stderr, "bench: %s\nbench: see bench --help\n", error.what());
    return 2;
  }
  if (line.help) {
    std::fputs(line.help_text.c_str(), stdout);
    return 0;
  }
  ipcproof::verify::CatchInterrupts();
  try {
    return bench::Run(argc, argv, line);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench: %s\n", error.what());
  }
  return 2;
}

}  // namespace ipcproof::bench

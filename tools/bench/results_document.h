// benchmarks.json (schema "ipcproof-benchmarks", version 1; described in
// docs/benchmarks-schema.md): the run's stamp and every binary's results.
#ifndef TOOLS_BENCH_RESULTS_DOCUMENT_H_
#define TOOLS_BENCH_RESULTS_DOCUMENT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/benchmark_output.h"

namespace ipcproof::bench {

inline constexpr char kSchema[] = "ipcproof-benchmarks";
inline constexpr int kSchemaVersion = 1;

// One benchmark binary's run.
struct BinaryRun {
  std::string name;  // "ipc_bench"
  std::string end;   // "exited with status 0", "timed out after 60 s", ...
  double seconds = 0;
  std::map<std::string, std::string> context;  // its suite context strings
};

// Where and how the run was made.
struct RunStamp {
  std::string kernel_release, kernel_version, machine;  // uname(2)
  std::string host;                                     // nodename
  std::string cpu_model;  // /proc/cpuinfo's first "model name"
  int cpus = 0;           // sysconf(_SC_NPROCESSORS_ONLN)
  std::string date;       // ISO 8601, UTC, when the run started
  std::string command;
  int repetitions = 0;
  std::optional<double> min_time;
  std::optional<std::string> filter;
  bool smoke = false;
  std::vector<BinaryRun> binaries;
};

// This machine's stamp fields (kernel, host, cpu_model, cpus, date = now).
RunStamp StampThisMachine();

// "pinning" / "ipc_namespace" of the run: the binaries' context value
// when all that report it agree, else "ipc_bench: x; limits_bench: y";
// "not reported" when none does.
std::string CombinedContext(const std::vector<BinaryRun>& binaries,
                            const std::string& key);

nlohmann::json ResultJson(const Result& result);
nlohmann::json BuildDocument(const RunStamp& stamp,
                             const std::vector<Result>& results);

}  // namespace ipcproof::bench

#endif  // TOOLS_BENCH_RESULTS_DOCUMENT_H_

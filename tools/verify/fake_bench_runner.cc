// A stand-in for the benchmark runner (//tools/bench) in verify's tests: the
// same command line (--out DIR --repetitions N [--smoke]), and what it does
// is chosen by $IPCPROOF_FAKE_BENCH:
//   decides     a complete, optimised run on this kernel, stamped now, in
//               which the pipe's round trip is 3 times the fastest's and
//               both queues move a fifth of a pipe's bytes per second
//   incomplete  the same, marked incomplete (a binary crashed); exits 1
//   nothing     writes nothing and exits 3
// It records its arguments in $IPCPROOF_FAKE_BENCH_ARGS when set.
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "tools/verify/utc_time.h"

namespace {

using Json = nlohmann::json;

Json Result(const std::string& kind, const std::string& mechanism, int size,
            double median) {
  return {{"kind", kind},
          {"mechanism", mechanism},
          {"size", size},
          {"binary", "ipc_bench"},
          {"unit", kind == "latency" ? "ns" : "bytes_per_second"},
          {"repetitions", 3},
          {"median", median},
          {"mean", median},
          {"stddev", 1},
          {"cv", 0.02}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, all_args;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    all_args += (i > 1 ? " " : "") + arg;
    if (arg == "--out" && i + 1 < argc) out = argv[i + 1];
    if (arg == "--smoke") smoke = true;
  }
  if (const char* record = std::getenv("IPCPROOF_FAKE_BENCH_ARGS")) {
    std::ofstream(record) << all_args << "\n";
  }
  const char* scenario_env = std::getenv("IPCPROOF_FAKE_BENCH");
  const std::string scenario = scenario_env ? scenario_env : "decides";
  if (scenario == "nothing" || out.empty()) return 3;

  utsname names{};
  ::uname(&names);
  Json results = Json::array();
  for (int size : {64, 256, 1024, 4096}) {
    results.push_back(Result("latency", "shm_futex", size, 20000));
    results.push_back(Result("latency", "pipe", size, 60000));
  }
  for (int size : {65536, 262144, 1048576}) {
    results.push_back(Result("throughput", "pipe", size, 1e9));
    results.push_back(Result("throughput", "sysv_msg", size, 2e8));
    results.push_back(Result("throughput", "posix_mq", size, 2e8));
  }
  const bool complete = scenario != "incomplete";
  Json document = {
      {"schema", "ipcproof-benchmarks"},
      {"version", 1},
      {"run",
       {{"kernel", {{"release", names.release}, {"version", names.version}}},
        {"date", ipcproof::verify::UtcNow()},
        {"command", "fake_bench_runner " + all_args},
        {"cpu_model", "Fake CPU"},
        {"cpus", 2},
        {"repetitions", 3},
        {"pinning", "cpu0,cpu1"},
        {"ipc_namespace", "private"},
        {"smoke", smoke},
        {"binaries",
         {{{"name", "ipc_bench"},
           {"end", complete ? "exited with status 0" : "killed by SIGSEGV"},
           {"seconds", 1.5},
           {"context", {{"build", "optimized"}}}}}},
        {"complete", complete},
        {"problems", complete ? Json::array()
                              : Json::array({"ipc_bench: killed by SIGSEGV"})},
        {"missing", Json::array()}}},
      {"results", results}};
  ::mkdir(out.c_str(), 0755);
  std::ofstream(out + "/benchmarks.json") << document.dump(2) << "\n";
  return complete ? 0 : 1;
}

// A stand-in for the suite's benchmark binaries in the runner's test: the
// same naming (kind/mechanism/size), the same kinds of entries (real time,
// bytes_per_second, a SkipWithError), and no IPC at all. --ipcproof_smoke
// is accepted as the suite's binaries accept it. With IPCPROOF_SAMPLE_CRASH
// set (the runner passes its environment on), it aborts in its second
// benchmark, as a crashing binary would.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

bool crash = false;

void Spin(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.range(0));
}

void Copy(benchmark::State& state) {
  if (crash) std::abort();
  std::vector<char> from(state.range(0)), to(state.range(0));
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), to.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void Skip(benchmark::State& state) {
  state.SkipWithError("msgmax is 8192 (/proc/sys/kernel/msgmax)");
  for (auto _ : state) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ipcproof_smoke") == 0) continue;
    args.push_back(argv[i]);
  }
  crash = std::getenv("IPCPROOF_SAMPLE_CRASH") != nullptr;
  int count = static_cast<int>(args.size());
  benchmark::RegisterBenchmark("latency/sample", Spin)->Arg(64)->UseRealTime();
  benchmark::RegisterBenchmark("throughput/sample", Copy)->Arg(64)->Arg(4096);
  benchmark::RegisterBenchmark("memcpy/single_core", Copy)->Arg(64)->Arg(4096);
  benchmark::RegisterBenchmark("throughput/skipping", Skip)->Arg(1 << 20);
  benchmark::RegisterBenchmark("wrapper/sample_raw", Spin)->Arg(64);
  benchmark::RegisterBenchmark("wrapper/sample_ipc", Spin)->Arg(64);
  benchmark::AddCustomContext("pinning", "not attempted (sample)");
  benchmark::Initialize(&count, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

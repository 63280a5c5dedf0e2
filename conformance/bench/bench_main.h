// The main() every ipcproof benchmark binary shares (ipc_bench,
// limits_bench): the flags of a smoke run, a private IPC namespace, CPU
// pinning, and the context lines the runner (tools/bench) copies into
// benchmarks.json's "run" object.
//
// In a binary:
//   int main(int argc, char** argv) { return ipcproof::RunBenchmarks(argc,
//   argv); }
// and each benchmark registers its sizes with BenchSizes, so that a smoke
// run (--ipcproof_smoke) runs every benchmark once, at its smallest size.
#ifndef CONFORMANCE_BENCH_BENCH_MAIN_H_
#define CONFORMANCE_BENCH_BENCH_MAIN_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "benchmark/benchmark.h"

namespace ipcproof {

// The smoke flag, consumed by RunBenchmarks before Google Benchmark sees
// the arguments.
inline constexpr char kSmokeFlag[] = "--ipcproof_smoke";

// True when the process was started with --ipcproof_smoke. Valid during
// static initialisation too (it reads /proc/self/cmdline), so BENCHMARK
// registrations can depend on it.
bool SmokeRun();

// Registers `sizes` as the benchmark's Arg list: all of them, or in a smoke
// run only the first, with Iterations(1).
void BenchSizes(benchmark::internal::Benchmark* b,
                std::initializer_list<int64_t> sizes);

// The message sizes of the issue: 64 B to 1 MiB in powers of 4.
void StandardSizes(benchmark::internal::Benchmark* b);

// The two CPUs a two-process benchmark runs on: the benchmark process on
// kParentCpu, its peer on PeerCpu(): kDefaultPeerCpu, or the CPU that
// --ipcproof_peer_cpu=N names (N = 0 puts both on one CPU: a round trip
// without a cross-CPU wake-up, to tell the mechanism's cost from the
// machine's inter-processor interrupts).
inline constexpr int kParentCpu = 0;
inline constexpr int kDefaultPeerCpu = 1;
inline constexpr char kPeerCpuFlag[] = "--ipcproof_peer_cpu=";
int PeerCpu();

// sched_setaffinity(0, {cpu}): 0 or the errno. Async-signal-safe (one
// system call), for a forked peer.
int PinToCpu(int cpu);

// True when RunBenchmarks pinned this process to kParentCpu and PeerCpu() is
// in its allowed set (so a peer can pin itself there): what the "pinning"
// context says as "cpu0,cpu1".
bool PinningAvailable();

// True when RunBenchmarks moved the process into a private IPC namespace
// (unshare(CLONE_NEWIPC)): only then may a benchmark raise the namespace's
// kernel/msg* and fs/mqueue/* sysctls.
bool InPrivateIpcNamespace();

// Ignores SIGPIPE, parses and removes --ipcproof_smoke and
// --ipcproof_peer_cpu=N, enters a private IPC namespace where it can, pins the
// process to kParentCpu where it can, adds the context lines "ipc_namespace",
// "kernel", "machine", "cpu_model", "pinning" and "smoke", then runs the
// benchmarks (Google Benchmark's flags apply). Returns main's exit status: 1
// for unrecognised arguments, else 0.
int RunBenchmarks(int argc, char** argv);

}  // namespace ipcproof

#endif  // CONFORMANCE_BENCH_BENCH_MAIN_H_

#include "conformance/bench/bench_main.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof {
namespace {

bool g_pinned = false;
int g_peer_cpu = kDefaultPeerCpu;
bool g_private_ipc = false;

// The process's own argument vector, as the kernel recorded it at exec:
// readable before main() runs.
std::vector<std::string> CommandLine() {
  std::vector<std::string> args;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

// "model name" of the first processor in /proc/cpuinfo (x86), or "unknown".
std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = colon + 1;
    while (start < line.size() && line[start] == ' ') ++start;
    return line.substr(start);
  }
  return "unknown";
}

// Pins the process to kParentCpu when both CPUs are allowed; returns the
// "pinning" context line.
std::string Pin() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return "none: sched_getaffinity failed with " + ErrnoName(errno);
  }
  if (!CPU_ISSET(kParentCpu, &allowed) || !CPU_ISSET(g_peer_cpu, &allowed)) {
    return "none: cpu" + std::to_string(kParentCpu) + " and cpu" +
           std::to_string(g_peer_cpu) + " are not both in the allowed set (" +
           std::to_string(CPU_COUNT(&allowed)) + " CPUs allowed)";
  }
  if (const int err = PinToCpu(kParentCpu); err != 0) {
    return "none: sched_setaffinity(cpu" + std::to_string(kParentCpu) +
           ") failed with " + ErrnoName(err);
  }
  g_pinned = true;
  return "cpu" + std::to_string(kParentCpu) + ",cpu" +
         std::to_string(g_peer_cpu);
}

}  // namespace

bool SmokeRun() {
  static const bool smoke = [] {
    for (const std::string& arg : CommandLine()) {
      if (arg == kSmokeFlag) return true;
    }
    return false;
  }();
  return smoke;
}

void BenchSizes(benchmark::internal::Benchmark* b,
                std::initializer_list<int64_t> sizes) {
  if (SmokeRun()) {
    if (sizes.size() != 0) b->Arg(*sizes.begin());
    b->Iterations(1);
    return;
  }
  for (const int64_t size : sizes) b->Arg(size);
}

void StandardSizes(benchmark::internal::Benchmark* b) {
  BenchSizes(b, {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576});
}

int PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : errno;
}

bool PinningAvailable() { return g_pinned; }

int PeerCpu() { return g_peer_cpu; }

bool InPrivateIpcNamespace() { return g_private_ipc; }

int RunBenchmarks(int argc, char** argv) {
  // Before any thread exists, and before a benchmark makes an IPC object:
  // in a private IPC namespace a killed run leaves no queue on the host,
  // and the benchmarks may raise the queue limits for themselves alone.
  g_private_ipc = unshare(CLONE_NEWIPC) == 0;
  const int unshare_errno = errno;

  // Remove our own flags so Google Benchmark does not reject them.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == kSmokeFlag) continue;
    if (arg.starts_with(kPeerCpuFlag)) {
      const std::string number(arg.substr(std::strlen(kPeerCpuFlag)));
      char* end = nullptr;
      const long cpu = std::strtol(number.c_str(), &end, 10);
      if (number.empty() || *end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE) {
        std::fprintf(stderr, "%s: %s wants a CPU number, not \"%s\"\n", argv[0],
                     kPeerCpuFlag, number.c_str());
        return 1;
      }
      g_peer_cpu = static_cast<int>(cpu);
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;

  // A write to a peer that died fails EPIPE, and the benchmark then ends
  // with SkipWithError naming it, instead of SIGPIPE killing the binary and
  // every benchmark after it. For the whole process (and its forked peers),
  // since every two-process benchmark needs it.
  signal(SIGPIPE, SIG_IGN);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  benchmark::AddCustomContext(
      "ipc_namespace", g_private_ipc
                           ? "private (unshare(CLONE_NEWIPC))"
                           : "host's: unshare(CLONE_NEWIPC) failed with " +
                                 ErrnoName(unshare_errno) +
                                 "; objects are removed by RAII");
  struct utsname uts {};
  if (uname(&uts) == 0) {
    benchmark::AddCustomContext("kernel", uts.release);
    benchmark::AddCustomContext("kernel_version", uts.version);
    benchmark::AddCustomContext("machine", uts.machine);
  }
  benchmark::AddCustomContext("cpu_model", CpuModel());
  benchmark::AddCustomContext("pinning", Pin());
  benchmark::AddCustomContext("smoke", SmokeRun() ? "true" : "false");
  // Figures from an unoptimised build measure the compiler's -O0 code as
  // much as the kernel: verify --benchmarks lets only "optimized" decide.
  // The whole build shares one compilation mode, so this file's says it.
#ifdef __OPTIMIZE__
  benchmark::AddCustomContext("build", "optimized");
#else
  benchmark::AddCustomContext("build", "unoptimized (build with -c opt)");
#endif

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace ipcproof

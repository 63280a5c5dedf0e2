// The probes' cost: pipe throughput between two processes without a copy
// counter, with the page-fault counter attached and following both, and
// with the function-entry counter where the kernel loads it.
//
//   tools/bazel run -c opt //bpf:copy_counter_bench --
//       --benchmark_repetitions=5 [--benchmark_enable_random_interleaving]
//
// Each iteration moves 1 MiB from A (this process) to B (a forked reader)
// in 64 KiB writes, and ends when B acknowledges the last byte, so the time
// covers both halves (real time: the work is in two processes). The buffers
// are ordinary memory, never dropped: this measures what the probes cost on
// ordinary traffic (sys_enter on every call of every process, the fault
// probe on no fault at all), not the page-fault method's buffer discipline.
//
// Bytes per second per variant, and at the end (on stderr, so that
// --benchmark_format=json keeps stdout clean) each counter's throughput
// over the no-counter throughput: the median over repetitions when there
// are any, the mean of the runs otherwise (the goal: within 5 %). The JSON
// holds the same figures (bytes_per_second of each variant's runs). A
// counter the kernel refuses is a skipped variant whose error says why
// (CopyCounterUnavailable: fentry on the host, EPERM at load).
//
// Counters of each variant: `followed_syscalls`, the system calls the
// counter attributed to A and B during the run (proof that the probe was
// following them: a probe that saw nothing would cost nothing), and
// `user_bytes`, the copies it counted (0 for the page-fault method, whose
// buffers never fault here; 2 x the bytes moved for function entry).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bpf/copy_counter.h"

namespace ipcproof::bpf {
namespace {

constexpr size_t kWrite = 64 * 1024;
constexpr size_t kPerIteration = 1024 * 1024;
constexpr uint32_t kSender = 1;
constexpr uint32_t kReceiver = 2;

constexpr const char* kNoCounter = "no_counter";

std::runtime_error CallFailed(const char* call) {
  return std::runtime_error(std::string(call) +
                            " failed: " + std::strerror(errno));
}

// B: reads until EOF, acknowledging each kPerIteration bytes with one byte.
// Async-signal-safe only (it is a forked child); its exit code says which
// call failed.
[[noreturn]] void Receive(const CopyCounter* counter, int data, int ack) {
  if (counter != nullptr) counter->Follow(kReceiver);
  static char buffer[kWrite];
  size_t pending = 0;
  for (;;) {
    const ssize_t n = ::read(data, buffer, sizeof buffer);
    if (n < 0) ::_exit(2);
    if (n == 0) ::_exit(0);
    pending += static_cast<size_t>(n);
    while (pending >= kPerIteration) {
      pending -= kPerIteration;
      if (::write(ack, "a", 1) != 1) ::_exit(3);
    }
  }
}

// The reader B and the two pipes to it; destruction closes A's ends (B
// then reads EOF and exits) and reaps B.
class Reader {
 public:
  explicit Reader(const CopyCounter* counter) {
    int data[2];
    int ack[2];
    if (::pipe2(data, O_CLOEXEC) != 0) throw CallFailed("pipe2(data)");
    if (::pipe2(ack, O_CLOEXEC) != 0) {
      const std::runtime_error error = CallFailed("pipe2(ack)");
      ::close(data[0]);
      ::close(data[1]);
      throw error;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Dies with A, so a benchmark killed mid-run leaves no reader.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(data[1]);
      ::close(ack[0]);
      Receive(counter, data[0], ack[1]);
    }
    const int fork_errno = errno;
    ::close(data[0]);
    ::close(ack[1]);
    write_ = data[1];
    ack_ = ack[0];
    if (pid_ < 0) {
      errno = fork_errno;
      const std::runtime_error error = CallFailed("fork");
      Close();
      throw error;
    }
  }

  ~Reader() {
    Close();
    if (pid_ > 0) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // One iteration: kPerIteration bytes in kWrite writes, then B's
  // acknowledgement. "" or what failed.
  std::string MoveOneMiB(const char* bytes) const {
    size_t sent = 0;
    while (sent < kPerIteration) {
      const ssize_t n = ::write(write_, bytes, kWrite);
      if (n <= 0) return CallFailed("write(pipe)").what();
      sent += static_cast<size_t>(n);
    }
    char ack;
    if (::read(ack_, &ack, 1) != 1) {
      return "the reader did not acknowledge 1 MiB (it exited?)";
    }
    return "";
  }

 private:
  void Close() {
    if (write_ >= 0) ::close(write_);
    if (ack_ >= 0) ::close(ack_);
    write_ = ack_ = -1;
  }

  pid_t pid_ = -1;
  int write_ = -1;
  int ack_ = -1;
};

// A and B on one CPU for the run (B inherits the affinity at fork): the
// pipe's ping-pong then takes the same path in every run (a context switch
// per full or empty pipe) instead of switching between cross-CPU wake-ups
// and same-CPU switches from one run to the next, which alone changed the
// throughput several-fold on a loaded 2-core machine. Restored afterwards.
class ScopedOneCpu {
 public:
  ScopedOneCpu() {
    if (::sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
    const int cpu = ::sched_getcpu();
    if (cpu < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~ScopedOneCpu() {
    if (pinned_) ::sched_setaffinity(0, sizeof saved_, &saved_);
  }
  ScopedOneCpu(const ScopedOneCpu&) = delete;
  ScopedOneCpu& operator=(const ScopedOneCpu&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

double Seconds(const timeval& time) {
  return static_cast<double>(time.tv_sec) +
         static_cast<double>(time.tv_usec) / 1e6;
}

// User + system CPU time of this process's reaped children so far.
double ReapedChildrenCpu() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
}

double ProcessCpu() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) / 1e9;
}

void PipeThroughput(benchmark::State& state, std::optional<CopyMethod> method) {
  std::unique_ptr<CopyCounter> counter;
  if (method) {
    try {
      counter = CopyCounter::Start(*method);
    } catch (const CopyCounterUnavailable& unavailable) {
      state.SkipWithError((std::string(CopyMethodName(*method)) +
                           " counter unavailable: " + unavailable.what())
                              .c_str());
      return;
    } catch (const std::exception& failure) {
      state.SkipWithError(failure.what());
      return;
    }
    counter->Follow(kSender);
  }
  static char bytes[kWrite];
  std::memset(bytes, 'p', sizeof bytes);
  std::string error;
  double sender_cpu = 0;
  const double children_cpu_before = ReapedChildrenCpu();
  {
    const ScopedOneCpu one_cpu;
    std::optional<Reader> reader;
    try {
      reader.emplace(counter.get());
    } catch (const std::runtime_error& failure) {
      error = failure.what();
    }
    if (reader) {
      const double start = ProcessCpu();
      for (auto _ : state) {
        error = reader->MoveOneMiB(bytes);
        if (!error.empty()) break;
      }
      sender_cpu = ProcessCpu() - start;
    }
  }  // B reads EOF and is reaped here.
  // B's whole life: the loop, and its fork and exit (small beside it).
  const double receiver_cpu = ReapedChildrenCpu() - children_cpu_before;
  if (counter) counter->Follow(0);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const double bytes_moved =
      static_cast<double>(state.iterations()) * kPerIteration;
  state.SetBytesProcessed(static_cast<int64_t>(bytes_moved));
  // The steadier figure on a shared machine: bytes per second of A's and
  // B's CPU time together, which other processes' load does not stretch.
  if (sender_cpu + receiver_cpu > 0) {
    state.counters["cpu_bytes_per_second"] =
        bytes_moved / (sender_cpu + receiver_cpu);
  }
  if (counter) {
    const CopyCounts counts = counter->Read();
    uint64_t syscalls = 0;
    uint64_t user_bytes = 0;
    for (const uint32_t label : {kSender, kReceiver}) {
      const ProcessCopies process = counts.Of(label);
      for (const auto& [nr, calls] : process.syscalls) syscalls += calls;
      user_bytes += process.user_bytes();
    }
    state.counters["followed_syscalls"] = static_cast<double>(syscalls);
    state.counters["user_bytes"] = static_cast<double>(user_bytes);
    if (syscalls == 0) {
      state.SkipWithError(
          "the counter saw no system call of A or B: it was not following "
          "them, so this run measured no probe");
    }
  }
}

// The figures the closing ratios compare: wall-clock throughput (the
// brief's figure) and throughput per CPU second of A and B (the steadier
// one when other processes load the machine).
constexpr std::array<const char*, 2> kFigures = {"bytes_per_second",
                                                 "cpu_bytes_per_second"};

// The display reporter the flags ask for, which also keeps each variant's
// figures for the closing ratios.
class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RatioReporter(benchmark::BenchmarkReporter* display)
      : display_(display) {}

  bool ReportContext(const Context& context) override {
    display_->SetOutputStream(&GetOutputStream());
    display_->SetErrorStream(&GetErrorStream());
    return display_->ReportContext(context);
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const std::string variant = Variant(run.run_name.function_name);
      for (const char* figure : kFigures) {
        const auto value = run.counters.find(figure);
        if (value == run.counters.end()) continue;
        const Key key{variant, figure};
        if (run.run_type == Run::RT_Aggregate) {
          if (run.aggregate_name == "median") medians_[key] = value->second;
        } else {
          runs_[key].push_back(value->second);
        }
      }
    }
    display_->ReportRuns(runs);
  }

  void Finalize() override {
    display_->Finalize();
    std::ostream& out = GetErrorStream();
    for (const char* figure : kFigures) {
      const std::optional<double> base = Value({kNoCounter, figure});
      if (!base) {
        out << "ratio of " << figure << ": no run without a counter\n";
        continue;
      }
      for (const char* variant : {"page_faults", "fentry"}) {
        const std::optional<double> with = Value({variant, figure});
        if (!with) {
          out << "ratio of " << figure << " " << variant << " / " << kNoCounter
              << ": not measured (skipped)\n";
          continue;
        }
        const double ratio = *with / *base;
        char line[240];
        std::snprintf(
            line, sizeof line,
            "ratio of %s %s / %s: %.4f (%s; within 5 %%: %s)\n", figure,
            variant, kNoCounter, ratio,
            medians_.count({variant, figure}) != 0 ? "medians" : "means",
            ratio >= 0.95 ? "yes" : "no");
        out << line;
      }
    }
  }

 private:
  using Key = std::pair<std::string, std::string>;  // variant, figure

  // "pipe_throughput/page_faults" -> "page_faults".
  static std::string Variant(const std::string& name) {
    const size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
  }

  // The median over repetitions, else the mean of the runs.
  std::optional<double> Value(const Key& key) const {
    if (const auto median = medians_.find(key); median != medians_.end()) {
      return median->second;
    }
    const auto found = runs_.find(key);
    if (found == runs_.end() || found->second.empty()) return std::nullopt;
    double sum = 0;
    for (const double value : found->second) sum += value;
    return sum / static_cast<double>(found->second.size());
  }

  benchmark::BenchmarkReporter* display_;
  std::map<Key, double> medians_;
  std::map<Key, std::vector<double>> runs_;
};

}  // namespace
}  // namespace ipcproof::bpf

int main(int argc, char** argv) {
  using ipcproof::bpf::CopyMethod;
  using ipcproof::bpf::PipeThroughput;
  benchmark::RegisterBenchmark("pipe_throughput/no_counter", PipeThroughput,
                               std::nullopt)
      ->UseRealTime();
  benchmark::RegisterBenchmark("pipe_throughput/page_faults", PipeThroughput,
                               std::optional(CopyMethod::kPageFaults))
      ->UseRealTime();
  benchmark::RegisterBenchmark("pipe_throughput/fentry", PipeThroughput,
                               std::optional(CopyMethod::kFunctionEntry))
      ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // CreateDefaultDisplayReporter honours --benchmark_format; it is the
  // library's own object (not to be deleted).
  ipcproof::bpf::RatioReporter reporter(
      benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

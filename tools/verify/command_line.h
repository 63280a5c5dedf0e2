// verify's command line (CLI11): the options, their checks, and --help, which
// reads like a man page (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, VERDICTS,
// EXIT STATUS, FILES, EXAMPLES). What needs the registry (claim ids, areas)
// is checked later, by claim_selection.h.
#ifndef TOOLS_VERIFY_COMMAND_LINE_H_
#define TOOLS_VERIFY_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <vector>

namespace ipcproof::verify {

struct CommandLine {
  std::string out = "ipcproof-report";
  // Format names (report_writers.h AllFormats), each once, in AllFormats'
  // order; all six unless --formats was given.
  std::vector<std::string> formats;
  std::vector<std::string> claims;  // ids or globs
  std::vector<std::string> areas;
  bool strict = false;
  int timeout_seconds = 30;
  std::optional<int> binary_timeout_seconds;
  // Empty: the data root's file.
  std::string registry;
  std::string index;
  std::string suite;
  std::string expected_deviations;
  std::string grading_config;
  bool gradescope_per_test = false;
  bool update_docs_report = false;
  bool quiet = false;
  // --no-host: only the --kernel kernels.
  bool no_host = false;
  // The kernels to run the suite on, in the order given, each once: "host"
  // (the running kernel; the default when no --kernel is given, and put
  // first when --kernel names others unless --no-host) or a spec
  // for tools/kernels/guest_run.h's ResolveKernel ("linux-6.1", a Debian
  // package name, a path to a kernel image).
  std::vector<std::string> kernels;
  // "auto", "tcg" or "kvm".
  std::string accel = "auto";
  int guest_cpus = 2;
  int guest_memory_mib = 2048;
  // Empty: the kernel runner's default cache.
  std::string kernel_cache;
  // The static busybox a guest gets as /bin/sh, cat, readlink; empty: the
  // kernel runner's default (/bin/busybox).
  std::string guest_busybox;
  // --benchmarks: run the benchmarks (//tools/bench) on the host after its
  // suite, and let the claims whose rules read them decide from that run's
  // figures. --benchmark-smoke implies it: each benchmark once, deciding
  // nothing.
  bool benchmarks = false;
  bool benchmark_smoke = false;
  int benchmark_repetitions = 5;
  // Empty: the data root's tools/bench/bench. Else a runner with the same
  // command line (for tests).
  std::string benchmark_runner;
  // --help was asked for: print `help` and exit 0.
  bool help = false;
  std::string help_text;
};

// The kernel spec that means the running kernel.
inline constexpr char kHostKernel[] = "host";

// Throws UsageError with CLI11's message (an unknown option, a missing or
// malformed value) or naming an unknown format, an empty --kernel, a
// --kernel given twice or an unknown --accel.
CommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_COMMAND_LINE_H_

// verify: the project's main command. Loads the registry, the claim index,
// the expected deviations and the grading config; runs the suite's
// conformance binaries (only the tests of the chosen claims, when claims or
// areas are chosen); decides every claim by the README's rule; writes the
// report atomically; exits 0, 1 (a claim deviates) or 2 (usage or
// infrastructure). `verify --help` documents it all.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/claims/claim_index.h"
#include "tools/claims/registry.h"
#include "tools/kernels/guest_run.h"
#include "tools/report/grading_config.h"
#include "tools/report/report_writers.h"
#include "tools/verify/benchmark_run.h"
#include "tools/verify/binary_runner.h"
#include "tools/verify/claim_selection.h"
#include "tools/verify/command_line.h"
#include "tools/verify/data_root.h"
#include "tools/verify/declared_at.h"
#include "tools/verify/expected_deviations.h"
#include "tools/verify/guest_suite.h"
#include "tools/verify/interrupt.h"
#include "tools/verify/kernel_config.h"
#include "tools/verify/kernel_health.h"
#include "tools/verify/model.h"
#include "tools/verify/output_directory.h"
#include "tools/verify/progress_display.h"
#include "tools/verify/requirements.h"
#include "tools/verify/suite_file.h"
#include "tools/verify/suite_runner.h"
#include "tools/verify/unverified.h"
#include "tools/verify/utc_time.h"
#include "tools/verify/verdict.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

constexpr char kVersion[] = "ipcproof verify 1";

using Clock = std::chrono::steady_clock;

std::string FromCaller(const std::string& caller, const std::string& path) {
  return UnderRoot(caller, path);
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

bool IsRegularFile(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// A loader's message with the file in front, whether or not the loader put
// it there.
std::string NamingFile(const std::string& path, const std::string& message) {
  if (message.starts_with(path)) return message;
  return path + ": " + message;
}

std::string ShellQuoted(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
          "0123456789-_./=:,+@%") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// verify's scratch space for the binaries' XML; removed at exit.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string base = Environment("TMPDIR");
    if (base.empty()) base = "/tmp";
    path_ = base + "/ipcproof-verify-XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) {
      throw InfrastructureError(DescribeErrno("mkdtemp(" + path_ + ")", errno));
    }
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  ~ScratchDirectory() { RemoveTree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The kernel runner's data, under the data root (//tools/kernels exports
// them into verify's runfiles).
constexpr char kKernelsLock[] = "tools/kernels/kernels.lock";
constexpr char kFetchScript[] = "tools/kernels/fetch_kernel.sh";

struct Inputs {
  claims::Registry registry;
  claims::ClaimIndex index;
  std::vector<ExpectedDeviation> expected;
  GradingConfig grading;
  std::vector<SuiteBinary> suite;
  // The data root, or "" when the data files were all named on the command
  // line.
  std::string root;
  // Every suite folder's requirements file (conformance/*/requirements).
  std::vector<FolderRequirements> requirements;
};

// Every input, or the first one that is wrong; nothing has run yet.
Inputs LoadInputs(const CommandLine& line, const std::string& caller) {
  std::vector<std::string> tried;
  std::string root = FindDataRoot(&tried);
  const bool have_root = !root.empty();
  if (!have_root) {
    if (line.registry.empty() || line.index.empty() || line.suite.empty()) {
      std::string places;
      for (const std::string& place : tried) {
        places += (places.empty() ? "" : ", ") + place;
      }
      throw InfrastructureError(std::string("no data root holds ") +
                                kRootMarker + " (tried " + places +
                                "); pass --registry, --index and --suite");
    }
    // The suite's relative paths are then the caller's.
    root = caller;
  }
  auto chosen = [&](const std::string& given, const char* fallback) {
    return given.empty() ? UnderRoot(root, fallback)
                         : FromCaller(caller, given);
  };
  // The optional files' defaults count only where there is a data root.
  auto wanted = [&](const std::string& given, const std::string& path) {
    return !given.empty() || (have_root && Exists(path));
  };

  Inputs inputs;
  const std::string registry_path = chosen(line.registry, kDefaultRegistry);
  try {
    inputs.registry = claims::LoadRegistry(registry_path);
  } catch (const std::exception& error) {
    throw InfrastructureError(NamingFile(registry_path, error.what()));
  }
  const std::string index_path = chosen(line.index, kDefaultIndex);
  try {
    inputs.index = claims::LoadClaimIndex(index_path);
  } catch (const std::exception& error) {
    throw InfrastructureError(NamingFile(index_path, error.what()));
  }
  const std::string expected_path =
      chosen(line.expected_deviations, kDefaultExpectedDeviations);
  if (wanted(line.expected_deviations, expected_path)) {
    try {
      inputs.expected = LoadExpectedDeviations(expected_path, inputs.registry);
    } catch (const std::exception& error) {
      throw InfrastructureError(NamingFile(expected_path, error.what()));
    }
  }
  const std::string grading_path =
      chosen(line.grading_config, kDefaultGradingConfig);
  if (wanted(line.grading_config, grading_path)) {
    try {
      inputs.grading = LoadGradingConfig(grading_path);
    } catch (const std::exception& error) {
      throw InfrastructureError(NamingFile(grading_path, error.what()));
    }
  }
  if (line.gradescope_per_test) inputs.grading.per_test = true;
  // Paths in the suite file are under the root even when the file itself
  // was named on the command line.
  inputs.suite = LoadSuite(chosen(line.suite, kDefaultSuite), root);
  if (have_root) {
    inputs.root = root;
    std::vector<std::string> folders;
    for (const SuiteBinary& binary : inputs.suite) {
      folders.push_back(FolderOf(binary.name));
    }
    inputs.requirements = LoadRequirements(root, folders);
  }
  return inputs;
}

// One --kernel: the host, or a guest kernel found on disk.
struct Kernel {
  std::string spec;
  std::string label;  // unique in this run
  bool host = false;
  kernels::KernelImage image;
};

kernels::Accelerator AcceleratorOf(const std::string& name) {
  if (name == "tcg") return kernels::Accelerator::kTcg;
  if (name == "kvm") return kernels::Accelerator::kKvm;
  return kernels::Accelerator::kAuto;
}

// A label as a directory name: OUT/kernels/<this>/.
std::string DirectoryName(const std::string& label) {
  std::string name = label;
  for (char& c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                       c == '_' || c == '+';
    if (!plain) c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "kernel";
  return name;
}

// "LABEL=PATH" -> {LABEL, PATH} when the part after the first '=' is a
// path (has a '/'); anything else -> {"", spec} (a shorthand, a package, a
// PACKAGE=VERSION, a path).
std::pair<std::string, std::string> SplitKernelLabel(const std::string& spec) {
  const size_t equals = spec.find('=');
  if (equals == std::string::npos || equals == 0 ||
      spec.find('/', equals) == std::string::npos ||
      spec.substr(0, equals).find('/') != std::string::npos) {
    return {"", spec};
  }
  return {spec.substr(0, equals), spec.substr(equals + 1)};
}

// Every kernel of the command line, resolved before anything runs: a spec
// that does not resolve stops the run with the resolver's message.
std::vector<Kernel> ResolveKernels(const CommandLine& line,
                                   const Inputs& inputs,
                                   const std::string& caller) {
  kernels::ResolveOptions options;
  if (!line.kernel_cache.empty()) {
    options.cache_dir = FromCaller(caller, line.kernel_cache);
  }
  if (!inputs.root.empty()) {
    const std::string lock = UnderRoot(inputs.root, kKernelsLock);
    const std::string fetch = UnderRoot(inputs.root, kFetchScript);
    if (Exists(lock)) options.lock_file = lock;
    if (Exists(fetch)) options.fetch_script = fetch;
  }
  std::vector<Kernel> resolved;
  std::vector<std::string> labels;
  for (const std::string& spec : line.kernels) {
    Kernel kernel;
    kernel.spec = spec;
    if (spec == kHostKernel) {
      kernel.host = true;
      kernel.label = kHostKernel;
    } else {
      // A path is the caller's, not the runfiles tree's `bazel run` starts
      // verify in; a bare name is a path only when that file is there
      // ("bzImage"), not when a directory is ("linux-6.1", a source tree).
      // LABEL=PATH names the column ("student=./bzImage"): a PATH has a
      // '/', which no Debian version (PACKAGE=VERSION) has.
      const auto [chosen_label, path_spec] = SplitKernelLabel(spec);
      std::string given = path_spec;
      if (path_spec.find('/') != std::string::npos ||
          IsRegularFile(FromCaller(caller, path_spec))) {
        given = FromCaller(caller, path_spec);
      }
      try {
        kernel.image = kernels::ResolveKernel(given, options);
      } catch (const std::exception& error) {
        throw InfrastructureError("--kernel " + spec + ": " + error.what());
      }
      kernel.label = !chosen_label.empty()        ? chosen_label
                     : kernel.image.label.empty() ? spec
                                                  : kernel.image.label;
      kernel.image.label = kernel.label;
    }
    // Two images called bzImage are two columns all the same.
    const std::string base = kernel.label;
    for (int n = 2;
         std::find(labels.begin(), labels.end(), kernel.label) != labels.end();
         ++n) {
      kernel.label = base + "-" + std::to_string(n);
    }
    labels.push_back(kernel.label);
    resolved.push_back(std::move(kernel));
  }
  return resolved;
}

RunInfo DescribeRun(int argc, char** argv, const CommandLine& line) {
  RunInfo run;
  utsname names{};
  if (::uname(&names) == 0) {
    run.kernel_release = names.release;
    run.kernel_version = names.version;
    run.machine = names.machine;
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) run.hostname = host;
  run.started_utc = UtcNow();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) run.command_line += ' ';
    run.command_line += ShellQuoted(i == 0 ? "verify" : argv[i]);
  }
  run.verify_version = kVersion;
  run.selection = line.claims;
  run.selection.insert(run.selection.end(), line.areas.begin(),
                       line.areas.end());
  run.strict = line.strict;
  return run;
}

// The several-kernels forms: with one report each writes exactly what the
// single-report form writes (report_writers.h).
std::string Written(const Format& format, const std::vector<Report>& reports,
                    const GradingConfig& grading) {
  if (format.name == "md") return WriteMarkdown(reports);
  if (format.name == "html") return WriteHtml(reports);
  if (format.name == "json") return WriteJson(reports);
  if (format.name == "junit") return WriteJunit(reports);
  if (format.name == "ktap") return WriteKtap(reports);
  if (format.name == "gradescope") return WriteGradescope(reports, grading);
  throw std::logic_error("no writer for format " + format.name);
}

// The claims that make the exit status 1, one stderr line each; `prefix`
// names the kernel when there are several ("linux-6.1: ").
bool ReportFailingClaims(const Report& report, bool strict,
                         const std::string& prefix) {
  bool failing = false;
  for (const ClaimReport& claim : report.claims) {
    std::string word;
    switch (claim.verdict) {
      case Verdict::kDeviates:
        word = "deviates";
        break;
      case Verdict::kUntested:
      case Verdict::kUnverified:
      case Verdict::kFlaky:
        if (strict) word = VerdictKey(claim.verdict);
        break;
      default:
        break;
    }
    if (word.empty()) continue;
    failing = true;
    std::fprintf(stderr, "verify: %s%s: %s: %s\n", prefix.c_str(), word.c_str(),
                 claim.claim.id.c_str(), claim.explanation.c_str());
  }
  return failing;
}

void ReportHealth(const KernelHealth& health, const std::string& prefix) {
  if (health.TaintChanged()) {
    std::fprintf(stderr,
                 "verify: %swarning: the kernel's taint flags changed during "
                 "the run (%s -> %s)\n",
                 prefix.c_str(), health.tainted_before.c_str(),
                 health.tainted_after.c_str());
  }
  if (!health.warnings.empty()) {
    std::fprintf(stderr,
                 "verify: %swarning: the kernel logged %zu warning(s) during "
                 "the run; the first: %s\n",
                 prefix.c_str(), health.warnings.size(),
                 health.warnings.front().c_str());
  }
}

// A guest that failed, and binaries that did not report in it: one stderr
// line each, naming the kernel. Any of them fails the run.
bool ReportGuestFailures(const Report& report,
                         const std::vector<std::string>& problems) {
  const KernelInfo& kernel = report.run.kernel;
  bool failing = false;
  if (!kernel.failure.empty()) {
    failing = true;
    const std::string& message = kernel.failure_message;
    std::fprintf(stderr, "verify: %s: %s: %s\n", kernel.label.c_str(),
                 kernel.failure.c_str(),
                 message.substr(0, message.find('\n')).c_str());
  }
  for (const std::string& problem : problems) {
    failing = true;
    std::fprintf(stderr, "verify: %s: did not report: %s\n",
                 kernel.label.c_str(), problem.c_str());
  }
  return failing;
}

std::string Counts(const Report& report) {
  std::string text = std::to_string(report.claims.size()) +
                     (report.claims.size() == 1 ? " claim" : " claims");
  const char* separator = ": ";
  for (Verdict verdict : AllVerdicts()) {
    const int count = report.Count(verdict);
    if (count == 0) continue;
    text += separator + std::to_string(count) + " " +
            std::string(VerdictName(verdict));
    separator = ", ";
  }
  return text;
}

// What every kernel's run shares.
struct RunContext {
  int argc;
  char** argv;
  const CommandLine& line;
  const std::string& caller;
  const Inputs& inputs;
  const std::vector<std::string>& selected;
  bool any_selection;
  std::string gtest_filter;
  // What each selected binary lists, on this host: what it runs on every
  // kernel (the binaries are static). Empty when a selection's claims have
  // no test: their verdicts need no binary's help.
  std::vector<PlannedBinary> plan;
  const ScratchDirectory& scratch;
  StagedDirectory& staged;
  ProgressDisplay& progress;
  // Label the progress lines with the kernel (several kernels, or a guest).
  bool label_progress;
  // --benchmarks: the runner to run on the host; "" without it.
  std::string benchmark_runner;
};

// One kernel's report, and the stderr lines its guest run left.
struct KernelReport {
  Report report;
  std::vector<std::string> problems;
  // --benchmarks on the host: why its figures decide nothing, when that is
  // a failure (not a smoke run asked for). Fails the run.
  std::string benchmark_failure;
};

Report NewReport(const RunContext& context, const Kernel& kernel) {
  Report report;
  report.run = DescribeRun(context.argc, context.argv, context.line);
  report.run.kernel.label = kernel.label;
  report.run.kernel.spec = kernel.spec;
  report.note_title = context.inputs.registry.note_title;
  report.areas = context.inputs.registry.areas;
  return report;
}

void Decide(const RunContext& context, Report& report,
            const std::vector<FolderBlock>& blocks,
            const std::vector<TestGap>& gaps) {
  FillDeclaredAt(context.inputs.index, report.tests);
  try {
    report.claims = DecideClaims(context.inputs.registry, report.tests,
                                 context.inputs.expected,
                                 report.run.kernel_release, context.selected);
  } catch (const std::invalid_argument& error) {
    throw InfrastructureError(error.what());
  }
  MarkUnverified(report.claims,
                 UnverifiedClaims(context.inputs.registry, context.inputs.index,
                                  blocks, gaps));
  UnverifySpeedUnderEmulation(report.claims, report.run.kernel);
}

// How long the benchmark runner may take before it is killed: far above a
// full run's minutes (12 mechanisms x 8 sizes x 2 kinds x repetitions, and
// the limits), so only a hang meets it.
std::chrono::milliseconds BenchmarkBound(const CommandLine& line) {
  return line.benchmark_smoke
             ? std::chrono::minutes(15)
             : std::chrono::minutes(30 + 12 * line.benchmark_repetitions);
}

// --benchmarks: the benchmark runner on the host, into OUT/benchmarks/ (its
// output also in OUT/benchmarks-run.log, and on stderr unless --quiet), then
// that file alone is read: it was written in this run, after `report`
// started, on this kernel. Adds the tests of the claims whose rules read the
// benchmarks to `report.tests`.
void RunBenchmarksOnHost(const RunContext& context, KernelReport& out) {
  Report& report = out.report;
  const std::string dir = context.staged.path() + "/benchmarks";
  const std::string log_path = context.staged.path() + "/benchmarks-run.log";
  std::ofstream log(log_path, std::ios::binary);
  RunRequest request;
  request.path = context.benchmark_runner;
  request.args = {"--out", dir, "--repetitions",
                  std::to_string(context.line.benchmark_repetitions)};
  if (context.line.benchmark_smoke) request.args.push_back("--smoke");
  request.bound = BenchmarkBound(context.line);
  const bool echo = !context.line.quiet;
  request.on_output = [&](std::string_view chunk) {
    log.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (echo) std::fwrite(chunk.data(), 1, chunk.size(), stderr);
  };
  if (echo) {
    const std::string how =
        context.line.benchmark_smoke
            ? std::string("smoke: each benchmark once")
            : std::to_string(context.line.benchmark_repetitions) +
                  " repetitions each; this takes minutes";
    std::fprintf(stderr, "verify: running the benchmarks (%s)\n", how.c_str());
  }
  const RunEnd end = RunProgram(request);
  log.close();
  if (end.how == RunEnd::How::kInterrupted) {
    throw InfrastructureError(
        std::string("stopped: verify was interrupted "
                    "(SIG") +
        ::sigabbrev_np(end.signal) +
        ") while the benchmarks ran; nothing was written");
  }
  if (end.how == RunEnd::How::kCannotStart) {
    throw InfrastructureError("the benchmark runner " + request.path +
                              " cannot start: " + DescribeRunEnd(end, request));
  }
  BenchmarkExpectations expect{
      .kernel_release = report.run.kernel_release,
      .not_before_utc = report.run.started_utc,
      .smoke = context.line.benchmark_smoke,
      .file_in_report = "benchmarks/benchmarks.json",
  };
  std::ifstream file(dir + "/benchmarks.json", std::ios::binary);
  BenchmarkReading reading;
  if (file) {
    const std::string text((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    reading = ReadBenchmarkRun(text, expect);
  } else {
    reading = MissingBenchmarkRun(
        "the benchmark runner " + DescribeRunEnd(end, request) +
            " and wrote no benchmarks.json (its output: "
            "benchmarks-run.log in the report)",
        expect);
  }
  if (!reading.failed && end.how != RunEnd::How::kExited) {
    reading.failed = true;
    reading.run.unusable = "the benchmark runner " +
                           DescribeRunEnd(end, request) +
                           " after writing benchmarks.json";
  }
  // The file's own "command" is the runner's reconstruction of a `tools/bazel
  // run` line (ReadBenchmarkRun leaves it out); the report says who really
  // ran it, and how.
  reading.run.command =
      "verify --benchmarks ran tools/bench/bench --out "
      "OUT/benchmarks --repetitions " +
      std::to_string(context.line.benchmark_repetitions) +
      (context.line.benchmark_smoke ? " --smoke" : "");
  if (reading.failed) out.benchmark_failure = reading.run.unusable;
  std::vector<TestResult> tests =
      BenchmarkTests(context.inputs.registry, context.selected, reading.run);
  report.tests.insert(report.tests.end(), tests.begin(), tests.end());
  report.benchmarks = std::move(reading.run);
}

// Today's path: the binaries run here, one after another. The host's
// requirements are checked where its config is cheap to read; a folder it
// lacks is not run and its claims are unverified, as in a guest.
KernelReport RunOnHost(const RunContext& context, const Kernel& kernel) {
  KernelReport out;
  Report& report = out.report;
  report = NewReport(context, kernel);

  KernelFacts facts;
  facts.label = kernel.label;
  facts.host = true;
  facts.config = HostKernelConfig();
  const RequirementsCheck check = CheckRequirements(
      RequirementsOf(context.inputs.requirements, BinaryNames(context.plan)),
      facts);
  report.run.kernel.config_source = facts.config ? facts.config->source : "";
  report.run.kernel.missing_requirements = check.AllMissing();
  report.run.kernel.requirement_notes = check.AllNotes();
  std::vector<FolderBlock> blocks;
  for (const FolderCheck& folder : check.folders) {
    if (!folder.missing.empty()) {
      blocks.push_back({folder.folder, folder.missing.front()});
    }
  }
  std::vector<PlannedBinary> plan;
  for (const PlannedBinary& planned : context.plan) {
    if (check.Missing(FolderOf(planned.binary.name)).empty()) {
      plan.push_back(planned);
    }
  }

  SuiteSettings settings;
  settings.test_timeout_seconds = context.line.timeout_seconds;
  if (context.line.binary_timeout_seconds) {
    settings.binary_bound =
        std::chrono::seconds(*context.line.binary_timeout_seconds);
  }
  settings.xml_dir = context.scratch.path();
  settings.logs_dir = context.staged.MakeDirectory("logs");
  settings.gtest_filter = context.gtest_filter;
  if (context.label_progress) settings.kernel_label = kernel.label;

  KernelHealthWatch health;
  SuiteRun run = RunPlannedSuite(plan, settings, context.progress);
  report.tests = std::move(run.tests);
  report.run.binaries = std::move(run.binaries);
  report.health = health.Finish();
  context.progress.EndLine();
  if (!context.benchmark_runner.empty()) RunBenchmarksOnHost(context, out);
  Decide(context, report, blocks, {});
  return out;
}

// A guest kernel: the host lists what each binary will run (the same static
// binaries), the kernel runner boots the kernel with them, and what it
// brings back becomes the kernel's report.
KernelReport RunOnGuest(const RunContext& context, const Kernel& kernel) {
  KernelReport out;
  Report& report = out.report;
  report = NewReport(context, kernel);

  GuestSettings settings;
  settings.label = kernel.label;
  settings.spec = kernel.spec;
  settings.test_timeout_seconds = context.line.timeout_seconds;
  if (context.line.binary_timeout_seconds) {
    settings.binary_bound =
        std::chrono::seconds(*context.line.binary_timeout_seconds);
  }
  settings.gtest_filter = context.gtest_filter;
  settings.accelerator = AcceleratorOf(context.line.accel);
  settings.cpus = context.line.guest_cpus;
  settings.memory_mib = context.line.guest_memory_mib;
  if (!context.line.guest_busybox.empty()) {
    settings.busybox_path =
        FromCaller(context.caller, context.line.guest_busybox);
  }
  settings.work_dir_in_report = "kernels/" + DirectoryName(kernel.label);
  settings.work_dir = context.staged.MakeDirectory(settings.work_dir_in_report);
  // Ctrl+C reaches verify alone (QEMU runs in a process group of its own):
  // the runner stops QEMU when asked.
  settings.cancelled = [] { return InterruptSignal() != 0; };

  GuestSuiteRun run =
      RunSuiteInGuest(kernel.image, context.plan, context.inputs.requirements,
                      settings, kernels::RunInGuest, context.progress);
  context.progress.EndLine();
  if (const int signal = InterruptSignal(); signal != 0) {
    throw InfrastructureError(std::string("stopped: verify was interrupted "
                                          "(SIG") +
                              ::sigabbrev_np(signal) + ") while " +
                              kernel.label + " ran; nothing was written");
  }
  report.run.kernel = std::move(run.kernel);
  report.run.kernel_release = run.release;
  report.run.kernel_version = run.version;
  report.run.machine = run.machine;
  report.tests = std::move(run.suite.tests);
  report.run.binaries = std::move(run.suite.binaries);
  report.health = std::move(run.health);
  out.problems = std::move(run.problems);
  Decide(context, report, run.blocks, run.gaps);
  return out;
}

// --benchmarks: the runner, checked before anything runs; "" without it.
// The suite's own runner times this build's benchmark binaries, so an
// unoptimised build is refused before minutes are spent measuring -O0
// code (the runner's stamp is checked again afterwards, for any runner).
std::string BenchmarkRunner(const CommandLine& line, const Inputs& inputs,
                            const std::string& caller) {
  if (!line.benchmarks) return "";
#ifndef __OPTIMIZE__
  if (!line.benchmark_smoke && line.benchmark_runner.empty()) {
    throw UsageError(
        "--benchmarks times this build's benchmark binaries, and the build is "
        "unoptimised (-c fastbuild): run `tools/bazel run -c opt "
        "//tools/verify -- --benchmarks` (or --benchmark-smoke, which only "
        "checks that they run)");
  }
#endif
  const std::string runner = line.benchmark_runner.empty()
                                 ? UnderRoot(inputs.root, "tools/bench/bench")
                                 : FromCaller(caller, line.benchmark_runner);
  if (!IsRegularFile(runner) || ::access(runner.c_str(), X_OK) != 0) {
    throw InfrastructureError(
        "the benchmark runner " + runner + " is missing or not executable" +
        (line.benchmark_runner.empty()
             ? " (it is part of `tools/bazel run //tools/verify`, not of the "
               "grading bundle)"
             : ""));
  }
  return runner;
}

int Verify(int argc, char** argv, const CommandLine& line,
           ProgressDisplay& progress) {
  const auto started = Clock::now();
  const std::string caller = CallerDirectory();
  const std::string workspace = Environment("BUILD_WORKSPACE_DIRECTORY");
  if (line.update_docs_report && workspace.empty()) {
    throw UsageError(
        "--update-docs-report writes the workspace's docs/report.md and "
        "works only under `tools/bazel run //tools/verify` "
        "($BUILD_WORKSPACE_DIRECTORY is not set)");
  }
  const std::string out = FromCaller(caller, line.out);

  Inputs inputs = LoadInputs(line, caller);
  const std::vector<std::string> selected =
      SelectClaims(inputs.registry, line.claims, line.areas);
  const bool any_selection = !line.claims.empty() || !line.areas.empty();
  if (any_selection && selected.empty()) {
    throw UsageError("the selection matches no claim of the registry");
  }
  CheckReplaceable(out);
  const std::vector<Kernel> kernels = ResolveKernels(line, inputs, caller);
  const std::string benchmark_runner = BenchmarkRunner(line, inputs, caller);
  const bool several = kernels.size() > 1;

  const ScratchDirectory scratch;
  StagedDirectory staged(out);
  const std::string gtest_filter =
      any_selection ? GtestFilterForClaims(inputs.index, selected) : "";
  RunContext context{
      .argc = argc,
      .argv = argv,
      .line = line,
      .caller = caller,
      .inputs = inputs,
      .selected = selected,
      .any_selection = any_selection,
      .gtest_filter = gtest_filter,
      .plan = (!any_selection || !gtest_filter.empty())
                  ? PlanSuite(inputs.suite, gtest_filter)
                  : std::vector<PlannedBinary>{},
      .scratch = scratch,
      .staged = staged,
      .progress = progress,
      .label_progress = several,
      .benchmark_runner = benchmark_runner,
  };

  std::vector<KernelReport> runs;
  auto kernel_started = started;
  for (const Kernel& kernel : kernels) {
    runs.push_back(kernel.host ? RunOnHost(context, kernel)
                               : RunOnGuest(context, kernel));
    const auto now = Clock::now();
    runs.back().report.run.wall_seconds =
        std::chrono::duration<double>(now - kernel_started).count();
    kernel_started = now;
  }
  const double wall_seconds =
      std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<Report> reports;
  for (const KernelReport& run : runs) reports.push_back(run.report);
  for (const Format& format : AllFormats()) {
    if (std::find(line.formats.begin(), line.formats.end(), format.name) ==
        line.formats.end()) {
      continue;
    }
    std::string text;
    try {
      text = Written(format, reports, inputs.grading);
    } catch (const std::exception& error) {
      throw InfrastructureError(format.file +
                                ": cannot be written: " + error.what());
    }
    staged.WriteFile(format.file, text);
  }
  const std::string docs_report =
      line.update_docs_report ? WriteMarkdown(reports) : "";
  // Ctrl+C after the last binary still means: leave the old report.
  if (const int signal = InterruptSignal(); signal != 0) {
    throw InfrastructureError(std::string("interrupted (SIG") +
                              ::sigabbrev_np(signal) +
                              "); nothing was written");
  }
  staged.Commit();
  if (line.update_docs_report) {
    WriteFileAtomically(workspace + "/docs/report.md", docs_report);
  }

  bool failing = false;
  for (const KernelReport& run : runs) {
    const std::string prefix =
        several ? run.report.run.kernel.label + ": " : "";
    ReportHealth(run.report.health, prefix);
    failing |= ReportGuestFailures(run.report, run.problems);
    if (!run.benchmark_failure.empty()) {
      failing = true;
      std::fprintf(stderr, "verify: %sbenchmarks: %s\n", prefix.c_str(),
                   run.benchmark_failure.c_str());
    }
    failing |= ReportFailingClaims(run.report, line.strict, prefix);
  }
  if (!several) {
    std::printf("verify: %s; report in %s (%.1f s)\n",
                Counts(reports.front()).c_str(), out.c_str(), wall_seconds);
  } else {
    for (const Report& report : reports) {
      std::printf("verify: %s: %s (%.1f s)\n", report.run.kernel.label.c_str(),
                  Counts(report).c_str(), report.run.wall_seconds);
    }
    std::printf("verify: report in %s (%.1f s)\n", out.c_str(), wall_seconds);
  }
  std::fflush(stdout);
  return failing ? 1 : 0;
}

}  // namespace
}  // namespace ipcproof::verify

int main(int argc, char** argv) {
  namespace verify = ipcproof::verify;
  verify::CommandLine line;
  try {
    line = verify::ParseCommandLine(argc, argv);
  } catch (const verify::UsageError& error) {
    std::fprintf(stderr, "verify: %s\nverify: see verify --help\n",
                 error.what());
    return 2;
  }
  if (line.help) {
    std::fputs(line.help_text.c_str(), stdout);
    return 0;
  }
  verify::CatchInterrupts();
  verify::ProgressDisplay progress(stderr, ::isatty(STDERR_FILENO) == 1,
                                   line.quiet);
  try {
    return verify::Verify(argc, argv, line, progress);
  } catch (const verify::UsageError& error) {
    progress.EndLine();
    std::fprintf(stderr, "verify: %s\nverify: see verify --help\n",
                 error.what());
  } catch (const std::exception& error) {
    progress.EndLine();
    std::fprintf(stderr, "verify: %s\n", error.what());
  }
  return 2;
}

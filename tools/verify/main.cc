// verify: the project's main command. Loads the registry, the claim index,
// the expected deviations and the grading config; runs the suite's
// conformance binaries (only the tests of the chosen claims, when claims or
// areas are chosen); decides every claim by the README's rule; writes the
// report atomically; exits 0, 1 (a claim deviates) or 2 (usage or
// infrastructure). `verify --help` documents it all.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/claims/claim_index.h"
#include "tools/claims/registry.h"
#include "tools/report/grading_config.h"
#include "tools/report/report_writers.h"
#include "tools/verify/claim_selection.h"
#include "tools/verify/command_line.h"
#include "tools/verify/data_root.h"
#include "tools/verify/declared_at.h"
#include "tools/verify/expected_deviations.h"
#include "tools/verify/interrupt.h"
#include "tools/verify/kernel_health.h"
#include "tools/verify/model.h"
#include "tools/verify/output_directory.h"
#include "tools/verify/progress_display.h"
#include "tools/verify/suite_file.h"
#include "tools/verify/suite_runner.h"
#include "tools/verify/verdict.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

constexpr char kVersion[] = "ipcproof verify 1";

using Clock = std::chrono::steady_clock;

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Where relative paths on the command line are relative to: the directory
// `bazel run` was started in (Bazel runs verify in its runfiles tree), else
// the current one.
std::string CallerDirectory() {
  std::string directory = Environment("BUILD_WORKING_DIRECTORY");
  if (!directory.empty()) return directory;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    throw InfrastructureError(DescribeErrno("getcwd", errno));
  }
  return cwd;
}

std::string FromCaller(const std::string& caller, const std::string& path) {
  return UnderRoot(caller, path);
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
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

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
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

struct Inputs {
  claims::Registry registry;
  claims::ClaimIndex index;
  std::vector<ExpectedDeviation> expected;
  GradingConfig grading;
  std::vector<SuiteBinary> suite;
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
  return inputs;
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

std::string Written(const Format& format, const Report& report,
                    const GradingConfig& grading) {
  if (format.name == "md") return WriteMarkdown(report);
  if (format.name == "html") return WriteHtml(report);
  if (format.name == "json") return WriteJson(report);
  if (format.name == "junit") return WriteJunit(report);
  if (format.name == "ktap") return WriteKtap(report);
  if (format.name == "gradescope") return WriteGradescope(report, grading);
  throw std::logic_error("no writer for format " + format.name);
}

// The claims that make the exit status 1, one stderr line each.
bool ReportFailingClaims(const Report& report, bool strict) {
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
    std::fprintf(stderr, "verify: %s: %s: %s\n", word.c_str(),
                 claim.claim.id.c_str(), claim.explanation.c_str());
  }
  return failing;
}

void ReportHealth(const KernelHealth& health) {
  if (health.TaintChanged()) {
    std::fprintf(stderr,
                 "verify: warning: the kernel's taint flags changed during "
                 "the run (%s -> %s)\n",
                 health.tainted_before.c_str(), health.tainted_after.c_str());
  }
  if (!health.warnings.empty()) {
    std::fprintf(stderr,
                 "verify: warning: the kernel logged %zu warning(s) during "
                 "the run; the first: %s\n",
                 health.warnings.size(), health.warnings.front().c_str());
  }
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

  Report report;
  report.run = DescribeRun(argc, argv, line);
  report.note_title = inputs.registry.note_title;
  report.areas = inputs.registry.areas;

  const ScratchDirectory scratch;
  StagedDirectory staged(out);
  SuiteSettings settings;
  settings.test_timeout_seconds = line.timeout_seconds;
  if (line.binary_timeout_seconds) {
    settings.binary_bound = std::chrono::seconds(*line.binary_timeout_seconds);
  }
  settings.xml_dir = scratch.path();
  settings.logs_dir = staged.MakeDirectory("logs");
  settings.gtest_filter =
      any_selection ? GtestFilterForClaims(inputs.index, selected) : "";

  KernelHealthWatch health;
  // A selection whose claims no test declares runs nothing: its verdicts
  // are untested or not checkable without any binary's help.
  if (!any_selection || !settings.gtest_filter.empty()) {
    SuiteRun run = RunSuite(inputs.suite, settings, progress);
    report.tests = std::move(run.tests);
    report.run.binaries = std::move(run.binaries);
  }
  report.health = health.Finish();
  progress.EndLine();
  FillDeclaredAt(inputs.index, report.tests);

  try {
    report.claims = DecideClaims(inputs.registry, report.tests, inputs.expected,
                                 report.run.kernel_release, selected);
  } catch (const std::invalid_argument& error) {
    throw InfrastructureError(error.what());
  }
  report.run.wall_seconds =
      std::chrono::duration<double>(Clock::now() - started).count();

  for (const Format& format : AllFormats()) {
    if (std::find(line.formats.begin(), line.formats.end(), format.name) ==
        line.formats.end()) {
      continue;
    }
    std::string text;
    try {
      text = Written(format, report, inputs.grading);
    } catch (const std::exception& error) {
      throw InfrastructureError(format.file +
                                ": cannot be written: " + error.what());
    }
    staged.WriteFile(format.file, text);
  }
  const std::string docs_report =
      line.update_docs_report ? WriteMarkdown(report) : "";
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

  ReportHealth(report.health);
  const bool failing = ReportFailingClaims(report, line.strict);
  std::printf("verify: %s; report in %s (%.1f s)\n", Counts(report).c_str(),
              out.c_str(), report.run.wall_seconds);
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

#include "conformance/runner/supervisor.h"

#include <sys/prctl.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "conformance/runner/options.h"
#include "conformance/runner/outcome.h"
#include "conformance/runner/temp_dirs.h"
#include "conformance/runner/test_selection.h"
#include "conformance/runner/watchdog.h"
#include "conformance/runner/wire.h"
#include "conformance/runner/wire_listener.h"
#include "conformance/runner/xml_writer.h"
#include "gtest/gtest.h"

namespace ipcproof {
namespace {

using Clock = std::chrono::steady_clock;

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

void PrintVerdict(const SelectedTest& test, const Outcome& outcome) {
  const long ms = std::lround(outcome.seconds * 1000);
  switch (outcome.status) {
    case Outcome::Status::kPassed:
      std::printf("[       OK ] %s (%ld ms)\n", test.full_name.c_str(), ms);
      break;
    case Outcome::Status::kSkipped:
      std::printf("Skipped: %s\n[  SKIPPED ] %s (%ld ms)\n",
                  outcome.skip_message.c_str(), test.full_name.c_str(), ms);
      break;
    case Outcome::Status::kFailed:
      // Failures the test reported were printed as they arrived; the
      // supervisor's own findings are printed here.
      for (const std::string& failure : outcome.failures) {
        if (failure.find(": Failure\n") == std::string::npos) {
          std::printf("%s\n", failure.c_str());
        }
      }
      std::printf("[  FAILED  ] %s (%ld ms)\n", test.full_name.c_str(), ms);
      break;
  }
  std::fflush(stdout);
}

void PrintSummary(const std::vector<TestResult>& results, double elapsed) {
  std::vector<std::string> failed, skipped;
  for (const TestResult& r : results) {
    if (r.outcome.status == Outcome::Status::kFailed) {
      failed.push_back(r.test.full_name);
    } else if (r.outcome.status == Outcome::Status::kSkipped) {
      skipped.push_back(r.test.full_name);
    }
  }
  const size_t passed = results.size() - failed.size() - skipped.size();
  std::printf("[==========] %s ran. (%ld ms total)\n",
              Plural(results.size(), "test").c_str(),
              std::lround(elapsed * 1000));
  std::printf("[  PASSED  ] %s.\n", Plural(passed, "test").c_str());
  if (!skipped.empty()) {
    std::printf("[  SKIPPED ] %s, listed below:\n",
                Plural(skipped.size(), "test").c_str());
    for (const auto& name : skipped) {
      std::printf("[  SKIPPED ] %s\n", name.c_str());
    }
  }
  if (!failed.empty()) {
    std::printf("[  FAILED  ] %s, listed below:\n",
                Plural(failed.size(), "test").c_str());
    for (const auto& name : failed) {
      std::printf("[  FAILED  ] %s\n", name.c_str());
    }
  }
  std::fflush(stdout);
}

bool AnyFailed(const std::vector<TestResult>& results) {
  for (const TestResult& r : results) {
    if (r.outcome.status == Outcome::Status::kFailed) return true;
  }
  return false;
}

// Every test in a child process of its own, one after the other.
int Supervise(const char* argv0, const Options& options) {
  // Orphans of a test (a grandchild whose parent died) are re-parented to
  // us rather than to init, so none escapes the leftover check.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  const std::vector<SelectedTest> tests = SelectTests();
  const std::string xml_path = XmlOutputPath(argv0);
  const std::time_t started_at = std::time(nullptr);
  const auto started = Clock::now();
  std::vector<TestResult> results;
  std::string xml_error;
  // Rewritten before every test, naming the test about to run, so a
  // supervisor that dies leaves what it knew and says where it stopped.
  auto write_xml = [&](const SelectedTest* running) {
    if (xml_path.empty()) return;
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - started).count();
    std::string error = WriteMergedXml(xml_path, results, running, started_at,
                                       elapsed, options.time_scale);
    if (!error.empty() && xml_error.empty()) {
      xml_error = std::move(error);
      std::fprintf(stderr, "ipcproof: cannot write the XML results to %s: %s\n",
                   xml_path.c_str(), xml_error.c_str());
    }
  };

  // A path that cannot be written fails the run before any test is run.
  write_xml(tests.empty() ? nullptr : &tests.front());
  if (!xml_error.empty()) {
    std::fprintf(stderr, "ipcproof: no test was run\n");
    return 2;
  }

  const long long budget = options.timeout.count();
  const std::string scaled = options.time_scale == 1
                                 ? ""
                                 : ": " + std::to_string(budget) +
                                       " s × time scale " +
                                       std::to_string(options.time_scale);
  std::printf(
      "[==========] Running %s, each in its own process "
      "(watchdog %lld s each%s).\n",
      Plural(tests.size(), "test").c_str(), budget * options.time_scale,
      scaled.c_str());
  for (size_t i = 0; i < tests.size(); ++i) {
    const SelectedTest& test = tests[i];
    std::printf("[ RUN      ] %s\n", test.full_name.c_str());
    std::fflush(stdout);
    Outcome outcome = RunTestInChild(test, options);
    PrintVerdict(test, outcome);
    results.push_back({test, std::move(outcome)});
    write_xml(i + 1 < tests.size() ? &tests[i + 1] : nullptr);
  }

  PrintSummary(results,
               std::chrono::duration<double>(Clock::now() - started).count());
  if (tests.empty()) {
    std::printf("ipcproof: no test matches the filter '%s'\n",
                GTEST_FLAG_GET(filter).c_str());
  }
  if (!xml_error.empty()) {
    std::printf("ipcproof: the XML results in %s are incomplete: %s\n",
                xml_path.c_str(), xml_error.c_str());
    std::fflush(stdout);
    return 1;
  }
  std::fflush(stdout);
  return AnyFailed(results) ? 1 : 0;
}

// All tests in this process (for a debugger): gtest runs them as usual, in
// a directory the runner made for the run, so TestTempDir() is the runner's
// choice here too, and with the run's time scale for the kit's deadlines.
int RunInProcess(const Options& options) {
  std::string error;
  std::optional<LockedTempDir> dir = LockedTempDir::Create(error);
  if (!dir) {
    std::fprintf(stderr, "ipcproof: no directory for the tests: %s\n",
                 error.c_str());
    return 2;
  }
  ::setenv(internal::kTestTempDirEnv, dir->path().c_str(), 1);
  ::setenv("TMPDIR", dir->path().c_str(), 1);
  ::setenv(internal::kTimeScaleEnv, std::to_string(options.time_scale).c_str(),
           1);
  return RUN_ALL_TESTS();
}

}  // namespace

int RunTests(int argc, char** argv) {
  if (internal::ResultFd() >= 0) return RunAsTestProcess();
  const Options options = TakeOptions(argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  for (const std::string& dir : RemoveDirectoriesOfDeadRunners()) {
    std::printf("ipcproof: removed %s, left by a supervisor that is gone\n",
                dir.c_str());
  }
  if (options.in_process) return RunInProcess(options);
  return Supervise(argv[0], options);
}

}  // namespace ipcproof

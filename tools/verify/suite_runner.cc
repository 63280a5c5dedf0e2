#include "tools/verify/suite_runner.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "tools/verify/binary_runner.h"
#include "tools/verify/console_counter.h"
#include "tools/verify/gtest_list.h"
#include "tools/verify/gtest_xml_reader.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

// Listing tests takes a binary milliseconds; this only bounds a broken one.
constexpr std::chrono::seconds kListBound{60};
// A binary printing more than this while listing is not a gtest binary.
constexpr size_t kMaxListOutput = 16 << 20;
// Kept for error messages: the tail of a binary's output.
constexpr size_t kTailBytes = 4096;

// Variables a test harness (Bazel's, when verify itself runs under bazel
// test) sets for the process it starts, which gtest in a conformance binary
// would obey: write its XML elsewhere, run one shard, take a filter. verify
// gives each binary its own flags instead.
constexpr const char* kHarnessVariables[] = {
    "XML_OUTPUT_FILE",
    "GTEST_OUTPUT",
    "GTEST_FILTER",
    "TESTBRIDGE_TEST_ONLY",
    "TEST_SHARD_INDEX",
    "TEST_TOTAL_SHARDS",
    "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_INDEX",
    "GTEST_TOTAL_SHARDS",
    "GTEST_SHARD_STATUS_FILE",
    "TEST_PREMATURE_EXIT_FILE",
    "IPCPROOF_TIMEOUT",
};

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The last non-empty line of `tail`, for an error message.
std::string LastLine(std::string tail) {
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) {
    tail.pop_back();
  }
  const size_t newline = tail.find_last_of('\n');
  return newline == std::string::npos ? tail : tail.substr(newline + 1);
}

std::string WithLastOutput(std::string message, const std::string& tail) {
  const std::string last = LastLine(tail);
  if (!last.empty()) message += "; its last output: \"" + last + "\"";
  return message;
}

class LogFile {
 public:
  explicit LogFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw InfrastructureError(DescribeErrno("open(" + path + ")", errno));
    }
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { ::close(fd_); }

  void Append(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw InfrastructureError(
            DescribeErrno("write(" + path_ + ")", n < 0 ? errno : EIO));
      }
      text.remove_prefix(static_cast<size_t>(n));
    }
  }

 private:
  std::string path_;
  int fd_;
};

std::vector<std::string> ListTests(const SuiteBinary& binary,
                                   const std::string& filter) {
  RunRequest request;
  request.path = binary.path;
  request.args = {"--gtest_list_tests"};
  if (!filter.empty()) request.args.push_back("--gtest_filter=" + filter);
  request.bound = kListBound;
  std::string output;
  bool overflowed = false;
  request.on_output = [&](std::string_view chunk) {
    if (output.size() + chunk.size() > kMaxListOutput) {
      overflowed = true;
      return;
    }
    output.append(chunk);
  };
  const RunEnd end = RunProgram(request);
  // A binary that cannot start or crashes says so the same way whether it
  // was listing or running.
  if (end.how == RunEnd::How::kCannotStart ||
      end.how == RunEnd::How::kSignaled) {
    throw InfrastructureError(WithLastOutput(
        binary.name + ": " + DescribeRunEnd(end, request), output));
  }
  if (end.how != RunEnd::How::kExited || end.exit_code != 0) {
    throw InfrastructureError(WithLastOutput(
        binary.name + ": --gtest_list_tests " + DescribeRunEnd(end, request),
        output.substr(output.size() > kTailBytes ? output.size() - kTailBytes
                                                 : 0)));
  }
  if (overflowed) {
    throw InfrastructureError(binary.name +
                              ": --gtest_list_tests printed more than " +
                              std::to_string(kMaxListOutput) + " bytes");
  }
  return ParseGtestList(output);
}

// One run of a binary: its console into the log and the progress display,
// its XML read back.
class BinaryRun {
 public:
  BinaryRun(const SuiteBinary& binary, const SuiteSettings& settings,
            ProgressDisplay& progress, LogFile& log, BinaryProgress& counts)
      : binary_(binary),
        settings_(settings),
        progress_(progress),
        log_(log),
        counts_(counts) {}

  std::vector<TestResult> Run(const std::string& filter, int tests,
                              const std::string& xml_path, bool show_progress) {
    RunRequest request;
    request.path = binary_.path;
    request.args = {
        "--gtest_output=xml:" + xml_path,
        "--ipcproof_timeout=" + std::to_string(settings_.test_timeout_seconds)};
    if (!filter.empty()) request.args.push_back("--gtest_filter=" + filter);
    request.bound = settings_.binary_bound.value_or(
        BinaryBound(tests, settings_.test_timeout_seconds));
    ConsoleCounter counter;
    std::string tail;
    auto count = [&](const std::vector<std::string>& failures) {
      if (!show_progress) return;
      counts_.done = counter.done();
      counts_.failed = counter.failed();
      counts_.skipped = counter.skipped();
      for (const std::string& test : failures) progress_.Failure(counts_, test);
      progress_.Update(counts_);
    };
    request.on_output = [&](std::string_view chunk) {
      log_.Append(chunk);
      tail.append(chunk);
      if (tail.size() > 2 * kTailBytes) tail.erase(0, tail.size() - kTailBytes);
      count(counter.Feed(chunk));
    };
    ::unlink(xml_path.c_str());
    const RunEnd end = RunProgram(request);
    count(counter.Finish());
    const bool normal = end.how == RunEnd::How::kExited &&
                        (end.exit_code == 0 || end.exit_code == 1);
    if (!normal) {
      progress_.EndLine();
      throw InfrastructureError(WithLastOutput(
          binary_.name + ": " + DescribeRunEnd(end, request), tail));
    }
    return ReadGtestXml(xml_path, binary_.name);
  }

 private:
  const SuiteBinary& binary_;
  const SuiteSettings& settings_;
  ProgressDisplay& progress_;
  LogFile& log_;
  BinaryProgress& counts_;
};

void CheckEveryListedTestRan(const std::vector<std::string>& listed,
                             const std::vector<TestResult>& results,
                             const std::string& xml_path) {
  std::set<std::string> reported;
  for (const TestResult& result : results) reported.insert(result.full_name);
  for (const std::string& test : listed) {
    if (reported.count(test) == 0) {
      throw InfrastructureError(xml_path + ": has no result for " + test +
                                ", which --gtest_list_tests listed");
    }
  }
}

}  // namespace

std::chrono::seconds BinaryBound(int tests, int test_timeout_seconds) {
  return std::chrono::seconds(
      static_cast<long long>(tests) * (test_timeout_seconds + 5) + 60);
}

std::vector<std::string> BinaryNames(const std::vector<PlannedBinary>& plan) {
  std::vector<std::string> names;
  for (const PlannedBinary& planned : plan)
    names.push_back(planned.binary.name);
  return names;
}

std::vector<PlannedBinary> PlanSuite(const std::vector<SuiteBinary>& binaries,
                                     const std::string& gtest_filter) {
  for (const char* name : kHarnessVariables) ::unsetenv(name);
  std::vector<PlannedBinary> plan;
  for (const SuiteBinary& binary : binaries) {
    std::vector<std::string> tests = ListTests(binary, gtest_filter);
    if (!gtest_filter.empty() && tests.empty()) continue;
    plan.push_back({binary, std::move(tests)});
  }
  return plan;
}

SuiteRun RunSuite(const std::vector<SuiteBinary>& binaries,
                  const SuiteSettings& settings, ProgressDisplay& progress) {
  return RunPlannedSuite(PlanSuite(binaries, settings.gtest_filter), settings,
                         progress);
}

SuiteRun RunPlannedSuite(const std::vector<PlannedBinary>& plan,
                         const SuiteSettings& settings,
                         ProgressDisplay& progress) {
  for (const char* name : kHarnessVariables) ::unsetenv(name);
  SuiteRun run;
  std::set<std::string> log_names;
  for (size_t i = 0; i < plan.size(); ++i) {
    const SuiteBinary& binary = plan[i].binary;
    const std::vector<std::string>& listed = plan[i].tests;
    // Two binaries of one name in different folders keep separate logs.
    std::string log_name = BaseName(binary.name);
    if (!log_names.insert(log_name).second) {
      log_name = binary.name;
      for (char& c : log_name) {
        if (c == '/') c = '.';
      }
      log_names.insert(log_name);
    }
    LogFile log(settings.logs_dir + "/" + log_name + ".txt");
    BinaryProgress counts;
    counts.index = static_cast<int>(i + 1);
    counts.total = static_cast<int>(plan.size());
    counts.kernel = settings.kernel_label;
    counts.binary = binary.name;
    counts.tests = static_cast<int>(listed.size());
    progress.Update(counts);

    BinaryRun runner(binary, settings, progress, log, counts);
    const std::string xml_path = settings.xml_dir + "/" +
                                 std::to_string(i + 1) + "-" + log_name +
                                 ".xml";
    std::vector<TestResult> results = runner.Run(
        settings.gtest_filter, static_cast<int>(listed.size()), xml_path, true);
    CheckEveryListedTestRan(listed, results, xml_path);
    progress.Finished(counts);

    int reruns = 0;
    for (TestResult& result : results) {
      if (result.first.status != TestStatus::kFailed) continue;
      ++reruns;
      const std::string rerun_xml = settings.xml_dir + "/" +
                                    std::to_string(i + 1) + "-" + log_name +
                                    "-rerun-" + std::to_string(reruns) + ".xml";
      log.Append("\n[verify] rerun of " + result.full_name + " alone\n");
      std::vector<TestResult> again =
          runner.Run(result.full_name, 1, rerun_xml, false);
      const TestResult* same = nullptr;
      for (const TestResult& candidate : again) {
        if (candidate.full_name == result.full_name) same = &candidate;
      }
      if (same == nullptr) {
        throw InfrastructureError(rerun_xml + ": has no result for " +
                                  result.full_name +
                                  ", which verify reran alone");
      }
      result.rerun = same->first;
      progress.Note(
          "verify: " + KernelPrefix(settings.kernel_label) + "[" +
          std::to_string(i + 1) + "/" + std::to_string(plan.size()) + "] " +
          binary.name + ": reran " + result.full_name +
          " alone: " + std::string(TestStatusName(same->first.status)));
    }
    for (TestResult& result : results) run.tests.push_back(std::move(result));
    run.binaries.push_back(binary.name);
  }
  return run;
}

}  // namespace ipcproof::verify

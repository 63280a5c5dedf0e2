#include "conformance/runner/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conformance/procfs/task.h"
#include "conformance/runner/wire.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/unique_fd.h"

extern char** environ;

namespace ipcproof {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kTimeoutFlag[] = "--ipcproof_timeout=";
constexpr char kInProcessFlag[] = "--ipcproof_in_process";
constexpr std::chrono::seconds kDefaultTimeout{30};

struct Options {
  std::chrono::seconds timeout = kDefaultTimeout;
  bool in_process = false;
  std::vector<std::string> passthrough;  // argv left after gtest and us
};

std::chrono::seconds ParseSeconds(const char* text, const char* where) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) {
    std::fprintf(stderr, "ipcproof: %s wants a positive number of seconds\n",
                 where);
    std::exit(2);
  }
  return std::chrono::seconds(value);
}

Options TakeOptions(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("IPCPROOF_TIMEOUT"); env && *env) {
    options.timeout = ParseSeconds(env, "IPCPROOF_TIMEOUT");
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(kTimeoutFlag)) {
      options.timeout =
          ParseSeconds(argv[i] + std::strlen(kTimeoutFlag), kTimeoutFlag);
    } else if (arg == kInProcessFlag) {
      options.in_process = true;
    } else {
      options.passthrough.emplace_back(arg);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------
// Which tests to run: gtest's --gtest_filter syntax ("POS1:POS2-NEG1:NEG2",
// '*' and '?' wildcards), applied to the registered tests.

bool GlobMatches(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool AnyPatternMatches(std::string_view patterns, std::string_view name) {
  size_t start = 0;
  for (;;) {
    const size_t colon = patterns.find(':', start);
    const std::string_view one = patterns.substr(start, colon - start);
    if (!one.empty() && GlobMatches(one, name)) return true;
    if (colon == std::string_view::npos) return false;
    start = colon + 1;
  }
}

bool FilterSelects(std::string_view filter, std::string_view full_name) {
  const size_t dash = filter.find('-');
  std::string_view positive = filter.substr(0, dash);
  const std::string_view negative =
      dash == std::string_view::npos ? "" : filter.substr(dash + 1);
  if (positive.empty()) positive = "*";
  return AnyPatternMatches(positive, full_name) &&
         !AnyPatternMatches(negative, full_name);
}

struct TestCase {
  std::string suite;
  std::string name;
  std::string full_name;
  std::string type_param;
  std::string value_param;
  std::string file;
  int line = 0;
};

std::vector<TestCase> SelectedTests() {
  const std::string filter = GTEST_FLAG_GET(filter);
  const bool run_disabled = GTEST_FLAG_GET(also_run_disabled_tests);
  std::vector<TestCase> tests;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const ::testing::TestSuite* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const ::testing::TestInfo* info = suite->GetTestInfo(j);
      TestCase test;
      test.suite = info->test_suite_name();
      test.name = info->name();
      test.full_name = test.suite + "." + test.name;
      if (info->type_param()) test.type_param = info->type_param();
      if (info->value_param()) test.value_param = info->value_param();
      test.file = info->file();
      test.line = info->line();
      const bool disabled = test.suite.starts_with("DISABLED_") ||
                            test.name.starts_with("DISABLED_");
      if (disabled && !run_disabled) continue;
      if (!FilterSelects(filter, test.full_name)) continue;
      tests.push_back(std::move(test));
    }
  }
  return tests;
}

// ---------------------------------------------------------------------------
// /proc: the processes a test left, and what they are doing.

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

std::vector<ProcessInfo> AllProcesses() {
  std::vector<ProcessInfo> processes;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return processes;
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(entry->d_name) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    ProcessInfo info;
    info.pid = static_cast<pid_t>(pid);
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &info.ppid,
                    &info.pgrp) == 3) {
      processes.push_back(info);
    }
  }
  ::closedir(proc);
  return processes;
}

// The test process, its descendants, and anything left in its process group.
std::vector<pid_t> ProcessTree(pid_t root) {
  const std::vector<ProcessInfo> all = AllProcesses();
  std::set<pid_t> tree = {root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const ProcessInfo& p : all) {
      if (!tree.count(p.pid) && (tree.count(p.ppid) || p.pgrp == root)) {
        tree.insert(p.pid);
        grew = true;
      }
    }
  }
  return {tree.begin(), tree.end()};
}

std::vector<pid_t> Threads(pid_t pid) {
  std::vector<pid_t> tids;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return tids;
  while (const dirent* entry = ::readdir(dir)) {
    const int tid = std::atoi(entry->d_name);
    if (tid > 0) tids.push_back(tid);
  }
  ::closedir(dir);
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::string DescribeProcess(pid_t pid) {
  std::string text;
  for (pid_t tid : Threads(pid)) {
    if (const auto state = ReadTaskState(pid, tid)) {
      text += "\n    " + state->ToString();
    }
  }
  return text.empty() ? "\n    pid " + std::to_string(pid) + " (gone)" : text;
}

void Reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Kills and reaps every child of the supervisor other than `except`; since
// the supervisor is a child subreaper, that is every orphan a test left.
// Returns a description of each, read before it was killed.
std::string KillLeftoverChildren() {
  std::string report;
  // A killed process's own children come back to us in the next round.
  for (int round = 0; round < 64; ++round) {
    std::vector<pid_t> children;
    for (const ProcessInfo& p : AllProcesses()) {
      if (p.ppid == ::getpid()) children.push_back(p.pid);
    }
    if (children.empty()) break;
    for (pid_t pid : children) {
      report += DescribeProcess(pid);
      ::kill(pid, SIGKILL);
    }
    for (pid_t pid : children) Reap(pid);
  }
  return report;
}

// ---------------------------------------------------------------------------
// One test, in a child process.

struct Outcome {
  enum class Status { kPassed, kFailed, kSkipped };
  Status status = Status::kFailed;
  std::vector<std::string> failures;
  std::string skip_message;
  std::vector<std::pair<std::string, std::string>> properties;
  double seconds = 0;
};

void SetProperty(Outcome& outcome, const std::string& key,
                 const std::string& value) {
  for (auto& [k, v] : outcome.properties) {
    if (k == key) {
      v = value;
      return;
    }
  }
  outcome.properties.emplace_back(key, value);
}

// What the child told us, record by record.
class ChildReport {
 public:
  explicit ChildReport(Outcome& outcome) : outcome_(outcome) {}

  // Feeds raw bytes from the pipe; handles every complete line.
  void Feed(std::string_view bytes, Clock::time_point& deadline) {
    pending_.append(bytes);
    size_t newline;
    while ((newline = pending_.find('\n')) != std::string::npos) {
      Handle(DecodeRecord(std::string_view(pending_).substr(0, newline)),
             deadline);
      pending_.erase(0, newline + 1);
    }
  }

  bool ended() const { return ended_; }
  std::string ended_status() const { return ended_status_; }
  double ended_seconds() const { return ended_seconds_; }

 private:
  static std::vector<std::string> DecodeRecord(std::string_view line) {
    return internal::DecodeRecord(line);
  }

  void Handle(const std::vector<std::string>& record,
              Clock::time_point& deadline) {
    const std::string& kind = record[0];
    if (kind == "part" && record.size() >= 5) {
      if (record[1] == "skip") {
        outcome_.skip_message = record[4];
      } else if (record[1] != "success") {
        const std::string where =
            record[2].empty() ? "unknown file" : record[2] + ":" + record[3];
        outcome_.failures.push_back(where + ": Failure\n" + record[4]);
        std::printf("%s\n", outcome_.failures.back().c_str());
        std::fflush(stdout);
      }
    } else if (kind == "prop" && record.size() >= 3) {
      SetProperty(outcome_, record[1], record[2]);
    } else if (kind == "timeout" && record.size() >= 2) {
      deadline =
          Clock::now() + std::chrono::seconds(std::atol(record[1].c_str()));
    } else if (kind == "end" && record.size() >= 3) {
      ended_ = true;
      ended_status_ = record[1];
      ended_seconds_ = std::atof(record[2].c_str()) / 1000.0;
    }
  }

  Outcome& outcome_;
  std::string pending_;
  bool ended_ = false;
  std::string ended_status_;
  double ended_seconds_ = 0;
};

std::vector<std::string> ChildEnvironment(int result_fd,
                                          const std::string& temp_dir) {
  // Variables that would make the child write its own XML or shard status,
  // or mistake an inherited value for its own.
  static const char* const kDropped[] = {"GTEST_OUTPUT=",
                                         "XML_OUTPUT_FILE=",
                                         "TEST_PREMATURE_EXIT_FILE=",
                                         "GTEST_SHARD_INDEX=",
                                         "GTEST_TOTAL_SHARDS=",
                                         "TEST_SHARD_STATUS_FILE=",
                                         "IPCPROOF_RESULT_FD=",
                                         "IPCPROOF_TEST_TMPDIR=",
                                         "TMPDIR="};
  std::vector<std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    const std::string_view entry = *var;
    const bool dropped = std::any_of(
        std::begin(kDropped), std::end(kDropped),
        [&](const char* prefix) { return entry.starts_with(prefix); });
    if (!dropped) env.emplace_back(entry);
  }
  env.push_back(std::string(internal::kResultFdEnv) + "=" +
                std::to_string(result_fd));
  env.push_back("IPCPROOF_TEST_TMPDIR=" + temp_dir);
  env.push_back("TMPDIR=" + temp_dir);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Where per-test directories go, in order: $IPCPROOF_TMPDIR, /tmp, then
// Bazel's $TEST_TMPDIR (when /tmp is read-only, as inside linux-sandbox).
// /tmp comes before $TEST_TMPDIR because outside the sandbox the latter lies
// under /root (mode 0700), where a test that drops to another uid could not
// reach its own FIFOs. Each directory is removed after its test.
std::vector<std::string> BaseTempDirs() {
  std::vector<std::string> bases;
  for (const char* var : {"IPCPROOF_TMPDIR", "", "TEST_TMPDIR"}) {
    const char* value = *var ? std::getenv(var) : "/tmp";
    if (value && *value) bases.emplace_back(value);
  }
  return bases;
}

// A fresh directory for one test, or "" with `error` set.
std::string MakeTestTempDir(std::string& error) {
  for (const std::string& base : BaseTempDirs()) {
    std::string dir = base + "/ipcproof.XXXXXX";
    if (::mkdtemp(dir.data()) != nullptr) {
      // Searchable by every uid (not listable), so a test that drops to
      // another uid can still reach the FIFOs and files it made for it.
      ::chmod(dir.c_str(), 0711);
      return dir;
    }
    error += "mkdtemp(" + dir + "): " + std::strerror(errno) + "; ";
  }
  return "";
}

std::string LeftoverFiles(const std::string& dir) {
  std::string listing;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* entry = ::readdir(d)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      listing += "\n    " + dir + "/" + std::string(name);
    }
    ::closedir(d);
  }
  return listing;
}

void RemoveTree(const std::string& dir) {
  ::nftw(
      dir.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) {
        ::remove(path);
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS);
}

int PidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// True once `pid` has exited (without reaping it).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

Outcome RunInChild(const TestCase& test, const Options& options) {
  Outcome outcome;
  const auto started = Clock::now();

  std::string temp_error;
  const std::string temp_dir = MakeTestTempDir(temp_error);
  if (temp_dir.empty()) {
    outcome.failures.push_back("supervisor: no directory for the test: " +
                               temp_error);
    return outcome;
  }

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    outcome.failures.push_back(std::string("supervisor: pipe2: ") +
                               std::strerror(errno));
    RemoveTree(temp_dir);
    return outcome;
  }
  ipc::UniqueFd results(fds[0]);
  ipc::UniqueFd child_end(fds[1]);

  std::vector<std::string> args = {program_invocation_name,
                                   "--gtest_filter=" + test.full_name,
                                   "--gtest_also_run_disabled_tests"};
  args.insert(args.end(), options.passthrough.begin(),
              options.passthrough.end());
  std::vector<std::string> env = ChildEnvironment(child_end.get(), temp_dir);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);

  // The resolved path rather than /proc/self/exe, so the child's comm (in
  // ps and in watchdog reports) is the binary's name, not "exe".
  static const std::string executable = [] {
    char path[4096] = {};
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    return n > 0 ? std::string(path, n) : std::string("/proc/self/exe");
  }();

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    outcome.failures.push_back(std::string("supervisor: fork: ") +
                               std::strerror(errno));
    RemoveTree(temp_dir);
    return outcome;
  }
  if (pid == 0) {
    // Async-signal-safe only from here to execve.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::fcntl(fds[1], F_SETFD, 0);
    ::execve(executable.c_str(), argv.data(), envp.data());
    static const char kMessage[] =
        "ipcproof: execve of the test binary failed\n";
    ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  // Also from this side, so a kill of the group cannot miss an early child.
  ::setpgid(pid, pid);
  child_end.Reset();

  ipc::UniqueFd pidfd(PidfdOpen(pid));
  ChildReport report(outcome);
  auto deadline = Clock::now() + options.timeout;
  bool timed_out = false;
  bool results_open = true;
  for (;;) {
    if (pidfd.valid() ? false : HasExited(pid)) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    pollfd polls[2] = {{results.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (!results_open) polls[0].fd = -1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    // Without a pidfd (kernels before 5.3) exit is noticed by re-polling.
    const int wait_ms =
        static_cast<int>(pidfd.valid() ? left.count() + 1
                                       : std::min<long>(left.count() + 1, 20));
    const int ready = ::poll(polls, 2, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (polls[0].revents != 0) {
      char buffer[4096];
      const ssize_t n = ::read(results.get(), buffer, sizeof buffer);
      if (n > 0) {
        report.Feed(std::string_view(buffer, n), deadline);
      } else if (n == 0) {
        results_open = false;  // the test child (and all it forked) closed it
      }
    }
    if (pidfd.valid() && polls[1].revents != 0) break;
  }

  std::string watchdog_report;
  if (timed_out) {
    watchdog_report = "watchdog: " + test.full_name +
                      " did not finish within " +
                      std::to_string(options.timeout.count()) +
                      " s and was killed. Its processes were:";
    const std::vector<pid_t> tree = ProcessTree(pid);
    for (pid_t p : tree) watchdog_report += DescribeProcess(p);
    ::kill(-pid, SIGKILL);
    for (pid_t p : tree) ::kill(p, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the child wrote before it ended; a grandchild that inherited
  // the pipe may still hold it open, so read without blocking.
  ::fcntl(results.get(), F_SETFL, O_NONBLOCK);
  for (char buffer[4096];;) {
    const ssize_t n = ::read(results.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    report.Feed(std::string_view(buffer, n), deadline);
  }

  const std::string leftovers = KillLeftoverChildren();
  const std::string leftover_files = LeftoverFiles(temp_dir);
  RemoveTree(temp_dir);

  outcome.seconds =
      std::chrono::duration<double>(Clock::now() - started).count();
  if (timed_out) {
    outcome.failures.push_back(watchdog_report);
  } else if (!report.ended()) {
    outcome.failures.push_back(
        "the test process " + ipc::WaitStatus(status).ToString() +
        " before the test finished" +
        (status == 0 ? " (no test by that name ran?)" : ""));
  } else {
    outcome.seconds = report.ended_seconds();
    if (!(WIFEXITED(status) &&
          (WEXITSTATUS(status) == 0 || report.ended_status() == "failed"))) {
      outcome.failures.push_back("the test process " +
                                 ipc::WaitStatus(status).ToString() +
                                 " after the test ended");
    }
  }
  if (!leftovers.empty() && !timed_out) {
    outcome.failures.push_back(
        "the test left processes behind (killed by the supervisor):" +
        leftovers);
  }
  if (!leftover_files.empty()) {
    outcome.failures.push_back(
        "the test left files behind (removed by the supervisor):" +
        leftover_files);
  }
  if (!outcome.failures.empty() || report.ended_status() == "failed") {
    outcome.status = Outcome::Status::kFailed;
  } else if (report.ended_status() == "skipped") {
    outcome.status = Outcome::Status::kSkipped;
  } else {
    outcome.status = Outcome::Status::kPassed;
  }
  return outcome;
}

// ---------------------------------------------------------------------------
// The merged XML, in the shape gtest writes (so Bazel, CI systems and
// tools/ read it like any gtest result).

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#x0A;";
        break;
      case '\r':
        out += "&#x0D;";
        break;
      case '\t':
        out += "&#x09;";
        break;
      default:
        // XML 1.0 has no way to carry other control characters.
        if (c < 0x20) {
          out += ' ';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

std::string Timestamp(std::time_t when) {
  char text[32];
  std::tm local{};
  ::localtime_r(&when, &local);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  return text;
}

struct Result {
  TestCase test;
  Outcome outcome;
};

void WriteXml(const std::string& path, const std::vector<Result>& results,
              std::time_t started, double total_seconds) {
  std::vector<std::string> suites;
  for (const Result& r : results) {
    if (std::find(suites.begin(), suites.end(), r.test.suite) == suites.end()) {
      suites.push_back(r.test.suite);
    }
  }
  auto count = [&](const std::string* suite, Outcome::Status status) {
    return std::count_if(results.begin(), results.end(), [&](const Result& r) {
      return (!suite || r.test.suite == *suite) && r.outcome.status == status;
    });
  };
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites tests=\"" + std::to_string(results.size()) +
         "\" failures=\"" +
         std::to_string(count(nullptr, Outcome::Status::kFailed)) +
         "\" disabled=\"0\" errors=\"0\" skipped=\"" +
         std::to_string(count(nullptr, Outcome::Status::kSkipped)) +
         "\" time=\"" + Seconds(total_seconds) + "\" timestamp=\"" +
         Timestamp(started) + "\" name=\"AllTests\">\n";
  for (const std::string& suite : suites) {
    int tests = 0;
    double time = 0;
    for (const Result& r : results) {
      if (r.test.suite == suite) {
        ++tests;
        time += r.outcome.seconds;
      }
    }
    xml += "  <testsuite name=\"" + XmlEscape(suite) + "\" tests=\"" +
           std::to_string(tests) + "\" failures=\"" +
           std::to_string(count(&suite, Outcome::Status::kFailed)) +
           "\" disabled=\"0\" skipped=\"" +
           std::to_string(count(&suite, Outcome::Status::kSkipped)) +
           "\" errors=\"0\" time=\"" + Seconds(time) + "\">\n";
    for (const Result& r : results) {
      if (r.test.suite != suite) continue;
      const Outcome& o = r.outcome;
      const bool skipped = o.status == Outcome::Status::kSkipped;
      xml += "    <testcase name=\"" + XmlEscape(r.test.name) + "\"";
      if (!r.test.value_param.empty()) {
        xml += " value_param=\"" + XmlEscape(r.test.value_param) + "\"";
      }
      if (!r.test.type_param.empty()) {
        xml += " type_param=\"" + XmlEscape(r.test.type_param) + "\"";
      }
      xml += " file=\"" + XmlEscape(r.test.file) + "\" line=\"" +
             std::to_string(r.test.line) + "\" status=\"run\" result=\"" +
             (skipped ? "skipped" : "completed") + "\" time=\"" +
             Seconds(o.seconds) + "\" classname=\"" + XmlEscape(suite) +
             "\">\n";
      if (!o.properties.empty()) {
        xml += "      <properties>\n";
        for (const auto& [key, value] : o.properties) {
          xml += "        <property name=\"" + XmlEscape(key) + "\" value=\"" +
                 XmlEscape(value) + "\"/>\n";
        }
        xml += "      </properties>\n";
      }
      for (const std::string& failure : o.failures) {
        xml += "      <failure message=\"" + XmlEscape(failure) +
               "\" type=\"\">" + XmlEscape(failure) + "</failure>\n";
      }
      if (skipped) {
        xml +=
            "      <skipped message=\"" + XmlEscape(o.skip_message) + "\"/>\n";
      }
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";

  // Written to a temporary name and renamed, so a reader (or a supervisor
  // killed mid-write) never leaves a truncated file.
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << xml;
    if (!out) {
      std::fprintf(stderr, "ipcproof: cannot write %s\n", temporary.c_str());
      return;
    }
  }
  std::rename(temporary.c_str(), path.c_str());
}

// --gtest_output=xml[:PATH], where PATH may be a directory ("dir/").
std::string XmlOutputPath(const char* argv0) {
  const std::string output = GTEST_FLAG_GET(output);
  if (output.empty()) return "";
  if (!output.starts_with("xml")) {
    std::fprintf(stderr,
                 "ipcproof: only xml output is supported (asked for '%s')\n",
                 output.c_str());
    return "";
  }
  std::string path =
      output.size() > 4 && output[3] == ':' ? output.substr(4) : "";
  if (path.empty()) return "test_detail.xml";
  if (path.back() == '/') {
    std::string base = argv0;
    base = base.substr(base.rfind('/') + 1);
    path += base + ".xml";
  }
  return path;
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int Supervise(int argc, char** argv, const Options& options) {
  (void)argc;
  // Orphans of a test (a grandchild whose parent died) are re-parented to
  // us rather than to init, so none escapes the leftover check.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  const std::vector<TestCase> tests = SelectedTests();
  const std::string xml_path = XmlOutputPath(argv[0]);
  const std::time_t started_at = std::time(nullptr);
  const auto started = Clock::now();

  std::printf(
      "[==========] Running %s, each in its own process "
      "(watchdog %lld s each).\n",
      Plural(tests.size(), "test").c_str(),
      static_cast<long long>(options.timeout.count()));
  std::vector<Result> results;
  for (const TestCase& test : tests) {
    std::printf("[ RUN      ] %s\n", test.full_name.c_str());
    std::fflush(stdout);
    Outcome outcome = RunInChild(test, options);
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
        // Failures the child reported were printed as they arrived; the
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
    results.push_back({test, std::move(outcome)});
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - started).count();
    if (!xml_path.empty()) WriteXml(xml_path, results, started_at, elapsed);
  }

  const double elapsed =
      std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<std::string> failed, skipped;
  for (const Result& r : results) {
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
  if (tests.empty()) {
    std::printf("ipcproof: no test matches the filter '%s'\n",
                GTEST_FLAG_GET(filter).c_str());
  }
  std::fflush(stdout);
  return failed.empty() ? 0 : 1;
}

// ---------------------------------------------------------------------------
// The child's side: run the one test, stream what happens.

class ChildReporter : public ::testing::EmptyTestEventListener {
 public:
  void OnTestPartResult(const ::testing::TestPartResult& part) override {
    const char* kind = part.skipped()             ? "skip"
                       : part.fatally_failed()    ? "fatal"
                       : part.nonfatally_failed() ? "nonfatal"
                                                  : "success";
    internal::SendRecord({"part", kind,
                          part.file_name() ? part.file_name() : "",
                          std::to_string(part.line_number()),
                          part.message() ? part.message() : ""});
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult& result = *info.result();
    for (int i = 0; i < result.test_property_count(); ++i) {
      const ::testing::TestProperty& property = result.GetTestProperty(i);
      internal::SendRecord({"prop", property.key(), property.value()});
    }
    const char* status = result.Failed()    ? "failed"
                         : result.Skipped() ? "skipped"
                                            : "passed";
    internal::SendRecord(
        {"end", status, std::to_string(result.elapsed_time())});
  }
};

int RunAsChild() {
  // Keep the result pipe, and the variable naming it, away from anything the
  // test itself starts (a test may run another supervised binary).
  ::fcntl(internal::ResultFd(), F_SETFD, FD_CLOEXEC);
  ::unsetenv(internal::kResultFdEnv);
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  delete listeners.Release(listeners.default_xml_generator());
  listeners.Append(new ChildReporter);
  return RUN_ALL_TESTS();
}

}  // namespace

int RunTests(int argc, char** argv) {
  if (internal::ResultFd() >= 0) return RunAsChild();
  const Options options = TakeOptions(argc, argv);
  if (options.in_process || GTEST_FLAG_GET(list_tests)) {
    return RUN_ALL_TESTS();
  }
  return Supervise(argc, argv, options);
}

}  // namespace ipcproof

#include "conformance/runner/watchdog.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/runner/process_tree.h"
#include "conformance/runner/temp_dirs.h"
#include "conformance/runner/test_record_reader.h"
#include "conformance/runner/watched_dirs.h"
#include "conformance/runner/wire.h"
#include "conformance/runner/xml_properties.h"
#include "ipc/child_process.h"
#include "ipc/unique_fd.h"

extern char** environ;

namespace ipcproof {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Starting the test process.

std::vector<std::string> TestEnvironment(int result_fd,
                                         const std::string& temp_dir,
                                         const std::string& name_prefix,
                                         int time_scale) {
  // Variables that would make the test process write its own XML or shard
  // status, or mistake an inherited value for its own.
  static const char* const kDropped[] = {"GTEST_OUTPUT=",
                                         "XML_OUTPUT_FILE=",
                                         "TEST_PREMATURE_EXIT_FILE=",
                                         "GTEST_SHARD_INDEX=",
                                         "GTEST_TOTAL_SHARDS=",
                                         "TEST_SHARD_STATUS_FILE=",
                                         "IPCPROOF_RESULT_FD=",
                                         "IPCPROOF_TEST_TMPDIR=",
                                         "IPCPROOF_NAME_PREFIX=",
                                         "IPCPROOF_TIME_SCALE=",
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
  env.push_back(std::string(internal::kTestTempDirEnv) + "=" + temp_dir);
  env.push_back(std::string(internal::kIpcNamePrefixEnv) + "=" + name_prefix);
  env.push_back(std::string(internal::kTimeScaleEnv) + "=" +
                std::to_string(time_scale));
  env.push_back("TMPDIR=" + temp_dir);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// The resolved path rather than /proc/self/exe, so the test process's comm
// (in ps and in watchdog reports) is the binary's name, not "exe".
const std::string& ExecutablePath() {
  static const std::string executable = [] {
    char path[4096] = {};
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    return n > 0 ? std::string(path, n) : std::string("/proc/self/exe");
  }();
  return executable;
}

struct TestProcess {
  pid_t pid = -1;
  ipc::UniqueFd results;  // read end of the wire
};

// Forks and execs this binary to run `test` alone, as the leader of a new
// process group, with the wire's write end, `temp_dir` and `name_prefix` in
// its environment. nullopt with `error` set when it cannot.
std::optional<TestProcess> StartTestProcess(const SelectedTest& test,
                                            const Options& options,
                                            const std::string& temp_dir,
                                            const std::string& name_prefix,
                                            std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string("supervisor: pipe2: ") + std::strerror(errno);
    return std::nullopt;
  }
  TestProcess process;
  process.results.Reset(fds[0]);
  ipc::UniqueFd child_end(fds[1]);

  std::vector<std::string> args = {program_invocation_name,
                                   "--gtest_filter=" + test.full_name,
                                   "--gtest_also_run_disabled_tests"};
  args.insert(args.end(), options.passthrough.begin(),
              options.passthrough.end());
  std::vector<std::string> env = TestEnvironment(
      child_end.get(), temp_dir, name_prefix, options.time_scale);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  const std::string& executable = ExecutablePath();

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("supervisor: fork: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (pid == 0) {
    // Async-signal-safe only from here to execve.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::fcntl(fds[1], F_SETFD, 0);
    ::execve(executable.c_str(), argv.data(), envp.data());
    static const char kMessage[] =
        "ipcproof: execve of the test binary failed\n";
    (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  // Also from this side, so a kill of the group cannot miss an early child.
  ::setpgid(pid, pid);
  process.pid = pid;
  return process;
}

// ---------------------------------------------------------------------------
// Watching it.

int PidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// True once `pid` has exited (without reaping it).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// The budget that applies now: the test's own (from when it asked), or the
// run's (from the start), each at time scale 1 and allowed `time_scale`
// times as long.
struct Budget {
  std::chrono::seconds base;
  int time_scale = 1;
  Clock::time_point deadline;
  bool set_by_test = false;

  std::chrono::seconds seconds() const { return base * time_scale; }
};

Budget CurrentBudget(const TestRecordReader& reader, Clock::time_point started,
                     const Options& options) {
  Budget budget{options.timeout, options.time_scale, started, false};
  if (const auto& requested = reader.requested_budget()) {
    budget.base = requested->seconds;
    budget.deadline = requested->from;
    budget.set_by_test = true;
  }
  budget.deadline += budget.seconds();
  return budget;
}

// "30 s"; "300 s (30 s × time scale 10)"; with "the budget it set with
// SetTestTimeout" added in the parentheses when the test set it.
std::string DescribeBudget(const Budget& budget) {
  std::string text = std::to_string(budget.seconds().count()) + " s";
  std::string why;
  if (budget.time_scale != 1) {
    why = std::to_string(budget.base.count()) + " s × time scale " +
          std::to_string(budget.time_scale);
  }
  if (budget.set_by_test) {
    why += std::string(why.empty() ? "" : ": ") +
           "the budget it set with SetTestTimeout";
  }
  return why.empty() ? text : text + " (" + why + ")";
}

struct WatchResult {
  bool timed_out = false;
  Budget budget;  // the one that applied when watching ended
};

// Feeds the test's records to `reader` until the test process exits or the
// budget in force runs out.
WatchResult WatchUntilExitOrDeadline(const TestProcess& process,
                                     TestRecordReader& reader,
                                     const Options& options) {
  const auto started = Clock::now();
  const ipc::UniqueFd pidfd(PidfdOpen(process.pid));
  bool results_open = true;
  for (;;) {
    const Budget budget = CurrentBudget(reader, started, options);
    if (!pidfd.valid() && HasExited(process.pid)) return {false, budget};
    const auto now = Clock::now();
    if (now >= budget.deadline) return {true, budget};
    pollfd polls[2] = {{process.results.get(), POLLIN, 0},
                       {pidfd.get(), POLLIN, 0}};
    if (!results_open) polls[0].fd = -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        budget.deadline - now);
    // Without a pidfd (kernels before 5.3) exit is noticed by re-polling.
    const int wait_ms =
        static_cast<int>(pidfd.valid() ? left.count() + 1
                                       : std::min<long>(left.count() + 1, 20));
    const int ready = ::poll(polls, 2, wait_ms);
    if (ready < 0 && errno != EINTR) return {false, budget};
    if (ready <= 0) continue;
    if (polls[0].revents != 0) {
      char buffer[4096];
      const ssize_t n = ::read(process.results.get(), buffer, sizeof buffer);
      if (n > 0) {
        reader.Feed(std::string_view(buffer, n));
      } else if (n == 0) {
        results_open = false;  // the test process (and all it forked) closed it
      }
    }
    if (pidfd.valid() && polls[1].revents != 0) return {false, budget};
  }
}

// What every thread of the test's process tree was doing when its budget
// ran out; the tree is killed once it has been read.
std::string DescribeAndKillTree(const SelectedTest& test, pid_t pid,
                                const Budget& budget) {
  std::string report = "watchdog: " + test.full_name +
                       " did not finish within " + DescribeBudget(budget) +
                       " and was killed. Its processes were:";
  const std::vector<pid_t> tree = ProcessTree(pid);
  for (pid_t p : tree) report += DescribeProcess(p);
  ::kill(-pid, SIGKILL);
  for (pid_t p : tree) ::kill(p, SIGKILL);
  return report;
}

int ReapTestProcess(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Whatever the test wrote before it ended; a process it forked that
// inherited the pipe may still hold it open, so read without blocking.
void DrainRecords(int results, TestRecordReader& reader) {
  ::fcntl(results, F_SETFL, O_NONBLOCK);
  for (char buffer[4096];;) {
    const ssize_t n = ::read(results, buffer, sizeof buffer);
    if (n <= 0) break;
    reader.Feed(std::string_view(buffer, n));
  }
}

// ---------------------------------------------------------------------------
// The verdict.

struct Findings {
  std::string watchdog_report;  // empty unless the budget ran out
  int wait_status = 0;
  std::string leftover_processes;
  // "\n    PATH" per entry, as LockedTempDir::ListEntries and
  // RemoveEntriesNamedWith give them.
  std::string leftover_files;
  std::string leftover_ipc_names;
  std::string unchecked_watched_dirs;
};

void Judge(const TestRecordReader& reader, const Findings& found,
           Outcome& outcome) {
  const bool timed_out = !found.watchdog_report.empty();
  const int status = found.wait_status;
  bool crashed = false;
  if (timed_out) {
    outcome.failures.push_back(found.watchdog_report);
  } else if (!reader.ended()) {
    crashed = true;
    outcome.failures.push_back(
        "the test process " + ipc::WaitStatus(status).ToString() +
        " before the test finished" +
        (status == 0 ? " (no test by that name ran?)" : ""));
  } else {
    outcome.seconds = reader.ended_seconds();
    if (!(WIFEXITED(status) &&
          (WEXITSTATUS(status) == 0 || reader.ended_status() == "failed"))) {
      crashed = true;
      outcome.failures.push_back("the test process " +
                                 ipc::WaitStatus(status).ToString() +
                                 " after the test ended");
    }
  }
  if (!found.leftover_processes.empty() && !timed_out) {
    outcome.failures.push_back(
        "the test left processes behind (killed by the supervisor):" +
        found.leftover_processes);
  }
  // What a test leaves in its own directory and what it leaves, named
  // with its prefix, in a watched one: one kind of finding, one wording.
  const std::pair<const char*, const std::string*> leftovers[] = {
      {"files", &found.leftover_files},
      {"IPC names", &found.leftover_ipc_names}};
  for (const auto& [what, listing] : leftovers) {
    if (!listing->empty()) {
      outcome.failures.push_back(
          std::string("the test left ") + what +
          " behind (removed by the supervisor):" + *listing);
    }
  }
  if (!found.unchecked_watched_dirs.empty()) {
    outcome.failures.push_back(
        "supervisor: cannot look for IPC names of the test in:" +
        found.unchecked_watched_dirs);
  }
  if (!outcome.failures.empty() || reader.ended_status() == "failed") {
    outcome.status = Outcome::Status::kFailed;
    outcome.SetProperty(xml_property::kFailureKind,
                        timed_out ? xml_property::kFailureTimeout
                        : crashed ? xml_property::kFailureCrash
                                  : xml_property::kFailureAssertion);
  } else if (reader.ended_status() == "skipped") {
    outcome.status = Outcome::Status::kSkipped;
  } else {
    outcome.status = Outcome::Status::kPassed;
  }
}

// Failures the test reports are printed as they arrive, so the console
// shows them before a hang.
void PrintFailure(const std::string& failure) {
  std::printf("%s\n", failure.c_str());
  std::fflush(stdout);
}

}  // namespace

Outcome RunTestInChild(const SelectedTest& test, const Options& options) {
  // Numbered in the order this supervisor runs them: with its pid and
  // token, unique to the test among every live process sharing /dev/shm.
  static unsigned long tests_started = 0;
  const std::string name_prefix =
      internal::MakeIpcNamePrefix(std::to_string(tests_started++));
  Outcome outcome;
  const auto started = Clock::now();
  std::string error;
  std::optional<LockedTempDir> temp_dir = LockedTempDir::Create(error);
  if (!temp_dir) {
    outcome.failures.push_back("supervisor: no directory for the test: " +
                               error);
    return outcome;
  }
  std::optional<TestProcess> process =
      StartTestProcess(test, options, temp_dir->path(), name_prefix, error);
  if (!process) {
    outcome.failures.push_back(error);
    return outcome;
  }

  TestRecordReader reader(outcome, PrintFailure);
  const WatchResult watch = WatchUntilExitOrDeadline(*process, reader, options);
  Findings found;
  if (watch.timed_out) {
    found.watchdog_report =
        DescribeAndKillTree(test, process->pid, watch.budget);
  }
  found.wait_status = ReapTestProcess(process->pid);
  DrainRecords(process->results.get(), reader);
  found.leftover_processes = KillLeftoverChildren();
  found.leftover_files = temp_dir->ListEntries();
  temp_dir.reset();
  // After the test's processes are gone, so none makes a name meanwhile.
  const WatchedDirFindings names =
      RemoveEntriesNamedWith(options.watched_dirs, name_prefix);
  found.leftover_ipc_names = names.found;
  found.unchecked_watched_dirs = names.unreadable;

  outcome.seconds =
      std::chrono::duration<double>(Clock::now() - started).count();
  Judge(reader, found, outcome);
  return outcome;
}

}  // namespace ipcproof

// Tests of the harness itself: the supervisor (one process per test, the
// watchdog, leftover detection, the per-test directories, merged XML),
// proof of blocking from /proc, claim tagging and the IPC-namespace sandbox.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/subreaper.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/test_control.h"
#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "conformance/runner/wire.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/io.h"
#include "ipc/pipe.h"

namespace ipcproof {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The fixture binary: from Bazel's runfiles, or beside this binary when run
// from bazel-bin directly.
std::string FixturePath() {
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    const std::string path =
        std::string(srcdir) + "/ipcproof/conformance/runner/supervised_fixture";
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  char self[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir(self, n > 0 ? n : 0);
  return dir.substr(0, dir.rfind('/')) + "/supervised_fixture";
}

struct FixtureRun {
  ipc::WaitStatus status{0};
  std::string console;  // stdout and stderr
  std::string xml;
};

// A fixture supervisor started and not yet waited for.
struct StartedFixture {
  ipc::ChildProcess supervisor;
  ipc::Pipe output;
  std::string xml_path;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts the fixture under its own supervisor with `args`, its console
// output going to a pipe and its merged XML to a fresh path; `env` entries
// ("NAME=value") are added to our environment, ahead of it (getenv takes
// the first).
StartedFixture StartFixture(std::vector<std::string> args,
                            std::vector<std::string> env = {}) {
  const std::string xml_path = UniqueTempPath("fixture") + ".xml";
  args.insert(args.begin(), {FixturePath(), "--gtest_output=xml:" + xml_path});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The fixture's own runs check exact budgets ("within 1 s"), so they run
  // at time scale 1 unless a test asks otherwise, whatever scale this
  // binary runs at; the fixture's tests are trivial, or hang on purpose.
  env.emplace_back("IPCPROOF_TIME_SCALE=1");
  for (char** var = environ; *var != nullptr; ++var) env.emplace_back(*var);
  std::vector<char*> envp;
  for (std::string& var : env) envp.push_back(var.data());
  envp.push_back(nullptr);

  ipc::Pipe output = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ipc::ChildProcess::Fork([&] {
    ::dup2(output.write_fd(), STDOUT_FILENO);
    ::dup2(output.write_fd(), STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    return 127;
  });
  output.CloseWriteEnd();
  return {std::move(child), std::move(output), xml_path};
}

// Collects the console output (to its end) and the merged XML (which is
// then deleted) of a started fixture, and reaps its supervisor.
FixtureRun FinishFixture(StartedFixture started) {
  FixtureRun run;
  char buffer[4096];
  for (size_t n; (n = started.output.Read(
                      std::as_writable_bytes(std::span(buffer)))) > 0;) {
    run.console.append(buffer, n);
  }
  if (!started.supervisor.reaped()) run.status = started.supervisor.Wait();
  run.xml = ReadWholeFile(started.xml_path);
  ::unlink(started.xml_path.c_str());
  return run;
}

// Runs the fixture under its own supervisor with `args` to the end.
FixtureRun RunFixture(std::vector<std::string> args,
                      std::vector<std::string> env = {}) {
  return FinishFixture(StartFixture(std::move(args), std::move(env)));
}

// The test process a fixture supervisor started, once it is blocked in
// read(2) (the fixture's hanging tests do that); -1 if none is within the
// kit's blocking deadline. The scan of /proc is paced, never relied on.
pid_t WaitForTestProcessBlockedInRead(pid_t supervisor) {
  pid_t found = -1;
  PollUntil(kBlockedTimeout, [&] {
    for (pid_t pid : ListPids()) {
      const std::optional<TaskState> task = ReadTaskStat(pid, pid);
      if (task && task->ppid == supervisor &&
          WaitUntilBlockedIn(pid, SYS_read)) {
        found = pid;
        return true;
      }
    }
    return false;
  });
  return found;
}

// SIGKILLs a fixture supervisor whose test process is blocked in read, and
// reaps both (the test process dies of the supervisor's death signal).
::testing::AssertionResult KillSupervisorMidTest(StartedFixture& fixture) {
  const pid_t test_process =
      WaitForTestProcessBlockedInRead(fixture.supervisor.pid());
  if (test_process < 0) {
    return ::testing::AssertionFailure()
           << "no test process of supervisor " << fixture.supervisor.pid()
           << " blocked in read";
  }
  const ipc::WaitStatus killed = fixture.supervisor.Kill();
  if (!killed.KilledBy(SIGKILL)) {
    return ::testing::AssertionFailure()
           << "the supervisor " << killed.ToString();
  }
  int status = 0;
  if (::waitpid(test_process, &status, 0) != test_process) {
    return ::testing::AssertionFailure()
           << "the orphaned test process " << test_process
           << " did not come back to be reaped: " << ErrnoName(errno);
  }
  return ::testing::AssertionSuccess();
}

// The runner's directories ("ipcproof.*") in `base`.
std::vector<std::string> RunnerDirsIn(const std::string& base) {
  std::vector<std::string> dirs;
  if (DIR* d = ::opendir(base.c_str())) {
    while (const dirent* entry = ::readdir(d)) {
      const std::string name = entry->d_name;
      if (name.starts_with("ipcproof.")) dirs.push_back(base + "/" + name);
    }
    ::closedir(d);
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// The <testcase ...> ... </testcase> element of one test in the XML.
std::string TestCaseXml(const std::string& xml, const std::string& name) {
  const size_t start = xml.find("<testcase name=\"" + name + "\"");
  if (start == std::string::npos) return "";
  const size_t end = xml.find("</testcase>", start);
  return xml.substr(start, end - start);
}

TEST(SupervisorTest, MergesPassFailAndSkipIntoOneXml) {
  CLAIM("harness.supervisor.merged-xml");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.Passes:Fixture.FailsAnExpectation:"
                  "Fixture.Skips"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.status.ToString();
  EXPECT_THAT(run.xml, HasSubstr("<testsuites tests=\"3\" failures=\"1\""));
  EXPECT_THAT(run.xml, HasSubstr("skipped=\"1\""));

  const std::string passed = TestCaseXml(run.xml, "Passes");
  EXPECT_THAT(passed, HasSubstr("result=\"completed\""));
  EXPECT_THAT(passed, HasSubstr("<property name=\"claims\" "
                                "value=\"harness.fixture-passes\"/>"));
  EXPECT_THAT(passed,
              HasSubstr("<property name=\"measured.answer\" value=\"42\"/>"));
  EXPECT_THAT(passed,
              HasSubstr("<property name=\"measured.ratio\" value=\"0.5\"/>"));
  EXPECT_THAT(passed, Not(HasSubstr("<failure")));

  const std::string failed = TestCaseXml(run.xml, "FailsAnExpectation");
  EXPECT_THAT(failed,
              AllOf(HasSubstr("<failure"), HasSubstr("deliberate failure")));
  EXPECT_THAT(failed, HasSubstr("<property name=\"failure_kind\" "
                                "value=\"assertion\"/>"));
  EXPECT_THAT(passed, Not(HasSubstr("failure_kind")));

  const std::string skipped = TestCaseXml(run.xml, "Skips");
  EXPECT_THAT(skipped, HasSubstr("result=\"skipped\""));
  EXPECT_THAT(skipped, HasSubstr("the fixture skips on purpose (leaves "
                                 "unverified: harness.fixture-skips)"));
  EXPECT_THAT(skipped, Not(HasSubstr("<failure")));
  EXPECT_THAT(run.console, HasSubstr("[  SKIPPED ] Fixture.Skips"));
}

TEST(SupervisorTest, WatchdogEndsAHungTestNamesItsSyscallAndGoesOn) {
  CLAIM("harness.supervisor.watchdog");
  const FixtureRun run = RunFixture({"--ipcproof_timeout=1",
                                     "--gtest_filter=Fixture.HangsInRead:"
                                     "Fixture.Passes"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.status.ToString();
  const std::string hung = TestCaseXml(run.xml, "HangsInRead");
  EXPECT_THAT(hung, HasSubstr("watchdog: Fixture.HangsInRead did not finish "
                              "within 1 s"));
  // The report says what the test was blocked in: the read system call, on
  // an empty pipe (comm is cut to 15 characters; the kernel's wait function
  // is pipe_read, or
  // anon_pipe_read on kernels that split anonymous pipes' operations).
  EXPECT_THAT(hung, HasSubstr("(supervised_fixt) state S, in read(0x"));
  EXPECT_THAT(hung, HasSubstr("pipe_read]"));
  EXPECT_THAT(hung, HasSubstr("harness.fixture-hangs"))
      << "claims declared before the hang must survive it";
  EXPECT_THAT(hung,
              HasSubstr("<property name=\"failure_kind\" value=\"timeout\"/>"));
  // The test after the hung one still ran, and passed.
  EXPECT_THAT(TestCaseXml(run.xml, "Passes"), Not(HasSubstr("<failure")));
  EXPECT_THAT(run.console, HasSubstr("[       OK ] Fixture.Passes"));
}

TEST(SupervisorTest, ReportsACrashWithItsSignalAndKeepsEarlierProperties) {
  CLAIM("harness.supervisor.crash");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.CrashesAfterDeclaringItsClaim"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.status.ToString();
  const std::string crashed =
      TestCaseXml(run.xml, "CrashesAfterDeclaringItsClaim");
  EXPECT_THAT(crashed, HasSubstr("killed by signal 11"));
  EXPECT_THAT(crashed, HasSubstr("before the test finished"));
  EXPECT_THAT(crashed, HasSubstr("value=\"harness.fixture-crashes\""));
  EXPECT_THAT(crashed, HasSubstr("name=\"measured.before_crash\""));
  EXPECT_THAT(crashed,
              HasSubstr("<property name=\"failure_kind\" value=\"crash\"/>"));
}

TEST(SupervisorTest, KillsAndReportsAProcessTheTestLeftBehind) {
  CLAIM("harness.supervisor.leftover-process");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.LeavesAProcessBehind"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.status.ToString();
  const std::string leaked = TestCaseXml(run.xml, "LeavesAProcessBehind");
  EXPECT_THAT(leaked, HasSubstr("the test left processes behind"));
  // The report names what the leftover was doing: pause(2).
  EXPECT_THAT(leaked, HasSubstr("in pause("));
  std::smatch pid;
  ASSERT_TRUE(std::regex_search(
      leaked, pid, std::regex("measured.leaked_pid\" value=\"([0-9]+)\"")));
  // The pid is in the fixture's PID namespace, which is ours.
  EXPECT_THAT(::kill(std::stoi(pid[1]), 0), SyscallFailsWithErrno(ESRCH))
      << "the leftover process must be gone";
}

TEST(SupervisorTest, RemovesAndReportsFilesTheTestLeftBehind) {
  CLAIM("harness.supervisor.leftover-file");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.LeavesAFileBehind"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.status.ToString();
  const std::string leaked = TestCaseXml(run.xml, "LeavesAFileBehind");
  EXPECT_THAT(leaked, HasSubstr("the test left files behind"));
  std::smatch path;
  ASSERT_TRUE(
      std::regex_search(leaked, path, std::regex("(/[^ &]*/forgotten\\.txt)")));
  struct stat st;
  EXPECT_THAT(::stat(path[1].str().c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
}

// The budget a test sets replaces the run's, and the watchdog's report names
// the budget that ran out, not the run's.
TEST(SupervisorTest, ATestMayExtendItsOwnWatchdogAndIsReportedWithIt) {
  CLAIM("harness.supervisor.timeout-extension");
  const FixtureRun run =
      RunFixture({"--ipcproof_timeout=1",
                  "--gtest_filter=Fixture.ExtendsItsOwnWatchdogThenHangs"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string hung =
      TestCaseXml(run.xml, "ExtendsItsOwnWatchdogThenHangs");
  EXPECT_THAT(hung, HasSubstr("did not finish within 2 s (the budget it set "
                              "with SetTestTimeout)"));
  // It outlived the run's 1 s: the extension was honoured, not only named.
  std::smatch time;
  ASSERT_TRUE(std::regex_search(hung, time, std::regex("time=\"([0-9.]+)\"")));
  EXPECT_GE(std::stod(time[1]), 2.0);
}

TEST(SupervisorTest, FilterSelectsWithWildcardsAndExclusions) {
  CLAIM("harness.supervisor.filter");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.P*:Fixture.Sk?ps-*Passes"});
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
  EXPECT_THAT(run.xml, HasSubstr("<testsuites tests=\"1\""));
  EXPECT_THAT(run.xml, HasSubstr("<testcase name=\"Skips\""));
}

TEST(SupervisorTest, NoTestIsRunForAFilterThatMatchesNothing) {
  CLAIM("harness.supervisor.filter");
  const FixtureRun run = RunFixture({"--gtest_filter=NoSuch.Test"});
  EXPECT_TRUE(run.status.ExitedWith(0));
  EXPECT_THAT(run.console, HasSubstr("no test matches the filter"));
  EXPECT_THAT(run.xml, HasSubstr("<testsuites tests=\"0\""));
}

// Disabled tests follow gtest's rule, since gtest itself selects.
TEST(SupervisorTest, DisabledTestsRunOnlyWhenAskedFor) {
  CLAIM("harness.supervisor.filter");
  const FixtureRun plain = RunFixture({"--gtest_filter=Fixture.*DISABLED*"});
  EXPECT_THAT(plain.xml, HasSubstr("<testsuites tests=\"0\""));
  const FixtureRun asked = RunFixture(
      {"--gtest_filter=Fixture.*DISABLED*", "--gtest_also_run_disabled_tests"});
  EXPECT_TRUE(asked.status.ExitedWith(0)) << asked.console;
  EXPECT_THAT(asked.xml, HasSubstr("<testcase name=\"DISABLED_Passes\""));
}

// --- IPC names left in watched directories ---------------------------------

// The value of property `name` in one test case's XML; "" when absent.
std::string PropertyValue(const std::string& testcase,
                          const std::string& name) {
  std::smatch value;
  if (!std::regex_search(
          testcase, value,
          std::regex("name=\"" + name + "\" value=\"([^\"]*)\""))) {
    return "";
  }
  return value[1];
}

// Where a POSIX name lives: "/x" is /dev/shm/x for shm_open, and
// /dev/shm/sem.x for sem_open (sem_overview(7)).
std::string ShmPath(const std::string& name) { return "/dev/shm" + name; }
std::string SemPath(const std::string& name) {
  return "/dev/shm/sem." + name.substr(1);
}

#define SKIP_WITHOUT_DEV_SHM()                                            \
  do {                                                                    \
    struct stat dev_shm;                                                  \
    if (::stat("/dev/shm", &dev_shm) != 0 || !S_ISDIR(dev_shm.st_mode)) { \
      SKIP_UNVERIFIED("stat(/dev/shm) found no directory (" +             \
                      ErrnoName(errno) +                                  \
                      "): no POSIX shared memory names to leave behind"); \
    }                                                                     \
  } while (0)

// A test that passes but leaves a shared memory object and a named
// semaphore fails, and both names are gone afterwards. The names carry the
// prefix its supervisor gave it: the supervisor's pid, its token, the test's
// number.
TEST(SupervisorTest, RemovesAndReportsIpcNamesAPassingTestLeftBehind) {
  CLAIM("harness.supervisor.leftover-ipc-name");
  SKIP_WITHOUT_DEV_SHM();
  StartedFixture started =
      StartFixture({"--gtest_filter=Fixture.LeavesIpcNamesBehind"});
  const std::string supervisor = std::to_string(started.supervisor.pid());
  const FixtureRun run = FinishFixture(std::move(started));
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string leaked = TestCaseXml(run.xml, "LeavesIpcNamesBehind");
  const std::string shm = PropertyValue(leaked, "shm_name");
  const std::string sem = PropertyValue(leaked, "sem_name");
  ASSERT_FALSE(shm.empty() || sem.empty()) << leaked;
  EXPECT_THAT(shm,
              ::testing::MatchesRegex("/ipcproof\\." + supervisor +
                                      "\\.[0-9a-f]{8}\\.0\\.shm\\.[0-9]+"));
  EXPECT_THAT(leaked, HasSubstr("the test left IPC names behind (removed by "
                                "the supervisor):"));
  EXPECT_THAT(leaked, HasSubstr(ShmPath(shm)));
  EXPECT_THAT(leaked, HasSubstr(SemPath(sem)));
  EXPECT_FALSE(Exists(ShmPath(shm)));
  EXPECT_FALSE(Exists(SemPath(sem)));
}

// However the test ends: a crash, or the watchdog's kill. Each test of the
// run has a prefix of its own.
TEST(SupervisorTest, RemovesIpcNamesOfACrashedOrKilledTest) {
  CLAIM("harness.supervisor.leftover-ipc-name");
  SKIP_WITHOUT_DEV_SHM();
  const FixtureRun run =
      RunFixture({"--ipcproof_timeout=1",
                  "--gtest_filter=Fixture.CrashesLeavingAnIpcName:"
                  "Fixture.HangsLeavingAnIpcName"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string crashed = TestCaseXml(run.xml, "CrashesLeavingAnIpcName");
  const std::string hung = TestCaseXml(run.xml, "HangsLeavingAnIpcName");
  EXPECT_THAT(crashed, HasSubstr("killed by signal 11"));
  EXPECT_THAT(hung, HasSubstr("did not finish within 1 s"));
  const std::string crashed_name = PropertyValue(crashed, "shm_name");
  const std::string hung_name = PropertyValue(hung, "shm_name");
  ASSERT_FALSE(crashed_name.empty() || hung_name.empty()) << run.xml;
  for (const auto& [testcase, name] :
       {std::pair{crashed, crashed_name}, std::pair{hung, hung_name}}) {
    EXPECT_THAT(testcase, HasSubstr("the test left IPC names behind"));
    EXPECT_THAT(testcase, HasSubstr(ShmPath(name)));
    EXPECT_FALSE(Exists(ShmPath(name)));
  }
  // "ipcproof.<pid>.<token>.<n>.shm.<k>": the test numbers differ.
  EXPECT_NE(crashed_name.substr(0, crashed_name.find(".shm.")),
            hung_name.substr(0, hung_name.find(".shm.")));
}

TEST(SupervisorTest, NoComplaintAboutIpcNamesATestRemovedItself) {
  CLAIM("harness.supervisor.leftover-ipc-name");
  SKIP_WITHOUT_DEV_SHM();
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.RemovesItsOwnIpcNames"});
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
  EXPECT_THAT(run.xml, Not(HasSubstr("IPC names")));
}

// --ipcproof_watch_dir adds a directory to watch. Only names containing the
// test's own prefix are touched (another run's stay); a watched directory
// that does not exist is passed over; one that cannot be listed is said.
TEST(SupervisorTest, WatchesTheDirectoriesItIsGivenForTheTestsPrefixOnly) {
  CLAIM("harness.supervisor.leftover-ipc-name");
  const ScopedDirectory watched(UniqueTempPath("watched"), 0755);
  const std::string others = watched.path() + "/sem.ipcproof.1.0badc0de.0.x";
  std::ofstream(others) << "another run's";
  const ScopedUnlink remove_others(others);
  const std::string not_a_dir = UniqueTempPath("plain-file");
  std::ofstream(not_a_dir) << "";
  const ScopedUnlink remove_not_a_dir(not_a_dir);
  const FixtureRun run =
      RunFixture({"--ipcproof_watch_dir=" + watched.path(),
                  "--ipcproof_watch_dir=" + UniqueTempPath("missing"),
                  "--ipcproof_watch_dir=" + not_a_dir,
                  "--gtest_filter=Fixture.LeavesANameInAWatchedDirectory"},
                 {"IPCPROOF_FIXTURE_WATCHED_DIR=" + watched.path()});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string leaked =
      TestCaseXml(run.xml, "LeavesANameInAWatchedDirectory");
  const std::string path = PropertyValue(leaked, "watched_path");
  ASSERT_THAT(path, ::testing::StartsWith(watched.path() + "/sem.ipcproof."));
  EXPECT_THAT(leaked, HasSubstr("the test left IPC names behind (removed by "
                                "the supervisor):"));
  EXPECT_THAT(leaked, HasSubstr(path));
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(Exists(others)) << "a name of another prefix was removed";
  EXPECT_THAT(leaked, Not(HasSubstr("missing")));
  EXPECT_THAT(leaked, HasSubstr("cannot look for IPC names of the test in:"));
  EXPECT_THAT(leaked, HasSubstr(not_a_dir + ": ENOTDIR"));
}

// --- A traced child of a test that dies ------------------------------------

// The fixture's tracer crashes while its child sleeps between the marks.
// Under the supervisor the child is gone afterwards, and the crash is
// reported.
TEST(SupervisorTest, ATracedChildDoesNotOutliveACrashedTest) {
  CLAIM("harness.supervisor.traced-child");
  const FixtureRun run =
      RunFixture({"--gtest_filter=Fixture.CrashesWhileTracing"});
  const std::string crashed = TestCaseXml(run.xml, "CrashesWhileTracing");
  if (crashed.find("result=\"skipped\"") != std::string::npos) {
    SKIP_UNVERIFIED("the fixture could not trace: " + crashed);
  }
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  EXPECT_THAT(crashed, HasSubstr("killed by signal 11"));
  const std::string traced = PropertyValue(crashed, "measured.traced_pid");
  ASSERT_FALSE(traced.empty()) << crashed;
  EXPECT_THAT(::kill(std::stoi(traced), 0), SyscallFailsWithErrno(ESRCH));
}

// Without a supervisor to clean up, the counter's own guards end the child
// when its tracer dies: PTRACE_O_EXITKILL and the child's PR_SET_PDEATHSIG
// (each suffices; with neither, the detached child sleeps in pause() for
// good and WaitUntilExited fails at its deadline, as tried).
TEST(SupervisorTest, TheTracedChildOfACrashedTracerDiesWithoutASupervisor) {
  CLAIM("harness.supervisor.traced-child");
  // The orphaned child comes back here, to be reaped.
  const ScopedChildSubreaper subreaper;
  ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error());
  const FixtureRun run = RunFixture(
      {"--ipcproof_in_process", "--gtest_filter=Fixture.CrashesWhileTracing"});
  if (run.status.ExitedWith(0)) {
    SKIP_UNVERIFIED("the fixture could not trace: " + run.console);
  }
  EXPECT_TRUE(run.status.KilledBy(SIGSEGV)) << run.console;
  std::smatch traced;
  ASSERT_TRUE(std::regex_search(run.console, traced,
                                std::regex("traced child ([0-9]+)")))
      << run.console;
  const pid_t child = std::stoi(traced[1]);
  ASSERT_TRUE(WaitUntilExited(child));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WNOHANG), child) << ErrnoName(errno);
  EXPECT_TRUE(ipc::WaitStatus(status).KilledBy(SIGKILL))
      << ipc::WaitStatus(status).ToString();
}

// --- The per-test directories and the XML, when the supervisor dies --------

// A supervisor killed mid-test cannot remove that test's directory. The
// next run removes it, because no live supervisor holds its lock, and
// leaves a live supervisor's directory alone.
TEST(SupervisorTest, TheNextRunRemovesTheDirectoryOfAKilledSupervisorOnly) {
  CLAIM("harness.supervisor.stale-directory");
  const ScopedDirectory base(UniqueTempPath("base"), 0755);
  const std::vector<std::string> env = {"IPCPROOF_TMPDIR=" + base.path()};
  // The test process of the supervisor killed below comes back to this
  // test to be reaped, not to our own supervisor as a leftover.
  const ScopedChildSubreaper subreaper;
  ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error());

  // The live one first: a run removes dead runners' directories when it
  // starts, so a run started after the kill would do the next run's work.
  StartedFixture live =
      StartFixture({"--gtest_filter=Fixture.HangsInRead"}, env);
  ASSERT_GE(WaitForTestProcessBlockedInRead(live.supervisor.pid()), 0);
  const std::vector<std::string> live_dirs = RunnerDirsIn(base.path());
  ASSERT_EQ(live_dirs.size(), 1u) << "the live supervisor's directory";

  StartedFixture dead =
      StartFixture({"--gtest_filter=Fixture.HangsInRead"}, env);
  ASSERT_TRUE(KillSupervisorMidTest(dead));
  (void)FinishFixture(std::move(dead));
  std::vector<std::string> left = RunnerDirsIn(base.path());
  std::erase(left, live_dirs[0]);
  ASSERT_EQ(left.size(), 1u) << "the killed supervisor's directory";
  const std::string dead_dir = left[0];

  const FixtureRun next = RunFixture({"--gtest_filter=Fixture.Passes"}, env);
  EXPECT_TRUE(next.status.ExitedWith(0)) << next.console;
  EXPECT_THAT(next.console, HasSubstr("removed " + dead_dir));
  EXPECT_FALSE(Exists(dead_dir)) << dead_dir;
  EXPECT_TRUE(Exists(live_dirs[0])) << "a live supervisor's directory";

  ASSERT_TRUE(KillSupervisorMidTest(live));
  (void)FinishFixture(std::move(live));
  const FixtureRun last = RunFixture({"--gtest_filter=Fixture.Passes"}, env);
  EXPECT_TRUE(last.status.ExitedWith(0)) << last.console;
  EXPECT_THAT(RunnerDirsIn(base.path()), ::testing::IsEmpty());
}

// Runners that start together (Bazel starts several test binaries at once)
// each clean up after dead runners first: one's scan could find another's
// directory made but not yet locked, take it for a dead runner's and remove
// it, failing the new owner's first test ("no directory for the test").
// Making a directory and that scan both hold flock(LOCK_EX) on the base
// directory: with the base locked here, a starting runner is proven (from
// /proc) to wait in flock, and runs its test once the lock is released.
TEST(SupervisorTest, MakingATestDirectoryWaitsForTheBaseDirectoryLock) {
  const ScopedDirectory base(UniqueTempPath("base"), 0755);
  const std::vector<std::string> env = {"IPCPROOF_TMPDIR=" + base.path()};
  const ipc::UniqueFd base_fd(
      ::open(base.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(base_fd) << ErrnoName(errno);
  ASSERT_THAT(::flock(base_fd.get(), LOCK_EX), SyscallSucceeds());
  StartedFixture runner = StartFixture({"--gtest_filter=Fixture.Passes"}, env);
  // It polls with LOCK_NB between pauses: it is seen either in flock or in
  // the pause, and has made no directory yet.
  ASSERT_TRUE(
      WaitUntilBlockedIn(runner.supervisor.pid(), runner.supervisor.pid(),
                         {SYS_flock, SYS_nanosleep, SYS_clock_nanosleep}));
  EXPECT_THAT(RunnerDirsIn(base.path()), ::testing::IsEmpty());
  ASSERT_THAT(::flock(base_fd.get(), LOCK_UN), SyscallSucceeds());
  const FixtureRun run = FinishFixture(std::move(runner));
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
  EXPECT_THAT(RunnerDirsIn(base.path()), ::testing::IsEmpty());
}

// The merged XML is complete after every test, and names the test that was
// running when its supervisor died.
TEST(SupervisorTest, AKilledSupervisorLeavesTheResultsItHad) {
  CLAIM("harness.supervisor.merged-xml");
  const ScopedDirectory base(UniqueTempPath("base"), 0755);
  const std::vector<std::string> env = {"IPCPROOF_TMPDIR=" + base.path()};
  // As above: the killed supervisor's test process comes back here.
  const ScopedChildSubreaper subreaper;
  ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error());

  StartedFixture fixture =
      StartFixture({"--gtest_filter=Fixture.Passes:Fixture.HangsInRead"}, env);
  const std::string xml_path = fixture.xml_path;
  ASSERT_TRUE(KillSupervisorMidTest(fixture));
  const FixtureRun run = FinishFixture(std::move(fixture));
  EXPECT_FALSE(Exists(xml_path + ".partial"));
  EXPECT_THAT(run.xml, HasSubstr("<testsuites tests=\"2\" failures=\"1\""));
  const std::string passed = TestCaseXml(run.xml, "Passes");
  EXPECT_THAT(passed, HasSubstr("value=\"harness.fixture-passes\""));
  EXPECT_THAT(passed, Not(HasSubstr("<failure")));
  EXPECT_THAT(TestCaseXml(run.xml, "HangsInRead"),
              HasSubstr("the supervisor ended (killed?) while this test was "
                        "running"));

  // The killed supervisor's directory, for the next run to remove.
  const FixtureRun next = RunFixture({"--gtest_filter=Fixture.Passes"}, env);
  EXPECT_THAT(RunnerDirsIn(base.path()), ::testing::IsEmpty());
}

TEST(SupervisorTest, AnXmlPathThatCannotBeWrittenFailsTheRun) {
  CLAIM("harness.supervisor.merged-xml");
  const std::string missing = UniqueTempPath("missing") + "/results.xml";
  const FixtureRun run = RunFixture(
      {"--gtest_filter=Fixture.Passes", "--gtest_output=xml:" + missing});
  EXPECT_TRUE(run.status.ExitedWith(2)) << run.status.ToString();
  EXPECT_THAT(run.console,
              HasSubstr("cannot write the XML results to " + missing));
  EXPECT_THAT(run.console, HasSubstr("no test was run"));
  EXPECT_THAT(run.console, Not(HasSubstr("[ RUN ")));
}

// --ipcproof_in_process runs get their directory from the runner as well,
// removed after the run with what the tests left in it.
TEST(SupervisorTest, InProcessRunsGetADirectoryFromTheRunner) {
  CLAIM("harness.supervisor.isolation");
  const ScopedDirectory base(UniqueTempPath("base"), 0755);
  const FixtureRun run = RunFixture(
      {"--ipcproof_in_process", "--gtest_filter=Fixture.LeavesAFileBehind"},
      {"IPCPROOF_TMPDIR=" + base.path()});
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
  std::smatch dir;
  ASSERT_TRUE(std::regex_search(
      run.xml, dir, std::regex("name=\"temp_dir\" value=\"([^\"]*)\"")))
      << run.xml;
  EXPECT_THAT(dir[1].str(), ::testing::StartsWith(base.path() + "/ipcproof."));
  EXPECT_FALSE(Exists(dir[1].str()));
  EXPECT_THAT(RunnerDirsIn(base.path()), ::testing::IsEmpty());
}

TEST(SupervisorTest, EachTestRunsInItsOwnProcessWithItsOwnTempDir) {
  CLAIM("harness.supervisor.isolation");
  EXPECT_THAT(TestTempDir(), HasSubstr("/ipcproof."));
  if (!RunningUnderSupervisor()) {
    SKIP_UNVERIFIED("run with --ipcproof_in_process");
  }
  // The supervisor is our parent, and a child subreaper.
  const std::string parent_comm =
      ReadFileOrThrow("/proc/" + std::to_string(::getppid()) + "/comm");
  const std::string our_comm = ReadFileOrThrow("/proc/self/comm");
  EXPECT_EQ(parent_comm, our_comm);
  EXPECT_EQ(::getpgrp(), ::getpid()) << "each test leads its process group";
}

TEST(SupervisorTest, QueuesOfACrashedOrKilledTestDieWithItsNamespace) {
  CLAIM("harness.sandbox.no-leak-on-crash");
  // This test's own private namespace plays "the host", so the control
  // fixture's deliberate leak is thrown away with it.
  ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  ASSERT_THAT(ListSysvMessageQueues(), ::testing::IsEmpty());
  ASSERT_THAT(ListPosixMessageQueues(), ::testing::IsEmpty());

  const FixtureRun run = RunFixture(
      {"--ipcproof_timeout=2",
       "--gtest_filter=Fixture.CrashesHoldingQueuesInAPrivateNamespace:"
       "Fixture.HangsHoldingQueuesInAPrivateNamespace"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  EXPECT_THAT(TestCaseXml(run.xml, "CrashesHoldingQueuesInAPrivateNamespace"),
              HasSubstr("killed by signal 11"));
  EXPECT_THAT(TestCaseXml(run.xml, "HangsHoldingQueuesInAPrivateNamespace"),
              HasSubstr("in msgrcv("));
  EXPECT_THAT(ListSysvMessageQueues(), ::testing::IsEmpty());
  EXPECT_THAT(ListPosixMessageQueues(), ::testing::IsEmpty());

  // The control leaks into the namespace it inherits (ours): the check
  // above would have seen a leak.
  const FixtureRun control = RunFixture(
      {"--gtest_filter=Fixture.LeavesQueuesInTheNamespaceItWasGiven"});
  EXPECT_TRUE(control.status.ExitedWith(0)) << control.console;
  EXPECT_THAT(ListSysvMessageQueues(), ::testing::SizeIs(1));
  EXPECT_THAT(ListPosixMessageQueues(),
              ::testing::ElementsAre("/ipcproof-fixture-control"));
}

// --- The time scale ----------------------------------------------------------

// The value of attribute `name` of the XML's root element; "" when absent.
std::string RootAttribute(const std::string& xml, const std::string& name) {
  std::smatch value;
  const std::regex pattern("<testsuites [^>]*" + name + "=\"([^\"]*)\"");
  return std::regex_search(xml, value, pattern) ? value[1].str() : "";
}

// The scale multiplies the watchdog's budget, which the report then states
// with its parts; the console and the XML's root say which scale ran.
TEST(SupervisorTest, TheTimeScaleMultipliesTheWatchdogAndSaysSo) {
  CLAIM("harness.supervisor.time-scale");
  const FixtureRun run =
      RunFixture({"--ipcproof_timeout=1", "--ipcproof_time_scale=2",
                  "--gtest_filter=Fixture.HangsInRead"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string hung = TestCaseXml(run.xml, "HangsInRead");
  EXPECT_THAT(hung, HasSubstr("did not finish within 2 s (1 s × time scale "
                              "2) and was killed"));
  std::smatch time;
  ASSERT_TRUE(std::regex_search(hung, time, std::regex("time=\"([0-9.]+)\"")));
  EXPECT_GE(std::stod(time[1]), 2.0) << "the scaled budget was not honoured";
  EXPECT_THAT(run.console,
              HasSubstr("(watchdog 2 s each: 1 s × time scale 2)"));
  EXPECT_EQ(RootAttribute(run.xml, "time_scale"), "2");
}

// A budget the test sets with SetTestTimeout is at time scale 1 too.
TEST(SupervisorTest, ABudgetTheTestSetsIsScaledToo) {
  CLAIM("harness.supervisor.time-scale");
  const FixtureRun run =
      RunFixture({"--ipcproof_timeout=1", "--ipcproof_time_scale=2",
                  "--gtest_filter=Fixture.ExtendsItsOwnWatchdogThenHangs"});
  EXPECT_TRUE(run.status.ExitedWith(1)) << run.console;
  const std::string hung =
      TestCaseXml(run.xml, "ExtendsItsOwnWatchdogThenHangs");
  EXPECT_THAT(hung, HasSubstr("did not finish within 4 s (2 s × time scale "
                              "2: the budget it set with SetTestTimeout)"));
  std::smatch time;
  ASSERT_TRUE(std::regex_search(hung, time, std::regex("time=\"([0-9.]+)\"")));
  EXPECT_GE(std::stod(time[1]), 4.0);
}

// Each test process gets the run's scale in IPCPROOF_TIME_SCALE, and the
// kit's deadlines follow it: from the flag, else from the runner's own
// environment; the flag wins; at 1 the root still says so.
TEST(SupervisorTest, EachTestProcessGetsTheScaleFromTheFlagOrTheEnvironment) {
  CLAIM("harness.supervisor.time-scale");
  struct Case {
    std::vector<std::string> args;
    std::string env;
    std::string scale;
  };
  const Case cases[] = {
      {{"--ipcproof_time_scale=5"}, "", "5"},
      {{}, "IPCPROOF_TIME_SCALE=3", "3"},
      {{"--ipcproof_time_scale=7"}, "IPCPROOF_TIME_SCALE=3", "7"},
      {{}, "", "1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.env + " " + (c.args.empty() ? "" : c.args[0]));
    std::vector<std::string> args = c.args;
    args.push_back("--gtest_filter=Fixture.RecordsItsTimeScale");
    std::vector<std::string> env;
    if (!c.env.empty()) env.push_back(c.env);
    const FixtureRun run = RunFixture(args, env);
    EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
    const std::string test = TestCaseXml(run.xml, "RecordsItsTimeScale");
    EXPECT_EQ(PropertyValue(test, "time_scale_env"), c.scale);
    EXPECT_EQ(PropertyValue(test, "measured.time_scale"), c.scale);
    EXPECT_EQ(PropertyValue(test, "measured.scaled_blocked_timeout_ms"),
              std::to_string(std::stoi(c.scale) * kBlockedTimeout.count()));
    EXPECT_EQ(RootAttribute(run.xml, "time_scale"), c.scale);
  }
}

// In-process (no watchdog) the kit's deadlines still follow the flag.
TEST(SupervisorTest, AnInProcessRunGivesTheKitTheScaleToo) {
  CLAIM("harness.supervisor.time-scale");
  const FixtureRun run =
      RunFixture({"--ipcproof_in_process", "--ipcproof_time_scale=4",
                  "--gtest_filter=Fixture.RecordsItsTimeScale"});
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
  const std::string test = TestCaseXml(run.xml, "RecordsItsTimeScale");
  EXPECT_EQ(PropertyValue(test, "measured.time_scale"), "4") << run.xml;
}

// A scale that is not a whole number from 1 to 100, from the flag or the
// environment, ends the run with status 2 before any test runs.
TEST(SupervisorTest, AMalformedTimeScaleEndsTheRunWithStatus2) {
  CLAIM("harness.supervisor.time-scale");
  for (const char* bad : {"0", "101", "ten", "2.5", "-1", "", "3s"}) {
    SCOPED_TRACE(bad);
    const FixtureRun flag =
        RunFixture({std::string("--ipcproof_time_scale=") + bad,
                    "--gtest_filter=Fixture.Passes"});
    EXPECT_TRUE(flag.status.ExitedWith(2)) << flag.status.ToString();
    EXPECT_THAT(flag.console,
                HasSubstr("--ipcproof_time_scale= wants a whole number from 1 "
                          "to 100 (got '" +
                          std::string(bad) + "')"));
    EXPECT_THAT(flag.console, Not(HasSubstr("[ RUN")));
  }
  const FixtureRun env = RunFixture({"--gtest_filter=Fixture.Passes"},
                                    {"IPCPROOF_TIME_SCALE=ten"});
  EXPECT_TRUE(env.status.ExitedWith(2)) << env.status.ToString();
  EXPECT_THAT(env.console, HasSubstr("IPCPROOF_TIME_SCALE wants a whole number "
                                     "from 1 to 100 (got 'ten')"));
}

TEST(WireTest, ParseTimeScaleTakesOnlyAWholeNumberFrom1To100) {
  CLAIM("harness.supervisor.time-scale");
  EXPECT_EQ(internal::ParseTimeScale("1"), 1);
  EXPECT_EQ(internal::ParseTimeScale("10"), 10);
  EXPECT_EQ(internal::ParseTimeScale("100"), 100);
  for (const char* bad :
       {"", "0", "101", "1000", "+5", "-5", " 5", "5 ", "5s", "0x10", "2.5"}) {
    EXPECT_EQ(internal::ParseTimeScale(bad), 0) << "'" << bad << "'";
  }
}

// --- Proof of blocking from /proc ------------------------------------------

TEST(TaskStateTest, SeesAChildBlockedInRead) {
  CLAIM("harness.blocked.read");
  ipc::Pipe pipe = ipc::Pipe::Create();
  ipc::ChildProcess reader = ipc::ChildProcess::Fork([&] {
    char byte;
    return ::read(pipe.read_fd(), &byte, 1) == 1 ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read));
  const auto state = ReadTaskState(reader.pid(), reader.pid());
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->state, 'S');
  EXPECT_EQ(state->args[0], static_cast<unsigned long>(pipe.read_fd()));
  EXPECT_THAT(state->ToString(), HasSubstr("in read("));
  pipe.WriteAll("x");
  EXPECT_TRUE(reader.Wait().ExitedWith(0));
}

TEST(TaskStateTest, SeesAThreadBlockedInRead) {
  CLAIM("harness.blocked.thread");
  ipc::Pipe pipe = ipc::Pipe::Create();
  std::atomic<pid_t> tid{0};
  std::jthread reader([&] {
    tid = CurrentTid();
    char byte;
    (void)::read(pipe.read_fd(), &byte, 1);
  });
  // The thread publishes its id before reading; wait for the id via /proc
  // semantics is not possible, so spin on the atomic (it is set at once).
  while (tid.load() == 0) std::this_thread::yield();
  EXPECT_TRUE(WaitUntilBlockedIn(::getpid(), tid.load(), {SYS_read}));
  pipe.WriteAll("x");
}

TEST(TaskStateTest, ReportsARunningTaskAsNotBlocked) {
  CLAIM("harness.blocked.negative");
  ipc::Pipe stop = ipc::Pipe::Create(O_NONBLOCK);
  ipc::ChildProcess spinner = ipc::ChildProcess::Fork([&] {
    char byte;
    // Busy: never sleeps, so it is never "blocked in read".
    while (::read(stop.read_fd(), &byte, 1) != 1) {
    }
    return 0;
  });
  const ::testing::AssertionResult blocked = WaitUntilBlockedIn(
      spinner.pid(), SYS_write, std::chrono::milliseconds(100));
  EXPECT_FALSE(blocked);
  EXPECT_THAT(blocked.message(), HasSubstr("was not blocked in write"));
  stop.WriteAll("x");
  EXPECT_TRUE(spinner.Wait().ExitedWith(0));
}

// A task that has exited never blocks: the wait says so at once, with the
// full default deadline still ahead of it.
TEST(TaskStateTest, ReportsAnExitedTaskAtOnce) {
  CLAIM("harness.blocked.exited");
  ipc::ChildProcess child = ipc::ChildProcess::Fork([] { return 0; });
  const pid_t pid = child.pid();
  ASSERT_TRUE(WaitUntilExited(pid));
  const ::testing::AssertionResult zombie = WaitUntilBlockedIn(pid, SYS_read);
  EXPECT_FALSE(zombie);
  EXPECT_THAT(zombie.message(),
              HasSubstr("pid " + std::to_string(pid) +
                        " exited (state Z) before blocking in read"));
  EXPECT_TRUE(child.Wait().ExitedWith(0));
  const ::testing::AssertionResult gone = WaitUntilBlockedIn(pid, SYS_read);
  EXPECT_FALSE(gone);
  EXPECT_THAT(gone.message(), HasSubstr("is gone"));
}

TEST(TaskStateTest, NamesSystemCallsFromTheKernelHeaders) {
  CLAIM("harness.syscall-names");
  EXPECT_EQ(SyscallName(SYS_read), "read");
  EXPECT_EQ(SyscallName(SYS_openat), "openat");
  EXPECT_EQ(SyscallName(SYS_msgrcv), "msgrcv");
  EXPECT_EQ(SyscallName(SYS_mq_timedreceive), "mq_timedreceive");
  EXPECT_EQ(SyscallName(-5), "syscall_-5");
}

// --- Child exit codes -----------------------------------------------------

// A child that reports a failed call through its exit code is described
// with the errno's name; a plain failure code is left as it is.
TEST(ChildExitTest, NamesTheErrnoAChildReportedThroughItsExitCode) {
  CLAIM("harness.child-exit");
  ipc::ChildProcess failed_open = ipc::ChildProcess::Fork([] {
    return ::open("/nonexistent/ipcproof", O_RDONLY) < 0 ? ErrnoExit() : 0;
  });
  const ipc::WaitStatus status = failed_open.Wait();
  EXPECT_TRUE(status.ExitedWith(ErrnoExit(ENOENT))) << status.ToString();
  EXPECT_THAT(DescribeChildExit(status), ::testing::HasSubstr("ENOENT"));
  const ::testing::AssertionResult zero = ExitedWithZero(status);
  EXPECT_FALSE(zero);
  EXPECT_THAT(zero.message(), ::testing::HasSubstr("ENOENT"));

  ipc::ChildProcess plain = ipc::ChildProcess::Fork([] { return 3; });
  const ipc::WaitStatus plain_status = plain.Wait();
  EXPECT_EQ(DescribeChildExit(plain_status), plain_status.ToString());
  EXPECT_TRUE(ExitedWithZero(ipc::ChildProcess::Fork([] { return 0; }).Wait()));
  // The largest errno still fits an exit status.
  EXPECT_LE(ErrnoExit(EHWPOISON), 255);
}

// --- Claims and matchers --------------------------------------------------

TEST(ClaimsTest, AccumulatesDeclaredClaimsInOrder) {
  CLAIM("harness.claims.first");
  CLAIM("harness.claims.second", "harness.claims.third");
  EXPECT_EQ(DeclaredClaims(),
            "harness.claims.first harness.claims.second harness.claims.third");
}

TEST(ClaimsTest, RejectsAMalformedClaimId) {
  CLAIM("harness.claims.validation");
  EXPECT_NONFATAL_FAILURE(CLAIM("Not A Claim"), "malformed claim id");
  EXPECT_NONFATAL_FAILURE(CLAIM("noarea"), "malformed claim id");
}

TEST(MatchersTest, ExplainAFailureWithTheErrnoName) {
  CLAIM("harness.matchers");
  EXPECT_THAT(::close(-1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::getpid(), SyscallSucceeds());
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(::close(-1), SyscallSucceeds()),
                          "EBADF (Bad file descriptor)");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(::close(-1), SyscallFailsWithErrno(EPIPE)), "EBADF");
  EXPECT_EQ(ErrnoName(ENXIO), "ENXIO (No such device or address)");
}

// --- The IPC-namespace sandbox --------------------------------------------

std::string IpcNamespaceOf(const std::string& pid) {
  char target[64] = {};
  const std::string link = "/proc/" + pid + "/ns/ipc";
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, n) : "";
}

TEST(SandboxTest, EntersAnIpcNamespaceOfItsOwn) {
  CLAIM("harness.sandbox.ipc-namespace");
  // Read before entering: from inside a new user namespace the supervisor's
  // /proc/PID/ns is no longer ours to read.
  const std::string before = IpcNamespaceOf("self");
  EXPECT_EQ(IpcNamespaceOf(std::to_string(::getppid())), before)
      << "a test starts in its supervisor's namespace";
  ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  EXPECT_NE(IpcNamespaceOf("self"), before);
  // A System V queue made here is in the new namespace only; it dies with
  // the namespace when the test process exits.
  const int id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  const std::string queues = ReadFileOrThrow("/proc/sysvipc/msg");
  EXPECT_THAT(queues, HasSubstr(" " + std::to_string(id) + " "));
}

TEST(SandboxTest, SysctlsOfThePrivateNamespaceAreOursToChange) {
  CLAIM("harness.sandbox.sysctl");
  ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  const int64_t msgmax = ReadSysctl("kernel/msgmax");
  WriteSysctl("kernel/msgmax", msgmax * 2);
  EXPECT_EQ(ReadSysctl("kernel/msgmax"), msgmax * 2);
}

TEST(SandboxTest, ReadSysctlNamesTheMissingFile) {
  CLAIM("harness.sandbox.sysctl");
  try {
    ReadSysctl("no/such/sysctl");
    ADD_FAILURE() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/proc/sys/no/such/sysctl"));
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

}  // namespace
}  // namespace ipcproof

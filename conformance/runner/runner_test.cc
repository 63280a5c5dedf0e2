// Tests of the harness itself: the supervisor (one process per test, the
// watchdog, leftover detection, merged XML), proof of blocking from /proc,
// claim tagging and the IPC-namespace sandbox.
#include <fcntl.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
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
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/test_control.h"
#include "conformance/procfs/files.h"
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

// Runs the fixture under its own supervisor with `args`, collecting its
// console output and merged XML (which is then deleted).
FixtureRun RunFixture(std::vector<std::string> args) {
  const std::string xml_path = UniqueTempPath("fixture") + ".xml";
  args.insert(args.begin(), {FixturePath(), "--gtest_output=xml:" + xml_path});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  ipc::Pipe output = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ipc::ChildProcess::Fork([&] {
    ::dup2(output.write_fd(), STDOUT_FILENO);
    ::dup2(output.write_fd(), STDERR_FILENO);
    ::execv(argv[0], argv.data());
    return 127;
  });
  output.CloseWriteEnd();
  FixtureRun run;
  char buffer[4096];
  for (size_t n;
       (n = output.Read(std::as_writable_bytes(std::span(buffer)))) > 0;) {
    run.console.append(buffer, n);
  }
  run.status = child.Wait();
  std::ifstream xml(xml_path);
  std::ostringstream text;
  text << xml.rdbuf();
  run.xml = text.str();
  ::unlink(xml_path.c_str());
  return run;
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

TEST(SupervisorTest, ATestMayExtendItsOwnWatchdog) {
  CLAIM("harness.supervisor.timeout-extension");
  const FixtureRun run = RunFixture(
      {"--ipcproof_timeout=1", "--gtest_filter=Fixture.ExtendsItsOwnWatchdog"});
  EXPECT_TRUE(run.status.ExitedWith(0)) << run.console;
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
}

TEST(SupervisorTest, EachTestRunsInItsOwnProcessWithItsOwnTempDir) {
  CLAIM("harness.supervisor.isolation");
  EXPECT_TRUE(RunningUnderSupervisor() ||
              std::getenv("IPCPROOF_TEST_TMPDIR") == nullptr);
  if (!RunningUnderSupervisor()) {
    SKIP_UNVERIFIED("run with --ipcproof_in_process");
  }
  // The supervisor is our parent, and a child subreaper.
  const std::string parent_comm =
      ReadFileOrThrow("/proc/" + std::to_string(::getppid()) + "/comm");
  const std::string our_comm = ReadFileOrThrow("/proc/self/comm");
  EXPECT_EQ(parent_comm, our_comm);
  EXPECT_EQ(::getpgrp(), ::getpid()) << "each test leads its process group";
  EXPECT_THAT(TestTempDir(), HasSubstr("/ipcproof."));
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

TEST(TaskStateTest, ReportsAnExitedTask) {
  CLAIM("harness.blocked.exited");
  ipc::ChildProcess child = ipc::ChildProcess::Fork([] { return 0; });
  ASSERT_TRUE(WaitUntilExited(child.pid()));
  const ::testing::AssertionResult blocked =
      WaitUntilBlockedIn(child.pid(), SYS_read, std::chrono::milliseconds(50));
  EXPECT_FALSE(blocked);
  EXPECT_TRUE(child.Wait().ExitedWith(0));
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

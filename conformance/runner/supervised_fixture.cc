// Tests that misbehave on purpose: a hang, a crash, a leaked process, a
// leaked file. runner_test.cc runs this binary under its own supervisor and
// checks that each misbehaviour is caught and reported. It is a cc_binary,
// never run by `bazel test` on its own (its failures are the point).
#include <mqueue.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "conformance/kit/blocking.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/test_control.h"
#include "gtest/gtest.h"
#include "ipc/pipe.h"

namespace {

TEST(Fixture, Passes) {
  CLAIM("harness.fixture-passes");
  ipcproof::RecordMeasurement("answer", 42);
  ipcproof::RecordMeasurement("ratio", 0.5);
}

// Run only with --gtest_also_run_disabled_tests.
TEST(Fixture, DISABLED_Passes) { CLAIM("harness.fixture-disabled"); }

TEST(Fixture, FailsAnExpectation) {
  CLAIM("harness.fixture-fails");
  EXPECT_EQ(1 + 1, 3) << "deliberate failure";
}

TEST(Fixture, Skips) {
  CLAIM("harness.fixture-skips");
  SKIP_UNVERIFIED("the fixture skips on purpose");
}

TEST(Fixture, HangsInRead) {
  CLAIM("harness.fixture-hangs");
  // The write end stays open in this process, so the read never ends.
  ipc::Pipe pipe = ipc::Pipe::Create();
  char byte;
  (void)::read(pipe.read_fd(), &byte, 1);
}

TEST(Fixture, CrashesAfterDeclaringItsClaim) {
  CLAIM("harness.fixture-crashes");
  ipcproof::RecordMeasurement("before_crash", 1);
  ::raise(SIGSEGV);
}

TEST(Fixture, LeavesAProcessBehind) {
  CLAIM("harness.fixture-leaks-process");
  // A raw fork with no owner: the child outlives the test.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  ipcproof::RecordMeasurement("leaked_pid", static_cast<int64_t>(pid));
  // So the supervisor's report can name the call the leftover sleeps in.
  ASSERT_TRUE(ipcproof::WaitUntilBlockedIn(pid, SYS_pause));
}

TEST(Fixture, LeavesAFileBehind) {
  CLAIM("harness.fixture-leaks-file");
  ipcproof::RecordTestProperty("temp_dir", ipcproof::TestTempDir());
  std::ofstream(ipcproof::TestTempDir() + "/forgotten.txt") << "left here";
}

// Sets a budget longer than the run's and then hangs: the watchdog must
// wait for that budget, and say that it was the one that ran out.
TEST(Fixture, ExtendsItsOwnWatchdogThenHangs) {
  CLAIM("harness.fixture-extends-timeout");
  ipcproof::SetTestTimeout(std::chrono::seconds(2));
  ipc::Pipe pipe = ipc::Pipe::Create();
  char byte;
  (void)::read(pipe.read_fd(), &byte, 1);
}

// Queues made with raw calls and never removed: only the namespace they
// were made in can take them away. Key and name are fixed so the harness test
// can look for them.
constexpr key_t kFixtureKey = 0x1bad0001;

void MakeQueuesAndLeaveThem(const char* posix_name) {
  ASSERT_GE(::msgget(kFixtureKey, IPC_CREAT | 0600), 0);
  const mqd_t mqd = ::mq_open(posix_name, O_CREAT | O_RDWR, 0600, nullptr);
  ASSERT_NE(mqd, static_cast<mqd_t>(-1));
}

TEST(Fixture, CrashesHoldingQueuesInAPrivateNamespace) {
  CLAIM("harness.fixture-crashes-with-queues");
  ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  MakeQueuesAndLeaveThem("/ipcproof-fixture-crash");
  ::raise(SIGSEGV);
}

TEST(Fixture, HangsHoldingQueuesInAPrivateNamespace) {
  CLAIM("harness.fixture-hangs-with-queues");
  ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  MakeQueuesAndLeaveThem("/ipcproof-fixture-hang");
  char buffer[sizeof(long) + 1];
  (void)::msgrcv(::msgget(kFixtureKey, 0), buffer, 1, 0, 0);
}

// The control: the same leak without a private namespace. It shows that the
// harness test's check can see a leak at all.
TEST(Fixture, LeavesQueuesInTheNamespaceItWasGiven) {
  CLAIM("harness.fixture-leaks-queues");
  MakeQueuesAndLeaveThem("/ipcproof-fixture-control");
}

}  // namespace

// Tests that misbehave on purpose: a hang, a crash, a leaked process, a
// leaked file. harness_test.cc runs this binary under the supervisor and
// checks that each misbehaviour is caught and reported. It is a cc_binary,
// never run by `bazel test` on its own (its failures are the point).
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "conformance/harness/claims.h"
#include "conformance/harness/sandbox.h"
#include "conformance/harness/supervisor.h"
#include "conformance/harness/task_state.h"
#include "gtest/gtest.h"
#include "ipc/pipe.h"

namespace {

TEST(Fixture, Passes) {
  CLAIM("harness.fixture-passes");
  ipcproof::RecordMeasurement("answer", 42);
  ipcproof::RecordMeasurement("ratio", 0.5);
}

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
  std::ofstream(ipcproof::TestTempDir() + "/forgotten.txt") << "left here";
}

TEST(Fixture, ExtendsItsOwnWatchdog) {
  CLAIM("harness.fixture-extends-timeout");
  ipcproof::SetTestTimeout(std::chrono::seconds(30));
  // Outlive a 1 s watchdog; a wait with a timeout, not a synchronisation.
  ::poll(nullptr, 0, 1500);
}

}  // namespace

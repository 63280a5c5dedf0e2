// Tests that misbehave on purpose: a hang, a crash, a leaked process, a
// leaked file, IPC names left in /dev/shm, a tracer that dies. runner_test.cc
// runs this binary under its own supervisor and checks that each misbehaviour
// is caught and reported. It is a cc_binary, never run by `bazel test` on its
// own (its failures are the point).
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "conformance/kit/blocking.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/syscall_counter.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/test_control.h"
#include "conformance/kit/time_scale.h"
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

// What the runner's time scale reached this test process as: the
// environment variable and the kit's reading of it.
TEST(Fixture, RecordsItsTimeScale) {
  CLAIM("harness.fixture-time-scale");
  const char* env = std::getenv("IPCPROOF_TIME_SCALE");
  ipcproof::RecordTestProperty("time_scale_env", env ? env : "(unset)");
  ipcproof::RecordMeasurement("time_scale", ipcproof::TimeScale());
  ipcproof::RecordMeasurement(
      "scaled_blocked_timeout_ms",
      static_cast<int64_t>(
          ipcproof::ScaledTimeout(ipcproof::kBlockedTimeout).count()));
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

// --- IPC names in watched directories --------------------------------------

// A POSIX shared memory object named with the test's prefix, left in
// /dev/shm; its name is recorded for the harness test to look for.
void MakeSharedMemoryName(const char* property) {
  const std::string name = ipcproof::UniqueIpcName("shm");
  ipcproof::RecordTestProperty(property, name);
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << "shm_open: " << ipcproof::ErrnoName(errno);
  ::close(fd);
}

TEST(Fixture, LeavesIpcNamesBehind) {
  CLAIM("harness.fixture-leaks-ipc-names");
  MakeSharedMemoryName("shm_name");
  // A named semaphore "/x" is /dev/shm/sem.x: found by "contains".
  const std::string sem = ipcproof::UniqueIpcName("sem");
  ipcproof::RecordTestProperty("sem_name", sem);
  sem_t* semaphore = ::sem_open(sem.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(semaphore, SEM_FAILED)
      << "sem_open: " << ipcproof::ErrnoName(errno);
  ::sem_close(semaphore);
}

TEST(Fixture, CrashesLeavingAnIpcName) {
  CLAIM("harness.fixture-crashes-with-ipc-name");
  MakeSharedMemoryName("shm_name");
  ::raise(SIGSEGV);
}

TEST(Fixture, HangsLeavingAnIpcName) {
  CLAIM("harness.fixture-hangs-with-ipc-name");
  MakeSharedMemoryName("shm_name");
  ipc::Pipe pipe = ipc::Pipe::Create();
  char byte;
  (void)::read(pipe.read_fd(), &byte, 1);
}

TEST(Fixture, RemovesItsOwnIpcNames) {
  CLAIM("harness.fixture-removes-ipc-names");
  const std::string shm = ipcproof::UniqueIpcName("shm");
  const int fd = ::shm_open(shm.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << "shm_open: " << ipcproof::ErrnoName(errno);
  ::close(fd);
  ASSERT_EQ(::shm_unlink(shm.c_str()), 0) << ipcproof::ErrnoName(errno);
  const std::string sem = ipcproof::UniqueIpcName("sem");
  sem_t* semaphore = ::sem_open(sem.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(semaphore, SEM_FAILED)
      << "sem_open: " << ipcproof::ErrnoName(errno);
  ::sem_close(semaphore);
  ASSERT_EQ(::sem_unlink(sem.c_str()), 0) << ipcproof::ErrnoName(errno);
}

// A file named like a semaphore of this test in the directory the harness
// test watches with --ipcproof_watch_dir and names in
// $IPCPROOF_FIXTURE_WATCHED_DIR.
TEST(Fixture, LeavesANameInAWatchedDirectory) {
  CLAIM("harness.fixture-leaks-watched-name");
  const char* dir = std::getenv("IPCPROOF_FIXTURE_WATCHED_DIR");
  ASSERT_NE(dir, nullptr);
  const std::string path =
      std::string(dir) + "/sem." + ipcproof::IpcNamePrefix() + "x";
  ipcproof::RecordTestProperty("watched_path", path);
  std::ofstream(path) << "left here";
}

// --- A tracer that dies
// -------------------------------------------------------

// The test process traces a child (kit/syscall_counter.h) and crashes while
// the child sits between its marks. The child must die with its tracer
// (PTRACE_O_EXITKILL, PR_SET_PDEATHSIG): detached instead, it would sleep
// in pause() forever. Its pid is recorded
// and printed (an in-process run has no wire).
TEST(Fixture, CrashesWhileTracing) {
  CLAIM("harness.fixture-crashes-tracing");
  ipcproof::SyscallCounterOptions options;
  options.on_first_mark = [](pid_t child) {
    ipcproof::RecordMeasurement("traced_pid", static_cast<int64_t>(child));
    std::printf("traced child %ld\n", static_cast<long>(child));
    std::fflush(stdout);
    ::raise(SIGSEGV);
  };
  const ipcproof::SyscallCount count = ipcproof::CountSyscallsBetweenMarks(
      [] {
        // Holding the console pipe open would keep the harness test's read
        // of it waiting on this child.
        ::close(STDOUT_FILENO);
        ::close(STDERR_FILENO);
        ipcproof::SyscallCountStartMark();
        ::pause();
        ipcproof::SyscallCountEndMark();
        return 0;
      },
      options);
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ADD_FAILURE() << "the tracer survived its crash: " << count.Describe();
}

}  // namespace

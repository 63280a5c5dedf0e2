// ipc::ChildProcess and ipc::WaitStatus (ipc/child_process.h). The first
// part decodes wait statuses built with the <sys/wait.h> encoding macros and
// forks real children: arguments refused before fork, a throwing body's exit
// code, and that every child is reaped. Those tests order parent and child
// through a pipe (the child blocks in read(2) until the parent writes),
// never by time. The last part injects faults through the
// ipc::ProcessSyscalls seam: what EINTR, ECHILD and other errors from
// waitpid(2) and kill(2) do to the wrapper's record of its child, which no
// real child can be made to produce on demand.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "conformance/unit/mock_process_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"

namespace ipcproof::unit {
namespace {

using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsNull;
using ::testing::MockFunction;
using ::testing::Not;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;

// ---------------------------------------------------------------- WaitStatus

TEST(WaitStatusTest, DecodesANormalExit) {
  const ipc::WaitStatus status(W_EXITCODE(3, 0));
  EXPECT_TRUE(status.exited());
  EXPECT_FALSE(status.signaled());
  EXPECT_EQ(status.exit_code(), 3);
  EXPECT_TRUE(status.ExitedWith(3));
  EXPECT_FALSE(status.ExitedWith(0));
  EXPECT_FALSE(status.KilledBy(SIGKILL));
  EXPECT_EQ(status.ToString(), "exited with status 3");
}

TEST(WaitStatusTest, ExitZeroIsNotASignal) {
  const ipc::WaitStatus status(W_EXITCODE(0, 0));
  EXPECT_TRUE(status.ExitedWith(0));
  EXPECT_FALSE(status.signaled());
}

TEST(WaitStatusTest, DecodesDeathBySignal) {
  const ipc::WaitStatus status(W_EXITCODE(0, SIGKILL));
  EXPECT_TRUE(status.signaled());
  EXPECT_FALSE(status.exited());
  EXPECT_EQ(status.term_signal(), SIGKILL);
  EXPECT_TRUE(status.KilledBy(SIGKILL));
  EXPECT_FALSE(status.KilledBy(SIGTERM));
  // An exit code of 9 must not be mistaken for signal 9, nor the reverse.
  EXPECT_FALSE(status.ExitedWith(SIGKILL));
  EXPECT_FALSE(ipc::WaitStatus(W_EXITCODE(SIGKILL, 0)).KilledBy(SIGKILL));
  EXPECT_THAT(status.ToString(), HasSubstr("killed by signal 9"));
  EXPECT_THAT(status.ToString(), HasSubstr(sigdescr_np(SIGKILL)));
  EXPECT_THAT(status.ToString(), Not(HasSubstr("core dumped")));
}

TEST(WaitStatusTest, ReportsACoreDump) {
  const ipc::WaitStatus status(W_EXITCODE(0, SIGSEGV) | WCOREFLAG);
  EXPECT_TRUE(status.KilledBy(SIGSEGV));
  EXPECT_THAT(status.ToString(),
              HasSubstr("killed by signal " + std::to_string(SIGSEGV)));
  EXPECT_THAT(status.ToString(), HasSubstr("core dumped"));
}

TEST(WaitStatusTest, DescribesAStoppedChild) {
  const ipc::WaitStatus status(W_STOPCODE(SIGSTOP));
  EXPECT_FALSE(status.exited());
  EXPECT_FALSE(status.signaled());
  EXPECT_EQ(status.ToString(), "stopped by signal " + std::to_string(SIGSTOP));
}

// -------------------------------------------------------------- ChildProcess

// A child that blocks in read(2) on `pipe` until the parent writes a byte,
// then exits 0 (1 if the read fails). Only async-signal-safe work.
std::function<int()> WaitForByte(const ipc::Pipe& pipe) {
  const int fd = pipe.read_fd();
  return [fd] {
    char byte;
    return ::read(fd, &byte, 1) == 1 ? 0 : 1;
  };
}

// True when `pid` is no longer a child of this process (it was reaped).
bool Reaped(pid_t pid) {
  return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

TEST(ChildProcessTest, ForkRefusesAnEmptyBody) {
  EXPECT_THAT([] { ipc::ChildProcess::Fork(std::function<int()>()); },
              ThrowsInvalidArgument());
  // Had it forked, a child would be waiting to be reaped.
  EXPECT_TRUE(::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
}

TEST(ChildProcessTest, ExitCodeIsWhatTheBodyReturns) {
  ipc::ChildProcess child = ipc::ChildProcess::Fork([] { return 42; });
  const ipc::WaitStatus status = child.Wait();
  EXPECT_TRUE(status.ExitedWith(42)) << status.ToString();
  EXPECT_TRUE(child.reaped());
}

TEST(ChildProcessTest, ABodyThatThrowsExitsWithKBodyThrew) {
  ipc::ChildProcess child = ipc::ChildProcess::Fork(
      []() -> int { throw std::runtime_error("body failed"); });
  const ipc::WaitStatus status = child.Wait();
  EXPECT_TRUE(status.ExitedWith(ipc::ChildProcess::kBodyThrew))
      << status.ToString();
}

TEST(ChildProcessTest, TryWaitIsEmptyWhileTheChildRunsAndWaitReapsIt) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ipc::ChildProcess::Fork(WaitForByte(pipe));

  // The child cannot exit before it reads the byte written below.
  EXPECT_EQ(child.TryWait(), std::nullopt);
  EXPECT_FALSE(child.reaped());

  pipe.WriteAll("x");
  const ipc::WaitStatus status = child.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << status.ToString();
}

TEST(ChildProcessTest, KillDeliversSigkillAndReaps) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ipc::ChildProcess::Fork(WaitForByte(pipe));
  const pid_t pid = child.pid();

  const ipc::WaitStatus status = child.Kill();
  EXPECT_TRUE(status.KilledBy(SIGKILL)) << status.ToString();
  EXPECT_TRUE(child.reaped());
  EXPECT_TRUE(Reaped(pid));
}

TEST(ChildProcessTest, CallsAfterReapingAreRefused) {
  ipc::ChildProcess child = ipc::ChildProcess::Fork([] { return 0; });
  ASSERT_TRUE(child.Wait().ExitedWith(0));

  // The pid may already belong to another process: no call may use it.
  EXPECT_THAT([&] { child.Wait(); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { child.TryWait(); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { child.Signal(SIGTERM); }, ThrowsInvalidArgument());
}

TEST(ChildProcessTest, DestructorKillsAndReapsARunningChild) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pid_t pid = -1;
  {
    ipc::ChildProcess child = ipc::ChildProcess::Fork(WaitForByte(pipe));
    pid = child.pid();
    ASSERT_GT(pid, 0);
  }
  // No zombie left: the pid is no longer our child.
  EXPECT_TRUE(Reaped(pid));
}

TEST(ChildProcessTest, MovedFromChildIsNotKilledTwice) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess original = ipc::ChildProcess::Fork(WaitForByte(pipe));
  const pid_t pid = original.pid();
  ipc::ChildProcess moved = std::move(original);
  EXPECT_TRUE(original.reaped());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.pid(), pid);

  pipe.WriteAll("x");
  EXPECT_TRUE(moved.Wait().ExitedWith(0));
}

TEST(ChildProcessTest, MoveAssignmentKillsAndReapsTheTargetsOldChild) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess target = ipc::ChildProcess::Fork(WaitForByte(pipe));
  const pid_t old_pid = target.pid();
  ipc::ChildProcess source = ipc::ChildProcess::Fork([] { return 7; });

  target = std::move(source);
  EXPECT_TRUE(Reaped(old_pid));
  EXPECT_TRUE(target.Wait().ExitedWith(7));
}

// ------------------------------------------------- Through the seam (mocked)

class ChildProcessSeamTest : public MockedProcessSyscallsTest {
 protected:
  // A ChildProcess whose fork "returned" kFakePid; its body never runs.
  ipc::ChildProcess MakeChild() {
    EXPECT_CALL(sys_, Fork()).WillOnce(Return(kFakePid));
    return ipc::ChildProcess::Fork([] { return 0; });
  }
  // The destructor's SIGKILL and blocking waitpid for a child not reaped.
  void ExpectKilledAndReapedAtTheEnd() {
    InSequence in_order;
    EXPECT_CALL(sys_, Kill(kFakePid, SIGKILL)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Waitpid(kFakePid, IsNull(), 0))
        .WillOnce(Return(kFakePid));
  }
};

// waitpid returning `pid` with `status` stored, as the kernel reports an
// ended child.
auto Reports(int status) {
  return DoAll(SetArgPointee<1>(status), Return(kFakePid));
}

TEST_F(ChildProcessSeamTest, ForkFailureThrowsNamingForkAndLeavesNoChild) {
  // fork(2) EAGAIN: a process limit was reached. Nothing to kill or reap
  // afterwards (StrictMock: no kill, no waitpid).
  EXPECT_CALL(sys_, Fork()).WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT([] { ipc::ChildProcess::Fork([] { return 0; }); },
              ThrowsSystemError(EAGAIN, HasSubstr("fork")));
}

TEST_F(ChildProcessSeamTest, WaitRetriesAfterEintrAndReapsOnce) {
  // waitpid(2) EINTR: "WNOHANG was not set and an unblocked signal or a
  // SIGCHLD was caught". The child is still there; waiting must go on.
  ipc::ChildProcess child = MakeChild();
  EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Reports(W_EXITCODE(3, 0)));

  const ipc::WaitStatus status = child.Wait();
  EXPECT_TRUE(status.ExitedWith(3)) << status.ToString();
  EXPECT_TRUE(child.reaped());
  // Reaped: the destructor must not signal or wait for the pid again.
}

TEST_F(ChildProcessSeamTest, WaitEchildForgetsThePidSoNothingKillsItLater) {
  // ECHILD: the child is not ours to wait for (SIGCHLD set to SIG_IGN reaps
  // children at once). Its pid may already belong to another process, so
  // the destructor must not SIGKILL it (StrictMock: no kill).
  ipc::ChildProcess child = MakeChild();
  EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), 0))
      .WillOnce(SetErrnoAndReturn(ECHILD, -1));

  EXPECT_THAT(
      [&] { child.Wait(); },
      ThrowsSystemError(
          ECHILD, HasSubstr("waitpid(" + std::to_string(kFakePid) + ")")));
  EXPECT_TRUE(child.reaped());
}

TEST_F(ChildProcessSeamTest, WaitFailingOtherwiseKeepsTheChildToKillLater) {
  // Any other error leaves the child ours: the destructor still kills and
  // reaps it, so no process outlives the test.
  ipc::ChildProcess child = MakeChild();
  EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), 0))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ExpectKilledAndReapedAtTheEnd();

  EXPECT_THAT([&] { child.Wait(); },
              ThrowsSystemError(EINVAL, HasSubstr("waitpid")));
  EXPECT_FALSE(child.reaped());
}

TEST_F(ChildProcessSeamTest, TryWaitMapsZeroToNothingYetThenReaps) {
  // waitpid(2) with WNOHANG: "0 if ... the child specified by pid exists
  // but has not yet changed state".
  ipc::ChildProcess child = MakeChild();
  EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), WNOHANG))
      .WillOnce(Return(0))
      .WillOnce(Reports(W_EXITCODE(0, SIGTERM)));

  EXPECT_EQ(child.TryWait(), std::nullopt);
  EXPECT_FALSE(child.reaped());
  const std::optional<ipc::WaitStatus> status = child.TryWait();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->KilledBy(SIGTERM)) << status->ToString();
  EXPECT_TRUE(child.reaped());
}

TEST_F(ChildProcessSeamTest, TryWaitEchildForgetsThePid) {
  ipc::ChildProcess child = MakeChild();
  EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), WNOHANG))
      .WillOnce(SetErrnoAndReturn(ECHILD, -1));

  EXPECT_THAT([&] { child.TryWait(); },
              ThrowsSystemError(ECHILD, HasSubstr("WNOHANG")));
  EXPECT_TRUE(child.reaped());
}

TEST_F(ChildProcessSeamTest, SignalPassesTheSignalAndThrowsNamingKill) {
  ipc::ChildProcess child = MakeChild();
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Kill(kFakePid, SIGTERM))
        .WillOnce(Return(0))
        .WillOnce(SetErrnoAndReturn(EPERM, -1));
  }
  ExpectKilledAndReapedAtTheEnd();

  child.Signal(SIGTERM);
  EXPECT_THAT([&] { child.Signal(SIGTERM); },
              ThrowsSystemError(
                  EPERM, HasSubstr("kill(" + std::to_string(kFakePid) + ", " +
                                   std::to_string(SIGTERM) + ")")));
}

TEST_F(ChildProcessSeamTest, KillSendsSigkillThenWaitsForTheStatus) {
  ipc::ChildProcess child = MakeChild();
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Kill(kFakePid, SIGKILL)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Waitpid(kFakePid, NotNull(), 0))
        .WillOnce(Reports(W_EXITCODE(0, SIGKILL)));
  }

  EXPECT_TRUE(child.Kill().KilledBy(SIGKILL));
  EXPECT_TRUE(child.reaped());
}

TEST_F(ChildProcessSeamTest, DestructorKillsThenReapsRetryingEintr) {
  // The destructor cannot throw and must not leave a zombie: a signal
  // arriving during its waitpid must not end the wait.
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(checkpoint, Call("going away"));
    EXPECT_CALL(sys_, Kill(kFakePid, SIGKILL)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Waitpid(kFakePid, IsNull(), 0))
        .WillOnce(SetErrnoAndReturn(EINTR, -1))
        .WillOnce(Return(kFakePid));
  }
  {
    ipc::ChildProcess child = MakeChild();
    checkpoint.Call("going away");
  }
}

TEST_F(ChildProcessSeamTest, MoveAssignmentKillsAndReapsTheTargetsChildFirst) {
  constexpr pid_t kOtherPid = kFakePid + 1;
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Kill(kOtherPid, SIGKILL)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Waitpid(kOtherPid, IsNull(), 0))
        .WillOnce(Return(kOtherPid));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Kill(kFakePid, SIGKILL)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Waitpid(kFakePid, IsNull(), 0))
        .WillOnce(Return(kFakePid));
  }
  EXPECT_CALL(sys_, Fork())
      .WillOnce(Return(kFakePid))
      .WillOnce(Return(kOtherPid));
  {
    ipc::ChildProcess source = ipc::ChildProcess::Fork([] { return 0; });
    ipc::ChildProcess target = ipc::ChildProcess::Fork([] { return 0; });
    target = std::move(source);
    EXPECT_EQ(target.pid(), kFakePid);
    checkpoint.Call("assigned");
  }
}

}  // namespace
}  // namespace ipcproof::unit

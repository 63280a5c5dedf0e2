// ipc::ChildProcess and ipc::WaitStatus (ipc/child_process.h). They do not
// go through the Syscalls seam (fork/waitpid/kill are called directly), so
// this file checks the wrapper's own logic: decoding of wait statuses from
// statuses built with the <sys/wait.h> encoding macros, arguments refused
// before fork, a throwing body's exit code, and that every child is reaped.
// The few tests that fork order parent and child through a pipe (the child
// blocks in read(2) until the parent writes), never by time.
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

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"

namespace ipcproof::unit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace ipcproof::unit

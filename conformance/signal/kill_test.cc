// sig.kill-stops-at-once: "kill 指令就是发送信号，表示立即停止该线程" — kill
// stops the thread at once. What the kernel does (signal(7), kill(2)): kill
// sends any signal, SIGTERM by default, which a process may catch or
// ignore and go on; only SIGKILL and SIGSTOP "cannot be caught, blocked, or
// ignored"; signal 0 only checks that the process exists and that the
// sender may signal it; SIGSTOP / SIGCONT move a process to state T and
// back; and a fatal signal ends the whole process, every thread of it, not
// one thread. Also what gVisor's kill.cc asserts (process groups, invalid
// signals, EPERM across uids, SIGCONT within a session, a stop that SIGTERM
// does not end); docs/peers/signal.md maps it.
//
// Kernel branches (Linux 6.12 kernel/signal.c): do_sigaction() refuses
// sig_kernel_only() signals; sigprocmask() / set_current_blocked() remove
// SIGKILL|SIGSTOP from every new mask; kill_ok_by_cred() and the SIGCONT
// same-session exception in check_kill_permission(); prepare_signal()
// (SIGCONT flushes stops, a stop flushes SIGCONT); complete_signal() turns a
// fatal signal into a group exit (SIGNAL_GROUP_EXIT, every thread SIGKILLed).
//
// Every target is a child blocked in read(2), proven from /proc before it is
// signalled; "it goes on" is proven by it answering a request afterwards.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/procfs/task.h"
#include "conformance/signal/lifecycle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"

namespace ipcproof {
namespace {

using ::testing::Eq;

// Blocks in read(2) on `fd` until a byte arrives or end of file, retrying
// after EINTR (a handler ran). Returns the read's result.
ssize_t ReadOneByte(int fd, char* byte) {
  ssize_t n;
  while ((n = ::read(fd, byte, 1)) < 0 && errno == EINTR) {
  }
  return n;
}

// A target child: SIGTERM and SIGCONT at their defaults, blocked in read(2)
// on `go` until the parent closes it; exits 0.
ipc::ChildProcess ForkTarget(ipc::Pipe& go, ipc::ChildOptions options = {}) {
  return ipc::ChildProcess::Fork(
      [&go] {
        go.CloseWriteEnd();
        if (!RestoreDefaultSignal(SIGTERM) || !RestoreDefaultSignal(SIGCONT)) {
          return 1;
        }
        char byte;
        return ReadOneByte(go.read_fd(), &byte) == 0 ? 0 : 2;
      },
      options);
}

volatile sig_atomic_t g_caught = 0;
void CountSignal(int) { g_caught = g_caught + 1; }

// A child that answers each byte on `requests` with the number of SIGTERMs
// it has caught (one byte) on `replies`, handling SIGTERM as `disposition`
// says; exits 0 at end of file.
ipc::ChildProcess ForkAnsweringChild(ipc::Pipe& requests, ipc::Pipe& replies,
                                     void (*disposition)(int)) {
  return ipc::ChildProcess::Fork([&requests, &replies, disposition] {
    requests.CloseWriteEnd();
    replies.CloseReadEnd();
    struct sigaction action {};
    action.sa_handler = disposition;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGTERM, &action, nullptr) != 0) return ErrnoExit();
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGTERM);
    if (::sigprocmask(SIG_UNBLOCK, &unblock, nullptr) != 0) return ErrnoExit();
    char byte;
    while (ReadOneByte(requests.read_fd(), &byte) == 1) {
      const char count = static_cast<char>(g_caught);
      if (::write(replies.write_fd(), &count, 1) != 1) return 3;
    }
    return 0;
  });
}

// Sends SIGTERM (kill(1)'s default) to a child that handles it as
// `disposition`, then asks it a question: it must answer, alive.
void ExpectSigtermSurvived(void (*disposition)(int), int expected_caught,
                           const char* status_field) {
  ipc::Pipe requests = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe replies = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkAnsweringChild(requests, replies, disposition);
  requests.CloseReadEnd();
  replies.CloseWriteEnd();
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read));
  const std::optional<uint64_t> mask =
      ProcStatusMask(child.pid(), status_field);
  ASSERT_TRUE(mask);
  EXPECT_TRUE(MaskHas(*mask, SIGTERM))
      << status_field << " of the child lacks SIGTERM: " << std::hex << *mask;

  ASSERT_THAT(::kill(child.pid(), SIGTERM), SyscallSucceeds());
  ASSERT_THAT(::write(requests.write_fd(), "?", 1),
              SyscallSucceedsWithValue(1));
  const Received answer = ReadWithin(replies.read_fd(), 1);
  ASSERT_EQ(answer.bytes.size(), 1u)
      << "no answer after SIGTERM: " << DescribeUnfinishedChild(child);
  EXPECT_EQ(answer.bytes[0], expected_caught);
  // Still there, back in read(2).
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read));
  requests.CloseWriteEnd();
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

TEST(KillSignalTest, SigtermCanBeCaughtAndTheProcessGoesOn) {
  CLAIM("sig.kill-stops-at-once");
  ExpectSigtermSurvived(CountSignal, 1, "SigCgt");
}

TEST(KillSignalTest, SigtermCanBeIgnoredAndTheProcessGoesOn) {
  CLAIM("sig.kill-stops-at-once");
  ExpectSigtermSurvived(SIG_IGN, 0, "SigIgn");
}

TEST(KillSignalTest, SigtermAtItsDefaultEndsTheProcess) {
  CLAIM("sig.kill-stops-at-once");
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkTarget(go);
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read));
  ASSERT_THAT(::kill(child.pid(), SIGTERM), SyscallSucceeds());
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGTERM)) << DescribeChildExit(status);
}

// signal(7): "The signals SIGKILL and SIGSTOP cannot be caught, blocked, or
// ignored"; sigaction(2): EINVAL for "an attempt is made to change the
// action for SIGKILL or SIGSTOP". Reading their action is allowed.
TEST(KillSignalTest, SigkillAndSigstopCannotBeCaughtOrIgnored) {
  CLAIM("sig.kill-stops-at-once");
  for (const int sig : {SIGKILL, SIGSTOP}) {
    SCOPED_TRACE(strsignal(sig));
    struct sigaction handler {};
    handler.sa_handler = CountSignal;
    EXPECT_THAT(::sigaction(sig, &handler, nullptr),
                SyscallFailsWithErrno(EINVAL));
    struct sigaction info_handler {};
    info_handler.sa_flags = SA_SIGINFO;
    info_handler.sa_sigaction = [](int, siginfo_t*, void*) {};
    EXPECT_THAT(::sigaction(sig, &info_handler, nullptr),
                SyscallFailsWithErrno(EINVAL));
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    EXPECT_THAT(::sigaction(sig, &ignore, nullptr),
                SyscallFailsWithErrno(EINVAL));
    struct sigaction current {};
    EXPECT_THAT(::sigaction(sig, nullptr, &current), SyscallSucceeds());
    EXPECT_EQ(current.sa_handler, SIG_DFL);
    EXPECT_EQ(::signal(sig, SIG_IGN), SIG_ERR);
  }
}

// sigprocmask(2): "It is not possible to block SIGKILL or SIGSTOP. Attempts
// to do so are silently ignored." The child blocks every signal; its mask
// (read back, and SigBlk in /proc) lacks exactly those two, and both still
// act on it: SIGSTOP stops it, SIGKILL ends it while stopped.
TEST(KillSignalTest, SigprocmaskSilentlyDropsSigkillAndSigstop) {
  CLAIM("sig.kill-stops-at-once");
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ipc::ChildProcess::Fork([&go] {
    go.CloseWriteEnd();
    sigset_t all, now;
    sigfillset(&all);
    if (::sigprocmask(SIG_SETMASK, &all, nullptr) != 0) return ErrnoExit();
    if (::sigprocmask(SIG_SETMASK, nullptr, &now) != 0) return ErrnoExit();
    if (sigismember(&now, SIGKILL)) return 4;
    if (sigismember(&now, SIGSTOP)) return 5;
    if (!sigismember(&now, SIGTERM)) return 6;
    char byte;
    return ReadOneByte(go.read_fd(), &byte) == 0 ? 0 : 2;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read))
      << "(exit 4/5: the read-back mask holds SIGKILL/SIGSTOP)";
  const std::optional<uint64_t> blocked = ProcStatusMask(child.pid(), "SigBlk");
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(MaskHas(*blocked, SIGKILL)) << std::hex << *blocked;
  EXPECT_FALSE(MaskHas(*blocked, SIGSTOP)) << std::hex << *blocked;
  EXPECT_TRUE(MaskHas(*blocked, SIGTERM)) << std::hex << *blocked;
  EXPECT_TRUE(MaskHas(*blocked, SIGUSR1)) << std::hex << *blocked;

  // SIGTERM, blocked, stays pending and does nothing.
  ASSERT_THAT(::kill(child.pid(), SIGTERM), SyscallSucceeds());
  const std::optional<uint64_t> pending = ProcStatusMask(child.pid(), "ShdPnd");
  ASSERT_TRUE(pending);
  EXPECT_TRUE(MaskHas(*pending, SIGTERM));
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read));

  ASSERT_THAT(::kill(child.pid(), SIGSTOP), SyscallSucceeds());
  ASSERT_TRUE(WaitUntilStopped(child.pid()))
      << "a blocked SIGSTOP stopped nothing";
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGKILL)) << DescribeChildExit(status);
}

// kill(2): "If sig is 0, then no signal is sent, but existence and
// permission checks are still performed".
TEST(KillSignalTest, SignalZeroTestsExistence) {
  CLAIM("sig.kill-stops-at-once");
  EXPECT_THAT(::kill(::getpid(), 0), SyscallSucceeds());
  EXPECT_THAT(::kill(0, 0), SyscallSucceeds()) << "our own process group";
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkTarget(go);
  const pid_t pid = child.pid();
  ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read));
  EXPECT_THAT(::kill(pid, 0), SyscallSucceeds());
  ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read)) << "signal 0 disturbed it";
  go.CloseWriteEnd();
  ASSERT_TRUE(WaitUntilExited(pid));
  EXPECT_THAT(::kill(pid, 0), SyscallSucceeds()) << "a zombie still exists";
  EXPECT_TRUE(child.Wait().ExitedWith(0));
  EXPECT_THAT(::kill(pid, 0), SyscallFailsWithErrno(ESRCH))
      << "the reaped pid " << pid << " still answers";
  EXPECT_THAT(::kill(pid, SIGKILL), SyscallFailsWithErrno(ESRCH));
}

// gVisor KillTest.CannotUseInvalidSignal: numbers past the last real-time
// signal (and negative ones) fail EINVAL before any lookup.
TEST(KillSignalTest, InvalidSignalNumbersFailEinval) {
  CLAIM("sig.kill-stops-at-once");
  EXPECT_THAT(::kill(::getpid(), 200), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::kill(::getpid(), SIGRTMAX + 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::kill(::getpid(), -1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::syscall(SYS_tgkill, ::getpid(), ::getpid(), 200),
              SyscallFailsWithErrno(EINVAL));
}

// kill(2): an unprivileged sender needs its real or effective uid to match
// the target's real or saved uid; otherwise EPERM — for signal 0 too, and
// for every call that sends one (gVisor ChildDropsPrivsCannotKill). The
// target is a sibling (uid 0), not the test process, so a kernel that lets
// SIGKILL through kills only the sibling (and fails the test).
TEST(KillSignalTest, AnotherUidGetsEpermFromEveryCallThatSends) {
  CLAIM("sig.kill-stops-at-once");
  SKIP_UNLESS_OTHER_UID();
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess target = ForkTarget(go);
  const pid_t victim = target.pid();
  ASSERT_TRUE(WaitUntilBlockedIn(victim, SYS_read));
  ipc::ChildProcess sender = ipc::ChildProcess::Fork([victim] {
    const int dropped = DropToUid(kOtherUid, kOtherGid);
    if (dropped != 0) return dropped;
    if (::kill(victim, 0) == 0 || errno != EPERM) return 10;
    if (::kill(victim, SIGKILL) == 0 || errno != EPERM) return 11;
    if (::syscall(SYS_tgkill, victim, victim, SIGKILL) == 0 || errno != EPERM)
      return 12;
    if (::syscall(SYS_tkill, victim, SIGKILL) == 0 || errno != EPERM) return 13;
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    info.si_code = SI_QUEUE;
    if (::syscall(SYS_rt_sigqueueinfo, victim, SIGKILL, &info) == 0 ||
        errno != EPERM)
      return 14;
    if (::syscall(SYS_rt_tgsigqueueinfo, victim, victim, SIGKILL, &info) == 0 ||
        errno != EPERM)
      return 15;
    // Its own process is fine.
    if (::kill(::getpid(), 0) != 0) return 16;
    return 0;
  });
  ASSERT_CHILD_EXITS(sender, status);
  EXPECT_TRUE(status.ExitedWith(0))
      << DescribeChildExit(status)
      << " (10..15: kill 0, kill, tgkill, tkill, rt_sigqueueinfo, "
         "rt_tgsigqueueinfo did not fail EPERM)";
  ASSERT_TRUE(WaitUntilBlockedIn(victim, SYS_read)) << "the target was hit";
  go.CloseWriteEnd();
  EXPECT_TRUE(ExitsWithZeroWithin(target));
}

// kill(2) NOTES / check_kill_permission(): SIGCONT may be sent to any
// process of the same session whatever the uids (gVisor
// CanSIGCONTSameSession).
TEST(KillSignalTest, SigcontCrossesUidsWithinTheSession) {
  CLAIM("sig.kill-stops-at-once");
  SKIP_UNLESS_OTHER_UID();
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess target = ForkTarget(go, {.new_process_group = true});
  const pid_t victim = target.pid();
  ASSERT_TRUE(WaitUntilBlockedIn(victim, SYS_read));
  ASSERT_THAT(::kill(victim, SIGSTOP), SyscallSucceeds());
  ASSERT_TRUE(WaitUntilStopped(victim));
  ipc::ChildProcess sender = ipc::ChildProcess::Fork([victim] {
    const int dropped = DropToUid(kOtherUid, kOtherGid);
    if (dropped != 0) return dropped;
    if (::kill(victim, SIGKILL) == 0 || errno != EPERM) return 10;
    if (::kill(victim, SIGCONT) != 0) return ErrnoExit();
    return 0;
  });
  ASSERT_CHILD_EXITS(sender, status);
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
  EXPECT_TRUE(WaitUntilBlockedIn(victim, SYS_read))
      << "SIGCONT from the other uid did not resume the target";
  go.CloseWriteEnd();
  EXPECT_TRUE(ExitsWithZeroWithin(target));
}

TEST(KillSignalTest, SigstopAndSigcontMoveTheProcessThroughStateT) {
  CLAIM("sig.kill-stops-at-once");
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkTarget(go);
  const pid_t pid = child.pid();
  ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read));
  EXPECT_THAT(ProcessState(pid), Eq(std::optional<char>('S')));
  ASSERT_THAT(::kill(pid, SIGSTOP), SyscallSucceeds());
  ASSERT_TRUE(WaitUntilStopped(pid));
  EXPECT_THAT(ProcessState(pid), Eq(std::optional<char>('T')));
  int raw = 0;
  ASSERT_THAT(::waitpid(pid, &raw, WUNTRACED), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSTOPPED(raw) && WSTOPSIG(raw) == SIGSTOP) << raw;
  ASSERT_THAT(::kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_THAT(::waitpid(pid, &raw, WCONTINUED), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFCONTINUED(raw)) << raw;
  ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read)) << "not back in read";
  EXPECT_THAT(ProcessState(pid), Eq(std::optional<char>('S')));
  go.CloseWriteEnd();
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// gVisor SIGTERMDoesNotEndGroupStop: a fatal signal other than SIGKILL sent
// to a stopped process stays pending (ShdPnd) and acts only after SIGCONT.
TEST(KillSignalTest, SigtermToAStoppedProcessWaitsForSigcont) {
  CLAIM("sig.kill-stops-at-once");
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkTarget(go);
  const pid_t pid = child.pid();
  ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read));
  ASSERT_THAT(::kill(pid, SIGSTOP), SyscallSucceeds());
  ASSERT_TRUE(WaitUntilStopped(pid));
  ASSERT_THAT(::kill(pid, SIGTERM), SyscallSucceeds());
  // The signal is queued by the time kill returns (prepare_signal and
  // __send_signal run in the sender): pending, and the process still T.
  const std::optional<uint64_t> pending = ProcStatusMask(pid, "ShdPnd");
  ASSERT_TRUE(pending);
  EXPECT_TRUE(MaskHas(*pending, SIGTERM)) << std::hex << *pending;
  EXPECT_THAT(ProcessState(pid), Eq(std::optional<char>('T')));
  EXPECT_EQ(child.TryWait(), std::nullopt) << "SIGTERM ended the stop";
  ASSERT_THAT(::kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGTERM)) << DescribeChildExit(status);
}

// gVisor KillTest.ProcessGroups / SetPgid: kill(-pgid) reaches every member
// of the group and nobody else; a group that does not exist gives ESRCH;
// setpgid into a group that does not exist fails EPERM. kill(-1) (every process
// the caller may signal) is never sent: on the host it would hit everything the
// user owns.
TEST(KillSignalTest, NegativePidSignalsEveryMemberOfTheGroupOnly) {
  CLAIM("sig.kill-stops-at-once");
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess leader = ForkTarget(go, {.new_process_group = true});
  ipc::ChildProcess outsider = ForkTarget(go);
  ASSERT_TRUE(WaitUntilBlockedIn(leader.pid(), SYS_read));
  ASSERT_TRUE(WaitUntilBlockedIn(outsider.pid(), SYS_read));
  const pid_t group = leader.pid();
  EXPECT_THAT(::kill(-outsider.pid(), 0), SyscallFailsWithErrno(ESRCH))
      << "no group has the outsider's pid as its id";
  ipc::ChildProcess member = ipc::ChildProcess::Fork([&go, group] {
    go.CloseWriteEnd();
    if (::setpgid(0, group) != 0) return ErrnoExit();
    if (!RestoreDefaultSignal(SIGTERM)) return 1;
    char byte;
    return ReadOneByte(go.read_fd(), &byte) == 0 ? 0 : 2;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(member.pid(), SYS_read));
  ASSERT_EQ(ReadTaskStat(member.pid(), member.pid())->pgrp, group);
  EXPECT_THAT(::setpgid(outsider.pid(), member.pid()),
              SyscallFailsWithErrno(EPERM))
      << "joined a group that does not exist";

  ASSERT_THAT(::kill(-group, SIGTERM), SyscallSucceeds());
  ASSERT_CHILD_EXITS(leader, leader_status);
  ASSERT_CHILD_EXITS(member, member_status);
  EXPECT_TRUE(leader_status.KilledBy(SIGTERM)) << leader_status.ToString();
  EXPECT_TRUE(member_status.KilledBy(SIGTERM)) << member_status.ToString();
  ASSERT_TRUE(WaitUntilBlockedIn(outsider.pid(), SYS_read))
      << "the signal reached a process outside the group";
  EXPECT_THAT(::kill(-group, 0), SyscallFailsWithErrno(ESRCH))
      << "the emptied group still answers";
  int raw;
  EXPECT_THAT(::waitpid(-group, &raw, WNOHANG), SyscallFailsWithErrno(ECHILD));
  go.CloseWriteEnd();
  EXPECT_TRUE(ExitsWithZeroWithin(outsider));
}

// --- a fatal signal ends every thread --------------------------------------

constexpr int kThreads = 3;
constexpr size_t kThreadStack = 64 * 1024;

// A thread made with raw clone(2) flags (no glibc thread state: it only
// makes system calls) that sleeps in pause(2) until the process dies.
int PausingThread(void*) {
  for (;;) ::syscall(SYS_pause);
  return 0;
}

// A child with kThreads threads besides its main one, all asleep (main in
// read(2), the others in pause(2)). Only raw clone and syscalls after fork.
ipc::ChildProcess ForkThreadedChild(ipc::Pipe& go) {
  return ipc::ChildProcess::Fork([&go] {
    go.CloseWriteEnd();
    if (!RestoreDefaultSignal(SIGTERM)) return 1;
    for (int i = 0; i < kThreads; ++i) {
      void* stack = ::mmap(nullptr, kThreadStack, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (stack == MAP_FAILED) return ErrnoExit();
      const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                        CLONE_THREAD | CLONE_SYSVSEM;
      if (::clone(PausingThread, static_cast<char*>(stack) + kThreadStack,
                  flags, nullptr) < 0) {
        return ErrnoExit();
      }
    }
    char byte;
    return ReadOneByte(go.read_fd(), &byte) == 0 ? 0 : 2;
  });
}

// Proves every thread asleep, returns the thread ids (leader first).
std::vector<pid_t> AwaitAllThreadsAsleep(pid_t pid) {
  std::vector<pid_t> tids;
  EXPECT_TRUE(PollUntil(kBlockedTimeout,
                        [&] {
                          tids = ListTaskIds(pid);
                          return tids.size() == kThreads + 1;
                        }))
      << "the child has " << tids.size() << " tasks, not " << kThreads + 1;
  for (const pid_t tid : tids) {
    EXPECT_TRUE(
        WaitUntilBlockedIn(pid, tid, {tid == pid ? SYS_read : SYS_pause}));
  }
  return tids;
}

void ExpectFatalSignalEndsEveryThread(bool to_one_thread) {
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ipc::ChildProcess child = ForkThreadedChild(go);
  const pid_t pid = child.pid();
  const std::vector<pid_t> tids = AwaitAllThreadsAsleep(pid);
  ASSERT_EQ(tids.size(), kThreads + 1u);
  // kill(2) takes a thread id as well (gVisor KillTest.CannotKillTid).
  EXPECT_THAT(::kill(tids.back(), 0), SyscallSucceeds());
  if (to_one_thread) {
    // Sent to one non-leader thread only, the default action still ends
    // the whole process (signal(7): "a process-directed... the disposition
    // is per-process").
    ASSERT_THAT(::syscall(SYS_tgkill, pid, tids.back(), SIGTERM),
                SyscallSucceeds());
  } else {
    ASSERT_THAT(::kill(pid, SIGTERM), SyscallSucceeds());
  }
  // Every thread but the zombie leader is released before the leader is
  // reported (delay_group_leader); the leader's /proc/PID/task then lists
  // only itself, and nothing once it is reaped.
  std::vector<pid_t> left;
  EXPECT_TRUE(PollUntil(kBlockedTimeout,
                        [&] {
                          left = ListTaskIds(pid);
                          return left.size() <= 1;
                        }))
      << left.size() << " tasks still listed after the fatal signal";
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGTERM)) << DescribeChildExit(status);
  EXPECT_TRUE(ListTaskIds(pid).empty());
  for (const pid_t tid : tids) {
    EXPECT_EQ(ReadTaskStat(pid, tid), std::nullopt) << "thread " << tid;
  }
}

TEST(KillSignalTest, FatalSignalToTheProcessEndsEveryThread) {
  CLAIM("sig.kill-stops-at-once");
  ExpectFatalSignalEndsEveryThread(/*to_one_thread=*/false);
}

TEST(KillSignalTest, FatalSignalToOneThreadEndsEveryThread) {
  CLAIM("sig.kill-stops-at-once");
  ExpectFatalSignalEndsEveryThread(/*to_one_thread=*/true);
}

}  // namespace
}  // namespace ipcproof

// System V semaphores (the sem.* claims of docs/claims.json and the
// sem.beyond.* behaviours): what the note says about P and V, decided on the
// running kernel for semget(2), semop(2) / semtimedop(2) and semctl(2), and
// the branches of ipc/sem.c (Linux 6.12) that decide each documented
// behaviour: newary, ksys_semget, __do_semtimedop, perform_atomic_semop,
// update_queue / wake_const_ops, count_semcnt, semctl_setval,
// semctl_main (GETALL / SETALL), freeary, exit_sem. The map from gVisor's
// and LTP's tests to these is docs/peers/sem.md; the POSIX semaphores are
// posix_sem_test.cc, and producer/consumer and mutual exclusion between
// processes are sem_order_test.cc.
//
// Every test runs in a private IPC namespace of its own (SetUp): its sets
// never reach the host, and it may change /proc/sys/kernel/sem for itself
// alone. Limits are read from that namespace's /proc/sys/kernel/sem and
// IPC_INFO, never assumed.
//
// Blocking is proven from /proc (BlockedInSemop), never by sleeping. A
// kernel that never wakes a waiter fails that one test: children are reaped
// with a deadline (ExitsWithZeroWithin / ASSERT_CHILD_EXITS). Forked
// children make only raw semop/semctl calls and report through their exit
// code (kit/child_exit.h: 1..99 are this file's failure points, ErrnoExit
// for a failed call). ipc::SysvSemaphoreSet makes and removes the sets;
// where a test asserts on what semop/semctl return, it calls them raw.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/namespaces.h"
#include "conformance/procfs/files.h"
#include "conformance/sem/sysv_sem_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/memory_mapping.h"
#include "ipc/sysv_semaphore.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::MemoryMapping;
using ::ipc::SysvSemaphoreSet;
using ::ipc::WaitStatus;
using ::testing::ElementsAre;
using ::testing::Ge;

// An explicit key instead of ftok(3): in a private IPC namespace no other
// program can hold it.
constexpr key_t kKey = 0x5e3a0001;

// How long a process the test has just woken may take to exit: far above
// what a wake-up costs, far below the runner's 30 s watchdog.
constexpr std::chrono::milliseconds kWakeupTimeout{5000};

// SEMVMX, semop(2) "Semaphore limits": "Maximum allowable value for semval:
// implementation dependent (32767)". IPC_INFO reports it (seminfo.semvmx);
// the tests take the kernel's figure and check it against this one.
constexpr int kDocumentedSemvmx = 32767;

// A child that makes one semop and exits 0 when it succeeded, or
// ErrnoExit(errno).
ChildProcess ForkSemop(int id, unsigned short num, short op, short flags = 0) {
  return ChildProcess::Fork(
      [=] { return SemOp1(id, num, op, flags) == 0 ? 0 : ErrnoExit(errno); });
}

// A child that makes the operations `first`, one semop each, and then
// sleeps in a P on semaphore `park` until the test releases it with a V
// there (exit 0) or kills it. Once it sleeps in that P, the test knows
// `first` has been applied: the calls come in order. Exit codes: 1 one of
// `first` failed; ErrnoExit for the park.
template <size_t N>
ChildProcess ForkOpsThenPark(int id, std::array<sembuf, N> first,
                             unsigned short park) {
  return ChildProcess::Fork([=]() mutable {
    for (sembuf& op : first) {
      if (::semop(id, &op, 1) != 0) return 1;
    }
    return SemOp1(id, park, -1) == 0 ? 0 : ErrnoExit(errno);
  });
}

sembuf Op(unsigned short num, short op, short flags = 0) {
  sembuf b{};
  b.sem_num = num;
  b.sem_op = op;
  b.sem_flg = flags;
  return b;
}

// The four fields of /proc/sys/kernel/sem (proc(5)): SEMMSL, SEMMNS,
// SEMOPM, SEMMNI.
struct SemLimits {
  int64_t semmsl = 0;
  int64_t semmns = 0;
  int64_t semopm = 0;
  int64_t semmni = 0;
};

SemLimits ReadSemLimits() {
  std::istringstream in(ReadFileOrThrow("/proc/sys/kernel/sem"));
  SemLimits l;
  in >> l.semmsl >> l.semmns >> l.semopm >> l.semmni;
  if (!in) throw std::runtime_error("cannot parse /proc/sys/kernel/sem");
  return l;
}

// Writes the four fields of this namespace's /proc/sys/kernel/sem; "" on
// success, else why not (for SKIP_UNVERIFIED). kit/sysctl.h writes one
// number per file; this file holds four.
std::string TryWriteSemLimits(const SemLimits& l) {
  const std::string text =
      std::to_string(l.semmsl) + " " + std::to_string(l.semmns) + " " +
      std::to_string(l.semopm) + " " + std::to_string(l.semmni) + "\n";
  const int fd = ::open("/proc/sys/kernel/sem", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return "open(/proc/sys/kernel/sem, O_WRONLY) failed with " +
           ErrnoName(errno);
  }
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return "write(\"" + text.substr(0, text.size() - 1) +
           "\") to /proc/sys/kernel/sem failed with " + ErrnoName(err);
  }
  return "";
}

#define WRITE_SEM_LIMITS_OR_SKIP(limits)                        \
  do {                                                          \
    const std::string ipcproof_why = TryWriteSemLimits(limits); \
    if (!ipcproof_why.empty()) SKIP_UNVERIFIED(ipcproof_why);   \
    const SemLimits ipcproof_now = ReadSemLimits();             \
    ASSERT_EQ(ipcproof_now.semmsl, (limits).semmsl);            \
    ASSERT_EQ(ipcproof_now.semmns, (limits).semmns);            \
    ASSERT_EQ(ipcproof_now.semopm, (limits).semopm);            \
    ASSERT_EQ(ipcproof_now.semmni, (limits).semmni);            \
  } while (0)

class SysvSemTest : public ::testing::Test {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

// Waits until exactly one of `children` has exited (reaping it) and returns
// its index; fails when none exits within the deadline or a second one has
// exited by then too.
::testing::AssertionResult ExactlyOneExits(std::vector<ChildProcess>& children,
                                           size_t& which,
                                           std::optional<WaitStatus>& status) {
  std::vector<std::optional<WaitStatus>> done(children.size());
  size_t exited = 0;
  PollUntil(kWakeupTimeout, [&] {
    for (size_t i = 0; i < children.size(); ++i) {
      if (done[i] || children[i].reaped()) continue;
      if ((done[i] = children[i].TryWait())) ++exited;
    }
    return exited > 0;
  });
  if (exited != 1) {
    return ::testing::AssertionFailure()
           << exited << " of " << children.size()
           << " waiters exited after one V; expected exactly 1";
  }
  for (size_t i = 0; i < children.size(); ++i) {
    if (done[i]) {
      which = i;
      status = done[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// ===========================================================================
// sem.p-minus-v-plus

// semop(2): "If sem_op is a positive integer, the operation adds this value
// to the semaphore value"; "If sem_op is less than zero ... the operation
// ... subtracts the absolute value". A P is sem_op -1, a V +1: each moves
// semval by exactly one, on the semaphore named and no other, whoever makes
// it. A kernel that lost or doubled an update, or applied it to sem_num's
// neighbour, fails here.
TEST_F(SysvSemTest, PAndVChangeTheValueByExactlyOne) {
  CLAIM("sem.p-minus-v-plus");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(SemOp1(id, 0, +1), SyscallSucceeds());
    ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(i))
        << "after V number " << i;
  }
  // A V by another process counts the same.
  ChildProcess child = ForkSemop(id, 0, +1);
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(4));
  for (int i = 3; i >= 0; --i) {
    ASSERT_THAT(SemOp1(id, 0, -1, IPC_NOWAIT), SyscallSucceeds());
    ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(i))
        << "after a P from " << i + 1;
  }
  EXPECT_THAT(SemCtl(id, 1, GETVAL), SyscallSucceedsWithValue(0))
      << "the other semaphore of the set moved";
  RecordMeasurement("sem.sysv_value_after_4v_4p", SemCtl(id, 0, GETVAL));
}

// semop(2): operations on several semaphores in one call, "performed in
// array order"; several on one semaphore add up (gVisor's SemOpMultiNoBlock:
// +10 -5 on 0, +2 on 1, +3 +2 on 2). Reversing them, with the -5 moved
// before the -10 so that no prefix goes below 0, brings every value back.
TEST_F(SysvSemTest, SemopAppliesEveryOperationOfTheArrayInOrder) {
  CLAIM("sem.p-minus-v-plus");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 4);
  std::array<sembuf, 5> ops = {Op(0, 10), Op(1, 2), Op(2, 3), Op(0, -5),
                               Op(2, 2)};
  ASSERT_THAT(::semop(set.id(), ops.data(), ops.size()), SyscallSucceeds());
  EXPECT_THAT(set.Values(), ElementsAre(5, 2, 5, 0));
  // IPC_NOWAIT on each: a kernel that took the -10 before the +5 would
  // fail EAGAIN instead of putting the test to sleep.
  std::array<sembuf, 5> back = {Op(0, +5, IPC_NOWAIT), Op(1, -2, IPC_NOWAIT),
                                Op(2, -3, IPC_NOWAIT), Op(0, -10, IPC_NOWAIT),
                                Op(2, -2, IPC_NOWAIT)};
  ASSERT_THAT(::semop(set.id(), back.data(), back.size()), SyscallSucceeds());
  EXPECT_THAT(set.Values(), ElementsAre(0, 0, 0, 0));
}

// ===========================================================================
// sem.negative-count (refuted): a P on 0 blocks and leaves the value at 0.

// semop(2): "If sem_op is less than zero ... [and] semval is less than the
// absolute value of sem_op ... semncnt ... is incremented ... and the
// thread sleeps". The value is never taken below 0: GETVAL stays 0 with
// one waiter and with two, while GETNCNT counts them (1, then 2). The note's
// "the semaphore is -1" would be GETVAL -1 (or 65535 as an unsigned short)
// here. No operation completed, so sem_otime stays 0 (semctl(2): "time of
// last semop").
TEST_F(SysvSemTest, POnZeroBlocksWhileGetvalStaysZeroAndGetncntCountsWaiters) {
  CLAIM("sem.negative-count");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  ChildProcess first = ForkSemop(id, 0, -1);
  ASSERT_TRUE(BlockedInSemop(first.pid()));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  ChildProcess second = ForkSemop(id, 0, -1);
  ASSERT_TRUE(BlockedInSemop(second.pid()));
  const int value = SemCtl(id, 0, GETVAL);
  const int ncnt = SemCtl(id, 0, GETNCNT);
  EXPECT_EQ(value, 0) << "a blocked P changed the value";
  EXPECT_EQ(ncnt, 2);
  EXPECT_THAT(SemCtl(id, 0, GETZCNT), SyscallSucceedsWithValue(0));
  semid_ds ds{};
  ASSERT_THAT(SemCtl(id, 0, IPC_STAT, {.buf = &ds}), SyscallSucceeds());
  EXPECT_EQ(ds.sem_otime, 0) << "a blocked semop counted as performed";
  RecordMeasurement("sem.sysv_getval_with_2_waiters", value);
  RecordMeasurement("sem.sysv_getncnt_with_2_waiters", ncnt);
  // One V of 2 lets both through.
  ASSERT_THAT(SemOp1(id, 0, +2), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(first, kWakeupTimeout));
  EXPECT_TRUE(ExitsWithZeroWithin(second, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(0));
}

// The same on a counting semaphore: with value 2 a P of -3 blocks and the
// value stays 2 (the kernel never applies part of an operation), and a P of
// -1 from another process still goes through at once (gVisor's
// SemOpBestFitExecution: the queue is not FIFO; update_queue tries every
// waiter, and one that cannot proceed does not hold up one that can).
TEST_F(SysvSemTest,
       LargerPBlocksWithoutTakingWhatIsThereAndDoesNotHoldUpOthers) {
  CLAIM("sem.negative-count");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 2}), SyscallSucceeds());
  ChildProcess big = ForkSemop(id, 0, -3);
  ASSERT_TRUE(BlockedInSemop(big.pid()));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(2));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  ChildProcess small = ForkSemop(id, 0, -1, IPC_NOWAIT);
  ASSERT_TRUE(ExitsWithZeroWithin(small, kWakeupTimeout))
      << "a P of 1 on value 2 was held up by a sleeping P of 3";
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1));
  ASSERT_TRUE(BlockedInSemop(big.pid()));
  ASSERT_THAT(SemOp1(id, 0, +2), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(big, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
}

// ===========================================================================
// sem.v-wakes-waiter

// A V of 1 with three processes asleep in a P: exactly one proceeds (it
// exits), the other two are still asleep in semop afterwards, GETNCNT drops
// from 3 to 2 and the value is back at 0 (the woken one took it). A kernel
// that woke every waiter and let each decrement, or woke none, fails here.
TEST_F(SysvSemTest, VWakesExactlyOneOfThreeWaitersAndTheOthersStayBlocked) {
  CLAIM("sem.v-wakes-waiter");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  std::vector<ChildProcess> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.push_back(ForkSemop(id, 0, -1));
    ASSERT_TRUE(BlockedInSemop(waiters.back().pid()));
  }
  ASSERT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(3));
  ASSERT_THAT(SemOp1(id, 0, +1), SyscallSucceeds());
  size_t woken = 0;
  std::optional<WaitStatus> status;
  ASSERT_TRUE(ExactlyOneExits(waiters, woken, status));
  EXPECT_TRUE(ExitedWithZero(*status));
  for (size_t i = 0; i < waiters.size(); ++i) {
    if (i == woken) continue;
    EXPECT_TRUE(BlockedInSemop(waiters[i].pid()))
        << "waiter " << i << " is no longer asleep in semop after one V";
  }
  const int ncnt_after = SemCtl(id, 0, GETNCNT);
  EXPECT_EQ(ncnt_after, 2) << "GETNCNT after one V with three waiters";
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  RecordMeasurement("sem.sysv_getncnt_after_one_v_of_3_waiters", ncnt_after);
  ASSERT_THAT(SemOp1(id, 0, +2), SyscallSucceeds());
  for (size_t i = 0; i < waiters.size(); ++i) {
    if (i != woken) {
      EXPECT_TRUE(ExitsWithZeroWithin(waiters[i], kWakeupTimeout));
    }
  }
}

// The waiter stays asleep through everything that is not a V on its own
// semaphore: a V on another semaphore of the same set, a SETVAL there, a
// wait-for-zero that completes. Only the V on its semaphore lets it
// through, and it then takes the unit (the value is 0 again). A kernel that
// woke waiters of the whole set and let them pass, or lost the wake-up,
// fails here.
TEST_F(SysvSemTest, WaiterStaysBlockedUntilTheVOnItsOwnSemaphore) {
  CLAIM("sem.v-wakes-waiter");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ChildProcess waiter = ForkSemop(id, 0, -1);
  ASSERT_TRUE(BlockedInSemop(waiter.pid()));
  ASSERT_THAT(SemOp1(id, 1, +1), SyscallSucceeds());
  ASSERT_THAT(SemCtl(id, 1, SETVAL, {.val = 5}), SyscallSucceeds());
  ASSERT_THAT(SemOp1(id, 0, 0, IPC_NOWAIT), SyscallSucceeds());
  ASSERT_TRUE(BlockedInSemop(waiter.pid()));
  EXPECT_FALSE(waiter.TryWait()) << "the waiter passed without a V";
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  ASSERT_THAT(SemOp1(id, 0, +1), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(0));
}

// semctl(2) SETVAL: "If the changes to semaphore values would permit
// blocked semop(2) calls in other processes to proceed, then those
// processes are woken up" (gVisor's SemCtlVal). A P of 10 sleeps through
// SETVAL 9 and proceeds on SETVAL 20, leaving 10.
TEST_F(SysvSemTest, SetvalWakesAWaiterOnlyWhenTheValueLetsItProceed) {
  CLAIM("sem.v-wakes-waiter");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  ChildProcess waiter = ForkSemop(id, 0, -10);
  ASSERT_TRUE(BlockedInSemop(waiter.pid()));
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 9}), SyscallSucceeds());
  ASSERT_TRUE(BlockedInSemop(waiter.pid()));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(9));
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 20}), SyscallSucceeds());
  ASSERT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(10));
}

// ===========================================================================
// sem.beyond.sem-undo-reverts-on-exit / -on-sigkill / -clamps-at-zero

// semop(2) NOTES: "When a process terminates, each of its per-semaphore
// semadj values is added to the corresponding semaphore". The child adds 3
// and takes 1 with SEM_UNDO (semadj -2) and adds 5 without; while it lives
// the value is 7; once it has exited it is 5: exactly its SEM_UNDO
// operations were reverted, the other one kept. GETPID then names the
// child (semctl(2) NOTES: Linux updates sempid for "semaphore adjustments"
// on termination), although the test process operated last. A kernel that
// skipped exit_sem, or reverted every operation, fails here.
TEST_F(SysvSemTest, SemUndoRevertsTheAdjustmentsOfAProcessThatExits) {
  CLAIM("sem.beyond.sem-undo-reverts-on-exit");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ChildProcess child = ForkOpsThenPark<3>(
      id, {Op(0, +3, SEM_UNDO), Op(0, -1, SEM_UNDO), Op(0, +5)}, 1);
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(7));
  // The test operates last on semaphore 0 (a V and a P, no SEM_UNDO).
  ASSERT_THAT(SemOp1(id, 0, +1), SyscallSucceeds());
  ASSERT_THAT(SemOp1(id, 0, -1), SyscallSucceeds());
  ASSERT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(::getpid()));
  const pid_t child_pid = child.pid();
  ASSERT_THAT(SemOp1(id, 1, +1), SyscallSucceeds());  // releases the park
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  const int after = SemCtl(id, 0, GETVAL);
  EXPECT_EQ(after, 5) << "the value after the child exited: 7 less its "
                         "SEM_UNDO net +2";
  EXPECT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(child_pid));
  RecordMeasurement("sem.sysv_value_after_undo_on_exit", after);
}

// The same for a process killed by SIGKILL, which runs no code of its own:
// the kernel reverts its adjustments as it tears the process down
// (do_exit -> exit_sem), and the change wakes a process asleep on the
// semaphore. A lock taken with SEM_UNDO (value 1 -> 0) by a holder that is
// then killed is released, and a waiter gets it. A kernel that left the
// lock held (the waiter sleeps on) fails here within the deadline.
TEST_F(SysvSemTest, SemUndoReleasesTheLockOfAProcessKilledBySigkill) {
  CLAIM("sem.beyond.sem-undo-reverts-on-sigkill");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 1}), SyscallSucceeds());
  ChildProcess holder = ForkOpsThenPark<1>(id, {Op(0, -1, SEM_UNDO)}, 1);
  ASSERT_TRUE(BlockedInSemop(holder.pid()));
  ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  ChildProcess waiter = ForkSemop(id, 0, -1);
  ASSERT_TRUE(BlockedInSemop(waiter.pid()));
  ASSERT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  const WaitStatus killed = holder.Kill();
  ASSERT_TRUE(killed.KilledBy(SIGKILL)) << killed.ToString();
  ASSERT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout))
      << "the killed holder's SEM_UNDO did not release the lock";
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "the waiter took the released unit";
  // No waiter: the undo alone puts the value back.
  ChildProcess second = ForkOpsThenPark<1>(id, {Op(0, +1, SEM_UNDO)}, 1);
  ASSERT_TRUE(BlockedInSemop(second.pid()));
  ASSERT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1));
  ASSERT_TRUE(second.Kill().KilledBy(SIGKILL));
  const int after = SemCtl(id, 0, GETVAL);
  EXPECT_EQ(after, 0);
  RecordMeasurement("sem.sysv_value_after_undo_on_sigkill", after);
}

// semop(2) BUGS: if an adjustment "would result in an attempt to decrease a
// semaphore's value below zero ... Linux adopts a third approach:
// decreasing the semaphore value as far as possible (i.e., to zero)". The
// child adds 2 with SEM_UNDO, the test takes both (no undo); the child's
// exit would subtract 2 from 0: the value ends at 0, not -2 (or 65534), and
// the exit is not held up.
TEST_F(SysvSemTest, SemUndoOnExitClampsTheValueAtZero) {
  CLAIM("sem.beyond.sem-undo-clamps-at-zero");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ChildProcess child = ForkOpsThenPark<1>(id, {Op(0, +2, SEM_UNDO)}, 1);
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  ASSERT_THAT(SemOp1(id, 0, -2, IPC_NOWAIT), SyscallSucceeds());
  ASSERT_THAT(SemOp1(id, 1, +1), SyscallSucceeds());
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
}

// semop(2) NOTES: "When a semaphore's value is directly set using the
// SETVAL or SETALL request ... the corresponding semadj values in all
// processes are cleared." The child adds 1 with SEM_UNDO; the test then
// sets the value to 4 (SETVAL) on semaphore 0 and to 6 (SETALL) on
// semaphore 1 after the same +1 there; after the child's exit both keep
// the value set (4, 6), not one less.
TEST_F(SysvSemTest, SetvalAndSetallClearTheSemadjOfEveryProcess) {
  CLAIM("sem.beyond.sem-undo-reverts-on-exit");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 3);
  const int id = set.id();
  ChildProcess child =
      ForkOpsThenPark<2>(id, {Op(0, +1, SEM_UNDO), Op(1, +1, SEM_UNDO)}, 2);
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 4}), SyscallSucceeds());
  std::array<unsigned short, 3> all = {4, 6, 0};
  ASSERT_THAT(SemCtl(id, 0, SETALL, {.array = all.data()}), SyscallSucceeds());
  ASSERT_THAT(SemOp1(id, 2, +1), SyscallSucceeds());
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_THAT(set.Values(), ElementsAre(4, 6, 0));
}

// semop(2) NOTES: "The sem_undo structures of a process aren't inherited
// by the child produced by fork(2)". A process takes 1 with SEM_UNDO and
// forks; the child exits at once; the unit stays taken (the child had no
// semadj to apply); it comes back only when the process itself exits.
TEST_F(SysvSemTest, SemadjIsNotInheritedAcrossFork) {
  CLAIM("sem.beyond.sem-undo-reverts-on-exit");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 1}), SyscallSucceeds());
  ChildProcess taker = ChildProcess::Fork([id] {
    if (SemOp1(id, 0, -1, SEM_UNDO) != 0) return ErrnoExit(errno);
    const pid_t grandchild = ::fork();
    if (grandchild < 0) return ErrnoExit(errno);
    if (grandchild == 0) ::_exit(0);
    int status = 0;
    if (::waitpid(grandchild, &status, 0) != grandchild) return 2;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
    // The grandchild's exit must not have given the unit back.
    return SemCtl(id, 0, GETVAL) == 0 ? 0 : 4;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(taker, kWakeupTimeout))
      << "status 4: the forked child's exit reverted its parent's SEM_UNDO";
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1))
      << "the taker's own exit reverts it";
}

// ===========================================================================
// sem.beyond.semtimedop-timeout / ipc-nowait

// semop(2): semtimedop "fails with EAGAIN" when "the time limit specified
// in timeout expired before the operation could be performed". The call,
// made by a child so that a kernel that never times out fails the deadline
// instead of hanging the test, returns EAGAIN no earlier than 50 ms after
// it began (CLOCK_MONOTONIC; a lower bound only: how late it may be is not
// specified), and leaves value and GETNCNT as they were.
TEST_F(SysvSemTest, SemtimedopFailsEagainNoEarlierThanItsTimeout) {
  CLAIM("sem.beyond.semtimedop-timeout");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  constexpr long kTimeoutNs = 50'000'000;
  MemoryMapping shared = MemoryMapping::AnonymousShared(sizeof(double));
  double* elapsed = shared.As<double>();
  ChildProcess child = ChildProcess::Fork([id, elapsed] {
    sembuf p = Op(0, -1);
    timespec timeout{0, kTimeoutNs};
    timespec start{}, end{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    const int r = ::semtimedop(id, &p, 1, &timeout);
    const int err = errno;
    ::clock_gettime(CLOCK_MONOTONIC, &end);
    *elapsed = static_cast<double>(end.tv_sec - start.tv_sec) +
               (end.tv_nsec - start.tv_nsec) / 1e9;
    if (r == 0) return 1;
    return err == EAGAIN ? 0 : ErrnoExit(err);
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout))
      << "status 1: the P on 0 succeeded";
  EXPECT_GE(*elapsed, kTimeoutNs / 1e9) << "semtimedop returned early";
  RecordMeasurement("sem.sysv_semtimedop_50ms_elapsed_s", *elapsed);
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(0));
}

// semop(2) ERRORS: EINVAL "semtimedop(): the value of timeout is invalid"
// (__do_semtimedop checks timespec64_valid before anything else, so even an
// operation that would not block fails, and nothing is applied); EAGAIN
// with a zero timeout for one that would (the timeout is checked after the
// operation was tried).
TEST_F(SysvSemTest, SemtimedopRejectsABadTimeoutAndAZeroOneDoesNotWait) {
  CLAIM("sem.beyond.semtimedop-timeout");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  sembuf v = Op(0, +1);
  timespec bad{0, 1'000'000'000};
  EXPECT_THAT(::semtimedop(id, &v, 1, &bad), SyscallFailsWithErrno(EINVAL));
  timespec negative{-1, 0};
  EXPECT_THAT(::semtimedop(id, &v, 1, &negative),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "an operation with a bad timeout was applied";
  timespec zero{0, 0};
  EXPECT_THAT(::semtimedop(id, &v, 1, &zero), SyscallSucceeds());
  sembuf p2 = Op(0, -2);
  EXPECT_THAT(::semtimedop(id, &p2, 1, &zero), SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1));
}

// semop(2): with IPC_NOWAIT a P that cannot proceed, and a wait-for-zero
// on a non-zero value, fail EAGAIN at once and change nothing (LTP
// semop04, gVisor SemOpNoBlock). The test process makes them itself: a
// kernel that slept anyway would hang it, so they run in a child with a
// deadline.
TEST_F(SysvSemTest, IpcNowaitFailsEagainInsteadOfBlocking) {
  CLAIM("sem.beyond.ipc-nowait-eagain");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 1, SETVAL, {.val = 1}), SyscallSucceeds());
  ChildProcess child = ChildProcess::Fork([id] {
    if (SemOp1(id, 0, -1, IPC_NOWAIT) == 0) return 1;
    if (errno != EAGAIN) return ErrnoExit(errno);
    if (SemOp1(id, 1, 0, IPC_NOWAIT) == 0) return 2;
    if (errno != EAGAIN) return ErrnoExit(errno);
    if (SemOp1(id, 1, -2, IPC_NOWAIT) == 0) return 3;
    return errno == EAGAIN ? 0 : ErrnoExit(errno);
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_THAT(set.Values(), ElementsAre(0, 1));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 1, GETZCNT), SyscallSucceedsWithValue(0));
}

// ===========================================================================
// sem.beyond.ipc-rmid-wakes-eidrm

// semop(2) ERRORS: EIDRM "The semaphore set was removed". IPC_RMID wakes
// every process asleep on the set, whether waiting to decrease (a P) or
// for zero, and each fails EIDRM exactly (freeary sets -EIDRM on every
// queued operation; gVisor's RemoveWithWaiter, LTP semop05). Afterwards
// the id is gone: GETVAL, GETNCNT and IPC_RMID fail EINVAL.
TEST_F(SysvSemTest, IpcRmidWakesEveryWaiterWithEidrm) {
  CLAIM("sem.beyond.ipc-rmid-wakes-eidrm");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 1, SETVAL, {.val = 1}), SyscallSucceeds());
  ChildProcess decrease = ForkSemop(id, 0, -1);
  ChildProcess zero = ForkSemop(id, 1, 0);
  ASSERT_TRUE(BlockedInSemop(decrease.pid()));
  ASSERT_TRUE(BlockedInSemop(zero.pid()));
  ASSERT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  ASSERT_THAT(SemCtl(id, 1, GETZCNT), SyscallSucceedsWithValue(1));
  set.Remove();
  EXPECT_TRUE(ExitsWithWithin(decrease, ErrnoExit(EIDRM), kWakeupTimeout));
  EXPECT_TRUE(ExitsWithWithin(zero, ErrnoExit(EIDRM), kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(id, 0, IPC_RMID), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemOp1(id, 0, +1), SyscallFailsWithErrno(EINVAL));
}

// ===========================================================================
// sem.beyond.wait-for-zero-getzcnt

// semop(2): "If sem_op is zero, the process must have read permission ...
// If semval is zero, the operation can immediately proceed. Otherwise ...
// semzcnt ... is incremented ... and the thread sleeps" until "semval
// becomes 0". With value 2 a wait-for-zero sleeps, GETZCNT is 1 and GETNCNT
// 0; after one P (value 1) it still sleeps; after the second (value 0) it
// proceeds and GETZCNT is back at 0 (gVisor SemopGetzcnt, LTP semctl01).
TEST_F(SysvSemTest, WaitForZeroSleepsUntilTheValueIsZeroAndGetzcntCountsIt) {
  CLAIM("sem.beyond.wait-for-zero-getzcnt");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 2}), SyscallSucceeds());
  std::vector<ChildProcess> zeros;
  for (int i = 0; i < 2; ++i) {
    zeros.push_back(ForkSemop(id, 0, 0));
    ASSERT_TRUE(BlockedInSemop(zeros.back().pid()));
  }
  EXPECT_THAT(SemCtl(id, 0, GETZCNT), SyscallSucceedsWithValue(2));
  EXPECT_THAT(SemCtl(id, 0, GETNCNT), SyscallSucceedsWithValue(0));
  ASSERT_THAT(SemOp1(id, 0, -1), SyscallSucceeds());
  for (ChildProcess& z : zeros) ASSERT_TRUE(BlockedInSemop(z.pid()));
  EXPECT_THAT(SemCtl(id, 0, GETZCNT), SyscallSucceedsWithValue(2));
  ASSERT_THAT(SemOp1(id, 0, -1), SyscallSucceeds());
  for (ChildProcess& z : zeros) {
    EXPECT_TRUE(ExitsWithZeroWithin(z, kWakeupTimeout));
  }
  EXPECT_THAT(SemCtl(id, 0, GETZCNT), SyscallSucceedsWithValue(0));
  // A SETVAL to 0 wakes zero-waiters too (semctl(2) SETVAL).
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 1}), SyscallSucceeds());
  ChildProcess z = ForkSemop(id, 0, 0);
  ASSERT_TRUE(BlockedInSemop(z.pid()));
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 0}), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(z, kWakeupTimeout));
}

// ===========================================================================
// sem.beyond.semop-atomic

// semop(2): "The set of operations contained in sops is performed in array
// order, and atomically, that is, the operations are performed either as a
// complete unit, or not at all." With values (1, 0), {P on 0, P on 1}
// with IPC_NOWAIT fails EAGAIN and semaphore 0 keeps its 1 (nothing was
// applied); without IPC_NOWAIT a child sleeps and semaphore 0 stays 1 all
// the while; a V on 1 lets it apply both: (0, 0).
TEST_F(SysvSemTest, MultiOperationSemopIsAllOrNothing) {
  CLAIM("sem.beyond.semop-atomic");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 1}), SyscallSucceeds());
  std::array<sembuf, 2> both = {Op(0, -1, IPC_NOWAIT), Op(1, -1, IPC_NOWAIT)};
  EXPECT_THAT(::semop(id, both.data(), both.size()),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(set.Values(), ElementsAre(1, 0)) << "part of the set applied";
  ChildProcess child = ChildProcess::Fork([id] {
    std::array<sembuf, 2> ops = {Op(0, -1), Op(1, -1)};
    return ::semop(id, ops.data(), ops.size()) == 0 ? 0 : ErrnoExit(errno);
  });
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  EXPECT_THAT(set.Values(), ElementsAre(1, 0))
      << "a sleeping multi-operation semop took semaphore 0";
  // A V on semaphore 0 alone does not let it through either.
  ASSERT_THAT(SemOp1(id, 0, +1), SyscallSucceeds());
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  EXPECT_THAT(set.Values(), ElementsAre(2, 0));
  ASSERT_THAT(SemOp1(id, 1, +1), SyscallSucceeds());
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_THAT(set.Values(), ElementsAre(1, 0));
}

// ===========================================================================
// sem.beyond.semop-eintr-despite-sa-restart

// signal(7): semop "never automatically restarted after being interrupted
// by a signal handler, regardless of the setting of the SA_RESTART flag";
// semop(2) ERRORS: EINTR. A child asleep in a P (or a wait-for-zero)
// catches SIGUSR1 with a handler installed with SA_RESTART or without, and
// its semop fails EINTR either way; GETNCNT / GETZCNT drop back to 0
// (gVisor SemopGetncntOnSignal, SemopGetzcntOnSignal; LTP semop05). Exit
// codes: 10 sigaction failed, 11 semop succeeded, 12 the handler did not run.
struct SignalCase {
  const char* name;
  int sa_flags;
  short sem_op;
};

class SysvSemSignalTest : public SysvSemTest,
                          public ::testing::WithParamInterface<SignalCase> {};

volatile sig_atomic_t g_handled = 0;
void NoteSignal(int) { g_handled = 1; }

TEST_P(SysvSemSignalTest, HandledSignalFailsTheSleepingSemopWithEintr) {
  CLAIM("sem.beyond.semop-eintr-despite-sa-restart");
  const SignalCase c = GetParam();
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  if (c.sem_op == 0) {
    ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 1}), SyscallSucceeds());
  }
  ChildProcess child = ChildProcess::Fork([id, c] {
    struct sigaction action {};
    action.sa_handler = NoteSignal;
    action.sa_flags = c.sa_flags;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 10;
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    if (SemOp1(id, 0, c.sem_op) == 0) return 11;
    const int err = errno;
    if (!g_handled) return 12;
    return err == EINTR ? 0 : ErrnoExit(err);
  });
  ASSERT_TRUE(BlockedInSemop(child.pid()));
  const int counter = c.sem_op == 0 ? GETZCNT : GETNCNT;
  ASSERT_THAT(SemCtl(id, 0, counter), SyscallSucceedsWithValue(1));
  child.Signal(SIGUSR1);
  EXPECT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, counter), SyscallSucceedsWithValue(0));
  EXPECT_THAT(SemCtl(id, 0, GETVAL),
              SyscallSucceedsWithValue(c.sem_op == 0 ? 1 : 0));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SysvSemSignalTest,
    ::testing::Values(SignalCase{"PWithSaRestart", SA_RESTART, -1},
                      SignalCase{"PWithoutSaRestart", 0, -1},
                      SignalCase{"ZeroWithSaRestart", SA_RESTART, 0}),
    [](const ::testing::TestParamInfo<SignalCase>& info) {
      return std::string(info.param.name);
    });

// ===========================================================================
// sem.beyond.limits-from-proc-sys

// IPC_INFO (semctl(2)) reports this namespace's /proc/sys/kernel/sem
// ("semmsl, semmns, semopm, and semmni ... can be changed via
// /proc/sys/kernel/sem"), and follows a change of it; semvmx is SEMVMX,
// 32767 (semop(2)); semaem is SEMAEM, which the kernel defines as SEMVMX.
// gVisor's IpcInfo compares with its own constants; here the figures are
// the kernel's own, checked against each other.
TEST_F(SysvSemTest, IpcInfoReportsTheNamespaceLimitsOfProcSysKernelSem) {
  CLAIM("sem.beyond.limits-from-proc-sys");
  const SemLimits limits = ReadSemLimits();
  seminfo info{};
  ASSERT_THAT(SemCtl(0, 0, IPC_INFO, {.info = &info}), SyscallSucceeds());
  EXPECT_EQ(info.semmsl, limits.semmsl);
  EXPECT_EQ(info.semmns, limits.semmns);
  EXPECT_EQ(info.semopm, limits.semopm);
  EXPECT_EQ(info.semmni, limits.semmni);
  EXPECT_EQ(info.semvmx, kDocumentedSemvmx);
  EXPECT_EQ(info.semaem, info.semvmx);
  RecordMeasurement("sem.semmsl", limits.semmsl);
  RecordMeasurement("sem.semmns", limits.semmns);
  RecordMeasurement("sem.semopm", limits.semopm);
  RecordMeasurement("sem.semmni", limits.semmni);
  RecordMeasurement("sem.semvmx", info.semvmx);
  SemLimits lower = limits;
  lower.semmsl = 7;
  lower.semopm = 9;
  WRITE_SEM_LIMITS_OR_SKIP(lower);
  ASSERT_THAT(SemCtl(0, 0, IPC_INFO, {.info = &info}), SyscallSucceeds());
  EXPECT_EQ(info.semmsl, 7);
  EXPECT_EQ(info.semopm, 9);
}

// semget(2) EINVAL: "nsems is less than 0 or greater than the limit on the
// number of semaphores per semaphore set (SEMMSL)". SEMMSL semaphores fit,
// one more does not; lowered to 5 in this namespace, 5 fit and 6 fail; and
// raised above its default, a larger set than before goes through (the
// limit is a tunable, not an array). gVisor SemGetSystemLimits, LTP
// semget06.
TEST_F(SysvSemTest, SemmslBoundsTheSizeOfASetAndFollowsTheSysctl) {
  CLAIM("sem.beyond.limits-from-proc-sys");
  SemLimits limits = ReadSemLimits();
  const int semmsl = static_cast<int>(limits.semmsl);
  EXPECT_THAT(::semget(IPC_PRIVATE, semmsl + 1, 0600),
              SyscallFailsWithErrno(EINVAL));
  {
    SysvSemaphoreSet full = SysvSemaphoreSet::Create(IPC_PRIVATE, semmsl);
    EXPECT_EQ(full.Stat().sem_nsems, static_cast<unsigned long>(semmsl));
  }
  limits.semmsl = 5;
  WRITE_SEM_LIMITS_OR_SKIP(limits);
  EXPECT_THAT(::semget(IPC_PRIVATE, 6, 0600), SyscallFailsWithErrno(EINVAL));
  SysvSemaphoreSet five = SysvSemaphoreSet::Create(IPC_PRIVATE, 5);
  limits.semmsl = semmsl + 1;
  WRITE_SEM_LIMITS_OR_SKIP(limits);
  SysvSemaphoreSet bigger = SysvSemaphoreSet::Create(IPC_PRIVATE, semmsl + 1);
  EXPECT_EQ(bigger.Stat().sem_nsems, static_cast<unsigned long>(semmsl + 1));
}

// semop(2) E2BIG: "The argument nsops is greater than SEMOPM, the maximum
// number of operations allowed per system call". SEMOPM operations go
// through, one more fails (checked before the set is even looked up, so
// nothing is applied); lowered to 4, 4 pass and 5 fail (LTP semop02).
TEST_F(SysvSemTest, SemopWithMoreThanSemopmOperationsFailsE2big) {
  CLAIM("sem.beyond.limits-from-proc-sys");
  SemLimits limits = ReadSemLimits();
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  // Bounded by the sysctl read above; 1000 is the man page's advice.
  ASSERT_LE(limits.semopm, 1000) << "SEMOPM above semop(2)'s advice";
  std::vector<sembuf> ops(static_cast<size_t>(limits.semopm) + 1, Op(0, +1));
  EXPECT_THAT(::semop(id, ops.data(), ops.size()),
              SyscallFailsWithErrno(E2BIG));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::semop(id, ops.data(), ops.size() - 1), SyscallSucceeds());
  EXPECT_THAT(SemCtl(id, 0, GETVAL),
              SyscallSucceedsWithValue(static_cast<int>(limits.semopm)));
  limits.semopm = 4;
  WRITE_SEM_LIMITS_OR_SKIP(limits);
  EXPECT_THAT(::semop(id, ops.data(), 5), SyscallFailsWithErrno(E2BIG));
  EXPECT_THAT(::semop(id, ops.data(), 4), SyscallSucceeds());
}

// semget(2) ENOSPC: "the maximum number of semaphore sets (SEMMNI) ... or
// the system-wide maximum number of semaphores (SEMMNS), would be
// exceeded". Lowered in this namespace to 3 sets, the fourth fails; to 10
// semaphores in all, sets of 4 + 6 fit and one more semaphore does not; a
// removal makes room again (LTP semget05, gVisor SemGetSystemLimits).
TEST_F(SysvSemTest, SemmniAndSemmnsBoundSetsAndSemaphoresInTheNamespace) {
  CLAIM("sem.beyond.limits-from-proc-sys");
  SemLimits limits = ReadSemLimits();
  limits.semmni = 3;
  WRITE_SEM_LIMITS_OR_SKIP(limits);
  {
    std::vector<SysvSemaphoreSet> sets;
    for (int i = 0; i < 3; ++i) {
      sets.push_back(SysvSemaphoreSet::Create(IPC_PRIVATE, 1));
    }
    EXPECT_THAT(::semget(IPC_PRIVATE, 1, 0600), SyscallFailsWithErrno(ENOSPC));
    sets.back().Remove();
    sets.pop_back();
    SysvSemaphoreSet again = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  }
  limits.semmni = 32;
  limits.semmns = 10;
  WRITE_SEM_LIMITS_OR_SKIP(limits);
  SysvSemaphoreSet four = SysvSemaphoreSet::Create(IPC_PRIVATE, 4);
  std::optional<SysvSemaphoreSet> six =
      SysvSemaphoreSet::Create(IPC_PRIVATE, 6);
  EXPECT_THAT(::semget(IPC_PRIVATE, 1, 0600), SyscallFailsWithErrno(ENOSPC));
  six->Remove();
  six.reset();
  SysvSemaphoreSet one = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
}

// semctl(2) ERANGE: "cmd is SETALL or SETVAL and the value to which semval
// is to be set (for some semaphore of the set) is less than 0 or greater
// than the implementation limit SEMVMX"; semop(2) ERANGE: "For some
// operation sem_op+semval is greater than SEMVMX". SEMVMX is taken from
// IPC_INFO; SEMVMX itself may be set and one more may not, by any of the
// three ways, and a refused call changes nothing (LTP semctl05).
TEST_F(SysvSemTest, ValuesAboveSemvmxFailErange) {
  CLAIM("sem.beyond.limits-from-proc-sys");
  seminfo info{};
  ASSERT_THAT(SemCtl(0, 0, IPC_INFO, {.info = &info}), SyscallSucceeds());
  const int semvmx = info.semvmx;
  ASSERT_EQ(semvmx, kDocumentedSemvmx);
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  EXPECT_THAT(SemCtl(id, 0, SETVAL, {.val = semvmx + 1}),
              SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(SemCtl(id, 0, SETVAL, {.val = -1}),
              SyscallFailsWithErrno(ERANGE));
  std::array<unsigned short, 2> too_big = {1, 65535};
  EXPECT_THAT(SemCtl(id, 0, SETALL, {.array = too_big.data()}),
              SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(set.Values(), ElementsAre(0, 0)) << "a refused SETALL applied";
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = semvmx}), SyscallSucceeds());
  EXPECT_THAT(SemOp1(id, 0, +1), SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(semvmx));
  // A set whose first operation would fit and second would not applies
  // neither.
  std::array<sembuf, 2> ops = {Op(1, +1), Op(0, +1)};
  EXPECT_THAT(::semop(id, ops.data(), ops.size()),
              SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(set.Values(), ElementsAre(semvmx, 0));
}

// ===========================================================================
// sem.beyond.getpid-last-operator

// semctl(2) GETPID: "the PID of the process that last performed an
// operation on that semaphore"; NOTES: "Linux also updates sempid for
// SETVAL operations", and SETALL since 4.6. GETPID is 0 before anything,
// a child's semop makes it the child's pid, SETVAL by the test makes it the
// test's, SETALL by another child makes it that child's on every
// semaphore, and a semop that fails (IPC_NOWAIT) leaves it (gVisor
// SemCtlGetPid / SemCtlGetPidFork, LTP semctl01).
TEST_F(SysvSemTest, GetpidNamesTheLastProcessToChangeTheSemaphore) {
  CLAIM("sem.beyond.getpid-last-operator");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  const int id = set.id();
  EXPECT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(0));
  ChildProcess op = ForkSemop(id, 0, +1);
  const pid_t op_pid = op.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(op, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(op_pid));
  EXPECT_THAT(SemCtl(id, 1, GETPID), SyscallSucceedsWithValue(0))
      << "an operation on semaphore 0 set semaphore 1's sempid";
  ASSERT_THAT(SemCtl(id, 0, SETVAL, {.val = 0}), SyscallSucceeds());
  EXPECT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(::getpid()));
  ChildProcess setall = ChildProcess::Fork([id] {
    unsigned short values[2] = {1, 1};
    return SemCtl(id, 0, SETALL, {.array = values}) == 0 ? 0 : ErrnoExit(errno);
  });
  const pid_t setall_pid = setall.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(setall, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETPID), SyscallSucceedsWithValue(setall_pid));
  EXPECT_THAT(SemCtl(id, 1, GETPID), SyscallSucceedsWithValue(setall_pid));
  EXPECT_THAT(SemOp1(id, 1, -2, IPC_NOWAIT), SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(SemCtl(id, 1, GETPID), SyscallSucceedsWithValue(setall_pid))
      << "a failed semop changed sempid";
}

// ===========================================================================
// sem.beyond.setall-getall

// semctl(2) GETALL / SETALL: every semval at once, through arg.array. A new
// set reads all 0 (Linux initialises them, semget(2) NOTES); SETALL's
// values read back in order; an unreadable or unwritable array fails
// EFAULT (LTP semctl03, gVisor SemCtlValAll).
TEST_F(SysvSemTest, SetallAndGetallMoveEveryValueAtOnce) {
  CLAIM("sem.beyond.setall-getall");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 3);
  const int id = set.id();
  std::array<unsigned short, 3> got = {7, 7, 7};
  ASSERT_THAT(SemCtl(id, 1, GETALL, {.array = got.data()}), SyscallSucceeds());
  EXPECT_THAT(got, ElementsAre(0, 0, 0));
  std::array<unsigned short, 3> put = {0, 10, 20};
  ASSERT_THAT(SemCtl(id, 1, SETALL, {.array = put.data()}), SyscallSucceeds());
  ASSERT_THAT(SemCtl(id, 0, GETALL, {.array = got.data()}), SyscallSucceeds());
  EXPECT_THAT(got, ElementsAre(0, 10, 20));
  EXPECT_THAT(SemCtl(id, 2, GETVAL), SyscallSucceedsWithValue(20));
  EXPECT_THAT(SemCtl(id, 0, SETALL, {.array = nullptr}),
              SyscallFailsWithErrno(EFAULT));
  ScopedInaccessiblePage page;
  EXPECT_THAT(SemCtl(id, 0, GETALL, {.array = page.as<unsigned short>()}),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(set.Values(), ElementsAre(0, 10, 20));
}

// ===========================================================================
// sem.beyond.semget-and-bad-arguments

// semget(2): a set made by key is found again by key with the same, a
// smaller or a zero nsems; a larger nsems fails EINVAL, a negative one
// EINVAL, 0 with IPC_CREAT for a new set EINVAL; IPC_CREAT | IPC_EXCL on a
// held key fails EEXIST; an unknown key without IPC_CREAT fails ENOENT;
// IPC_PRIVATE always makes a new set (gVisor SemGet; LTP semget01, 03, 06).
// IPC_STAT of the new set: key, owner and creator, mode, sem_nsems,
// sem_otime 0 (LTP semget01, semctl01, semctl07; gVisor SemCtlIpcStat).
TEST_F(SysvSemTest, SemgetCreatesFindsOrFailsByKeyAndCount) {
  CLAIM("sem.beyond.semget-and-bad-arguments");
  const time_t before = ::time(nullptr);
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(kKey, 10, 0640);
  const int id = set.id();
  EXPECT_THAT(::semget(kKey, 10, IPC_CREAT), SyscallSucceedsWithValue(id));
  EXPECT_THAT(::semget(kKey, 9, IPC_CREAT), SyscallSucceedsWithValue(id));
  EXPECT_THAT(::semget(kKey, 0, 0), SyscallSucceedsWithValue(id));
  EXPECT_THAT(::semget(kKey, 11, IPC_CREAT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semget(kKey, -1, IPC_CREAT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semget(kKey, 10, IPC_CREAT | IPC_EXCL),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(::semget(kKey + 1, 1, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::semget(kKey + 1, 1, IPC_EXCL), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::semget(kKey + 1, 0, IPC_CREAT), SyscallFailsWithErrno(EINVAL));
  SysvSemaphoreSet a = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  SysvSemaphoreSet b = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id(), id);
  semid_ds ds{};
  ASSERT_THAT(SemCtl(id, 0, IPC_STAT, {.buf = &ds}), SyscallSucceeds());
  EXPECT_EQ(ds.sem_perm.__key, kKey);
  EXPECT_EQ(ds.sem_perm.uid, ::geteuid());
  EXPECT_EQ(ds.sem_perm.gid, ::getegid());
  EXPECT_EQ(ds.sem_perm.cuid, ::geteuid());
  EXPECT_EQ(ds.sem_perm.cgid, ::getegid());
  EXPECT_EQ(ds.sem_perm.mode & 0777, 0640);
  EXPECT_EQ(ds.sem_nsems, 10u);
  EXPECT_EQ(ds.sem_otime, 0);
  EXPECT_GE(ds.sem_ctime, before);
  ASSERT_THAT(SemOp1(id, 3, +1), SyscallSucceeds());
  ASSERT_THAT(SemCtl(id, 0, IPC_STAT, {.buf = &ds}), SyscallSucceeds());
  EXPECT_GE(ds.sem_otime, before) << "semop did not set sem_otime";
  // IPC_SET of the mode takes; only the low nine bits are copied.
  ds.sem_perm.mode = 0600;
  ASSERT_THAT(SemCtl(id, 0, IPC_SET, {.buf = &ds}), SyscallSucceeds());
  semid_ds again{};
  ASSERT_THAT(SemCtl(id, 0, IPC_STAT, {.buf = &again}), SyscallSucceeds());
  EXPECT_EQ(again.sem_perm.mode & 0777, 0600);
  EXPECT_GE(again.sem_ctime, ds.sem_ctime);
}

// The errnos semop(2) and semctl(2) document for bad arguments: a bad id
// EINVAL (semop, semtimedop, IPC_STAT, IPC_RMID; -1 and an id never made);
// sem_num not below the set's size EFBIG; nsops 0 EINVAL; an unreadable
// sops array EFAULT; an unknown command EINVAL; IPC_STAT / IPC_SET with an
// unwritable / unreadable buffer EFAULT; IPC_RMID twice EINVAL the second
// time (gVisor SemOpSingleNoBlock, SemTimedOpSingleNoBlock,
// RemoveNonExistentSemaphore, RemoveDeletedSemaphore; LTP semop02,
// semctl03).
TEST_F(SysvSemTest, BadArgumentsFailWithTheDocumentedErrno) {
  CLAIM("sem.beyond.semget-and-bad-arguments");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  const int id = set.id();
  sembuf v = Op(0, +1);
  timespec timeout{0, 50'000'000};
  EXPECT_THAT(::semop(-1, &v, 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semop(id + 1, &v, 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semtimedop(id + 1, &v, 1, &timeout),
              SyscallFailsWithErrno(EINVAL));
  sembuf beyond = Op(1, +1);
  EXPECT_THAT(::semop(id, &beyond, 1), SyscallFailsWithErrno(EFBIG));
  EXPECT_THAT(::semtimedop(id, &beyond, 1, &timeout),
              SyscallFailsWithErrno(EFBIG));
  EXPECT_THAT(::semop(id, &v, 0), SyscallFailsWithErrno(EINVAL));
  ScopedInaccessiblePage page;
  EXPECT_THAT(::semop(id, page.as<sembuf>(), 1), SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "a refused semop applied";
  semid_ds ds{};
  EXPECT_THAT(SemCtl(id, 0, -1, {.buf = &ds}), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(id, 0, 99, {.buf = &ds}), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(-1, 0, IPC_STAT, {.buf = &ds}),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SemCtl(id, 0, IPC_STAT, {.buf = page.as<semid_ds>()}),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(SemCtl(id, 0, IPC_SET, {.buf = page.as<semid_ds>()}),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(SemCtl(-1, 0, IPC_RMID), SyscallFailsWithErrno(EINVAL));
  set.Remove();
  EXPECT_THAT(SemCtl(id, 0, IPC_RMID), SyscallFailsWithErrno(EINVAL));
}

// ===========================================================================
// sem.beyond.permissions

// Without CAP_IPC_OWNER the owner gets only the owner bits (ipcperms):
// semop(2) "alter" (any sem_op != 0) needs write, a wait-for-zero read;
// semctl(2) GETVAL, GETNCNT, GETZCNT, GETPID, GETALL and IPC_STAT need
// read, SETVAL write. Mode 0400: V fails EACCES, wait-for-zero and GETVAL
// pass; mode 0200: V passes, wait-for-zero, GETVAL, GETNCNT, GETZCNT and
// IPC_STAT fail EACCES (gVisor SemIpcSet, SemCtlIpcStat, SemopGetzcnt,
// SemopGetncnt). The child clears its effective capabilities
// (DropEffectiveCapabilities), which needs no second uid. Exit codes: 10
// capset failed; 20 + n: check n gave the wrong answer.
TEST_F(SysvSemTest, OwnerWithoutCapIpcOwnerGetsOnlyTheOwnerBits) {
  CLAIM("sem.beyond.permissions");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(IPC_PRIVATE, 1, 0400);
  const int id = set.id();
  ChildProcess read_only = ChildProcess::Fork([id] {
    if (!DropEffectiveCapabilities()) return 10;
    if (SemOp1(id, 0, +1, IPC_NOWAIT) == 0 || errno != EACCES) return 21;
    if (SemOp1(id, 0, 0, IPC_NOWAIT) != 0) return 22;
    if (SemCtl(id, 0, GETVAL) != 0) return 23;
    if (SemCtl(id, 0, SETVAL, {.val = 1}) == 0 || errno != EACCES) return 24;
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(read_only, kWakeupTimeout));
  semid_ds ds = set.Stat();
  ds.sem_perm.mode = 0200;
  set.Set(ds);
  ChildProcess write_only = ChildProcess::Fork([id] {
    if (!DropEffectiveCapabilities()) return 10;
    if (SemOp1(id, 0, +1, IPC_NOWAIT) != 0) return 21;
    if (SemOp1(id, 0, 0, IPC_NOWAIT) == 0 || errno != EACCES) return 22;
    if (SemCtl(id, 0, GETVAL) != -1 || errno != EACCES) return 23;
    if (SemCtl(id, 0, GETNCNT) != -1 || errno != EACCES) return 24;
    if (SemCtl(id, 0, GETZCNT) != -1 || errno != EACCES) return 25;
    semid_ds st{};
    if (SemCtl(id, 0, IPC_STAT, {.buf = &st}) != -1 || errno != EACCES) {
      return 26;
    }
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(write_only, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1))
      << "the write-only V by the owner";
}

// Another uid (kOtherUid) gets what the "other" bits grant: on a 0600 set
// semget asking for read/alter fails EACCES (LTP semget02) while asking
// for nothing finds it, semop and IPC_STAT fail EACCES (LTP semop02,
// semctl02), and IPC_SET and IPC_RMID fail EPERM (LTP semctl04: only the
// owner, the creator or CAP_SYS_ADMIN). On 0666 semop passes, and IPC_RMID
// still fails EPERM. Exit codes: DropToUid's; 20 + n: check n wrong.
TEST_F(SysvSemTest, AnotherUidGetsWhatTheOtherBitsGrantAndCannotRemove) {
  CLAIM("sem.beyond.permissions");
  SKIP_UNLESS_OTHER_UID();
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(kKey, 1, 0600);
  const int id = set.id();
  auto as_other = [id](bool world) {
    return ChildProcess::Fork([id, world] {
      if (const int code = DropToUid(kOtherUid, kOtherGid); code != 0) {
        return code;
      }
      if (!world) {
        if (::semget(kKey, 1, 0600) != -1 || errno != EACCES) return 21;
        if (::semget(kKey, 1, 0) != id) return 22;
        if (SemOp1(id, 0, +1, IPC_NOWAIT) != -1 || errno != EACCES) return 23;
        semid_ds st{};
        if (SemCtl(id, 0, IPC_STAT, {.buf = &st}) != -1 || errno != EACCES) {
          return 24;
        }
      } else {
        if (SemOp1(id, 0, +1, IPC_NOWAIT) != 0) return 25;
      }
      semid_ds mine{};
      mine.sem_perm.uid = kOtherUid;
      mine.sem_perm.gid = kOtherGid;
      mine.sem_perm.mode = 0666;
      if (SemCtl(id, 0, IPC_SET, {.buf = &mine}) != -1 || errno != EPERM) {
        return 26;
      }
      if (SemCtl(id, 0, IPC_RMID) != -1 || errno != EPERM) return 27;
      return 0;
    });
  };
  ChildProcess private_set = as_other(false);
  ASSERT_CHILD_EXITS(private_set, status);
  if (DecodeDropToUidExit(status.exited() ? status.exit_code() : -1)) {
    SKIP_UNVERIFIED(
        DescribeDropFailure(status.exit_code(), kOtherUid, kOtherGid));
  }
  EXPECT_TRUE(ExitedWithZero(status));
  semid_ds ds = set.Stat();
  ds.sem_perm.mode = 0666;
  set.Set(ds);
  ChildProcess world_set = as_other(true);
  EXPECT_TRUE(ExitsWithZeroWithin(world_set, kWakeupTimeout));
  EXPECT_THAT(SemCtl(id, 0, GETVAL), SyscallSucceedsWithValue(1));
}

// ===========================================================================
// sem.beyond.sem-info-and-stat

// semctl(2) SEM_INFO: semusz is "the number of semaphore sets that
// currently exist on the system" and semaem "the total number of
// semaphores in all semaphore sets"; the result is the highest used index,
// which SEM_STAT takes (returning the id), and the indexes up to it that
// hold a set count semusz (LTP semctl09, gVisor SemInfo / IpcInfo). In a
// private namespace the sets are exactly the test's, so the figures are
// exact; they agree with /proc/sysvipc/sem. SEM_STAT needs read permission,
// SEM_STAT_ANY (Linux 4.17) does not.
TEST_F(SysvSemTest, SemInfoCountsSetsAndSemaphoresAndSemStatTakesAnIndex) {
  CLAIM("sem.beyond.sem-info-and-stat");
  SysvSemaphoreSet a = SysvSemaphoreSet::Create(IPC_PRIVATE, 2);
  SysvSemaphoreSet b = SysvSemaphoreSet::Create(IPC_PRIVATE, 3, 0200);
  seminfo info{};
  const int max_index = SemCtl(0, 0, SEM_INFO, {.info = &info});
  ASSERT_THAT(max_index, SyscallSucceeds());
  EXPECT_EQ(info.semusz, 2);
  EXPECT_EQ(info.semaem, 5);
  int found = 0;
  std::vector<int> ids;
  for (int i = 0; i <= max_index; ++i) {
    semid_ds ds{};
    const int got = SemCtl(i, 0, SEM_STAT_ANY, {.buf = &ds});
    if (got < 0) continue;
    ++found;
    ids.push_back(got);
    EXPECT_TRUE(got == a.id() || got == b.id())
        << "index " << i << " -> " << got;
    // What SEM_STAT_ANY reports by index is IPC_STAT's report by id.
    semid_ds by_id{};
    ASSERT_THAT(SemCtl(got, 0, IPC_STAT, {.buf = &by_id}), SyscallSucceeds());
    EXPECT_EQ(ds.sem_nsems, by_id.sem_nsems);
    EXPECT_EQ(ds.sem_perm.mode, by_id.sem_perm.mode);
    EXPECT_EQ(ds.sem_ctime, by_id.sem_ctime);
  }
  EXPECT_EQ(found, 2);
  // /proc/sysvipc/sem: a header line, then one line per set.
  std::istringstream proc(ReadFileOrThrow("/proc/sysvipc/sem"));
  std::string line;
  std::getline(proc, line);
  int lines = 0;
  long semaphores = 0;
  while (std::getline(proc, line)) {
    if (line.empty()) continue;
    ++lines;
    std::istringstream fields(line);  // key semid perms nsems ...
    long key = 0, semid = 0, perms = 0, nsems = 0;
    fields >> key >> semid >> perms >> nsems;
    semaphores += nsems;
  }
  EXPECT_EQ(lines, info.semusz) << "/proc/sysvipc/sem sets";
  EXPECT_EQ(semaphores, info.semaem) << "/proc/sysvipc/sem nsems";
  // SEM_STAT of b's index: the owner without CAP_IPC_OWNER may not read a
  // 0200 set; SEM_STAT_ANY may.
  ChildProcess child = ChildProcess::Fork([max_index, bid = b.id()] {
    if (!DropEffectiveCapabilities()) return 10;
    for (int i = 0; i <= max_index; ++i) {
      semid_ds ds{};
      if (SemCtl(i, 0, SEM_STAT_ANY, {.buf = &ds}) != bid) continue;
      if (SemCtl(i, 0, SEM_STAT, {.buf = &ds}) != -1 || errno != EACCES) {
        return 21;
      }
      return 0;
    }
    return 22;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  RecordMeasurement("sem.sem_info_semusz", info.semusz);
}

// ===========================================================================
// sem.beyond.namespace-isolation

// ipc_namespaces(7): System V objects belong to an IPC namespace. A child
// that enters a new one (unshare(CLONE_NEWIPC), decided by trying) does not
// see the test's set by key, creates its own under the same key with
// IPC_EXCL, and its set is gone with its namespace (gVisor SemOpNamespace).
// Exit codes: ErrnoExit for unshare; 21 the key was found; 22 the
// IPC_EXCL create failed.
TEST_F(SysvSemTest, AnotherIpcNamespaceHasItsOwnSetsUnderTheSameKey) {
  CLAIM("sem.beyond.namespace-isolation");
  SysvSemaphoreSet set = SysvSemaphoreSet::Create(kKey, 1);
  ChildProcess child = ChildProcess::Fork([] {
    if (::unshare(CLONE_NEWIPC) != 0) return ErrnoExit(errno);
    if (::semget(kKey, 1, 0) != -1 || errno != ENOENT) return 21;
    if (::semget(kKey, 1, IPC_CREAT | IPC_EXCL | 0600) < 0) return 22;
    return 0;
  });
  ASSERT_CHILD_EXITS(child, status);
  if (status.exited() && ErrnoFromExit(status.exit_code()) == EPERM) {
    SKIP_UNVERIFIED("unshare(CLONE_NEWIPC) in a child failed with EPERM");
  }
  EXPECT_TRUE(ExitedWithZero(status));
  EXPECT_THAT(::semget(kKey, 1, 0), SyscallSucceedsWithValue(set.id()));
}

}  // namespace
}  // namespace ipcproof

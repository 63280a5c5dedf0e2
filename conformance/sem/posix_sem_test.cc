// POSIX semaphores (sem_overview(7)): the sem.* claims for sem_wait(3) /
// sem_post(3) / sem_getvalue(3), and the sem.beyond.* behaviours of
// sem_timedwait(3), sem_init(3) with pshared = 1, and named semaphores
// (sem_open(3), sem_unlink(3)). glibc implements them over a futex word
// (nptl/sem_waitcommon.c): a waiter sleeps in futex(2), which is what
// /proc/PID/syscall shows (SYS_futex, FUTEX_WAIT_BITSET), and the value the
// caller sees lives in user memory, so "sharing" a semaphore means sharing
// that memory (MAP_SHARED here; /dev/shm/sem.NAME for a named one).
//
// Unnamed semaphores live in MAP_SHARED | MAP_ANONYMOUS memory made before
// the fork (ipc::MemoryMapping). Named ones use UniqueIpcName, so the
// runner removes whatever a crashed test leaves in /dev/shm; each test
// unlinks its own names (ipc::NamedPosixSemaphore). Blocking is proven from
// /proc (WaitUntilBlockedIn SYS_futex), never by sleeping; children report
// through their exit code (kit/child_exit.h) and are reaped with a deadline.
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/matchers.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/memory_mapping.h"
#include "ipc/posix_semaphore.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::MemoryMapping;
using ::ipc::NamedPosixSemaphore;
using ::ipc::PosixSemaphore;
using ::ipc::WaitStatus;

constexpr std::chrono::milliseconds kWakeupTimeout{5000};

// A waiter in sem_wait sleeps in futex(2) (FUTEX_WAIT_BITSET).
::testing::AssertionResult BlockedInSemWait(pid_t pid) {
  return WaitUntilBlockedIn(pid, SYS_futex);
}

// An absolute CLOCK_REALTIME time `ns` from now, for sem_timedwait(3).
timespec RealtimeIn(long ns) {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  t.tv_nsec += ns;
  t.tv_sec += t.tv_nsec / 1'000'000'000;
  t.tv_nsec %= 1'000'000'000;
  return t;
}

// The same on CLOCK_MONOTONIC, for sem_clockwait (glibc 2.30).
timespec MonotonicIn(long ns) {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += ns;
  t.tv_sec += t.tv_nsec / 1'000'000'000;
  t.tv_nsec %= 1'000'000'000;
  return t;
}

double MonotonicSince(const timespec& start) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec - start.tv_sec) +
         (now.tv_nsec - start.tv_nsec) / 1e9;
}

// In a child: sem_wait, bounded by a 5 s CLOCK_MONOTONIC deadline so that
// a lost wake-up ends the child instead of the test's watchdog. 0 when it
// took the semaphore, ErrnoExit otherwise (ETIMEDOUT: nobody posted).
int WaitInChild(sem_t* sem) {
  const timespec deadline = MonotonicIn(5'000'000'000);
  if (::sem_clockwait(sem, CLOCK_MONOTONIC, &deadline) == 0) return 0;
  return ErrnoExit(errno);
}

// An unnamed, process-shared semaphore in shared anonymous memory: what
// sem_init(3) asks for ("should be located in a region of shared memory").
struct SharedSemaphore {
  explicit SharedSemaphore(unsigned value)
      : memory(MemoryMapping::AnonymousShared(sizeof(sem_t))),
        sem(PosixSemaphore::InitIn(memory.As<sem_t>(), value, true)) {}
  MemoryMapping memory;
  PosixSemaphore sem;
};

int Value(sem_t* sem) {
  int v = -12345;
  if (::sem_getvalue(sem, &v) != 0) return -12345;
  return v;
}

// ===========================================================================
// sem.p-minus-v-plus

// sem_post(3): "increments (unlocks) the semaphore"; sem_wait(3):
// "decrements (locks) the semaphore"; sem_trywait: "If the decrement cannot
// be immediately performed, then call returns an error (errno set to
// EAGAIN)". Each moves the value by exactly one, whoever calls it, for an
// unnamed process-shared semaphore and for a named one. A glibc or kernel
// that lost or doubled a post fails here.
TEST(PosixSemTest, SemWaitAndSemPostChangeTheValueByExactlyOne) {
  CLAIM("sem.p-minus-v-plus");
  SharedSemaphore shared(0);
  NamedPosixSemaphore named =
      NamedPosixSemaphore::Create(UniqueIpcName("pv"), 0);
  for (sem_t* sem : {shared.sem.get(), named.get()}) {
    ASSERT_EQ(Value(sem), 0);
    for (int i = 1; i <= 3; ++i) {
      ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
      ASSERT_EQ(Value(sem), i) << "after post number " << i;
    }
    ChildProcess child = ChildProcess::Fork(
        [sem] { return ::sem_post(sem) == 0 ? 0 : ErrnoExit(errno); });
    ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
    ASSERT_EQ(Value(sem), 4) << "a post by another process";
    ASSERT_THAT(::sem_wait(sem), SyscallSucceeds());
    ASSERT_EQ(Value(sem), 3);
    for (int i = 2; i >= 0; --i) {
      ASSERT_THAT(::sem_trywait(sem), SyscallSucceeds());
      ASSERT_EQ(Value(sem), i);
    }
    EXPECT_THAT(::sem_trywait(sem), SyscallFailsWithErrno(EAGAIN));
    EXPECT_EQ(Value(sem), 0);
  }
}

// ===========================================================================
// sem.negative-count (refuted)

// sem_getvalue(3): "If one or more processes or threads are blocked waiting
// to lock the semaphore with sem_wait(3), POSIX.1 permits two possibilities
// for the value returned in sval: either 0 is returned; or a negative
// number whose absolute value is the count ... Linux adopts the former
// behavior." With one and with two processes asleep in sem_wait (proven
// from /proc: futex), the value is 0, never -1 or -2.
TEST(PosixSemTest, SemGetvalueSaysZeroWhileProcessesSleepInSemWait) {
  CLAIM("sem.negative-count");
  SharedSemaphore shared(0);
  sem_t* sem = shared.sem.get();
  ChildProcess first = ChildProcess::Fork([sem] { return WaitInChild(sem); });
  ASSERT_TRUE(BlockedInSemWait(first.pid()));
  EXPECT_EQ(Value(sem), 0);
  ChildProcess second = ChildProcess::Fork([sem] { return WaitInChild(sem); });
  ASSERT_TRUE(BlockedInSemWait(second.pid()));
  const int value = Value(sem);
  EXPECT_EQ(value, 0) << "sem_getvalue with two waiters";
  RecordMeasurement("sem.posix_getvalue_with_2_waiters", value);
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(first, kWakeupTimeout));
  EXPECT_TRUE(ExitsWithZeroWithin(second, kWakeupTimeout));
  EXPECT_EQ(Value(sem), 0);
}

// ===========================================================================
// sem.v-wakes-waiter

// sem_post(3): "If the semaphore's value consequently becomes greater than
// zero, then another process or thread blocked in a sem_wait(3) call will
// be woken up and proceed to lock the semaphore." One post with three
// processes asleep: exactly one proceeds (exits), the other two are still
// asleep in futex afterwards, and the value is 0 again (the woken one took
// it). Each waiter stays asleep until a post: before the post none has
// exited.
TEST(PosixSemTest, SemPostWakesExactlyOneOfThreeWaiters) {
  CLAIM("sem.v-wakes-waiter");
  SharedSemaphore shared(0);
  sem_t* sem = shared.sem.get();
  std::vector<ChildProcess> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.push_back(ChildProcess::Fork([sem] { return WaitInChild(sem); }));
    ASSERT_TRUE(BlockedInSemWait(waiters.back().pid()));
  }
  for (ChildProcess& w : waiters) {
    ASSERT_FALSE(w.TryWait()) << "a waiter passed before any post";
  }
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  std::vector<std::optional<WaitStatus>> done(waiters.size());
  size_t exited = 0;
  PollUntil(kWakeupTimeout, [&] {
    for (size_t i = 0; i < waiters.size(); ++i) {
      if (!done[i] && (done[i] = waiters[i].TryWait())) ++exited;
    }
    return exited > 0;
  });
  ASSERT_EQ(exited, 1u) << "waiters that proceeded after one sem_post";
  for (size_t i = 0; i < waiters.size(); ++i) {
    if (done[i]) {
      EXPECT_TRUE(ExitedWithZero(*done[i]));
    } else {
      EXPECT_TRUE(BlockedInSemWait(waiters[i].pid()))
          << "waiter " << i << " is no longer asleep after one post";
    }
  }
  EXPECT_EQ(Value(sem), 0);
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  for (size_t i = 0; i < waiters.size(); ++i) {
    if (!done[i]) {
      EXPECT_TRUE(ExitsWithZeroWithin(waiters[i], kWakeupTimeout));
    }
  }
}

// ===========================================================================
// sem.beyond.sem-timedwait-timeout

// sem_timedwait(3): "If the timeout has already expired by the time of the
// call, and the semaphore could not be locked immediately, then
// sem_timedwait() fails with a timeout error (errno set to ETIMEDOUT)";
// the deadline is absolute, on CLOCK_REALTIME. sem_clockwait takes its
// clock (CLOCK_MONOTONIC here). Each, on a value of 0 with nobody posting,
// returns ETIMEDOUT no earlier than 50 ms after it began (CLOCK_MONOTONIC;
// a lower bound only), and the value stays 0. Made by a child, so a call
// that never times out fails the deadline instead of hanging the test.
TEST(PosixSemTest, SemTimedwaitFailsEtimedoutNoEarlierThanItsDeadline) {
  CLAIM("sem.beyond.sem-timedwait-timeout");
  constexpr long kTimeoutNs = 50'000'000;
  SharedSemaphore shared(0);
  sem_t* sem = shared.sem.get();
  MemoryMapping report = MemoryMapping::AnonymousShared(2 * sizeof(double));
  double* elapsed = report.As<double>();
  ChildProcess child = ChildProcess::Fork([sem, elapsed] {
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    const timespec realtime = RealtimeIn(kTimeoutNs);
    if (::sem_timedwait(sem, &realtime) == 0) return 1;
    if (errno != ETIMEDOUT) return ErrnoExit(errno);
    elapsed[0] = MonotonicSince(start);
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    const timespec monotonic = MonotonicIn(kTimeoutNs);
    if (::sem_clockwait(sem, CLOCK_MONOTONIC, &monotonic) == 0) return 2;
    if (errno != ETIMEDOUT) return ErrnoExit(errno);
    elapsed[1] = MonotonicSince(start);
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout))
      << "status 1 or 2: a wait on 0 succeeded";
  EXPECT_GE(elapsed[0], kTimeoutNs / 1e9) << "sem_timedwait returned early";
  EXPECT_GE(elapsed[1], kTimeoutNs / 1e9) << "sem_clockwait returned early";
  RecordMeasurement("sem.posix_sem_timedwait_50ms_elapsed_s", elapsed[0]);
  RecordMeasurement("sem.posix_sem_clockwait_50ms_elapsed_s", elapsed[1]);
  EXPECT_EQ(Value(sem), 0);
}

// sem_timedwait(3) ERRORS: EINVAL "The value of abs_timeout.tv_nsecs is
// less than 0, or greater than or equal to 1000 million"; and "If the
// operation can be performed immediately, then sem_timedwait() never fails
// with a timeout error, regardless of the value of abs_timeout." On a value
// of 1 an expired deadline takes the semaphore; on 0 it fails ETIMEDOUT at
// once, and an out-of-range tv_nsec fails EINVAL.
//
// The man page goes on: "Furthermore, the validity of abs_timeout is not
// checked in this case." glibc 2.36 checks it first (nptl/sem_timedwait.c
// returns EINVAL before trying the semaphore), so on this system an invalid
// deadline fails even when the value is 1. That is the C library, not the
// kernel: it is recorded ("sem.posix_timedwait_invalid_deadline_when_
// available_errno", 0 when the call took the semaphore), not asserted.
TEST(PosixSemTest, SemTimedwaitChecksItsDeadlineWhenItWouldSleep) {
  CLAIM("sem.beyond.sem-timedwait-timeout");
  SharedSemaphore shared(1);
  sem_t* sem = shared.sem.get();
  const timespec invalid{0, 1'000'000'000};
  const timespec negative{0, -1};
  const timespec expired{0, 0};
  EXPECT_THAT(::sem_timedwait(sem, &expired), SyscallSucceeds());
  EXPECT_EQ(Value(sem), 0);
  EXPECT_THAT(::sem_timedwait(sem, &expired), SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_THAT(::sem_timedwait(sem, &invalid), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::sem_timedwait(sem, &negative), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Value(sem), 0);
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  const int r = ::sem_timedwait(sem, &invalid);
  RecordMeasurement("sem.posix_timedwait_invalid_deadline_when_available_errno",
                    r == 0 ? 0 : errno);
  EXPECT_EQ(Value(sem), r == 0 ? 0 : 1) << "the call took the semaphore and "
                                           "failed, or failed and took it";
}

// ===========================================================================
// sem.beyond.posix-unnamed-pshared

// sem_init(3): "If pshared is nonzero, then the semaphore is shared between
// processes, and should be located in a region of shared memory"; "a child
// created by fork(2) inherits the parent's memory mappings, it can also
// access the semaphore". In MAP_SHARED memory a child's post reaches the
// parent (and wakes it: the parent's wait is bounded), and the parent's
// post wakes a child asleep in sem_wait. The control: the same semaphore
// in MAP_PRIVATE memory is copied on write by fork(2), so the child's post
// changes only its own copy and the parent still reads 0.
TEST(PosixSemTest, UnnamedSemaphoreIsSharedAcrossForkOnlyInSharedMemory) {
  CLAIM("sem.beyond.posix-unnamed-pshared");
  SharedSemaphore shared(0);
  sem_t* sem = shared.sem.get();
  ChildProcess poster = ChildProcess::Fork(
      [sem] { return ::sem_post(sem) == 0 ? 0 : ErrnoExit(errno); });
  ASSERT_TRUE(ExitsWithZeroWithin(poster, kWakeupTimeout));
  const timespec deadline = MonotonicIn(5'000'000'000);
  ASSERT_THAT(::sem_clockwait(sem, CLOCK_MONOTONIC, &deadline),
              SyscallSucceeds())
      << "the child's post did not reach the parent";
  ChildProcess waiter = ChildProcess::Fork([sem] { return WaitInChild(sem); });
  ASSERT_TRUE(BlockedInSemWait(waiter.pid()));
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout));

  MemoryMapping private_memory = MemoryMapping::AnonymousPrivate(sizeof(sem_t));
  PosixSemaphore copied =
      PosixSemaphore::InitIn(private_memory.As<sem_t>(), 0, true);
  sem_t* own = copied.get();
  ChildProcess private_poster = ChildProcess::Fork([own] {
    if (::sem_post(own) != 0) return ErrnoExit(errno);
    return Value(own) == 1 ? 0 : 1;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(private_poster, kWakeupTimeout));
  EXPECT_EQ(Value(own), 0) << "a post in a MAP_PRIVATE copy reached the parent";
}

// ===========================================================================
// sem.beyond.posix-value-max

// sem_post(3) EOVERFLOW: "The maximum allowable value for a semaphore would
// be exceeded"; sem_init(3) EINVAL: "value exceeds SEM_VALUE_MAX".
// SEM_VALUE_MAX is what sysconf(_SC_SEM_VALUE_MAX) reports; a semaphore
// initialised to it takes no more posts and keeps its value; one more than
// it is refused.
TEST(PosixSemTest, SemPostAtSemValueMaxFailsEoverflow) {
  CLAIM("sem.beyond.posix-value-max");
  const long max = ::sysconf(_SC_SEM_VALUE_MAX);
  ASSERT_GT(max, 0) << "sysconf(_SC_SEM_VALUE_MAX)";
  RecordMeasurement("sem.sem_value_max", max);
  MemoryMapping memory = MemoryMapping::AnonymousShared(2 * sizeof(sem_t));
  PosixSemaphore full = PosixSemaphore::InitIn(
      memory.As<sem_t>(), static_cast<unsigned>(max), true);
  EXPECT_EQ(Value(full.get()), max);
  EXPECT_THAT(::sem_post(full.get()), SyscallFailsWithErrno(EOVERFLOW));
  EXPECT_EQ(Value(full.get()), max);
  EXPECT_THAT(::sem_init(memory.As<sem_t>(sizeof(sem_t)), 1,
                         static_cast<unsigned>(max) + 1),
              SyscallFailsWithErrno(EINVAL));
  const std::string name = UniqueIpcName("max");
  EXPECT_EQ(::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600,
                       static_cast<unsigned>(max) + 1),
            SEM_FAILED);
  EXPECT_EQ(errno, EINVAL);
  ::sem_unlink(name.c_str());  // in case it was made after all
}

// ===========================================================================
// sem.beyond.sem-wait-restart

// signal(7): "If a blocked call to one of the following interfaces is
// interrupted by a signal handler, then the call is automatically restarted
// after the signal handler returns if the SA_RESTART flag was used;
// otherwise the call fails with the error EINTR: ... POSIX semaphore
// interfaces: sem_wait(3) and sem_timedwait(3)". (Unlike semop.) A child
// asleep in sem_wait catches SIGUSR1: without SA_RESTART sem_wait fails
// EINTR; with it the child is asleep in futex again after its handler ran
// (the handler's mark in shared memory is seen first) and takes the
// semaphore when it is posted. Exit codes: 10 sigaction failed, 11 sem_wait
// returned 0 without SA_RESTART, 12 it failed with SA_RESTART (errno is
// ErrnoExit's), 13 the handler did not run.
struct RestartCase {
  const char* name;
  int sa_flags;
};

class PosixSemRestartTest : public ::testing::TestWithParam<RestartCase> {};

std::atomic<int>* g_handler_ran = nullptr;
void MarkHandlerRan(int) { g_handler_ran->store(1); }

TEST_P(PosixSemRestartTest, HandledSignalAndSemWait) {
  CLAIM("sem.beyond.sem-wait-restart");
  const RestartCase c = GetParam();
  SharedSemaphore shared(0);
  sem_t* sem = shared.sem.get();
  MemoryMapping mark = MemoryMapping::AnonymousShared(sizeof(std::atomic<int>));
  std::atomic<int>* ran = new (mark.As<std::atomic<int>>()) std::atomic<int>(0);
  ChildProcess child = ChildProcess::Fork([sem, ran, c] {
    g_handler_ran = ran;
    struct sigaction action {};
    action.sa_handler = MarkHandlerRan;
    action.sa_flags = c.sa_flags;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 10;
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    const int r = ::sem_wait(sem);
    const int err = errno;
    if (ran->load() != 1) return 13;
    if (c.sa_flags & SA_RESTART) return r == 0 ? 0 : ErrnoExit(err);
    if (r == 0) return 11;
    return err == EINTR ? 0 : ErrnoExit(err);
  });
  ASSERT_TRUE(BlockedInSemWait(child.pid()));
  child.Signal(SIGUSR1);
  if (c.sa_flags & SA_RESTART) {
    ASSERT_TRUE(PollUntil(kWakeupTimeout, [&] { return ran->load() == 1; }))
        << "the handler did not run";
    ASSERT_TRUE(BlockedInSemWait(child.pid()))
        << "sem_wait did not resume after the SA_RESTART handler";
    ASSERT_FALSE(child.TryWait()) << "sem_wait returned without a post";
    ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  }
  EXPECT_TRUE(ExitsWithZeroWithin(child, kWakeupTimeout));
  EXPECT_EQ(Value(sem), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PosixSemRestartTest,
    ::testing::Values(RestartCase{"WithSaRestartResumes", SA_RESTART},
                      RestartCase{"WithoutSaRestartFailsEintr", 0}),
    [](const ::testing::TestParamInfo<RestartCase>& info) {
      return std::string(info.param.name);
    });

// ===========================================================================
// sem.beyond.posix-named

// sem_open(3): "If both O_CREAT and O_EXCL are specified in oflag, then an
// error is returned if a semaphore with the given name already exists"
// (EEXIST); ENOENT "The O_CREAT flag was not specified in oflag and no
// semaphore with this name exists". sem_overview(7): a named semaphore "is
// created in a virtual filesystem, normally mounted under /dev/shm, with a
// name of the form sem.somename", with the mode asked for (less the umask).
// Opening the name again gives the same semaphore (a post through one
// handle is seen through the other).
TEST(PosixSemTest, SemOpenCreatesFindsOrFailsByName) {
  CLAIM("sem.beyond.posix-named");
  const std::string name = UniqueIpcName("named");
  NamedPosixSemaphore sem = NamedPosixSemaphore::Create(name, 2, 0640);
  EXPECT_EQ(::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0), SEM_FAILED);
  EXPECT_EQ(errno, EEXIST);
  const std::string missing = UniqueIpcName("missing");
  EXPECT_EQ(::sem_open(missing.c_str(), 0), SEM_FAILED);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_THAT(::sem_unlink(missing.c_str()), SyscallFailsWithErrno(ENOENT));
  const std::string file = "/dev/shm/sem." + name.substr(1);
  struct stat st {};
  ASSERT_THAT(::stat(file.c_str(), &st), SyscallSucceeds()) << file;
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777 & ~0640u, 0u) << "mode wider than asked";
  NamedPosixSemaphore again = NamedPosixSemaphore::Open(name);
  EXPECT_EQ(Value(again.get()), 2);
  ASSERT_THAT(::sem_post(again.get()), SyscallSucceeds());
  EXPECT_EQ(Value(sem.get()), 3);
  // O_CREAT without O_EXCL on an existing name opens it; value is ignored.
  NamedPosixSemaphore creat = NamedPosixSemaphore::Open(name, O_CREAT, 0600, 9);
  EXPECT_EQ(Value(creat.get()), 3);
}

// sem_unlink(3): "The semaphore name is removed immediately. The semaphore
// is destroyed once all other processes that have the semaphore open close
// it." After the unlink the open handle still posts and waits (and a child
// it was inherited by too), the name is gone (sem_open fails ENOENT, no
// file in /dev/shm), and O_CREAT | O_EXCL under the same name makes a
// different semaphore.
TEST(PosixSemTest, UnlinkedNamedSemaphoreStaysUsableWhileOpen) {
  CLAIM("sem.beyond.posix-named");
  const std::string name = UniqueIpcName("unlinked");
  NamedPosixSemaphore sem = NamedPosixSemaphore::Create(name, 0);
  sem.UnlinkName();
  EXPECT_EQ(::sem_open(name.c_str(), 0), SEM_FAILED);
  EXPECT_EQ(errno, ENOENT);
  const std::string file = "/dev/shm/sem." + name.substr(1);
  struct stat st {};
  EXPECT_THAT(::stat(file.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  sem_t* s = sem.get();
  ASSERT_THAT(::sem_post(s), SyscallSucceeds());
  EXPECT_EQ(Value(s), 1);
  ChildProcess waiter = ChildProcess::Fork([s] {
    if (WaitInChild(s) != 0) return 1;  // takes the 1
    return WaitInChild(s);              // sleeps until the next post
  });
  ASSERT_TRUE(BlockedInSemWait(waiter.pid()));
  ASSERT_THAT(::sem_post(s), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout));
  NamedPosixSemaphore fresh = NamedPosixSemaphore::Create(name, 5);
  EXPECT_EQ(Value(fresh.get()), 5);
  EXPECT_EQ(Value(s), 0) << "the new semaphore is not the unlinked one";
}

// A process that shares nothing with the test but the name: a program this
// binary runs itself after execve (so no inherited mapping or descriptor),
// which opens the semaphore by name. Run as "post", it posts and the test
// (bounded sem_clockwait) takes it; run as "wait", it sleeps in sem_wait
// (proven from /proc) until the test posts.
IPCPROOF_PROGRAM(sem_by_name) {
  if (argc != 3) return 2;
  sem_t* sem = ::sem_open(argv[1], 0);
  if (sem == SEM_FAILED) return ErrnoExit(errno);
  if (std::strcmp(argv[2], "post") == 0) {
    return ::sem_post(sem) == 0 ? 0 : ErrnoExit(errno);
  }
  return WaitInChild(sem);
}

TEST(PosixSemTest, NamedSemaphoreIsSharedByUnrelatedProcessesByName) {
  CLAIM("sem.beyond.posix-named");
  const std::string name = UniqueIpcName("byname");
  NamedPosixSemaphore sem = NamedPosixSemaphore::Create(name, 0);
  const char* n = name.c_str();
  ChildProcess poster = ChildProcess::Fork([n] {
    ExecProgram("sem_by_name", {n, "post"});
    return ExecFailureExit();
  });
  ASSERT_TRUE(ExitsWithZeroWithin(poster, kWakeupTimeout));
  const timespec deadline = MonotonicIn(5'000'000'000);
  ASSERT_THAT(::sem_clockwait(sem.get(), CLOCK_MONOTONIC, &deadline),
              SyscallSucceeds())
      << "the exec'd program's post did not arrive";
  ChildProcess waiter = ChildProcess::Fork([n] {
    ExecProgram("sem_by_name", {n, "wait"});
    return ExecFailureExit();
  });
  ASSERT_TRUE(BlockedInSemWait(waiter.pid()));
  ASSERT_THAT(::sem_post(sem.get()), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(waiter, kWakeupTimeout));
  EXPECT_EQ(Value(sem.get()), 0);
}

}  // namespace
}  // namespace ipcproof

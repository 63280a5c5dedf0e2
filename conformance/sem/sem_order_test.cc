// Semaphores between processes, as the note uses them: with an initial 0
// for producer/consumer order (sem.producer-consumer), with an initial 1 to
// guard shared memory (sem.guards-shm). Each runs for a System V semaphore
// (semop, with and without SEM_UNDO) and for a POSIX unnamed semaphore
// (sem_init pshared = 1) in MAP_SHARED memory, always between processes.
//
// The evidence is recorded by the processes themselves in shared memory
// and checked by the test afterwards: the producer's and the consumer's
// sequence numbers, the number of holders inside the critical section as
// each holder sees it on entry, and a counter updated with a plain
// read-modify-write. Every run is bounded (a fixed number of items and
// iterations), and the test reaps its workers with a deadline, so a lost
// wake-up fails the test instead of hanging it. The System V sets live in
// the test's private IPC namespace (SetUp).
#include <sched.h>
#include <semaphore.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/sem/sysv_sem_util.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/memory_mapping.h"
#include "ipc/posix_semaphore.h"
#include "ipc/sysv_semaphore.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::MemoryMapping;
using ::ipc::PosixSemaphore;
using ::ipc::SysvSemaphoreSet;

// Generous for a bounded run of a few thousand operations on 2 cores; far
// below the runner's watchdog.
constexpr std::chrono::milliseconds kRunTimeout{10000};

enum class Kind { kSysv, kSysvUndo, kPosix };

struct KindCase {
  const char* name;
  Kind kind;
};

// `count` semaphores of one kind, made in the test process, operated on by
// forked children with raw calls only (semop, sem_wait, sem_post).
class Semaphores {
 public:
  Semaphores(Kind kind, const std::vector<unsigned>& initial) : kind_(kind) {
    if (kind == Kind::kPosix) {
      memory_ = MemoryMapping::AnonymousShared(initial.size() * sizeof(sem_t));
      for (size_t i = 0; i < initial.size(); ++i) {
        posix_.push_back(PosixSemaphore::InitIn(
            memory_.As<sem_t>(i * sizeof(sem_t)), initial[i], true));
      }
    } else {
      sysv_ = std::make_unique<SysvSemaphoreSet>(SysvSemaphoreSet::Create(
          IPC_PRIVATE, static_cast<int>(initial.size())));
      for (size_t i = 0; i < initial.size(); ++i) {
        sysv_->SetValue(static_cast<unsigned short>(i),
                        static_cast<int>(initial[i]));
      }
      id_ = sysv_->id();
    }
  }

  // Async-signal-safe: 0 or -1 with errno.
  int P(int i) const {
    switch (kind_) {
      case Kind::kSysv:
        return SemOp1(id_, static_cast<unsigned short>(i), -1);
      case Kind::kSysvUndo:
        return SemOp1(id_, static_cast<unsigned short>(i), -1, SEM_UNDO);
      case Kind::kPosix:
        return ::sem_wait(posix_[i].get());
    }
    return -1;
  }
  int V(int i) const {
    switch (kind_) {
      case Kind::kSysv:
        return SemOp1(id_, static_cast<unsigned short>(i), +1);
      case Kind::kSysvUndo:
        return SemOp1(id_, static_cast<unsigned short>(i), +1, SEM_UNDO);
      case Kind::kPosix:
        return ::sem_post(posix_[i].get());
    }
    return -1;
  }
  // What a sleeping P shows in /proc/PID/syscall.
  ::testing::AssertionResult BlockedInP(pid_t pid) const {
    if (kind_ == Kind::kPosix) return WaitUntilBlockedIn(pid, SYS_futex);
    return BlockedInSemop(pid);
  }
  int Value(int i) const {
    if (kind_ == Kind::kPosix) {
      int v = -1;
      ::sem_getvalue(posix_[i].get(), &v);
      return v;
    }
    return sysv_->Value(static_cast<unsigned short>(i));
  }

 private:
  Kind kind_;
  int id_ = -1;
  std::unique_ptr<SysvSemaphoreSet> sysv_;
  MemoryMapping memory_;
  std::vector<PosixSemaphore> posix_;
};

class SemOrderTest : public ::testing::TestWithParam<KindCase> {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

// The lock runs also with SEM_UNDO on both P and V (semadj nets to 0 after
// each pair). Producer/consumer does not: there the consumer's P's and the
// producer's V's would each leave a semadj of the whole run, and the two
// exits would revert it (exit_sem: the producer's -N clamped at 0, then
// the consumer's +N), so SEM_UNDO is for locks, not for counting.
class SemLockTest : public SemOrderTest {};

// ===========================================================================
// sem.producer-consumer

// The bounded buffer of the textbook, with the note's "initialised to 0":
// `items` starts at 0 and `spaces` at the number of slots. The producer
// waits for a space, writes item i (sequence number i + 1) into slot
// i % kSlots, records `produced` = i + 1, and posts an item; the consumer
// waits for an item, checks that `produced` already exceeds i and that the
// slot holds i + 1, records `consumed` = i + 1, and posts a space. The
// producer checks in turn that the slot it overwrites was consumed. First
// the consumer alone is proven asleep in its P with nothing consumed; then
// the producer starts. Every violation is counted in shared memory, and
// all counts must be 0: a semaphore whose P let the consumer through early
// (a negative count taken for "available", a wake-up without a V) shows
// up as a consumption before production.
struct Ring {
  static constexpr int kSlots = 4;
  std::atomic<long> produced{0};
  std::atomic<long> consumed{0};
  long slot[kSlots] = {};
  std::atomic<long> consumed_before_produced{0};
  std::atomic<long> wrong_sequence{0};
  std::atomic<long> overwritten_unconsumed{0};
};

TEST_P(SemOrderTest, ConsumerNeverConsumesBeforeTheProducerProduced) {
  CLAIM("sem.producer-consumer");
  constexpr long kItems = 2000;
  constexpr int kItemsSem = 0, kSpacesSem = 1;
  const Semaphores sems(GetParam().kind, {0, Ring::kSlots});
  MemoryMapping memory = MemoryMapping::AnonymousShared(sizeof(Ring));
  Ring* ring = new (memory.As<Ring>()) Ring();

  ChildProcess consumer = ChildProcess::Fork([&sems, ring] {
    for (long i = 0; i < kItems; ++i) {
      if (sems.P(kItemsSem) != 0) return ErrnoExit(errno);
      if (ring->produced.load() <= i) ++ring->consumed_before_produced;
      if (ring->slot[i % Ring::kSlots] != i + 1) ++ring->wrong_sequence;
      ring->consumed.store(i + 1);
      if (sems.V(kSpacesSem) != 0) return ErrnoExit(errno);
    }
    return 0;
  });
  ASSERT_TRUE(sems.BlockedInP(consumer.pid()));
  EXPECT_EQ(ring->consumed.load(), 0) << "consumed with nothing produced";
  EXPECT_EQ(sems.Value(kItemsSem), 0);

  ChildProcess producer = ChildProcess::Fork([&sems, ring] {
    for (long i = 0; i < kItems; ++i) {
      if (sems.P(kSpacesSem) != 0) return ErrnoExit(errno);
      if (ring->consumed.load() < i - Ring::kSlots + 1) {
        ++ring->overwritten_unconsumed;
      }
      ring->slot[i % Ring::kSlots] = i + 1;
      ring->produced.store(i + 1);
      if (sems.V(kItemsSem) != 0) return ErrnoExit(errno);
    }
    return 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(producer, kRunTimeout));
  EXPECT_TRUE(ExitsWithZeroWithin(consumer, kRunTimeout));
  EXPECT_EQ(ring->produced.load(), kItems);
  EXPECT_EQ(ring->consumed.load(), kItems);
  EXPECT_EQ(ring->consumed_before_produced.load(), 0);
  EXPECT_EQ(ring->wrong_sequence.load(), 0);
  EXPECT_EQ(ring->overwritten_unconsumed.load(), 0);
  EXPECT_EQ(sems.Value(kItemsSem), 0);
  EXPECT_EQ(sems.Value(kSpacesSem), Ring::kSlots);
  RecordMeasurement("sem.items_passed", ring->consumed.load());
  RecordMeasurement("sem.consumed_before_produced",
                    ring->consumed_before_produced.load());
}

// ===========================================================================
// sem.guards-shm

// The note's "ensure the shared memory is accessed by one process at a
// time": a semaphore initialised to 1 as a lock. Each of kWorkers
// processes, kIterations times, takes the lock, counts itself into
// `inside` and notes an overlap if it is not alone, increments a plain
// (non-atomic) counter in shared memory by reading it, yielding the CPU
// and writing it back, counts itself out and releases the lock. With the
// lock: no overlap and no lost update (the counter is exactly kWorkers *
// kIterations), both asserted. The same loop without the lock is run first
// as the control, and its lost updates and overlaps are recorded (not
// asserted: on some schedules they may not happen), to show the checks can
// see what the lock prevents.
struct Guarded {
  std::atomic<int> inside{0};
  std::atomic<long> overlaps{0};
  long counter = 0;  // updated only by read, yield, write
};

constexpr int kWorkers = 4;
constexpr long kIterations = 1500;

// In a child. `lock` null runs without a lock.
int Work(const Semaphores* lock, Guarded* g) {
  for (long i = 0; i < kIterations; ++i) {
    if (lock != nullptr && lock->P(0) != 0) return ErrnoExit(errno);
    if (g->inside.fetch_add(1) != 0) ++g->overlaps;
    const long seen = *static_cast<volatile long*>(&g->counter);
    ::sched_yield();  // widens the window a second holder would use
    *static_cast<volatile long*>(&g->counter) = seen + 1;
    g->inside.fetch_sub(1);
    if (lock != nullptr && lock->V(0) != 0) return ErrnoExit(errno);
  }
  return 0;
}

::testing::AssertionResult RunWorkers(const Semaphores* lock, Guarded* g) {
  std::vector<ChildProcess> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(ChildProcess::Fork([lock, g] { return Work(lock, g); }));
  }
  for (ChildProcess& worker : workers) {
    const ::testing::AssertionResult exited =
        ExitsWithZeroWithin(worker, kRunTimeout);
    if (!exited) return exited;
  }
  return ::testing::AssertionSuccess();
}

TEST_P(SemLockTest, LockedSemaphoreAllowsOneHolderAndLosesNoUpdate) {
  CLAIM("sem.guards-shm");
  const long expected = kWorkers * kIterations;
  MemoryMapping control_memory =
      MemoryMapping::AnonymousShared(sizeof(Guarded));
  Guarded* control = new (control_memory.As<Guarded>()) Guarded();
  ASSERT_TRUE(RunWorkers(nullptr, control));
  RecordMeasurement("sem.lost_updates_without_lock",
                    expected - control->counter);
  RecordMeasurement("sem.overlaps_without_lock", control->overlaps.load());

  const Semaphores lock(GetParam().kind, {1});
  MemoryMapping memory = MemoryMapping::AnonymousShared(sizeof(Guarded));
  Guarded* g = new (memory.As<Guarded>()) Guarded();
  ASSERT_TRUE(RunWorkers(&lock, g));
  EXPECT_EQ(g->overlaps.load(), 0) << "two holders inside at once";
  EXPECT_EQ(g->counter, expected) << "lost updates under the lock";
  EXPECT_EQ(lock.Value(0), 1) << "the lock is not free after the run";
  RecordMeasurement("sem.lost_updates_with_lock", expected - g->counter);
  RecordMeasurement("sem.overlaps_with_lock", g->overlaps.load());
}

std::string KindName(const ::testing::TestParamInfo<KindCase>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Kinds, SemOrderTest,
                         ::testing::Values(KindCase{"SysvSemop", Kind::kSysv},
                                           KindCase{"PosixUnnamedPshared",
                                                    Kind::kPosix}),
                         KindName);

INSTANTIATE_TEST_SUITE_P(
    Kinds, SemLockTest,
    ::testing::Values(KindCase{"SysvSemop", Kind::kSysv},
                      KindCase{"SysvSemopSemUndo", Kind::kSysvUndo},
                      KindCase{"PosixUnnamedPshared", Kind::kPosix}),
    KindName);

}  // namespace
}  // namespace ipcproof

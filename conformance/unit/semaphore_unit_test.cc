// Fault injection into the semaphore wrappers (ipc/sysv_semaphore.h,
// ipc/posix_semaphore.h) through the ipc::SemSyscalls seam: which arguments
// reach semget(2), semop(2), semtimedop(2), semctl(2) and glibc's sem_*
// functions; which are refused before any call; what every error becomes;
// and that each object releases what it owns (IPC_RMID, sem_destroy,
// sem_close, sem_unlink) exactly once, by its last owner.
//
// EINTR in particular: signal(7) says semop and semtimedop are never
// restarted after a signal handler, and the conformance tests must be able
// to show what sem_wait does. So no wrapper here retries; each test that
// injects EINTR allows exactly one call (StrictMock and WillOnce) and
// checks that the EINTR reached the caller.
//
// The hot paths (P, V, TryOp, TimedOp, Wait, Post, ...) promise to allocate
// nothing on success: this binary counts heap allocations, and a loopback
// seam with no gmock behind it (gmock allocates while matching) runs them
// inside the counted window.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_sem_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/posix_semaphore.h"
#include "ipc/sem_syscalls.h"
#include "ipc/sysv_semaphore.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::MockFunction;
using ::testing::NotNull;
using ::testing::Pointee;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;
using ::testing::StrEq;
using ::testing::Truly;

using namespace std::chrono_literals;

constexpr key_t kKey = 0x5e3a;
constexpr int kOtherSetId = 0x7ffffff1;
constexpr int kCount = 3;

// "semop(semid=2147483632)": how the wrapper names a call on the set.
std::string Named(const char* call) {
  return std::string(call) + "(semid=" + std::to_string(kFakeSemaphoreSetId) +
         ")";
}

// The operations a semop(2) stand-in was given, copied out.
using Ops = std::vector<std::array<int, 3>>;

Ops Copy(const sembuf* ops, size_t n) {
  Ops copied;
  for (size_t i = 0; i < n; ++i) {
    copied.push_back({ops[i].sem_num, ops[i].sem_op, ops[i].sem_flg});
  }
  return copied;
}

// A semop stand-in that records the operations into `seen` and returns
// `result` (with errno `err` when it is -1).
auto RecordOps(Ops& seen, int result = 0, int err = 0) {
  return [&seen, result, err](int, sembuf* ops, size_t n) -> int {
    seen = Copy(ops, n);
    if (result < 0) errno = err;
    return result;
  };
}

auto ArgVal(int value) { return Field(&ipc::SemctlArg::val, value); }

class SysvSemUnitTest : public MockedSemSyscallsTest {
 protected:
  // A set this object created (semget succeeded); the test states what
  // happens to it at the end.
  ipc::SysvSemaphoreSet MakeOwned(int id = kFakeSemaphoreSetId,
                                  int count = kCount) {
    EXPECT_CALL(sys_, Semget(IPC_PRIVATE, count, IPC_CREAT | IPC_EXCL | 0600))
        .WillOnce(Return(id))
        .RetiresOnSaturation();
    return ipc::SysvSemaphoreSet::Create(IPC_PRIVATE, count);
  }
  void ExpectRemovedOnce(int id = kFakeSemaphoreSetId) {
    EXPECT_CALL(sys_, Semctl(id, 0, IPC_RMID, _)).WillOnce(Return(0));
  }
  // A set opened by key (not owned): semget, then IPC_STAT for the count.
  ipc::SysvSemaphoreSet Borrowed(int count = kCount) {
    semid_ds ds{};
    ds.sem_nsems = count;
    EXPECT_CALL(sys_, Semget(kKey, 0, 0))
        .WillOnce(Return(kFakeSemaphoreSetId))
        .RetiresOnSaturation();
    EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_STAT,
                             Field(&ipc::SemctlArg::buf, NotNull())))
        .WillOnce([ds](int, int, int, ipc::SemctlArg arg) {
          *arg.buf = ds;
          return 0;
        })
        .RetiresOnSaturation();
    return ipc::SysvSemaphoreSet::Open(kKey);
  }
};

// ------------------------------------------------------ Create and Open

TEST_F(SysvSemUnitTest, CreatePassesCountIpcCreatIpcExclAndModeAndOwns) {
  // IPC_EXCL: a key already in use must fail (EEXIST) rather than hand this
  // object someone else's set, which its destructor would remove.
  EXPECT_CALL(sys_, Semget(kKey, 4, IPC_CREAT | IPC_EXCL | 0640))
      .WillOnce(Return(kFakeSemaphoreSetId));
  ExpectRemovedOnce();

  ipc::SysvSemaphoreSet set = ipc::SysvSemaphoreSet::Create(kKey, 4, 0640);
  EXPECT_EQ(set.id(), kFakeSemaphoreSetId);
  EXPECT_EQ(set.count(), 4);
  EXPECT_TRUE(set.owned());
}

TEST_F(SysvSemUnitTest, CreateLeavesTheCountToTheKernel) {
  // semget(2): EINVAL for nsems < 1 with a new set, or above SEMMSL, a
  // sysctl (/proc/sys/kernel/sem): the kernel's limit, which a conformance
  // test must be able to meet, so the wrapper does not pre-empt it.
  EXPECT_CALL(sys_, Semget(IPC_PRIVATE, 0, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_CALL(sys_, Semget(IPC_PRIVATE, 100000, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Create(IPC_PRIVATE, 0); },
              ThrowsSystemError(EINVAL, HasSubstr("nsems=0")));
  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Create(IPC_PRIVATE, 100000); },
              ThrowsSystemError(EINVAL, HasSubstr("nsems=100000")));
}

TEST_F(SysvSemUnitTest, CreateFailureThrowsNamingSemgetTheKeyAndCount) {
  // Nothing was created, so nothing is removed (StrictMock: no semctl).
  EXPECT_CALL(sys_, Semget(kKey, 2, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EEXIST, -1));

  EXPECT_THAT(
      [] { ipc::SysvSemaphoreSet::Create(kKey, 2); },
      ThrowsSystemError(EEXIST, HasSubstr("semget(key=" + std::to_string(kKey) +
                                          ", nsems=2, IPC_CREAT|IPC_EXCL)")));
}

TEST_F(SysvSemUnitTest, OpenPassesFlagsReadsTheCountAndNeverRemoves) {
  semid_ds ds{};
  ds.sem_nsems = 7;
  InSequence in_order;
  EXPECT_CALL(sys_, Semget(kKey, 2, 0400))
      .WillOnce(Return(kFakeSemaphoreSetId));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_STAT,
                           Field(&ipc::SemctlArg::buf, NotNull())))
      .WillOnce([ds](int, int, int, ipc::SemctlArg arg) {
        *arg.buf = ds;
        return 0;
      });

  ipc::SysvSemaphoreSet set = ipc::SysvSemaphoreSet::Open(kKey, 2, 0400);
  EXPECT_EQ(set.id(), kFakeSemaphoreSetId);
  EXPECT_EQ(set.count(), 7);  // the set's size, not the nsems asked for
  EXPECT_FALSE(set.owned());
}

TEST_F(SysvSemUnitTest, OpenFailuresThrowAndRemoveNothing) {
  EXPECT_CALL(sys_, Semget(kKey, 0, 0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1))
      .WillOnce(Return(kFakeSemaphoreSetId));
  // Only the IPC_STAT: the set is not this object's to remove.
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_STAT, _))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  EXPECT_THAT(
      [] { ipc::SysvSemaphoreSet::Open(kKey); },
      ThrowsSystemError(ENOENT, HasSubstr("semget(key=" + std::to_string(kKey) +
                                          ", nsems=0)")));
  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Open(kKey); },
              ThrowsSystemError(EACCES, HasSubstr(Named("semctl(IPC_STAT)"))));
}

// --------------------------------------------------------- Bad arguments

TEST_F(SysvSemUnitTest, BadArgumentsAreRefusedBeforeAnyCall) {
  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_CALL(sys_, Semget).Times(0);
  EXPECT_CALL(sys_, Semop).Times(0);
  EXPECT_CALL(sys_, Semtimedop).Times(0);
  EXPECT_CALL(sys_, Semctl).Times(0);

  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Create(kKey, 1, IPC_CREAT | 0600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Open(IPC_PRIVATE); },
              ThrowsInvalidArgument(HasSubstr("IPC_PRIVATE names no")));
  EXPECT_THAT([] { ipc::SysvSemaphoreSet::Open(kKey, 0, IPC_CREAT); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));

  // semop(2) with no operations: EINVAL from the kernel, known beforehand.
  EXPECT_THAT([&] { set.Op({}); },
              ThrowsInvalidArgument(HasSubstr("no operations")));
  EXPECT_THAT([&] { set.TryOp({}); },
              ThrowsInvalidArgument(HasSubstr("no operations")));
  EXPECT_THAT([&] { set.TimedOp({}, 1s); },
              ThrowsInvalidArgument(HasSubstr("no operations")));
  const sembuf op{0, -1, 0};
  EXPECT_THAT(
      [&] {
        set.TimedOp({&op, 1}, -1ns);
      },
      ThrowsInvalidArgument(HasSubstr("timeout is negative")));

  // Indices: the set has kCount semaphores, 0 .. kCount-1.
  const auto index = HasSubstr("not below the set's count");
  EXPECT_THAT([&] { set.P(kCount); }, ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.V(kCount); }, ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.Value(kCount); }, ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.SetValue(kCount, 1); }, ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.WaitingForIncrease(kCount); },
              ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.WaitingForZero(kCount); },
              ThrowsInvalidArgument(index));
  EXPECT_THAT([&] { set.LastPid(65535); }, ThrowsInvalidArgument(index));

  // P and V carry only the two flags semop(2) defines for sem_flg.
  for (const short flags : {short{IPC_CREAT}, short{IPC_EXCL}, short{1}}) {
    EXPECT_THAT([&] { set.P(0, flags); },
                ThrowsInvalidArgument(HasSubstr("IPC_NOWAIT and SEM_UNDO")))
        << "flags " << flags;
    EXPECT_THAT([&] { set.V(0, flags); },
                ThrowsInvalidArgument(HasSubstr("IPC_NOWAIT and SEM_UNDO")))
        << "flags " << flags;
  }

  // SETALL writes every semaphore: a shorter list would make the kernel
  // read past it, a longer one would be silently cut.
  const std::vector<unsigned short> two = {1, 2};
  const std::vector<unsigned short> four = {1, 2, 3, 4};
  EXPECT_THAT([&] { set.SetValues(two); },
              ThrowsInvalidArgument(HasSubstr("exactly one value")));
  EXPECT_THAT([&] { set.SetValues(four); },
              ThrowsInvalidArgument(HasSubstr("exactly one value")));
}

// ------------------------------------------------------------------ semop

TEST_F(SysvSemUnitTest, OpPassesEveryOperationAsGiven) {
  // All in one semop call (atomic, semop(2)); sem_num is not checked
  // against count(): a raw list is the kernel's to judge (EFBIG).
  Ops seen;
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, NotNull(), 3))
      .WillOnce(RecordOps(seen));

  ipc::SysvSemaphoreSet set = Borrowed();
  const std::array<sembuf, 3> ops = {
      {{0, -1, SEM_UNDO}, {2, 0, IPC_NOWAIT}, {9, 5, 0}}};
  set.Op(ops);
  EXPECT_EQ(seen, (Ops{{0, -1, SEM_UNDO}, {2, 0, IPC_NOWAIT}, {9, 5, 0}}));
}

TEST_F(SysvSemUnitTest, OpErrorThrowsNamingSemopTheSetAndTheOperations) {
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, _, 2))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  const std::array<sembuf, 2> ops = {{{1, -1, IPC_NOWAIT}, {0, 2, 0}}};
  EXPECT_THAT([&] { set.Op(ops); },
              ThrowsSystemError(
                  EIDRM, HasSubstr(Named("semop") + " of [sem 1 op -1 flags "
                                                    "0x800, sem 0 op 2]")));
}

TEST_F(SysvSemUnitTest, OpThrowsEintrAndDoesNotRetry) {
  // signal(7): semop is never restarted after a handler; a retry here would
  // hide that. Exactly one call.
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, _, 1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  const sembuf op{0, -1, 0};
  EXPECT_THAT(
      [&] {
        set.Op({&op, 1});
      },
      ThrowsSystemError(EINTR, HasSubstr(Named("semop"))));
}

TEST_F(SysvSemUnitTest, TryOpReturnsZeroOrTheErrnoWithoutRetrying) {
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, NotNull(), 1))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(E2BIG, -1))
      .WillOnce(SetErrnoAndReturn(ERANGE, -1))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  const sembuf op{0, -1, IPC_NOWAIT};
  EXPECT_EQ(set.TryOp({&op, 1}), 0);
  EXPECT_EQ(set.TryOp({&op, 1}), EAGAIN);
  EXPECT_EQ(set.TryOp({&op, 1}), EINTR);  // one call: not retried
  EXPECT_EQ(set.TryOp({&op, 1}), E2BIG);
  EXPECT_EQ(set.TryOp({&op, 1}), ERANGE);
  EXPECT_EQ(set.TryOp({&op, 1}), EIDRM);
}

TEST_F(SysvSemUnitTest, TimedOpPassesTheTimeoutRelativeAndReturnsTheErrno) {
  // semop(2): semtimedop's timeout is "a relative timeout" — unlike
  // sem_timedwait's absolute deadline. 1.5 s must arrive as {1, 5e8}.
  Ops seen;
  EXPECT_CALL(sys_,
              Semtimedop(kFakeSemaphoreSetId, NotNull(), 1,
                         Pointee(AllOf(Field(&timespec::tv_sec, 1),
                                       Field(&timespec::tv_nsec, 500000000L)))))
      .WillOnce([&](int, sembuf* ops, size_t n, const timespec*) {
        seen = Copy(ops, n);
        errno = EAGAIN;  // the timeout expired
        return -1;
      });
  EXPECT_CALL(sys_, Semtimedop(kFakeSemaphoreSetId, NotNull(), 1,
                               Pointee(AllOf(Field(&timespec::tv_sec, 0),
                                             Field(&timespec::tv_nsec, 0L)))))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  const sembuf op{2, -1, SEM_UNDO};
  EXPECT_EQ(set.TimedOp({&op, 1}, 1500ms), EAGAIN);
  EXPECT_EQ(seen, (Ops{{2, -1, SEM_UNDO}}));
  EXPECT_EQ(set.TimedOp({&op, 1}, 0ns), 0);
  EXPECT_EQ(set.TimedOp({&op, 1}, 0ns), EINTR);  // one call: not retried
}

TEST_F(SysvSemUnitTest, PAndVAreOneOperationOfMinusAndPlusOne) {
  Ops p, v, p_flags;
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, NotNull(), 1))
      .WillOnce(RecordOps(p))
      .WillOnce(RecordOps(v))
      .WillOnce(RecordOps(p_flags));

  ipc::SysvSemaphoreSet set = Borrowed();
  set.P(2);
  set.V(1);
  set.P(0, IPC_NOWAIT | SEM_UNDO);
  EXPECT_EQ(p, (Ops{{2, -1, 0}}));
  EXPECT_EQ(v, (Ops{{1, 1, 0}}));
  EXPECT_EQ(p_flags, (Ops{{0, -1, IPC_NOWAIT | SEM_UNDO}}));
}

TEST_F(SysvSemUnitTest, PWithIpcNowaitOnZeroThrowsEagainNamingTheOperation) {
  // P promises to throw what semop said; the errno as a value is TryOp's.
  EXPECT_CALL(sys_, Semop(kFakeSemaphoreSetId, _, 1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(ERANGE, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_THAT([&] { set.P(1, IPC_NOWAIT); },
              ThrowsSystemError(
                  EAGAIN, HasSubstr(Named("semop") + " of [sem 1 op -1")));
  // V past SEMVMX: ERANGE (semop(2)).
  EXPECT_THAT([&] { set.V(0); },
              ThrowsSystemError(
                  ERANGE, HasSubstr(Named("semop") + " of [sem 0 op 1]")));
}

// ----------------------------------------------------------------- semctl

TEST_F(SysvSemUnitTest, QueriesPassTheIndexAndCommandAndReturnTheValue) {
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 2, GETVAL, _))
      .WillOnce(Return(5));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, GETNCNT, _))
      .WillOnce(Return(2));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, GETZCNT, _))
      .WillOnce(Return(1));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 2, GETPID, _))
      .WillOnce(Return(4321));

  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_EQ(set.Value(2), 5);
  EXPECT_EQ(set.WaitingForIncrease(1), 2);
  EXPECT_EQ(set.WaitingForZero(0), 1);
  EXPECT_EQ(set.LastPid(2), 4321);
}

TEST_F(SysvSemUnitTest, QueryValuesOfZeroAreValuesNotErrors) {
  // GETVAL of 0 is the point of sem.negative-count; GETPID 0 means no semop
  // yet. Only -1 is a failure.
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, GETVAL, _))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, GETPID, _))
      .WillOnce(Return(0));

  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_EQ(set.Value(0), 0);
  EXPECT_EQ(set.LastPid(0), 0);
}

TEST_F(SysvSemUnitTest, QueryErrorsThrowNamingTheCommandAndTheIndex) {
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, GETVAL, _))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, GETNCNT, _))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, GETZCNT, _))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, GETPID, _))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_THAT([&] { set.Value(1); },
              ThrowsSystemError(EACCES, HasSubstr(Named("semctl(GETVAL)") +
                                                  " of semaphore 1")));
  EXPECT_THAT([&] { set.WaitingForIncrease(1); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("semctl(GETNCNT)") +
                                                 " of semaphore 1")));
  EXPECT_THAT([&] { set.WaitingForZero(1); },
              ThrowsSystemError(EINVAL, HasSubstr(Named("semctl(GETZCNT)") +
                                                  " of semaphore 1")));
  EXPECT_THAT([&] { set.LastPid(1); },
              ThrowsSystemError(EACCES, HasSubstr(Named("semctl(GETPID)") +
                                                  " of semaphore 1")));
}

TEST_F(SysvSemUnitTest, SetValuePassesTheValueUncheckedToTheKernel) {
  // semctl(2): ERANGE for a value above SEMVMX or below 0: the kernel's
  // answer, which the wrapper passes on with the value in the message.
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 1, SETVAL, ArgVal(7)))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 2, SETVAL, ArgVal(-1)))
      .WillOnce(SetErrnoAndReturn(ERANGE, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  set.SetValue(1, 7);
  EXPECT_THAT([&] { set.SetValue(2, -1); },
              ThrowsSystemError(ERANGE, HasSubstr(Named("semctl(SETVAL)") +
                                                  " of semaphore 2 to -1")));
}

TEST_F(SysvSemUnitTest, ValuesReadsEverySemaphoreWithGetall) {
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, GETALL,
                           Field(&ipc::SemctlArg::array, NotNull())))
      .WillOnce([](int, int, int, ipc::SemctlArg arg) {
        arg.array[0] = 4;
        arg.array[1] = 0;
        arg.array[2] = 32767;
        return 0;
      })
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  EXPECT_THAT(set.Values(), ElementsAre(4, 0, 32767));
  EXPECT_THAT([&] { set.Values(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("semctl(GETALL)"))));
}

TEST_F(SysvSemUnitTest, SetValuesHandsTheCallersValuesToSetall) {
  std::vector<unsigned short> seen;
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, SETALL,
                           Field(&ipc::SemctlArg::array, NotNull())))
      .WillOnce([&](int, int, int, ipc::SemctlArg arg) {
        seen.assign(arg.array, arg.array + kCount);
        return 0;
      })
      .WillOnce(SetErrnoAndReturn(ERANGE, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  const std::array<unsigned short, kCount> values = {3, 1, 65535};
  set.SetValues(values);
  EXPECT_THAT(seen, ElementsAre(3, 1, 65535));
  // 65535 is above SEMVMX (32767): the kernel says ERANGE.
  EXPECT_THAT([&] { set.SetValues(values); },
              ThrowsSystemError(ERANGE, HasSubstr(Named("semctl(SETALL)"))));
}

TEST_F(SysvSemUnitTest, StatReturnsWhatIpcStatFilledIn) {
  ipc::SysvSemaphoreSet set = Borrowed();
  semid_ds filled{};
  filled.sem_nsems = kCount;
  filled.sem_perm.mode = 0640;
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_STAT,
                           Field(&ipc::SemctlArg::buf, NotNull())))
      .WillOnce([filled](int, int, int, ipc::SemctlArg arg) {
        *arg.buf = filled;
        return 0;
      })
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  const semid_ds ds = set.Stat();
  EXPECT_EQ(ds.sem_nsems, static_cast<unsigned long>(kCount));
  EXPECT_EQ(ds.sem_perm.mode, 0640);
  EXPECT_THAT([&] { set.Stat(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("semctl(IPC_STAT)"))));
}

TEST_F(SysvSemUnitTest, SetPassesTheCallersPermissionsToIpcSet) {
  semid_ds wanted{};
  wanted.sem_perm.uid = 1234;
  wanted.sem_perm.gid = 5678;
  wanted.sem_perm.mode = 0604;
  ipc_perm seen{};
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_SET,
                           Field(&ipc::SemctlArg::buf, NotNull())))
      .WillOnce([&](int, int, int, ipc::SemctlArg arg) {
        seen = arg.buf->sem_perm;
        return 0;
      })
      .WillOnce(SetErrnoAndReturn(EPERM, -1));

  ipc::SysvSemaphoreSet set = Borrowed();
  set.Set(wanted);
  EXPECT_EQ(seen.uid, 1234u);
  EXPECT_EQ(seen.gid, 5678u);
  EXPECT_EQ(seen.mode, 0604);
  EXPECT_THAT([&] { set.Set(wanted); },
              ThrowsSystemError(EPERM, HasSubstr(Named("semctl(IPC_SET)"))));
}

// -------------------------------------------------------------- Ownership

TEST_F(SysvSemUnitTest, DestructorRemovesAnOwnedSetOnce) {
  // sysvipc(7): a set outlives every process until IPC_RMID.
  ExpectRemovedOnce();
  ipc::SysvSemaphoreSet set = MakeOwned();
}

TEST_F(SysvSemUnitTest, DestructorSwallowsAFailingIpcRmid) {
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_RMID, _))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ipc::SysvSemaphoreSet set = MakeOwned();
}

TEST_F(SysvSemUnitTest, RemoveCallsIpcRmidNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_RMID, _))
        .WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("removed"));
  }
  {
    ipc::SysvSemaphoreSet set = MakeOwned();
    set.Remove();
    EXPECT_FALSE(set.owned());
    checkpoint.Call("removed");
  }
}

TEST_F(SysvSemUnitTest, RemoveFailureThrowsAndKeepsOwnership) {
  ipc::SysvSemaphoreSet set = MakeOwned();
  EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_RMID, _))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .WillOnce(Return(0));  // the destructor's second try

  EXPECT_THAT([&] { set.Remove(); },
              ThrowsSystemError(EPERM, HasSubstr(Named("semctl(IPC_RMID)"))));
  EXPECT_TRUE(set.owned());
}

TEST_F(SysvSemUnitTest, ReleaseGivesUpOwnershipWithoutRemoving) {
  EXPECT_CALL(sys_, Semctl).Times(0);

  ipc::SysvSemaphoreSet set = MakeOwned();
  EXPECT_EQ(set.Release(), kFakeSemaphoreSetId);
  EXPECT_FALSE(set.owned());
  EXPECT_EQ(set.id(), kFakeSemaphoreSetId);  // still usable, by id
  EXPECT_EQ(set.count(), kCount);
}

TEST_F(SysvSemUnitTest, MovedFromSetRemovesNothing) {
  ExpectRemovedOnce();

  ipc::SysvSemaphoreSet original = MakeOwned();
  ipc::SysvSemaphoreSet moved = std::move(original);
  EXPECT_FALSE(original.owned());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(original.id(), -1);    // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(original.count(), 0);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owned());
  EXPECT_EQ(moved.id(), kFakeSemaphoreSetId);
  EXPECT_EQ(moved.count(), kCount);
}

TEST_F(SysvSemUnitTest, MoveAssignmentRemovesTheTargetsOwnSetFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Semctl(kOtherSetId, 0, IPC_RMID, _)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Semctl(kFakeSemaphoreSetId, 0, IPC_RMID, _))
        .WillOnce(Return(0));
  }
  {
    ipc::SysvSemaphoreSet source = MakeOwned(kFakeSemaphoreSetId, 2);
    ipc::SysvSemaphoreSet target = MakeOwned(kOtherSetId, 5);
    target = std::move(source);
    EXPECT_EQ(target.id(), kFakeSemaphoreSetId);
    EXPECT_EQ(target.count(), 2);
    EXPECT_TRUE(target.owned());
    checkpoint.Call("assigned");
  }
}

TEST_F(SysvSemUnitTest, SelfMoveAssignmentKeepsTheSet) {
  ExpectRemovedOnce();

  ipc::SysvSemaphoreSet set = MakeOwned();
  ipc::SysvSemaphoreSet& alias = set;
  set = std::move(alias);
  EXPECT_TRUE(set.owned());
  EXPECT_EQ(set.id(), kFakeSemaphoreSetId);
}

// ======================================================= POSIX, unnamed

class PosixSemUnitTest : public MockedSemSyscallsTest {
 protected:
  // Memory the wrapper is handed: the mock never touches it.
  sem_t storage_{};
  sem_t* const sem_ = &storage_;

  ipc::PosixSemaphore MakeInitialised(bool shared = true) {
    EXPECT_CALL(sys_, SemInit(sem_, shared ? 1 : 0, 1u))
        .WillOnce(Return(0))
        .RetiresOnSaturation();
    return ipc::PosixSemaphore::InitIn(sem_, 1, shared);
  }
  void ExpectDestroyedOnce() {
    EXPECT_CALL(sys_, SemDestroy(sem_)).WillOnce(Return(0));
  }
};

TEST_F(PosixSemUnitTest, InitInPassesStoragePsharedAndValueAndOwns) {
  EXPECT_CALL(sys_, SemInit(sem_, 1, 0u)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemInit(sem_, 0, 5u)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemDestroy(sem_)).Times(2).WillRepeatedly(Return(0));

  {
    ipc::PosixSemaphore shared = ipc::PosixSemaphore::InitIn(sem_, 0, true);
    EXPECT_EQ(shared.get(), sem_);
    EXPECT_TRUE(shared.shared_between_processes());
  }
  ipc::PosixSemaphore local = ipc::PosixSemaphore::InitIn(sem_, 5, false);
  EXPECT_FALSE(local.shared_between_processes());
}

TEST_F(PosixSemUnitTest, InitInRefusesNullAndMisalignedStorageBeforeAnyCall) {
  EXPECT_CALL(sys_, SemInit).Times(0);

  EXPECT_THAT([] { ipc::PosixSemaphore::InitIn(nullptr, 0, true); },
              ThrowsInvalidArgument(HasSubstr("storage is null")));
  alignas(sem_t) std::array<unsigned char, sizeof(sem_t) + 1> bytes{};
  EXPECT_THAT([&] { ipc::PosixSemaphore::InitIn(bytes.data() + 1, 0, true); },
              ThrowsInvalidArgument(HasSubstr("not aligned for sem_t")));
}

TEST_F(PosixSemUnitTest, InitInFailureThrowsNamingSemInitAndDestroysNothing) {
  // sem_init(3): EINVAL for a value above SEM_VALUE_MAX, glibc's answer.
  EXPECT_CALL(sys_, SemInit(sem_, 1, 0x80000000u))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  EXPECT_THAT([&] { ipc::PosixSemaphore::InitIn(sem_, 0x80000000u, true); },
              ThrowsSystemError(
                  EINVAL, AllOf(HasSubstr("sem_init(sem_t at "),
                                HasSubstr("pshared=1, value=2147483648"))));
}

TEST_F(PosixSemUnitTest, WaitAndPostPassTheSemaphore) {
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemWait(sem_)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemPost(sem_)).WillOnce(Return(0));

  ipc::PosixSemaphore sem = MakeInitialised();
  sem.Wait();
  sem.Post();
}

TEST_F(PosixSemUnitTest, WaitThrowsEintrAndDoesNotRetry) {
  // Whether sem_wait resumes after a handler (SA_RESTART) is for the
  // conformance tests to show; the wrapper makes exactly one call.
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemWait(sem_)).WillOnce(SetErrnoAndReturn(EINTR, -1));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_THAT([&] { sem.Wait(); },
              ThrowsSystemError(EINTR, HasSubstr("sem_wait(sem_t at ")));
}

TEST_F(PosixSemUnitTest, WaitErrnoReturnsZeroOrTheErrnoWithoutRetrying) {
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemWait(sem_))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_EQ(sem.WaitErrno(), 0);
  EXPECT_EQ(sem.WaitErrno(), EINTR);
  EXPECT_EQ(sem.WaitErrno(), EINVAL);
}

TEST_F(PosixSemUnitTest, TryWaitMapsEagainToFalseAndThrowsOtherErrors) {
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemTrywait(sem_))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_TRUE(sem.TryWait());
  EXPECT_FALSE(sem.TryWait());
  EXPECT_THAT([&] { sem.TryWait(); },
              ThrowsSystemError(EINVAL, HasSubstr("sem_trywait(sem_t at ")));
}

// Nanoseconds on CLOCK_MONOTONIC.
std::int64_t MonotonicNow() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

std::int64_t AsNanoseconds(const timespec& t) {
  return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

TEST_F(PosixSemUnitTest, TimedWaitWaitsOnTheMonotonicClockUntilNowPlusTimeout) {
  // sem_clockwait(CLOCK_MONOTONIC): a wall-clock step cannot move the
  // deadline. The deadline is absolute: between now + timeout taken before
  // and after the call.
  ExpectDestroyedOnce();
  std::vector<timespec> deadlines;
  EXPECT_CALL(sys_, SemClockwait(sem_, CLOCK_MONOTONIC, NotNull()))
      .WillOnce([&](sem_t*, clockid_t, const timespec* t) {
        deadlines.push_back(*t);
        errno = ETIMEDOUT;
        return -1;
      })
      .WillOnce([&](sem_t*, clockid_t, const timespec* t) {
        deadlines.push_back(*t);
        errno = EINTR;
        return -1;
      })
      .WillOnce([&](sem_t*, clockid_t, const timespec* t) {
        deadlines.push_back(*t);
        return 0;
      });

  ipc::PosixSemaphore sem = MakeInitialised();
  const std::int64_t before = MonotonicNow();
  EXPECT_EQ(sem.TimedWait(250ms), ETIMEDOUT);
  EXPECT_EQ(sem.TimedWait(2s), EINTR);  // one call: not retried
  // A deadline already past is still a valid timespec (tv_nsec in range).
  EXPECT_EQ(sem.TimedWait(std::chrono::nanoseconds(-before) - 1500ms), 0);
  const std::int64_t after = MonotonicNow();

  ASSERT_EQ(deadlines.size(), 3u);
  EXPECT_GE(AsNanoseconds(deadlines[0]), before + 250000000);
  EXPECT_LE(AsNanoseconds(deadlines[0]), after + 250000000);
  EXPECT_GE(AsNanoseconds(deadlines[1]), before + 2000000000);
  EXPECT_LE(AsNanoseconds(deadlines[1]), after + 2000000000);
  for (const timespec& t : deadlines) {
    EXPECT_GE(t.tv_nsec, 0);
    EXPECT_LT(t.tv_nsec, 1000000000L);
  }
  EXPECT_LT(deadlines[2].tv_sec, 0);
}

TEST_F(PosixSemUnitTest, TimedWaitUntilPassesTheRealtimeDeadlineAsGiven) {
  // sem_timedwait(3) takes an absolute CLOCK_REALTIME time; the wrapper
  // hands it over unchanged, an out-of-range tv_nsec included (glibc's
  // EINVAL is for a conformance test to see).
  ExpectDestroyedOnce();
  const timespec deadline{1234, 999999999};
  const timespec bad{1, 1000000000};
  EXPECT_CALL(
      sys_,
      SemTimedwait(sem_, Pointee(AllOf(Field(&timespec::tv_sec, 1234),
                                       Field(&timespec::tv_nsec, 999999999L)))))
      .WillOnce(SetErrnoAndReturn(ETIMEDOUT, -1))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, SemTimedwait(sem_, &bad))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_EQ(sem.TimedWaitUntil(deadline), ETIMEDOUT);
  EXPECT_EQ(sem.TimedWaitUntil(deadline), 0);
  EXPECT_EQ(sem.TimedWaitUntil(bad), EINVAL);
}

TEST_F(PosixSemUnitTest, PostErrorsThrowOrReturn) {
  // sem_post(3): EOVERFLOW "the maximum allowable value for a semaphore
  // would be exceeded".
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemPost(sem_))
      .WillOnce(SetErrnoAndReturn(EOVERFLOW, -1))
      .WillOnce(SetErrnoAndReturn(EOVERFLOW, -1))
      .WillOnce(Return(0));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_THAT([&] { sem.Post(); },
              ThrowsSystemError(EOVERFLOW, HasSubstr("sem_post(sem_t at ")));
  EXPECT_EQ(sem.PostErrno(), EOVERFLOW);
  EXPECT_EQ(sem.PostErrno(), 0);
}

TEST_F(PosixSemUnitTest, ValueReturnsWhatSemGetvalueWrote) {
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemGetvalue(sem_, NotNull()))
      .WillOnce(DoAll(SetArgPointee<1>(0), Return(0)))
      .WillOnce(DoAll(SetArgPointee<1>(3), Return(0)))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_EQ(sem.Value(), 0);
  EXPECT_EQ(sem.Value(), 3);
  EXPECT_THAT([&] { sem.Value(); },
              ThrowsSystemError(EINVAL, HasSubstr("sem_getvalue(sem_t at ")));
}

TEST_F(PosixSemUnitTest, DestroyNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, SemDestroy(sem_)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("destroyed"));
  }
  ipc::PosixSemaphore sem = MakeInitialised();
  sem.Destroy();
  EXPECT_EQ(sem.get(), nullptr);
  checkpoint.Call("destroyed");
}

TEST_F(PosixSemUnitTest, DestroyFailureThrowsAndKeepsOwnership) {
  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_CALL(sys_, SemDestroy(sem_))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1))
      .WillOnce(Return(0));  // the destructor's try

  EXPECT_THAT([&] { sem.Destroy(); },
              ThrowsSystemError(EINVAL, HasSubstr("sem_destroy(sem_t at ")));
  EXPECT_EQ(sem.get(), sem_);
}

TEST_F(PosixSemUnitTest, DestructorSwallowsAFailingSemDestroy) {
  EXPECT_CALL(sys_, SemDestroy(sem_)).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ipc::PosixSemaphore sem = MakeInitialised();
}

TEST_F(PosixSemUnitTest, ReleaseGivesUpOwnershipWithoutDestroying) {
  EXPECT_CALL(sys_, SemDestroy).Times(0);

  ipc::PosixSemaphore sem = MakeInitialised();
  EXPECT_EQ(sem.Release(), sem_);
  EXPECT_EQ(sem.get(), nullptr);
}

TEST_F(PosixSemUnitTest, MovedFromSemaphoreDestroysNothingAndRefusesWork) {
  ExpectDestroyedOnce();
  EXPECT_CALL(sys_, SemWait).Times(0);
  EXPECT_CALL(sys_, SemPost).Times(0);

  ipc::PosixSemaphore original = MakeInitialised();
  ipc::PosixSemaphore moved = std::move(original);
  EXPECT_EQ(moved.get(), sem_);
  EXPECT_TRUE(moved.shared_between_processes());
  // NOLINTBEGIN(bugprone-use-after-move)
  EXPECT_EQ(original.get(), nullptr);
  const auto gone = HasSubstr("moved from, released or destroyed");
  EXPECT_THAT([&] { original.Wait(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.WaitErrno(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.TryWait(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.TimedWait(1s); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.TimedWaitUntil(timespec{}); },
              ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.Post(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.PostErrno(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.Value(); }, ThrowsInvalidArgument(gone));
  EXPECT_THAT([&] { original.Destroy(); }, ThrowsInvalidArgument(gone));
  // NOLINTEND(bugprone-use-after-move)
}

TEST_F(PosixSemUnitTest, MoveAssignmentDestroysTheTargetsOwnFirst) {
  sem_t other{};
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, SemInit(&other, 0, 2u)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemInit(sem_, 1, 1u)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemDestroy(&other)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, SemDestroy(sem_)).WillOnce(Return(0));
  }
  {
    ipc::PosixSemaphore target = ipc::PosixSemaphore::InitIn(&other, 2, false);
    ipc::PosixSemaphore source = ipc::PosixSemaphore::InitIn(sem_, 1, true);
    target = std::move(source);
    EXPECT_EQ(target.get(), sem_);
    EXPECT_TRUE(target.shared_between_processes());
    checkpoint.Call("assigned");
  }
}

TEST_F(PosixSemUnitTest, SelfMoveAssignmentKeepsTheSemaphore) {
  ExpectDestroyedOnce();
  ipc::PosixSemaphore sem = MakeInitialised();
  ipc::PosixSemaphore& alias = sem;
  sem = std::move(alias);
  EXPECT_EQ(sem.get(), sem_);
}

// ========================================================= POSIX, named

class NamedSemUnitTest : public MockedSemSyscallsTest {
 protected:
  static constexpr const char* kName = "/ipcproof-unit-sem";
  // What the mock's sem_open hands out: never touched.
  sem_t handle_{};
  sem_t* const sem_ = &handle_;

  ipc::NamedPosixSemaphore MakeCreated() {
    EXPECT_CALL(sys_, SemOpen(StrEq(kName), O_CREAT | O_EXCL, 0600, 1u))
        .WillOnce(Return(sem_))
        .RetiresOnSaturation();
    return ipc::NamedPosixSemaphore::Create(kName, 1);
  }
  ipc::NamedPosixSemaphore MakeOpened() {
    EXPECT_CALL(sys_, SemOpen(StrEq(kName), 0, _, _))
        .WillOnce(Return(sem_))
        .RetiresOnSaturation();
    return ipc::NamedPosixSemaphore::Open(kName);
  }
  // Close then unlink, once each.
  void ExpectClosedAndUnlinkedOnce() {
    InSequence in_order;
    EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemUnlink(StrEq(kName))).WillOnce(Return(0));
  }
};

TEST_F(NamedSemUnitTest, CreatePassesOCreatOExclModeAndValueAndOwnsTheName) {
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), O_CREAT | O_EXCL, 0640, 3u))
      .WillOnce(Return(sem_));
  ExpectClosedAndUnlinkedOnce();

  ipc::NamedPosixSemaphore sem =
      ipc::NamedPosixSemaphore::Create(kName, 3, 0640);
  EXPECT_EQ(sem.get(), sem_);
  EXPECT_EQ(sem.name(), kName);
  EXPECT_TRUE(sem.owns_name());
}

TEST_F(NamedSemUnitTest, CreateFailureThrowsNamingSemOpenAndReleasesNothing) {
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), O_CREAT | O_EXCL, 0600, 0u))
      .WillOnce(SetErrnoAndReturn(EEXIST, SEM_FAILED));

  EXPECT_THAT(
      [] { ipc::NamedPosixSemaphore::Create(kName, 0); },
      ThrowsSystemError(EEXIST, HasSubstr(std::string("sem_open(") + kName +
                                          ", O_CREAT|O_EXCL, value=0)")));
}

TEST_F(NamedSemUnitTest, OpenPassesItsFlagsClosesAndNeverUnlinks) {
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), 0, _, _)).WillOnce(Return(sem_));
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), O_CREAT, 0644, 9u))
      .WillOnce(Return(sem_));
  EXPECT_CALL(sys_, SemClose(sem_)).Times(2).WillRepeatedly(Return(0));
  EXPECT_CALL(sys_, SemUnlink).Times(0);

  {
    ipc::NamedPosixSemaphore sem = ipc::NamedPosixSemaphore::Open(kName);
    EXPECT_FALSE(sem.owns_name());
  }
  ipc::NamedPosixSemaphore sem =
      ipc::NamedPosixSemaphore::Open(kName, O_CREAT, 0644, 9);
  EXPECT_FALSE(sem.owns_name());
}

TEST_F(NamedSemUnitTest, OpenFailureThrowsNamingSemOpen) {
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), 0, _, _))
      .WillOnce(SetErrnoAndReturn(ENOENT, SEM_FAILED));
  EXPECT_CALL(sys_, SemOpen(StrEq(kName), O_CREAT, _, _))
      .WillOnce(SetErrnoAndReturn(EACCES, SEM_FAILED));

  EXPECT_THAT([] { ipc::NamedPosixSemaphore::Open(kName); },
              ThrowsSystemError(
                  ENOENT, HasSubstr(std::string("sem_open(") + kName + ")")));
  EXPECT_THAT([] { ipc::NamedPosixSemaphore::Open(kName, O_CREAT); },
              ThrowsSystemError(EACCES, HasSubstr(std::string("sem_open(") +
                                                  kName + ", O_CREAT)")));
}

TEST_F(NamedSemUnitTest, BadNamesAndFlagsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, SemOpen).Times(0);
  EXPECT_CALL(sys_, SemUnlink).Times(0);

  // sem_overview(7): "/somename", one '/' only; glibc files it in /dev/shm
  // as "sem.somename", so at most NAME_MAX - 4 characters after the '/'.
  const std::string longest = "/" + std::string(NAME_MAX - 4, 'n');
  const std::string too_long = "/" + std::string(NAME_MAX - 3, 'n');
  for (const std::string& name :
       {std::string(), std::string("/"), std::string("noslash"),
        std::string("/a/b"), std::string("/a\0b", 4), too_long}) {
    EXPECT_THAT([&] { ipc::NamedPosixSemaphore::Create(name, 0); },
                ThrowsInvalidArgument(HasSubstr("NamedPosixSemaphore name")))
        << "name of " << name.size() << " bytes";
    EXPECT_THAT([&] { ipc::NamedPosixSemaphore::Open(name); },
                ThrowsInvalidArgument(HasSubstr("NamedPosixSemaphore name")));
    EXPECT_THAT([&] { ipc::NamedPosixSemaphore::Unlink(name); },
                ThrowsInvalidArgument(HasSubstr("NamedPosixSemaphore name")));
  }
  EXPECT_NO_THROW(ipc::NamedPosixSemaphore::CheckName(longest));

  // O_EXCL is Create's; anything but O_CREAT is not sem_open's.
  for (const int oflag : {O_EXCL, O_CREAT | O_EXCL, O_RDWR, O_NONBLOCK}) {
    EXPECT_THAT([&] { ipc::NamedPosixSemaphore::Open(kName, oflag); },
                ThrowsInvalidArgument(HasSubstr("oflag may only hold O_CREAT")))
        << "oflag " << oflag;
  }
  EXPECT_THAT([] { ipc::NamedPosixSemaphore::Create(kName, 0, 01600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::NamedPosixSemaphore::Open(kName, O_CREAT, 04600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
}

TEST_F(NamedSemUnitTest, TheLongestNameGoesToSemOpen) {
  // The boundary from the other side: NAME_MAX - 4 characters pass.
  const std::string longest = "/" + std::string(NAME_MAX - 4, 'n');
  EXPECT_CALL(sys_, SemOpen(StrEq(longest), 0, _, _))
      .WillOnce(SetErrnoAndReturn(ENOENT, SEM_FAILED));
  EXPECT_THAT([&] { ipc::NamedPosixSemaphore::Open(longest); },
              ThrowsSystemError(ENOENT, HasSubstr("sem_open(")));
}

TEST_F(NamedSemUnitTest, OperationsUseTheHandleAndErrorsNameTheSemaphore) {
  EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemWait(sem_)).WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sys_, SemTrywait(sem_)).WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  EXPECT_CALL(sys_, SemClockwait(sem_, CLOCK_MONOTONIC, NotNull()))
      .WillOnce(SetErrnoAndReturn(ETIMEDOUT, -1));
  EXPECT_CALL(sys_, SemPost(sem_)).WillOnce(SetErrnoAndReturn(EOVERFLOW, -1));
  EXPECT_CALL(sys_, SemGetvalue(sem_, NotNull()))
      .WillOnce(DoAll(SetArgPointee<1>(2), Return(0)));

  ipc::NamedPosixSemaphore sem = MakeOpened();
  EXPECT_THAT([&] { sem.Wait(); },
              ThrowsSystemError(
                  EINTR, HasSubstr(std::string("sem_wait(") + kName + ")")));
  EXPECT_FALSE(sem.TryWait());
  EXPECT_EQ(sem.TimedWait(10ms), ETIMEDOUT);
  EXPECT_THAT([&] { sem.Post(); },
              ThrowsSystemError(EOVERFLOW, HasSubstr(std::string("sem_post(") +
                                                     kName + ")")));
  EXPECT_EQ(sem.Value(), 2);
}

TEST_F(NamedSemUnitTest, UnlinkPassesTheNameAndThrowsOnFailure) {
  EXPECT_CALL(sys_, SemUnlink(StrEq(kName)))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));

  ipc::NamedPosixSemaphore::Unlink(kName);
  EXPECT_THAT([] { ipc::NamedPosixSemaphore::Unlink(kName); },
              ThrowsSystemError(
                  ENOENT, HasSubstr(std::string("sem_unlink(") + kName + ")")));
}

TEST_F(NamedSemUnitTest, DestructorSwallowsFailingCloseAndUnlink) {
  // A destructor cannot throw; and a failed sem_close must not stop the
  // unlink of an owned name.
  ipc::NamedPosixSemaphore sem = MakeCreated();
  InSequence in_order;
  EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_CALL(sys_, SemUnlink(StrEq(kName)))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));
}

TEST_F(NamedSemUnitTest, UnlinkNameNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, SemUnlink(StrEq(kName))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("unlinked"));
    EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
  }
  {
    ipc::NamedPosixSemaphore sem = MakeCreated();
    sem.UnlinkName();
    EXPECT_FALSE(sem.owns_name());
    EXPECT_EQ(sem.get(), sem_);  // the handle keeps working
    checkpoint.Call("unlinked");
  }
}

TEST_F(NamedSemUnitTest, AFailedUnlinkNameKeepsOwnership) {
  // The destructor then tries once more rather than leaving the name in
  // /dev/shm.
  ipc::NamedPosixSemaphore sem = MakeCreated();
  {
    InSequence in_order;
    EXPECT_CALL(sys_, SemUnlink(StrEq(kName)))
        .WillOnce(SetErrnoAndReturn(EACCES, -1));
    EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemUnlink(StrEq(kName))).WillOnce(Return(0));
  }
  EXPECT_THAT([&] { sem.UnlinkName(); },
              ThrowsSystemError(
                  EACCES, HasSubstr(std::string("sem_unlink(") + kName + ")")));
  EXPECT_TRUE(sem.owns_name());
}

TEST_F(NamedSemUnitTest, UnlinkNameOfANameNotOwnedIsRefused) {
  EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemUnlink).Times(0);

  ipc::NamedPosixSemaphore sem = MakeOpened();
  EXPECT_THAT([&] { sem.UnlinkName(); },
              ThrowsInvalidArgument(HasSubstr("does not own its name")));
}

TEST_F(NamedSemUnitTest, ReleaseNameClosesButDoesNotUnlink) {
  EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
  EXPECT_CALL(sys_, SemUnlink).Times(0);

  ipc::NamedPosixSemaphore sem = MakeCreated();
  sem.ReleaseName();
  EXPECT_FALSE(sem.owns_name());
}

TEST_F(NamedSemUnitTest, MovedFromSemaphoreReleasesNothing) {
  ExpectClosedAndUnlinkedOnce();

  ipc::NamedPosixSemaphore original = MakeCreated();
  ipc::NamedPosixSemaphore moved = std::move(original);
  EXPECT_EQ(original.get(), nullptr);    // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(original.owns_name());    // NOLINT(bugprone-use-after-move)
  EXPECT_THAT([&] { original.Post(); },  // NOLINT(bugprone-use-after-move)
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_EQ(moved.get(), sem_);
  EXPECT_EQ(moved.name(), kName);
  EXPECT_TRUE(moved.owns_name());
}

TEST_F(NamedSemUnitTest, MoveAssignmentReleasesTheTargetsOwnFirst) {
  sem_t other{};
  constexpr const char* kOtherName = "/ipcproof-unit-other";
  MockFunction<void(const char*)> checkpoint;
  EXPECT_CALL(sys_, SemOpen(StrEq(kOtherName), O_CREAT | O_EXCL, 0600, 0u))
      .WillOnce(Return(&other));
  {
    InSequence in_order;
    EXPECT_CALL(sys_, SemClose(&other)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemUnlink(StrEq(kOtherName))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, SemClose(sem_)).WillOnce(Return(0));
    EXPECT_CALL(sys_, SemUnlink(StrEq(kName))).WillOnce(Return(0));
  }
  {
    ipc::NamedPosixSemaphore target =
        ipc::NamedPosixSemaphore::Create(kOtherName, 0);
    ipc::NamedPosixSemaphore source = MakeCreated();
    target = std::move(source);
    EXPECT_EQ(target.get(), sem_);
    EXPECT_EQ(target.name(), kName);
    EXPECT_TRUE(target.owns_name());
    checkpoint.Call("assigned");
  }
}

TEST_F(NamedSemUnitTest, SelfMoveAssignmentKeepsTheSemaphore) {
  ExpectClosedAndUnlinkedOnce();
  ipc::NamedPosixSemaphore sem = MakeCreated();
  ipc::NamedPosixSemaphore& alias = sem;
  sem = std::move(alias);
  EXPECT_EQ(sem.get(), sem_);
  EXPECT_TRUE(sem.owns_name());
}

// ----------------------------------------------------------- No allocation

// A seam that answers every call with success and counts them, with no
// gmock behind it: the allocations counted around a loop of wrapper calls
// are the wrapper's.
class SucceedingSemSyscalls : public ipc::SemSyscalls {
 public:
  int Semget(key_t, int, int) override { return kFakeSemaphoreSetId; }
  int Semop(int, sembuf*, size_t) override { return Ok(); }
  int Semtimedop(int, sembuf*, size_t, const timespec*) override {
    return Ok();
  }
  int Semctl(int, int, int cmd, ipc::SemctlArg arg) override {
    ++calls_;
    if (cmd == IPC_STAT) arg.buf->sem_nsems = kCount;
    return cmd == GETVAL ? 1 : 0;
  }
  int SemInit(sem_t*, int, unsigned) override { return Ok(); }
  int SemDestroy(sem_t*) override { return Ok(); }
  sem_t* SemOpen(const char*, int, mode_t, unsigned) override {
    return nullptr;
  }
  int SemClose(sem_t*) override { return Ok(); }
  int SemUnlink(const char*) override { return Ok(); }
  int SemWait(sem_t*) override { return Ok(); }
  int SemTrywait(sem_t*) override { return Ok(); }
  int SemTimedwait(sem_t*, const timespec*) override { return Ok(); }
  int SemClockwait(sem_t*, clockid_t, const timespec*) override { return Ok(); }
  int SemPost(sem_t*) override { return Ok(); }
  int SemGetvalue(sem_t*, int* value) override {
    *value = 1;
    return Ok();
  }

  long calls() const { return calls_; }

 private:
  int Ok() {
    ++calls_;
    return 0;
  }

  long calls_ = 0;
};

class SemAllocationTest : public ::testing::Test {
 protected:
  SucceedingSemSyscalls seam_;
  ipc::SemSyscalls::ScopedOverride override_{seam_};
};

TEST_F(SemAllocationTest, SysvOperationsAllocateNothingOnSuccess) {
  ipc::SysvSemaphoreSet set = ipc::SysvSemaphoreSet::Open(kKey);
  const std::array<sembuf, 2> ops = {{{0, -1, 0}, {1, 1, SEM_UNDO}}};
  const std::array<unsigned short, kCount> values = {1, 2, 3};
  int failures = 0;
  const long before = seam_.calls();
  auto round = [&] {
    set.P(0);
    set.V(0, SEM_UNDO);
    set.Op(ops);
    failures += set.TryOp(ops) != 0;
    failures += set.TimedOp(ops, 1ms) != 0;
    failures += set.Value(1) != 1;
    set.SetValue(1, 1);
    set.SetValues(values);
    set.WaitingForIncrease(0);
    set.WaitingForZero(0);
    set.LastPid(0);
  };
  EXPECT_EQ(AllocationsIn(100, round), 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seam_.calls() - before, 100 * 11);  // one call each, no more
}

TEST_F(SemAllocationTest, PosixOperationsAllocateNothingOnSuccess) {
  sem_t storage{};
  ipc::PosixSemaphore sem = ipc::PosixSemaphore::InitIn(&storage, 1, true);
  int failures = 0;
  const long before = seam_.calls();
  auto round = [&] {
    sem.Wait();
    failures += sem.WaitErrno() != 0;
    failures += !sem.TryWait();
    failures += sem.TimedWait(1ms) != 0;
    failures += sem.TimedWaitUntil(timespec{1, 0}) != 0;
    sem.Post();
    failures += sem.PostErrno() != 0;
    failures += sem.Value() != 1;
  };
  EXPECT_EQ(AllocationsIn(100, round), 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seam_.calls() - before, 100 * 8);
}

}  // namespace
}  // namespace ipcproof::unit

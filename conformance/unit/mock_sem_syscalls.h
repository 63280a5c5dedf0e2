// A GoogleMock implementation of ipc::SemSyscalls (ipc/sem_syscalls.h), for
// fault injection into ipc::SysvSemaphoreSet, ipc::PosixSemaphore and
// ipc::NamedPosixSemaphore.
#ifndef CONFORMANCE_UNIT_MOCK_SEM_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SEM_SYSCALLS_H_

#include <errno.h>
#include <semaphore.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/sem_syscalls.h"

namespace ipcproof::unit {

class MockSemSyscalls : public ipc::SemSyscalls {
 public:
  MockSemSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Semget).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Semop).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Semtimedop).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Semctl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemInit).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemDestroy).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemOpen)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, SEM_FAILED));
    ON_CALL(*this, SemClose).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemUnlink).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemWait).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemTrywait).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemTimedwait).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemClockwait).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemPost).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, SemGetvalue).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, Semget, (key_t key, int nsems, int flags), (override));
  MOCK_METHOD(int, Semop, (int id, sembuf* ops, size_t nops), (override));
  MOCK_METHOD(int, Semtimedop,
              (int id, sembuf* ops, size_t nops, const timespec* timeout),
              (override));
  MOCK_METHOD(int, Semctl, (int id, int num, int cmd, ipc::SemctlArg arg),
              (override));
  MOCK_METHOD(int, SemInit, (sem_t * sem, int pshared, unsigned value),
              (override));
  MOCK_METHOD(int, SemDestroy, (sem_t * sem), (override));
  MOCK_METHOD(sem_t*, SemOpen,
              (const char* name, int oflag, mode_t mode, unsigned value),
              (override));
  MOCK_METHOD(int, SemClose, (sem_t * sem), (override));
  MOCK_METHOD(int, SemUnlink, (const char* name), (override));
  MOCK_METHOD(int, SemWait, (sem_t * sem), (override));
  MOCK_METHOD(int, SemTrywait, (sem_t * sem), (override));
  MOCK_METHOD(int, SemTimedwait, (sem_t * sem, const timespec* abs_timeout),
              (override));
  MOCK_METHOD(int, SemClockwait,
              (sem_t * sem, clockid_t clock, const timespec* abs_timeout),
              (override));
  MOCK_METHOD(int, SemPost, (sem_t * sem), (override));
  MOCK_METHOD(int, SemGetvalue, (sem_t * sem, int* value), (override));
};

using MockedSemSyscallsTest = MockedSeamTest<MockSemSyscalls>;

// A set id the mock hands out. Ids are (seq << 15) | index with index below
// IPCMNI (32768) and seq small: the kernel would answer EINVAL for this one
// if a call ever escaped the mock.
inline constexpr int kFakeSemaphoreSetId = 0x7ffffff0;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SEM_SYSCALLS_H_

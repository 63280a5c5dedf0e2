// A GoogleMock implementation of ipc::ShmSyscalls (ipc/shm_syscalls.h), for
// fault injection into the shared-memory wrappers: ipc::SysvSharedMemory,
// ipc::SysvAttachment, ipc::PosixSharedMemory, ipc::Memfd and
// ipc::MemoryMapping.
#ifndef CONFORMANCE_UNIT_MOCK_SHM_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SHM_SYSCALLS_H_

#include <errno.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/types.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/shm_syscalls.h"

namespace ipcproof::unit {

class MockShmSyscalls : public ipc::ShmSyscalls {
 public:
  MockShmSyscalls() {
    using ::testing::SetErrnoAndReturn;
    // The failure value of each call, as libc returns it: -1, or
    // (void*)-1 from shmat(2) and MAP_FAILED from mmap(2).
    ON_CALL(*this, Shmget).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Shmat)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, reinterpret_cast<void*>(-1)));
    ON_CALL(*this, Shmdt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Shmctl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, ShmOpen).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, ShmUnlink).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MemfdCreate).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Ftruncate).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Mmap).WillByDefault(SetErrnoAndReturn(ENOSYS, MAP_FAILED));
    ON_CALL(*this, Munmap).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, Shmget, (key_t key, size_t size, int flags), (override));
  MOCK_METHOD(void*, Shmat, (int id, const void* address, int flags),
              (override));
  MOCK_METHOD(int, Shmdt, (const void* address), (override));
  MOCK_METHOD(int, Shmctl, (int id, int cmd, shmid_ds* buf), (override));
  MOCK_METHOD(int, ShmOpen, (const char* name, int flags, mode_t mode),
              (override));
  MOCK_METHOD(int, ShmUnlink, (const char* name), (override));
  MOCK_METHOD(int, MemfdCreate, (const char* name, unsigned flags), (override));
  MOCK_METHOD(int, Ftruncate, (int fd, off_t length), (override));
  MOCK_METHOD(void*, Mmap,
              (void* address, size_t length, int prot, int flags, int fd,
               off_t offset),
              (override));
  MOCK_METHOD(int, Munmap, (void* address, size_t length), (override));
};

using MockedShmSyscallsTest = MockedSeamTest<MockShmSyscalls>;

// A segment id the mock hands out. Ids are (seq << 15) | index with index
// below IPCMNI (32768) and seq small: the kernel would answer EINVAL for
// this one if a call ever escaped the mock.
inline constexpr int kFakeSegmentId = 0x7ffffff0;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SHM_SYSCALLS_H_

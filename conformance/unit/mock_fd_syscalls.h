// A GoogleMock implementation of ipc::FdSyscalls (ipc/fd_syscalls.h), for
// fault injection into the pipe, FIFO, descriptor and I/O wrappers: make
// write(2) fail with EINTR, return a short count or 0, and check what
// WriteAll does.
#ifndef CONFORMANCE_UNIT_MOCK_FD_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_FD_SYSCALLS_H_

#include <errno.h>
#include <sys/types.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/fd_syscalls.h"

namespace ipcproof::unit {

class MockFdSyscalls : public ipc::FdSyscalls {
 public:
  MockFdSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Read).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Write).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Close).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Pipe2).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Fcntl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Ioctl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Open).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Mkfifo).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Unlink).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(ssize_t, Read, (int fd, void* buf, size_t count), (override));
  MOCK_METHOD(ssize_t, Write, (int fd, const void* buf, size_t count),
              (override));
  MOCK_METHOD(int, Close, (int fd), (override));
  // `int fds[2]` in the interface; the parameter is an int* either way.
  MOCK_METHOD(int, Pipe2, (int* fds, int flags), (override));
  MOCK_METHOD(int, Fcntl, (int fd, int cmd, int arg), (override));
  MOCK_METHOD(int, Ioctl, (int fd, unsigned long request, void* arg),
              (override));
  MOCK_METHOD(int, Open, (const char* path, int flags, mode_t mode),
              (override));
  MOCK_METHOD(int, Mkfifo, (const char* path, mode_t mode), (override));
  MOCK_METHOD(int, Unlink, (const char* path), (override));
};

using MockedFdSyscallsTest = MockedSeamTest<MockFdSyscalls>;

// Descriptor numbers handed out by the mock. They are far above anything a
// test process has open, so if a wrapper ever outlived the override and
// reached the real close(2) with one, the kernel would answer EBADF instead
// of closing a descriptor gtest is using.
inline constexpr int kFakeFd = 1000;
inline constexpr int kFakeReadFd = 1001;
inline constexpr int kFakeWriteFd = 1002;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_FD_SYSCALLS_H_

// A GoogleMock implementation of ipc::ZeroCopySyscalls
// (ipc/zero_copy_syscalls.h), for fault injection into ipc::SendFile,
// ipc::Splice, ipc::Tee, ipc::VmSplice and their loops: short transfers,
// EINTR, EAGAIN, end of input.
#ifndef CONFORMANCE_UNIT_MOCK_ZERO_COPY_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_ZERO_COPY_SYSCALLS_H_

#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/zero_copy_syscalls.h"

namespace ipcproof::unit {

class MockZeroCopySyscalls : public ipc::ZeroCopySyscalls {
 public:
  MockZeroCopySyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Sendfile)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
    ON_CALL(*this, Splice)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
    ON_CALL(*this, Tee).WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
    ON_CALL(*this, Vmsplice)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
  }

  MOCK_METHOD(ssize_t, Sendfile,
              (int out_fd, int in_fd, off_t* offset, size_t count), (override));
  MOCK_METHOD(ssize_t, Splice,
              (int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
               size_t length, unsigned flags),
              (override));
  MOCK_METHOD(ssize_t, Tee,
              (int in_fd, int out_fd, size_t length, unsigned flags),
              (override));
  MOCK_METHOD(ssize_t, Vmsplice,
              (int fd, const iovec* iov, size_t count, unsigned flags),
              (override));
};

using MockedZeroCopySyscallsTest = MockedSeamTest<MockZeroCopySyscalls>;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_ZERO_COPY_SYSCALLS_H_

// ipc/syscalls.h: the seam itself. Wrappers reach the kernel unless a test
// installs a replacement, and ScopedSyscallsOverride restores whatever was
// installed before it, so overrides nest.
#include "ipc/syscalls.h"

#include <errno.h>
#include <unistd.h>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::unit {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

TEST(SyscallsTest, WrappersUseTheKernelByDefault) {
  EXPECT_EQ(&ipc::CurrentSyscalls(), &ipc::KernelSyscalls());
}

TEST(SyscallsTest, KernelSyscallsReachTheKernel) {
  // EOF after the write end closes, then EBADF for a descriptor already
  // closed: answers only the kernel gives.
  int fds[2];
  ASSERT_EQ(ipc::KernelSyscalls().Pipe2(fds, 0), 0);
  ASSERT_EQ(ipc::KernelSyscalls().Close(fds[1]), 0);
  char byte;
  EXPECT_EQ(ipc::KernelSyscalls().Read(fds[0], &byte, 1), 0);  // EOF
  ASSERT_EQ(ipc::KernelSyscalls().Close(fds[0]), 0);
  errno = 0;
  EXPECT_EQ(ipc::KernelSyscalls().Close(fds[0]), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(SyscallsTest, OverridesNestAndRestoreThePreviousOne) {
  StrictMock<MockSyscalls> outer;
  StrictMock<MockSyscalls> inner;
  EXPECT_CALL(outer, Close(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(inner, Close(kFakeFd)).WillOnce(Return(0));
  {
    ipc::ScopedSyscallsOverride install_outer(outer);
    EXPECT_EQ(&ipc::CurrentSyscalls(), &outer);
    {
      ipc::ScopedSyscallsOverride install_inner(inner);
      EXPECT_EQ(&ipc::CurrentSyscalls(), &inner);
      ipc::CurrentSyscalls().Close(kFakeFd);
    }
    EXPECT_EQ(&ipc::CurrentSyscalls(), &outer);
    ipc::CurrentSyscalls().Close(kFakeFd);
  }
  EXPECT_EQ(&ipc::CurrentSyscalls(), &ipc::KernelSyscalls());
}

}  // namespace
}  // namespace ipcproof::unit

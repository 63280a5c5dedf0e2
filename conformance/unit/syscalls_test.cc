// ipc/syscalls.h: the seams themselves. Each wrapper reaches the kernel
// unless a test installs a replacement on its mechanism's seam; a
// ScopedOverride restores whatever was installed before it, so overrides
// nest; and the seams are independent, so a test that mocks the queue calls
// still reads and writes descriptors for real.
#include "ipc/syscalls.h"

#include <errno.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "conformance/unit/mock_fd_syscalls.h"
#include "conformance/unit/mock_sysv_msg_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd_syscalls.h"
#include "ipc/posix_mq_syscalls.h"
#include "ipc/process_syscalls.h"
#include "ipc/sysv_msg_syscalls.h"

namespace ipcproof::unit {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

TEST(SyscallsTest, WrappersUseTheKernelByDefault) {
  EXPECT_EQ(&ipc::FdSyscalls::Current(), &ipc::FdSyscalls::Kernel());
  EXPECT_EQ(&ipc::ProcessSyscalls::Current(), &ipc::ProcessSyscalls::Kernel());
  EXPECT_EQ(&ipc::SysvMsgSyscalls::Current(), &ipc::SysvMsgSyscalls::Kernel());
  EXPECT_EQ(&ipc::PosixMqSyscalls::Current(), &ipc::PosixMqSyscalls::Kernel());
}

TEST(SyscallsTest, KernelFdSyscallsReachTheKernel) {
  // EOF after the write end closes, then EBADF for a descriptor already
  // closed: answers only the kernel gives.
  ipc::FdSyscalls& kernel = ipc::FdSyscalls::Kernel();
  int fds[2];
  ASSERT_EQ(kernel.Pipe2(fds, 0), 0);
  ASSERT_EQ(kernel.Write(fds[1], "ab", 2), 2);
  int unread = -1;
  EXPECT_EQ(kernel.Ioctl(fds[0], FIONREAD, &unread), 0);
  EXPECT_EQ(unread, 2);
  ASSERT_EQ(kernel.Close(fds[1]), 0);
  char bytes[2];
  EXPECT_EQ(kernel.Read(fds[0], bytes, 2), 2);
  EXPECT_EQ(kernel.Read(fds[0], bytes, 1), 0);  // EOF
  ASSERT_EQ(kernel.Close(fds[0]), 0);
  errno = 0;
  EXPECT_EQ(kernel.Close(fds[0]), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(SyscallsTest, KernelQueueAndProcessSyscallsReachTheKernel) {
  // Errors only the kernel (or libc's thin stubs) give, from calls that
  // create nothing: no queue id -1, no queue of that name, no child.
  msqid_ds ds{};
  errno = 0;
  EXPECT_EQ(ipc::SysvMsgSyscalls::Kernel().Msgctl(-1, IPC_STAT, &ds), -1);
  EXPECT_EQ(errno, EINVAL);

  const std::string name = "/ipcproof-unit-none-" + std::to_string(::getpid());
  errno = 0;
  EXPECT_EQ(ipc::PosixMqSyscalls::Kernel().MqUnlink(name.c_str()), -1);
  EXPECT_EQ(errno, ENOENT);

  EXPECT_EQ(ipc::ProcessSyscalls::Kernel().Kill(::getpid(), 0), 0);
  errno = 0;
  EXPECT_EQ(ipc::ProcessSyscalls::Kernel().Waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(SyscallsTest, OverridesNestAndRestoreThePreviousOne) {
  StrictMock<MockFdSyscalls> outer;
  StrictMock<MockFdSyscalls> inner;
  EXPECT_CALL(outer, Close(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(inner, Close(kFakeFd)).WillOnce(Return(0));
  {
    ipc::FdSyscalls::ScopedOverride install_outer(outer);
    EXPECT_EQ(&ipc::FdSyscalls::Current(), &outer);
    {
      ipc::FdSyscalls::ScopedOverride install_inner(inner);
      EXPECT_EQ(&ipc::FdSyscalls::Current(), &inner);
      ipc::FdSyscalls::Current().Close(kFakeFd);
    }
    EXPECT_EQ(&ipc::FdSyscalls::Current(), &outer);
    ipc::FdSyscalls::Current().Close(kFakeFd);
  }
  EXPECT_EQ(&ipc::FdSyscalls::Current(), &ipc::FdSyscalls::Kernel());
}

TEST(SyscallsTest, SeamsAreIndependent) {
  // Each seam has its own current pointer: if they shared one (a template
  // whose specialisations collided), installing the queue mock would
  // redirect descriptor calls too.
  StrictMock<MockSysvMsgSyscalls> queue_calls;
  ipc::SysvMsgSyscalls::ScopedOverride install(queue_calls);
  EXPECT_EQ(&ipc::SysvMsgSyscalls::Current(), &queue_calls);
  EXPECT_EQ(&ipc::FdSyscalls::Current(), &ipc::FdSyscalls::Kernel());
  EXPECT_EQ(&ipc::PosixMqSyscalls::Current(), &ipc::PosixMqSyscalls::Kernel());
  EXPECT_EQ(&ipc::ProcessSyscalls::Current(), &ipc::ProcessSyscalls::Kernel());
}

}  // namespace
}  // namespace ipcproof::unit

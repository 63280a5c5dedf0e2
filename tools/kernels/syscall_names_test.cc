#include "tools/kernels/syscall_names.h"

#include <sys/syscall.h>

#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

TEST(X86_64SyscallNumberTest, MatchesTheBuildMachinesHeaders) {
  EXPECT_EQ(X86_64SyscallNumber("read"), SYS_read);
  EXPECT_EQ(X86_64SyscallNumber("pidfd_open"), SYS_pidfd_open);
  EXPECT_EQ(X86_64SyscallNumber("memfd_create"), SYS_memfd_create);
  EXPECT_EQ(X86_64SyscallNumber("nfsservctl"), 180);
}

TEST(X86_64SyscallNumberTest, KnowsCallsNewerThanTheHeaders) {
  EXPECT_EQ(X86_64SyscallNumber("cachestat"), 451);
  EXPECT_EQ(X86_64SyscallNumber("mseal"), 462);
}

TEST(X86_64SyscallNumberTest, AnUnknownNameIsMinusOne) {
  EXPECT_EQ(X86_64SyscallNumber("no_such_call"), -1);
  EXPECT_EQ(X86_64SyscallNumber(""), -1);
  EXPECT_EQ(X86_64SyscallNumber("__NR_read"), -1);
}

}  // namespace
}  // namespace ipcproof::kernels

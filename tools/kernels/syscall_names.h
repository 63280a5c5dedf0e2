// x86-64 system call numbers by name, for the guest's ENOSYS probe: the host
// turns GuestRequest::probe_syscalls into numbers, the init calls them.
#ifndef TOOLS_KERNELS_SYSCALL_NAMES_H_
#define TOOLS_KERNELS_SYSCALL_NAMES_H_

#include <string_view>

namespace ipcproof::kernels {

// The number of `name` on x86-64 ("pidfd_open" → 434), or -1 when unknown.
// From the build machine's <asm/unistd_64.h>, plus the calls added after
// the oldest headers we build with (arch/x86/entry/syscalls/syscall_64.tbl).
long X86_64SyscallNumber(std::string_view name);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_SYSCALL_NAMES_H_

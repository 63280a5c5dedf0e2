// Reading and writing /proc/sys. Inside a private IPC namespace
// (kit/namespaces.h) the kernel/msg* and fs/mqueue/* files are the
// namespace's own, so a test may raise them without touching the host.
#ifndef CONFORMANCE_KIT_SYSCTL_H_
#define CONFORMANCE_KIT_SYSCTL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "conformance/kit/claims.h"
#include "gtest/gtest.h"

namespace ipcproof {

// /proc/sys/<name> ("fs/pipe-max-size") as a number; throws when unreadable.
int64_t ReadSysctl(std::string_view name);

// Writes /proc/sys/<name>; throws std::system_error naming it on failure.
void WriteSysctl(std::string_view name, int64_t value);

// Writes /proc/sys/<name>; "" on success, else why not, for SKIP_UNVERIFIED:
// "cannot write 8192 to /proc/sys/kernel/msgmax: open(/proc/sys/kernel/msgmax)
// failed with EACCES (Permission denied)" (the value, the path, the call and
// the errno). A private IPC namespace entered through a user namespace
// without a root mapping has read-only sysctls.
std::string TryWriteSysctl(std::string_view name, int64_t value);

// The errno of a sysctl write that failed, 0 if it succeeded.
int SysctlWriteErrno(std::string_view name, int64_t value);

}  // namespace ipcproof

// In a test body: set a sysctl (of the private namespace) and check that it
// reads back, or skip saying why and which claims stay unverified.
#define WRITE_SYSCTL_OR_SKIP(name, value)                                     \
  do {                                                                        \
    const std::string ipcproof_why = ::ipcproof::TryWriteSysctl(name, value); \
    if (!ipcproof_why.empty()) SKIP_UNVERIFIED(ipcproof_why);                 \
    ASSERT_EQ(::ipcproof::ReadSysctl(name), static_cast<int64_t>(value))      \
        << "/proc/sys/" << (name) << " after writing it";                     \
  } while (0)

#endif  // CONFORMANCE_KIT_SYSCTL_H_

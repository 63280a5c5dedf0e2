// Private namespaces for tests that create IPC objects.
//
// Every test runs in its own process (conformance/runner/supervisor.h), so a
// test may move that process into a fresh IPC namespace in SetUp: the System
// V objects and POSIX queues it creates then cannot be seen from, or leak
// onto, the host, and it may raise /proc/sys/kernel/msg* and
// /proc/sys/fs/mqueue/* for itself alone (kit/sysctl.h). Privilege is
// decided by trying, never by checking uid.
#ifndef CONFORMANCE_KIT_NAMESPACES_H_
#define CONFORMANCE_KIT_NAMESPACES_H_

#include <optional>
#include <string>

#include "conformance/kit/claims.h"

namespace ipcproof {

// How the process got its private IPC namespace.
enum class IpcNamespaceEntry {
  kUnshareIpc,         // unshare(CLONE_NEWIPC) (CAP_SYS_ADMIN)
  kUnshareUserAndIpc,  // unshare(CLONE_NEWUSER | CLONE_NEWIPC), unprivileged
};

// Moves the calling process into a new IPC namespace. Must run before the
// process starts a thread (unshare(CLONE_NEWUSER) refuses multithreaded
// callers). Returns the way in, or a reason naming both failed attempts.
struct IpcNamespaceResult {
  std::optional<IpcNamespaceEntry> entry;
  // Why there is no entry; or, with an entry, what is still missing (a user
  // namespace whose uid map could not be written has no root inside).
  std::string failure;
};
IpcNamespaceResult EnterPrivateIpcNamespace();

// Moves the calling process into a new user namespace (mapping its uid and
// gid to root there) and a new IPC namespace owned by it, whatever the
// privilege. For tests that need per-user counts of their own: the kernel
// charges RLIMIT_MSGQUEUE bytes to the ucounts of (user namespace, uid)
// and compares the count at the caller's own level with its rlimit
// (mqueue_get_inode, inc_rlimit_ucounts), so in a fresh user namespace no
// other process of the same uid (another test running in parallel) uses
// up the test's budget. Same threading rule and result as above.
IpcNamespaceResult EnterPrivateUserAndIpcNamespace();

}  // namespace ipcproof

// In SetUp or a test body: enter a private IPC namespace, or skip the test
// saying why and which declared claims stay unverified.
#define ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP()                              \
  do {                                                                     \
    const ::ipcproof::IpcNamespaceResult ipcproof_ns =                     \
        ::ipcproof::EnterPrivateIpcNamespace();                            \
    if (!ipcproof_ns.entry) {                                              \
      SKIP_UNVERIFIED("no private IPC namespace: " + ipcproof_ns.failure); \
    }                                                                      \
  } while (0)

// The same for a private user and IPC namespace.
#define ENTER_PRIVATE_USER_AND_IPC_NAMESPACE_OR_SKIP()                      \
  do {                                                                      \
    const ::ipcproof::IpcNamespaceResult ipcproof_ns =                      \
        ::ipcproof::EnterPrivateUserAndIpcNamespace();                      \
    if (!ipcproof_ns.entry || !ipcproof_ns.failure.empty()) {               \
      SKIP_UNVERIFIED("no private user and IPC namespace: " +               \
                      (ipcproof_ns.failure.empty() ? std::string("?")       \
                                                   : ipcproof_ns.failure)); \
    }                                                                       \
  } while (0)

#endif  // CONFORMANCE_KIT_NAMESPACES_H_

// Private namespaces and sysctls for tests that create IPC objects.
//
// Every test runs in its own process (see supervisor.h), so a test may move
// that process into a fresh IPC namespace in SetUp: the System V objects and
// POSIX queues it creates then cannot be seen from, or leak onto, the host,
// and it may raise /proc/sys/kernel/msg* and /proc/sys/fs/mqueue/* for
// itself alone. Privilege is decided by trying, never by checking uid.
#ifndef CONFORMANCE_HARNESS_SANDBOX_H_
#define CONFORMANCE_HARNESS_SANDBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The System V message queue ids of the caller's IPC namespace, from
// /proc/sysvipc/msg (what `ipcs -q` shows).
std::vector<int> ListSysvMessageQueues();

// The POSIX message queue names ("/name") of the caller's IPC namespace.
// Reads them from an mqueue filesystem mounted, for the moment of the call,
// in a private mount namespace of a short-lived thread (the host has no
// /dev/mqueue, and the caller's mounts are left untouched). Throws
// std::system_error when the mount is refused (no CAP_SYS_ADMIN).
std::vector<std::string> ListPosixMessageQueues();

// Reads a whole /proc or /sys file; throws std::system_error naming it.
std::string ReadFileOrThrow(const std::string& path);

// /proc/sys/<name> ("fs/pipe-max-size") as a number; throws when unreadable.
int64_t ReadSysctl(std::string_view name);

// Writes /proc/sys/<name>; throws std::system_error naming it on failure.
void WriteSysctl(std::string_view name, int64_t value);

// A directory of this test's own, removed by the supervisor after the test
// (which also reports anything the test left in it). Outside the supervisor,
// $TEST_TMPDIR or /tmp.
const std::string& TestTempDir();

// A fresh path inside TestTempDir() whose last component starts with `stem`.
std::string UniqueTempPath(std::string_view stem);

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

#endif  // CONFORMANCE_HARNESS_SANDBOX_H_

#include "conformance/kit/namespaces.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "conformance/kit/errno_name.h"
#include "conformance/procfs/files.h"

namespace ipcproof {
namespace {

std::string Describe(const char* call, int err) {
  return std::string(call) + " failed with " + ErrnoName(err);
}

}  // namespace

IpcNamespaceResult EnterPrivateIpcNamespace() {
  if (::unshare(CLONE_NEWIPC) == 0) {
    return {IpcNamespaceEntry::kUnshareIpc, ""};
  }
  const int ipc_errno = errno;
  // Without CAP_SYS_ADMIN, a new user namespace grants it for a new IPC
  // namespace owned by that user namespace.
  IpcNamespaceResult result = EnterPrivateUserAndIpcNamespace();
  if (!result.entry) {
    result.failure =
        Describe("unshare(CLONE_NEWIPC)", ipc_errno) + "; " + result.failure;
  }
  return result;
}

IpcNamespaceResult EnterPrivateUserAndIpcNamespace() {
  // Map our ids to root inside, so the IPC namespace's /proc/sys/kernel/msg*
  // and fs/mqueue/* files (owned by its root) are writable.
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) {
    return {std::nullopt,
            Describe("unshare(CLONE_NEWUSER|CLONE_NEWIPC)", errno)};
  }
  try {
    WriteProcFile("/proc/self/setgroups", "deny");
    WriteProcFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    WriteProcFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  } catch (const std::system_error& e) {
    // Still in a private IPC namespace, only without root inside it: the
    // namespace's sysctls will refuse writes, so say why.
    return {
        IpcNamespaceEntry::kUnshareUserAndIpc,
        std::string("no root mapping in the new user namespace: ") + e.what()};
  }
  return {IpcNamespaceEntry::kUnshareUserAndIpc, ""};
}

}  // namespace ipcproof

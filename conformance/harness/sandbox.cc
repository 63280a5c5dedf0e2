#include "conformance/harness/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

void WriteWholeFile(const std::string& path, std::string_view text) {
  ipc::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) ipc::ThrowErrno("open(" + path + ")");
  ipc::WriteAll(fd.get(), text);
}

std::string Describe(const char* call, int err) {
  return std::string(call) + " failed: " + strerrorname_np(err) + " (" +
         std::strerror(err) + ")";
}

}  // namespace

IpcNamespaceResult EnterPrivateIpcNamespace() {
  if (::unshare(CLONE_NEWIPC) == 0) {
    return {IpcNamespaceEntry::kUnshareIpc, ""};
  }
  const int ipc_errno = errno;
  // Without CAP_SYS_ADMIN, a new user namespace grants it for a new IPC
  // namespace owned by that user namespace. Map our ids to root inside so the
  // namespace's /proc/sys/kernel/msg* files (owned by its root) are writable.
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) {
    return {std::nullopt,
            Describe("unshare(CLONE_NEWIPC)", ipc_errno) + "; " +
                Describe("unshare(CLONE_NEWUSER|CLONE_NEWIPC)", errno)};
  }
  try {
    WriteWholeFile("/proc/self/setgroups", "deny");
    WriteWholeFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    WriteWholeFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  } catch (const std::system_error& e) {
    // Still in a private IPC namespace, only without root inside it: the
    // namespace's sysctls will refuse writes, so say why.
    return {
        IpcNamespaceEntry::kUnshareUserAndIpc,
        std::string("no root mapping in the new user namespace: ") + e.what()};
  }
  return {IpcNamespaceEntry::kUnshareUserAndIpc, ""};
}

std::string ReadFileOrThrow(const std::string& path) {
  std::ifstream in(path);
  if (!in) ipc::ThrowErrno("open(" + path + ")");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int64_t ReadSysctl(std::string_view name) {
  const std::string path = "/proc/sys/" + std::string(name);
  const std::string text = ReadFileOrThrow(path);
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || errno != 0) {
    ipc::ThrowInvalidArgument(path, "does not hold a number: " + text);
  }
  return value;
}

void WriteSysctl(std::string_view name, int64_t value) {
  WriteWholeFile("/proc/sys/" + std::string(name), std::to_string(value));
}

const std::string& TestTempDir() {
  static const std::string dir = [] {
    for (const char* var : {"IPCPROOF_TEST_TMPDIR", "TEST_TMPDIR"}) {
      if (const char* value = std::getenv(var); value && *value) {
        return std::string(value);
      }
    }
    return std::string("/tmp");
  }();
  return dir;
}

std::string UniqueTempPath(std::string_view stem) {
  static std::atomic<unsigned> counter{0};
  return TestTempDir() + "/" + std::string(stem) + "." +
         std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace ipcproof

#include "conformance/harness/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

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

std::vector<int> ListSysvMessageQueues() {
  // Header line, then "key msqid perms cbytes qnum ..." per queue.
  std::istringstream lines(ReadFileOrThrow("/proc/sysvipc/msg"));
  std::string line;
  std::getline(lines, line);
  std::vector<int> ids;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    long long key = 0;
    int id = 0;
    if (fields >> key >> id) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> ListPosixMessageQueues() {
  std::vector<std::string> names;
  int err = 0;
  const char* failed = nullptr;
  // A thread of our own gets a private mount namespace (unshare implies a
  // private copy of its fs_struct), mounts the IPC namespace's mqueue
  // filesystem over /tmp there, and reads it. The mount dies with the
  // thread; no other thread, and no other process, ever sees it.
  std::thread lister([&] {
    if (::unshare(CLONE_NEWNS) != 0) {
      err = errno;
      failed = "unshare(CLONE_NEWNS)";
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) !=
               0) {
      err = errno;
      failed = "mount(/, MS_REC|MS_PRIVATE)";
    } else if (::mount("mqueue", "/tmp", "mqueue", 0, nullptr) != 0) {
      err = errno;
      failed = "mount(mqueue)";
    } else if (DIR* dir = ::opendir("/tmp")) {
      while (const dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..")
          names.push_back("/" + std::string(name));
      }
      ::closedir(dir);
    } else {
      err = errno;
      failed = "opendir(mqueue mount)";
    }
  });
  lister.join();
  if (failed != nullptr) ipc::ThrowSystemError(err, failed);
  std::sort(names.begin(), names.end());
  return names;
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

#include "conformance/kit/ipc_objects.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <string_view>
#include <thread>

#include "conformance/procfs/files.h"
#include "ipc/error.h"

namespace ipcproof {

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

}  // namespace ipcproof

#include "conformance/procfs/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/unique_fd.h"

namespace ipcproof {

std::optional<std::string> ReadFileIfPresent(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReadFileOrThrow(const std::string& path) {
  std::optional<std::string> text = ReadFileIfPresent(path);
  if (!text) {
    const int err = errno;
    ipc::ThrowSystemError(err, "open(" + path + ")");
  }
  return *std::move(text);
}

void WriteProcFile(const std::string& path, std::string_view text) {
  ipc::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    ipc::ThrowSystemError(err, "open(" + path + ")");
  }
  ipc::WriteAll(fd.get(), text);
}

std::optional<std::vector<std::string>> ListDirectoryIfPresent(
    const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return std::nullopt;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ListDirectoryOrThrow(const std::string& path) {
  std::optional<std::vector<std::string>> names = ListDirectoryIfPresent(path);
  if (!names) ipc::ThrowErrno("opendir(" + path + ")");
  return *std::move(names);
}

std::vector<pid_t> ListPids() {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) ipc::ThrowErrno("opendir(/proc)");
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0') {
      pids.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(proc);
  return pids;
}

std::string ReadLinkOrEmpty(const std::string& path) {
  char target[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target);
  if (n < 0) return "";
  return std::string(target, static_cast<size_t>(n));
}

std::string ProcFdPath(pid_t pid, int fd) {
  return "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
}

}  // namespace ipcproof

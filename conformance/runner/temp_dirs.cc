#include "conformance/runner/temp_dirs.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace ipcproof {
namespace {

constexpr char kPrefix[] = "ipcproof.";
constexpr size_t kRandomLength = 6;  // mkdtemp's XXXXXX

std::vector<std::string> BaseDirs() {
  std::vector<std::string> bases;
  for (const char* var : {"IPCPROOF_TMPDIR", "", "TEST_TMPDIR"}) {
    const char* value = *var ? std::getenv(var) : "/tmp";
    if (value && *value &&
        std::find(bases.begin(), bases.end(), value) == bases.end()) {
      bases.emplace_back(value);
    }
  }
  return bases;
}

// A name mkdtemp could have given one of our directories.
bool IsRunnerDirName(std::string_view name) {
  if (!name.starts_with(kPrefix)) return false;
  name.remove_prefix(sizeof kPrefix - 1);
  return name.size() == kRandomLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9');
         });
}

// True when `path` still names the directory open as `fd` (it was not
// removed, or removed and its name reused, while we took the lock).
bool StillNamedBy(int fd, const std::string& path) {
  struct stat by_fd, by_path;
  return ::fstat(fd, &by_fd) == 0 && ::lstat(path.c_str(), &by_path) == 0 &&
         by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

ipc::UniqueFd OpenDirectory(const std::string& path) {
  return ipc::UniqueFd(
      ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// flock(LOCK_EX) on a base directory for the life of the object: making a
// directory (mkdtemp, then locking it) and removing dead runners' ones both
// hold it, so a run that starts while another makes its directory never sees
// that directory unlocked and takes it for a dead runner's. A base that
// cannot be opened or locked (a file system without flock) goes unlocked:
// then only the retries in Create stand between the two.
class ScopedBaseLock {
 public:
  explicit ScopedBaseLock(const std::string& base) : fd_(OpenDirectory(base)) {
    if (!fd_) return;
    // Held for microseconds by other runs; bounded all the same, so a
    // stranger holding a lock on /tmp cannot hang the run (after 10 s it
    // goes on unlocked, relying on Create's retries).
    for (int tries = 0; tries < 10000; ++tries) {
      if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
      if (errno != EWOULDBLOCK && errno != EINTR) return;
      const timespec pause{0, 1000000};  // paces the retry; decides nothing
      ::nanosleep(&pause, nullptr);
    }
  }
  // The lock goes with the descriptor.

 private:
  ipc::UniqueFd fd_;
};

}  // namespace

std::optional<LockedTempDir> LockedTempDir::Create(std::string& error) {
  for (const std::string& base : BaseDirs()) {
    const ScopedBaseLock serialised(base);
    // A run cleaning up after a dead runner may lock a directory between its
    // mkdtemp and our flock, and remove it: then make another. Each retry
    // needs another run's scan to land in that window again, so a few
    // attempts are plenty; the bound keeps a broken flock from looping.
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::string dir = base + "/" + kPrefix + "XXXXXX";
      if (::mkdtemp(dir.data()) == nullptr) {
        error += "mkdtemp(" + dir + "): " + std::strerror(errno) + "; ";
        break;
      }
      ipc::UniqueFd lock = OpenDirectory(dir);
      if (!lock) {
        // ENOENT: a run cleaning up took it for a dead runner's between our
        // mkdtemp and this open (it was not locked yet), and removed it.
        if (errno == ENOENT) continue;
        error += "open(" + dir + "): " + std::strerror(errno) + "; ";
        ::rmdir(dir.c_str());
        break;
      }
      if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) continue;  // being removed: not ours
        // A file system without flock: the directory is then never taken
        // for a dead runner's (that needs the lock), only left if we die.
      }
      if (!StillNamedBy(lock.get(), dir)) continue;
      // Searchable by every uid (not listable), so a test that drops to
      // another uid can still reach the FIFOs and files it made for it.
      ::fchmod(lock.get(), 0711);
      return LockedTempDir(std::move(dir), std::move(lock));
    }
  }
  return std::nullopt;
}

LockedTempDir& LockedTempDir::operator=(LockedTempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    lock_ = std::move(other.lock_);
  }
  return *this;
}

LockedTempDir::~LockedTempDir() { Remove(); }

void LockedTempDir::Remove() {
  // Removed while the lock is held, so no other run takes it for a dead
  // runner's half-way; the lock goes with the descriptor.
  if (lock_) RemoveTree(path_);
  lock_.Reset();
}

std::string LockedTempDir::ListEntries() const {
  std::string listing;
  if (DIR* d = ::opendir(path_.c_str())) {
    while (const dirent* entry = ::readdir(d)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      listing += "\n    " + path_ + "/" + std::string(name);
    }
    ::closedir(d);
  }
  return listing;
}

void RemoveTree(const std::string& path) {
  ::nftw(
      path.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) {
        ::remove(path);
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS);
}

std::vector<std::string> RemoveDirectoriesOfDeadRunners() {
  std::vector<std::string> removed;
  for (const std::string& base : BaseDirs()) {
    const ScopedBaseLock serialised(base);
    DIR* d = ::opendir(base.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> candidates;
    while (const dirent* entry = ::readdir(d)) {
      if (IsRunnerDirName(entry->d_name)) {
        candidates.push_back(base + "/" + entry->d_name);
      }
    }
    ::closedir(d);
    for (const std::string& path : candidates) {
      // Another uid's directory is not ours to judge (nor, in a sticky
      // /tmp, to remove); one we cannot open we cannot lock either.
      const ipc::UniqueFd dir = OpenDirectory(path);
      struct stat st;
      if (!dir || ::fstat(dir.get(), &st) != 0 || st.st_uid != ::geteuid()) {
        continue;
      }
      // Held by a live runner: leave it.
      if (::flock(dir.get(), LOCK_EX | LOCK_NB) != 0) continue;
      if (!StillNamedBy(dir.get(), path)) continue;
      RemoveTree(path);
      removed.push_back(path);
    }
  }
  return removed;
}

}  // namespace ipcproof

// Small file and descriptor helpers that tests of every mechanism use.
#ifndef CONFORMANCE_KIT_FILES_H_
#define CONFORMANCE_KIT_FILES_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <string>

namespace ipcproof {

// stat(2) / fstat(2); throw std::system_error naming the call and path.
struct stat StatPath(const std::string& path);
struct stat StatFd(int fd);

// fcntl(F_GETFL); throws on failure.
int FileStatusFlags(int fd);

// One read(2) of at most `max` bytes (retrying EINTR): what is there now,
// "" at end of file. Throws std::system_error on an error (EAGAIN too).
std::string ReadAvailable(int fd, size_t max);

// A directory with an exact mode (chmod after mkdir, so the umask does not
// decide it), removed on scope exit.
class ScopedDirectory {
 public:
  ScopedDirectory(std::string path, mode_t mode);
  ~ScopedDirectory();
  ScopedDirectory(const ScopedDirectory&) = delete;
  ScopedDirectory& operator=(const ScopedDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Unlinks a path on scope exit (a second name of a node, one a child made).
class ScopedUnlink {
 public:
  explicit ScopedUnlink(std::string path) : path_(std::move(path)) {}
  ~ScopedUnlink();
  ScopedUnlink(const ScopedUnlink&) = delete;
  ScopedUnlink& operator=(const ScopedUnlink&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_FILES_H_

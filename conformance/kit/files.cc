#include "conformance/kit/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <span>
#include <system_error>
#include <utility>

#include "ipc/error.h"
#include "ipc/io.h"

namespace ipcproof {

struct stat StatPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    ipc::ThrowSystemError(err, "stat(" + path + ")");
  }
  return st;
}

struct stat StatFd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ipc::ThrowSystemError(err, "fstat(" + std::to_string(fd) + ")");
  }
  return st;
}

int FileStatusFlags(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) ipc::ThrowErrno("fcntl(F_GETFL)");
  return flags;
}

std::string ReadAvailable(int fd, size_t max) {
  std::string text(max, '\0');
  const size_t n = ipc::ReadSome(fd, std::as_writable_bytes(std::span(text)));
  text.resize(n);
  return text;
}

ScopedDirectory::ScopedDirectory(std::string path, mode_t mode)
    : path_(std::move(path)) {
  if (::mkdir(path_.c_str(), 0700) != 0) {
    const int err = errno;
    ipc::ThrowSystemError(err, "mkdir(" + path_ + ")");
  }
  if (::chmod(path_.c_str(), mode) != 0) {
    const int err = errno;
    ::rmdir(path_.c_str());
    ipc::ThrowSystemError(err, "chmod(" + path_ + ")");
  }
}

ScopedDirectory::~ScopedDirectory() { ::rmdir(path_.c_str()); }

ScopedUnlink::~ScopedUnlink() { ::unlink(path_.c_str()); }

}  // namespace ipcproof

#include "tools/kernels/initramfs.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace ipcproof::kernels {
namespace {

constexpr uint64_t kMaxFileSize = 0xffffffffu;  // the header's 8 hex digits

std::system_error SystemError(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

}  // namespace

CpioWriter::CpioWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw SystemError("open " + path);
}

CpioWriter::~CpioWriter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string CpioWriter::Normalize(std::string_view name) {
  while (name.starts_with('/')) name.remove_prefix(1);
  while (name.ends_with('/')) name.remove_suffix(1);
  if (name.empty() || name == "." ||
      name.find("//") != std::string_view::npos || name.starts_with("../") ||
      name.find("/../") != std::string_view::npos) {
    throw std::invalid_argument("cpio: bad entry name '" + std::string(name) +
                                "'");
  }
  return std::string(name);
}

void CpioWriter::AddParents(const std::string& name) {
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    const std::string parent = name.substr(0, slash);
    if (names_.insert(parent).second) {
      WriteHeader(parent, S_IFDIR | 0755, 0, 0, 0);
    }
  }
}

void CpioWriter::WriteHeader(const std::string& name, uint32_t mode,
                             uint64_t size, unsigned rdev_major,
                             unsigned rdev_minor) {
  if (fd_ < 0) throw std::logic_error("cpio: " + path_ + " already finished");
  if (size > kMaxFileSize) {
    throw std::invalid_argument("cpio: " + name + " is larger than 4 GiB");
  }
  // c_ino, c_mode, c_uid, c_gid, c_nlink, c_mtime, c_filesize, c_devmajor,
  // c_devminor, c_rdevmajor, c_rdevminor, c_namesize, c_check.
  char header[111];
  const bool is_directory = (mode & S_IFMT) == S_IFDIR;
  std::snprintf(header, sizeof header,
                "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                next_inode_++, mode, 0u, 0u, is_directory ? 2u : 1u, 0u,
                static_cast<unsigned>(size), 0u, 0u, rdev_major, rdev_minor,
                static_cast<unsigned>(name.size() + 1), 0u);
  Write(std::string_view(header, 110));
  Write(std::string_view(name.c_str(), name.size() + 1));
  Pad();
}

void CpioWriter::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw SystemError("write " + path_);
    }
    bytes.remove_prefix(written);
    offset_ += written;
  }
}

void CpioWriter::Pad() {
  static constexpr char kZeros[4] = {};
  if (offset_ % 4 != 0) Write(std::string_view(kZeros, 4 - offset_ % 4));
}

void CpioWriter::AddDirectory(std::string_view name, mode_t permissions) {
  const std::string normal = Normalize(name);
  AddParents(normal);
  if (!names_.insert(normal).second) {
    throw std::invalid_argument("cpio: " + normal + " added twice");
  }
  WriteHeader(normal, S_IFDIR | (permissions & 07777), 0, 0, 0);
}

void CpioWriter::AddFile(std::string_view name, const std::string& host_path,
                         mode_t permissions) {
  const int source = ::open(host_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (source < 0) throw SystemError("open " + host_path);
  struct stat status {};
  if (::fstat(source, &status) != 0 || !S_ISREG(status.st_mode)) {
    const int saved = S_ISREG(status.st_mode) ? errno : EINVAL;
    ::close(source);
    errno = saved;
    throw SystemError(host_path + " is not a readable regular file");
  }
  const std::string normal = Normalize(name);
  try {
    AddParents(normal);
    if (!names_.insert(normal).second) {
      throw std::invalid_argument("cpio: " + normal + " added twice");
    }
    WriteHeader(normal, S_IFREG | (permissions & 07777), status.st_size, 0, 0);
    off_t from = 0;
    while (from < status.st_size) {
      const ssize_t copied =
          ::sendfile(fd_, source, &from, status.st_size - from);
      if (copied < 0) {
        if (errno == EINTR) continue;
        throw SystemError("copy " + host_path + " into " + path_);
      }
      if (copied == 0) {
        errno = EIO;
        throw SystemError(host_path + " shrank while it was copied");
      }
      offset_ += copied;
    }
    Pad();
  } catch (...) {
    ::close(source);
    throw;
  }
  ::close(source);
}

void CpioWriter::AddFileContents(std::string_view name,
                                 std::string_view contents,
                                 mode_t permissions) {
  const std::string normal = Normalize(name);
  AddParents(normal);
  if (!names_.insert(normal).second) {
    throw std::invalid_argument("cpio: " + normal + " added twice");
  }
  WriteHeader(normal, S_IFREG | (permissions & 07777), contents.size(), 0, 0);
  Write(contents);
  Pad();
}

void CpioWriter::AddSymlink(std::string_view name, std::string_view target) {
  const std::string normal = Normalize(name);
  AddParents(normal);
  if (!names_.insert(normal).second) {
    throw std::invalid_argument("cpio: " + normal + " added twice");
  }
  // A symlink's data is its target, without a terminating NUL.
  WriteHeader(normal, S_IFLNK | 0777, target.size(), 0, 0);
  Write(target);
  Pad();
}

void CpioWriter::AddCharDevice(std::string_view name, unsigned major,
                               unsigned minor, mode_t permissions) {
  const std::string normal = Normalize(name);
  AddParents(normal);
  if (!names_.insert(normal).second) {
    throw std::invalid_argument("cpio: " + normal + " added twice");
  }
  WriteHeader(normal, S_IFCHR | (permissions & 07777), 0, major, minor);
}

void CpioWriter::Finish() {
  WriteHeader("TRAILER!!!", 0, 0, 0, 0);
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw SystemError("close " + path_);
  }
  fd_ = -1;
}

}  // namespace ipcproof::kernels

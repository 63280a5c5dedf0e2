#include "tools/verify/output_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p of `path`'s missing components.
void MakeParents(const std::string& path) {
  if (path.empty() || path == "/" || path == ".") return;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      throw InfrastructureError(path + ": not a directory");
    }
    return;
  }
  MakeParents(Parent(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw InfrastructureError(DescribeErrno("mkdir(" + path + ")", errno));
  }
}

void WriteAll(const std::string& path, int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw InfrastructureError(
          DescribeErrno("write(" + path + ")", n < 0 ? errno : EIO));
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void WriteNewFile(const std::string& path, std::string_view text) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw InfrastructureError(DescribeErrno("open(" + path + ")", errno));
  }
  try {
    WriteAll(path, fd, text);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) {
    throw InfrastructureError(DescribeErrno("close(" + path + ")", errno));
  }
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

}  // namespace

void CheckReplaceable(const std::string& target) {
  struct stat st;
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw InfrastructureError(DescribeErrno("stat(" + target + ")", errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw InfrastructureError(target +
                              ": exists and is not a directory; choose "
                              "another --out");
  }
  if (::access((target + "/" + kReportMarker).c_str(), F_OK) == 0) return;
  DIR* dir = ::opendir(target.c_str());
  if (dir == nullptr) {
    throw InfrastructureError(DescribeErrno("opendir(" + target + ")", errno));
  }
  bool empty = true;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  if (!empty) {
    throw InfrastructureError(
        target + ": exists and is not a report verify wrote (it has no " +
        kReportMarker +
        "); verify replaces only its own reports: choose "
        "another --out or remove it");
  }
}

StagedDirectory::StagedDirectory(const std::string& target) : target_(target) {
  while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  MakeParents(Parent(target_));
  std::string pattern = target_ + ".tmp-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw InfrastructureError(DescribeErrno("mkdtemp(" + pattern + ")", errno));
  }
  path_ = pattern;
  // mkdtemp makes it 0700; a report is for everyone who may read the parent.
  ::chmod(path_.c_str(), 0755);
  WriteFile(kReportMarker,
            "This directory was written by ipcproof's verify, which replaces "
            "it as a whole on its next run.\n");
}

StagedDirectory::~StagedDirectory() {
  if (!committed_ && !path_.empty()) RemoveTree(path_);
}

std::string StagedDirectory::MakeDirectory(const std::string& relative) const {
  const std::string path = path_ + "/" + relative;
  MakeParents(path);
  return path;
}

void StagedDirectory::WriteFile(const std::string& relative,
                                std::string_view text) const {
  const std::string path = path_ + "/" + relative;
  MakeParents(Parent(path));
  WriteNewFile(path, text);
}

void StagedDirectory::Commit() {
  struct stat st;
  const bool exists = ::lstat(target_.c_str(), &st) == 0;
  if (!exists) {
    if (::rename(path_.c_str(), target_.c_str()) != 0) {
      throw InfrastructureError(
          DescribeErrno("rename(" + path_ + ", " + target_ + ")", errno));
    }
    committed_ = true;
    return;
  }
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target_.c_str(),
                  RENAME_EXCHANGE) == 0) {
    // The old report now sits at the staging path.
    committed_ = true;
    RemoveTree(path_);
    return;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    throw InfrastructureError(DescribeErrno(
        "renameat2(" + path_ + ", " + target_ + ", RENAME_EXCHANGE)", errno));
  }
  // A file system without RENAME_EXCHANGE: move the old report aside first;
  // for an instant the target is missing, never mixed.
  std::string aside = target_ + ".old-XXXXXX";
  if (::mkdtemp(aside.data()) == nullptr) {
    throw InfrastructureError(DescribeErrno("mkdtemp(" + aside + ")", errno));
  }
  if (::rename(target_.c_str(), aside.c_str()) != 0) {
    const int error = errno;
    ::rmdir(aside.c_str());
    throw InfrastructureError(
        DescribeErrno("rename(" + target_ + ", " + aside + ")", error));
  }
  if (::rename(path_.c_str(), target_.c_str()) != 0) {
    const int error = errno;
    ::rename(aside.c_str(), target_.c_str());
    throw InfrastructureError(
        DescribeErrno("rename(" + path_ + ", " + target_ + ")", error));
  }
  committed_ = true;
  RemoveTree(aside);
}

void WriteFileAtomically(const std::string& path, std::string_view text) {
  std::string temporary = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) {
    throw InfrastructureError(
        DescribeErrno("mkstemp(" + temporary + ")", errno));
  }
  ::fchmod(fd, 0644);
  try {
    WriteAll(temporary, fd, text);
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw InfrastructureError(DescribeErrno("close(" + temporary + ")", error));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw InfrastructureError(
        DescribeErrno("rename(" + temporary + ", " + path + ")", error));
  }
}

void RemoveTree(const std::string& path) {
  ::nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace ipcproof::verify

#include "ipc/fifo.h"

#include <fcntl.h>

#include <cerrno>
#include <utility>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"

namespace ipc {
namespace {

void CheckPath(const std::string& path, const char* where) {
  CheckArgument(!path.empty(), where, "path is empty");
  CheckArgument(path.find('\0') == std::string::npos, where,
                "path contains a NUL byte");
}

}  // namespace

Fifo::Fifo(std::string path, bool owns_node)
    : path_(std::move(path)), owns_node_(owns_node) {}

Fifo Fifo::Create(std::string path, mode_t mode) {
  CheckPath(path, "Fifo::Create");
  CheckArgument((mode & ~07777) == 0, "Fifo::Create",
                "mode has bits outside 07777");
  if (FdSyscalls::Current().Mkfifo(path.c_str(), mode) != 0) {
    const int err = errno;  // Before the message allocates.
    ThrowSystemError(err, "mkfifo(" + path + ")");
  }
  return Fifo(std::move(path), /*owns_node=*/true);
}

Fifo Fifo::Existing(std::string path) {
  CheckPath(path, "Fifo::Existing");
  return Fifo(std::move(path), /*owns_node=*/false);
}

Fifo::Fifo(Fifo&& other) noexcept
    : path_(std::move(other.path_)),
      owns_node_(std::exchange(other.owns_node_, false)) {}

Fifo& Fifo::operator=(Fifo&& other) noexcept {
  if (this != &other) {
    if (owns_node_) FdSyscalls::Current().Unlink(path_.c_str());
    path_ = std::move(other.path_);
    owns_node_ = std::exchange(other.owns_node_, false);
  }
  return *this;
}

Fifo::~Fifo() {
  if (owns_node_) FdSyscalls::Current().Unlink(path_.c_str());
}

UniqueFd Fifo::Open(int flags) const {
  const int access = flags & O_ACCMODE;
  CheckArgument(access == O_RDONLY || access == O_WRONLY || access == O_RDWR,
                "Fifo::Open",
                "access mode must be O_RDONLY, O_WRONLY or O_RDWR");
  CheckArgument((flags & ~(O_ACCMODE | O_NONBLOCK | O_CLOEXEC)) == 0,
                "Fifo::Open", "flags may only add O_NONBLOCK and O_CLOEXEC");
  for (;;) {
    const int fd = FdSyscalls::Current().Open(path_.c_str(), flags, 0);
    if (fd >= 0) return UniqueFd(fd);
    // A blocking open waits for the peer and can be interrupted.
    const int err = errno;  // Before the message allocates.
    if (err != EINTR) ThrowSystemError(err, "open(" + path_ + ")");
  }
}

UniqueFd Fifo::OpenForReading(int extra_flags) const {
  return Open(O_RDONLY | extra_flags);
}

UniqueFd Fifo::OpenForWriting(int extra_flags) const {
  return Open(O_WRONLY | extra_flags);
}

void Fifo::Remove() {
  CheckArgument(owns_node_, "Fifo::Remove", "this Fifo does not own its node");
  if (FdSyscalls::Current().Unlink(path_.c_str()) != 0) {
    const int err = errno;  // Before the message allocates.
    ThrowSystemError(err, "unlink(" + path_ + ")");
  }
  owns_node_ = false;
}

}  // namespace ipc

#include "ipc/posix_shared_memory.h"

#include <fcntl.h>
#include <limits.h>

#include <cerrno>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"
#include "ipc/shm_syscalls.h"

namespace ipc {
namespace {

// ftruncate(2) takes an off_t: a larger size_t would turn negative.
void CheckSize(size_t size, const char* where) {
  CheckArgument(size <= static_cast<size_t>(std::numeric_limits<off_t>::max()),
                where, "size exceeds the largest off_t");
}

std::string Hex(unsigned value) {
  char text[2 + 2 * sizeof value + 1];
  std::snprintf(text, sizeof text, "%#x", value);
  return text;
}

}  // namespace

// --------------------------------------------------------- PosixSharedMemory

void PosixSharedMemory::CheckName(std::string_view name) {
  constexpr const char* kWhere = "PosixSharedMemory name";
  CheckArgument(name.size() >= 2 && name.front() == '/', kWhere,
                "must be '/' followed by at least one character");
  CheckArgument(name.find('/', 1) == std::string_view::npos, kWhere,
                "may hold no '/' after the first");
  CheckArgument(name.size() <= NAME_MAX, kWhere,
                "longer than NAME_MAX characters with the '/'");
  CheckArgument(name.find('\0') == std::string_view::npos, kWhere,
                "contains a NUL byte");
}

PosixSharedMemory::PosixSharedMemory(std::string name, UniqueFd fd,
                                     bool owns_name)
    : name_(std::move(name)), fd_(std::move(fd)), owns_name_(owns_name) {}

PosixSharedMemory PosixSharedMemory::Create(std::string name, size_t size,
                                            mode_t mode) {
  CheckName(name);
  CheckSize(size, "PosixSharedMemory::Create");
  CheckArgument((mode & ~0777) == 0, "PosixSharedMemory::Create",
                "mode may only hold permission bits (0777)");
  const int fd = ShmSyscalls::Current().ShmOpen(
      name.c_str(), O_CREAT | O_EXCL | O_RDWR, mode);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "shm_open(" + name + ", O_CREAT|O_EXCL|O_RDWR)");
  }
  // Owned from here on: if ftruncate fails, the destructor closes the
  // descriptor and unlinks the name as the exception leaves.
  PosixSharedMemory memory(std::move(name), UniqueFd(fd), /*owns_name=*/true);
  memory.Resize(size);
  return memory;
}

PosixSharedMemory PosixSharedMemory::Open(std::string name, int flags) {
  CheckName(name);
  const int access = flags & O_ACCMODE;
  CheckArgument(access == O_RDONLY || access == O_RDWR,
                "PosixSharedMemory::Open",
                "access mode must be O_RDONLY or O_RDWR (shm_open(3))");
  CheckArgument((flags & ~(O_ACCMODE | O_TRUNC)) == 0,
                "PosixSharedMemory::Open", "flags may only add O_TRUNC");
  // POSIX: "The result of using O_TRUNC with O_RDONLY is undefined."
  CheckArgument(!(flags & O_TRUNC) || access == O_RDWR,
                "PosixSharedMemory::Open", "O_TRUNC needs O_RDWR");
  const int fd = ShmSyscalls::Current().ShmOpen(name.c_str(), flags, 0);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "shm_open(" + name + ")");
  }
  return PosixSharedMemory(std::move(name), UniqueFd(fd),
                           /*owns_name=*/false);
}

void PosixSharedMemory::Unlink(const std::string& name) {
  CheckName(name);
  if (ShmSyscalls::Current().ShmUnlink(name.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "shm_unlink(" + name + ")");
  }
}

PosixSharedMemory::PosixSharedMemory(PosixSharedMemory&& other) noexcept
    : name_(std::move(other.name_)),
      fd_(std::move(other.fd_)),
      owns_name_(std::exchange(other.owns_name_, false)) {}

PosixSharedMemory& PosixSharedMemory::operator=(
    PosixSharedMemory&& other) noexcept {
  if (this != &other) {
    Dispose();
    name_ = std::move(other.name_);
    fd_ = std::move(other.fd_);
    owns_name_ = std::exchange(other.owns_name_, false);
  }
  return *this;
}

PosixSharedMemory::~PosixSharedMemory() { Dispose(); }

void PosixSharedMemory::Dispose() noexcept {
  fd_.Reset();
  if (owns_name_) ShmSyscalls::Current().ShmUnlink(name_.c_str());
  owns_name_ = false;
}

void PosixSharedMemory::Resize(size_t size) {
  CheckArgument(fd_.valid(), "PosixSharedMemory::Resize",
                "no descriptor (moved from)");
  CheckSize(size, "PosixSharedMemory::Resize");
  if (ShmSyscalls::Current().Ftruncate(fd_.get(), static_cast<off_t>(size)) !=
      0) {
    const int err = errno;
    ThrowSystemError(
        err, "ftruncate(" + name_ + ", " + std::to_string(size) + " bytes)");
  }
}

void PosixSharedMemory::UnlinkName() {
  CheckArgument(owns_name_, "PosixSharedMemory::UnlinkName",
                "the name is not owned");
  if (ShmSyscalls::Current().ShmUnlink(name_.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "shm_unlink(" + name_ + ")");
  }
  owns_name_ = false;
}

// --------------------------------------------------------------------- Memfd

Memfd Memfd::Create(std::string_view name, unsigned flags) {
  CheckArgument(name.size() <= kMaxNameLength, "Memfd::Create",
                "name longer than 249 bytes (memfd_create(2))");
  CheckArgument(name.find('\0') == std::string_view::npos, "Memfd::Create",
                "name contains a NUL byte");
  const std::string terminated(name);
  const int fd = ShmSyscalls::Current().MemfdCreate(terminated.c_str(), flags);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err,
                     "memfd_create(" + terminated + ", " + Hex(flags) + ")");
  }
  return Memfd(UniqueFd(fd));
}

void Memfd::Resize(size_t size) {
  CheckArgument(fd_.valid(), "Memfd::Resize", "no descriptor (moved from)");
  CheckSize(size, "Memfd::Resize");
  if (ShmSyscalls::Current().Ftruncate(fd_.get(), static_cast<off_t>(size)) !=
      0) {
    const int err = errno;
    ThrowSystemError(err, "ftruncate(memfd fd=" + std::to_string(fd_.get()) +
                              ", " + std::to_string(size) + " bytes)");
  }
}

void Memfd::AddSeals(int seals) {
  CheckArgument(fd_.valid(), "Memfd::AddSeals", "no descriptor (moved from)");
  if (FdSyscalls::Current().Fcntl(fd_.get(), F_ADD_SEALS, seals) != 0) {
    const int err = errno;
    ThrowSystemError(err, "fcntl(memfd fd=" + std::to_string(fd_.get()) +
                              ", F_ADD_SEALS, " +
                              Hex(static_cast<unsigned>(seals)) + ")");
  }
}

int Memfd::Seals() const {
  CheckArgument(fd_.valid(), "Memfd::Seals", "no descriptor (moved from)");
  const int seals = FdSyscalls::Current().Fcntl(fd_.get(), F_GET_SEALS, 0);
  if (seals < 0) {
    const int err = errno;
    ThrowSystemError(
        err, "fcntl(memfd fd=" + std::to_string(fd_.get()) + ", F_GET_SEALS)");
  }
  return seals;
}

}  // namespace ipc

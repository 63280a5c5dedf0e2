#include "ipc/memory_mapping.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/shm_syscalls.h"

namespace ipc {
namespace {

std::string Hex(int value) {
  char text[2 + 2 * sizeof value + 1];
  std::snprintf(text, sizeof text, "%#x", static_cast<unsigned>(value));
  return text;
}

}  // namespace

MemoryMapping MemoryMapping::Map(size_t length, int prot, int flags, int fd,
                                 off_t offset) {
  constexpr const char* kWhere = "MemoryMapping::Map";
  CheckArgument(length > 0, kWhere, "length must be positive");
  const int type = flags & MAP_TYPE;
  CheckArgument(
      type == MAP_SHARED || type == MAP_PRIVATE || type == MAP_SHARED_VALIDATE,
      kWhere,
      "flags must hold exactly one of MAP_SHARED, MAP_PRIVATE and "
      "MAP_SHARED_VALIDATE");
  CheckArgument((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == 0, kWhere,
                "MAP_FIXED and MAP_FIXED_NOREPLACE need an address, which "
                "this class does not take");
  if (flags & MAP_ANONYMOUS) {
    // mmap(2): "some implementations require fd to be -1 if MAP_ANONYMOUS
    // is specified", and "the offset argument should be zero".
    CheckArgument(fd == -1 && offset == 0, kWhere,
                  "MAP_ANONYMOUS takes fd -1 and offset 0");
  } else {
    CheckArgument(fd >= 0, kWhere, "a file mapping needs a descriptor");
    // mmap(2): "offset must be a multiple of the page size as returned by
    // sysconf(_SC_PAGE_SIZE)" (sysconf reads the auxiliary vector: no call).
    const long page = ::sysconf(_SC_PAGESIZE);
    CheckArgument(offset >= 0 && offset % page == 0, kWhere,
                  "offset must be a non-negative multiple of the page size");
  }
  void* const address =
      ShmSyscalls::Current().Mmap(nullptr, length, prot, flags, fd, offset);
  if (address == MAP_FAILED) {
    const int err = errno;
    ThrowSystemError(err, "mmap(length=" + std::to_string(length) +
                              ", prot=" + Hex(prot) + ", flags=" + Hex(flags) +
                              ", fd=" + std::to_string(fd) +
                              ", offset=" + std::to_string(offset) + ")");
  }
  return MemoryMapping(static_cast<std::byte*>(address), length);
}

MemoryMapping MemoryMapping::AnonymousShared(size_t length, int prot) {
  return Map(length, prot, MAP_SHARED | MAP_ANONYMOUS);
}

MemoryMapping MemoryMapping::AnonymousPrivate(size_t length, int prot) {
  return Map(length, prot, MAP_PRIVATE | MAP_ANONYMOUS);
}

MemoryMapping::MemoryMapping(MemoryMapping&& other) noexcept
    : address_(std::exchange(other.address_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MemoryMapping& MemoryMapping::operator=(MemoryMapping&& other) noexcept {
  if (this != &other) {
    if (address_ != nullptr) ShmSyscalls::Current().Munmap(address_, size_);
    address_ = std::exchange(other.address_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MemoryMapping::~MemoryMapping() {
  if (address_ != nullptr) ShmSyscalls::Current().Munmap(address_, size_);
}

void MemoryMapping::Unmap() {
  CheckArgument(address_ != nullptr, "MemoryMapping::Unmap",
                "nothing is mapped");
  if (ShmSyscalls::Current().Munmap(address_, size_) != 0) {
    const int err = errno;
    ThrowSystemError(err, "munmap(" + std::to_string(size_) + " bytes)");
  }
  address_ = nullptr;
  size_ = 0;
}

std::byte* MemoryMapping::Release() {
  size_ = 0;
  return std::exchange(address_, nullptr);
}

void MemoryMapping::CheckPlacement(size_t offset, size_t size,
                                   size_t alignment) const {
  CheckArgument(address_ != nullptr, "MemoryMapping::As", "nothing is mapped");
  CheckArgument(offset <= size_ && size <= size_ - offset, "MemoryMapping::As",
                "object does not fit in the mapping");
  CheckArgument(
      reinterpret_cast<std::uintptr_t>(address_ + offset) % alignment == 0,
      "MemoryMapping::As", "offset is misaligned for the type");
}

}  // namespace ipc

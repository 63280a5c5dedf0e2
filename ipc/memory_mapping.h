// An owning memory mapping (mmap(2), munmap(2)): anonymous memory shared
// with forked children (MAP_SHARED | MAP_ANONYMOUS), private memory, or a
// file's pages (a shm_open object, a memfd: ipc/posix_shared_memory.h).
// Unmapped on destruction; move-only, and a moved-from mapping holds
// nothing.
//
// FORK. A MAP_SHARED mapping is shared with children forked after it is
// made; a MAP_PRIVATE one is copied on write (fork(2)). A child inherits
// the mapping, not the ownership: it must not destroy its copy of this
// object (children leave with _exit, which runs no destructor). Nothing
// here is async-signal-safe (errors build strings).
#ifndef IPC_MEMORY_MAPPING_H_
#define IPC_MEMORY_MAPPING_H_

#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <span>

namespace ipc {

class MemoryMapping {
 public:
  MemoryMapping() = default;

  // mmap(nullptr, length, prot, flags, fd, offset). Checked before the call:
  // `length` positive; `flags` hold exactly one of MAP_SHARED, MAP_PRIVATE
  // and MAP_SHARED_VALIDATE, and not MAP_FIXED or MAP_FIXED_NOREPLACE (this
  // class chooses no address, and MAP_FIXED would silently replace whatever
  // is mapped there); `offset` non-negative and a multiple of the page size
  // (sysconf(_SC_PAGESIZE), mmap(2): EINVAL otherwise); with MAP_ANONYMOUS,
  // `fd` -1 and `offset` 0. size() is `length` (the kernel rounds the
  // mapping up to whole pages; only `length` bytes are promised).
  static MemoryMapping Map(size_t length, int prot, int flags, int fd = -1,
                           off_t offset = 0);
  // MAP_SHARED | MAP_ANONYMOUS: zero-filled memory a forked child shares.
  static MemoryMapping AnonymousShared(size_t length,
                                       int prot = PROT_READ | PROT_WRITE);
  // MAP_PRIVATE | MAP_ANONYMOUS: zero-filled memory of this process alone
  // (a forked child gets a copy-on-write copy).
  static MemoryMapping AnonymousPrivate(size_t length,
                                        int prot = PROT_READ | PROT_WRITE);

  MemoryMapping(MemoryMapping&& other) noexcept;
  MemoryMapping& operator=(MemoryMapping&& other) noexcept;
  MemoryMapping(const MemoryMapping&) = delete;
  MemoryMapping& operator=(const MemoryMapping&) = delete;
  // munmap; a failure is ignored.
  ~MemoryMapping();

  std::byte* data() const { return address_; }
  size_t size() const { return size_; }
  std::span<std::byte> bytes() const { return {address_, size_}; }
  bool mapped() const { return address_ != nullptr; }

  // A T at `offset` bytes into the mapping, for objects placed in shared
  // memory (a counter, a sem_t). Throws std::invalid_argument if it does not
  // fit in size() or is misaligned for T.
  template <typename T>
  T* As(size_t offset = 0) const {
    CheckPlacement(offset, sizeof(T), alignof(T));
    return reinterpret_cast<T*>(address_ + offset);
  }

  // munmap now. On failure throws std::system_error and stays mapped (the
  // destructor tries again).
  void Unmap();
  // Gives up the mapping without unmapping it; returns its address.
  std::byte* Release();

 private:
  MemoryMapping(std::byte* address, size_t size)
      : address_(address), size_(size) {}
  void CheckPlacement(size_t offset, size_t size, size_t alignment) const;

  std::byte* address_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ipc

#endif  // IPC_MEMORY_MAPPING_H_

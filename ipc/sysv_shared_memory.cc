#include "ipc/sysv_shared_memory.h"

#include <asm-generic/hugetlb_encode.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/shm_syscalls.h"

namespace ipc {
namespace {

// What shmat(2) returns on failure.
void* const kShmatFailed = reinterpret_cast<void*>(-1);

constexpr int kAttachFlags = SHM_RDONLY | SHM_RND | SHM_EXEC | SHM_REMAP;
// SHM_HUGETLB carries the huge page size in the bits above SHM_HUGE_SHIFT
// (shmget(2): SHM_HUGE_2MB, SHM_HUGE_1GB); glibc's <sys/shm.h> lacks those
// names, the kernel's encoding header has them.
constexpr int kHugePageSizeBits = HUGETLB_FLAG_ENCODE_MASK
                                  << HUGETLB_FLAG_ENCODE_SHIFT;
constexpr int kCreateFlags = SHM_HUGETLB | SHM_NORESERVE | kHugePageSizeBits;

std::string Call(const char* name, int id) {
  return std::string(name) + "(shmid=" + std::to_string(id) + ")";
}

std::string Address(const void* address) {
  char text[2 + 2 * sizeof(void*) + 1];
  std::snprintf(text, sizeof text, "%p", address);
  return text;
}

void CheckSegment(int id, const char* where) {
  CheckArgument(id >= 0, where, "no segment (moved from)");
}

}  // namespace

// ------------------------------------------------------------ SysvAttachment

SysvAttachment::SysvAttachment(SysvAttachment&& other) noexcept
    : segment_id_(std::exchange(other.segment_id_, -1)),
      address_(std::exchange(other.address_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      read_only_(std::exchange(other.read_only_, false)) {}

SysvAttachment& SysvAttachment::operator=(SysvAttachment&& other) noexcept {
  if (this != &other) {
    if (address_ != nullptr) ShmSyscalls::Current().Shmdt(address_);
    segment_id_ = std::exchange(other.segment_id_, -1);
    address_ = std::exchange(other.address_, nullptr);
    size_ = std::exchange(other.size_, 0);
    read_only_ = std::exchange(other.read_only_, false);
  }
  return *this;
}

SysvAttachment::~SysvAttachment() {
  if (address_ != nullptr) ShmSyscalls::Current().Shmdt(address_);
}

void SysvAttachment::Detach() {
  CheckArgument(address_ != nullptr, "SysvAttachment::Detach",
                "nothing is attached");
  if (ShmSyscalls::Current().Shmdt(address_) != 0) {
    const int err = errno;
    ThrowSystemError(err, "shmdt(" + Address(address_) + ") of " +
                              Call("segment", segment_id_));
  }
  address_ = nullptr;
  size_ = 0;
}

std::byte* SysvAttachment::Release() {
  size_ = 0;
  return std::exchange(address_, nullptr);
}

void SysvAttachment::CheckPlacement(size_t offset, size_t size,
                                    size_t alignment) const {
  CheckArgument(address_ != nullptr, "SysvAttachment::As",
                "nothing is attached");
  CheckArgument(offset <= size_ && size <= size_ - offset, "SysvAttachment::As",
                "object does not fit in the segment");
  CheckArgument(
      reinterpret_cast<std::uintptr_t>(address_ + offset) % alignment == 0,
      "SysvAttachment::As", "offset is misaligned for the type");
}

// ---------------------------------------------------------- SysvSharedMemory

SysvSharedMemory SysvSharedMemory::Create(size_t size, key_t key, int mode,
                                          int flags) {
  CheckArgument(size > 0, "SysvSharedMemory::Create",
                "size must be positive (SHMMIN is 1)");
  CheckArgument((mode & ~0777) == 0, "SysvSharedMemory::Create",
                "mode may only hold permission bits (0777)");
  CheckArgument((flags & ~kCreateFlags) == 0, "SysvSharedMemory::Create",
                "flags may only add SHM_HUGETLB (with its size bits) and "
                "SHM_NORESERVE");
  const int id = ShmSyscalls::Current().Shmget(
      key, size, IPC_CREAT | IPC_EXCL | mode | flags);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(err, "shmget(key=" + std::to_string(key) + ", size=" +
                              std::to_string(size) + ", IPC_CREAT|IPC_EXCL)");
  }
  return SysvSharedMemory(id, /*owned=*/true);
}

SysvSharedMemory SysvSharedMemory::OpenExisting(key_t key, int access_mode) {
  CheckArgument(key != IPC_PRIVATE, "SysvSharedMemory::OpenExisting",
                "IPC_PRIVATE names no existing segment");
  CheckArgument((access_mode & ~0777) == 0, "SysvSharedMemory::OpenExisting",
                "access_mode may only hold permission bits (0777)");
  const int id = ShmSyscalls::Current().Shmget(key, 0, access_mode);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(err, "shmget(key=" + std::to_string(key) + ")");
  }
  return SysvSharedMemory(id, /*owned=*/false);
}

SysvSharedMemory SysvSharedMemory::FromId(int id) {
  CheckArgument(id >= 0, "SysvSharedMemory::FromId", "id is negative");
  return SysvSharedMemory(id, /*owned=*/false);
}

SysvSharedMemory::SysvSharedMemory(SysvSharedMemory&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      owned_(std::exchange(other.owned_, false)) {}

SysvSharedMemory& SysvSharedMemory::operator=(
    SysvSharedMemory&& other) noexcept {
  if (this != &other) {
    if (owned_) ShmSyscalls::Current().Shmctl(id_, IPC_RMID, nullptr);
    id_ = std::exchange(other.id_, -1);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

SysvSharedMemory::~SysvSharedMemory() {
  if (owned_) ShmSyscalls::Current().Shmctl(id_, IPC_RMID, nullptr);
}

SysvAttachment SysvSharedMemory::Attach(int flags, const void* address) const {
  CheckSegment(id_, "SysvSharedMemory::Attach");
  CheckArgument((flags & ~kAttachFlags) == 0, "SysvSharedMemory::Attach",
                "flags may only combine SHM_RDONLY, SHM_RND, SHM_EXEC and "
                "SHM_REMAP");
  CheckArgument(!(flags & SHM_REMAP) || address != nullptr,
                "SysvSharedMemory::Attach", "SHM_REMAP needs an address");
  void* const attached = ShmSyscalls::Current().Shmat(id_, address, flags);
  if (attached == kShmatFailed) {
    const int err = errno;
    ThrowSystemError(err, Call("shmat", id_));
  }
  // Owned from here on: if IPC_STAT fails, the attachment's destructor
  // detaches as the exception leaves.
  SysvAttachment attachment(id_, static_cast<std::byte*>(attached), 0,
                            (flags & SHM_RDONLY) != 0);
  attachment.size_ = Stat().shm_segsz;
  return attachment;
}

shmid_ds SysvSharedMemory::Stat() const {
  CheckSegment(id_, "SysvSharedMemory::Stat");
  shmid_ds ds{};
  if (ShmSyscalls::Current().Shmctl(id_, IPC_STAT, &ds) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("shmctl(IPC_STAT)", id_));
  }
  return ds;
}

void SysvSharedMemory::Set(const shmid_ds& settings) {
  CheckSegment(id_, "SysvSharedMemory::Set");
  // IPC_SET reads only these fields; a zeroed rest keeps the kernel from
  // seeing whatever else the caller's struct held.
  shmid_ds ds{};
  ds.shm_perm.uid = settings.shm_perm.uid;
  ds.shm_perm.gid = settings.shm_perm.gid;
  ds.shm_perm.mode = settings.shm_perm.mode & 0777;
  if (ShmSyscalls::Current().Shmctl(id_, IPC_SET, &ds) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("shmctl(IPC_SET)", id_));
  }
}

void SysvSharedMemory::SetPermissions(int mode) {
  CheckArgument((mode & ~0777) == 0, "SysvSharedMemory::SetPermissions",
                "mode may only hold permission bits (0777)");
  shmid_ds ds = Stat();
  ds.shm_perm.mode = mode;
  Set(ds);
}

void SysvSharedMemory::Remove() {
  CheckSegment(id_, "SysvSharedMemory::Remove");
  if (ShmSyscalls::Current().Shmctl(id_, IPC_RMID, nullptr) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("shmctl(IPC_RMID)", id_));
  }
  owned_ = false;
}

int SysvSharedMemory::Release() {
  owned_ = false;
  return id_;
}

}  // namespace ipc

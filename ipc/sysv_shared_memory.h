// A System V shared-memory segment (shmget(2), shmctl(2)) and one attachment
// of it into this process (shmat(2), shmdt(2)).
//
// A segment created here is owned: the destructor removes it with IPC_RMID,
// because a segment otherwise outlives every process (kernel persistence,
// sysvipc(7)) and would be left on the host after a failed test. IPC_RMID
// on a segment that is still attached only marks it (SHM_DEST in
// shm_perm.mode, shmctl(2)); the memory goes when the last attachment is
// detached, so attachments may outlive the SysvSharedMemory object.
//
// FORK. A forked child inherits every attachment (fork(2)) and a copy of
// these objects. The child must not destroy its copies (it would remove the
// parent's segment and detach what the parent still uses): children in this
// project do raw, async-signal-safe work and leave with _exit, which runs no
// destructor. None of these classes is async-signal-safe (errors build
// strings).
#ifndef IPC_SYSV_SHARED_MEMORY_H_
#define IPC_SYSV_SHARED_MEMORY_H_

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#include <cstddef>
#include <span>

namespace ipc {

// One shmat(2) of a segment: owns the address and detaches it (shmdt) on
// destruction. Move-only; a moved-from attachment holds nothing.
class SysvAttachment {
 public:
  SysvAttachment() = default;
  SysvAttachment(SysvAttachment&& other) noexcept;
  SysvAttachment& operator=(SysvAttachment&& other) noexcept;
  SysvAttachment(const SysvAttachment&) = delete;
  SysvAttachment& operator=(const SysvAttachment&) = delete;
  // shmdt; a failure is ignored (nothing useful can be done in a destructor).
  ~SysvAttachment();

  // The segment's id, the attached address (nullptr when none), and the
  // segment's size as IPC_STAT reported shm_segsz at attach time (the bytes
  // a caller may use; the mapping itself is rounded up to whole pages).
  int segment_id() const { return segment_id_; }
  std::byte* data() const { return address_; }
  size_t size() const { return size_; }
  std::span<std::byte> bytes() const { return {address_, size_}; }
  bool attached() const { return address_ != nullptr; }
  // Whether shmat had SHM_RDONLY: a write through data() raises SIGSEGV.
  bool read_only() const { return read_only_; }

  // A T at `offset` bytes into the segment, for objects placed in shared
  // memory (a counter, a sem_t). Throws std::invalid_argument if it does not
  // fit in size() or is misaligned for T.
  template <typename T>
  T* As(size_t offset = 0) const {
    CheckPlacement(offset, sizeof(T), alignof(T));
    return reinterpret_cast<T*>(address_ + offset);
  }

  // shmdt now. On failure throws std::system_error and stays attached (the
  // destructor tries again).
  void Detach();
  // Gives up the address without detaching; returns it (nullptr if none).
  std::byte* Release();

 private:
  friend class SysvSharedMemory;
  SysvAttachment(int segment_id, std::byte* address, size_t size,
                 bool read_only)
      : segment_id_(segment_id),
        address_(address),
        size_(size),
        read_only_(read_only) {}
  void CheckPlacement(size_t offset, size_t size, size_t alignment) const;

  int segment_id_ = -1;
  std::byte* address_ = nullptr;
  size_t size_ = 0;
  bool read_only_ = false;
};

class SysvSharedMemory {
 public:
  // shmget(key, size, IPC_CREAT | IPC_EXCL | mode | flags): a new segment,
  // owned. IPC_PRIVATE (the default) always makes a new one. `size` must be
  // positive (the kernel's SHMMIN is 1; its upper bound, kernel.shmmax, is a
  // sysctl the kernel checks itself). `mode` is the permission bits only
  // (0600, 0666, ...); `flags` may add SHM_HUGETLB (with its size bits,
  // SHM_HUGE_2MB ...) and SHM_NORESERVE. The new segment is zero-filled
  // (shmget(2)).
  static SysvSharedMemory Create(size_t size, key_t key = IPC_PRIVATE,
                                 int mode = 0600, int flags = 0);

  // An existing segment by key (shmget(key, 0, access_mode), no IPC_CREAT)
  // or by id; never removed by this object. `access_mode` is the access
  // shmget checks against the segment's permissions (0400 read, 0200 write,
  // 0 none: shmget(2) fails EACCES when the caller lacks it).
  static SysvSharedMemory OpenExisting(key_t key, int access_mode = 0);
  static SysvSharedMemory FromId(int id);

  SysvSharedMemory(SysvSharedMemory&& other) noexcept;
  SysvSharedMemory& operator=(SysvSharedMemory&& other) noexcept;
  SysvSharedMemory(const SysvSharedMemory&) = delete;
  SysvSharedMemory& operator=(const SysvSharedMemory&) = delete;
  // IPC_RMID if owned; a failure is ignored.
  ~SysvSharedMemory();

  int id() const { return id_; }
  bool owned() const { return owned_; }

  // shmat(id, address, flags). `flags` may combine SHM_RDONLY, SHM_RND,
  // SHM_EXEC and SHM_REMAP (the last needs a non-null `address`). Then
  // IPC_STAT for shm_segsz; if that fails the segment is detached again
  // before the error is thrown. Linux lets a segment already marked for
  // removal (SHM_DEST) be attached by id (shmctl(2), NOTES).
  SysvAttachment Attach(int flags = 0, const void* address = nullptr) const;

  // shmctl(IPC_STAT): size, attach count (shm_nattch), creator and last
  // attacher pids, times, and shm_perm (mode holds SHM_DEST once removed,
  // SHM_LOCKED once locked).
  shmid_ds Stat() const;
  // shmctl(IPC_SET) of shm_perm.uid, shm_perm.gid and the permission bits
  // of shm_perm.mode from `settings` (the fields IPC_SET reads, shmctl(2)).
  void Set(const shmid_ds& settings);
  // IPC_STAT, then IPC_SET with the permission bits replaced by `mode`.
  void SetPermissions(int mode);
  // shmctl(IPC_RMID) now: the segment goes once nothing is attached (until
  // then it is marked SHM_DEST and its key becomes IPC_PRIVATE). On failure
  // throws std::system_error and stays owned. Allowed on a segment this
  // object does not own (removal is the caller's decision); either way the
  // object owns nothing afterwards.
  void Remove();
  // Gives up ownership without removing the segment; returns the id.
  int Release();

 private:
  SysvSharedMemory(int id, bool owned) : id_(id), owned_(owned) {}

  int id_ = -1;
  bool owned_ = false;
};

}  // namespace ipc

#endif  // IPC_SYSV_SHARED_MEMORY_H_

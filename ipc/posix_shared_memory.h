// Shared memory reached through a file descriptor: a POSIX shared-memory
// object named in /dev/shm (shm_open(3), shm_overview(7)) and an anonymous
// memfd (memfd_create(2)). Either is sized with ftruncate and then mapped
// with MAP_SHARED (ipc/memory_mapping.h); the descriptor can be inherited
// across fork or passed with SCM_RIGHTS.
//
// An object created here owns its name: the destructor closes the
// descriptor and shm_unlink()s the name, because a POSIX object outlives
// every descriptor and mapping until it is unlinked (kernel persistence) and
// no IPC namespace hides /dev/shm: a name left behind stays on the host.
// A memfd has no name to own; its memory goes with the last descriptor and
// mapping.
//
// FORK. A forked child must not destroy its copies of these objects (it
// would unlink the parent's name): children leave with _exit. Nothing here
// is async-signal-safe (names and errors are strings).
#ifndef IPC_POSIX_SHARED_MEMORY_H_
#define IPC_POSIX_SHARED_MEMORY_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "ipc/unique_fd.h"

namespace ipc {

class PosixSharedMemory {
 public:
  // shm_open(name, O_CREAT | O_EXCL | O_RDWR, mode), then ftruncate(size):
  // a new object of `size` zero bytes whose name this object owns. If
  // ftruncate fails, the descriptor is closed and the name unlinked before
  // the error is thrown. `mode` is the permission bits only (0777).
  static PosixSharedMemory Create(std::string name, size_t size,
                                  mode_t mode = 0600);

  // shm_open(name, flags) of an existing object; never unlinks it. `flags`:
  // O_RDONLY or O_RDWR (shm_open(3) names no other access mode), optionally
  // with O_TRUNC (which needs O_RDWR).
  static PosixSharedMemory Open(std::string name, int flags = O_RDWR);

  // shm_unlink(name), for a name nobody owns (e.g. after a crash).
  static void Unlink(const std::string& name);

  // Checks a name as shm_overview(7) defines it: "/" then one or more
  // characters, none of them '/', NAME_MAX (255) characters in all, no NUL.
  // Throws std::invalid_argument otherwise. Create, Open and Unlink check
  // before any call.
  static void CheckName(std::string_view name);

  PosixSharedMemory(PosixSharedMemory&& other) noexcept;
  PosixSharedMemory& operator=(PosixSharedMemory&& other) noexcept;
  PosixSharedMemory(const PosixSharedMemory&) = delete;
  PosixSharedMemory& operator=(const PosixSharedMemory&) = delete;
  // Closes the descriptor, then shm_unlink if the name is owned; failures
  // are ignored.
  ~PosixSharedMemory();

  const std::string& name() const { return name_; }
  // The descriptor (FD_CLOEXEC is set, shm_open(3)); -1 once moved from.
  int fd() const { return fd_.get(); }
  bool owns_name() const { return owns_name_; }

  // ftruncate(fd, size): grows with zero bytes or shrinks the object (a
  // mapping's pages past the new end then raise SIGBUS, mmap(2)).
  void Resize(size_t size);

  // shm_unlink the owned name now: the descriptor and mappings keep
  // working, a new shm_open of the name fails ENOENT. On failure throws
  // std::system_error and keeps ownership (the destructor tries again).
  void UnlinkName();
  // Gives up the name without unlinking it (the descriptor stays owned).
  void ReleaseName() { owns_name_ = false; }

 private:
  PosixSharedMemory(std::string name, UniqueFd fd, bool owns_name);
  void Dispose() noexcept;

  std::string name_;
  UniqueFd fd_;
  bool owns_name_ = false;
};

// An anonymous file of shared memory (memfd_create(2)): owns the descriptor
// and closes it on destruction. Move-only.
class Memfd {
 public:
  // The longest name memfd_create(2) accepts: "The limit is 249 bytes,
  // excluding the terminating null byte" (it is shown as "memfd:<name>" in
  // /proc/PID/fd and /proc/PID/maps).
  static constexpr size_t kMaxNameLength = 249;

  // memfd_create(name, flags). `name` (for /proc only; names need not be
  // unique) must be at most kMaxNameLength bytes and hold no NUL: checked
  // before the call. `flags` (MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB
  // and its size bits, MFD_NOEXEC_SEAL, MFD_EXEC) go to the kernel as they
  // are: which ones it knows depends on its version. A new memfd has size
  // 0: Resize before mapping it.
  static Memfd Create(std::string_view name, unsigned flags = MFD_CLOEXEC);

  Memfd(Memfd&&) noexcept = default;
  Memfd& operator=(Memfd&&) noexcept = default;
  Memfd(const Memfd&) = delete;
  Memfd& operator=(const Memfd&) = delete;
  ~Memfd() = default;

  int fd() const { return fd_.get(); }

  // ftruncate(fd, size).
  void Resize(size_t size);
  // fcntl(F_ADD_SEALS, seals) (F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW,
  // F_SEAL_WRITE, F_SEAL_FUTURE_WRITE): needs MFD_ALLOW_SEALING at creation,
  // else EPERM.
  void AddSeals(int seals);
  // fcntl(F_GET_SEALS).
  int Seals() const;

 private:
  explicit Memfd(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
};

}  // namespace ipc

#endif  // IPC_POSIX_SHARED_MEMORY_H_

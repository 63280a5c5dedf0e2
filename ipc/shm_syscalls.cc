#include "ipc/shm_syscalls.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace ipc {
namespace {

class KernelShmSyscalls final : public ShmSyscalls {
 public:
  int Shmget(key_t key, size_t size, int flags) override {
    return ::shmget(key, size, flags);
  }
  void* Shmat(int id, const void* address, int flags) override {
    return ::shmat(id, address, flags);
  }
  int Shmdt(const void* address) override { return ::shmdt(address); }
  int Shmctl(int id, int cmd, shmid_ds* buf) override {
    return ::shmctl(id, cmd, buf);
  }
  int ShmOpen(const char* name, int flags, mode_t mode) override {
    return ::shm_open(name, flags, mode);
  }
  int ShmUnlink(const char* name) override { return ::shm_unlink(name); }
  int MemfdCreate(const char* name, unsigned flags) override {
    return ::memfd_create(name, flags);
  }
  int Ftruncate(int fd, off_t length) override {
    return ::ftruncate(fd, length);
  }
  void* Mmap(void* address, size_t length, int prot, int flags, int fd,
             off_t offset) override {
    return ::mmap(address, length, prot, flags, fd, offset);
  }
  int Munmap(void* address, size_t length) override {
    return ::munmap(address, length);
  }
};

constinit KernelShmSyscalls kernel;

}  // namespace

template <>
ShmSyscalls& Seam<ShmSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit ShmSyscalls* Seam<ShmSyscalls>::current_ = &kernel;

}  // namespace ipc

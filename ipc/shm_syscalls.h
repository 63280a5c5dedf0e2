// The seam of the shared-memory calls (rule: ipc/syscalls.h): System V
// segments, POSIX shm_open names, memfd and the mappings made of them.
// Closing a descriptor and fcntl (memfd seals) go through FdSyscalls, which
// already has them.
#ifndef IPC_SHM_SYSCALLS_H_
#define IPC_SHM_SYSCALLS_H_

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class ShmSyscalls : public Seam<ShmSyscalls> {
 public:
  virtual ~ShmSyscalls() = default;

  virtual int Shmget(key_t key, size_t size, int flags) = 0;
  // (void*)-1 with errno set on failure, as shmat(2) returns.
  virtual void* Shmat(int id, const void* address, int flags) = 0;
  virtual int Shmdt(const void* address) = 0;
  virtual int Shmctl(int id, int cmd, shmid_ds* buf) = 0;
  virtual int ShmOpen(const char* name, int flags, mode_t mode) = 0;
  virtual int ShmUnlink(const char* name) = 0;
  virtual int MemfdCreate(const char* name, unsigned flags) = 0;
  virtual int Ftruncate(int fd, off_t length) = 0;
  // MAP_FAILED with errno set on failure, as mmap(2) returns.
  virtual void* Mmap(void* address, size_t length, int prot, int flags, int fd,
                     off_t offset) = 0;
  virtual int Munmap(void* address, size_t length) = 0;
};

template <>
ShmSyscalls& Seam<ShmSyscalls>::Kernel();
template <>
ShmSyscalls* Seam<ShmSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_SHM_SYSCALLS_H_

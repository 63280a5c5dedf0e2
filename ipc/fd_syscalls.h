// The seam of the calls on descriptors and paths that pipes, FIFOs and any
// later file-like mechanism share (rule: ipc/syscalls.h).
#ifndef IPC_FD_SYSCALLS_H_
#define IPC_FD_SYSCALLS_H_

#include <sys/types.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class FdSyscalls : public Seam<FdSyscalls> {
 public:
  virtual ~FdSyscalls() = default;

  virtual ssize_t Read(int fd, void* buf, size_t count) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t count) = 0;
  virtual int Close(int fd) = 0;
  virtual int Pipe2(int fds[2], int flags) = 0;
  virtual int Fcntl(int fd, int cmd, int arg) = 0;
  // ioctl(2) whose third argument is a pointer (FIONREAD's int*).
  virtual int Ioctl(int fd, unsigned long request, void* arg) = 0;
  virtual int Open(const char* path, int flags, mode_t mode) = 0;
  virtual int Mkfifo(const char* path, mode_t mode) = 0;
  virtual int Unlink(const char* path) = 0;
};

template <>
FdSyscalls& Seam<FdSyscalls>::Kernel();
template <>
FdSyscalls* Seam<FdSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_FD_SYSCALLS_H_

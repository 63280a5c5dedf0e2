#include "ipc/fd_syscalls.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipc {
namespace {

class KernelFdSyscalls final : public FdSyscalls {
 public:
  ssize_t Read(int fd, void* buf, size_t count) override {
    return ::read(fd, buf, count);
  }
  ssize_t Write(int fd, const void* buf, size_t count) override {
    return ::write(fd, buf, count);
  }
  int Close(int fd) override { return ::close(fd); }
  int Pipe2(int fds[2], int flags) override { return ::pipe2(fds, flags); }
  int Fcntl(int fd, int cmd, int arg) override { return ::fcntl(fd, cmd, arg); }
  int Ioctl(int fd, unsigned long request, void* arg) override {
    return ::ioctl(fd, request, arg);
  }
  int Open(const char* path, int flags, mode_t mode) override {
    return ::open(path, flags, mode);
  }
  int Mkfifo(const char* path, mode_t mode) override {
    return ::mkfifo(path, mode);
  }
  int Unlink(const char* path) override { return ::unlink(path); }
};

constinit KernelFdSyscalls kernel;

}  // namespace

template <>
FdSyscalls& Seam<FdSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit FdSyscalls* Seam<FdSyscalls>::current_ = &kernel;

}  // namespace ipc

// The seam between the wrappers and the kernel.
//
// Only the calls whose results the wrappers interpret (short counts, EINTR,
// EAGAIN, close errors) go through it, so fault-injection tests can make
// write() return EINTR or a short count and check what WriteAll does with it.
// Every method follows the libc convention: -1 with errno set on failure.
//
// Cost: one indirect call in front of a system call, which is noise against
// the hundreds of nanoseconds the kernel entry itself takes.
#ifndef IPC_SYSCALLS_H_
#define IPC_SYSCALLS_H_

#include <sys/types.h>

#include <cstddef>

namespace ipc {

class Syscalls {
 public:
  virtual ~Syscalls() = default;

  virtual ssize_t Read(int fd, void* buf, size_t count) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t count) = 0;
  virtual int Close(int fd) = 0;
  virtual int Pipe2(int fds[2], int flags) = 0;
  virtual int Fcntl(int fd, int cmd, int arg) = 0;
  virtual int Open(const char* path, int flags, mode_t mode) = 0;
  virtual int Mkfifo(const char* path, mode_t mode) = 0;
  virtual int Unlink(const char* path) = 0;
};

// The real kernel.
Syscalls& KernelSyscalls();

// What the wrappers call: the kernel unless a test installed a replacement.
Syscalls& CurrentSyscalls();

// Installs `replacement` for the lifetime of this object (tests only; not
// thread-safe against wrappers running concurrently on other threads).
class ScopedSyscallsOverride {
 public:
  explicit ScopedSyscallsOverride(Syscalls& replacement);
  ~ScopedSyscallsOverride();
  ScopedSyscallsOverride(const ScopedSyscallsOverride&) = delete;
  ScopedSyscallsOverride& operator=(const ScopedSyscallsOverride&) = delete;

 private:
  Syscalls* previous_;
};

}  // namespace ipc

#endif  // IPC_SYSCALLS_H_

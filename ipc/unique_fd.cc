#include "ipc/unique_fd.h"

#include "ipc/fd_syscalls.h"

namespace ipc {

void UniqueFd::Reset(int fd) {
  const int old = std::exchange(fd_, fd);
  if (old >= 0) FdSyscalls::Current().Close(old);
}

}  // namespace ipc

#include "ipc/unique_fd.h"

#include "ipc/syscalls.h"

namespace ipc {

void UniqueFd::Reset(int fd) {
  const int old = std::exchange(fd_, fd);
  if (old >= 0) CurrentSyscalls().Close(old);
}

}  // namespace ipc

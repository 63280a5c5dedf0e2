// The seam of the zero-copy calls (rule: ipc/syscalls.h): sendfile(2),
// splice(2), tee(2) and vmsplice(2), with libc's signatures and convention
// (-1 with errno set).
#ifndef IPC_ZERO_COPY_SYSCALLS_H_
#define IPC_ZERO_COPY_SYSCALLS_H_

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class ZeroCopySyscalls : public Seam<ZeroCopySyscalls> {
 public:
  virtual ~ZeroCopySyscalls() = default;

  // `offset` may be null (then in_fd's file position is used and advanced).
  virtual ssize_t Sendfile(int out_fd, int in_fd, off_t* offset,
                           size_t count) = 0;
  virtual ssize_t Splice(int in_fd, loff_t* in_offset, int out_fd,
                         loff_t* out_offset, size_t length, unsigned flags) = 0;
  virtual ssize_t Tee(int in_fd, int out_fd, size_t length, unsigned flags) = 0;
  virtual ssize_t Vmsplice(int fd, const iovec* iov, size_t count,
                           unsigned flags) = 0;
};

template <>
ZeroCopySyscalls& Seam<ZeroCopySyscalls>::Kernel();
template <>
ZeroCopySyscalls* Seam<ZeroCopySyscalls>::current_;

}  // namespace ipc

#endif  // IPC_ZERO_COPY_SYSCALLS_H_

#include "ipc/zero_copy_syscalls.h"

#include <fcntl.h>
#include <sys/sendfile.h>

namespace ipc {
namespace {

class KernelZeroCopySyscalls final : public ZeroCopySyscalls {
 public:
  ssize_t Sendfile(int out_fd, int in_fd, off_t* offset,
                   size_t count) override {
    return ::sendfile(out_fd, in_fd, offset, count);
  }
  ssize_t Splice(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
                 size_t length, unsigned flags) override {
    return ::splice(in_fd, in_offset, out_fd, out_offset, length, flags);
  }
  ssize_t Tee(int in_fd, int out_fd, size_t length, unsigned flags) override {
    return ::tee(in_fd, out_fd, length, flags);
  }
  ssize_t Vmsplice(int fd, const iovec* iov, size_t count,
                   unsigned flags) override {
    return ::vmsplice(fd, iov, count, flags);
  }
};

constinit KernelZeroCopySyscalls kernel;

}  // namespace

template <>
ZeroCopySyscalls& Seam<ZeroCopySyscalls>::Kernel() {
  return kernel;
}
template <>
constinit ZeroCopySyscalls* Seam<ZeroCopySyscalls>::current_ = &kernel;

}  // namespace ipc

#include "ipc/zero_copy.h"

#include <errno.h>
#include <limits.h>

#include <cstdint>
#include <string>

#include "ipc/error.h"
#include "ipc/zero_copy_syscalls.h"

namespace ipc {
namespace {

constexpr unsigned kSpliceFlags =
    SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

// The message strings are literals: the Try forms promise no allocation
// with valid arguments, and CheckArgument builds nothing unless it throws.
void CheckLength(size_t length, const char* where) {
  CheckArgument(length <= static_cast<size_t>(SSIZE_MAX), where,
                "length above SSIZE_MAX (a negative count converted)");
}

void CheckFlags(unsigned flags, const char* where) {
  CheckArgument((flags & ~kSpliceFlags) == 0, where,
                "flags may hold only SPLICE_F_MOVE, SPLICE_F_NONBLOCK, "
                "SPLICE_F_MORE and SPLICE_F_GIFT");
}

std::string Fds(const char* call, int a, int b, size_t length) {
  return std::string(call) + "(" + std::to_string(a) + " -> " +
         std::to_string(b) + ", " + std::to_string(length) + " bytes)";
}

[[noreturn]] void ThrowLoop(int err, const char* call, int a, int b,
                            size_t length, size_t moved) {
  ThrowSystemError(err, Fds(call, a, b, length) + " after " +
                            std::to_string(moved) + " bytes moved");
}

}  // namespace

ssize_t TrySendFile(int out_fd, int in_fd, off_t* offset, size_t count) {
  CheckLength(count, "TrySendFile");
  return ZeroCopySyscalls::Current().Sendfile(out_fd, in_fd, offset, count);
}

size_t SendFile(int out_fd, int in_fd, off_t* offset, size_t count) {
  CheckLength(count, "SendFile");
  const ssize_t n =
      ZeroCopySyscalls::Current().Sendfile(out_fd, in_fd, offset, count);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Fds("sendfile", in_fd, out_fd, count) +
                              (offset ? " at offset " + std::to_string(*offset)
                                      : std::string(" at the file position")));
  }
  return static_cast<size_t>(n);
}

size_t SendFileAll(int out_fd, int in_fd, off_t* offset, size_t count) {
  CheckLength(count, "SendFileAll");
  size_t moved = 0;
  // Each successful iteration moves >= 1 byte or ends the loop (0 = end of
  // the input file), so it runs at most `count` times plus interruptions.
  while (moved < count) {
    const ssize_t n = ZeroCopySyscalls::Current().Sendfile(
        out_fd, in_fd, offset, count - moved);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      ThrowLoop(err, "sendfile", in_fd, out_fd, count, moved);
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > count - moved) {
      ThrowLoop(EIO, "sendfile returned more than asked:", in_fd, out_fd, count,
                moved);
    }
    moved += static_cast<size_t>(n);
  }
  return moved;
}

ssize_t TrySplice(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
                  size_t length, unsigned flags) {
  CheckLength(length, "TrySplice");
  CheckFlags(flags, "TrySplice");
  return ZeroCopySyscalls::Current().Splice(in_fd, in_offset, out_fd,
                                            out_offset, length, flags);
}

size_t Splice(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
              size_t length, unsigned flags) {
  CheckLength(length, "Splice");
  CheckFlags(flags, "Splice");
  const ssize_t n = ZeroCopySyscalls::Current().Splice(
      in_fd, in_offset, out_fd, out_offset, length, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Fds("splice", in_fd, out_fd, length));
  }
  return static_cast<size_t>(n);
}

size_t SpliceAll(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
                 size_t length, unsigned flags) {
  CheckLength(length, "SpliceAll");
  CheckFlags(flags, "SpliceAll");
  size_t moved = 0;
  while (moved < length) {
    const ssize_t n = ZeroCopySyscalls::Current().Splice(
        in_fd, in_offset, out_fd, out_offset, length - moved, flags);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      ThrowLoop(err, "splice", in_fd, out_fd, length, moved);
    }
    // 0: end of input (splice(2): "no data to transfer, and it would not
    // make sense to block, because there are no writers").
    if (n == 0) break;
    if (static_cast<size_t>(n) > length - moved) {
      ThrowLoop(EIO, "splice returned more than asked:", in_fd, out_fd, length,
                moved);
    }
    moved += static_cast<size_t>(n);
  }
  return moved;
}

ssize_t TryTee(int in_fd, int out_fd, size_t length, unsigned flags) {
  CheckLength(length, "TryTee");
  CheckFlags(flags, "TryTee");
  return ZeroCopySyscalls::Current().Tee(in_fd, out_fd, length, flags);
}

size_t Tee(int in_fd, int out_fd, size_t length, unsigned flags) {
  CheckLength(length, "Tee");
  CheckFlags(flags, "Tee");
  const ssize_t n =
      ZeroCopySyscalls::Current().Tee(in_fd, out_fd, length, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Fds("tee", in_fd, out_fd, length));
  }
  return static_cast<size_t>(n);
}

namespace {
void CheckIov(std::span<const iovec> iov, const char* where) {
  CheckArgument(!iov.empty(), where, "no iovec given");
  CheckArgument(iov.size() <= IOV_MAX, where, "more than IOV_MAX iovecs");
}
}  // namespace

ssize_t TryVmSplice(int fd, std::span<const iovec> iov, unsigned flags) {
  CheckIov(iov, "TryVmSplice");
  CheckFlags(flags, "TryVmSplice");
  return ZeroCopySyscalls::Current().Vmsplice(fd, iov.data(), iov.size(),
                                              flags);
}

size_t VmSplice(int fd, std::span<const iovec> iov, unsigned flags) {
  CheckIov(iov, "VmSplice");
  CheckFlags(flags, "VmSplice");
  const ssize_t n =
      ZeroCopySyscalls::Current().Vmsplice(fd, iov.data(), iov.size(), flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, "vmsplice(fd=" + std::to_string(fd) + ", " +
                              std::to_string(iov.size()) + " iovecs)");
  }
  return static_cast<size_t>(n);
}

}  // namespace ipc

// The zero-copy calls: sendfile(2) (with and without an offset pointer),
// splice(2), tee(2) and vmsplice(2), and loops that repeat short transfers.
// For "a file mapping to write from" use ipc::MemoryMapping
// (ipc/memory_mapping.h) and write(2) or vmsplice from its bytes().
//
// THREE FORMS of each call:
//   - the throwing form (SendFile, Splice, Tee, VmSplice) makes ONE call and
//     returns its count (0: end of input, or nothing to move); any failure
//     throws std::system_error naming the call, its descriptors and its
//     length: EAGAIN (SPLICE_F_NONBLOCK or a non-blocking descriptor with
//     nothing to move) and EINTR included. Nothing is retried: a test sees
//     exactly what the kernel answered.
//   - the Try form (TrySendFile, TrySplice, TryTee, TryVmSplice) makes the
//     same call and returns what the kernel returned, -1 with errno set on
//     failure, for the kit's matchers:
//       EXPECT_THAT(ipc::TrySplice(a, nullptr, b, nullptr, n,
//                                  SPLICE_F_NONBLOCK),
//                   SyscallFailsWithErrno(EAGAIN));
//     It allocates nothing and throws nothing once its arguments are valid:
//     a forked child may call it.
//   - the loop helpers (SendFileAll, SpliceAll) repeat the call over short
//     transfers until `count` bytes moved or the call returns 0 (end of
//     input), retrying EINTR; they return the bytes moved and throw
//     std::system_error (saying how many bytes had moved) on any other error.
//     Each iteration asks only for what is left, so the loop ends after at
//     most `count` successful calls.
//
// ARGUMENTS are checked before any call (std::invalid_argument): a length
// above SSIZE_MAX (what a negative count converts to), flags outside
// SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT, an empty
// iovec span or one longer than IOV_MAX. Descriptors are not checked: EBADF
// and EINVAL for a pair the kernel cannot join (splice with neither end a
// pipe, tee between a pipe and itself) are the kernel's answers to see.
#ifndef IPC_ZERO_COPY_H_
#define IPC_ZERO_COPY_H_

#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <span>

namespace ipc {

// sendfile(out_fd, in_fd, offset, count). With `offset` the kernel reads
// from *offset, stores the offset after the last byte read back into it, and
// leaves in_fd's file position alone; with nullptr it reads from and
// advances the file position (sendfile(2)).
size_t SendFile(int out_fd, int in_fd, off_t* offset, size_t count);
ssize_t TrySendFile(int out_fd, int in_fd, off_t* offset, size_t count);
size_t SendFileAll(int out_fd, int in_fd, off_t* offset, size_t count);

// splice(in_fd, in_offset, out_fd, out_offset, length, flags): one end must
// be a pipe, and a pipe end's offset must be null (splice(2): ESPIPE).
size_t Splice(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
              size_t length, unsigned flags = 0);
ssize_t TrySplice(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
                  size_t length, unsigned flags = 0);
size_t SpliceAll(int in_fd, loff_t* in_offset, int out_fd, loff_t* out_offset,
                 size_t length, unsigned flags = 0);

// tee(in_fd, out_fd, length, flags): duplicates up to `length` bytes from
// one pipe into another without consuming them (tee(2)).
size_t Tee(int in_fd, int out_fd, size_t length, unsigned flags = 0);
ssize_t TryTee(int in_fd, int out_fd, size_t length, unsigned flags = 0);

// vmsplice(fd, iov.data(), iov.size(), flags): user memory into a pipe (or,
// from a pipe's read end, out of it). The count may be short of the iovecs'
// total (a pipe with less room).
size_t VmSplice(int fd, std::span<const iovec> iov, unsigned flags = 0);
ssize_t TryVmSplice(int fd, std::span<const iovec> iov, unsigned flags = 0);

}  // namespace ipc

#endif  // IPC_ZERO_COPY_H_

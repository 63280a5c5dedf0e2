#include "ipc/pipe.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <climits>
#include <string>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"
#include "ipc/io.h"

namespace ipc {

Pipe Pipe::Create(int flags) {
  constexpr int kAllowed = O_CLOEXEC | O_NONBLOCK | O_DIRECT;
  CheckArgument((flags & ~kAllowed) == 0, "Pipe::Create",
                "flags may only combine O_CLOEXEC, O_NONBLOCK and O_DIRECT");
  int fds[2];
  if (FdSyscalls::Current().Pipe2(fds, flags) != 0) ThrowErrno("pipe2");
  return Pipe(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Pipe::Pipe(UniqueFd read_end, UniqueFd write_end)
    : read_end_(std::move(read_end)), write_end_(std::move(write_end)) {}

int Pipe::AnyOpenEnd(const char* call) const {
  // Capacity and FIONREAD belong to the pipe, so either end will do.
  const int fd = read_end_.valid() ? read_end_.get() : write_end_.get();
  CheckArgument(fd >= 0, call, "both ends of the pipe are closed");
  return fd;
}

size_t Pipe::Capacity() const {
  const int fd = AnyOpenEnd("Pipe::Capacity");
  const int size = FdSyscalls::Current().Fcntl(fd, F_GETPIPE_SZ, 0);
  if (size < 0) ThrowErrno("fcntl(F_GETPIPE_SZ)");
  return static_cast<size_t>(size);
}

size_t Pipe::SetCapacity(size_t bytes) {
  CheckArgument(bytes > 0 && bytes <= static_cast<size_t>(INT_MAX),
                "Pipe::SetCapacity", "size must be in 1..INT_MAX bytes");
  const int fd = AnyOpenEnd("Pipe::SetCapacity");
  const int size =
      FdSyscalls::Current().Fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
  if (size < 0) {
    const int err = errno;  // Before the message allocates.
    ThrowSystemError(err, "fcntl(F_SETPIPE_SZ, " + std::to_string(bytes) + ")");
  }
  return static_cast<size_t>(size);
}

size_t Pipe::BytesUnread() const {
  return ipc::BytesUnread(AnyOpenEnd("Pipe::BytesUnread"));
}

size_t BytesUnread(int fd) {
  int unread = 0;
  if (FdSyscalls::Current().Ioctl(fd, FIONREAD, &unread) != 0) {
    ThrowErrno("ioctl(FIONREAD)");
  }
  return static_cast<size_t>(unread);
}

void Pipe::SetNonBlocking(bool read_end, bool enabled) {
  const UniqueFd& end = read_end ? read_end_ : write_end_;
  CheckArgument(end.valid(), "Pipe::SetNonBlocking", "that end is closed");
  ipc::SetNonBlocking(end.get(), enabled);
}

size_t Pipe::Write(std::span<const std::byte> data) {
  CheckArgument(write_end_.valid(), "Pipe::Write", "write end is closed");
  return WriteSome(write_end_.get(), data);
}

size_t Pipe::Read(std::span<std::byte> buffer) {
  CheckArgument(read_end_.valid(), "Pipe::Read", "read end is closed");
  return ReadSome(read_end_.get(), buffer);
}

void Pipe::WriteAll(std::span<const std::byte> data) {
  CheckArgument(write_end_.valid(), "Pipe::WriteAll", "write end is closed");
  ipc::WriteAll(write_end_.get(), data);
}

void Pipe::WriteAll(std::string_view text) { WriteAll(AsBytes(text)); }

void Pipe::ReadExact(std::span<std::byte> buffer) {
  CheckArgument(read_end_.valid(), "Pipe::ReadExact", "read end is closed");
  ipc::ReadExact(read_end_.get(), buffer);
}

void SetNonBlocking(int fd, bool enabled) {
  const int flags = FdSyscalls::Current().Fcntl(fd, F_GETFL, 0);
  if (flags < 0) ThrowErrno("fcntl(F_GETFL)");
  const int wanted = enabled ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags &&
      FdSyscalls::Current().Fcntl(fd, F_SETFL, wanted) != 0) {
    ThrowErrno("fcntl(F_SETFL)");
  }
}

}  // namespace ipc

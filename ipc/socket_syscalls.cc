#include "ipc/socket_syscalls.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <string>

#include "ipc/error.h"
#include "ipc/signal_syscalls.h"

namespace ipc {
namespace {

class KernelSocketSyscalls final : public SocketSyscalls {
 public:
  int Socket(int domain, int type, int protocol) override {
    return ::socket(domain, type, protocol);
  }
  int Socketpair(int domain, int type, int protocol, int sv[2]) override {
    return ::socketpair(domain, type, protocol, sv);
  }
  int Bind(int fd, const sockaddr* address, socklen_t length) override {
    return ::bind(fd, address, length);
  }
  int Listen(int fd, int backlog) override { return ::listen(fd, backlog); }
  int Accept4(int fd, sockaddr* address, socklen_t* length,
              int flags) override {
    return ::accept4(fd, address, length, flags);
  }
  int Connect(int fd, const sockaddr* address, socklen_t length) override {
    return ::connect(fd, address, length);
  }
  ssize_t Sendmsg(int fd, const msghdr* message, int flags) override {
    return ::sendmsg(fd, message, flags);
  }
  ssize_t Recvmsg(int fd, msghdr* message, int flags) override {
    return ::recvmsg(fd, message, flags);
  }
  int Getsockopt(int fd, int level, int name, void* value,
                 socklen_t* length) override {
    return ::getsockopt(fd, level, name, value, length);
  }
  int Setsockopt(int fd, int level, int name, const void* value,
                 socklen_t length) override {
    return ::setsockopt(fd, level, name, value, length);
  }
  int Shutdown(int fd, int how) override { return ::shutdown(fd, how); }
  int Getsockname(int fd, sockaddr* address, socklen_t* length) override {
    return ::getsockname(fd, address, length);
  }
  int Getpeername(int fd, sockaddr* address, socklen_t* length) override {
    return ::getpeername(fd, address, length);
  }
};

constinit KernelSocketSyscalls kernel;

std::string Describe(std::string_view call, std::string_view what, int fd,
                     size_t bytes) {
  return std::string(call) + "(" + std::string(what) +
         " fd=" + std::to_string(fd) + ", " + std::to_string(bytes) + " bytes)";
}

}  // namespace

template <>
SocketSyscalls& Seam<SocketSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit SocketSyscalls* Seam<SocketSyscalls>::current_ = &kernel;

ssize_t TrySendOn(int fd, std::span<const std::byte> data, int flags) {
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  return SocketSyscalls::Current().Sendmsg(fd, &message, flags);
}

ssize_t TryReceiveOn(int fd, std::span<std::byte> buffer, int flags,
                     int* msg_flags) {
  iovec iov{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  const ssize_t n = SocketSyscalls::Current().Recvmsg(fd, &message, flags);
  if (n >= 0 && msg_flags != nullptr) *msg_flags = message.msg_flags;
  return n;
}

size_t SendOn(int fd, std::span<const std::byte> data, int flags,
              std::string_view what) {
  const ssize_t n = TrySendOn(fd, data, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Describe("sendmsg", what, fd, data.size()));
  }
  return static_cast<size_t>(n);
}

size_t ReceiveOn(int fd, std::span<std::byte> buffer, int flags,
                 std::string_view what) {
  const ssize_t n = TryReceiveOn(fd, buffer, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Describe("recvmsg", what, fd, buffer.size()));
  }
  return static_cast<size_t>(n);
}

void SendAllOn(int fd, std::span<const std::byte> data, int flags,
               std::string_view what) {
  size_t sent = 0;
  // Each successful call sends at least one byte (a stream send of a
  // non-empty buffer returns > 0 or fails), so the loop makes at most
  // data.size() successful calls; a 0 is reported, not spun on.
  while (sent < data.size()) {
    const ssize_t n = TrySendOn(fd, data.subspan(sent), flags);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      ThrowSystemError(err, Describe("sendmsg", what, fd, data.size()) +
                                " after " + std::to_string(sent) +
                                " bytes sent");
    }
    if (n == 0) {
      ThrowSystemError(EIO, Describe("sendmsg", what, fd, data.size()) +
                                " sent 0 bytes after " + std::to_string(sent));
    }
    sent += static_cast<size_t>(n);
  }
}

std::optional<size_t> ReceiveWithinOn(int fd, std::span<std::byte> buffer,
                                      int flags,
                                      std::chrono::milliseconds timeout,
                                      std::string_view what) {
  short revents = 0;
  const int err = PollInWithin(fd, timeout, &revents);
  if (err != 0) {
    ThrowSystemError(
        err, "poll(" + std::string(what) + " fd=" + std::to_string(fd) + ")");
  }
  if (revents == 0) return std::nullopt;
  if (revents & POLLNVAL) {
    ThrowSystemError(
        EBADF, "poll(" + std::string(what) + " fd=" + std::to_string(fd) + ")");
  }
  // POLLIN, POLLHUP or POLLERR: recvmsg now returns data, 0 or the error
  // without blocking.
  return ReceiveOn(fd, buffer, flags, what);
}

int GetIntOption(int fd, int level, int name, std::string_view what) {
  int value = 0;
  socklen_t length = sizeof value;
  if (SocketSyscalls::Current().Getsockopt(fd, level, name, &value, &length) !=
      0) {
    const int err = errno;
    ThrowSystemError(err, "getsockopt(" + std::string(what) +
                              " fd=" + std::to_string(fd) + ", level " +
                              std::to_string(level) + ", option " +
                              std::to_string(name) + ")");
  }
  return value;
}

void SetIntOption(int fd, int level, int name, int value,
                  std::string_view what) {
  if (SocketSyscalls::Current().Setsockopt(fd, level, name, &value,
                                           sizeof value) != 0) {
    const int err = errno;
    ThrowSystemError(err, "setsockopt(" + std::string(what) +
                              " fd=" + std::to_string(fd) + ", level " +
                              std::to_string(level) + ", option " +
                              std::to_string(name) + ")");
  }
}

}  // namespace ipc

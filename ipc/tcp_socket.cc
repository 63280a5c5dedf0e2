#include "ipc/tcp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>

#include <cstring>
#include <string>

#include "ipc/error.h"
#include "ipc/signal_syscalls.h"
#include "ipc/socket_syscalls.h"

namespace ipc {
namespace {

constexpr std::string_view kWhat = "tcp socket";

void CheckSocketFlags(int flags, const char* where) {
  CheckArgument((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) == 0, where,
                "flags may hold only SOCK_CLOEXEC and SOCK_NONBLOCK");
}

void CheckValid(const UniqueFd& fd, const char* where) {
  CheckArgument(fd.valid(), where,
                "the socket was moved from, closed or released");
}

std::string Call(const char* call, int fd) {
  return std::string(call) + "(tcp socket fd=" + std::to_string(fd) + ")";
}

std::string Call(const char* call, int fd, const InetAddress& address) {
  return std::string(call) + "(tcp socket fd=" + std::to_string(fd) + ", " +
         address.ToString() + ")";
}

// getsockname/getpeername through the seam.
InetAddress AddressOf(int fd, bool peer) {
  sockaddr_storage raw{};
  socklen_t length = sizeof raw;
  SocketSyscalls& sys = SocketSyscalls::Current();
  const int rc =
      peer ? sys.Getpeername(fd, reinterpret_cast<sockaddr*>(&raw), &length)
           : sys.Getsockname(fd, reinterpret_cast<sockaddr*>(&raw), &length);
  if (rc != 0) {
    const int err = errno;
    ThrowSystemError(err, Call(peer ? "getpeername" : "getsockname", fd));
  }
  return InetAddress::FromKernel(raw, length);
}

}  // namespace

// -------------------------------------------------------------- InetAddress

InetAddress InetAddress::V4(std::string_view dotted, uint16_t port) {
  const std::string text(dotted);
  InetAddress address(Tag{});
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  CheckArgument(::inet_pton(AF_INET, text.c_str(), &in.sin_addr) == 1,
                "InetAddress::V4", "not a dotted IPv4 address");
  std::memcpy(&address.address_, &in, sizeof in);
  address.length_ = sizeof in;
  return address;
}

InetAddress InetAddress::V6(std::string_view text, uint16_t port) {
  const std::string copy(text);
  InetAddress address(Tag{});
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  CheckArgument(::inet_pton(AF_INET6, copy.c_str(), &in6.sin6_addr) == 1,
                "InetAddress::V6", "not a numeric IPv6 address");
  std::memcpy(&address.address_, &in6, sizeof in6);
  address.length_ = sizeof in6;
  return address;
}

InetAddress InetAddress::Loopback4(uint16_t port) {
  return V4("127.0.0.1", port);
}

InetAddress InetAddress::Any4(uint16_t port) {
  InetAddress address(Tag{});
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_ANY);
  std::memcpy(&address.address_, &in, sizeof in);
  address.length_ = sizeof in;
  return address;
}

InetAddress InetAddress::FromKernel(const sockaddr_storage& raw,
                                    socklen_t length) {
  const bool v4 = raw.ss_family == AF_INET && length >= sizeof(sockaddr_in);
  const bool v6 = raw.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6);
  CheckArgument(v4 || v6, "InetAddress::FromKernel",
                "not a whole AF_INET or AF_INET6 address");
  InetAddress address(Tag{});
  address.length_ = v4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  std::memcpy(&address.address_, &raw, address.length_);
  return address;
}

uint16_t InetAddress::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address_)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address_)->sin_port);
}

std::string InetAddress::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6,
                &reinterpret_cast<const sockaddr_in6*>(&address_)->sin6_addr,
                text, sizeof text);
  } else {
    ::inet_ntop(AF_INET,
                &reinterpret_cast<const sockaddr_in*>(&address_)->sin_addr,
                text, sizeof text);
  }
  return text;
}

std::string InetAddress::ToString() const {
  if (family() == AF_INET6) {
    return "[" + host() + "]:" + std::to_string(port());
  }
  return host() + ":" + std::to_string(port());
}

InetAddress InetAddress::WithPort(uint16_t port) const {
  InetAddress copy = *this;
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&copy.address_)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&copy.address_)->sin_port = htons(port);
  }
  return copy;
}

// ---------------------------------------------------------------- TcpSocket

TcpSocket TcpSocket::Listen(const InetAddress& address, int backlog,
                            int flags) {
  CheckSocketFlags(flags, "TcpSocket::Listen");
  CheckArgument(backlog >= 0, "TcpSocket::Listen", "negative backlog");
  SocketSyscalls& sys = SocketSyscalls::Current();
  const int fd = sys.Socket(address.family(), SOCK_STREAM | flags, 0);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "socket(" + address.ToString() + ", SOCK_STREAM)");
  }
  TcpSocket socket{UniqueFd(fd)};
  if (sys.Bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("bind", fd, address));
  }
  if (sys.Listen(fd, backlog) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("listen", fd, address));
  }
  return socket;
}

int TcpSocket::TryConnect(const InetAddress& address, TcpSocket* out,
                          int flags) {
  CheckSocketFlags(flags, "TcpSocket::TryConnect");
  SocketSyscalls& sys = SocketSyscalls::Current();
  const int fd = sys.Socket(address.family(), SOCK_STREAM | flags, 0);
  if (fd < 0) return errno;
  UniqueFd owned(fd);
  if (sys.Connect(fd, address.sockaddr_ptr(), address.length()) != 0) {
    const int err = errno;  // closing may change errno
    owned.Reset();
    return err;
  }
  if (out != nullptr) *out = TcpSocket(std::move(owned));
  return 0;
}

TcpSocket TcpSocket::Connect(const InetAddress& address, int flags) {
  TcpSocket socket;
  const int err = TryConnect(address, &socket, flags);
  if (err != 0) {
    ThrowSystemError(err, "connect(tcp socket, " + address.ToString() + ")");
  }
  return socket;
}

TcpSocket TcpSocket::Adopt(UniqueFd fd) { return TcpSocket(std::move(fd)); }

TcpSocket TcpSocket::Accept(InetAddress* peer, int flags) {
  CheckValid(fd_, "TcpSocket::Accept");
  CheckSocketFlags(flags, "TcpSocket::Accept");
  sockaddr_storage raw{};
  socklen_t length = sizeof raw;
  const int fd = SocketSyscalls::Current().Accept4(
      fd_.get(), reinterpret_cast<sockaddr*>(&raw), &length, flags);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("accept4", fd_.get()));
  }
  TcpSocket accepted{UniqueFd(fd)};
  if (peer != nullptr) *peer = InetAddress::FromKernel(raw, length);
  return accepted;
}

std::optional<TcpSocket> TcpSocket::AcceptWithin(
    std::chrono::milliseconds timeout, InetAddress* peer, int flags) {
  CheckValid(fd_, "TcpSocket::AcceptWithin");
  CheckSocketFlags(flags, "TcpSocket::AcceptWithin");
  short revents = 0;
  const int err = PollInWithin(fd_.get(), timeout, &revents);
  if (err != 0) ThrowSystemError(err, Call("poll", fd_.get()));
  if (revents == 0) return std::nullopt;
  return Accept(peer, flags);
}

size_t TcpSocket::Send(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "TcpSocket::Send");
  return SendOn(fd_.get(), data, flags, kWhat);
}

ssize_t TcpSocket::TrySend(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "TcpSocket::TrySend");
  return TrySendOn(fd_.get(), data, flags);
}

void TcpSocket::SendAll(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "TcpSocket::SendAll");
  SendAllOn(fd_.get(), data, flags, kWhat);
}

size_t TcpSocket::Receive(std::span<std::byte> buffer, int flags) {
  CheckValid(fd_, "TcpSocket::Receive");
  return ReceiveOn(fd_.get(), buffer, flags, kWhat);
}

ssize_t TcpSocket::TryReceive(std::span<std::byte> buffer, int flags) {
  CheckValid(fd_, "TcpSocket::TryReceive");
  return TryReceiveOn(fd_.get(), buffer, flags);
}

std::optional<size_t> TcpSocket::ReceiveWithin(
    std::span<std::byte> buffer, std::chrono::milliseconds timeout, int flags) {
  CheckValid(fd_, "TcpSocket::ReceiveWithin");
  return ReceiveWithinOn(fd_.get(), buffer, flags, timeout, kWhat);
}

size_t TcpSocket::ReceiveExactWithin(std::span<std::byte> buffer,
                                     std::chrono::milliseconds timeout) {
  CheckValid(fd_, "TcpSocket::ReceiveExactWithin");
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t got = 0;
  // Each pass either receives >= 1 byte, ends (0 = end of stream, or the
  // deadline passed), or throws: bounded by buffer.size() and the deadline.
  while (got < buffer.size()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    const std::optional<size_t> n =
        ReceiveWithinOn(fd_.get(), buffer.subspan(got), 0, left, kWhat);
    if (!n.has_value() || *n == 0) break;
    got += *n;
  }
  return got;
}

void TcpSocket::Shutdown(int how) {
  CheckValid(fd_, "TcpSocket::Shutdown");
  CheckArgument(how == SHUT_RD || how == SHUT_WR || how == SHUT_RDWR,
                "TcpSocket::Shutdown",
                "how must be SHUT_RD, SHUT_WR or SHUT_RDWR");
  if (SocketSyscalls::Current().Shutdown(fd_.get(), how) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("shutdown", fd_.get()));
  }
}

InetAddress TcpSocket::LocalAddress() const {
  CheckValid(fd_, "TcpSocket::LocalAddress");
  return AddressOf(fd_.get(), false);
}

InetAddress TcpSocket::PeerAddress() const {
  CheckValid(fd_, "TcpSocket::PeerAddress");
  return AddressOf(fd_.get(), true);
}

}  // namespace ipc

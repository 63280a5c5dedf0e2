// TCP over a given address (tcp(7)), IPv4 and IPv6: a listener, accepted and
// connected sockets, their addresses, and the data path of
// ipc/socket_syscalls.h. The same FORMS as ipc/unix_socket.h: throwing forms
// make one call and throw std::system_error naming it (EAGAIN, EPIPE, EINTR
// included); Try forms return -1 with errno set. A send to a peer that reset
// the connection raises SIGPIPE unless `flags` hold MSG_NOSIGNAL.
//
// Move-only; a moved-from socket owns nothing and closes nothing.
#ifndef IPC_TCP_SOCKET_H_
#define IPC_TCP_SOCKET_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ipc/unique_fd.h"

namespace ipc {

// An AF_INET or AF_INET6 address and port.
class InetAddress {
 public:
  // Numeric text only ("10.0.0.1", "::1"; inet_pton(3), which makes no
  // system call); anything else is std::invalid_argument. No name lookup.
  static InetAddress V4(std::string_view dotted, uint16_t port);
  static InetAddress V6(std::string_view text, uint16_t port);
  static InetAddress Loopback4(uint16_t port = 0);  // 127.0.0.1
  static InetAddress Any4(uint16_t port = 0);       // 0.0.0.0
  // What the kernel filled in (getsockname, getpeername, accept4); a family
  // other than AF_INET/AF_INET6 or a short length is std::invalid_argument.
  static InetAddress FromKernel(const sockaddr_storage& address,
                                socklen_t length);

  InetAddress() : InetAddress(Any4()) {}  // 0.0.0.0:0

  int family() const { return address_.ss_family; }
  uint16_t port() const;  // host byte order
  // "10.0.0.1" or "::1", no port.
  std::string host() const;
  // "10.0.0.1:4242" or "[::1]:4242".
  std::string ToString() const;
  InetAddress WithPort(uint16_t port) const;

  const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&address_);
  }
  socklen_t length() const { return length_; }
  const sockaddr_storage& raw() const { return address_; }

  friend bool operator==(const InetAddress& a, const InetAddress& b) {
    return a.ToString() == b.ToString();
  }

 private:
  struct Tag {};
  explicit InetAddress(Tag) {}

  sockaddr_storage address_{};
  socklen_t length_ = 0;
};

class TcpSocket {
 public:
  // socket(family, SOCK_STREAM | flags, 0), bind(address), listen(backlog).
  // Port 0 lets the kernel choose: read it back with LocalAddress(). No
  // SO_REUSEADDR is set. `flags`: SOCK_CLOEXEC and SOCK_NONBLOCK only;
  // backlog >= 0 (else std::invalid_argument). Throws naming the failed call
  // and the address.
  static TcpSocket Listen(const InetAddress& address, int backlog,
                          int flags = SOCK_CLOEXEC);
  // socket + connect(2), blocking: ECONNREFUSED (no listener there),
  // ENETUNREACH and the rest throw naming the address. Note: an address that
  // drops SYNs blocks for the kernel's SYN retries (about two minutes): the
  // tests only connect inside their own namespaces.
  static TcpSocket Connect(const InetAddress& address,
                           int flags = SOCK_CLOEXEC);
  // The same as 0 or the errno, the connected socket in `*out`.
  static int TryConnect(const InetAddress& address, TcpSocket* out,
                        int flags = SOCK_CLOEXEC);
  static TcpSocket Adopt(UniqueFd fd);

  TcpSocket() = default;
  TcpSocket(TcpSocket&&) noexcept = default;
  TcpSocket& operator=(TcpSocket&&) noexcept = default;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  ~TcpSocket() = default;

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  void Close() { fd_.Reset(); }
  int Release() { return fd_.Release(); }

  // accept4(2) on a listener; `peer` (optional) gets the peer's address.
  TcpSocket Accept(InetAddress* peer = nullptr, int flags = SOCK_CLOEXEC);
  // Polls up to `timeout` for a pending connection, then accepts it.
  std::optional<TcpSocket> AcceptWithin(std::chrono::milliseconds timeout,
                                        InetAddress* peer = nullptr,
                                        int flags = SOCK_CLOEXEC);

  size_t Send(std::span<const std::byte> data, int flags = 0);
  ssize_t TrySend(std::span<const std::byte> data, int flags = 0);
  void SendAll(std::span<const std::byte> data, int flags = 0);
  size_t Receive(std::span<std::byte> buffer, int flags = 0);
  ssize_t TryReceive(std::span<std::byte> buffer, int flags = 0);
  std::optional<size_t> ReceiveWithin(std::span<std::byte> buffer,
                                      std::chrono::milliseconds timeout,
                                      int flags = 0);
  // Receives until `buffer` is full, each receive within what is left of
  // `timeout`; returns the bytes received, fewer than buffer.size() only at
  // end of stream or when the time ran out.
  size_t ReceiveExactWithin(std::span<std::byte> buffer,
                            std::chrono::milliseconds timeout);

  // SHUT_RD, SHUT_WR or SHUT_RDWR (else std::invalid_argument).
  void Shutdown(int how);
  InetAddress LocalAddress() const;
  InetAddress PeerAddress() const;

 private:
  explicit TcpSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
};

}  // namespace ipc

#endif  // IPC_TCP_SOCKET_H_

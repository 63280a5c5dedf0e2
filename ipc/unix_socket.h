// Unix domain sockets (unix(7)): stream, datagram and seqpacket; pairs
// (socketpair(2)); filesystem and abstract names; descriptors (SCM_RIGHTS)
// and credentials (SCM_CREDENTIALS) passed as control messages whose
// buffers the wrapper sizes; the peer's credentials (SO_PEERCRED).
//
// NAMES. A socket bound to a filesystem name creates a socket node at that
// path, and unix(7) leaves its removal to the program ("the socket file is
// not removed when the socket is closed"): UnixSocket does NOT own its path.
// The caller removes it (in a test: kit/files.h ScopedUnlink, made before
// Bind so a failing test still removes it). An abstract name creates no
// file and disappears with the last socket bound to it.
//
// FORMS. Each data call has a throwing form (one call, std::system_error
// naming the call on any failure: EAGAIN, EPIPE, EINTR included; nothing
// is retried) and a Try form returning what the kernel returned (-1 with
// errno set) for the kit's matchers, allocating and throwing nothing once
// its arguments are valid. SIGPIPE: a send on a stream socket whose peer is
// gone raises SIGPIPE unless `flags` hold MSG_NOSIGNAL (unix(7), send(2));
// the wrapper passes flags as given.
//
// Move-only; a moved-from socket owns nothing and closes nothing.
#ifndef IPC_UNIX_SOCKET_H_
#define IPC_UNIX_SOCKET_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/unique_fd.h"

namespace ipc {

// SCM_MAX_FD (include/net/scm.h, unix(7): "The kernel constant SCM_MAX_FD
// defines a limit on the number of file descriptors in the array"): 253
// since Linux 2.6.38. Not exported to user space, so written down here.
inline constexpr size_t kScmMaxFd = 253;

// A Unix domain socket address: unnamed, a filesystem path or an abstract
// name, with the exact length bind/connect take.
class UnixAddress {
 public:
  enum class Kind { kUnnamed, kFilesystem, kAbstract };

  // A filesystem name. `path` must be non-empty, hold no NUL byte, and fit
  // in sun_path with its terminating NUL (at most 107 bytes on Linux), else
  // std::invalid_argument: unix(7) says a longer path is not portable, and
  // the kernel silently accepts a 108-byte unterminated one.
  static UnixAddress Filesystem(std::string_view path);
  // An abstract name: sun_path[0] = '\0' followed by `name`'s bytes (NULs
  // allowed; they are part of the name). 1..107 bytes, else
  // std::invalid_argument. The length passed covers exactly the name
  // (unix(7): "the remaining bytes ... in sun_path" are significant up to
  // addrlen).
  static UnixAddress Abstract(std::string_view name);
  // sizeof(sa_family_t) only: bind(2) with it autobinds an abstract name of
  // five hex digits (unix(7) "Autobind feature").
  static UnixAddress Unnamed();
  // What the kernel filled in (getsockname, getpeername, recvmsg).
  static UnixAddress FromKernel(const sockaddr_un& address, socklen_t length);

  UnixAddress() : UnixAddress(Kind::kUnnamed) {}

  Kind kind() const;
  // The path (kFilesystem) or the name without its leading NUL (kAbstract);
  // empty for kUnnamed.
  std::string name() const;
  // "/tmp/x.sock", "@name" (as ss(8) shows abstract names; a NUL inside is
  // written "\0"), or "(unnamed)".
  std::string ToString() const;

  const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&address_);
  }
  socklen_t length() const { return length_; }
  const sockaddr_un& raw() const { return address_; }

  friend bool operator==(const UnixAddress& a, const UnixAddress& b) {
    return a.kind() == b.kind() && a.name() == b.name();
  }

 private:
  explicit UnixAddress(Kind);  // unnamed

  sockaddr_un address_{};
  socklen_t length_ = 0;
};

// What a receive with control messages got. `fds` are owned: a descriptor
// the kernel installed is closed exactly once, when the vector goes (or by
// whoever the test moves it to).
struct UnixMessage {
  size_t bytes = 0;
  std::vector<UniqueFd> fds;         // SCM_RIGHTS, in the sent order
  std::optional<ucred> credentials;  // SCM_CREDENTIALS
  int msg_flags = 0;                 // MSG_CTRUNC, MSG_TRUNC, ...
  bool control_truncated() const { return (msg_flags & MSG_CTRUNC) != 0; }
};

class UnixSocket {
 public:
  // socket(AF_UNIX, type | flags, 0). `type`: SOCK_STREAM, SOCK_DGRAM or
  // SOCK_SEQPACKET; `flags`: SOCK_CLOEXEC and SOCK_NONBLOCK only. Else
  // std::invalid_argument. Throws std::system_error naming socket.
  static UnixSocket Create(int type, int flags = SOCK_CLOEXEC);
  // socketpair(AF_UNIX, type | flags, 0): two connected sockets, same checks.
  static std::pair<UnixSocket, UnixSocket> Pair(int type,
                                                int flags = SOCK_CLOEXEC);
  // Takes ownership of an AF_UNIX socket descriptor of the given type.
  static UnixSocket Adopt(UniqueFd fd, int type);

  UnixSocket() = default;  // owns nothing
  UnixSocket(UnixSocket&&) noexcept = default;
  UnixSocket& operator=(UnixSocket&&) noexcept = default;
  UnixSocket(const UnixSocket&) = delete;
  UnixSocket& operator=(const UnixSocket&) = delete;
  ~UnixSocket() = default;  // closes the descriptor (UniqueFd)

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  int type() const { return type_; }
  void Close() { fd_.Reset(); }
  int Release() { return fd_.Release(); }

  // bind(2). Does not take ownership of a filesystem node (see NAMES).
  void Bind(const UnixAddress& address);
  int TryBind(const UnixAddress& address);
  void Listen(int backlog);
  // accept4(2): the connected socket; `flags` SOCK_CLOEXEC/SOCK_NONBLOCK.
  // EAGAIN (non-blocking, none pending) and EINTR throw.
  UnixSocket Accept(int flags = SOCK_CLOEXEC);
  // Waits up to `timeout` for a pending connection (poll POLLIN), then
  // accepts it; std::nullopt if none came in time.
  std::optional<UnixSocket> AcceptWithin(std::chrono::milliseconds timeout,
                                         int flags = SOCK_CLOEXEC);
  void Connect(const UnixAddress& address);
  int TryConnect(const UnixAddress& address);

  // One sendmsg(2) of `data` (no control message).
  size_t Send(std::span<const std::byte> data, int flags = 0);
  ssize_t TrySend(std::span<const std::byte> data, int flags = 0);
  // Every byte, looping over short sends, retrying EINTR.
  void SendAll(std::span<const std::byte> data, int flags = 0);
  // One sendmsg(2) to `address` (an unconnected datagram socket).
  size_t SendTo(std::span<const std::byte> data, const UnixAddress& address,
                int flags = 0);
  ssize_t TrySendTo(std::span<const std::byte> data, const UnixAddress& address,
                    int flags = 0);
  // One recvmsg(2) into `buffer` with no control buffer (so passed
  // descriptors are discarded by the kernel and MSG_CTRUNC set: use
  // ReceiveWithFds where any may come).
  size_t Receive(std::span<std::byte> buffer, int flags = 0);
  ssize_t TryReceive(std::span<std::byte> buffer, int flags = 0,
                     int* msg_flags = nullptr);
  // Polls up to `timeout` for POLLIN, then receives once; std::nullopt if
  // nothing arrived in time (use where arrival is what a test checks).
  std::optional<size_t> ReceiveWithin(std::span<std::byte> buffer,
                                      std::chrono::milliseconds timeout,
                                      int flags = 0);
  // One recvmsg(2) that also returns the sender's address (datagrams).
  size_t ReceiveFrom(std::span<std::byte> buffer, UnixAddress* from,
                     int flags = 0);

  // sendmsg(2) with one SCM_RIGHTS message carrying `fds` (1..kScmMaxFd
  // descriptors, else std::invalid_argument) and `data`, which must hold at
  // least one byte (std::invalid_argument otherwise: on a stream socket a
  // zero-byte sendmsg sends nothing, control message included). msg_controllen
  // is CMSG_SPACE(fds.size() * sizeof(int)), cmsg_len CMSG_LEN of it. Returns
  // the bytes sent; the descriptors travel with the first byte.
  size_t SendFds(std::span<const std::byte> data, std::span<const int> fds,
                 int flags = 0);
  ssize_t TrySendFds(std::span<const std::byte> data, std::span<const int> fds,
                     int flags = 0);
  // sendmsg(2) with one SCM_CREDENTIALS message carrying `credentials`
  // (data non-empty, as above). The kernel checks them: an unprivileged
  // sender may give only its own pid, uid and gid (EPERM otherwise,
  // unix(7)).
  size_t SendCredentials(std::span<const std::byte> data,
                         const ucred& credentials, int flags = 0);
  ssize_t TrySendCredentials(std::span<const std::byte> data,
                             const ucred& credentials, int flags = 0);

  // recvmsg(2) with room for exactly `max_fds` descriptors (0..kScmMaxFd;
  // 0 gives no control buffer): msg_controllen is CMSG_LEN(max_fds *
  // sizeof(int)), not CMSG_SPACE, because the kernel installs as many as
  // fit after the header and CMSG_SPACE's padding would admit one more for
  // an odd count. Descriptors beyond that are closed by the kernel and
  // MSG_CTRUNC set (unix(7)). `flags` default MSG_CMSG_CLOEXEC, so a
  // received descriptor does not leak into an exec. Every SCM_RIGHTS
  // descriptor the kernel installed is owned by the result (room reserved
  // before the call). Throws on failure (EAGAIN, EINTR included).
  UnixMessage ReceiveWithFds(std::span<std::byte> buffer, size_t max_fds,
                             int flags = MSG_CMSG_CLOEXEC);
  // recvmsg(2) with a control buffer of CMSG_SPACE(sizeof(ucred)): the
  // sender's credentials, present when SO_PASSCRED is on for this socket
  // (SetPassCredentials) or the sender sent SCM_CREDENTIALS. Descriptors sent
  // alongside do not fit: the kernel discards them, sets MSG_CTRUNC.
  UnixMessage ReceiveWithCredentials(std::span<std::byte> buffer,
                                     int flags = MSG_CMSG_CLOEXEC);
  // Both at once: CMSG_SPACE(sizeof(ucred)) (the kernel writes the
  // credentials first) + CMSG_LEN(max_fds * sizeof(int)). If no credentials
  // come, their room admits up to 8 descriptors more than max_fds.
  UnixMessage ReceiveWithControl(std::span<std::byte> buffer, size_t max_fds,
                                 bool credentials,
                                 int flags = MSG_CMSG_CLOEXEC);

  // SO_PASSCRED on or off: with it on, every message received carries the
  // sender's credentials (unix(7)).
  void SetPassCredentials(bool on);
  // SO_PEERCRED: the peer's credentials as of connect(2)/socketpair(2).
  ucred PeerCredentials() const;
  // shutdown(2), `how` SHUT_RD, SHUT_WR or SHUT_RDWR (else
  // std::invalid_argument).
  void Shutdown(int how);
  int TryShutdown(int how);
  // getsockname(2) / getpeername(2).
  UnixAddress LocalAddress() const;
  UnixAddress PeerAddress() const;

 private:
  UnixSocket(UniqueFd fd, int type) : fd_(std::move(fd)), type_(type) {}

  UniqueFd fd_;
  int type_ = 0;
};

}  // namespace ipc

#endif  // IPC_UNIX_SOCKET_H_

// The seam of the socket calls (rule: ipc/syscalls.h): creating, naming,
// connecting and shutting sockets down, and moving data with sendmsg(2) and
// recvmsg(2) (every send and receive of ipc/unix_socket.h and
// ipc/tcp_socket.h is one of those two, so one pair of mocked calls covers
// plain data, SCM_RIGHTS and SCM_CREDENTIALS alike). libc's signatures and
// convention: -1 with errno set. close(2) of a socket is FdSyscalls::Close
// (UniqueFd); waiting for readiness is SignalSyscalls::Poll
// (ipc/signal_syscalls.h): calls shared with another mechanism use the seam
// that already has them.
#ifndef IPC_SOCKET_SYSCALLS_H_
#define IPC_SOCKET_SYSCALLS_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "ipc/syscalls.h"

namespace ipc {

class SocketSyscalls : public Seam<SocketSyscalls> {
 public:
  virtual ~SocketSyscalls() = default;

  virtual int Socket(int domain, int type, int protocol) = 0;
  virtual int Socketpair(int domain, int type, int protocol, int sv[2]) = 0;
  virtual int Bind(int fd, const sockaddr* address, socklen_t length) = 0;
  virtual int Listen(int fd, int backlog) = 0;
  virtual int Accept4(int fd, sockaddr* address, socklen_t* length,
                      int flags) = 0;
  virtual int Connect(int fd, const sockaddr* address, socklen_t length) = 0;
  virtual ssize_t Sendmsg(int fd, const msghdr* message, int flags) = 0;
  virtual ssize_t Recvmsg(int fd, msghdr* message, int flags) = 0;
  virtual int Getsockopt(int fd, int level, int name, void* value,
                         socklen_t* length) = 0;
  virtual int Setsockopt(int fd, int level, int name, const void* value,
                         socklen_t length) = 0;
  virtual int Shutdown(int fd, int how) = 0;
  virtual int Getsockname(int fd, sockaddr* address, socklen_t* length) = 0;
  virtual int Getpeername(int fd, sockaddr* address, socklen_t* length) = 0;
};

// The data path both ipc::UnixSocket and ipc::TcpSocket use (each passes
// its descriptor), all through the seam: one sendmsg(2) or recvmsg(2) with
// one iovec and no control message. `what` names the socket in errors
// ("unix socket", "tcp socket").
//
// Try forms: what the kernel returned (-1 with errno set), no exception, no
// allocation: for the kit's matchers and forked children.
ssize_t TrySendOn(int fd, std::span<const std::byte> data, int flags);
// `*msg_flags` (if not null) receives the message's msg_flags (MSG_TRUNC:
// a datagram longer than the buffer was cut).
ssize_t TryReceiveOn(int fd, std::span<std::byte> buffer, int flags,
                     int* msg_flags = nullptr);
// One call; throws std::system_error naming sendmsg/recvmsg on any failure,
// EAGAIN, EPIPE and EINTR included (nothing is retried).
size_t SendOn(int fd, std::span<const std::byte> data, int flags,
              std::string_view what);
size_t ReceiveOn(int fd, std::span<std::byte> buffer, int flags,
                 std::string_view what);
// Loops over short sends until every byte is sent, retrying EINTR; throws on
// any other error saying how many bytes had been sent.
void SendAllOn(int fd, std::span<const std::byte> data, int flags,
               std::string_view what);
// Waits up to `timeout` for POLLIN (ipc::PollInWithin), then receives once.
// std::nullopt: nothing arrived in time. POLLIN with POLLHUP and no data
// gives 0 (end of stream), as recvmsg would.
std::optional<size_t> ReceiveWithinOn(int fd, std::span<std::byte> buffer,
                                      int flags,
                                      std::chrono::milliseconds timeout,
                                      std::string_view what);
// getsockopt(fd, level, name) of an int option; throws naming it.
int GetIntOption(int fd, int level, int name, std::string_view what);
// setsockopt of an int option; throws naming it.
void SetIntOption(int fd, int level, int name, int value,
                  std::string_view what);

template <>
SocketSyscalls& Seam<SocketSyscalls>::Kernel();
template <>
SocketSyscalls* Seam<SocketSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_SOCKET_SYSCALLS_H_

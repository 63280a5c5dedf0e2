#include "ipc/unix_socket.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "ipc/error.h"
#include "ipc/signal_syscalls.h"
#include "ipc/socket_syscalls.h"

namespace ipc {
namespace {

constexpr std::string_view kWhat = "unix socket";
constexpr size_t kSunPath = sizeof(sockaddr_un::sun_path);  // 108 on Linux
constexpr socklen_t kFamilyLength = sizeof(sa_family_t);

void CheckType(int type, const char* where) {
  CheckArgument(
      type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_SEQPACKET,
      where, "type must be SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET");
}

void CheckSocketFlags(int flags, const char* where) {
  CheckArgument((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) == 0, where,
                "flags may hold only SOCK_CLOEXEC and SOCK_NONBLOCK");
}

std::string TypeName(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_SEQPACKET:
      return "SOCK_SEQPACKET";
  }
  return "type " + std::to_string(type);
}

std::string Call(const char* call, int fd) {
  return std::string(call) + "(unix socket fd=" + std::to_string(fd) + ")";
}

std::string Call(const char* call, int fd, const UnixAddress& address) {
  return std::string(call) + "(unix socket fd=" + std::to_string(fd) + ", " +
         address.ToString() + ")";
}

void CheckValid(const UniqueFd& fd, const char* where) {
  CheckArgument(fd.valid(), where,
                "the socket was moved from, closed or released");
}

void CheckData(std::span<const std::byte> data, const char* where) {
  CheckArgument(!data.empty(), where,
                "a control message needs at least one byte of data (a "
                "zero-byte send on a stream socket sends nothing)");
}

void CheckFdCount(std::span<const int> fds, const char* where) {
  CheckArgument(!fds.empty(), where, "no descriptor to pass");
  CheckArgument(fds.size() <= kScmMaxFd, where,
                "more than SCM_MAX_FD (253) descriptors");
}

// Control buffers aligned for cmsghdr; CMSG_SPACE(253 * 4) + CMSG_SPACE(12)
// is 1056 bytes, so one fixed buffer on the stack serves every size the
// wrapper allows (and the send side allocates nothing).
constexpr size_t kControlMax =
    CMSG_SPACE(kScmMaxFd * sizeof(int)) + CMSG_SPACE(sizeof(ucred));
struct alignas(cmsghdr) ControlBuffer {
  std::byte bytes[kControlMax];
};

ssize_t SendControl(int fd, std::span<const std::byte> data, int level,
                    int type, const void* payload, size_t payload_size,
                    const sockaddr* to, socklen_t to_length, int flags) {
  ControlBuffer control;
  std::memset(&control, 0, sizeof control);
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(to);
  message.msg_namelen = to_length;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  if (payload_size > 0) {
    message.msg_control = control.bytes;
    message.msg_controllen = CMSG_SPACE(payload_size);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = level;
    header->cmsg_type = type;
    header->cmsg_len = CMSG_LEN(payload_size);
    std::memcpy(CMSG_DATA(header), payload, payload_size);
  }
  return SocketSyscalls::Current().Sendmsg(fd, &message, flags);
}

}  // namespace

// -------------------------------------------------------------- UnixAddress

UnixAddress UnixAddress::Filesystem(std::string_view path) {
  CheckArgument(!path.empty(), "UnixAddress::Filesystem", "empty path");
  CheckArgument(path.find('\0') == std::string_view::npos,
                "UnixAddress::Filesystem", "path holds a NUL byte");
  CheckArgument(path.size() < kSunPath, "UnixAddress::Filesystem",
                "path does not fit in sun_path with its NUL (at most 107 "
                "bytes)");
  UnixAddress address;
  address.address_.sun_family = AF_UNIX;
  std::memcpy(address.address_.sun_path, path.data(), path.size());
  // offsetof(sun_path) + the path + its NUL: what unix(7) calls
  // "offsetof(struct sockaddr_un, sun_path) + strlen(sun_path) + 1".
  address.length_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

UnixAddress UnixAddress::Abstract(std::string_view name) {
  CheckArgument(!name.empty(), "UnixAddress::Abstract", "empty name");
  CheckArgument(name.size() < kSunPath, "UnixAddress::Abstract",
                "name does not fit in sun_path after its leading NUL (at "
                "most 107 bytes)");
  UnixAddress address;
  address.address_.sun_family = AF_UNIX;
  address.address_.sun_path[0] = '\0';
  std::memcpy(address.address_.sun_path + 1, name.data(), name.size());
  address.length_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return address;
}

UnixAddress UnixAddress::Unnamed() {
  UnixAddress address(Kind::kUnnamed);
  return address;
}

UnixAddress::UnixAddress(Kind) {
  address_.sun_family = AF_UNIX;
  length_ = kFamilyLength;
}

UnixAddress UnixAddress::FromKernel(const sockaddr_un& raw, socklen_t length) {
  CheckArgument(length <= sizeof(sockaddr_un), "UnixAddress::FromKernel",
                "length above sizeof(sockaddr_un)");
  UnixAddress address;
  std::memcpy(&address.address_, &raw, length);
  address.address_.sun_family = AF_UNIX;
  address.length_ = length < kFamilyLength ? kFamilyLength : length;
  return address;
}

UnixAddress::Kind UnixAddress::kind() const {
  if (length_ <= kFamilyLength) return Kind::kUnnamed;
  return address_.sun_path[0] == '\0' ? Kind::kAbstract : Kind::kFilesystem;
}

std::string UnixAddress::name() const {
  const size_t bytes = length_ - offsetof(sockaddr_un, sun_path);
  switch (kind()) {
    case Kind::kUnnamed:
      return "";
    case Kind::kAbstract:
      return std::string(address_.sun_path + 1, bytes - 1);
    case Kind::kFilesystem:
      // The kernel may report the terminating NUL in the length or not
      // (getsockname includes it); the path ends at the first NUL.
      return std::string(address_.sun_path,
                         ::strnlen(address_.sun_path, bytes));
  }
  return "";
}

std::string UnixAddress::ToString() const {
  switch (kind()) {
    case Kind::kUnnamed:
      return "(unnamed)";
    case Kind::kFilesystem:
      return name();
    case Kind::kAbstract: {
      std::string shown = "@";
      for (char c : name()) {
        if (c == '\0') {
          shown += "\\0";
        } else {
          shown += c;
        }
      }
      return shown;
    }
  }
  return "";
}

// --------------------------------------------------------------- UnixSocket

UnixSocket UnixSocket::Create(int type, int flags) {
  CheckType(type, "UnixSocket::Create");
  CheckSocketFlags(flags, "UnixSocket::Create");
  const int fd = SocketSyscalls::Current().Socket(AF_UNIX, type | flags, 0);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "socket(AF_UNIX, " + TypeName(type) + ")");
  }
  return UnixSocket(UniqueFd(fd), type);
}

std::pair<UnixSocket, UnixSocket> UnixSocket::Pair(int type, int flags) {
  CheckType(type, "UnixSocket::Pair");
  CheckSocketFlags(flags, "UnixSocket::Pair");
  int fds[2] = {-1, -1};
  if (SocketSyscalls::Current().Socketpair(AF_UNIX, type | flags, 0, fds) !=
      0) {
    const int err = errno;
    ThrowSystemError(err, "socketpair(AF_UNIX, " + TypeName(type) + ")");
  }
  return {UnixSocket(UniqueFd(fds[0]), type),
          UnixSocket(UniqueFd(fds[1]), type)};
}

UnixSocket UnixSocket::Adopt(UniqueFd fd, int type) {
  CheckType(type, "UnixSocket::Adopt");
  return UnixSocket(std::move(fd), type);
}

int UnixSocket::TryBind(const UnixAddress& address) {
  CheckValid(fd_, "UnixSocket::TryBind");
  return SocketSyscalls::Current().Bind(fd_.get(), address.sockaddr_ptr(),
                                        address.length());
}

void UnixSocket::Bind(const UnixAddress& address) {
  if (TryBind(address) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("bind", fd_.get(), address));
  }
}

void UnixSocket::Listen(int backlog) {
  CheckValid(fd_, "UnixSocket::Listen");
  CheckArgument(backlog >= 0, "UnixSocket::Listen", "negative backlog");
  if (SocketSyscalls::Current().Listen(fd_.get(), backlog) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("listen", fd_.get()));
  }
}

UnixSocket UnixSocket::Accept(int flags) {
  CheckValid(fd_, "UnixSocket::Accept");
  CheckSocketFlags(flags, "UnixSocket::Accept");
  const int fd =
      SocketSyscalls::Current().Accept4(fd_.get(), nullptr, nullptr, flags);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("accept4", fd_.get()));
  }
  return UnixSocket(UniqueFd(fd), type_);
}

std::optional<UnixSocket> UnixSocket::AcceptWithin(
    std::chrono::milliseconds timeout, int flags) {
  CheckValid(fd_, "UnixSocket::AcceptWithin");
  CheckSocketFlags(flags, "UnixSocket::AcceptWithin");
  short revents = 0;
  const int err = PollInWithin(fd_.get(), timeout, &revents);
  if (err != 0) ThrowSystemError(err, Call("poll", fd_.get()));
  if (revents == 0) return std::nullopt;
  return Accept(flags);
}

int UnixSocket::TryConnect(const UnixAddress& address) {
  CheckValid(fd_, "UnixSocket::TryConnect");
  return SocketSyscalls::Current().Connect(fd_.get(), address.sockaddr_ptr(),
                                           address.length());
}

void UnixSocket::Connect(const UnixAddress& address) {
  if (TryConnect(address) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("connect", fd_.get(), address));
  }
}

size_t UnixSocket::Send(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "UnixSocket::Send");
  return SendOn(fd_.get(), data, flags, kWhat);
}

ssize_t UnixSocket::TrySend(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "UnixSocket::TrySend");
  return TrySendOn(fd_.get(), data, flags);
}

void UnixSocket::SendAll(std::span<const std::byte> data, int flags) {
  CheckValid(fd_, "UnixSocket::SendAll");
  SendAllOn(fd_.get(), data, flags, kWhat);
}

ssize_t UnixSocket::TrySendTo(std::span<const std::byte> data,
                              const UnixAddress& address, int flags) {
  CheckValid(fd_, "UnixSocket::TrySendTo");
  return SendControl(fd_.get(), data, 0, 0, nullptr, 0, address.sockaddr_ptr(),
                     address.length(), flags);
}

size_t UnixSocket::SendTo(std::span<const std::byte> data,
                          const UnixAddress& address, int flags) {
  const ssize_t n = TrySendTo(data, address, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sendmsg", fd_.get(), address));
  }
  return static_cast<size_t>(n);
}

size_t UnixSocket::Receive(std::span<std::byte> buffer, int flags) {
  CheckValid(fd_, "UnixSocket::Receive");
  return ReceiveOn(fd_.get(), buffer, flags, kWhat);
}

ssize_t UnixSocket::TryReceive(std::span<std::byte> buffer, int flags,
                               int* msg_flags) {
  CheckValid(fd_, "UnixSocket::TryReceive");
  return TryReceiveOn(fd_.get(), buffer, flags, msg_flags);
}

std::optional<size_t> UnixSocket::ReceiveWithin(
    std::span<std::byte> buffer, std::chrono::milliseconds timeout, int flags) {
  CheckValid(fd_, "UnixSocket::ReceiveWithin");
  return ReceiveWithinOn(fd_.get(), buffer, flags, timeout, kWhat);
}

size_t UnixSocket::ReceiveFrom(std::span<std::byte> buffer, UnixAddress* from,
                               int flags) {
  CheckValid(fd_, "UnixSocket::ReceiveFrom");
  sockaddr_un source{};
  iovec iov{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_name = &source;
  message.msg_namelen = sizeof source;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  const ssize_t n =
      SocketSyscalls::Current().Recvmsg(fd_.get(), &message, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("recvmsg", fd_.get()));
  }
  if (from != nullptr)
    *from = UnixAddress::FromKernel(source, message.msg_namelen);
  return static_cast<size_t>(n);
}

ssize_t UnixSocket::TrySendFds(std::span<const std::byte> data,
                               std::span<const int> fds, int flags) {
  CheckValid(fd_, "UnixSocket::TrySendFds");
  CheckData(data, "UnixSocket::TrySendFds");
  CheckFdCount(fds, "UnixSocket::TrySendFds");
  return SendControl(fd_.get(), data, SOL_SOCKET, SCM_RIGHTS, fds.data(),
                     fds.size() * sizeof(int), nullptr, 0, flags);
}

size_t UnixSocket::SendFds(std::span<const std::byte> data,
                           std::span<const int> fds, int flags) {
  const ssize_t n = TrySendFds(data, fds, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sendmsg", fd_.get()) + " with SCM_RIGHTS (" +
                              std::to_string(fds.size()) + " descriptors)");
  }
  return static_cast<size_t>(n);
}

ssize_t UnixSocket::TrySendCredentials(std::span<const std::byte> data,
                                       const ucred& credentials, int flags) {
  CheckValid(fd_, "UnixSocket::TrySendCredentials");
  CheckData(data, "UnixSocket::TrySendCredentials");
  return SendControl(fd_.get(), data, SOL_SOCKET, SCM_CREDENTIALS, &credentials,
                     sizeof credentials, nullptr, 0, flags);
}

size_t UnixSocket::SendCredentials(std::span<const std::byte> data,
                                   const ucred& credentials, int flags) {
  const ssize_t n = TrySendCredentials(data, credentials, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sendmsg", fd_.get()) +
                              " with SCM_CREDENTIALS (pid " +
                              std::to_string(credentials.pid) + ", uid " +
                              std::to_string(credentials.uid) + ", gid " +
                              std::to_string(credentials.gid) + ")");
  }
  return static_cast<size_t>(n);
}

UnixMessage UnixSocket::ReceiveWithControl(std::span<std::byte> buffer,
                                           size_t max_fds, bool credentials,
                                           int flags) {
  CheckValid(fd_, "UnixSocket::ReceiveWithControl");
  CheckArgument(max_fds <= kScmMaxFd, "UnixSocket::ReceiveWithControl",
                "max_fds above SCM_MAX_FD (253)");
  // Credentials first: the kernel writes SCM_CREDENTIALS before SCM_RIGHTS
  // (scm_recv). The descriptors' room is CMSG_LEN(max_fds * sizeof(int)),
  // not CMSG_SPACE: the kernel installs as many as (room - header) / 4
  // allows (scm_detach_fds), and CMSG_SPACE's alignment padding would admit
  // one more than asked for an odd max_fds. (Asked for credentials that do
  // not come, their room goes to descriptors too: up to 8 more.)
  const size_t control_size =
      (credentials ? CMSG_SPACE(sizeof(ucred)) : 0) +
      (max_fds > 0 ? CMSG_LEN(max_fds * sizeof(int)) : 0);
  UnixMessage result;
  // Room for every descriptor the control buffer can hold, reserved before
  // the call: once the kernel installed them, adopting them cannot throw.
  result.fds.reserve(control_size / sizeof(int));
  ControlBuffer control;
  std::memset(&control, 0, sizeof control);
  iovec iov{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control_size > 0 ? control.bytes : nullptr;
  message.msg_controllen = control_size;
  const ssize_t n =
      SocketSyscalls::Current().Recvmsg(fd_.get(), &message, flags);
  if (n < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("recvmsg", fd_.get()) + " with a " +
                              std::to_string(control_size) +
                              "-byte control buffer");
  }
  result.bytes = static_cast<size_t>(n);
  result.msg_flags = message.msg_flags;
  if (message.msg_control == nullptr) return result;
  const size_t capacity = result.fds.capacity();
  for (cmsghdr* h = CMSG_FIRSTHDR(&message); h != nullptr;
       h = CMSG_NXTHDR(&message, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_len < CMSG_LEN(0)) continue;
    if (h->cmsg_type == SCM_RIGHTS) {
      const size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count && result.fds.size() < capacity; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
        result.fds.emplace_back(fd);
      }
    } else if (h->cmsg_type == SCM_CREDENTIALS &&
               h->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred sender;
      std::memcpy(&sender, CMSG_DATA(h), sizeof sender);
      result.credentials = sender;
    }
  }
  return result;
}

UnixMessage UnixSocket::ReceiveWithFds(std::span<std::byte> buffer,
                                       size_t max_fds, int flags) {
  return ReceiveWithControl(buffer, max_fds, false, flags);
}

UnixMessage UnixSocket::ReceiveWithCredentials(std::span<std::byte> buffer,
                                               int flags) {
  return ReceiveWithControl(buffer, 0, true, flags);
}

void UnixSocket::SetPassCredentials(bool on) {
  CheckValid(fd_, "UnixSocket::SetPassCredentials");
  SetIntOption(fd_.get(), SOL_SOCKET, SO_PASSCRED, on ? 1 : 0, kWhat);
}

ucred UnixSocket::PeerCredentials() const {
  CheckValid(fd_, "UnixSocket::PeerCredentials");
  ucred peer{};
  socklen_t length = sizeof peer;
  if (SocketSyscalls::Current().Getsockopt(fd_.get(), SOL_SOCKET, SO_PEERCRED,
                                           &peer, &length) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("getsockopt", fd_.get()) + " SO_PEERCRED");
  }
  if (length != sizeof peer) {
    ThrowSystemError(EIO, Call("getsockopt", fd_.get()) +
                              " SO_PEERCRED returned " +
                              std::to_string(length) + " bytes");
  }
  return peer;
}

int UnixSocket::TryShutdown(int how) {
  CheckValid(fd_, "UnixSocket::TryShutdown");
  CheckArgument(how == SHUT_RD || how == SHUT_WR || how == SHUT_RDWR,
                "UnixSocket::TryShutdown",
                "how must be SHUT_RD, SHUT_WR or SHUT_RDWR");
  return SocketSyscalls::Current().Shutdown(fd_.get(), how);
}

void UnixSocket::Shutdown(int how) {
  if (TryShutdown(how) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("shutdown", fd_.get()));
  }
}

UnixAddress UnixSocket::LocalAddress() const {
  CheckValid(fd_, "UnixSocket::LocalAddress");
  sockaddr_un raw{};
  socklen_t length = sizeof raw;
  if (SocketSyscalls::Current().Getsockname(
          fd_.get(), reinterpret_cast<sockaddr*>(&raw), &length) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("getsockname", fd_.get()));
  }
  return UnixAddress::FromKernel(raw,
                                 length > sizeof raw ? sizeof raw : length);
}

UnixAddress UnixSocket::PeerAddress() const {
  CheckValid(fd_, "UnixSocket::PeerAddress");
  sockaddr_un raw{};
  socklen_t length = sizeof raw;
  if (SocketSyscalls::Current().Getpeername(
          fd_.get(), reinterpret_cast<sockaddr*>(&raw), &length) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("getpeername", fd_.get()));
  }
  return UnixAddress::FromKernel(raw,
                                 length > sizeof raw ? sizeof raw : length);
}

}  // namespace ipc

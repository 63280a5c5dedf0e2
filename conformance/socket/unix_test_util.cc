#include "conformance/socket/unix_test_util.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "conformance/procfs/files.h"

namespace ipcproof {

std::string SocketTypeName(int type) {
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

std::string UniqueAbstractName(const std::string& stem) {
  static std::atomic<int> counter{0};
  return "ipcproof-" + std::to_string(::getpid()) + "-" + stem + "-" +
         std::to_string(counter++);
}

namespace {

ssize_t SendControl(int socket, int level, int type, const void* payload,
                    size_t payload_size, const std::string& data, int flags) {
  std::vector<char> control(CMSG_SPACE(payload_size));
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = level;
  cmsg->cmsg_type = type;
  cmsg->cmsg_len = CMSG_LEN(payload_size);
  if (payload_size > 0) std::memcpy(CMSG_DATA(cmsg), payload, payload_size);
  return ::sendmsg(socket, &msg, flags);
}

}  // namespace

ssize_t SendWithRights(ipc::UnixSocket& socket, const std::vector<int>& fds,
                       const std::string& data, int flags) {
  return socket.TrySendFds(Bytes(data), fds, flags);
}

ssize_t SendRawRights(int socket, const std::vector<int>& fds,
                      const std::string& data) {
  return SendControl(socket, SOL_SOCKET, SCM_RIGHTS, fds.data(),
                     fds.size() * sizeof(int), data, 0);
}

ssize_t SendWithCredentials(ipc::UnixSocket& socket, const ucred& creds,
                            const std::string& data) {
  return socket.TrySendCredentials(Bytes(data), creds);
}

Received ReceiveWithControl(int socket, size_t data_capacity,
                            size_t control_capacity, int flags) {
  Received r;
  std::vector<char> data(std::max<size_t>(data_capacity, 1));
  // Aligned storage for cmsghdr; exactly control_capacity bytes are offered.
  std::vector<cmsghdr> storage(control_capacity / sizeof(cmsghdr) + 2);
  iovec iov{data.data(), data_capacity};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control_capacity == 0 ? nullptr : storage.data();
  msg.msg_controllen = control_capacity;
  r.result = ::recvmsg(socket, &msg, flags);
  if (r.result < 0) {
    r.error = errno;
    return r;
  }
  r.data.assign(data.data(),
                std::min<size_t>(static_cast<size_t>(r.result), data_capacity));
  r.msg_flags = msg.msg_flags;
  r.controllen = msg.msg_controllen;
  if (msg.msg_controllen == 0) return r;
  const char* base = reinterpret_cast<const char*>(storage.data());
  r.raw_control.assign(base, base + msg.msg_controllen);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    r.headers.push_back({c->cmsg_len, c->cmsg_level, c->cmsg_type});
    if (c->cmsg_len < CMSG_LEN(0)) break;
    const size_t payload = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      for (size_t i = 0; i + sizeof(int) <= payload; i += sizeof(int)) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i, sizeof fd);
        r.fds.push_back(fd);
      }
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
               payload >= sizeof(ucred)) {
      ucred u;
      std::memcpy(&u, CMSG_DATA(c), sizeof u);
      r.credentials.push_back(u);
    }
  }
  return r;
}

Received ReceivePlain(ipc::UnixSocket& socket, size_t data_capacity,
                      int flags) {
  Received r;
  std::vector<char> data(std::max<size_t>(data_capacity, 1));
  r.result =
      socket.TryReceive(Into(data.data(), data_capacity), flags, &r.msg_flags);
  if (r.result < 0) {
    r.error = errno;
    return r;
  }
  r.data.assign(data.data(),
                std::min<size_t>(static_cast<size_t>(r.result), data_capacity));
  return r;
}

Received ReceiveMessage(ipc::UnixSocket& socket, size_t data_capacity,
                        size_t max_fds, bool credentials, int flags) {
  Received r;
  std::vector<char> data(std::max<size_t>(data_capacity, 1));
  ipc::UnixMessage m;
  try {
    m = socket.ReceiveWithControl(Into(data.data(), data_capacity), max_fds,
                                  credentials, flags);
  } catch (const std::system_error& e) {
    r.error = e.code().value();
    return r;
  }
  r.result = static_cast<ssize_t>(m.bytes);
  r.data.assign(data.data(), std::min(m.bytes, data_capacity));
  r.msg_flags = m.msg_flags;
  for (ipc::UniqueFd& fd : m.fds) r.fds.push_back(fd.Release());
  if (m.credentials) r.credentials.push_back(*m.credentials);
  return r;
}

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

int CountOpenFds() {
  return static_cast<int>(ListDirectoryOrThrow("/proc/self/fd").size()) - 1;
}

short PollFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? p.revents : 0;
}

std::vector<std::string> ProcNetUnixPaths() {
  // Columns: Num RefCount Protocol Flags Type St Inode [Path].
  std::istringstream in(ReadFileOrThrow("/proc/net/unix"));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> paths;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 7 && fields >> field; ++i) {
    }
    std::string path;
    if (fields >> path) paths.push_back(path);
  }
  return paths;
}

std::string FdInfoField(pid_t pid, int fd, const std::string& key) {
  std::istringstream in(ReadFileOrThrow("/proc/" + std::to_string(pid) +
                                        "/fdinfo/" + std::to_string(fd)));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

}  // namespace ipcproof

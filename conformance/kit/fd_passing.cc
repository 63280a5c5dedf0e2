#include "conformance/kit/fd_passing.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace ipcproof {
namespace {

// One byte of payload with room for one descriptor of ancillary data, on
// the stack (no allocation: async-signal-safe).
struct FdMessage {
  char byte = 'F';
  iovec iov{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};

  FdMessage() {
    iov.iov_base = &byte;
    iov.iov_len = 1;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

bool SendFd(int socket, int fd) {
  FdMessage message;
  cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(rights), &fd, sizeof(int));
  return ::sendmsg(socket, &message.header, 0) == 1;
}

int ReceiveFd(int socket) {
  FdMessage message;
  const ssize_t n = ::recvmsg(socket, &message.header, MSG_CMSG_CLOEXEC);
  if (n < 0) return -1;
  const cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  if (n == 0 || rights == nullptr || rights->cmsg_level != SOL_SOCKET ||
      rights->cmsg_type != SCM_RIGHTS) {
    errno = 0;  // end of file, or a message without a descriptor
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(rights), sizeof(int));
  return fd;
}

}  // namespace ipcproof

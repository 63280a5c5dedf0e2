// Passing a descriptor to another process over a Unix-domain socket
// (unix(7) SCM_RIGHTS): the receiver gets a new descriptor onto the same
// open file description, whatever its kinship with the sender.
#ifndef CONFORMANCE_KIT_FD_PASSING_H_
#define CONFORMANCE_KIT_FD_PASSING_H_

namespace ipcproof {

// Sends `fd` as SCM_RIGHTS ancillary data with one byte of payload (a
// stream socket delivers no ancillary data without a byte to carry it);
// false when sendmsg(2) fails, with errno set. Async-signal-safe: for
// forked children too.
bool SendFd(int socket, int fd);

// Receives one descriptor sent by SendFd, close-on-exec
// (MSG_CMSG_CLOEXEC); -1 when recvmsg(2) fails (errno set), or at end of
// file or when the message carries no SCM_RIGHTS descriptor (errno 0). The
// caller owns the descriptor. Blocks like recvmsg(2) on a blocking socket.
// Async-signal-safe.
int ReceiveFd(int socket);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_FD_PASSING_H_

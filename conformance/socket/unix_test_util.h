// Test-only helpers for the Unix-domain socket tests of this folder: making
// socket pairs and names, sending and receiving ancillary data with a
// control buffer of an exact size, and counting this process's descriptors.
//
// Sending goes through ipc::UnixSocket. Receiving with a control buffer of
// an exact size stays on raw recvmsg(2) on purpose: the tests pin what the
// kernel does with odd control buffers (too short, header only, missing),
// which the wrapper rightly sizes itself.
#ifndef CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_
#define CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/unique_fd.h"
#include "ipc/unix_socket.h"

namespace ipcproof {

// "SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET".
std::string SocketTypeName(int type);

// The bytes of `s`, for the ipc::UnixSocket send calls.
inline std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}
// `n` bytes at `p`, for the ipc::UnixSocket receive calls.
inline std::span<std::byte> Into(void* p, size_t n) {
  return std::span(static_cast<std::byte*>(p), n);
}

// An abstract name no other test run uses: "ipcproof-<pid>-<stem>-<n>".
std::string UniqueAbstractName(const std::string& stem);

// ipc::UnixSocket::TrySendFds of `data` with one SCM_RIGHTS message
// carrying `fds` (1..SCM_MAX_FD of them). Returns sendmsg's result; errno as
// it left it.
ssize_t SendWithRights(ipc::UnixSocket& socket, const std::vector<int>& fds,
                       const std::string& data, int flags = 0);

// sendmsg(2) of one SCM_RIGHTS message on the raw descriptor, for counts
// ipc::UnixSocket refuses before the kernel sees them (over SCM_MAX_FD).
ssize_t SendRawRights(int socket, const std::vector<int>& fds,
                      const std::string& data);

// ipc::UnixSocket::TrySendCredentials of `data` with `creds`.
ssize_t SendWithCredentials(ipc::UnixSocket& socket, const ucred& creds,
                            const std::string& data);

// What one recvmsg(2) returned.
struct Received {
  ssize_t result = -1;  // recvmsg's return value
  int error = 0;        // errno when result == -1
  std::string data;     // the bytes received (result of them)
  int msg_flags = 0;
  size_t controllen = 0;           // msg_controllen after the call
  std::vector<int> fds;            // SCM_RIGHTS descriptors (caller owns)
  std::vector<ucred> credentials;  // SCM_CREDENTIALS payloads (whole ones)
  // Each control message's header as received (a truncated one included).
  struct Header {
    size_t len;
    int level;
    int type;
  };
  std::vector<Header> headers;
  // First bytes of a truncated SCM_CREDENTIALS payload (pid), if any.
  std::vector<char> raw_control;
};

// recvmsg(2) into a buffer of `data_capacity` bytes and a control buffer of
// exactly `control_capacity` bytes (0: msg_control is NULL). Parses what
// came back; never blocks longer than the socket does (pass MSG_DONTWAIT in
// `flags` after proving arrival).
Received ReceiveWithControl(int socket, size_t data_capacity,
                            size_t control_capacity, int flags = 0);

// ipc::UnixSocket::TryReceive into `data_capacity` bytes, no control
// buffer, reported like ReceiveWithControl (result, error, data, msg_flags).
Received ReceivePlain(ipc::UnixSocket& socket, size_t data_capacity, int flags);

// ipc::UnixSocket::ReceiveWithControl (room for `max_fds` descriptors and,
// if asked, credentials; the wrapper sizes the control buffer), reported
// like ReceiveWithControl; the descriptors are released to the caller. A
// failed recvmsg gives result -1 and its errno.
Received ReceiveMessage(ipc::UnixSocket& socket, size_t data_capacity,
                        size_t max_fds, bool credentials, int flags);

// Closes every descriptor in `fds`.
void CloseAll(const std::vector<int>& fds);

// How many descriptors this process has open (entries of /proc/self/fd,
// minus the one the listing itself uses).
int CountOpenFds();

// poll(2) for `events` on `fd` for at most `timeout_ms`; the revents, or 0
// on timeout.
short PollFor(int fd, short events, int timeout_ms);

// /proc/net/unix's Path column, one per socket that has a name ("@name" for
// an abstract one, with NULs inside the name shown as '@').
std::vector<std::string> ProcNetUnixPaths();

// The value of field `key` ("pos", "flags", "ino") in /proc/PID/fdinfo/FD,
// or "" when absent.
std::string FdInfoField(pid_t pid, int fd, const std::string& key);

}  // namespace ipcproof

#endif  // CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_

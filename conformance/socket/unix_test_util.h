// Test-only helpers for the Unix-domain socket tests of this folder: making
// socket pairs and names, sending and receiving ancillary data with a
// control buffer of an exact size, and counting this process's descriptors.
//
// They use raw syscalls on purpose: the tests pin what the kernel does with
// odd control buffers (too short, unaligned, missing), which an owning
// wrapper rightly refuses to build.
#ifndef CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_
#define CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <string>
#include <vector>

#include "ipc/unique_fd.h"

namespace ipcproof {

// Two connected ends of socketpair(AF_UNIX, type | SOCK_CLOEXEC).
struct UnixPair {
  ipc::UniqueFd first;
  ipc::UniqueFd second;
};

// Throws std::system_error when socketpair(2) fails.
UnixPair MakeUnixPair(int type);

// "SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET".
std::string SocketTypeName(int type);

// A sockaddr_un for a filesystem path, or for an abstract name (unix(7):
// "sun_path[0] is a null byte ('\0')"; the name is the bytes after it, and
// its length is what `length` says, so no terminating NUL is part of it).
struct UnixAddress {
  sockaddr_un addr{};
  socklen_t length = 0;
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&addr);
  }
};
UnixAddress PathAddress(const std::string& path);
UnixAddress AbstractAddress(const std::string& name);

// An abstract name no other test run uses: "ipcproof-<pid>-<stem>-<n>".
std::string UniqueAbstractName(const std::string& stem);

// sendmsg(2) of `data` with one SCM_RIGHTS message carrying `fds` (none if
// empty). Returns sendmsg's result; errno as it left it.
ssize_t SendWithRights(int socket, const std::vector<int>& fds,
                       const std::string& data, int flags = 0);

// sendmsg(2) of `data` with an SCM_CREDENTIALS message carrying `creds`.
ssize_t SendWithCredentials(int socket, const ucred& creds,
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

// Closes every descriptor in `fds`.
void CloseAll(const std::vector<int>& fds);

// How many descriptors this process has open (entries of /proc/self/fd,
// minus the one the listing itself uses).
int CountOpenFds();

// poll(2) for `events` on `fd` for at most `timeout_ms`; the revents, or 0
// on timeout.
short PollFor(int fd, short events, int timeout_ms);

// The entries of directory `dir`, sorted (without "." and "..").
std::vector<std::string> ListDirectory(const std::string& dir);

// /proc/net/unix's Path column, one per socket that has a name ("@name" for
// an abstract one, with NULs inside the name shown as '@').
std::vector<std::string> ProcNetUnixPaths();

// The value of field `key` ("pos", "flags", "ino") in /proc/PID/fdinfo/FD,
// or "" when absent.
std::string FdInfoField(pid_t pid, int fd, const std::string& key);

}  // namespace ipcproof

#endif  // CONFORMANCE_SOCKET_UNIX_TEST_UTIL_H_

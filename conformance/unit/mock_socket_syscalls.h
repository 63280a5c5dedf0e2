// A GoogleMock implementation of ipc::SocketSyscalls
// (ipc/socket_syscalls.h), for fault injection into ipc::UnixSocket and
// ipc::TcpSocket: make sendmsg fail EINTR or send short, recvmsg hand back
// control messages (descriptors, credentials) and MSG_CTRUNC, getsockopt
// return a short option.
#ifndef CONFORMANCE_UNIT_MOCK_SOCKET_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SOCKET_SYSCALLS_H_

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/socket_syscalls.h"

namespace ipcproof::unit {

class MockSocketSyscalls : public ipc::SocketSyscalls {
 public:
  MockSocketSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Socket).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Socketpair).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Bind).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Listen).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Accept4).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Connect).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Sendmsg)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
    ON_CALL(*this, Recvmsg)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, ssize_t{-1}));
    ON_CALL(*this, Getsockopt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Setsockopt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Shutdown).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Getsockname).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Getpeername).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, Socket, (int domain, int type, int protocol), (override));
  // `int sv[2]` in the interface; the parameter is an int* either way.
  MOCK_METHOD(int, Socketpair, (int domain, int type, int protocol, int* sv),
              (override));
  MOCK_METHOD(int, Bind, (int fd, const sockaddr* address, socklen_t length),
              (override));
  MOCK_METHOD(int, Listen, (int fd, int backlog), (override));
  MOCK_METHOD(int, Accept4,
              (int fd, sockaddr* address, socklen_t* length, int flags),
              (override));
  MOCK_METHOD(int, Connect, (int fd, const sockaddr* address, socklen_t length),
              (override));
  MOCK_METHOD(ssize_t, Sendmsg, (int fd, const msghdr* message, int flags),
              (override));
  MOCK_METHOD(ssize_t, Recvmsg, (int fd, msghdr* message, int flags),
              (override));
  MOCK_METHOD(int, Getsockopt,
              (int fd, int level, int name, void* value, socklen_t* length),
              (override));
  MOCK_METHOD(int, Setsockopt,
              (int fd, int level, int name, const void* value,
               socklen_t length),
              (override));
  MOCK_METHOD(int, Shutdown, (int fd, int how), (override));
  MOCK_METHOD(int, Getsockname, (int fd, sockaddr* address, socklen_t* length),
              (override));
  MOCK_METHOD(int, Getpeername, (int fd, sockaddr* address, socklen_t* length),
              (override));
};

using MockedSocketSyscallsTest = MockedSeamTest<MockSocketSyscalls>;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SOCKET_SYSCALLS_H_

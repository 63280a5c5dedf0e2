// A GoogleMock implementation of ipc::TerminalSyscalls
// (ipc/terminal_syscalls.h), for fault injection into ipc::PseudoTerminal,
// ipc::BecomeForegroundOn and the termios helpers: make grantpt, setsid or
// tcsetpgrp fail and check what is closed and what the caller is told.
#ifndef CONFORMANCE_UNIT_MOCK_TERMINAL_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_TERMINAL_SYSCALLS_H_

#include <errno.h>
#include <sys/types.h>
#include <termios.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/terminal_syscalls.h"

namespace ipcproof::unit {

class MockTerminalSyscalls : public ipc::TerminalSyscalls {
 public:
  MockTerminalSyscalls() {
    using ::testing::Return;
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, PosixOpenpt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Grantpt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Unlockpt).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    // ptsname_r returns the error number itself (ptsname(3)).
    ON_CALL(*this, PtsnameR).WillByDefault(Return(ENOSYS));
    ON_CALL(*this, Setsid).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Tcsetpgrp).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Tcgetpgrp).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Tcgetattr).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Tcsetattr).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Dup2).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, PosixOpenpt, (int flags), (override));
  MOCK_METHOD(int, Grantpt, (int master_fd), (override));
  MOCK_METHOD(int, Unlockpt, (int master_fd), (override));
  MOCK_METHOD(int, PtsnameR, (int master_fd, char* buf, size_t size),
              (override));
  MOCK_METHOD(pid_t, Setsid, (), (override));
  MOCK_METHOD(int, Tcsetpgrp, (int fd, pid_t pgrp), (override));
  MOCK_METHOD(pid_t, Tcgetpgrp, (int fd), (override));
  MOCK_METHOD(int, Tcgetattr, (int fd, termios* attributes), (override));
  MOCK_METHOD(int, Tcsetattr,
              (int fd, int optional_actions, const termios* attributes),
              (override));
  MOCK_METHOD(int, Dup2, (int old_fd, int new_fd), (override));
};

using MockedTerminalSyscallsTest = MockedSeamTest<MockTerminalSyscalls>;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_TERMINAL_SYSCALLS_H_

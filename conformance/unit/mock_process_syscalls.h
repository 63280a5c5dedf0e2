// A GoogleMock implementation of ipc::ProcessSyscalls
// (ipc/process_syscalls.h), for fault injection into ipc::ChildProcess.
#ifndef CONFORMANCE_UNIT_MOCK_PROCESS_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_PROCESS_SYSCALLS_H_

#include <errno.h>
#include <sys/types.h>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/process_syscalls.h"

namespace ipcproof::unit {

class MockProcessSyscalls : public ipc::ProcessSyscalls {
 public:
  MockProcessSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Fork).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Waitpid).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Kill).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  // Never make Fork return 0: the wrapper would run the child's path (and
  // _exit) in the test process.
  MOCK_METHOD(pid_t, Fork, (), (override));
  MOCK_METHOD(pid_t, Waitpid, (pid_t pid, int* status, int options),
              (override));
  MOCK_METHOD(int, Kill, (pid_t pid, int signal), (override));
};

using MockedProcessSyscallsTest = MockedSeamTest<MockProcessSyscalls>;

// A pid the mock hands out: above PID_MAX_LIMIT (2^22, the largest
// /proc/sys/kernel/pid_max can be), so no process can have it, and a call
// that escaped the mock would get ESRCH or ECHILD instead of signalling or
// reaping a real process.
inline constexpr pid_t kFakePid = 1 << 30;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_PROCESS_SYSCALLS_H_

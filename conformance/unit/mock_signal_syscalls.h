// A GoogleMock implementation of ipc::SignalSyscalls
// (ipc/signal_syscalls.h), for fault injection into ipc::Signalfd,
// ipc::QueueSignal and ipc::Pidfd: make pidfd_open answer ENOSYS as a
// kernel before 5.3 would, poll fail EINTR, waitid report no change.
#ifndef CONFORMANCE_UNIT_MOCK_SIGNAL_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SIGNAL_SYSCALLS_H_

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/signal_syscalls.h"

namespace ipcproof::unit {

class MockSignalSyscalls : public ipc::SignalSyscalls {
 public:
  MockSignalSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Signalfd).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, RtSigqueueinfo).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, PidfdOpen).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, PidfdSendSignal)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, PidfdGetfd).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Waitid).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Poll).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, Signalfd, (int fd, const sigset_t* mask, int flags),
              (override));
  MOCK_METHOD(int, RtSigqueueinfo, (pid_t tgid, int sig, siginfo_t* info),
              (override));
  MOCK_METHOD(int, PidfdOpen, (pid_t pid, unsigned flags), (override));
  MOCK_METHOD(int, PidfdSendSignal,
              (int pidfd, int sig, siginfo_t* info, unsigned flags),
              (override));
  MOCK_METHOD(int, PidfdGetfd, (int pidfd, int target_fd, unsigned flags),
              (override));
  MOCK_METHOD(int, Waitid,
              (idtype_t idtype, id_t id, siginfo_t* info, int options),
              (override));
  MOCK_METHOD(int, Poll, (pollfd * fds, nfds_t nfds, int timeout_ms),
              (override));
};

using MockedSignalSyscallsTest = MockedSeamTest<MockSignalSyscalls>;

// A pid the mock hands to the wrappers: above the kernel's PID_MAX_LIMIT
// (4194304), so no live process has it should a call ever escape the mock.
inline constexpr pid_t kFakePid = 4194305;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SIGNAL_SYSCALLS_H_

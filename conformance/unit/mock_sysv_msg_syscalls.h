// A GoogleMock implementation of ipc::SysvMsgSyscalls
// (ipc/sysv_msg_syscalls.h), for fault injection into ipc::SysvMessageQueue.
#ifndef CONFORMANCE_UNIT_MOCK_SYSV_MSG_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_SYSV_MSG_SYSCALLS_H_

#include <errno.h>
#include <sys/msg.h>
#include <sys/types.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/sysv_msg_syscalls.h"

namespace ipcproof::unit {

class MockSysvMsgSyscalls : public ipc::SysvMsgSyscalls {
 public:
  MockSysvMsgSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, Msgget).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Msgsnd).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Msgrcv).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, Msgctl).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(int, Msgget, (key_t key, int flags), (override));
  MOCK_METHOD(int, Msgsnd, (int id, const void* msgp, size_t size, int flags),
              (override));
  MOCK_METHOD(ssize_t, Msgrcv,
              (int id, void* msgp, size_t size, long type, int flags),
              (override));
  MOCK_METHOD(int, Msgctl, (int id, int cmd, msqid_ds* buf), (override));
};

using MockedSysvMsgSyscallsTest = MockedSeamTest<MockSysvMsgSyscalls>;

// A queue id the mock hands out. Ids are (seq << 15) | index with index
// below IPCMNI (32768) and seq small: the kernel would answer EINVAL for
// this one if a call ever escaped the mock.
inline constexpr int kFakeQueueId = 0x7ffffff0;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_SYSV_MSG_SYSCALLS_H_

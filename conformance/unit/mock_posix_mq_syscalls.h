// A GoogleMock implementation of ipc::PosixMqSyscalls
// (ipc/posix_mq_syscalls.h), for fault injection into
// ipc::PosixMessageQueue.
#ifndef CONFORMANCE_UNIT_MOCK_POSIX_MQ_SYSCALLS_H_
#define CONFORMANCE_UNIT_MOCK_POSIX_MQ_SYSCALLS_H_

#include <errno.h>
#include <mqueue.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "ipc/posix_mq_syscalls.h"

namespace ipcproof::unit {

class MockPosixMqSyscalls : public ipc::PosixMqSyscalls {
 public:
  MockPosixMqSyscalls() {
    using ::testing::SetErrnoAndReturn;
    ON_CALL(*this, MqOpen)
        .WillByDefault(SetErrnoAndReturn(ENOSYS, static_cast<mqd_t>(-1)));
    ON_CALL(*this, MqClose).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqUnlink).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqGetattr).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqSetattr).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqSend).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqTimedsend).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqReceive).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqTimedreceive).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
    ON_CALL(*this, MqNotify).WillByDefault(SetErrnoAndReturn(ENOSYS, -1));
  }

  MOCK_METHOD(mqd_t, MqOpen,
              (const char* name, int flags, mode_t mode, mq_attr* attr),
              (override));
  MOCK_METHOD(int, MqClose, (mqd_t mqd), (override));
  MOCK_METHOD(int, MqUnlink, (const char* name), (override));
  MOCK_METHOD(int, MqGetattr, (mqd_t mqd, mq_attr* attr), (override));
  MOCK_METHOD(int, MqSetattr, (mqd_t mqd, const mq_attr* attr, mq_attr* old),
              (override));
  MOCK_METHOD(int, MqSend,
              (mqd_t mqd, const char* data, size_t size, unsigned priority),
              (override));
  MOCK_METHOD(int, MqTimedsend,
              (mqd_t mqd, const char* data, size_t size, unsigned priority,
               const timespec* deadline),
              (override));
  MOCK_METHOD(ssize_t, MqReceive,
              (mqd_t mqd, char* buffer, size_t size, unsigned* priority),
              (override));
  MOCK_METHOD(ssize_t, MqTimedreceive,
              (mqd_t mqd, char* buffer, size_t size, unsigned* priority,
               const timespec* deadline),
              (override));
  MOCK_METHOD(int, MqNotify, (mqd_t mqd, const sigevent* event), (override));
};

using MockedPosixMqSyscallsTest = MockedSeamTest<MockPosixMqSyscalls>;

// A queue descriptor the mock hands out (a POSIX queue descriptor is a file
// descriptor on Linux): far above anything open, so a call that escaped the
// mock would fail EBADF.
inline constexpr mqd_t kFakeMqd = 1003;

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_MOCK_POSIX_MQ_SYSCALLS_H_

#include "ipc/posix_mq_syscalls.h"

namespace ipc {
namespace {

class KernelPosixMqSyscalls final : public PosixMqSyscalls {
 public:
  mqd_t MqOpen(const char* name, int flags, mode_t mode,
               mq_attr* attr) override {
    return ::mq_open(name, flags, mode, attr);
  }
  int MqClose(mqd_t mqd) override { return ::mq_close(mqd); }
  int MqUnlink(const char* name) override { return ::mq_unlink(name); }
  int MqGetattr(mqd_t mqd, mq_attr* attr) override {
    return ::mq_getattr(mqd, attr);
  }
  int MqSetattr(mqd_t mqd, const mq_attr* attr, mq_attr* old) override {
    return ::mq_setattr(mqd, attr, old);
  }
  int MqSend(mqd_t mqd, const char* data, size_t size,
             unsigned priority) override {
    return ::mq_send(mqd, data, size, priority);
  }
  int MqTimedsend(mqd_t mqd, const char* data, size_t size, unsigned priority,
                  const timespec* deadline) override {
    return ::mq_timedsend(mqd, data, size, priority, deadline);
  }
  ssize_t MqReceive(mqd_t mqd, char* buffer, size_t size,
                    unsigned* priority) override {
    return ::mq_receive(mqd, buffer, size, priority);
  }
  ssize_t MqTimedreceive(mqd_t mqd, char* buffer, size_t size,
                         unsigned* priority,
                         const timespec* deadline) override {
    return ::mq_timedreceive(mqd, buffer, size, priority, deadline);
  }
  int MqNotify(mqd_t mqd, const sigevent* event) override {
    return ::mq_notify(mqd, event);
  }
};

constinit KernelPosixMqSyscalls kernel;

}  // namespace

template <>
PosixMqSyscalls& Seam<PosixMqSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit PosixMqSyscalls* Seam<PosixMqSyscalls>::current_ = &kernel;

}  // namespace ipc

// The seam of the POSIX message-queue calls (rule: ipc/syscalls.h).
#ifndef IPC_POSIX_MQ_SYSCALLS_H_
#define IPC_POSIX_MQ_SYSCALLS_H_

#include <mqueue.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class PosixMqSyscalls : public Seam<PosixMqSyscalls> {
 public:
  virtual ~PosixMqSyscalls() = default;

  // mq_open(3) in its four-argument form; `mode` and `attr` only matter
  // with O_CREAT (`attr` nullptr: the defaults of mq_overview(7)).
  virtual mqd_t MqOpen(const char* name, int flags, mode_t mode,
                       mq_attr* attr) = 0;
  virtual int MqClose(mqd_t mqd) = 0;
  virtual int MqUnlink(const char* name) = 0;
  virtual int MqGetattr(mqd_t mqd, mq_attr* attr) = 0;
  virtual int MqSetattr(mqd_t mqd, const mq_attr* attr, mq_attr* old) = 0;
  virtual int MqSend(mqd_t mqd, const char* data, size_t size,
                     unsigned priority) = 0;
  virtual int MqTimedsend(mqd_t mqd, const char* data, size_t size,
                          unsigned priority, const timespec* deadline) = 0;
  virtual ssize_t MqReceive(mqd_t mqd, char* buffer, size_t size,
                            unsigned* priority) = 0;
  virtual ssize_t MqTimedreceive(mqd_t mqd, char* buffer, size_t size,
                                 unsigned* priority,
                                 const timespec* deadline) = 0;
  virtual int MqNotify(mqd_t mqd, const sigevent* event) = 0;
};

template <>
PosixMqSyscalls& Seam<PosixMqSyscalls>::Kernel();
template <>
PosixMqSyscalls* Seam<PosixMqSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_POSIX_MQ_SYSCALLS_H_

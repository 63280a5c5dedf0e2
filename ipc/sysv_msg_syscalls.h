// The seam of the System V message-queue calls (rule: ipc/syscalls.h).
#ifndef IPC_SYSV_MSG_SYSCALLS_H_
#define IPC_SYSV_MSG_SYSCALLS_H_

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class SysvMsgSyscalls : public Seam<SysvMsgSyscalls> {
 public:
  virtual ~SysvMsgSyscalls() = default;

  virtual int Msgget(key_t key, int flags) = 0;
  // `msgp` points at a struct msgbuf (a long type, then the bytes); `size`
  // counts only the bytes (msgsnd(2), msgrcv(2)).
  virtual int Msgsnd(int id, const void* msgp, size_t size, int flags) = 0;
  virtual ssize_t Msgrcv(int id, void* msgp, size_t size, long type,
                         int flags) = 0;
  virtual int Msgctl(int id, int cmd, msqid_ds* buf) = 0;
};

template <>
SysvMsgSyscalls& Seam<SysvMsgSyscalls>::Kernel();
template <>
SysvMsgSyscalls* Seam<SysvMsgSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_SYSV_MSG_SYSCALLS_H_

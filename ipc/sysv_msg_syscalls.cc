#include "ipc/sysv_msg_syscalls.h"

namespace ipc {
namespace {

class KernelSysvMsgSyscalls final : public SysvMsgSyscalls {
 public:
  int Msgget(key_t key, int flags) override { return ::msgget(key, flags); }
  int Msgsnd(int id, const void* msgp, size_t size, int flags) override {
    return ::msgsnd(id, msgp, size, flags);
  }
  ssize_t Msgrcv(int id, void* msgp, size_t size, long type,
                 int flags) override {
    return ::msgrcv(id, msgp, size, type, flags);
  }
  int Msgctl(int id, int cmd, msqid_ds* buf) override {
    return ::msgctl(id, cmd, buf);
  }
};

constinit KernelSysvMsgSyscalls kernel;

}  // namespace

template <>
SysvMsgSyscalls& Seam<SysvMsgSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit SysvMsgSyscalls* Seam<SysvMsgSyscalls>::current_ = &kernel;

}  // namespace ipc

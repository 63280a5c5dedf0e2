// The seam of the process calls ChildProcess makes in the parent (rule:
// ipc/syscalls.h; the calls of the forked child before its body runs stay
// direct).
#ifndef IPC_PROCESS_SYSCALLS_H_
#define IPC_PROCESS_SYSCALLS_H_

#include <sys/types.h>

#include "ipc/syscalls.h"

namespace ipc {

class ProcessSyscalls : public Seam<ProcessSyscalls> {
 public:
  virtual ~ProcessSyscalls() = default;

  virtual pid_t Fork() = 0;
  virtual pid_t Waitpid(pid_t pid, int* status, int options) = 0;
  virtual int Kill(pid_t pid, int signal) = 0;
};

template <>
ProcessSyscalls& Seam<ProcessSyscalls>::Kernel();
template <>
ProcessSyscalls* Seam<ProcessSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_PROCESS_SYSCALLS_H_

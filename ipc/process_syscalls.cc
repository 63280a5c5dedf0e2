#include "ipc/process_syscalls.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ipc {
namespace {

class KernelProcessSyscalls final : public ProcessSyscalls {
 public:
  pid_t Fork() override { return ::fork(); }
  pid_t Waitpid(pid_t pid, int* status, int options) override {
    return ::waitpid(pid, status, options);
  }
  int Kill(pid_t pid, int signal) override { return ::kill(pid, signal); }
};

constinit KernelProcessSyscalls kernel;

}  // namespace

template <>
ProcessSyscalls& Seam<ProcessSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit ProcessSyscalls* Seam<ProcessSyscalls>::current_ = &kernel;

}  // namespace ipc

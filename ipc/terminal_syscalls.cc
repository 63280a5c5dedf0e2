#include "ipc/terminal_syscalls.h"

#include <stdlib.h>
#include <unistd.h>

namespace ipc {
namespace {

class KernelTerminalSyscalls final : public TerminalSyscalls {
 public:
  int PosixOpenpt(int flags) override { return ::posix_openpt(flags); }
  int Grantpt(int master_fd) override { return ::grantpt(master_fd); }
  int Unlockpt(int master_fd) override { return ::unlockpt(master_fd); }
  int PtsnameR(int master_fd, char* buf, size_t size) override {
    return ::ptsname_r(master_fd, buf, size);
  }
  pid_t Setsid() override { return ::setsid(); }
  int Tcsetpgrp(int fd, pid_t pgrp) override { return ::tcsetpgrp(fd, pgrp); }
  pid_t Tcgetpgrp(int fd) override { return ::tcgetpgrp(fd); }
  int Tcgetattr(int fd, termios* attributes) override {
    return ::tcgetattr(fd, attributes);
  }
  int Tcsetattr(int fd, int optional_actions,
                const termios* attributes) override {
    return ::tcsetattr(fd, optional_actions, attributes);
  }
  int Dup2(int old_fd, int new_fd) override { return ::dup2(old_fd, new_fd); }
};

constinit KernelTerminalSyscalls kernel;

}  // namespace

template <>
TerminalSyscalls& Seam<TerminalSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit TerminalSyscalls* Seam<TerminalSyscalls>::current_ = &kernel;

}  // namespace ipc

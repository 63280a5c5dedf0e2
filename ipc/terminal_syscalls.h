// The seam of the pseudo-terminal and controlling-terminal calls (rule:
// ipc/syscalls.h), with libc's signatures and convention: -1 with errno set,
// except ptsname_r, which returns the error number itself (ptsname(3)).
// open(2), close(2) and ioctl(2) (TIOCSCTTY) go through FdSyscalls.
#ifndef IPC_TERMINAL_SYSCALLS_H_
#define IPC_TERMINAL_SYSCALLS_H_

#include <sys/types.h>
#include <termios.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

class TerminalSyscalls : public Seam<TerminalSyscalls> {
 public:
  virtual ~TerminalSyscalls() = default;

  // posix_openpt(3): open("/dev/ptmx", flags) on Linux.
  virtual int PosixOpenpt(int flags) = 0;
  virtual int Grantpt(int master_fd) = 0;
  virtual int Unlockpt(int master_fd) = 0;
  // Returns 0 or an error number (ERANGE: `size` too small), not -1.
  virtual int PtsnameR(int master_fd, char* buf, size_t size) = 0;
  // setsid(2): the new session's id (= the caller's pid and pgid), or -1.
  virtual pid_t Setsid() = 0;
  virtual int Tcsetpgrp(int fd, pid_t pgrp) = 0;
  virtual pid_t Tcgetpgrp(int fd) = 0;
  virtual int Tcgetattr(int fd, termios* attributes) = 0;
  virtual int Tcsetattr(int fd, int optional_actions,
                        const termios* attributes) = 0;
  // dup2(2). No seam had it yet; the terminal code is the first to need it
  // (a child moves its terminal onto descriptors 0, 1 and 2).
  virtual int Dup2(int old_fd, int new_fd) = 0;
};

template <>
TerminalSyscalls& Seam<TerminalSyscalls>::Kernel();
template <>
TerminalSyscalls* Seam<TerminalSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_TERMINAL_SYSCALLS_H_

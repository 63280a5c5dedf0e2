#include "ipc/pseudo_terminal.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"
#include "ipc/terminal_syscalls.h"

namespace ipc {
namespace {

std::string Call(const char* call, int fd) {
  return std::string(call) + "(fd=" + std::to_string(fd) + ")";
}

}  // namespace

PseudoTerminal PseudoTerminal::Open() {
  TerminalSyscalls& sys = TerminalSyscalls::Current();
  const int fd = sys.PosixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC)");
  UniqueFd master(fd);  // closed if a later step throws
  // grantpt(3) is kept although Linux's devpts already gives the replica
  // the caller's uid: POSIX requires it before unlockpt, and glibc's checks
  // that `fd` is a master (EINVAL otherwise).
  if (sys.Grantpt(fd) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("grantpt", fd));
  }
  if (sys.Unlockpt(fd) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("unlockpt", fd));
  }
  char path[128];
  const int err = sys.PtsnameR(fd, path, sizeof path);
  if (err != 0) ThrowSystemError(err, Call("ptsname_r", fd));
  if (::strnlen(path, sizeof path) == sizeof path) {
    ThrowSystemError(ERANGE, Call("ptsname_r", fd) + " left no terminator");
  }
  return PseudoTerminal(std::move(master), std::string(path));
}

UniqueFd PseudoTerminal::OpenReplica(int flags) const {
  CheckArgument(!replica_path_.empty(), "PseudoTerminal::OpenReplica",
                "the pseudo-terminal was moved from");
  const int fd = FdSyscalls::Current().Open(replica_path_.c_str(), flags, 0);
  if (fd < 0) {
    const int err = errno;
    ThrowSystemError(err, "open(" + replica_path_ + ")");
  }
  return UniqueFd(fd);
}

int BecomeForegroundOn(const char* replica_path, int* replica_fd,
                       StandardStreams streams) {
  // Only seam calls below, each an async-signal-safe function, and no
  // allocation: this runs between fork and _exit or exec.
  if (replica_path == nullptr) return EINVAL;
  TerminalSyscalls& term = TerminalSyscalls::Current();
  FdSyscalls& fds = FdSyscalls::Current();

  const pid_t session = term.Setsid();
  if (session < 0) return errno;
  const int fd = fds.Open(replica_path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0) return errno;
  const auto fail = [&fds, fd](int err) {
    fds.Close(fd);
    return err;
  };
  // tty_ioctl(4): TIOCSCTTY "Make the given terminal the controlling
  // terminal of the calling process. The calling process must be a session
  // leader and not have a controlling terminal already"; argument 0: never
  // steal one that is another session's.
  if (fds.Ioctl(fd, TIOCSCTTY, nullptr) != 0) return fail(errno);
  if (term.Tcsetpgrp(fd, session) != 0) return fail(errno);
  if (streams == StandardStreams::kRedirect) {
    for (int target = 0; target <= 2; ++target) {
      if (target != fd && term.Dup2(fd, target) < 0) return fail(errno);
    }
    // The replica opened as 0, 1 or 2 itself (the child had closed it)
    // would still carry FD_CLOEXEC from the open: clear it, so an exec
    // keeps it as a standard stream.
    if (fd <= 2 && fds.Fcntl(fd, F_SETFD, 0) != 0) return fail(errno);
  }
  if (replica_fd != nullptr) {
    *replica_fd = fd;
  } else if (streams == StandardStreams::kKeep || fd > 2) {
    fds.Close(fd);
  }
  return 0;
}

termios TerminalAttributes(int fd) {
  termios attributes;
  std::memset(&attributes, 0, sizeof attributes);
  if (TerminalSyscalls::Current().Tcgetattr(fd, &attributes) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("tcgetattr", fd));
  }
  return attributes;
}

void SetTerminalAttributes(int fd, const termios& attributes, int when) {
  CheckArgument(when == TCSANOW || when == TCSADRAIN || when == TCSAFLUSH,
                "SetTerminalAttributes",
                "when must be TCSANOW, TCSADRAIN or TCSAFLUSH");
  if (TerminalSyscalls::Current().Tcsetattr(fd, when, &attributes) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("tcsetattr", fd));
  }
}

void ChangeLocalModes(int fd, tcflag_t set, tcflag_t clear) {
  CheckArgument((set & clear) == 0, "ChangeLocalModes",
                "set and clear name the same flag");
  termios attributes = TerminalAttributes(fd);
  attributes.c_lflag = (attributes.c_lflag | set) & ~clear;
  SetTerminalAttributes(fd, attributes, TCSANOW);
}

pid_t ForegroundProcessGroup(int fd) {
  const pid_t group = TerminalSyscalls::Current().Tcgetpgrp(fd);
  if (group < 0) {
    const int err = errno;
    ThrowSystemError(err, Call("tcgetpgrp", fd));
  }
  return group;
}

}  // namespace ipc

// A pseudo-terminal pair (pty(7)), and making a process the foreground
// process group of its controlling terminal, which is what lets a byte
// written to the master (the VINTR character, ^C = 0x03 by default) reach
// that process group as SIGINT: the line discipline's ISIG handling
// (termios(3): "When any of the characters INTR, QUIT, SUSP, or DSUSP are
// received, generate the corresponding signal"), not the shell's.
//
// Shape of a Ctrl+C test:
//   ipc::PseudoTerminal pty = ipc::PseudoTerminal::Open();
//   fork(); in the child:
//     int fd;
//     if (int err = ipc::BecomeForegroundOn(pty.replica_path().c_str(), &fd))
//       _exit(...);
//     read(fd, ...);  // blocks; SIGINT arrives here
//   in the parent: WaitUntilBlockedIn(child, SYS_read), then write
//   TerminalAttributes(pty.master()).c_cc[VINTR] to pty.master().
// Take replica_path().c_str() before fork: the child must not allocate.
#ifndef IPC_PSEUDO_TERMINAL_H_
#define IPC_PSEUDO_TERMINAL_H_

#include <fcntl.h>
#include <sys/types.h>
#include <termios.h>

#include <string>
#include <utility>

#include "ipc/unique_fd.h"

namespace ipc {

class PseudoTerminal {
 public:
  // posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), grantpt, unlockpt, then
  // ptsname_r for the replica's path (/dev/pts/N). O_NOCTTY: opening the
  // master must not make it the caller's controlling terminal (the test
  // process may be a session leader with none); O_CLOEXEC: a program a
  // child executes does not inherit it. Throws std::system_error naming the
  // failing call; a master opened before the failure is closed.
  static PseudoTerminal Open();

  PseudoTerminal(PseudoTerminal&&) noexcept = default;
  PseudoTerminal& operator=(PseudoTerminal&&) noexcept = default;
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;
  ~PseudoTerminal() = default;  // closes the master (UniqueFd)

  // The master side: what is written here is the terminal's input (the
  // line discipline of the replica processes it), what the replica's
  // processes write is read here. -1 once moved from or closed.
  int master() const { return master_.get(); }
  // "/dev/pts/N". Empty once moved from.
  const std::string& replica_path() const { return replica_path_; }

  // Opens the replica in this process (default O_RDWR | O_NOCTTY |
  // O_CLOEXEC: it does not become this process's controlling terminal).
  // Throws std::system_error naming open and the path.
  UniqueFd OpenReplica(int flags = O_RDWR | O_NOCTTY | O_CLOEXEC) const;

  // Closes the master now: the replica side then sees a hangup (its
  // session gets SIGHUP, reads return 0/EIO).
  void CloseMaster() { master_.Reset(); }

 private:
  PseudoTerminal(UniqueFd master, std::string replica_path)
      : master_(std::move(master)), replica_path_(std::move(replica_path)) {}

  UniqueFd master_;
  std::string replica_path_;
};

// Whether BecomeForegroundOn also moves the terminal onto descriptors 0, 1
// and 2 (for a program the child then executes).
enum class StandardStreams { kKeep, kRedirect };

// For a FORKED CHILD (only async-signal-safe calls; no allocation, no
// exception, errno is the only state it changes): makes the caller the
// leader of a new session whose controlling terminal is the replica at
// `replica_path`, and its process group the terminal's foreground group:
//   setsid()                  -> a new session and process group, no
//                                controlling terminal (EPERM if the caller
//                                already leads a process group: do not fork
//                                it with ChildProcess's new_process_group);
//   open(path, O_RDWR|O_NOCTTY|O_CLOEXEC), ioctl(TIOCSCTTY, 0)
//                             -> the replica becomes the controlling
//                                terminal, explicitly rather than by the
//                                open-without-O_NOCTTY side effect;
//   tcsetpgrp(fd, session id) -> foreground group = the caller's (the
//                                kernel already does so on TIOCSCTTY;
//                                stated, so a kernel that did not would
//                                show here);
//   dup2 onto 0, 1, 2         -> only with StandardStreams::kRedirect.
// Returns 0, or the errno of the first call that failed (the descriptor is
// then closed). On success `*replica_fd`, if non-null, receives the open
// replica (O_CLOEXEC; the caller owns it); if null, it is closed, and the
// replica stays the controlling terminal (a session attribute, not a
// descriptor's) but the child then has no descriptor on it unless
// redirected.
int BecomeForegroundOn(const char* replica_path, int* replica_fd = nullptr,
                       StandardStreams streams = StandardStreams::kKeep);

// tcgetattr(3) of a terminal descriptor (on a pty master: the replica's
// settings, which its line discipline applies). Throws std::system_error
// naming tcgetattr and the fd (ENOTTY: not a terminal).
termios TerminalAttributes(int fd);
// tcsetattr(3) with `when` = TCSANOW, TCSADRAIN or TCSAFLUSH. Throws
// std::system_error naming tcsetattr and the fd.
void SetTerminalAttributes(int fd, const termios& attributes,
                           int when = TCSANOW);
// Reads the attributes, sets the c_lflag bits in `set`, clears those in
// `clear`, writes them back (TCSANOW). E.g. ChangeLocalModes(master, 0,
// ISIG) makes ^C an ordinary byte; ISIG is on by default. Throws as the two
// above; `set` and `clear` must not overlap (std::invalid_argument).
void ChangeLocalModes(int fd, tcflag_t set, tcflag_t clear);
// tcgetpgrp(3): the terminal's foreground process group. Throws
// std::system_error naming tcgetpgrp (ENOTTY: not the caller's controlling
// terminal — except on a pty master, which answers for its replica).
pid_t ForegroundProcessGroup(int fd);

}  // namespace ipc

#endif  // IPC_PSEUDO_TERMINAL_H_

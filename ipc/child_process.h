// A forked child process that is always reaped.
//
// A ChildProcess that goes out of scope unreaped (a test failed half-way) is
// killed with SIGKILL and waited for, so no zombie is left; by default the
// child also gets PR_SET_PDEATHSIG, so it dies with its parent instead of
// living on as an orphan when the parent is killed.
#ifndef IPC_CHILD_PROCESS_H_
#define IPC_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace ipc {

// A decoded wait(2) status.
class WaitStatus {
 public:
  explicit WaitStatus(int raw) : raw_(raw) {}
  int raw() const { return raw_; }
  bool exited() const;
  int exit_code() const;  // only meaningful when exited()
  bool signaled() const;
  int term_signal() const;  // only meaningful when signaled()
  // True when the child called _exit(code).
  bool ExitedWith(int code) const { return exited() && exit_code() == code; }
  bool KilledBy(int signal) const {
    return signaled() && term_signal() == signal;
  }
  // "exited with status 3", "killed by signal 9 (Killed)".
  std::string ToString() const;

 private:
  int raw_;
};

struct ChildOptions {
  // PR_SET_PDEATHSIG(SIGKILL): the kernel kills the child when the thread
  // that forked it exits. The kernel clears this setting when the child
  // changes its credentials (setresuid etc.), so a body that switches uid
  // must call prctl(PR_SET_PDEATHSIG, SIGKILL) again afterwards.
  bool die_with_parent = true;
  // setpgid(0, 0): the child leads a new process group (job control tests).
  bool new_process_group = false;
};

class ChildProcess {
 public:
  // Exit code of a child whose body threw an exception.
  static constexpr int kBodyThrew = 125;

  // Forks; the child runs `body` and _exits with what it returns. If the
  // parent has other threads, `body` must do only async-signal-safe work
  // (signal-safety(7)): another thread may have held a lock at fork time.
  static ChildProcess Fork(const std::function<int()>& body,
                           ChildOptions options = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool reaped() const { return pid_ < 0; }

  // waitpid(2), retried after EINTR. Call once.
  WaitStatus Wait();
  // waitpid(WNOHANG): the status if the child has ended, nothing otherwise.
  std::optional<WaitStatus> TryWait();
  // kill(2).
  void Signal(int signal);
  // SIGKILL, then Wait().
  WaitStatus Kill();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  void KillAndReapQuietly() noexcept;

  pid_t pid_ = -1;
};

}  // namespace ipc

#endif  // IPC_CHILD_PROCESS_H_

#include "ipc/child_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ipc/error.h"
#include "ipc/process_syscalls.h"

namespace ipc {

bool WaitStatus::exited() const { return WIFEXITED(raw_); }
int WaitStatus::exit_code() const { return WEXITSTATUS(raw_); }
bool WaitStatus::signaled() const { return WIFSIGNALED(raw_); }
int WaitStatus::term_signal() const { return WTERMSIG(raw_); }

std::string WaitStatus::ToString() const {
  if (exited()) return "exited with status " + std::to_string(exit_code());
  if (signaled()) {
    std::string text = "killed by signal " + std::to_string(term_signal());
    if (const char* name = sigdescr_np(term_signal())) {
      text += " (" + std::string(name) + ")";
    }
    if (WCOREDUMP(raw_)) text += ", core dumped";
    return text;
  }
  if (WIFSTOPPED(raw_)) {
    return "stopped by signal " + std::to_string(WSTOPSIG(raw_));
  }
  return "wait status " + std::to_string(raw_);
}

ChildProcess ChildProcess::Fork(const std::function<int()>& body,
                                ChildOptions options) {
  CheckArgument(static_cast<bool>(body), "ChildProcess::Fork", "body is empty");
  const pid_t parent = ::getpid();
  const pid_t pid = ProcessSyscalls::Current().Fork();
  if (pid < 0) ThrowErrno("fork");
  if (pid > 0) return ChildProcess(pid);

  // In the child: only async-signal-safe calls until body() runs, made
  // directly (ipc/syscalls.h: a mocked fork never gets here).
  if (options.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(kBodyThrew);
    // The parent may have died between fork and prctl.
    if (::getppid() != parent) ::_exit(kBodyThrew);
  }
  if (options.new_process_group && ::setpgid(0, 0) != 0) ::_exit(kBodyThrew);
  int code = kBodyThrew;
  try {
    code = body();
  } catch (...) {
    code = kBodyThrew;
  }
  // _exit, not exit: the child must not run the parent's atexit handlers or
  // flush stdio buffers it inherited (they would be written twice).
  ::_exit(code);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReapQuietly();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReapQuietly(); }

void ChildProcess::KillAndReapQuietly() noexcept {
  if (pid_ < 0) return;
  ProcessSyscalls::Current().Kill(pid_, SIGKILL);
  while (ProcessSyscalls::Current().Waitpid(pid_, nullptr, 0) < 0 &&
         errno == EINTR) {
  }
  pid_ = -1;
}

WaitStatus ChildProcess::Wait() {
  CheckArgument(pid_ > 0, "ChildProcess::Wait", "child was already reaped");
  int status = 0;
  while (ProcessSyscalls::Current().Waitpid(pid_, &status, 0) < 0) {
    const int err = errno;
    if (err == EINTR) continue;
    // ECHILD: the child is not ours to wait for (SIGCHLD ignored reaps it),
    // so forget the pid rather than let the destructor kill a reused one.
    const pid_t pid = pid_;
    if (err == ECHILD) pid_ = -1;
    ThrowSystemError(err, "waitpid(" + std::to_string(pid) + ")");
  }
  pid_ = -1;
  return WaitStatus(status);
}

std::optional<WaitStatus> ChildProcess::TryWait() {
  CheckArgument(pid_ > 0, "ChildProcess::TryWait", "child was already reaped");
  int status = 0;
  const pid_t r = ProcessSyscalls::Current().Waitpid(pid_, &status, WNOHANG);
  if (r < 0) {
    const int err = errno;
    const pid_t pid = pid_;
    if (err == ECHILD) pid_ = -1;  // as in Wait()
    ThrowSystemError(err, "waitpid(" + std::to_string(pid) + ", WNOHANG)");
  }
  if (r == 0) return std::nullopt;
  pid_ = -1;
  return WaitStatus(status);
}

void ChildProcess::Signal(int signal) {
  CheckArgument(pid_ > 0, "ChildProcess::Signal", "child was already reaped");
  if (ProcessSyscalls::Current().Kill(pid_, signal) != 0) {
    const int err = errno;  // before the message allocates
    ThrowSystemError(err, "kill(" + std::to_string(pid_) + ", " +
                              std::to_string(signal) + ")");
  }
}

WaitStatus ChildProcess::Kill() {
  Signal(SIGKILL);
  return Wait();
}

}  // namespace ipc

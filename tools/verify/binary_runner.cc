#include "tools/verify/binary_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "tools/verify/interrupt.h"
#include "tools/verify/process_tree_kill.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using Clock = std::chrono::steady_clock;

// How often the loop looks at the child between chunks of output: a child
// that exits while a grandchild keeps the pipe open is noticed this late.
constexpr std::chrono::milliseconds kPollSlice{100};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Only async-signal-safe calls between fork and exec (argv was built before
// the fork), so this stays correct if verify ever starts a thread.
[[noreturn]] void ExecChild(pid_t parent, const char* path, char* const argv[],
                            int output, int exec_report) {
  ::setpgid(0, 0);
  // If verify itself is killed (SIGKILL cannot be caught), the binary goes
  // too instead of running on unobserved.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) {
    ::signal(signal, SIG_DFL);
  }
  const int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    if (null != STDIN_FILENO) ::close(null);
  }
  ::dup2(output, STDOUT_FILENO);
  ::dup2(output, STDERR_FILENO);
  ::execv(path, argv);
  const int error = errno;
  // The read end learns the errno; a closed (CLOEXEC) pipe means exec worked.
  [[maybe_unused]] ssize_t n = ::write(exec_report, &error, sizeof error);
  ::_exit(127);
}

// Reads what is in the pipe now; false at end of file.
bool ReadAvailable(int fd, const RunRequest& request) {
  std::array<char, 65536> buffer;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      if (request.on_output) {
        request.on_output(std::string_view(buffer.data(), n));
      }
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN: nothing more for now
  }
}

}  // namespace

RunEnd RunProgram(const RunRequest& request) {
  std::vector<std::string> words{request.path};
  words.insert(words.end(), request.args.begin(), request.args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  int output_fds[2];
  int report_fds[2];
  if (::pipe2(output_fds, O_CLOEXEC) != 0) {
    throw InfrastructureError(DescribeErrno("pipe2", errno));
  }
  Fd output_read(output_fds[0]), output_write(output_fds[1]);
  if (::pipe2(report_fds, O_CLOEXEC) != 0) {
    throw InfrastructureError(DescribeErrno("pipe2", errno));
  }
  Fd report_read(report_fds[0]), report_write(report_fds[1]);

  const auto started = Clock::now();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw InfrastructureError(DescribeErrno("fork", errno));
  if (pid == 0) {
    ExecChild(parent, request.path.c_str(), argv.data(), output_write.get(),
              report_write.get());
  }
  // Both sides set the group, so neither a kill nor the child's exec can
  // come first.
  ::setpgid(pid, pid);
  output_write.Close();
  report_write.Close();

  RunEnd end;
  auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - started).count();
  };
  int start_errno = 0;
  ssize_t got;
  do {
    got = ::read(report_read.get(), &start_errno, sizeof start_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof start_errno)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    end.how = RunEnd::How::kCannotStart;
    end.start_errno = start_errno;
    end.seconds = elapsed();
    return end;
  }

  ::fcntl(output_read.get(), F_SETFL, O_NONBLOCK);
  const auto deadline = started + request.bound;
  bool open = true;
  for (;;) {
    int status;
    const pid_t waited = ::waitpid(pid, &status, WNOHANG);
    if (waited == pid) {
      // What the program wrote before it exited is in the pipe; what a
      // leftover grandchild may write later is not waited for.
      if (open) ReadAvailable(output_read.get(), request);
      if (WIFSIGNALED(status)) {
        end.how = RunEnd::How::kSignaled;
        end.signal = WTERMSIG(status);
      } else {
        end.how = RunEnd::How::kExited;
        end.exit_code = WEXITSTATUS(status);
      }
      end.seconds = elapsed();
      return end;
    }
    if (const int signal = InterruptSignal(); signal != 0) {
      KillProcessTree(pid);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      end.how = RunEnd::How::kInterrupted;
      end.signal = signal;
      end.seconds = elapsed();
      return end;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      KillProcessTree(pid);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (open) ReadAvailable(output_read.get(), request);
      end.how = RunEnd::How::kTimedOut;
      end.seconds = elapsed();
      return end;
    }
    const auto wait = std::min<std::chrono::milliseconds>(
        kPollSlice,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
            std::chrono::milliseconds(1));
    if (open) {
      pollfd readable{output_read.get(), POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(wait.count())) > 0) {
        open = ReadAvailable(output_read.get(), request);
      }
    } else {
      ::poll(nullptr, 0, static_cast<int>(wait.count()));
    }
  }
}

std::string DescribeRunEnd(const RunEnd& end, const RunRequest& request) {
  switch (end.how) {
    case RunEnd::How::kExited:
      return "exited with status " + std::to_string(end.exit_code);
    case RunEnd::How::kSignaled: {
      const char* name = ::sigabbrev_np(end.signal);
      return std::string("crashed (killed by ") +
             (name != nullptr ? std::string("SIG") + name
                              : "signal " + std::to_string(end.signal)) +
             ")";
    }
    case RunEnd::How::kTimedOut:
      return "timed out after " +
             std::to_string(
                 std::chrono::duration_cast<std::chrono::seconds>(request.bound)
                     .count()) +
             " s";
    case RunEnd::How::kCannotStart:
      return "cannot start: " + ErrnoName(end.start_errno);
    case RunEnd::How::kInterrupted:
      return std::string("stopped: verify was interrupted (SIG") +
             (::sigabbrev_np(end.signal) != nullptr ? ::sigabbrev_np(end.signal)
                                                    : "?") +
             ")";
  }
  return "?";
}

}  // namespace ipcproof::verify

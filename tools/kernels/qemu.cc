#include "tools/kernels/qemu.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace ipcproof::kernels {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxStderr = 64 * 1024;
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// QEMU's option syntax ("key=value,key=value") doubles a comma inside a
// value.
std::string OptionValue(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    escaped += c;
    if (c == ',') escaped += ',';
  }
  return escaped;
}

std::system_error SystemError(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Reads what `fd` gained since `*offset`.
std::string ReadNew(int fd, off_t* offset) {
  std::string bytes;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = ::pread(fd, buffer, sizeof buffer, *offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    bytes.append(buffer, got);
    *offset += got;
  }
  return bytes;
}

void KillGroup(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

}  // namespace

std::string KernelCommandLine() {
  return "console=ttyS0 panic=-1 quiet loglevel=5";
}

std::vector<std::string> QemuCommandLine(const QemuConfig& config) {
  if (config.kernel_path.empty() || config.initrd_path.empty() ||
      config.console_log_path.empty() || config.results_path.empty()) {
    throw std::invalid_argument(
        "QEMU needs a kernel, an initramfs, a console log and a results file");
  }
  if (config.cpus < 1 || config.memory_mib < 64) {
    throw std::invalid_argument("QEMU wants at least 1 CPU and 64 MiB");
  }
  std::vector<std::string> argv = {config.qemu_binary};
  if (config.accelerator == "tcg") {
    // One host thread per virtual CPU: -smp 2 uses both host cores.
    argv.insert(argv.end(), {"-accel", "tcg,thread=multi"});
  } else if (config.accelerator == "kvm") {
    argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    throw std::invalid_argument("unknown accelerator '" + config.accelerator +
                                "' (tcg or kvm)");
  }
  argv.insert(
      argv.end(),
      {"-smp", std::to_string(config.cpus), "-m",
       std::to_string(config.memory_mib),
       // No default devices (network card, VGA, floppy): the guest
       // needs only the two serial ports; nothing on QEMU's stdio.
       "-nodefaults", "-nographic", "-display", "none", "-monitor", "none",
       "-no-reboot", "-kernel", config.kernel_path, "-initrd",
       config.initrd_path, "-append",
       config.append.empty() ? KernelCommandLine() : config.append, "-chardev",
       "file,id=console,path=" + OptionValue(config.console_log_path),
       "-serial", "chardev:console", "-chardev",
       "file,id=results,path=" + OptionValue(config.results_path), "-serial",
       "chardev:results"});
  return argv;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    const char* name = sigabbrev_np(WTERMSIG(wait_status));
    return "killed by signal " + std::to_string(WTERMSIG(wait_status)) +
           (name ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "wait status " + std::to_string(wait_status);
}

QemuOutcome RunQemu(const QemuConfig& config, const QemuLimits& limits,
                    const std::string& stderr_path, const QemuWatch& watch) {
  const std::vector<std::string> argv_strings = QemuCommandLine(config);
  std::vector<char*> argv;
  for (const std::string& arg : argv_strings) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);

  // Fresh, empty files: QEMU appends to a file chardev's existing contents
  // on some versions; a stale stream would be read as this boot's.
  for (const std::string& path :
       {config.console_log_path, config.results_path}) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw SystemError("create " + path);
    ::close(fd);
  }
  const int output_fd =
      ::open(stderr_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (output_fd < 0) throw SystemError("create " + stderr_path);
  const int results_fd =
      ::open(config.results_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (results_fd < 0) {
    ::close(output_fd);
    throw SystemError("open " + config.results_path);
  }
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    ::close(output_fd);
    ::close(results_fd);
    throw SystemError("pipe2");
  }

  QemuOutcome outcome;
  const pid_t parent = ::getpid();
  const Clock::time_point start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    outcome.error = std::string("fork: ") + std::strerror(errno);
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    ::close(output_fd);
    ::close(results_fd);
    return outcome;
  }
  if (pid == 0) {
    // Async-signal-safe only from here on.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the caller already died
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(output_fd, 1);
    ::dup2(output_fd, 2);
    ::execvp(argv[0], argv.data());
    const int error = errno;
    (void)!::write(exec_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so a kill of the group cannot race it
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  do {
    got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (got == sizeof exec_errno) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    outcome.error = "exec " + config.qemu_binary + ": " +
                    std::strerror(exec_errno) +
                    " (is qemu-system-x86 installed?)";
    ::close(output_fd);
    ::close(results_fd);
    return outcome;
  }

  off_t results_offset = 0;
  off_t output_offset = 0;
  Clock::time_point last_growth = start;
  auto kill_with = [&](QemuOutcome::End end) {
    KillGroup(pid);
    outcome.end = end;
  };
  bool done = false;
  while (!done) {
    int status = 0;
    const pid_t waited = ::waitpid(pid, &status, WNOHANG);
    // Read what arrived even when QEMU just exited: the last records.
    const std::string fresh = ReadNew(results_fd, &results_offset);
    if (!fresh.empty()) {
      if (outcome.first_output_seconds < 0) {
        outcome.first_output_seconds = SecondsSince(start);
      }
      last_growth = Clock::now();
      if (watch.on_results) watch.on_results(fresh);
    }
    if (outcome.stderr_text.size() < kMaxStderr) {
      std::string more = ReadNew(output_fd, &output_offset);
      outcome.stderr_text +=
          more.substr(0, kMaxStderr - outcome.stderr_text.size());
    }
    if (waited == pid) {
      outcome.wait_status = status;
      outcome.end = QemuOutcome::End::kExited;
      break;
    }
    if (waited < 0 && errno != EINTR) {
      outcome.error = std::string("waitpid: ") + std::strerror(errno);
      kill_with(QemuOutcome::End::kNotStarted);
      break;
    }
    const Clock::time_point now = Clock::now();
    if (watch.cancelled && watch.cancelled()) {
      kill_with(QemuOutcome::End::kCancelled);
    } else if (watch.abort_on_stderr &&
               watch.abort_on_stderr(outcome.stderr_text)) {
      kill_with(QemuOutcome::End::kAborted);
    } else if (now - start >= limits.total) {
      kill_with(QemuOutcome::End::kTimeLimit);
    } else if (limits.first_output.count() > 0 &&
               outcome.first_output_seconds < 0 &&
               now - start >= limits.first_output) {
      kill_with(QemuOutcome::End::kNoFirstOutput);
    } else if (limits.silence.count() > 0 &&
               outcome.first_output_seconds >= 0 &&
               now - last_growth >= limits.silence) {
      kill_with(QemuOutcome::End::kSilence);
    } else {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    // Killed: reap it (SIGKILL cannot be refused), then take the last bytes.
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    outcome.wait_status = status;
    const std::string last = ReadNew(results_fd, &results_offset);
    if (!last.empty() && watch.on_results) watch.on_results(last);
    done = true;
  }
  if (outcome.stderr_text.size() < kMaxStderr) {
    std::string more = ReadNew(output_fd, &output_offset);
    outcome.stderr_text +=
        more.substr(0, kMaxStderr - outcome.stderr_text.size());
  }
  outcome.seconds = SecondsSince(start);
  ::close(output_fd);
  ::close(results_fd);
  return outcome;
}

}  // namespace ipcproof::kernels

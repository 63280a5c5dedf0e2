// /init of the guest: PID 1 of the kernel under test. It sets the machine
// up as a distribution's init would for the suite (the file systems, lo,
// the modules), says what the kernel is (uname, taint, file systems,
// namespaces, /proc/config.gz, which planned system calls answer ENOSYS),
// runs each planned binary with a time limit of its own, and sends all of
// it to the host as framed records on /dev/ttyS1 (guest_wire.h). Then it
// sends the end record and powers the machine off.
//
// PID 1 must never exit: the kernel panics when it does. Every fatal error
// is reported (a "fatal" record and a console line) and ends in a power-off.
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "tools/kernels/guest_wire.h"

namespace ipcproof::kernels {
namespace {

constexpr char kPlanPath[] = "/ipcproof/plan";
constexpr char kResultsDir[] = "/tmp/ipcproof-results";
constexpr char kResultsTty[] = "/dev/ttyS1";
constexpr size_t kOutputTail = 4096;
constexpr int kProbeMilliseconds = 2000;
constexpr int kReapSeconds = 5;
// MODULE_INIT_COMPRESSED_FILE (linux/module.h, 5.17): the kernel
// decompresses the module itself (CONFIG_MODULE_DECOMPRESS).
constexpr int kModuleInitCompressedFile = 4;

int results_fd = -1;
size_t records_sent = 0;
std::vector<std::string> mount_errors;

double Now() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

std::string ErrnoText(int error) {
  const char* name = ::strerrorname_np(error);
  return std::string(name ? name : "E?") + " (" + std::strerror(error) + ")";
}

// The init's own lines go to the console (ttyS0), beside the kernel's, so
// the log's tail shows what the init was doing when the kernel broke.
void Say(const std::string& line) {
  const std::string text = "ipcproof-init: " + line + "\n";
  (void)!::write(STDOUT_FILENO, text.data(), text.size());
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    bytes.remove_prefix(written);
  }
  return true;
}

void Send(std::string_view kind, std::string_view name,
          std::string_view payload) {
  if (results_fd < 0) return;
  if (!WriteAll(results_fd, EncodeRecord(kind, name, payload))) {
    Say("writing to " + std::string(kResultsTty) + ": " + ErrnoText(errno));
  }
  ++records_sent;
}

[[noreturn]] void PowerOff() {
  if (results_fd >= 0) ::tcdrain(results_fd);  // the UART's buffer, out
  ::sync();
  ::reboot(RB_POWER_OFF);
  Say("reboot(RB_POWER_OFF): " + ErrnoText(errno));
  // Exiting would panic the kernel; wait for the host's time limit.
  while (true) ::pause();
}

[[noreturn]] void Fatal(const std::string& why) {
  Say("fatal: " + why);
  Send(kRecordFatal, "", why);
  PowerOff();
}

std::string ReadFile(const std::string& path, bool* found = nullptr) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (found) *found = fd >= 0;
  if (fd < 0) return "";
  std::string bytes;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    bytes.append(buffer, got);
  }
  ::close(fd);
  return bytes;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// ---- Setting the machine up.

struct MountPoint {
  const char* source;
  const char* target;
  const char* type;
  unsigned long flags;
  const char* options;
  bool fatal;
};

void MountAll() {
  // /proc and /dev first and fatal: nothing else works without them (the
  // result stream is /dev/ttyS1).
  static const MountPoint kMounts[] = {
      {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
       true},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true},
      {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
       false},
      {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false},
      {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false},
      {"mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
       nullptr, false},
      {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
       "mode=0620,ptmxmode=0666", false},
      {"tracefs", "/sys/kernel/tracing", "tracefs",
       MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, false},
      {"bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
       "mode=0700", false},
  };
  for (const MountPoint& mount : kMounts) {
    ::mkdir(mount.target, 0755);  // EEXIST is fine; mount says the rest
    if (::mount(mount.source, mount.target, mount.type, mount.flags,
                mount.options) == 0) {
      continue;
    }
    const std::string error = std::string("mount -t ") + mount.type + " " +
                              mount.target + ": " + ErrnoText(errno);
    if (mount.fatal) {
      // The stream is not open yet: make the one node it needs, say why
      // on the console and on the stream, and stop.
      ::mkdir("/dev", 0755);
      ::mknod(kResultsTty, S_IFCHR | 0600, ::makedev(4, 65));
      results_fd = ::open(kResultsTty, O_WRONLY | O_NOCTTY | O_CLOEXEC);
      Fatal(error);
    }
    Say(error);
    mount_errors.push_back(error);  // sent once the stream is open
  }
  ::chmod("/tmp", 01777);
  ::chmod("/dev/shm", 01777);
  // What udev would add and programs expect to find.
  ::symlink("/proc/self/fd", "/dev/fd");
  ::symlink("/proc/self/fd/0", "/dev/stdin");
  ::symlink("/proc/self/fd/1", "/dev/stdout");
  ::symlink("/proc/self/fd/2", "/dev/stderr");
}

void OpenResultStream() {
  results_fd = ::open(kResultsTty, O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (results_fd < 0) {
    Fatal(std::string("open ") + kResultsTty + ": " + ErrnoText(errno));
  }
  // Raw: no newline translation, no flow control, eight bits; a gtest XML
  // and /proc/config.gz cross unchanged.
  termios settings{};
  if (::tcgetattr(results_fd, &settings) != 0) {
    const int error = errno;
    ::close(results_fd);
    results_fd = -1;
    Fatal(std::string("tcgetattr ") + kResultsTty + ": " + ErrnoText(error));
  }
  ::cfmakeraw(&settings);
  settings.c_cflag &= ~CRTSCTS;
  settings.c_cflag |= CLOCAL;
  ::cfsetospeed(&settings, B115200);
  if (::tcsetattr(results_fd, TCSANOW, &settings) != 0) {
    const int error = errno;
    ::close(results_fd);
    results_fd = -1;
    Fatal(std::string("tcsetattr ") + kResultsTty + ": " + ErrnoText(error));
  }
}

void BringLoopbackUp() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    Send(kRecordNote, "lo", "socket(AF_INET): " + ErrnoText(errno));
    return;
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    Send(kRecordNote, "lo", "SIOCGIFFLAGS lo: " + ErrnoText(errno));
  } else {
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
      Send(kRecordNote, "lo", "SIOCSIFFLAGS lo up: " + ErrnoText(errno));
    }
  }
  ::close(fd);
}

void LoadModules(const Plan& plan) {
  for (const PlanModule& module : plan.modules) {
    const int fd = ::open(module.guest_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Send(kRecordModuleError, module.name,
           "open " + module.guest_path + ": " + ErrnoText(errno));
      continue;
    }
    const std::string_view path = module.guest_path;
    const bool compressed = path.ends_with(".xz") || path.ends_with(".zst") ||
                            path.ends_with(".gz");
    const long result = ::syscall(SYS_finit_module, fd, "",
                                  compressed ? kModuleInitCompressedFile : 0);
    const int error = errno;
    ::close(fd);
    if (result == 0 || error == EEXIST) {
      Send(kRecordModuleLoaded, module.name,
           result == 0 ? "loaded" : "already loaded");
    } else {
      Send(kRecordModuleError, module.name,
           "finit_module " + module.guest_path + ": " + ErrnoText(error));
    }
  }
}

// ---- What the kernel is.

void ReportNamespaces() {
  std::string names;
  if (DIR* dir = ::opendir("/proc/self/ns")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      names += entry->d_name;
      names += '\n';
    }
    ::closedir(dir);
  }
  Send(kRecordNamespaces, "", names);
}

// Reaps every child that has exited; returns the wait status of `pid` if
// it was among them, else -1.
int ReapExited(pid_t pid) {
  int result = -1;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done <= 0) break;
    if (done == pid) result = status;
  }
  return result;
}

// Ends every process but this one (the tests' process groups too) and
// reaps them, within kReapSeconds: a process stuck in an uninterruptible
// sleep is reported and left.
void KillEverything() {
  ::kill(-1, SIGKILL);
  const double deadline = Now() + kReapSeconds;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) continue;
    if (done < 0 && errno == ECHILD) return;
    if (Now() >= deadline) {
      Send(kRecordNote, "reap",
           "processes survived SIGKILL for " + std::to_string(kReapSeconds) +
               " s (uninterruptible sleep?)");
      return;
    }
    timespec wait{0, 10 * 1000 * 1000};
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    ::sigtimedwait(&child, nullptr, &wait);
  }
}

// Calls each planned system call with every argument -1 (futex: a valid
// wake, see below) in a child of its
// own (a call that exists may do anything to its caller: exit, block) and
// says for each whether it answered ENOSYS; one record a call, so the host
// sees the guest alive through a long list.
void ProbeSyscalls(const Plan& plan) {
  for (const PlanProbe& probe : plan.probes) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
      Send(kRecordNote, "probe", "pipe2: " + ErrnoText(errno));
      return;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(report[0]);
      // A probe that creates something (msgget(-1, -1) makes a queue) makes
      // it in an IPC namespace that dies with this child.
      (void)::unshare(CLONE_NEWIPC);
      long result;
      if (probe.number == SYS_futex) {
        // futex(2) answers ENOSYS to an operation it does not know, so the
        // all -1 call cannot tell a missing futex from a bad op: wake no
        // waiter on a word of our own, which every futex answers with 0.
        static std::uint32_t word = 0;
        result =
            ::syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 0L, 0L, 0L, 0L);
      } else {
        result = ::syscall(probe.number, -1L, -1L, -1L, -1L, -1L, -1L);
      }
      const int error = result == -1 ? errno : 0;
      (void)!::write(report[1], &error, sizeof error);
      ::_exit(0);
    }
    ::close(report[1]);
    if (pid < 0) {
      Send(kRecordNote, "probe", "fork: " + ErrnoText(errno));
      ::close(report[0]);
      return;
    }
    pollfd readable{report[0], POLLIN, 0};
    int error = 0;
    std::string answer;
    if (::poll(&readable, 1, kProbeMilliseconds) != 1) {
      answer = "answers (still running after " +
               std::to_string(kProbeMilliseconds) + " ms)";
    } else if (::read(report[0], &error, sizeof error) != sizeof error) {
      answer = "answers (the call ended the probing process)";
    } else if (error == ENOSYS) {
      answer = "enosys";
    } else {
      answer = "answers " +
               (error == 0 ? std::string("with success") : ErrnoText(error));
    }
    ::close(report[0]);
    KillEverything();
    Send(kRecordProbe, probe.name, answer);
  }
}

// ---- Running the binaries.

std::string OutputTail(const std::string& path) {
  const std::string output = ReadFile(path);
  return output.size() > kOutputTail
             ? output.substr(output.size() - kOutputTail)
             : output;
}

void RunBinary(const Plan& plan, const PlanBinary& binary, size_t index) {
  const std::string stem =
      std::string(kResultsDir) + "/" + std::to_string(index + 1);
  const std::string xml_path = stem + ".xml";
  const std::string output_path = stem + ".out";
  std::vector<std::string> args = {binary.guest_path};
  args.insert(args.end(), binary.args.begin(), binary.args.end());
  args.push_back("--gtest_output=xml:" + xml_path);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  static char kPath[] = "PATH=/bin";
  static char kHome[] = "HOME=/tmp";
  static char kTmpdir[] = "TMPDIR=/tmp";
  char* envp[] = {kPath, kHome, kTmpdir, nullptr};

  Say("running " + binary.name);
  Send(kRecordStart, binary.name, std::to_string(binary.time_limit_seconds));
  const double start = Now();
  const int output_fd = ::open(output_path.c_str(),
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (output_fd < 0) {
    Send(kRecordResult, binary.name,
         "not started: open " + output_path + ": " + ErrnoText(errno) +
             "\nseconds 0\n");
    return;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    if (::chdir("/tmp") != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp);
    const int error = errno;
    const std::string why =
        "exec " + binary.guest_path + ": " + std::strerror(error) + "\n";
    (void)!::write(STDERR_FILENO, why.data(), why.size());
    ::_exit(127);
  }
  ::close(output_fd);
  if (pid < 0) {
    Send(kRecordResult, binary.name,
         "not started: fork: " + ErrnoText(errno) + "\nseconds 0\n");
    return;
  }

  const double deadline = start + binary.time_limit_seconds;
  double next_tick = start + plan.heartbeat_seconds;
  int status = -1;
  bool timed_out = false;
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  while (true) {
    status = ReapExited(pid);
    if (status != -1) break;
    const double now = Now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    if (now >= next_tick) {
      Send(kRecordTick, binary.name, std::to_string(now - start));
      next_tick = now + plan.heartbeat_seconds;
    }
    const double wait = std::min(deadline, next_tick) - now;
    timespec timeout{
        static_cast<time_t>(wait),
        static_cast<long>((wait - static_cast<time_t>(wait)) * 1e9)};
    ::sigtimedwait(&child, nullptr, &timeout);
  }
  // What the binary left running (a test's process group it did not end)
  // must not run into the next binary.
  KillEverything();
  const double seconds = Now() - start;

  std::string result;
  if (timed_out) {
    Say(binary.name + ": killed at its time limit of " +
        std::to_string(binary.time_limit_seconds) + " s");
    result = "timeout";
  } else if (WIFEXITED(status)) {
    result = "exit " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    result = "signal " + std::to_string(WTERMSIG(status));
  } else {
    result = "exit -1";
  }
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof seconds_text, "%.3f", seconds);
  Send(kRecordOutput, binary.name, OutputTail(output_path));
  bool has_xml = false;
  const std::string xml = ReadFile(xml_path, &has_xml);
  if (has_xml) Send(kRecordXml, binary.name, xml);
  Send(kRecordResult, binary.name, result + "\nseconds " + seconds_text + "\n");
  ::unlink(xml_path.c_str());
  ::unlink(output_path.c_str());
}

void Run() {
  // SIGCHLD stays blocked in the init so sigtimedwait can wait for it; the
  // children unblock it before exec.
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &child, nullptr);

  MountAll();
  // The kernel opens /dev/console as 0, 1 and 2 for /init; where that
  // failed, /dev/null takes their place, so no file this init opens becomes
  // "stdout" (the result stream least of all).
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int null_fd = ::open("/dev/null", O_RDWR);
      if (null_fd >= 0 && null_fd != fd) {
        ::dup2(null_fd, fd);
        ::close(null_fd);
      }
    }
  }
  OpenResultStream();
  Send(kRecordHello, "", "ipcproof-guest 1");
  for (const std::string& error : mount_errors) {
    Send(kRecordMountError, "", error);
  }

  utsname names{};
  if (::uname(&names) == 0) {
    Send(kRecordUname, "",
         std::string(names.sysname) + "\n" + names.release + "\n" +
             names.version + "\n" + names.machine + "\n");
  }
  Send(kRecordTaintedBefore, "", Trimmed(ReadFile("/proc/sys/kernel/tainted")));

  bool found = false;
  const std::string plan_text = ReadFile(kPlanPath, &found);
  if (!found) Fatal(std::string("no plan at ") + kPlanPath);
  Plan plan;
  try {
    plan = DecodePlan(plan_text);
  } catch (const std::exception& error) {
    Fatal(std::string(kPlanPath) + ": " + error.what());
  }

  Send(kRecordFilesystems, "", ReadFile("/proc/filesystems"));
  ReportNamespaces();
  bool has_config = false;
  const std::string config = ReadFile("/proc/config.gz", &has_config);
  if (has_config) Send(kRecordConfigGz, "", config);

  BringLoopbackUp();
  LoadModules(plan);
  ProbeSyscalls(plan);

  if (::mkdir(kResultsDir, 0755) != 0 && errno != EEXIST) {
    Fatal(std::string("mkdir ") + kResultsDir + ": " + ErrnoText(errno));
  }
  for (size_t i = 0; i < plan.binaries.size(); ++i) {
    RunBinary(plan, plan.binaries[i], i);
  }

  Send(kRecordTaintedAfter, "", Trimmed(ReadFile("/proc/sys/kernel/tainted")));
  const size_t before_end = records_sent;
  Send(kRecordEnd, "", std::to_string(before_end));
  Say("done: " + std::to_string(plan.binaries.size()) + " binaries");
  PowerOff();
}

}  // namespace
}  // namespace ipcproof::kernels

int main() {
  try {
    ipcproof::kernels::Run();
  } catch (const std::exception& error) {
    ipcproof::kernels::Fatal(std::string("unexpected error: ") + error.what());
  } catch (...) {
    ipcproof::kernels::Fatal("unexpected exception");
  }
  ipcproof::kernels::PowerOff();
}

#include "conformance/kit/syscall_counter.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>

#include "conformance/kit/child_exit.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/task.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using Clock = std::chrono::steady_clock;

// What the child reports through its pipe when it cannot start being
// traced: which step failed, and its errno.
enum class SetupStep : int { kPdeathsig = 1, kTraceMe = 2, kStop = 3 };
struct SetupFailure {
  SetupStep step;
  int err;
};

const char* SetupStepCall(SetupStep step) {
  switch (step) {
    case SetupStep::kPdeathsig:
      return "prctl(PR_SET_PDEATHSIG)";
    case SetupStep::kTraceMe:
      return "ptrace(PTRACE_TRACEME)";
    case SetupStep::kStop:
      return "kill(getpid(), SIGSTOP)";
  }
  return "?";
}

// The child's side, after fork: async-signal-safe only.
[[noreturn]] void RunTracedChild(const std::function<int()>& body, pid_t parent,
                                 int report_fd) {
  const auto fail = [report_fd](SetupStep step) {
    const SetupFailure failure{step, errno};
    [[maybe_unused]] ssize_t n = ::write(report_fd, &failure, sizeof failure);
    ::_exit(ErrnoExit(failure.err));
  };
  // Until the tracer sets PTRACE_O_EXITKILL the child would outlive a
  // tracer that died; the death signal covers that window.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(SetupStep::kPdeathsig);
  if (::getppid() != parent) ::_exit(kExitBodyThrew);
  if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) {
    fail(SetupStep::kTraceMe);
  }
  // Stops here (a signal-delivery-stop) until the tracer has set its
  // options and resumes it with PTRACE_SYSCALL.
  if (::kill(::getpid(), SIGSTOP) != 0) fail(SetupStep::kStop);
  ::close(report_fd);
  int code = kExitBodyThrew;
  try {
    code = body();
  } catch (...) {
  }
  ::_exit(code);
}

// The traced child: killed and reaped on every way out.
class TracedChild {
 public:
  explicit TracedChild(pid_t pid) : pid_(pid) {}
  TracedChild(const TracedChild&) = delete;
  TracedChild& operator=(const TracedChild&) = delete;
  ~TracedChild() { KillAndReap(); }

  pid_t pid() const { return pid_; }
  bool reaped() const { return status_.has_value() || gone_; }
  const std::optional<ipc::WaitStatus>& status() const { return status_; }

  // The next wait status (a stop or the end), or nullopt when `deadline`
  // passes first. waitpid has no timeout, so it is probed with WNOHANG: a
  // traced child usually stops again within microseconds, so the first
  // probes only yield the CPU; after them PollUntil paces the probes (each
  // stop is then seen within its short pauses).
  std::optional<int> NextEvent(Clock::time_point deadline, std::string* error) {
    std::optional<int> event;
    const auto probe = [&] {
      int status = 0;
      const pid_t got = ::waitpid(pid_, &status, __WALL | WNOHANG);
      if (got == pid_) {
        event = status;
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
          status_ = ipc::WaitStatus(status);
        }
        return true;
      }
      if (got < 0 && errno != EINTR) {
        // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN, or a
        // wait() elsewhere).
        *error = "waitpid(" + std::to_string(pid_) + ") failed with " +
                 ErrnoName(errno);
        gone_ = true;
        return true;
      }
      return false;
    };
    constexpr int kYieldingProbes = 200;
    for (int i = 0; i < kYieldingProbes; ++i) {
      if (probe()) return event;
      ::sched_yield();
    }
    PollUntil(UnscaledTimeLeft(deadline), probe);
    return event;
  }

  // Kills the child and waits (bounded) until it is reaped.
  void KillAndReap() {
    if (reaped()) return;
    ::kill(pid_, SIGKILL);
    const auto deadline = Clock::now() + ScaledTimeout(kBlockedTimeout);
    std::string ignored;
    while (!reaped() && Clock::now() < deadline) {
      // Stops before the kill takes effect are left as they are: SIGKILL
      // ends a tracee in any stop.
      if (!NextEvent(deadline, &ignored)) break;
    }
  }

 private:
  pid_t pid_;
  std::optional<ipc::WaitStatus> status_;
  bool gone_ = false;
};

enum class Phase { kBeforeStart, kBetween, kAfterEnd };

std::string WhatProcShows(pid_t pid) {
  const std::optional<TaskState> state = ReadTaskState(pid, pid);
  return state ? state->ToString() : "pid " + std::to_string(pid) + " is gone";
}

const char* WhereIn(Phase phase) {
  switch (phase) {
    case Phase::kBeforeStart:
      return "before the start mark";
    case Phase::kBetween:
      return "after the start mark, before the end mark";
    case Phase::kAfterEnd:
      return "after the end mark";
  }
  return "?";
}

bool IsMark(const __ptrace_syscall_info& info) {
  return info.entry.nr == SYS_prctl &&
         static_cast<int>(info.entry.args[0]) == kSyscallCountMarkOption &&
         info.entry.args[1] == kSyscallCountMarkMagic;
}

void Mark(unsigned long phase) {
  ::syscall(SYS_prctl, static_cast<long>(kSyscallCountMarkOption),
            kSyscallCountMarkMagic, phase, 0UL, 0UL);
}

}  // namespace

void SyscallCountStartMark() { Mark(kSyscallCountStartPhase); }
void SyscallCountEndMark() { Mark(kSyscallCountEndPhase); }

std::size_t SyscallCount::CountOf(long number) const {
  std::size_t n = 0;
  for (long nr : syscalls) n += nr == number ? 1 : 0;
  return n;
}

std::vector<std::string> SyscallCount::Names() const {
  std::vector<std::string> names;
  names.reserve(syscalls.size());
  for (long nr : syscalls) names.push_back(SyscallName(nr));
  return names;
}

std::string SyscallCount::Describe() const {
  constexpr std::size_t kMaxNames = 50;
  std::string text = std::to_string(syscalls.size()) +
                     (syscalls.size() == 1 ? " system call" : " system calls") +
                     " between the marks";
  for (std::size_t i = 0; i < syscalls.size() && i < kMaxNames; ++i) {
    text += i == 0 ? ": " : ", ";
    text += SyscallName(syscalls[i]);
  }
  if (syscalls.size() > kMaxNames) text += ", ...";
  if (!error.empty()) text += " (error: " + error + ")";
  return text;
}

SyscallCount CountSyscallsBetweenMarks(const std::function<int()>& child_body,
                                       const SyscallCounterOptions& options) {
  SyscallCount result;
  const Clock::time_point deadline =
      Clock::now() + ScaledTimeout(options.timeout);

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "CountSyscallsBetweenMarks: pipe2");
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    throw std::system_error(err, std::generic_category(),
                            "CountSyscallsBetweenMarks: fork");
  }
  if (pid == 0) {
    ::close(report[0]);
    RunTracedChild(child_body, parent, report[1]);
  }
  ::close(report[1]);
  const ipc::UniqueFd report_read(report[0]);
  TracedChild child(pid);
  const auto finish = [&](std::string error) {
    if (result.error.empty()) result.error = std::move(error);
    child.KillAndReap();
    result.exit_status = child.status();
    return result;
  };

  // The first event: the child's SIGSTOP, or its end when it could not
  // start being traced.
  std::string wait_error;
  std::optional<int> event = child.NextEvent(deadline, &wait_error);
  if (!wait_error.empty()) return finish(wait_error);
  if (!event) {
    return finish("the child did not stop for its tracer within " +
                  DescribeScaledTimeout(options.timeout) + ": " +
                  WhatProcShows(pid));
  }
  if (!WIFSTOPPED(*event)) {
    const ipc::WaitStatus status(*event);
    SetupFailure failure{};
    if (::read(report_read.get(), &failure, sizeof failure) ==
        static_cast<ssize_t>(sizeof failure)) {
      result.tracing_refused = failure.step == SetupStep::kTraceMe;
      return finish(std::string(SetupStepCall(failure.step)) +
                    " failed in the child with " + ErrnoName(failure.err));
    }
    // A seccomp policy that kills on ptrace shows as SIGSYS here.
    result.tracing_refused = status.KilledBy(SIGSYS);
    return finish("the child " + DescribeChildExit(status) +
                  " before its first stop for the tracer");
  }
  if (WSTOPSIG(*event) != SIGSTOP) {
    return finish("the child's first stop was signal " +
                  std::to_string(WSTOPSIG(*event)) + ", not SIGSTOP");
  }
  if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr,
               PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL |
                   PTRACE_O_TRACEEXEC) != 0) {
    return finish("ptrace(PTRACE_SETOPTIONS) failed with " + ErrnoName(errno));
  }

  Phase phase = Phase::kBeforeStart;
  // Calls before the start mark and stops that are not calls (signals,
  // exec) are bounded too, so no body can keep the loop going.
  std::size_t calls_before_start = 0;
  std::size_t other_stops = 0;
  constexpr std::size_t kMaxOtherStops = 10000;
  int inject = 0;  // the signal to deliver on resuming; 0 suppresses SIGSTOP
  bool run_hook = false;
  for (;;) {
    const __ptrace_request resume =
        phase == Phase::kAfterEnd ? PTRACE_CONT : PTRACE_SYSCALL;
    if (::ptrace(resume, pid, nullptr,
                 reinterpret_cast<void*>(static_cast<long>(inject))) != 0) {
      return finish("ptrace(" +
                    std::string(resume == PTRACE_CONT ? "PTRACE_CONT"
                                                      : "PTRACE_SYSCALL") +
                    ") failed with " + ErrnoName(errno) + " " + WhereIn(phase));
    }
    inject = 0;
    if (run_hook) {
      // The child was let go first, so the hook acts while the child runs
      // between the marks; the child's next stop waits for the loop.
      run_hook = false;
      try {
        options.on_first_mark(pid);
      } catch (...) {
        finish("on_first_mark threw");
        throw;
      }
    }
    event = child.NextEvent(deadline, &wait_error);
    if (!wait_error.empty()) return finish(wait_error);
    if (!event) {
      return finish("the trace passed its deadline of " +
                    DescribeScaledTimeout(options.timeout) + " " +
                    WhereIn(phase) + ": " + WhatProcShows(pid));
    }
    if (WIFEXITED(*event) || WIFSIGNALED(*event)) {
      result.exit_status = child.status();
      if (phase != Phase::kAfterEnd) {
        return finish("the child " +
                      DescribeChildExit(ipc::WaitStatus(*event)) + " " +
                      WhereIn(phase));
      }
      return result;
    }
    const int sig = WSTOPSIG(*event);
    if (sig == (SIGTRAP | 0x80)) {
      __ptrace_syscall_info info{};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid,
                   reinterpret_cast<void*>(sizeof info), &info) <= 0) {
        return finish("ptrace(PTRACE_GET_SYSCALL_INFO) failed with " +
                      ErrnoName(errno) + " (it needs Linux 5.3)");
      }
      if (info.op != PTRACE_SYSCALL_INFO_ENTRY) continue;  // an exit stop
      if (IsMark(info)) {
        const unsigned long which = info.entry.args[2];
        if (which == kSyscallCountStartPhase) {
          if (phase != Phase::kBeforeStart) {
            return finish("a second start mark " + std::string(WhereIn(phase)));
          }
          result.saw_start_mark = true;
          phase = Phase::kBetween;
          run_hook = static_cast<bool>(options.on_first_mark);
          continue;
        }
        if (which == kSyscallCountEndPhase) {
          if (phase != Phase::kBetween) {
            return finish("an end mark " + std::string(WhereIn(phase)));
          }
          result.saw_end_mark = true;
          phase = Phase::kAfterEnd;
          continue;
        }
        return finish("a mark with an unknown phase " + std::to_string(which));
      }
      if (phase == Phase::kBetween) {
        if (result.syscalls.size() >= options.max_syscalls) {
          return finish("more than " + std::to_string(options.max_syscalls) +
                        " system calls between the marks");
        }
        result.syscalls.push_back(static_cast<long>(info.entry.nr));
      } else if (++calls_before_start > options.max_syscalls) {
        return finish("more than " + std::to_string(options.max_syscalls) +
                      " system calls before the start mark");
      }
      continue;
    }
    if (++other_stops > kMaxOtherStops) {
      return finish("more than " + std::to_string(kMaxOtherStops) +
                    " signal and exec stops " + WhereIn(phase));
    }
    if ((*event >> 8) == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) continue;
    // A signal-delivery-stop: deliver the signal on resuming (a crash of
    // the body then ends it as it would untraced). Without PTRACE_SEIZE a
    // group-stop shows as a stop for which PTRACE_GETSIGINFO fails; it is
    // resumed with no signal.
    siginfo_t siginfo;
    if (::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &siginfo) == 0) inject = sig;
  }
}

}  // namespace ipcproof

// Ctrl+C through a real terminal: the note says a blocked wait "can be
// interrupted by sending a signal with ctrl + c" (sig.ctrl-c-interrupts-wait).
//
// What makes ^C a signal is the terminal's line discipline, not a shell:
// termios(3), ISIG: "When any of the characters INTR, QUIT, SUSP, or DSUSP
// are received, generate the corresponding signal", sent to the terminal's
// foreground process group (n_tty_receive_signal_char -> isig ->
// kill_pgrp in drivers/tty/n_tty.c). So each test opens a pseudo-terminal
// (pty(7)), forks a child that makes the replica its controlling terminal
// and its own group the foreground one (ipc::BecomeForegroundOn: setsid,
// TIOCSCTTY, tcsetpgrp), proves from /proc that the child sleeps in read(2)
// on the terminal, and types the VINTR character (c_cc[VINTR], 0x03 by
// default) into the master, as a terminal emulator does for a key press.
//
// Then: without a handler the child dies of SIGINT; with a handler and no
// SA_RESTART its read fails EINTR; with SA_RESTART the read sleeps again and
// returns the line typed afterwards (signal(7): read(2) on "a terminal" is
// restarted). With ISIG off 0x03 is an ordinary byte; the signal reaches
// every process of the foreground group and none of a background group.
// The full SA_RESTART table is sa_restart_test.cc.
//
// Children do only async-signal-safe work and report through their exit
// code or a pipe (kit/child_exit.h, kit/child_io.h); every wait has a
// deadline.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/signals.h"
#include "conformance/procfs/task.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/pseudo_terminal.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// The child's own failure points (kit/child_exit.h: 1..99).
constexpr int kForegroundFailed = 1;  // BecomeForegroundOn failed
constexpr int kSignalSetupFailed = 2;
constexpr int kWrongBytes = 3;    // read returned other bytes
constexpr int kReadReturned = 4;  // read returned where it must not
constexpr int kForkFailed = 5;
constexpr int kReportFailed = 6;
// The grandchild's answer, added to kGrandchildBase by the child.
constexpr int kGrandchildBase = 20;
constexpr int kGrandchildSigintPending = 0;
constexpr int kGrandchildSigintNotPending = 1;
constexpr int kGrandchildFailed = 2;

// termios(3): "VINTR (003, ETX, Ctrl-C, or also 0177, DEL, rubout)
// Interrupt character (INTR). Send a SIGINT signal."
constexpr unsigned char kCtrlC = 0x03;

// Where a child's handler reports the signal it caught (one byte: the
// signal number). Set in the child before the handler is installed.
int g_caught_fd = -1;

void NoteCaught(int signal) {
  const int saved = errno;
  const unsigned char number = static_cast<unsigned char>(signal);
  [[maybe_unused]] ssize_t n = ::write(g_caught_fd, &number, 1);
  errno = saved;
}

// In the child: `signal` goes to NoteCaught, with or without SA_RESTART,
// and is unblocked.
bool CatchInChild(int signal, int caught_fd, bool sa_restart) {
  g_caught_fd = caught_fd;
  struct sigaction action {};
  action.sa_handler = NoteCaught;
  sigemptyset(&action.sa_mask);
  action.sa_flags = sa_restart ? SA_RESTART : 0;
  if (::sigaction(signal, &action, nullptr) != 0) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  return ::sigprocmask(SIG_UNBLOCK, &set, nullptr) == 0;
}

class CtrlCTest : public ::testing::Test {
 protected:
  // "" once the pty is open, else why not (for the skip).
  std::string OpenPty() {
    try {
      pty_.emplace(ipc::PseudoTerminal::Open());
    } catch (const std::system_error& e) {
      return std::string("no pseudo-terminal: ") + e.what();
    }
    replica_path_ = pty_->replica_path().c_str();
    return "";
  }

  int master() const { return pty_->master(); }

  // Types `bytes` into the terminal, as a key press does.
  void Type(std::string_view bytes) {
    ipc::WriteAll(master(), std::as_bytes(std::span(bytes)));
  }

  // The terminal's VINTR character, as its settings say.
  unsigned char IntrCharacter() const {
    return ipc::TerminalAttributes(master()).c_cc[VINTR];
  }

  // The child leads the terminal's foreground group, and sleeps in read(2)
  // on it.
  ::testing::AssertionResult InForegroundReading(const ChildProcess& child) {
    ::testing::AssertionResult blocked =
        WaitUntilBlockedIn(child.pid(), SYS_read);
    if (!blocked) return blocked;
    const pid_t foreground = ipc::ForegroundProcessGroup(master());
    if (foreground != child.pid()) {
      return ::testing::AssertionFailure()
             << "the terminal's foreground group is " << foreground
             << ", not the child's (" << child.pid() << ")";
    }
    return ::testing::AssertionSuccess();
  }

  std::optional<ipc::PseudoTerminal> pty_;
  const char* replica_path_ = nullptr;  // taken before fork
};

#define OPEN_PTY_OR_SKIP()                            \
  do {                                                \
    const std::string ipcproof_pty_error = OpenPty(); \
    if (!ipcproof_pty_error.empty()) {                \
      SKIP_UNVERIFIED(ipcproof_pty_error);            \
    }                                                 \
  } while (0)

// The settings the other tests rely on, read from the kernel: a fresh
// pty's line discipline has ISIG and ICANON on and VINTR = 0x03 (the
// kernel's tty_std_termios; termios(3) gives 003 as VINTR's default).
TEST_F(CtrlCTest, FreshTerminalMapsCtrlCToInterrupt) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  const termios settings = ipc::TerminalAttributes(master());
  RecordMeasurement("pty.c_cc_vintr", static_cast<int>(settings.c_cc[VINTR]));
  EXPECT_EQ(settings.c_cc[VINTR], kCtrlC);
  EXPECT_NE(settings.c_lflag & ISIG, 0u) << "ISIG is off by default";
  EXPECT_NE(settings.c_lflag & ICANON, 0u) << "ICANON is off by default";
}

// No handler: SIGINT's default action ends the reader (signal(7): SIGINT
// "Term"). Fails on a line discipline that passes 0x03 on as data, or
// signals some other group than the foreground one.
TEST_F(CtrlCTest, CtrlCKillsForegroundReaderWithoutHandler) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  const char* path = replica_path_;
  ChildProcess child = ChildProcess::Fork([path] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!RestoreDefaultSignal(SIGINT)) return kSignalSetupFailed;
    char byte;
    const ssize_t n = ::read(tty, &byte, 1);
    return n < 0 ? ErrnoExit() : kReadReturned;
  });
  ASSERT_TRUE(InForegroundReading(child));

  Type(std::string(1, static_cast<char>(IntrCharacter())));
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGINT))
      << "the reader " << DescribeChildExit(status) << ", not killed by SIGINT";
}

// A handler without SA_RESTART: the handler runs and the blocked read fails
// EINTR (signal(7): "otherwise the call fails with the error EINTR"). Fails
// on a kernel that restarts a terminal read regardless of SA_RESTART.
TEST_F(CtrlCTest, CtrlCMakesBlockedReadFailEintrWithHandler) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  ipc::Pipe caught = ipc::Pipe::Create(O_CLOEXEC);
  const char* path = replica_path_;
  const int caught_fd = caught.write_fd();
  ChildProcess child = ChildProcess::Fork([path, caught_fd] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!CatchInChild(SIGINT, caught_fd, /*sa_restart=*/false))
      return kSignalSetupFailed;
    char byte;
    const ssize_t n = ::read(tty, &byte, 1);
    return n < 0 ? ErrnoExit() : kReadReturned;
  });
  ASSERT_TRUE(InForegroundReading(child));

  Type(std::string(1, static_cast<char>(IntrCharacter())));
  unsigned char signal = 0;
  ASSERT_TRUE(ReadReport(caught.read_fd(), signal)) << "no handler ran";
  EXPECT_EQ(signal, SIGINT);
  EXPECT_TRUE(ExitsWithWithin(child, ErrnoExit(EINTR)));
}

// SA_RESTART: after the handler the read sleeps in read(2) again, and
// returns the line typed afterwards, whole (signal(7): read(2) on "a
// terminal" is restarted). Fails on a missing -ERESTARTSYS in n_tty_read
// (the read fails EINTR), or on a line discipline that keeps the ^C in the
// line (the read returns it).
TEST_F(CtrlCTest, CtrlCWithSaRestartResumesBlockedRead) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  ipc::Pipe caught = ipc::Pipe::Create(O_CLOEXEC);
  const char* path = replica_path_;
  const int caught_fd = caught.write_fd();
  ChildProcess child = ChildProcess::Fork([path, caught_fd] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!CatchInChild(SIGINT, caught_fd, /*sa_restart=*/true))
      return kSignalSetupFailed;
    char line[8] = {};
    const ssize_t n = ::read(tty, line, sizeof line);
    if (n < 0) return ErrnoExit();
    return n == 3 && line[0] == 'o' && line[1] == 'k' && line[2] == '\n'
               ? kExitSuccess
               : kWrongBytes;
  });
  ASSERT_TRUE(InForegroundReading(child));

  Type(std::string(1, static_cast<char>(IntrCharacter())));
  unsigned char signal = 0;
  ASSERT_TRUE(ReadReport(caught.read_fd(), signal)) << "no handler ran";
  EXPECT_EQ(signal, SIGINT);
  // The handler has run: sleeping in read(2) now is the restarted read.
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read))
      << "the read was not restarted after the SA_RESTART handler";
  Type("ok\n");
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// ISIG off (termios(3): ISIG "When any of the characters INTR, QUIT, SUSP,
// or DSUSP are received, generate the corresponding signal"): 0x03 is an
// ordinary input byte, and the reader, with SIGINT's default action, reads
// it. Fails on a line discipline that signals without ISIG.
TEST_F(CtrlCTest, CtrlCIsPlainDataWithIsigOff) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  ipc::ChangeLocalModes(master(), 0, ISIG);
  const char* path = replica_path_;
  ChildProcess child = ChildProcess::Fork([path] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!RestoreDefaultSignal(SIGINT)) return kSignalSetupFailed;
    char line[8] = {};
    const ssize_t n = ::read(tty, line, sizeof line);
    if (n < 0) return ErrnoExit();
    return n == 2 && line[0] == kCtrlC && line[1] == '\n' ? kExitSuccess
                                                          : kWrongBytes;
  });
  ASSERT_TRUE(InForegroundReading(child));

  Type("\x03\n");
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(ExitedWithZero(status))
      << "with ISIG off the reader should read 0x03 and a newline";
}

// The signal goes to the terminal's foreground process GROUP, not only to
// its leader: kill_pgrp. The child (the foreground group's leader) forks a
// grandchild that either stays in its group or moves to a group of its own
// (setpgid: a background group of the same session). The grandchild blocks
// SIGINT and sleeps in read on a pipe; once the child's handler has run
// (isig() queued every signal before any handler can run), the child wakes
// the grandchild, which reports whether SIGINT is pending for it.
class CtrlCGroupTest : public CtrlCTest,
                       public ::testing::WithParamInterface<bool> {};

TEST_P(CtrlCGroupTest, CtrlCReachesForegroundGroupOnly) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  OPEN_PTY_OR_SKIP();
  const bool background = GetParam();
  ipc::Pipe caught = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe release = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe grandchild_pid = ipc::Pipe::Create(O_CLOEXEC);
  const char* path = replica_path_;
  const int caught_fd = caught.write_fd();
  const int release_read = release.read_fd();
  const int release_write = release.write_fd();
  const int pid_fd = grandchild_pid.write_fd();
  ChildProcess child = ChildProcess::Fork([=] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    sigset_t interrupt;
    sigemptyset(&interrupt);
    sigaddset(&interrupt, SIGINT);
    // Blocked across the fork, so the grandchild never runs the handler.
    if (::sigprocmask(SIG_BLOCK, &interrupt, nullptr) != 0)
      return kSignalSetupFailed;
    const pid_t grandchild = ::fork();
    if (grandchild < 0) return kForkFailed;
    if (grandchild == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (background && ::setpgid(0, 0) != 0) ::_exit(kGrandchildFailed);
      char byte;
      if (::read(release_read, &byte, 1) != 1) ::_exit(kGrandchildFailed);
      sigset_t pending;
      if (::sigpending(&pending) != 0) ::_exit(kGrandchildFailed);
      ::_exit(sigismember(&pending, SIGINT) ? kGrandchildSigintPending
                                            : kGrandchildSigintNotPending);
    }
    if (!WriteReport(pid_fd, grandchild)) return kReportFailed;
    if (!CatchInChild(SIGINT, caught_fd, /*sa_restart=*/false))
      return kSignalSetupFailed;
    char byte;
    const ssize_t n = ::read(tty, &byte, 1);
    const int read_errno = errno;
    [[maybe_unused]] const ssize_t released = ::write(release_write, "g", 1);
    int status = 0;
    while (::waitpid(grandchild, &status, 0) < 0 && errno == EINTR) {
    }
    if (n >= 0) return kReadReturned;
    if (read_errno != EINTR) return ErrnoExit(read_errno);
    return WIFEXITED(status) ? kGrandchildBase + WEXITSTATUS(status)
                             : kGrandchildBase + kGrandchildFailed;
  });
  pid_t grandchild = 0;
  ASSERT_TRUE(ReadReport(grandchild_pid.read_fd(), grandchild));
  ASSERT_TRUE(InForegroundReading(child));
  ASSERT_TRUE(WaitUntilBlockedIn(grandchild, SYS_read));
  // The groups are what the test says they are (from /proc).
  const std::optional<TaskState> grandchild_task =
      ReadTaskStat(grandchild, grandchild);
  ASSERT_TRUE(grandchild_task);
  if (background) {
    ASSERT_EQ(grandchild_task->pgrp, grandchild);
  } else {
    ASSERT_EQ(grandchild_task->pgrp, child.pid());
  }

  Type(std::string(1, static_cast<char>(IntrCharacter())));
  unsigned char signal = 0;
  ASSERT_TRUE(ReadReport(caught.read_fd(), signal))
      << "the foreground leader's handler never ran";
  EXPECT_EQ(signal, SIGINT);
  const int expected =
      kGrandchildBase +
      (background ? kGrandchildSigintNotPending : kGrandchildSigintPending);
  EXPECT_TRUE(ExitsWithWithin(child, expected))
      << (background ? "a background group got SIGINT from the terminal"
                     : "a foreground group member other than the leader did "
                       "not get SIGINT");
}

INSTANTIATE_TEST_SUITE_P(Group, CtrlCGroupTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "BackgroundGroup"
                                                         : "ForegroundGroup");
                         });

// The interrupt character is the terminal's setting, not 0x03 itself
// (termios(3), c_cc[VINTR]): after changing it to 0x07, 0x03 is data and
// 0x07 interrupts. Fails on a line discipline that hard-codes ^C.
TEST_F(CtrlCTest, InterruptCharacterIsTheTerminalsVintrSetting) {
  CLAIM("sig.beyond.terminal-intr-character");
  OPEN_PTY_OR_SKIP();
  constexpr unsigned char kBell = 0x07;
  termios settings = ipc::TerminalAttributes(master());
  settings.c_cc[VINTR] = kBell;
  ipc::SetTerminalAttributes(master(), settings);
  ASSERT_EQ(IntrCharacter(), kBell);
  ipc::Pipe progress = ipc::Pipe::Create(O_CLOEXEC);
  const char* path = replica_path_;
  const int progress_fd = progress.write_fd();
  ChildProcess child = ChildProcess::Fork([path, progress_fd] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!RestoreDefaultSignal(SIGINT)) return kSignalSetupFailed;
    char line[8] = {};
    const ssize_t n = ::read(tty, line, sizeof line);
    if (n < 0) return ErrnoExit();
    if (n != 2 || line[0] != kCtrlC || line[1] != '\n') return kWrongBytes;
    if (::write(progress_fd, "1", 1) != 1) return kReportFailed;
    const ssize_t again = ::read(tty, line, sizeof line);
    return again < 0 ? ErrnoExit() : kReadReturned;
  });
  ASSERT_TRUE(InForegroundReading(child));
  Type("\x03\n");
  char first_read_done = 0;
  ASSERT_TRUE(ReadReport(progress.read_fd(), first_read_done))
      << "0x03 did not arrive as data once VINTR was changed";
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read));

  Type(std::string(1, static_cast<char>(kBell)));
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGINT))
      << "after VINTR = 0x07, typing 0x07: the reader "
      << DescribeChildExit(status);
}

// VQUIT (termios(3): "(034, FS, Ctrl-\) Quit character (QUIT). Send
// SIGQUIT signal.") reaches the foreground reader as SIGQUIT. Caught by a
// handler (no core dump is written), the read fails EINTR. Fails on a line
// discipline that sends the wrong signal for QUIT.
TEST_F(CtrlCTest, QuitCharacterSendsSigquit) {
  CLAIM("sig.beyond.terminal-quit-character");
  OPEN_PTY_OR_SKIP();
  const unsigned char quit = ipc::TerminalAttributes(master()).c_cc[VQUIT];
  RecordMeasurement("pty.c_cc_vquit", static_cast<int>(quit));
  ipc::Pipe caught = ipc::Pipe::Create(O_CLOEXEC);
  const char* path = replica_path_;
  const int caught_fd = caught.write_fd();
  ChildProcess child = ChildProcess::Fork([path, caught_fd] {
    int tty = -1;
    if (ipc::BecomeForegroundOn(path, &tty) != 0) return kForegroundFailed;
    if (!CatchInChild(SIGQUIT, caught_fd, /*sa_restart=*/false) ||
        !RestoreDefaultSignal(SIGINT))
      return kSignalSetupFailed;
    char byte;
    const ssize_t n = ::read(tty, &byte, 1);
    return n < 0 ? ErrnoExit() : kReadReturned;
  });
  ASSERT_TRUE(InForegroundReading(child));

  Type(std::string(1, static_cast<char>(quit)));
  unsigned char signal = 0;
  ASSERT_TRUE(ReadReport(caught.read_fd(), signal)) << "no handler ran";
  EXPECT_EQ(signal, SIGQUIT);
  EXPECT_TRUE(ExitsWithWithin(child, ErrnoExit(EINTR)));
}

}  // namespace
}  // namespace ipcproof

// Fault injection into the pseudo-terminal wrappers
// (ipc/pseudo_terminal.h) through the ipc::TerminalSyscalls seam, with
// open, close, fcntl and ioctl on ipc::FdSyscalls: the flags posix_openpt
// gets, the order of grantpt, unlockpt and ptsname_r, that a master opened
// before a failure is closed exactly once, and every branch of
// BecomeForegroundOn — the function a forked child runs, which must answer
// with an errno (never an exception), close what it opened on failure, and
// allocate nothing.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include <cstring>
#include <string>
#include <utility>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_fd_syscalls.h"
#include "conformance/unit/mock_terminal_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd_syscalls.h"
#include "ipc/pseudo_terminal.h"
#include "ipc/terminal_syscalls.h"
#include "ipc/unique_fd.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;
using ::testing::StrEq;
using ::testing::StrictMock;
using ::testing::Truly;

constexpr const char* kReplica = "/dev/pts/7";
constexpr pid_t kSession = 4194305;  // above PID_MAX_LIMIT: nobody's
constexpr int kOpenFlags = O_RDWR | O_NOCTTY | O_CLOEXEC;

// A ptsname_r stand-in that writes `path`.
auto WritesPath(const char* path) {
  return [path](int, char* buf, size_t size) {
    if (std::strlen(path) + 1 > size) return ERANGE;
    std::strcpy(buf, path);
    return 0;
  };
}

class PtyUnitTest : public ::testing::Test {
 protected:
  void ExpectClosedOnce(int fd = kFakeFd) {
    EXPECT_CALL(fds_, Close(fd)).WillOnce(Return(0));
  }
  // A pseudo-terminal whose Open succeeded.
  ipc::PseudoTerminal MakeOpen() {
    EXPECT_CALL(term_, PosixOpenpt(kOpenFlags))
        .WillOnce(Return(kFakeFd))
        .RetiresOnSaturation();
    EXPECT_CALL(term_, Grantpt(kFakeFd))
        .WillOnce(Return(0))
        .RetiresOnSaturation();
    EXPECT_CALL(term_, Unlockpt(kFakeFd))
        .WillOnce(Return(0))
        .RetiresOnSaturation();
    EXPECT_CALL(term_, PtsnameR(kFakeFd, NotNull(), _))
        .WillOnce(WritesPath(kReplica))
        .RetiresOnSaturation();
    return ipc::PseudoTerminal::Open();
  }

  StrictMock<MockTerminalSyscalls> term_;
  StrictMock<MockFdSyscalls> fds_;

 private:
  MockTerminalSyscalls::ScopedOverride term_override_{term_};
  MockFdSyscalls::ScopedOverride fd_override_{fds_};
};

// ========================================================= PseudoTerminal

TEST_F(PtyUnitTest, OpenGrantsUnlocksNamesTheReplicaAndClosesOnce) {
  {
    InSequence in_order;
    // O_NOCTTY: the master must not become the caller's controlling
    // terminal; O_CLOEXEC: a program a child runs must not inherit it.
    EXPECT_CALL(term_, PosixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC))
        .WillOnce(Return(kFakeFd));
    EXPECT_CALL(term_, Grantpt(kFakeFd)).WillOnce(Return(0));
    EXPECT_CALL(term_, Unlockpt(kFakeFd)).WillOnce(Return(0));
    EXPECT_CALL(term_, PtsnameR(kFakeFd, NotNull(), _))
        .WillOnce(WritesPath(kReplica));
    EXPECT_CALL(fds_, Close(kFakeFd)).WillOnce(Return(0));
  }
  ipc::PseudoTerminal pty = ipc::PseudoTerminal::Open();
  EXPECT_EQ(pty.master(), kFakeFd);
  EXPECT_EQ(pty.replica_path(), kReplica);
}

TEST_F(PtyUnitTest, PosixOpenptFailureThrowsAndClosesNothing) {
  EXPECT_CALL(term_, PosixOpenpt(kOpenFlags))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));
  EXPECT_THAT(
      [] { ipc::PseudoTerminal::Open(); },
      ThrowsSystemError(ENOENT,
                        HasSubstr("posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC)")));
}

TEST_F(PtyUnitTest, GrantptFailureThrowsAndClosesTheMasterOnce) {
  EXPECT_CALL(term_, PosixOpenpt(kOpenFlags)).WillOnce(Return(kFakeFd));
  EXPECT_CALL(term_, Grantpt(kFakeFd)).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ExpectClosedOnce();
  EXPECT_THAT([] { ipc::PseudoTerminal::Open(); },
              ThrowsSystemError(EINVAL, HasSubstr("grantpt(fd=1000)")));
}

TEST_F(PtyUnitTest, UnlockptFailureThrowsAndClosesTheMasterOnce) {
  EXPECT_CALL(term_, PosixOpenpt(kOpenFlags)).WillOnce(Return(kFakeFd));
  EXPECT_CALL(term_, Grantpt(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(term_, Unlockpt(kFakeFd)).WillOnce(SetErrnoAndReturn(EIO, -1));
  ExpectClosedOnce();
  EXPECT_THAT([] { ipc::PseudoTerminal::Open(); },
              ThrowsSystemError(EIO, HasSubstr("unlockpt(fd=1000)")));
}

TEST_F(PtyUnitTest, PtsnameRErrorNumberIsItsReturnValue) {
  // ptsname_r returns the error number; errno is not where it is.
  EXPECT_CALL(term_, PosixOpenpt(kOpenFlags)).WillOnce(Return(kFakeFd));
  EXPECT_CALL(term_, Grantpt(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(term_, Unlockpt(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(term_, PtsnameR(kFakeFd, NotNull(), _))
      .WillOnce(DoAll([] { errno = 0; }, Return(ENOTTY)));
  ExpectClosedOnce();
  EXPECT_THAT([] { ipc::PseudoTerminal::Open(); },
              ThrowsSystemError(ENOTTY, HasSubstr("ptsname_r(fd=1000)")));
}

TEST_F(PtyUnitTest, UnterminatedReplicaPathIsErange) {
  EXPECT_CALL(term_, PosixOpenpt(kOpenFlags)).WillOnce(Return(kFakeFd));
  EXPECT_CALL(term_, Grantpt(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(term_, Unlockpt(kFakeFd)).WillOnce(Return(0));
  EXPECT_CALL(term_, PtsnameR(kFakeFd, NotNull(), _))
      .WillOnce([](int, char* buf, size_t size) {
        std::memset(buf, 'x', size);
        return 0;
      });
  ExpectClosedOnce();
  EXPECT_THAT([] { ipc::PseudoTerminal::Open(); },
              ThrowsSystemError(ERANGE, HasSubstr("left no terminator")));
}

TEST_F(PtyUnitTest, OpenReplicaOpensThePathWithTheFlagsAndOwnsIt) {
  ipc::PseudoTerminal pty = MakeOpen();
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
      .WillOnce(Return(kFakeReadFd));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), O_RDONLY, 0))
      .WillOnce(SetErrnoAndReturn(EIO, -1));
  EXPECT_CALL(fds_, Close(kFakeReadFd)).WillOnce(Return(0));
  ExpectClosedOnce();
  {
    ipc::UniqueFd replica = pty.OpenReplica();
    EXPECT_EQ(replica.get(), kFakeReadFd);
  }
  EXPECT_THAT([&] { pty.OpenReplica(O_RDONLY); },
              ThrowsSystemError(EIO, HasSubstr("open(/dev/pts/7)")));
}

TEST_F(PtyUnitTest, MovedFromReleasesNothingAndCloseMasterClosesOnce) {
  ipc::PseudoTerminal original = MakeOpen();
  ipc::PseudoTerminal moved = std::move(original);
  EXPECT_EQ(original.master(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(original.replica_path().empty());  // NOLINT
  EXPECT_THAT([&] { original.OpenReplica(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_EQ(moved.master(), kFakeFd);
  EXPECT_EQ(moved.replica_path(), kReplica);
  ExpectClosedOnce();
  moved.CloseMaster();
  EXPECT_EQ(moved.master(), -1);
}

// ===================================================== BecomeForegroundOn

TEST_F(PtyUnitTest, BecomeForegroundTakesTheTerminalInOrder) {
  {
    InSequence in_order;
    EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
    EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
        .WillOnce(Return(kFakeFd));
    // Argument 0: do not steal a terminal that is another session's.
    EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull())).WillOnce(Return(0));
    EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession)).WillOnce(Return(0));
  }
  int fd = -1;
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, &fd), 0);
  EXPECT_EQ(fd, kFakeFd);  // handed over, not closed (StrictMock)
}

TEST_F(PtyUnitTest, BecomeForegroundWithoutOutParameterClosesTheReplica) {
  EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull())).WillOnce(Return(0));
  EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession)).WillOnce(Return(0));
  ExpectClosedOnce();
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica), 0);
}

TEST_F(PtyUnitTest, BecomeForegroundRedirectsTheStandardStreams) {
  EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull())).WillOnce(Return(0));
  EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(kFakeFd, 0)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(kFakeFd, 1)).WillOnce(Return(1));
  EXPECT_CALL(term_, Dup2(kFakeFd, 2)).WillOnce(Return(2));
  ExpectClosedOnce();  // 0, 1 and 2 hold it now
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, nullptr,
                                    ipc::StandardStreams::kRedirect),
            0);
}

TEST_F(PtyUnitTest, BecomeForegroundRedirectingKeepsTheReplicaWhenAsked) {
  EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull())).WillOnce(Return(0));
  EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(kFakeFd, _)).Times(3).WillRepeatedly(Return(0));
  int fd = -1;
  EXPECT_EQ(
      ipc::BecomeForegroundOn(kReplica, &fd, ipc::StandardStreams::kRedirect),
      0);
  EXPECT_EQ(fd, kFakeFd);
}

TEST_F(PtyUnitTest, ReplicaOpenedAsStdinIsKeptAndLosesCloexec) {
  // The child had closed 0: open returns 0, which becomes stdin itself; its
  // FD_CLOEXEC from the open would drop it at exec.
  EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0)).WillOnce(Return(0));
  EXPECT_CALL(fds_, Ioctl(0, TIOCSCTTY, IsNull())).WillOnce(Return(0));
  EXPECT_CALL(term_, Tcsetpgrp(0, kSession)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(0, 1)).WillOnce(Return(1));
  EXPECT_CALL(term_, Dup2(0, 2)).WillOnce(Return(2));
  EXPECT_CALL(fds_, Fcntl(0, F_SETFD, 0)).WillOnce(Return(0));
  // No Close: descriptor 0 is the child's stdin now.
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, nullptr,
                                    ipc::StandardStreams::kRedirect),
            0);
}

TEST_F(PtyUnitTest, SetsidFailureIsReturnedBeforeAnyOpen) {
  // EPERM: the caller already leads a process group (setsid(2)).
  EXPECT_CALL(term_, Setsid()).WillOnce(SetErrnoAndReturn(EPERM, -1));
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica), EPERM);
}

TEST_F(PtyUnitTest, OpenFailureIsReturnedAndNothingIsClosed) {
  EXPECT_CALL(term_, Setsid()).WillOnce(Return(kSession));
  EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));
  int fd = -1;
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, &fd), ENOENT);
  EXPECT_EQ(fd, -1);
}

TEST_F(PtyUnitTest, LaterFailuresReturnTheirErrnoAndCloseTheReplicaOnce) {
  // close(2) failing too must not replace the errno reported.
  const auto start = [this] {
    EXPECT_CALL(term_, Setsid())
        .WillOnce(Return(kSession))
        .RetiresOnSaturation();
    EXPECT_CALL(fds_, Open(StrEq(kReplica), kOpenFlags, 0))
        .WillOnce(Return(kFakeFd))
        .RetiresOnSaturation();
    EXPECT_CALL(fds_, Close(kFakeFd))
        .WillOnce(SetErrnoAndReturn(EBADF, -1))
        .RetiresOnSaturation();
  };
  int fd = -1;

  start();
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .RetiresOnSaturation();
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, &fd), EPERM);

  start();
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull()))
      .WillOnce(Return(0))
      .RetiresOnSaturation();
  EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession))
      .WillOnce(SetErrnoAndReturn(ENOTTY, -1));
  EXPECT_EQ(ipc::BecomeForegroundOn(kReplica, &fd), ENOTTY);

  start();
  EXPECT_CALL(fds_, Ioctl(kFakeFd, TIOCSCTTY, IsNull()))
      .WillOnce(Return(0))
      .RetiresOnSaturation();
  EXPECT_CALL(term_, Tcsetpgrp(kFakeFd, kSession)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(kFakeFd, 0)).WillOnce(Return(0));
  EXPECT_CALL(term_, Dup2(kFakeFd, 1)).WillOnce(SetErrnoAndReturn(EMFILE, -1));
  EXPECT_EQ(
      ipc::BecomeForegroundOn(kReplica, &fd, ipc::StandardStreams::kRedirect),
      EMFILE);
  EXPECT_EQ(fd, -1);  // never handed out on failure
}

TEST_F(PtyUnitTest, NullPathIsEinvalWithNoCall) {
  EXPECT_EQ(ipc::BecomeForegroundOn(nullptr), EINVAL);
}

// ==================================================== termios and pgrp

TEST_F(PtyUnitTest, TerminalAttributesReturnsWhatTcgetattrFilled) {
  EXPECT_CALL(term_, Tcgetattr(kFakeFd, NotNull()))
      .WillOnce([](int, termios* t) {
        t->c_lflag = ISIG | ICANON;
        t->c_cc[VINTR] = 0x03;
        return 0;
      })
      .WillOnce(SetErrnoAndReturn(ENOTTY, -1));
  const termios t = ipc::TerminalAttributes(kFakeFd);
  EXPECT_EQ(t.c_lflag, static_cast<tcflag_t>(ISIG | ICANON));
  EXPECT_EQ(t.c_cc[VINTR], 0x03);
  EXPECT_THAT([] { ipc::TerminalAttributes(kFakeFd); },
              ThrowsSystemError(ENOTTY, HasSubstr("tcgetattr(fd=1000)")));
}

TEST_F(PtyUnitTest, SetTerminalAttributesPassesWhenAndTheAttributes) {
  termios wanted{};
  wanted.c_lflag = ECHO;
  EXPECT_CALL(term_, Tcsetattr(kFakeFd, TCSADRAIN, Truly([](const termios* t) {
                                 return t->c_lflag == ECHO;
                               })))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EIO, -1));
  ipc::SetTerminalAttributes(kFakeFd, wanted, TCSADRAIN);
  EXPECT_THAT([&] { ipc::SetTerminalAttributes(kFakeFd, wanted, TCSADRAIN); },
              ThrowsSystemError(EIO, HasSubstr("tcsetattr(fd=1000)")));
}

TEST_F(PtyUnitTest, SetTerminalAttributesRefusesAnUnknownWhen) {
  EXPECT_THAT([] { ipc::SetTerminalAttributes(kFakeFd, termios{}, 42); },
              ThrowsInvalidArgument(HasSubstr("TCSANOW")));
}

TEST_F(PtyUnitTest, ChangeLocalModesSetsAndClearsOnlyThoseBits) {
  InSequence in_order;
  EXPECT_CALL(term_, Tcgetattr(kFakeFd, NotNull()))
      .WillOnce([](int, termios* t) {
        t->c_lflag = ISIG | ICANON | ECHO;
        t->c_iflag = ICRNL;
        t->c_cc[VINTR] = 0x03;
        return 0;
      });
  EXPECT_CALL(term_,
              Tcsetattr(kFakeFd, TCSANOW, Truly([](const termios* t) {
                          return t->c_lflag == (ICANON | ECHO | NOFLSH) &&
                                 t->c_iflag == ICRNL && t->c_cc[VINTR] == 0x03;
                        })))
      .WillOnce(Return(0));
  ipc::ChangeLocalModes(kFakeFd, NOFLSH, ISIG);
}

TEST_F(PtyUnitTest, ChangeLocalModesRefusesOverlapBeforeAnyCall) {
  EXPECT_THAT([] { ipc::ChangeLocalModes(kFakeFd, ISIG | ECHO, ISIG); },
              ThrowsInvalidArgument(HasSubstr("same flag")));
}

TEST_F(PtyUnitTest, ForegroundProcessGroupIsTcgetpgrp) {
  EXPECT_CALL(term_, Tcgetpgrp(kFakeFd))
      .WillOnce(Return(kSession))
      .WillOnce(SetErrnoAndReturn(ENOTTY, -1));
  EXPECT_EQ(ipc::ForegroundProcessGroup(kFakeFd), kSession);
  EXPECT_THAT([] { ipc::ForegroundProcessGroup(kFakeFd); },
              ThrowsSystemError(ENOTTY, HasSubstr("tcgetpgrp(fd=1000)")));
}

// ============================================================ No allocation

// Loopback seams with no gmock behind them (gmock allocates while
// matching): what is counted is BecomeForegroundOn's own.
class SucceedingTerminalSyscalls : public ipc::TerminalSyscalls {
 public:
  int PosixOpenpt(int) override { return Ok(kFakeFd); }
  int Grantpt(int) override { return Ok(0); }
  int Unlockpt(int) override { return Ok(0); }
  int PtsnameR(int, char* buf, size_t) override {
    std::strcpy(buf, kReplica);
    return Ok(0);
  }
  pid_t Setsid() override { return Ok(kSession); }
  int Tcsetpgrp(int, pid_t) override { return Ok(0); }
  pid_t Tcgetpgrp(int) override { return Ok(kSession); }
  int Tcgetattr(int, termios*) override { return Ok(0); }
  int Tcsetattr(int, int, const termios*) override { return Ok(0); }
  int Dup2(int, int new_fd) override { return Ok(new_fd); }
  long calls() const { return calls_; }

 private:
  int Ok(int result) {
    ++calls_;
    return result;
  }
  long calls_ = 0;
};

class SucceedingFdSyscalls : public ipc::FdSyscalls {
 public:
  ssize_t Read(int, void*, size_t count) override { return Ok(count); }
  ssize_t Write(int, const void*, size_t count) override { return Ok(count); }
  int Close(int) override { return Ok(0); }
  int Pipe2(int*, int) override { return Ok(0); }
  int Fcntl(int, int, int) override { return Ok(0); }
  int Ioctl(int, unsigned long, void*) override { return Ok(0); }
  int Open(const char*, int, mode_t) override { return Ok(kFakeFd); }
  int Mkfifo(const char*, mode_t) override { return Ok(0); }
  int Unlink(const char*) override { return Ok(0); }
  long calls() const { return calls_; }

 private:
  int Ok(ssize_t result) {
    ++calls_;
    return static_cast<int>(result);
  }
  long calls_ = 0;
};

TEST(PtyAllocationTest, BecomeForegroundOnAllocatesNothing) {
  SucceedingTerminalSyscalls term;
  SucceedingFdSyscalls fds;
  ipc::TerminalSyscalls::ScopedOverride term_override(term);
  ipc::FdSyscalls::ScopedOverride fd_override(fds);
  int failures = 0;
  auto round = [&] {
    int fd = -1;
    failures += ipc::BecomeForegroundOn(kReplica, &fd) != 0;
    failures += ipc::BecomeForegroundOn(kReplica, nullptr,
                                        ipc::StandardStreams::kRedirect) != 0;
  };
  const long before = term.calls() + fds.calls();
  EXPECT_EQ(AllocationsIn(100, round), 0);
  EXPECT_EQ(failures, 0);
  // setsid, open, ioctl, tcsetpgrp (+ 3 dup2 and close when redirected).
  EXPECT_EQ(term.calls() + fds.calls() - before, 100 * (4 + 8));
}

}  // namespace
}  // namespace ipcproof::unit

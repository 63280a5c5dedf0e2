// Fault injection into the signal wrappers (ipc/signalfd.h, ipc/pidfd.h)
// through the ipc::SignalSyscalls seam, with the descriptor calls (read,
// close) on ipc::FdSyscalls: which arguments reach signalfd, rt_sigqueueinfo,
// pidfd_open, pidfd_send_signal, pidfd_getfd, waitid and poll; which are
// refused before any call; what every error becomes (ENOSYS and the old
// kernel's EINVAL stay visible as values); and that each descriptor is
// closed exactly once, by its last owner.
//
// EINTR: Signalfd::Read and Pidfd::Wait never retry it (whether a call
// resumes after a handler is the kernel's to show); the polls do, for the
// time left, because a SIGCHLD landing in a test's deadline wait is the
// normal case, not a failure. Each test that injects EINTR states how many
// calls it allows.
//
// The Errno forms promise to allocate nothing on success (a forked child may
// call them): this binary counts heap allocations, and loopback seams with
// no gmock behind them run those forms inside the counted window.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_fd_syscalls.h"
#include "conformance/unit/mock_signal_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd_syscalls.h"
#include "ipc/pidfd.h"
#include "ipc/signal_syscalls.h"
#include "ipc/signalfd.h"
#include "ipc/unique_fd.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Le;
using ::testing::MockFunction;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;
using ::testing::StrictMock;
using ::testing::Truly;

using namespace std::chrono_literals;

constexpr ssize_t kRecord = sizeof(signalfd_siginfo);

// Both seams mocked strictly for the whole test (see MockedSeamTest).
class SignalUnitTest : public ::testing::Test {
 protected:
  void ExpectClosedOnce(int fd = kFakeFd) {
    EXPECT_CALL(fds_, Close(fd)).WillOnce(Return(0));
  }

  StrictMock<MockSignalSyscalls> sig_;
  StrictMock<MockFdSyscalls> fds_;

 private:
  MockSignalSyscalls::ScopedOverride sig_override_{sig_};
  MockFdSyscalls::ScopedOverride fd_override_{fds_};
};

sigset_t MaskOf(int signal) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, signal);
  return mask;
}

// A read(2) stand-in that hands out one record for `signal`.
auto ReadsRecord(int signal, int value) {
  return [signal, value](int, void* buf, size_t count) -> ssize_t {
    signalfd_siginfo record;
    std::memset(&record, 0, sizeof record);
    record.ssi_signo = signal;
    record.ssi_code = SI_QUEUE;
    record.ssi_int = value;
    std::memcpy(buf, &record, count < sizeof record ? count : sizeof record);
    return kRecord;
  };
}

// ================================================================ Signalfd

class SignalfdUnitTest : public SignalUnitTest {
 protected:
  ipc::Signalfd Make(int flags = SFD_CLOEXEC) {
    EXPECT_CALL(sig_, Signalfd(-1, NotNull(), flags))
        .WillOnce(Return(kFakeFd))
        .RetiresOnSaturation();
    return ipc::Signalfd::Create(MaskOf(SIGUSR1), flags);
  }
};

TEST_F(SignalfdUnitTest, CreatePassesMinusOneTheMaskAndFlagsAndClosesOnce) {
  EXPECT_CALL(sig_, Signalfd(-1, Truly([](const sigset_t* mask) {
                return sigismember(mask, SIGUSR2) == 1 &&
                       sigismember(mask, SIGUSR1) == 0;
              }),
                             SFD_CLOEXEC | SFD_NONBLOCK))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::Signalfd sfd =
      ipc::Signalfd::Create(MaskOf(SIGUSR2), SFD_CLOEXEC | SFD_NONBLOCK);
  EXPECT_EQ(sfd.fd(), kFakeFd);
  EXPECT_TRUE(sfd.valid());
  EXPECT_EQ(sfd.flags(), SFD_CLOEXEC | SFD_NONBLOCK);
}

TEST_F(SignalfdUnitTest, CreateRefusesOtherFlagsBeforeAnyCall) {
  EXPECT_CALL(sig_, Signalfd).Times(0);
  EXPECT_THAT([] { ipc::Signalfd::Create(MaskOf(SIGUSR1), O_APPEND); },
              ThrowsInvalidArgument(HasSubstr("SFD_CLOEXEC and SFD_NONBLOCK")));
}

TEST_F(SignalfdUnitTest, CreateFailureThrowsNamingSignalfdAndClosesNothing) {
  EXPECT_CALL(sig_, Signalfd(-1, NotNull(), SFD_CLOEXEC | SFD_NONBLOCK))
      .WillOnce(SetErrnoAndReturn(EMFILE, -1));
  EXPECT_THAT(
      [] {
        ipc::Signalfd::Create(MaskOf(SIGUSR1), SFD_CLOEXEC | SFD_NONBLOCK);
      },
      ThrowsSystemError(EMFILE,
                        HasSubstr("signalfd(-1, SFD_CLOEXEC|SFD_NONBLOCK)")));
}

TEST_F(SignalfdUnitTest, ReadAsksForOneRecordAndReturnsIt) {
  ipc::Signalfd sfd = Make();
  EXPECT_CALL(fds_, Read(kFakeFd, NotNull(), sizeof(signalfd_siginfo)))
      .WillOnce(ReadsRecord(SIGUSR1, 7));
  ExpectClosedOnce();

  const std::optional<signalfd_siginfo> record = sfd.Read();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ(record->ssi_code, SI_QUEUE);
  EXPECT_EQ(record->ssi_int, 7);
}

TEST_F(SignalfdUnitTest, ReadEagainIsNothingPending) {
  ipc::Signalfd sfd = Make(SFD_CLOEXEC | SFD_NONBLOCK);
  EXPECT_CALL(fds_, Read(kFakeFd, _, _))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  ExpectClosedOnce();
  EXPECT_EQ(sfd.Read(), std::nullopt);
}

TEST_F(SignalfdUnitTest, ReadEintrReachesTheCallerUnretried) {
  ipc::Signalfd sfd = Make();
  // WillOnce: a second read would be a retry.
  EXPECT_CALL(fds_, Read(kFakeFd, _, _)).WillOnce(SetErrnoAndReturn(EINTR, -1));
  ExpectClosedOnce();
  EXPECT_THAT([&] { sfd.Read(); },
              ThrowsSystemError(EINTR, HasSubstr("read(signalfd=1000)")));
}

TEST_F(SignalfdUnitTest, ReadOfAPartialRecordIsAnErrorNotASignal) {
  ipc::Signalfd sfd = Make();
  EXPECT_CALL(fds_, Read(kFakeFd, _, _))
      .WillOnce(Return(kRecord - 1))
      .WillOnce(Return(0));
  ExpectClosedOnce();
  EXPECT_THAT([&] { sfd.Read(); },
              ThrowsSystemError(EIO, HasSubstr("returned 127 of 128 bytes")));
  signalfd_siginfo record;
  EXPECT_EQ(sfd.ReadErrno(&record), EIO);
}

TEST_F(SignalfdUnitTest, ReadErrnoReturnsTheErrnoAndTheRecord) {
  ipc::Signalfd sfd = Make();
  EXPECT_CALL(fds_, Read(kFakeFd, _, sizeof(signalfd_siginfo)))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(ReadsRecord(SIGUSR1, 3));
  ExpectClosedOnce();
  signalfd_siginfo record;
  EXPECT_EQ(sfd.ReadErrno(&record), EAGAIN);
  EXPECT_EQ(sfd.ReadErrno(&record), EINTR);
  EXPECT_EQ(sfd.ReadErrno(&record), 0);
  EXPECT_EQ(record.ssi_int, 3);
}

TEST_F(SignalfdUnitTest, ReadWithinPollsForPollinWithTheTimeoutThenReads) {
  ipc::Signalfd sfd = Make();
  InSequence in_order;
  EXPECT_CALL(sig_, Poll(NotNull(), 1, AllOf(Ge(0), Le(250))))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        EXPECT_EQ(entry->fd, kFakeFd);
        EXPECT_EQ(entry->events, POLLIN);
        entry->revents = POLLIN;
        return 1;
      });
  EXPECT_CALL(fds_, Read(kFakeFd, _, _)).WillOnce(ReadsRecord(SIGUSR1, 5));
  ExpectClosedOnce();

  const std::optional<signalfd_siginfo> record = sfd.ReadWithin(250ms);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->ssi_int, 5);
}

TEST_F(SignalfdUnitTest, ReadWithinTimeoutReadsNothing) {
  ipc::Signalfd sfd = Make();
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillOnce(Return(0));
  ExpectClosedOnce();  // and no Read (StrictMock)
  EXPECT_EQ(sfd.ReadWithin(10ms), std::nullopt);
}

TEST_F(SignalfdUnitTest, ReadWithinPollsAgainAfterEintr) {
  ipc::Signalfd sfd = Make();
  InSequence in_order;
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sig_, Poll(_, 1, Le(1000)))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        entry->revents = POLLIN;
        return 1;
      });
  EXPECT_CALL(fds_, Read(kFakeFd, _, _)).WillOnce(ReadsRecord(SIGUSR1, 1));
  ExpectClosedOnce();
  EXPECT_TRUE(sfd.ReadWithin(1000ms).has_value());
}

TEST_F(SignalfdUnitTest, ReadWithinFailuresThrowNamingPoll) {
  ipc::Signalfd sfd = Make();
  EXPECT_CALL(sig_, Poll(_, 1, _))
      .WillOnce(SetErrnoAndReturn(ENOMEM, -1))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        entry->revents = POLLNVAL;
        return 1;
      })
      .WillOnce([](pollfd* entry, nfds_t, int) {
        entry->revents = POLLERR;
        return 1;
      });
  ExpectClosedOnce();
  EXPECT_THAT([&] { sfd.ReadWithin(10ms); },
              ThrowsSystemError(ENOMEM, HasSubstr("poll(signalfd=1000)")));
  EXPECT_THAT([&] { sfd.ReadWithin(10ms); },
              ThrowsSystemError(EBADF, HasSubstr("poll(signalfd=1000)")));
  EXPECT_THAT([&] { sfd.ReadWithin(10ms); },
              ThrowsSystemError(EIO, HasSubstr("without POLLIN")));
}

TEST_F(SignalfdUnitTest, SetMaskPassesTheDescriptorAndNoFlags) {
  ipc::Signalfd sfd = Make(SFD_CLOEXEC | SFD_NONBLOCK);
  EXPECT_CALL(sig_, Signalfd(kFakeFd, Truly([](const sigset_t* mask) {
                               return sigismember(mask, SIGUSR2) == 1;
                             }),
                             0))
      .WillOnce(Return(kFakeFd))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ExpectClosedOnce();
  sfd.SetMask(MaskOf(SIGUSR2));
  EXPECT_THAT([&] { sfd.SetMask(MaskOf(SIGUSR2)); },
              ThrowsSystemError(EINVAL, HasSubstr("signalfd(signalfd=1000)")));
}

TEST_F(SignalfdUnitTest, MovedFromReleasesNothingAndRefusesToRead) {
  ExpectClosedOnce();  // by `moved`, once
  ipc::Signalfd original = Make();
  ipc::Signalfd moved = std::move(original);
  EXPECT_EQ(moved.fd(), kFakeFd);
  EXPECT_FALSE(original.valid());        // NOLINT(bugprone-use-after-move)
  EXPECT_THAT([&] { original.Read(); },  // NOLINT(bugprone-use-after-move)
              ThrowsInvalidArgument(HasSubstr("moved from")));
  signalfd_siginfo record;
  EXPECT_THAT([&] { original.ReadErrno(&record); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.ReadWithin(1ms); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.SetMask(MaskOf(SIGUSR1)); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
}

TEST_F(SignalfdUnitTest, MoveAssignmentClosesTheTargetsOwnFirst) {
  MockFunction<void(const char*)> checkpoint;
  EXPECT_CALL(sig_, Signalfd(-1, _, SFD_CLOEXEC))
      .WillOnce(Return(kFakeReadFd))
      .WillOnce(Return(kFakeWriteFd));
  {
    InSequence in_order;
    EXPECT_CALL(fds_, Close(kFakeReadFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(fds_, Close(kFakeWriteFd)).WillOnce(Return(0));
  }
  ipc::Signalfd target = ipc::Signalfd::Create(MaskOf(SIGUSR1));
  ipc::Signalfd source = ipc::Signalfd::Create(MaskOf(SIGUSR1));
  target = std::move(source);
  EXPECT_EQ(target.fd(), kFakeWriteFd);
  checkpoint.Call("assigned");
}

TEST_F(SignalfdUnitTest, ReleaseGivesUpAndCloseClosesOnce) {
  ipc::Signalfd released = Make();
  EXPECT_EQ(released.Release(), kFakeFd);  // no Close (StrictMock)
  EXPECT_FALSE(released.valid());

  ipc::Signalfd closed = Make();
  ExpectClosedOnce();
  closed.Close();
  EXPECT_FALSE(closed.valid());
}

// ============================================================= QueueSignal

TEST_F(SignalUnitTest, QueueSignalBuildsTheSiginfoSigqueueWould) {
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, SIGRTMIN + 1, NotNull()))
      .WillOnce([](pid_t, int, siginfo_t* info) {
        EXPECT_EQ(info->si_signo, SIGRTMIN + 1);
        EXPECT_EQ(info->si_code, SI_QUEUE);
        EXPECT_EQ(info->si_pid, ::getpid());
        EXPECT_EQ(info->si_uid, ::getuid());
        EXPECT_EQ(info->si_value.sival_int, -42);
        EXPECT_EQ(info->si_errno, 0);
        return 0;
      });
  ipc::QueueSignal(kFakePid, SIGRTMIN + 1, -42);
}

TEST_F(SignalUnitTest, QueueSignalCarriesAPointerPayload) {
  int anchor = 0;
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, SIGUSR1, NotNull()))
      .WillOnce([&anchor](pid_t, int, siginfo_t* info) {
        EXPECT_EQ(info->si_code, SI_QUEUE);
        EXPECT_EQ(info->si_value.sival_ptr, &anchor);
        return 0;
      });
  ipc::QueueSignal(kFakePid, SIGUSR1, static_cast<void*>(&anchor));
}

TEST_F(SignalUnitTest, QueueSignalZeroIsAnExistenceCheckTheKernelAnswers) {
  // sigqueue(3): "If sig is 0, then no signal is sent, but error checking
  // is still performed": the wrapper passes it on.
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, 0, NotNull()))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(ESRCH, -1));
  EXPECT_EQ(ipc::QueueSignalErrno(kFakePid, 0, 0), 0);
  EXPECT_EQ(ipc::QueueSignalErrno(kFakePid, 0, 0), ESRCH);
}

TEST_F(SignalUnitTest, QueueSignalRefusesBadArgumentsBeforeAnyCall) {
  EXPECT_CALL(sig_, RtSigqueueinfo).Times(0);
  EXPECT_THAT([] { ipc::QueueSignal(0, SIGUSR1, 1); },
              ThrowsInvalidArgument(HasSubstr("pid must be > 0")));
  EXPECT_THAT([] { ipc::QueueSignal(-kFakePid, SIGUSR1, 1); },
              ThrowsInvalidArgument(HasSubstr("pid must be > 0")));
  EXPECT_THAT([] { ipc::QueueSignal(kFakePid, -1, 1); },
              ThrowsInvalidArgument(HasSubstr("0..SIGRTMAX")));
  EXPECT_THAT([] { ipc::QueueSignal(kFakePid, SIGRTMAX + 1, nullptr); },
              ThrowsInvalidArgument(HasSubstr("0..SIGRTMAX")));
  EXPECT_THAT([] { ipc::QueueSignalErrno(-1, SIGUSR1, 1); },
              ThrowsInvalidArgument(HasSubstr("QueueSignalErrno")));
  EXPECT_THAT([] { ipc::QueueSignalErrno(kFakePid, SIGRTMAX + 1, nullptr); },
              ThrowsInvalidArgument(HasSubstr("QueueSignalErrno")));
}

TEST_F(SignalUnitTest, QueueSignalAcceptsTheWholeRange) {
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, SIGRTMAX, _)).WillOnce(Return(0));
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, 1, _)).WillOnce(Return(0));
  ipc::QueueSignal(kFakePid, SIGRTMAX, 0);
  ipc::QueueSignal(kFakePid, 1, 0);
}

TEST_F(SignalUnitTest, QueueSignalFailureNamesTheCallThePidAndTheSignal) {
  EXPECT_CALL(sig_, RtSigqueueinfo(kFakePid, _, _))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(ESRCH, -1));
  EXPECT_THAT(
      [] { ipc::QueueSignal(kFakePid, SIGUSR1, 1); },
      ThrowsSystemError(EAGAIN, HasSubstr("rt_sigqueueinfo(pid=4194305, "
                                          "SIGUSR1, SI_QUEUE)")));
  EXPECT_THAT([] { ipc::QueueSignal(kFakePid, SIGRTMIN, nullptr); },
              ThrowsSystemError(
                  EPERM, HasSubstr("signal " + std::to_string(SIGRTMIN))));
  EXPECT_EQ(ipc::QueueSignalErrno(kFakePid, SIGRTMIN, 1), EAGAIN);
  EXPECT_EQ(ipc::QueueSignalErrno(kFakePid, SIGUSR2, nullptr), ESRCH);
}

// ================================================================== Pidfd

class PidfdUnitTest : public SignalUnitTest {
 protected:
  ipc::Pidfd Make(pid_t pid = kFakePid) {
    EXPECT_CALL(sig_, PidfdOpen(pid, 0u))
        .WillOnce(Return(kFakeFd))
        .RetiresOnSaturation();
    return ipc::Pidfd::Open(pid);
  }
};

TEST_F(PidfdUnitTest, OpenPassesPidAndFlagsAndClosesOnce) {
  EXPECT_CALL(sig_, PidfdOpen(kFakePid, static_cast<unsigned>(O_NONBLOCK)))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();
  ipc::Pidfd pidfd = ipc::Pidfd::Open(kFakePid, O_NONBLOCK);
  EXPECT_EQ(pidfd.fd(), kFakeFd);
  EXPECT_EQ(pidfd.pid(), kFakePid);
  EXPECT_TRUE(pidfd.valid());
}

TEST_F(PidfdUnitTest, OpenOnAKernelWithoutPidfdOpenThrowsEnosys) {
  EXPECT_CALL(sig_, PidfdOpen(kFakePid, 0u))
      .WillOnce(SetErrnoAndReturn(ENOSYS, -1));
  EXPECT_THAT([] { ipc::Pidfd::Open(kFakePid); },
              ThrowsSystemError(ENOSYS, HasSubstr("pidfd_open(pid=4194305, "
                                                  "flags=0)")));
}

TEST_F(PidfdUnitTest, TryOpenReturnsTheErrnoAndAnEmptyHandle) {
  EXPECT_CALL(sig_, PidfdOpen(kFakePid, 0u))
      .WillOnce(SetErrnoAndReturn(ENOSYS, -1))
      .WillOnce(SetErrnoAndReturn(ESRCH, -1))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();  // only the one that opened

  ipc::Pidfd::OpenResult old_kernel = ipc::Pidfd::TryOpen(kFakePid);
  EXPECT_FALSE(old_kernel.ok());
  EXPECT_EQ(old_kernel.error, ENOSYS);
  EXPECT_FALSE(old_kernel.pidfd.valid());

  EXPECT_EQ(ipc::Pidfd::TryOpen(kFakePid).error, ESRCH);

  ipc::Pidfd::OpenResult opened = ipc::Pidfd::TryOpen(kFakePid);
  EXPECT_TRUE(opened.ok());
  EXPECT_EQ(opened.pidfd.fd(), kFakeFd);
  EXPECT_EQ(opened.pidfd.pid(), kFakePid);
}

TEST_F(PidfdUnitTest, OpenRefusesPidsBelowOneBeforeAnyCall) {
  EXPECT_CALL(sig_, PidfdOpen).Times(0);
  EXPECT_THAT([] { ipc::Pidfd::Open(0); },
              ThrowsInvalidArgument(HasSubstr("pid must be > 0")));
  EXPECT_THAT([] { ipc::Pidfd::TryOpen(-1); },
              ThrowsInvalidArgument(HasSubstr("pid must be > 0")));
}

TEST_F(PidfdUnitTest, SendSignalPassesDescriptorSignalInfoAndNoFlags) {
  ipc::Pidfd pidfd = Make();
  siginfo_t info{};
  EXPECT_CALL(sig_, PidfdSendSignal(kFakeFd, SIGTERM, nullptr, 0u))
      .WillOnce(Return(0));
  EXPECT_CALL(sig_, PidfdSendSignal(kFakeFd, SIGUSR1, &info, 0u))
      .WillOnce(Return(0));
  EXPECT_CALL(sig_, PidfdSendSignal(kFakeFd, 0, nullptr, 0u))
      .WillOnce(Return(0));
  ExpectClosedOnce();
  pidfd.SendSignal(SIGTERM);
  pidfd.SendSignal(SIGUSR1, &info);
  EXPECT_EQ(pidfd.SendSignalErrno(0), 0);  // an existence check
}

TEST_F(PidfdUnitTest, SendSignalAfterTheProcessWasReapedIsEsrch) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, PidfdSendSignal(kFakeFd, SIGTERM, nullptr, 0u))
      .WillOnce(SetErrnoAndReturn(ESRCH, -1))
      .WillOnce(SetErrnoAndReturn(ESRCH, -1));
  EXPECT_CALL(sig_, PidfdSendSignal(kFakeFd, SIGKILL, nullptr, 0u))
      .WillOnce(SetErrnoAndReturn(ENOSYS, -1));
  ExpectClosedOnce();
  EXPECT_THAT([&] { pidfd.SendSignal(SIGTERM); },
              ThrowsSystemError(ESRCH, HasSubstr("pidfd_send_signal(pid="
                                                 "4194305, SIGTERM)")));
  EXPECT_EQ(pidfd.SendSignalErrno(SIGTERM), ESRCH);
  EXPECT_EQ(pidfd.SendSignalErrno(SIGKILL), ENOSYS);
}

TEST_F(PidfdUnitTest, SendSignalRefusesSignalsOutOfRangeBeforeAnyCall) {
  ipc::Pidfd pidfd = Make();
  ExpectClosedOnce();
  EXPECT_CALL(sig_, PidfdSendSignal).Times(0);
  EXPECT_THAT([&] { pidfd.SendSignal(-1); },
              ThrowsInvalidArgument(HasSubstr("0..SIGRTMAX")));
  EXPECT_THAT([&] { pidfd.SendSignalErrno(SIGRTMAX + 1); },
              ThrowsInvalidArgument(HasSubstr("0..SIGRTMAX")));
}

TEST_F(PidfdUnitTest, WaitReadableIsPollinWithinTheTimeout) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Poll(NotNull(), 1, AllOf(Ge(0), Le(500))))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        EXPECT_EQ(entry->fd, kFakeFd);
        EXPECT_EQ(entry->events, POLLIN);
        entry->revents = POLLIN | POLLHUP;  // exited and reaped
        return 1;
      })
      .WillOnce(Return(0));
  ExpectClosedOnce();
  EXPECT_TRUE(pidfd.WaitReadable(500ms));
  EXPECT_FALSE(pidfd.WaitReadable(500ms));
}

TEST_F(PidfdUnitTest, WaitReadableSurvivesTheSigchldOfTheExitItWaitsFor) {
  ipc::Pidfd pidfd = Make();
  InSequence in_order;
  EXPECT_CALL(sig_, Poll(_, 1, _))
      .Times(2)
      .WillRepeatedly(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sig_, Poll(_, 1, Le(5000)))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        entry->revents = POLLIN;
        return 1;
      });
  ExpectClosedOnce();
  EXPECT_TRUE(pidfd.WaitReadable(5000ms));
}

TEST_F(PidfdUnitTest, WaitReadableInterruptedPastTheDeadlineTimesOut) {
  // EINTR on every poll: the loop must still end, with "not exited", once
  // the deadline has passed (the last poll asks for 0 ms).
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillRepeatedly(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sig_, Poll(_, 1, 0)).WillOnce(SetErrnoAndReturn(EINTR, -1));
  ExpectClosedOnce();
  EXPECT_FALSE(pidfd.WaitReadable(5ms));
}

TEST_F(PidfdUnitTest, WaitReadableFailuresThrowNamingPollAndThePid) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Poll(_, 1, _))
      .WillOnce(SetErrnoAndReturn(ENOMEM, -1))
      .WillOnce([](pollfd* entry, nfds_t, int) {
        entry->revents = POLLNVAL;
        return 1;
      });
  ExpectClosedOnce();
  EXPECT_THAT(
      [&] { pidfd.WaitReadable(10ms); },
      ThrowsSystemError(ENOMEM, HasSubstr("poll(pidfd of pid=4194305)")));
  EXPECT_THAT(
      [&] { pidfd.WaitReadable(10ms); },
      ThrowsSystemError(EBADF, HasSubstr("poll(pidfd of pid=4194305)")));
}

TEST_F(PidfdUnitTest, WaitPassesPPidfdTheDescriptorAndOptions) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Waitid(P_PIDFD, static_cast<id_t>(kFakeFd), NotNull(),
                           WEXITED | WNOWAIT))
      .WillOnce([](idtype_t, id_t, siginfo_t* info, int) {
        info->si_pid = kFakePid;
        info->si_signo = SIGCHLD;
        info->si_code = CLD_EXITED;
        info->si_status = 3;
        return 0;
      });
  ExpectClosedOnce();
  const std::optional<siginfo_t> info = pidfd.Wait(WEXITED | WNOWAIT);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->si_pid, kFakePid);
  EXPECT_EQ(info->si_code, CLD_EXITED);
  EXPECT_EQ(info->si_status, 3);
}

TEST_F(PidfdUnitTest, WaitWithWnohangAndNoChangeIsNothing) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Waitid(P_PIDFD, _, _, WEXITED | WNOHANG))
      .WillOnce(Return(0));  // si_pid left as the wrapper zeroed it
  ExpectClosedOnce();
  EXPECT_EQ(pidfd.Wait(WEXITED | WNOHANG), std::nullopt);
}

TEST_F(PidfdUnitTest, WaitErrnoZeroesTheSiginfoFirst) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, Waitid(P_PIDFD, _, NotNull(), WEXITED | WNOHANG))
      .WillOnce([](idtype_t, id_t, siginfo_t* info, int) {
        EXPECT_EQ(info->si_pid, 0);
        EXPECT_EQ(info->si_code, 0);
        return 0;
      });
  ExpectClosedOnce();
  siginfo_t info;
  std::memset(&info, 0x5a, sizeof info);
  EXPECT_EQ(pidfd.WaitErrno(WEXITED | WNOHANG, &info), 0);
  EXPECT_EQ(info.si_pid, 0);
}

TEST_F(PidfdUnitTest, WaitFailuresReachTheCallerUnretried) {
  ipc::Pidfd pidfd = Make();
  // EINTR, ECHILD, and EINVAL: what a kernel before 5.4 says to P_PIDFD.
  EXPECT_CALL(sig_, Waitid(P_PIDFD, _, _, WEXITED))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(ECHILD, -1))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ExpectClosedOnce();
  EXPECT_THAT(
      [&] { pidfd.Wait(WEXITED); },
      ThrowsSystemError(EINTR, HasSubstr("waitid(P_PIDFD, pid=4194305")));
  EXPECT_THAT([&] { pidfd.Wait(WEXITED); },
              ThrowsSystemError(ECHILD, HasSubstr("waitid(P_PIDFD")));
  siginfo_t info;
  EXPECT_EQ(pidfd.WaitErrno(WEXITED, &info), EINVAL);
  EXPECT_THAT([&] { pidfd.WaitErrno(WEXITED, nullptr); },
              ThrowsInvalidArgument(HasSubstr("info is null")));
}

TEST_F(PidfdUnitTest, GetFdReturnsAnOwnedDuplicateClosedOnce) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, PidfdGetfd(kFakeFd, 4, 0u)).WillOnce(Return(kFakeReadFd));
  EXPECT_CALL(fds_, Close(kFakeReadFd)).WillOnce(Return(0));
  ExpectClosedOnce();
  ipc::UniqueFd copy = pidfd.GetFd(4);
  EXPECT_EQ(copy.get(), kFakeReadFd);
}

TEST_F(PidfdUnitTest, GetFdFailuresAreNamedOrNegated) {
  ipc::Pidfd pidfd = Make();
  EXPECT_CALL(sig_, PidfdGetfd(kFakeFd, 9, 0u))
      .WillOnce(SetErrnoAndReturn(EBADF, -1))
      .WillOnce(SetErrnoAndReturn(ENOSYS, -1));
  ExpectClosedOnce();
  EXPECT_THAT([&] { pidfd.GetFd(9); },
              ThrowsSystemError(EBADF, HasSubstr("pidfd_getfd(pid=4194305, "
                                                 "fd=9)")));
  EXPECT_EQ(pidfd.GetFdOrNegativeErrno(9), -ENOSYS);
  EXPECT_THAT([&] { pidfd.GetFd(-1); },
              ThrowsInvalidArgument(HasSubstr("target_fd")));
}

TEST_F(PidfdUnitTest, MovedFromReleasesNothingAndRefusesEveryOperation) {
  ExpectClosedOnce();
  ipc::Pidfd original = Make();
  ipc::Pidfd moved = std::move(original);
  EXPECT_EQ(moved.fd(), kFakeFd);
  EXPECT_FALSE(original.valid());  // NOLINT(bugprone-use-after-move)
  siginfo_t info;
  EXPECT_THAT([&] { original.SendSignal(SIGTERM); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.SendSignalErrno(SIGTERM); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.WaitReadable(1ms); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.Wait(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.WaitErrno(WEXITED, &info); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { original.GetFd(0); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
}

TEST_F(PidfdUnitTest, MoveAssignmentClosesTheTargetsOwnFirst) {
  MockFunction<void(const char*)> checkpoint;
  EXPECT_CALL(sig_, PidfdOpen(kFakePid, 0u)).WillOnce(Return(kFakeReadFd));
  EXPECT_CALL(sig_, PidfdOpen(kFakePid - 1, 0u)).WillOnce(Return(kFakeWriteFd));
  {
    InSequence in_order;
    EXPECT_CALL(fds_, Close(kFakeReadFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(fds_, Close(kFakeWriteFd)).WillOnce(Return(0));
  }
  ipc::Pidfd target = ipc::Pidfd::Open(kFakePid);
  ipc::Pidfd source = ipc::Pidfd::Open(kFakePid - 1);
  target = std::move(source);
  EXPECT_EQ(target.fd(), kFakeWriteFd);
  EXPECT_EQ(target.pid(), kFakePid - 1);
  checkpoint.Call("assigned");
}

TEST_F(PidfdUnitTest, ReleaseGivesUpAndCloseClosesOnce) {
  ipc::Pidfd released = Make();
  EXPECT_EQ(released.Release(), kFakeFd);
  ipc::Pidfd closed = Make();
  ExpectClosedOnce();
  closed.Close();
  EXPECT_FALSE(closed.valid());
}

// ============================================================ No allocation

// Seams that answer every call with success and count them, with no gmock
// behind them: the allocations counted around a loop of wrapper calls are
// the wrappers'.
class SucceedingSignalSyscalls : public ipc::SignalSyscalls {
 public:
  int Signalfd(int, const sigset_t*, int) override { return Ok(kFakeFd); }
  int RtSigqueueinfo(pid_t, int, siginfo_t*) override { return Ok(0); }
  int PidfdOpen(pid_t, unsigned) override { return Ok(kFakeFd); }
  int PidfdSendSignal(int, int, siginfo_t*, unsigned) override { return Ok(0); }
  int PidfdGetfd(int, int, unsigned) override { return Ok(kFakeReadFd); }
  int Waitid(idtype_t, id_t, siginfo_t* info, int) override {
    info->si_pid = kFakePid;
    return Ok(0);
  }
  int Poll(pollfd* fds, nfds_t, int) override {
    fds->revents = POLLIN;
    return Ok(1);
  }
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
  ssize_t Read(int, void*, size_t) override { return Ok(kRecord); }
  ssize_t Write(int, const void*, size_t count) override { return Ok(count); }
  int Close(int) override { return static_cast<int>(Ok(0)); }
  int Pipe2(int*, int) override { return static_cast<int>(Ok(0)); }
  int Fcntl(int, int, int) override { return static_cast<int>(Ok(0)); }
  int Ioctl(int, unsigned long, void*) override {
    return static_cast<int>(Ok(0));
  }
  int Open(const char*, int, mode_t) override {
    return static_cast<int>(Ok(kFakeFd));
  }
  int Mkfifo(const char*, mode_t) override { return static_cast<int>(Ok(0)); }
  int Unlink(const char*) override { return static_cast<int>(Ok(0)); }
  long calls() const { return calls_; }

 private:
  ssize_t Ok(ssize_t result) {
    ++calls_;
    return result;
  }
  long calls_ = 0;
};

class SignalAllocationTest : public ::testing::Test {
 protected:
  SucceedingSignalSyscalls sig_;
  SucceedingFdSyscalls fds_;
  ipc::SignalSyscalls::ScopedOverride sig_override_{sig_};
  ipc::FdSyscalls::ScopedOverride fd_override_{fds_};
};

TEST_F(SignalAllocationTest, ErrnoFormsAllocateNothingOnSuccess) {
  ipc::Pidfd pidfd = ipc::Pidfd::Open(kFakePid);
  ipc::Signalfd sfd = ipc::Signalfd::Create(MaskOf(SIGUSR1));
  int anchor = 0;
  int failures = 0;
  const long before = sig_.calls() + fds_.calls();
  auto round = [&] {
    siginfo_t info;
    signalfd_siginfo record;
    failures += ipc::QueueSignalErrno(kFakePid, SIGRTMIN, 1) != 0;
    failures += ipc::QueueSignalErrno(kFakePid, SIGUSR1, &anchor) != 0;
    failures += pidfd.SendSignalErrno(SIGTERM) != 0;
    failures += pidfd.WaitErrno(WEXITED, &info) != 0;
    failures += sfd.ReadErrno(&record) != 0;
  };
  EXPECT_EQ(AllocationsIn(100, round), 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(sig_.calls() + fds_.calls() - before, 100 * 5);
}

}  // namespace
}  // namespace ipcproof::unit

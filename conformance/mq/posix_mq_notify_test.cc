// POSIX message queues, being told of a message (docs/claims.json,
// mq.beyond.posix-notify*, mq.beyond.posix-poll): mq_notify(3) in each of
// its forms, and poll / epoll / select on a queue descriptor.
//
// Every test enters a private IPC namespace (posix_mq_util.h). The
// notification signal is kept blocked, so it stays pending where the test
// takes it without waiting (kit/signals.h TakePendingSignal): a notification
// is queued by the sender's own mq_send, so it is there (or not) as soon as
// that call has returned.
//
// Kernel paths (ipc/mqueue.c, Linux 6.12): do_mq_notify validates the
// sigevent before it looks at the descriptor, refuses a second registration
// (EBUSY) and silently ignores an unregistration by anyone but the owner.
// __do_notify runs only on the msg_insert path of a send (never when the
// message goes straight to a waiting receiver) and only when the queue goes
// from empty to one message; it sends the signal (unless sigev_signo is 0,
// or the owner has exec'd since registering: notify_self_exec_id), bypassing
// the usual permission check, or the SIGEV_THREAD netlink cookie, and always
// removes the registration. mqueue_flush_file removes it when the owner
// closes any descriptor of the queue. mqueue_poll_file reports EPOLLIN when
// mq_curmsgs > 0 and EPOLLOUT when mq_curmsgs < mq_maxmsg.
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/mq/posix_mq_util.h"
#include "conformance/procfs/task.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::PosixMessageQueue;
using ::ipc::WaitStatus;

// =========================================================================
// mq_notify
// =========================================================================

constexpr int kNotifySignal = SIGUSR1;
constexpr int kNotifyValue = 0x5eed;

sigevent SignalEvent() {
  sigevent event{};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = kNotifySignal;
  event.sigev_value.sival_int = kNotifyValue;
  return event;
}

// A child's attempt to register for notification: 0 or ErrnoExit.
int RegisterInChild(mqd_t mqd) {
  const sigevent event = SignalEvent();
  return ::mq_notify(mqd, &event) == 0 ? 0 : ErrnoExit();
}

// Whether another process may register now: "free" (it could, and its
// registration ended with it: its descriptor closed at exit) or "taken"
// (EBUSY). Decided by a throwaway child.
::testing::AssertionResult RegistrationIs(mqd_t mqd, bool free) {
  ChildProcess probe = ChildProcess::Fork([&] { return RegisterInChild(mqd); });
  ::testing::AssertionResult exited =
      ExitsWithWithin(probe, free ? 0 : ErrnoExit(EBUSY));
  if (!exited) {
    exited << " (the registration should be " << (free ? "free" : "taken")
           << ")";
  }
  return exited;
}

class PosixMqNotifyTest : public PosixMqTest {
 protected:
  void SetUp() override {
    PosixMqTest::SetUp();
    if (IsSkipped()) return;
    blocked_.emplace(kNotifySignal);
  }
  void TearDown() override { blocked_.reset(); }

  std::optional<ScopedSignalBlock> blocked_;
};

// mq_notify(3), SIGEV_SIGNAL: "The si_code field of the siginfo_t structure
// will be set to SI_MESGQ. In addition, si_pid will be set to the PID of the
// process that sent the message, and si_uid will be set to the real user ID
// of the sending process"; si_value is the registration's sigev_value
// (sigevent(7); LTP mq_notify01). The message itself stays queued.
TEST_F(PosixMqNotifyTest, SignalCarriesSiMesgqTheValueAndTheSendersPid) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());

  ChildProcess sender = ChildProcess::Fork(
      [&] { return ::mq_send(mqd, "ping", 4, 0) == 0 ? 0 : ErrnoExit(); });
  const pid_t sender_pid = sender.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(sender));

  const std::optional<siginfo_t> info = TakePendingSignal(kNotifySignal);
  ASSERT_TRUE(info.has_value()) << "no notification";
  EXPECT_EQ(info->si_signo, kNotifySignal);
  EXPECT_EQ(info->si_code, SI_MESGQ);
  EXPECT_EQ(info->si_value.sival_int, kNotifyValue);
  EXPECT_EQ(info->si_pid, sender_pid);
  EXPECT_EQ(info->si_uid, ::getuid());
  EXPECT_TRUE(ReceivesNow(mqd, "ping"));
}

// mq_notify(3): "Message notification occurs only when a new message arrives
// and the queue was previously empty. If the queue was not empty at the time
// mq_notify() was called, then a notification will occur only after the
// queue is emptied and a new message arrives" (__do_notify: mq_curmsgs == 1
// after the insert).
TEST_F(PosixMqNotifyTest, NotifiesOnlyWhenAMessageArrivesOnAnEmptyQueue) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ASSERT_TRUE(SendNow(mqd, "already there"));
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());

  ASSERT_TRUE(SendNow(mqd, "second"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified for a message arriving on a non-empty queue";
  ASSERT_TRUE(ReceivesNow(mqd, "already there"));
  ASSERT_TRUE(ReceivesNow(mqd, "second"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());

  ASSERT_TRUE(SendNow(mqd, "third"));
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value())
      << "no notification for the empty -> non-empty transition";
}

// mq_notify(3): "Notification occurs once: after a notification is
// delivered, the notification registration is removed, and another process
// can register for message notification."
TEST_F(PosixMqNotifyTest, RegistrationIsRemovedByTheNotification) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  ASSERT_TRUE(SendNow(mqd, "one"));
  ASSERT_TRUE(TakePendingSignal(kNotifySignal).has_value());

  ASSERT_TRUE(ReceivesNow(mqd, "one"));
  ASSERT_TRUE(SendNow(mqd, "two"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified a second time without registering again";
  ASSERT_TRUE(ReceivesNow(mqd, "two"));

  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true))
      << "another process could not register after the notification";
  // That child's exit closed its descriptor, dropping its registration, so
  // this process may register again and is notified again.
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  ASSERT_TRUE(SendNow(mqd, "three"));
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value());
}

// mq_notify(3): "Only one process can be registered to receive notification
// from a message queue"; EBUSY "Another process has already registered"
// (LTP mq_notify01). The kernel refuses a second registration by the
// registered process itself too. An unregistration (NULL) by another
// process is accepted and changes nothing (do_mq_notify: "silently
// discarded"); by the owner, it frees the queue for someone else.
TEST_F(PosixMqNotifyTest, SecondRegistrationFailsEbusy) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());

  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/false));
  EXPECT_THAT(::mq_notify(mqd, &event), SyscallFailsWithErrno(EBUSY))
      << "the registered process itself";

  ChildProcess unregisters = ChildProcess::Fork([&] {
    if (::mq_notify(mqd, nullptr) != 0) return ErrnoExit();
    return RegisterInChild(mqd);  // still the parent's
  });
  ASSERT_TRUE(ExitsWithWithin(unregisters, ErrnoExit(EBUSY)));

  ASSERT_THAT(::mq_notify(mqd, nullptr), SyscallSucceeds());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true));
}

// mq_notify(3): "If another process or thread is waiting to read a message
// from an empty queue using mq_receive(3), then any message notification
// registration is ignored: the message is delivered to the process or thread
// calling mq_receive(3), and the message notification registration remains
// in effect" — do_mq_timedsend's pipelined_send branch, which never calls
// __do_notify.
TEST_F(PosixMqNotifyTest, BlockedReceiverTakesTheMessageAndNoNotification) {
  CLAIM("mq.beyond.posix-notify", "mq.beyond.posix-waiter-order");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());

  ChildProcess receiver =
      ChildProcess::Fork([&] { return ReceiveInChild(mqd, buffer, "taken"); });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  ASSERT_TRUE(SendNow(mqd, "taken"));
  EXPECT_TRUE(ExitsWithZeroWithin(receiver));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified although a receiver was waiting";
  EXPECT_EQ(CurrentMessages(mqd), 0);

  // "the message notification registration remains in effect"
  ASSERT_TRUE(SendNow(mqd, "next"));
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value())
      << "the registration did not survive";
}

// mq_close(3): "If the calling process has attached a notification request
// to this message queue via mqdes, then this request is removed". The kernel
// does it when the registered process closes *any* descriptor of the queue
// (mqueue_flush_file checks only the process), even one opened separately; a
// child that inherited the descriptor and exits does not remove it.
TEST_F(PosixMqNotifyTest, ClosingAnyDescriptorOfTheQueueEndsTheRegistration) {
  CLAIM("mq.beyond.posix-notify", "mq.beyond.posix-notify-close");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());

  ChildProcess inheritor = ChildProcess::Fork([&] {
    ::mq_close(mqd);
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(inheritor));
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/false))
      << "a child's close removed the parent's registration";

  {
    PosixMessageQueue second = PosixMessageQueue::Open(queue.name());
  }  // closes a different descriptor of the same queue
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true))
      << "closing another descriptor left the registration in place";
  ASSERT_TRUE(SendNow(mqd, "x"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());
}

// mq_notify(3), SIGEV_NONE: "the calling process is registered as the target
// for notification, but when a message arrives, no notification is sent"
// (LTP mq_notify01). It holds the registration (EBUSY for others) and, like
// any, is consumed by the arrival.
TEST_F(PosixMqNotifyTest, SigevNoneHoldsTheRegistrationUntilAMessageArrives) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  sigevent none{};
  none.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(::mq_notify(mqd, &none), SyscallSucceeds());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/false));

  ASSERT_TRUE(SendNow(mqd, "arrives"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true));
}

// do_mq_notify accepts SIGEV_SIGNAL with sigev_signo 0 (valid_signal(0):
// "do_mq_notify() accepts sigev_signo == 0, why??", the kernel asks). Such a
// registration holds the queue like any other, and the arrival that would
// notify sends no signal but still removes it.
TEST_F(PosixMqNotifyTest, SignalNumberZeroRegistersButSignalsNothing) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  sigevent zero = SignalEvent();
  zero.sigev_signo = 0;
  ASSERT_THAT(::mq_notify(mqd, &zero), SyscallSucceeds());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/false));
  QueueStatusLine line;
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.notify_pid, ::getpid()) << line.text;

  ASSERT_TRUE(SendNow(mqd, "arrives"));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true))
      << "the arrival did not remove the registration";
}

// mq_notify(3) EINVAL: "sevp->sigev_notify is not one of the permitted
// values; or sevp->sigev_notify is SIGEV_SIGNAL and sevp->sigev_signo is not
// a valid signal number" (LTP mq_notify02).
TEST_F(PosixMqNotifyTest, InvalidSigeventFailsEinval) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  for (const int method : {-1, 12345}) {
    sigevent bad_method = SignalEvent();
    bad_method.sigev_notify = method;
    EXPECT_THAT(::mq_notify(mqd, &bad_method), SyscallFailsWithErrno(EINVAL))
        << "sigev_notify " << method;
  }
  for (const int signo : {-1, _NSIG + 1}) {
    sigevent bad_signal = SignalEvent();
    bad_signal.sigev_signo = signo;
    EXPECT_THAT(::mq_notify(mqd, &bad_signal), SyscallFailsWithErrno(EINVAL))
        << "sigev_signo " << signo;
  }
  // Nothing was registered by the refused calls.
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true));
}

// The report a SIGEV_THREAD function writes: its value and its thread.
struct NotifyThreadReport {
  int value;
  pid_t tid;
};
int g_thread_pipe_fd = -1;

void OnNotifyThread(sigval value) {
  const NotifyThreadReport report{value.sival_int,
                                  static_cast<pid_t>(::gettid())};
  [[maybe_unused]] const bool sent = WriteReport(g_thread_pipe_fd, report);
}

sigevent ThreadEvent() {
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD;
  event.sigev_notify_function = OnNotifyThread;
  event.sigev_value.sival_int = kNotifyValue;
  return event;
}

// Waits (bounded) for one report of OnNotifyThread and checks it.
::testing::AssertionResult NotifyThreadRan(int read_fd) {
  NotifyThreadReport report{};
  if (::testing::AssertionResult got = ReadReport(read_fd, report); !got) {
    return got << ": the SIGEV_THREAD function did not run";
  }
  if (report.value != kNotifyValue) {
    return ::testing::AssertionFailure()
           << "the function got sival_int " << report.value;
  }
  if (report.tid == CurrentTid()) {
    return ::testing::AssertionFailure() << "it ran on the test's own thread";
  }
  return ::testing::AssertionSuccess();
}

// mq_notify(3), SIGEV_THREAD: "Upon message delivery, invoke
// sigev_notify_function as if it were the start function of a new thread",
// with sigev_value as its argument (sigevent(7); LTP mq_notify01). glibc
// builds this on the kernel's netlink notification (the SIGEV_THREAD
// cookie, NOTIFY_WOKENUP).
TEST_F(PosixMqNotifyTest, SigevThreadRunsTheFunctionInAnotherThread) {
  CLAIM("mq.beyond.posix-notify-thread");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ipc::Pipe reports = ipc::Pipe::Create(O_CLOEXEC);
  g_thread_pipe_fd = reports.write_fd();
  const sigevent event = ThreadEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  ASSERT_TRUE(SendNow(mqd, "call me"));
  EXPECT_TRUE(NotifyThreadRan(reports.read_fd()));
  EXPECT_TRUE(ReceivesNow(mqd, "call me"));
}

// LTP mq_notify03 (CVE-2021-38604): a SIGEV_THREAD registration removed
// with mq_notify(NULL) makes remove_notification send the NOTIFY_REMOVED
// cookie to glibc's helper thread; registering again afterwards must work
// and notify as the first time.
TEST_F(PosixMqNotifyTest, SigevThreadRegistrationCanBeRemovedAndMadeAgain) {
  CLAIM("mq.beyond.posix-notify-thread");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ipc::Pipe reports = ipc::Pipe::Create(O_CLOEXEC);
  g_thread_pipe_fd = reports.write_fd();
  const sigevent event = ThreadEvent();
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  ASSERT_THAT(::mq_notify(mqd, nullptr), SyscallSucceeds());
  EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true));
  ASSERT_THAT(::mq_notify(mqd, &event), SyscallSucceeds());
  ASSERT_TRUE(SendNow(mqd, "again"));
  EXPECT_TRUE(NotifyThreadRan(reports.read_fd()));
  EXPECT_TRUE(ReceivesNow(mqd, "again"));
}

// __do_notify sends the signal "bypass[ing] check_kill_permission": the
// registration, not the sender's rights, decides. A sender of another uid,
// which could not kill(2) this process, still notifies it, and si_uid is that
// sender's real uid ("si_uid will be set to the real user ID of the sending
// process").
TEST_F(PosixMqNotifyTest, ASenderOfAnotherUidNotifiesTheRegisteredProcess) {
  CLAIM("mq.beyond.posix-notify", "mq.beyond.permissions");
  SKIP_UNLESS_OTHER_UID();
  ScopedUmask umask(0);
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), std::nullopt, O_RDWR, 0666);
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());
  const pid_t test_pid = ::getpid();
  const char* name = queue.name().c_str();
  ChildProcess other = ChildProcess::Fork([&] {
    if (const int failed = DropToUid(kOtherUid, kOtherGid); failed != 0) {
      return failed;
    }
    if (::kill(test_pid, 0) == 0 || errno != EPERM) return 10;
    const mqd_t mqd = ::mq_open(name, O_WRONLY);
    if (mqd == kNoQueue) return 11;
    if (::mq_timedsend(mqd, "hello", 5, 0, &kAlreadyExpired) != 0) return 12;
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(other))
      << "10: kill(2) was allowed after all";
  const std::optional<siginfo_t> info = TakePendingSignal(kNotifySignal);
  ASSERT_TRUE(info.has_value()) << "another uid's send notified nobody";
  EXPECT_EQ(info->si_code, SI_MESGQ);
  EXPECT_EQ(info->si_uid, kOtherUid);
  EXPECT_TRUE(ReceivesNow(queue.descriptor(), "hello"));
}

// Runs after exec in a notified process's place: waits for the go byte on
// descriptor 100, then exits 0 if the notification signal is not pending
// (it stayed blocked across the exec), 1 if it is, 2 on a failed call.
IPCPROOF_PROGRAM(mq_notified_after_exec) {
  char byte;
  if (::read(100, &byte, 1) != 1) return 2;
  sigset_t pending;
  if (::sigpending(&pending) != 0) return 2;
  return sigismember(&pending, kNotifySignal) ? 1 : 0;
}

// What an exec does to a registration, two kernel branches. A queue
// descriptor is close-on-exec, and closing it ends the owner's registration
// (mqueue_flush_file), so by default the exec'd program is registered for
// nothing. With the descriptor kept open across exec the registration stays
// (same process), but __do_notify sends no signal to a process whose
// self_exec_id changed since it registered, "to avoid sending signals to
// programs that don't expect them" — and the arrival still removes it.
TEST_F(PosixMqNotifyTest, AnExecEndsTheRegistrationOrSilencesIt) {
  CLAIM("mq.beyond.posix-notify", "mq.beyond.posix-notify-close");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  for (const bool keep_open : {false, true}) {
    SCOPED_TRACE(keep_open ? "descriptor kept open across exec"
                           : "descriptor closed on exec");
    ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
    const int go_fd = go.read_fd();
    ChildProcess child = ChildProcess::Fork([&] {
      // kNotifySignal is blocked (inherited from the fixture) and stays
      // blocked across exec, so a notification would stay pending.
      const sigevent event = SignalEvent();
      if (::mq_notify(mqd, &event) != 0) return 20;
      if (keep_open && ::fcntl(mqd, F_SETFD, 0) != 0) return 21;
      if (::dup2(go_fd, 100) != 100) return 22;
      ExecProgram("mq_notified_after_exec", {});
      return ExecFailureExit();
    });
    ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_read))
        << "the exec'd program did not start waiting";
    EXPECT_TRUE(RegistrationIs(mqd, /*free=*/!keep_open));
    ASSERT_TRUE(SendNow(mqd, "after exec"));
    go.WriteAll("g");
    EXPECT_TRUE(ExitsWithZeroWithin(child))
        << "1: the exec'd program was sent the notification";
    EXPECT_TRUE(RegistrationIs(mqd, /*free=*/true));
    ASSERT_TRUE(ReceivesNow(mqd, "after exec"));
  }
}

// =========================================================================
// poll / epoll / select on a queue descriptor
// =========================================================================

enum class ReadinessApi { kPoll, kEpoll, kSelect };
constexpr int kReadable = 1;
constexpr int kWritable = 2;

// What `fd` is ready for among `wanted` (kReadable | kWritable), waiting up
// to `timeout_ms` (-1: until ready); -1 on error. Only system calls, so a
// forked child may call it.
int WaitReady(ReadinessApi api, int fd, int wanted, int timeout_ms) {
  switch (api) {
    case ReadinessApi::kPoll: {
      pollfd entry{fd, 0, 0};
      if (wanted & kReadable) entry.events |= POLLIN;
      if (wanted & kWritable) entry.events |= POLLOUT;
      if (::poll(&entry, 1, timeout_ms) < 0) return -1;
      return ((entry.revents & POLLIN) ? kReadable : 0) |
             ((entry.revents & POLLOUT) ? kWritable : 0);
    }
    case ReadinessApi::kEpoll: {
      const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
      if (epfd < 0) return -1;
      epoll_event event{};
      if (wanted & kReadable) event.events |= EPOLLIN;
      if (wanted & kWritable) event.events |= EPOLLOUT;
      event.data.fd = fd;
      int result = -1;
      if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0) {
        epoll_event ready{};
        const int n = ::epoll_wait(epfd, &ready, 1, timeout_ms);
        if (n == 0) result = 0;
        if (n == 1) {
          result = ((ready.events & EPOLLIN) ? kReadable : 0) |
                   ((ready.events & EPOLLOUT) ? kWritable : 0);
        }
      }
      ::close(epfd);
      return result;
    }
    case ReadinessApi::kSelect: {
      fd_set readable;
      fd_set writable;
      FD_ZERO(&readable);
      FD_ZERO(&writable);
      if (wanted & kReadable) FD_SET(fd, &readable);
      if (wanted & kWritable) FD_SET(fd, &writable);
      timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
      if (::select(fd + 1, &readable, &writable, nullptr,
                   timeout_ms < 0 ? nullptr : &timeout) < 0) {
        return -1;
      }
      return (FD_ISSET(fd, &readable) ? kReadable : 0) |
             (FD_ISSET(fd, &writable) ? kWritable : 0);
    }
  }
  return -1;
}

// The system calls glibc may use for each API on x86-64.
::testing::AssertionResult WaitUntilBlockedInReadinessWait(ReadinessApi api,
                                                           pid_t pid) {
  switch (api) {
    case ReadinessApi::kPoll:
      return WaitUntilBlockedIn(pid, pid, {SYS_poll, SYS_ppoll});
    case ReadinessApi::kEpoll:
      return WaitUntilBlockedIn(
          pid, pid, {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2});
    case ReadinessApi::kSelect:
      return WaitUntilBlockedIn(pid, pid, {SYS_select, SYS_pselect6});
  }
  return ::testing::AssertionFailure() << "unknown API";
}

std::string ReadyText(int bits) {
  if (bits < 0) return "error";
  std::string text;
  if (bits & kReadable) text += "readable ";
  if (bits & kWritable) text += "writable ";
  return text.empty() ? "nothing" : text;
}

class PosixMqReadinessTest : public ::testing::TestWithParam<ReadinessApi> {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
  int Ready(const PosixMessageQueue& queue) {
    return WaitReady(GetParam(), queue.descriptor(), kReadable | kWritable, 0);
  }
};

INSTANTIATE_TEST_SUITE_P(
    Apis, PosixMqReadinessTest,
    ::testing::Values(ReadinessApi::kPoll, ReadinessApi::kEpoll,
                      ReadinessApi::kSelect),
    [](const ::testing::TestParamInfo<ReadinessApi>& info) {
      switch (info.param) {
        case ReadinessApi::kPoll:
          return std::string("Poll");
        case ReadinessApi::kEpoll:
          return std::string("Epoll");
        case ReadinessApi::kSelect:
          return std::string("Select");
      }
      return std::string("Unknown");
    });

// mq_overview(7): "On Linux, a message queue descriptor is actually a file
// descriptor ... This means that a message queue descriptor can be monitored
// using select(2), poll(2), or epoll(7)." Empty: writable, not readable.
TEST_P(PosixMqReadinessTest, EmptyQueueIsWritableButNotReadable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(Ready(queue), kWritable) << ReadyText(Ready(queue));
}

// A queued message makes the descriptor readable; receiving it undoes that.
TEST_P(PosixMqReadinessTest, QueueWithAMessageIsReadable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ASSERT_GE(queue.Attributes().mq_maxmsg, 2);
  ASSERT_TRUE(SendNow(queue.descriptor(), "x"));
  EXPECT_EQ(Ready(queue), kReadable | kWritable) << ReadyText(Ready(queue));
  ASSERT_TRUE(ReceivesNow(queue.descriptor(), "x"));
  EXPECT_EQ(Ready(queue), kWritable) << ReadyText(Ready(queue));
}

// Full (mq_curmsgs == mq_maxmsg): readable, no longer writable.
TEST_P(PosixMqReadinessTest, FullQueueIsReadableButNotWritable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_TRUE(SendNowNumbered(queue.descriptor(), maxmsg));
  EXPECT_EQ(Ready(queue), kReadable) << ReadyText(Ready(queue));
  ASSERT_TRUE(ReceivesNow(queue.descriptor(), "m0"));
  EXPECT_EQ(Ready(queue), kReadable | kWritable) << ReadyText(Ready(queue));
}

// A process waiting for input on an empty queue sleeps in the readiness
// call and is woken by a send (msg_insert, then __do_notify's wake_up of the
// queue's poll wait queue).
TEST_P(PosixMqReadinessTest, WaiterForInputIsWokenByASend) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ChildProcess waiter = ChildProcess::Fork([&] {
    const int ready = WaitReady(GetParam(), queue.descriptor(), kReadable, -1);
    return ready == kReadable ? 0 : 10 + (ready < 0 ? 9 : ready);
  });
  ASSERT_TRUE(WaitUntilBlockedInReadinessWait(GetParam(), waiter.pid()));
  ASSERT_TRUE(SendNow(queue.descriptor(), "x"));
  EXPECT_TRUE(ExitsWithZeroWithin(waiter));
}

// A process waiting for room on a full queue is woken by a receive
// (pipelined_receive, with no sender waiting, wakes the poll wait queue).
TEST_P(PosixMqReadinessTest, WaiterForRoomIsWokenByAReceive) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_TRUE(SendNowNumbered(queue.descriptor(), maxmsg));
  ChildProcess waiter = ChildProcess::Fork([&] {
    const int ready = WaitReady(GetParam(), queue.descriptor(), kWritable, -1);
    return ready == kWritable ? 0 : 10 + (ready < 0 ? 9 : ready);
  });
  ASSERT_TRUE(WaitUntilBlockedInReadinessWait(GetParam(), waiter.pid()));
  ASSERT_TRUE(ReceivesNow(queue.descriptor(), "m0"));
  EXPECT_TRUE(ExitsWithZeroWithin(waiter));
}

// gVisor MqTest.PollEmpty: with every input and output bit asked for, an
// empty queue reports exactly POLLOUT | POLLWRNORM (mqueue_poll_file sets
// the normal-data bit with each), one message adds POLLIN | POLLRDNORM, and a
// full queue reports POLLIN | POLLRDNORM alone. Never an error or hang-up.
TEST_F(PosixMqTest, PollReportsTheNormalDataBitsWithTheOthers) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(
      UniqueQueueName(), ipc::PosixQueueAttributes{2, 16});
  const mqd_t mqd = queue.descriptor();
  auto revents = [&] {
    pollfd entry{mqd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, 0};
    return ::poll(&entry, 1, 0) < 0 ? -1 : entry.revents;
  };
  EXPECT_EQ(revents(), POLLOUT | POLLWRNORM);
  ASSERT_TRUE(SendNow(mqd, "a"));
  EXPECT_EQ(revents(), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
  ASSERT_TRUE(SendNow(mqd, "b"));
  EXPECT_EQ(revents(), POLLIN | POLLRDNORM);
}

// The kernel's poll for a queue looks only at the message count, not at how
// the descriptor was opened: an O_WRONLY descriptor reports POLLIN for a
// message it may not receive, an O_RDONLY one POLLOUT for a send it may not
// make (mq_overview(7) does not say; this pins what mqueue_poll_file does).
TEST_F(PosixMqTest, PollReadinessIgnoresTheAccessMode) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  PosixMessageQueue read_only = PosixMessageQueue::Open(queue.name(), O_RDONLY);
  PosixMessageQueue write_only =
      PosixMessageQueue::Open(queue.name(), O_WRONLY);
  ASSERT_TRUE(SendNow(queue.descriptor(), "x"));
  pollfd entries[2] = {{read_only.descriptor(), POLLIN | POLLOUT, 0},
                       {write_only.descriptor(), POLLIN | POLLOUT, 0}};
  ASSERT_THAT(::poll(entries, 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(entries[0].revents, POLLIN | POLLOUT);
  EXPECT_EQ(entries[1].revents, POLLIN | POLLOUT);
}

}  // namespace
}  // namespace ipcproof

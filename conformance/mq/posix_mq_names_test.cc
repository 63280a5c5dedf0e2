// POSIX message queues, names, descriptors and permissions (docs/claims.json,
// mq.not-immediate and mq.beyond.*): kernel persistence and mq_unlink, the
// queue descriptor as a file descriptor (close-on-exec, fork, the status line
// read(2) gives, mq_setattr), the creation mode and who may open or unlink a
// queue, the names the kernel takes, the mqueue filesystem, and the IPC
// namespace a queue belongs to.
//
// Every test enters a private IPC namespace (posix_mq_util.h). Tests that
// need a second user drop a forked child to kOtherUid (kit/credentials.h)
// and skip, saying why, where there is none.
//
// Kernel paths (ipc/mqueue.c, fs/namei.c, Linux 6.12): do_mq_open reserves a
// descriptor, looks the name up in the namespace's mqueue root (a 1777
// directory, mqueue_fill_super) and, in prepare_open, either creates the
// queue (vfs_mkobj: mode & ~umask, file type forced to S_IFREG; no
// permission check for the creator) or checks the existing one (EEXIST with
// O_EXCL, EINVAL for O_ACCMODE 3, inode_permission for the rest). mq_unlink
// is vfs_unlink in that sticky directory. A queue descriptor's read(2) is
// mqueue_read_file, its close mqueue_flush_file.
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/temp_path.h"
#include "conformance/mq/posix_mq_util.h"
#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::PosixMessageQueue;
using ::ipc::PosixQueueAttributes;
using ::ipc::WaitStatus;

// =========================================================================
// Kernel persistence, mq_unlink
// =========================================================================

// mq_overview(7): "POSIX message queues have kernel persistence: if not
// removed by mq_unlink(3), a message queue will exist until the system is
// shut down." Every descriptor closed, the queue and its message remain,
// found again by name.
TEST_F(PosixMqTest, QueueAndMessagesOutliveEveryDescriptorUntilUnlinked) {
  CLAIM("mq.not-immediate");
  const ScopedQueueName name(UniqueQueueName());
  {
    ScopedMqd writer(
        ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600, nullptr));
    ASSERT_TRUE(writer.valid()) << ErrnoName(errno);
    ASSERT_TRUE(SendNow(writer.get(), "read me later", 3));
  }  // mq_close: no descriptor of the queue is open anywhere now.

  PosixMessageQueue reopened = PosixMessageQueue::Open(name.name(), O_RDONLY);
  EXPECT_EQ(CurrentMessages(reopened.descriptor()), 1);
  EXPECT_TRUE(ReceivesNow(reopened.descriptor(), "read me later", 3));
}

// The note's "几天前发的" (sent days ago): the message outlives the process
// that sent it. A child creates the queue, sends, and exits without unlinking;
// afterwards no process has it open, and the parent finds it by name.
TEST_F(PosixMqTest, MessageOutlivesTheProcessThatCreatedTheQueueAndSentIt) {
  CLAIM("mq.not-immediate", "mq.kernel-list-of-blocks");
  const ScopedQueueName name(UniqueQueueName());
  ChildProcess sender = ChildProcess::Fork([&] {
    const mqd_t mqd =
        ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600, nullptr);
    if (mqd == kNoQueue) return ErrnoExit();
    if (::mq_send(mqd, "first", 5, 0) != 0) return 10;
    if (::mq_send(mqd, "second", 6, 0) != 0) return 11;
    return 0;  // exit closes the descriptor; nothing unlinks
  });
  const pid_t sender_pid = sender.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(sender));
  EXPECT_THAT(::kill(sender_pid, 0), SyscallFailsWithErrno(ESRCH))
      << "the sender still exists";

  PosixMessageQueue queue = PosixMessageQueue::Open(name.name(), O_RDONLY);
  EXPECT_TRUE(ReceivesNow(queue.descriptor(), "first"));
  EXPECT_TRUE(ReceivesNow(queue.descriptor(), "second"));
}

// mq_unlink(3): "The message queue name is removed immediately. The queue
// itself is destroyed once any other processes that have the queue open
// close their descriptors referring to the queue." Reopening fails ENOENT
// (gVisor MqTest.OpenAfterUnlink); the open descriptor keeps its message and
// still sends and receives; a new queue of the same name is another queue.
TEST_F(PosixMqTest, UnlinkRemovesTheNameWhileOpenDescriptorsKeepWorking) {
  CLAIM("mq.not-immediate", "mq.beyond.posix-unlink");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ASSERT_TRUE(SendNow(mqd, "before"));
  queue.UnlinkName();

  EXPECT_THAT(::mq_open(queue.name().c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::mq_unlink(queue.name().c_str()), SyscallFailsWithErrno(ENOENT));

  EXPECT_TRUE(ReceivesNow(mqd, "before"));
  ASSERT_TRUE(SendNow(mqd, "after"));
  EXPECT_TRUE(ReceivesNow(mqd, "after"));

  ASSERT_TRUE(SendNow(mqd, "old queue"));
  PosixMessageQueue successor = PosixMessageQueue::Create(queue.name());
  EXPECT_EQ(CurrentMessages(successor.descriptor()), 0);
  EXPECT_EQ(CurrentMessages(mqd), 1);
}

// mq_unlink(3) says nothing of waiters; the kernel removes the name only
// (mqueue_unlink drops the directory entry), so a receiver blocked on the
// queue stays blocked (no error, no wakeup), a message sent to a new queue of
// the same name does not reach it, and a message sent through a descriptor
// of the unlinked queue wakes it.
TEST_F(PosixMqTest, UnlinkLeavesABlockedReceiverBlocked) {
  CLAIM("mq.beyond.posix-unlink");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  ChildProcess receiver =
      ChildProcess::Fork([&] { return ReceiveInChild(mqd, buffer, "wake"); });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));

  queue.UnlinkName();
  EXPECT_THAT(::mq_open(queue.name().c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
  PosixMessageQueue successor = PosixMessageQueue::Create(queue.name());
  ASSERT_TRUE(SendNow(successor.descriptor(), "elsewhere"));

  EXPECT_TRUE(StillBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  EXPECT_FALSE(receiver.TryWait().has_value())
      << "the receiver ended when the name was unlinked";
  EXPECT_EQ(CurrentMessages(successor.descriptor()), 1);

  ASSERT_TRUE(SendNow(mqd, "wake"));
  EXPECT_TRUE(ExitsWithZeroWithin(receiver));
}

// =========================================================================
// The descriptor
// =========================================================================

// mq_overview(7): "a message queue descriptor is actually a file
// descriptor", and "The close-on-exec flag (see open(2)) is automatically
// set on the file descriptor returned by mq_open(2)" — even without
// O_CLOEXEC (do_mq_open: get_unused_fd_flags(O_CLOEXEC)). Its /proc link
// names the queue; fstat sees the owner and mode.
TEST_F(PosixMqTest, DescriptorIsAFileDescriptorWithCloseOnExec) {
  CLAIM("mq.beyond.posix-descriptor");
  ScopedUmask umask(0);
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), std::nullopt, O_RDWR, 0640);
  const int fd = queue.descriptor();
  EXPECT_THAT(::fcntl(fd, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  struct stat st {};
  ASSERT_THAT(::fstat(fd, &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), fd)), queue.name());
}

// mq_overview(7): "After a fork(2), a child inherits copies of its parent's
// message queue descriptors, and these descriptors refer to the same open
// message queue descriptions ... Corresponding message queue descriptors in
// the two processes share the flags (mq_flags)". A child's mq_setattr of
// O_NONBLOCK shows in the parent.
TEST_F(PosixMqTest, ForkSharesTheOpenDescriptionAndItsNonBlockingFlag) {
  CLAIM("mq.beyond.posix-descriptor");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ASSERT_EQ(queue.Attributes().mq_flags, 0);
  ChildProcess child = ChildProcess::Fork([&] {
    mq_attr attr{};
    attr.mq_flags = O_NONBLOCK;
    return ::mq_setattr(queue.descriptor(), &attr, nullptr) == 0 ? 0
                                                                 : ErrnoExit();
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  ASSERT_EQ(queue.Attributes().mq_flags, O_NONBLOCK);
  std::vector<char> buffer(static_cast<size_t>(queue.Attributes().mq_msgsize));
  EXPECT_THAT(
      ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr),
      SyscallFailsWithErrno(EAGAIN));
}

// mq_overview(7): the file of a queue holds "a single line containing
// information about the queue": QSIZE, "Number of bytes of data in all
// messages in the queue"; NOTIFY_PID, the registered process (0 if none);
// NOTIFY, "0 is SIGEV_SIGNAL; 1 is SIGEV_NONE; and 2 is SIGEV_THREAD"; SIGNO,
// the signal for SIGEV_SIGNAL (gVisor MqTest.ReadEmpty). That is what read(2)
// on the descriptor itself returns (mqueue_read_file, from offset 0, then end
// of file); messages move only by mq_send / mq_receive, and write(2) is
// refused (the file has no write method: EINVAL).
TEST_F(PosixMqTest, ReadGivesTheStatusLineAndWriteIsRefused) {
  CLAIM("mq.beyond.posix-status-line", "mq.beyond.posix-descriptor");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  QueueStatusLine line;
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.qsize, 0) << line.text;
  EXPECT_EQ(line.notify, 0) << line.text;
  EXPECT_EQ(line.signo, 0) << line.text;
  EXPECT_EQ(line.notify_pid, 0) << line.text;

  ASSERT_TRUE(SendNow(mqd, "abc"));
  ASSERT_TRUE(SendNow(mqd, "defgh"));
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.qsize, 8) << line.text;
  ASSERT_TRUE(ReceivesNow(mqd, "abc"));
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.qsize, 5) << line.text;

  const ScopedSignalBlock blocked(SIGUSR1);  // the queue is not empty anyway
  sigevent signal_event{};
  signal_event.sigev_notify = SIGEV_SIGNAL;
  signal_event.sigev_signo = SIGUSR1;
  ASSERT_THAT(::mq_notify(mqd, &signal_event), SyscallSucceeds());
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.notify, SIGEV_SIGNAL) << line.text;
  EXPECT_EQ(line.signo, SIGUSR1) << line.text;
  EXPECT_EQ(line.notify_pid, ::getpid()) << line.text;
  ASSERT_THAT(::mq_notify(mqd, nullptr), SyscallSucceeds());
  sigevent none{};
  none.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(::mq_notify(mqd, &none), SyscallSucceeds());
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.notify, SIGEV_NONE) << line.text;
  EXPECT_EQ(line.signo, 0) << line.text;
  EXPECT_EQ(line.notify_pid, ::getpid()) << line.text;
  ASSERT_THAT(::mq_notify(mqd, nullptr), SyscallSucceeds());
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &line));
  EXPECT_EQ(line.notify_pid, 0) << line.text;

  // A plain read: the line from the file offset, then end of file.
  char text[128];
  ASSERT_THAT(::lseek(mqd, 0, SEEK_SET), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::read(mqd, text, sizeof text),
              SyscallSucceedsWithValue(line.text.size()));
  EXPECT_THAT(::read(mqd, text, sizeof text), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::write(mqd, "x", 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(CurrentMessages(mqd), 1) << "write(2) moved a message";
  PosixMessageQueue write_only =
      PosixMessageQueue::Open(queue.name(), O_WRONLY);
  EXPECT_THAT(::read(write_only.descriptor(), text, sizeof text),
              SyscallFailsWithErrno(EBADF));
}

// mq_setattr(3): "The only attribute that can be modified is the setting of
// the O_NONBLOCK flag in mq_flags. The other fields in newattr are ignored.
// If the oldattr field is not NULL, then the buffer that it points to is used
// to return an mq_attr structure that contains the same information that is
// returned by mq_getattr()" (as it was before the change); EINVAL
// "newattr->mq_flags contained set bits other than O_NONBLOCK".
TEST_F(PosixMqTest, SetattrChangesOnlyTheNonBlockingFlag) {
  CLAIM("mq.beyond.posix-setattr");
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{4, 64});
  const mqd_t mqd = queue.descriptor();
  ASSERT_TRUE(SendNow(mqd, "x"));
  mq_attr wanted{};
  wanted.mq_flags = O_NONBLOCK;
  wanted.mq_maxmsg = 99;
  wanted.mq_msgsize = 1;
  wanted.mq_curmsgs = 7;
  mq_attr old;
  std::memset(&old, 0x55, sizeof old);
  ASSERT_THAT(::mq_setattr(mqd, &wanted, &old), SyscallSucceeds());
  EXPECT_EQ(old.mq_flags, 0);
  EXPECT_EQ(old.mq_maxmsg, 4);
  EXPECT_EQ(old.mq_msgsize, 64);
  EXPECT_EQ(old.mq_curmsgs, 1);
  const mq_attr now = queue.Attributes();
  EXPECT_EQ(now.mq_flags, O_NONBLOCK);
  EXPECT_EQ(now.mq_maxmsg, 4);
  EXPECT_EQ(now.mq_msgsize, 64);
  EXPECT_EQ(now.mq_curmsgs, 1);

  mq_attr bad{};
  bad.mq_flags = O_NONBLOCK | O_APPEND;
  EXPECT_THAT(::mq_setattr(mqd, &bad, nullptr), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(queue.Attributes().mq_flags, O_NONBLOCK);
  mq_attr clear{};
  ASSERT_THAT(::mq_setattr(mqd, &clear, nullptr), SyscallSucceeds());
  EXPECT_EQ(queue.Attributes().mq_flags, 0);
}

// gVisor MqTest.ChangeIpcNamespace. A queue belongs to the IPC namespace it
// was made in (its mqueue filesystem): after unshare(CLONE_NEWIPC) its name
// means nothing (mq_open, mq_unlink: ENOENT, looked up in the new
// namespace's mqueue root), a queue of the same name there is another queue,
// and yet a descriptor opened before still reaches the old queue both ways.
TEST_F(PosixMqTest, ADescriptorKeepsItsQueueAfterAMoveToAnotherIpcNamespace) {
  CLAIM("mq.beyond.posix-ipc-namespace");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const char* name = queue.name().c_str();
  ASSERT_TRUE(SendNow(mqd, "from the old namespace"));
  ChildProcess child = ChildProcess::Fork([&] {
    if (::unshare(CLONE_NEWIPC) != 0) return ErrnoExit();
    if (::mq_open(name, O_RDWR) != kNoQueue || errno != ENOENT) return 10;
    if (::mq_unlink(name) == 0 || errno != ENOENT) return 11;
    char buffer[8192];
    const ssize_t n = ::mq_timedreceive(mqd, buffer, sizeof buffer, nullptr,
                                        &kAlreadyExpired);
    if (n != 22 || std::memcmp(buffer, "from the old namespace", 22) != 0) {
      return 12;
    }
    if (::mq_timedsend(mqd, "from the new namespace", 22, 0,
                       &kAlreadyExpired) != 0) {
      return 13;
    }
    const mqd_t other =
        ::mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, nullptr);
    if (other == kNoQueue) return 14;
    mq_attr attr{};
    if (::mq_getattr(other, &attr) != 0 || attr.mq_curmsgs != 0) return 15;
    // The old queue's status line, read through the old descriptor.
    if (::pread(mqd, buffer, sizeof buffer, 0) <= 0 ||
        std::memcmp(buffer, "QSIZE:22 ", 9) != 0) {
      return 16;
    }
    return 0;  // the new namespace, and its queue, die with this child
  });
  ASSERT_CHILD_EXITS(child, status);
  if (status.exited()) {
    if (const std::optional<int> err = ErrnoFromExit(status.exit_code())) {
      SKIP_UNVERIFIED("unshare(CLONE_NEWIPC) in a child failed with " +
                      ErrnoName(*err));
    }
  }
  ASSERT_TRUE(ExitedWithZero(status));
  EXPECT_TRUE(ReceivesNow(mqd, "from the new namespace"));
  EXPECT_EQ(CurrentMessages(mqd), 0);
}

// =========================================================================
// The creation mode and permissions
// =========================================================================

// mq_open(3): "The mode argument specifies the permissions to be placed on
// the new queue, as for open(2) ... The permissions settings are masked
// against the process umask."
TEST_F(PosixMqTest, UmaskMasksTheModeOfANewQueue) {
  CLAIM("mq.beyond.posix-umask");
  struct Case {
    mode_t umask;
    mode_t expected;
  };
  for (const Case& c : {Case{022, 0644}, Case{0, 0666}, Case{077, 0600}}) {
    ScopedUmask umask(c.umask);
    PosixMessageQueue queue = PosixMessageQueue::Create(
        UniqueQueueName(), std::nullopt, O_RDWR, 0666);
    struct stat st {};
    ASSERT_THAT(::fstat(queue.descriptor(), &st), SyscallSucceeds());
    EXPECT_EQ(st.st_mode & 0777, c.expected)
        << std::oct << "umask " << c.umask << ": mode " << st.st_mode;
  }
}

// gVisor MqTest.ModeWithFileType: file-type bits in mode are ignored.
// vfs_mkobj keeps S_IALLUGO of the mode (permission, set-user-ID,
// set-group-ID and sticky bits) and makes the file S_IFREG whatever type the
// caller put there.
TEST_F(PosixMqTest, CreationModeKeepsItsPermissionBitsAndDropsTheFileType) {
  CLAIM("mq.beyond.posix-creation-mode");
  ScopedUmask umask(0);
  const ScopedQueueName name(UniqueQueueName());
  const mode_t special = S_ISUID | S_ISGID | S_ISVTX;
  ScopedMqd mqd(::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR,
                          S_IFIFO | special | 0640, nullptr));
  ASSERT_TRUE(mqd.valid()) << ErrnoName(errno);
  struct stat st {};
  ASSERT_THAT(::fstat(mqd.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, special | 0640) << std::oct << st.st_mode;
  EXPECT_TRUE(SendNow(mqd.get(), "a queue all the same"));
}

// prepare_open checks the access mode only when the queue already exists:
// O_RDWR | O_WRONLY (O_ACCMODE 3) there fails EINVAL, with or without
// O_CREAT. Creating a queue with it succeeds, and the descriptor may neither
// send nor receive (its file has neither FMODE_READ nor FMODE_WRITE: EBADF).
TEST_F(PosixMqTest, AccessModeThreeCreatesAQueueButOpensNone) {
  CLAIM("mq.beyond.posix-argument-errors");
  const ScopedQueueName name(UniqueQueueName());
  ScopedMqd neither(
      ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_ACCMODE, 0600, nullptr));
  ASSERT_TRUE(neither.valid()) << ErrnoName(errno);
  EXPECT_THAT(::mq_send(neither.get(), "x", 1, 0),
              SyscallFailsWithErrno(EBADF));
  char buffer[8192];
  // The queue is empty: the timed receive first, asserted, so that a kernel
  // that let this descriptor receive fails ETIMEDOUT at once instead of
  // sleeping for ever in the untimed one.
  ASSERT_THAT(::mq_timedreceive(neither.get(), buffer, sizeof buffer, nullptr,
                                &kAlreadyExpired),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::mq_receive(neither.get(), buffer, sizeof buffer, nullptr),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::mq_open(name.c_str(), O_ACCMODE),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::mq_open(name.c_str(), O_CREAT | O_ACCMODE, 0600, nullptr),
              SyscallFailsWithErrno(EINVAL));
  ScopedMqd usable(::mq_open(name.c_str(), O_RDWR));
  EXPECT_TRUE(usable.valid())
      << "the queue was not created: " << ErrnoName(errno);
}

// gVisor MqTest.OpenNoAccess / OpenReadAccess / OpenWriteAccess, run as the
// queue's owner without capabilities (a child dropped to kOtherUid, so
// CAP_DAC_OVERRIDE cannot bypass the bits): an existing queue is opened only
// in a mode its owner bits allow (inode_permission, EACCES otherwise). The
// creator's own descriptor is another matter: prepare_open checks no
// permission when it creates, so a queue made with mode 0000 still gives its
// creator the O_RDWR it asked for.
TEST_F(PosixMqTest, TheOwnerIsHeldToTheOwnerBitsButTheCreatorIsNot) {
  CLAIM("mq.beyond.permissions", "mq.beyond.posix-creation-mode");
  SKIP_UNLESS_OTHER_UID();
  const ScopedQueueName none(UniqueQueueName("0000"));
  const ScopedQueueName read_only(UniqueQueueName("0400"));
  const ScopedQueueName write_only(UniqueQueueName("0200"));
  ChildProcess owner = ChildProcess::Fork([&] {
    if (const int failed = DropToUid(kOtherUid, kOtherGid); failed != 0) {
      return failed;
    }
    ::umask(0);
    const mqd_t made =
        ::mq_open(none.c_str(), O_CREAT | O_EXCL | O_RDWR, 0000, nullptr);
    if (made == kNoQueue) return 10;
    if (::mq_timedsend(made, "mine", 4, 0, &kAlreadyExpired) != 0) return 11;
    char buffer[8192];
    if (::mq_timedreceive(made, buffer, sizeof buffer, nullptr,
                          &kAlreadyExpired) != 4) {
      return 12;
    }
    struct Case {
      const char* name;
      mode_t mode;
      int flags;
      bool allowed;
    };
    const Case cases[] = {
        {none.c_str(), 0000, O_RDONLY, false},
        {none.c_str(), 0000, O_WRONLY, false},
        {none.c_str(), 0000, O_RDWR, false},
        {read_only.c_str(), 0400, O_RDONLY, true},
        {read_only.c_str(), 0400, O_WRONLY, false},
        {read_only.c_str(), 0400, O_RDWR, false},
        {write_only.c_str(), 0200, O_WRONLY, true},
        {write_only.c_str(), 0200, O_RDONLY, false},
        {write_only.c_str(), 0200, O_RDWR, false},
    };
    if (::mq_open(read_only.c_str(), O_CREAT | O_EXCL | O_RDWR, 0400,
                  nullptr) == kNoQueue ||
        ::mq_open(write_only.c_str(), O_CREAT | O_EXCL | O_RDWR, 0200,
                  nullptr) == kNoQueue) {
      return 13;
    }
    for (int i = 0; i < static_cast<int>(std::size(cases)); ++i) {
      const mqd_t mqd = ::mq_open(cases[i].name, cases[i].flags);
      if (cases[i].allowed ? mqd == kNoQueue
                           : (mqd != kNoQueue || errno != EACCES)) {
        return 20 + i;  // 20..28: which case
      }
    }
    return 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(owner))
      << "codes 20-28 name the open that went wrong: 0000 r, w, rw; 0400 r, w, "
         "rw; 0200 w, r, rw";
}

// mq_open(3) EACCES: "The queue exists, but the caller does not have
// permission to open it in the specified mode." Another uid is refused by a
// 0600 queue in every mode and admitted by a 0666 one (it sends; we receive,
// and the mode bits are read for O_RDONLY / O_WRONLY separately on 0644).
TEST_F(PosixMqTest, AnotherUidIsRefusedBy0600AndAdmittedBy0666) {
  CLAIM("mq.beyond.permissions");
  SKIP_UNLESS_OTHER_UID();
  ScopedUmask umask(0);
  PosixMessageQueue private_queue = PosixMessageQueue::Create(
      UniqueQueueName("private"), std::nullopt, O_RDWR, 0600);
  PosixMessageQueue shared_queue = PosixMessageQueue::Create(
      UniqueQueueName("shared"), std::nullopt, O_RDWR, 0666);
  PosixMessageQueue read_only_for_others = PosixMessageQueue::Create(
      UniqueQueueName("readable"), std::nullopt, O_RDWR, 0644);
  ASSERT_TRUE(SendNow(read_only_for_others.descriptor(), "public"));
  const size_t msgsize =
      static_cast<size_t>(read_only_for_others.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);

  ChildProcess other = ChildProcess::Fork([&] {
    if (const int failed = DropToUid(kOtherUid, kOtherGid); failed != 0) {
      return failed;
    }
    for (int flags : {O_RDONLY, O_WRONLY, O_RDWR}) {
      const mqd_t mqd = ::mq_open(private_queue.name().c_str(), flags);
      if (mqd != kNoQueue) return 10 + flags;  // 10, 11, 12
      if (errno != EACCES) return ErrnoExit();
    }
    const mqd_t shared = ::mq_open(shared_queue.name().c_str(), O_RDWR);
    if (shared == kNoQueue) return 30;
    if (::mq_timedsend(shared, "from nobody", 11, 0, &kAlreadyExpired) != 0) {
      return 31;
    }
    const mqd_t readable =
        ::mq_open(read_only_for_others.name().c_str(), O_RDONLY);
    if (readable == kNoQueue) return 40;
    const ssize_t n = ::mq_timedreceive(readable, buffer.data(), buffer.size(),
                                        nullptr, &kAlreadyExpired);
    if (n != 6 || std::memcmp(buffer.data(), "public", 6) != 0) return 41;
    if (::mq_open(read_only_for_others.name().c_str(), O_WRONLY) != kNoQueue) {
      return 42;
    }
    if (errno != EACCES) return ErrnoExit();
    return 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(other));
  EXPECT_TRUE(ReceivesNow(shared_queue.descriptor(), "from nobody"));
  EXPECT_EQ(CurrentMessages(private_queue.descriptor()), 0);
}

// mq_unlink(3) EACCES: "The caller does not have permission to unlink this
// message queue" (LTP mq_unlink01). Which permission: the namespace's mqueue
// root is a sticky, world-writable directory (1777, mqueue_fill_super), so
// vfs_unlink's check_sticky lets only the queue's owner, the directory's
// owner or CAP_FOWNER remove a name — whatever the queue's own mode. Another
// uid may send to a 0666 queue but not unlink it; the kernel says EPERM,
// which glibc's mq_unlink reports as EACCES. Its own queue it may unlink.
TEST_F(PosixMqTest, OnlyTheOwnerMayUnlinkAQueueWhateverItsMode) {
  CLAIM("mq.beyond.permissions", "mq.beyond.posix-unlink");
  SKIP_UNLESS_OTHER_UID();
  ScopedUmask umask(0);
  PosixMessageQueue open_to_all = PosixMessageQueue::Create(
      UniqueQueueName("open"), std::nullopt, O_RDWR, 0666);
  const char* name = open_to_all.name().c_str();
  const ScopedQueueName own(UniqueQueueName("own"));
  ChildProcess other = ChildProcess::Fork([&] {
    if (const int failed = DropToUid(kOtherUid, kOtherGid); failed != 0) {
      return failed;
    }
    const mqd_t mqd = ::mq_open(name, O_WRONLY);
    if (mqd == kNoQueue) return 10;
    if (::mq_timedsend(mqd, "sent", 4, 0, &kAlreadyExpired) != 0) return 11;
    if (::mq_unlink(name) == 0) return 12;
    if (errno != EACCES) return 13;
    // The system call itself, without glibc's translation (name sans '/').
    if (::syscall(SYS_mq_unlink, name + 1) == 0) return 14;
    if (errno != EPERM) return 15;
    if (::mq_open(own.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr) ==
        kNoQueue) {
      return 16;
    }
    if (::mq_unlink(own.c_str()) != 0) return 17;
    return 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(other))
      << "12/13: mq_unlink of another's queue; 14/15: the raw system call";
  ScopedMqd still_there(::mq_open(name, O_RDONLY));
  EXPECT_TRUE(still_there.valid())
      << "another uid unlinked the queue: " << ErrnoName(errno);
  EXPECT_TRUE(ReceivesNow(open_to_all.descriptor(), "sent"));
}

// =========================================================================
// Names
// =========================================================================

// mq_open(3) EEXIST: "Both O_CREAT and O_EXCL were specified in oflag, but a
// queue with this name already exists." Without O_EXCL the existing queue is
// opened and the attributes passed are ignored (they apply to creation);
// without O_CREAT a missing name fails ENOENT (gVisor CreateAlreadyExists,
// NoQueueExists; LTP mq_open01).
TEST_F(PosixMqTest, CreatingAnExistingNameFailsEexistUnlessOpened) {
  CLAIM("mq.beyond.posix-names");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ASSERT_TRUE(SendNow(queue.descriptor(), "existing"));
  EXPECT_THAT(
      ::mq_open(queue.name().c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr),
      SyscallFailsWithErrno(EEXIST));

  mq_attr other{};
  other.mq_maxmsg = 1;
  other.mq_msgsize = 1;
  ScopedMqd opened(
      ::mq_open(queue.name().c_str(), O_CREAT | O_RDWR, 0600, &other));
  ASSERT_TRUE(opened.valid()) << ErrnoName(errno);
  mq_attr attr{};
  ASSERT_THAT(::mq_getattr(opened.get(), &attr), SyscallSucceeds());
  EXPECT_EQ(attr.mq_maxmsg, queue.Attributes().mq_maxmsg);
  EXPECT_EQ(attr.mq_msgsize, queue.Attributes().mq_msgsize);
  EXPECT_EQ(attr.mq_curmsgs, 1);

  EXPECT_THAT(::mq_open(UniqueQueueName("missing").c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
}

// What the kernel does with the names it is given (gVisor OpenInvalidArgs,
// LTP mq_open01 and mq_unlink01), asked through the system calls themselves:
// glibc's mq_open(3) and mq_unlink(3) refuse a name without a leading slash
// with EINVAL before any system call ("The library function performs the
// check that the name starts with a slash") and pass the rest, so what
// follows is the name as glibc hands it over ("/q" reaches the kernel as
// "q"). That EINVAL is the library's and is not tested here. Both calls
// (ipc/mqueue.c, Linux 6.12: do_mq_open and SYSCALL_DEFINE1(mq_unlink)) take
// the name with getname, then lookup_one_len in the namespace's mqueue root:
//   ""         getname_flags, "The empty path is special", without
//              LOOKUP_EMPTY: ENOENT (mq_open(3): "name was just "/"
//              followed by no other characters")
//   "." ".."   lookup_one_common, is_dot_dotdot: EACCES
//   any '/'    lookup_one_common, the loop over the bytes: EACCES (mq_open(3)
//              "name contained more than one slash"); so a leading slash a
//              caller passes without glibc is refused too
//   > NAME_MAX lookup_one_len's __lookup_slow, the directory's simple_lookup
//              (fs/libfs.c): ENAMETOOLONG
// Anything else is a plain name: up to NAME_MAX bytes, with no leading slash
// (the slash is glibc's convention, not the kernel's), created, found by
// glibc under "/" + name, unlinked once, then ENOENT. Nothing refused leaves
// a queue behind: the namespace's mqueue filesystem, listed at the end, is
// empty (the listing mounts it, which any process that could enter a private
// IPC namespace may; a refusal fails the test). Every queue created is
// unlinked on scope exit as well (ScopedQueueName).
TEST_F(PosixMqTest, KernelRefusesMalformedNames) {
  CLAIM("mq.beyond.posix-names");
  struct Case {
    std::string name;  // as the system calls get it
    int refused_with;  // errno of both mq_open(O_CREAT | O_EXCL) and
                       // mq_unlink; 0: a valid name, created
  };
  const Case cases[] = {
      {"", ENOENT},
      {".", EACCES},
      {"..", EACCES},
      {"/", EACCES},
      {"/q", EACCES},
      {"a/b", EACCES},
      {"a/", EACCES},
      {std::string(NAME_MAX + 1, 'n'), ENAMETOOLONG},
      {std::string(NAME_MAX, 'n'), 0},
      {"noslash", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("name of " + std::to_string(c.name.size()) + " bytes: \"" +
                 c.name.substr(0, 12) + "\"");
    // glibc's name for it: unlinks whatever a broken kernel created.
    const ScopedQueueName created("/" + c.name);
    const int fd = static_cast<int>(::syscall(
        SYS_mq_open, c.name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr));
    const int open_errno = errno;
    const ScopedMqd mqd(fd < 0 ? kNoQueue : static_cast<mqd_t>(fd));
    if (c.refused_with != 0) {
      EXPECT_FALSE(mqd.valid()) << "created";
      if (!mqd.valid()) {
        EXPECT_EQ(open_errno, c.refused_with)
            << ErrnoName(open_errno) << " instead of "
            << ErrnoName(c.refused_with);
      }
      EXPECT_THAT(::syscall(SYS_mq_unlink, c.name.c_str()),
                  SyscallFailsWithErrno(c.refused_with))
          << "mq_unlink";
      continue;
    }
    ASSERT_TRUE(mqd.valid()) << ErrnoName(open_errno);
    // The kernel's queue is the one glibc names with the slash.
    const ScopedMqd by_glibc(::mq_open(created.c_str(), O_RDWR));
    EXPECT_TRUE(by_glibc.valid()) << ErrnoName(errno);
    EXPECT_THAT(::syscall(SYS_mq_unlink, c.name.c_str()), SyscallSucceeds());
    EXPECT_THAT(::syscall(SYS_mq_unlink, c.name.c_str()),
                SyscallFailsWithErrno(ENOENT))
        << "a valid name nobody uses";
  }
  EXPECT_THAT(ListPosixMessageQueues(), ::testing::IsEmpty());
}

// =========================================================================
// The mqueue filesystem
// =========================================================================

// mq_overview(7): "On Linux, message queues are created in a virtual
// filesystem" which, mounted, shows them as files; an unlinked queue is gone
// from it while its descriptor still works (gVisor MqTest.Mount). The host
// has no /dev/mqueue: the listing mounts this namespace's mqueue filesystem
// privately.
TEST_F(PosixMqTest, QueueIsAFileInTheNamespacesMqueueFilesystem) {
  CLAIM("mq.not-immediate", "mq.beyond.posix-mqueue-fs");
  std::vector<std::string> before;
  try {
    before = ListPosixMessageQueues();
  } catch (const std::system_error& e) {
    SKIP_UNVERIFIED(std::string("cannot mount this namespace's mqueue "
                                "filesystem to list its queues: ") +
                    e.what());
  }
  EXPECT_THAT(before, ::testing::IsEmpty()) << "a fresh namespace has queues";

  PosixMessageQueue first = PosixMessageQueue::Create(UniqueQueueName());
  PosixMessageQueue second = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_THAT(ListPosixMessageQueues(),
              ::testing::UnorderedElementsAre(first.name(), second.name()));

  first.UnlinkName();
  EXPECT_THAT(ListPosixMessageQueues(), ::testing::ElementsAre(second.name()));
  ASSERT_TRUE(SendNow(first.descriptor(), "still works"));
  EXPECT_TRUE(ReceivesNow(first.descriptor(), "still works"));
}

// This test process in a mount namespace of its own (every mount made
// private, so nothing propagates to the host), with the IPC namespace's
// mqueue filesystem mounted on fresh directories of the test's temporary
// directory. The mounts and directories go on scope exit (and the mounts die
// with the process in any case).
class PrivateMqueueMounts {
 public:
  PrivateMqueueMounts() = default;
  PrivateMqueueMounts(const PrivateMqueueMounts&) = delete;
  PrivateMqueueMounts& operator=(const PrivateMqueueMounts&) = delete;
  ~PrivateMqueueMounts() {
    for (const std::string& path : paths_) {
      ::umount2(path.c_str(), MNT_DETACH);
      ::rmdir(path.c_str());
    }
  }

  // "" once in the private mount namespace, or why not (call and errno).
  std::string Enter() {
    if (::unshare(CLONE_NEWNS) != 0) {
      return "unshare(CLONE_NEWNS) failed with " + ErrnoName(errno);
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return "mount(/, MS_REC | MS_PRIVATE) failed with " + ErrnoName(errno);
    }
    return "";
  }

  // Mounts the mqueue filesystem on a new directory; "" or why not.
  std::string Mount(std::string* path) {
    *path = UniqueTempPath("mqueue");
    if (::mkdir(path->c_str(), 0700) != 0) {
      return "mkdir(" + *path + ") failed with " + ErrnoName(errno);
    }
    paths_.push_back(*path);
    if (::mount("mqueue", path->c_str(), "mqueue", 0, nullptr) != 0) {
      return "mount(mqueue) failed with " + ErrnoName(errno);
    }
    return "";
  }

 private:
  std::vector<std::string> paths_;
};

// gVisor MqTest.MountSeveral, OpenAsFile and UnlinkAsFile, as Linux does
// them. Every mount of a namespace's mqueue filesystem is the same
// filesystem (mqueue_get_tree: one superblock per namespace), whose root is
// a sticky world-writable directory (1777). A queue's file opened with
// open(2) is a queue descriptor like mq_open's (same file operations): with
// write access it sends, with read access it receives and reads the status
// line, and without write access mq_send fails EBADF. open(2) with O_CREAT
// makes a queue with the default attributes (mqueue_create: no attr),
// unlink(2) removes one as mq_unlink does, and there are no directories in
// it (mkdir: EPERM), which is why a name may hold no second slash.
TEST_F(PosixMqTest, TheMqueueFilesystemOpensCreatesAndUnlinksQueues) {
  CLAIM("mq.beyond.posix-mqueue-fs");
  PrivateMqueueMounts mounts;
  if (const std::string why = mounts.Enter(); !why.empty()) {
    SKIP_UNVERIFIED(why);
  }
  std::string first;
  std::string second;
  for (std::string* path : {&first, &second}) {
    if (const std::string why = mounts.Mount(path); !why.empty()) {
      SKIP_UNVERIFIED(why);
    }
  }
  struct stat root {};
  ASSERT_THAT(::stat(first.c_str(), &root), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(root.st_mode));
  EXPECT_EQ(root.st_mode & 07777, static_cast<mode_t>(S_ISVTX | 0777))
      << std::oct << root.st_mode;

  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ASSERT_TRUE(SendNow(mqd, "abc"));
  struct stat in_first {};
  struct stat in_second {};
  ASSERT_THAT(::stat((first + queue.name()).c_str(), &in_first),
              SyscallSucceeds());
  ASSERT_THAT(::stat((second + queue.name()).c_str(), &in_second),
              SyscallSucceeds());
  EXPECT_EQ(in_first.st_ino, in_second.st_ino);
  EXPECT_EQ(in_first.st_dev, in_second.st_dev);

  ScopedMqd opened(::open((first + queue.name()).c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(opened.valid()) << ErrnoName(errno);
  EXPECT_TRUE(SendNow(opened.get(), "via open(2)"));
  EXPECT_TRUE(ReceivesNow(opened.get(), "abc"));
  EXPECT_TRUE(ReceivesNow(mqd, "via open(2)"));
  QueueStatusLine line;
  EXPECT_TRUE(ReadQueueStatusLine(opened.get(), &line));
  ScopedMqd read_only(
      ::open((second + queue.name()).c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(read_only.valid()) << ErrnoName(errno);
  EXPECT_THAT(::mq_send(read_only.get(), "", 0, 0),
              SyscallFailsWithErrno(EBADF));

  const std::string made_name = UniqueQueueName("creat");
  const ScopedQueueName made_owner(made_name);
  ScopedMqd made(::open((first + made_name).c_str(),
                        O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_TRUE(made.valid()) << ErrnoName(errno);
  const MqSysctls sysctls = ReadMqSysctls();
  const mq_attr attr = QueueAttributes(made.get());
  EXPECT_EQ(attr.mq_maxmsg, sysctls.default_maxmsg());
  EXPECT_EQ(attr.mq_msgsize, sysctls.default_msgsize());
  ScopedMqd by_name(::mq_open(made_name.c_str(), O_RDWR));
  EXPECT_TRUE(by_name.valid()) << ErrnoName(errno);

  ASSERT_THAT(::unlink((first + made_name).c_str()), SyscallSucceeds());
  EXPECT_THAT(::mq_open(made_name.c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::mq_unlink(made_name.c_str()), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::mkdir((first + "/dir").c_str(), 0700),
              SyscallFailsWithErrno(EPERM));
}

}  // namespace
}  // namespace ipcproof

// FIFOs (named pipes): what the note says about "命名管道", decided on the
// running kernel (claims fifo.* in docs/claims.md).
//
// The I/O semantics a FIFO shares with an anonymous pipe (blocking reads and
// writes, EOF, EPIPE, PIPE_BUF atomicity) are tested once for both kinds by
// pipe_test.cc through pipe_end.h. This file covers what only a FIFO has: a
// name in the filesystem, the open() rendezvous between readers and writers,
// and file permissions.
//
// Every FIFO node lives under TestTempDir() and is owned by ipc::Fifo, which
// unlinks it. Children open the FIFO by path themselves: none of them is
// handed a descriptor onto it.
#include "ipc/fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <ios>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/temp_path.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::Fifo;
using ::ipc::UniqueFd;
using ::ipc::WaitStatus;

// ---------------------------------------------------------------------------
// Helpers

Fifo MakeFifo(mode_t mode = 0600) {
  return Fifo::Create(UniqueTempPath("fifo"), mode);
}

// glibc's open() is the openat system call on x86-64 (it has not used the old
// open syscall since 2.26), so that is where a blocked open() sleeps.
::testing::AssertionResult WaitUntilBlockedInOpen(pid_t pid) {
  return WaitUntilBlockedIn(pid, SYS_openat);
}

// Skips, saying why, unless a child can become kOtherUid and look `path` up
// as that user: in Bazel's sandbox only uid 0 is mapped into the user
// namespace, so setresgid fails EINVAL (and setgroups EPERM when the
// namespace denies it).
#define SKIP_UNLESS_OTHER_UID_CAN_REACH(path)                 \
  do {                                                        \
    const std::string ipcproof_why =                          \
        WhyCannotBecomeUid(kOtherUid, kOtherGid, path);       \
    if (!ipcproof_why.empty()) SKIP_UNVERIFIED(ipcproof_why); \
  } while (0)

// Opens `path` with raw open(2), asserting success; for use inside tests.
#define ASSERT_OPEN(var, path, flags)                  \
  const int var##_raw = ::open((path).c_str(), flags); \
  ASSERT_THAT(var##_raw, SyscallSucceeds());           \
  UniqueFd var(var##_raw)

// ---------------------------------------------------------------------------
// fifo.is-a-file: "mkfifo myPipe…以文件形式存在的，可以进行复用"
// Refined: the name is a filesystem node that outlives its users and can be
// reopened, but the data never reaches the filesystem.

// fifo(7): FIFO special files "are indicated by ls -l with the file type
// 'p'": S_IFIFO in stat and lstat (the name is the node, not a symlink to
// one), and an open descriptor is the same inode.
TEST(FifoNodeTest, NodeIsAFifoInStatLstatAndFstat) {
  CLAIM("fifo.is-a-file");
  const Fifo fifo = MakeFifo();

  struct stat by_stat {};
  ASSERT_THAT(::stat(fifo.path().c_str(), &by_stat), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(by_stat.st_mode)) << std::oct << by_stat.st_mode;
  EXPECT_EQ(by_stat.st_nlink, 1u);

  struct stat by_lstat {};
  ASSERT_THAT(::lstat(fifo.path().c_str(), &by_lstat), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(by_lstat.st_mode)) << std::oct << by_lstat.st_mode;

  ASSERT_OPEN(fd, fifo.path(), O_RDWR);
  struct stat by_fstat {};
  ASSERT_THAT(::fstat(fd.get(), &by_fstat), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(by_fstat.st_mode));
  EXPECT_EQ(by_fstat.st_ino, by_stat.st_ino);
  EXPECT_EQ(by_fstat.st_dev, by_stat.st_dev);
  RecordMeasurement("fifo.inode", static_cast<int64_t>(by_stat.st_ino));
}

// The note's "可以进行复用": the node outlives every process that used it. Each
// round a new child opens the FIFO by path, writes and exits; the parent
// reads it and closes. With no descriptor left open anywhere, the same inode
// is still there and the next round works through it again.
TEST(FifoNodeTest, NodeOutlivesItsUsersAndCanBeReopened) {
  CLAIM("fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  const ino_t inode = StatPath(fifo.path()).st_ino;
  constexpr int kRounds = 3;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string message = "round " + std::to_string(round);
    ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
    ChildProcess writer = ChildProcess::Fork([&] {
      // Blocking O_WRONLY: the parent's reader is open, so this returns.
      const int fd = ::open(fifo.path().c_str(), O_WRONLY);
      if (fd < 0) return ErrnoExit(errno);
      if (::write(fd, message.data(), message.size()) !=
          static_cast<ssize_t>(message.size())) {
        return 2;
      }
      return 0;
    });
    const WaitStatus status = writer.Wait();
    ASSERT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
    // The writer is gone; what it wrote is still in the pipe.
    EXPECT_EQ(ReadAvailable(reader.get(), 64), message);
    reader.Reset();

    // Nobody has it open now, and the node is unchanged.
    const struct stat st = StatPath(fifo.path());
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_ino, inode);
  }
}

// pipe(7): "although FIFOs have a pathname in the filesystem, I/O on FIFOs
// does not involve operations on the underlying device". A FIFO filled to
// capacity still has st_size 0 and no blocks, while FIONREAD shows the bytes
// are held (in the kernel's pipe buffer).
TEST(FifoNodeTest, BufferedDataNeverReachesTheFilesystem) {
  CLAIM("fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);

  // Fill the pipe until the kernel refuses more.
  const std::vector<char> chunk(4096, 'd');
  size_t buffered = 0;
  for (;;) {
    const ssize_t n = ::write(writer.get(), chunk.data(), chunk.size());
    if (n < 0) {
      ASSERT_EQ(errno, EAGAIN) << ErrnoName(errno);
      break;
    }
    buffered += static_cast<size_t>(n);
  }
  const int capacity = ::fcntl(reader.get(), F_GETPIPE_SZ);
  ASSERT_THAT(capacity, SyscallSucceeds());
  EXPECT_EQ(buffered, static_cast<size_t>(capacity));
  EXPECT_EQ(ipc::BytesUnread(reader.get()), buffered);

  const struct stat by_path = StatPath(fifo.path());
  EXPECT_EQ(by_path.st_size, 0);
  EXPECT_EQ(by_path.st_blocks, 0);
  struct stat by_fd {};
  ASSERT_THAT(::fstat(reader.get(), &by_fd), SyscallSucceeds());
  EXPECT_EQ(by_fd.st_size, 0);
  RecordMeasurement("fifo.bytes_buffered", static_cast<int64_t>(buffered));
  RecordMeasurement("fifo.st_size_while_buffered",
                    static_cast<int64_t>(by_path.st_size));
}

// Which ends stay open while the others close and reopen. fifo(7): "The
// kernel maintains exactly one pipe object for each FIFO special file that is
// opened by at least one process" — so buffered data survives as long as any
// end is open, and is discarded with the pipe object when the last one closes.
struct DataLifetimeCase {
  const char* name;
  bool keep_reader;
  bool keep_writer;
  bool close_writer_first;  // when neither is kept
  bool data_survives;
};

class FifoDataLifetimeTest : public ::testing::TestWithParam<DataLifetimeCase> {
};

TEST_P(FifoDataLifetimeTest, UnreadDataLivesExactlyAsLongAsAnOpenEnd) {
  CLAIM("fifo.is-a-file");
  const DataLifetimeCase& c = GetParam();
  const Fifo fifo = MakeFifo();
  const std::string message = "unread";

  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  ASSERT_THAT(::write(writer.get(), message.data(), message.size()),
              SyscallSucceedsWithValue(message.size()));

  if (c.keep_reader) {
    writer.Reset();
  } else if (c.keep_writer) {
    reader.Reset();
  } else if (c.close_writer_first) {
    writer.Reset();
    reader.Reset();
  } else {
    reader.Reset();
    writer.Reset();
  }

  // Reopen whatever was closed. A non-blocking read end opens with no writer;
  // the write end opens non-blocking once a reader exists.
  if (!reader.valid()) {
    const int fd = ::open(fifo.path().c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_THAT(fd, SyscallSucceeds());
    reader.Reset(fd);
  }
  if (!c.data_survives) {
    // The reader sees a brand-new, empty pipe: end of file while there is no
    // writer...
    EXPECT_THAT(ReadAvailable(reader.get(), 64), ::testing::IsEmpty());
  }
  if (!writer.valid()) {
    const int fd = ::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_THAT(fd, SyscallSucceeds());
    writer.Reset(fd);
  }

  char buffer[64];
  if (c.data_survives) {
    EXPECT_EQ(ipc::BytesUnread(reader.get()), message.size());
    EXPECT_EQ(ReadAvailable(reader.get(), sizeof buffer), message);
  } else {
    // ...and "no data yet" (EAGAIN) once a writer is there: nothing of the
    // old bytes was kept.
    EXPECT_EQ(ipc::BytesUnread(reader.get()), 0u);
    EXPECT_THAT(::read(reader.get(), buffer, sizeof buffer),
                SyscallFailsWithErrno(EAGAIN));
  }
}

INSTANTIATE_TEST_SUITE_P(
    EndsKeptOpen, FifoDataLifetimeTest,
    ::testing::Values(
        DataLifetimeCase{"ReaderKeptOpen", true, false, false, true},
        DataLifetimeCase{"WriterKeptOpen", false, true, false, true},
        DataLifetimeCase{"WriterClosedThenReader", false, false, true, false},
        DataLifetimeCase{"ReaderClosedThenWriter", false, false, false, false}),
    [](const auto& info) { return std::string(info.param.name); });

// mkfifo(3): "EEXIST pathname already exists". The existing node is left as
// it was, and ipc::Fifo::Create reports the error without unlinking the node
// it failed to create.
TEST(FifoNodeTest, MkfifoOnAnExistingPathFailsEexist) {
  CLAIM("fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  const ino_t inode = StatPath(fifo.path()).st_ino;

  EXPECT_THAT(::mkfifo(fifo.path().c_str(), 0600),
              SyscallFailsWithErrno(EEXIST));
  try {
    Fifo again = Fifo::Create(fifo.path());
    ADD_FAILURE() << "Fifo::Create succeeded on an existing path";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST) << e.what();
  }
  const struct stat st = StatPath(fifo.path());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_ino, inode);
}

// The name only leads to the pipe: unlink(2) removes the name, and ends
// already open keep working (the inode lives until its last user closes),
// while nobody new can open it by that path.
TEST(FifoNodeTest, UnlinkWhileOpenKeepsOpenEndsWorking) {
  CLAIM("fifo.is-a-file");
  Fifo fifo = MakeFifo();
  const std::string path = fifo.path();
  ASSERT_OPEN(reader, path, O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, path, O_WRONLY);

  fifo.Remove();
  struct stat st {};
  EXPECT_THAT(::stat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::open(path.c_str(), O_RDONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENOENT));

  const std::string message = "after unlink";
  ASSERT_THAT(::write(writer.get(), message.data(), message.size()),
              SyscallSucceedsWithValue(message.size()));
  EXPECT_EQ(ReadAvailable(reader.get(), 64), message);

  ASSERT_THAT(::fstat(reader.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u);
}

// The node persists until someone unlinks it (the kernel never removes it);
// ipc::Fifo is the someone: the owner unlinks on destruction, a moved-from
// owner does not, and Fifo::Existing never does.
TEST(FifoNodeTest, FifoOwnerUnlinksTheNodeAndOnlyTheOwner) {
  CLAIM("fifo.is-a-file");
  const std::string path = UniqueTempPath("fifo");
  struct stat st {};
  {
    Fifo outer = Fifo::Existing(path);  // placeholder, replaced below
    {
      Fifo created = Fifo::Create(path);
      ASSERT_THAT(::stat(path.c_str(), &st), SyscallSucceeds());
      outer = std::move(created);
    }
    // The moved-from object went away without unlinking.
    ASSERT_THAT(::stat(path.c_str(), &st), SyscallSucceeds());
    EXPECT_TRUE(outer.owns_node());
    {
      const Fifo borrowed = Fifo::Existing(path);
      EXPECT_FALSE(borrowed.owns_node());
      ASSERT_OPEN(fd, path, O_RDWR);  // usable through any name holder
    }
    // Fifo::Existing went away without unlinking.
    ASSERT_THAT(::stat(path.c_str(), &st), SyscallSucceeds());
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
  }
  EXPECT_THAT(::stat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// ---------------------------------------------------------------------------
// fifo.unrelated-processes: "不局限于父子进程，即本机进程都可以使用"
// Confirmed: processes that share no descriptor meet through the name.

// Two programs that are not this test at all: /bin/sh writes through a shell
// redirection, /bin/cat reads by path. Both exec with every descriptor above
// stderr closed, so the only thing they share is the FIFO's name.
TEST(FifoUnrelatedTest, ExecedProgramsSharingOnlyTheNameCommunicate) {
  CLAIM("fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  const std::string message =
      "written by sh, read by cat, pid " + std::to_string(::getpid());
  // argv built before fork: the children only dup2, close_range and exec.
  const char* const writer_argv[] = {"sh",
                                     "-c",
                                     "printf %s \"$1\" > \"$2\"",
                                     "sh",
                                     message.c_str(),
                                     fifo.path().c_str(),
                                     nullptr};
  const char* const reader_argv[] = {"cat", fifo.path().c_str(), nullptr};
  ipc::Pipe cat_output = ipc::Pipe::Create(O_CLOEXEC);

  ChildProcess reader = ChildProcess::Fork([&] {
    if (::dup2(cat_output.write_fd(), STDOUT_FILENO) < 0) return 2;
    ::close_range(3, ~0U, 0);
    ::execv("/bin/cat", const_cast<char* const*>(reader_argv));
    return 3;
  });
  ChildProcess writer = ChildProcess::Fork([&] {
    ::close_range(3, ~0U, 0);
    ::execv("/bin/sh", const_cast<char* const*>(writer_argv));
    return 3;
  });
  cat_output.CloseWriteEnd();

  std::string received(message.size() + 64, '\0');
  received.resize(ipc::ReadUntilEof(
      cat_output.read_fd(),
      std::as_writable_bytes(std::span(received.data(), received.size()))));
  const WaitStatus writer_status = writer.Wait();
  const WaitStatus reader_status = reader.Wait();
  EXPECT_TRUE(writer_status.ExitedWith(0)) << writer_status.ToString();
  EXPECT_TRUE(reader_status.ExitedWith(0)) << reader_status.ToString();
  EXPECT_EQ(received, message);
}

// Two forked siblings, forked before anyone opened the FIFO, each open it by
// path and stream four pipe-capacities through it: more than the buffer
// holds, so the writer's flow control runs across the unrelated pair too.
TEST(FifoUnrelatedTest, SiblingsOpeningByPathStreamMoreThanTheBuffer) {
  CLAIM("fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  const size_t total = 4 * ipc::Pipe::Create().Capacity();
  auto pattern = [](size_t i) {
    return static_cast<char>((i * 31 + 7) & 0xff);
  };

  ChildProcess writer = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    char chunk[1000];
    for (size_t done = 0; done < total;) {
      const size_t n = std::min(sizeof chunk, total - done);
      for (size_t i = 0; i < n; ++i) chunk[i] = pattern(done + i);
      const ssize_t w = ::write(fd, chunk, n);
      if (w <= 0) return 2;
      done += static_cast<size_t>(w);
    }
    return 0;
  });
  ChildProcess reader = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), O_RDONLY);
    if (fd < 0) return ErrnoExit(errno);
    char chunk[777];
    size_t done = 0;
    for (;;) {
      const ssize_t r = ::read(fd, chunk, sizeof chunk);
      if (r < 0) return 2;
      if (r == 0) break;
      for (ssize_t i = 0; i < r; ++i) {
        if (chunk[i] != pattern(done + static_cast<size_t>(i))) return 3;
      }
      done += static_cast<size_t>(r);
    }
    return done == total ? 0 : 4;
  });

  const WaitStatus writer_status = writer.Wait();
  const WaitStatus reader_status = reader.Wait();
  EXPECT_TRUE(writer_status.ExitedWith(0)) << DescribeChildExit(writer_status);
  EXPECT_TRUE(reader_status.ExitedWith(0)) << DescribeChildExit(reader_status);
  RecordMeasurement("fifo.bytes_streamed", static_cast<int64_t>(total));
}

bool ProcessHasUid(pid_t pid, uid_t uid) {
  const std::string status =
      ReadFileOrThrow("/proc/" + std::to_string(pid) + "/status");
  const std::string id = std::to_string(uid);
  return status.find("\nUid:\t" + id + "\t" + id + "\t" + id + "\t" + id +
                     "\n") != std::string::npos;
}

// pipe(7): "Any process may open a FIFO, assuming the file permissions allow
// it" — including a process of another user. The child drops to another uid
// (and loses every capability), blocks in open() waiting for a reader, and
// /proc shows its uid while it waits.
TEST(FifoUnrelatedTest, ProcessOfAnotherUidCommunicatesWhenModeAllows) {
  CLAIM("fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  ASSERT_THAT(::chmod(fifo.path().c_str(), 0666), SyscallSucceeds());
  SKIP_UNLESS_OTHER_UID_CAN_REACH(fifo.path());

  const std::string message = "from another uid";
  ChildProcess writer = ChildProcess::Fork([&] {
    if (DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    const int fd = ::open(fifo.path().c_str(), O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    if (::write(fd, message.data(), message.size()) !=
        static_cast<ssize_t>(message.size())) {
      return 3;
    }
    return 0;
  });
  ASSERT_TRUE(WaitUntilBlockedInOpen(writer.pid()));
  EXPECT_TRUE(ProcessHasUid(writer.pid(), kOtherUid));

  ASSERT_OPEN(reader, fifo.path(), O_RDONLY);
  std::string received(message.size() + 16, '\0');
  received.resize(ipc::ReadUntilEof(
      reader.get(),
      std::as_writable_bytes(std::span(received.data(), received.size()))));
  EXPECT_EQ(received, message);
  const WaitStatus status = writer.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
}

// open(2): EACCES "The requested access to the file is not allowed". The
// FIFO belongs to the test's uid; a process of another uid gets exactly what
// the "other" bits grant. Group bits equal the other bits, so supplementary
// groups cannot change the answer. Both opens are non-blocking and a reader
// is held open, so an allowed open succeeds at once instead of waiting.
struct PermissionCase {
  const char* name;
  mode_t mode;
  bool read_allowed;
  bool write_allowed;
};

class FifoPermissionTest : public ::testing::TestWithParam<PermissionCase> {};

TEST_P(FifoPermissionTest, AnotherUidGetsOnlyWhatTheModeGrants) {
  CLAIM("fifo.unrelated-processes");
  const PermissionCase& c = GetParam();
  const Fifo fifo = MakeFifo();
  ASSERT_THAT(::chmod(fifo.path().c_str(), c.mode), SyscallSucceeds());
  SKIP_UNLESS_OTHER_UID_CAN_REACH(fifo.path());
  ASSERT_OPEN(held_reader, fifo.path(), O_RDONLY | O_NONBLOCK);

  // Exit code bits: 1 read opened, 2 write opened, 4 read failed with
  // something other than EACCES, 8 same for write; 64 could not drop.
  ChildProcess child = ChildProcess::Fork([&] {
    if (DropToUid(kOtherUid, kOtherGid) != 0) return 64;
    int result = 0;
    const int r = ::open(fifo.path().c_str(), O_RDONLY | O_NONBLOCK);
    if (r >= 0) {
      result |= 1;
    } else if (errno != EACCES) {
      result |= 4;
    }
    const int w = ::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) {
      result |= 2;
    } else if (errno != EACCES) {
      result |= 8;
    }
    return result;
  });
  const WaitStatus status = child.Wait();
  ASSERT_TRUE(status.exited()) << status.ToString();
  const int expected = (c.read_allowed ? 1 : 0) | (c.write_allowed ? 2 : 0);
  EXPECT_EQ(status.exit_code(), expected)
      << "bits: 1 read opened, 2 write opened, 4/8 read/write failed with an "
         "errno other than EACCES";
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FifoPermissionTest,
    ::testing::Values(PermissionCase{"Mode0600", 0600, false, false},
                      PermissionCase{"Mode0644", 0644, true, false},
                      PermissionCase{"Mode0622", 0622, false, true},
                      PermissionCase{"Mode0666", 0666, true, true}),
    [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------
// fifo.must-name-two-processes: "通信前需要指定是哪两个进程"
// Refuted: nobody is named. open() is a rendezvous with *any* opener of the
// other end, and any number of readers and writers may share the pipe.

// mkfifo(3): "Opening a FIFO for reading normally blocks until some other
// process opens the same FIFO for writing, and vice versa." The waiter is
// shown asleep in openat; then any peer — whatever its flags, as long as it
// brings the missing end — releases it. Nothing names the waiter.
struct RendezvousCase {
  const char* name;
  int waiter_flags;  // blocking O_RDONLY or O_WRONLY, in the child
  int peer_flags;    // what the parent opens to release it
};

class FifoRendezvousTest : public ::testing::TestWithParam<RendezvousCase> {};

TEST_P(FifoRendezvousTest, BlockingOpenWaitsUntilAnyPeerOpensTheOtherEnd) {
  CLAIM("fifo.must-name-two-processes");
  const RendezvousCase& c = GetParam();
  const Fifo fifo = MakeFifo();
  const bool waiter_reads = (c.waiter_flags & O_ACCMODE) == O_RDONLY;

  ChildProcess waiter = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), c.waiter_flags);
    if (fd < 0) return ErrnoExit(errno);
    char byte = 'w';
    if (waiter_reads) {
      if (::read(fd, &byte, 1) != 1) return 2;
      return byte == 'p' ? 0 : 3;
    }
    return ::write(fd, &byte, 1) == 1 ? 0 : 4;
  });
  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
  if (const auto state = ReadTaskState(waiter.pid(), waiter.pid())) {
    RecordMeasurement("fifo.open_wait_wchan", state->wchan);
  }
  EXPECT_FALSE(waiter.TryWait().has_value()) << "the waiter's open returned";

  ASSERT_OPEN(peer, fifo.path(), c.peer_flags);
  if (waiter_reads) {
    const char byte = 'p';
    ASSERT_THAT(::write(peer.get(), &byte, 1), SyscallSucceedsWithValue(1));
  } else {
    ipc::SetNonBlocking(peer.get(), false);  // wait for the child's byte
    char byte = 0;
    ASSERT_THAT(::read(peer.get(), &byte, 1), SyscallSucceedsWithValue(1));
    EXPECT_EQ(byte, 'w');
  }
  const WaitStatus status = waiter.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
}

INSTANTIATE_TEST_SUITE_P(
    WaiterAndPeer, FifoRendezvousTest,
    ::testing::Values(
        RendezvousCase{"ReaderReleasedByWriter", O_RDONLY, O_WRONLY},
        RendezvousCase{"ReaderReleasedByNonBlockingWriter", O_RDONLY,
                       O_WRONLY | O_NONBLOCK},
        RendezvousCase{"ReaderReleasedByReadWrite", O_RDONLY, O_RDWR},
        RendezvousCase{"WriterReleasedByReader", O_WRONLY, O_RDONLY},
        RendezvousCase{"WriterReleasedByNonBlockingReader", O_WRONLY,
                       O_RDONLY | O_NONBLOCK},
        RendezvousCase{"WriterReleasedByReadWrite", O_WRONLY, O_RDWR}),
    [](const auto& info) { return std::string(info.param.name); });

// fifo(7): "opening for read-only succeeds even if no one has opened on the
// write side yet", and "Under Linux, opening a FIFO for read and write will
// succeed both in blocking and nonblocking mode" (POSIX leaves O_RDWR
// undefined). These opens return at once with no other party at all.
class FifoOpenAloneTest : public ::testing::TestWithParam<int> {};

TEST_P(FifoOpenAloneTest, OpensAtOnceWithNoOtherParty) {
  CLAIM("fifo.must-name-two-processes");
  const int flags = GetParam();
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(fd, fifo.path(), flags);
  if ((flags & O_ACCMODE) == O_RDWR) {
    // One descriptor is both ends: a process can talk to itself.
    const char out = 'r';
    ASSERT_THAT(::write(fd.get(), &out, 1), SyscallSucceedsWithValue(1));
    char in = 0;
    ASSERT_THAT(::read(fd.get(), &in, 1), SyscallSucceedsWithValue(1));
    EXPECT_EQ(in, out);
  }
}

INSTANTIATE_TEST_SUITE_P(Flags, FifoOpenAloneTest,
                         ::testing::Values(O_RDONLY | O_NONBLOCK, O_RDWR,
                                           O_RDWR | O_NONBLOCK),
                         [](const auto& info) {
                           switch (info.param) {
                             case O_RDONLY | O_NONBLOCK:
                               return std::string("ReadOnlyNonBlocking");
                             case O_RDWR:
                               return std::string("ReadWrite");
                             default:
                               return std::string("ReadWriteNonBlocking");
                           }
                         });

// fifo(7): "opening for write-only fails with ENXIO (no such device or
// address) unless the other end has already been opened". The answer follows
// the readers present at the moment of the open, whoever they are.
TEST(FifoOpenTest, NonBlockingWriteOpenFailsEnxioExactlyWhileNoReaderIsOpen) {
  CLAIM("fifo.must-name-two-processes");
  const Fifo fifo = MakeFifo();
  EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
  {
    ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
    ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  }
  EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
}

// pipe(7): "Any process may open a FIFO". Two readers wait in open with no
// writer; three writers (each a separate process opening by path) then write
// 32 KiB each — more in total than the pipe holds — and every byte is read by
// one reader or the other. The parent holds one extra write end from the
// moment the readers wait until every writer is done, so the readers' EOF
// comes only after the last writer, however the writers are scheduled.
TEST(FifoOpenTest, ThreeWritersAndTwoReadersShareOneFifo) {
  CLAIM("fifo.must-name-two-processes", "fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  constexpr int kWriters = 3;
  constexpr int kReaders = 2;
  constexpr size_t kRecord = 512;  // <= PIPE_BUF: each write is atomic
  constexpr size_t kRecordsPerWriter = 64;

  struct ReaderCounts {
    uint64_t bytes_from[kWriters];
    uint64_t other_bytes;
    uint64_t reads;
  };
  std::vector<ipc::Pipe> reports;
  std::vector<ChildProcess> readers;
  for (int r = 0; r < kReaders; ++r) {
    reports.push_back(ipc::Pipe::Create(O_CLOEXEC));
    const int report_fd = reports.back().write_fd();
    readers.push_back(ChildProcess::Fork([&fifo, report_fd] {
      const int fd = ::open(fifo.path().c_str(), O_RDONLY);
      if (fd < 0) return ErrnoExit(errno);
      ReaderCounts counts{};
      char buffer[4096];
      for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) return 2;
        if (n == 0) break;
        ++counts.reads;
        for (ssize_t i = 0; i < n; ++i) {
          const int id = buffer[i] - 'A';
          if (id >= 0 && id < kWriters) {
            ++counts.bytes_from[id];
          } else {
            ++counts.other_bytes;
          }
        }
      }
      return ::write(report_fd, &counts, sizeof counts) == sizeof counts ? 0
                                                                         : 3;
    }));
    reports.back().CloseWriteEnd();
  }
  for (const ChildProcess& reader : readers) {
    ASSERT_TRUE(WaitUntilBlockedInOpen(reader.pid()));
  }
  // The readers are waiting, so this write-only open does not fail ENXIO.
  ASSERT_OPEN(keeper, fifo.path(), O_WRONLY | O_NONBLOCK);

  std::vector<ChildProcess> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(ChildProcess::Fork([&fifo, w] {
      const int fd = ::open(fifo.path().c_str(), O_WRONLY);
      if (fd < 0) return ErrnoExit(errno);
      char record[kRecord];
      for (char& b : record) b = static_cast<char>('A' + w);
      for (size_t i = 0; i < kRecordsPerWriter; ++i) {
        if (::write(fd, record, sizeof record) != sizeof record) return 2;
      }
      return 0;
    }));
  }
  for (ChildProcess& writer : writers) {
    const WaitStatus status = writer.Wait();
    EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
  }
  keeper.Reset();  // the last write end: the readers now see EOF

  uint64_t from[kWriters] = {};
  for (int r = 0; r < kReaders; ++r) {
    const WaitStatus status = readers[r].Wait();
    ASSERT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
    ReaderCounts counts{};
    ipc::ReadExact(reports[r].read_fd(),
                   std::as_writable_bytes(std::span(&counts, 1)));
    EXPECT_EQ(counts.other_bytes, 0u);
    uint64_t total = 0;
    for (int w = 0; w < kWriters; ++w) {
      from[w] += counts.bytes_from[w];
      total += counts.bytes_from[w];
    }
    RecordMeasurement("fifo.reader" + std::to_string(r) + ".bytes",
                      static_cast<int64_t>(total));
    RecordMeasurement("fifo.reader" + std::to_string(r) + ".reads",
                      static_cast<int64_t>(counts.reads));
  }
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(from[w], kRecord * kRecordsPerWriter) << "writer " << w;
  }
}

// The FIFO is its inode: a second hard link is the same pipe under another
// name (write through one name, read through the other), while a new node
// made at the same path after unlink is a different pipe — the old writer's
// bytes never reach the new node's reader.
TEST(FifoOpenTest, IdentityIsTheInodeNotTheNameOrTheProcesses) {
  CLAIM("fifo.must-name-two-processes", "fifo.is-a-file");
  Fifo fifo = MakeFifo();
  const std::string path = fifo.path();
  const std::string alias = UniqueTempPath("fifo-link");
  ASSERT_THAT(::link(path.c_str(), alias.c_str()), SyscallSucceeds());
  const ScopedUnlink unlink_alias(alias);
  EXPECT_EQ(StatPath(alias).st_ino, StatPath(path).st_ino);

  ASSERT_OPEN(old_reader, alias, O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(old_writer, path, O_WRONLY | O_NONBLOCK);
  const std::string through_path = "via the first name";
  ASSERT_THAT(
      ::write(old_writer.get(), through_path.data(), through_path.size()),
      SyscallSucceedsWithValue(through_path.size()));
  EXPECT_EQ(ReadAvailable(old_reader.get(), 64), through_path);

  // Same path, new node.
  const ino_t old_inode = StatPath(path).st_ino;
  fifo.Remove();
  const Fifo renewed = Fifo::Create(path);
  EXPECT_NE(StatPath(path).st_ino, old_inode);
  ASSERT_OPEN(new_reader, path, O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(new_writer, path, O_WRONLY | O_NONBLOCK);

  const std::string to_old = "to the old inode";
  ASSERT_THAT(::write(old_writer.get(), to_old.data(), to_old.size()),
              SyscallSucceedsWithValue(to_old.size()));
  char buffer[64];
  EXPECT_THAT(::read(new_reader.get(), buffer, sizeof buffer),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(ReadAvailable(old_reader.get(), 64), to_old);
}

// ---------------------------------------------------------------------------
// Beyond the note.

// fifo.beyond.open-eintr / fifo.beyond.open-restart. signal(7) lists
// "open(2), if it can block (e.g., when opening a FIFO; see fifo(7))" among
// the calls that fail EINTR when interrupted by a handler, and are restarted
// instead when the handler has SA_RESTART. The child is shown asleep in
// openat before the signal; the handler reports through a pipe that it ran.
volatile sig_atomic_t g_handler_runs = 0;
int g_handler_report_fd = -1;

void ReportingHandler(int) {
  const int saved_errno = errno;
  g_handler_runs = g_handler_runs + 1;
  const char byte = 'h';
  if (::write(g_handler_report_fd, &byte, 1) != 1) {
    // Nothing to do: the parent then sees EOF and fails the test.
  }
  errno = saved_errno;
}

struct InterruptCase {
  const char* name;
  int waiter_flags;
  bool sa_restart;
};

class FifoOpenInterruptTest : public ::testing::TestWithParam<InterruptCase> {};

TEST_P(FifoOpenInterruptTest, BlockedOpenAndSignalHandler) {
  const InterruptCase& c = GetParam();
  if (c.sa_restart) {
    CLAIM("fifo.beyond.open-restart");
  } else {
    CLAIM("fifo.beyond.open-eintr");
  }
  const Fifo fifo = MakeFifo();
  const bool waiter_reads = (c.waiter_flags & O_ACCMODE) == O_RDONLY;
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);

  ChildProcess waiter = ChildProcess::Fork([&] {
    g_handler_report_fd = report.write_fd();
    struct sigaction action {};
    action.sa_handler = ReportingHandler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = c.sa_restart ? SA_RESTART : 0;
    if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 10;
    const int fd = ::open(fifo.path().c_str(), c.waiter_flags);
    if (c.sa_restart) {
      if (fd < 0) return ErrnoExit(errno);
      return g_handler_runs == 1 ? 0 : 11;
    }
    if (fd >= 0) return 12;
    if (errno != EINTR) return ErrnoExit(errno);
    return g_handler_runs == 1 ? 0 : 11;
  });
  report.CloseWriteEnd();  // EOF on report if the child dies unannounced

  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
  waiter.Signal(SIGUSR1);
  std::byte handled[1];
  ASSERT_NO_THROW(ipc::ReadExact(report.read_fd(), handled))
      << "the handler never ran";

  if (c.sa_restart) {
    // The handler has returned and the child is asleep in openat again.
    ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
    // Non-blocking, so a waiter that is not there fails here (ENXIO) rather
    // than hanging the test.
    ASSERT_OPEN(peer, fifo.path(),
                (waiter_reads ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
    const WaitStatus status = waiter.Wait();
    EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
    return;
  }

  const WaitStatus status = waiter.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
  // The interrupted open left no phantom end behind.
  if (waiter_reads) {
    EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
                SyscallFailsWithErrno(ENXIO));
  } else {
    ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
    char byte;
    EXPECT_THAT(::read(reader.get(), &byte, 1), SyscallSucceedsWithValue(0))
        << "a writer is still counted";
  }
}

INSTANTIATE_TEST_SUITE_P(
    WaiterAndHandler, FifoOpenInterruptTest,
    ::testing::Values(
        InterruptCase{"ReaderWithoutSaRestartFailsEintr", O_RDONLY, false},
        InterruptCase{"WriterWithoutSaRestartFailsEintr", O_WRONLY, false},
        InterruptCase{"ReaderWithSaRestartResumes", O_RDONLY, true},
        InterruptCase{"WriterWithSaRestartResumes", O_WRONLY, true}),
    [](const auto& info) { return std::string(info.param.name); });

// fifo.beyond.reader-eof-without-writer. Unlike open, read does not wait for
// a first writer: pipe(7) "If all file descriptors referring to the write end
// of a pipe have been closed, then an attempt to read(2) from the pipe will
// see end-of-file" holds when there never was one — also on a descriptor made
// blocking after the non-blocking open. The read runs in a child so that a
// read that blocked would fail the test instead of hanging it.
class FifoReaderWithoutWriterTest : public ::testing::TestWithParam<bool> {};

TEST_P(FifoReaderWithoutWriterTest, ReadReturnsEndOfFileAtOnce) {
  CLAIM("fifo.beyond.reader-eof-without-writer");
  const bool make_blocking = GetParam();
  const Fifo fifo = MakeFifo();
  ChildProcess reader = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), O_RDONLY | O_NONBLOCK);
    if (fd < 0) return ErrnoExit(errno);
    if (make_blocking && ::fcntl(fd, F_SETFL, O_RDONLY) != 0) return 2;
    char byte;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0) return ErrnoExit(errno);
    return n == 0 ? 0 : 3;
  });
  ASSERT_TRUE(WaitUntilExited(reader.pid()));
  const WaitStatus status = reader.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
}

INSTANTIATE_TEST_SUITE_P(Blocking, FifoReaderWithoutWriterTest,
                         ::testing::Bool(), [](const auto& info) {
                           return std::string(info.param ? "MadeBlocking"
                                                         : "NonBlocking");
                         });

// fifo.beyond.poll-hup. poll(2): POLLHUP "merely indicates that the peer
// closed its end of the channel". Asserted: no POLLIN while empty, POLLIN
// with data, POLLHUP once the writer has come and gone. Recorded only: what
// the kernel reports to a reader that has never had a writer (Linux sets no
// POLLHUP then, so that a reader can poll for its first writer; no man page
// says so).
TEST(FifoPollTest, ReadEndReportsHangUpOnlyAfterAWriterHasClosed) {
  CLAIM("fifo.beyond.poll-hup");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  auto poll_reader = [&]() -> short {
    struct pollfd pfd = {reader.get(), POLLIN, 0};
    const int n = ::poll(&pfd, 1, 0);
    if (n < 0) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    return n == 0 ? 0 : pfd.revents;
  };

  const short never_had_writer = poll_reader();
  RecordMeasurement("fifo.poll_revents_no_writer_yet",
                    static_cast<int64_t>(never_had_writer));
  EXPECT_FALSE(never_had_writer & POLLIN);

  {
    ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
    EXPECT_EQ(poll_reader(), 0) << "empty, writer present";
    const char byte = 'x';
    ASSERT_THAT(::write(writer.get(), &byte, 1), SyscallSucceedsWithValue(1));
    EXPECT_EQ(poll_reader(), POLLIN);
  }
  // Writer gone, one byte still unread: POLLIN and POLLHUP together, and the
  // byte is still delivered before end of file.
  const short after_close_with_data = poll_reader();
  EXPECT_EQ(after_close_with_data, POLLIN | POLLHUP);
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "x");
  const short after_close_empty = poll_reader();
  EXPECT_EQ(after_close_empty, POLLHUP);
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "");
  RecordMeasurement("fifo.poll_revents_after_writer_closed",
                    static_cast<int64_t>(after_close_empty));
}

// fifo.beyond.same-buffer-as-pipe. pipe(7): "The only difference between
// pipes and FIFOs is the manner in which they are created and opened" — a
// FIFO's pipe gets the same default capacity as an anonymous pipe made now.
TEST(FifoCapacityTest, DefaultCapacityEqualsAnAnonymousPipes) {
  CLAIM("fifo.beyond.same-buffer-as-pipe");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(fd, fifo.path(), O_RDWR);
  const int fifo_capacity = ::fcntl(fd.get(), F_GETPIPE_SZ);
  ASSERT_THAT(fifo_capacity, SyscallSucceeds());
  const size_t pipe_capacity = ipc::Pipe::Create().Capacity();
  EXPECT_EQ(static_cast<size_t>(fifo_capacity), pipe_capacity);
  RecordMeasurement("fifo.capacity_bytes", static_cast<int64_t>(fifo_capacity));
  RecordMeasurement("fifo.anonymous_pipe_capacity_bytes",
                    static_cast<int64_t>(pipe_capacity));
  RecordMeasurement(
      "fifo.capacity_pages",
      static_cast<int64_t>(fifo_capacity / ::sysconf(_SC_PAGESIZE)));
}

// fifo.beyond.buffer-per-open-period. The pipe behind a FIFO is made on the
// first open and discarded on the last close (fifo(7): "exactly one pipe
// object for each FIFO special file that is opened by at least one
// process"): a capacity set with F_SETPIPE_SZ is seen by every later opener
// while any end stays open, and is gone after the last close. Shrinking to
// one page needs no privilege.
TEST(FifoCapacityTest, CapacityBelongsToThePipeNotTheNode) {
  CLAIM("fifo.beyond.buffer-per-open-period", "fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  const long page = ::sysconf(_SC_PAGESIZE);
  int default_capacity = 0;
  {
    ASSERT_OPEN(first, fifo.path(), O_RDWR);
    default_capacity = ::fcntl(first.get(), F_GETPIPE_SZ);
    ASSERT_THAT(default_capacity, SyscallSucceeds());
    ASSERT_GT(default_capacity, page) << "nothing to shrink";
    ASSERT_THAT(::fcntl(first.get(), F_SETPIPE_SZ, static_cast<int>(page)),
                SyscallSucceedsWithValue(page));
    ASSERT_OPEN(second, fifo.path(), O_RDONLY | O_NONBLOCK);
    EXPECT_THAT(::fcntl(second.get(), F_GETPIPE_SZ),
                SyscallSucceedsWithValue(page));
  }
  ASSERT_OPEN(later, fifo.path(), O_RDWR);
  EXPECT_THAT(::fcntl(later.get(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(default_capacity));
}

// fifo.beyond.mkfifo-needs-dir-write. mknod(2) (which mkfifo(3) uses):
// EACCES "The parent directory does not allow write permission to the
// process". The directory is searchable by everyone (0755), so the only
// thing the other uid lacks is write permission on it.
TEST(FifoCreateTest, MkfifoInADirectoryWithoutWritePermissionFailsEacces) {
  CLAIM("fifo.beyond.mkfifo-needs-dir-write");
  const ScopedDirectory dir(UniqueTempPath("dir"), 0755);
  SKIP_UNLESS_OTHER_UID_CAN_REACH(dir.path());
  const std::string path = dir.path() + "/fifo";
  const ScopedUnlink cleanup(path);  // in case the child wrongly succeeds

  ChildProcess child = ChildProcess::Fork([&] {
    if (DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    if (::access(dir.path().c_str(), X_OK) != 0) return 3;
    if (::mkfifo(path.c_str(), 0600) == 0) return 4;
    return errno == EACCES ? 0 : ErrnoExit(errno);
  });
  const WaitStatus status = child.Wait();
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
  struct stat st {};
  EXPECT_THAT(::stat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  // The owner can create there: the refusal was about the other uid.
  const Fifo owned = Fifo::Create(path);
  EXPECT_TRUE(S_ISFIFO(StatPath(path).st_mode));
}

// fifo.beyond.mkfifo-umask. mkfifo(3): "the permissions of the created file
// are (mode & ~umask)".
struct UmaskCase {
  const char* name;
  mode_t umask;
  mode_t requested;
  mode_t expected;
};

class FifoUmaskTest : public ::testing::TestWithParam<UmaskCase> {};

TEST_P(FifoUmaskTest, MkfifoModeIsFilteredByTheUmask) {
  CLAIM("fifo.beyond.mkfifo-umask");
  const UmaskCase& c = GetParam();
  ASSERT_EQ(c.expected, c.requested & ~c.umask);  // the case is well formed
  const ScopedUmask umask(c.umask);
  const Fifo fifo = Fifo::Create(UniqueTempPath("fifo"), c.requested);
  const struct stat st = StatPath(fifo.path());
  EXPECT_EQ(st.st_mode & 07777, c.expected)
      << std::oct << "got 0" << (st.st_mode & 07777);
}

INSTANTIATE_TEST_SUITE_P(
    Masks, FifoUmaskTest,
    ::testing::Values(UmaskCase{"Umask022", 022, 0666, 0644},
                      UmaskCase{"Umask077", 077, 0666, 0600},
                      UmaskCase{"Umask000", 0, 0666, 0666},
                      UmaskCase{"Umask027Mode0640", 027, 0640, 0640}),
    [](const auto& info) { return std::string(info.param.name); });

// fifo.beyond.trunc-ignored. open(2): "If the file is a FIFO or terminal
// device file, the O_TRUNC flag is ignored." A writer opening with O_TRUNC
// does not discard bytes another writer has buffered.
TEST(FifoOpenTest, OTruncDoesNotDiscardBufferedData) {
  CLAIM("fifo.beyond.trunc-ignored");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  const std::string message = "kept";
  ASSERT_THAT(::write(writer.get(), message.data(), message.size()),
              SyscallSucceedsWithValue(message.size()));
  ASSERT_OPEN(truncating, fifo.path(), O_WRONLY | O_TRUNC | O_NONBLOCK);
  EXPECT_EQ(ipc::BytesUnread(reader.get()), message.size());
  EXPECT_EQ(ReadAvailable(reader.get(), 64), message);
}

// fifo.beyond.not-seekable. lseek(2): ESPIPE "fd is associated with a pipe,
// socket, or FIFO"; pread(2)/pwrite(2) likewise. A FIFO has a name like a
// file, but no file offset.
TEST(FifoOpenTest, NeitherEndHasAFileOffset) {
  CLAIM("fifo.beyond.not-seekable");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  EXPECT_THAT(::lseek(reader.get(), 0, SEEK_SET),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::lseek(writer.get(), 0, SEEK_CUR),
              SyscallFailsWithErrno(ESPIPE));
  const char byte = 'x';
  EXPECT_THAT(::pwrite(writer.get(), &byte, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  char in;
  EXPECT_THAT(::pread(reader.get(), &in, 1, 0), SyscallFailsWithErrno(ESPIPE));
}

}  // namespace
}  // namespace ipcproof

// FIFOs (named pipes): what the note says about "命名管道", decided on the
// running kernel (claims fifo.* in docs/claims.json).
//
// The I/O semantics a FIFO shares with an anonymous pipe (blocking reads and
// writes, EOF, EPIPE, PIPE_BUF atomicity) are tested once for both kinds by
// pipe_test.cc through pipe_like.h. This file covers what only a FIFO has: a
// name in the filesystem (mkfifo, mknod, the path errors, permissions and
// ownership of the node), the open() rendezvous between readers and writers
// (fs/pipe.c fifo_open and wait_for_partner), and what poll reports before
// and after a writer (pipe_poll's w_counter test). docs/peers/fifo.md maps
// gVisor's and LTP's FIFO tests to the tests here.
//
// Every FIFO node lives under TestTempDir() and is owned by ipc::Fifo or a
// ScopedUnlink, which unlinks it. Children open the FIFO by path themselves:
// none of them is handed a descriptor onto it. The test process opens a FIFO
// only in ways that cannot block (O_NONBLOCK, or O_PATH); every open that
// waits for a partner runs in a child, and every child is waited for with a
// deadline, so a kernel that gets a rendezvous wrong fails the one test with
// a message instead of hanging it.
#include "ipc/fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <ios>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/temp_path.h"
#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
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

// Opens `path` with raw open(2), asserting success; for use inside tests.
#define ASSERT_OPEN(var, path, flags)                  \
  const int var##_raw = ::open((path).c_str(), flags); \
  ASSERT_THAT(var##_raw, SyscallSucceeds());           \
  UniqueFd var(var##_raw)

// The descriptors process `pid` has open, from /proc/PID/fd.
std::vector<int> OpenDescriptors(pid_t pid) {
  std::vector<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(pid) + "/fd")) {
    fds.push_back(std::stoi(entry.path().filename().string()));
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

bool ProcessHasUid(pid_t pid, uid_t uid) {
  const std::string status =
      ReadFileOrThrow("/proc/" + std::to_string(pid) + "/status");
  const std::string id = std::to_string(uid);
  return status.find("\nUid:\t" + id + "\t" + id + "\t" + id + "\t" + id +
                     "\n") != std::string::npos;
}

// Creates an empty regular file (for tests that need something that is not
// a FIFO at a path); the caller unlinks it.
void CreateRegularFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) ipc::ThrowErrno("open(" + path + ", O_CREAT)");
  ::close(fd);
}

// The most a played program copies, so a channel that never ends cannot
// make one fill memory.
constexpr size_t kProgramMaxBytes = 1 << 16;

// fifo_writer PATH TEXT: a writer that knows nothing but the FIFO's name.
// Opens PATH for writing (blocking, so it waits for a reader like any
// writer), writes TEXT, exits 0.
IPCPROOF_PROGRAM(fifo_writer) {
  if (argc != 3) return 2;
  const int fd = ::open(argv[1], O_WRONLY);
  if (fd < 0) return ErrnoExit(errno);
  const size_t length = std::strlen(argv[2]);
  if (::write(fd, argv[2], length) != static_cast<ssize_t>(length)) return 3;
  return 0;
}

// fifo_reader PATH: a reader that knows nothing but the FIFO's name. Opens
// PATH for reading and copies what arrives to stdout until end of file.
IPCPROOF_PROGRAM(fifo_reader) {
  if (argc != 2) return 2;
  const int fd = ::open(argv[1], O_RDONLY);
  if (fd < 0) return ErrnoExit(errno);
  char buffer[4096];
  size_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) return ErrnoExit(errno);
    if (n == 0) return 0;
    total += static_cast<size_t>(n);
    if (total > kProgramMaxBytes) return 4;
    if (::write(STDOUT_FILENO, buffer, static_cast<size_t>(n)) != n) return 5;
  }
}

// ---------------------------------------------------------------------------
// fifo.is-a-file: "mkfifo myPipe…以文件形式存在的，可以进行复用"
// Refined: the name is a filesystem node that outlives its users and can be
// reopened, but the data never reaches the filesystem.

// fifo(7): FIFO special files "are indicated by ls -l with the file type
// 'p'": S_IFIFO in stat and lstat (the name is the node, not a symlink to
// one), and both ends opened through it are that same inode.
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

  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  for (const int fd : {reader.get(), writer.get()}) {
    const struct stat by_fstat = StatFd(fd);
    EXPECT_TRUE(S_ISFIFO(by_fstat.st_mode));
    EXPECT_EQ(by_fstat.st_ino, by_stat.st_ino);
    EXPECT_EQ(by_fstat.st_dev, by_stat.st_dev);
  }
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
    ASSERT_TRUE(ExitsWithZeroWithin(writer));
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
  const int capacity = ::fcntl(reader.get(), F_GETPIPE_SZ);
  ASSERT_THAT(capacity, SyscallSucceeds());

  // Fill the pipe until the kernel refuses more; a kernel that takes four
  // capacities without EAGAIN fails here instead of filling memory.
  const WritesAccepted filled =
      WriteUntilEagain(writer.get(), 4096, 4 * static_cast<size_t>(capacity));
  EXPECT_EQ(filled.bytes, static_cast<size_t>(capacity));
  EXPECT_EQ(ipc::BytesUnread(reader.get()), filled.bytes);

  const struct stat by_path = StatPath(fifo.path());
  EXPECT_EQ(by_path.st_size, 0);
  EXPECT_EQ(by_path.st_blocks, 0);
  EXPECT_EQ(StatFd(reader.get()).st_size, 0);
  RecordMeasurement("fifo.bytes_buffered", filled.bytes);
  RecordMeasurement("fifo.st_size_while_buffered",
                    static_cast<int64_t>(by_path.st_size));
}

// Which ends stay open while the others close and reopen. fifo(7): "The
// kernel maintains exactly one pipe object for each FIFO special file that is
// opened by at least one process" — so buffered data survives as long as any
// end is open, and is discarded with the pipe object when the last one closes
// (fs/pipe.c put_pipe_info: "if (!--pipe->files) inode->i_pipe = NULL").
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

// mkfifo(3): "EEXIST pathname already exists"; so does mknod(2) asked for an
// S_IFIFO node (fs/namei.c filename_create: "if (d_is_positive(dentry))
// goto fail" with -EEXIST). The existing FIFO is left as it was: same inode,
// same type. (That ipc::Fifo::Create leaves a node it did not make alone is
// the wrapper's rule: conformance/unit/fifo_unit_test.cc.)
TEST(FifoNodeTest, CreatingAFifoWhereOneExistsFailsEexist) {
  CLAIM("fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  const ino_t inode = StatPath(fifo.path()).st_ino;

  EXPECT_THAT(::mkfifo(fifo.path().c_str(), 0600),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(::mknod(fifo.path().c_str(), S_IFIFO | 0600, 0),
              SyscallFailsWithErrno(EEXIST));
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
  ASSERT_OPEN(writer, path, O_WRONLY | O_NONBLOCK);

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

// fifo.beyond.not-truncatable. A FIFO has a name like a file but no contents
// to cut: truncate(2) on its path fails EINVAL (fs/open.c vfs_truncate: "For
// directories it's -EISDIR, for other non-regulars - -EINVAL"), whether or
// not it is open; ftruncate(2) on either end fails EINVAL (do_ftruncate:
// "!S_ISREG(inode->i_mode) || !(file->f_mode & FMODE_WRITE)"); fallocate(2)
// on the write end fails ESPIPE ("fd refers to a pipe or FIFO"; vfs_fallocate
// "if (S_ISFIFO(inode->i_mode)) return -ESPIPE"), and on the read end EBADF,
// since vfs_fallocate checks FMODE_WRITE first. Buffered bytes survive all of
// it.
TEST(FifoNodeTest, TruncateFailsEinvalAndFallocateFailsEspipe) {
  CLAIM("fifo.beyond.not-truncatable");
  const Fifo fifo = MakeFifo();
  EXPECT_THAT(::truncate(fifo.path().c_str(), 0),
              SyscallFailsWithErrno(EINVAL));

  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  const std::string message = "kept";
  ASSERT_THAT(::write(writer.get(), message.data(), message.size()),
              SyscallSucceedsWithValue(message.size()));

  EXPECT_THAT(::truncate(fifo.path().c_str(), 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::ftruncate(writer.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::ftruncate(reader.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::fallocate(writer.get(), 0, 0, 4096),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::fallocate(reader.get(), 0, 0, 4096),
              SyscallFailsWithErrno(EBADF));

  EXPECT_EQ(ipc::BytesUnread(reader.get()), message.size());
  EXPECT_EQ(ReadAvailable(reader.get(), 64), message);
  EXPECT_EQ(StatPath(fifo.path()).st_size, 0);
}

// ---------------------------------------------------------------------------
// fifo.unrelated-processes: "不局限于父子进程，即本机进程都可以使用"
// Confirmed: processes that share no descriptor meet through the name.

// Two programs that are not this test: the binary plays fifo_reader and
// fifo_writer itself (runner/programs.h), exec'd with every descriptor above
// stderr closed, so the only thing they share is the FIFO's name. The
// reader is shown waiting in open (it has nobody to name) and holding no
// descriptor but the standard three before the writer even exists.
TEST(FifoUnrelatedTest, ExecedProgramsSharingOnlyTheNameCommunicate) {
  CLAIM("fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  const std::string message =
      "written by fifo_writer, read by fifo_reader, "
      "test pid " +
      std::to_string(::getpid());
  ipc::Pipe output = ipc::Pipe::Create(O_CLOEXEC);

  ChildProcess reader = ChildProcess::Fork([&] {
    if (::dup2(output.write_fd(), STDOUT_FILENO) < 0) return ErrnoExit(errno);
    ::close_range(3, ~0U, 0);
    ExecProgram("fifo_reader", {fifo.path().c_str()});
    return ErrnoExit(errno);
  });
  output.CloseWriteEnd();
  ASSERT_TRUE(WaitUntilBlockedInOpen(reader.pid()));
  EXPECT_THAT(
      ReadFileOrThrow("/proc/" + std::to_string(reader.pid()) + "/cmdline"),
      ::testing::HasSubstr("--ipcproof_program=fifo_reader"));
  EXPECT_THAT(OpenDescriptors(reader.pid()), ::testing::IsSubsetOf({0, 1, 2}));

  ChildProcess writer = ChildProcess::Fork([&] {
    ::close_range(3, ~0U, 0);
    ExecProgram("fifo_writer", {fifo.path().c_str(), message.c_str()});
    return ErrnoExit(errno);
  });

  const Received received = ReadWithin(output.read_fd(), message.size() + 1);
  ASSERT_TRUE(ExitsWithZeroWithin(writer));
  ASSERT_TRUE(ExitsWithZeroWithin(reader));
  EXPECT_EQ(received.bytes, message);
  EXPECT_TRUE(received.eof) << "the reader's output did not end";
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
      if (done > total) return 5;  // more than was written
    }
    return done == total ? 0 : 4;
  });

  ASSERT_TRUE(ExitsWithZeroWithin(writer));
  ASSERT_TRUE(ExitsWithZeroWithin(reader));
  RecordMeasurement("fifo.bytes_streamed", total);
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

  // Non-blocking, so a writer that is not counted cannot hang the test; it
  // is counted (fifo_open increments writers before it waits), so the read
  // end sees its bytes and then its close.
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  const Received received = ReadWithin(reader.get(), message.size() + 1);
  EXPECT_EQ(received.bytes, message);
  EXPECT_TRUE(received.eof);
  ASSERT_TRUE(ExitsWithZeroWithin(writer));
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
  ASSERT_CHILD_EXITS(child, status);
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

// path_resolution(7): a process needs search permission on every directory
// of the path. A FIFO open to everyone (0666) is out of reach of another uid
// once its directory denies search (0700): EACCES from the lookup, before
// the FIFO's own bits are looked at. With search allowed the same open
// works, so the directory is what decides.
TEST(FifoDirectoryPermissionTest,
     DirectoryWithoutSearchPermissionHidesAnOpenFifo) {
  CLAIM("fifo.unrelated-processes");
  const ScopedDirectory dir(UniqueTempPath("dir"), 0755);
  SKIP_UNLESS_OTHER_UID_CAN_REACH(dir.path());
  const Fifo fifo = Fifo::Create(dir.path() + "/fifo");
  ASSERT_THAT(::chmod(fifo.path().c_str(), 0666), SyscallSucceeds());
  ASSERT_OPEN(held_reader, fifo.path(), O_RDONLY | O_NONBLOCK);

  auto other_uid_open = [&] {
    return ChildProcess::Fork([&] {
      if (DropToUid(kOtherUid, kOtherGid) != 0) return 64;
      if (::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK) >= 0) return 0;
      return ErrnoExit(errno);
    });
  };
  {
    ChildProcess allowed = other_uid_open();
    ASSERT_TRUE(ExitsWithZeroWithin(allowed));
  }
  ASSERT_THAT(::chmod(dir.path().c_str(), 0700), SyscallSucceeds());
  ChildProcess denied = other_uid_open();
  ASSERT_TRUE(ExitsWithWithin(denied, ErrnoExit(EACCES)));
}

// ---------------------------------------------------------------------------
// fifo.must-name-two-processes: "通信前需要指定是哪两个进程"
// Refuted: nobody is named. open() is a rendezvous with *any* opener of the
// other end, and any number of readers and writers may share the pipe.

// mkfifo(3): "Opening a FIFO for reading normally blocks until some other
// process opens the same FIFO for writing, and vice versa." fs/pipe.c
// fifo_open: a blocking O_RDONLY open with no writer sleeps in
// wait_for_partner(pipe, &pipe->w_counter), a blocking O_WRONLY open with no
// reader in wait_for_partner(pipe, &pipe->r_counter); any open that brings
// the missing end calls wake_up_partner. The waiter is shown asleep in
// openat; then a second, unrelated child opens the other end — whatever its
// flags — and the two exchange a byte. Nothing names the waiter.
struct RendezvousCase {
  const char* name;
  int waiter_flags;  // blocking O_RDONLY or O_WRONLY
  int peer_flags;    // what the second child opens to release it
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
  ASSERT_FALSE(waiter.TryWait().has_value()) << "the waiter's open returned";

  ChildProcess peer = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), c.peer_flags);
    if (fd < 0) return ErrnoExit(errno);
    if (waiter_reads) {
      const char byte = 'p';
      return ::write(fd, &byte, 1) == 1 ? 0 : 10;
    }
    // The waiter writes once its open returns; wait for that byte with a
    // deadline, whatever the peer's O_NONBLOCK.
    std::byte byte{};
    const ReadOutcome got =
        ReadIntoWithin(fd, std::span(&byte, 1), kBlockedTimeout);
    if (got.timed_out) return 11;
    if (got.bytes != 1) return 12;
    return byte == std::byte{'w'} ? 0 : 13;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(peer));
  ASSERT_TRUE(ExitsWithZeroWithin(waiter));
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

// wait_for_partner sleeps "while (cur == *cnt)": it waits for the *count of
// opens* of the other end (pipe->w_counter, pipe->r_counter) to change, not
// for the other end to be open when it wakes. So a partner that opens and
// closes again before the waiter runs still releases it: a blocked reader's
// open then succeeds and its first read sees end of file; a blocked
// writer's open succeeds too. A kernel that re-checked pipe->writers or
// pipe->readers instead would put the waiter back to sleep — the bug these
// counters were introduced to fix.
class FifoPartnerGoneTest : public ::testing::TestWithParam<bool> {};

TEST_P(FifoPartnerGoneTest, BlockedOpenIsReleasedByAPartnerThatClosedAgain) {
  CLAIM("fifo.must-name-two-processes");
  const bool waiter_reads = GetParam();
  const Fifo fifo = MakeFifo();

  ChildProcess waiter = ChildProcess::Fork([&] {
    const int fd =
        ::open(fifo.path().c_str(), waiter_reads ? O_RDONLY : O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    if (!waiter_reads) return 0;
    char byte;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0) return ErrnoExit(errno);
    return n == 0 ? 0 : 2;
  });
  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
  {
    // The waiter counts as the other end already (fifo_open increments
    // readers or writers before it sleeps), so this non-blocking open
    // succeeds; it is closed again at the end of the scope.
    ASSERT_OPEN(partner, fifo.path(),
                (waiter_reads ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
  }
  ASSERT_TRUE(ExitsWithZeroWithin(waiter));
}

INSTANTIATE_TEST_SUITE_P(Waiter, FifoPartnerGoneTest, ::testing::Bool(),
                         [](const auto& info) {
                           return std::string(info.param ? "Reader" : "Writer");
                         });

// fifo(7): "opening for read-only succeeds even if no one has opened on the
// write side yet", and "Under Linux, opening a FIFO for read and write will
// succeed both in blocking and nonblocking mode" (POSIX leaves O_RDWR
// undefined; fifo_open's O_RDWR case: "This implementation will NEVER block
// on a O_RDWR open, since the process can at least talk to itself"). Each
// open runs in a child with nobody else about; the child must get through
// it and, for O_RDWR, send itself a message and read it back (a read-only
// end with no writer reads end of file).
class FifoOpenAloneTest : public ::testing::TestWithParam<int> {};

TEST_P(FifoOpenAloneTest, OpensAtOnceWithNoOtherParty) {
  CLAIM("fifo.must-name-two-processes");
  const int flags = GetParam();
  const Fifo fifo = MakeFifo();
  const std::string message = "to myself";

  ChildProcess alone = ChildProcess::Fork([&] {
    const int fd = ::open(fifo.path().c_str(), flags);
    if (fd < 0) return ErrnoExit(errno);
    char buffer[64];
    if ((flags & O_ACCMODE) != O_RDWR) {
      return ::read(fd, buffer, sizeof buffer) == 0 ? 0 : 2;
    }
    if (::write(fd, message.data(), message.size()) !=
        static_cast<ssize_t>(message.size())) {
      return 3;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n != static_cast<ssize_t>(message.size())) return 4;
    return std::memcmp(buffer, message.data(), message.size()) == 0 ? 0 : 5;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(alone));
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
// address) unless the other end has already been opened" — fifo_open's
// "if (!is_pipe && (filp->f_flags & O_NONBLOCK) && !pipe->readers)" branch.
// The answer follows the readers present at the moment of the open, whoever
// they are: none at first; one, then none again after it closes; and a
// writer blocked in open is not a reader, however long it waits.
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

  ChildProcess blocked_writer = ChildProcess::Fork([&] {
    return ::open(fifo.path().c_str(), O_WRONLY) >= 0 ? 0 : ErrnoExit(errno);
  });
  ASSERT_TRUE(WaitUntilBlockedInOpen(blocked_writer.pid()));
  EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
  ASSERT_OPEN(releasing_reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_TRUE(ExitsWithZeroWithin(blocked_writer));
}

// pipe(7): "Any process may open a FIFO". Two readers wait in open with no
// writer; three writers (each a separate process opening by path) then write
// 32 KiB each — more in total than the pipe holds — and every byte is read by
// one reader or the other. The parent holds one extra write end from the
// moment the readers wait until every writer is done, so the readers' EOF
// comes only after the last writer, however the writers are scheduled.
//
// Every record is a PIPE_BUF-or-smaller write, so pipe(7) makes it atomic,
// and fs/pipe.c pipe_read copies under pipe->mutex and stops only when the
// request is met or the pipe is empty: a read of a multiple of the record
// size therefore returns whole records. Each reader checks that every read
// is a whole number of records and every record comes from one writer (LTP
// pipeio's check of named-pipe records, with writers that open by path).
TEST(FifoOpenTest, ThreeWritersAndTwoReadersShareOneFifo) {
  CLAIM("fifo.must-name-two-processes", "fifo.unrelated-processes");
  const Fifo fifo = MakeFifo();
  constexpr int kWriters = 3;
  constexpr int kReaders = 2;
  constexpr size_t kRecord = 512;  // <= PIPE_BUF (4096, pipe(7))
  constexpr size_t kRecordsPerWriter = 64;
  constexpr size_t kTotal = kWriters * kRecord * kRecordsPerWriter;

  struct ReaderCounts {
    uint64_t bytes_from[kWriters];
    uint64_t other_bytes;
    uint64_t reads;
    uint64_t reads_not_whole_records;
    uint64_t mixed_records;
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
      char buffer[8 * kRecord];
      uint64_t total = 0;
      for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) return 2;
        if (n == 0) break;
        total += static_cast<uint64_t>(n);
        if (total > kTotal) return 4;  // more than was written
        ++counts.reads;
        if (static_cast<size_t>(n) % kRecord != 0) {
          ++counts.reads_not_whole_records;
        }
        for (ssize_t i = 0; i < n; ++i) {
          const int id = buffer[i] - 'A';
          if (id >= 0 && id < kWriters) {
            ++counts.bytes_from[id];
          } else {
            ++counts.other_bytes;
          }
          if (i % kRecord != 0 && buffer[i] != buffer[i - i % kRecord]) {
            ++counts.mixed_records;
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
    ASSERT_TRUE(ExitsWithZeroWithin(writer));
  }
  keeper.Reset();  // the last write end: the readers now see EOF

  uint64_t from[kWriters] = {};
  for (int r = 0; r < kReaders; ++r) {
    ASSERT_TRUE(ExitsWithZeroWithin(readers[r]));
    ReaderCounts counts{};
    ipc::ReadExact(reports[r].read_fd(),
                   std::as_writable_bytes(std::span(&counts, 1)));
    EXPECT_EQ(counts.other_bytes, 0u);
    EXPECT_EQ(counts.reads_not_whole_records, 0u) << "reader " << r;
    EXPECT_EQ(counts.mixed_records, 0u) << "reader " << r;
    uint64_t total = 0;
    for (int w = 0; w < kWriters; ++w) {
      from[w] += counts.bytes_from[w];
      total += counts.bytes_from[w];
    }
    RecordMeasurement("fifo.reader" + std::to_string(r) + ".bytes", total);
    RecordMeasurement("fifo.reader" + std::to_string(r) + ".reads",
                      counts.reads);
  }
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(from[w], kRecord * kRecordsPerWriter) << "writer " << w;
  }
}

// The FIFO is its inode (fifo_open finds the pipe through inode->i_pipe),
// and no process is part of its identity. A reader child opens the FIFO by
// a second hard link while a writer child opens it by its first name: they
// share one pipe. Then the first name is unlinked and a new FIFO made at the
// same path; a third child that opens the new node waits in open, and stays
// waiting while the old writer writes again — those bytes go to the old
// reader, through the old inode that no name leads to any more — until a
// fourth child opens the new node for writing.
TEST(FifoOpenTest, IdentityIsTheInodeNotTheNameOrTheProcesses) {
  CLAIM("fifo.must-name-two-processes", "fifo.is-a-file");
  Fifo fifo = MakeFifo();
  const std::string path = fifo.path();
  const std::string alias = UniqueTempPath("fifo-link");
  ASSERT_THAT(::link(path.c_str(), alias.c_str()), SyscallSucceeds());
  const ScopedUnlink unlink_alias(alias);
  const ino_t old_inode = StatPath(path).st_ino;
  EXPECT_EQ(StatPath(alias).st_ino, old_inode);
  const std::string first = "through the first name";
  const std::string second = "to the old inode";
  const std::string third = "to the new node";

  // A reader that copies what it reads from `name` to `report_fd` until end
  // of file. It closes every other end it inherited first, so each report
  // pipe ends exactly when its own reader does.
  auto fork_reader = [](const std::string& name, ipc::Pipe& report) {
    const int report_fd = report.write_fd();
    const int unused_fd = report.read_fd();
    ChildProcess reader = ChildProcess::Fork([&name, report_fd, unused_fd] {
      ::close(unused_fd);
      const int fd = ::open(name.c_str(), O_RDONLY);
      if (fd < 0) return ErrnoExit(errno);
      char buffer[256];
      size_t total = 0;
      for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) return ErrnoExit(errno);
        if (n == 0) return 0;
        total += static_cast<size_t>(n);
        if (total > 4096) return 2;
        if (::write(report_fd, buffer, static_cast<size_t>(n)) != n) return 3;
      }
    });
    report.CloseWriteEnd();
    return reader;
  };

  ipc::Pipe old_report = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess old_reader = fork_reader(alias, old_report);
  ASSERT_TRUE(WaitUntilBlockedInOpen(old_reader.pid()));

  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess old_writer = ChildProcess::Fork([&] {
    ::close(go.write_fd());
    const int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    if (::write(fd, first.data(), first.size()) !=
        static_cast<ssize_t>(first.size())) {
      return 2;
    }
    char byte;
    if (::read(go.read_fd(), &byte, 1) != 1) return 3;
    if (::write(fd, second.data(), second.size()) !=
        static_cast<ssize_t>(second.size())) {
      return 4;
    }
    return 0;
  });
  go.CloseReadEnd();
  EXPECT_EQ(ReadWithin(old_report.read_fd(), first.size()).bytes, first);

  // Same path, new node.
  fifo.Remove();
  const Fifo renewed = Fifo::Create(path);
  EXPECT_NE(StatPath(path).st_ino, old_inode);
  ipc::Pipe new_report = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess new_reader = fork_reader(path, new_report);
  ASSERT_TRUE(WaitUntilBlockedInOpen(new_reader.pid()));

  ipc::WriteAll(go.write_fd(), "g");
  ASSERT_TRUE(ExitsWithZeroWithin(old_writer));
  const Received to_old = ReadWithin(old_report.read_fd(), second.size() + 1);
  EXPECT_EQ(to_old.bytes, second);
  EXPECT_TRUE(to_old.eof) << "the old reader did not see its writer go";
  ASSERT_TRUE(ExitsWithZeroWithin(old_reader));
  // Neither the old writer's open nor its bytes reached the new node.
  ASSERT_TRUE(WaitUntilBlockedInOpen(new_reader.pid()));

  ChildProcess new_writer = ChildProcess::Fork([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    return ::write(fd, third.data(), third.size()) ==
                   static_cast<ssize_t>(third.size())
               ? 0
               : 2;
  });
  const Received to_new = ReadWithin(new_report.read_fd(), third.size() + 1);
  EXPECT_EQ(to_new.bytes, third);
  EXPECT_TRUE(to_new.eof);
  ASSERT_TRUE(ExitsWithZeroWithin(new_writer));
  ASSERT_TRUE(ExitsWithZeroWithin(new_reader));
}

// ---------------------------------------------------------------------------
// Beyond the note.

// fifo.beyond.open-without-an-end. An O_PATH descriptor names the FIFO
// without opening either end: fs/open.c do_dentry_open returns for O_PATH
// before the file's open method, so fifo_open never runs, nothing waits and
// nothing is counted. open(2): "the file itself is not opened, and other
// file operations (e.g., read(2), write(2)...) fail with the error EBADF".
// Opening /proc/self/fd/N of it opens the FIFO for real (path_resolution
// through the magic link reaches the same inode, and fifo_open runs): with no
// reader a non-blocking writer still fails ENXIO; as a reader it counts, and
// then a non-blocking writer opens.
TEST(FifoOpenTest, OPathDescriptorIsNeitherEnd) {
  CLAIM("fifo.beyond.open-without-an-end");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(path_fd, fifo.path(), O_PATH);
  EXPECT_TRUE(S_ISFIFO(StatFd(path_fd.get()).st_mode));
  char byte = 'x';
  EXPECT_THAT(::read(path_fd.get(), &byte, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::write(path_fd.get(), &byte, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO))
      << "the O_PATH descriptor was counted as a reader";

  const std::string magic = ProcFdPath(::getpid(), path_fd.get());
  EXPECT_THAT(::open(magic.c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
  ASSERT_OPEN(reader, magic, O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  ASSERT_THAT(::write(writer.get(), &byte, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "x");
}

// fifo.beyond.open-without-an-end. Access mode 3 (O_WRONLY | O_RDWR) is no
// access mode: the open asks for read *and* write permission
// (include/linux/fs.h ACC_MODE) but its file gets neither FMODE_READ nor
// FMODE_WRITE (OPEN_FMODE(3) == 0). A regular file opens that way and then
// refuses read and write with EBADF; fifo_open's switch on the two bits
// reaches "default: ret = -EINVAL", so a FIFO refuses the open itself, and
// nothing is left counted. O_NONBLOCK keeps a kernel that took 3 for
// O_RDONLY from hanging the test.
TEST(FifoOpenTest, AccessModeThreeFailsEinvalWhereARegularFileOpens) {
  CLAIM("fifo.beyond.open-without-an-end");
  const Fifo fifo = MakeFifo();
  const std::string file = UniqueTempPath("file");
  CreateRegularFile(file);
  const ScopedUnlink unlink_file(file);

  ASSERT_OPEN(neither, file, O_ACCMODE | O_NONBLOCK);
  char byte = 'x';
  EXPECT_THAT(::read(neither.get(), &byte, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::write(neither.get(), &byte, 1), SyscallFailsWithErrno(EBADF));

  EXPECT_THAT(::open(fifo.path().c_str(), O_ACCMODE | O_NONBLOCK),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
}

// fifo.beyond.status-flags. A FIFO end opened by path carries the file
// status flags open(2) gives any file opened with the same flags (on x86-64
// that includes O_LARGEFILE, which fs/open.c build_open_how adds when
// force_o_largefile()), and F_SETFL changes only O_NONBLOCK on it like on a
// file; an anonymous pipe's ends are made by create_pipe_files without
// open(2) and carry exactly O_RDONLY and O_WRONLY. The bits open(2) adds are
// recorded.
TEST(FifoOpenTest, EndsCarryTheStatusFlagsOpenGivesAnyFile) {
  CLAIM("fifo.beyond.status-flags");
  const Fifo fifo = MakeFifo();
  const std::string file = UniqueTempPath("file");
  CreateRegularFile(file);
  const ScopedUnlink unlink_file(file);

  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  for (const int flags :
       {O_RDONLY | O_NONBLOCK, O_WRONLY | O_NONBLOCK, O_RDWR | O_NONBLOCK}) {
    SCOPED_TRACE("open flags " + std::to_string(flags));
    ASSERT_OPEN(fifo_end, fifo.path(), flags);
    ASSERT_OPEN(file_fd, file, flags);
    EXPECT_EQ(FileStatusFlags(fifo_end.get()), FileStatusFlags(file_fd.get()));
    ASSERT_THAT(::fcntl(fifo_end.get(), F_SETFL, 0), SyscallSucceeds());
    ASSERT_THAT(::fcntl(file_fd.get(), F_SETFL, 0), SyscallSucceeds());
    EXPECT_EQ(FileStatusFlags(fifo_end.get()), FileStatusFlags(file_fd.get()));
    EXPECT_EQ(FileStatusFlags(fifo_end.get()) & (O_ACCMODE | O_NONBLOCK),
              flags & O_ACCMODE);
  }
  RecordMeasurement("fifo.status_flags_open_adds",
                    FileStatusFlags(reader.get()) & ~(O_RDONLY | O_NONBLOCK));

  const ipc::Pipe pipe = ipc::Pipe::Create();
  EXPECT_EQ(FileStatusFlags(pipe.read_fd()), O_RDONLY);
  EXPECT_EQ(FileStatusFlags(pipe.write_fd()), O_WRONLY);
}

// fifo.beyond.open-eintr / fifo.beyond.open-restart. signal(7) lists
// "open(2), if it can block (e.g., when opening a FIFO; see fifo(7))" among
// the calls that fail EINTR when interrupted by a handler, and are restarted
// instead when the handler has SA_RESTART. fs/pipe.c wait_for_partner:
// "if (signal_pending(current)) break; ... return cur == *cnt ?
// -ERESTARTSYS : 0", and fifo_open's err_rd / err_wr paths give back the
// reader or writer it had counted. The child is shown asleep in openat
// before the signal; the handler reports through a pipe that it ran.
volatile sig_atomic_t g_handler_runs = 0;
int g_handler_report_fd = -1;

void ReportingHandler(int) {
  const int saved_errno = errno;
  g_handler_runs = g_handler_runs + 1;
  const char byte = 'h';
  if (::write(g_handler_report_fd, &byte, 1) != 1) {
    // Nothing to do: the parent then sees no byte and fails the test.
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
  report.CloseWriteEnd();

  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
  waiter.Signal(SIGUSR1);
  ASSERT_EQ(ReadWithin(report.read_fd(), 1).bytes, "h")
      << "the handler never ran";

  if (c.sa_restart) {
    // The handler has returned and the child is asleep in openat again.
    ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
    // Non-blocking, so a waiter that is not there fails here (ENXIO) rather
    // than hanging the test.
    ASSERT_OPEN(peer, fifo.path(),
                (waiter_reads ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
    ASSERT_TRUE(ExitsWithZeroWithin(waiter));
    return;
  }

  // A kernel that restarted the open here would leave the child asleep in
  // it: that fails at the deadline, not at the watchdog.
  ASSERT_TRUE(ExitsWithZeroWithin(waiter));
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

// fifo.beyond.open-survives-stop. SIGSTOP also makes signal_pending() true,
// so wait_for_partner returns -ERESTARTSYS with no handler to run: the
// signal code restarts the call after the stop ends. signal(7) names the
// calls that "can fail with the error EINTR after the process is stopped by
// one of the stop signals and then resumed via SIGCONT" even without a
// handler; open(2) is not among them. The child is shown asleep in openat,
// stopped, continued, asleep in openat again, and then released by a peer:
// its open succeeds.
class FifoOpenStopTest : public ::testing::TestWithParam<bool> {};

TEST_P(FifoOpenStopTest, BlockedOpenResumesAfterStopAndContinue) {
  CLAIM("fifo.beyond.open-survives-stop");
  const bool waiter_reads = GetParam();
  const Fifo fifo = MakeFifo();
  ChildProcess waiter = ChildProcess::Fork([&] {
    if (!RestoreDefaultSignal(SIGCONT)) return 10;
    const int fd =
        ::open(fifo.path().c_str(), waiter_reads ? O_RDONLY : O_WRONLY);
    return fd >= 0 ? 0 : ErrnoExit(errno);
  });
  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()));
  waiter.Signal(SIGSTOP);
  ASSERT_TRUE(WaitUntilStopped(waiter.pid()));
  waiter.Signal(SIGCONT);
  ASSERT_TRUE(WaitUntilBlockedInOpen(waiter.pid()))
      << "the open did not resume after SIGCONT";
  ASSERT_OPEN(peer, fifo.path(),
              (waiter_reads ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
  ASSERT_TRUE(ExitsWithZeroWithin(waiter));
}

INSTANTIATE_TEST_SUITE_P(Waiter, FifoOpenStopTest, ::testing::Bool(),
                         [](const auto& info) {
                           return std::string(info.param ? "Reader" : "Writer");
                         });

// fifo.beyond.reader-eof-without-writer. Unlike open, read does not wait for
// a first writer: pipe(7) "If all file descriptors referring to the write end
// of a pipe have been closed, then an attempt to read(2) from the pipe will
// see end-of-file" holds when there never was one (pipe_read: "if
// (!pipe->writers) break;" before it would wait) — also on a descriptor made
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
  ASSERT_TRUE(ExitsWithZeroWithin(reader));
}

INSTANTIATE_TEST_SUITE_P(Blocking, FifoReaderWithoutWriterTest,
                         ::testing::Bool(), [](const auto& info) {
                           return std::string(info.param ? "MadeBlocking"
                                                         : "NonBlocking");
                         });

// fifo.beyond.poll-hup. poll(2): POLLHUP "merely indicates that the peer
// closed its end of the channel". fs/pipe.c pipe_poll reports it for a read
// end when "!pipe->writers && filp->f_pipe != pipe->w_counter", and
// fifo_open's non-blocking O_RDONLY branch with no writer sets "filp->f_pipe
// = pipe->w_counter" ("suppress EPOLLHUP until we have seen a writer"). So a
// reader that has never had a writer gets no POLLHUP (it can poll for its
// first writer), while read(2) already says end of file; POLLIN comes with
// data, and POLLHUP once the writer has come and gone — with POLLIN while a
// byte is left.
TEST(FifoPollTest, ReadEndReportsHangUpOnlyAfterAWriterHasClosed) {
  CLAIM("fifo.beyond.poll-hup");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);

  EXPECT_EQ(PollEventsNow(reader.get()), 0) << "no writer has been seen yet";
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "");
  {
    ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
    EXPECT_EQ(PollEventsNow(reader.get()), 0) << "empty, writer present";
    const char byte = 'x';
    ASSERT_THAT(::write(writer.get(), &byte, 1), SyscallSucceedsWithValue(1));
    EXPECT_EQ(PollEventsNow(reader.get()), POLLIN);
  }
  // Writer gone, one byte still unread: POLLIN and POLLHUP together, and the
  // byte is still delivered before end of file.
  EXPECT_EQ(PollEventsNow(reader.get()), POLLIN | POLLHUP);
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "x");
  const short after_close_empty = PollEventsNow(reader.get());
  EXPECT_EQ(after_close_empty, POLLHUP);
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "");
  RecordMeasurement("fifo.poll_revents_after_writer_closed", after_close_empty);
}

// fifo.beyond.poll-hup. The withholding belongs to each open file
// description (it is filp->f_pipe), and pipe->w_counter counts every open
// that brings a write end, O_RDWR included. A second reader opened after a
// writer came and went has not seen that writer: no POLLHUP for it, while
// the first reader has POLLHUP; an O_RDWR open and close then lifts it for
// the second reader too.
TEST(FifoPollTest, HangUpIsWithheldFromEachReaderUntilItHasSeenAWriter) {
  CLAIM("fifo.beyond.poll-hup");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(first, fifo.path(), O_RDONLY | O_NONBLOCK);
  { ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK); }
  EXPECT_EQ(PollEventsNow(first.get()), POLLHUP);

  ASSERT_OPEN(second, fifo.path(), O_RDONLY | O_NONBLOCK);
  EXPECT_EQ(PollEventsNow(second.get()), 0)
      << "the second reader never saw the writer that left";
  EXPECT_EQ(PollEventsNow(first.get()), POLLHUP);
  EXPECT_EQ(ReadAvailable(second.get(), 8), "") << "read says end of file";
  {
    ASSERT_OPEN(both, fifo.path(), O_RDWR | O_NONBLOCK);
    EXPECT_EQ(PollEventsNow(second.get()), 0) << "a writer is present";
    EXPECT_EQ(PollEventsNow(both.get(), POLLIN | POLLOUT), POLLOUT)
        << "an O_RDWR end is its own writer: never POLLHUP";
  }
  EXPECT_EQ(PollEventsNow(second.get()), POLLHUP);
}

// fifo.beyond.poll-hup. For a write end pipe_poll says POLLOUT while there
// is room and adds POLLERR once no reader is left ("Most Unices do not set
// EPOLLERR for FIFOs but on Linux they behave exactly like pipes for
// poll()").
TEST(FifoPollTest, WriteEndReportsErrorOnceNoReaderIsLeft) {
  CLAIM("fifo.beyond.poll-hup");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  EXPECT_EQ(PollEventsNow(writer.get(), POLLOUT), POLLOUT);
  reader.Reset();
  EXPECT_EQ(PollEventsNow(writer.get(), POLLOUT), POLLOUT | POLLERR);
}

// fifo.beyond.same-buffer-as-pipe. pipe(7): "The only difference between
// pipes and FIFOs is the manner in which they are created and opened" — a
// FIFO's pipe gets the same default capacity as an anonymous pipe made now
// (both come from fs/pipe.c alloc_pipe_info).
TEST(FifoCapacityTest, DefaultCapacityEqualsAnAnonymousPipes) {
  CLAIM("fifo.beyond.same-buffer-as-pipe");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(fd, fifo.path(), O_RDWR | O_NONBLOCK);
  const int fifo_capacity = ::fcntl(fd.get(), F_GETPIPE_SZ);
  ASSERT_THAT(fifo_capacity, SyscallSucceeds());
  const size_t pipe_capacity = ipc::Pipe::Create().Capacity();
  EXPECT_EQ(static_cast<size_t>(fifo_capacity), pipe_capacity);
  RecordMeasurement("fifo.capacity_bytes", fifo_capacity);
  RecordMeasurement("fifo.anonymous_pipe_capacity_bytes", pipe_capacity);
  RecordMeasurement("fifo.capacity_pages",
                    fifo_capacity / ::sysconf(_SC_PAGESIZE));
}

// fifo.beyond.buffer-per-open-period. The pipe behind a FIFO is made on the
// first open and discarded on the last close (fifo(7): "exactly one pipe
// object for each FIFO special file that is opened by at least one
// process"; fifo_open allocates it when inode->i_pipe is NULL): a capacity
// set with F_SETPIPE_SZ is seen by every later opener while any end stays
// open, and is gone after the last close. Shrinking to one page needs no
// privilege.
TEST(FifoCapacityTest, CapacityBelongsToThePipeNotTheNode) {
  CLAIM("fifo.beyond.buffer-per-open-period", "fifo.is-a-file");
  const Fifo fifo = MakeFifo();
  const long page = ::sysconf(_SC_PAGESIZE);
  int default_capacity = 0;
  {
    ASSERT_OPEN(first, fifo.path(), O_RDWR | O_NONBLOCK);
    default_capacity = ::fcntl(first.get(), F_GETPIPE_SZ);
    ASSERT_THAT(default_capacity, SyscallSucceeds());
    ASSERT_GT(default_capacity, page) << "nothing to shrink";
    ASSERT_THAT(::fcntl(first.get(), F_SETPIPE_SZ, static_cast<int>(page)),
                SyscallSucceedsWithValue(page));
    ASSERT_OPEN(second, fifo.path(), O_RDONLY | O_NONBLOCK);
    EXPECT_THAT(::fcntl(second.get(), F_GETPIPE_SZ),
                SyscallSucceedsWithValue(page));
  }
  ASSERT_OPEN(later, fifo.path(), O_RDWR | O_NONBLOCK);
  EXPECT_THAT(::fcntl(later.get(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(default_capacity));
}

// fifo.beyond.mkfifo-needs-dir-write. mknod(2) (which mkfifo(3) uses):
// EACCES "The parent directory does not allow write permission to the
// process" (fs/namei.c vfs_mknod -> may_create -> inode_permission(dir,
// MAY_WRITE | MAY_EXEC)). The directory is searchable by everyone (0555),
// so the only thing the creator lacks is write permission on it. The
// creator is a child dropped to another uid where this process can do that;
// otherwise it is the test's own, unprivileged user, whose own directory's
// missing write bit binds it too. Once the directory allows writing, the
// same mkfifo works: the write bit was what decided.
TEST(FifoCreateTest, MkfifoInADirectoryWithoutWritePermissionFailsEacces) {
  CLAIM("fifo.beyond.mkfifo-needs-dir-write");
  const ScopedDirectory dir(UniqueTempPath("dir"), 0555);
  const std::string why_not_other =
      WhyCannotBecomeUid(kOtherUid, kOtherGid, dir.path());
  const bool drop = why_not_other.empty();
  const std::string path = dir.path() + "/fifo";
  const ScopedUnlink cleanup(path);  // in case the child wrongly succeeds

  ChildProcess child = ChildProcess::Fork([&] {
    if (drop && DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    if (::access(dir.path().c_str(), X_OK) != 0) return 3;
    if (::mkfifo(path.c_str(), 0600) == 0) return 4;
    return errno == EACCES ? 0 : ErrnoExit(errno);
  });
  ASSERT_CHILD_EXITS(child, status);
  if (!drop && status.ExitedWith(4)) {
    SKIP_UNVERIFIED(
        "mkfifo in a 0555 directory succeeded: the test's user "
        "bypasses directory permissions and cannot become "
        "another uid (" +
        why_not_other + ")");
  }
  EXPECT_TRUE(status.ExitedWith(0)) << DescribeChildExit(status);
  struct stat st {};
  EXPECT_THAT(::stat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  ASSERT_THAT(::chmod(dir.path().c_str(), 0777), SyscallSucceeds());
  ChildProcess allowed = ChildProcess::Fork([&] {
    if (drop && DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    return ::mkfifo(path.c_str(), 0600) == 0 ? 0 : ErrnoExit(errno);
  });
  ASSERT_TRUE(ExitsWithZeroWithin(allowed));
  EXPECT_TRUE(S_ISFIFO(StatPath(path).st_mode));
}

// fifo.beyond.mkfifo-umask. mkfifo(3): "the permissions of the created file
// are (mode & ~umask)" (fs/namei.c vfs_prepare_mode -> mode_strip_umask).
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

// fifo.beyond.mknod-fifo. mknod(2): "The file type must be one of S_IFREG,
// S_IFCHR, S_IFBLK, S_IFIFO, or S_IFSOCK ... If the file type is S_IFCHR or
// S_IFBLK, then dev specifies the major and minor numbers ... otherwise it is
// ignored." fs/namei.c do_mknodat passes 0 for S_IFIFO ("case S_IFIFO: case
// S_IFSOCK: error = vfs_mknod(idmap, ..., mode, 0)"), so a device number
// given with S_IFIFO leaves no trace (st_rdev 0). The node then works as a
// FIFO between two processes that open it by path.
TEST(FifoCreateTest, MknodWithSIfifoMakesAFifoAndIgnoresTheDeviceNumber) {
  CLAIM("fifo.beyond.mknod-fifo");
  const std::string path = UniqueTempPath("mknod-fifo");
  const ScopedUmask umask(022);
  ASSERT_THAT(::mknod(path.c_str(), S_IFIFO | 0600, makedev(1, 3)),
              SyscallSucceeds());
  const ScopedUnlink cleanup(path);
  const struct stat st = StatPath(path);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_rdev, 0u);

  const std::string message = "through a node mknod made";
  ChildProcess reader = ChildProcess::Fork([&] {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return ErrnoExit(errno);
    char buffer[64];
    size_t got = 0;
    for (;;) {
      const ssize_t n = ::read(fd, buffer + got, sizeof buffer - got);
      if (n < 0) return ErrnoExit(errno);
      if (n == 0) break;
      got += static_cast<size_t>(n);
      if (got == sizeof buffer) return 2;
    }
    return got == message.size() &&
                   std::memcmp(buffer, message.data(), got) == 0
               ? 0
               : 3;
  });
  ChildProcess writer = ChildProcess::Fork([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) return ErrnoExit(errno);
    return ::write(fd, message.data(), message.size()) ==
                   static_cast<ssize_t>(message.size())
               ? 0
               : 2;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(writer));
  ASSERT_TRUE(ExitsWithZeroWithin(reader));
}

// fifo.beyond.mknod-fifo. mknodat(2): a relative path "is interpreted
// relative to the directory referred to by the file descriptor dirfd"; an
// absolute one ignores dirfd; ENOTDIR when "pathname is relative and dirfd
// is a file descriptor referring to a file other than a directory"; EBADF
// when dirfd "is not a valid file descriptor". mkfifoat(3) is the same call.
TEST(FifoCreateTest, MknodatNamesTheFifoRelativeToADirectoryDescriptor) {
  CLAIM("fifo.beyond.mknod-fifo");
  const ScopedDirectory dir(UniqueTempPath("dir"), 0755);
  const std::string relative = dir.path() + "/relative";
  const std::string via_mkfifoat = dir.path() + "/mkfifoat";
  const std::string absolute = UniqueTempPath("absolute");
  const std::string file = dir.path() + "/file";
  CreateRegularFile(file);
  const ScopedUnlink unlink_relative(relative);
  const ScopedUnlink unlink_mkfifoat(via_mkfifoat);
  const ScopedUnlink unlink_absolute(absolute);
  const ScopedUnlink unlink_file(file);
  ASSERT_OPEN(dir_fd, dir.path(), O_RDONLY | O_DIRECTORY);
  ASSERT_OPEN(file_fd, file, O_RDONLY);

  EXPECT_THAT(::mknodat(dir_fd.get(), "relative", S_IFIFO | 0600, 0),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(StatPath(relative).st_mode));
  EXPECT_THAT(::mkfifoat(dir_fd.get(), "mkfifoat", 0600), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(StatPath(via_mkfifoat).st_mode));
  EXPECT_THAT(::mknodat(file_fd.get(), absolute.c_str(), S_IFIFO | 0600, 0),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(StatPath(absolute).st_mode));

  EXPECT_THAT(::mknodat(file_fd.get(), "nothing", S_IFIFO | 0600, 0),
              SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(::mknodat(-1, "nothing", S_IFIFO | 0600, 0),
              SyscallFailsWithErrno(EBADF));
  struct stat st {};
  EXPECT_THAT(::stat((dir.path() + "/nothing").c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
}

// fifo.beyond.mknod-fifo. fs/namei.c vfs_mknod refuses only device nodes to
// a process without CAP_MKNOD ("if ((S_ISCHR(mode) || S_ISBLK(mode)) &&
// !is_whiteout && !capable(CAP_MKNOD)) return -EPERM"); a FIFO needs no
// privilege. The child drops to another uid where this process can (losing
// every capability) and stays the test's own user where it cannot; it first
// shows it lacks CAP_MKNOD (a character and a block device fail EPERM), then
// makes a FIFO with mknod.
TEST(FifoCreateTest, MknodOfAFifoNeedsNoCapMknodUnlikeADevice) {
  CLAIM("fifo.beyond.mknod-fifo");
  const ScopedDirectory dir(UniqueTempPath("dir"), 0777);
  const std::string fifo_path = dir.path() + "/fifo";
  const std::string device_path = dir.path() + "/device";
  const ScopedUnlink unlink_fifo(fifo_path);
  const ScopedUnlink unlink_device(device_path);
  const std::string why_not_other =
      WhyCannotBecomeUid(kOtherUid, kOtherGid, dir.path());
  const bool drop = why_not_other.empty();

  ChildProcess child = ChildProcess::Fork([&] {
    if (drop && DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    if (::mknod(device_path.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
      return 3;
    }
    if (errno != EPERM) return 4;
    if (::mknod(device_path.c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0) {
      return 5;
    }
    if (errno != EPERM) return 6;
    if (::mknod(fifo_path.c_str(), S_IFIFO | 0600, 0) != 0) {
      return ErrnoExit(errno);
    }
    return 0;
  });
  ASSERT_CHILD_EXITS(child, status);
  if (status.ExitedWith(3)) {
    SKIP_UNVERIFIED(
        "mknod(S_IFCHR) succeeded: the child holds CAP_MKNOD and could not "
        "drop it (" +
        why_not_other + "), so nothing shows a FIFO needs no privilege");
  }
  EXPECT_TRUE(status.ExitedWith(0))
      << DescribeChildExit(status)
      << " (4/6: the character/block device failed, but not EPERM; 5: the "
         "block device was made)";
  EXPECT_TRUE(S_ISFIFO(StatPath(fifo_path).st_mode));
}

// fifo.beyond.create-errors. mkfifo(3) and mknod(2): EEXIST "pathname already
// exists. This includes the case where pathname is a symbolic link, dangling
// or not." The last component is never followed (fs/namei.c
// filename_create looks it up with LOOKUP_CREATE | LOOKUP_EXCL), so a
// dangling link's target is not created; "." and ".." are refused too ("if
// (unlikely(type != LAST_NORM)) goto out" with -EEXIST). Whatever was there
// is left as it was.
TEST(FifoCreateTest, AnExistingNameOfAnyKindFailsEexistAndIsLeftAlone) {
  CLAIM("fifo.beyond.create-errors");
  const ScopedDirectory dir(UniqueTempPath("names"), 0755);
  const ScopedDirectory subdir(dir.path() + "/subdir", 0755);
  const std::string file = dir.path() + "/file";
  const std::string dangling = dir.path() + "/dangling";
  const std::string target = dir.path() + "/target";
  const std::string to_subdir = dir.path() + "/to-subdir";
  CreateRegularFile(file);
  const ScopedUnlink unlink_file(file);
  ASSERT_THAT(::symlink(target.c_str(), dangling.c_str()), SyscallSucceeds());
  const ScopedUnlink unlink_dangling(dangling);
  ASSERT_THAT(::symlink(subdir.path().c_str(), to_subdir.c_str()),
              SyscallSucceeds());
  const ScopedUnlink unlink_to_subdir(to_subdir);
  const ScopedUnlink unlink_target(target);  // in case it is wrongly made

  for (const std::string& path :
       {file, subdir.path(), dangling, to_subdir, subdir.path() + "/.",
        subdir.path() + "/.."}) {
    SCOPED_TRACE(path);
    struct stat before {};
    ASSERT_THAT(::lstat(path.c_str(), &before), SyscallSucceeds());
    EXPECT_THAT(::mkfifo(path.c_str(), 0600), SyscallFailsWithErrno(EEXIST));
    EXPECT_THAT(::mknod(path.c_str(), S_IFIFO | 0600, 0),
                SyscallFailsWithErrno(EEXIST));
    struct stat after {};
    ASSERT_THAT(::lstat(path.c_str(), &after), SyscallSucceeds());
    EXPECT_EQ(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_mode, before.st_mode);
  }
  struct stat st {};
  EXPECT_THAT(::lstat(target.c_str(), &st), SyscallFailsWithErrno(ENOENT))
      << "the dangling link was followed";
}

// fifo.beyond.create-errors. The path errors of mknod(2), each before any
// node is made: ENOENT "A directory component in pathname does not exist",
// and for an empty path; ENOENT for a new name with a trailing slash
// (filename_create: "you had / on the end, you've been asking for
// (non-existent) directory. -ENOENT for you"); ENOTDIR "A component used as
// a directory in pathname is not, in fact, a directory"; ELOOP "Too many
// symbolic links were encountered in resolving pathname"; ENAMETOOLONG
// "pathname was too long" — a component longer than NAME_MAX and a path of
// PATH_MAX bytes, both read from pathconf(3); EFAULT "pathname points
// outside your accessible address space"; EINVAL for a mode whose type is no
// file type (may_mknod's "default: return -EINVAL", checked before the path
// is even looked up).
TEST(FifoCreateTest, PathErrorsFailBeforeAnyNodeIsMade) {
  CLAIM("fifo.beyond.create-errors");
  const ScopedDirectory dir(UniqueTempPath("errors"), 0755);
  const std::string file = dir.path() + "/file";
  const std::string loop = dir.path() + "/loop";
  CreateRegularFile(file);
  const ScopedUnlink unlink_file(file);
  ASSERT_THAT(::symlink("loop", loop.c_str()), SyscallSucceeds());
  const ScopedUnlink unlink_loop(loop);
  const long name_max = ::pathconf(dir.path().c_str(), _PC_NAME_MAX);
  const long path_max = ::pathconf(dir.path().c_str(), _PC_PATH_MAX);
  ASSERT_GT(name_max, 0);
  ASSERT_GT(path_max, 0);
  RecordMeasurement("fifo.name_max", name_max);
  RecordMeasurement("fifo.path_max", path_max);
  std::string long_path = dir.path();
  while (long_path.size() < static_cast<size_t>(path_max)) long_path += "/a";
  long_path.resize(static_cast<size_t>(path_max));

  struct Case {
    const char* what;
    std::string path;
    int expected;
  };
  const std::vector<Case> cases = {
      {"missing directory", dir.path() + "/missing/fifo", ENOENT},
      {"empty path", "", ENOENT},
      {"trailing slash", dir.path() + "/new/", ENOENT},
      {"file as directory", file + "/fifo", ENOTDIR},
      {"symlink loop", loop + "/fifo", ELOOP},
      {"long component",
       dir.path() + "/" + std::string(static_cast<size_t>(name_max) + 1, 'n'),
       ENAMETOOLONG},
      {"long path", long_path, ENAMETOOLONG},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(::mkfifo(c.path.c_str(), 0600),
                SyscallFailsWithErrno(c.expected));
    EXPECT_THAT(::mknod(c.path.c_str(), S_IFIFO | 0600, 0),
                SyscallFailsWithErrno(c.expected));
  }

  {
    const ScopedInaccessiblePage page;
    EXPECT_THAT(
        ::syscall(SYS_mknodat, AT_FDCWD, page.address(), S_IFIFO | 0600, 0),
        SyscallFailsWithErrno(EFAULT));
  }

  const std::string typeless = dir.path() + "/typeless";
  EXPECT_THAT(::mknod(typeless.c_str(), S_IFMT | 0600, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::mknod(file.c_str(), S_IFMT | 0600, 0),
              SyscallFailsWithErrno(EINVAL))
      << "the type is checked before the path";

  // Nothing was made: the directory holds what the test put there.
  std::vector<std::string> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    entries.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(entries, ::testing::UnorderedElementsAre("file", "loop"));
}

// fifo.beyond.create-errors. mknod(2): EROFS "pathname refers to a file on
// a read-only filesystem". fs/namei.c filename_create defers the read-only
// answer ("don't fail immediately if it's r/o, at least try to report other
// errors"): a new name fails EROFS, an existing one still EEXIST. The child
// makes a read-only bind mount of a directory in a mount namespace of its
// own (unshare(CLONE_NEWNS), or with CLONE_NEWUSER where that needs
// privilege), so nothing changes for the host and the mount dies with it.
TEST(FifoCreateTest, ReadOnlyMountFailsErofsButAnExistingNameFailsEexist) {
  CLAIM("fifo.beyond.create-errors");
  const ScopedDirectory dir(UniqueTempPath("ro"), 0755);
  const Fifo existing = Fifo::Create(dir.path() + "/existing");
  const std::string fresh = dir.path() + "/fresh";
  const ScopedUnlink cleanup(fresh);  // in case it is wrongly made

  // What the child found, sent back through a pipe.
  struct Outcome {
    int setup_step;  // 0 when the read-only mount is in place
    int setup_errno;
    int fresh_errno;     // 0 if mkfifo succeeded
    int existing_errno;  // same
  };
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    Outcome outcome{};
    auto send = [&] {
      return ::write(report.write_fd(), &outcome, sizeof outcome) ==
                     sizeof outcome
                 ? 0
                 : 2;
    };
    auto fail = [&](int step) {
      outcome.setup_step = step;
      outcome.setup_errno = errno;
      return send();
    };
    if (::unshare(CLONE_NEWNS) != 0 &&
        ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return fail(1);
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return fail(2);
    }
    const char* const where = dir.path().c_str();
    if (::mount(where, where, nullptr, MS_BIND, nullptr) != 0) return fail(3);
    if (::mount(nullptr, where, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY,
                nullptr) != 0) {
      return fail(4);
    }
    outcome.fresh_errno = ::mkfifo(fresh.c_str(), 0600) == 0 ? 0 : errno;
    outcome.existing_errno =
        ::mkfifo(existing.path().c_str(), 0600) == 0 ? 0 : errno;
    return send();
  });
  report.CloseWriteEnd();
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  Outcome outcome{};
  ipc::ReadExact(report.read_fd(),
                 std::as_writable_bytes(std::span(&outcome, 1)));
  if (outcome.setup_step != 0) {
    static const char* const kSteps[] = {
        "", "unshare(CLONE_NEWNS), then with CLONE_NEWUSER,",
        "mount(MS_REC | MS_PRIVATE) of /", "bind mount of the directory",
        "read-only remount of the bind mount"};
    SKIP_UNVERIFIED(std::string("no private read-only mount: ") +
                    kSteps[outcome.setup_step] + " failed with " +
                    ErrnoName(outcome.setup_errno));
  }
  EXPECT_EQ(outcome.fresh_errno, EROFS) << ErrnoName(outcome.fresh_errno);
  EXPECT_EQ(outcome.existing_errno, EEXIST)
      << ErrnoName(outcome.existing_errno);
  struct stat st {};
  EXPECT_THAT(::stat(fresh.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// fifo.beyond.sgid-dir-group. The group of a new FIFO: inode(7) "the file
// ... inherits its group ID from the parent directory" when the directory
// has the set-group-ID bit, and otherwise takes the creator's effective
// group ID (fs/inode.c inode_init_owner: "if (dir && dir->i_mode & S_ISGID)
// inode->i_gid = dir->i_gid; ... else inode_fsgid_set"). Unlike a directory
// ("Directories are special, and always inherit S_ISGID"), a FIFO does not
// get the set-group-ID bit it did not ask for. Both directories belong to a
// group that is not the test's (LTP mknod02/03/04/05/08).
TEST(FifoCreateTest, SetGidDirectoryGivesTheFifoItsGroup) {
  CLAIM("fifo.beyond.sgid-dir-group");
  const gid_t own = ::getegid();
  const gid_t other = own == kOtherGid ? 0 : kOtherGid;
  const ScopedDirectory sgid_dir(UniqueTempPath("sgid"), 0777);
  const ScopedDirectory plain_dir(UniqueTempPath("plain"), 0777);
  if (::chown(sgid_dir.path().c_str(), -1, other) != 0) {
    SKIP_UNVERIFIED("chown(dir, -1, " + std::to_string(other) +
                    ") failed with " + ErrnoName(errno) +
                    ": no group but the test's own to give a directory, so "
                    "an inherited group cannot be told from the default");
  }
  ASSERT_THAT(::chown(plain_dir.path().c_str(), -1, other), SyscallSucceeds());
  ASSERT_THAT(::chmod(sgid_dir.path().c_str(), 02777), SyscallSucceeds());
  const ScopedUmask umask(022);
  const std::string in_sgid = sgid_dir.path() + "/fifo";
  const std::string in_plain = plain_dir.path() + "/fifo";
  ASSERT_THAT(::mknod(in_sgid.c_str(), S_IFIFO | 0666, 0), SyscallSucceeds());
  const ScopedUnlink unlink_sgid(in_sgid);
  ASSERT_THAT(::mkfifo(in_plain.c_str(), 0666), SyscallSucceeds());
  const ScopedUnlink unlink_plain(in_plain);

  const struct stat inherited = StatPath(in_sgid);
  EXPECT_EQ(inherited.st_gid, other);
  EXPECT_EQ(inherited.st_mode & 07777, 0644u) << "no S_ISGID was asked for";
  EXPECT_EQ(StatPath(in_plain).st_gid, own);
}

// fifo.beyond.sgid-dir-group. A FIFO asked for with the set-group-ID bit in
// a set-group-ID directory keeps the bit only when its creator is in the
// directory's group or holds CAP_FSETID (fs/inode.c mode_strip_sgid, via
// vfs_prepare_mode: "if (in_group_or_capable(idmap, dir, ...)) return mode;
// return mode & ~S_ISGID"); either way it takes the directory's group. The
// creator is a child dropped to another uid and gid (no capabilities): in a
// directory of the test's group it is outside the group and loses the bit;
// in a directory of its own group it keeps it (LTP mknod03 and mknod05).
TEST(FifoCreateTest, SetGidBitIsKeptOnlyForACreatorInTheGroup) {
  CLAIM("fifo.beyond.sgid-dir-group");
  const ScopedDirectory foreign_dir(UniqueTempPath("sgid"), 02777);
  const ScopedDirectory own_dir(UniqueTempPath("sgid-own"), 02777);
  SKIP_UNLESS_OTHER_UID_CAN_REACH(foreign_dir.path());
  const gid_t foreign_gid = StatPath(foreign_dir.path()).st_gid;
  if (foreign_gid == kOtherGid) {
    SKIP_UNVERIFIED("the test's directories belong to gid " +
                    std::to_string(kOtherGid) +
                    ", the other uid's own, so it is never outside the group");
  }
  // The test can become another uid, so it may give a directory away.
  ASSERT_THAT(::chown(own_dir.path().c_str(), -1, kOtherGid),
              SyscallSucceeds());
  ASSERT_THAT(::chmod(own_dir.path().c_str(), 02777), SyscallSucceeds());
  const std::string outside = foreign_dir.path() + "/fifo";
  const std::string inside = own_dir.path() + "/fifo";
  const ScopedUnlink unlink_outside(outside);
  const ScopedUnlink unlink_inside(inside);
  const ScopedUmask umask(022);

  ChildProcess child = ChildProcess::Fork([&] {
    if (DropToUid(kOtherUid, kOtherGid) != 0) return 2;
    if (::mknod(outside.c_str(), S_IFIFO | S_ISGID | 0777, 0) != 0) {
      return ErrnoExit(errno);
    }
    return ::mknod(inside.c_str(), S_IFIFO | S_ISGID | 0777, 0) == 0
               ? 0
               : ErrnoExit(errno);
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  const struct stat stripped = StatPath(outside);
  EXPECT_EQ(stripped.st_uid, kOtherUid);
  EXPECT_EQ(stripped.st_gid, foreign_gid) << "the group comes from the dir";
  EXPECT_EQ(stripped.st_mode & 07777, 0755u)
      << std::oct << "got 0" << (stripped.st_mode & 07777)
      << ": S_ISGID should be gone";
  const struct stat kept = StatPath(inside);
  EXPECT_EQ(kept.st_gid, kOtherGid);
  EXPECT_EQ(kept.st_mode & 07777, 02755u)
      << std::oct << "got 0" << (kept.st_mode & 07777)
      << ": S_ISGID should be kept";
}

// fifo.beyond.trunc-ignored. open(2): "If the file is a FIFO or terminal
// device file, the O_TRUNC flag is ignored" (fs/namei.c may_open: "case
// S_IFIFO: case S_IFSOCK: ... flag &= ~O_TRUNC"). A writer opening with
// O_TRUNC does not discard bytes another writer has buffered.
TEST(FifoOpenTest, OTruncDoesNotDiscardBufferedData) {
  CLAIM("fifo.beyond.trunc-ignored");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  const std::string message = "kept";
  ASSERT_THAT(::write(writer.get(), message.data(), message.size()),
              SyscallSucceedsWithValue(message.size()));
  ASSERT_OPEN(truncating, fifo.path(), O_WRONLY | O_TRUNC | O_NONBLOCK);
  ASSERT_OPEN(truncating_both, fifo.path(), O_RDWR | O_TRUNC | O_NONBLOCK);
  EXPECT_EQ(ipc::BytesUnread(reader.get()), message.size());
  EXPECT_EQ(ReadAvailable(reader.get(), 64), message);
}

// fifo.beyond.not-seekable. lseek(2): ESPIPE "fd is associated with a pipe,
// socket, or FIFO"; pread(2)/pwrite(2) and preadv/pwritev likewise. fifo_open
// calls stream_open, which clears FMODE_LSEEK, FMODE_PREAD and FMODE_PWRITE;
// the positional calls check FMODE_PREAD / FMODE_PWRITE before the access
// mode, so pread on the write end is ESPIPE too, not EBADF (as gVisor's
// OffsetCalls asserts). A FIFO has a name like a file, but no file offset.
TEST(FifoOpenTest, NeitherEndHasAFileOffset) {
  CLAIM("fifo.beyond.not-seekable");
  const Fifo fifo = MakeFifo();
  ASSERT_OPEN(reader, fifo.path(), O_RDONLY | O_NONBLOCK);
  ASSERT_OPEN(writer, fifo.path(), O_WRONLY | O_NONBLOCK);
  const char byte = 'x';
  ASSERT_THAT(::write(writer.get(), &byte, 1), SyscallSucceedsWithValue(1));
  for (const int fd : {reader.get(), writer.get()}) {
    SCOPED_TRACE(fd == reader.get() ? "read end" : "write end");
    EXPECT_THAT(::lseek(fd, 0, SEEK_SET), SyscallFailsWithErrno(ESPIPE));
    EXPECT_THAT(::lseek(fd, 4, SEEK_CUR), SyscallFailsWithErrno(ESPIPE));
    EXPECT_THAT(::lseek(fd, -1, SEEK_END), SyscallFailsWithErrno(ESPIPE));
    char in = 0;
    EXPECT_THAT(::pread(fd, &in, 1, 0), SyscallFailsWithErrno(ESPIPE));
    EXPECT_THAT(::pwrite(fd, &byte, 1, 0), SyscallFailsWithErrno(ESPIPE));
    struct iovec iov = {&in, 1};
    EXPECT_THAT(::preadv(fd, &iov, 1, 0), SyscallFailsWithErrno(ESPIPE));
    EXPECT_THAT(::pwritev(fd, &iov, 1, 0), SyscallFailsWithErrno(ESPIPE));
  }
  EXPECT_EQ(ReadAvailable(reader.get(), 8), "x") << "the byte is still there";
}

}  // namespace
}  // namespace ipcproof

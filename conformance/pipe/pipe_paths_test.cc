// How fs/pipe.c does what pipe(7) promises, branch by branch: how a write
// lands in the ring's pages (the merge into a partly filled last page, a new
// page, packets), who is woken when (exclusive waits and their hand-offs,
// the last close), what a write with no reader raises, and what pipe2(2)
// makes. The documented semantics these decide are in pipe_test.cc; each
// test here names the branch it takes, so that a kernel whose code moves
// still has every branch tried.
//
// Branches are named as in Linux 6.12 fs/pipe.c (pipe_read, pipe_write,
// pipe_release, pipe_fasync, __do_pipe_flags, do_pipe2); 6.18 renames the
// first two anon_pipe_read/anon_pipe_write with the same logic.
//
// Blocking is proven from /proc (WaitUntilBlockedIn), never by sleeping;
// every wait has a deadline. Children do only async-signal-safe work and
// report through their exit code or a report pipe.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/signals.h"
#include "conformance/pipe/pipe_like.h"
#include "conformance/procfs/task.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// "" when the pipe has at least `pages` pages, for a test whose steps need
// that many slots; else why not (for SKIP_UNVERIFIED).
std::string WhyFewerPagesThan(const ipc::Pipe& pipe, size_t pages) {
  const size_t capacity = pipe.Capacity();
  if (capacity >= pages * PageSize()) return "";
  return "the new pipe holds " + std::to_string(capacity) +
         " bytes, fewer than the " + std::to_string(pages) +
         " pages this test needs (its owner is over "
         "/proc/sys/fs/pipe-user-pages-soft)";
}

// Counted by the SIGPIPE handler a child installs (CountSigpipes).
volatile sig_atomic_t g_sigpipes = 0;

void CountSigpipe(int) { g_sigpipes = g_sigpipes + 1; }

// In a child: SIGPIPE runs CountSigpipe (no SA_RESTART) and is unblocked.
bool CountSigpipes() {
  struct sigaction action {};
  action.sa_handler = CountSigpipe;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGPIPE, &action, nullptr) != 0) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return ::sigprocmask(SIG_UNBLOCK, &set, nullptr) == 0;
}

// Exits 0 when descriptor argv[1] is open in this (just exec'd) process, 1
// when it is not (fcntl(F_GETFD) fails EBADF), 2 on anything else.
IPCPROOF_PROGRAM(pipe_fd_is_open) {
  if (argc != 2) return 2;
  const int fd = std::atoi(argv[1]);
  if (::fcntl(fd, F_GETFD) >= 0) return 0;
  return errno == EBADF ? 1 : 2;
}

// The lowest descriptor number that is free now (what the next open gets).
int LowestFreeDescriptor() {
  for (int candidate = 0; candidate < 65536; ++candidate) {
    if (::fcntl(candidate, F_GETFD) == -1 && errno == EBADF) return candidate;
  }
  return -1;
}

// A channel made as the parameter says (pipe_like.h).
class PipePathTest : public ::testing::TestWithParam<PipeLikeSpec> {
 protected:
  PipeLike MakeChannel() { return PipeLike::Make(GetParam()); }
  // A channel shrunk to `pages` pages (shrinking is always allowed:
  // pipe_set_size), for tests that count slots.
  PipeLike MakeChannelOfPages(size_t pages) {
    PipeLike channel = MakeChannel();
    const int bytes = static_cast<int>(pages * PageSize());
    if (::fcntl(channel.write_fd(), F_SETPIPE_SZ, bytes) != bytes) {
      ipc::ThrowErrno("fcntl(F_SETPIPE_SZ)");
    }
    return channel;
  }
};

// =========================================================================
// Waiting and waking, blocking ends of both kinds.
// =========================================================================

class PipeWakeupTest : public PipePathTest {};

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeWakeupTest,
                         ::testing::ValuesIn(AllPipeKinds(false)),
                         PipeLikeParamName);

// "Sufficient data" is a whole page: the ring holds pages, and pipe_write
// waits while pipe_full(head, tail, max_usage) counts every occupied slot,
// however few bytes the oldest one still has. Reading one byte of a full
// pipe frees no slot (poll(2) still reports no POLLOUT: pipe_poll tests the
// same pipe_full); reading the rest of that first page frees it, and
// pipe_read (its "was_full" branch) wakes the blocked writer.
TEST_P(PipeWakeupTest, BlockedWriterWaitsForAWholeFreePage) {
  CLAIM("pipe.blocks", "pipe.beyond.capacity-counts-pages");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const size_t page = PageSize();
  const std::vector<char> fill = Pattern(capacity, 7);
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  ChildProcess writer = ChildProcess::Fork(
      [&] { return ::write(channel.write_fd(), "w", 1) == 1 ? 0 : 10; });
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));

  char first = 0;
  ASSERT_THAT(::read(channel.read_fd(), &first, 1),
              SyscallSucceedsWithValue(1));
  pollfd room{channel.write_fd(), POLLOUT, 0};
  ASSERT_THAT(::poll(&room, 1, 0), SyscallSucceeds());
  EXPECT_EQ(room.revents & POLLOUT, 0)
      << "one byte read from a full pipe made room for a write";
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity - 1)
      << "the blocked writer's byte went in before a page was free";

  std::vector<char> rest(page - 1);
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(rest))));
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status) << "a free page did not wake the blocked writer";
  EXPECT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity - page + 1);
}

// pipe_read and pipe_write both begin "Null read succeeds" / "Null write
// succeeds": a zero-byte read returns 0 at once on an empty pipe that still
// has a writer (it does not wait), and a zero-byte write returns 0 on a
// pipe with no reader left (the !pipe->readers check that raises SIGPIPE
// comes after it, so the writer is not killed).
TEST_P(PipeWakeupTest, ZeroByteReadAndWriteReturnAtOnce) {
  CLAIM("pipe.blocks", "pipe.beyond.sigpipe");
  PipeLike channel = MakeChannel();
  ChildProcess reader = ChildProcess::Fork([&] {
    char byte;
    return ::read(channel.read_fd(), &byte, 0) == 0 ? 0 : 10;
  });
  const std::optional<ipc::WaitStatus> read_status = ReapWithin(reader);
  ASSERT_TRUE(read_status) << "a zero-byte read waited on an empty pipe";
  EXPECT_TRUE(ExitedWithZero(*read_status));

  channel.pipe().CloseReadEnd();
  ChildProcess writer = ChildProcess::Fork([&] {
    if (!RestoreDefaultSignal(SIGPIPE)) return 10;
    return ::write(channel.write_fd(), "x", 0) == 0 ? 0 : 11;
  });
  const std::optional<ipc::WaitStatus> write_status = ReapWithin(writer);
  ASSERT_TRUE(write_status);
  EXPECT_TRUE(ExitedWithZero(*write_status))
      << "a zero-byte write with no reader left";
}

// LTP pipe13: every reader blocked on an empty pipe is woken by the last
// writer's close, not just one. Readers sleep in pipe_read with exclusive
// waits (wait_event_interruptible_exclusive), so one wake-up would rouse
// only the first; pipe_release wakes them all ("Was that the last reader or
// writer, but not the other side?" → wake_up_interruptible_all), the fix of
// Linux commit 6551d5c56eb0.
TEST_P(PipeWakeupTest, EveryBlockedReaderWakesWhenTheLastWriterCloses) {
  CLAIM("pipe.blocks");
  constexpr int kReaders = 4;
  PipeLike channel = MakeChannel();
  std::vector<ChildProcess> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(ChildProcess::Fork([&] {
      ::close(channel.write_fd());
      char byte;
      return ::read(channel.read_fd(), &byte, 1) == 0 ? 0 : 10;
    }));
  }
  for (ChildProcess& reader : readers) {
    ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read));
  }
  channel.pipe().CloseWriteEnd();
  for (ChildProcess& reader : readers) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
    ASSERT_TRUE(status) << "pid " << reader.pid()
                        << " still sleeps after the last writer closed";
    EXPECT_TRUE(ExitedWithZero(*status));
  }
}

// Three readers blocked for one byte each; one write of three bytes. Only
// one reader is woken by the write (exclusive wait); each reader that got
// data and sees more left wakes the next (pipe_read's wake_next_reader), so
// all three get a byte, each a different one.
TEST_P(PipeWakeupTest, DataForSeveralBlockedReadersWakesEachInTurn) {
  CLAIM("pipe.blocks");
  constexpr int kReaders = 3;
  PipeLike channel = MakeChannel();
  std::vector<ChildProcess> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(ChildProcess::Fork([&] {
      unsigned char byte = 0;
      return ::read(channel.read_fd(), &byte, 1) == 1 ? static_cast<int>(byte)
                                                      : 1;
    }));
  }
  for (ChildProcess& reader : readers) {
    ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read));
  }
  ASSERT_THAT(::write(channel.write_fd(), "abc", 3),
              SyscallSucceedsWithValue(3));
  std::multiset<int> bytes;
  for (ChildProcess& reader : readers) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
    ASSERT_TRUE(status) << "pid " << reader.pid()
                        << " still sleeps though data was left for it";
    ASSERT_TRUE(status->exited()) << status->ToString();
    bytes.insert(status->exit_code());
  }
  EXPECT_EQ(bytes, (std::multiset<int>{'a', 'b', 'c'}));
}

// The writers' side: a full pipe and three writers blocked with a page each.
// One read of three pages frees three slots at once; pipe_read wakes one
// writer, and each writer that finds room left after its write wakes the
// next (pipe_write's wake_next_writer), so all three finish and the pipe is
// full again.
TEST_P(PipeWakeupTest, ReadThatFreesSeveralPagesWakesEveryBlockedWriter) {
  CLAIM("pipe.blocks");
  constexpr int kWriters = 3;
  PipeLike channel = MakeChannel();
  const std::string why = WhyFewerPagesThan(channel.pipe(), kWriters + 1);
  if (!why.empty()) SKIP_UNVERIFIED(why);
  const size_t capacity = channel.pipe().Capacity();
  const size_t page = PageSize();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  // Each writer's page is made here: a forked child must not allocate.
  std::vector<std::vector<char>> records;
  for (int w = 0; w < kWriters; ++w) {
    records.emplace_back(page, static_cast<char>('A' + w));
  }
  std::vector<ChildProcess> writers;
  for (int w = 0; w < kWriters; ++w) {
    const std::vector<char>& record = records[w];
    writers.push_back(ChildProcess::Fork([&] {
      return WriteInOneCall(channel.write_fd(), record.data(), page) ? 0 : 10;
    }));
  }
  for (ChildProcess& writer : writers) {
    ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  }
  std::vector<char> freed(kWriters * page);
  ASSERT_THAT(::read(channel.read_fd(), freed.data(), freed.size()),
              SyscallSucceedsWithValue(freed.size()));
  for (ChildProcess& writer : writers) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
    ASSERT_TRUE(status) << "pid " << writer.pid()
                        << " still sleeps though pages were free for it";
    EXPECT_TRUE(ExitedWithZero(*status));
  }
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity);
}

// LTP pipe04: a writer blocked on a full pipe can be killed. pipe_write
// sleeps interruptibly (wait_event_interruptible_exclusive, state S, not
// the unkillable D), so SIGKILL ends it at once.
TEST_P(PipeWakeupTest, BlockedWriterDiesAtOnceBySigkill) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  ChildProcess writer = ChildProcess::Fork(
      [&] { return ::write(channel.write_fd(), "k", 1) == 1 ? 0 : 10; });
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  const std::optional<TaskState> state =
      ReadTaskState(writer.pid(), writer.pid());
  ASSERT_TRUE(state);
  EXPECT_EQ(state->state, 'S') << state->ToString();
  writer.Signal(SIGKILL);
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status) << "SIGKILL did not end a writer blocked on a pipe";
  EXPECT_TRUE(status->KilledBy(SIGKILL)) << status->ToString();
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity);
}

// LTP pipe08 / gVisor PipeTest.ReaderSideCloses, counted: each failed write
// raises exactly one SIGPIPE (pipe_write's first !pipe->readers check:
// send_sig(SIGPIPE, current, 0) and -EPIPE), caught here by a handler, and
// the write fails EPIPE. Three writes, three signals.
TEST_P(PipeWakeupTest, EachFailedWriteRaisesExactlyOneSigpipe) {
  CLAIM("pipe.beyond.sigpipe");
  constexpr int kWrites = 3;
  PipeLike channel = MakeChannel();
  channel.pipe().CloseReadEnd();
  ChildProcess writer = ChildProcess::Fork([&] {
    if (!CountSigpipes()) return 10;
    for (int i = 1; i <= kWrites; ++i) {
      if (::write(channel.write_fd(), "x", 1) != -1) return 20 + i;
      if (errno != EPIPE) return 30 + i;
      if (g_sigpipes != i) return 40 + i;
    }
    return 0;
  });
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status))
      << "2x: write i succeeded; 3x: it failed with another errno; 4x: "
         "after write i the handler had not run exactly i times";
}

// gVisor PipeTest.BlockPartialWriteClosed and BlockWriteClosed: a write
// blocked on a full pipe when the last reader goes. pipe_release wakes it,
// and pipe_write's loop finds !pipe->readers: it raises SIGPIPE and returns
// what it had written (if (!ret) ret = -EPIPE). So a large write returns its
// partial count (with one SIGPIPE), the next write fails EPIPE (a second
// SIGPIPE); a write that had written nothing fails EPIPE.
TEST_P(PipeWakeupTest, BlockedWriteEndsWithSigpipeWhenTheReaderGoes) {
  CLAIM("pipe.beyond.sigpipe", "pipe.blocks");
  struct Report {
    ssize_t first = 0;
    int first_errno = 0;
    int signals_after_first = 0;
    ssize_t second = 0;
    int second_errno = 0;
    int signals_after_second = 0;
  };
  for (const bool prefilled : {false, true}) {
    SCOPED_TRACE(prefilled ? "full pipe, one-byte write"
                           : "empty pipe, write of twice the capacity");
    PipeLike channel = MakeChannel();
    const size_t capacity = channel.pipe().Capacity();
    const std::vector<char> big(2 * capacity, 'b');
    if (prefilled) {
      ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), big.data(), capacity));
    }
    const size_t first_size = prefilled ? 1 : big.size();
    ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
    ChildProcess writer = ChildProcess::Fork([&] {
      ::close(channel.read_fd());
      ::close(report.read_fd());
      if (!CountSigpipes()) return 10;
      Report r;
      r.first = ::write(channel.write_fd(), big.data(), first_size);
      r.first_errno = errno;
      r.signals_after_first = g_sigpipes;
      r.second = ::write(channel.write_fd(), big.data(), 1);
      r.second_errno = errno;
      r.signals_after_second = g_sigpipes;
      return WriteReport(report.write_fd(), r) ? 0 : 11;
    });
    report.CloseWriteEnd();
    ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
    EXPECT_EQ(channel.pipe().BytesUnread(), capacity);
    channel.pipe().CloseReadEnd();  // the last reader goes
    Report r;
    ASSERT_TRUE(ReadReport(report.read_fd(), r))
        << "the blocked writer did not return when the reader went";
    const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
    ASSERT_TRUE(status);
    EXPECT_TRUE(ExitedWithZero(*status));
    if (prefilled) {
      EXPECT_EQ(r.first, -1);
      EXPECT_EQ(r.first_errno, EPIPE) << ErrnoName(r.first_errno);
    } else {
      EXPECT_EQ(r.first, static_cast<ssize_t>(capacity))
          << "the partial count of a write cut short by the reader's close";
    }
    EXPECT_EQ(r.signals_after_first, 1);
    EXPECT_EQ(r.second, -1);
    EXPECT_EQ(r.second_errno, EPIPE) << ErrnoName(r.second_errno);
    EXPECT_EQ(r.signals_after_second, 2);
  }
}

// =========================================================================
// Where a write lands, non-blocking ends of both kinds.
// =========================================================================

class PipeWritePathTest : public PipePathTest {};

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeWritePathTest,
                         ::testing::ValuesIn(AllPipeKinds(true)),
                         PipeLikeParamName);

// pipe_write's merge branch: "If it wasn't empty we try to merge new data
// into the last buffer" when chars = total_len & (PAGE_SIZE-1) is non-zero,
// the last buffer has PIPE_BUF_FLAG_CAN_MERGE and offset + chars <=
// PAGE_SIZE. In a one-page pipe one byte takes the only slot; a write of
// page - 1 bytes still succeeds (it merges), then the page is full and a
// one-byte write fails EAGAIN. A kernel that started a new page for every
// write would refuse the second write.
TEST_P(PipeWritePathTest, SmallWriteMergesIntoThePartlyFilledLastPage) {
  CLAIM("pipe.beyond.capacity-counts-pages");
  PipeLike channel = MakeChannelOfPages(1);
  const size_t page = PageSize();
  ASSERT_THAT(::write(channel.write_fd(), "a", 1), SyscallSucceedsWithValue(1));
  const std::vector<char> rest(page - 1, 'b');
  EXPECT_THAT(::write(channel.write_fd(), rest.data(), rest.size()),
              SyscallSucceedsWithValue(rest.size()));
  EXPECT_THAT(::write(channel.write_fd(), "c", 1),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(channel.pipe().BytesUnread(), page);
}

// The other side of the merge test, offset + chars > PAGE_SIZE: a write that
// does not fit the rest of the last page takes a new one, whole. In a
// two-page pipe: 100 bytes (page 1), 4000 (100 + 4000 > 4096: page 2), then
// 97 would pass the end of page 2 and the ring is full: EAGAIN, though
// FIONREAD says 4100 of F_GETPIPE_SZ's 8192 bytes are used; 96 exactly fill
// page 2. fcntl(2): "the number of bytes that can be written may be less
// than the nominal size, depending on the size of the writes."
TEST_P(PipeWritePathTest, WriteThatDoesNotFitTheLastPageNeedsANewOne) {
  CLAIM("pipe.beyond.capacity-counts-pages", "pipe.beyond.pipe-buf-atomic");
  PipeLike channel = MakeChannelOfPages(2);
  const size_t page = PageSize();
  const size_t first = 100;
  const size_t second = page - 96;  // 4000 with 4 KiB pages
  const std::vector<char> bytes(page, 'x');
  ASSERT_THAT(::write(channel.write_fd(), bytes.data(), first),
              SyscallSucceedsWithValue(first));
  ASSERT_THAT(::write(channel.write_fd(), bytes.data(), second),
              SyscallSucceedsWithValue(second));
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page - second + 1),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(channel.pipe().BytesUnread(), first + second)
      << "a write that failed EAGAIN put data in";
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page - second),
              SyscallSucceedsWithValue(page - second));
  EXPECT_THAT(::write(channel.write_fd(), "x", 1),
              SyscallFailsWithErrno(EAGAIN));
  const size_t used = channel.pipe().BytesUnread();
  EXPECT_EQ(used, first + page);
  EXPECT_LT(used, channel.pipe().Capacity());
  RecordMeasurement("bytes_in_full_two_page_pipe", used);
}

// Only the remainder merges: pipe_write copies the first total_len &
// (PAGE_SIZE-1) bytes into the last page, then whole pages. A one-page pipe
// with two bytes: a write of page + 1 bytes (> PIPE_BUF, may be partial)
// merges its first byte and returns 1; a write of page - 1 bytes (<=
// PIPE_BUF, atomic) does not fit the 3 + (page - 1) bytes and fails EAGAIN
// whole; page - 3 bytes fill the page exactly.
TEST_P(PipeWritePathTest, LargeWriteMergesOnlyItsRemainder) {
  CLAIM("pipe.beyond.capacity-counts-pages", "pipe.beyond.partial-write",
        "pipe.beyond.pipe-buf-atomic");
  PipeLike channel = MakeChannelOfPages(1);
  const size_t page = PageSize();
  const std::vector<char> bytes(page + 1, 'y');
  ASSERT_THAT(::write(channel.write_fd(), "ab", 2),
              SyscallSucceedsWithValue(2));
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page + 1),
              SyscallSucceedsWithValue(1));
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page - 1),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(channel.pipe().BytesUnread(), 3u);
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page - 3),
              SyscallSucceedsWithValue(page - 3));
  EXPECT_EQ(channel.pipe().BytesUnread(), page);
}

// =========================================================================
// pipe2(2): what __do_pipe_flags and do_pipe2 make and refuse.
// =========================================================================

// LTP pipe2_01, gVisor Pipe2Test.CloExec: pipe2(2)'s flags land where
// create_pipe_files puts them. O_CLOEXEC sets FD_CLOEXEC on both
// descriptors and O_NONBLOCK both file descriptions; O_DIRECT goes to the
// write end only ("O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT))", the read
// end is cloned with O_NONBLOCK alone): a read end never packs packets, it
// reads what the writer's buffers say.
TEST(Pipe2Test, Pipe2FlagsLandOnTheRightEnds) {
  CLAIM("pipe.beyond.pipe2");
  struct Case {
    int flags;
    int read_fl, write_fl, fd_flags;
  };
  for (const Case& c :
       {Case{0, O_RDONLY, O_WRONLY, 0},
        Case{O_CLOEXEC, O_RDONLY, O_WRONLY, FD_CLOEXEC},
        Case{O_NONBLOCK, O_RDONLY | O_NONBLOCK, O_WRONLY | O_NONBLOCK, 0},
        Case{O_DIRECT, O_RDONLY, O_WRONLY | O_DIRECT, 0}}) {
    SCOPED_TRACE("pipe2 flags 0" +
                 (std::ostringstream() << std::oct << c.flags).str());
    int fds[2];
    ASSERT_THAT(::pipe2(fds, c.flags), SyscallSucceeds());
    const ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
    EXPECT_THAT(::fcntl(fds[0], F_GETFL), SyscallSucceedsWithValue(c.read_fl));
    EXPECT_THAT(::fcntl(fds[1], F_GETFL), SyscallSucceedsWithValue(c.write_fl));
    EXPECT_THAT(::fcntl(fds[0], F_GETFD), SyscallSucceedsWithValue(c.fd_flags));
    EXPECT_THAT(::fcntl(fds[1], F_GETFD), SyscallSucceedsWithValue(c.fd_flags));
  }
}

// gVisor Pipe2Test.BadOptions: __do_pipe_flags refuses any flag outside
// O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE with EINVAL, and
// makes no descriptors. (Raw syscall: ipc::Pipe refuses them itself.)
TEST(Pipe2Test, Pipe2RefusesUnknownFlagsWithEinval) {
  CLAIM("pipe.beyond.pipe2");
  for (const int flags : {0xDEAD, O_APPEND, O_RDWR, O_SYNC}) {
    int fds[2] = {-1, -1};
    EXPECT_THAT(::syscall(SYS_pipe2, fds, flags), SyscallFailsWithErrno(EINVAL))
        << "flags 0x" << std::hex << flags;
    EXPECT_EQ(fds[0], -1);
    EXPECT_EQ(fds[1], -1);
  }
}

// LTP pipe2_02: an O_CLOEXEC end is gone in the program the child execs
// (the binary plays that program itself: pipe_fd_is_open), a plain one is
// still there.
TEST(Pipe2Test, CloseOnExecEndsAreGoneAfterExec) {
  CLAIM("pipe.beyond.pipe2");
  for (const bool cloexec : {true, false}) {
    SCOPED_TRACE(cloexec ? "O_CLOEXEC" : "no O_CLOEXEC");
    int fds[2];
    ASSERT_THAT(::pipe2(fds, cloexec ? O_CLOEXEC : 0), SyscallSucceeds());
    const ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
    char number[16];
    *PutDecimal(number, fds[1]) = '\0';
    ChildProcess child = ChildProcess::Fork([&] {
      ExecProgram("pipe_fd_is_open", {number});
      return ErrnoExit();
    });
    ASSERT_TRUE(ExitsWithWithin(child, cloexec ? 1 : 0))
        << "0: the end is open after exec, 1: it is closed";
  }
}

// LTP pipe05: pipe() with an array it cannot write fails EFAULT, and
// do_pipe2's copy_to_user failure path (fput both files, put_unused_fd both
// numbers) leaves no descriptor behind: the lowest free number is the same
// before and after.
TEST(Pipe2Test, UnwritableArrayFailsEfaultAndLeaksNoDescriptor) {
  CLAIM("pipe.beyond.pipe2");
  // Readable, so only the kernel's write of the two numbers faults.
  const ScopedInaccessiblePage page(PROT_READ);
  const int lowest_before = LowestFreeDescriptor();
  EXPECT_THAT(::syscall(SYS_pipe2, page.address(), 0),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(::syscall(SYS_pipe, page.address()),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(LowestFreeDescriptor(), lowest_before);
}

// LTP pipe06 and pipe07: pipes until the descriptor table is full. With an
// odd number of free slots below RLIMIT_NOFILE every pipe but the last gets
// two; the last call finds one slot, fails EMFILE, and __do_pipe_flags gives
// the first number back (err_fdr: put_unused_fd), so one descriptor can
// still be opened.
TEST(Pipe2Test, FullDescriptorTableFailsEmfileAndLeaksNone) {
  CLAIM("pipe.beyond.pipe2");
  constexpr int kFreeSlots = 5;
  ChildProcess child = ChildProcess::Fork([] {
    int open = 0, highest = -1;
    for (int fd = 0; fd < 4096; ++fd) {
      if (::fcntl(fd, F_GETFD) >= 0) {
        ++open;
        highest = fd;
      }
    }
    const rlim_t limit = static_cast<rlim_t>(highest + 1 + kFreeSlots);
    const rlim_t free_slots = limit - static_cast<rlim_t>(open);
    rlimit current{};
    if (::getrlimit(RLIMIT_NOFILE, &current) != 0) return 10;
    const rlimit lowered{limit, current.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) return 11;
    rlim_t pipes = 0;
    for (; pipes < limit; ++pipes) {
      int fds[2];
      if (::pipe(fds) != 0) {
        if (errno != EMFILE) return ErrnoExit();
        break;
      }
    }
    if (pipes != free_slots / 2) return 20 + static_cast<int>(pipes);
    if (free_slots % 2 == 1 && ::dup(STDIN_FILENO) < 0) return 12;
    return 0;
  });
  const std::optional<ipc::WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status))
      << "2N: N pipes were made, not free/2; 12: the slot the failed pipe "
         "took was not given back";
}

// =========================================================================
// Anonymous pipes: packets, RWF_NOWAIT, O_ASYNC, faults.
// =========================================================================

// Packets never merge: pipe_write gives a packetized write's buffer
// PIPE_BUF_FLAG_PACKET instead of PIPE_BUF_FLAG_CAN_MERGE, so every write,
// however small, takes a page of its own. A two-page O_DIRECT pipe takes
// two one-byte packets and refuses a third (EAGAIN), with two bytes in it.
TEST(AnonymousPipePathTest, PacketsNeverMergeAndEachTakesAPage) {
  CLAIM("pipe.beyond.packet-mode", "pipe.beyond.capacity-counts-pages");
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_NONBLOCK | O_CLOEXEC);
  const int two_pages = static_cast<int>(2 * PageSize());
  ASSERT_THAT(::fcntl(pipe.write_fd(), F_SETPIPE_SZ, two_pages),
              SyscallSucceedsWithValue(two_pages));
  ASSERT_THAT(::write(pipe.write_fd(), "a", 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(::write(pipe.write_fd(), "b", 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(::write(pipe.write_fd(), "c", 1), SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(pipe.BytesUnread(), 2u);
  char buffer[8];
  EXPECT_THAT(::read(pipe.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(1));
}

// preadv2/pwritev2 with RWF_NOWAIT on a blocking pipe fail EAGAIN where
// read/write would wait: pipe_read and pipe_write test "(filp->f_flags &
// O_NONBLOCK) || (iocb->ki_flags & IOCB_NOWAIT)", and __do_pipe_flags gives
// both ends FMODE_NOWAIT ("pipe groks IOCB_NOWAIT"). The descriptions stay
// blocking. (A FIFO opened by name is not given FMODE_NOWAIT; what it says
// here is recorded.)
//
// Pipes have FMODE_NOWAIT since Linux 6.4 (Jens Axboe's "pipe: set
// FMODE_NOWAIT on pipes"; 6.1's fs/pipe.c has no FMODE_NOWAIT at all).
// Before it, preadv2(2): "EOPNOTSUPP ... RWF_NOWAIT is specified but the
// file doesn't support it" (kiocb_set_rw_flags), which the first call finds
// out: then the test skips, naming the feature.
TEST(AnonymousPipePathTest, RwfNowaitFailsEagainInsteadOfWaiting) {
  CLAIM("pipe.blocks");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  char byte = 'n';
  iovec iov{&byte, 1};
  const ssize_t on_empty = ::preadv2(pipe.read_fd(), &iov, 1, -1, RWF_NOWAIT);
  if (on_empty == -1 && errno == EOPNOTSUPP) {
    SKIP_UNVERIFIED(
        "preadv2(RWF_NOWAIT) on an empty pipe failed with EOPNOTSUPP: this "
        "kernel's pipes lack FMODE_NOWAIT (RWF_NOWAIT on pipes came in Linux "
        "6.4)");
  }
  EXPECT_THAT(on_empty, SyscallFailsWithErrno(EAGAIN));
  const size_t capacity = pipe.Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(pipe.write_fd(), fill.data(), fill.size()));
  EXPECT_THAT(::pwritev2(pipe.write_fd(), &iov, 1, -1, RWF_NOWAIT),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(FileStatusFlags(pipe.read_fd()) & O_NONBLOCK, 0);
  EXPECT_EQ(FileStatusFlags(pipe.write_fd()) & O_NONBLOCK, 0);
  EXPECT_THAT(::preadv2(pipe.read_fd(), &iov, 1, -1, RWF_NOWAIT),
              SyscallSucceedsWithValue(1));

  PipeLike fifo = PipeLike::Make({PipeKind::kNamed, false});
  const ssize_t on_fifo = ::preadv2(fifo.read_fd(), &iov, 1, -1, RWF_NOWAIT);
  RecordMeasurement(
      "fifo_preadv2_rwf_nowait_on_empty",
      on_fifo == -1 ? ErrnoName(errno) : "returned " + std::to_string(on_fifo));
}

// LTP fcntl31 on a pipe: with O_ASYNC the kernel signals the owner set by
// F_SETOWN (a process, a process group) or F_SETOWN_EX (a process, a process
// group, a thread), with the
// signal chosen by F_SETSIG and a siginfo naming the descriptor. pipe_write
// calls kill_fasync(&pipe->fasync_readers, SIGIO, POLL_IN) for the read
// end's owner; pipe_read calls kill_fasync(&pipe->fasync_writers, SIGIO,
// POLL_OUT) for the write end's. The writer is a child in a process group
// of its own, so a group owner means this process only.
TEST(AnonymousPipePathTest,
     AsyncModeSignalsTheOwnerWhenDataArrivesOrRoomAppears) {
  CLAIM("pipe.beyond.sigio");
  const ScopedSignalBlock block_in(SIGUSR1);
  const ScopedSignalBlock block_out(SIGUSR2);
  struct Owner {
    const char* name;
    int command;  // F_SETOWN or F_SETOWN_EX
    int type;     // for F_SETOWN_EX
    pid_t who;    // for F_SETOWN: a pid, or minus a process group
  };
  const Owner owners[] = {
      {"F_SETOWN pid", F_SETOWN, 0, ::getpid()},
      {"F_SETOWN -pgrp", F_SETOWN, 0, -::getpgrp()},
      {"F_SETOWN_EX F_OWNER_PID", F_SETOWN_EX, F_OWNER_PID, ::getpid()},
      {"F_SETOWN_EX F_OWNER_PGRP", F_SETOWN_EX, F_OWNER_PGRP, ::getpgrp()},
      {"F_SETOWN_EX F_OWNER_TID", F_SETOWN_EX, F_OWNER_TID, CurrentTid()},
  };
  for (const Owner& owner : owners) {
    SCOPED_TRACE(owner.name);
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
    for (const int fd : {pipe.read_fd(), pipe.write_fd()}) {
      if (owner.command == F_SETOWN_EX) {
        const f_owner_ex set{static_cast<__pid_type>(owner.type), owner.who};
        ASSERT_THAT(::fcntl(fd, F_SETOWN_EX, &set), SyscallSucceeds());
        f_owner_ex back{};
        ASSERT_THAT(::fcntl(fd, F_GETOWN_EX, &back), SyscallSucceeds());
        EXPECT_EQ(back.type, set.type);
        EXPECT_EQ(back.pid, set.pid);
      } else {
        ASSERT_THAT(::fcntl(fd, F_SETOWN, owner.who), SyscallSucceeds());
        EXPECT_THAT(::fcntl(fd, F_GETOWN), SyscallSucceedsWithValue(owner.who));
      }
      const int signal = fd == pipe.read_fd() ? SIGUSR1 : SIGUSR2;
      ASSERT_THAT(::fcntl(fd, F_SETSIG, signal), SyscallSucceeds());
      EXPECT_THAT(::fcntl(fd, F_GETSIG), SyscallSucceedsWithValue(signal));
      ASSERT_THAT(::fcntl(fd, F_SETFL, FileStatusFlags(fd) | O_ASYNC),
                  SyscallSucceeds());
    }
    ChildProcess writer = ChildProcess::Fork(
        [&] { return ::write(pipe.write_fd(), "x", 1) == 1 ? 0 : 10; },
        {.new_process_group = true});
    ASSERT_TRUE(ExitsWithZeroWithin(writer));

    const std::optional<siginfo_t> data = TakePendingSignal(SIGUSR1);
    ASSERT_TRUE(data) << "no signal for the read end's owner after a write";
    EXPECT_EQ(data->si_code, POLL_IN);
    EXPECT_EQ(data->si_fd, pipe.read_fd());
    EXPECT_NE(data->si_band & POLLIN, 0);
    EXPECT_FALSE(TakePendingSignal(SIGUSR2))
        << "the write end's owner was signalled by a write";

    EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "x");
    const std::optional<siginfo_t> room = TakePendingSignal(SIGUSR2);
    ASSERT_TRUE(room) << "no signal for the write end's owner after a read";
    EXPECT_EQ(room->si_code, POLL_OUT);
    EXPECT_EQ(room->si_fd, pipe.write_fd());
    EXPECT_NE(room->si_band & POLLOUT, 0);
  }
}

// A write whose buffer cannot be read fails EFAULT and leaves no data.
// pipe_write inserts a new slot before copying ("Allocate a slot in the ring
// in advance and attach an empty buffer. If we fault ... the reader will
// consume it"); the copy faults ("copied < PAGE_SIZE && iov_iter_count") and
// the write returns -EFAULT with nothing counted, and pipe_read skips the
// empty slot ("we could have seen (and removed) a zero-sized pipe buffer"):
// FIONREAD stays 0 and a non-blocking read fails EAGAIN. Into a partly
// filled page the merge branch's copy faults instead ("ret < chars" →
// -EFAULT). And a fault after a page was copied makes a partial write of
// that page: "if (!ret) ret = -EFAULT" keeps the count of what went in.
TEST(AnonymousPipePathTest,
     WriteFromAnUnreadableBufferFailsEfaultAndLeavesNoData) {
  CLAIM("pipe.beyond.capacity-counts-pages", "pipe.beyond.partial-write");
  const ScopedPageEdge edge;
  const size_t page = edge.page_size();
  char* const buffer = edge.writable();
  std::memset(buffer, 'p', page);
  char* const unreadable = edge.inaccessible();

  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  EXPECT_THAT(::write(pipe.write_fd(), unreadable, 10),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(pipe.BytesUnread(), 0u);
  char byte;
  EXPECT_THAT(::read(pipe.read_fd(), &byte, 1), SyscallFailsWithErrno(EAGAIN))
      << "the faulted write left something to read";

  ASSERT_THAT(::write(pipe.write_fd(), "ab", 2), SyscallSucceedsWithValue(2));
  EXPECT_THAT(::write(pipe.write_fd(), unreadable, 10),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(pipe.BytesUnread(), 2u);
  EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "ab");

  EXPECT_THAT(::write(pipe.write_fd(), buffer, 2 * page),
              SyscallSucceedsWithValue(page));
  EXPECT_EQ(pipe.BytesUnread(), page);
  EXPECT_EQ(ReadReady(pipe.read_fd(), 2 * page), std::string(page, 'p'));
}

}  // namespace
}  // namespace ipcproof

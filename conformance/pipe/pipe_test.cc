// Pipes (section 1 of docs/claims.json): what the note says about anonymous
// pipes, decided on the running kernel, and the documented semantics beyond
// it, down to the branches of fs/pipe.c that decide them.
//
// Semantics that pipe(7) gives to pipes and FIFOs alike ("Once these tasks
// have been accomplished, I/O on pipes and FIFOs has exactly the same
// semantics") are tested once, in fixtures parameterised over how the
// channel is made (pipe_like.h): PipeLike/PipeSemanticsTest.*/AnonymousPipe
// and .../NamedPipe for blocking ends, PipeLike/PipeNonBlockingTest.* for
// O_NONBLOCK ends, PipeLike/PipeEitherModeTest.* for what both modes share.
// What only an anonymous pipe has (the fd pair, pipe2 flags, fork
// inheritance, pipefs, the shell's "|", packet mode) is in AnonymousPipeTest.
// How fs/pipe.c lands writes in pages, wakes waiters and raises SIGPIPE,
// branch by branch, and pipe2's flags are in pipe_paths_test.cc; capacity
// and F_SETPIPE_SZ in pipe_capacity_test.cc; splice, tee and vmsplice in
// pipe_splice_test.cc. docs/peers/pipe.md maps gVisor's and LTP's pipe
// tests to these.
//
// Kernel branches are named as in Linux 6.12 fs/pipe.c (pipe_read,
// pipe_write, pipe_release, fifo_open); 6.18 renames the first two
// anon_pipe_read/anon_pipe_write with the same logic.
//
// Blocking is proven from /proc (WaitUntilBlockedIn), never by sleeping;
// every wait has a deadline (ReapWithin, ReadExactWithin), so a kernel that
// misbehaves fails one test with a message. Children do only
// async-signal-safe work and report through their exit code, a distinct code
// per failure point.
#include "ipc/pipe.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/fd_passing.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/pipe/pipe_like.h"
#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/fifo.h"
#include "ipc/io.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// PIPEFS_MAGIC from <linux/magic.h>: what fstatfs(2) reports for pipefs.
constexpr long kPipefsMagic = 0x50495045;

std::string PipeLinkText(ino_t inode) {
  return "pipe:[" + std::to_string(inode) + "]";
}

// Every "/proc/PID/fd/N" whose link reads `target`, over every process this
// /proc shows; `scanned` counts the descriptors looked at.
std::vector<std::string> DescriptorsLinkingTo(const std::string& target,
                                              size_t& scanned) {
  std::vector<std::string> found;
  scanned = 0;
  for (pid_t pid : ListPids()) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(dir.c_str());
    if (fds == nullptr) continue;  // exited, or a kernel thread
    while (const dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] == '.') continue;
      const std::string path = dir + "/" + entry->d_name;
      ++scanned;
      if (ReadLinkOrEmpty(path) == target) found.push_back(path);
    }
    ::closedir(fds);
  }
  return found;
}

// The parent chain of `pid` (ReadTaskStat's ppid), its parent first, up to
// the root of this PID namespace (ppid 0). Empty when the process is gone.
std::vector<pid_t> AncestorsOf(pid_t pid) {
  std::vector<pid_t> chain;
  for (int depth = 0; depth < 4096 && pid > 0; ++depth) {
    const std::optional<TaskState> stat = ReadTaskStat(pid, pid);
    if (!stat) break;
    pid = stat->ppid;
    if (pid > 0) chain.push_back(pid);
  }
  return chain;
}

std::string Join(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) {
    if (!text.empty()) text += " ";
    text += std::to_string(pid);
  }
  return text;
}

// --- Async-signal-safe helpers for children -------------------------------

// "/proc/PID/fd/FD" into `out` (at least 64 bytes), without allocating.
void FormatProcFdPath(char* out, pid_t pid, int fd) {
  static constexpr char kProc[] = "/proc/";
  static constexpr char kFd[] = "/fd/";
  std::memcpy(out, kProc, sizeof kProc - 1);
  out = PutDecimal(out + sizeof kProc - 1, pid);
  std::memcpy(out, kFd, sizeof kFd - 1);
  out = PutDecimal(out + sizeof kFd - 1, fd);
  *out = '\0';
}

// The descriptor a child's SIGUSR1 handler closes (CloseOnSigusr1).
volatile sig_atomic_t g_fd_to_close = -1;

void CloseForgottenEnd(int) { ::close(g_fd_to_close); }

// In a child: SIGUSR1 closes `fd`, with SA_RESTART so a call it interrupts
// (a pipe read or write) starts again and sees the end gone (signal(7)).
bool CloseOnSigusr1(int fd) {
  g_fd_to_close = fd;
  struct sigaction action {};
  action.sa_handler = CloseForgottenEnd;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGUSR1, &action, nullptr) != 0) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return ::sigprocmask(SIG_UNBLOCK, &set, nullptr) == 0;
}

// --- Programs this binary plays (runner/programs.h) ------------------------

// Prints the target of this process's /proc/self/fd/N (N = argv[1]) and a
// newline: the shell test's readlink(1).
IPCPROOF_PROGRAM(pipe_fd_link) {
  if (argc != 2) return 2;
  const std::string link =
      ReadLinkOrEmpty(std::string("/proc/self/fd/") + argv[1]);
  if (link.empty()) return 3;
  const std::string line = link + "\n";
  return WriteInOneCall(STDOUT_FILENO, line.data(), line.size()) ? 0 : 4;
}

// Copies standard input to standard output until end of file: cat(1).
IPCPROOF_PROGRAM(pipe_cat) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0) return 0;
    if (n < 0) return errno == EINTR ? 0 : 1;
    if (!WriteInOneCall(STDOUT_FILENO, buffer, static_cast<size_t>(n)))
      return 2;
  }
}

// --- Concurrent writers -----------------------------------------------------

// Each of `writers` children writes `records` records of `record_size`
// bytes, each record filled with its own byte 'A' + w, in one write(2) per
// record. They start together (all blocked on one "go" pipe that the parent
// closes), so their writes contend for the pipe. The reader (this process)
// reads at most `read_chunk` bytes per read(2) up to end of file, each read
// after poll(2) says data is there within the deadline: a reader that drains
// the whole pipe at once frees every slot together and lets each woken
// writer finish its record alone, hiding the interleaving a slower reader
// exposes.
struct ConcurrentWrite {
  std::vector<char> stream;
  std::vector<ipc::WaitStatus> statuses;
  bool timed_out = false;
};

ConcurrentWrite RunConcurrentWriters(PipeLike& channel, int writers,
                                     int records, size_t record_size,
                                     size_t read_chunk) {
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<char> record(record_size);
  std::vector<ChildProcess> children;
  for (int w = 0; w < writers; ++w) {
    children.push_back(ChildProcess::Fork([&, w] {
      ::close(go.write_fd());  // else the "go" EOF never comes
      ::close(channel.read_fd());
      char byte;
      if (::read(go.read_fd(), &byte, 1) != 0) return 10;
      std::memset(record.data(), 'A' + w, record.size());
      for (int i = 0; i < records; ++i) {
        // Blocking write: returns only when the whole record is in.
        if (::write(channel.write_fd(), record.data(), record.size()) !=
            static_cast<ssize_t>(record.size())) {
          return 11;
        }
      }
      return 0;
    }));
  }
  go.CloseWriteEnd();  // go!
  channel.pipe().CloseWriteEnd();
  ConcurrentWrite result;
  const size_t expected = static_cast<size_t>(writers) * records * record_size;
  result.stream.resize(expected + read_chunk);
  size_t got = 0;
  while (got < result.stream.size()) {
    if (PollWithin(channel.read_fd(), POLLIN, kBlockedTimeout) <= 0) {
      result.timed_out = true;
      break;
    }
    const size_t want = std::min(read_chunk, result.stream.size() - got);
    const size_t n = ipc::ReadSome(
        channel.read_fd(),
        std::as_writable_bytes(std::span(result.stream)).subspan(got, want));
    if (n == 0) break;
    got += n;
  }
  result.stream.resize(got);
  if (result.timed_out) return result;  // the children are killed on return
  for (ChildProcess& child : children) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(child);
    if (!status) {
      result.timed_out = true;
      return result;
    }
    result.statuses.push_back(*status);
  }
  return result;
}

// How the records of each writer came out of the stream.
struct StreamAnalysis {
  std::vector<size_t> bytes_per_writer;
  size_t foreign_bytes = 0;    // bytes no writer wrote
  size_t interleavings = 0;    // times another writer's data cut a record
  size_t records_cut = 0;      // records cut at least once
  size_t writer_switches = 0;  // adjacent bytes from different writers
};

StreamAnalysis AnalyzeStream(const std::vector<char>& stream, int writers,
                             size_t record_size) {
  StreamAnalysis analysis;
  analysis.bytes_per_writer.assign(writers, 0);
  std::vector<bool> current_record_cut(writers, false);
  int previous = -1;
  for (char byte : stream) {
    const int w = byte - 'A';
    if (w < 0 || w >= writers) {
      ++analysis.foreign_bytes;
      previous = -1;
      continue;
    }
    if (previous >= 0 && previous != w) {
      ++analysis.writer_switches;
      // The previous writer's run ends here: if its record is not complete,
      // this writer's bytes landed inside it.
      if (analysis.bytes_per_writer[previous] % record_size != 0) {
        ++analysis.interleavings;
        if (!current_record_cut[previous]) ++analysis.records_cut;
        current_record_cut[previous] = true;
      }
    }
    if (++analysis.bytes_per_writer[w] % record_size == 0) {
      current_record_cut[w] = false;
    }
    previous = w;
  }
  return analysis;
}

// Whether `pipe`, just made, has the capacity fs/pipe.c alloc_pipe_info
// gives: DefaultCapacityFor(this process holds CAP_SYS_RESOURCE, decided by
// trying). The one other outcome the kernel allows is the soft-limit branch
//   if (too_many_pipe_buffers_soft(user_bufs) && pipe_is_unprivileged_user())
//           pipe_bufs = PIPE_MIN_DEF_BUFFERS;
// and its twin in pipe_set_size refuses to grow such a pipe back (EPERM), so
// a smaller pipe passes only with that refusal.
::testing::AssertionResult HasTheDefaultCapacity(ipc::Pipe& pipe) {
  const size_t expected = DefaultCapacityFor(HoldsSysResourceCapability());
  const size_t capacity = pipe.Capacity();
  if (capacity == expected) return ::testing::AssertionSuccess();
  if (capacity > expected) {
    return ::testing::AssertionFailure()
           << "a new pipe holds " << capacity << " bytes, more than the "
           << expected << " the kernel's rule gives";
  }
  if (::fcntl(pipe.write_fd(), F_SETPIPE_SZ, static_cast<int>(expected)) ==
          -1 &&
      errno == EPERM) {
    RecordMeasurement("owner_over_pipe_user_pages_soft", 1);
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "a new pipe holds " << capacity << " bytes, less than the "
         << expected << " default, yet growing it to the default is allowed: "
         << "its owner is not over pipe-user-pages-soft";
}

// =========================================================================
// Shared semantics of anonymous and named pipes, blocking ends.
// =========================================================================

// A channel made as the parameter says (anonymous or named, blocking or
// not). Suites derive from it so blocking and non-blocking semantics get
// separate names.
class PipeLikeTest : public ::testing::TestWithParam<PipeLikeSpec> {
 protected:
  PipeLike MakeChannel() { return PipeLike::Make(GetParam()); }
  bool Anonymous() const { return GetParam().kind == PipeKind::kAnonymous; }
};

class PipeSemanticsTest : public PipeLikeTest {};

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeSemanticsTest,
                         ::testing::ValuesIn(AllPipeKinds(false)),
                         PipeLikeParamName);

// pipe(7): pipes and FIFOs differ only in how they are created and opened.
// Both are S_IFIFO objects, one inode behind both ends, whose capacity
// (F_GETPIPE_SZ, the same from either end) is the documented default.
TEST_P(PipeSemanticsTest, IsAFifoObjectWithTheDefaultCapacity) {
  // The default-capacity rule decides the anonymous pipe's claim on one
  // instance and the FIFO's (same buffer as a pipe) on the other.
  if (Anonymous()) {
    CLAIM("pipe.two-kinds", "pipe.anon.kernel-buffer");
  } else {
    CLAIM("pipe.two-kinds", "fifo.beyond.same-buffer-as-pipe");
  }
  PipeLike channel = MakeChannel();
  const struct stat read_end = StatFd(channel.read_fd());
  const struct stat write_end = StatFd(channel.write_fd());
  EXPECT_TRUE(S_ISFIFO(read_end.st_mode)) << std::oct << read_end.st_mode;
  EXPECT_TRUE(S_ISFIFO(write_end.st_mode)) << std::oct << write_end.st_mode;
  EXPECT_EQ(read_end.st_ino, write_end.st_ino);
  EXPECT_EQ(read_end.st_dev, write_end.st_dev);

  const int from_read_end = ::fcntl(channel.read_fd(), F_GETPIPE_SZ);
  const int from_write_end = ::fcntl(channel.write_fd(), F_GETPIPE_SZ);
  ASSERT_THAT(from_read_end, SyscallSucceeds());
  EXPECT_EQ(from_read_end, from_write_end);
  RecordMeasurement("default_capacity_bytes", from_read_end);
  EXPECT_TRUE(HasTheDefaultCapacity(channel.pipe()));
}

// Either end used the wrong way fails EBADF (gVisor PipeTest.Permissions):
// each end's open file description has one access mode, for a FIFO too.
// F_GETFL shows it and nothing else (gVisor PipeTest.Flags): exactly
// O_RDONLY / O_WRONLY for pipe2's ends, and for a FIFO's the O_LARGEFILE
// that open(2) forces on 64-bit kernels (force_o_largefile; the kernel's
// value, 0100000 on x86-64, which glibc's O_LARGEFILE, 0 there, hides).
TEST_P(PipeSemanticsTest, EachEndRefusesTheOtherDirectionWithEbadf) {
  CLAIM("pipe.unidirectional");
  constexpr int kKernelOLargefile = 0100000;
  PipeLike channel = MakeChannel();
  const int extra = Anonymous() ? 0 : kKernelOLargefile;
  EXPECT_THAT(::fcntl(channel.read_fd(), F_GETFL),
              SyscallSucceedsWithValue(O_RDONLY | extra));
  EXPECT_THAT(::fcntl(channel.write_fd(), F_GETFL),
              SyscallSucceedsWithValue(O_WRONLY | extra));
  char byte = 'x';
  EXPECT_THAT(::write(channel.read_fd(), &byte, 1),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::read(channel.write_fd(), &byte, 1),
              SyscallFailsWithErrno(EBADF));
  EXPECT_EQ(channel.pipe().BytesUnread(), 0u);
}

// pipe(7): "If a process attempts to read from an empty pipe, then read(2)
// will block until data is available."
TEST_P(PipeSemanticsTest, ReadOnEmptyPipeBlocksUntilDataArrives) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  ChildProcess reader = ChildProcess::Fork([&] {
    char byte = 0;
    if (::read(channel.read_fd(), &byte, 1) != 1) return 10;
    return byte == 'x' ? 0 : 11;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read));
  ASSERT_THAT(::write(channel.write_fd(), "x", 1), SyscallSucceedsWithValue(1));
  const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
  ASSERT_TRUE(status) << "the reader did not return after the write";
  EXPECT_TRUE(ExitedWithZero(*status));
}

// pipe(7): "If a process attempts to write to a full pipe (see below), then
// write(2) blocks until sufficient data has been read from the pipe to allow
// the write to complete." F_GETPIPE_SZ says how much makes it full.
TEST_P(PipeSemanticsTest, WriteOnFullPipeBlocksUntilDataIsRead) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const std::vector<char> fill = Pattern(capacity, 1);
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  ASSERT_EQ(channel.pipe().BytesUnread(), capacity);

  ChildProcess writer = ChildProcess::Fork(
      [&] { return ::write(channel.write_fd(), "y", 1) == 1 ? 0 : 10; });
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity)
      << "the blocked write put data in a full pipe";

  std::vector<char> drained(capacity);
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  EXPECT_EQ(drained, fill);
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status) << "the writer stayed blocked after the pipe drained";
  ASSERT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(ReadReady(channel.read_fd(), 16), "y");
  RecordMeasurement("capacity_bytes", capacity);
}

// pipe(7), "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes are written
// atomically; write(2) may block if there is not room for n bytes to be
// written immediately". Preloaded with capacity - (PIPE_BUF - 1) bytes, every
// page is in use (the last holds one byte), so a PIPE_BUF write (chars = n &
// (PAGE_SIZE-1) = 0: no merge attempt in pipe_write) must wait for a free
// page and put nothing in meanwhile.
TEST_P(PipeSemanticsTest, SmallWriteWaitsForRoomForAllOfIt) {
  CLAIM("pipe.blocks", "pipe.beyond.pipe-buf-atomic");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const size_t preload = capacity - (kPipeBuf - 1);
  const std::vector<char> fill(preload, 'p');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));

  std::vector<char> record(kPipeBuf, 'r');
  ChildProcess writer = ChildProcess::Fork([&] {
    return ::write(channel.write_fd(), record.data(), record.size()) ==
                   static_cast<ssize_t>(kPipeBuf)
               ? 0
               : 10;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  const size_t unread_while_blocked = channel.pipe().BytesUnread();
  EXPECT_EQ(unread_while_blocked, preload)
      << "part of a PIPE_BUF-sized write went in before there was room";
  RecordMeasurement("bytes_in_pipe_while_writer_blocked", unread_while_blocked);

  std::vector<char> drained(preload);
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status) << "the writer stayed blocked after the pipe drained";
  ASSERT_TRUE(ExitedWithZero(*status));
  std::vector<char> got(kPipeBuf);
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(got))));
  EXPECT_EQ(got, record);
}

// pipe(7), "O_NONBLOCK disabled, n > PIPE_BUF: The write is nonatomic ...
// the write(2) blocks until n bytes have been written." A write bigger than
// the pipe puts in what fits (the whole capacity), waits, and finishes once
// the reader drains.
TEST_P(PipeSemanticsTest, WriteLargerThanCapacityBlocksUntilAllIsWritten) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const std::vector<char> data = Pattern(capacity + kPipeBuf, 2);
  ChildProcess writer = ChildProcess::Fork([&] {
    return ::write(channel.write_fd(), data.data(), data.size()) ==
                   static_cast<ssize_t>(data.size())
               ? 0
               : 10;
  });
  channel.pipe().CloseWriteEnd();  // a writer that dies gives end of file
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  const size_t in_pipe_while_blocked = channel.pipe().BytesUnread();
  EXPECT_EQ(in_pipe_while_blocked, capacity)
      << "a large write waits only once the pipe is full";
  RecordMeasurement("bytes_in_pipe_while_writer_blocked",
                    in_pipe_while_blocked);

  std::vector<char> got(data.size());
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(got))));
  EXPECT_EQ(got, data);
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
}

// gVisor PipeTest.Streaming: many times the capacity through the pipe in
// 1024-byte writes and reads. Small writes go down pipe_write's merge branch
// (four share a page), and the writer sleeps and is woken by the reader
// over and over; every byte must arrive, in order.
TEST_P(PipeSemanticsTest, StreamsManyTimesItsCapacityInSmallWrites) {
  CLAIM("pipe.blocks", "pipe.beyond.byte-stream");
  constexpr size_t kChunk = 1024;
  PipeLike channel = MakeChannel();
  const std::vector<char> data = Pattern(4 * channel.pipe().Capacity(), 8);
  ChildProcess writer = ChildProcess::Fork([&] {
    ::close(channel.read_fd());
    for (size_t offset = 0; offset < data.size(); offset += kChunk) {
      if (!WriteInOneCall(channel.write_fd(), data.data() + offset, kChunk)) {
        return 10;
      }
    }
    return 0;
  });
  channel.pipe().CloseWriteEnd();
  std::vector<char> got(data.size());
  for (size_t offset = 0; offset < got.size(); offset += kChunk) {
    ASSERT_TRUE(ReadExactWithin(
        channel.read_fd(),
        std::as_writable_bytes(std::span(got)).subspan(offset, kChunk)))
        << "at offset " << offset;
  }
  EXPECT_EQ(got, data);
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
}

// pipe(7): "Nonblocking I/O is possible by using the fcntl(2) F_SETFL
// operation to enable the O_NONBLOCK open file status flag": the read that
// would block fails EAGAIN, so does the write on a full pipe.
TEST_P(PipeSemanticsTest, NonBlockingFlagTurnsBlockingIntoEagain) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  ipc::SetNonBlocking(channel.read_fd(), true);
  char byte;
  EXPECT_THAT(::read(channel.read_fd(), &byte, 1),
              SyscallFailsWithErrno(EAGAIN));

  const size_t capacity = channel.pipe().Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  ipc::SetNonBlocking(channel.write_fd(), true);
  EXPECT_THAT(::write(channel.write_fd(), "z", 1),
              SyscallFailsWithErrno(EAGAIN));
}

// A reader already blocked on an empty pipe is woken with end of file when
// the last write end closes (it had to close its own inherited copy first).
TEST_P(PipeSemanticsTest, BlockedReaderGetsEndOfFileWhenLastWriterCloses) {
  CLAIM("pipe.blocks", "pipe.anon.close-unused-end");
  PipeLike channel = MakeChannel();
  ChildProcess reader = ChildProcess::Fork([&] {
    ::close(channel.write_fd());  // the end this process does not use
    char byte;
    const ssize_t n = ::read(channel.read_fd(), &byte, 1);
    if (n < 0) return 10;
    return n == 0 ? 0 : 11;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read));
  channel.pipe().CloseWriteEnd();
  const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
  ASSERT_TRUE(status) << "the last writer's close did not wake the reader";
  EXPECT_TRUE(ExitedWithZero(*status));
}

// End of file comes after the data: closing every write end does not
// discard what is buffered.
TEST_P(PipeSemanticsTest, BufferedDataIsReadBeforeEndOfFile) {
  CLAIM("pipe.beyond.eof-after-buffered-data");
  PipeLike channel = MakeChannel();
  channel.pipe().WriteAll("last words");
  channel.pipe().CloseWriteEnd();
  char buffer[64];
  ASSERT_THAT(::read(channel.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(10));
  EXPECT_EQ(std::string(buffer, 10), "last words");
  EXPECT_THAT(::read(channel.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(0));
  EXPECT_THAT(::read(channel.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(0));
}

// pipe(7): "If all file descriptors referring to the read end of a pipe have
// been closed, then a write(2) will cause a SIGPIPE signal to be generated
// for the calling process." Its default action ends the process.
TEST_P(PipeSemanticsTest, WriteWithNoReaderLeftKillsTheWriterWithSigpipe) {
  CLAIM("pipe.beyond.sigpipe");
  PipeLike channel = MakeChannel();
  channel.pipe().CloseReadEnd();
  ChildProcess writer = ChildProcess::Fork([&] {
    if (!RestoreDefaultSignal(SIGPIPE)) return 10;
    ::write(channel.write_fd(), "x", 1);
    return 11;  // still alive: no SIGPIPE
  });
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->KilledBy(SIGPIPE)) << status->ToString();
}

// pipe(7): "POSIX.1 says that writes of less than PIPE_BUF bytes must be
// atomic ... (On Linux, PIPE_BUF is 4096 bytes.)" Several writers pushing
// PIPE_BUF-sized records at once: every PIPE_BUF-aligned chunk of the stream
// must be one writer's record, never a mix. (In pipe_write a PIPE_BUF write
// is one page: chars = 0 skips the merge, and the loop copies it into one
// new slot under pipe->mutex.)
TEST_P(PipeSemanticsTest, PipeBufSizedWritesAreAtomicUnderConcurrentWriters) {
  CLAIM("pipe.beyond.pipe-buf-atomic");
  constexpr int kWriters = 4;
  constexpr int kRecords = 256;
  PipeLike channel = MakeChannel();
  const ConcurrentWrite run =
      RunConcurrentWriters(channel, kWriters, kRecords, kPipeBuf, kPipeBuf);
  ASSERT_FALSE(run.timed_out) << "the writers stalled";
  for (const ipc::WaitStatus& status : run.statuses) {
    EXPECT_TRUE(ExitedWithZero(status));
  }
  ASSERT_EQ(run.stream.size(), kWriters * kRecords * kPipeBuf);

  size_t torn_chunks = 0;
  for (size_t offset = 0; offset < run.stream.size(); offset += kPipeBuf) {
    const auto begin = run.stream.begin() + offset;
    const char first = *begin;
    if (std::any_of(begin, begin + kPipeBuf,
                    [first](char c) { return c != first; })) {
      ++torn_chunks;
    }
  }
  EXPECT_EQ(torn_chunks, 0u) << "PIPE_BUF-sized records were interleaved";

  const StreamAnalysis analysis = AnalyzeStream(run.stream, kWriters, kPipeBuf);
  EXPECT_EQ(analysis.foreign_bytes, 0u);
  EXPECT_EQ(analysis.interleavings, 0u);
  EXPECT_EQ(analysis.records_cut, 0u);
  for (size_t bytes : analysis.bytes_per_writer) {
    EXPECT_EQ(bytes, kRecords * kPipeBuf);
  }
  // How much the writers really contended (not asserted: scheduling decides).
  RecordMeasurement("writer_switches", analysis.writer_switches);
}

// pipe(7), "O_NONBLOCK disabled, n > PIPE_BUF: The write is nonatomic: the
// data given to write(2) may be interleaved with write(2)s by other
// process". POSIX allows either outcome, so the interleavings are counted,
// not asserted; the data itself must all arrive.
TEST_P(PipeSemanticsTest, WritesLargerThanPipeBufMayInterleave) {
  CLAIM("pipe.beyond.large-writes-interleave");
  constexpr int kWriters = 4;
  const size_t capacity = PipeLike::Make(GetParam()).pipe().Capacity();
  struct Case {
    const char* name;
    size_t record_size;
    int records;
  };
  const Case cases[] = {
      {"4x_pipe_buf", 4 * kPipeBuf, 32},
      {"capacity_plus_pipe_buf", capacity + kPipeBuf, 8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PipeLike channel = MakeChannel();
    const ConcurrentWrite run = RunConcurrentWriters(
        channel, kWriters, c.records, c.record_size, kPipeBuf);
    ASSERT_FALSE(run.timed_out) << "the writers stalled";
    for (const ipc::WaitStatus& status : run.statuses) {
      EXPECT_TRUE(ExitedWithZero(status));
    }
    const StreamAnalysis analysis =
        AnalyzeStream(run.stream, kWriters, c.record_size);
    EXPECT_EQ(run.stream.size(), kWriters * c.records * c.record_size);
    EXPECT_EQ(analysis.foreign_bytes, 0u);
    for (size_t bytes : analysis.bytes_per_writer) {
      EXPECT_EQ(bytes, c.records * c.record_size);
    }
    RecordMeasurement(std::string("interleavings.") + c.name,
                      analysis.interleavings);
    RecordMeasurement(std::string("records_cut.") + c.name,
                      analysis.records_cut);
  }
}

// pipe(7): "ioctl(fd, FIONREAD, &nbytes)" on "either end of a pipe, places a
// count of the number of unread bytes in the pipe" (pipe_ioctl sums the
// lengths of the occupied slots), up to a full pipe (gVisor
// PipeTest.FionRead). The full pipe is a fresh one: after the small writes
// and the read above, a capacity-sized remainder would not fit its pages
// (see WriteThatDoesNotFitTheLastPageNeedsANewOne).
TEST_P(PipeSemanticsTest, FionreadCountsUnreadBytesOnEitherEnd) {
  CLAIM("pipe.beyond.fionread");
  PipeLike channel = MakeChannel();
  for (int fd : {channel.read_fd(), channel.write_fd()}) {
    int unread = -1;
    ASSERT_THAT(::ioctl(fd, FIONREAD, &unread), SyscallSucceedsWithValue(0));
    EXPECT_EQ(unread, 0) << "fd " << fd;
  }
  channel.pipe().WriteAll("abc");
  channel.pipe().WriteAll("defgh");
  for (int fd : {channel.read_fd(), channel.write_fd()}) {
    int unread = -1;
    ASSERT_THAT(::ioctl(fd, FIONREAD, &unread), SyscallSucceeds());
    EXPECT_EQ(unread, 8) << "fd " << fd;
  }
  char buffer[2];
  ASSERT_THAT(::read(channel.read_fd(), buffer, 2),
              SyscallSucceedsWithValue(2));
  int unread = -1;
  ASSERT_THAT(::ioctl(channel.read_fd(), FIONREAD, &unread), SyscallSucceeds());
  EXPECT_EQ(unread, 6);

  PipeLike full = MakeChannel();
  const size_t capacity = full.pipe().Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(full.write_fd(), fill.data(), fill.size()));
  for (int fd : {full.read_fd(), full.write_fd()}) {
    ASSERT_THAT(::ioctl(fd, FIONREAD, &unread), SyscallSucceeds());
    EXPECT_EQ(static_cast<size_t>(unread), capacity) << "fd " << fd;
  }
}

// pipe(7): "The communication channel provided by a pipe is a byte stream:
// there is no concept of message boundaries." Two writes come back as one
// read, and a read returns what is there without waiting to fill its buffer
// (pipe_read: "if (ret) break" once it has data and the pipe is empty).
TEST_P(PipeSemanticsTest, IsAByteStreamWithoutMessageBoundaries) {
  CLAIM("pipe.beyond.byte-stream");
  PipeLike channel = MakeChannel();
  channel.pipe().WriteAll("abc");
  channel.pipe().WriteAll("def");
  char buffer[100];
  ASSERT_THAT(::read(channel.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buffer, 6), "abcdef");
}

// gVisor PipeTest.Seek, PipeTest.OffsetCalls and NamedPipeTest.Truncate: a
// pipe has no file offset. lseek (every whence, with and without data),
// pread/pwrite and preadv/pwritev fail ESPIPE (stream_open cleared
// FMODE_LSEEK/PREAD/PWRITE on both ends); ftruncate fails EINVAL (not a
// regular file), and so does truncate(2) on a FIFO's name.
TEST_P(PipeSemanticsTest, HasNoFileOffsetAndCannotBeTruncated) {
  if (Anonymous()) {
    CLAIM("pipe.beyond.not-seekable");
  } else {
    CLAIM("fifo.beyond.not-seekable");
  }
  PipeLike channel = MakeChannel();
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "empty" : "with data");
    for (int fd : {channel.read_fd(), channel.write_fd()}) {
      for (const auto& [offset, whence] : {std::pair{0, SEEK_SET},
                                           {4, SEEK_SET},
                                           {0, SEEK_CUR},
                                           {4, SEEK_CUR},
                                           {0, SEEK_END},
                                           {-4, SEEK_END}}) {
        EXPECT_THAT(::lseek(fd, offset, whence), SyscallFailsWithErrno(ESPIPE))
            << "fd " << fd << " offset " << offset << " whence " << whence;
      }
    }
    channel.pipe().WriteAll("data");
  }
  char byte = 0;
  iovec iov{&byte, 1};
  EXPECT_THAT(::pread(channel.read_fd(), &byte, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::pwrite(channel.write_fd(), &byte, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::preadv(channel.read_fd(), &iov, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::pwritev(channel.write_fd(), &iov, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::ftruncate(channel.write_fd(), 0),
              SyscallFailsWithErrno(EINVAL));
  if (!Anonymous()) {
    EXPECT_THAT(::truncate(channel.fifo()->path().c_str(), 0),
                SyscallFailsWithErrno(EINVAL));
  }
  EXPECT_EQ(channel.pipe().BytesUnread(), 8u) << "the data stayed";
}

// Pins the calling thread to one CPU; false if the kernel refuses.
bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

// Restores this thread's CPU affinity when it goes away.
class ScopedAffinity {
 public:
  ScopedAffinity() {
    if (::sched_getaffinity(0, sizeof saved_, &saved_) != 0) {
      ipc::ThrowErrno("sched_getaffinity");
    }
  }
  ~ScopedAffinity() { ::sched_setaffinity(0, sizeof saved_, &saved_); }
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;
  const cpu_set_t& saved() const { return saved_; }

 private:
  cpu_set_t saved_;
};

// "不适合频繁的交换数据" is a claim about speed: measured, never asserted.
// Parent and child bounce one byte over two channels; the data must survive
// every round trip, and the rate is recorded for comparison with the other
// mechanisms on the same machine. Where the two processes run matters (a
// wake-up on another CPU costs an inter-processor interrupt, dear in a VM),
// so it is measured as the scheduler places them, on one CPU, and on two.
// Each side closes the ends it does not use, so a side that dies gives the
// other end of file instead of a hang.
TEST_P(PipeSemanticsTest, RoundTripRateIsMeasured) {
  CLAIM("pipe.not-for-frequent-exchange");
  constexpr int kRoundTrips = 2000;
  const ScopedAffinity restore;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &restore.saved())) cpus.push_back(cpu);
  }
  ASSERT_FALSE(cpus.empty());
  struct Placement {
    std::string name;
    int parent_cpu;  // -1: wherever the scheduler puts it
    int child_cpu;
  };
  std::vector<Placement> placements = {{"unpinned", -1, -1},
                                       {"same_cpu", cpus[0], cpus[0]}};
  if (cpus.size() > 1) {
    placements.push_back({"cross_cpu", cpus[0], cpus[1]});
  } else {
    RecordMeasurement("cross_cpu", "not measured: one CPU allowed");
  }

  for (const Placement& placement : placements) {
    SCOPED_TRACE(placement.name);
    if (placement.parent_cpu >= 0) {
      ASSERT_TRUE(PinToCpu(placement.parent_cpu));
    }
    PipeLike to_child = MakeChannel();
    PipeLike to_parent = MakeChannel();
    ChildProcess echo = ChildProcess::Fork([&] {
      ::close(to_child.write_fd());
      ::close(to_parent.read_fd());
      if (placement.child_cpu >= 0 && !PinToCpu(placement.child_cpu)) {
        return 12;
      }
      for (int i = 0; i < kRoundTrips; ++i) {
        unsigned char byte;
        if (::read(to_child.read_fd(), &byte, 1) != 1) return 10;
        byte = static_cast<unsigned char>(byte + 1);
        if (::write(to_parent.write_fd(), &byte, 1) != 1) return 11;
      }
      return 0;
    });
    to_child.pipe().CloseReadEnd();
    to_parent.pipe().CloseWriteEnd();
    int corrupted = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRoundTrips; ++i) {
      const unsigned char sent = static_cast<unsigned char>(i);
      unsigned char back = 0;
      ASSERT_THAT(::write(to_child.write_fd(), &sent, 1),
                  SyscallSucceedsWithValue(1));
      // A lost wake-up must fail here, not hang to the watchdog: the answer
      // is awaited with a deadline (so each round trip includes one poll).
      ASSERT_GT(PollWithin(to_parent.read_fd(), POLLIN, kBlockedTimeout), 0)
          << "no answer within the deadline in round trip " << i;
      ASSERT_THAT(::read(to_parent.read_fd(), &back, 1),
                  SyscallSucceedsWithValue(1));
      if (back != static_cast<unsigned char>(sent + 1)) ++corrupted;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(corrupted, 0);
    const std::optional<ipc::WaitStatus> status = ReapWithin(echo);
    ASSERT_TRUE(status);
    EXPECT_TRUE(ExitedWithZero(*status));

    const double seconds = std::chrono::duration<double>(elapsed).count();
    const double ns = std::chrono::duration<double, std::nano>(elapsed).count();
    RecordMeasurement(placement.name + ".round_trips_per_second",
                      kRoundTrips / seconds);
    RecordMeasurement(placement.name + ".messages_per_second",
                      2 * kRoundTrips / seconds);
    RecordMeasurement(placement.name + ".mean_round_trip_ns", ns / kRoundTrips);
  }
}

// =========================================================================
// Shared semantics, O_NONBLOCK ends.
// =========================================================================

class PipeNonBlockingTest : public PipeLikeTest {};

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeNonBlockingTest,
                         ::testing::ValuesIn(AllPipeKinds(true)),
                         PipeLikeParamName);

// gVisor PipeTest.NonBlocking: empty → EAGAIN; data → read; empty again →
// EAGAIN (pipe_read's O_NONBLOCK branch, taken only with writers present and
// nothing read).
TEST_P(PipeNonBlockingTest, ReadOnEmptyPipeFailsEagain) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  int value = 0x12345678;
  int back = 0;
  EXPECT_THAT(::read(channel.read_fd(), &back, sizeof back),
              SyscallFailsWithErrno(EAGAIN));
  ASSERT_THAT(::write(channel.write_fd(), &value, sizeof value),
              SyscallSucceedsWithValue(sizeof value));
  ASSERT_THAT(::read(channel.read_fd(), &back, sizeof back),
              SyscallSucceedsWithValue(sizeof back));
  EXPECT_EQ(back, value);
  EXPECT_THAT(::read(channel.read_fd(), &back, sizeof back),
              SyscallFailsWithErrno(EAGAIN));
}

// pipe(7), "O_NONBLOCK enabled, n > PIPE_BUF: If the pipe is full, then
// write(2) fails, with errno set to EAGAIN", and so does a small write.
TEST_P(PipeNonBlockingTest, WriteOnFullPipeFailsEagain) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  EXPECT_EQ(
      WriteUntilEagain(channel.write_fd(), PageSize(), 4 * PipeMaxSize()).bytes,
      capacity);
  EXPECT_THAT(::write(channel.write_fd(), "x", 1),
              SyscallFailsWithErrno(EAGAIN));
  const std::vector<char> big(2 * kPipeBuf, 'b');
  EXPECT_THAT(::write(channel.write_fd(), big.data(), big.size()),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity);
}

// pipe(7), "O_NONBLOCK enabled, n > PIPE_BUF: ... Otherwise, from 1 to n
// bytes may be written (i.e., a "partial write" may occur; the caller should
// check the return value from write(2) to see how many bytes were actually
// written)". How many is decided by pipe_write:
//  - into an empty pipe (LTP pipe12), capacity + a page: every slot fills,
//    the count is the capacity;
//  - after one byte, a write of the capacity (a whole number of pages, so
//    chars = 0 and no merge): the byte keeps the first slot to itself and
//    the rest fills the other slots, capacity - one page;
//  - after one byte, a write of capacity + a page - 1: its first
//    total_len & (PAGE_SIZE-1) = page - 1 bytes merge into the byte's page
//    (the "merge" branch), the rest fills the other slots, capacity - 1.
TEST_P(PipeNonBlockingTest, LargeWriteIsPartialWhenRoomIsShort) {
  CLAIM("pipe.beyond.partial-write", "pipe.beyond.capacity-counts-pages");
  const size_t page = PageSize();
  const size_t capacity = MakeChannel().pipe().Capacity();
  struct Case {
    const char* name;
    size_t preload;
    size_t size;
    size_t expected;
  };
  const Case cases[] = {
      {"empty_pipe", 0, capacity + page, capacity},
      {"no_merge", 1, capacity, capacity - page},
      {"merge", 1, capacity + page - 1, capacity - 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PipeLike channel = MakeChannel();
    if (c.preload > 0) {
      ASSERT_THAT(::write(channel.write_fd(), "1", 1),
                  SyscallSucceedsWithValue(1));
    }
    const std::vector<char> big = Pattern(c.size, 4);
    const ssize_t written = ::write(channel.write_fd(), big.data(), big.size());
    ASSERT_THAT(written, SyscallSucceeds());
    EXPECT_EQ(static_cast<size_t>(written), c.expected);
    RecordMeasurement(std::string("partial_write_bytes.") + c.name, written);
    ASSERT_EQ(channel.pipe().BytesUnread(),
              c.preload + static_cast<size_t>(written));
    // The bytes that went in are the first ones, in order.
    std::vector<char> got(c.preload + static_cast<size_t>(written));
    ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                                std::as_writable_bytes(std::span(got))));
    if (c.preload > 0) {
      EXPECT_EQ(got[0], '1');
    }
    EXPECT_TRUE(std::equal(got.begin() + c.preload, got.end(), big.begin()));
  }
}

// pipe(7), "O_NONBLOCK enabled, n <= PIPE_BUF: If there is room to write n
// bytes to the pipe, then write(2) succeeds immediately, writing all n
// bytes; otherwise write(2) fails, with errno set to EAGAIN." Preloaded
// with capacity - (PIPE_BUF - 1) bytes every slot is taken, the last with one
// byte: a PIPE_BUF write (chars = 0, no merge) finds the ring full and fails
// whole; a PIPE_BUF - 1 write fits the last page and merges into it.
TEST_P(PipeNonBlockingTest, PipeBufWriteFailsEagainWhenRoomIsShorterThanIt) {
  CLAIM("pipe.beyond.partial-write", "pipe.beyond.pipe-buf-atomic");
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const size_t preload = capacity - (kPipeBuf - 1);
  const std::vector<char> fill(preload, 'p');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), fill.data(), fill.size()));
  const std::vector<char> record(kPipeBuf, 'r');
  EXPECT_THAT(::write(channel.write_fd(), record.data(), kPipeBuf),
              SyscallFailsWithErrno(EAGAIN))
      << "with " << kPipeBuf - 1 << " bytes free";
  EXPECT_EQ(channel.pipe().BytesUnread(), preload) << "no partial write";
  EXPECT_THAT(::write(channel.write_fd(), record.data(), kPipeBuf - 1),
              SyscallSucceedsWithValue(kPipeBuf - 1));
  EXPECT_EQ(channel.pipe().BytesUnread(), capacity);
  EXPECT_THAT(::write(channel.write_fd(), "x", 1),
              SyscallFailsWithErrno(EAGAIN));
}

// =========================================================================
// Shared semantics, blocking and O_NONBLOCK ends alike: a closed far end
// is reported at once, whatever the mode.
// =========================================================================

class PipeEitherModeTest : public PipeLikeTest {};

std::vector<PipeLikeSpec> BlockingAndNonBlockingKinds() {
  std::vector<PipeLikeSpec> kinds = AllPipeKinds(false);
  const std::vector<PipeLikeSpec> non_blocking = AllPipeKinds(true);
  kinds.insert(kinds.end(), non_blocking.begin(), non_blocking.end());
  return kinds;
}

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeEitherModeTest,
                         ::testing::ValuesIn(BlockingAndNonBlockingKinds()),
                         PipeLikeParamName);

// pipe(7): "If all file descriptors referring to the write end of a pipe
// have been closed, then an attempt to read(2) from the pipe will see
// end-of-file (read(2) will return 0)." End of file is not "no data yet":
// a non-blocking read returns 0 too, not EAGAIN (pipe_read checks
// !pipe->writers before O_NONBLOCK), and keeps returning it.
TEST_P(PipeEitherModeTest, ReadWithNoWriterLeftReturnsZero) {
  CLAIM("pipe.blocks");
  PipeLike channel = MakeChannel();
  channel.pipe().CloseWriteEnd();
  char byte;
  EXPECT_THAT(::read(channel.read_fd(), &byte, 1), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::read(channel.read_fd(), &byte, 1), SyscallSucceedsWithValue(0));
}

// pipe(7): "If the calling process is ignoring this signal, then write(2)
// fails with the error EPIPE."
TEST_P(PipeEitherModeTest, WriteWithNoReaderLeftFailsEpipeWhenSigpipeIgnored) {
  CLAIM("pipe.beyond.sigpipe");
  PipeLike channel = MakeChannel();
  channel.pipe().CloseReadEnd();
  ScopedSignalIgnored ignore(SIGPIPE);
  EXPECT_THAT(::write(channel.write_fd(), "x", 1),
              SyscallFailsWithErrno(EPIPE));
}

// =========================================================================
// Anonymous pipes only.
// =========================================================================

// "int pipe(int fd[2])；一个作为写端，一个作为读端": fd[0] is the read end
// and fd[1] the write end (pipe(2)); using them the other way round fails.
TEST(AnonymousPipeTest, ReadOnTheWriteEndFailsEbadf) {
  CLAIM("pipe.anon.fd-pair", "pipe.unidirectional");
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  const ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
  ASSERT_THAT(::write(fds[1], "x", 1), SyscallSucceedsWithValue(1));
  char byte;
  EXPECT_THAT(::read(fds[1], &byte, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::read(fds[0], &byte, 1), SyscallSucceedsWithValue(1));
}

TEST(AnonymousPipeTest, WriteOnTheReadEndFailsEbadf) {
  CLAIM("pipe.anon.fd-pair", "pipe.unidirectional");
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  const ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
  EXPECT_THAT(::write(fds[0], "x", 1), SyscallFailsWithErrno(EBADF));
  int unread = -1;
  ASSERT_THAT(::ioctl(fds[0], FIONREAD, &unread), SyscallSucceeds());
  EXPECT_EQ(unread, 0) << "the refused write put data in the pipe";
}

// Each end is opened one way only, and nothing else: F_GETFL of pipe()'s
// ends is exactly O_RDONLY and O_WRONLY (create_pipe_files opens the write
// end O_WRONLY and clones it O_RDONLY; gVisor PipeTest.Flags).
TEST(AnonymousPipeTest, EndsAreOpenReadOnlyAndWriteOnly) {
  CLAIM("pipe.unidirectional", "pipe.anon.fd-pair");
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  const ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
  EXPECT_THAT(::fcntl(fds[0], F_GETFL), SyscallSucceedsWithValue(O_RDONLY));
  EXPECT_THAT(::fcntl(fds[1], F_GETFL), SyscallSucceedsWithValue(O_WRONLY));
  EXPECT_THAT(::fcntl(fds[0], F_GETFD), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::fcntl(fds[1], F_GETFD), SyscallSucceedsWithValue(0));
}

// pipe.two-kinds side by side: an anonymous pipe and a FIFO are both
// S_IFIFO with the same default capacity; only the FIFO has a name.
TEST(AnonymousPipeTest, AnonymousAndNamedPipesAreBothFifosOfTheSameCapacity) {
  CLAIM("pipe.two-kinds");
  PipeLike anonymous = PipeLike::Make({PipeKind::kAnonymous, false});
  PipeLike named = PipeLike::Make({PipeKind::kNamed, false});
  const struct stat a = StatFd(anonymous.read_fd());
  const struct stat n = StatFd(named.read_fd());
  EXPECT_TRUE(S_ISFIFO(a.st_mode));
  EXPECT_TRUE(S_ISFIFO(n.st_mode));
  EXPECT_EQ(anonymous.pipe().Capacity(), named.pipe().Capacity());
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), anonymous.read_fd())),
            PipeLinkText(a.st_ino));
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), named.read_fd())),
            named.fifo()->path());
  RecordMeasurement("anonymous_capacity_bytes", anonymous.pipe().Capacity());
  RecordMeasurement("named_capacity_bytes", named.pipe().Capacity());
}

// "匿名管道是存在于内存当中的…内核中的一个缓冲区": the pipe is an inode of
// the kernel's internal pipefs. fstatfs says so (gVisor PipeTest.StatFS:
// f_type PIPEFS_MAGIC, f_bsize the page size, f_namelen NAME_MAX, from
// simple_statfs), /proc shows it as "pipe:[INODE]" rather than a path, and
// its device belongs to no mount in this mount namespace, so no path can
// reach it.
TEST(AnonymousPipeTest, LivesOnAnInternalFilesystemThatNoPathReaches) {
  CLAIM("pipe.anon.kernel-buffer");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const struct stat st = StatFd(pipe.read_fd());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(StatFd(pipe.write_fd()).st_ino, st.st_ino);
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), pipe.read_fd())),
            PipeLinkText(st.st_ino));
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), pipe.write_fd())),
            PipeLinkText(st.st_ino));

  struct statfs fs {};
  ASSERT_THAT(::fstatfs(pipe.read_fd(), &fs), SyscallSucceeds());
  EXPECT_EQ(static_cast<long>(fs.f_type), kPipefsMagic)
      << std::hex << fs.f_type;
  EXPECT_EQ(static_cast<size_t>(fs.f_bsize), PageSize());
  EXPECT_EQ(fs.f_namelen, NAME_MAX);

  const std::string device =
      std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  std::istringstream mounts(ReadFileOrThrow("/proc/self/mountinfo"));
  std::string line;
  int mount_count = 0;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev;
    fields >> id >> parent >> dev;
    ++mount_count;
    EXPECT_NE(dev, device) << "a mount shows the pipe's device: " << line;
  }
  EXPECT_GT(mount_count, 0);
  RecordMeasurement("pipefs_device", device);
  RecordMeasurement("inode", st.st_ino);
}

// ...but the inode is reachable through /proc/PID/fd/N: open(2) on the link
// opens the same pipe again (a new open file description), even in the
// other direction than the descriptor the link belongs to.
TEST(AnonymousPipeTest, CanBeReopenedThroughProcSelfFd) {
  CLAIM("pipe.anon.kernel-buffer");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const ino_t inode = StatFd(pipe.read_fd()).st_ino;

  const ipc::UniqueFd reopened_writer(::open(
      ProcFdPath(::getpid(), pipe.write_fd()).c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_THAT(reopened_writer.get(), SyscallSucceeds());
  EXPECT_EQ(StatFd(reopened_writer.get()).st_ino, inode);
  ASSERT_THAT(::write(reopened_writer.get(), "via-proc", 8),
              SyscallSucceedsWithValue(8));
  EXPECT_EQ(ReadReady(pipe.read_fd(), 64), "via-proc");

  // The read end's link opened for writing: still the same pipe.
  const ipc::UniqueFd writer_from_read_link(::open(
      ProcFdPath(::getpid(), pipe.read_fd()).c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_THAT(writer_from_read_link.get(), SyscallSucceeds());
  ASSERT_THAT(::write(writer_from_read_link.get(), "other-way", 9),
              SyscallSucceedsWithValue(9));
  EXPECT_EQ(ReadReady(pipe.read_fd(), 64), "other-way");

  // A new open file description: its O_NONBLOCK is its own.
  ipc::SetNonBlocking(reopened_writer.get(), true);
  EXPECT_EQ(FileStatusFlags(pipe.write_fd()) & O_NONBLOCK, 0);
}

// gVisor PipeTest.OpenViaProcSelfFD(WithWrites): reopening an anonymous
// pipe through /proc never waits for a partner, unlike a FIFO. fifo_open
// waits only "if (!is_pipe && !pipe->writers)" (read) or "!is_pipe &&
// !pipe->readers" (write), and fails ENXIO only "if (!is_pipe && O_NONBLOCK
// && !pipe->readers)": a pipefs inode is exempt from all three. So with
// the write end closed, the read end reopens at once and reads the data
// left, then end of file; with the read end closed, the write end reopens
// (even O_NONBLOCK) and a write fails EPIPE. Done in a child, so an open
// that does wait fails the test at the deadline.
TEST(AnonymousPipeTest, ReopeningThroughProcNeverWaitsForAPartner) {
  CLAIM("pipe.anon.kernel-buffer");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("left");
  pipe.CloseWriteEnd();
  char read_path[64];
  FormatProcFdPath(read_path, ::getpid(), pipe.read_fd());
  ChildProcess reader = ChildProcess::Fork([&] {
    const int fd = ::open(read_path, O_RDONLY);
    if (fd < 0) return ErrnoExit();
    char text[8];
    if (::read(fd, text, sizeof text) != 4 || std::memcmp(text, "left", 4)) {
      return 10;
    }
    return ::read(fd, text, sizeof text) == 0 ? 0 : 11;
  });
  const std::optional<ipc::WaitStatus> read_status = ReapWithin(reader);
  ASSERT_TRUE(read_status) << "reopening the read end waited for a writer";
  EXPECT_TRUE(ExitedWithZero(*read_status));

  ipc::Pipe other = ipc::Pipe::Create(O_CLOEXEC);
  char write_path[64];
  FormatProcFdPath(write_path, ::getpid(), other.write_fd());
  other.CloseReadEnd();
  ChildProcess writer = ChildProcess::Fork([&] {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    if (::sigaction(SIGPIPE, &ignore, nullptr) != 0) return 10;
    for (const int flags : {O_WRONLY | O_NONBLOCK, O_WRONLY}) {
      const int fd = ::open(write_path, flags);
      if (fd < 0) return ErrnoExit();
      if (::write(fd, "x", 1) != -1 || errno != EPIPE) return 11;
      ::close(fd);
    }
    return 0;
  });
  const std::optional<ipc::WaitStatus> write_status = ReapWithin(writer);
  ASSERT_TRUE(write_status) << "reopening the write end waited for a reader";
  EXPECT_TRUE(ExitedWithZero(*write_status))
      << DescribeChildExit(*write_status) << " (ENXIO: treated as a FIFO)";
}

// gVisor PipeTest.ProcFDReleasesFile and ProcFDInfoReleasesFile: looking at
// /proc/self/fd/N or /proc/self/fdinfo/N takes no lasting reference to the
// write end, so closing it still gives the reader end of file.
TEST(AnonymousPipeTest, ProcFdLookupsHoldNoReference) {
  CLAIM("pipe.anon.kernel-buffer");
  for (const char* dir : {"fd", "fdinfo"}) {
    SCOPED_TRACE(dir);
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
    const std::string path = "/proc/self/" + std::string(dir) + "/" +
                             std::to_string(pipe.write_fd());
    struct stat st {};
    ASSERT_THAT(::lstat(path.c_str(), &st), SyscallSucceeds());
    if (std::string(dir) == "fdinfo") {
      EXPECT_NE(ReadFileOrThrow(path).find("flags:"), std::string::npos);
    }
    pipe.CloseWriteEnd();
    ipc::SetNonBlocking(pipe.read_fd(), true);
    char byte;
    EXPECT_THAT(::read(pipe.read_fd(), &byte, 1), SyscallSucceedsWithValue(0))
        << "the write end is still open somewhere";
  }
}

// gVisor PipeTest.CloseTwice: each end closes once; a second close fails
// EBADF, as does any use of the number.
TEST(AnonymousPipeTest, ClosedEndsAreGone) {
  CLAIM("pipe.anon.fd-pair");
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  ASSERT_THAT(::close(fds[0]), SyscallSucceeds());
  ASSERT_THAT(::close(fds[1]), SyscallSucceeds());
  EXPECT_THAT(::close(fds[0]), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::close(fds[1]), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::fcntl(fds[0], F_GETPIPE_SZ), SyscallFailsWithErrno(EBADF));
}

// "如果要双向通信，那么需要创建两个管道": two pipes, one per direction, carry
// a conversation between parent and child.
TEST(AnonymousPipeTest, TwoPipesMakeATwoWayChannelBetweenParentAndChild) {
  CLAIM("pipe.unidirectional");
  ipc::Pipe down = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe up = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    ::close(down.write_fd());
    ::close(up.read_fd());
    char question[4];
    if (!ReadExactInChild(down.read_fd(), question, 4)) return 10;
    if (std::memcmp(question, "ping", 4) != 0) return 11;
    if (!WriteInOneCall(up.write_fd(), "pong", 4)) return 12;
    char byte;
    return ::read(down.read_fd(), &byte, 1) == 0 ? 0 : 13;
  });
  down.CloseReadEnd();
  up.CloseWriteEnd();
  down.WriteAll("ping");
  char answer[4];
  ASSERT_TRUE(
      ReadExactWithin(up.read_fd(), std::as_writable_bytes(std::span(answer))));
  EXPECT_EQ(std::string(answer, 4), "pong");
  down.CloseWriteEnd();  // the child's last read sees end of file
  const std::optional<ipc::WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
}

// This binary's own path, for a shell that must run it as a program.
std::string SelfPath() { return ReadLinkOrEmpty("/proc/self/exe"); }

// "ps auxf | grep 的 "|" 就是一条匿名管道，用完就直接销毁": a real /bin/sh
// pipeline (the shell is what the claim is about; the commands on either
// side are this binary playing readlink and cat, so nothing else of the
// host is needed). The left side reports the pipe behind its stdout, the
// right side the pipe behind its stdin: the same pipefs inode. Once both
// exit no descriptor of any process refers to it any more.
TEST(AnonymousPipeTest, ShellBarIsOneAnonymousPipeThatIsGoneAfterwards) {
  CLAIM("pipe.anon.shell-bar");
  if (::access("/bin/sh", X_OK) != 0) {
    SKIP_UNVERIFIED("no shell to run: access(\"/bin/sh\", X_OK) failed with " +
                    ErrnoName(errno));
  }
  const std::string self = SelfPath();
  ASSERT_FALSE(self.empty());
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  // fd 3 of the shell is the report pipe. The left side keeps its stdout in
  // fd 5 so that pipe_fd_link (whose own stdout is the $(...) capture) can
  // name it; the right side's pipe_fd_link inherits stdin unchanged.
  const char* const script =
      "{ exec 5>&1; echo \"L $(\"$1\" --ipcproof_program=pipe_fd_link 5)\" "
      ">&3; echo through-the-bar; } | "
      "{ echo \"R $(\"$1\" --ipcproof_program=pipe_fd_link 0)\" >&3; "
      "\"$1\" --ipcproof_program=pipe_cat >&3; }";
  const char* const argv[] = {"sh", "-c", script, "sh", self.c_str(), nullptr};
  const char* const envp[] = {"PATH=/usr/bin:/bin", nullptr};
  ChildProcess shell = ChildProcess::Fork([&] {
    if (report.write_fd() == 3) {
      if (::fcntl(3, F_SETFD, 0) != 0) return 10;  // keep it across exec
    } else if (::dup2(report.write_fd(), 3) != 3) {
      return 11;
    }
    ::execve("/bin/sh", const_cast<char* const*>(argv),
             const_cast<char* const*>(envp));
    return ErrnoExit();
  });
  report.CloseWriteEnd();
  const Received received = ReadWithin(report.read_fd(), 4096);
  ASSERT_FALSE(received.timed_out) << "the pipeline did not finish";
  const std::string& output = received.bytes;
  const std::optional<ipc::WaitStatus> status = ReapWithin(shell);
  ASSERT_TRUE(status);
  ASSERT_TRUE(ExitedWithZero(*status)) << output;

  std::string left, right;
  bool data_passed = false;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("L ", 0) == 0) left = line.substr(2);
    if (line.rfind("R ", 0) == 0) right = line.substr(2);
    if (line == "through-the-bar") data_passed = true;
  }
  EXPECT_TRUE(data_passed) << output;
  ASSERT_THAT(left, ::testing::MatchesRegex("pipe:\\[[0-9]+\\]")) << output;
  EXPECT_EQ(left, right) << output;
  RecordMeasurement("shell_bar", left);

  // Both sides and the shell have exited (end of file on the report pipe,
  // then the shell reaped): nothing refers to the bar's pipe any more. The
  // scan must still find a pipe that does exist (our report pipe).
  size_t scanned = 0;
  EXPECT_THAT(DescriptorsLinkingTo(left, scanned), ::testing::IsEmpty());
  const std::string report_link = PipeLinkText(StatFd(report.read_fd()).st_ino);
  EXPECT_THAT(DescriptorsLinkingTo(report_link, scanned),
              ::testing::Contains(ProcFdPath(::getpid(), report.read_fd())));
  RecordMeasurement("descriptors_scanned", scanned);
}

// "子进程会同时复制父进程的 fd…都是 3 和 4": after fork the child has the
// very same descriptor numbers, onto the same pipe (LTP pipe10: the child
// reads what the parent wrote).
TEST(AnonymousPipeTest, ForkedChildHasTheSameDescriptorNumbers) {
  CLAIM("pipe.anon.fork-shares-fds");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const ino_t inode = StatFd(pipe.read_fd()).st_ino;
  pipe.WriteAll("from-parent");
  ChildProcess child = ChildProcess::Fork([&] {
    struct stat st;
    if (::fstat(pipe.read_fd(), &st) != 0 || st.st_ino != inode) return 10;
    if (::fstat(pipe.write_fd(), &st) != 0 || st.st_ino != inode) return 11;
    if ((::fcntl(pipe.read_fd(), F_GETFL) & O_ACCMODE) != O_RDONLY) return 12;
    if ((::fcntl(pipe.write_fd(), F_GETFL) & O_ACCMODE) != O_WRONLY) return 13;
    char text[11];
    if (!ReadExactInChild(pipe.read_fd(), text, sizeof text)) return 14;
    if (std::memcmp(text, "from-parent", sizeof text) != 0) return 15;
    return WriteInOneCall(pipe.write_fd(), "from-child", 10) ? 0 : 16;
  });
  const std::optional<ipc::WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(ReadReady(pipe.read_fd(), 64), "from-child");
  RecordMeasurement("read_fd", pipe.read_fd());
  RecordMeasurement("write_fd", pipe.write_fd());
}

// ...and more than the numbers: parent and child share one open file
// description per end (fork(2): the child's descriptors "refer to the same
// open file descriptions"), so O_NONBLOCK set by the child is the parent's.
TEST(AnonymousPipeTest, ForkedChildSharesTheOpenFileDescription) {
  CLAIM("pipe.anon.fork-shares-fds");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_EQ(FileStatusFlags(pipe.read_fd()) & O_NONBLOCK, 0);
  ChildProcess child = ChildProcess::Fork([&] {
    const int flags = ::fcntl(pipe.read_fd(), F_GETFL);
    if (flags < 0) return 10;
    return ::fcntl(pipe.read_fd(), F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : 11;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  ASSERT_NE(FileStatusFlags(pipe.read_fd()) & O_NONBLOCK, 0)
      << "the child's F_SETFL did not reach the parent's descriptor";
  char byte;
  EXPECT_THAT(::read(pipe.read_fd(), &byte, 1), SyscallFailsWithErrno(EAGAIN));
}

// LTP pipe11: children share the pipe their parent filled without tearing
// each other's reads. PIPE_BUF bytes in four chunks of distinct bytes, four
// children reading a chunk each: every read returns exactly its size
// (pipe_read copies under pipe->mutex), and the four chunks are four
// different ones.
TEST(AnonymousPipeTest, SeveralReadersEachTakeTheirShareOfAFilledPipe) {
  CLAIM("pipe.anon.fork-shares-fds");
  constexpr int kReaders = 4;
  constexpr size_t kShare = kPipeBuf / kReaders;
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<char> data(kPipeBuf);
  for (int i = 0; i < kReaders; ++i) {
    std::fill_n(data.begin() + i * kShare, kShare, static_cast<char>('A' + i));
  }
  ASSERT_THAT(::write(pipe.write_fd(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  std::vector<ChildProcess> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(ChildProcess::Fork([&] {
      ::close(pipe.write_fd());
      char share[kShare];
      if (::read(pipe.read_fd(), share, kShare) != kShare) return 1;
      for (char c : share) {
        if (c != share[0]) return 2;
      }
      return static_cast<int>(static_cast<unsigned char>(share[0]));
    }));
  }
  std::set<int> letters;
  for (ChildProcess& reader : readers) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
    ASSERT_TRUE(status);
    ASSERT_TRUE(status->exited()) << status->ToString();
    letters.insert(status->exit_code());
  }
  EXPECT_EQ(letters, (std::set<int>{'A', 'B', 'C', 'D'}));
  EXPECT_EQ(pipe.BytesUnread(), 0u);
}

// "匿名管道只能用于父子进程间的通信" is refuted: two siblings, neither the
// parent of the other, talk through the pipe they both inherited (LTP
// pipe09: two writers, one reader).
TEST(AnonymousPipeTest, SiblingsCommunicateThroughAnInheritedPipe) {
  CLAIM("pipe.anon.parent-child-only");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess writer = ChildProcess::Fork([&] {
    ::close(pipe.read_fd());
    return WriteInOneCall(pipe.write_fd(), "hello sibling", 13) ? 0 : 10;
  });
  ChildProcess reader = ChildProcess::Fork([&] {
    ::close(pipe.write_fd());
    char text[13];
    if (!ReadExactInChild(pipe.read_fd(), text, sizeof text)) return 10;
    if (std::memcmp(text, "hello sibling", sizeof text) != 0) return 11;
    char byte;
    return ::read(pipe.read_fd(), &byte, 1) == 0 ? 0 : 12;
  });
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  const std::optional<ipc::WaitStatus> writer_status = ReapWithin(writer);
  const std::optional<ipc::WaitStatus> reader_status = ReapWithin(reader);
  ASSERT_TRUE(writer_status && reader_status);
  EXPECT_TRUE(ExitedWithZero(*writer_status));
  EXPECT_TRUE(ExitedWithZero(*reader_status));
}

// --- Processes that are no kin of the pipe's creator ----------------------
//
// "Only parent and child can use it" is refuted by a process that is
// neither an ancestor nor a descendant of the process that created the
// pipe. Here the test process forks the user U first and then the creator
// C: two siblings, and the test asserts from /proc (each one's PPid chain)
// that neither is an ancestor of the other. Both wait on a "go" pipe until
// that is checked; only then does C create the pipe (so no one inherited
// it, and the test process never holds an end of it), hand U the write end
// the given way, and read back, from its own read end, what U wrote with it.

enum class Handover { kScmRights, kProcPidFd, kPidfdGetfd };

// Where the creator's write end is, for a user that opens or takes it.
struct EndAddress {
  pid_t pid = 0;
  int fd = -1;
};

constexpr char kUnrelatedMessage[] = "from no kin of the pipe's creator";
constexpr size_t kUnrelatedMessageSize = sizeof kUnrelatedMessage - 1;
constexpr int kUserNoSys = 20;  // pidfd_open / pidfd_getfd: ENOSYS
constexpr int kUserPerm = 21;   // pidfd_getfd: EPERM

struct UnrelatedRun {
  ipc::WaitStatus user{0};
  ipc::WaitStatus creator{0};
};

// Runs U and C as described above; fails the test (fatally) on a broken
// step, so callers check HasFatalFailure().
void RunUnrelated(Handover how, UnrelatedRun& run) {
  int sockets[2];
  ASSERT_THAT(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets),
              SyscallSucceeds());
  const ipc::UniqueFd creator_side(sockets[0]), user_side(sockets[1]);
  ipc::Pipe go = ipc::Pipe::Create(O_CLOEXEC);

  ChildProcess user = ChildProcess::Fork([&] {
    ::close(go.write_fd());
    char byte;
    if (::read(go.read_fd(), &byte, 1) != 0) return 10;
    int fd = -1;
    if (how == Handover::kScmRights) {
      fd = ReceiveFd(user_side.get());
      if (fd < 0) return 11;
    } else {
      EndAddress at;
      if (!ReadExactInChild(user_side.get(), &at, sizeof at)) return 11;
      if (how == Handover::kProcPidFd) {
        char path[64];
        FormatProcFdPath(path, at.pid, at.fd);
        fd = ::open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return ErrnoExit();
      } else {
        const int pidfd =
            static_cast<int>(::syscall(SYS_pidfd_open, at.pid, 0));
        if (pidfd < 0) return errno == ENOSYS ? kUserNoSys : ErrnoExit();
        fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, at.fd, 0));
        if (fd < 0) {
          if (errno == ENOSYS) return kUserNoSys;
          return errno == EPERM ? kUserPerm : ErrnoExit();
        }
      }
    }
    return WriteInOneCall(fd, kUnrelatedMessage, kUnrelatedMessageSize) ? 0
                                                                        : 12;
  });
  const pid_t user_pid = user.pid();
  ChildProcess creator = ChildProcess::Fork([&] {
    ::close(go.write_fd());
    char byte;
    if (::read(go.read_fd(), &byte, 1) != 0) return 10;
    // Lets U take the descriptor under Yama's ptrace_scope 1 (where it
    // applies; EINVAL without Yama is harmless).
    ::prctl(PR_SET_PTRACER, user_pid, 0, 0, 0);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoExit();
    if (how == Handover::kScmRights) {
      if (!SendFd(creator_side.get(), fds[1])) return 11;
    } else {
      const EndAddress at{::getpid(), fds[1]};
      if (!WriteInOneCall(creator_side.get(), &at, sizeof at)) return 11;
    }
    char text[kUnrelatedMessageSize];
    if (!ReadExactInChild(fds[0], text, sizeof text)) return 12;
    return std::memcmp(text, kUnrelatedMessage, sizeof text) == 0 ? 0 : 13;
  });

  // Kinship from /proc, while both wait for "go".
  const std::vector<pid_t> user_ancestors = AncestorsOf(user.pid());
  const std::vector<pid_t> creator_ancestors = AncestorsOf(creator.pid());
  ASSERT_FALSE(user_ancestors.empty());
  ASSERT_FALSE(creator_ancestors.empty());
  ASSERT_EQ(user_ancestors.front(), ::getpid());
  ASSERT_EQ(creator_ancestors.front(), ::getpid());
  ASSERT_THAT(user_ancestors,
              ::testing::Not(::testing::Contains(creator.pid())))
      << "the creator is an ancestor of the user";
  ASSERT_THAT(creator_ancestors,
              ::testing::Not(::testing::Contains(user.pid())))
      << "the user is an ancestor of the creator";
  RecordMeasurement("user_pid_and_ancestors",
                    std::to_string(user.pid()) + " < " + Join(user_ancestors));
  RecordMeasurement(
      "creator_pid_and_ancestors",
      std::to_string(creator.pid()) + " < " + Join(creator_ancestors));

  go.CloseWriteEnd();  // go
  const std::optional<ipc::WaitStatus> user_status = ReapWithin(user);
  ASSERT_TRUE(user_status) << "the user did not finish";
  run.user = *user_status;
  if (!ExitedWithZero(run.user)) return;  // the creator is killed on return
  const std::optional<ipc::WaitStatus> creator_status = ReapWithin(creator);
  ASSERT_TRUE(creator_status) << "the creator did not get the message";
  run.creator = *creator_status;
}

TEST(AnonymousPipeTest, UnrelatedProcessUsesThePipeAfterScmRights) {
  CLAIM("pipe.anon.parent-child-only");
  UnrelatedRun run;
  RunUnrelated(Handover::kScmRights, run);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(ExitedWithZero(run.user));
  EXPECT_TRUE(ExitedWithZero(run.creator))
      << "12: the message did not arrive; 13: it arrived changed";
}

TEST(AnonymousPipeTest, UnrelatedProcessOpensThePipeThroughProcPidFd) {
  CLAIM("pipe.anon.parent-child-only", "pipe.anon.kernel-buffer");
  UnrelatedRun run;
  RunUnrelated(Handover::kProcPidFd, run);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(ExitedWithZero(run.user));
  EXPECT_TRUE(ExitedWithZero(run.creator))
      << "12: the message did not arrive; 13: it arrived changed";
}

TEST(AnonymousPipeTest, UnrelatedProcessTakesThePipeWithPidfdGetfd) {
  CLAIM("pipe.anon.parent-child-only");
  UnrelatedRun run;
  RunUnrelated(Handover::kPidfdGetfd, run);
  if (HasFatalFailure()) return;
  if (run.user.ExitedWith(kUserNoSys)) {
    SKIP_UNVERIFIED("pidfd_open or pidfd_getfd failed with ENOSYS");
  }
  if (run.user.ExitedWith(kUserPerm)) {
    SKIP_UNVERIFIED(
        "pidfd_getfd on the sibling that created the pipe failed with EPERM "
        "(ptrace access to it denied)");
  }
  EXPECT_TRUE(ExitedWithZero(run.user));
  EXPECT_TRUE(ExitedWithZero(run.creator))
      << "12: the message did not arrive; 13: it arrived changed";
}

// "父进程使用 fd=4，子进程使用 fd=3" is not enough: a reader that keeps its
// own copy of the write end never sees end of file. The only other writer
// has written and exited, the test process holds no end, and the reader (a
// child that forgot to close its write end) sits in read(), proven from
// /proc. Closing that forgotten end is what ends the read with 0: a SIGUSR1
// handler does it, and SA_RESTART restarts the read, which now finds
// !pipe->writers.
TEST(AnonymousPipeTest, ReaderHoldingTheWriteEndNeverSeesEndOfFile) {
  CLAIM("pipe.anon.close-unused-end");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess writer = ChildProcess::Fork([&] {
    ::close(pipe.read_fd());
    return WriteInOneCall(pipe.write_fd(), "hello", 5) ? 0 : 10;
  });
  ChildProcess reader = ChildProcess::Fork([&] {
    if (!CloseOnSigusr1(pipe.write_fd())) return 10;  // but keeps it open
    char text[5];
    if (!ReadExactInChild(pipe.read_fd(), text, sizeof text)) return 11;
    char byte;
    const ssize_t n = ::read(pipe.read_fd(), &byte, 1);
    if (n < 0) return ErrnoExit();
    return n == 0 ? 0 : 12;
  });
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  ASSERT_TRUE(ExitsWithZeroWithin(writer));
  ASSERT_TRUE(WaitUntilBlockedIn(reader.pid(), SYS_read))
      << "with every other writer gone, the read did not wait";
  reader.Signal(SIGUSR1);
  const std::optional<ipc::WaitStatus> status = ReapWithin(reader);
  ASSERT_TRUE(status) << "closing the forgotten write end did not end the read";
  EXPECT_TRUE(ExitedWithZero(*status));
}

// The writer's side of the same mistake: a writer that keeps its own read
// end gets no EPIPE when the real reader has gone. It fills the pipe and
// blocks (proven from /proc); closing the forgotten read end (its SIGUSR1
// handler, SA_RESTART) turns the wait into EPIPE.
TEST(AnonymousPipeTest, WriterHoldingTheReadEndBlocksInsteadOfEpipe) {
  CLAIM("pipe.anon.close-unused-end");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess reader = ChildProcess::Fork([&] {
    ::close(pipe.write_fd());
    char text[5];
    return ReadExactInChild(pipe.read_fd(), text, sizeof text) ? 0 : 10;
  });
  pipe.WriteAll("hello");
  ASSERT_TRUE(ExitsWithZeroWithin(reader));

  const size_t capacity = pipe.Capacity();
  const std::vector<char> fill(capacity, 'f');
  ChildProcess writer = ChildProcess::Fork([&] {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    if (::sigaction(SIGPIPE, &ignore, nullptr) != 0) return 10;
    if (!CloseOnSigusr1(pipe.read_fd())) return 11;  // but keeps it open
    // The pipe still has a reader (this process), so no EPIPE here.
    if (!WriteInOneCall(pipe.write_fd(), fill.data(), fill.size())) return 12;
    if (::write(pipe.write_fd(), "x", 1) != -1) return 13;
    return errno == EPIPE ? 0 : ErrnoExit();
  });
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write))
      << "the write on a full pipe did not wait";
  writer.Signal(SIGUSR1);
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status) << "closing the forgotten read end did not end the write";
  EXPECT_TRUE(ExitedWithZero(*status));
}

// pipe(2), O_DIRECT: "Each write(2) to the pipe is dealt with as a separate
// packet, and read(2)s from the pipe will read one packet at a time."
TEST(AnonymousPipeTest, PacketModeReadsOneWritePerRead) {
  CLAIM("pipe.beyond.packet-mode");
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_CLOEXEC);
  pipe.WriteAll("one");
  pipe.WriteAll("three");
  char buffer[100];
  ASSERT_THAT(::read(pipe.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buffer, 3), "one");
  ASSERT_THAT(::read(pipe.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buffer, 5), "three");
}

// pipe(2): "If a read(2) specifies a buffer size that is smaller than the
// next packet, then the requested number of bytes are read, and the excess
// bytes in the packet are discarded." (pipe_read: "Was it a packet buffer?
// Clean up and exit": buf->len = 0.)
TEST(AnonymousPipeTest, PacketModeShortReadDiscardsTheRestOfThePacket) {
  CLAIM("pipe.beyond.packet-mode");
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_CLOEXEC);
  pipe.WriteAll("0123456789");
  pipe.WriteAll("abc");
  char buffer[100];
  ASSERT_THAT(::read(pipe.read_fd(), buffer, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buffer, 4), "0123");
  EXPECT_EQ(pipe.BytesUnread(), 3u) << "\"456789\" was not discarded";
  ASSERT_THAT(::read(pipe.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buffer, 3), "abc");
}

// pipe(2): "Writes of greater than PIPE_BUF bytes (see pipe(7)) will be
// split into multiple packets", and "A read(2) that specifies a buffer size
// of zero is a no-op, and returns 0."
TEST(AnonymousPipeTest, PacketModeSplitsLargeWritesIntoPipeBufPackets) {
  CLAIM("pipe.beyond.packet-mode");
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_CLOEXEC);
  const std::vector<char> data = Pattern(2 * kPipeBuf + 10, 5);
  pipe.WriteAll(std::as_bytes(std::span(data)));
  std::vector<char> buffer(3 * kPipeBuf);
  EXPECT_THAT(::read(pipe.read_fd(), buffer.data(), 0),
              SyscallSucceedsWithValue(0));
  EXPECT_EQ(pipe.BytesUnread(), data.size()) << "a 0-byte read consumed data";
  std::vector<char> got;
  for (size_t expected : {kPipeBuf, kPipeBuf, size_t{10}}) {
    const ssize_t n = ::read(pipe.read_fd(), buffer.data(), buffer.size());
    ASSERT_THAT(n, SyscallSucceedsWithValue(expected));
    got.insert(got.end(), buffer.begin(), buffer.begin() + n);
  }
  EXPECT_EQ(got, data);
}

// pipe(2): "Since Linux 4.5, it is possible to change the O_DIRECT setting
// of a pipe file descriptor using fcntl(2)."
TEST(AnonymousPipeTest, PacketModeCanBeSwitchedOnWithFcntl) {
  CLAIM("pipe.beyond.packet-mode");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_THAT(::fcntl(pipe.write_fd(), F_SETFL,
                      FileStatusFlags(pipe.write_fd()) | O_DIRECT),
              SyscallSucceeds());
  EXPECT_NE(FileStatusFlags(pipe.write_fd()) & O_DIRECT, 0);
  pipe.WriteAll("ab");
  pipe.WriteAll("cd");
  char buffer[100];
  EXPECT_THAT(::read(pipe.read_fd(), buffer, sizeof buffer),
              SyscallSucceedsWithValue(2));
}

}  // namespace
}  // namespace ipcproof

// splice(2), tee(2) and vmsplice(2) with files and sockets on the running
// kernel: offsets and file positions, which pairs of descriptors the calls
// accept, how they wait or refuse, and that bytes arrive whole through
// files, pipes and sockets at sizes that are not page-aligned and larger
// than the pipe. conformance/pipe/pipe_splice_test.cc pins the pipe-to-pipe
// rules (pipe.beyond.splice-tee); this file does not repeat them.
//
// Kernel branches are named as in Linux 6.12 fs/splice.c (do_splice,
// splice_file_to_pipe, do_splice_from, splice_pipe_to_pipe, link_pipe,
// ipipe_prep / opipe_prep, wait_for_space, vmsplice_to_pipe). The claim is
// zerocopy.beyond.splice-semantics (this folder's registry fragment).
//
// Every wait has a deadline; a call that must block is proven blocked from
// /proc (WaitUntilBlockedIn), never slept on.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/copy/copy_files.h"
#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"
#include "ipc/unix_socket.h"
#include "ipc/zero_copy.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// Moves `total` bytes from `in` to `out` with splice, waiting (poll, one
// deadline per call) for `wait_fd` to be ready for `wait_events` before
// each call; at most `total` calls. Async-signal-safe (a forked child may
// run it). Returns 0, or an ErrnoExit code / 90 (deadline) / 91 (early 0).
int SpliceLoop(int in, int out, size_t total, int wait_fd, short wait_events) {
  size_t moved = 0;
  for (size_t calls = 0; moved < total && calls < total; ++calls) {
    if (PollWithin(wait_fd, wait_events, kBlockedTimeout) <= 0) return 90;
    const ssize_t n = ::splice(in, nullptr, out, nullptr, total - moved, 0);
    if (n < 0) return ErrnoExit();
    if (n == 0) return 91;
    moved += static_cast<size_t>(n);
  }
  return moved == total ? 0 : 92;
}

// --- offsets and positions --------------------------------------------------

// splice(2): "If fd_in refers to a file and off_in is NULL, then bytes are
// read from fd_in starting from the file offset, and the file offset is
// adjusted appropriately. If off_in is not NULL ... the file offset of
// fd_in is not changed", and *off_in is advanced (splice_file_to_pipe with
// &offset or &in->f_pos). SPLICE_F_MOVE is only a hint and is accepted.
// gVisor ToPipe, ToPipeOffset.
TEST(SpliceFileTest, FromAFileTheOffsetOrThePositionAdvances) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const std::string data = PatternText(3 * 4096 + 5, 1);
  TempFile in(data);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  loff_t offset = 100;
  ASSERT_THAT(ipc::TrySplice(in.fd.get(), &offset, pipe.write_fd(), nullptr,
                             3000, SPLICE_F_MOVE),
              SyscallSucceedsWithValue(3000));
  EXPECT_EQ(offset, 3100);
  EXPECT_EQ(Position(in.fd.get()), 0) << "the position moved with an offset";
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 3000).bytes, data.substr(100, 3000));
  ASSERT_THAT(
      ipc::TrySplice(in.fd.get(), nullptr, pipe.write_fd(), nullptr, 2000),
      SyscallSucceedsWithValue(2000));
  EXPECT_EQ(Position(in.fd.get()), 2000);
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 2000).bytes, data.substr(0, 2000));
}

// An empty file, the end of a file and an offset past it give 0 (gVisor
// ToPipeEOF): filemap_splice_read finds no page, and the pipe stays empty.
TEST(SpliceFileTest, FromAnEmptyFileOrPastItsEndItReturnsZero) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile empty("");
  TempFile small("abc");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  EXPECT_THAT(
      ipc::TrySplice(empty.fd.get(), nullptr, pipe.write_fd(), nullptr, 123),
      SyscallSucceedsWithValue(0));
  loff_t offset = 3;
  EXPECT_THAT(
      ipc::TrySplice(small.fd.get(), &offset, pipe.write_fd(), nullptr, 10),
      SyscallSucceedsWithValue(0));
  offset = 4096;
  EXPECT_THAT(
      ipc::TrySplice(small.fd.get(), &offset, pipe.write_fd(), nullptr, 10),
      SyscallSucceedsWithValue(0));
  EXPECT_EQ(offset, 4096);
  EXPECT_EQ(pipe.BytesUnread(), 0u);
}

// Into a file (do_splice_from → iter_file_splice_write): without an offset
// at the file's position, which advances, over several calls in order
// (gVisor FromPipe, FromPipeMultiple); with one at *off_out, leaving a
// hole of zeros before it and the position alone (gVisor FromPipeOffset).
TEST(SpliceFileTest, IntoAFileAtItsPositionOrAtTheGivenOffset) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile out("", O_RDWR);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("abcABC123");
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(
        ipc::TrySplice(pipe.read_fd(), nullptr, out.fd.get(), nullptr, 3),
        SyscallSucceedsWithValue(3));
  }
  EXPECT_EQ(Position(out.fd.get()), 9);
  EXPECT_EQ(out.Contents(), "abcABC123");

  TempFile sparse("", O_RDWR);
  pipe.WriteAll("tail");
  loff_t offset = 2048;
  ASSERT_THAT(
      ipc::TrySplice(pipe.read_fd(), nullptr, sparse.fd.get(), &offset, 4),
      SyscallSucceedsWithValue(4));
  EXPECT_EQ(offset, 2052);
  EXPECT_EQ(Position(sparse.fd.get()), 0);
  EXPECT_EQ(sparse.Contents(), std::string(2048, '\0') + "tail");
}

// --- which pairs are accepted ------------------------------------------------

// splice(2): EINVAL "Neither of the file descriptors refers to a pipe":
// two regular files with every combination of offsets (gVisor
// TwoRegularFiles), a file to a socket and a socket to a file (do_splice
// reaches neither the ipipe nor the opipe branch).
TEST(SpliceFileTest, WithNeitherEndAPipeItFailsEinval) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile in("abcdef");
  TempFile out("", O_WRONLY);
  auto [a, b] = ipc::UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::write(b.fd(), "xy", 2), SyscallSucceedsWithValue(2));
  loff_t in_offset = 0;
  loff_t out_offset = 0;
  EXPECT_THAT(
      ipc::TrySplice(in.fd.get(), &in_offset, out.fd.get(), &out_offset, 1),
      SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(
      ipc::TrySplice(in.fd.get(), nullptr, out.fd.get(), &out_offset, 1),
      SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(ipc::TrySplice(in.fd.get(), &in_offset, out.fd.get(), nullptr, 1),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(ipc::TrySplice(in.fd.get(), nullptr, out.fd.get(), nullptr, 1),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(ipc::TrySplice(in.fd.get(), nullptr, a.fd(), nullptr, 1),
              SyscallFailsWithErrno(EINVAL))
      << "file to socket";
  EXPECT_THAT(ipc::TrySplice(a.fd(), nullptr, out.fd.get(), nullptr, 1),
              SyscallFailsWithErrno(EINVAL))
      << "socket to file";
  EXPECT_EQ(Position(in.fd.get()), 0);
  EXPECT_EQ(out.Contents(), "");
  EXPECT_EQ(ReadReady(a.fd(), 8), "xy");
}

// splice(2): ESPIPE "Either off_in or off_out was not NULL, but the
// corresponding file descriptor refers to a pipe" — here with a file on
// the other end, both directions (do_splice's "if (off_out) return
// -ESPIPE" in the file-to-pipe branch and "if (off_in)" in the
// pipe-to-file branch); the pipe-to-pipe case is pipe_splice_test's.
TEST(SpliceFileTest, AnOffsetForThePipeEndFailsEspipe) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile file("abcdef", O_RDWR);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("xyz");
  loff_t offset = 0;
  EXPECT_THAT(
      ipc::TrySplice(file.fd.get(), nullptr, pipe.write_fd(), &offset, 1),
      SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(
      ipc::TrySplice(pipe.read_fd(), &offset, file.fd.get(), nullptr, 1),
      SyscallFailsWithErrno(ESPIPE));
  EXPECT_EQ(pipe.BytesUnread(), 3u);
  EXPECT_EQ(file.Contents(), "abcdef");
}

// A negative offset for the file end (gVisor NegativeOffset: do_splice's
// "if (offset < 0) return -EINVAL"... via rw_verify_area) and one whose end
// overflows loff_t (gVisor WriteOverflow) fail EINVAL; the pipe keeps its
// page and the input file's bytes are not read.
TEST(SpliceFileTest, NegativeOrOverflowingFileOffsetsFailEinval) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile file("abcdef", O_RDWR);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const std::string page = PatternText(SystemPageSize(), 2);
  pipe.WriteAll(page);
  loff_t offset = -1;
  EXPECT_THAT(
      ipc::TrySplice(pipe.read_fd(), nullptr, file.fd.get(), &offset, 2),
      SyscallFailsWithErrno(EINVAL))
      << "negative off_out";
  offset = 0x7ffffffffffffffe;
  EXPECT_THAT(
      ipc::TrySplice(pipe.read_fd(), nullptr, file.fd.get(), &offset, 3),
      SyscallFailsWithErrno(EINVAL))
      << "off_out + len overflows";
  offset = -1;
  EXPECT_THAT(
      ipc::TrySplice(file.fd.get(), &offset, pipe.write_fd(), nullptr, 2),
      SyscallFailsWithErrno(EINVAL))
      << "negative off_in";
  EXPECT_EQ(pipe.BytesUnread(), page.size());
  EXPECT_EQ(file.Contents(), "abcdef");
}

// splice(2): EBADF "One or both file descriptors are not valid, or do not
// have proper read-write mode": a file open only for writing as the input,
// one open only for reading as the output (do_splice's FMODE_READ /
// FMODE_WRITE checks, before any data moves).
TEST(SpliceFileTest, FilesOpenedTheWrongWayFailEbadf) {
  CLAIM("zerocopy.beyond.splice-semantics");
  TempFile file("abcdef", O_WRONLY);
  const ipc::UniqueFd read_only = file.Reopen(O_RDONLY);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("xyz");
  EXPECT_THAT(
      ipc::TrySplice(file.fd.get(), nullptr, pipe.write_fd(), nullptr, 3),
      SyscallFailsWithErrno(EBADF))
      << "O_WRONLY input";
  EXPECT_THAT(
      ipc::TrySplice(pipe.read_fd(), nullptr, read_only.get(), nullptr, 3),
      SyscallFailsWithErrno(EBADF))
      << "O_RDONLY output";
  EXPECT_EQ(pipe.BytesUnread(), 3u);
  EXPECT_EQ(file.Contents(), "abcdef");
}

// --- waiting and refusing to wait -------------------------------------------

// SPLICE_F_NONBLOCK: "Do not block on I/O": from an empty pipe that still
// has a writer into a file or /dev/null (gVisor FromPipeWithWriterToDevNull:
// splice_from_pipe_next's "if (flags & SPLICE_F_NONBLOCK) return -EAGAIN"),
// and from a file into a full pipe (splice_file_to_pipe → wait_for_space),
// fail EAGAIN; nothing is lost.
TEST(SpliceFileTest, NonblockOnAnEmptyOrFullPipeFailsEagain) {
  CLAIM("zerocopy.beyond.splice-semantics");
  // A kernel that waited here instead of answering would hang the test:
  // SIGALRM ends such a wait with EINTR, which fails the expectation.
  ScopedAlarmDeadline deadline;
  deadline.Arm(kBlockedTimeout);
  TempFile out("", O_WRONLY);
  const ipc::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll(".");
  ASSERT_THAT(ipc::TrySplice(pipe.read_fd(), nullptr, null.get(), nullptr, 1,
                             SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(1));
  EXPECT_THAT(ipc::TrySplice(pipe.read_fd(), nullptr, null.get(), nullptr, 1,
                             SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "empty pipe to /dev/null";
  EXPECT_THAT(ipc::TrySplice(pipe.read_fd(), nullptr, out.fd.get(), nullptr, 1,
                             SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "empty pipe to a file";

  TempFile in(PatternText(4096, 3));
  pipe.SetNonBlocking(false, true);
  WriteUntilEagain(pipe.write_fd(), 4096, 4 * pipe.Capacity());
  pipe.SetNonBlocking(false, false);
  const size_t full = pipe.BytesUnread();
  EXPECT_THAT(ipc::TrySplice(in.fd.get(), nullptr, pipe.write_fd(), nullptr,
                             4096, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "file to a full pipe";
  EXPECT_EQ(pipe.BytesUnread(), full);
  EXPECT_EQ(Position(in.fd.get()), 0);
}

// gVisor ToPipeWithSmallCapacityDoesNotSpin: a one-page pipe holding less
// than a page has no free slot, so a splice of a page from a file sleeps
// in splice (state S, proven from /proc: a kernel that spun would show R
// and fail the wait) and completes once a read empties the slot.
TEST(SpliceFileTest, IntoAPipeWithNoFreeSlotItSleepsUntilRoomAppears) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const size_t page = SystemPageSize();
  const std::string data = PatternText(page, 4);
  TempFile in(data);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_EQ(pipe.SetCapacity(page), page);
  const std::string partial(page - 128, 'p');
  pipe.WriteAll(partial);
  const int write_fd = pipe.write_fd();
  const int in_fd = in.fd.get();
  ChildProcess splicer = ChildProcess::Fork([&]() -> int {
    const ssize_t n = ::splice(in_fd, nullptr, write_fd, nullptr, page, 0);
    if (n < 0) return ErrnoExit();
    return static_cast<size_t>(n) == page ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(splicer.pid(), SYS_splice));
  EXPECT_EQ(ReadWithin(pipe.read_fd(), partial.size()).bytes, partial);
  EXPECT_TRUE(ExitsWithZeroWithin(splicer)) << "1: short splice";
  EXPECT_EQ(ReadWithin(pipe.read_fd(), page).bytes, data);
}

// gVisor FromPipeMaxFileSize: past RLIMIT_FSIZE a splice into a file fails
// EFBIG (generic_write_check_limits; SIGXFSZ blocked so it does not kill
// the child) and the pipe keeps its data. In a child, since setrlimit is
// per process.
TEST(SpliceFileTest, PastRlimitFsizeItFailsEfbigAndThePipeKeepsItsData) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const size_t page = SystemPageSize();
  TempFile out("", O_RDWR);
  const off_t limit = off_t{13} << 20;
  ASSERT_THAT(::ftruncate(out.fd.get(), limit), SyscallSucceeds());
  ASSERT_THAT(::lseek(out.fd.get(), 0, SEEK_END),
              SyscallSucceedsWithValue(limit));
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const std::string data = PatternText(page, 5);
  pipe.WriteAll(data);
  const int read_fd = pipe.read_fd();
  const int out_fd = out.fd.get();
  ChildProcess child = ChildProcess::Fork([&]() -> int {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return 1;
    const rlimit limits{static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
    if (::setrlimit(RLIMIT_FSIZE, &limits) != 0) return 2;
    const ssize_t n = ::splice(read_fd, nullptr, out_fd, nullptr, page, 0);
    return n < 0 ? ErrnoExit() : 3;
  });
  EXPECT_TRUE(ExitsWithWithin(child, ErrnoExit(EFBIG)))
      << "1: sigprocmask, 2: setrlimit, 3: splice succeeded";
  EXPECT_EQ(ReadWithin(pipe.read_fd(), page).bytes, data);
  EXPECT_EQ(StatFd(out.fd.get()).st_size, limit);
}

// --- whole transfers
// ----------------------------------------------------------

// A file whose size is not page-aligned and is several times the pipe's
// capacity goes file → pipe → file, a pipe-load at a time, and arrives
// byte for byte; the loop is bounded by the number of bytes.
TEST(SpliceFileTest, AFileLargerThanThePipeAndNotPageAlignedArrivesWhole) {
  CLAIM("zerocopy.beyond.splice-semantics");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = pipe.Capacity();
  const size_t size = 3 * capacity + 777;
  const std::string data = PatternText(size, 6);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  size_t moved = 0;
  for (size_t calls = 0; moved < size && calls < size; ++calls) {
    const ssize_t in_pipe = ipc::TrySplice(
        in.fd.get(), nullptr, pipe.write_fd(), nullptr, size - moved);
    ASSERT_THAT(in_pipe, SyscallSucceedsWithValue(::testing::Gt(0)))
        << "file to pipe after " << moved;
    ASSERT_LE(static_cast<size_t>(in_pipe), capacity);
    ASSERT_THAT(ipc::TrySplice(pipe.read_fd(), nullptr, out.fd.get(), nullptr,
                               static_cast<size_t>(in_pipe)),
                SyscallSucceedsWithValue(in_pipe))
        << "pipe to file after " << moved;
    moved += static_cast<size_t>(in_pipe);
  }
  EXPECT_EQ(moved, size);
  EXPECT_EQ(out.Contents(), data);
}

// file → pipe → Unix stream socket → pipe → file: a child sends the file
// through its pipe into the socket (splice_to_socket), the parent takes it
// out of the socket into another pipe (the socket's splice_read) and on
// into a file. Not page-aligned and larger than either pipe.
TEST(SpliceSocketTest, AFileCrossesASocketThroughPipesOnBothSides) {
  CLAIM("zerocopy.beyond.splice-semantics");
  ipc::Pipe sending = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe receiving = ipc::Pipe::Create(O_CLOEXEC);
  const size_t size = 3 * sending.Capacity() + 1001;
  const std::string data = PatternText(size, 7);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  auto [near, far] = ipc::UnixSocket::Pair(SOCK_STREAM);
  const int in_fd = in.fd.get();
  const int pipe_in = sending.write_fd();
  const int pipe_out = sending.read_fd();
  const int socket_fd = near.fd();
  ChildProcess sender = ChildProcess::Fork([&]() -> int {
    size_t moved = 0;
    for (size_t calls = 0; moved < size && calls < size; ++calls) {
      const ssize_t n =
          ::splice(in_fd, nullptr, pipe_in, nullptr, size - moved, 0);
      if (n <= 0) return n < 0 ? ErrnoExit() : 91;
      const int rc = SpliceLoop(pipe_out, socket_fd, static_cast<size_t>(n),
                                socket_fd, POLLOUT);
      if (rc != 0) return rc;
      moved += static_cast<size_t>(n);
    }
    return moved == size ? 0 : 92;
  });
  near.Close();
  size_t moved = 0;
  for (size_t calls = 0; moved < size && calls < size; ++calls) {
    ASSERT_GT(PollWithin(far.fd(), POLLIN, kBlockedTimeout), 0)
        << "nothing on the socket after " << moved;
    const ssize_t n = ipc::TrySplice(far.fd(), nullptr, receiving.write_fd(),
                                     nullptr, size - moved);
    ASSERT_THAT(n, SyscallSucceedsWithValue(::testing::Gt(0)))
        << "socket to pipe after " << moved;
    ASSERT_THAT(ipc::TrySplice(receiving.read_fd(), nullptr, out.fd.get(),
                               nullptr, static_cast<size_t>(n)),
                SyscallSucceedsWithValue(n));
    moved += static_cast<size_t>(n);
  }
  EXPECT_TRUE(ExitsWithZeroWithin(sender))
      << "90: deadline, 91: early end, 92: short";
  EXPECT_EQ(out.Contents(), data);
  // With the sender gone, the socket is at end of stream: splice gives 0.
  EXPECT_THAT(ipc::TrySplice(far.fd(), nullptr, receiving.write_fd(), nullptr,
                             16, SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(0));
}

// From an empty socket whose peer is still there, SPLICE_F_NONBLOCK fails
// EAGAIN (unix_stream_splice_read honours it via MSG_DONTWAIT), and
// without it the splice waits in splice (proven from /proc) until data
// comes.
TEST(SpliceSocketTest, FromAnEmptySocketItWaitsOrFailsEagain) {
  CLAIM("zerocopy.beyond.splice-semantics");
  auto [a, b] = ipc::UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  {
    // SIGALRM turns a wait that SPLICE_F_NONBLOCK should have prevented
    // into EINTR, failing the expectation instead of hanging the test.
    ScopedAlarmDeadline deadline;
    deadline.Arm(kBlockedTimeout);
    EXPECT_THAT(ipc::TrySplice(a.fd(), nullptr, pipe.write_fd(), nullptr, 16,
                               SPLICE_F_NONBLOCK),
                SyscallFailsWithErrno(EAGAIN));
  }
  const int socket_fd = a.fd();
  const int write_fd = pipe.write_fd();
  ChildProcess splicer = ChildProcess::Fork([&]() -> int {
    const ssize_t n = ::splice(socket_fd, nullptr, write_fd, nullptr, 16, 0);
    if (n < 0) return ErrnoExit();
    return n == 5 ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(splicer.pid(), SYS_splice));
  ASSERT_THAT(::write(b.fd(), "hello", 5), SyscallSucceedsWithValue(5));
  EXPECT_TRUE(ExitsWithZeroWithin(splicer)) << "1: not the 5 bytes";
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 5).bytes, "hello");
}

// --- tee
// ------------------------------------------------------------------------

// tee(2) "does not consume the data": pages spliced in from a file are
// tee'd into a second pipe, then the original goes to a file and the copy
// to a socket; both receive the file's bytes, and until then the source
// still held them all (link_pipe takes page references).
TEST(SpliceTeeTest, TeeSendsTheSameFileBytesToAFileAndASocket) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const std::string data = PatternText(5 * 4096 + 99, 8);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe copy = ipc::Pipe::Create(O_CLOEXEC);
  auto [a, b] = ipc::UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(ipc::TrySplice(in.fd.get(), nullptr, source.write_fd(), nullptr,
                             data.size()),
              SyscallSucceedsWithValue(data.size()));
  ASSERT_THAT(ipc::TryTee(source.read_fd(), copy.write_fd(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  EXPECT_EQ(source.BytesUnread(), data.size()) << "tee consumed its input";
  ASSERT_THAT(ipc::TrySplice(source.read_fd(), nullptr, out.fd.get(), nullptr,
                             data.size()),
              SyscallSucceedsWithValue(data.size()));
  EXPECT_EQ(
      ipc::SpliceAll(copy.read_fd(), nullptr, a.fd(), nullptr, data.size()),
      data.size());
  EXPECT_EQ(out.Contents(), data);
  EXPECT_EQ(ReadWithin(b.fd(), data.size()).bytes, data);
}

// gVisor TwoPipesPartialRead / TwoPipesPartialWrite, for splice and tee
// between pipes: a call asked for a page moves the half page there is, and
// one asked for two pages into a two-page pipe holding one page moves one
// page (splice_pipe_to_pipe / link_pipe stop at pipe_full), without
// waiting.
TEST(SpliceTeeTest, SpliceAndTeeMoveOnlyWhatIsThereAndWhatFits) {
  CLAIM("zerocopy.beyond.splice-semantics");
  // A kernel that waited here instead of answering would hang the test:
  // SIGALRM ends such a wait with EINTR, which fails the expectation.
  ScopedAlarmDeadline deadline;
  deadline.Arm(kBlockedTimeout);
  const size_t page = SystemPageSize();
  for (const bool use_tee : {false, true}) {
    SCOPED_TRACE(use_tee ? "tee" : "splice");
    const auto move = [&](int in, int out, size_t length) {
      return use_tee ? ipc::TryTee(in, out, length)
                     : ipc::TrySplice(in, nullptr, out, nullptr, length);
    };
    ipc::Pipe first = ipc::Pipe::Create(O_CLOEXEC);
    ipc::Pipe second = ipc::Pipe::Create(O_CLOEXEC);
    first.WriteAll(std::string(page / 2, 'h'));
    EXPECT_THAT(move(first.read_fd(), second.write_fd(), page),
                SyscallSucceedsWithValue(page / 2));

    ipc::Pipe big = ipc::Pipe::Create(O_CLOEXEC);
    ipc::Pipe narrow = ipc::Pipe::Create(O_CLOEXEC);
    big.WriteAll(PatternText(2 * page, 9));
    ASSERT_EQ(narrow.SetCapacity(2 * page), 2 * page);
    narrow.WriteAll(std::string(page, 'n'));
    EXPECT_THAT(move(big.read_fd(), narrow.write_fd(), 2 * page),
                SyscallSucceedsWithValue(page));
    EXPECT_EQ(narrow.BytesUnread(), 2 * page);
  }
}

// gVisor TeeTest.Blocking and BlockingWrite: tee from an empty pipe sleeps
// in tee (ipipe_prep → pipe_wait_readable) until data is written, and tee
// into a full pipe sleeps (opipe_prep → pipe_wait_writable) until it is
// drained; both proven from /proc, and the bytes are then in both pipes.
TEST(SpliceTeeTest, TeeWaitsForDataAndForRoom) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const size_t page = SystemPageSize();
  const std::string data = PatternText(page, 10);
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe copy = ipc::Pipe::Create(O_CLOEXEC);
  const int source_fd = source.read_fd();
  const int copy_fd = copy.write_fd();
  const auto tee_child = [&]() -> int {
    const ssize_t n = ::tee(source_fd, copy_fd, page, 0);
    if (n < 0) return ErrnoExit();
    return static_cast<size_t>(n) == page ? 0 : 1;
  };
  {
    ChildProcess waiter = ChildProcess::Fork(tee_child);
    ASSERT_TRUE(WaitUntilBlockedIn(waiter.pid(), SYS_tee));
    source.WriteAll(data);
    EXPECT_TRUE(ExitsWithZeroWithin(waiter)) << "1: short tee";
    EXPECT_EQ(ReadWithin(copy.read_fd(), page).bytes, data);
    EXPECT_EQ(source.BytesUnread(), page);
  }
  {
    copy.SetNonBlocking(false, true);
    WriteUntilEagain(copy.write_fd(), page, 4 * copy.Capacity());
    copy.SetNonBlocking(false, false);
    const size_t full = copy.BytesUnread();
    ChildProcess waiter = ChildProcess::Fork(tee_child);
    ASSERT_TRUE(WaitUntilBlockedIn(waiter.pid(), SYS_tee));
    std::vector<char> drained(full);
    ASSERT_TRUE(ReadExactWithin(copy.read_fd(),
                                std::as_writable_bytes(std::span(drained))));
    EXPECT_TRUE(ExitsWithZeroWithin(waiter)) << "1: short tee";
    EXPECT_EQ(ReadWithin(copy.read_fd(), page).bytes, data);
    EXPECT_EQ(ReadWithin(source.read_fd(), page).bytes, data);
  }
}

// gVisor TeeTest.MultiPage: eight pages tee'd in one call, then read from
// both pipes, equal to what was written.
TEST(SpliceTeeTest, TeeOfManyPagesDuplicatesEveryOne) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const size_t size = 8 * SystemPageSize();
  const std::string data = PatternText(size, 11);
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe copy = ipc::Pipe::Create(O_CLOEXEC);
  // F_SETPIPE_SZ, since an unprivileged user over pipe-user-pages-soft gets
  // smaller pipes (pipe(7)); the kernel rounds up, never down.
  ASSERT_GE(source.SetCapacity(size), size);
  ASSERT_GE(copy.SetCapacity(size), size);
  source.WriteAll(data);
  ASSERT_THAT(ipc::TryTee(source.read_fd(), copy.write_fd(), size),
              SyscallSucceedsWithValue(size));
  EXPECT_EQ(ReadWithin(copy.read_fd(), size).bytes, data);
  EXPECT_EQ(ReadWithin(source.read_fd(), size).bytes, data);
}

// gVisor TwoPipesCircular: two processes splicing one byte at a time in
// opposite directions between two pipes (each locks both pipes:
// splice_pipe_to_pipe's pipe_double_lock orders them) never deadlock. 8
// bytes in each pipe, 500 moves each way, every move polled with a
// deadline: a deadlock fails the wait instead of hanging.
TEST(SpliceTeeTest, SplicingInOppositeDirectionsDoesNotDeadlock) {
  CLAIM("zerocopy.beyond.splice-semantics");
  ipc::Pipe first = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe second = ipc::Pipe::Create(O_CLOEXEC);
  // Each one-byte move takes a slot of its own, so the bytes in flight
  // must not exceed one pipe's slots (else both pipes can fill and both
  // processes wait on capacity, which is no kernel bug): 16 pages each
  // (pipe(7)'s default, asked for because an unprivileged user over
  // pipe-user-pages-soft gets 2), 8 bytes in each.
  const size_t page = SystemPageSize();
  ASSERT_GE(first.SetCapacity(16 * page), 16 * page);
  ASSERT_GE(second.SetCapacity(16 * page), 16 * page);
  first.WriteAll("abcdefgh");
  second.WriteAll("ABCDEFGH");
  constexpr int kMoves = 500;
  const int second_in = second.read_fd();
  const int first_out = first.write_fd();
  ChildProcess other = ChildProcess::Fork([&]() -> int {
    for (int i = 0; i < kMoves; ++i) {
      const int rc = SpliceLoop(second_in, first_out, 1, second_in, POLLIN);
      if (rc != 0) return rc;
    }
    return 0;
  });
  for (int i = 0; i < kMoves; ++i) {
    ASSERT_EQ(SpliceLoop(first.read_fd(), second.write_fd(), 1, first.read_fd(),
                         POLLIN),
              0)
        << "move " << i;
  }
  EXPECT_TRUE(ExitsWithZeroWithin(other)) << "90: a move waited too long";
  EXPECT_EQ(first.BytesUnread() + second.BytesUnread(), 16u);
}

// --- vmsplice
// -------------------------------------------------------------------

// vmsplice(2) of page-aligned user memory with SPLICE_F_GIFT ("The user
// pages are a gift to the kernel", accepted by vmsplice_to_pipe, which
// since 2.6.21 copies or references but never steals them): the bytes then
// splice on into a file unchanged, and the buffer still reads the same.
TEST(SpliceVmspliceTest, GiftedUserPagesReachAFileUnchanged) {
  CLAIM("zerocopy.beyond.splice-semantics");
  const size_t page = SystemPageSize();
  const size_t size = 4 * page;
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  struct Unmap {
    void* at;
    size_t size;
    ~Unmap() { ::munmap(at, size); }
  } unmap{memory, size};
  const std::string data = PatternText(size, 12);
  std::memcpy(memory, data.data(), size);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const iovec iov{memory, size};
  ASSERT_THAT(
      ipc::TryVmSplice(pipe.write_fd(), std::span(&iov, 1), SPLICE_F_GIFT),
      SyscallSucceedsWithValue(size));
  TempFile out("", O_WRONLY);
  EXPECT_EQ(
      ipc::SpliceAll(pipe.read_fd(), nullptr, out.fd.get(), nullptr, size),
      size);
  EXPECT_EQ(out.Contents(), data);
  EXPECT_EQ(std::memcmp(memory, data.data(), size), 0);
}

}  // namespace
}  // namespace ipcproof

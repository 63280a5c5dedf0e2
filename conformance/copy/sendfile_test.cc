// sendfile(2) semantics on the running kernel: where it reads from (the
// offset it is given or the file position), what it does to each, how much
// it moves (short at end of file, clamped to MAX_RW_COUNT), where it may
// write (a socket, a regular file since Linux 2.6.33, a pipe), and each
// refusal sendfile(2) documents (EBADF, EINVAL, ESPIPE, EFAULT, EAGAIN).
//
// Kernel branches are named as in Linux 6.12 fs/read_write.c (do_sendfile,
// rw_verify_area) and fs/splice.c (do_splice_direct, splice_file_to_pipe,
// wait_for_space). The claim is zerocopy.beyond.sendfile-semantics (this
// folder's registry fragment); the copy counts of zerocopy.sendfile-none come
// with the eBPF issue.
//
// Every wait has a deadline; a call that must block is proven blocked from
// /proc (WaitUntilBlockedIn), never slept on.
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
#include "conformance/kit/signals.h"
#include "conformance/kit/temp_path.h"
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
using ::testing::AnyOf;

// --- where it reads from ------------------------------------------------

// sendfile(2): "If offset is not NULL ... sendfile() does not modify the
// file offset of in_fd ... when sendfile() returns, this variable will be
// set to the offset of the byte following the last byte that was read."
// do_sendfile stores pos back into *ppos, not into f_pos. A kernel that
// advanced the file position as well, or left *offset alone, fails here.
TEST(SendfileTest, WithAnOffsetItUpdatesTheOffsetAndLeavesThePositionAlone) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const std::string data = PatternText(3 * 4096 + 123, 1);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  ASSERT_THAT(::lseek(in.fd.get(), 7, SEEK_SET), SyscallSucceedsWithValue(7));
  off_t offset = 1000;
  ASSERT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), &offset, 5000),
              SyscallSucceedsWithValue(5000));
  EXPECT_EQ(offset, 6000) << "*offset is not after the last byte read";
  EXPECT_EQ(Position(in.fd.get()), 7) << "the file position moved";
  EXPECT_EQ(out.Contents(), data.substr(1000, 5000));
  EXPECT_EQ(Position(out.fd.get()), 5000) << "out_fd's position";
}

// "If offset is NULL, then data will be read from in_fd starting at the
// file offset, and the file offset will be updated by the call": from a
// position a read(2) left, and twice in a row (gVisor's
// SendAndUpdateFileOffset*; do_sendfile's "fd_file(in)->f_pos = pos").
TEST(SendfileTest, WithoutAnOffsetItReadsFromAndAdvancesThePosition) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const std::string data = PatternText(10000, 2);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  char first[100];
  ASSERT_THAT(::read(in.fd.get(), first, sizeof first),
              SyscallSucceedsWithValue(100));
  ASSERT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 4000),
              SyscallSucceedsWithValue(4000));
  EXPECT_EQ(Position(in.fd.get()), 4100);
  ASSERT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 4000),
              SyscallSucceedsWithValue(4000));
  EXPECT_EQ(Position(in.fd.get()), 8100);
  EXPECT_EQ(out.Contents(), data.substr(100, 8000));
  // The next read(2) continues where sendfile stopped.
  EXPECT_EQ(ReadAvailable(in.fd.get(), 16), data.substr(8100, 16));
}

// A count beyond the end of the file moves what there is; at the end (or
// past it, with an offset) sendfile returns 0 and *offset stays; a zero
// count returns 0 (gVisor SendTheCorrectNumberOfBytes..., LargeCount,
// SendZeroBytes; splice_direct_to_actor stops on a short read).
TEST(SendfileTest, ACountBeyondTheEndReturnsWhatThereIsThenZero) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const std::string data = PatternText(5000, 3);
  TempFile in(data);
  TempFile out("", O_WRONLY);
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 0),
              SyscallSucceedsWithValue(0));
  EXPECT_EQ(Position(in.fd.get()), 0);
  ASSERT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 3 * 5000),
              SyscallSucceedsWithValue(5000));
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 100),
              SyscallSucceedsWithValue(0))
      << "at the end of the file";
  off_t offset = 9000;
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), &offset, 100),
              SyscallSucceedsWithValue(0))
      << "from an offset past the end";
  EXPECT_EQ(offset, 9000);
  EXPECT_EQ(out.Contents(), data);
}

// LTP sendfile09 (a bug that truncated offsets above 2 GiB, fixed by
// 5d73320a96fcc): an offset of 3 GiB in a sparse file reads the bytes
// stored there and comes back as 3 GiB + count; the position stays 0.
// Skipped where the test directory's filesystem cannot hold such a file.
TEST(SendfileTest, AnOffsetAboveTwoGibibytesIsNotTruncated) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("", O_RDWR);
  const off_t far = off_t{3} << 30;
  const std::string marker = PatternText(4096 + 17, 4);
  if (::pwrite(in.fd.get(), marker.data(), marker.size(), far) !=
      static_cast<ssize_t>(marker.size())) {
    SKIP_UNVERIFIED("pwrite at 3 GiB in the test directory failed with " +
                    ErrnoName(errno));
  }
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  off_t offset = far;
  ASSERT_THAT(
      ipc::TrySendFile(pipe.write_fd(), in.fd.get(), &offset, marker.size()),
      SyscallSucceedsWithValue(marker.size()));
  EXPECT_EQ(offset, far + static_cast<off_t>(marker.size()));
  EXPECT_EQ(Position(in.fd.get()), 0);
  EXPECT_EQ(ReadWithin(pipe.read_fd(), marker.size()).bytes, marker);
}

// --- where it may write ---------------------------------------------------

// sendfile(2): "Before Linux 2.6.33, out_fd must refer to a socket. Since
// Linux 2.6.33 it can be any file." A regular file is written at its own
// position, which advances, so earlier contents stay (LTP sendfile08, a
// bug that wrote at the input's position: 2cb4b05e7647); descriptors opened
// O_RDWR work too (gVisor SendTriviallyWithBothFilesReadWrite).
TEST(SendfileTest, IntoARegularFileItWritesAtThatFilesPosition) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("world-and-more", O_RDWR);
  TempFile out("hello", O_RDWR);
  ASSERT_THAT(::lseek(out.fd.get(), 0, SEEK_END), SyscallSucceedsWithValue(5));
  ASSERT_THAT(::lseek(in.fd.get(), 0, SEEK_SET), SyscallSucceedsWithValue(0));
  ASSERT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 5),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(out.Contents(), "helloworld");
  EXPECT_EQ(Position(out.fd.get()), 10);
  EXPECT_EQ(Position(in.fd.get()), 5);
}

// The same file as input and output (gVisor SendFileToSelf): the input
// reads what the output has just appended, so a one-page file sent to its
// own end with a count of four pages returns four pages and is then five
// copies of its first page. A kernel that refused (EINVAL) or stopped at
// the original end of file fails here.
TEST(SendfileTest, ToItselfTheInputSeesWhatTheOutputAppended) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const size_t page = SystemPageSize();
  const std::string data = PatternText(page, 5);
  TempFile file(data, O_RDWR);
  ASSERT_THAT(::lseek(file.fd.get(), 0, SEEK_END),
              SyscallSucceedsWithValue(static_cast<off_t>(page)));
  off_t offset = 0;
  ASSERT_THAT(ipc::TrySendFile(file.fd.get(), file.fd.get(), &offset, 4 * page),
              SyscallSucceedsWithValue(4 * page));
  const std::string contents = file.Contents();
  ASSERT_EQ(contents.size(), 5 * page);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(contents.substr(i * page, page), data) << "page " << i;
  }
}

// To a Unix stream socket, several times its buffer (gVisor
// sendfile_socket SendMultiple): a child reads it all and checks it
// against the pattern, so short sends and their order show. The sender
// loops at most once per byte-sized step and stops at end of file.
TEST(SendfileTest, IntoAStreamSocketEveryByteArrivesInOrder) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  auto [sender, receiver] = ipc::UnixSocket::Pair(SOCK_STREAM);
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_THAT(::getsockopt(sender.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len),
              SyscallSucceeds());
  const size_t size = 4 * static_cast<size_t>(sndbuf) + 4095;
  const std::string data = PatternText(size, 6);
  TempFile in(data);
  const int receiver_fd = receiver.fd();
  const char* expected = data.data();
  ChildProcess reader = ChildProcess::Fork([&]() -> int {
    sender.Close();
    static char chunk[65536];
    size_t got = 0;
    while (got < size) {
      const size_t want = std::min(sizeof chunk, size - got);
      const ReadOutcome r = ReadIntoWithin(
          receiver_fd, std::as_writable_bytes(std::span(chunk, want)),
          kBlockedTimeout);
      if (r.error != 0) return ErrnoExit(r.error);
      if (r.bytes == 0) return 1;  // end of stream or timeout before all
      if (std::memcmp(chunk, expected + got, r.bytes) != 0) return 2;
      got += r.bytes;
    }
    char extra;
    return ::read(receiver_fd, &extra, 1) == 0 ? 0 : 3;
  });
  receiver.Close();
  size_t sent = 0;
  size_t calls = 0;
  while (sent < size && calls++ <= size) {
    const ssize_t n =
        ipc::TrySendFile(sender.fd(), in.fd.get(), nullptr, size - sent);
    ASSERT_THAT(n, SyscallSucceeds()) << "after " << sent << " bytes";
    ASSERT_GT(n, 0) << "end of file after " << sent << " of " << size;
    sent += static_cast<size_t>(n);
  }
  EXPECT_EQ(sent, size);
  RecordMeasurement("zerocopy.sendfile_socket_calls", calls);
  sender.Close();
  EXPECT_TRUE(ExitsWithZeroWithin(reader))
      << "1: stream ended early, 2: bytes differ, 3: extra bytes";
}

// Into a pipe (splice_file_to_pipe): up to the count, short at end of
// file. Into a full pipe it waits for room (wait_for_space), proven from
// /proc, and finishes once the reader drains it (gVisor SendFileToPipe,
// SendPipeBlocks, SendPipeEOF).
TEST(SendfileTest, IntoAPipeItMovesTheFileAndWaitsForRoom) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const std::string data = PatternText(1000, 7);
  TempFile in(data);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_THAT(ipc::TrySendFile(pipe.write_fd(), in.fd.get(), nullptr, 2000),
              SyscallSucceedsWithValue(1000));
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 1000).bytes, data);
  EXPECT_THAT(ipc::TrySendFile(pipe.write_fd(), in.fd.get(), nullptr, 2000),
              SyscallSucceedsWithValue(0))
      << "at end of file";

  const size_t capacity = pipe.Capacity();
  pipe.SetNonBlocking(false, true);
  const size_t filled =
      WriteUntilEagain(pipe.write_fd(), 4096, 4 * capacity).bytes;
  ASSERT_GT(filled, 0u);
  pipe.SetNonBlocking(false, false);
  const int write_fd = pipe.write_fd();
  const int in_fd = in.fd.get();
  ChildProcess writer = ChildProcess::Fork([&]() -> int {
    off_t offset = 0;
    const ssize_t n = ipc::TrySendFile(write_fd, in_fd, &offset, 1000);
    if (n < 0) return ErrnoExit();
    return n == 1000 ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_sendfile));
  std::vector<char> drained(filled);
  ASSERT_TRUE(ReadExactWithin(pipe.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  EXPECT_TRUE(ExitsWithZeroWithin(writer)) << "1: short sendfile";
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 1000).bytes, data);
}

// --- refusals ---------------------------------------------------------------

// sendfile(2): EBADF "The input file was not opened for reading or the
// output file was not opened for writing", and for descriptors that are
// not open (LTP sendfile03). The mode checks come before the O_APPEND
// check (gVisor AppendCheckOrdering: do_sendfile checks FMODE_WRITE before
// the write path sees O_APPEND).
TEST(SendfileTest, DescriptorsOpenedTheWrongWayFailEbadf) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("abcdef");
  TempFile out("", O_WRONLY);
  const ipc::UniqueFd in_write_only = in.Reopen(O_WRONLY);
  const ipc::UniqueFd out_read_only = out.Reopen(O_RDONLY);
  const ipc::UniqueFd out_append_read_only = out.Reopen(O_RDONLY | O_APPEND);
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in_write_only.get(), nullptr, 1),
              SyscallFailsWithErrno(EBADF))
      << "in_fd O_WRONLY";
  EXPECT_THAT(ipc::TrySendFile(out_read_only.get(), in.fd.get(), nullptr, 1),
              SyscallFailsWithErrno(EBADF))
      << "out_fd O_RDONLY";
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), -1, nullptr, 1),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(ipc::TrySendFile(-1, in.fd.get(), nullptr, 1),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(
      ipc::TrySendFile(out_append_read_only.get(), in.fd.get(), nullptr, 1),
      SyscallFailsWithErrno(EBADF))
      << "O_RDONLY|O_APPEND: EBADF before EINVAL";
  EXPECT_EQ(Position(in.fd.get()), 0);
  EXPECT_EQ(out.Contents(), "");
}

// sendfile(2): EINVAL "an mmap(2)-like operation is not available for
// in_fd" — a pipe, a socket and a directory as input (gVisor
// SendToNotARegularFile; do_splice_read finds no splice_read, or the
// directory's read fails) — and ESPIPE "offset is not NULL but the input
// file is not seekable" (checked first: FMODE_PREAD). Nothing is consumed
// from the pipe or the socket.
TEST(SendfileTest, AnInputWithoutPageCacheFailsEinvalAndAnOffsetOnItEspipe) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile out("", O_WRONLY);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("pipe");
  auto [a, b] = ipc::UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::write(b.fd(), "sock", 4), SyscallSucceedsWithValue(4));
  const ipc::UniqueFd dir(
      ::open(TestTempDir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), pipe.read_fd(), nullptr, 4),
              SyscallFailsWithErrno(EINVAL))
      << "a pipe as in_fd";
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), a.fd(), nullptr, 4),
              SyscallFailsWithErrno(EINVAL))
      << "a socket as in_fd";
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), dir.get(), nullptr, 4),
              SyscallFailsWithErrno(EINVAL))
      << "a directory as in_fd";
  off_t offset = 0;
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), pipe.read_fd(), &offset, 4),
              SyscallFailsWithErrno(ESPIPE))
      << "an offset for a pipe";
  EXPECT_EQ(pipe.BytesUnread(), 4u);
  EXPECT_EQ(ReadReady(a.fd(), 16), "sock");
  EXPECT_EQ(out.Contents(), "");
}

// rw_verify_area: a negative *offset (LTP sendfile05, gVisor InvalidOffset),
// an offset whose end overflows loff_t (gVisor Overflow) and a negative
// count (gVisor DoNotSendANegativeNumberOfBytes; called as ::sendfile
// because the wrapper refuses it before the kernel can) fail EINVAL;
// *offset is left as it was.
TEST(SendfileTest, NegativeOrOverflowingOffsetsAndCountsFailEinval) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("abcdefgh");
  TempFile out("", O_WRONLY);
  off_t offset = -1;
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), &offset, 4),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(offset, -1);
  offset = 0x7ffffffffffffffe;
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), &offset, 3),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(
      ::sendfile(out.fd.get(), in.fd.get(), nullptr, static_cast<size_t>(-1)),
      SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Position(in.fd.get()), 0);
  EXPECT_EQ(out.Contents(), "");
}

// LTP sendfile04: an offset pointer the kernel cannot read or write fails
// EFAULT (copy_from_user in the sendfile64 entry), unmapped and PROT_NONE
// alike; nothing is sent.
TEST(SendfileTest, AnOffsetPointerTheKernelCannotReachFailsEfault) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("abcdefgh");
  TempFile out("", O_WRONLY);
  const ScopedInaccessiblePage none;
  EXPECT_THAT(::sendfile(out.fd.get(), in.fd.get(), none.as<off_t>(), 4),
              SyscallFailsWithErrno(EFAULT));
  const ScopedInaccessiblePage read_only(PROT_READ);
  // Readable but not writable: the kernel reads 0, sends, then cannot
  // store the new offset back: EFAULT, though the bytes have gone.
  EXPECT_THAT(::sendfile(out.fd.get(), in.fd.get(), read_only.as<off_t>(), 4),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(Position(in.fd.get()), 0);
}

// sendfile(2): EINVAL "out_fd has the O_APPEND flag set. This is not
// currently supported by sendfile()" (gVisor DoNotSendfileIfOutfileIs-
// AppendOnly: do_splice_direct's "if (unlikely(out->f_flags & O_APPEND))").
TEST(SendfileTest, AnAppendOnlyOutputFailsEinval) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  TempFile in("abcdefgh");
  TempFile out("kept", O_WRONLY | O_APPEND);
  EXPECT_THAT(ipc::TrySendFile(out.fd.get(), in.fd.get(), nullptr, 8),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(out.Contents(), "kept");
  EXPECT_EQ(Position(in.fd.get()), 0);
}

// sendfile(2): EAGAIN "Nonblocking I/O has been selected using O_NONBLOCK
// and the write would block." LTP sendfile07 (on a datagram pair) and
// gVisor's SendToFullPipeReturnsEAGAIN (skipped on Linux there) check it;
// here a full non-blocking Unix stream socket and a full non-blocking pipe,
// each in a test of its own. The bound on each fill is four times what the
// kernel reports the channel holds. A kernel that waited instead of
// answering would hang the test: SIGALRM ends such a wait with EINTR, which
// fails the expectation.
//
// The socket: since Linux 6.5 sendfile reaches a socket through
// splice_to_socket, a sendmsg(MSG_SPLICE_PAGES) with MSG_DONTWAIT for an
// O_NONBLOCK socket (6.12's fs/splice.c:882-888), which checks the send
// buffer as write(2) does. Before, it went through ->sendpage, and 6.1's
// unix_stream_sendpage (net/unix/af_unix.c:2287) appends the page to the
// peer's last queued skb when it has room for a fragment
// (skb_append_pagefrags, :2366) with no look at sk_sndbuf, and returns the
// whole count: a socket that write(2) has just found full takes it. That
// kernel fails this test (docs/expected-deviations.json says so).
TEST(SendfileTest, IntoAFullNonBlockingUnixSocketItFailsEagain) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  ScopedAlarmDeadline deadline;
  deadline.Arm(kBlockedTimeout);
  TempFile in(PatternText(8192, 8));
  auto [sender, receiver] = ipc::UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::fcntl(sender.fd(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_THAT(::getsockopt(sender.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len),
              SyscallSucceeds());
  int rcvbuf = 0;
  ASSERT_THAT(::getsockopt(receiver.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len),
              SyscallSucceeds());
  WriteUntilEagain(sender.fd(), 4096, 4 * static_cast<size_t>(sndbuf + rcvbuf));
  EXPECT_THAT(ipc::TrySendFile(sender.fd(), in.fd.get(), nullptr, 4096),
              SyscallFailsWithErrno(EAGAIN))
      << "a full Unix stream socket";
  EXPECT_EQ(Position(in.fd.get()), 0);
}

// The pipe: do_sendfile turns the pipe's O_NONBLOCK into SPLICE_F_NONBLOCK,
// and wait_for_space answers EAGAIN.
TEST(SendfileTest, IntoAFullNonBlockingPipeItFailsEagain) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  ScopedAlarmDeadline deadline;
  deadline.Arm(kBlockedTimeout);
  TempFile in(PatternText(8192, 8));
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  WriteUntilEagain(pipe.write_fd(), 4096, 4 * pipe.Capacity());
  EXPECT_THAT(ipc::TrySendFile(pipe.write_fd(), in.fd.get(), nullptr, 4096),
              SyscallFailsWithErrno(EAGAIN))
      << "a full pipe";
  EXPECT_EQ(Position(in.fd.get()), 0);
}

// sendfile(2) NOTES: "sendfile() will transfer at most 0x7ffff000
// (2,147,479,552) bytes" (do_sendfile: count > MAX_RW_COUNT, INT_MAX
// rounded down to a page, so computed from sysconf's page size). /dev/zero
// into /dev/null makes 2 GiB cheap (their splice_read / splice_write, back
// since Linux 6.7): a count of 4 GiB returns exactly MAX_RW_COUNT.
TEST(SendfileTest, ALargeCountIsClampedToMaxRwCount) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  const ipc::UniqueFd zero(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
  const ipc::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(zero.valid() && null.valid());
  const size_t max_rw_count =
      static_cast<size_t>(INT_MAX) & ~(SystemPageSize() - 1);
  const ssize_t n = ::sendfile(null.get(), zero.get(), nullptr, 1ULL << 32);
  if (n < 0 && errno == EINVAL) {
    SKIP_UNVERIFIED(
        "sendfile from /dev/zero to /dev/null failed with EINVAL (no "
        "splice_read on /dev/zero before Linux 6.7)");
  }
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_EQ(static_cast<size_t>(n), max_rw_count);
  RecordMeasurement("zerocopy.sendfile_max_bytes_per_call", n);
}

// gVisor sendfile_socket Shutdown: once the peer has closed its end,
// sendfile into the socket fails EPIPE (SIGPIPE ignored here; a Unix
// stream socket reports EPIPE, TCP may say ECONNRESET) instead of
// succeeding or blocking.
TEST(SendfileTest, IntoASocketWhosePeerClosedItFailsEpipe) {
  CLAIM("zerocopy.beyond.sendfile-semantics");
  // A kernel that waited here instead of answering would hang the test:
  // SIGALRM ends such a wait with EINTR, which fails the expectation.
  ScopedAlarmDeadline deadline;
  deadline.Arm(kBlockedTimeout);
  const ScopedSignalIgnored no_sigpipe(SIGPIPE);
  TempFile in(PatternText(4096, 9));
  auto [sender, receiver] = ipc::UnixSocket::Pair(SOCK_STREAM);
  receiver.Close();
  off_t offset = 0;
  EXPECT_THAT(ipc::TrySendFile(sender.fd(), in.fd.get(), &offset, 4096),
              SyscallFailsWithErrno(AnyOf(EPIPE, ECONNRESET)));
  EXPECT_EQ(offset, 0);
}

}  // namespace
}  // namespace ipcproof

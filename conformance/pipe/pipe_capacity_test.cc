// A pipe's capacity (pipe.anon.kernel-buffer, pipe.beyond.set-pipe-size):
// the default a new pipe gets, F_GETPIPE_SZ / F_SETPIPE_SZ and their
// limits, and the per-user page accounting behind pipe-user-pages-soft.
//
// Kernel branches are named as in Linux 6.12 fs/pipe.c: alloc_pipe_info (a
// new pipe's size and the per-user accounting), round_pipe_size,
// pipe_set_size and pipe_resize_ring (F_SETPIPE_SZ), pipe_fcntl. The
// capacity is a number of page slots (max_usage), so F_GETPIPE_SZ is always
// a whole number of pages and EBUSY counts pages, not bytes.
//
// Every wait has a deadline; children report through their exit code or a
// report pipe read with a deadline.
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
#include "conformance/kit/credentials.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "conformance/pipe/pipe_like.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// One F_SETPIPE_SZ request, as the int fcntl(2) takes.
int SetPipeSize(int fd, size_t bytes) {
  return ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
}

// Picks a uid no process runs as, so its user_struct (which carries the
// per-user pipe page count, user->pipe_bufs) starts from zero.
uid_t UnusedUid() {
  std::set<uid_t> used;
  for (pid_t pid : ListPids()) {
    const std::optional<std::string> status =
        ReadFileIfPresent("/proc/" + std::to_string(pid) + "/status");
    if (!status) continue;
    const size_t at = status->find("\nUid:");
    if (at == std::string::npos) continue;
    const size_t end = status->find('\n', at + 1);
    std::istringstream fields(status->substr(at + 5, end - (at + 5)));
    uid_t uid;
    for (int i = 0; i < 4 && fields >> uid; ++i) used.insert(uid);
  }
  uid_t candidate = 1'500'000 + static_cast<uid_t>(::getpid() % 1'000'000);
  while (used.count(candidate) != 0) ++candidate;
  return candidate;
}

// =========================================================================
// Both kinds of pipe.
// =========================================================================

class PipeCapacityTest : public ::testing::TestWithParam<PipeLikeSpec> {
 protected:
  PipeLike MakeChannel() { return PipeLike::Make(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(PipeLike, PipeCapacityTest,
                         ::testing::ValuesIn(AllPipeKinds(false)),
                         PipeLikeParamName);

// F_GETPIPE_SZ is the number of bytes the pipe holds when filled with
// page-sized writes. fcntl(2) warns that "the number of bytes that can be
// written may be less than the nominal size, depending on the size of the
// writes": with 1000-byte writes pipe_write's merge branch adds a write to
// the last page only while "offset + chars <= PAGE_SIZE", so each page
// takes floor(page / 1000) writes and the pipe takes that many per page,
// no more, no less.
TEST_P(PipeCapacityTest, CapacityIsWhatPageSizedWritesCanFill) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.two-kinds",
        "pipe.beyond.capacity-counts-pages");
  constexpr size_t kSmallWrite = 1000;
  PipeLike channel = MakeChannel();
  const size_t capacity = channel.pipe().Capacity();
  const size_t page = PageSize();
  ipc::SetNonBlocking(channel.write_fd(), true);
  EXPECT_EQ(WriteUntilEagain(channel.write_fd(), page, 4 * PipeMaxSize()).bytes,
            capacity);

  PipeLike fresh = MakeChannel();
  ipc::SetNonBlocking(fresh.write_fd(), true);
  const size_t with_small_writes =
      WriteUntilEagain(fresh.write_fd(), kSmallWrite, 4 * PipeMaxSize()).bytes;
  EXPECT_EQ(with_small_writes,
            (capacity / page) * (page / kSmallWrite) * kSmallWrite);
  RecordMeasurement("capacity_bytes", capacity);
  RecordMeasurement("bytes_accepted_in_1000_byte_writes", with_small_writes);
}

// fcntl(2) F_SETPIPE_SZ: "An unprivileged process can adjust the pipe
// capacity to any value between the system page size and the limit defined
// in /proc/sys/fs/pipe-max-size". The grown pipe really holds that much.
TEST_P(PipeCapacityTest, CapacityCanBeRaisedToPipeMaxSize) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.beyond.set-pipe-size");
  PipeLike channel = MakeChannel();
  const size_t max_size = PipeMaxSize();
  RecordMeasurement("pipe_max_size_bytes", max_size);
  ASSERT_THAT(SetPipeSize(channel.write_fd(), max_size),
              SyscallSucceedsWithValue(static_cast<int>(max_size)));
  EXPECT_EQ(channel.pipe().Capacity(), max_size);
  ipc::SetNonBlocking(channel.write_fd(), true);
  EXPECT_EQ(
      WriteUntilEagain(channel.write_fd(), 16 * PageSize(), 4 * max_size).bytes,
      max_size);
}

// fcntl(2): "Attempts by an unprivileged process to set the pipe capacity
// above the limit in /proc/sys/fs/pipe-max-size yield the error EPERM; a
// privileged process (CAP_SYS_RESOURCE) can override the limit."
// (pipe_set_size: "nr_slots > pipe->max_usage && size > pipe_max_size &&
// !capable(CAP_SYS_RESOURCE)" → -EPERM.) A child that drops CAP_SYS_RESOURCE
// from its effective set is refused; this process gets what the rule gives
// for what it holds (decided by trying: HoldsSysResourceCapability).
TEST_P(PipeCapacityTest, CapacityAbovePipeMaxSizeNeedsCapSysResource) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.beyond.set-pipe-size");
  PipeLike channel = MakeChannel();
  const size_t max_size = PipeMaxSize();
  if (max_size >= static_cast<size_t>(INT_MAX / 2)) {
    SKIP_UNVERIFIED("pipe-max-size " + std::to_string(max_size) +
                    " leaves no larger size an int can ask for");
  }
  const size_t before = channel.pipe().Capacity();
  const size_t too_big = max_size + 1;
  ChildProcess child = ChildProcess::Fork([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0) return 10;
    data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &=
        ~CAP_TO_MASK(CAP_SYS_RESOURCE);
    if (::syscall(SYS_capset, &header, data) != 0) return 11;
    if (SetPipeSize(channel.write_fd(), too_big) != -1) return 12;
    return errno == EPERM ? 0 : 13;
  });
  const std::optional<ipc::WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status))
      << "12: the size was accepted; 13: it failed with another errno";
  EXPECT_EQ(channel.pipe().Capacity(), before);

  const bool privileged = HoldsSysResourceCapability();
  RecordMeasurement("holds_cap_sys_resource", privileged ? 1 : 0);
  if (privileged) {
    EXPECT_THAT(SetPipeSize(channel.write_fd(), too_big),
                SyscallSucceedsWithValue(
                    static_cast<int>(PowerOfTwoPagesAtLeast(too_big))));
  } else {
    EXPECT_THAT(SetPipeSize(channel.write_fd(), too_big),
                SyscallFailsWithErrno(EPERM));
    EXPECT_EQ(channel.pipe().Capacity(), before);
  }
}

// fcntl(2): "Attempting to set the pipe capacity smaller than the amount of
// buffer space currently used to store data produces the error EBUSY."
// (pipe_resize_ring: "if (nr_slots < n) return -EBUSY", n the occupied
// slots.) Shrinking to a size that still holds the data works and keeps it
// in order (the ring is copied with "h > t": one memcpy).
TEST_P(PipeCapacityTest, ShrinkingBelowUnreadDataFailsEbusy) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.beyond.set-pipe-size");
  PipeLike channel = MakeChannel();
  const size_t page = PageSize();
  const std::vector<char> data = Pattern(3 * page, 3);
  channel.pipe().WriteAll(std::as_bytes(std::span(data)));
  EXPECT_THAT(SetPipeSize(channel.read_fd(), page),
              SyscallFailsWithErrno(EBUSY));
  EXPECT_THAT(SetPipeSize(channel.read_fd(), 2 * page),
              SyscallFailsWithErrno(EBUSY));
  EXPECT_EQ(channel.pipe().BytesUnread(), data.size());
  EXPECT_THAT(SetPipeSize(channel.read_fd(), 4 * page),
              SyscallSucceedsWithValue(static_cast<int>(4 * page)));
  std::vector<char> got(data.size());
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(got))));
  EXPECT_EQ(got, data);
}

// gVisor PipeTest.SizeChange, LTP pipe2_03 and pipe2_04: F_SETPIPE_SZ(0)
// gives one page (round_pipe_size: "if (size < PAGE_SIZE) return
// PAGE_SIZE"), set through one end and seen through the other; the size can
// be set from either end and grows to the next power-of-two pages. The
// one-page pipe then holds one page: a non-blocking write of more fails
// EAGAIN, and a blocking one waits.
TEST_P(PipeCapacityTest, SizeZeroMeansOnePageAndEitherEndSetsIt) {
  CLAIM("pipe.beyond.set-pipe-size");
  PipeLike channel = MakeChannel();
  const size_t page = PageSize();
  ASSERT_THAT(SetPipeSize(channel.read_fd(), 0),
              SyscallSucceedsWithValue(static_cast<int>(page)));
  EXPECT_THAT(::fcntl(channel.write_fd(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(static_cast<int>(page)));

  const std::vector<char> bytes(page, 'o');
  ASSERT_TRUE(FillWithoutWaiting(channel.write_fd(), bytes.data(), page));
  ipc::SetNonBlocking(channel.write_fd(), true);
  EXPECT_THAT(::write(channel.write_fd(), bytes.data(), page),
              SyscallFailsWithErrno(EAGAIN));
  ipc::SetNonBlocking(channel.write_fd(), false);
  ChildProcess writer = ChildProcess::Fork(
      [&] { return ::write(channel.write_fd(), "w", 1) == 1 ? 0 : 10; });
  EXPECT_TRUE(WaitUntilBlockedIn(writer.pid(), SYS_write));
  writer.Kill();
  std::vector<char> drained(page);
  ASSERT_TRUE(ReadExactWithin(channel.read_fd(),
                              std::as_writable_bytes(std::span(drained))));

  EXPECT_THAT(SetPipeSize(channel.write_fd(), page + 1),
              SyscallSucceedsWithValue(static_cast<int>(2 * page)));
  EXPECT_THAT(SetPipeSize(channel.read_fd(), 2 * page + 1),
              SyscallSucceedsWithValue(static_cast<int>(4 * page)));
  EXPECT_EQ(channel.pipe().Capacity(), 4 * page);
}

// LTP fcntl37 and gVisor PipeTest.SizeChangeMax: round_pipe_size returns 0
// for "size > (1U << 31)" and pipe_set_size turns that into EINVAL, whatever
// the caller holds: 2^31 + 1, 0xffffffff (fcntl(2) takes the size as an
// unsigned int, so an int -1 is that) and a 64-bit 0x7fffffffffffffff
// (whose low 32 bits are 0xffffffff). 2^31 itself passes the rounding and
// meets the pipe-max-size check instead: EPERM without CAP_SYS_RESOURCE.
// The capacity never changes.
TEST_P(PipeCapacityTest, SizesAboveTwoToThe31FailEinval) {
  CLAIM("pipe.beyond.set-pipe-size");
  PipeLike channel = MakeChannel();
  const size_t before = channel.pipe().Capacity();
  EXPECT_THAT(::fcntl(channel.write_fd(), F_SETPIPE_SZ, (1U << 31) + 1),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::fcntl(channel.write_fd(), F_SETPIPE_SZ, 0xffffffffU),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::syscall(SYS_fcntl, channel.read_fd(), F_SETPIPE_SZ,
                        0x7fffffffffffffffL),
              SyscallFailsWithErrno(EINVAL));
  // With CAP_SYS_RESOURCE 2^31 would be allocated (2^19 slots): not tried.
  if (!HoldsSysResourceCapability()) {
    EXPECT_THAT(::fcntl(channel.write_fd(), F_SETPIPE_SZ, 1U << 31),
                SyscallFailsWithErrno(EPERM));
  }
  EXPECT_EQ(channel.pipe().Capacity(), before);
}

// =========================================================================
// Anonymous pipes.
// =========================================================================

// fcntl(2): "the allocation is the next higher power-of-two page-size
// multiple of the requested size"; "Attempts to set the pipe capacity below
// the page size are silently rounded up to the page size" (LTP fcntl30:
// doubling works).
TEST(AnonymousPipeCapacityTest, SetCapacityRoundsUpToPowerOfTwoPages) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.beyond.set-pipe-size");
  const size_t page = PageSize();
  const size_t max_size = PipeMaxSize();
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  for (size_t request :
       {size_t{1}, page - 1, page, page + 1, 3 * page, 5 * page - 1, 9 * page,
        17 * page, 2 * pipe.Capacity()}) {
    const size_t expected = PowerOfTwoPagesAtLeast(request);
    if (expected > max_size) continue;
    EXPECT_THAT(SetPipeSize(pipe.write_fd(), request),
                SyscallSucceedsWithValue(static_cast<int>(expected)))
        << "asked for " << request << " bytes";
    EXPECT_EQ(pipe.Capacity(), expected);
  }
}

// EBUSY counts pages, not bytes: three one-byte packets (O_DIRECT: each
// write its own slot) are three bytes but three occupied slots, so
// pipe_resize_ring refuses two pages ("nr_slots < n") and accepts four.
TEST(AnonymousPipeCapacityTest, EbusyCountsOccupiedPagesNotBytes) {
  CLAIM("pipe.beyond.set-pipe-size", "pipe.beyond.capacity-counts-pages");
  const size_t page = PageSize();
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_CLOEXEC);
  for (const char* packet : {"a", "b", "c"}) pipe.WriteAll(packet);
  ASSERT_EQ(pipe.BytesUnread(), 3u);
  EXPECT_THAT(SetPipeSize(pipe.write_fd(), 2 * page),
              SyscallFailsWithErrno(EBUSY))
      << "three bytes in three pages fit two pages' worth of bytes";
  EXPECT_THAT(SetPipeSize(pipe.write_fd(), 4 * page),
              SyscallSucceedsWithValue(static_cast<int>(4 * page)));
  for (const char expected : {'a', 'b', 'c'}) {
    EXPECT_EQ(ReadReady(pipe.read_fd(), 8), std::string(1, expected));
  }
}

// pipe_resize_ring copies a ring that wraps around ("h > t" false) in two
// pieces to the start of the new one. Growing a full four-page ring whose
// head has wrapped past its start (two pages read, two written), and
// shrinking to two pages a four-page ring that wraps with two pages in it
// (three read, one written), must both keep every byte in order.
TEST(AnonymousPipeCapacityTest, ResizingAWrappedRingKeepsTheDataInOrder) {
  CLAIM("pipe.beyond.set-pipe-size");
  const size_t page = PageSize();
  struct Case {
    const char* name;
    size_t pages_read;     // from a full four-page ring
    size_t pages_written;  // then, wrapping round to its start
    size_t resize_to_pages;
  };
  for (const Case& c : {Case{"grow", 2, 2, 8}, Case{"shrink", 3, 1, 2}}) {
    SCOPED_TRACE(c.name);
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
    ASSERT_THAT(SetPipeSize(pipe.write_fd(), 4 * page),
                SyscallSucceedsWithValue(static_cast<int>(4 * page)));
    const std::vector<char> data = Pattern((4 + c.pages_written) * page, 9);
    const size_t first = c.pages_read * page;
    const size_t again = c.pages_written * page;
    ASSERT_THAT(::write(pipe.write_fd(), data.data(), 4 * page),
                SyscallSucceedsWithValue(4 * page));
    std::vector<char> discard(first);
    ASSERT_THAT(::read(pipe.read_fd(), discard.data(), first),
                SyscallSucceedsWithValue(first));
    ASSERT_THAT(::write(pipe.write_fd(), data.data() + 4 * page, again),
                SyscallSucceedsWithValue(again));
    const size_t unread = pipe.BytesUnread();
    ASSERT_THAT(
        SetPipeSize(pipe.write_fd(), c.resize_to_pages * page),
        SyscallSucceedsWithValue(static_cast<int>(c.resize_to_pages * page)));
    std::vector<char> got(unread);
    ASSERT_TRUE(ReadExactWithin(pipe.read_fd(),
                                std::as_writable_bytes(std::span(got))));
    EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin() + first))
        << "the ring's two pieces came back in the wrong order";
    EXPECT_EQ(pipe.BytesUnread(), 0u);
  }
}

// pipe_fcntl: F_GETPIPE_SZ and F_SETPIPE_SZ on anything but a pipe fail
// EBADF (get_pipe_info finds no pipe): a regular file, a socket.
TEST(AnonymousPipeCapacityTest, SizeCommandsOnANonPipeFailEbadf) {
  CLAIM("pipe.beyond.set-pipe-size");
  const std::string path = UniqueTempPath("regular");
  const ipc::UniqueFd file(
      ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_THAT(file.get(), SyscallSucceeds());
  const ScopedUnlink unlink_file(path);
  int sockets[2];
  ASSERT_THAT(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets),
              SyscallSucceeds());
  const ipc::UniqueFd one(sockets[0]), two(sockets[1]);
  for (const int fd : {file.get(), one.get()}) {
    EXPECT_THAT(::fcntl(fd, F_GETPIPE_SZ), SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(SetPipeSize(fd, PageSize()), SyscallFailsWithErrno(EBADF));
  }
}

// pipe(7): "Since Linux 2.6.35, the default pipe capacity is 16 pages";
// alloc_pipe_info caps it at pipe-max-size unless the creator holds
// CAP_SYS_RESOURCE, and shrinks it once its owner's pipes pass
// pipe-user-pages-soft. A fresh owner is under the soft limit, so a child
// that becomes a uid no process runs as (its user_struct's pipe count
// starts at zero, and the uid change drops every capability) must get
// exactly DefaultCapacityFor(false). Where no uid can be taken, this
// process's own new pipe is held to the rule for what it holds; a smaller
// pipe that cannot be grown back is its owner over the soft limit, which
// this test then cannot tell apart from a wrong default, and says so.
TEST(AnonymousPipeCapacityTest,
     DefaultCapacityIsSixteenPagesUnderTheSoftLimit) {
  CLAIM("pipe.anon.kernel-buffer");
  const size_t page = PageSize();
  const int64_t soft = ReadSysctl("fs/pipe-user-pages-soft");
  RecordMeasurement("page_size", page);
  RecordMeasurement("pipe_max_size", PipeMaxSize());
  RecordMeasurement("pipe_user_pages_soft", soft);
  RecordMeasurement("pipe_user_pages_hard",
                    ReadSysctl("fs/pipe-user-pages-hard"));
  const size_t expected = DefaultCapacityFor(false);
  if (soft != 0 && static_cast<size_t>(soft) < expected / page) {
    SKIP_UNVERIFIED("pipe-user-pages-soft " + std::to_string(soft) +
                    " is below one default pipe: even a fresh owner's "
                    "first pipe is over it");
  }
  const uid_t uid = UnusedUid();
  struct Report {
    int drop = 0;
    int capacity = 0;
    int error = 0;
  };
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    Report r;
    r.drop = DropToUid(uid, uid);
    if (r.drop == 0) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) {
        r.error = errno;
      } else {
        r.capacity = ::fcntl(fds[0], F_GETPIPE_SZ);
      }
    }
    return WriteReport(report.write_fd(), r) ? 0 : 10;
  });
  report.CloseWriteEnd();
  Report r;
  ASSERT_TRUE(ReadReport(report.read_fd(), r));
  ASSERT_TRUE(ExitsWithZeroWithin(child));

  if (r.drop == 0) {
    ASSERT_EQ(r.error, 0) << "pipe2 as a fresh user: " << ErrnoName(r.error);
    RecordMeasurement("fresh_owner_default_capacity_bytes", r.capacity);
    RecordMeasurement("fresh_owner_default_capacity_pages",
                      static_cast<size_t>(r.capacity) / page);
    EXPECT_EQ(static_cast<size_t>(r.capacity), expected);
    return;
  }
  // No fresh uid: this process's own pipe, by the rule for what it holds.
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t own_expected = DefaultCapacityFor(HoldsSysResourceCapability());
  const size_t capacity = pipe.Capacity();
  RecordMeasurement("default_capacity_bytes", capacity);
  RecordMeasurement("default_capacity_pages", capacity / page);
  if (capacity == own_expected) return;
  ASSERT_LT(capacity, own_expected) << "a new pipe above the default";
  ASSERT_THAT(SetPipeSize(pipe.write_fd(), own_expected),
              SyscallFailsWithErrno(EPERM))
      << "a " << capacity << "-byte new pipe that may grow: its owner is not "
      << "over pipe-user-pages-soft";
  SKIP_UNVERIFIED(
      "this uid's new pipe holds " + std::to_string(capacity) +
      " bytes and may not grow (its pipes are over pipe-user-pages-soft), "
      "and no fresh uid could be taken: " +
      DescribeDropFailure(r.drop, uid, uid));
}

// pipe(7), pipe-user-pages-soft: "So long as the total number of pages
// allocated to pipe buffers for this user is at this limit, individual pipes
// created by a user will be limited to one page, and attempts to increase a
// pipe's capacity will be denied." A child becomes a fresh unprivileged user
// and creates pipes until one comes out smaller (alloc_pipe_info:
// too_many_pipe_buffers_soft → PIPE_MIN_DEF_BUFFERS pages; the man page's
// "one page" predates Linux 5.16's two). On that shrunk pipe:
//  - growing is refused, EPERM (pipe_set_size's soft-limit check);
//  - LTP pipe15 (Linux commit 46c4c9d1beb7, the two-page minimum): filling
//    it, reading all but one byte and writing one more does not block (a
//    one-page pipe would keep its only slot for the byte left: EAGAIN);
//  - shrinking is allowed ("Decreasing the pipe capacity is always
//    permitted, even if the user is currently over a limit").
TEST(AnonymousPipeCapacityTest, NewPipesShrinkOnceTheOwnerPassesTheSoftLimit) {
  CLAIM("pipe.anon.kernel-buffer", "pipe.beyond.set-pipe-size");
  const int64_t soft = ReadSysctl("fs/pipe-user-pages-soft");
  const int64_t hard = ReadSysctl("fs/pipe-user-pages-hard");
  RecordMeasurement("pipe_user_pages_soft", soft);
  RecordMeasurement("pipe_user_pages_hard", hard);
  if (soft == 0) {
    SKIP_UNVERIFIED("pipe-user-pages-soft is 0: no soft limit to pass");
  }
  const size_t page = PageSize();
  const size_t default_capacity = DefaultCapacityFor(false);
  const int64_t default_pages = static_cast<int64_t>(default_capacity / page);
  if (hard != 0 && hard < soft + 2 * default_pages) {
    SKIP_UNVERIFIED("pipe-user-pages-hard " + std::to_string(hard) +
                    " would refuse new pipes before the soft limit shows");
  }
  // The k-th pipe brings a fresh user's total to k * default_pages; the
  // kernel shrinks the first one that takes the total past the soft limit.
  const int64_t pipes_at_default = soft / default_pages;
  const int64_t max_pipes = pipes_at_default + 2;
  const rlim_t fds_needed = static_cast<rlim_t>(2 * max_pipes + 64);
  rlimit limit{};
  ASSERT_THAT(::getrlimit(RLIMIT_NOFILE, &limit), SyscallSucceeds());
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < fds_needed) {
    SKIP_UNVERIFIED("RLIMIT_NOFILE hard limit " +
                    std::to_string(limit.rlim_max) + " < " +
                    std::to_string(fds_needed) +
                    " descriptors needed to pass the soft limit");
  }
  const uid_t uid = UnusedUid();

  struct Report {
    int stage = 0;  // 0 ok; 1 setrlimit, 2 DropToUid, 3 pipe2 failed
    int error = 0;
    int first_capacity = 0;
    int64_t shrunk_index = 0;  // 1-based; 0 if none shrank
    int shrunk_capacity = 0;
    int grow_result = 0;
    int grow_errno = 0;
    ssize_t fill = 0;      // pipe15: write the whole shrunk pipe
    ssize_t drain = 0;     //         read all but one byte
    ssize_t one_more = 0;  //         write one byte
    int one_more_errno = 0;
    int shrink_result = 0;  // F_SETPIPE_SZ(one page) once it is empty
    int shrink_errno = 0;
    int64_t created = 0;
  };
  std::vector<char> buffer(default_capacity, 's');
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    Report r;
    const rlimit raised{std::max(limit.rlim_cur, fds_needed), limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      r.stage = 1;
      r.error = errno;
    } else if (const int drop = DropToUid(uid, uid); drop != 0) {
      r.stage = 2;
      r.error = drop;
    } else {
      for (int64_t k = 1; k <= max_pipes; ++k) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
          r.stage = 3;
          r.error = errno;
          break;
        }
        r.created = k;
        const int capacity = ::fcntl(fds[0], F_GETPIPE_SZ);
        if (k == 1) r.first_capacity = capacity;
        if (capacity >= r.first_capacity) continue;
        r.shrunk_index = k;
        r.shrunk_capacity = capacity;
        r.grow_result = ::fcntl(fds[0], F_SETPIPE_SZ, r.first_capacity);
        r.grow_errno = errno;
        const int flags = ::fcntl(fds[1], F_GETFL);
        ::fcntl(fds[1], F_SETFL, flags | O_NONBLOCK);
        ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
        const size_t size = std::min<size_t>(capacity, buffer.size());
        r.fill = ::write(fds[1], buffer.data(), size);
        r.drain = ::read(fds[0], buffer.data(), size - 1);
        r.one_more = ::write(fds[1], "1", 1);
        r.one_more_errno = errno;
        char rest[2];
        (void)!::read(fds[0], rest, sizeof rest);  // empty it
        r.shrink_result = ::fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(page));
        r.shrink_errno = errno;
        break;
      }
    }
    return WriteReport(report.write_fd(), r) ? 0 : 10;
  });
  report.CloseWriteEnd();
  Report r;
  ASSERT_TRUE(ReadReport(report.read_fd(), r));
  const std::optional<ipc::WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
  if (r.stage == 1) {
    SKIP_UNVERIFIED("setrlimit(RLIMIT_NOFILE) failed: " + ErrnoName(r.error));
  }
  if (r.stage == 2) SKIP_UNVERIFIED(DescribeDropFailure(r.error, uid, uid));
  ASSERT_EQ(r.stage, 0) << "pipe2 failed after " << r.created
                        << " pipes: " << ErrnoName(r.error);
  RecordMeasurement("pipes_created", r.created);
  RecordMeasurement("first_pipe_capacity_bytes", r.first_capacity);
  EXPECT_EQ(static_cast<size_t>(r.first_capacity), default_capacity)
      << "a fresh user's first pipe is not the default size";
  ASSERT_NE(r.shrunk_index, 0) << "no pipe shrank after " << r.created;
  EXPECT_EQ(r.shrunk_index, pipes_at_default + 1);
  RecordMeasurement("shrunk_capacity_bytes", r.shrunk_capacity);
  RecordMeasurement("shrunk_capacity_pages",
                    static_cast<size_t>(r.shrunk_capacity) / page);
  EXPECT_GE(static_cast<size_t>(r.shrunk_capacity), page);
  EXPECT_LT(r.shrunk_capacity, r.first_capacity);
  EXPECT_EQ(r.grow_result, -1);
  EXPECT_EQ(r.grow_errno, EPERM) << ErrnoName(r.grow_errno);
  EXPECT_EQ(r.fill, r.shrunk_capacity);
  EXPECT_EQ(r.drain, r.shrunk_capacity - 1);
  EXPECT_EQ(r.one_more, 1) << "with one byte left in a full soft-limited "
                           << "pipe, a write found no slot: "
                           << ErrnoName(r.one_more_errno);
  EXPECT_EQ(static_cast<size_t>(r.shrink_result), page)
      << "shrinking over the soft limit: " << ErrnoName(r.shrink_errno);
}

}  // namespace
}  // namespace ipcproof

// splice(2), tee(2) and vmsplice(2) on pipes (pipe.beyond.splice-tee): data
// moved between pipes, files, sockets and user memory without a read/write
// pair, how each call waits or refuses, and the rule that makes them safe:
// a page a pipe shares with a file, another pipe or user memory is never
// written into by a later write(2).
//
// Kernel branches are named as in Linux 6.12 fs/splice.c (do_splice,
// splice_pipe_to_pipe, ipipe_prep / opipe_prep, link_pipe for tee,
// wait_for_space and vmsplice_to_pipe / vmsplice_to_user) and fs/pipe.c
// (pipe_write's merge branch).
//
// Every wait has a deadline; a call that must block is proven blocked from
// /proc and then released, never slept on.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
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
#include "conformance/kit/signals.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "conformance/pipe/pipe_like.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;

// A regular file in the test's directory, removed on scope exit.
struct TempFile {
  explicit TempFile(int flags, const char* stem = "splice-file")
      : path(UniqueTempPath(stem)),
        fd(::open(path.c_str(), flags | O_CREAT | O_EXCL | O_CLOEXEC, 0600)),
        unlink(path) {
    if (!fd.valid()) ipc::ThrowErrno("open " + path);
  }
  std::string path;
  ipc::UniqueFd fd;
  ScopedUnlink unlink;
};

// `size` bytes of Pattern(size, seed) starting at a page boundary (mmap),
// for vmsplice, whose slots follow the pages of the memory it is given.
class PageAlignedBuffer {
 public:
  PageAlignedBuffer(size_t size, unsigned seed) : size_(size) {
    void* memory = ::mmap(nullptr, size_ + PageSize(), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) ipc::ThrowErrno("mmap");
    data_ = static_cast<char*>(memory);
    const std::vector<char> pattern = Pattern(size_, seed);
    std::memcpy(data_, pattern.data(), size_);
  }
  ~PageAlignedBuffer() { ::munmap(data_, size_ + PageSize()); }
  PageAlignedBuffer(const PageAlignedBuffer&) = delete;
  PageAlignedBuffer& operator=(const PageAlignedBuffer&) = delete;
  char* data() const { return data_; }

 private:
  size_t size_;
  char* data_ = nullptr;
};

std::string KernelRelease() {
  utsname name{};
  return ::uname(&name) == 0 ? name.release : "unknown";
}

// Moves every byte readable from `in` to `out` with splice(2), at most
// `chunk` per call, until `total` bytes moved or splice returns 0; each
// call waits (poll) for `in` to be readable first. Returns the bytes moved.
::testing::AssertionResult SpliceAll(int in, int out, size_t total,
                                     size_t chunk, size_t& moved) {
  moved = 0;
  for (size_t calls = 0; moved < total; ++calls) {
    if (calls > 4 * total) {
      return ::testing::AssertionFailure() << "splice made no progress";
    }
    if (PollWithin(in, POLLIN, kBlockedTimeout) <= 0) {
      return ::testing::AssertionFailure()
             << "nothing to splice within the deadline after " << moved;
    }
    const ssize_t n =
        ::splice(in, nullptr, out, nullptr, std::min(chunk, total - moved), 0);
    if (n < 0) {
      return ::testing::AssertionFailure()
             << "splice failed with " << ErrnoName(errno) << " after " << moved;
    }
    if (n == 0) break;
    moved += static_cast<size_t>(n);
  }
  return ::testing::AssertionSuccess();
}

// --- tee
// ----------------------------------------------------------------------

// tee(2): "tee() duplicates up to len bytes of data from the pipe referred
// to by the file descriptor fd_in to the pipe referred to by the file
// descriptor fd_out. It does not consume the data that is duplicated"
// (link_pipe takes a reference on each page instead of copying it). With
// SPLICE_F_NONBLOCK, an empty input fails EAGAIN (ipipe_prep) and so does a
// full output (opipe_prep); with no writer left, an empty input gives 0.
TEST(PipeTeeTest, TeeDuplicatesWithoutConsuming) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe copy = ipc::Pipe::Create(O_CLOEXEC);
  EXPECT_THAT(::tee(source.read_fd(), copy.write_fd(), 64, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "tee from an empty pipe";
  source.WriteAll("duplicated");
  ASSERT_THAT(::tee(source.read_fd(), copy.write_fd(), 64, 0),
              SyscallSucceedsWithValue(10));
  EXPECT_EQ(source.BytesUnread(), 10u) << "tee consumed its input";
  EXPECT_EQ(ReadReady(copy.read_fd(), 64), "duplicated");
  EXPECT_EQ(ReadReady(source.read_fd(), 64), "duplicated");

  source.WriteAll("x");
  const size_t capacity = copy.Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(copy.write_fd(), fill.data(), fill.size()));
  EXPECT_THAT(::tee(source.read_fd(), copy.write_fd(), 64, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "tee into a full pipe";
  ASSERT_EQ(ReadReady(source.read_fd(), 8), "x");
  std::vector<char> drained(capacity);
  ASSERT_TRUE(ReadExactWithin(copy.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  source.CloseWriteEnd();
  // SPLICE_F_NONBLOCK only so that a kernel that waited here would fail
  // EAGAIN instead of hanging: ipipe_prep sees !pipe->writers first.
  EXPECT_THAT(::tee(source.read_fd(), copy.write_fd(), 64, SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(0))
      << "tee from an empty pipe with no writer";
}

// LTP tee02: tee(2) needs two different pipes, else EINVAL (do_tee: "ipipe
// && opipe && ipipe != opipe"); an end opened the wrong way fails EBADF
// first; unknown flags fail EINVAL; a zero length returns 0.
TEST(PipeTeeTest, TeeRefusesWhatIsNotTwoDifferentPipes) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe other = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("abcdefghij");
  TempFile file(O_RDWR);
  EXPECT_THAT(::tee(file.fd.get(), other.write_fd(), 10, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::tee(pipe.read_fd(), file.fd.get(), 10, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::tee(pipe.read_fd(), pipe.write_fd(), 10, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::tee(pipe.write_fd(), other.write_fd(), 10, 0),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::tee(pipe.read_fd(), other.write_fd(), 10, ~0U),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::tee(pipe.read_fd(), other.write_fd(), 0, 0),
              SyscallSucceedsWithValue(0));
  EXPECT_EQ(pipe.BytesUnread(), 10u);
  EXPECT_EQ(other.BytesUnread(), 0u);
}

// --- splice between pipes -------------------------------------------------

// LTP splice04: splice(2) between two pipes moves the data (the source is
// left empty), a whole pipe's worth, in order.
TEST(PipeSpliceTest, SpliceMovesDataBetweenPipes) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe destination = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = source.Capacity();
  const std::vector<char> data = Pattern(capacity, 21);
  source.WriteAll(std::as_bytes(std::span(data)));
  size_t moved = 0;
  std::vector<char> got;
  for (int calls = 0; moved < data.size() && calls < 64; ++calls) {
    const ssize_t n =
        ::splice(source.read_fd(), nullptr, destination.write_fd(), nullptr,
                 data.size() - moved, 0);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    moved += static_cast<size_t>(n);
    std::vector<char> chunk(static_cast<size_t>(n));
    ASSERT_TRUE(ReadExactWithin(destination.read_fd(),
                                std::as_writable_bytes(std::span(chunk))));
    got.insert(got.end(), chunk.begin(), chunk.end());
  }
  EXPECT_EQ(got, data);
  EXPECT_EQ(source.BytesUnread(), 0u);
}

// A splice from an empty pipe waits for data (ipipe_prep sleeps in
// pipe_wait_readable while the pipe is empty and has writers), proven from
// /proc, and moves what the writer then writes. O_NONBLOCK on either pipe's
// file description makes it SPLICE_F_NONBLOCK ("(in->f_flags |
// out->f_flags) & O_NONBLOCK"): EAGAIN on an empty input or a full output.
// With no writer left, an empty input gives 0 (splice_pipe_to_pipe:
// "pipe_empty(i_head, i_tail) && !ipipe->writers" → break).
TEST(PipeSpliceTest, SpliceFromAnEmptyPipeWaitsAndHonoursNonblock) {
  CLAIM("pipe.beyond.splice-tee", "pipe.blocks");
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe destination = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess splicer = ChildProcess::Fork([&] {
    const ssize_t n = ::splice(source.read_fd(), nullptr,
                               destination.write_fd(), nullptr, 64, 0);
    return n == 4 ? 0 : 10;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(splicer.pid(), SYS_splice));
  source.WriteAll("wake");
  const std::optional<ipc::WaitStatus> status = ReapWithin(splicer);
  ASSERT_TRUE(status) << "data did not wake the splice";
  EXPECT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(ReadReady(destination.read_fd(), 8), "wake");

  ipc::SetNonBlocking(source.read_fd(), true);
  EXPECT_THAT(::splice(source.read_fd(), nullptr, destination.write_fd(),
                       nullptr, 64, 0),
              SyscallFailsWithErrno(EAGAIN))
      << "O_NONBLOCK on the input";
  ipc::SetNonBlocking(source.read_fd(), false);
  source.WriteAll("x");
  const size_t capacity = destination.Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(
      FillWithoutWaiting(destination.write_fd(), fill.data(), fill.size()));
  ipc::SetNonBlocking(destination.write_fd(), true);
  EXPECT_THAT(::splice(source.read_fd(), nullptr, destination.write_fd(),
                       nullptr, 64, 0),
              SyscallFailsWithErrno(EAGAIN))
      << "O_NONBLOCK on the output, which is full";
  ASSERT_EQ(ReadReady(source.read_fd(), 8), "x");
  // End of file needs room on the output too: splice_pipe_to_pipe runs
  // opipe_prep before it looks at the input's writers.
  std::vector<char> drained(capacity);
  ASSERT_TRUE(ReadExactWithin(destination.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  source.CloseWriteEnd();
  EXPECT_THAT(::splice(source.read_fd(), nullptr, destination.write_fd(),
                       nullptr, 64, 0),
              SyscallSucceedsWithValue(0))
      << "(the output is still O_NONBLOCK: a wait would fail EAGAIN)";
}

// LTP splice03 (and the pipe cases of splice07): do_splice's refusals. A
// bad descriptor, or an input not open for reading, fails EBADF ("!(in->f_mode
// & FMODE_READ) || !(out->f_mode & FMODE_WRITE)"); an offset given for a
// pipe fails ESPIPE; the same pipe on both sides ("Splicing to self would be
// fun, but..."), an O_APPEND output and two non-pipes fail EINVAL, and so
// do unknown flags.
TEST(PipeSpliceTest, SpliceRefusesBadArguments) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("abcdefghijklmnopqrstuvwxyz");
  TempFile readable(O_RDWR, "splice-in");
  ASSERT_TRUE(::write(readable.fd.get(), "0123456789", 10) == 10);
  const ipc::UniqueFd read_only(
      ::open(readable.path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(read_only.get(), SyscallSucceeds());
  TempFile write_only(O_WRONLY, "splice-out");
  TempFile append(O_RDWR | O_APPEND, "splice-append");
  loff_t offset = 0;
  struct Case {
    const char* name;
    int in;
    loff_t* off_in;
    int out;
    loff_t* off_out;
    unsigned flags;
    int error;
  };
  const Case cases[] = {
      {"bad input descriptor", -1, nullptr, pipe.write_fd(), nullptr, 0, EBADF},
      {"bad output descriptor", pipe.read_fd(), nullptr, -1, nullptr, 0, EBADF},
      {"input not open for reading", write_only.fd.get(), nullptr,
       pipe.write_fd(), nullptr, 0, EBADF},
      {"output is O_APPEND", pipe.read_fd(), nullptr, append.fd.get(), nullptr,
       0, EINVAL},
      {"neither is a pipe", read_only.get(), nullptr, write_only.fd.get(),
       nullptr, 0, EINVAL},
      {"offset for the input pipe", pipe.read_fd(), &offset,
       write_only.fd.get(), nullptr, 0, ESPIPE},
      {"offset for the output pipe", read_only.get(), nullptr, pipe.write_fd(),
       &offset, 0, ESPIPE},
      {"the same pipe both sides", pipe.read_fd(), nullptr, pipe.write_fd(),
       nullptr, 0, EINVAL},
      {"unknown flags", pipe.read_fd(), nullptr, write_only.fd.get(), nullptr,
       ~0U, EINVAL},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(::splice(c.in, c.off_in, c.out, c.off_out, 10, c.flags),
                SyscallFailsWithErrno(c.error))
        << c.name;
  }
  EXPECT_EQ(pipe.BytesUnread(), 26u) << "a refused splice moved data";
}

// LTP splice01 and splice02: a file through a pipe and back. A writer child
// pours 16 times the pipe's capacity into it; splice moves it into a file
// (splice_from_pipe), then from the file back into a pipe (splice_file_to_pipe,
// which waits for room with wait_for_space); every byte survives both trips.
TEST(PipeSpliceTest, SpliceCarriesAFileThroughAPipe) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = pipe.Capacity();
  const std::vector<char> data = Pattern(16 * capacity, 22);
  ChildProcess writer = ChildProcess::Fork([&] {
    ::close(pipe.read_fd());
    return ::write(pipe.write_fd(), data.data(), data.size()) ==
                   static_cast<ssize_t>(data.size())
               ? 0
               : 10;
  });
  pipe.CloseWriteEnd();
  TempFile file(O_RDWR);
  size_t moved = 0;
  ASSERT_TRUE(
      SpliceAll(pipe.read_fd(), file.fd.get(), data.size(), capacity, moved));
  EXPECT_EQ(moved, data.size());
  const std::optional<ipc::WaitStatus> status = ReapWithin(writer);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(static_cast<size_t>(StatFd(file.fd.get()).st_size), data.size());

  ipc::Pipe back = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<char> got(data.size());
  loff_t offset = 0;
  size_t done = 0;
  for (size_t calls = 0; done < data.size() && calls < data.size(); ++calls) {
    const ssize_t n =
        ::splice(file.fd.get(), &offset, back.write_fd(), nullptr, capacity, 0);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0) << "end of file after " << done;
    ASSERT_TRUE(ReadExactWithin(back.read_fd(),
                                std::as_writable_bytes(std::span(got))
                                    .subspan(done, static_cast<size_t>(n))));
    done += static_cast<size_t>(n);
  }
  EXPECT_EQ(static_cast<size_t>(offset), data.size());
  EXPECT_EQ(got, data);
}

// LTP splice05: pipe → socket → pipe. A pipe's pages go to a Unix stream
// socket (splice_to_socket) and come back into another pipe (the socket's
// splice_read), in order.
TEST(PipeSpliceTest, SpliceBetweenAPipeAndASocket) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe in = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe out = ipc::Pipe::Create(O_CLOEXEC);
  int sockets[2];
  ASSERT_THAT(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets),
              SyscallSucceeds());
  const ipc::UniqueFd near(sockets[0]), far(sockets[1]);
  const std::vector<char> data = Pattern(in.Capacity(), 23);
  in.WriteAll(std::as_bytes(std::span(data)));
  size_t moved = 0;
  ASSERT_TRUE(
      SpliceAll(in.read_fd(), near.get(), data.size(), data.size(), moved));
  ASSERT_EQ(moved, data.size());
  std::vector<char> got(data.size());
  size_t done = 0;
  for (size_t calls = 0; done < data.size() && calls < data.size(); ++calls) {
    ASSERT_GT(PollWithin(far.get(), POLLIN, kBlockedTimeout), 0)
        << "nothing to splice within the deadline after " << done;
    const ssize_t n = ::splice(far.get(), nullptr, out.write_fd(), nullptr,
                               data.size() - done, 0);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    ASSERT_TRUE(ReadExactWithin(out.read_fd(),
                                std::as_writable_bytes(std::span(got))
                                    .subspan(done, static_cast<size_t>(n))));
    done += static_cast<size_t>(n);
  }
  EXPECT_EQ(got, data);
}

// LTP splice08 and splice09: /dev/zero splices zeros into a pipe, and
// /dev/null and /dev/zero take a pipe's contents and drop them (their
// splice_read / splice_write, back since Linux 6.7).
TEST(PipeSpliceTest, DevZeroAndDevNullSpliceWithPipes) {
  CLAIM("pipe.beyond.splice-tee");
  const ipc::UniqueFd zero(::open("/dev/zero", O_RDWR | O_CLOEXEC));
  const ipc::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_THAT(zero.get(), SyscallSucceeds());
  ASSERT_THAT(null.get(), SyscallSucceeds());
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  constexpr size_t kBytes = 9 * 1009;  // LTP's largest case
  const ssize_t in =
      ::splice(zero.get(), nullptr, pipe.write_fd(), nullptr, kBytes, 0);
  if (in == -1 && errno == EINVAL) {
    SKIP_UNVERIFIED("splice from /dev/zero failed with EINVAL on kernel " +
                    KernelRelease() +
                    " (/dev/zero's splice_read came back in Linux 6.7)");
  }
  ASSERT_THAT(in, SyscallSucceedsWithValue(kBytes));
  std::vector<char> got(kBytes, 'x');
  ASSERT_TRUE(
      ReadExactWithin(pipe.read_fd(), std::as_writable_bytes(std::span(got))));
  EXPECT_EQ(std::count(got.begin(), got.end(), '\0'),
            static_cast<std::ptrdiff_t>(kBytes));

  for (const int device : {null.get(), zero.get()}) {
    const std::vector<char> junk(1024, '\xff');
    pipe.WriteAll(std::as_bytes(std::span(junk)));
    EXPECT_THAT(
        ::splice(pipe.read_fd(), nullptr, device, nullptr, junk.size(), 0),
        SyscallSucceedsWithValue(junk.size()));
    EXPECT_EQ(pipe.BytesUnread(), 0u);
  }
}

// LTP splice06, its read half (the write half would change host-wide
// sysctls): a /proc/sys file spliced into a pipe reads the same as read(2).
TEST(PipeSpliceTest, SpliceReadsAProcSysFile) {
  CLAIM("pipe.beyond.splice-tee");
  const ipc::UniqueFd file(
      ::open("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(file.get(), SyscallSucceeds());
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const ssize_t n =
      ::splice(file.get(), nullptr, pipe.write_fd(), nullptr, 99, 0);
  ASSERT_THAT(n, SyscallSucceeds());
  ASSERT_GT(n, 0);
  const std::string text = ReadReady(pipe.read_fd(), 128);
  EXPECT_EQ(std::stoll(text), ReadSysctl("fs/pipe-max-size")) << text;
}

// --- vmsplice -------------------------------------------------------------

// vmsplice(2) "maps ... user memory ... into a pipe": the bytes read back
// are the ones in the buffer, one slot per page of memory, and (LTP
// vmsplice01) 128 KiB, more than the pipe holds, fed as room appears and
// spliced on into a file, arrive whole.
TEST(PipeVmspliceTest, VmspliceFeedsUserMemoryIntoAPipe) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  static const char kText[] = "spliced from user memory";
  iovec iov{const_cast<char*>(kText), sizeof kText - 1};
  ASSERT_THAT(::vmsplice(pipe.write_fd(), &iov, 1, 0),
              SyscallSucceedsWithValue(sizeof kText - 1));
  EXPECT_EQ(ReadReady(pipe.read_fd(), 64), kText);

  // iter_to_pipe gives each page of user memory a slot of its own
  // ("buf.offset = start"): capacity bytes from memory starting 100 bytes
  // into a page touch one page more than the pipe has slots, and the call
  // stops 100 bytes short.
  const size_t capacity = pipe.Capacity();
  const PageAlignedBuffer aligned(capacity + PageSize(), 27);
  iovec unaligned{aligned.data() + 100, capacity};
  EXPECT_THAT(::vmsplice(pipe.write_fd(), &unaligned, 1, 0),
              SyscallSucceedsWithValue(capacity - 100));
  std::vector<char> drained(capacity - 100);
  ASSERT_TRUE(ReadExactWithin(pipe.read_fd(),
                              std::as_writable_bytes(std::span(drained))));
  EXPECT_TRUE(std::equal(drained.begin(), drained.end(), aligned.data() + 100));

  const std::vector<char> block = Pattern(128 * 1024, 24);
  TempFile file(O_RDWR);
  iovec rest{const_cast<char*>(block.data()), block.size()};
  loff_t offset = 0;
  for (size_t calls = 0; rest.iov_len > 0 && calls < block.size(); ++calls) {
    ASSERT_GT(PollWithin(pipe.write_fd(), POLLOUT, kBlockedTimeout), 0)
        << "no room to vmsplice into within the deadline";
    const ssize_t n = ::vmsplice(pipe.write_fd(), &rest, 1, 0);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    rest.iov_base = static_cast<char*>(rest.iov_base) + n;
    rest.iov_len -= static_cast<size_t>(n);
    size_t moved = 0;
    ASSERT_TRUE(SpliceAll(pipe.read_fd(), file.fd.get(), static_cast<size_t>(n),
                          static_cast<size_t>(n), moved));
    offset += static_cast<loff_t>(moved);
  }
  ASSERT_EQ(static_cast<size_t>(offset), block.size());
  std::vector<char> got(block.size());
  ASSERT_THAT(::pread(file.fd.get(), got.data(), got.size(), 0),
              SyscallSucceedsWithValue(got.size()));
  EXPECT_EQ(got, block);
}

// LTP vmsplice03: vmsplice(2) on a read end goes the other way
// (vmsplice_type picks ITER_DEST for an end open only for reading;
// vmsplice_to_user copies the pipe's bytes into the buffers).
TEST(PipeVmspliceTest, VmspliceFromTheReadEndCopiesIntoUserMemory) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const std::vector<char> data = Pattern(pipe.Capacity(), 25);
  pipe.WriteAll(std::as_bytes(std::span(data)));
  std::vector<char> got(data.size());
  iovec iov{got.data(), got.size()};
  ASSERT_THAT(::vmsplice(pipe.read_fd(), &iov, 1, 0),
              SyscallSucceedsWithValue(data.size()));
  EXPECT_EQ(got, data);
  EXPECT_EQ(pipe.BytesUnread(), 0u);
}

// LTP vmsplice04: into a full pipe, vmsplice(2) with SPLICE_F_NONBLOCK
// fails EAGAIN, and without it waits (wait_for_space → pipe_wait_writable),
// proven from /proc to be in vmsplice; reading a page makes room and it
// finishes. With no reader left it fails EPIPE (and raises SIGPIPE, ignored
// here).
TEST(PipeVmspliceTest, VmspliceIntoAFullPipeWaitsOrFailsEagain) {
  CLAIM("pipe.beyond.splice-tee", "pipe.blocks");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = pipe.Capacity();
  const size_t page = PageSize();
  // vmsplice takes a slot per page of memory it touches: fill it from
  // page-aligned memory so that capacity bytes take every slot.
  const PageAlignedBuffer fill(capacity, 26);
  iovec all{fill.data(), capacity};
  ASSERT_THAT(::vmsplice(pipe.write_fd(), &all, 1, 0),
              SyscallSucceedsWithValue(capacity));
  const PageAlignedBuffer more(page, 28);
  iovec one_page{more.data(), page};
  EXPECT_THAT(::vmsplice(pipe.write_fd(), &one_page, 1, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN));

  ChildProcess splicer = ChildProcess::Fork([&] {
    return ::vmsplice(pipe.write_fd(), &one_page, 1, 0) ==
                   static_cast<ssize_t>(page)
               ? 0
               : 10;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(splicer.pid(), SYS_vmsplice));
  EXPECT_EQ(pipe.BytesUnread(), capacity);
  std::vector<char> first(page);
  ASSERT_TRUE(ReadExactWithin(pipe.read_fd(),
                              std::as_writable_bytes(std::span(first))));
  EXPECT_TRUE(std::equal(first.begin(), first.end(), fill.data()));
  const std::optional<ipc::WaitStatus> status = ReapWithin(splicer);
  ASSERT_TRUE(status) << "a free page did not wake the vmsplice";
  EXPECT_TRUE(ExitedWithZero(*status));
  EXPECT_EQ(pipe.BytesUnread(), capacity);

  pipe.CloseReadEnd();
  const ScopedSignalIgnored ignore(SIGPIPE);
  EXPECT_THAT(::vmsplice(pipe.write_fd(), &one_page, 1, 0),
              SyscallFailsWithErrno(EPIPE));
}

// LTP vmsplice02: a bad descriptor fails EBADF, so does one that is no pipe
// (get_pipe_info finds none), more than IOV_MAX segments fail EINVAL
// (import_iovec), and so do unknown flags.
TEST(PipeVmspliceTest, VmspliceRefusesBadArguments) {
  CLAIM("pipe.beyond.splice-tee");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  TempFile file(O_WRONLY);
  char buffer[128] = {};
  std::vector<iovec> iovs(IOV_MAX + 1, iovec{buffer, 1});
  EXPECT_THAT(::vmsplice(-1, iovs.data(), 1, 0), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::vmsplice(file.fd.get(), iovs.data(), 1, 0),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::vmsplice(pipe.write_fd(), iovs.data(), iovs.size(), 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::vmsplice(pipe.write_fd(), iovs.data(), 1, ~0U),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(pipe.BytesUnread(), 0u);
}

// --- Shared pages are never written into ----------------------------------

// pipe_write merges a small write into the last page only if that buffer has
// PIPE_BUF_FLAG_CAN_MERGE, which only pipe_write's own pages get. A page
// spliced in from a file is the file's page cache, one vmspliced in is the
// caller's memory, and one tee'd in is shared with the other pipe
// (link_pipe clears CAN_MERGE on its copy): writing into any of them would
// change the file, the memory or the other pipe's data. That was Linux's
// "Dirty Pipe" (CVE-2022-0847, a stale CAN_MERGE on spliced pages, fixed in
// 5.16.11). So in a one-page pipe holding one such byte, a one-byte write
// finds no slot and fails EAGAIN, and the file, memory and other pipe are
// unchanged.
TEST(PipeSpliceTest, SharedPagesAreNeverMergedInto) {
  CLAIM("pipe.beyond.splice-tee", "pipe.beyond.capacity-counts-pages");
  const int one_page = static_cast<int>(PageSize());
  auto one_page_pipe = [&] {
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
    if (::fcntl(pipe.write_fd(), F_SETPIPE_SZ, one_page) != one_page) {
      ipc::ThrowErrno("fcntl(F_SETPIPE_SZ)");
    }
    return pipe;
  };

  {
    SCOPED_TRACE("a page spliced from a file");
    TempFile file(O_RDWR);
    ASSERT_EQ(::write(file.fd.get(), "file", 4), 4);
    ipc::Pipe pipe = one_page_pipe();
    loff_t offset = 0;
    ASSERT_THAT(
        ::splice(file.fd.get(), &offset, pipe.write_fd(), nullptr, 1, 0),
        SyscallSucceedsWithValue(1));
    EXPECT_THAT(::write(pipe.write_fd(), "X", 1),
                SyscallFailsWithErrno(EAGAIN));
    char content[8] = {};
    ASSERT_THAT(::pread(file.fd.get(), content, sizeof content, 0),
                SyscallSucceedsWithValue(4));
    EXPECT_EQ(std::string(content, 4), "file") << "the write reached the file";
    EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "f");
  }
  {
    SCOPED_TRACE("a page vmspliced from memory");
    static char memory[] = "user";
    iovec iov{memory, 1};
    ipc::Pipe pipe = one_page_pipe();
    ASSERT_THAT(::vmsplice(pipe.write_fd(), &iov, 1, 0),
                SyscallSucceedsWithValue(1));
    EXPECT_THAT(::write(pipe.write_fd(), "X", 1),
                SyscallFailsWithErrno(EAGAIN));
    EXPECT_EQ(std::string(memory), "user") << "the write reached the memory";
    EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "u");
  }
  {
    SCOPED_TRACE("a page tee'd from another pipe");
    ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
    source.WriteAll("s");
    ipc::Pipe pipe = one_page_pipe();
    ASSERT_THAT(::tee(source.read_fd(), pipe.write_fd(), 1, 0),
                SyscallSucceedsWithValue(1));
    EXPECT_THAT(::write(pipe.write_fd(), "X", 1),
                SyscallFailsWithErrno(EAGAIN));
    // The source's own page still merges its own writes.
    source.WriteAll("t");
    EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "s")
        << "the tee'd copy changed with the source's next write";
    EXPECT_EQ(ReadReady(source.read_fd(), 8), "st");
  }
}

// splice, tee and vmsplice into a pipe with no reader left fail EPIPE, like
// write(2) (opipe_prep and wait_for_space: send_sig(SIGPIPE) and -EPIPE),
// here with SIGPIPE ignored.
TEST(PipeSpliceTest, IntoAPipeWithNoReaderFailsEpipe) {
  CLAIM("pipe.beyond.splice-tee", "pipe.beyond.sigpipe");
  const ScopedSignalIgnored ignore(SIGPIPE);
  ipc::Pipe source = ipc::Pipe::Create(O_CLOEXEC);
  source.WriteAll("abc");
  ipc::Pipe sink = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = sink.Capacity();
  const std::vector<char> fill(capacity, 'f');
  ASSERT_TRUE(FillWithoutWaiting(sink.write_fd(), fill.data(), fill.size()));
  sink.CloseReadEnd();
  EXPECT_THAT(
      ::splice(source.read_fd(), nullptr, sink.write_fd(), nullptr, 3, 0),
      SyscallFailsWithErrno(EPIPE));
  EXPECT_THAT(::tee(source.read_fd(), sink.write_fd(), 3, 0),
              SyscallFailsWithErrno(EPIPE));
  char byte = 'v';
  iovec iov{&byte, 1};
  EXPECT_THAT(::vmsplice(sink.write_fd(), &iov, 1, 0),
              SyscallFailsWithErrno(EPIPE));
  EXPECT_EQ(source.BytesUnread(), 3u) << "a refused call consumed its input";
}

}  // namespace
}  // namespace ipcproof

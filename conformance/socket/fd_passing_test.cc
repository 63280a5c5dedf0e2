// Passing descriptors (SCM_RIGHTS) and credentials (SCM_CREDENTIALS,
// SO_PEERCRED) over Unix-domain sockets: unix(7), cmsg(3).
//
// Every test that says "the receiver" means another process: a forked child
// that did not inherit the object (it is created after the fork), or a
// program this binary execs (IPCPROOF_PROGRAM) that reaches the test only
// through a socket name. Children do only async-signal-safe work and report
// through their exit status (kit/child_exit.h).
#include "conformance/kit/fd_passing.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/files.h"
#include "conformance/runner/programs.h"
#include "conformance/socket/unix_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"
#include "ipc/unix_socket.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::UniqueFd;
using ::ipc::UnixAddress;
using ::ipc::UnixSocket;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// unix(7): "The kernel constant SCM_MAX_FD defines a limit on the number of
// file descriptors in the array. Attempting to send an array larger than
// this limit causes sendmsg(2) to fail with the error EINVAL. SCM_MAX_FD has
// the value 253." The kernel reports it nowhere, so the documented constant.
constexpr int kScmMaxFd = 253;

// How long a child or the test waits for data it was promised, at time
// scale 1; ArrivalTimeoutMs() is what a poll(2) is given.
constexpr std::chrono::milliseconds kArrivalTimeout{10000};
int ArrivalTimeoutMs() {
  return static_cast<int>(ScaledTimeout(kArrivalTimeout).count());
}

// In a child: waits (bounded) for `fd` to be readable. Async-signal-safe.
bool ChildPollIn(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ArrivalTimeoutMs()) == 1;
}

// In a child: reads exactly one byte, after polling. Async-signal-safe.
bool ChildReadByte(int fd, char* byte) {
  return ChildPollIn(fd) && ::read(fd, byte, 1) == 1;
}

UniqueFd OpenTempFile(const std::string& stem, const char* contents) {
  const std::string path = UniqueTempPath(stem);
  UniqueFd fd(
      ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return fd;
  ::unlink(path.c_str());  // the descriptor keeps the file; nothing is left
  const size_t n = std::strlen(contents);
  if (::write(fd.get(), contents, n) != static_cast<ssize_t>(n)) return {};
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

// Receives one message with room for `max_fds` descriptors, after polling
// for it; fails the test when nothing arrives in time.
Received ReceiveRights(UnixSocket& socket, size_t max_fds, size_t data = 64,
                       int flags = 0) {
  EXPECT_NE(PollFor(socket.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0)
      << "no message arrived within " << DescribeScaledTimeout(kArrivalTimeout);
  return ReceiveMessage(socket, data, max_fds, false, flags | MSG_DONTWAIT);
}

// --- The received descriptor is the sender's open file description --------

// unix(7): SCM_RIGHTS "...the effect is like dup(2)": the receiver's new
// descriptor refers to the same open file description, so the file offset
// is shared. The child did not inherit the file (it is opened after fork),
// moves the offset through what it received, and the test sees it move.
TEST(ScmRightsTest, ReceivedDescriptorSharesTheFileOffset) {
  CLAIM("sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const int child_end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([child_end] {
    const int fd = ReceiveFd(child_end);
    if (fd < 0) return 10;
    if (::lseek(fd, 7, SEEK_SET) != 7) return 11;
    return ::write(child_end, "k", 1) == 1 ? 0 : 12;
  });
  pair.second.Close();
  UniqueFd file = OpenTempFile("offset", "0123456789");
  ASSERT_TRUE(file) << std::strerror(errno);
  ASSERT_EQ(::lseek(file.get(), 0, SEEK_CUR), 0);
  ASSERT_TRUE(SendFd(pair.first.fd(), file.get())) << std::strerror(errno);
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  EXPECT_EQ(::lseek(file.get(), 0, SEEK_CUR), 7)
      << "the child's lseek on the received descriptor did not move ours";
  char byte;
  ASSERT_THAT(::read(file.get(), &byte, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(byte, '7');
}

// Status flags (O_NONBLOCK) live in the open file description (fcntl(2)):
// set through the received descriptor, they show through the sender's.
TEST(ScmRightsTest, StatusFlagsSetByTheReceiverShowInTheSender) {
  CLAIM("sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const int child_end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([child_end] {
    const int fd = ReceiveFd(child_end);
    if (fd < 0) return 10;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK) != 0) return 11;
    if (::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return 12;
    return 0;
  });
  pair.second.Close();
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_EQ(::fcntl(pipe.read_fd(), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_TRUE(SendFd(pair.first.fd(), pipe.read_fd())) << std::strerror(errno);
  ASSERT_TRUE(ExitsWithZeroWithin(child))
      << "11: O_NONBLOCK was already set; 12: F_SETFL failed";
  EXPECT_NE(::fcntl(pipe.read_fd(), F_GETFL) & O_NONBLOCK, 0);
  char byte;
  EXPECT_THAT(::read(pipe.read_fd(), &byte, 1), SyscallFailsWithErrno(EAGAIN))
      << "the empty pipe's read end should now be nonblocking";
}

// /proc/PID/fdinfo of the receiver names the same inode and shows the same
// offset as the sender's descriptor (proc(5): "pos", "ino").
TEST(ScmRightsTest, ReceiverFdinfoShowsTheSameInodeAndOffset) {
  CLAIM("sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const int child_end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([child_end] {
    const int fd = ReceiveFd(child_end);
    if (fd < 0) return 10;
    // Report the descriptor number, then stay until the test has looked.
    unsigned char number = static_cast<unsigned char>(fd);
    if (fd > 255 || ::write(child_end, &number, 1) != 1) return 11;
    char byte;
    return ChildReadByte(child_end, &byte) ? 0 : 12;
  });
  pair.second.Close();
  UniqueFd file = OpenTempFile("fdinfo", "abcdefgh");
  ASSERT_TRUE(file);
  ASSERT_EQ(::lseek(file.get(), 3, SEEK_SET), 3);
  ASSERT_TRUE(SendFd(pair.first.fd(), file.get()));
  ASSERT_NE(PollFor(pair.first.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  unsigned char number = 0;
  ASSERT_THAT(::read(pair.first.fd(), &number, 1), SyscallSucceedsWithValue(1));
  const std::string their_ino = FdInfoField(child.pid(), number, "ino");
  const std::string their_pos = FdInfoField(child.pid(), number, "pos");
  const std::string our_ino = FdInfoField(::getpid(), file.get(), "ino");
  ASSERT_FALSE(our_ino.empty()) << "this kernel's fdinfo has no ino field";
  EXPECT_EQ(their_ino, our_ino);
  EXPECT_EQ(their_pos, "3");
  EXPECT_EQ(std::to_string(StatFd(file.get()).st_ino), our_ino);
  ASSERT_THAT(::write(pair.first.fd(), "k", 1), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// FD_CLOEXEC is a descriptor flag, not a description flag: the received
// descriptor does not have it even when the sender's does, unless the
// receiver asks with MSG_CMSG_CLOEXEC (recvmsg(2)).
TEST(ScmRightsTest, CloseOnExecIsNotPassedButCanBeRequested) {
  CLAIM("sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_EQ(::fcntl(pipe.read_fd(), F_GETFD), FD_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.read_fd()}, "a"), 0);
  ASSERT_GT(SendWithRights(pair.first, {pipe.read_fd()}, "b"), 0);
  Received plain = ReceiveRights(pair.second, 1, 1);
  ASSERT_THAT(plain.fds, SizeIs(1));
  EXPECT_THAT(::fcntl(plain.fds[0], F_GETFD), SyscallSucceedsWithValue(0));
  Received cloexec = ReceiveRights(pair.second, 1, 1, MSG_CMSG_CLOEXEC);
  ASSERT_THAT(cloexec.fds, SizeIs(1));
  EXPECT_THAT(::fcntl(cloexec.fds[0], F_GETFD),
              SyscallSucceedsWithValue(FD_CLOEXEC));
  CloseAll(plain.fds);
  CloseAll(cloexec.fds);
}

// Several descriptors in one message arrive in the order sent, each a new
// number onto its own object.
TEST(ScmRightsTest, SeveralDescriptorsArriveInOrder) {
  CLAIM("sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  ipc::Pipe a = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe b = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe c = ipc::Pipe::Create(O_CLOEXEC);
  const std::vector<int> sent = {a.write_fd(), b.write_fd(), c.write_fd()};
  ASSERT_THAT(SendWithRights(pair.first, sent, "xyz"),
              SyscallSucceedsWithValue(3));
  Received r = ReceiveRights(pair.second, 3);
  ASSERT_THAT(r.fds, SizeIs(3));
  EXPECT_EQ(r.data, "xyz");
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(StatFd(r.fds[i]).st_ino, StatFd(sent[i]).st_ino) << "slot " << i;
    EXPECT_THAT(r.fds, ::testing::Not(::testing::Contains(sent[i])));
  }
  CloseAll(r.fds);
}

// --- A pipe end handed to a process that is no kin of the pipe -------------

// The program the test execs: connects to the abstract socket name argv[1],
// receives one descriptor, reads a message from it (the pipe's read end),
// and sends back what it read followed by the /proc/self/fd link of the
// descriptor. Bounded waits only; any failure is its exit code.
IPCPROOF_PROGRAM(scm_rights_pipe_reader) {
  if (argc != 2) return 2;
  // A fresh program after exec, not a forked child: the throwing forms are
  // fine here, caught into exit codes.
  UnixSocket socket;
  UnixAddress address;
  try {
    socket = UnixSocket::Create(SOCK_STREAM);
    address = UnixAddress::Abstract(argv[1]);
  } catch (const std::exception&) {
    return 3;
  }
  if (socket.TryConnect(address) != 0) return 5;
  const int s = socket.fd();
  if (!ChildPollIn(s)) return 6;
  const int fd = ReceiveFd(s);
  if (fd < 0) return 7;
  char message[64];
  if (!ChildPollIn(fd)) return 8;
  const ssize_t n = ::read(fd, message, sizeof message);
  if (n <= 0) return 9;
  char link[64] = {};
  char path[32];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const ssize_t l = ::readlink(path, link, sizeof link - 1);
  if (l <= 0) return 10;
  char reply[160];
  const int r =
      std::snprintf(reply, sizeof reply, "%.*s|%.*s", static_cast<int>(n),
                    message, static_cast<int>(l), link);
  return socket.TrySend(Bytes(std::string_view(reply, r))) == r ? 0 : 11;
}

// pipe(7) and the note say an anonymous pipe serves parent and child. Here
// the pipe is created after the reader was forked and exec'd (so it cannot
// have inherited it), and reaches it only through a socket name: the reader
// becomes a user of the pipe, /proc/READER/fd shows the same pipe inode,
// and the message written by the test arrives.
TEST(ScmRightsTest, PipeEndPassedToAnExecdProgramMakesItAPipeUser) {
  CLAIM("pipe.anon.parent-child-only", "sock.beyond.scm-rights-unrelated");
  const std::string name = UniqueAbstractName("pipe-handover");
  const UnixAddress address = UnixAddress::Abstract(name);
  UnixSocket listener = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(listener.TryBind(address), SyscallSucceeds());
  ASSERT_NO_THROW(listener.Listen(1));
  ChildProcess reader = ChildProcess::Fork([&] {
    ExecProgram("scm_rights_pipe_reader", {name.c_str()});
    return ExecFailureExit();
  });
  // Only now does the pipe exist: the reader holds no copy of it.
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const std::string pipe_link =
      ReadLinkOrEmpty(ProcFdPath(::getpid(), pipe.read_fd()));
  ASSERT_THAT(pipe_link, HasSubstr("pipe:["));
  ASSERT_NE(PollFor(listener.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0)
      << "the exec'd reader never connected";
  UnixSocket conn;
  ASSERT_NO_THROW(conn = listener.Accept());
  ASSERT_TRUE(conn.valid());
  // The reader is not a descendant of the pipe: it was forked before the
  // pipe existed, and its descriptors hold no pipe: link yet.
  for (const std::string& entry :
       ListDirectoryOrThrow("/proc/" + std::to_string(reader.pid()) + "/fd")) {
    EXPECT_NE(ReadLinkOrEmpty(ProcFdPath(reader.pid(), std::stoi(entry))),
              pipe_link);
  }
  ASSERT_TRUE(SendFd(conn.fd(), pipe.read_fd())) << std::strerror(errno);
  pipe.CloseReadEnd();  // from now on only the reader holds the read end
  ASSERT_THAT(::write(pipe.write_fd(), "through the pipe", 16),
              SyscallSucceedsWithValue(16));
  ASSERT_TRUE(ExitsWithZeroWithin(reader));
  ASSERT_NE(PollFor(conn.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  char reply[160];
  const ssize_t n = conn.TryReceive(Into(reply, sizeof reply), MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(reply, n), "through the pipe|" + pipe_link);
}

// --- Truncated control data --------------------------------------------------

// recvmsg(2): MSG_CTRUNC "indicates that some control data was discarded
// due to lack of space in the buffer"; unix(7): descriptors that do not fit
// are closed, not left open in the receiver. Three sent, room for one: one
// arrives, the flag is set, the descriptor count grows by one only, and the
// discarded write end of a pipe is really closed (its reader sees EOF once
// the test drops its own copy; a kernel that leaked it would keep the pipe
// open).
TEST(ScmRightsTest, TruncatedControlSetsCtruncAndClosesTheRest) {
  CLAIM("sock.beyond.scm-rights-ctrunc-closes");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe kept = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe dropped = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(
                pair.first,
                {kept.write_fd(), dropped.write_fd(), dropped.write_fd()}, "x"),
            0);
  dropped.CloseWriteEnd();
  const int before = CountOpenFds();
  ASSERT_NE(PollFor(pair.second.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  // Exactly CMSG_LEN(sizeof(int)): the header and one descriptor.
  Received r = ReceiveMessage(pair.second, 1, 1, false, MSG_DONTWAIT);
  ASSERT_EQ(r.result, 1) << std::strerror(r.error);
  EXPECT_NE(r.msg_flags & MSG_CTRUNC, 0);
  ASSERT_THAT(r.fds, SizeIs(1));
  EXPECT_EQ(StatFd(r.fds[0]).st_ino, StatFd(kept.write_fd()).st_ino);
  EXPECT_EQ(CountOpenFds(), before + 1);
  EXPECT_NE(PollFor(dropped.read_fd(), POLLIN, ArrivalTimeoutMs()) & POLLHUP, 0)
      << "the discarded write end is still open somewhere";
  char byte;
  EXPECT_THAT(::read(dropped.read_fd(), &byte, 1), SyscallSucceedsWithValue(0));
  CloseAll(r.fds);
}

// With no control buffer at all (msg_control NULL), or one with room for the
// header only, nothing arrives, MSG_CTRUNC is set, msg_controllen is 0, and
// no descriptor is added to the receiver.
TEST(ScmRightsTest, NoRoomForAnyDescriptorAddsNone) {
  CLAIM("sock.beyond.scm-rights-ctrunc-closes");
  for (const size_t room : {size_t{0}, CMSG_SPACE(0), CMSG_SPACE(0) + 1}) {
    SCOPED_TRACE("control buffer of " + std::to_string(room) + " bytes");
    auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
    ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "x"), 0);
    pipe.CloseWriteEnd();
    const int before = CountOpenFds();
    // Raw recvmsg: control buffer sizes the wrapper never builds.
    Received r = ReceiveWithControl(pair.second.fd(), 1, room, MSG_DONTWAIT);
    ASSERT_EQ(r.result, 1) << std::strerror(r.error);
    EXPECT_EQ(r.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
    EXPECT_EQ(r.controllen, 0u);
    EXPECT_EQ(CountOpenFds(), before);
    EXPECT_NE(PollFor(pipe.read_fd(), POLLIN, ArrivalTimeoutMs()) & POLLHUP, 0);
  }
}

// read(2) on a socket ignores control data: the data arrives, the
// descriptors in flight are closed (no new descriptor), and the stream
// goes on working.
TEST(ScmRightsTest, ReadIgnoresAndClosesPassedDescriptors) {
  CLAIM("sock.beyond.scm-rights-ctrunc-closes");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "abc"), 0);
  pipe.CloseWriteEnd();
  const int before = CountOpenFds();
  char data[3];
  ASSERT_NE(PollFor(pair.second.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  ASSERT_THAT(::read(pair.second.fd(), data, sizeof data),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(data, 3), "abc");
  EXPECT_EQ(CountOpenFds(), before);
  EXPECT_NE(PollFor(pipe.read_fd(), POLLIN, ArrivalTimeoutMs()) & POLLHUP, 0);
  ASSERT_THAT(::write(pair.first.fd(), "d", 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(::read(pair.second.fd(), data, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(data[0], 'd');
}

// --- Limits and bad arguments
// -------------------------------------------------

// SCM_MAX_FD descriptors in one message go through; one more fails EINVAL.
TEST(ScmRightsTest, MoreThanScmMaxFdFailsEinval) {
  CLAIM("sock.beyond.scm-rights-max-fd");
  auto pair = UnixSocket::Pair(SOCK_DGRAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const std::vector<int> at_limit(kScmMaxFd, pipe.write_fd());
  const std::vector<int> over_limit(kScmMaxFd + 1, pipe.write_fd());
  // Raw: ipc::UnixSocket refuses more than SCM_MAX_FD before the kernel.
  EXPECT_THAT(SendRawRights(pair.first.fd(), over_limit, "x"),
              SyscallFailsWithErrno(EINVAL));
  ASSERT_THAT(SendWithRights(pair.first, at_limit, "x"),
              SyscallSucceedsWithValue(1));
  Received r = ReceiveRights(pair.second, kScmMaxFd);
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  EXPECT_THAT(r.fds, SizeIs(kScmMaxFd));
  CloseAll(r.fds);
}

// A descriptor that is not open fails EBADF; a control message whose
// cmsg_len is shorter than its header fails EINVAL (cmsg(3)).
TEST(ScmRightsTest, BadDescriptorEbadfAndShortHeaderEinval) {
  CLAIM("sock.beyond.scm-rights-bad-arguments");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  EXPECT_THAT(SendWithRights(pair.first, {-1}, "x"),
              SyscallFailsWithErrno(EBADF));
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = 1;
  EXPECT_THAT(::sendmsg(pair.first.fd(), &msg, 0),
              SyscallFailsWithErrno(EINVAL));
  // Neither failed send queued anything.
  EXPECT_THAT(pair.second.TryReceive(Into(&byte, 1), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
}

// --- Control data and the byte stream ----------------------------------------

// On a stream socket, control data is tied to its bytes: a receive does not
// run past the end of a message that carried descriptors into the next one
// (two sends with rights need two receives, however large the buffer), and
// bytes written before a descriptor arrive without it.
TEST(ScmRightsTest, StreamReceiveStopsAtEachMessageWithRights) {
  CLAIM("sock.beyond.scm-rights-stream-boundary");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_THAT(::write(pair.first.fd(), "plain", 5),
              SyscallSucceedsWithValue(5));
  ASSERT_GT(SendWithRights(pair.first, {pipe.read_fd()}, "first"), 0);
  ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "second"), 0);
  Received plain = ReceiveMessage(pair.second, 5, 1, false, MSG_DONTWAIT);
  EXPECT_EQ(plain.data, "plain");
  EXPECT_TRUE(plain.fds.empty()) << "the descriptor came with earlier bytes";
  Received first = ReceiveRights(pair.second, 1, 64);
  Received second = ReceiveRights(pair.second, 1, 64);
  EXPECT_EQ(first.data, "first");
  EXPECT_EQ(second.data, "second");
  ASSERT_THAT(first.fds, SizeIs(1));
  ASSERT_THAT(second.fds, SizeIs(1));
  EXPECT_EQ(StatFd(first.fds[0]).st_ino, StatFd(pipe.read_fd()).st_ino);
  CloseAll(first.fds);
  CloseAll(second.fds);
}

// MSG_PEEK with room for descriptors installs them (a new descriptor each
// time), and the real receive that follows gets them again.
TEST(ScmRightsTest, PeekInstallsTheDescriptorAndLeavesIt) {
  CLAIM("sock.beyond.scm-rights-peek");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "p"), 0);
  Received peeked = ReceiveRights(pair.second, 1, 8, MSG_PEEK);
  Received taken = ReceiveRights(pair.second, 1, 8);
  ASSERT_THAT(peeked.fds, SizeIs(1));
  ASSERT_THAT(taken.fds, SizeIs(1));
  EXPECT_NE(peeked.fds[0], taken.fds[0]);
  EXPECT_EQ(StatFd(peeked.fds[0]).st_ino, StatFd(pipe.write_fd()).st_ino);
  EXPECT_EQ(StatFd(taken.fds[0]).st_ino, StatFd(pipe.write_fd()).st_ino);
  char byte;
  EXPECT_THAT(pair.second.TryReceive(Into(&byte, 1), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
  CloseAll(peeked.fds);
  CloseAll(taken.fds);
}

// --- Sockets in flight
// ---------------------------------------------------------

// A socket whose only descriptor is in flight (the sender closed its copy)
// stays alive: data its peer writes meanwhile is waiting on it when the
// receiver takes it.
TEST(ScmRightsTest, SocketInFlightKeepsItsQueuedData) {
  CLAIM("sock.beyond.scm-rights-in-flight");
  auto channel = UnixSocket::Pair(SOCK_STREAM);
  auto passenger = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_GT(SendWithRights(channel.first, {passenger.first.fd()}, "s"), 0);
  passenger.first.Close();
  ASSERT_THAT(::write(passenger.second.fd(), "queued", 6),
              SyscallSucceedsWithValue(6));
  Received r = ReceiveRights(channel.second, 1);
  ASSERT_THAT(r.fds, SizeIs(1));
  UniqueFd received(r.fds[0]);
  char data[6];
  ASSERT_NE(PollFor(received.get(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  ASSERT_THAT(::read(received.get(), data, sizeof data),
              SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(data, 6), "queued");
  // Its peer is still connected to it: the other direction works too.
  ASSERT_THAT(::write(received.get(), "back", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(::read(passenger.second.fd(), data, 4),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(data, 4), "back");
}

// A socket sent over itself (its descriptor in its own receive queue) and
// then closed is still reachable by the receiver; and one that nobody
// receives is collected when both ends close (the unix garbage collector):
// its peer sees end of file.
TEST(ScmRightsTest, SocketSentThroughItselfIsCollectedWhenUnreachable) {
  CLAIM("sock.beyond.scm-rights-in-flight");
  {
    auto pair = UnixSocket::Pair(SOCK_STREAM);
    ASSERT_GT(SendWithRights(pair.first, {pair.first.fd()}, "self"), 0);
    pair.first.Close();
    Received r = ReceiveRights(pair.second, 1);
    ASSERT_THAT(r.fds, SizeIs(1));
    UniqueFd self(r.fds[0]);
    ASSERT_THAT(::write(self.get(), "x", 1), SyscallSucceedsWithValue(1));
    char byte;
    ASSERT_THAT(::read(pair.second.fd(), &byte, 1),
                SyscallSucceedsWithValue(1));
  }
  // Socket B is sent into A's queue and A into B's; then both are closed,
  // so both are only in flight, unreachable. A third socket C, connected to
  // nothing of theirs, watches a pipe whose write end rides along in A's
  // queue: when the collector frees the cycle, that write end closes.
  auto ab = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe witness = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(
      SendWithRights(ab.first, {ab.first.fd(), witness.write_fd()}, "cycle"),
      0);
  ASSERT_GT(SendWithRights(ab.second, {ab.second.fd()}, "cycle"), 0);
  witness.CloseWriteEnd();
  ab.first.Close();
  ab.second.Close();
  // The collector runs on close of an in-flight socket (unix_gc); a second
  // socket closed here triggers a run should the first have been deferred.
  for (int i = 0; i < 2; ++i) {
    auto kick = UnixSocket::Pair(SOCK_STREAM);
    ASSERT_GT(SendWithRights(kick.first, {kick.first.fd()}, "k"), 0);
  }
  EXPECT_NE(PollFor(witness.read_fd(), POLLIN, ArrivalTimeoutMs()) & POLLHUP, 0)
      << "the unreachable cycle kept the pipe's write end open";
}

// --- Credentials
// -----------------------------------------------------------------

// unix(7) SO_PEERCRED: "the credentials of the peer process connected to
// this socket ... that were in effect at the time of the call to connect(2)
// or socketpair(2)". The accepting side sees the connecting child's pid,
// uid, gid; the child sees the listener's (this process).
TEST(CredentialsTest, SoPeerCredNamesTheConnectingProcess) {
  CLAIM("sock.beyond.peercred-true-identity");
  const std::string path = UniqueTempPath("peercred.sock");
  const UnixAddress address = UnixAddress::Filesystem(path);
  UnixSocket listener = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(listener.TryBind(address), SyscallSucceeds());
  ScopedUnlink unlink_node(path);
  ASSERT_NO_THROW(listener.Listen(1));
  const pid_t test_pid = ::getpid();
  ChildProcess child = ChildProcess::Fork([&] {
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || ::connect(s, address.sockaddr_ptr(), address.length()) != 0)
      return ErrnoExit();
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
      return ErrnoExit();
    if (peer.pid != test_pid || peer.uid != ::getuid() ||
        peer.gid != ::getgid())
      return 10;
    char byte;
    return ChildReadByte(s, &byte) ? 0 : 11;
  });
  ASSERT_NE(PollFor(listener.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  UnixSocket conn;
  ASSERT_NO_THROW(conn = listener.Accept());
  ASSERT_TRUE(conn.valid());
  ucred peer{};
  socklen_t len = sizeof peer;
  // Raw getsockopt: the test checks the optlen the kernel wrote back.
  ASSERT_THAT(::getsockopt(conn.fd(), SOL_SOCKET, SO_PEERCRED, &peer, &len),
              SyscallSucceeds());
  EXPECT_EQ(len, sizeof peer);
  EXPECT_EQ(peer.pid, child.pid());
  EXPECT_EQ(peer.uid, ::getuid());
  EXPECT_EQ(peer.gid, ::getgid());
  ASSERT_THAT(::write(conn.fd(), "k", 1), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitsWithZeroWithin(child))
      << "10: the child saw wrong credentials for the listener";
}

// On a socketpair both ends carry the creating process's credentials, and
// they stay when the end is handed to another process by fork.
TEST(CredentialsTest, SoPeerCredOfASocketpairIsItsCreator) {
  CLAIM("sock.beyond.peercred-true-identity");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const pid_t creator = ::getpid();
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([creator, end] {
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(end, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
      return ErrnoExit();
    return peer.pid == creator ? 0 : 10;
  });
  ucred peer{};
  ASSERT_NO_THROW(peer = pair.first.PeerCredentials());
  EXPECT_EQ(peer.pid, creator);
  EXPECT_EQ(peer.uid, ::getuid());
  EXPECT_EQ(peer.gid, ::getgid());
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// SO_PEERCRED of a connection made by another uid reports that uid.
TEST(CredentialsTest, SoPeerCredReportsAnotherUsersUid) {
  CLAIM("sock.beyond.peercred-true-identity");
  SKIP_UNLESS_OTHER_UID();
  const std::string name = UniqueAbstractName("peercred-uid");
  const UnixAddress address = UnixAddress::Abstract(name);
  UnixSocket listener = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(listener.TryBind(address), SyscallSucceeds());
  ASSERT_NO_THROW(listener.Listen(1));
  ChildProcess child = ChildProcess::Fork([&] {
    if (int code = DropToUid(kOtherUid, kOtherGid); code != 0) return code;
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || ::connect(s, address.sockaddr_ptr(), address.length()) != 0)
      return ErrnoExit();
    char byte;
    return ChildReadByte(s, &byte) ? 0 : 11;
  });
  ASSERT_NE(PollFor(listener.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  UnixSocket conn;
  ASSERT_NO_THROW(conn = listener.Accept());
  ASSERT_TRUE(conn.valid());
  ucred peer{};
  ASSERT_NO_THROW(peer = conn.PeerCredentials());
  EXPECT_EQ(peer.pid, child.pid());
  EXPECT_EQ(peer.uid, kOtherUid);
  EXPECT_EQ(peer.gid, kOtherGid);
  ASSERT_THAT(::write(conn.fd(), "k", 1), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// unix(7) SO_PASSCRED: with it on, a receiver gets SCM_CREDENTIALS on every
// message, "even if the sender did not send them": the kernel fills in the
// sender's true pid, uid and gid.
TEST(CredentialsTest, PassCredReportsTheSendersTrueIdentity) {
  CLAIM("sock.beyond.scm-credentials-true-identity");
  auto pair = UnixSocket::Pair(SOCK_DGRAM);
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  const int end = pair.first.fd();
  ChildProcess child = ChildProcess::Fork(
      [end] { return ::write(end, "hi", 2) == 2 ? 0 : ErrnoExit(); });
  const pid_t sender = child.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  // Raw recvmsg: the test checks cmsg headers the wrapper does not expose.
  Received r = ReceiveWithControl(pair.second.fd(), 8,
                                  CMSG_SPACE(sizeof(ucred)), MSG_DONTWAIT);
  ASSERT_EQ(r.result, 2) << std::strerror(r.error);
  ASSERT_THAT(r.credentials, SizeIs(1));
  EXPECT_EQ(r.credentials[0].pid, sender);
  EXPECT_EQ(r.credentials[0].uid, ::getuid());
  EXPECT_EQ(r.credentials[0].gid, ::getgid());
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  ASSERT_THAT(r.headers, SizeIs(1));
  EXPECT_EQ(r.headers[0].len, CMSG_LEN(sizeof(ucred)));
}

// A sender may state its own credentials explicitly; the receiver gets
// exactly them. Without SO_PASSCRED on the receiving socket, nothing
// arrives (the credentials are dropped, not delivered).
TEST(CredentialsTest, ExplicitCredentialsArriveOnlyWithPassCred) {
  CLAIM("sock.beyond.scm-credentials-true-identity",
        "sock.beyond.passcred-off-no-credentials");
  const ucred mine{::getpid(), ::getuid(), ::getgid()};
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  ASSERT_THAT(SendWithCredentials(pair.first, mine, "a"),
              SyscallSucceedsWithValue(1));
  // Raw recvmsg: the test checks cmsg headers the wrapper does not expose.
  Received off = ReceiveWithControl(pair.second.fd(), 8,
                                    CMSG_SPACE(sizeof(ucred)), MSG_DONTWAIT);
  ASSERT_EQ(off.result, 1);
  EXPECT_TRUE(off.headers.empty()) << "credentials arrived without SO_PASSCRED";
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  ASSERT_THAT(SendWithCredentials(pair.first, mine, "b"),
              SyscallSucceedsWithValue(1));
  Received r = ReceiveMessage(pair.second, 8, 0, true, MSG_DONTWAIT);
  ASSERT_THAT(r.credentials, SizeIs(1));
  EXPECT_EQ(r.credentials[0].pid, mine.pid);
  EXPECT_EQ(r.credentials[0].uid, mine.uid);
  EXPECT_EQ(r.credentials[0].gid, mine.gid);
}

// SO_PASSCRED is off by default and belongs to one socket: setting it on
// one end leaves the other's off; a plain write to a receiver without it
// brings no control message.
TEST(CredentialsTest, PassCredIsOffByDefaultAndPerSocket) {
  CLAIM("sock.beyond.passcred-off-no-credentials");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  // The wrapper sets SO_PASSCRED but does not read it back: raw getsockopt.
  auto passcred = [](int fd) {
    int value = -1;
    socklen_t len = sizeof value;
    EXPECT_THAT(::getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &value, &len),
                SyscallSucceeds());
    return value;
  };
  EXPECT_EQ(passcred(pair.first.fd()), 0);
  EXPECT_EQ(passcred(pair.second.fd()), 0);
  ASSERT_NO_THROW(pair.first.SetPassCredentials(true));
  EXPECT_EQ(passcred(pair.first.fd()), 1);
  EXPECT_EQ(passcred(pair.second.fd()), 0);
  ASSERT_NO_THROW(pair.first.SetPassCredentials(false));
  EXPECT_EQ(passcred(pair.first.fd()), 0);
  ASSERT_NO_THROW(pair.first.SetPassCredentials(true));
  // The sender's SO_PASSCRED gives the receiver nothing.
  ASSERT_THAT(::write(pair.first.fd(), "x", 1), SyscallSucceedsWithValue(1));
  // Raw recvmsg: the test checks cmsg headers the wrapper does not expose.
  Received r = ReceiveWithControl(pair.second.fd(), 8,
                                  CMSG_SPACE(sizeof(ucred)), MSG_DONTWAIT);
  ASSERT_EQ(r.result, 1);
  EXPECT_TRUE(r.headers.empty());
}

// unix(7): "Credentials that the sender specifies are checked by the
// kernel. A privileged process is allowed to specify values that do not
// match its own." An unprivileged sender that claims another uid, another
// gid or another process's pid fails EPERM; its own values go through.
// The sender is this process's child as it is when the test runs
// unprivileged (decided by trying a forged claim), or a child dropped to
// kOtherUid when the test is privileged.
TEST(CredentialsTest, UnprivilegedSenderCannotClaimAnotherIdentity) {
  CLAIM("sock.beyond.scm-credentials-forgery");
  bool privileged;
  {
    auto probe = UnixSocket::Pair(SOCK_DGRAM);
    const uid_t forged = ::getuid() == 0 ? 1 : 0;
    privileged =
        SendWithCredentials(probe.first, ucred{::getpid(), forged, ::getgid()},
                            "p") == 1;
    if (!privileged) {
      ASSERT_EQ(errno, EPERM) << std::strerror(errno);
    }
  }
  if (privileged) SKIP_UNLESS_OTHER_UID();
  const uid_t sender_uid = privileged ? kOtherUid : ::getuid();
  const gid_t sender_gid = privileged ? kOtherGid : ::getgid();
  auto pair = UnixSocket::Pair(SOCK_DGRAM);
  // The child sends through the wrapper's Try form: with valid arguments it
  // allocates and throws nothing (async-signal-safe).
  UnixSocket* const end = &pair.first;
  const pid_t parent = ::getpid();
  ChildProcess child = ChildProcess::Fork([=] {
    if (privileged) {
      if (int code = DropToUid(kOtherUid, kOtherGid); code != 0) return code;
    }
    const pid_t me = ::getpid();
    const uid_t other_uid = sender_uid == 0 ? 1 : 0;
    const gid_t other_gid = sender_gid == 0 ? 1 : 0;
    const ucred claims[3] = {{me, other_uid, sender_gid},
                             {me, sender_uid, other_gid},
                             {parent, sender_uid, sender_gid}};
    for (int i = 0; i < 3; ++i) {
      if (end->TrySendCredentials(Bytes("f"), claims[i]) != -1) return 20 + i;
      if (errno != EPERM) return 30 + i;
    }
    const ucred honest{me, sender_uid, sender_gid};
    return end->TrySendCredentials(Bytes("o"), honest) == 1 ? 0 : 40;
  });
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  ASSERT_CHILD_EXITS(child, status);
  if (status.exited() && DecodeDropToUidExit(status.exit_code())) {
    SKIP_UNVERIFIED(
        DescribeDropFailure(status.exit_code(), kOtherUid, kOtherGid));
  }
  ASSERT_TRUE(ExitedWithZero(status))
      << "20-22: a forged uid / gid / pid was accepted; 30-32: refused with "
         "an errno other than EPERM; 40: the sender's own identity refused";
  Received r = ReceiveMessage(pair.second, 8, 0, true, MSG_DONTWAIT);
  ASSERT_EQ(r.result, 1) << "only the honest message should be queued";
  EXPECT_EQ(r.data, "o");
  ASSERT_THAT(r.credentials, SizeIs(1));
  EXPECT_EQ(r.credentials[0].uid, sender_uid);
  EXPECT_EQ(r.credentials[0].gid, sender_gid);
  char byte;
  EXPECT_THAT(pair.second.TryReceive(Into(&byte, 1), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
}

// The privileged side of the same sentence: a process with CAP_SETUID and
// CAP_SETGID may claim another uid and gid, and the receiver sees the
// claimed values. Decided by trying: EPERM means this process lacks them.
TEST(CredentialsTest, PrivilegedSenderMayClaimAnotherUid) {
  CLAIM("sock.beyond.scm-credentials-forgery");
  auto pair = UnixSocket::Pair(SOCK_DGRAM);
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  uid_t other_uid = ::getuid() == kOtherUid ? kOtherUid - 1 : kOtherUid;
  gid_t other_gid = ::getgid() == kOtherGid ? kOtherGid - 1 : kOtherGid;
  const ucred claim{::getpid(), other_uid, other_gid};
  if (SendWithCredentials(pair.first, claim, "r") < 0) {
    const int err = errno;
    if (err == EPERM) {
      SKIP_UNVERIFIED(
          "sendmsg(SCM_CREDENTIALS) claiming uid " + std::to_string(other_uid) +
          " failed with EPERM: this process lacks CAP_SETUID/CAP_SETGID in "
          "its user namespace, so only the unprivileged side is decided");
    }
    FAIL() << "sendmsg failed with " << std::strerror(err);
  }
  Received r = ReceiveMessage(pair.second, 8, 0, true, MSG_DONTWAIT);
  ASSERT_THAT(r.credentials, SizeIs(1));
  EXPECT_EQ(r.credentials[0].uid, other_uid);
  EXPECT_EQ(r.credentials[0].gid, other_gid);
  EXPECT_EQ(r.credentials[0].pid, ::getpid());
}

// An SCM_CREDENTIALS message with no payload is malformed: EINVAL.
TEST(CredentialsTest, EmptyCredentialsMessageFailsEinval) {
  CLAIM("sock.beyond.scm-rights-bad-arguments");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  alignas(cmsghdr) char control[CMSG_SPACE(0)] = {};
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(0);
  EXPECT_THAT(::sendmsg(pair.first.fd(), &msg, 0),
              SyscallFailsWithErrno(EINVAL));
}

// Room for the header and the pid only: the credentials arrive truncated,
// MSG_CTRUNC says so, and the pid that did fit is the sender's.
TEST(CredentialsTest, TruncatedCredentialsSetCtrunc) {
  CLAIM("sock.beyond.scm-credentials-true-identity");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  ASSERT_THAT(::write(pair.first.fd(), "t", 1), SyscallSucceedsWithValue(1));
  // Raw recvmsg: a control buffer cut inside the payload, read raw.
  Received r = ReceiveWithControl(pair.second.fd(), 8,
                                  CMSG_LEN(0) + sizeof(pid_t), MSG_DONTWAIT);
  ASSERT_EQ(r.result, 1) << std::strerror(r.error);
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
  ASSERT_THAT(r.headers, SizeIs(1));
  EXPECT_EQ(r.headers[0].type, SCM_CREDENTIALS);
  EXPECT_TRUE(r.credentials.empty());
  ASSERT_GE(r.raw_control.size(), CMSG_LEN(0) + sizeof(pid_t));
  pid_t pid = 0;
  std::memcpy(&pid, r.raw_control.data() + CMSG_LEN(0), sizeof pid);
  EXPECT_EQ(pid, ::getpid());
}

// Descriptors and credentials in one message: both arrive.
TEST(CredentialsTest, CredentialsAndDescriptorsTogether) {
  CLAIM("sock.beyond.scm-credentials-true-identity",
        "sock.beyond.scm-rights-same-description");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.read_fd()}, "both"), 0);
  Received r = ReceiveMessage(pair.second, 8, 1, true, MSG_DONTWAIT);
  ASSERT_EQ(r.result, 4) << std::strerror(r.error);
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  ASSERT_THAT(r.credentials, SizeIs(1));
  EXPECT_EQ(r.credentials[0].pid, ::getpid());
  ASSERT_THAT(r.fds, SizeIs(1));
  EXPECT_EQ(StatFd(r.fds[0]).st_ino, StatFd(pipe.read_fd()).st_ino);
  CloseAll(r.fds);
}

// Room for exactly one descriptor (CMSG_LEN(sizeof(int)), less than
// CMSG_SPACE's padded size) receives the one sent, without MSG_CTRUNC.
TEST(ScmRightsTest, ExactRoomForOneDescriptorIsNotTruncated) {
  CLAIM("sock.beyond.scm-rights-ctrunc-closes");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "x"), 0);
  // Raw recvmsg: the test checks cmsg headers the wrapper does not expose.
  Received r = ReceiveWithControl(pair.second.fd(), 1, CMSG_LEN(sizeof(int)),
                                  MSG_DONTWAIT);
  ASSERT_EQ(r.result, 1) << std::strerror(r.error);
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  ASSERT_THAT(r.fds, SizeIs(1));
  ASSERT_THAT(r.headers, SizeIs(1));
  EXPECT_EQ(r.headers[0].len, CMSG_LEN(sizeof(int)));
  CloseAll(r.fds);
}

// MSG_CTRUNC is an output flag: passed in to recvmsg it changes nothing,
// and a receive that fits does not report it.
TEST(ScmRightsTest, CtruncAsAnInputFlagIsIgnored) {
  CLAIM("sock.beyond.scm-rights-ctrunc-closes");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ASSERT_GT(SendWithRights(pair.first, {pipe.write_fd()}, "x"), 0);
  Received r =
      ReceiveMessage(pair.second, 1, 1, false, MSG_DONTWAIT | MSG_CTRUNC);
  ASSERT_EQ(r.result, 1) << std::strerror(r.error);
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0);
  ASSERT_THAT(r.fds, SizeIs(1));
  CloseAll(r.fds);
}

// Messages queued while neither end had SO_PASSCRED carry no credentials;
// a receiver that turns it on afterwards is given the "no one" identity:
// pid 0 and the overflow uid and gid (read from /proc/sys/kernel, not
// assumed). A sender that had SO_PASSCRED on attaches its true identity to
// what it writes, so a later receiver sees it.
TEST(CredentialsTest, MessagesQueuedBeforePassCredCarryNoOne) {
  CLAIM("sock.beyond.scm-credentials-true-identity",
        "sock.beyond.passcred-off-no-credentials");
  const uid_t overflow_uid = static_cast<uid_t>(
      std::stoul(ReadFileOrThrow("/proc/sys/kernel/overflowuid")));
  const gid_t overflow_gid = static_cast<gid_t>(
      std::stoul(ReadFileOrThrow("/proc/sys/kernel/overflowgid")));
  for (const bool sender_passcred : {false, true}) {
    SCOPED_TRACE(sender_passcred ? "sender had SO_PASSCRED"
                                 : "neither end had SO_PASSCRED");
    auto pair = UnixSocket::Pair(SOCK_STREAM);
    if (sender_passcred) {
      ASSERT_NO_THROW(pair.first.SetPassCredentials(true));
    }
    ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
    ASSERT_GT(SendWithRights(pair.first, {pipe.read_fd()}, "early"), 0);
    ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
    Received r = ReceiveMessage(pair.second, 8, 1, true, MSG_DONTWAIT);
    ASSERT_EQ(r.result, 5) << std::strerror(r.error);
    ASSERT_THAT(r.credentials, SizeIs(1));
    ASSERT_THAT(r.fds, SizeIs(1));
    if (sender_passcred) {
      EXPECT_EQ(r.credentials[0].pid, ::getpid());
      EXPECT_EQ(r.credentials[0].uid, ::getuid());
      EXPECT_EQ(r.credentials[0].gid, ::getgid());
    } else {
      EXPECT_EQ(r.credentials[0].pid, 0);
      EXPECT_EQ(r.credentials[0].uid, overflow_uid);
      EXPECT_EQ(r.credentials[0].gid, overflow_gid);
    }
    CloseAll(r.fds);
  }
}

// Credentials with no room for their payload: a buffer holding only the
// header gets the header, cmsg_len the room given, and MSG_CTRUNC; one too
// small for a header gets nothing (msg_controllen 0), also MSG_CTRUNC.
TEST(CredentialsTest, NoRoomForCredentialsSetsCtrunc) {
  CLAIM("sock.beyond.scm-credentials-true-identity");
  for (const size_t room : {CMSG_SPACE(0), CMSG_LEN(0) / 2}) {
    SCOPED_TRACE("control buffer of " + std::to_string(room) + " bytes");
    auto pair = UnixSocket::Pair(SOCK_DGRAM);
    ASSERT_NO_THROW(pair.second.SetPassCredentials(true));
    ASSERT_THAT(::write(pair.first.fd(), "n", 1), SyscallSucceedsWithValue(1));
    // Raw recvmsg: control buffer sizes the wrapper never builds.
    Received r = ReceiveWithControl(pair.second.fd(), 8, room, MSG_DONTWAIT);
    ASSERT_EQ(r.result, 1) << std::strerror(r.error);
    EXPECT_EQ(r.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
    EXPECT_TRUE(r.credentials.empty());
    if (room >= CMSG_LEN(0)) {
      ASSERT_THAT(r.headers, SizeIs(1));
      EXPECT_EQ(r.headers[0].type, SCM_CREDENTIALS);
      EXPECT_EQ(r.headers[0].len, room);
    } else {
      EXPECT_EQ(r.controllen, 0u);
    }
  }
}

}  // namespace
}  // namespace ipcproof

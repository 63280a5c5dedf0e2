// Unix-domain sockets: socketpair, message boundaries, names, shutdown and
// connection errors (unix(7), socket(7), socketpair(2), shutdown(2),
// connect(2), send(2), recv(2)).
//
// Peers are processes, not threads: a forked child does only
// async-signal-safe work and reports through its exit status. Blocking is
// proven from /proc (WaitUntilBlockedIn), never by sleeping. Every receive
// that checks arrival polls with a deadline first or uses MSG_DONTWAIT after
// arrival is proven.
#include "ipc/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/files.h"
#include "conformance/socket/unix_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::UniqueFd;
using ::ipc::UnixAddress;
using ::ipc::UnixSocket;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::Not;

// How long a child or the test waits for data it was promised, at time
// scale 1; ArrivalTimeoutMs() is what a poll(2) is given.
constexpr std::chrono::milliseconds kArrivalTimeout{10000};
int ArrivalTimeoutMs() {
  return static_cast<int>(ScaledTimeout(kArrivalTimeout).count());
}

bool ChildPollIn(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ArrivalTimeoutMs()) == 1;
}

// Bytes queued for reading (FIONREAD / SIOCINQ, unix(7)).
int BytesQueued(int fd) {
  int n = -1;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

class AllTypesTest : public ::testing::TestWithParam<int> {};
class PacketTypesTest : public ::testing::TestWithParam<int> {};

std::string TypeParamName(const ::testing::TestParamInfo<int>& info) {
  std::string name = SocketTypeName(info.param);
  name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
  return name;
}

// --- Two-way ---------------------------------------------------------------

// socketpair(2): "The two sockets are indistinguishable": each end reads
// and writes. A child writes on its end and reads the test's reply; the
// test does the same on the other end.
TEST_P(AllTypesTest, SocketpairCarriesDataBothWaysBetweenProcesses) {
  CLAIM("sock.beyond.socketpair-two-way");
  auto pair = UnixSocket::Pair(GetParam());
  const int child_end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([child_end] {
    if (::write(child_end, "ping", 4) != 4) return 10;
    char reply[4];
    if (!ChildPollIn(child_end)) return 11;
    if (::read(child_end, reply, 4) != 4) return 12;
    return std::memcmp(reply, "pong", 4) == 0 ? 0 : 13;
  });
  pair.second.Close();
  char data[4];
  ASSERT_NE(PollFor(pair.first.fd(), POLLIN, ArrivalTimeoutMs()) & POLLIN, 0);
  ASSERT_THAT(::read(pair.first.fd(), data, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(data, 4), "ping");
  ASSERT_THAT(::write(pair.first.fd(), "pong", 4), SyscallSucceedsWithValue(4));
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// The contrast the note draws: a pipe is one-way (pipe(7): "fd[0] refers to
// the read end ... fd[1] refers to the write end"; the wrong direction fails
// EBADF), while each socketpair end both writes and reads.
TEST(SocketpairTest, PipeIsOneWayWhereASocketpairEndIsBoth) {
  CLAIM("pipe.unidirectional", "sock.beyond.socketpair-two-way");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  char byte = 'x';
  EXPECT_THAT(::write(pipe.read_fd(), &byte, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::read(pipe.write_fd(), &byte, 1), SyscallFailsWithErrno(EBADF));
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  for (int end : {pair.first.fd(), pair.second.fd()}) {
    const int other =
        end == pair.first.fd() ? pair.second.fd() : pair.first.fd();
    ASSERT_THAT(::write(end, &byte, 1), SyscallSucceedsWithValue(1));
    ASSERT_THAT(::read(other, &byte, 1), SyscallSucceedsWithValue(1));
  }
}

// --- Message boundaries ------------------------------------------------------

// A stream has no boundaries (unix(7) SOCK_STREAM "stream-oriented"): two
// writes by a child, both queued before the test reads, come back in one
// read.
TEST(BoundaryTest, StreamMergesTwoWritesIntoOneRead) {
  CLAIM("sock.beyond.stream-merges-writes");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([end] {
    if (::write(end, "abc", 3) != 3) return 10;
    return ::write(end, "defg", 4) == 4 ? 0 : 11;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  ASSERT_EQ(BytesQueued(pair.first.fd()), 7);
  char data[64];
  ASSERT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(data, 7), "abcdefg");
}

// SOCK_SEQPACKET and SOCK_DGRAM keep each send a message: two sends, two
// receives, however large the buffer.
TEST_P(PacketTypesTest, TwoSendsAreTwoReceives) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  auto pair = UnixSocket::Pair(GetParam());
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([end] {
    if (::write(end, "abc", 3) != 3) return 10;
    return ::write(end, "defg", 4) == 4 ? 0 : 11;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  char data[64];
  ASSERT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(data, 3), "abc");
  ASSERT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(data, 4), "defg");
}

// recv(2): a message longer than the buffer is truncated, MSG_TRUNC is set
// in msg_flags, and "excess bytes may be discarded" (the next receive gets
// the next message, not the rest); with MSG_TRUNC as a flag the call
// returns the real length.
TEST_P(PacketTypesTest, ShortBufferTruncatesAndDiscardsTheRest) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  auto pair = UnixSocket::Pair(GetParam());
  ASSERT_THAT(::write(pair.second.fd(), "0123456789", 10),
              SyscallSucceedsWithValue(10));
  ASSERT_THAT(::write(pair.second.fd(), "next", 4),
              SyscallSucceedsWithValue(4));
  ASSERT_THAT(::write(pair.second.fd(), "ABCDEFGHIJ", 10),
              SyscallSucceedsWithValue(10));
  Received short_read = ReceivePlain(pair.first, 3, MSG_DONTWAIT);
  ASSERT_EQ(short_read.result, 3);
  EXPECT_EQ(short_read.data, "012");
  EXPECT_EQ(short_read.msg_flags & MSG_TRUNC, MSG_TRUNC);
  Received next = ReceivePlain(pair.first, 64, MSG_DONTWAIT);
  EXPECT_EQ(next.data, "next");
  EXPECT_EQ(next.msg_flags & MSG_TRUNC, 0);
  Received real_length = ReceivePlain(pair.first, 3, MSG_DONTWAIT | MSG_TRUNC);
  EXPECT_EQ(real_length.result, 10);
  EXPECT_EQ(real_length.data, "ABC");
}

// A stream leaves what did not fit for the next read, and never sets
// MSG_TRUNC.
TEST(BoundaryTest, StreamShortBufferKeepsTheRest) {
  CLAIM("sock.beyond.stream-merges-writes");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.second.fd(), "0123456789", 10),
              SyscallSucceedsWithValue(10));
  Received first = ReceivePlain(pair.first, 3, MSG_DONTWAIT);
  EXPECT_EQ(first.data, "012");
  EXPECT_EQ(first.msg_flags & MSG_TRUNC, 0);
  Received rest = ReceivePlain(pair.first, 64, MSG_DONTWAIT);
  EXPECT_EQ(rest.data, "3456789");
}

// A zero-length receive on a pending packet consumes it and reports
// MSG_TRUNC; on a stream it consumes nothing.
TEST_P(AllTypesTest, ZeroLengthReceiveOnPendingData) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  auto pair = UnixSocket::Pair(GetParam());
  ASSERT_THAT(::write(pair.second.fd(), "abc", 3), SyscallSucceedsWithValue(3));
  Received zero = ReceivePlain(pair.first, 0, MSG_DONTWAIT);
  ASSERT_EQ(zero.result, 0) << std::strerror(zero.error);
  char data[8];
  if (GetParam() == SOCK_STREAM) {
    EXPECT_EQ(zero.msg_flags & MSG_TRUNC, 0);
    EXPECT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
                SyscallSucceedsWithValue(3));
  } else {
    EXPECT_EQ(zero.msg_flags & MSG_TRUNC, MSG_TRUNC);
    EXPECT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
                SyscallFailsWithErrno(EAGAIN));
  }
}

// A receive on an empty socket blocks until data comes: the child is seen
// sleeping in the receive, then the test writes and the child gets it.
TEST_P(AllTypesTest, ReceiveBlocksUntilThePeerWrites) {
  CLAIM("sock.beyond.socketpair-two-way");
  auto pair = UnixSocket::Pair(GetParam());
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([end] {
    char data[8];
    const ssize_t n = ::recv(end, data, sizeof data, 0);
    if (n != 5) return n < 0 ? ErrnoExit() : 10;
    return std::memcmp(data, "wake!", 5) == 0 ? 0 : 11;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), child.pid(),
                                 {SYS_recvfrom, SYS_recvmsg, SYS_read}));
  ASSERT_THAT(::write(pair.first.fd(), "wake!", 5),
              SyscallSucceedsWithValue(5));
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

INSTANTIATE_TEST_SUITE_P(Unix, AllTypesTest,
                         ::testing::Values(SOCK_STREAM, SOCK_DGRAM,
                                           SOCK_SEQPACKET),
                         TypeParamName);
INSTANTIATE_TEST_SUITE_P(Unix, PacketTypesTest,
                         ::testing::Values(SOCK_DGRAM, SOCK_SEQPACKET),
                         TypeParamName);

// --- Names
// ---------------------------------------------------------------------

// unix(7) abstract: "The name ... has no connection with filesystem
// pathnames." Binding one creates nothing in the working directory or the
// test's directory; /proc/net/unix lists it as "@name"; close frees the
// name (no unlink needed) so it can be bound again at once.
TEST(NameTest, AbstractNameLeavesNoFileAndDiesWithTheSocket) {
  CLAIM("sock.beyond.abstract-no-file");
  const std::string name = UniqueAbstractName("abstract");
  const UnixAddress address = UnixAddress::Abstract(name);
  const std::vector<std::string> cwd_before = ListDirectoryOrThrow(".");
  const std::vector<std::string> tmp_before =
      ListDirectoryOrThrow(TestTempDir());
  {
    UnixSocket s = UnixSocket::Create(SOCK_STREAM);
    ASSERT_THAT(s.TryBind(address), SyscallSucceeds());
    EXPECT_EQ(ListDirectoryOrThrow("."), cwd_before);
    EXPECT_EQ(ListDirectoryOrThrow(TestTempDir()), tmp_before);
    EXPECT_THAT(ProcNetUnixPaths(), Contains("@" + name));
    // Raw getsockname: the test checks the length the kernel wrote back.
    sockaddr_un bound{};
    socklen_t len = sizeof bound;
    ASSERT_THAT(
        ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &len),
        SyscallSucceeds());
    EXPECT_EQ(len, address.length());
    EXPECT_EQ(bound.sun_path[0], '\0');
    EXPECT_EQ(std::string(bound.sun_path + 1, name.size()), name);
    UnixSocket again = UnixSocket::Create(SOCK_STREAM);
    EXPECT_THAT(again.TryBind(address), SyscallFailsWithErrno(EADDRINUSE));
  }
  EXPECT_THAT(ProcNetUnixPaths(), Not(Contains("@" + name)));
  UnixSocket rebound = UnixSocket::Create(SOCK_STREAM);
  EXPECT_THAT(rebound.TryBind(address), SyscallSucceeds());
}

// unix(7) pathname sockets: bind creates a socket node (S_ISSOCK) that
// outlives the socket; binding the path again fails EADDRINUSE until the
// node is removed; the test removes it and nothing is left.
TEST(NameTest, FilesystemNameIsASocketNodeThatOutlivesClose) {
  CLAIM("sock.beyond.filesystem-node");
  const std::string path = UniqueTempPath("node.sock");
  const UnixAddress address = UnixAddress::Filesystem(path);
  {
    UnixSocket s = UnixSocket::Create(SOCK_STREAM);
    ASSERT_THAT(s.TryBind(address), SyscallSucceeds());
    EXPECT_TRUE(S_ISSOCK(StatPath(path).st_mode));
    EXPECT_TRUE(S_ISSOCK(StatFd(s.fd()).st_mode));
    EXPECT_THAT(ProcNetUnixPaths(), Contains(path));
  }
  ScopedUnlink remove_node(path);
  struct stat st {};
  ASSERT_THAT(::lstat(path.c_str(), &st), SyscallSucceeds())
      << "the node went away with the socket";
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_size, 0);
  UnixSocket again = UnixSocket::Create(SOCK_STREAM);
  EXPECT_THAT(again.TryBind(address), SyscallFailsWithErrno(EADDRINUSE));
  ASSERT_THAT(::unlink(path.c_str()), SyscallSucceeds());
  EXPECT_THAT(again.TryBind(address), SyscallSucceeds());
  again.Close();
  ASSERT_THAT(::unlink(path.c_str()), SyscallSucceeds());
  EXPECT_THAT(::lstat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// connect(2) to a node whose socket is closed: ECONNREFUSED; to a path that
// does not exist: ENOENT; to an abstract name nobody holds: ECONNREFUSED.
TEST(ConnectTest, NobodyListeningIsRefused) {
  CLAIM("sock.beyond.connect-errors");
  const std::string path = UniqueTempPath("stale.sock");
  const UnixAddress stale = UnixAddress::Filesystem(path);
  {
    UnixSocket s = UnixSocket::Create(SOCK_STREAM);
    ASSERT_THAT(s.TryBind(stale), SyscallSucceeds());
  }
  ScopedUnlink remove_node(path);
  UnixSocket c = UnixSocket::Create(SOCK_STREAM);
  EXPECT_THAT(c.TryConnect(stale), SyscallFailsWithErrno(ECONNREFUSED));
  const UnixAddress missing =
      UnixAddress::Filesystem(UniqueTempPath("missing.sock"));
  EXPECT_THAT(c.TryConnect(missing), SyscallFailsWithErrno(ENOENT));
  const UnixAddress nobody =
      UnixAddress::Abstract(UniqueAbstractName("nobody"));
  EXPECT_THAT(c.TryConnect(nobody), SyscallFailsWithErrno(ECONNREFUSED));
  UnixSocket d = UnixSocket::Create(SOCK_DGRAM);
  EXPECT_THAT(d.TrySendTo(Bytes("x"), nobody, 0),
              SyscallFailsWithErrno(ECONNREFUSED));
}

// A bound socket that is not listening refuses stream connections; one
// that listens reports SO_ACCEPTCONN.
TEST(ConnectTest, OnlyAListeningSocketAcceptsConnections) {
  CLAIM("sock.beyond.connect-errors");
  const UnixAddress address =
      UnixAddress::Abstract(UniqueAbstractName("listen"));
  UnixSocket server = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(server.TryBind(address), SyscallSucceeds());
  int accepting = -1;
  socklen_t len = sizeof accepting;
  ASSERT_THAT(
      ::getsockopt(server.fd(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len),
      SyscallSucceeds());
  EXPECT_EQ(accepting, 0);
  UnixSocket c = UnixSocket::Create(SOCK_STREAM);
  EXPECT_THAT(c.TryConnect(address), SyscallFailsWithErrno(ECONNREFUSED));
  ASSERT_NO_THROW(server.Listen(1));
  ASSERT_THAT(
      ::getsockopt(server.fd(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len),
      SyscallSucceeds());
  EXPECT_EQ(accepting, 1);
  UnixSocket c2 = UnixSocket::Create(SOCK_STREAM);
  EXPECT_THAT(c2.TryConnect(address), SyscallSucceeds());
}

// listen(2): backlog bounds the queue of connections not yet accepted. A
// nonblocking connect to a full queue fails EAGAIN (unix(7): "EAGAIN ... for
// a nonblocking connect when the backlog is full"); how many fit is
// measured and bounded by the backlog the test asked for.
TEST(ConnectTest, FullBacklogRefusesNonblockingConnectWithEagain) {
  CLAIM("sock.beyond.backlog-full");
  const UnixAddress address =
      UnixAddress::Abstract(UniqueAbstractName("backlog"));
  UnixSocket server = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(server.TryBind(address), SyscallSucceeds());
  constexpr int kBacklog = 2;
  ASSERT_NO_THROW(server.Listen(kBacklog));
  std::vector<UnixSocket> clients;
  int refused_errno = 0;
  // The kernel may admit one more than the backlog; a few more than that
  // means the bound is not enforced at all.
  for (int i = 0; i < kBacklog + 4; ++i) {
    UnixSocket c =
        UnixSocket::Create(SOCK_STREAM, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c.TryConnect(address) != 0) {
      refused_errno = errno;
      break;
    }
    clients.push_back(std::move(c));
  }
  EXPECT_EQ(refused_errno, EAGAIN)
      << "no connect was refused after " << clients.size() << " connections";
  EXPECT_GE(static_cast<int>(clients.size()), kBacklog);
  EXPECT_LE(static_cast<int>(clients.size()), kBacklog + 1);
  RecordMeasurement("sock.unix_connections_queued_at_backlog_2",
                    static_cast<int>(clients.size()));
  // Accepting one makes room for one more.
  UnixSocket accepted;
  ASSERT_NO_THROW(accepted = server.Accept());
  ASSERT_TRUE(accepted.valid());
  UnixSocket one_more =
      UnixSocket::Create(SOCK_STREAM, SOCK_CLOEXEC | SOCK_NONBLOCK);
  EXPECT_THAT(one_more.TryConnect(address), SyscallSucceeds());
}

// A blocking connect to a full queue sleeps in connect until the listener
// accepts.
TEST(ConnectTest, BlockingConnectWaitsForRoomInTheBacklog) {
  CLAIM("sock.beyond.backlog-full");
  const UnixAddress address = UnixAddress::Abstract(UniqueAbstractName("wait"));
  UnixSocket server = UnixSocket::Create(SOCK_STREAM);
  ASSERT_THAT(server.TryBind(address), SyscallSucceeds());
  ASSERT_NO_THROW(server.Listen(0));
  std::vector<UnixSocket> fill;
  for (int i = 0; i < 4; ++i) {
    UnixSocket c =
        UnixSocket::Create(SOCK_STREAM, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c.TryConnect(address) != 0) break;
    fill.push_back(std::move(c));
  }
  ASSERT_LT(fill.size(), 4u) << "the backlog never filled";
  ChildProcess child = ChildProcess::Fork([&] {
    const int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0) return ErrnoExit();
    return ::connect(c, address.sockaddr_ptr(), address.length()) == 0
               ? 0
               : ErrnoExit();
  });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_connect));
  UnixSocket accepted;
  ASSERT_NO_THROW(accepted = server.Accept());
  ASSERT_TRUE(accepted.valid());
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// --- Shutdown and dead peers
// ---------------------------------------------------

// shutdown(2) SHUT_WR: the peer's read returns 0 once the queue is drained;
// a reader blocked in read is woken by it.
TEST(ShutdownTest, PeerShutWrGivesEndOfFileToABlockedReader) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.first.fd(), "last", 4), SyscallSucceedsWithValue(4));
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([end] {
    char data[8];
    if (::read(end, data, sizeof data) != 4) return 10;
    const ssize_t n = ::read(end, data, sizeof data);  // blocks until SHUT_WR
    return n == 0 ? 0 : n < 0 ? ErrnoExit() : 11;
  });
  ASSERT_TRUE(
      WaitUntilBlockedIn(child.pid(), child.pid(), {SYS_read, SYS_recvfrom}));
  ASSERT_THAT(pair.first.TryShutdown(SHUT_WR), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(child));
  // The other direction still works.
  ASSERT_THAT(::write(pair.second.fd(), "r", 1), SyscallSucceedsWithValue(1));
  char byte;
  EXPECT_THAT(::read(pair.first.fd(), &byte, 1), SyscallSucceedsWithValue(1));
}

// After SHUT_WR, a write fails EPIPE and raises SIGPIPE (shutdown(2),
// send(2)); MSG_NOSIGNAL keeps the EPIPE and drops the signal.
TEST(ShutdownTest, WriteAfterShutWrIsEpipeAndSigpipe) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(pair.first.TryShutdown(SHUT_WR), SyscallSucceeds());
  ScopedSignalBlock block(SIGPIPE);
  ASSERT_FALSE(TakePendingSignal(SIGPIPE).has_value());
  EXPECT_THAT(pair.first.TrySend(Bytes("x"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  EXPECT_FALSE(TakePendingSignal(SIGPIPE).has_value())
      << "MSG_NOSIGNAL still raised SIGPIPE";
  EXPECT_THAT(::write(pair.first.fd(), "x", 1), SyscallFailsWithErrno(EPIPE));
  EXPECT_TRUE(TakePendingSignal(SIGPIPE).has_value()) << "no SIGPIPE raised";
}

// A child that writes to a stream whose peer is gone, with SIGPIPE at its
// default action, is killed by SIGPIPE.
TEST(ShutdownTest, WriteToAClosedPeerKillsWithSigpipe) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  pair.first.Close();
  const int end = pair.second.fd();
  ChildProcess child = ChildProcess::Fork([end] {
    if (!RestoreDefaultSignal(SIGPIPE)) return 10;
    ::write(end, "x", 1);
    return 11;
  });
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGPIPE)) << DescribeChildExit(status);
  char byte;
  EXPECT_THAT(::read(pair.second.fd(), &byte, 1), SyscallSucceedsWithValue(0));
}

// Closing a stream socket with unread data resets the peer's connection:
// after the end-of-file that SHUT_RDWR gives, the next read fails
// ECONNRESET.
TEST(ShutdownTest, CloseWithUnreadDataResetsThePeer) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.second.fd(), "unread", 6),
              SyscallSucceedsWithValue(6));
  ASSERT_THAT(pair.first.TryShutdown(SHUT_RDWR), SyscallSucceeds());
  char data[8];
  ASSERT_THAT(::read(pair.second.fd(), data, sizeof data),
              SyscallSucceedsWithValue(0));
  pair.first.Close();
  EXPECT_THAT(::read(pair.second.fd(), data, sizeof data),
              SyscallFailsWithErrno(ECONNRESET));
}

// A seqpacket peer's SHUT_WR propagates (end of file once drained); a
// datagram peer's does not (the reader sees EAGAIN). The shut side's own
// sends fail EPIPE either way.
TEST_P(PacketTypesTest, PeerShutWrAfterTheLastMessage) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(GetParam());
  ASSERT_THAT(pair.second.TrySend(Bytes("msg"), 0),
              SyscallSucceedsWithValue(3));
  ASSERT_THAT(pair.second.TryShutdown(SHUT_WR), SyscallSucceeds());
  EXPECT_THAT(pair.second.TrySend(Bytes("x"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  char data[8];
  ASSERT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  if (GetParam() == SOCK_SEQPACKET) {
    EXPECT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
                SyscallSucceedsWithValue(0));
  } else {
    EXPECT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
                SyscallFailsWithErrno(EAGAIN));
  }
}

// A datagram socket connected to a named peer that has closed: the first
// send fails ECONNREFUSED (and disconnects), the next ENOTCONN.
TEST(DeadPeerTest, DatagramToAClosedPeerIsRefusedThenNotConnected) {
  CLAIM("sock.beyond.dgram-dead-peer");
  const UnixAddress address =
      UnixAddress::Abstract(UniqueAbstractName("dgram"));
  UnixSocket receiver = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(receiver.TryBind(address), SyscallSucceeds());
  UnixSocket sender = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(sender.TryConnect(address), SyscallSucceeds());
  ASSERT_THAT(sender.TrySend(Bytes("a"), 0), SyscallSucceedsWithValue(1));
  receiver.Close();
  EXPECT_THAT(sender.TrySend(Bytes("b"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(sender.TrySend(Bytes("c"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(ENOTCONN));
}

// A datagram socketpair end whose peer closed: what was queued before the
// close is still readable; but the first send to the dead peer fails
// ECONNREFUSED, disconnects, and purges this socket's own receive queue
// (net/unix/af_unix.c, unix_dgram_disconnected: "Messages are lost"), and
// the next send fails ENOTCONN.
TEST(DeadPeerTest, DatagramSendToAClosedSocketpairPeerLosesQueuedMessages) {
  CLAIM("sock.beyond.dgram-dead-peer");
  char byte;
  {
    auto pair = UnixSocket::Pair(SOCK_DGRAM);
    ASSERT_THAT(pair.first.TrySend(Bytes("q"), 0), SyscallSucceedsWithValue(1));
    pair.first.Close();
    EXPECT_THAT(pair.second.TryReceive(Into(&byte, 1), MSG_DONTWAIT),
                SyscallSucceedsWithValue(1))
        << "a message queued before the peer closed was lost by the close";
  }
  auto pair = UnixSocket::Pair(SOCK_DGRAM);
  ASSERT_THAT(pair.first.TrySend(Bytes("q"), 0), SyscallSucceedsWithValue(1));
  pair.first.Close();
  EXPECT_THAT(pair.second.TrySend(Bytes("x"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(pair.second.TryReceive(Into(&byte, 1), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN))
      << "the failed send did not purge the receive queue";
  EXPECT_THAT(pair.second.TrySend(Bytes("y"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(ENOTCONN));
}

// A connected stream socket refuses a destination address: EISCONN.
TEST(DeadPeerTest, SendtoOnAConnectedStreamIsEisconn) {
  CLAIM("sock.beyond.connect-errors");
  auto pair = UnixSocket::Pair(SOCK_STREAM);
  const UnixAddress elsewhere =
      UnixAddress::Abstract(UniqueAbstractName("else"));
  EXPECT_THAT(pair.first.TrySendTo(Bytes("x"), elsewhere, 0),
              SyscallFailsWithErrno(EISCONN));
}

// A seqpacket socket is connection-oriented like a stream: with its peer
// closed, a send fails EPIPE and a read returns 0.
TEST(DeadPeerTest, SeqpacketWithAClosedPeerGivesEpipeAndEof) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  pair.first.Close();
  EXPECT_THAT(pair.second.TrySend(Bytes("abc"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  char data[8];
  EXPECT_THAT(::read(pair.second.fd(), data, sizeof data),
              SyscallSucceedsWithValue(0));
}

// Unlike a stream (EISCONN), a connected seqpacket socket ignores a
// destination address given to sendto(2) and delivers to its peer
// (unix_seqpacket_sendmsg drops msg_name).
TEST(DeadPeerTest, SendtoOnAConnectedSeqpacketIgnoresTheAddress) {
  CLAIM("sock.beyond.connect-errors");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  const UnixAddress elsewhere =
      UnixAddress::Abstract(UniqueAbstractName("ignored"));
  ASSERT_THAT(pair.second.TrySendTo(Bytes("abc"), elsewhere, 0),
              SyscallSucceedsWithValue(3));
  char data[8];
  EXPECT_THAT(pair.first.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
}

// A bound datagram socket serves many senders: one connected (getpeername
// names the receiver), one sending with sendto and no connect. A
// zero-length datagram is a message of its own (read returns 0 for it). One
// sender's SHUT_WR fails its own sends EPIPE and leaves the shared queue
// alone: the other sender still sends, and the drained queue gives EAGAIN,
// not end of file. With SO_PASSCRED the unconnected sender is identified.
TEST(DatagramTest, BoundReceiverServesSeveralSenders) {
  CLAIM("sock.beyond.packet-keeps-boundaries", "sock.beyond.shutdown");
  const UnixAddress address = UnixAddress::Abstract(UniqueAbstractName("many"));
  UnixSocket receiver = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(receiver.TryBind(address), SyscallSucceeds());
  ASSERT_NO_THROW(receiver.SetPassCredentials(true));
  UnixSocket connected = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(connected.TryConnect(address), SyscallSucceeds());
  ASSERT_THAT(connected.TryConnect(address), SyscallSucceeds())
      << "connecting a datagram socket again to the same name";
  // Raw getpeername: the test checks the length the kernel wrote back.
  sockaddr_un peer{};
  socklen_t len = sizeof peer;
  ASSERT_THAT(
      ::getpeername(connected.fd(), reinterpret_cast<sockaddr*>(&peer), &len),
      SyscallSucceeds());
  EXPECT_EQ(len, address.length());
  EXPECT_EQ(std::memcmp(&peer, &address.raw(), address.length()), 0);
  UnixSocket unconnected = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(::write(connected.fd(), "", 0), SyscallSucceedsWithValue(0));
  ASSERT_THAT(connected.TrySend(Bytes("abc"), 0), SyscallSucceedsWithValue(3));
  ASSERT_THAT(connected.TryShutdown(SHUT_WR), SyscallSucceeds());
  EXPECT_THAT(connected.TrySend(Bytes("x"), MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  ASSERT_THAT(unconnected.TrySendTo(Bytes("xyz"), address, 0),
              SyscallSucceedsWithValue(3));
  char data[8];
  EXPECT_THAT(receiver.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(0));
  EXPECT_THAT(receiver.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  Received last = ReceiveMessage(receiver, 8, 0, true, MSG_DONTWAIT);
  ASSERT_EQ(last.result, 3) << std::strerror(last.error);
  EXPECT_EQ(last.data, "xyz");
  ASSERT_EQ(last.credentials.size(), 1u);
  EXPECT_EQ(last.credentials[0].pid, ::getpid());
  EXPECT_THAT(receiver.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
}

// Datagram sockets have no connections to queue: listen(2) and accept(2)
// fail EOPNOTSUPP; a socket may connect to its own name and send to itself.
TEST(DatagramTest, NoListenOrAcceptButSelfConnectWorks) {
  CLAIM("sock.beyond.connect-errors");
  const UnixAddress address = UnixAddress::Abstract(UniqueAbstractName("self"));
  UnixSocket s = UnixSocket::Create(SOCK_DGRAM);
  ASSERT_THAT(s.TryBind(address), SyscallSucceeds());
  // Raw: UnixSocket::Listen has no Try form and accept is refused here.
  EXPECT_THAT(::listen(s.fd(), 0), SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(::accept(s.fd(), nullptr, nullptr),
              SyscallFailsWithErrno(EOPNOTSUPP));
  ASSERT_THAT(s.TryConnect(address), SyscallSucceeds());
  ASSERT_THAT(s.TrySend(Bytes("me"), 0), SyscallSucceedsWithValue(2));
  char data[4];
  EXPECT_THAT(s.TryReceive(Into(data, sizeof data), MSG_DONTWAIT),
              SyscallSucceedsWithValue(2));
}

// A socket's descriptor names an inode of sockfs ("socket:[N]" in
// /proc/PID/fd) that /proc/net/unix lists by the same number.
TEST(NameTest, ProcFdLinkAndProcNetUnixAgreeOnTheInode) {
  CLAIM("sock.beyond.filesystem-node");
  auto pair = UnixSocket::Pair(SOCK_SEQPACKET);
  const std::string link =
      ReadLinkOrEmpty(ProcFdPath(::getpid(), pair.first.fd()));
  const std::string ino = std::to_string(StatFd(pair.first.fd()).st_ino);
  EXPECT_EQ(link, "socket:[" + ino + "]");
  EXPECT_TRUE(S_ISSOCK(StatFd(pair.first.fd()).st_mode));
  EXPECT_THAT(ReadFileOrThrow("/proc/net/unix"),
              ::testing::HasSubstr(" " + ino));
}

// A nonblocking zero-length receive on an empty socket fails EAGAIN (it
// does not report an empty message); once the peer has shut down writes,
// a stream or seqpacket socket returns 0 (end of file) while a datagram
// socket, which has no connection to end, still fails EAGAIN.
TEST_P(AllTypesTest, ZeroLengthReceiveOnAnEmptySocket) {
  CLAIM("sock.beyond.shutdown");
  auto pair = UnixSocket::Pair(GetParam());
  Received empty = ReceivePlain(pair.first, 0, MSG_DONTWAIT);
  EXPECT_EQ(empty.result, -1);
  EXPECT_EQ(empty.error, EAGAIN);
  ASSERT_THAT(pair.second.TryShutdown(SHUT_WR), SyscallSucceeds());
  Received after = ReceivePlain(pair.first, 0, MSG_DONTWAIT);
  if (GetParam() == SOCK_DGRAM) {
    EXPECT_EQ(after.result, -1);
    EXPECT_EQ(after.error, EAGAIN);
  } else {
    EXPECT_EQ(after.result, 0) << std::strerror(after.error);
    EXPECT_EQ(after.msg_flags & MSG_TRUNC, 0);
  }
}

// A process sleeping in poll(2) for POLLRDHUP only (no data events) is
// woken when the peer shuts down writes, and one polling for nothing
// (POLLHUP is always reported) when the peer shuts down both ways.
TEST(ShutdownTest, PeerShutdownWakesAHangupOnlyPoller) {
  CLAIM("sock.beyond.shutdown");
  for (const int how : {SHUT_WR, SHUT_RDWR}) {
    SCOPED_TRACE(how == SHUT_WR ? "SHUT_WR, POLLRDHUP" : "SHUT_RDWR, POLLHUP");
    auto pair = UnixSocket::Pair(SOCK_STREAM);
    const int end = pair.first.fd();
    const short want = how == SHUT_WR ? POLLRDHUP : POLLHUP;
    ChildProcess child = ChildProcess::Fork([end, want] {
      pollfd p{end, static_cast<short>(want == POLLRDHUP ? POLLRDHUP : 0), 0};
      const int n = ::poll(&p, 1, ArrivalTimeoutMs());
      if (n != 1) return n == 0 ? 10 : ErrnoExit();
      return (p.revents & want) != 0 ? 0 : 11;
    });
    ASSERT_TRUE(
        WaitUntilBlockedIn(child.pid(), child.pid(), {SYS_poll, SYS_ppoll}));
    ASSERT_THAT(pair.second.TryShutdown(how), SyscallSucceeds());
    EXPECT_TRUE(ExitsWithZeroWithin(child))
        << "10: poll timed out (no wake-up); 11: woken without the event";
  }
}

}  // namespace
}  // namespace ipcproof

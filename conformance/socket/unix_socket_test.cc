// Unix-domain sockets: socketpair, message boundaries, names, shutdown and
// connection errors (unix(7), socket(7), socketpair(2), shutdown(2),
// connect(2), send(2), recv(2)).
//
// Peers are processes, not threads: a forked child does only
// async-signal-safe work and reports through its exit status. Blocking is
// proven from /proc (WaitUntilBlockedIn), never by sleeping. Every receive
// that checks arrival polls with a deadline first or uses MSG_DONTWAIT after
// arrival is proven.
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
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::Not;

constexpr int kArrivalTimeoutMs = 10000;

bool ChildPollIn(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, kArrivalTimeoutMs) == 1;
}

// Bytes queued for reading (FIONREAD / SIOCINQ, unix(7)).
int BytesQueued(int fd) {
  int n = -1;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

UniqueFd UnixSocket(int type) {
  return UniqueFd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
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
  UnixPair pair = MakeUnixPair(GetParam());
  const int child_end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([child_end] {
    if (::write(child_end, "ping", 4) != 4) return 10;
    char reply[4];
    if (!ChildPollIn(child_end)) return 11;
    if (::read(child_end, reply, 4) != 4) return 12;
    return std::memcmp(reply, "pong", 4) == 0 ? 0 : 13;
  });
  pair.second.Reset();
  char data[4];
  ASSERT_NE(PollFor(pair.first.get(), POLLIN, kArrivalTimeoutMs) & POLLIN, 0);
  ASSERT_THAT(::read(pair.first.get(), data, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(data, 4), "ping");
  ASSERT_THAT(::write(pair.first.get(), "pong", 4),
              SyscallSucceedsWithValue(4));
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
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  for (int end : {pair.first.get(), pair.second.get()}) {
    const int other =
        end == pair.first.get() ? pair.second.get() : pair.first.get();
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
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  const int end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([end] {
    if (::write(end, "abc", 3) != 3) return 10;
    return ::write(end, "defg", 4) == 4 ? 0 : 11;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  ASSERT_EQ(BytesQueued(pair.first.get()), 7);
  char data[64];
  ASSERT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(data, 7), "abcdefg");
}

// SOCK_SEQPACKET and SOCK_DGRAM keep each send a message: two sends, two
// receives, however large the buffer.
TEST_P(PacketTypesTest, TwoSendsAreTwoReceives) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  UnixPair pair = MakeUnixPair(GetParam());
  const int end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([end] {
    if (::write(end, "abc", 3) != 3) return 10;
    return ::write(end, "defg", 4) == 4 ? 0 : 11;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child));
  char data[64];
  ASSERT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(data, 3), "abc");
  ASSERT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(data, 4), "defg");
}

// recv(2): a message longer than the buffer is truncated, MSG_TRUNC is set
// in msg_flags, and "excess bytes may be discarded" (the next receive gets
// the next message, not the rest); with MSG_TRUNC as a flag the call
// returns the real length.
TEST_P(PacketTypesTest, ShortBufferTruncatesAndDiscardsTheRest) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  UnixPair pair = MakeUnixPair(GetParam());
  ASSERT_THAT(::write(pair.second.get(), "0123456789", 10),
              SyscallSucceedsWithValue(10));
  ASSERT_THAT(::write(pair.second.get(), "next", 4),
              SyscallSucceedsWithValue(4));
  ASSERT_THAT(::write(pair.second.get(), "ABCDEFGHIJ", 10),
              SyscallSucceedsWithValue(10));
  Received short_read =
      ReceiveWithControl(pair.first.get(), 3, 0, MSG_DONTWAIT);
  ASSERT_EQ(short_read.result, 3);
  EXPECT_EQ(short_read.data, "012");
  EXPECT_EQ(short_read.msg_flags & MSG_TRUNC, MSG_TRUNC);
  Received next = ReceiveWithControl(pair.first.get(), 64, 0, MSG_DONTWAIT);
  EXPECT_EQ(next.data, "next");
  EXPECT_EQ(next.msg_flags & MSG_TRUNC, 0);
  Received real_length =
      ReceiveWithControl(pair.first.get(), 3, 0, MSG_DONTWAIT | MSG_TRUNC);
  EXPECT_EQ(real_length.result, 10);
  EXPECT_EQ(real_length.data, "ABC");
}

// A stream leaves what did not fit for the next read, and never sets
// MSG_TRUNC.
TEST(BoundaryTest, StreamShortBufferKeepsTheRest) {
  CLAIM("sock.beyond.stream-merges-writes");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.second.get(), "0123456789", 10),
              SyscallSucceedsWithValue(10));
  Received first = ReceiveWithControl(pair.first.get(), 3, 0, MSG_DONTWAIT);
  EXPECT_EQ(first.data, "012");
  EXPECT_EQ(first.msg_flags & MSG_TRUNC, 0);
  Received rest = ReceiveWithControl(pair.first.get(), 64, 0, MSG_DONTWAIT);
  EXPECT_EQ(rest.data, "3456789");
}

// A zero-length receive on a pending packet consumes it and reports
// MSG_TRUNC; on a stream it consumes nothing.
TEST_P(AllTypesTest, ZeroLengthReceiveOnPendingData) {
  CLAIM("sock.beyond.packet-keeps-boundaries");
  UnixPair pair = MakeUnixPair(GetParam());
  ASSERT_THAT(::write(pair.second.get(), "abc", 3),
              SyscallSucceedsWithValue(3));
  Received zero = ReceiveWithControl(pair.first.get(), 0, 0, MSG_DONTWAIT);
  ASSERT_EQ(zero.result, 0) << std::strerror(zero.error);
  char data[8];
  if (GetParam() == SOCK_STREAM) {
    EXPECT_EQ(zero.msg_flags & MSG_TRUNC, 0);
    EXPECT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
                SyscallSucceedsWithValue(3));
  } else {
    EXPECT_EQ(zero.msg_flags & MSG_TRUNC, MSG_TRUNC);
    EXPECT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
                SyscallFailsWithErrno(EAGAIN));
  }
}

// A receive on an empty socket blocks until data comes: the child is seen
// sleeping in the receive, then the test writes and the child gets it.
TEST_P(AllTypesTest, ReceiveBlocksUntilThePeerWrites) {
  CLAIM("sock.beyond.socketpair-two-way");
  UnixPair pair = MakeUnixPair(GetParam());
  const int end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([end] {
    char data[8];
    const ssize_t n = ::recv(end, data, sizeof data, 0);
    if (n != 5) return n < 0 ? ErrnoExit() : 10;
    return std::memcmp(data, "wake!", 5) == 0 ? 0 : 11;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), child.pid(),
                                 {SYS_recvfrom, SYS_recvmsg, SYS_read}));
  ASSERT_THAT(::write(pair.first.get(), "wake!", 5),
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
  const UnixAddress address = AbstractAddress(name);
  const std::vector<std::string> cwd_before = ListDirectory(".");
  const std::vector<std::string> tmp_before = ListDirectory(TestTempDir());
  {
    UniqueFd s = UnixSocket(SOCK_STREAM);
    ASSERT_THAT(::bind(s.get(), address.get(), address.length),
                SyscallSucceeds());
    EXPECT_EQ(ListDirectory("."), cwd_before);
    EXPECT_EQ(ListDirectory(TestTempDir()), tmp_before);
    EXPECT_THAT(ProcNetUnixPaths(), Contains("@" + name));
    sockaddr_un bound{};
    socklen_t len = sizeof bound;
    ASSERT_THAT(
        ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&bound), &len),
        SyscallSucceeds());
    EXPECT_EQ(len, address.length);
    EXPECT_EQ(bound.sun_path[0], '\0');
    EXPECT_EQ(std::string(bound.sun_path + 1, name.size()), name);
    UniqueFd again = UnixSocket(SOCK_STREAM);
    EXPECT_THAT(::bind(again.get(), address.get(), address.length),
                SyscallFailsWithErrno(EADDRINUSE));
  }
  EXPECT_THAT(ProcNetUnixPaths(), Not(Contains("@" + name)));
  UniqueFd rebound = UnixSocket(SOCK_STREAM);
  EXPECT_THAT(::bind(rebound.get(), address.get(), address.length),
              SyscallSucceeds());
}

// unix(7) pathname sockets: bind creates a socket node (S_ISSOCK) that
// outlives the socket; binding the path again fails EADDRINUSE until the
// node is removed; the test removes it and nothing is left.
TEST(NameTest, FilesystemNameIsASocketNodeThatOutlivesClose) {
  CLAIM("sock.beyond.filesystem-node");
  const std::string path = UniqueTempPath("node.sock");
  const UnixAddress address = PathAddress(path);
  {
    UniqueFd s = UnixSocket(SOCK_STREAM);
    ASSERT_THAT(::bind(s.get(), address.get(), address.length),
                SyscallSucceeds());
    EXPECT_TRUE(S_ISSOCK(StatPath(path).st_mode));
    EXPECT_TRUE(S_ISSOCK(StatFd(s.get()).st_mode));
    EXPECT_THAT(ProcNetUnixPaths(), Contains(path));
  }
  ScopedUnlink remove_node(path);
  struct stat st {};
  ASSERT_THAT(::lstat(path.c_str(), &st), SyscallSucceeds())
      << "the node went away with the socket";
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_size, 0);
  UniqueFd again = UnixSocket(SOCK_STREAM);
  EXPECT_THAT(::bind(again.get(), address.get(), address.length),
              SyscallFailsWithErrno(EADDRINUSE));
  ASSERT_THAT(::unlink(path.c_str()), SyscallSucceeds());
  EXPECT_THAT(::bind(again.get(), address.get(), address.length),
              SyscallSucceeds());
  again.Reset();
  ASSERT_THAT(::unlink(path.c_str()), SyscallSucceeds());
  EXPECT_THAT(::lstat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// connect(2) to a node whose socket is closed: ECONNREFUSED; to a path that
// does not exist: ENOENT; to an abstract name nobody holds: ECONNREFUSED.
TEST(ConnectTest, NobodyListeningIsRefused) {
  CLAIM("sock.beyond.connect-errors");
  const std::string path = UniqueTempPath("stale.sock");
  const UnixAddress stale = PathAddress(path);
  {
    UniqueFd s = UnixSocket(SOCK_STREAM);
    ASSERT_THAT(::bind(s.get(), stale.get(), stale.length), SyscallSucceeds());
  }
  ScopedUnlink remove_node(path);
  UniqueFd c = UnixSocket(SOCK_STREAM);
  EXPECT_THAT(::connect(c.get(), stale.get(), stale.length),
              SyscallFailsWithErrno(ECONNREFUSED));
  const UnixAddress missing = PathAddress(UniqueTempPath("missing.sock"));
  EXPECT_THAT(::connect(c.get(), missing.get(), missing.length),
              SyscallFailsWithErrno(ENOENT));
  const UnixAddress nobody = AbstractAddress(UniqueAbstractName("nobody"));
  EXPECT_THAT(::connect(c.get(), nobody.get(), nobody.length),
              SyscallFailsWithErrno(ECONNREFUSED));
  UniqueFd d = UnixSocket(SOCK_DGRAM);
  EXPECT_THAT(::sendto(d.get(), "x", 1, 0, nobody.get(), nobody.length),
              SyscallFailsWithErrno(ECONNREFUSED));
}

// A bound socket that is not listening refuses stream connections; one
// that listens reports SO_ACCEPTCONN.
TEST(ConnectTest, OnlyAListeningSocketAcceptsConnections) {
  CLAIM("sock.beyond.connect-errors");
  const UnixAddress address = AbstractAddress(UniqueAbstractName("listen"));
  UniqueFd server = UnixSocket(SOCK_STREAM);
  ASSERT_THAT(::bind(server.get(), address.get(), address.length),
              SyscallSucceeds());
  int accepting = -1;
  socklen_t len = sizeof accepting;
  ASSERT_THAT(
      ::getsockopt(server.get(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len),
      SyscallSucceeds());
  EXPECT_EQ(accepting, 0);
  UniqueFd c = UnixSocket(SOCK_STREAM);
  EXPECT_THAT(::connect(c.get(), address.get(), address.length),
              SyscallFailsWithErrno(ECONNREFUSED));
  ASSERT_THAT(::listen(server.get(), 1), SyscallSucceeds());
  ASSERT_THAT(
      ::getsockopt(server.get(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len),
      SyscallSucceeds());
  EXPECT_EQ(accepting, 1);
  UniqueFd c2 = UnixSocket(SOCK_STREAM);
  EXPECT_THAT(::connect(c2.get(), address.get(), address.length),
              SyscallSucceeds());
}

// listen(2): backlog bounds the queue of connections not yet accepted. A
// nonblocking connect to a full queue fails EAGAIN (unix(7): "EAGAIN ... for
// a nonblocking connect when the backlog is full"); how many fit is
// measured and bounded by the backlog the test asked for.
TEST(ConnectTest, FullBacklogRefusesNonblockingConnectWithEagain) {
  CLAIM("sock.beyond.backlog-full");
  const UnixAddress address = AbstractAddress(UniqueAbstractName("backlog"));
  UniqueFd server = UnixSocket(SOCK_STREAM);
  ASSERT_THAT(::bind(server.get(), address.get(), address.length),
              SyscallSucceeds());
  constexpr int kBacklog = 2;
  ASSERT_THAT(::listen(server.get(), kBacklog), SyscallSucceeds());
  std::vector<UniqueFd> clients;
  int refused_errno = 0;
  // The kernel may admit one more than the backlog; a few more than that
  // means the bound is not enforced at all.
  for (int i = 0; i < kBacklog + 4; ++i) {
    UniqueFd c = UnixSocket(SOCK_STREAM | SOCK_NONBLOCK);
    if (::connect(c.get(), address.get(), address.length) != 0) {
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
  UniqueFd accepted(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  UniqueFd one_more = UnixSocket(SOCK_STREAM | SOCK_NONBLOCK);
  EXPECT_THAT(::connect(one_more.get(), address.get(), address.length),
              SyscallSucceeds());
}

// A blocking connect to a full queue sleeps in connect until the listener
// accepts.
TEST(ConnectTest, BlockingConnectWaitsForRoomInTheBacklog) {
  CLAIM("sock.beyond.backlog-full");
  const UnixAddress address = AbstractAddress(UniqueAbstractName("wait"));
  UniqueFd server = UnixSocket(SOCK_STREAM);
  ASSERT_THAT(::bind(server.get(), address.get(), address.length),
              SyscallSucceeds());
  ASSERT_THAT(::listen(server.get(), 0), SyscallSucceeds());
  std::vector<UniqueFd> fill;
  for (int i = 0; i < 4; ++i) {
    UniqueFd c = UnixSocket(SOCK_STREAM | SOCK_NONBLOCK);
    if (::connect(c.get(), address.get(), address.length) != 0) break;
    fill.push_back(std::move(c));
  }
  ASSERT_LT(fill.size(), 4u) << "the backlog never filled";
  ChildProcess child = ChildProcess::Fork([&] {
    const int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0) return ErrnoExit();
    return ::connect(c, address.get(), address.length) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_connect));
  UniqueFd accepted(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(ExitsWithZeroWithin(child));
}

// --- Shutdown and dead peers
// ---------------------------------------------------

// shutdown(2) SHUT_WR: the peer's read returns 0 once the queue is drained;
// a reader blocked in read is woken by it.
TEST(ShutdownTest, PeerShutWrGivesEndOfFileToABlockedReader) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.first.get(), "last", 4),
              SyscallSucceedsWithValue(4));
  const int end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([end] {
    char data[8];
    if (::read(end, data, sizeof data) != 4) return 10;
    const ssize_t n = ::read(end, data, sizeof data);  // blocks until SHUT_WR
    return n == 0 ? 0 : n < 0 ? ErrnoExit() : 11;
  });
  ASSERT_TRUE(
      WaitUntilBlockedIn(child.pid(), child.pid(), {SYS_read, SYS_recvfrom}));
  ASSERT_THAT(::shutdown(pair.first.get(), SHUT_WR), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithZeroWithin(child));
  // The other direction still works.
  ASSERT_THAT(::write(pair.second.get(), "r", 1), SyscallSucceedsWithValue(1));
  char byte;
  EXPECT_THAT(::read(pair.first.get(), &byte, 1), SyscallSucceedsWithValue(1));
}

// After SHUT_WR, a write fails EPIPE and raises SIGPIPE (shutdown(2),
// send(2)); MSG_NOSIGNAL keeps the EPIPE and drops the signal.
TEST(ShutdownTest, WriteAfterShutWrIsEpipeAndSigpipe) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  ASSERT_THAT(::shutdown(pair.first.get(), SHUT_WR), SyscallSucceeds());
  ScopedSignalBlock block(SIGPIPE);
  ASSERT_FALSE(TakePendingSignal(SIGPIPE).has_value());
  EXPECT_THAT(::send(pair.first.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  EXPECT_FALSE(TakePendingSignal(SIGPIPE).has_value())
      << "MSG_NOSIGNAL still raised SIGPIPE";
  EXPECT_THAT(::write(pair.first.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  EXPECT_TRUE(TakePendingSignal(SIGPIPE).has_value()) << "no SIGPIPE raised";
}

// A child that writes to a stream whose peer is gone, with SIGPIPE at its
// default action, is killed by SIGPIPE.
TEST(ShutdownTest, WriteToAClosedPeerKillsWithSigpipe) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  pair.first.Reset();
  const int end = pair.second.get();
  ChildProcess child = ChildProcess::Fork([end] {
    if (!RestoreDefaultSignal(SIGPIPE)) return 10;
    ::write(end, "x", 1);
    return 11;
  });
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGPIPE)) << DescribeChildExit(status);
  char byte;
  EXPECT_THAT(::read(pair.second.get(), &byte, 1), SyscallSucceedsWithValue(0));
}

// Closing a stream socket with unread data resets the peer's connection:
// after the end-of-file that SHUT_RDWR gives, the next read fails
// ECONNRESET.
TEST(ShutdownTest, CloseWithUnreadDataResetsThePeer) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  ASSERT_THAT(::write(pair.second.get(), "unread", 6),
              SyscallSucceedsWithValue(6));
  ASSERT_THAT(::shutdown(pair.first.get(), SHUT_RDWR), SyscallSucceeds());
  char data[8];
  ASSERT_THAT(::read(pair.second.get(), data, sizeof data),
              SyscallSucceedsWithValue(0));
  pair.first.Reset();
  EXPECT_THAT(::read(pair.second.get(), data, sizeof data),
              SyscallFailsWithErrno(ECONNRESET));
}

// A seqpacket peer's SHUT_WR propagates (end of file once drained); a
// datagram peer's does not (the reader sees EAGAIN). The shut side's own
// sends fail EPIPE either way.
TEST_P(PacketTypesTest, PeerShutWrAfterTheLastMessage) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(GetParam());
  ASSERT_THAT(::send(pair.second.get(), "msg", 3, 0),
              SyscallSucceedsWithValue(3));
  ASSERT_THAT(::shutdown(pair.second.get(), SHUT_WR), SyscallSucceeds());
  EXPECT_THAT(::send(pair.second.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  char data[8];
  ASSERT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  if (GetParam() == SOCK_SEQPACKET) {
    EXPECT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
                SyscallSucceedsWithValue(0));
  } else {
    EXPECT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
                SyscallFailsWithErrno(EAGAIN));
  }
}

// A datagram socket connected to a named peer that has closed: the first
// send fails ECONNREFUSED (and disconnects), the next ENOTCONN.
TEST(DeadPeerTest, DatagramToAClosedPeerIsRefusedThenNotConnected) {
  CLAIM("sock.beyond.dgram-dead-peer");
  const UnixAddress address = AbstractAddress(UniqueAbstractName("dgram"));
  UniqueFd receiver = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::bind(receiver.get(), address.get(), address.length),
              SyscallSucceeds());
  UniqueFd sender = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::connect(sender.get(), address.get(), address.length),
              SyscallSucceeds());
  ASSERT_THAT(::send(sender.get(), "a", 1, 0), SyscallSucceedsWithValue(1));
  receiver.Reset();
  EXPECT_THAT(::send(sender.get(), "b", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(::send(sender.get(), "c", 1, MSG_NOSIGNAL),
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
    UnixPair pair = MakeUnixPair(SOCK_DGRAM);
    ASSERT_THAT(::send(pair.first.get(), "q", 1, 0),
                SyscallSucceedsWithValue(1));
    pair.first.Reset();
    EXPECT_THAT(::recv(pair.second.get(), &byte, 1, MSG_DONTWAIT),
                SyscallSucceedsWithValue(1))
        << "a message queued before the peer closed was lost by the close";
  }
  UnixPair pair = MakeUnixPair(SOCK_DGRAM);
  ASSERT_THAT(::send(pair.first.get(), "q", 1, 0), SyscallSucceedsWithValue(1));
  pair.first.Reset();
  EXPECT_THAT(::send(pair.second.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(::recv(pair.second.get(), &byte, 1, MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN))
      << "the failed send did not purge the receive queue";
  EXPECT_THAT(::send(pair.second.get(), "y", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(ENOTCONN));
}

// A connected stream socket refuses a destination address: EISCONN.
TEST(DeadPeerTest, SendtoOnAConnectedStreamIsEisconn) {
  CLAIM("sock.beyond.connect-errors");
  UnixPair pair = MakeUnixPair(SOCK_STREAM);
  const UnixAddress elsewhere = AbstractAddress(UniqueAbstractName("else"));
  EXPECT_THAT(
      ::sendto(pair.first.get(), "x", 1, 0, elsewhere.get(), elsewhere.length),
      SyscallFailsWithErrno(EISCONN));
}

// A seqpacket socket is connection-oriented like a stream: with its peer
// closed, a send fails EPIPE and a read returns 0.
TEST(DeadPeerTest, SeqpacketWithAClosedPeerGivesEpipeAndEof) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(SOCK_SEQPACKET);
  pair.first.Reset();
  EXPECT_THAT(::send(pair.second.get(), "abc", 3, MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  char data[8];
  EXPECT_THAT(::read(pair.second.get(), data, sizeof data),
              SyscallSucceedsWithValue(0));
}

// Unlike a stream (EISCONN), a connected seqpacket socket ignores a
// destination address given to sendto(2) and delivers to its peer
// (unix_seqpacket_sendmsg drops msg_name).
TEST(DeadPeerTest, SendtoOnAConnectedSeqpacketIgnoresTheAddress) {
  CLAIM("sock.beyond.connect-errors");
  UnixPair pair = MakeUnixPair(SOCK_SEQPACKET);
  const UnixAddress elsewhere = AbstractAddress(UniqueAbstractName("ignored"));
  ASSERT_THAT(::sendto(pair.second.get(), "abc", 3, 0, elsewhere.get(),
                       elsewhere.length),
              SyscallSucceedsWithValue(3));
  char data[8];
  EXPECT_THAT(::recv(pair.first.get(), data, sizeof data, MSG_DONTWAIT),
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
  const UnixAddress address = AbstractAddress(UniqueAbstractName("many"));
  UniqueFd receiver = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::bind(receiver.get(), address.get(), address.length),
              SyscallSucceeds());
  const int on = 1;
  ASSERT_THAT(
      ::setsockopt(receiver.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on),
      SyscallSucceeds());
  UniqueFd connected = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::connect(connected.get(), address.get(), address.length),
              SyscallSucceeds());
  ASSERT_THAT(::connect(connected.get(), address.get(), address.length),
              SyscallSucceeds())
      << "connecting a datagram socket again to the same name";
  sockaddr_un peer{};
  socklen_t len = sizeof peer;
  ASSERT_THAT(
      ::getpeername(connected.get(), reinterpret_cast<sockaddr*>(&peer), &len),
      SyscallSucceeds());
  EXPECT_EQ(len, address.length);
  EXPECT_EQ(std::memcmp(&peer, &address.addr, address.length), 0);
  UniqueFd unconnected = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::write(connected.get(), "", 0), SyscallSucceedsWithValue(0));
  ASSERT_THAT(::send(connected.get(), "abc", 3, 0),
              SyscallSucceedsWithValue(3));
  ASSERT_THAT(::shutdown(connected.get(), SHUT_WR), SyscallSucceeds());
  EXPECT_THAT(::send(connected.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(EPIPE));
  ASSERT_THAT(
      ::sendto(unconnected.get(), "xyz", 3, 0, address.get(), address.length),
      SyscallSucceedsWithValue(3));
  char data[8];
  EXPECT_THAT(::recv(receiver.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(0));
  EXPECT_THAT(::recv(receiver.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(3));
  Received last = ReceiveWithControl(receiver.get(), 8,
                                     CMSG_SPACE(sizeof(ucred)), MSG_DONTWAIT);
  ASSERT_EQ(last.result, 3) << std::strerror(last.error);
  EXPECT_EQ(last.data, "xyz");
  ASSERT_EQ(last.credentials.size(), 1u);
  EXPECT_EQ(last.credentials[0].pid, ::getpid());
  EXPECT_THAT(::recv(receiver.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
}

// Datagram sockets have no connections to queue: listen(2) and accept(2)
// fail EOPNOTSUPP; a socket may connect to its own name and send to itself.
TEST(DatagramTest, NoListenOrAcceptButSelfConnectWorks) {
  CLAIM("sock.beyond.connect-errors");
  const UnixAddress address = AbstractAddress(UniqueAbstractName("self"));
  UniqueFd s = UnixSocket(SOCK_DGRAM);
  ASSERT_THAT(::bind(s.get(), address.get(), address.length),
              SyscallSucceeds());
  EXPECT_THAT(::listen(s.get(), 0), SyscallFailsWithErrno(EOPNOTSUPP));
  EXPECT_THAT(::accept(s.get(), nullptr, nullptr),
              SyscallFailsWithErrno(EOPNOTSUPP));
  ASSERT_THAT(::connect(s.get(), address.get(), address.length),
              SyscallSucceeds());
  ASSERT_THAT(::send(s.get(), "me", 2, 0), SyscallSucceedsWithValue(2));
  char data[4];
  EXPECT_THAT(::recv(s.get(), data, sizeof data, MSG_DONTWAIT),
              SyscallSucceedsWithValue(2));
}

// A socket's descriptor names an inode of sockfs ("socket:[N]" in
// /proc/PID/fd) that /proc/net/unix lists by the same number.
TEST(NameTest, ProcFdLinkAndProcNetUnixAgreeOnTheInode) {
  CLAIM("sock.beyond.filesystem-node");
  UnixPair pair = MakeUnixPair(SOCK_SEQPACKET);
  const std::string link =
      ReadLinkOrEmpty(ProcFdPath(::getpid(), pair.first.get()));
  const std::string ino = std::to_string(StatFd(pair.first.get()).st_ino);
  EXPECT_EQ(link, "socket:[" + ino + "]");
  EXPECT_TRUE(S_ISSOCK(StatFd(pair.first.get()).st_mode));
  EXPECT_THAT(ReadFileOrThrow("/proc/net/unix"),
              ::testing::HasSubstr(" " + ino));
}

// A nonblocking zero-length receive on an empty socket fails EAGAIN (it
// does not report an empty message); once the peer has shut down writes,
// a stream or seqpacket socket returns 0 (end of file) while a datagram
// socket, which has no connection to end, still fails EAGAIN.
TEST_P(AllTypesTest, ZeroLengthReceiveOnAnEmptySocket) {
  CLAIM("sock.beyond.shutdown");
  UnixPair pair = MakeUnixPair(GetParam());
  Received empty = ReceiveWithControl(pair.first.get(), 0, 0, MSG_DONTWAIT);
  EXPECT_EQ(empty.result, -1);
  EXPECT_EQ(empty.error, EAGAIN);
  ASSERT_THAT(::shutdown(pair.second.get(), SHUT_WR), SyscallSucceeds());
  Received after = ReceiveWithControl(pair.first.get(), 0, 0, MSG_DONTWAIT);
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
    UnixPair pair = MakeUnixPair(SOCK_STREAM);
    const int end = pair.first.get();
    const short want = how == SHUT_WR ? POLLRDHUP : POLLHUP;
    ChildProcess child = ChildProcess::Fork([end, want] {
      pollfd p{end, static_cast<short>(want == POLLRDHUP ? POLLRDHUP : 0), 0};
      const int n = ::poll(&p, 1, kArrivalTimeoutMs);
      if (n != 1) return n == 0 ? 10 : ErrnoExit();
      return (p.revents & want) != 0 ? 0 : 11;
    });
    ASSERT_TRUE(
        WaitUntilBlockedIn(child.pid(), child.pid(), {SYS_poll, SYS_ppoll}));
    ASSERT_THAT(::shutdown(pair.second.get(), how), SyscallSucceeds());
    EXPECT_TRUE(ExitsWithZeroWithin(child))
        << "10: poll timed out (no wake-up); 11: woken without the event";
  }
}

}  // namespace
}  // namespace ipcproof

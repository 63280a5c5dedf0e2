// Unit tests of ipc/unix_socket.h, ipc/tcp_socket.h and the shared data path
// of ipc/socket_syscalls.h through the SocketSyscalls seam (and FdSyscalls
// for close, SignalSyscalls for poll): argument checks before any call,
// control-message buffer sizes, descriptors received owned and closed once,
// MSG_CTRUNC reported, EINTR not retried by single calls, loops over short
// sends, moved-from sockets releasing nothing. No call reaches the kernel.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_fd_syscalls.h"
#include "conformance/unit/mock_signal_syscalls.h"
#include "conformance/unit/mock_socket_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/socket_syscalls.h"
#include "ipc/tcp_socket.h"
#include "ipc/unix_socket.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;
using ::testing::StrictMock;

constexpr int kSock = 1010;
constexpr int kPeer = 1011;

std::span<const std::byte> Bytes(const char* text) {
  return std::as_bytes(std::span(text, std::strlen(text)));
}

class SocketTest : public ::testing::Test {
 protected:
  // A socket the mock created (socket(2) answers kSock).
  ipc::UnixSocket MakeSocket(int type = SOCK_STREAM) {
    EXPECT_CALL(sock_, Socket(AF_UNIX, type | SOCK_CLOEXEC, 0))
        .WillOnce(Return(kSock));
    return ipc::UnixSocket::Create(type);
  }
  void ExpectClose(int fd) { EXPECT_CALL(fds_, Close(fd)).WillOnce(Return(0)); }

  StrictMock<MockSocketSyscalls> sock_;
  StrictMock<MockFdSyscalls> fds_;
  StrictMock<MockSignalSyscalls> sig_;

 private:
  MockSocketSyscalls::ScopedOverride sock_override_{sock_};
  MockFdSyscalls::ScopedOverride fd_override_{fds_};
  MockSignalSyscalls::ScopedOverride sig_override_{sig_};
};

// ------------------------------------------------------------ UnixAddress

TEST(UnixAddressTest, FilesystemLengthCoversPathAndNul) {
  const ipc::UnixAddress a = ipc::UnixAddress::Filesystem("/tmp/s");
  EXPECT_EQ(a.kind(), ipc::UnixAddress::Kind::kFilesystem);
  EXPECT_EQ(a.length(), offsetof(sockaddr_un, sun_path) + 7);
  EXPECT_EQ(a.name(), "/tmp/s");
  EXPECT_EQ(a.ToString(), "/tmp/s");
  EXPECT_EQ(a.raw().sun_family, AF_UNIX);
}

// sun_path is 108 bytes: 107 plus the NUL fit, 108 do not.
TEST(UnixAddressTest, FilesystemPathMustFitWithItsNul) {
  EXPECT_NO_THROW(ipc::UnixAddress::Filesystem(std::string(107, 'p')));
  EXPECT_THAT([] { ipc::UnixAddress::Filesystem(std::string(108, 'p')); },
              ThrowsInvalidArgument(HasSubstr("sun_path")));
  EXPECT_THAT([] { ipc::UnixAddress::Filesystem(""); },
              ThrowsInvalidArgument());
  EXPECT_THAT([] { ipc::UnixAddress::Filesystem(std::string("a\0b", 3)); },
              ThrowsInvalidArgument(HasSubstr("NUL")));
}

TEST(UnixAddressTest, AbstractNameStartsWithNulAndCountsOnlyItsBytes) {
  const ipc::UnixAddress a = ipc::UnixAddress::Abstract(std::string("x\0y", 3));
  EXPECT_EQ(a.kind(), ipc::UnixAddress::Kind::kAbstract);
  EXPECT_EQ(a.raw().sun_path[0], '\0');
  EXPECT_EQ(a.length(), offsetof(sockaddr_un, sun_path) + 1 + 3);
  EXPECT_EQ(a.name(), std::string("x\0y", 3));
  EXPECT_EQ(a.ToString(), "@x\\0y");
  EXPECT_NO_THROW(ipc::UnixAddress::Abstract(std::string(107, 'n')));
  EXPECT_THAT([] { ipc::UnixAddress::Abstract(std::string(108, 'n')); },
              ThrowsInvalidArgument());
  EXPECT_THAT([] { ipc::UnixAddress::Abstract(""); }, ThrowsInvalidArgument());
}

TEST(UnixAddressTest, UnnamedIsTheFamilyAlone) {
  const ipc::UnixAddress a = ipc::UnixAddress::Unnamed();
  EXPECT_EQ(a.length(), sizeof(sa_family_t));
  EXPECT_EQ(a.kind(), ipc::UnixAddress::Kind::kUnnamed);
  EXPECT_EQ(a.ToString(), "(unnamed)");
}

// getsockname reports a filesystem name with its NUL counted; the name
// still ends at the NUL.
TEST(UnixAddressTest, FromKernelReadsWhatTheKernelFilledIn) {
  sockaddr_un raw{};
  raw.sun_family = AF_UNIX;
  std::strcpy(raw.sun_path, "/run/x");
  const auto a =
      ipc::UnixAddress::FromKernel(raw, offsetof(sockaddr_un, sun_path) + 7);
  EXPECT_EQ(a, ipc::UnixAddress::Filesystem("/run/x"));
  EXPECT_EQ(ipc::UnixAddress::FromKernel(raw, sizeof(sa_family_t)).kind(),
            ipc::UnixAddress::Kind::kUnnamed);
}

// ------------------------------------------------------- creating sockets

TEST_F(SocketTest, CreateRefusesABadTypeOrFlagsBeforeAnyCall) {
  EXPECT_THAT([] { ipc::UnixSocket::Create(SOCK_RAW); },
              ThrowsInvalidArgument(HasSubstr("SOCK_STREAM")));
  EXPECT_THAT([] { ipc::UnixSocket::Create(SOCK_STREAM, O_APPEND); },
              ThrowsInvalidArgument(HasSubstr("SOCK_CLOEXEC")));
  EXPECT_THAT([] { ipc::UnixSocket::Pair(SOCK_RAW); }, ThrowsInvalidArgument());
}

TEST_F(SocketTest, CreateFailureThrowsNamingSocket) {
  EXPECT_CALL(sock_, Socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0))
      .WillOnce(SetErrnoAndReturn(EMFILE, -1));
  EXPECT_THAT([] { ipc::UnixSocket::Create(SOCK_DGRAM, SOCK_NONBLOCK); },
              ThrowsSystemError(EMFILE, HasSubstr("SOCK_DGRAM")));
}

TEST_F(SocketTest, PairOwnsBothEndsAndClosesEachOnce) {
  EXPECT_CALL(sock_, Socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, _))
      .WillOnce(Invoke([](int, int, int, int* sv) {
        sv[0] = kSock;
        sv[1] = kPeer;
        return 0;
      }));
  ExpectClose(kSock);
  ExpectClose(kPeer);
  auto [a, b] = ipc::UnixSocket::Pair(SOCK_SEQPACKET);
  EXPECT_EQ(a.fd(), kSock);
  EXPECT_EQ(b.fd(), kPeer);
  EXPECT_EQ(a.type(), SOCK_SEQPACKET);
}

TEST_F(SocketTest, PairFailureOwnsNothing) {
  EXPECT_CALL(sock_, Socketpair).WillOnce(SetErrnoAndReturn(ENFILE, -1));
  EXPECT_THAT([] { ipc::UnixSocket::Pair(SOCK_STREAM); },
              ThrowsSystemError(ENFILE, HasSubstr("socketpair")));
}

TEST_F(SocketTest, MovedFromSocketClosesNothing) {
  ipc::UnixSocket a = MakeSocket();
  ExpectClose(kSock);  // once, by `b`
  ipc::UnixSocket b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.fd(), kSock);
  // A moved-from socket refuses calls instead of passing -1 to the kernel.
  EXPECT_THAT([&] { a.Send(Bytes("x")); }, ThrowsInvalidArgument());
}

TEST_F(SocketTest, BindPassesTheAddressAndItsLengthAndNamesItOnFailure) {
  ipc::UnixSocket s = MakeSocket();
  const auto address = ipc::UnixAddress::Abstract("ipcproof");
  EXPECT_CALL(sock_, Bind(kSock, address.sockaddr_ptr(), address.length()))
      .WillOnce(SetErrnoAndReturn(EADDRINUSE, -1));
  EXPECT_THAT([&] { s.Bind(address); },
              ThrowsSystemError(EADDRINUSE, HasSubstr("@ipcproof")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, AcceptWrapsTheNewDescriptor) {
  ipc::UnixSocket listener = MakeSocket();
  EXPECT_CALL(sock_, Accept4(kSock, nullptr, nullptr, SOCK_CLOEXEC))
      .WillOnce(Return(kPeer));
  ipc::UnixSocket accepted = listener.Accept();
  EXPECT_EQ(accepted.fd(), kPeer);
  EXPECT_EQ(accepted.type(), SOCK_STREAM);
  ExpectClose(kPeer);
  ExpectClose(kSock);
}

TEST_F(SocketTest, AcceptWithinGivesNothingWhenNoConnectionCame) {
  ipc::UnixSocket listener = MakeSocket();
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillRepeatedly(Return(0));
  EXPECT_FALSE(listener.AcceptWithin(std::chrono::milliseconds(0)).has_value());
  ExpectClose(kSock);
}

// ---------------------------------------------------------------- data

TEST_F(SocketTest, SendIsOneSendmsgOfOneIovecAndNoControl) {
  ipc::UnixSocket s = MakeSocket();
  const auto data = Bytes("hello");
  EXPECT_CALL(sock_, Sendmsg(kSock, _, MSG_NOSIGNAL))
      .WillOnce(Invoke([&](int, const msghdr* m, int) {
        EXPECT_EQ(m->msg_iovlen, 1u);
        EXPECT_EQ(m->msg_iov[0].iov_base, data.data());
        EXPECT_EQ(m->msg_iov[0].iov_len, 5u);
        EXPECT_EQ(m->msg_control, nullptr);
        EXPECT_EQ(m->msg_controllen, 0u);
        return ssize_t{3};
      }));
  EXPECT_EQ(s.Send(data, MSG_NOSIGNAL), 3u);
  ExpectClose(kSock);
}

// A test must see EINTR and EPIPE: one call, thrown with the errno.
TEST_F(SocketTest, SendDoesNotRetryEintrAndReportsEpipe) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_CALL(sock_, Sendmsg).WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_THAT([&] { s.Send(Bytes("x")); },
              ThrowsSystemError(EINTR, HasSubstr("sendmsg")));
  EXPECT_CALL(sock_, Sendmsg).WillOnce(SetErrnoAndReturn(EPIPE, -1));
  errno = 0;
  EXPECT_EQ(s.TrySend(Bytes("x")), -1);
  EXPECT_EQ(errno, EPIPE);
  ExpectClose(kSock);
}

TEST_F(SocketTest, SendAllLoopsOverShortSendsAndRetriesEintr) {
  ipc::UnixSocket s = MakeSocket();
  const auto data = Bytes("abcdef");
  InSequence in_order;
  EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
      .WillOnce(Invoke([&](int, const msghdr* m, int) {
        EXPECT_EQ(m->msg_iov[0].iov_len, 6u);
        return ssize_t{2};
      }));
  EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
      .WillOnce(Invoke([&](int, const msghdr* m, int) {
        EXPECT_EQ(m->msg_iov[0].iov_base, data.data() + 2);
        EXPECT_EQ(m->msg_iov[0].iov_len, 4u);
        return ssize_t{4};
      }));
  s.SendAll(data);
  ExpectClose(kSock);
}

TEST_F(SocketTest, SendAllReportsAZeroSendInsteadOfSpinning) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_CALL(sock_, Sendmsg).WillOnce(Return(0));
  EXPECT_THAT([&] { s.SendAll(Bytes("ab")); },
              ThrowsSystemError(EIO, HasSubstr("sent 0 bytes")));
  EXPECT_CALL(sock_, Sendmsg)
      .WillOnce(Return(1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  EXPECT_THAT([&] { s.SendAll(Bytes("ab")); },
              ThrowsSystemError(EAGAIN, HasSubstr("after 1 bytes")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, TryReceiveReportsMsgTrunc) {
  ipc::UnixSocket s = MakeSocket(SOCK_DGRAM);
  EXPECT_CALL(sock_, Recvmsg(kSock, _, 0))
      .WillOnce(Invoke([](int, msghdr* m, int) {
        m->msg_flags = MSG_TRUNC;
        return ssize_t{4};
      }));
  std::byte buffer[4];
  int msg_flags = 0;
  EXPECT_EQ(s.TryReceive(buffer, 0, &msg_flags), 4);
  EXPECT_EQ(msg_flags, MSG_TRUNC);
  ExpectClose(kSock);
}

TEST_F(SocketTest, ReceiveWithinGivesNothingOnTimeoutAndReceivesOnPollin) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[8];
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillOnce(Return(0));
  EXPECT_FALSE(s.ReceiveWithin(buffer, std::chrono::milliseconds(0)));
  EXPECT_CALL(sig_, Poll(_, 1, _)).WillOnce(Invoke([](pollfd* p, nfds_t, int) {
    p->revents = POLLIN;
    return 1;
  }));
  EXPECT_CALL(sock_, Recvmsg(kSock, _, 0)).WillOnce(Return(5));
  EXPECT_EQ(s.ReceiveWithin(buffer, std::chrono::milliseconds(100)), 5u);
  ExpectClose(kSock);
}

// ----------------------------------------------------- passing descriptors

TEST_F(SocketTest, SendFdsRefusesBadCountsAndEmptyDataBeforeAnyCall) {
  ipc::UnixSocket s = MakeSocket();
  const int one[1] = {3};
  std::vector<int> too_many(ipc::kScmMaxFd + 1, 3);
  EXPECT_THAT([&] { s.SendFds(Bytes("x"), {}); },
              ThrowsInvalidArgument(HasSubstr("no descriptor")));
  EXPECT_THAT([&] { s.SendFds(Bytes("x"), too_many); },
              ThrowsInvalidArgument(HasSubstr("SCM_MAX_FD")));
  EXPECT_THAT([&] { s.TrySendFds({}, one); },
              ThrowsInvalidArgument(HasSubstr("one byte")));
  EXPECT_THAT([&] { s.SendCredentials({}, ucred{}); }, ThrowsInvalidArgument());
  ExpectClose(kSock);
}

// The control buffer holds exactly one SCM_RIGHTS message: CMSG_SPACE(n *
// sizeof(int)) long, cmsg_len CMSG_LEN(n * sizeof(int)), the descriptors in
// order.
TEST_F(SocketTest, SendFdsSizesTheControlMessageForTheDescriptors) {
  ipc::UnixSocket s = MakeSocket();
  for (size_t n : {size_t{1}, size_t{3}, ipc::kScmMaxFd}) {
    std::vector<int> fds(n);
    for (size_t i = 0; i < n; ++i) fds[i] = static_cast<int>(100 + i);
    EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
        .WillOnce(Invoke([&](int, const msghdr* m, int) {
          EXPECT_EQ(m->msg_controllen, CMSG_SPACE(n * sizeof(int)));
          const cmsghdr* h = CMSG_FIRSTHDR(m);
          EXPECT_NE(h, nullptr);
          if (h == nullptr) return ssize_t{-1};
          EXPECT_EQ(h->cmsg_level, SOL_SOCKET);
          EXPECT_EQ(h->cmsg_type, SCM_RIGHTS);
          EXPECT_EQ(h->cmsg_len, CMSG_LEN(n * sizeof(int)));
          std::vector<int> sent(n);
          std::memcpy(sent.data(), CMSG_DATA(h), n * sizeof(int));
          EXPECT_EQ(sent, fds);
          return ssize_t{1};
        }));
    EXPECT_EQ(s.SendFds(Bytes("x"), fds), 1u) << n << " descriptors";
  }
  ExpectClose(kSock);
}

TEST_F(SocketTest, SendCredentialsCarriesOneScmCredentialsMessage) {
  ipc::UnixSocket s = MakeSocket();
  InSequence in_order;
  const ucred who{42, 1000, 1001};
  EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
      .WillOnce(Invoke([&](int, const msghdr* m, int) {
        EXPECT_EQ(m->msg_controllen, CMSG_SPACE(sizeof(ucred)));
        const cmsghdr* h = CMSG_FIRSTHDR(m);
        EXPECT_EQ(h->cmsg_type, SCM_CREDENTIALS);
        EXPECT_EQ(h->cmsg_len, CMSG_LEN(sizeof(ucred)));
        ucred sent;
        std::memcpy(&sent, CMSG_DATA(h), sizeof sent);
        EXPECT_EQ(sent.pid, 42);
        EXPECT_EQ(sent.uid, 1000u);
        EXPECT_EQ(sent.gid, 1001u);
        return ssize_t{1};
      }))
      .RetiresOnSaturation();
  EXPECT_CALL(sock_, Sendmsg(kSock, _, 0))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .RetiresOnSaturation();
  // The first call is inspected; the second is refused with EPERM, as the
  // kernel refuses a forged uid.
  EXPECT_EQ(s.TrySendCredentials(Bytes("x"), who), 1);
  EXPECT_THAT([&] { s.SendCredentials(Bytes("x"), who); },
              ThrowsSystemError(EPERM, HasSubstr("uid 1000")));
  ExpectClose(kSock);
}

// Writes an SCM_RIGHTS message of `fds` into the receive's control buffer
// as the kernel would (within msg_controllen), and sets msg_flags.
auto DeliverFds(std::vector<int> fds, int msg_flags, ssize_t bytes) {
  return [=](int, msghdr* m, int) {
    cmsghdr* h = CMSG_FIRSTHDR(m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(h), fds.data(), fds.size() * sizeof(int));
    m->msg_controllen = CMSG_LEN(fds.size() * sizeof(int));  // what it used
    m->msg_flags = msg_flags;
    return bytes;
  };
}

// Room for exactly max_fds: CMSG_LEN, since the kernel fills whatever fits
// after the header and CMSG_SPACE(4) = 24 would hold two.
TEST_F(SocketTest, ReceiveWithFdsGivesRoomForExactlyMaxFds) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[1];
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, ipc::kScmMaxFd}) {
    EXPECT_CALL(sock_, Recvmsg(kSock, _, MSG_CMSG_CLOEXEC))
        .WillOnce(Invoke([&](int, msghdr* m, int) {
          EXPECT_NE(m->msg_control, nullptr);
          EXPECT_EQ(m->msg_controllen, CMSG_LEN(n * sizeof(int)));
          EXPECT_EQ((m->msg_controllen - CMSG_LEN(0)) / sizeof(int), n);
          m->msg_controllen = 0;  // nothing came
          return ssize_t{1};
        }));
    const ipc::UnixMessage got = s.ReceiveWithFds(buffer, n);
    EXPECT_EQ(got.bytes, 1u);
    EXPECT_TRUE(got.fds.empty());
  }
  EXPECT_THAT([&] { s.ReceiveWithFds(buffer, ipc::kScmMaxFd + 1); },
              ThrowsInvalidArgument(HasSubstr("SCM_MAX_FD")));
  ExpectClose(kSock);
}

// Received descriptors are owned by the result and closed exactly once when
// it goes; MSG_CTRUNC (more were sent than fit) is reported.
TEST_F(SocketTest, ReceivedDescriptorsAreOwnedAndClosedOnceAndCtruncShown) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[4];
  EXPECT_CALL(sock_, Recvmsg(kSock, _, MSG_CMSG_CLOEXEC))
      .WillOnce(Invoke(DeliverFds({kFakeReadFd, kFakeWriteFd}, MSG_CTRUNC, 4)));
  {
    ipc::UnixMessage got = s.ReceiveWithFds(buffer, 2);
    EXPECT_EQ(got.bytes, 4u);
    ASSERT_EQ(got.fds.size(), 2u);
    EXPECT_EQ(got.fds[0].get(), kFakeReadFd);
    EXPECT_EQ(got.fds[1].get(), kFakeWriteFd);
    EXPECT_TRUE(got.control_truncated());
    EXPECT_FALSE(got.credentials.has_value());
    ExpectClose(kFakeReadFd);
    ExpectClose(kFakeWriteFd);
    // Moving a descriptor out keeps it closed once (by the new owner).
    ipc::UniqueFd kept = std::move(got.fds[0]);
  }
  ExpectClose(kSock);
}

TEST_F(SocketTest, ReceiveWithNoRoomPassesNoControlBuffer) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[4];
  EXPECT_CALL(sock_, Recvmsg(kSock, _, MSG_CMSG_CLOEXEC))
      .WillOnce(Invoke([](int, msghdr* m, int) {
        EXPECT_EQ(m->msg_control, nullptr);
        EXPECT_EQ(m->msg_controllen, 0u);
        m->msg_flags = MSG_CTRUNC;  // the kernel discarded what came
        return ssize_t{2};
      }));
  const ipc::UnixMessage got = s.ReceiveWithFds(buffer, 0);
  EXPECT_TRUE(got.control_truncated());
  EXPECT_TRUE(got.fds.empty());
  ExpectClose(kSock);
}

TEST_F(SocketTest, ReceiveWithFdsFailureThrowsAndOwnsNothing) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[4];
  EXPECT_CALL(sock_, Recvmsg).WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  EXPECT_THAT([&] { s.ReceiveWithFds(buffer, 1); },
              ThrowsSystemError(EAGAIN, HasSubstr("recvmsg")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, ReceiveWithCredentialsSizesForUcredAndParsesIt) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[4];
  EXPECT_CALL(sock_, Recvmsg(kSock, _, MSG_CMSG_CLOEXEC))
      .WillOnce(Invoke([](int, msghdr* m, int) {
        EXPECT_EQ(m->msg_controllen, CMSG_SPACE(sizeof(ucred)));
        cmsghdr* h = CMSG_FIRSTHDR(m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_CREDENTIALS;
        h->cmsg_len = CMSG_LEN(sizeof(ucred));
        const ucred who{7, 8, 9};
        std::memcpy(CMSG_DATA(h), &who, sizeof who);
        return ssize_t{1};
      }));
  const ipc::UnixMessage got = s.ReceiveWithCredentials(buffer);
  ASSERT_TRUE(got.credentials.has_value());
  EXPECT_EQ(got.credentials->pid, 7);
  EXPECT_EQ(got.credentials->uid, 8u);
  EXPECT_EQ(got.credentials->gid, 9u);
  ExpectClose(kSock);
}

TEST_F(SocketTest, ReceiveWithControlPutsCredentialsRoomFirst) {
  ipc::UnixSocket s = MakeSocket();
  std::byte buffer[4];
  EXPECT_CALL(sock_, Recvmsg(kSock, _, 0))
      .WillOnce(Invoke([](int, msghdr* m, int) {
        EXPECT_EQ(m->msg_controllen,
                  CMSG_SPACE(sizeof(ucred)) + CMSG_LEN(2 * sizeof(int)));
        cmsghdr* h = CMSG_FIRSTHDR(m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_CREDENTIALS;
        h->cmsg_len = CMSG_LEN(sizeof(ucred));
        const ucred who{1, 2, 3};
        std::memcpy(CMSG_DATA(h), &who, sizeof who);
        h = CMSG_NXTHDR(m, h);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        const int fd = kFakeFd;
        std::memcpy(CMSG_DATA(h), &fd, sizeof fd);
        return ssize_t{1};
      }));
  {
    const ipc::UnixMessage got = s.ReceiveWithControl(buffer, 2, true, 0);
    ASSERT_TRUE(got.credentials.has_value());
    ASSERT_EQ(got.fds.size(), 1u);
    ExpectClose(kFakeFd);
  }
  ExpectClose(kSock);
}

// -------------------------------------------------------------- options

TEST_F(SocketTest, SetPassCredentialsSetsSoPasscred) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_CALL(sock_, Setsockopt(kSock, SOL_SOCKET, SO_PASSCRED, _, sizeof(int)))
      .WillOnce(Invoke([](int, int, int, const void* v, socklen_t) {
        EXPECT_EQ(*static_cast<const int*>(v), 1);
        return 0;
      }));
  s.SetPassCredentials(true);
  EXPECT_CALL(sock_, Setsockopt).WillOnce(SetErrnoAndReturn(ENOPROTOOPT, -1));
  EXPECT_THAT([&] { s.SetPassCredentials(false); },
              ThrowsSystemError(ENOPROTOOPT, HasSubstr("setsockopt")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, PeerCredentialsReadsSoPeercredAndChecksItsLength) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_CALL(sock_, Getsockopt(kSock, SOL_SOCKET, SO_PEERCRED, _, _))
      .WillOnce(Invoke([](int, int, int, void* v, socklen_t* len) {
        EXPECT_EQ(*len, sizeof(ucred));
        const ucred who{5, 6, 7};
        std::memcpy(v, &who, sizeof who);
        return 0;
      }))
      .WillOnce(DoAll(SetArgPointee<4>(socklen_t{4}), Return(0)));
  EXPECT_EQ(s.PeerCredentials().pid, 5);
  EXPECT_THAT([&] { s.PeerCredentials(); },
              ThrowsSystemError(EIO, HasSubstr("4 bytes")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, ShutdownChecksHow) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_THAT([&] { s.Shutdown(7); }, ThrowsInvalidArgument(HasSubstr("SHUT")));
  EXPECT_CALL(sock_, Shutdown(kSock, SHUT_WR)).WillOnce(Return(0));
  s.Shutdown(SHUT_WR);
  EXPECT_CALL(sock_, Shutdown(kSock, SHUT_RD))
      .WillOnce(SetErrnoAndReturn(ENOTCONN, -1));
  EXPECT_THAT([&] { s.Shutdown(SHUT_RD); },
              ThrowsSystemError(ENOTCONN, HasSubstr("shutdown")));
  ExpectClose(kSock);
}

TEST_F(SocketTest, LocalAddressReadsGetsockname) {
  ipc::UnixSocket s = MakeSocket();
  EXPECT_CALL(sock_, Getsockname(kSock, _, _))
      .WillOnce(Invoke([](int, sockaddr* a, socklen_t* len) {
        const auto want = ipc::UnixAddress::Abstract("n");
        std::memcpy(a, &want.raw(), want.length());
        *len = want.length();
        return 0;
      }));
  EXPECT_EQ(s.LocalAddress().ToString(), "@n");
  ExpectClose(kSock);
}

// ------------------------------------------------------------------ TCP

TEST(InetAddressTest, ParsesAndPrintsNumericAddresses) {
  const auto v4 = ipc::InetAddress::V4("10.0.0.1", 4242);
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.port(), 4242);
  EXPECT_EQ(v4.length(), sizeof(sockaddr_in));
  EXPECT_EQ(v4.ToString(), "10.0.0.1:4242");
  const auto v6 = ipc::InetAddress::V6("::1", 80);
  EXPECT_EQ(v6.ToString(), "[::1]:80");
  EXPECT_EQ(v6.length(), sizeof(sockaddr_in6));
  EXPECT_EQ(ipc::InetAddress::Loopback4(1).WithPort(2).ToString(),
            "127.0.0.1:2");
  EXPECT_EQ(ipc::InetAddress::Any4().ToString(), "0.0.0.0:0");
  EXPECT_THAT([] { ipc::InetAddress::V4("localhost", 1); },
              ThrowsInvalidArgument());
  EXPECT_THAT([] { ipc::InetAddress::V6("10.0.0.1", 1); },
              ThrowsInvalidArgument());
  sockaddr_storage unix_family{};
  unix_family.ss_family = AF_UNIX;
  EXPECT_THAT(
      [&] { ipc::InetAddress::FromKernel(unix_family, sizeof unix_family); },
      ThrowsInvalidArgument());
}

// A failing bind must not leak the socket made for it.
TEST_F(SocketTest, TcpListenClosesTheSocketWhenBindFails) {
  const auto address = ipc::InetAddress::V4("10.0.0.1", 80);
  EXPECT_CALL(sock_, Socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
      .WillOnce(Return(kSock));
  EXPECT_CALL(sock_, Bind(kSock, _, sizeof(sockaddr_in)))
      .WillOnce(SetErrnoAndReturn(EADDRNOTAVAIL, -1));
  ExpectClose(kSock);
  EXPECT_THAT([&] { ipc::TcpSocket::Listen(address, 4); },
              ThrowsSystemError(EADDRNOTAVAIL, HasSubstr("10.0.0.1:80")));
  EXPECT_THAT([&] { ipc::TcpSocket::Listen(address, -1); },
              ThrowsInvalidArgument());
}

TEST_F(SocketTest, TcpTryConnectReturnsTheErrnoAndClosesTheSocket) {
  const auto address = ipc::InetAddress::Loopback4(9);
  EXPECT_CALL(sock_, Socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
      .WillOnce(Return(kSock));
  EXPECT_CALL(sock_, Connect(kSock, _, sizeof(sockaddr_in)))
      .WillOnce(SetErrnoAndReturn(ECONNREFUSED, -1));
  // close(2) changing errno must not change the answer.
  EXPECT_CALL(fds_, Close(kSock)).WillOnce(SetErrnoAndReturn(EIO, -1));
  ipc::TcpSocket out;
  EXPECT_EQ(ipc::TcpSocket::TryConnect(address, &out), ECONNREFUSED);
  EXPECT_FALSE(out.valid());
}

TEST_F(SocketTest, TcpAcceptReportsThePeerAddress) {
  EXPECT_CALL(sock_, Socket(AF_INET, _, 0)).WillOnce(Return(kSock));
  EXPECT_CALL(sock_, Bind).WillOnce(Return(0));
  EXPECT_CALL(sock_, Listen(kSock, 1)).WillOnce(Return(0));
  ipc::TcpSocket listener = ipc::TcpSocket::Listen(ipc::InetAddress::Any4(), 1);
  EXPECT_CALL(sock_, Accept4(kSock, _, _, SOCK_CLOEXEC))
      .WillOnce(Invoke([](int, sockaddr* a, socklen_t* len, int) {
        const auto peer = ipc::InetAddress::V4("10.0.0.2", 5555);
        std::memcpy(a, peer.sockaddr_ptr(), peer.length());
        *len = peer.length();
        return kPeer;
      }));
  ipc::InetAddress peer;
  ipc::TcpSocket accepted = listener.Accept(&peer);
  EXPECT_EQ(peer.ToString(), "10.0.0.2:5555");
  EXPECT_EQ(accepted.fd(), kPeer);
  ExpectClose(kPeer);
  ExpectClose(kSock);
}

TEST_F(SocketTest, TcpReceiveExactWithinStopsAtEndOfStream) {
  EXPECT_CALL(sock_, Socket).WillOnce(Return(kSock));
  EXPECT_CALL(sock_, Connect).WillOnce(Return(0));
  ipc::TcpSocket s = ipc::TcpSocket::Connect(ipc::InetAddress::Loopback4(1));
  EXPECT_CALL(sig_, Poll(_, 1, _))
      .WillRepeatedly(Invoke([](pollfd* p, nfds_t, int) {
        p->revents = POLLIN;
        return 1;
      }));
  EXPECT_CALL(sock_, Recvmsg(kSock, _, 0))
      .WillOnce(Return(3))
      .WillOnce(Return(0));
  std::byte buffer[8];
  EXPECT_EQ(s.ReceiveExactWithin(buffer, std::chrono::seconds(5)), 3u);
  ExpectClose(kSock);
}

// ------------------------------------------------------------ allocation

// A seam that succeeds without gmock (whose bookkeeping allocates).
class SucceedingSocketSyscalls : public ipc::SocketSyscalls {
 public:
  int Socket(int, int, int) override { return kSock; }
  int Socketpair(int, int, int, int*) override { return 0; }
  int Bind(int, const sockaddr*, socklen_t) override { return 0; }
  int Listen(int, int) override { return 0; }
  int Accept4(int, sockaddr*, socklen_t*, int) override { return kPeer; }
  int Connect(int, const sockaddr*, socklen_t) override { return 0; }
  ssize_t Sendmsg(int, const msghdr* m, int) override {
    ++calls;
    return static_cast<ssize_t>(m->msg_iov[0].iov_len);
  }
  ssize_t Recvmsg(int, msghdr* m, int) override {
    ++calls;
    return static_cast<ssize_t>(m->msg_iov[0].iov_len);
  }
  int Getsockopt(int, int, int, void*, socklen_t*) override { return 0; }
  int Setsockopt(int, int, int, const void*, socklen_t) override { return 0; }
  int Shutdown(int, int) override { return 0; }
  int Getsockname(int, sockaddr*, socklen_t*) override { return 0; }
  int Getpeername(int, sockaddr*, socklen_t*) override { return 0; }
  long calls = 0;
};

// The Try forms allocate nothing with valid arguments, control messages
// included: a forked child may pass a descriptor with them.
TEST(SocketAllocationTest, TryFormsAllocateNothing) {
  SucceedingSocketSyscalls sys;
  ipc::SocketSyscalls::ScopedOverride override(sys);
  ipc::UnixSocket s =
      ipc::UnixSocket::Adopt(ipc::UniqueFd(), SOCK_STREAM);  // owns nothing
  // A valid descriptor number without ownership: Release before the end.
  s = ipc::UnixSocket::Adopt(ipc::UniqueFd(kSock), SOCK_STREAM);
  const int fds[2] = {3, 4};
  std::byte buffer[4];
  long failures = 0;
  const long allocations = AllocationsIn(10, [&] {
    failures += s.TrySend(Bytes("ab")) != 2;
    failures += s.TrySendFds(Bytes("ab"), fds) != 2;
    failures += s.TrySendCredentials(Bytes("ab"), ucred{1, 2, 3}) != 2;
    failures += s.TryReceive(buffer) != 4;
  });
  s.Release();
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(sys.calls, 10 * 4);
}

}  // namespace
}  // namespace ipcproof::unit

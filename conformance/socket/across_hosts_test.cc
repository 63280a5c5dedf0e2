// sock.across-hosts: "如果要跨网络或者主机，就要使用 socket 通信" — sockets
// reach other hosts. Two network namespaces joined by a veth pair stand for two
// hosts (kit/netns_host.h): a TCP connection between them carries data both
// ways, each end sees the other's address, the two have different network
// stacks (interfaces, routes, namespace), and a listener on one host's
// loopback is out of the other's reach while one on its veth address is
// not. Without CAP_NET_ADMIN (and no user namespace to get it in), every
// test skips saying why.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/netns_host.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/tcp_socket.h"

namespace ipcproof {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::Not;

// How long a side waits for its peer's connection or bytes (at time scale
// 1: each wait is ScaledTimeout(kTransferTimeout), kit/time_scale.h).
constexpr milliseconds kTransferTimeout{8000};

// FNV-1a, 64 bits: the receiver's checksum of what arrived, compared in the
// test process with the checksum of what was sent.
uint64_t Fnv1a(const char* data, size_t size) {
  uint64_t hash = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) {
    hash = (hash ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  }
  return hash;
}

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

std::string Dotted(in_addr address) {
  char text[INET_ADDRSTRLEN] = "";
  ::inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

// The port a listener tells its peer, over HostInfo::peer_fd.
bool SendPort(const HostInfo& host, uint16_t port) {
  return WriteInOneCall(host.peer_fd, &port, sizeof port);
}
bool ReceivePort(const HostInfo& host, uint16_t* port) {
  return ReadExactInChild(host.peer_fd, port, sizeof *port);
}

// Fixes both socket buffers of `socket` at `request` bytes (socket(7):
// the kernel doubles the value, and a set SO_RCVBUF/SO_SNDBUF turns TCP
// autotuning off for it, tcp(7)), so the transfer's size can be chosen past
// what the buffers can hold. Throws when setsockopt fails.
void FixBuffers(const ipc::TcpSocket& socket, int request) {
  for (const int option : {SO_SNDBUF, SO_RCVBUF}) {
    if (::setsockopt(socket.fd(), SOL_SOCKET, option, &request,
                     sizeof request) != 0) {
      throw std::system_error(errno, std::generic_category(), "setsockopt");
    }
  }
}
constexpr int kBufferRequest = 128 << 10;

int BufferSize(const ipc::TcpSocket& socket, int option) {
  int size = 0;
  socklen_t length = sizeof size;
  if (::getsockopt(socket.fd(), SOL_SOCKET, option, &size, &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockopt");
  }
  return size;
}

// The transfer's size: four times what this end's send buffer and a
// receive buffer of the same size hold together (the peer fixes its own
// the same way), so the sender must wait for the receiver to drain them
// again and again; plus one byte, so it is no multiple of a page.
size_t TransferSize(const ipc::TcpSocket& socket) {
  return 4 * static_cast<size_t>(BufferSize(socket, SO_SNDBUF) +
                                 BufferSize(socket, SO_RCVBUF)) +
         1;
}

// Receives exactly `size` bytes and then end of stream; reports
// "<key>_bytes" and "<key>_fnv". Exit code, 0 when all arrived.
int ReceiveAndReport(const HostInfo& host, ipc::TcpSocket& socket, size_t size,
                     const char* key) {
  std::vector<char> got(size);
  const size_t n = socket.ReceiveExactWithin(
      std::as_writable_bytes(std::span(got)), ScaledTimeout(kTransferTimeout));
  ReportNumber(host, (std::string(key) + "_bytes").c_str(),
               static_cast<long>(n));
  ReportField(host, (std::string(key) + "_fnv").c_str(),
              Hex(Fnv1a(got.data(), n)).c_str());
  if (n != size) return 10;
  std::byte extra[1];
  const std::optional<size_t> after =
      socket.ReceiveWithin(extra, ScaledTimeout(kTransferTimeout));
  if (!after || *after != 0) return 11;  // no end of stream, or more data
  return 0;
}

int ReportBuffers(const HostInfo& host, const ipc::TcpSocket& socket) {
  ReportNumber(host, "sndbuf", BufferSize(socket, SO_SNDBUF));
  ReportNumber(host, "rcvbuf", BufferSize(socket, SO_RCVBUF));
  return 0;
}

// B connects to A's veth address and sends its bytes, then half-closes; A
// checks them all arrived, then sends its own and half-closes; B checks.
// Sequential on purpose: both sides writing more than the buffers hold
// before reading would deadlock by design, not by a kernel bug.
TEST(AcrossHostsTest, TcpConnectionCarriesDataBothWays) {
  CLAIM("sock.across-hosts");
  constexpr unsigned kSeedA = 0xa, kSeedB = 0xb;
  auto side_a = [](const HostInfo& host) {
    ipc::TcpSocket listener = ipc::TcpSocket::Listen(
        ipc::InetAddress::V4(Dotted(host.address), 0), 1);
    if (!SendPort(host, listener.LocalAddress().port())) return 1;
    std::optional<ipc::TcpSocket> connection =
        listener.AcceptWithin(ScaledTimeout(kTransferTimeout));
    if (!connection) return 2;
    FixBuffers(*connection, kBufferRequest);
    uint64_t size = 0;
    if (connection->ReceiveExactWithin(
            std::as_writable_bytes(std::span(&size, 1)),
            ScaledTimeout(kTransferTimeout)) != sizeof size) {
      return 3;
    }
    if (const int failed = ReceiveAndReport(host, *connection, size, "got"))
      return failed;
    const size_t mine = TransferSize(*connection);
    const std::vector<char> data = Pattern(mine, kSeedA);
    const uint64_t header = mine;
    connection->SendAll(std::as_bytes(std::span(&header, 1)));
    connection->SendAll(std::as_bytes(std::span(data)));
    connection->Shutdown(SHUT_WR);
    ReportNumber(host, "sent_bytes", static_cast<long>(mine));
    return ReportBuffers(host, *connection);
  };
  auto side_b = [](const HostInfo& host) {
    uint16_t port = 0;
    if (!ReceivePort(host, &port)) return 1;
    ipc::TcpSocket connection = ipc::TcpSocket::Connect(
        ipc::InetAddress::V4(Dotted(host.peer_address), port));
    FixBuffers(connection, kBufferRequest);
    const size_t mine = TransferSize(connection);
    const std::vector<char> data = Pattern(mine, kSeedB);
    const uint64_t header = mine;
    connection.SendAll(std::as_bytes(std::span(&header, 1)));
    connection.SendAll(std::as_bytes(std::span(data)));
    connection.Shutdown(SHUT_WR);
    ReportNumber(host, "sent_bytes", static_cast<long>(mine));
    uint64_t size = 0;
    if (connection.ReceiveExactWithin(
            std::as_writable_bytes(std::span(&size, 1)),
            ScaledTimeout(kTransferTimeout)) != sizeof size) {
      return 3;
    }
    if (const int failed = ReceiveAndReport(host, connection, size, "got"))
      return failed;
    return ReportBuffers(host, connection);
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side_a, side_b);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  const size_t b_to_a = std::stoul(result.b.fields.at("sent_bytes"));
  const size_t a_to_b = std::stoul(result.a.fields.at("sent_bytes"));
  EXPECT_EQ(std::stoul(result.a.fields.at("got_bytes")), b_to_a);
  EXPECT_EQ(std::stoul(result.b.fields.at("got_bytes")), a_to_b);
  const std::vector<char> sent_by_b = Pattern(b_to_a, kSeedB);
  const std::vector<char> sent_by_a = Pattern(a_to_b, kSeedA);
  EXPECT_EQ(result.a.fields.at("got_fnv"),
            Hex(Fnv1a(sent_by_b.data(), sent_by_b.size())));
  EXPECT_EQ(result.b.fields.at("got_fnv"),
            Hex(Fnv1a(sent_by_a.data(), sent_by_a.size())));
  // Each way carried more than the sender's send buffer and the receiver's
  // receive buffer hold together (both fixed, as the kernel reports them):
  // the data had to flow while it was being sent.
  const size_t a_buffers = std::stoul(result.a.fields.at("sndbuf")) +
                           std::stoul(result.b.fields.at("rcvbuf"));
  const size_t b_buffers = std::stoul(result.b.fields.at("sndbuf")) +
                           std::stoul(result.a.fields.at("rcvbuf"));
  EXPECT_GT(a_to_b, a_buffers);
  EXPECT_GT(b_to_a, b_buffers);
  RecordMeasurement("hosts.bytes_b_to_a", b_to_a);
  RecordMeasurement("hosts.bytes_a_to_b", a_to_b);
  RecordMeasurement("hosts.a_sndbuf", std::stol(result.a.fields.at("sndbuf")));
  RecordMeasurement("hosts.b_rcvbuf", std::stol(result.b.fields.at("rcvbuf")));
}

// accept(2) on A names B's address and port; getpeername(2) on B names A's.
TEST(AcrossHostsTest, EachEndSeesTheOtherHostsAddress) {
  CLAIM("sock.across-hosts");
  auto side_a = [](const HostInfo& host) {
    ipc::TcpSocket listener = ipc::TcpSocket::Listen(
        ipc::InetAddress::V4(Dotted(host.address), 0), 1);
    if (!SendPort(host, listener.LocalAddress().port())) return 1;
    ipc::InetAddress peer;
    std::optional<ipc::TcpSocket> connection =
        listener.AcceptWithin(ScaledTimeout(kTransferTimeout), &peer);
    if (!connection) return 2;
    ReportField(host, "accepted_from", peer.ToString().c_str());
    ReportField(host, "local", connection->LocalAddress().ToString().c_str());
    char done;  // B has read its addresses when it closes
    return ReadExactInChild(host.peer_fd, &done, 1) ? 3 : 0;
  };
  auto side_b = [](const HostInfo& host) {
    uint16_t port = 0;
    if (!ReceivePort(host, &port)) return 1;
    ipc::TcpSocket connection = ipc::TcpSocket::Connect(
        ipc::InetAddress::V4(Dotted(host.peer_address), port));
    ReportField(host, "peer", connection.PeerAddress().ToString().c_str());
    ReportField(host, "local", connection.LocalAddress().ToString().c_str());
    return 0;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side_a, side_b);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  // A kernel that rewrote addresses between namespaces (or handed the
  // connection to the wrong stack) fails these.
  EXPECT_EQ(result.a.fields.at("accepted_from"), result.b.fields.at("local"));
  EXPECT_EQ(result.b.fields.at("peer"), result.a.fields.at("local"));
  EXPECT_EQ(result.a.fields.at("accepted_from")
                .rfind(std::string(kNetnsAddressB) + ":", 0),
            0u);
  EXPECT_EQ(
      result.b.fields.at("peer").rfind(std::string(kNetnsAddressA) + ":", 0),
      0u);
  RecordMeasurement("hosts.a_sees_peer", result.a.fields.at("accepted_from"));
  RecordMeasurement("hosts.b_sees_peer", result.b.fields.at("peer"));
}

// Routes of a /proc/net/route text: "iface destination mask" (hex, as the
// kernel prints them), one per route.
std::set<std::string> RoutesOf(const std::string& text) {
  std::set<std::string> routes;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (fields >> iface >> destination >> gateway >> flags >> refcnt >> use >>
        metric >> mask) {
      routes.insert(iface + " " + destination + " " + mask);
    }
  }
  return routes;
}

std::set<std::string> InterfacesOf(const std::string& net_dev) {
  std::set<std::string> names;
  std::istringstream lines(net_dev);
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t first = line.find_first_not_of(' ');
    names.insert(line.substr(first, colon - first));
  }
  return names;
}

// The two hosts and the test process: three network namespaces (three
// /proc/self/ns/net identities), three interface sets, three routing
// tables; each host routes the shared /24 through its own veth end only.
TEST(AcrossHostsTest, TheHostsHaveDifferentNetworkStacks) {
  CLAIM("sock.across-hosts");
  auto side = [](const HostInfo& host) {
    const std::string ns = ReadLinkOrEmpty("/proc/self/ns/net");
    if (!ReportField(host, "netns", ns.c_str()) ||
        !ReportFile(host, "route", "/proc/self/net/route") ||
        !ReportFile(host, "net_dev", "/proc/self/net/dev")) {
      return 1;
    }
    return 0;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side, side);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  const std::string test_ns = ReadLinkOrEmpty("/proc/self/ns/net");
  ASSERT_NE(test_ns, "");
  EXPECT_NE(result.a.fields.at("netns"), result.b.fields.at("netns"));
  EXPECT_NE(result.a.fields.at("netns"), test_ns);
  EXPECT_NE(result.b.fields.at("netns"), test_ns);

  // 10.201.0.0/24 as /proc/net/route prints it: the address in network
  // order read as a little-endian word (x86-64), "%08X".
  const std::string a_route =
      std::string(kNetnsVethNameA) + " 0000C90A 00FFFFFF";
  const std::string b_route =
      std::string(kNetnsVethNameB) + " 0000C90A 00FFFFFF";
  const std::set<std::string> routes_a = RoutesOf(result.a.fields.at("route"));
  const std::set<std::string> routes_b = RoutesOf(result.b.fields.at("route"));
  const std::set<std::string> routes_test =
      RoutesOf(ReadFileOrThrow("/proc/self/net/route"));
  EXPECT_THAT(routes_a, Contains(a_route));
  EXPECT_THAT(routes_a, Not(Contains(b_route)));
  EXPECT_THAT(routes_b, Contains(b_route));
  EXPECT_THAT(routes_b, Not(Contains(a_route)));
  EXPECT_THAT(routes_test, Not(Contains(a_route)));
  EXPECT_THAT(routes_test, Not(Contains(b_route)));
  EXPECT_NE(routes_a, routes_b);

  const std::set<std::string> dev_a =
      InterfacesOf(result.a.fields.at("net_dev"));
  const std::set<std::string> dev_b =
      InterfacesOf(result.b.fields.at("net_dev"));
  EXPECT_NE(dev_a, dev_b);
  EXPECT_THAT(dev_a, Contains(kNetnsVethNameA));
  EXPECT_THAT(dev_a, Not(Contains(kNetnsVethNameB)));
  EXPECT_THAT(dev_b, Contains(kNetnsVethNameB));
  EXPECT_THAT(dev_b, Not(Contains(kNetnsVethNameA)));
  EXPECT_NE(dev_a, InterfacesOf(ReadFileOrThrow("/proc/self/net/dev")));
  RecordMeasurement("hosts.interface_a", kNetnsVethNameA);
  RecordMeasurement("hosts.interface_b", kNetnsVethNameB);
  RecordMeasurement("hosts.routes_a", static_cast<long>(routes_a.size()));
  RecordMeasurement("hosts.routes_b", static_cast<long>(routes_b.size()));
}

// A listens on 127.0.0.1:P, and connecting there from A itself works (the
// control); from B, whose loopback is up too, the same address is refused
// (ECONNREFUSED: B's own stack has no listener there). A kernel sharing one
// loopback between namespaces would connect B to A.
TEST(AcrossHostsTest, LoopbackListenerIsUnreachableFromTheOtherHost) {
  CLAIM("sock.across-hosts");
  auto side_a = [](const HostInfo& host) {
    ipc::TcpSocket listener =
        ipc::TcpSocket::Listen(ipc::InetAddress::Loopback4(0), 4);
    const uint16_t port = listener.LocalAddress().port();
    ipc::TcpSocket own;
    const int own_err =
        ipc::TcpSocket::TryConnect(ipc::InetAddress::Loopback4(port), &own);
    ReportNumber(host, "own_connect_errno", own_err);
    if (!SendPort(host, port)) return 1;
    char done;  // listen until B has tried
    if (!ReadExactInChild(host.peer_fd, &done, 1)) return 2;
    // B's attempt, had it reached this listener, would be queued here
    // besides A's own connection.
    std::optional<ipc::TcpSocket> first =
        listener.AcceptWithin(milliseconds(0));
    std::optional<ipc::TcpSocket> second =
        listener.AcceptWithin(milliseconds(0));
    ReportNumber(host, "accepted", (first ? 1 : 0) + (second ? 1 : 0));
    return 0;
  };
  auto side_b = [](const HostInfo& host) {
    uint16_t port = 0;
    if (!ReceivePort(host, &port)) return 1;
    ipc::TcpSocket socket;
    const int err =
        ipc::TcpSocket::TryConnect(ipc::InetAddress::Loopback4(port), &socket);
    ReportNumber(host, "connect_errno", err);
    const char done = 1;
    return WriteInOneCall(host.peer_fd, &done, 1) ? 0 : 2;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side_a, side_b);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  EXPECT_EQ(std::stoi(result.a.fields.at("own_connect_errno")), 0)
      << "the listener is not reachable even from its own host";
  const int err = std::stoi(result.b.fields.at("connect_errno"));
  EXPECT_EQ(err, ECONNREFUSED) << ErrnoName(err);
  EXPECT_EQ(result.a.fields.at("accepted"), "1");
  RecordMeasurement("hosts.b_loopback_connect", ErrnoName(err));
}

// A listener bound to A's veth address (not the wildcard) accepts B's
// connection; a byte goes over and comes back.
TEST(AcrossHostsTest, ListenerOnVethAddressIsReachableFromTheOtherHost) {
  CLAIM("sock.across-hosts");
  auto side_a = [](const HostInfo& host) {
    ipc::TcpSocket listener = ipc::TcpSocket::Listen(
        ipc::InetAddress::V4(Dotted(host.address), 0), 1);
    if (!SendPort(host, listener.LocalAddress().port())) return 1;
    std::optional<ipc::TcpSocket> connection =
        listener.AcceptWithin(ScaledTimeout(kTransferTimeout));
    if (!connection) return 2;
    std::byte byte[1];
    if (connection->ReceiveExactWithin(byte, ScaledTimeout(kTransferTimeout)) !=
        1)
      return 3;
    connection->SendAll(byte);
    return 0;
  };
  auto side_b = [](const HostInfo& host) {
    uint16_t port = 0;
    if (!ReceivePort(host, &port)) return 1;
    ipc::TcpSocket socket;
    const int err = ipc::TcpSocket::TryConnect(
        ipc::InetAddress::V4(Dotted(host.peer_address), port), &socket);
    ReportNumber(host, "connect_errno", err);
    if (err != 0) return 2;
    const std::byte sent[1] = {std::byte{0x5a}};
    socket.SendAll(sent);
    std::byte back[1];
    if (socket.ReceiveExactWithin(back, ScaledTimeout(kTransferTimeout)) != 1)
      return 3;
    return back[0] == sent[0] ? 0 : 4;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side_a, side_b);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  EXPECT_EQ(result.b.fields.at("connect_errno"), "0");
}

}  // namespace
}  // namespace ipcproof

// The network-namespace host (kit/netns_host.h) tested on its own: each
// side sees only its loopback and its veth end, with its address; a UDP
// datagram crosses the pair both ways; the pair never appears in the test's
// own namespace and nothing of it is left afterwards; the hosts die with
// the process that made them.
#include "conformance/kit/netns_host.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/subreaper.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// Interface names of a /proc/net/dev text: after two header lines, one
// "name: counters..." line per interface.
std::set<std::string> InterfacesOf(const std::string& net_dev) {
  std::set<std::string> names;
  std::istringstream lines(net_dev);
  std::string line;
  for (int header = 0; header < 2 && std::getline(lines, line); ++header) {
  }
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t first = line.find_first_not_of(' ');
    names.insert(line.substr(first, colon - first));
  }
  return names;
}

// Names under a directory; empty when it does not exist.
std::set<std::string> DirectoryEntries(const char* path) {
  const std::vector<std::string> names =
      ListDirectoryIfPresent(path).value_or(std::vector<std::string>{});
  return {names.begin(), names.end()};
}

bool HasIpcproofName(const std::set<std::string>& names) {
  for (const std::string& name : names) {
    if (name.rfind("ipcproof", 0) == 0) return true;
  }
  return false;
}

// In a side: the IPv4 address and flags of interface `name`, reported as
// "<prefix>_address" and "<prefix>_flags" (SIOCGIFADDR, SIOCGIFFLAGS:
// netdevice(7)).
int ReportInterface(const HostInfo& host, const char* name,
                    const char* prefix) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  ifreq request{};
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFADDR, &request) != 0) return ErrnoExit();
  char text[INET_ADDRSTRLEN] = "";
  const auto* address = reinterpret_cast<sockaddr_in*>(&request.ifr_addr);
  ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
  char key[64];
  std::snprintf(key, sizeof key, "%s_address", prefix);
  if (!ReportField(host, key, text)) return 2;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) return ErrnoExit();
  std::snprintf(key, sizeof key, "%s_flags", prefix);
  if (!ReportNumber(host, key, request.ifr_flags)) return 3;
  ::close(fd);
  return 0;
}

TEST(NetnsHostTest, EachHostSeesOnlyItsLoopbackAndItsVethEnd) {
  auto side = [](const HostInfo& host) {
    return ReportFile(host, "net_dev", "/proc/self/net/dev") ? 0 : 1;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side, side);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  RecordMeasurement("netns.user_namespace", result.in_user_namespace ? 1 : 0);
  // A kernel that let a new namespace see the creator's devices, or put
  // both veth ends in one namespace, fails here.
  EXPECT_THAT(InterfacesOf(result.a.fields.at("net_dev")),
              ElementsAre("ipcproof-a", "lo"));
  EXPECT_THAT(InterfacesOf(result.b.fields.at("net_dev")),
              ElementsAre("ipcproof-b", "lo"));
}

TEST(NetnsHostTest, EachHostHasItsAddressAndLoopbackUp) {
  auto side = [](const HostInfo& host) {
    if (const int failed = ReportInterface(host, host.veth_name, "veth"))
      return failed;
    return ReportInterface(host, "lo", "lo");
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side, side);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  EXPECT_EQ(result.a.fields.at("veth_address"), kNetnsAddressA);
  EXPECT_EQ(result.b.fields.at("veth_address"), kNetnsAddressB);
  for (const HostOutcome* outcome : {&result.a, &result.b}) {
    EXPECT_EQ(outcome->fields.at("lo_address"), "127.0.0.1");
    const int lo_flags = std::stoi(outcome->fields.at("lo_flags"));
    const int veth_flags = std::stoi(outcome->fields.at("veth_flags"));
    EXPECT_EQ(lo_flags & (IFF_UP | IFF_LOOPBACK), IFF_UP | IFF_LOOPBACK);
    // IFF_RUNNING: the carrier is on, both ends are up.
    EXPECT_EQ(veth_flags & (IFF_UP | IFF_RUNNING), IFF_UP | IFF_RUNNING);
  }
  RecordMeasurement("netns.address_a", result.a.fields.at("veth_address"));
  RecordMeasurement("netns.address_b", result.b.fields.at("veth_address"));
}

// B binds a UDP socket to its address and tells A the port; A sends one
// datagram, B answers to where it came from. Every receive has a deadline.
TEST(NetnsHostTest, UdpDatagramCrossesThePairBothWays) {
  static constexpr char kPing[] = "ping from A";
  static constexpr char kPong[] = "pong from B";
  auto side_a = [](const HostInfo& host) {
    uint16_t port = 0;
    if (!ReadExactInChild(host.peer_fd, &port, sizeof port)) return 1;
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = port;
    to.sin_addr = host.peer_address;
    if (::sendto(fd, kPing, sizeof kPing, 0,
                 reinterpret_cast<const sockaddr*>(&to),
                 sizeof to) != static_cast<ssize_t>(sizeof kPing)) {
      return ErrnoExit();
    }
    if (PollWithin(fd, POLLIN, kBlockedTimeout) <= 0) return 2;
    char got[64] = "";
    const ssize_t size = ::recv(fd, got, sizeof got, MSG_DONTWAIT);
    if (size < 0) return ErrnoExit();
    return ReportField(host, "received", got, static_cast<size_t>(size)) ? 0
                                                                         : 3;
  };
  auto side_b = [](const HostInfo& host) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr = host.address;
    socklen_t length = sizeof self;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &length) != 0) {
      return ErrnoExit();
    }
    if (!WriteInOneCall(host.peer_fd, &self.sin_port, sizeof self.sin_port))
      return 1;
    if (PollWithin(fd, POLLIN, kBlockedTimeout) <= 0) return 2;
    char got[64] = "";
    sockaddr_in from{};
    length = sizeof from;
    const ssize_t size =
        ::recvfrom(fd, got, sizeof got, MSG_DONTWAIT,
                   reinterpret_cast<sockaddr*>(&from), &length);
    if (size < 0) return ErrnoExit();
    char source[INET_ADDRSTRLEN] = "";
    ::inet_ntop(AF_INET, &from.sin_addr, source, sizeof source);
    if (!ReportField(host, "received", got, static_cast<size_t>(size)) ||
        !ReportField(host, "source", source)) {
      return 3;
    }
    if (::sendto(fd, kPong, sizeof kPong, 0,
                 reinterpret_cast<const sockaddr*>(&from),
                 length) != static_cast<ssize_t>(sizeof kPong)) {
      return ErrnoExit();
    }
    return 0;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side_a, side_b);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  EXPECT_EQ(result.b.fields.at("received"), std::string(kPing, sizeof kPing));
  EXPECT_EQ(result.b.fields.at("source"), kNetnsAddressA);
  EXPECT_EQ(result.a.fields.at("received"), std::string(kPong, sizeof kPong));
}

// The pair exists only in the hosts' namespaces: while they run, the test
// process's own namespace (read through /proc/<test pid>/net/dev from
// inside a host) has neither end; afterwards the host's /proc/net/dev and
// /sys/class/net have no ipcproof link and /run/netns no new name.
TEST(NetnsHostTest, NothingOfThePairReachesOrStaysOnTheHost) {
  const std::set<std::string> before_dev =
      InterfacesOf(ReadFileOrThrow("/proc/self/net/dev"));
  const std::set<std::string> before_sys = DirectoryEntries("/sys/class/net");
  const std::set<std::string> before_netns = DirectoryEntries("/run/netns");
  ASSERT_FALSE(HasIpcproofName(before_dev)) << "left by an earlier run?";
  ASSERT_FALSE(HasIpcproofName(before_sys)) << "left by an earlier run?";

  auto side = [](const HostInfo& host) {
    char path[64] = "/proc/";
    std::memcpy(PutDecimal(path + 6, ::getppid()), "/net/dev", 9);
    if (!ReportFile(host, "test_net_dev", path)) return 1;
    return ReportFile(host, "own_net_dev", "/proc/self/net/dev") ? 0 : 2;
  };
  RUN_ON_TWO_HOSTS_OR_SKIP(result, side, side);
  ASSERT_EQ(DescribeTwoHostsFailure(result), "");
  for (const HostOutcome* outcome : {&result.a, &result.b}) {
    // Control: the host does see its own end.
    EXPECT_TRUE(
        HasIpcproofName(InterfacesOf(outcome->fields.at("own_net_dev"))));
    EXPECT_EQ(InterfacesOf(outcome->fields.at("test_net_dev")), before_dev);
  }
  EXPECT_EQ(InterfacesOf(ReadFileOrThrow("/proc/self/net/dev")), before_dev);
  EXPECT_EQ(DirectoryEntries("/sys/class/net"), before_sys);
  EXPECT_EQ(DirectoryEntries("/run/netns"), before_netns);
}

// A process that made the hosts is SIGKILLed while both functions block:
// both hosts die with it (PR_SET_PDEATHSIG, set again after the namespace
// change), so their namespaces and the pair go too. A kernel that cleared
// the death signal on setns(CLONE_NEWUSER) leaves host B running: the wait
// below fails naming it.
TEST(NetnsHostTest, HostsDieWithTheProcessThatMadeThem) {
  {  // Skips here when no hosts can be made at all.
    auto nothing = [](const HostInfo&) { return 0; };
    RUN_ON_TWO_HOSTS_OR_SKIP(probe, nothing, nothing);
    ASSERT_EQ(DescribeTwoHostsFailure(probe), "");
  }
  ScopedChildSubreaper subreaper;  // the orphaned hosts come back to us
  ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error());
  int pids[2];
  ASSERT_EQ(::pipe(pids), 0);
  ipc::UniqueFd pids_read(pids[0]), pids_write(pids[1]);
  const int pid_fd = pids_write.get();
  ipc::ChildProcess maker = ipc::ChildProcess::Fork([pid_fd] {
    // Each host sends its pid, then waits for its peer, who never writes.
    auto side = [pid_fd](const HostInfo& host) {
      const int32_t pid = ::getpid();
      if (!WriteInOneCall(pid_fd, &pid, sizeof pid)) return 1;
      char never;
      return ::read(host.peer_fd, &never, 1) == 0 ? 2 : 3;
    };
    const TwoHostsResult result = RunOnTwoHosts(side, side);
    return result.ran() ? 4 : 5;
  });
  pids_write.Reset();
  int32_t host_pids[2] = {0, 0};
  ASSERT_TRUE(ReadReport(pids_read.get(), host_pids));
  for (const int32_t pid : host_pids) {
    ASSERT_TRUE(WaitUntilBlockedIn(pid, SYS_read)) << "host pid " << pid;
  }
  maker.Kill();
  for (const int32_t pid : host_pids) {
    EXPECT_TRUE(WaitUntilExited(pid))
        << "host pid " << pid << " outlived its maker";
  }
  // Reap them (they are ours now), or kill what still runs.
  for (const int32_t pid : host_pids) {
    if (::waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
}

}  // namespace
}  // namespace ipcproof

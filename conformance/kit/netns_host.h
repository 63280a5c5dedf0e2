// Two "hosts" on one machine: two network namespaces joined by a veth pair,
// each with its own IPv4 address on its veth end and its loopback up, and a
// function run inside each. For the socket tests that need a second network
// stack (sock.across-hosts); nothing reaches the machine's real network.
//
// How (no host programs: no ip(8), no sh; the binary may run as a minimal
// guest's init):
//   - two forked children, A and B; each leaves the test's network namespace
//     with unshare(CLONE_NEWNET). Without CAP_NET_ADMIN, A tries
//     unshare(CLONE_NEWUSER | CLONE_NEWNET) (it is root in the new user
//     namespace) and B joins that user namespace (setns) before its
//     unshare(CLONE_NEWNET), so A holds CAP_NET_ADMIN over both network
//     namespaces. The test process itself never changes namespace.
//   - A creates the veth pair over a NETLINK_ROUTE socket (rtnetlink(7)),
//     its peer end created straight in B's namespace (IFLA_NET_NS_PID),
//     and each side assigns its address and brings lo and its end up, every
//     request acknowledged (NLM_F_ACK) and its error checked.
//   - "ready" is reported by each side through a pipe, the parent waits with
//     a deadline, and only then do both functions run. Ready means: address
//     assigned, both ends up, and RTM_GETLINK on the side's own end shows
//     IFF_LOWER_UP; RTM_GETLINK also runs the link-watch work the carrier
//     change queued (linkwatch_sync_dev in rtnl_getlink), without which the
//     device may still drop what is sent on it.
//   - the pair lives only in the children's unnamed namespaces: when both
//     children have exited (or were killed: PR_SET_PDEATHSIG ties them to
//     the test process), the namespaces and the pair go with them. No name
//     is created under /run/netns.
#ifndef CONFORMANCE_KIT_NETNS_HOST_H_
#define CONFORMANCE_KIT_NETNS_HOST_H_

#include <net/if.h>
#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "ipc/child_process.h"

namespace ipcproof {

// The veth ends' names (IFNAMSIZ includes the terminating NUL) and the
// private /24 the two hosts share: only inside the test's own namespaces.
inline constexpr char kNetnsVethNameA[] = "ipcproof-a";
inline constexpr char kNetnsVethNameB[] = "ipcproof-b";
inline constexpr char kNetnsAddressA[] = "10.201.0.1";
inline constexpr char kNetnsAddressB[] = "10.201.0.2";
inline constexpr int kNetnsPrefixLength = 24;
static_assert(sizeof(kNetnsVethNameA) <= IFNAMSIZ);
static_assert(sizeof(kNetnsVethNameB) <= IFNAMSIZ);

// What a side's function is told about its host. Plain data: it is read in
// a forked child.
struct HostInfo {
  char name;                 // 'A' or 'B'
  char veth_name[IFNAMSIZ];  // this side's veth end
  int veth_index;            // its ifindex inside this namespace
  in_addr address;           // this side's address (network order)
  in_addr peer_address;      // the other side's
  int prefix_length;         // both addresses' prefix
  // A connected AF_UNIX stream socket to the other side's function (made
  // before either side left the test's namespace), for "listening on port
  // N" and the like. End of file on it: the other side has exited.
  int peer_fd;
  // A pipe to the test process: what ReportField writes here comes back in
  // HostOutcome::fields.
  int report_fd;
};

// A side's function. It runs in a forked child of the test process, after
// "ready": no gtest assertions (report through the exit status, kit/
// child_exit.h, and ReportField); if the test process has other threads,
// only async-signal-safe calls. Its return value is the child's exit code.
using HostFunction = std::function<int(const HostInfo&)>;

// In a side's function: sends `key` (at most 63 bytes) and `size` bytes of
// `value` to the test process, where they appear as fields[key] (a key sent
// twice keeps the last value). Async-signal-safe; false when a write failed.
bool ReportField(const HostInfo& host, const char* key, const void* value,
                 size_t size);
// The same for a NUL-terminated string.
bool ReportField(const HostInfo& host, const char* key, const char* value);
// The same for a number, as decimal text.
bool ReportNumber(const HostInfo& host, const char* key, long value);
// Sends the whole content of the file at `path` (at most 64 KiB; /proc
// files read as the side's namespace sees them: /proc/self/net/dev).
// Async-signal-safe; false when the file could not be read or sent.
bool ReportFile(const HostInfo& host, const char* key, const char* path);

// How one side ended, and what it reported.
struct HostOutcome {
  std::optional<ipc::WaitStatus> status;  // nullopt: killed at the deadline
  std::map<std::string, std::string> fields;
  pid_t pid = -1;
};

struct TwoHostsResult {
  // Set when the hosts could not be made for want of privilege or a kernel
  // feature (unshare or RTM_NEWLINK refused with EPERM, EINVAL, ENOSYS,
  // EOPNOTSUPP): the reason, naming the calls and errnos, for
  // SKIP_UNVERIFIED. The functions did not run.
  std::optional<std::string> unavailable;
  // Set when setting up failed otherwise (a NACK with another errno, a side
  // that never reported ready, a broken pipe): the test fails with it.
  std::string setup_failure;
  // How the user namespace was used: false when plain
  // unshare(CLONE_NEWNET) worked, true when A made a user namespace.
  bool in_user_namespace = false;
  HostOutcome a;
  HostOutcome b;

  bool ran() const { return !unavailable && setup_failure.empty(); }
};

// Makes the two hosts, runs `a` inside A and `b` inside B once both are
// ready, and waits for both to exit, all within `deadline` (at time scale
// 1: ScaledTimeout(deadline), kit/time_scale.h; a side still running then
// is killed, status nullopt). Call from the test process (it
// stays in its namespaces); both children are always reaped.
TwoHostsResult RunOnTwoHosts(
    const HostFunction& a, const HostFunction& b,
    std::chrono::milliseconds deadline = std::chrono::milliseconds(20000));

// "" when both sides ran and exited with 0; otherwise what went wrong (the
// set-up, or each side's DescribeChildExit), for a failure message.
std::string DescribeTwoHostsFailure(const TwoHostsResult& result);

}  // namespace ipcproof

// In a test body: runs the two functions, or skips saying why (the claims
// the test declared stay unverified), or fails on a setup error; then
// `result` (a new const TwoHostsResult) holds both outcomes.
#define RUN_ON_TWO_HOSTS_OR_SKIP(result, a, b)                               \
  const ::ipcproof::TwoHostsResult result = ::ipcproof::RunOnTwoHosts(a, b); \
  if (result.unavailable) {                                                  \
    SKIP_UNVERIFIED("no two network namespaces joined by veth: " +           \
                    *result.unavailable);                                    \
  }                                                                          \
  ASSERT_EQ(result.setup_failure, "")

#endif  // CONFORMANCE_KIT_NETNS_HOST_H_

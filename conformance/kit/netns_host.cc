#include "conformance/kit/netns_host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/time_scale.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using std::chrono::milliseconds;

// --- What a side tells the test process while it sets up -------------------

// The set-up calls, for the messages; each side reports the one that failed.
enum Step : int32_t {
  kOk = 0,
  kUnshareNet,
  kUnshareUserNet,
  kSetgroups,
  kUidMap,
  kGidMap,
  kOpenUserNs,
  kSetnsUser,
  kPdeathsig,
  kParentGone,
  kReadGo,
  kNetlinkSocket,
  kNewVeth,
  kIndexVeth,
  kIndexLo,
  kLoUp,
  kNewAddress,
  kVethUp,
  kGetLink,
  kNoCarrier,
};

const char* StepCall(int32_t step) {
  switch (step) {
    case kOk:
      return "nothing";
    case kUnshareNet:
      return "unshare(CLONE_NEWNET)";
    case kUnshareUserNet:
      return "unshare(CLONE_NEWUSER|CLONE_NEWNET)";
    case kSetgroups:
      return "write /proc/self/setgroups";
    case kUidMap:
      return "write /proc/self/uid_map";
    case kGidMap:
      return "write /proc/self/gid_map";
    case kOpenUserNs:
      return "open /proc/A/ns/user";
    case kSetnsUser:
      return "setns(A's user namespace)";
    case kPdeathsig:
      return "prctl(PR_SET_PDEATHSIG)";
    case kParentGone:
      return "getppid (the test process is gone)";
    case kReadGo:
      return "read of the test process's go-ahead";
    case kNetlinkSocket:
      return "socket(AF_NETLINK, NETLINK_ROUTE)";
    case kNewVeth:
      return "RTM_NEWLINK veth pair";
    case kIndexVeth:
      return "ioctl(SIOCGIFINDEX) of the veth end";
    case kIndexLo:
      return "ioctl(SIOCGIFINDEX) of lo";
    case kLoUp:
      return "RTM_NEWLINK lo IFF_UP";
    case kNewAddress:
      return "RTM_NEWADDR";
    case kVethUp:
      return "RTM_NEWLINK veth end IFF_UP";
    case kGetLink:
      return "RTM_GETLINK veth end";
    case kNoCarrier:
      return "RTM_GETLINK veth end (no IFF_LOWER_UP|IFF_RUNNING within the "
             "netlink deadline after both ends were up)";
  }
  return "?";
}

struct StageReport {
  int32_t stage;  // 1, 2, 3: which set-up stage this ends
  int32_t step;   // kOk, or the call that failed
  int32_t err;    // its errno
  // Stage 1 of A: 1 when it made a user namespace; kNoCarrier: the last
  // RTM_GETLINK answer's ifi_flags.
  int32_t value;
};

// Everything a side needs, prepared by the test process before fork: the
// child only copies and makes system calls.
struct SideSetup {
  HostInfo info;
  int stage_fd;  // write: StageReports
  int go_fd;     // read: the test process's go-aheads
  pid_t test_pid;
};

// --- Netlink, by hand (netlink(7), rtnetlink(7)) -----------------------------

// A request built in place: nlmsghdr, the family header, then attributes,
// each padded to NLMSG_ALIGNTO / RTA_ALIGNTO (both 4).
struct NetlinkRequest {
  alignas(nlmsghdr) char buffer[1024];
  size_t length = 0;

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer); }

  void* Append(size_t size) {
    void* at = buffer + length;
    std::memset(at, 0, NLMSG_ALIGN(size));
    length += NLMSG_ALIGN(size);
    header()->nlmsg_len = static_cast<uint32_t>(length);
    return at;
  }
  rtattr* Attribute(unsigned short type, const void* data, size_t size) {
    auto* attribute = static_cast<rtattr*>(Append(RTA_LENGTH(size)));
    attribute->rta_type = type;
    attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    if (size > 0) std::memcpy(RTA_DATA(attribute), data, size);
    return attribute;
  }
  // A nested attribute: its length is set by End once its content is in.
  size_t BeginNest(unsigned short type) {
    const size_t offset = length;
    Attribute(type, nullptr, 0);
    return offset;
  }
  void EndNest(size_t offset) {
    reinterpret_cast<rtattr*>(buffer + offset)->rta_len =
        static_cast<unsigned short>(length - offset);
  }
};

void BeginRequest(NetlinkRequest& request, uint16_t type, uint16_t flags,
                  uint32_t sequence) {
  request.length = 0;
  auto* header = static_cast<nlmsghdr*>(request.Append(sizeof(nlmsghdr)));
  header->nlmsg_type = type;
  header->nlmsg_flags =
      static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  header->nlmsg_seq = sequence;
}

// What RTM_GETLINK answered.
struct LinkState {
  unsigned flags = 0;
  bool seen = false;
};

// Sends `request` and reads until its acknowledgement (NLMSG_ERROR with
// the same sequence number): 0 when acknowledged, else the errno the kernel
// refused it with. An RTM_NEWLINK answer (to RTM_GETLINK) fills `link`.
// Every read comes after poll with a deadline: a kernel that never answers
// fails the set-up instead of hanging it. Async-signal-safe.
int Transact(int socket_fd, NetlinkRequest& request, LinkState* link,
             milliseconds timeout) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0: the kernel
  const uint32_t sequence = request.header()->nlmsg_seq;
  if (::sendto(socket_fd, request.buffer, request.length, 0,
               reinterpret_cast<const sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(request.length)) {
    return errno != 0 ? errno : EIO;
  }
  alignas(nlmsghdr) char answer[8192];
  for (;;) {
    const int ready = PollWithin(socket_fd, POLLIN, timeout);
    if (ready <= 0) return ready == 0 ? ETIMEDOUT : errno;
    const ssize_t got = ::recv(socket_fd, answer, sizeof answer, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    int left = static_cast<int>(got);
    for (auto* message = reinterpret_cast<nlmsghdr*>(answer);
         NLMSG_OK(message, left); message = NLMSG_NEXT(message, left)) {
      if (message->nlmsg_seq != sequence) continue;
      if (message->nlmsg_type == NLMSG_ERROR) {
        const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
        return -error->error;  // 0: the acknowledgement
      }
      if (message->nlmsg_type == RTM_NEWLINK && link != nullptr) {
        const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(message));
        link->flags = info->ifi_flags;
        link->seen = true;
      }
    }
  }
}

constexpr milliseconds kNetlinkTimeout{5000};

// RTM_NEWLINK: a veth pair, this end `name` here, the peer `peer_name`
// created directly in the network namespace of process `peer_pid`
// (IFLA_NET_NS_PID inside VETH_INFO_PEER, which carries an ifinfomsg of its
// own before its attributes: drivers/net/veth.c veth_newlink).
int NewVethPair(int socket_fd, const char* name, const char* peer_name,
                pid_t peer_pid) {
  NetlinkRequest request;
  BeginRequest(request, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 1);
  request.Append(sizeof(ifinfomsg));  // AF_UNSPEC, no index: a new link
  request.Attribute(IFLA_IFNAME, name, std::strlen(name) + 1);
  const size_t link_info = request.BeginNest(IFLA_LINKINFO);
  request.Attribute(IFLA_INFO_KIND, "veth", 4);
  const size_t info_data = request.BeginNest(IFLA_INFO_DATA);
  const size_t peer = request.BeginNest(VETH_INFO_PEER);
  request.Append(sizeof(ifinfomsg));
  request.Attribute(IFLA_IFNAME, peer_name, std::strlen(peer_name) + 1);
  const uint32_t pid = static_cast<uint32_t>(peer_pid);
  request.Attribute(IFLA_NET_NS_PID, &pid, sizeof pid);
  request.EndNest(peer);
  request.EndNest(info_data);
  request.EndNest(link_info);
  return Transact(socket_fd, request, nullptr, kNetlinkTimeout);
}

// RTM_NEWLINK on an existing link: IFF_UP in ifi_flags, masked by
// ifi_change, brings it up (dev_change_flags).
int LinkUp(int socket_fd, int index) {
  NetlinkRequest request;
  BeginRequest(request, RTM_NEWLINK, 0, 2);
  auto* info = static_cast<ifinfomsg*>(request.Append(sizeof(ifinfomsg)));
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  info->ifi_flags = IFF_UP;
  info->ifi_change = IFF_UP;
  return Transact(socket_fd, request, nullptr, kNetlinkTimeout);
}

// RTM_NEWADDR: `address`/`prefix` on link `index` (IFA_LOCAL is the
// interface's own address; IFA_ADDRESS the same on a broadcast link).
// Adding it also adds the prefix route (fib_add_ifaddr).
int AddAddress(int socket_fd, int index, in_addr address, int prefix) {
  NetlinkRequest request;
  BeginRequest(request, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3);
  auto* message = static_cast<ifaddrmsg*>(request.Append(sizeof(ifaddrmsg)));
  message->ifa_family = AF_INET;
  message->ifa_prefixlen = static_cast<unsigned char>(prefix);
  message->ifa_index = static_cast<unsigned>(index);
  request.Attribute(IFA_LOCAL, &address, sizeof address);
  request.Attribute(IFA_ADDRESS, &address, sizeof address);
  return Transact(socket_fd, request, nullptr, kNetlinkTimeout);
}

int GetLink(int socket_fd, int index, LinkState& link) {
  NetlinkRequest request;
  BeginRequest(request, RTM_GETLINK, 0, 4);
  auto* info = static_cast<ifinfomsg*>(request.Append(sizeof(ifinfomsg)));
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  const int err = Transact(socket_fd, request, &link, kNetlinkTimeout);
  if (err == 0 && !link.seen) return EPROTO;
  return err;
}

// The ifindex of `name` in the caller's network namespace; -1 with errno.
int InterfaceIndex(const char* name) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ifreq request{};
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  const int rc = ::ioctl(fd, SIOCGIFINDEX, &request);
  const int err = errno;
  ::close(fd);
  errno = err;
  return rc == 0 ? request.ifr_ifindex : -1;
}

// --- The child's side
// ---------------------------------------------------------

// Reports the end of a stage; on failure the side then exits. Returns
// whether the stage succeeded.
bool Report(const SideSetup& side, int32_t stage, int32_t step, int err,
            int32_t value = 0) {
  const StageReport report{stage, step, err, value};
  return WriteReport(side.stage_fd, report) && step == kOk;
}

bool WriteWhole(int fd, const char* text) {
  const size_t size = std::strlen(text);
  return WriteInOneCall(fd, text, size);
}

bool WriteProcSelf(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = WriteWhole(fd, text);
  const int err = errno;
  ::close(fd);
  errno = err;
  return ok;
}

// Waits for the test process's next go-ahead: `size` bytes.
bool ReadGo(const SideSetup& side, void* data, size_t size) {
  return ReadExactInChild(side.go_fd, data, size, kBlockedTimeout);
}

// PR_SET_PDEATHSIG again after the namespace changes (commit_creds may
// clear it on a change of credentials), and then the check that the test
// process has not died before it was set.
int32_t StayTiedToTestProcess(const SideSetup& side) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return kPdeathsig;
  if (::getppid() != side.test_pid) return kParentGone;
  return kOk;
}

// Stage 3 of both sides: with both ends up, RTM_GETLINK on this end must
// come to show the carrier (IFF_LOWER_UP) and the operational state up
// (IFF_RUNNING), after which the device transmits. veth_open turns the
// carrier on at once, but IFF_RUNNING follows the operstate, which the
// link-watch work sets (linkwatch_do_dev, run from a workqueue). Newer
// kernels run that work for the device inside rtnl_getlink
// (linkwatch_sync_dev: 6.12's net/core/rtnetlink.c), so there the first
// answer has it; 6.1's rtnl_getlink does not, so there an answer may come
// before the work has run. So the state is asked again, with pauses that
// only pace the probes (20 us doubling to 2 ms, as PollUntil), until it
// holds or kNetlinkTimeout (scaled) passes. Async-signal-safe: raw calls,
// no allocation. On failure `*flags` is the last answer's ifi_flags.
int32_t CheckCarrier(int netlink_fd, int index, int* err, int32_t* flags) {
  // IFF_LOWER_UP is linux/if.h's (1 << 16), which clashes with net/if.h.
  constexpr unsigned kLowerUp = 1u << 16;
  constexpr unsigned kWanted = IFF_UP | kLowerUp | IFF_RUNNING;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t deadline_ms = static_cast<int64_t>(now.tv_sec) * 1000 +
                              now.tv_nsec / 1000000 +
                              ScaledTimeout(kNetlinkTimeout).count();
  long pause_ns = 20 * 1000;
  for (;;) {
    LinkState link;
    *err = GetLink(netlink_fd, index, link);
    if (*err != 0) return kGetLink;
    *flags = static_cast<int32_t>(link.flags);
    if ((link.flags & kWanted) == kWanted) return kOk;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if (static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000 >=
        deadline_ms) {
      *err = 0;
      return kNoCarrier;
    }
    const timespec pause{0, pause_ns};
    ::nanosleep(&pause, nullptr);
    pause_ns = std::min(pause_ns * 2, 2L * 1000 * 1000);
  }
}

// Brings lo up and puts this side's address on its veth end (index known).
int32_t ConfigureEnd(int netlink_fd, const HostInfo& info, int* err) {
  const int lo = InterfaceIndex("lo");
  if (lo < 0) return (*err = errno), kIndexLo;
  if ((*err = LinkUp(netlink_fd, lo)) != 0) return kLoUp;
  if ((*err = AddAddress(netlink_fd, info.veth_index, info.address,
                         info.prefix_length)) != 0) {
    return kNewAddress;
  }
  return kOk;
}

int RunSideA(SideSetup& side, const HostFunction& function) {
  // Stage 1: a network namespace of its own.
  int32_t in_user_namespace = 0;
  if (::unshare(CLONE_NEWNET) != 0) {
    const int plain_errno = errno;
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      // Both errnos matter for the skip: the first in `value`.
      Report(side, 1, kUnshareUserNet, errno, plain_errno);
      return ErrnoExit();
    }
    in_user_namespace = 1;
    char map[64] = "0 ";
    char* end = PutDecimal(map + 2, uid);
    std::memcpy(end, " 1", 3);
    if (!WriteProcSelf("/proc/self/setgroups", "deny")) {
      Report(side, 1, kSetgroups, errno);
      return ErrnoExit();
    }
    if (!WriteProcSelf("/proc/self/uid_map", map)) {
      Report(side, 1, kUidMap, errno);
      return ErrnoExit();
    }
    end = PutDecimal(map + 2, gid);
    std::memcpy(end, " 1", 3);
    if (!WriteProcSelf("/proc/self/gid_map", map)) {
      Report(side, 1, kGidMap, errno);
      return ErrnoExit();
    }
  }
  if (const int32_t step = StayTiedToTestProcess(side); step != kOk) {
    Report(side, 1, step, errno);
    return ErrnoExit();
  }
  if (!Report(side, 1, kOk, 0, in_user_namespace)) return ErrnoExit();

  // Stage 2: B's pid, then the pair, lo and the address.
  int32_t peer_pid = 0;
  if (!ReadGo(side, &peer_pid, sizeof peer_pid)) {
    Report(side, 2, kReadGo, errno);
    return ErrnoExit();
  }
  const int netlink_fd =
      ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (netlink_fd < 0) {
    Report(side, 2, kNetlinkSocket, errno);
    return ErrnoExit();
  }
  int err = NewVethPair(netlink_fd, side.info.veth_name, kNetnsVethNameB,
                        static_cast<pid_t>(peer_pid));
  if (err != 0) {
    Report(side, 2, kNewVeth, err);
    return ErrnoExit(err);
  }
  side.info.veth_index = InterfaceIndex(side.info.veth_name);
  if (side.info.veth_index < 0) {
    Report(side, 2, kIndexVeth, errno);
    return ErrnoExit();
  }
  if (const int32_t step = ConfigureEnd(netlink_fd, side.info, &err);
      step != kOk) {
    Report(side, 2, step, err);
    return ErrnoExit(err);
  }
  if (!Report(side, 2, kOk, 0)) return ErrnoExit();

  // Stage 3: B's end is up; bring ours up and see the carrier.
  char go = 0;
  if (!ReadGo(side, &go, 1)) {
    Report(side, 3, kReadGo, errno);
    return ErrnoExit();
  }
  if ((err = LinkUp(netlink_fd, side.info.veth_index)) != 0) {
    Report(side, 3, kVethUp, err);
    return ErrnoExit(err);
  }
  int32_t flags = 0;
  if (const int32_t step =
          CheckCarrier(netlink_fd, side.info.veth_index, &err, &flags);
      step != kOk) {
    Report(side, 3, step, err, flags);
    return ErrnoExit(err);
  }
  ::close(netlink_fd);
  if (!Report(side, 3, kOk, 0)) return ErrnoExit();

  if (!ReadGo(side, &go, 1)) return ErrnoExit();  // run
  ::close(side.stage_fd);
  ::close(side.go_fd);
  return function(side.info);
}

int RunSideB(SideSetup& side, pid_t side_a, bool join_user_namespace,
             const HostFunction& function) {
  // Stage 1: into A's user namespace, if A made one (so that A, root there,
  // may put the peer end into our network namespace), then our own
  // network namespace.
  if (join_user_namespace) {
    char path[64] = "/proc/";
    char* end = PutDecimal(path + 6, side_a);
    std::memcpy(end, "/ns/user", 9);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Report(side, 1, kOpenUserNs, errno);
      return ErrnoExit();
    }
    if (::setns(fd, CLONE_NEWUSER) != 0) {
      Report(side, 1, kSetnsUser, errno);
      return ErrnoExit();
    }
    ::close(fd);
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    Report(side, 1, kUnshareNet, errno);
    return ErrnoExit();
  }
  if (const int32_t step = StayTiedToTestProcess(side); step != kOk) {
    Report(side, 1, step, errno);
    return ErrnoExit();
  }
  if (!Report(side, 1, kOk, 0)) return ErrnoExit();

  // Stage 2: the peer end is here; lo, address, end up.
  char go = 0;
  if (!ReadGo(side, &go, 1)) {
    Report(side, 2, kReadGo, errno);
    return ErrnoExit();
  }
  const int netlink_fd =
      ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (netlink_fd < 0) {
    Report(side, 2, kNetlinkSocket, errno);
    return ErrnoExit();
  }
  side.info.veth_index = InterfaceIndex(side.info.veth_name);
  if (side.info.veth_index < 0) {
    Report(side, 2, kIndexVeth, errno);
    return ErrnoExit();
  }
  int err = 0;
  if (const int32_t step = ConfigureEnd(netlink_fd, side.info, &err);
      step != kOk) {
    Report(side, 2, step, err);
    return ErrnoExit(err);
  }
  if ((err = LinkUp(netlink_fd, side.info.veth_index)) != 0) {
    Report(side, 2, kVethUp, err);
    return ErrnoExit(err);
  }
  if (!Report(side, 2, kOk, 0)) return ErrnoExit();

  // Stage 3: A's end is up too; see the carrier here.
  if (!ReadGo(side, &go, 1)) {
    Report(side, 3, kReadGo, errno);
    return ErrnoExit();
  }
  int32_t flags = 0;
  if (const int32_t step =
          CheckCarrier(netlink_fd, side.info.veth_index, &err, &flags);
      step != kOk) {
    Report(side, 3, step, err, flags);
    return ErrnoExit(err);
  }
  ::close(netlink_fd);
  if (!Report(side, 3, kOk, 0)) return ErrnoExit();

  if (!ReadGo(side, &go, 1)) return ErrnoExit();  // run
  ::close(side.stage_fd);
  ::close(side.go_fd);
  return function(side.info);
}

// --- The test process's side ----------------------------------------------

struct Pipe {
  ipc::UniqueFd read;
  ipc::UniqueFd write;
};

Pipe MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  return {ipc::UniqueFd(fds[0]), ipc::UniqueFd(fds[1])};
}

// Closes every descriptor of `all` except `keep`: in a child, so that the
// other side's pipes reach end of file when that side exits.
void CloseAllBut(const std::vector<int>& all, std::initializer_list<int> keep) {
  for (const int fd : all) {
    bool kept = false;
    for (const int k : keep) kept = kept || fd == k;
    if (!kept && fd >= 0) ::close(fd);
  }
}

std::string DescribeStage(char side, const StageReport& report) {
  std::string text = std::string("host ") + side + ": " +
                     StepCall(report.step) + " failed with " +
                     ErrnoName(report.err);
  if (report.step == kUnshareUserNet) {
    text = std::string("host ") + side +
           ": unshare(CLONE_NEWNET) failed with " + ErrnoName(report.value) +
           "; " + StepCall(report.step) + " failed with " +
           ErrnoName(report.err);
  }
  if (report.step == kNoCarrier) {
    char flags[16];
    std::snprintf(flags, sizeof flags, "%#x",
                  static_cast<unsigned>(report.value));
    text = std::string("host ") + side + ": " + StepCall(report.step) +
           "; the last answer's ifi_flags were " + flags + " (" +
           DescribeScaledTimeout(kNetlinkTimeout) + ")";
  }
  return text;
}

// A refusal that says "not here" rather than "broken": no privilege, no
// network namespaces, no veth driver.
bool IsUnavailable(const StageReport& report) {
  switch (report.step) {
    case kUnshareUserNet:
    case kSetgroups:
    case kUidMap:
    case kGidMap:
    case kSetnsUser:
    case kUnshareNet:
    case kNewVeth:
      return report.err == EPERM || report.err == EACCES ||
             report.err == EINVAL || report.err == ENOSYS ||
             report.err == EOPNOTSUPP || report.err == EUSERS ||
             report.err == ENOSPC;
    default:
      return false;
  }
}

// One side's stage report, within what is left of the deadline. An empty
// string when the stage succeeded; else why not, and `unavailable` says
// whether the reason is a privilege or feature.
std::string AwaitStage(int fd, char side, int32_t stage,
                       std::chrono::steady_clock::time_point deadline,
                       bool* unavailable, int32_t* value = nullptr) {
  StageReport report{};
  const ::testing::AssertionResult got =
      ReadReport(fd, report, UnscaledTimeLeft(deadline));
  if (!got) {
    return std::string("host ") + side + " did not report set-up stage " +
           std::to_string(stage) + ": " + got.message();
  }
  if (report.stage != stage) {
    return std::string("host ") + side + " reported stage " +
           std::to_string(report.stage) + ", expected " + std::to_string(stage);
  }
  if (report.step != kOk) {
    *unavailable = IsUnavailable(report);
    return DescribeStage(side, report);
  }
  if (value != nullptr) *value = report.value;
  return "";
}

struct FieldHeader {
  char key[64];
  uint32_t size;
};

void ParseFields(const std::string& stream,
                 std::map<std::string, std::string>& fields) {
  size_t at = 0;
  while (at + sizeof(FieldHeader) <= stream.size()) {
    FieldHeader header;
    std::memcpy(&header, stream.data() + at, sizeof header);
    at += sizeof header;
    header.key[sizeof header.key - 1] = '\0';
    const size_t size = std::min<size_t>(header.size, stream.size() - at);
    fields[header.key] = stream.substr(at, size);
    at += size;
  }
}

// Reads both report pipes until both reach end of file (both functions have
// exited, or closed them) or the deadline passes.
void DrainReports(int fd_a, int fd_b, std::string& a, std::string& b,
                  std::chrono::steady_clock::time_point deadline) {
  pollfd fds[2] = {{fd_a, POLLIN, 0}, {fd_b, POLLIN, 0}};
  std::string* out[2] = {&a, &b};
  int open = 2;
  char buffer[65536];
  while (open > 0) {
    const auto left = std::chrono::duration_cast<milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      out[i]->append(buffer, static_cast<size_t>(got));
    }
  }
}

}  // namespace

bool ReportField(const HostInfo& host, const char* key, const void* value,
                 size_t size) {
  FieldHeader header{};
  std::strncpy(header.key, key, sizeof header.key - 1);
  header.size = static_cast<uint32_t>(size);
  if (!WriteInOneCall(host.report_fd, &header, sizeof header)) return false;
  const char* at = static_cast<const char*>(value);
  while (size > 0) {
    const ssize_t wrote = ::write(host.report_fd, at, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    at += wrote;
    size -= static_cast<size_t>(wrote);
  }
  return true;
}

bool ReportField(const HostInfo& host, const char* key, const char* value) {
  return ReportField(host, key, value, std::strlen(value));
}

bool ReportNumber(const HostInfo& host, const char* key, long value) {
  char digits[32];
  char* end = digits;
  if (value < 0) {
    *end++ = '-';
    value = -value;
  }
  end = PutDecimal(end, value);
  return ReportField(host, key, digits, static_cast<size_t>(end - digits));
}

bool ReportFile(const HostInfo& host, const char* key, const char* path) {
  static char content[65536];  // each forked side has its own copy
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t size = 0;
  for (;;) {
    const ssize_t got = ::read(fd, content + size, sizeof content - size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size += static_cast<size_t>(got);
    if (size == sizeof content) break;
  }
  ::close(fd);
  return ReportField(host, key, content, size);
}

TwoHostsResult RunOnTwoHosts(const HostFunction& a, const HostFunction& b,
                             milliseconds deadline_in) {
  TwoHostsResult result;
  const auto deadline =
      std::chrono::steady_clock::now() + ScaledTimeout(deadline_in);

  Pipe stage_a = MakePipe(), stage_b = MakePipe();
  Pipe go_a = MakePipe(), go_b = MakePipe();
  Pipe report_a = MakePipe(), report_b = MakePipe();
  int peer[2] = {-1, -1};
  if (!stage_a.read || !stage_b.read || !go_a.read || !go_b.read ||
      !report_a.read || !report_b.read ||
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) != 0) {
    result.setup_failure = "pipe2/socketpair failed with " + ErrnoName(errno);
    return result;
  }
  ipc::UniqueFd peer_a(peer[0]), peer_b(peer[1]);
  const std::vector<int> all = {
      stage_a.read.get(),   stage_a.write.get(), stage_b.read.get(),
      stage_b.write.get(),  go_a.read.get(),     go_a.write.get(),
      go_b.read.get(),      go_b.write.get(),    report_a.read.get(),
      report_a.write.get(), report_b.read.get(), report_b.write.get(),
      peer_a.get(),         peer_b.get()};

  SideSetup side_a{};
  side_a.info.name = 'A';
  std::strncpy(side_a.info.veth_name, kNetnsVethNameA, IFNAMSIZ - 1);
  ::inet_pton(AF_INET, kNetnsAddressA, &side_a.info.address);
  ::inet_pton(AF_INET, kNetnsAddressB, &side_a.info.peer_address);
  side_a.info.prefix_length = kNetnsPrefixLength;
  side_a.info.veth_index = -1;
  side_a.test_pid = ::getpid();
  SideSetup side_b = side_a;
  side_b.info.name = 'B';
  std::strncpy(side_b.info.veth_name, kNetnsVethNameB, IFNAMSIZ - 1);
  std::swap(side_b.info.address, side_b.info.peer_address);

  side_a.info.peer_fd = peer_a.get();
  side_a.info.report_fd = report_a.write.get();
  side_a.stage_fd = stage_a.write.get();
  side_a.go_fd = go_a.read.get();
  side_b.info.peer_fd = peer_b.get();
  side_b.info.report_fd = report_b.write.get();
  side_b.stage_fd = stage_b.write.get();
  side_b.go_fd = go_b.read.get();

  ipc::ChildProcess child_a = ipc::ChildProcess::Fork([&] {
    CloseAllBut(all, {side_a.info.peer_fd, side_a.info.report_fd,
                      side_a.stage_fd, side_a.go_fd});
    return RunSideA(side_a, a);
  });
  result.a.pid = child_a.pid();
  // The test process keeps only its own ends of A's pipes.
  stage_a.write.Reset();
  go_a.read.Reset();
  report_a.write.Reset();

  // Reaps both children (killing any still running) before returning.
  std::optional<ipc::ChildProcess> child_b;
  auto fail = [&](std::string why, bool unavailable) -> TwoHostsResult {
    if (unavailable) {
      result.unavailable = std::move(why);
    } else {
      result.setup_failure = std::move(why);
    }
    child_a.Kill();
    if (child_b) child_b->Kill();
    return std::move(result);
  };

  bool unavailable = false;
  int32_t in_user_namespace = 0;
  std::string why = AwaitStage(stage_a.read.get(), 'A', 1, deadline,
                               &unavailable, &in_user_namespace);
  if (!why.empty()) return fail(why, unavailable);
  result.in_user_namespace = in_user_namespace != 0;

  const pid_t pid_a = child_a.pid();
  child_b = ipc::ChildProcess::Fork([&] {
    CloseAllBut(all, {side_b.info.peer_fd, side_b.info.report_fd,
                      side_b.stage_fd, side_b.go_fd});
    return RunSideB(side_b, pid_a, in_user_namespace != 0, b);
  });
  result.b.pid = child_b->pid();
  stage_b.write.Reset();
  go_b.read.Reset();
  report_b.write.Reset();
  peer_a.Reset();
  peer_b.Reset();

  why = AwaitStage(stage_b.read.get(), 'B', 1, deadline, &unavailable);
  if (!why.empty()) return fail(why, unavailable);

  const int32_t pid_b = child_b->pid();
  const char go = 1;
  if (!WriteInOneCall(go_a.write.get(), &pid_b, sizeof pid_b)) {
    return fail("go-ahead to host A failed: " + ErrnoName(errno), false);
  }
  why = AwaitStage(stage_a.read.get(), 'A', 2, deadline, &unavailable);
  if (!why.empty()) return fail(why, unavailable);
  if (!WriteInOneCall(go_b.write.get(), &go, 1)) {
    return fail("go-ahead to host B failed: " + ErrnoName(errno), false);
  }
  why = AwaitStage(stage_b.read.get(), 'B', 2, deadline, &unavailable);
  if (!why.empty()) return fail(why, unavailable);
  if (!WriteInOneCall(go_a.write.get(), &go, 1)) {
    return fail("go-ahead to host A failed: " + ErrnoName(errno), false);
  }
  why = AwaitStage(stage_a.read.get(), 'A', 3, deadline, &unavailable);
  if (!why.empty()) return fail(why, false);
  if (!WriteInOneCall(go_b.write.get(), &go, 1)) {
    return fail("go-ahead to host B failed: " + ErrnoName(errno), false);
  }
  why = AwaitStage(stage_b.read.get(), 'B', 3, deadline, &unavailable);
  if (!why.empty()) return fail(why, false);

  // Both ready: run.
  if (!WriteInOneCall(go_a.write.get(), &go, 1) ||
      !WriteInOneCall(go_b.write.get(), &go, 1)) {
    return fail("run go-ahead failed: " + ErrnoName(errno), false);
  }
  std::string stream_a, stream_b;
  DrainReports(report_a.read.get(), report_b.read.get(), stream_a, stream_b,
               deadline);
  for (auto [child, outcome] :
       {std::pair{&child_a, &result.a}, std::pair{&*child_b, &result.b}}) {
    outcome->status = ReapWithin(
        *child, std::max(UnscaledTimeLeft(deadline), milliseconds(1)));
    if (!outcome->status) child->Kill();
  }
  ParseFields(stream_a, result.a.fields);
  ParseFields(stream_b, result.b.fields);
  return result;
}

std::string DescribeTwoHostsFailure(const TwoHostsResult& result) {
  if (result.unavailable) return "unavailable: " + *result.unavailable;
  if (!result.setup_failure.empty()) return "set-up: " + result.setup_failure;
  std::string text;
  for (auto [name, outcome] :
       {std::pair{"A", &result.a}, std::pair{"B", &result.b}}) {
    if (!outcome->status) {
      text += std::string("host ") + name + " still ran at the deadline; ";
    } else if (!outcome->status->ExitedWith(0)) {
      text += std::string("host ") + name + " " +
              DescribeChildExit(*outcome->status) + "; ";
    }
  }
  return text;
}

}  // namespace ipcproof

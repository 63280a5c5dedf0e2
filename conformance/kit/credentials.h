// Becoming another user in a forked child, for tests of permission checks.
//
// A test that asks "what may a process of another uid do?" forks a child,
// drops it to kOtherUid with DropToUid, and lets it try. Whether that is
// possible at all is decided by trying (WhyCannotBecomeUid), never by
// checking uid == 0: in a user namespace that maps a single uid (Bazel's
// sandbox, an unprivileged run) there is no second uid to become.
#ifndef CONFORMANCE_HARNESS_CREDENTIALS_H_
#define CONFORMANCE_HARNESS_CREDENTIALS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace ipcproof {

// The uid and gid a child drops to, to be "another user". Any id other than
// the test's would do; 65534 is nobody/nogroup by convention.
inline constexpr uid_t kOtherUid = 65534;
inline constexpr gid_t kOtherGid = 65534;

// DropToUid's failure codes: base + errno of the call that failed, with
// errno values of 50 and above reported as 49 (EPERM and EINVAL, what these
// calls fail with, fit). All are >= 100 and <= 255, so they are valid exit
// statuses and stay clear of the small codes (1..99) tests give their own
// failure points.
inline constexpr int kSetgroupsFailed = 100;  // 100..149
inline constexpr int kSetresgidFailed = 150;  // 150..199
inline constexpr int kSetresuidFailed = 200;  // 200..249
inline constexpr int kPdeathsigFailed = 250;  // prctl; errno not encoded

// In a forked child (async-signal-safe: only system calls): become `uid` and
// `gid` with no supplementary groups (setgroups(0), setresgid, setresuid).
// Leaving uid 0 clears every effective capability, so CAP_DAC_OVERRIDE,
// CAP_IPC_OWNER and CAP_SYS_ADMIN no longer bypass permission bits. The
// kernel clears PR_SET_PDEATHSIG on a credential change
// (ipc/child_process.h), so it is re-armed with SIGKILL. Returns 0, or a
// code from the table above naming the call that failed and its errno; a
// child may return it as its exit code.
int DropToUid(uid_t uid, gid_t gid);

// "setresgid failed with EINVAL (Invalid argument)" for a DropToUid code.
std::string DescribeDropFailure(int code);

// Why a child of this process cannot become `uid`/`gid` (and, if
// `path_to_reach` is given, stat(2) that path as that user), or "" when it
// can. Decided by trying in a throwaway child; the reason is meant for
// SKIP_UNVERIFIED and names the call that failed.
std::string WhyCannotBecomeUid(uid_t uid, gid_t gid,
                               const std::string& path_to_reach = "");

// Sets the process umask, restoring the previous one on scope exit.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_CREDENTIALS_H_

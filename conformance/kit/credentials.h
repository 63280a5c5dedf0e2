// Becoming another user in a forked child, for tests of permission checks.
//
// A test that asks "what may a process of another uid do?" forks a child,
// drops it to kOtherUid with DropToUid, and lets it try. Whether that is
// possible at all is decided by trying (WhyCannotBecomeUid), never by
// checking uid == 0, and a skip says what the attempt found: the call that
// failed, its errno, and the one explanation that errno has (EPERM: the
// process lacks CAP_SETUID / CAP_SETGID; EINVAL: the id is not mapped in
// this user namespace, as in Bazel's sandbox, which maps only uid 0).
#ifndef CONFORMANCE_KIT_CREDENTIALS_H_
#define CONFORMANCE_KIT_CREDENTIALS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"

namespace ipcproof {

// The uid and gid a child drops to, to be "another user". Any id other than
// the test's would do; 65534 is nobody/nogroup by convention.
// WhyCannotBecomeUid refuses it when the test itself runs as 65534.
inline constexpr uid_t kOtherUid = 65534;
inline constexpr gid_t kOtherGid = 65534;

// In a forked child (async-signal-safe: only system calls): become `uid` and
// `gid` with no supplementary groups (setgroups(0), setresgid, setresuid).
// Leaving uid 0 clears every effective capability, so CAP_DAC_OVERRIDE,
// CAP_IPC_OWNER and CAP_SYS_ADMIN no longer bypass permission bits. The
// kernel clears PR_SET_PDEATHSIG on a credential change
// (ipc/child_process.h), so it is re-armed with SIGKILL. Returns 0, or
// DropToUidExit(step, errno) (100..109 in kit/child_exit.h's table), which a
// child may return as its exit code; errno is still the failed call's.
int DropToUid(uid_t uid, gid_t gid);

// Why DropToUid failed, from the `code` it returned: the call, its errno and
// the explanation that errno has, with what this process shows of it
// ("setresuid failed with EPERM (Operation not permitted): the process
// lacks CAP_SETUID (euid 65534, CapEff 0000000000000000) ..."). Call it in
// the parent, which a child inherited its credentials from: it reads
// /proc/self. For a code outside DropToUid's block, says so.
std::string DescribeDropFailure(int code);

// The same as a skip reason: "cannot become uid 65534 (gid 65534): " and
// DescribeDropFailure(code). What a test that ran DropToUid in its own child
// passes to SKIP_UNVERIFIED when the child reports a non-zero code.
std::string DescribeDropFailure(int code, uid_t uid, gid_t gid);

// Why a child of this process cannot become `uid`/`gid` (and, if
// `path_to_reach` is given, stat(2) that path as that user), or "" when it
// can. Decided by trying in a throwaway child, which sends back the exact
// errno; the reason is meant for SKIP_UNVERIFIED and has
// DescribeDropFailure's form. Also refuses a `uid` that is this process's
// own effective uid: that is not another user.
std::string WhyCannotBecomeUid(uid_t uid, gid_t gid,
                               const std::string& path_to_reach = "");

// Deprecated: the first code of each call's three in DropToUid's block
// (once bases to which the errno was added). Decode a code with
// DecodeDropToUidExit (kit/child_exit.h) instead.
inline constexpr int kSetgroupsFailed =
    DropToUidExit(DropStep::kSetgroups, EPERM);
inline constexpr int kSetresgidFailed =
    DropToUidExit(DropStep::kSetresgid, EPERM);
inline constexpr int kSetresuidFailed =
    DropToUidExit(DropStep::kSetresuid, EPERM);
inline constexpr int kPdeathsigFailed = DropToUidExit(DropStep::kPdeathsig, 0);

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

// In a test body: skips, saying what the attempt found, unless a child can
// become kOtherUid / kOtherGid and stat(2) `path` as that user
// (WhyCannotBecomeUid). In Bazel's sandbox only uid 0 is mapped into the
// user namespace, so setresgid fails EINVAL; run unprivileged, setgroups
// fails EPERM; a directory above `path` may deny the other user search.
#define SKIP_UNLESS_OTHER_UID_CAN_REACH(path)                        \
  do {                                                               \
    const std::string ipcproof_why = ::ipcproof::WhyCannotBecomeUid( \
        ::ipcproof::kOtherUid, ::ipcproof::kOtherGid, path);         \
    if (!ipcproof_why.empty()) SKIP_UNVERIFIED(ipcproof_why);        \
  } while (0)

// The same with no path to reach: only that a child can become the other
// user.
#define SKIP_UNLESS_OTHER_UID() SKIP_UNLESS_OTHER_UID_CAN_REACH(std::string())

#endif  // CONFORMANCE_KIT_CREDENTIALS_H_

#include "conformance/kit/credentials.h"

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "conformance/kit/matchers.h"
#include "ipc/child_process.h"

namespace ipcproof {
namespace {

// The probe child's exit code when it became the user but could not stat
// the path (DropToUid's codes are 0 or >= 100).
constexpr int kCannotReachPath = 1;

int FailureCode(int base) { return base + (errno < 50 ? errno : 49); }

}  // namespace

int DropToUid(uid_t uid, gid_t gid) {
  if (::setgroups(0, nullptr) != 0) return FailureCode(kSetgroupsFailed);
  if (::setresgid(gid, gid, gid) != 0) return FailureCode(kSetresgidFailed);
  if (::setresuid(uid, uid, uid) != 0) return FailureCode(kSetresuidFailed);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return kPdeathsigFailed;
  return 0;
}

std::string DescribeDropFailure(int code) {
  if (code == kPdeathsigFailed) return "prctl(PR_SET_PDEATHSIG) failed";
  const char* call = nullptr;
  int base = 0;
  if (code >= kSetresuidFailed && code < kPdeathsigFailed) {
    call = "setresuid";
    base = kSetresuidFailed;
  } else if (code >= kSetresgidFailed && code < kSetresuidFailed) {
    call = "setresgid";
    base = kSetresgidFailed;
  } else if (code >= kSetgroupsFailed && code < kSetresgidFailed) {
    call = "setgroups";
    base = kSetgroupsFailed;
  } else {
    return "code " + std::to_string(code) + " is not a DropToUid failure";
  }
  return std::string(call) + " failed with " + ErrnoName(code - base);
}

std::string WhyCannotBecomeUid(uid_t uid, gid_t gid,
                               const std::string& path_to_reach) {
  const char* const path =
      path_to_reach.empty() ? nullptr : path_to_reach.c_str();
  ipc::ChildProcess probe = ipc::ChildProcess::Fork([uid, gid, path] {
    if (const int failed = DropToUid(uid, gid); failed != 0) return failed;
    struct stat st {};
    if (path != nullptr && ::stat(path, &st) != 0) return kCannotReachPath;
    return 0;
  });
  const ipc::WaitStatus status = probe.Wait();
  if (status.ExitedWith(0)) return "";
  const std::string who = "uid " + std::to_string(uid);
  if (status.ExitedWith(kCannotReachPath)) {
    return who + " cannot search the directories above " + path_to_reach +
           " (mode of a parent directory)";
  }
  if (!status.exited() || status.exit_code() < kSetgroupsFailed) {
    return "the probe that tries to become " + who + " " + status.ToString();
  }
  return "cannot become " + who + ": " +
         DescribeDropFailure(status.exit_code()) +
         " (a user namespace that maps a single uid, as in Bazel's sandbox "
         "or an unprivileged run, has no second uid: run the binary directly "
         "as root to decide this)";
}

}  // namespace ipcproof

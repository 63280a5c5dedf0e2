#include "conformance/kit/credentials.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "conformance/kit/child_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/procfs/files.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"

namespace ipcproof {
namespace {

// What /proc/self shows of the credentials a child starts from: the facts
// a skip reason cites, so it states what was found rather than a guess.
struct CredentialFacts {
  uid_t euid = 0;
  std::optional<uint64_t> cap_effective;  // CapEff of /proc/self/status
  std::string uid_map;                    // "0 0 1", lines joined by "; "
  std::string gid_map;
  std::string setgroups;  // "allow" / "deny"; "" before Linux 3.19
};

// A small /proc file on one line: the maps pad their columns with runs of
// spaces, and have a line per mapping ("0 0 1; 1000 1000 1").
std::string OneLine(const std::optional<std::string>& text) {
  if (!text) return "";
  std::istringstream lines(*text);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string joined;
    for (std::string word; words >> word;) {
      joined += (joined.empty() ? "" : " ") + word;
    }
    if (joined.empty()) continue;
    out += (out.empty() ? "" : "; ") + joined;
  }
  return out;
}

std::optional<uint64_t> EffectiveCapabilities() {
  const std::optional<std::string> status =
      ReadFileIfPresent("/proc/self/status");
  if (!status) return std::nullopt;
  const size_t at = status->find("\nCapEff:");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(status->c_str() + at + 8, nullptr, 16);
}

CredentialFacts ReadCredentialFacts() {
  CredentialFacts facts;
  facts.euid = ::geteuid();
  facts.cap_effective = EffectiveCapabilities();
  facts.uid_map = OneLine(ReadFileIfPresent("/proc/self/uid_map"));
  facts.gid_map = OneLine(ReadFileIfPresent("/proc/self/gid_map"));
  facts.setgroups = OneLine(ReadFileIfPresent("/proc/self/setgroups"));
  return facts;
}

std::string Hex16(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) text[i] = kDigits[value & 0xf];
  return text;
}

// EPERM from setgroups, setresgid or setresuid: the capability the man page
// names for it, and whether this process has it.
std::string ExplainEperm(DropStep step, const CredentialFacts& facts) {
  const bool uid_call = step == DropStep::kSetresuid;
  const char* const cap_name = uid_call ? "CAP_SETUID" : "CAP_SETGID";
  const int cap = uid_call ? CAP_SETUID : CAP_SETGID;
  // setgroups(2): "EPERM (since Linux 3.19) The use of setgroups() is denied
  // in this user namespace" (/proc/PID/setgroups, user_namespaces(7)).
  if (step == DropStep::kSetgroups && facts.setgroups == "deny") {
    return "this user namespace denies setgroups (/proc/self/setgroups: "
           "deny)";
  }
  const std::string seen =
      "euid " + std::to_string(facts.euid) + ", CapEff " +
      (facts.cap_effective ? Hex16(*facts.cap_effective) : "unreadable");
  if (facts.cap_effective && (*facts.cap_effective >> cap & 1) == 0) {
    return std::string("the process lacks ") + cap_name + " (" + seen +
           "): it is not root, or the capability was dropped";
  }
  if (!facts.cap_effective) {
    return std::string("the call needs ") + cap_name + " (" + seen + ")";
  }
  return std::string("although the process holds ") + cap_name + " (" + seen +
         "), so something other than capabilities refused it (a seccomp "
         "filter or a security module)";
}

// EINVAL from setresgid or setresuid: "One or more of the target user or
// group IDs is not valid in this user namespace" (setresuid(2)).
std::string ExplainEinval(DropStep step, std::optional<uid_t> uid,
                          std::optional<gid_t> gid,
                          const CredentialFacts& facts) {
  if (step == DropStep::kSetgroups) {
    return "setgroups(2) documents EINVAL only for a size above NGROUPS_MAX, "
           "and the size was 0";
  }
  const bool uid_call = step == DropStep::kSetresuid;
  const std::optional<unsigned> id =
      uid_call ? std::optional<unsigned>(uid) : std::optional<unsigned>(gid);
  std::string who = uid_call ? "uid" : "gid";
  who += id ? " " + std::to_string(*id) : " asked for";
  const std::string& map = uid_call ? facts.uid_map : facts.gid_map;
  // A map of one id ("0 0 1") is what Bazel's linux-sandbox writes.
  const bool single_id = map.find(';') == std::string::npos && map.size() > 2 &&
                         map.ends_with(" 1");
  return who + " is not mapped in this process's user namespace (/proc/self/" +
         (uid_call ? "uid_map" : "gid_map") + ": \"" + map + "\"" +
         (single_id ? ", a single id, as Bazel's sandbox maps only 0" : "") +
         ")";
}

// `err`: the errno, when known exactly; otherwise what the code carries.
std::string Describe(int code, std::optional<int> err, std::optional<uid_t> uid,
                     std::optional<gid_t> gid) {
  const std::optional<DropToUidFailure> failure = DecodeDropToUidExit(code);
  if (!failure) {
    return "code " + std::to_string(code) +
           " is not a DropToUid failure (kit/child_exit.h: 100..109)";
  }
  const int errno_seen = err.value_or(failure->err);
  std::string text = DropStepCall(failure->step);
  if (failure->step == DropStep::kPdeathsig) {
    text += "(SIGKILL) failed";
    if (errno_seen != 0) text += " with " + ErrnoName(errno_seen);
    return text;
  }
  if (errno_seen == 0) {
    return text +
           " failed with an errno other than EPERM and EINVAL (the exit code "
           "does not carry which)";
  }
  text += " failed with " + ErrnoName(errno_seen);
  const CredentialFacts facts = ReadCredentialFacts();
  if (errno_seen == EPERM)
    return text + ": " + ExplainEperm(failure->step, facts);
  if (errno_seen == EINVAL) {
    return text + ": " + ExplainEinval(failure->step, uid, gid, facts);
  }
  return text + " (an errno its man page does not list for this)";
}

std::string CannotBecome(uid_t uid, gid_t gid) {
  return "cannot become uid " + std::to_string(uid) + " (gid " +
         std::to_string(gid) + "): ";
}

}  // namespace

int DropToUid(uid_t uid, gid_t gid) {
  if (::setgroups(0, nullptr) != 0) {
    return DropToUidExit(DropStep::kSetgroups, errno);
  }
  if (::setresgid(gid, gid, gid) != 0) {
    return DropToUidExit(DropStep::kSetresgid, errno);
  }
  if (::setresuid(uid, uid, uid) != 0) {
    return DropToUidExit(DropStep::kSetresuid, errno);
  }
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    return DropToUidExit(DropStep::kPdeathsig, errno);
  }
  return 0;
}

std::string DescribeDropFailure(int code) {
  return Describe(code, std::nullopt, std::nullopt, std::nullopt);
}

std::string DescribeDropFailure(int code, uid_t uid, gid_t gid) {
  return CannotBecome(uid, gid) + Describe(code, std::nullopt, uid, gid);
}

std::string WhyCannotBecomeUid(uid_t uid, gid_t gid,
                               const std::string& path_to_reach) {
  const char* const path =
      path_to_reach.empty() ? nullptr : path_to_reach.c_str();
  // The probe sends the exact errno of a failed call back on this pipe (its
  // exit code carries only EPERM, EINVAL or "another").
  ipc::Pipe errno_pipe = ipc::Pipe::Create(O_CLOEXEC);
  const int errno_fd = errno_pipe.write_fd();
  ipc::ChildProcess probe = ipc::ChildProcess::Fork([uid, gid, path, errno_fd] {
    int err = 0;
    int code = DropToUid(uid, gid);
    if (code != 0) {
      err = errno;
    } else if (struct stat st{}; path != nullptr && ::stat(path, &st) != 0) {
      err = errno;
      code = kUidProbeCannotReachPath;
    }
    if (code != 0 && !WriteReport(errno_fd, err)) return ErrnoExit();
    return code;
  });
  errno_pipe.CloseWriteEnd();
  const ipc::WaitStatus status = probe.Wait();
  std::optional<int> err;
  int sent = 0;
  // The probe has exited: its report is there, or end of file at once.
  if (ReadReport(errno_pipe.read_fd(), sent)) err = sent;
  if (status.ExitedWith(0)) {
    if (uid == ::geteuid()) {
      return "this process already runs as uid " + std::to_string(uid) +
             ", so uid " + std::to_string(uid) + " is not another user";
    }
    return "";
  }
  if (status.ExitedWith(kUidProbeCannotReachPath)) {
    // stat(2) EACCES: "Search permission is denied for one of the
    // directories in the path prefix of pathname."
    return "uid " + std::to_string(uid) + " cannot stat " + path_to_reach +
           ": " + (err ? ErrnoName(*err) : "errno not received") +
           (err == EACCES ? ": search permission is denied on a directory "
                            "above it"
                          : "");
  }
  if (!status.exited() ||
      ClassifyExitCode(status.exit_code()) != ExitCodeKind::kDropToUid) {
    return "the probe that tries to become uid " + std::to_string(uid) + " " +
           DescribeChildExit(status);
  }
  return CannotBecome(uid, gid) + Describe(status.exit_code(), err, uid, gid);
}

}  // namespace ipcproof

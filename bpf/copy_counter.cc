#include "bpf/copy_counter.h"

#include <bpf/bpf.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

#include "bpf/follow.h"

namespace ipcproof::bpf {

std::string_view CopyMethodName(CopyMethod method) {
  switch (method) {
    case CopyMethod::kPageFaults:
      return "page_faults";
    case CopyMethod::kFunctionEntry:
      return "fentry";
  }
  return "?";
}

std::string_view CopyDirectionName(CopyDirection direction) {
  return direction == CopyDirection::kToUser ? "to_user" : "from_user";
}

uint64_t ProcessCopies::BytesOf(std::string_view routine,
                                CopyDirection direction) const {
  uint64_t bytes = 0;
  for (const RoutineCopies& copies : routines) {
    if (copies.routine == routine && copies.direction == direction) {
      bytes += copies.bytes;
    }
  }
  return bytes;
}

ProcessCopies CopyCounts::Of(uint32_t label) const {
  const auto found = processes.find(label);
  if (found != processes.end()) return found->second;
  ProcessCopies none;
  none.label = label;
  return none;
}

std::string DescribeCopies(const CopyCounts& counts) {
  std::string text =
      "copies counted by " + std::string(CopyMethodName(counts.method)) + ":\n";
  if (counts.processes.empty()) text += "  (no followed process copied)\n";
  for (const auto& [label, process] : counts.processes) {
    text += "  process " + std::to_string(label) + ": to user " +
            std::to_string(process.to_user_bytes) + " bytes, from user " +
            std::to_string(process.from_user_bytes) + " bytes";
    if (process.unattributed_bytes != 0) {
      text += ", unattributed " + std::to_string(process.unattributed_bytes);
    }
    if (process.kernel_bytes != 0) {
      text +=
          ", through kernel iterators " + std::to_string(process.kernel_bytes);
    }
    if (process.atomic_faults != 0) {
      text += ", atomic faults " + std::to_string(process.atomic_faults);
    }
    text += "\n";
    for (const RoutineCopies& copies : process.routines) {
      text += "    " + std::string(CopyDirectionName(copies.direction)) + " " +
              std::to_string(copies.bytes) + " bytes in " +
              std::to_string(copies.calls) + " call(s) by " +
              (copies.routine.empty() ? std::string("<no routine of the table>")
                                      : copies.routine) +
              (copies.path.empty() || copies.path == copies.routine
                   ? std::string()
                   : " (" + copies.path + ")") +
              "\n";
    }
  }
  const auto list = [](const std::vector<std::string>& names) {
    std::string joined;
    for (const std::string& name : names) {
      joined += (joined.empty() ? "" : ", ") + name;
    }
    return joined.empty() ? std::string("none") : joined;
  };
  if (!counts.traced_routines.empty() || !counts.absent_routines.empty()) {
    text += "  traced: " + list(counts.traced_routines) +
            "; absent from this kernel: " + list(counts.absent_routines) + "\n";
  }
  if (counts.dropped_events != 0) {
    text += "  " + std::to_string(counts.dropped_events) +
            " event(s) dropped: the counts are a lower bound\n";
  }
  return text;
}

CopyCounter::CopyCounter(CopyMethod method, uint64_t cookie)
    : method_(method), cookie_(cookie) {}

CopyCounter::~CopyCounter() = default;

std::unique_ptr<CopyCounter> CopyCounter::Start(CopyMethod method) {
  const uint64_t cookie = NewFollowCookie();
  switch (method) {
    case CopyMethod::kPageFaults:
      return StartPageFaultCounter(cookie);
    case CopyMethod::kFunctionEntry:
      return StartFunctionCounter(cookie);
  }
  throw std::invalid_argument("CopyCounter::Start: unknown method");
}

void CopyCounter::Follow(uint32_t label) const {
  if (label > IPCPROOF_MAX_LABEL) {
    throw std::invalid_argument("CopyCounter::Follow: label " +
                                std::to_string(label) + " is above " +
                                std::to_string(IPCPROOF_MAX_LABEL));
  }
  // The marker: EINVAL from the kernel is its normal answer.
  const int saved_errno = errno;
  ::syscall(SYS_prctl, IPCPROOF_FOLLOW_OPTION,
            static_cast<unsigned long>(cookie_),
            static_cast<unsigned long>(label), 0UL, 0UL);
  errno = saved_errno;
}

uint64_t NewFollowCookie() {
  // The cookie only keeps two counters apart: it needs no cryptographic
  // strength, and must not wait for the entropy pool of a freshly booted
  // guest (getrandom(0) blocked 1.6 s there). GRND_INSECURE is 5.6+;
  // GRND_NONBLOCK before it; the clock and PID when both fail.
  uint64_t cookie = 0;
  if (::getrandom(&cookie, sizeof cookie, GRND_INSECURE) !=
          static_cast<ssize_t>(sizeof cookie) &&
      ::getrandom(&cookie, sizeof cookie, GRND_NONBLOCK) !=
          static_cast<ssize_t>(sizeof cookie)) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    cookie = (static_cast<uint64_t>(now.tv_sec) * 1000000000ULL +
              static_cast<uint64_t>(now.tv_nsec)) ^
             (static_cast<uint64_t>(::getpid()) << 48);
  }
  return cookie == 0 ? 1 : cookie;
}

void AddSyscallCounts(int syscalls_map_fd, CopyCounts& counts) {
  ipcproof_syscall_key key{};
  ipcproof_syscall_key next{};
  const ipcproof_syscall_key* previous = nullptr;
  // Bounded: the map holds at most IPCPROOF_MAX_SYSCALL_KEYS keys.
  for (int i = 0; i < IPCPROOF_MAX_SYSCALL_KEYS &&
                  ::bpf_map_get_next_key(syscalls_map_fd, previous, &next) == 0;
       ++i) {
    unsigned long long calls = 0;
    // bpf(2) is left out: a followed test reading or resetting its counter
    // makes those calls itself, and they are not the traffic it measures.
    if (next.nr != SYS_bpf &&
        ::bpf_map_lookup_elem(syscalls_map_fd, &next, &calls) == 0) {
      ProcessCopies& process = counts.processes[next.label];
      process.syscalls[static_cast<long>(next.nr)] += calls;
    }
    key = next;
    previous = &key;
  }
}

void FinishCounts(CopyCounts& counts) {
  for (auto& [label, process] : counts.processes) {
    process.label = label;
    process.to_user_bytes = process.from_user_bytes = 0;
    process.to_user_calls = process.from_user_calls = 0;
    process.unattributed_bytes = 0;
    for (const RoutineCopies& copies : process.routines) {
      if (copies.direction == CopyDirection::kToUser) {
        process.to_user_bytes += copies.bytes;
        process.to_user_calls += copies.calls;
      } else {
        process.from_user_bytes += copies.bytes;
        process.from_user_calls += copies.calls;
      }
      if (copies.routine.empty()) process.unattributed_bytes += copies.bytes;
    }
    std::stable_sort(process.routines.begin(), process.routines.end(),
                     [](const RoutineCopies& a, const RoutineCopies& b) {
                       return a.bytes > b.bytes;
                     });
  }
}

}  // namespace ipcproof::bpf

// The page-fault method of the copy counter (bpf/copy_counter.h,
// CopyMethod::kPageFaults): loads page_fault_copies.bpf.c and turns the
// faults it recorded into bytes and calls per process, routine and path.
//
// Each fault the probe recorded is one page (sysconf(_SC_PAGESIZE)) that
// the kernel touched for the first time during a system call: with the
// caller's buffer dropped before the call (bpf/fault_buffer.h), that is one
// page copied. Its kernel stack, symbolised through /proc/kallsyms, names
// the routine: the innermost frame that is one of kDataPathRoutines below.
// The path is the stack from the system call down to the faulting
// instruction, without the system call entry and the exception frames.
//
// What the probe leaves out (page_fault_copies.bpf.c): faults on kernel
// addresses; protection faults on pages that were mapped (copy-on-write
// after fork: a forked child's tid and rseq writes, a poll's revents on a
// shared stack; or a write after a read fault of the same page in one
// call); faults during bpf(2), the counter's own Reset and Read. Faults
// taken with page faults disabled (current->pagefault_disabled above the
// baseline calibrated at Start) move no byte: they are atomic_faults.
// Stacks are stored in a hash map under a 64-bit hash of their frames
// rather than a STACK_TRACE map, which refuses (-EEXIST) a second stack
// whose hash falls in a used bucket and would drop events at random.
#include "bpf/page_fault_copies.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "bpf/copy_counter.h"
#include "bpf/follow.h"
#include "bpf/kernel_symbols.h"
#include "bpf/page_fault_copies.skel.h"

namespace ipcproof::bpf {
namespace {

// The data-path functions whose copies the claims count: the innermost of
// them on a fault's stack is the routine that copied. Names as in the
// kernels the suite runs on (6.1, 6.12, 6.18); one that a kernel lacks
// simply never appears on its stacks.
//   pipes and FIFOs       pipe_read / pipe_write (6.1, 6.12); split into
//                         anon_pipe_* and fifo_pipe_* in later kernels
//   files                 filemap_read (page-cache reads: ext4, ramfs, ...),
//                         shmem_file_read_iter (tmpfs reads),
//                         generic_perform_write (buffered writes; its
//                         pre-fault, fault_in_iov_iter_readable, runs
//                         inside it, so the pre-faulted pages count here)
//   System V and POSIX    load_msg (msgsnd, mq_timedsend: from user),
//   queues                store_msg (msgrcv, mq_timedreceive: to user)
//   sockets               skb_copy_datagram_from_iter (Unix sockets' send),
//                         tcp_sendmsg_locked (TCP send),
//                         skb_copy_datagram_iter (receive, Unix and TCP)
// The copy routines below them (copy_page_to_iter, _copy_to_iter,
// copy_user_generic, ...) are shared by every path, so they name none.
constexpr std::string_view kDataPathRoutines[] = {
    "anon_pipe_read",
    "anon_pipe_write",
    "fifo_pipe_read",
    "fifo_pipe_write",
    "pipe_read",
    "pipe_write",
    "filemap_read",
    "shmem_file_read_iter",
    "generic_perform_write",
    "load_msg",
    "store_msg",
    "skb_copy_datagram_from_iter",
    "tcp_sendmsg_locked",
    "skb_copy_datagram_iter",
};

// "pipe_read.isra.0" -> "pipe_read": the compiler's clones keep the name.
std::string_view BaseName(std::string_view name) {
  const size_t dot = name.find('.');
  return dot == std::string_view::npos ? name : name.substr(0, dot);
}

bool IsDataPathRoutine(std::string_view name) {
  const std::string_view base = BaseName(name);
  return std::find(std::begin(kDataPathRoutines), std::end(kDataPathRoutines),
                   base) != std::end(kDataPathRoutines);
}

// The probe's own frames and the exception entry, innermost on every
// stack: used when asm_exc_page_fault itself is not on it.
bool IsProbeOrExceptionFrame(std::string_view name) {
  for (std::string_view prefix : {"bpf_prog_", "bpf_trace_run", "__bpf_trace_",
                                  "bpf_trampoline_", "__traceiter_"}) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  for (std::string_view exact :
       {"exc_page_fault", "asm_exc_page_fault", "handle_page_fault",
        "do_user_addr_fault", "do_kern_addr_fault",
        "trace_page_fault_kernel"}) {
    if (name == exact) return true;
  }
  return false;
}

// The system call entry, outermost on a system call's stack.
bool IsSyscallEntryFrame(std::string_view name) {
  return name.substr(0, std::string_view("entry_SYSCALL_64").size()) ==
             "entry_SYSCALL_64" ||
         name == "do_syscall_64" || name == "x64_sys_call";
}

std::string ErrnoText(int err) {
  const char* name = ::strerrorname_np(err);
  const char* description = ::strerrordesc_np(err);
  return std::string(name ? name : "errno " + std::to_string(err)) + " (" +
         (description ? description : "unknown error") + ")";
}

// What libbpf prints while a probe is opened, loaded and attached, kept for
// the reason a CopyCounterUnavailable gives (its warnings name the map or
// program and the kernel's answer; the verifier's log comes with them).
// libbpf has one global print callback: this installs its own and puts the
// previous one back on destruction.
class LibbpfMessages {
 public:
  LibbpfMessages() : previous_(::libbpf_set_print(&Print)) { sink_ = &text_; }
  ~LibbpfMessages() {
    ::libbpf_set_print(previous_);
    sink_ = nullptr;
  }
  LibbpfMessages(const LibbpfMessages&) = delete;
  LibbpfMessages& operator=(const LibbpfMessages&) = delete;

  // The last kMaxKept characters of the warnings and notes, each line
  // ("libbpf: ...") ended by "; ".
  std::string Text() const {
    std::string text;
    for (const char c : text_) {
      if (c == '\n') {
        text += "; ";
      } else {
        text += c;
      }
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == ';')) {
      text.pop_back();
    }
    return text.empty() ? "libbpf said nothing" : text;
  }

 private:
  static constexpr size_t kMaxKept = 3000;

  static int Print(enum libbpf_print_level level, const char* format,
                   va_list args) {
    if (level == LIBBPF_DEBUG || sink_ == nullptr) return 0;
    char line[1024];
    const int length = std::vsnprintf(line, sizeof line, format, args);
    if (length <= 0) return 0;
    std::string& text = *sink_;
    text.append(line);
    if (text.size() > kMaxKept) text.erase(0, text.size() - kMaxKept);
    return length;
  }

  static inline std::string* sink_ = nullptr;
  std::string text_;
  libbpf_print_fn_t previous_;
};

struct SkeletonDeleter {
  void operator()(page_fault_copies* skeleton) const {
    page_fault_copies__destroy(skeleton);
  }
};
using Skeleton = std::unique_ptr<page_fault_copies, SkeletonDeleter>;

// The reason every refusal starts with: the method, as CopyMethodName
// spells it, and what it loads.
constexpr std::string_view kMethod =
    "page_faults method (tp_btf/page_fault_kernel probe)";

CopyCounterUnavailable Refused(std::string_view step, int err,
                               const LibbpfMessages& messages) {
  return CopyCounterUnavailable(std::string(kMethod) + ": " +
                                std::string(step) + " failed with " +
                                ErrnoText(err) + "; " + messages.Text());
}

// The routine and path of one recorded stack.
struct Attribution {
  std::string routine;
  std::string path;
};

Attribution Attribute(const ipcproof_pf_stack& stack,
                      const KernelSymbols& symbols) {
  const size_t depth = std::min<size_t>(stack.depth, IPCPROOF_PF_STACK_DEPTH);
  std::vector<std::string> frames;
  frames.reserve(depth);
  for (size_t i = 0; i < depth; ++i) {
    // Every frame but the innermost is a return address: the call it
    // returns from is the byte before it (a call at a function's very end
    // returns to the next function's first byte).
    const uint64_t ip = stack.ips[i];
    const uint64_t inside = i == 0 ? ip : ip - 1;
    const std::string_view name = symbols.NameOf(inside);
    frames.push_back(name.empty() ? symbols.Describe(ip) : std::string(name));
  }

  // Innermost: the probe, the tracepoint and the exception entry.
  size_t begin = 0;
  size_t exception_entry = depth;
  for (size_t i = 0; i < depth; ++i) {
    if (frames[i] == "asm_exc_page_fault") exception_entry = i;
  }
  if (exception_entry < depth) {
    begin = exception_entry + 1;
  } else {
    while (begin < depth && IsProbeOrExceptionFrame(frames[begin])) ++begin;
  }
  // Outermost: the system call entry.
  size_t end = depth;
  bool entry_cut = false;
  while (end > begin && IsSyscallEntryFrame(frames[end - 1])) {
    --end;
    entry_cut = true;
  }

  Attribution attribution;
  for (size_t i = begin; i < end; ++i) {
    if (IsDataPathRoutine(frames[i])) {
      attribution.routine = std::string(BaseName(frames[i]));
      break;
    }
  }
  // A full stack whose outermost frame is not the entry may have lost its
  // outer frames.
  if (depth == IPCPROOF_PF_STACK_DEPTH && !entry_cut) {
    attribution.path = "... > ";
  }
  // An fentry trampoline on a traced function (the other method attached
  // at the same time) shows as "f > bpf_prog_... > f": the path names f once.
  std::string_view previous;
  for (size_t i = end; i > begin; --i) {
    const std::string_view frame = frames[i - 1];
    if (frame.starts_with("bpf_prog_") ||
        frame.starts_with("bpf_trampoline_") || frame == previous) {
      continue;
    }
    if (!previous.empty()) attribution.path += " > ";
    attribution.path += frame;
    previous = frame;
  }
  if (begin == end) attribution.path += "(no frame below the fault entry)";
  return attribution;
}

// Deletes the keys a hash map holds now: one walk collects them (at most
// `max_entries`), then each is deleted. One pass, not "until empty": the
// follow part counts each bpf(2) call made here under the caller's label,
// so the syscalls map gains a key while it is being cleared (Read leaves
// bpf(2) out).
void ClearHashMap(int fd, size_t key_size, size_t max_entries,
                  const char* what) {
  std::vector<unsigned char> keys;
  std::vector<unsigned char> next(key_size);
  const unsigned char* previous = nullptr;
  for (size_t i = 0; i < max_entries; ++i) {
    if (::bpf_map_get_next_key(fd, previous, next.data()) != 0) {
      if (errno == ENOENT) break;
      throw std::system_error(
          errno, std::generic_category(),
          std::string("page-fault counter: bpf_map_get_next_key on ") + what);
    }
    keys.insert(keys.end(), next.begin(), next.end());
    previous = keys.data() + keys.size() - key_size;
  }
  for (size_t offset = 0; offset < keys.size(); offset += key_size) {
    if (::bpf_map_delete_elem(fd, keys.data() + offset) != 0 &&
        errno != ENOENT) {
      throw std::system_error(
          errno, std::generic_category(),
          std::string("page-fault counter: bpf_map_delete_elem on ") + what);
    }
  }
}

// Calibrates the probe's reading of current->pagefault_disabled (see
// page_fault_copies.bpf.c) and proves the tracepoint fires: uname(2) copies
// its answer to user space with page faults enabled, into a page never
// touched, so the kernel's write faults on it once. Throws
// CopyCounterUnavailable when the probe saw no such fault.
void Calibrate(page_fault_copies& skeleton) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* fresh = ::mmap(nullptr, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fresh == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "page-fault counter: mmap(a calibration page)");
  }
  skeleton.bss->calibration_faults = 0;
  skeleton.bss->calibration_tid = static_cast<unsigned int>(::gettid());
  const long answered = ::syscall(SYS_uname, fresh);
  const int uname_errno = errno;
  skeleton.bss->calibration_tid = 0;
  ::munmap(fresh, page);
  if (answered != 0) {
    throw std::system_error(uname_errno, std::generic_category(),
                            "page-fault counter: uname(2) for calibration");
  }
  if (skeleton.bss->calibration_faults == 0) {
    throw CopyCounterUnavailable(
        std::string(kMethod) +
        ": attached, but the probe saw no page fault while uname(2) wrote "
        "into a page never touched: tp_btf/page_fault_kernel does not "
        "report the kernel's faults on user addresses here");
  }
}

class PageFaultCounter final : public CopyCounter {
 public:
  PageFaultCounter(uint64_t cookie, Skeleton skeleton,
                   const KernelSymbols& symbols)
      : CopyCounter(CopyMethod::kPageFaults, cookie),
        skeleton_(std::move(skeleton)),
        symbols_(symbols),
        page_size_(static_cast<uint64_t>(::sysconf(_SC_PAGESIZE))) {}

  CopyCounts Read() const override;
  void Reset() override;

 private:
  int MapFd(bpf_map* map) const { return ::bpf_map__fd(map); }

  Skeleton skeleton_;  // destroyed (detached, unloaded) with the counter
  const KernelSymbols& symbols_;
  uint64_t page_size_;
};

CopyCounts PageFaultCounter::Read() const {
  CopyCounts counts;
  counts.method = CopyMethod::kPageFaults;

  // (label, direction, routine, path) -> bytes and the (thread, call)
  // pairs that faulted there.
  struct Group {
    uint64_t faults = 0;
    std::set<std::pair<uint32_t, uint64_t>> calls;
  };
  std::map<std::tuple<uint32_t, uint32_t, std::string, std::string>, Group>
      groups;
  std::map<uint64_t, Attribution> attributions;  // stack hash ->

  const int faults_fd = MapFd(skeleton_->maps.faults);
  const int stacks_fd = MapFd(skeleton_->maps.stacks);
  ipcproof_pf_key key{};
  ipcproof_pf_key next{};
  const ipcproof_pf_key* previous = nullptr;
  // Bounded: the map holds at most IPCPROOF_PF_MAX_FAULT_KEYS keys.
  for (int i = 0; i < IPCPROOF_PF_MAX_FAULT_KEYS &&
                  ::bpf_map_get_next_key(faults_fd, previous, &next) == 0;
       ++i) {
    key = next;
    previous = &key;
    ipcproof_pf_counts value{};
    if (::bpf_map_lookup_elem(faults_fd, &key, &value) != 0) continue;
    // FinishCounts fills in each process's label.
    ProcessCopies& process = counts.processes[key.label];
    process.atomic_faults += value.atomic_faults;
    if (value.faults == 0) continue;

    auto found = attributions.find(key.stack);
    if (found == attributions.end()) {
      ipcproof_pf_stack stack{};
      Attribution attribution;
      if (::bpf_map_lookup_elem(stacks_fd, &key.stack, &stack) == 0) {
        attribution = Attribute(stack, symbols_);
      } else {
        attribution.path = "(stack not recorded)";
      }
      found = attributions.emplace(key.stack, std::move(attribution)).first;
    }
    Group& group = groups[{key.label, key.direction, found->second.routine,
                           found->second.path}];
    group.faults += value.faults;
    group.calls.emplace(key.tid, key.seq);
  }

  for (const auto& [where, group] : groups) {
    const auto& [label, direction, routine, path] = where;
    RoutineCopies copies;
    copies.routine = routine;
    copies.path = path;
    copies.direction = direction == IPCPROOF_PF_TO_USER
                           ? CopyDirection::kToUser
                           : CopyDirection::kFromUser;
    copies.bytes = group.faults * page_size_;
    copies.calls = group.calls.size();
    counts.processes[label].routines.push_back(std::move(copies));
  }

  const int dropped_fd = MapFd(skeleton_->maps.dropped);
  for (unsigned int kind = 0; kind < IPCPROOF_PF_DROP_KINDS; ++kind) {
    unsigned long long lost = 0;
    if (::bpf_map_lookup_elem(dropped_fd, &kind, &lost) == 0) {
      counts.dropped_events += lost;
    }
  }

  AddSyscallCounts(MapFd(skeleton_->maps.syscalls), counts);
  // A fault-map entry that holds nothing (no fault attributed, no atomic
  // fault) names no process worth reporting. (AddSyscallCounts already
  // leaves out bpf(2), the counter's own calls.)
  for (auto it = counts.processes.begin(); it != counts.processes.end();) {
    const ProcessCopies& process = it->second;
    if (process.routines.empty() && process.syscalls.empty() &&
        process.atomic_faults == 0) {
      it = counts.processes.erase(it);
    } else {
      ++it;
    }
  }
  FinishCounts(counts);
  return counts;
}

void PageFaultCounter::Reset() {
  ClearHashMap(MapFd(skeleton_->maps.faults), sizeof(ipcproof_pf_key),
               IPCPROOF_PF_MAX_FAULT_KEYS, "faults");
  ClearHashMap(MapFd(skeleton_->maps.stacks), sizeof(unsigned long long),
               IPCPROOF_PF_MAX_STACKS, "stacks");
  ClearHashMap(MapFd(skeleton_->maps.syscalls), sizeof(ipcproof_syscall_key),
               IPCPROOF_MAX_SYSCALL_KEYS, "syscalls");
  const int dropped_fd = MapFd(skeleton_->maps.dropped);
  for (unsigned int kind = 0; kind < IPCPROOF_PF_DROP_KINDS; ++kind) {
    const unsigned long long zero = 0;
    if (::bpf_map_update_elem(dropped_fd, &kind, &zero, BPF_ANY) != 0) {
      throw std::system_error(
          errno, std::generic_category(),
          "page-fault counter: clearing dropped[" + std::to_string(kind) + "]");
    }
  }
}

}  // namespace

std::unique_ptr<CopyCounter> StartPageFaultCounter(uint64_t cookie) {
  const LibbpfMessages messages;
  Skeleton skeleton(page_fault_copies__open());
  if (!skeleton) throw Refused("opening the probe", errno, messages);
  skeleton->rodata->follow_cookie = cookie;
  if (const int err = page_fault_copies__load(skeleton.get()); err != 0) {
    throw Refused("loading the probe's maps and programs", -err, messages);
  }
  // One program at a time, so the reason names the one the kernel refused.
  const bpf_object_skeleton& parts = *skeleton->skeleton;
  for (int i = 0; i < parts.prog_cnt; ++i) {
    const bpf_prog_skeleton& program = parts.progs[i];
    *program.link = ::bpf_program__attach(*program.prog);
    if (*program.link == nullptr) {
      const int err = errno;
      throw Refused(std::string("attaching program '") + program.name + "' (" +
                        ::bpf_program__section_name(*program.prog) + ")",
                    err, messages);
    }
  }
  Calibrate(*skeleton);
  // Then the symbols, read now (once per process), before any process is
  // followed: reading kallsyms later, inside a test's window, would fault
  // fresh heap pages under the caller's label. Without them no stack can be
  // attributed.
  const KernelSymbols* symbols = nullptr;
  try {
    symbols = &KernelSymbols::OfRunningKernel();
  } catch (const CopyCounterUnavailable& unavailable) {
    throw CopyCounterUnavailable(std::string(kMethod) + ": " +
                                 unavailable.what());
  }
  return std::make_unique<PageFaultCounter>(cookie, std::move(skeleton),
                                            *symbols);
}

}  // namespace ipcproof::bpf

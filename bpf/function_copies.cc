// The function-entry copy counter's loader (CopyMethod::kFunctionEntry):
// open the skeleton, set the follow cookie, turn off every program whose
// target function the running kernel lacks, load, attach; read the
// `copies` map into CopyCounts.
#include "bpf/function_copies.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpf/copy_counter.h"
#include "bpf/follow.h"
#include "bpf/function_copies.skel.h"

namespace ipcproof::bpf {
namespace {

// Table order: enum ipcproof_copy_function.
constexpr const char* kFunctionNames[] = {
    "pipe_read",
    "pipe_write",
    "anon_pipe_read",
    "anon_pipe_write",
    "fifo_pipe_read",
    "fifo_pipe_write",
    "filemap_read",
    "shmem_file_read_iter",
    "generic_perform_write",
    "filemap_splice_read",
    "shmem_file_splice_read",
    "load_msg",
    "store_msg",
    "skb_copy_datagram_iter",
    "skb_copy_datagram_from_iter",
    "tcp_sendmsg_locked",
    "skb_splice_from_iter",
    "do_tcp_sendpages",
    "unix_stream_sendpage",
};
static_assert(sizeof kFunctionNames / sizeof kFunctionNames[0] ==
                  IPCPROOF_FN_COUNT,
              "one name per enum ipcproof_copy_function");

// "EPERM (Operation not permitted)".
std::string ErrnoText(int error) {
  const char* name = ::strerrorname_np(error);
  return std::string(name != nullptr ? name
                                     : "errno " + std::to_string(error)) +
         " (" + std::strerror(error) + ")";
}

// libbpf's messages while the counter loads, for the error it may throw.
// libbpf_set_print is process-wide: one capture at a time.
std::mutex capture_mutex;
std::string* captured = nullptr;

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format,
                       va_list args) {
  if (captured == nullptr || level == LIBBPF_DEBUG) return 0;
  char line[2048];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  if (n > 0) captured->append(line, std::min<size_t>(n, sizeof line - 1));
  return 0;
}

class LibbpfLogCapture {
 public:
  LibbpfLogCapture() : lock_(capture_mutex) {
    captured = &text_;
    previous_ = ::libbpf_set_print(&CaptureLibbpfPrint);
  }
  ~LibbpfLogCapture() {
    ::libbpf_set_print(previous_);
    captured = nullptr;
  }
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;

  const std::string& text() const { return text_; }

 private:
  std::lock_guard<std::mutex> lock_;
  std::string text_;
  libbpf_print_fn_t previous_ = nullptr;
};

// libbpf's words on one line, "; " between its lines, bounded; lines that
// contain `leave_out` (when not empty) are left out.
std::string OneLine(std::string_view text, std::string_view leave_out = {}) {
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    // Every line of libbpf's starts with "libbpf: ": said once, by the caller.
    constexpr std::string_view kPrefix = "libbpf: ";
    if (part.substr(0, kPrefix.size()) == kPrefix) {
      part.remove_prefix(kPrefix.size());
    }
    if (!part.empty() &&
        (leave_out.empty() || part.find(leave_out) == std::string_view::npos)) {
      if (!line.empty()) line += "; ";
      line += part;
    }
    start = end + 1;
  }
  constexpr size_t kMost = 1500;
  if (line.size() > kMost) line = line.substr(0, kMost) + " ...";
  return line.empty() ? "(libbpf said nothing)" : line;
}

// The program libbpf names as failing at load ("prog 'NAME': BPF program
// load failed: ..."), and the verifier's log it printed for it ("" when the
// kernel gave none).
struct LoadFailure {
  std::string program;
  std::string verifier_log;
};

LoadFailure ParseLoadFailure(const std::string& log) {
  LoadFailure failure;
  constexpr std::string_view kProg = "prog '";
  constexpr std::string_view kFailed = "': BPF program load failed";
  const size_t failed = log.find(kFailed);
  if (failed == std::string::npos) return failure;
  const size_t prog = log.rfind(kProg, failed);
  if (prog == std::string::npos) return failure;
  failure.program =
      log.substr(prog + kProg.size(), failed - prog - kProg.size());
  constexpr std::string_view kBegin = "-- BEGIN PROG LOAD LOG --";
  constexpr std::string_view kEnd = "-- END PROG LOAD LOG --";
  const size_t begin = log.find(kBegin, failed);
  const size_t end = log.find(kEnd, failed);
  if (begin != std::string::npos && end != std::string::npos && end > begin) {
    std::string body =
        log.substr(begin + kBegin.size(), end - begin - kBegin.size());
    // libbpf prefixes the end marker's line with "libbpf: prog 'x': ".
    const size_t last_line = body.rfind('\n');
    body = last_line == std::string::npos ? "" : body.substr(0, last_line);
    if (body.find_first_not_of(" \n\t") != std::string::npos) {
      failure.verifier_log = body;
    }
  }
  return failure;
}

bool IsFunctionProgram(const bpf_program* program) {
  const bpf_attach_type type = ::bpf_program__expected_attach_type(program);
  return type == BPF_TRACE_FENTRY || type == BPF_TRACE_FEXIT;
}

// "fentry/pipe_read" -> "pipe_read"; "" for the follow part's programs.
std::string TargetFunction(const bpf_program* program) {
  if (!IsFunctionProgram(program)) return "";
  std::string_view section = ::bpf_program__section_name(program);
  const size_t slash = section.find('/');
  return slash == std::string_view::npos
             ? ""
             : std::string(section.substr(slash + 1));
}

[[noreturn]] void Unavailable(const std::string& text) {
  throw CopyCounterUnavailable("fentry copy counter: " + text);
}

// Why load failed, as a skip reason: which step, which program, the errno
// and libbpf's words. The host's case (fentry/fexit refused with EPERM and
// no verifier log while tracepoint programs load) is named for what it is:
// libbpf's hint to raise RLIMIT_MEMLOCK does not apply.
[[noreturn]] void ThrowLoadFailure(function_copies* skeleton, int error,
                                   const std::string& log) {
  const LoadFailure failure = ParseLoadFailure(log);
  if (failure.program.empty()) {
    Unavailable("loading the probe failed with " + ErrnoText(error) +
                " before the kernel saw any of its programs" +
                (error == EPERM ? " (no permission to use bpf(2) here: an "
                                  "unprivileged user, or a user namespace "
                                  "such as the Bazel sandbox's)"
                                : "") +
                "; libbpf: " + OneLine(log));
  }
  const bpf_program* failed = ::bpf_object__find_program_by_name(
      skeleton->obj, failure.program.c_str());
  bool follow_part_loaded = false;
  if (failed != nullptr) {
    bpf_program* program = nullptr;
    bpf_object__for_each_program(program, skeleton->obj) {
      if (program == failed) break;
      if (::bpf_program__autoload(program) && !IsFunctionProgram(program)) {
        follow_part_loaded = true;
      }
    }
  }
  const std::string target =
      failed != nullptr ? TargetFunction(failed) : std::string();
  const std::string which =
      "program " + failure.program +
      (target.empty() ? std::string() : " (on " + target + ")");
  if (error == EPERM && failed != nullptr && IsFunctionProgram(failed) &&
      failure.verifier_log.empty()) {
    Unavailable(
        "the kernel refused fentry/fexit programs: loading " + which +
        " failed with " + ErrnoText(error) + " and an empty verifier log" +
        (follow_part_loaded
             ? ", after the probe's tracepoint (tp_btf) programs loaded"
             : "") +
        ": this kernel forbids attaching BPF programs to kernel functions "
        "(locked down, or a security policy), which no memory-lock limit "
        "changes (libbpf's hint to raise 'ulimit -l' left out). libbpf: " +
        OneLine(log, "ulimit -l"));
  }
  Unavailable("the kernel rejected " + which + " at load: " + ErrnoText(error) +
              (failure.verifier_log.empty()
                   ? std::string("; no verifier log")
                   : "; verifier: " + OneLine(failure.verifier_log)) +
              "; libbpf: " + OneLine(log));
}

}  // namespace

const char* CopyFunctionName(unsigned int function) {
  return function < IPCPROOF_FN_COUNT ? kFunctionNames[function] : "";
}

struct FunctionCopyCounter::Links {
  std::vector<bpf_link*> links;
  ~Links() {
    for (bpf_link* link : links) ::bpf_link__destroy(link);
  }
};

FunctionCopyCounter::FunctionCopyCounter(uint64_t cookie)
    : CopyCounter(CopyMethod::kFunctionEntry, cookie),
      links_(std::make_unique<Links>()) {
  LibbpfLogCapture log;
  // Which of the table's functions this kernel has: a program on a missing
  // function would fail the whole object at load.
  btf* kernel_btf = ::btf__load_vmlinux_btf();
  if (kernel_btf == nullptr) {
    const int error = errno;
    Unavailable(
        "cannot read the running kernel's BTF "
        "(/sys/kernel/btf/vmlinux): " +
        ErrnoText(error) +
        "; fentry needs a kernel built with CONFIG_DEBUG_INFO_BTF");
  }
  auto function_present = [&](const char* name) {
    return ::btf__find_by_name_kind(kernel_btf, name, BTF_KIND_FUNC) > 0;
  };
  for (const char* name : kFunctionNames) {
    (function_present(name) ? traced_ : absent_).push_back(name);
  }

  skeleton_ = ::function_copies__open();
  if (skeleton_ == nullptr) {
    const int error = errno;
    ::btf__free(kernel_btf);
    Unavailable("opening the probe failed: " + ErrnoText(error) +
                "; libbpf: " + OneLine(log.text()));
  }
  skeleton_->rodata->follow_cookie = cookie;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skeleton_->obj) {
    const std::string target = TargetFunction(program);
    if (!target.empty() && !function_present(target.c_str())) {
      ::bpf_program__set_autoload(program, false);
    }
  }
  ::btf__free(kernel_btf);

  if (const int result = ::function_copies__load(skeleton_); result != 0) {
    const int error = result < 0 ? -result : errno;
    std::string text = log.text();
    function_copies* skeleton = std::exchange(skeleton_, nullptr);
    try {
      ThrowLoadFailure(skeleton, error, text);
    } catch (...) {
      ::function_copies__destroy(skeleton);
      throw;
    }
  }
  // Exits before entries: an entry whose exit program is not attached yet
  // would leave a frame behind.
  for (const bool exits : {true, false}) {
    bpf_object__for_each_program(program, skeleton_->obj) {
      if (!::bpf_program__autoload(program)) continue;
      const bool is_exit =
          ::bpf_program__expected_attach_type(program) == BPF_TRACE_FEXIT;
      if (is_exit != exits) continue;
      bpf_link* link = ::bpf_program__attach(program);
      if (link == nullptr) {
        const int error = errno;
        const std::string name = ::bpf_program__name(program);
        const std::string section = ::bpf_program__section_name(program);
        const std::string text = log.text();
        links_.reset();
        ::function_copies__destroy(std::exchange(skeleton_, nullptr));
        Unavailable("attaching program " + name + " (" + section +
                    ") failed: " + ErrnoText(error) +
                    "; libbpf: " + OneLine(text));
      }
      links_->links.push_back(link);
    }
  }
  misses_at_reset_ = RecursionMisses();
}

FunctionCopyCounter::~FunctionCopyCounter() {
  links_.reset();
  if (skeleton_ != nullptr) ::function_copies__destroy(skeleton_);
}

uint64_t FunctionCopyCounter::RecursionMisses() const {
  uint64_t misses = 0;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skeleton_->obj) {
    const int fd = ::bpf_program__fd(program);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 length = sizeof info;
    if (::bpf_obj_get_info_by_fd(fd, &info, &length) == 0) {
      misses += info.recursion_misses;
    }
  }
  return misses;
}

namespace {

// Every (key, value) of the `copies` map. Bounded by the map's size.
template <typename Visit>
void ForEachCopy(int map_fd, Visit visit) {
  ipcproof_copy_key key{};
  ipcproof_copy_key next{};
  const ipcproof_copy_key* previous = nullptr;
  for (int i = 0; i < IPCPROOF_MAX_COPY_KEYS &&
                  ::bpf_map_get_next_key(map_fd, previous, &next) == 0;
       ++i) {
    ipcproof_copy_value value{};
    if (::bpf_map_lookup_elem(map_fd, &next, &value) == 0) visit(next, value);
    key = next;
    previous = &key;
  }
}

// Deletes every key of a hash map whose keys are `Key`s.
template <typename Key, int kMost>
void ClearMap(int map_fd) {
  std::vector<Key> keys;
  Key key{};
  Key next{};
  const Key* previous = nullptr;
  for (int i = 0;
       i < kMost && ::bpf_map_get_next_key(map_fd, previous, &next) == 0; ++i) {
    keys.push_back(next);
    key = next;
    previous = &key;
  }
  for (const Key& each : keys) ::bpf_map_delete_elem(map_fd, &each);
}

}  // namespace

CopyCounts FunctionCopyCounter::Read() const {
  CopyCounts counts;
  counts.method = CopyMethod::kFunctionEntry;
  ForEachCopy(
      ::bpf_map__fd(skeleton_->maps.copies),
      [&](const ipcproof_copy_key& key, const ipcproof_copy_value& value) {
        ProcessCopies& process = counts.processes[key.label];
        if (key.kind == IPCPROOF_COPY_KERNEL) {
          process.kernel_bytes += value.bytes;
          return;
        }
        RoutineCopies copies;
        copies.routine = CopyFunctionName(key.function);
        copies.path = copies.routine;
        copies.direction = key.kind == IPCPROOF_COPY_TO_USER
                               ? CopyDirection::kToUser
                               : CopyDirection::kFromUser;
        copies.bytes = value.bytes;
        copies.calls = value.calls;
        process.routines.push_back(std::move(copies));
      });
  AddSyscallCounts(::bpf_map__fd(skeleton_->maps.syscalls), counts);
  const uint64_t misses = RecursionMisses();
  counts.dropped_events =
      __atomic_load_n(&skeleton_->bss->dropped_events, __ATOMIC_RELAXED) +
      (misses > misses_at_reset_ ? misses - misses_at_reset_ : 0);
  counts.traced_routines = traced_;
  counts.absent_routines = absent_;
  FinishCounts(counts);
  return counts;
}

void FunctionCopyCounter::Reset() {
  ClearMap<ipcproof_copy_key, IPCPROOF_MAX_COPY_KEYS>(
      ::bpf_map__fd(skeleton_->maps.copies));
  ClearMap<ipcproof_syscall_key, IPCPROOF_MAX_SYSCALL_KEYS>(
      ::bpf_map__fd(skeleton_->maps.syscalls));
  __atomic_store_n(&skeleton_->bss->dropped_events, 0, __ATOMIC_RELAXED);
  misses_at_reset_ = RecursionMisses();
}

std::map<uint32_t, std::map<std::string, uint64_t>>
FunctionCopyCounter::KernelBytesByFunction() const {
  std::map<uint32_t, std::map<std::string, uint64_t>> bytes;
  ForEachCopy(
      ::bpf_map__fd(skeleton_->maps.copies),
      [&](const ipcproof_copy_key& key, const ipcproof_copy_value& value) {
        if (key.kind == IPCPROOF_COPY_KERNEL) {
          bytes[key.label][CopyFunctionName(key.function)] += value.bytes;
        }
      });
  return bytes;
}

std::string FunctionCopyCounter::DescribeCoverage() const {
  auto list = [](const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) {
      if (!text.empty()) text += ", ";
      text += name;
    }
    return text.empty() ? std::string("none") : text;
  };
  return "fentry traces: " + list(traced_) +
         "; absent from this kernel: " + list(absent_);
}

std::unique_ptr<CopyCounter> StartFunctionCounter(uint64_t cookie) {
  return std::make_unique<FunctionCopyCounter>(cookie);
}

}  // namespace ipcproof::bpf

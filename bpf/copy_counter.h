// CopyCounter: counts, with eBPF, the bytes the kernel copies between user
// and kernel space for a set of processes, attributed to the kernel routine
// and path that copied them, with the system calls the processes made.
//
//   std::unique_ptr<CopyCounter> counter =
//       CopyCounter::Start(CopyMethod::kPageFaults);  // attached from here
//   counter->Follow(kSender);      // this process and the children it forks
//   ... fork B; in B: counter->Follow(kReceiver);  (async-signal-safe)
//   CopyCounts counts = counter->Read();
//   counts.Of(kSender).to_user_bytes ...
//   // detached when `counter` is destroyed
//
// Two methods, one interface:
//   kPageFaults     tracepoints only (tp_btf page_fault_kernel with kernel
//                   stacks), so it works wherever tracepoints do, the host
//                   included. It sees a copy only where the user buffer's
//                   page is not mapped when the kernel touches it: the
//                   process must drop the buffer's page-table entries before
//                   each call (bpf/fault_buffer.h) and each 4 KiB page then
//                   faults once, inside the copying routine. Bytes are pages
//                   × 4096: transfers are page-aligned for exact figures.
//   kFunctionEntry  fentry/fexit on the traceable data-path functions
//                   (pipe_read, load_msg, skb_copy_datagram_iter, ...),
//                   reading the iov_iter's type and count. Exact bytes, no
//                   buffer discipline, but only where the kernel allows
//                   fentry (not on the host: locked down) and only for the
//                   functions it names: a copy elsewhere is not seen, which
//                   the two methods' agreement test exposes.
//
// Privilege is decided by trying: Start loads and attaches, and throws
// CopyCounterUnavailable, whose what() says what the kernel refused and why
// (for a test's skip message), when it cannot.
#ifndef BPF_COPY_COUNTER_H_
#define BPF_COPY_COUNTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::bpf {

enum class CopyMethod {
  kPageFaults,
  kFunctionEntry,
};

// "page_faults", "fentry".
std::string_view CopyMethodName(CopyMethod method);

enum class CopyDirection {
  kToUser,    // copy_to_user and friends: the kernel writes user memory
  kFromUser,  // copy_from_user and friends: the kernel reads user memory
};

// "to_user", "from_user".
std::string_view CopyDirectionName(CopyDirection direction);

// The copies one routine made in one direction.
struct RoutineCopies {
  // The data-path function that copied ("anon_pipe_write", "load_msg",
  // "filemap_read", ...), or "" when no function of the method's table is on
  // the path (page faults only: an uncovered path, reported, never dropped).
  std::string routine;
  // Page faults: the kernel stack from the system call down to the faulting
  // routine, outermost first, " > " between frames, exception frames left
  // out ("ksys_write > vfs_write > anon_pipe_write > copy_page_from_iter >
  // _copy_from_iter"). Function entry: the routine alone.
  std::string path;
  CopyDirection direction = CopyDirection::kToUser;
  uint64_t bytes = 0;
  // Page faults: the system calls during which it faulted. Function entry:
  // the calls of the routine that moved at least one byte.
  uint64_t calls = 0;
};

// One followed process (or several sharing a label).
struct ProcessCopies {
  uint32_t label = 0;
  // Copies between user and kernel space, every routine included (the
  // unattributed ones too).
  uint64_t to_user_bytes = 0;
  uint64_t from_user_bytes = 0;
  uint64_t to_user_calls = 0;
  uint64_t from_user_calls = 0;
  // Of those, the bytes no routine of the method's table accounts for.
  uint64_t unattributed_bytes = 0;
  // Function entry only: bytes the table's routines moved through a kernel
  // iterator (a pipe or bio_vec of page references, a kernel buffer): no
  // user copy, recorded so a path that moved data without one is visible.
  uint64_t kernel_bytes = 0;
  // Page faults only: faults taken with page faults disabled (an atomic copy
  // that failed and is retried after a pre-fault): no byte moved, counted
  // apart so a retry does not count a page twice.
  uint64_t atomic_faults = 0;
  // By bytes, largest first.
  std::vector<RoutineCopies> routines;
  // System call number -> calls made (sys_enter), the marker and bpf(2)
  // (the counter's own Read and Reset) excluded.
  std::map<long, uint64_t> syscalls;

  uint64_t user_bytes() const { return to_user_bytes + from_user_bytes; }
  // The bytes `routine` copied in `direction` (0 when it copied none).
  uint64_t BytesOf(std::string_view routine, CopyDirection direction) const;
};

struct CopyCounts {
  CopyMethod method = CopyMethod::kPageFaults;
  // label -> copies; a label that copied nothing and made no call is absent.
  std::map<uint32_t, ProcessCopies> processes;
  // Events the probe could not record (a full map, a stack it could not
  // take): non-zero means the counts are a lower bound.
  uint64_t dropped_events = 0;
  // Function entry: the table's routines this kernel has (traced) and lacks
  // (left out before loading). Page faults: empty (every path is seen).
  std::vector<std::string> traced_routines;
  std::vector<std::string> absent_routines;

  // The label's copies; an empty ProcessCopies{label} when it has none.
  ProcessCopies Of(uint32_t label) const;
};

// One line per process and routine, for a test's failure message.
std::string DescribeCopies(const CopyCounts& counts);

// The counter cannot run here; what() is the reason ("fentry/fexit programs
// refused by the kernel: EPERM (...)").
class CopyCounterUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CopyCounter {
 public:
  // Loads the method's probe and attaches it. Throws CopyCounterUnavailable
  // when the kernel refuses (no permission, no BTF, a program it rejects),
  // std::system_error for other failures.
  static std::unique_ptr<CopyCounter> Start(CopyMethod method);

  virtual ~CopyCounter();  // detaches
  CopyCounter(const CopyCounter&) = delete;
  CopyCounter& operator=(const CopyCounter&) = delete;

  CopyMethod method() const { return method_; }

  // The calling process, and the children it forks from now on, count under
  // `label` (1..64; 0 stops following the calling process). One system call
  // (the marker prctl), async-signal-safe: callable in a forked child.
  // Throws std::invalid_argument for a label above 64 (not in a child: check
  // first).
  void Follow(uint32_t label) const;

  // Everything counted since Start or the last Reset.
  virtual CopyCounts Read() const = 0;
  // Forgets the counts (not who is followed).
  virtual void Reset() = 0;

 protected:
  CopyCounter(CopyMethod method, uint64_t cookie);
  uint64_t cookie() const { return cookie_; }

 private:
  CopyMethod method_;
  uint64_t cookie_;
};

// A fresh random cookie for a counter's marker (bpf/follow.h).
uint64_t NewFollowCookie();

// The two methods (bpf/page_fault_copies.cc, bpf/function_copies.cc). Start
// calls them; they load the probe with `cookie` in its follow part.
std::unique_ptr<CopyCounter> StartPageFaultCounter(uint64_t cookie);
std::unique_ptr<CopyCounter> StartFunctionCounter(uint64_t cookie);

// For the methods: label -> ProcessCopies from the follow part's `syscalls`
// map (its file descriptor), merged into `counts` (bpf(2), the counter's own
// calls, left out); and each process's label set from its key and its totals
// recomputed from its routines, sorted.
void AddSyscallCounts(int syscalls_map_fd, CopyCounts& counts);
void FinishCounts(CopyCounts& counts);

}  // namespace ipcproof::bpf

#endif  // BPF_COPY_COUNTER_H_

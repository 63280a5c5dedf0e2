// User memory for the page-fault copy counter (bpf/copy_counter.h,
// CopyMethod::kPageFaults): memory whose every page faults once each time
// the kernel copies to or from it, so that each copied page is seen.
//
// Two things defeat a naive buffer: a page already mapped does not fault at
// all (so its page-table entries must be dropped before each call, keeping
// the contents: MADV_DONTNEED on shared memory), and a read fault on a file
// mapping maps up to 16 neighbouring pages at once ("fault-around",
// /sys/kernel/mm/... fault_around_bytes), so the copy of the next 15 pages
// would not fault. Fault-around never crosses a mapping's end, so these
// buffers map every page as its own mapping (VMA) that the kernel cannot
// merge with its neighbours.
#ifndef BPF_FAULT_BUFFER_H_
#define BPF_FAULT_BUFFER_H_

#include <cstddef>

namespace ipcproof::bpf {

// `size` bytes (rounded up to whole pages) of memfd-backed MAP_SHARED memory,
// page i mapped from the memfd's page 2i (the gaps keep neighbouring
// mappings from merging). Shared with children forked later (it is
// MAP_SHARED), so a sender and its receiver can use one as shared memory.
// Throws std::system_error naming the failing call; std::invalid_argument
// for size 0.
class FaultingBuffer {
 public:
  explicit FaultingBuffer(size_t size);
  ~FaultingBuffer();
  FaultingBuffer(FaultingBuffer&& other) noexcept;
  FaultingBuffer& operator=(FaultingBuffer&& other) noexcept;
  FaultingBuffer(const FaultingBuffer&) = delete;
  FaultingBuffer& operator=(const FaultingBuffer&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }  // as asked, not rounded

  // Drops the page-table entries of every page (contents kept), so the next
  // access to each page faults. One madvise(2): async-signal-safe, callable
  // in a forked child. Returns 0 or the errno.
  int Drop() const noexcept;

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // whole pages
  int memfd_ = -1;
};

// Drops the page-table entries of `bytes` bytes from `start` (whole pages of
// a FaultingBuffer or PerPageFileMapping, or some of them), contents kept:
// one madvise(MADV_DONTNEED), async-signal-safe. Returns 0 or the errno
// (EINVAL for a null start).
int DropPages(const void* start, size_t bytes) noexcept;

// A read-only view of a file's first `size` bytes (rounded up to pages), one
// mapping per page with alternating flags (MAP_SHARED and MAP_PRIVATE) so
// neighbours never merge: each page faults once on its first access, and
// again after Drop(). For mmap+write transfers. Throws std::system_error
// naming the failing call; std::invalid_argument, before any mapping, for
// size 0 or a size past the end of the file (a page there would SIGBUS).
class PerPageFileMapping {
 public:
  PerPageFileMapping(int fd, size_t size);
  ~PerPageFileMapping();
  PerPageFileMapping(const PerPageFileMapping&) = delete;
  PerPageFileMapping& operator=(const PerPageFileMapping&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  int Drop() const noexcept;

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

}  // namespace ipcproof::bpf

#endif  // BPF_FAULT_BUFFER_H_

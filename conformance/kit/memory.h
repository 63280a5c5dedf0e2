// Memory the kernel cannot copy to or from, for EFAULT tests: a page mapped
// with no access (or read-only, so that only a write faults), and a
// writable page followed by an inaccessible one, whose last bytes are an
// edge a copy runs off. Page sizes come from sysconf(_SC_PAGESIZE), never a
// constant; each mapping is unmapped when its owner goes out of scope.
#ifndef CONFORMANCE_KIT_MEMORY_H_
#define CONFORMANCE_KIT_MEMORY_H_

#include <sys/mman.h>

#include <cstddef>

namespace ipcproof {

// sysconf(_SC_PAGESIZE); throws when sysconf fails.
size_t SystemPageSize();

// One anonymous private page mapped with `protection`: PROT_NONE (the
// default) for a page the kernel can neither read nor write, PROT_READ for
// one only a write into faults. Throws (ipc::ThrowErrno) when mmap fails.
class ScopedInaccessiblePage {
 public:
  explicit ScopedInaccessiblePage(int protection = PROT_NONE);
  ~ScopedInaccessiblePage();
  ScopedInaccessiblePage(const ScopedInaccessiblePage&) = delete;
  ScopedInaccessiblePage& operator=(const ScopedInaccessiblePage&) = delete;

  void* address() const { return address_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(address_);
  }
  size_t size() const { return size_; }

 private:
  size_t size_;
  void* address_;
};

// Two adjacent pages: the first mapped read-write, the second PROT_NONE. A
// buffer that starts in the first page and runs past its end is readable
// (and writable) up to the edge and faults beyond it, so a copy fails part
// way. Throws when mmap or mprotect fails.
class ScopedPageEdge {
 public:
  ScopedPageEdge();
  ~ScopedPageEdge();
  ScopedPageEdge(const ScopedPageEdge&) = delete;
  ScopedPageEdge& operator=(const ScopedPageEdge&) = delete;

  // The writable page, page_size() bytes.
  char* writable() const { return base_; }
  // The inaccessible page right after it.
  char* inaccessible() const { return base_ + page_size_; }
  // The last `bytes` bytes of the writable page: what follows them faults.
  char* last_bytes(size_t bytes) const { return inaccessible() - bytes; }
  size_t page_size() const { return page_size_; }

 private:
  size_t page_size_;
  char* base_;
};

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_MEMORY_H_

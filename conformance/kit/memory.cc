#include "conformance/kit/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "ipc/error.h"

namespace ipcproof {

size_t SystemPageSize() {
  errno = 0;
  const long size = ::sysconf(_SC_PAGESIZE);
  if (size <= 0) ipc::ThrowErrno("sysconf(_SC_PAGESIZE)");
  return static_cast<size_t>(size);
}

ScopedInaccessiblePage::ScopedInaccessiblePage(int protection)
    : size_(SystemPageSize()),
      address_(::mmap(nullptr, size_, protection, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0)) {
  if (address_ == MAP_FAILED) ipc::ThrowErrno("mmap(MAP_ANONYMOUS)");
}

ScopedInaccessiblePage::~ScopedInaccessiblePage() { ::munmap(address_, size_); }

ScopedPageEdge::ScopedPageEdge() : page_size_(SystemPageSize()) {
  void* const p = ::mmap(nullptr, 2 * page_size_, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) ipc::ThrowErrno("mmap(MAP_ANONYMOUS)");
  base_ = static_cast<char*>(p);
  if (::mprotect(base_ + page_size_, page_size_, PROT_NONE) != 0) {
    const int err = errno;
    ::munmap(base_, 2 * page_size_);
    errno = err;
    ipc::ThrowErrno("mprotect(PROT_NONE)");
  }
}

ScopedPageEdge::~ScopedPageEdge() { ::munmap(base_, 2 * page_size_); }

}  // namespace ipcproof

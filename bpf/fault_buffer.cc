#include "bpf/fault_buffer.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace ipcproof::bpf {
namespace {

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// Whole pages for `size` bytes, checked before any system call: 0 bytes
// and sizes whose memfd (two pages per page) or offsets would not fit in
// off_t are invalid arguments, not failed calls.
size_t PagesFor(size_t size, size_t page, size_t pages_per_page,
                const char* what) {
  if (size == 0) {
    throw std::invalid_argument(std::string(what) + " of 0 bytes");
  }
  const size_t largest =
      static_cast<size_t>(std::numeric_limits<off_t>::max()) / page /
      pages_per_page;
  if (size / page >= largest) {
    throw std::invalid_argument(std::string(what) + " of " +
                                std::to_string(size) + " bytes: too large");
  }
  return (size + page - 1) / page;
}

[[noreturn]] void ThrowErrno(int error, const std::string& call) {
  throw std::system_error(error, std::generic_category(), call);
}

// "mmap(page 3 of 16 of a faulting buffer)": pages counted from 1.
std::string PageCall(const char* call, size_t index, size_t pages,
                     const char* what) {
  return std::string(call) + "(page " + std::to_string(index + 1) + " of " +
         std::to_string(pages) + " of " + what + ")";
}

// The whole range reserved at once, inaccessible: the per-page mappings then
// replace it with MAP_FIXED, so no other mapping can land between them.
char* Reserve(size_t bytes, const char* what) {
  void* range =
      ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (range == MAP_FAILED) {
    ThrowErrno(errno, std::string("mmap(reserving ") + std::to_string(bytes) +
                          " bytes for " + what + ")");
  }
  return static_cast<char*>(range);
}

// MADV_DONTNEED zaps the page-table entries of every mapping in the range;
// on shared (memfd) and file pages the contents stay in the page cache, so
// the next access faults them back in unchanged. madvise(2) rounds the
// length up to whole pages.
}  // namespace

int DropPages(const void* start, size_t bytes) noexcept {
  if (start == nullptr) return EINVAL;
  if (::madvise(const_cast<void*>(start), bytes, MADV_DONTNEED) != 0) {
    return errno;
  }
  return 0;
}

// --- FaultingBuffer ----------------------------------------------------------

FaultingBuffer::FaultingBuffer(size_t size) {
  constexpr const char* kWhat = "a faulting buffer";
  const size_t page = PageSize();
  // Page i is memfd page 2i: the memfd needs 2 pages per buffer page.
  const size_t pages = PagesFor(size, page, 2, kWhat);
  const int memfd = ::memfd_create("ipcproof-faulting-buffer", MFD_CLOEXEC);
  if (memfd < 0) ThrowErrno(errno, "memfd_create(a faulting buffer)");
  const off_t file_size = static_cast<off_t>(2 * pages * page);
  if (::ftruncate(memfd, file_size) != 0) {
    const int error = errno;
    ::close(memfd);
    ThrowErrno(error, "ftruncate(the memfd of a faulting buffer, " +
                          std::to_string(file_size) + ")");
  }
  char* range;
  try {
    range = Reserve(pages * page, kWhat);
  } catch (...) {
    ::close(memfd);
    throw;
  }
  for (size_t i = 0; i < pages; ++i) {
    // Neighbouring mappings of one file merge only when their file offsets
    // are contiguous (vma_merge): page i at memfd offset 2i * page never is.
    void* mapped =
        ::mmap(range + i * page, page, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_FIXED, memfd, static_cast<off_t>(2 * i * page));
    if (mapped == MAP_FAILED) {
      const int error = errno;
      ::munmap(range, pages * page);
      ::close(memfd);
      ThrowErrno(error, PageCall("mmap", i, pages, kWhat));
    }
  }
  data_ = range;
  size_ = size;
  mapped_ = pages * page;
  memfd_ = memfd;
}

FaultingBuffer::~FaultingBuffer() {
  if (data_ != nullptr) ::munmap(data_, mapped_);
  if (memfd_ >= 0) ::close(memfd_);
}

FaultingBuffer::FaultingBuffer(FaultingBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      memfd_(std::exchange(other.memfd_, -1)) {}

FaultingBuffer& FaultingBuffer::operator=(FaultingBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, mapped_);
    if (memfd_ >= 0) ::close(memfd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    memfd_ = std::exchange(other.memfd_, -1);
  }
  return *this;
}

int FaultingBuffer::Drop() const noexcept { return DropPages(data_, mapped_); }

// --- PerPageFileMapping ------------------------------------------------------

PerPageFileMapping::PerPageFileMapping(int fd, size_t size) {
  constexpr const char* kWhat = "a per-page file mapping";
  const size_t page = PageSize();
  const size_t pages = PagesFor(size, page, 1, kWhat);
  // A page wholly past the end of the file raises SIGBUS on access (mmap(2)):
  // refuse here rather than kill the process that reads it.
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    ThrowErrno(errno, "fstat(the file of a per-page file mapping)");
  }
  if (static_cast<uintmax_t>(status.st_size) < size) {
    throw std::invalid_argument(std::string(kWhat) + " of " +
                                std::to_string(size) + " bytes of a file of " +
                                std::to_string(status.st_size) + " bytes");
  }
  char* range = Reserve(pages * page, kWhat);
  for (size_t i = 0; i < pages; ++i) {
    // The file offsets are contiguous, so only differing flags keep the
    // kernel from merging neighbours: a MAP_SHARED mapping carries
    // VM_MAYSHARE, a MAP_PRIVATE one VM_MAYWRITE without it, whether or not
    // the file is open for writing.
    const int sharing = i % 2 == 0 ? MAP_SHARED : MAP_PRIVATE;
    void* mapped =
        ::mmap(range + i * page, page, PROT_READ, sharing | MAP_FIXED, fd,
               static_cast<off_t>(i * page));
    if (mapped == MAP_FAILED) {
      const int error = errno;
      ::munmap(range, pages * page);
      ThrowErrno(error, PageCall("mmap", i, pages, kWhat));
    }
  }
  data_ = range;
  size_ = size;
  mapped_ = pages * page;
}

PerPageFileMapping::~PerPageFileMapping() {
  if (data_ != nullptr) ::munmap(data_, mapped_);
}

// A read-only private page never written has no anonymous copy: dropping it
// loses nothing, the next access maps the page-cache page again.
int PerPageFileMapping::Drop() const noexcept {
  return DropPages(data_, mapped_);
}

}  // namespace ipcproof::bpf

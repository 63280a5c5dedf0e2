// The faulting buffers' own test: what the page-fault copy counter relies
// on (bpf/fault_buffer.h). Each page must be absent after Drop (else the
// kernel's copy does not fault and the counter misses it), fault in alone
// (else fault-around maps its neighbours and their copies are missed), keep
// its contents (else a transfer moves zeros), and be shared with a child
// forked later (the shared-memory transfer's region).
//
// Presence is read from /proc/self/pagemap: bit 63 of a page's 64-bit entry
// is "page present" (Documentation/admin-guide/mm/pagemap.rst), readable by
// any process (only the frame numbers need CAP_SYS_ADMIN).
#include "bpf/fault_buffer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace ipcproof::bpf {
namespace {

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// A byte of test data that differs between neighbouring pages and offsets.
char PatternByte(size_t offset, unsigned seed) {
  return static_cast<char>((offset * 131 + offset / 4096 * 17 + seed) & 0xff);
}

void Fill(char* data, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; ++i) data[i] = PatternByte(i, seed);
}

// The first offset where `data` differs from the pattern, or size.
size_t FirstMismatch(const char* data, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != PatternByte(i, seed)) return i;
  }
  return size;
}

// Whether each page of [start, start + pages pages) is present, from
// /proc/self/pagemap. Reading pagemap does not fault the pages in.
std::vector<bool> PresentPages(const void* start, size_t pages) {
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "open(/proc/self/pagemap)");
  }
  std::vector<uint64_t> entries(pages);
  const size_t first = reinterpret_cast<uintptr_t>(start) / PageSize();
  const ssize_t n = ::pread(fd, entries.data(), pages * sizeof(uint64_t),
                            static_cast<off_t>(first * sizeof(uint64_t)));
  const int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(pages * sizeof(uint64_t))) {
    throw std::system_error(n < 0 ? error : EIO, std::generic_category(),
                            "pread(/proc/self/pagemap)");
  }
  std::vector<bool> present;
  for (const uint64_t entry : entries) present.push_back((entry >> 63) & 1);
  return present;
}

size_t CountPresent(const std::vector<bool>& present) {
  size_t count = 0;
  for (const bool page : present) count += page ? 1 : 0;
  return count;
}

// "0 1 1 0 ...": the presence of each page, for a failure message.
std::string Describe(const std::vector<bool>& present) {
  std::string text;
  for (const bool page : present) text += page ? "1" : "0";
  return text;
}

struct Mapping {
  uintptr_t start;
  uintptr_t end;
  std::string line;
};

// The lines of /proc/self/maps that overlap [start, start + bytes).
std::vector<Mapping> MappingsOverlapping(const void* start, size_t bytes) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(start);
  const uintptr_t last = first + bytes;
  std::ifstream maps("/proc/self/maps");
  if (!maps) throw std::runtime_error("cannot read /proc/self/maps");
  std::vector<Mapping> found;
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long begin = 0;
    unsigned long end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) != 2) continue;
    if (end > first && begin < last) found.push_back({begin, end, line});
  }
  return found;
}

// Succeeds when [start, start + pages pages) is covered by exactly `pages`
// mappings of one page each, none reaching outside the range (a mapping
// merged with a neighbour would be longer).
::testing::AssertionResult OneMappingPerPage(const void* start, size_t pages) {
  const size_t page = PageSize();
  const std::vector<Mapping> found = MappingsOverlapping(start, pages * page);
  std::string lines;
  for (const Mapping& mapping : found) lines += "\n  " + mapping.line;
  if (found.size() != pages) {
    return ::testing::AssertionFailure()
           << found.size() << " mappings cover the " << pages
           << " pages, not one per page:" << lines;
  }
  const uintptr_t first = reinterpret_cast<uintptr_t>(start);
  for (size_t i = 0; i < pages; ++i) {
    if (found[i].start != first + i * page ||
        found[i].end != first + (i + 1) * page) {
      return ::testing::AssertionFailure()
             << "mapping " << i << " is not exactly page " << i << ":" << lines;
    }
  }
  return ::testing::AssertionSuccess();
}

size_t OpenDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;  // includes the directory's own descriptor, both times
}

// Reads one byte of each page in [data, data + bytes) in user mode, so the
// page faults in (volatile: the compiler must not drop the reads).
unsigned TouchForReading(const char* data, size_t bytes) {
  unsigned sum = 0;
  for (size_t i = 0; i < bytes; i += PageSize()) {
    sum += static_cast<unsigned char>(
        *static_cast<const volatile char*>(data + i));
  }
  return sum;
}

constexpr size_t kPages = 16;  // fault-around's default reach (64 KiB)

// --- FaultingBuffer ----------------------------------------------------------

TEST(FaultingBufferTest, IsPageAlignedAndKeepsTheSizeAsked) {
  const size_t page = PageSize();
  const FaultingBuffer buffer(3 * page + 1);
  EXPECT_EQ(buffer.size(), 3 * page + 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer.data()) % page, 0u);
  // Rounded up: the fourth page is mapped (writing it must not crash).
  buffer.data()[4 * page - 1] = 'x';
  EXPECT_TRUE(OneMappingPerPage(buffer.data(), 4));
}

TEST(FaultingBufferTest, ContentsSurviveDrop) {
  const size_t size = kPages * PageSize();
  const FaultingBuffer buffer(size);
  Fill(buffer.data(), size, 1);
  ASSERT_EQ(buffer.Drop(), 0);
  EXPECT_EQ(FirstMismatch(buffer.data(), size, 1), size)
      << "the contents changed across Drop (MADV_DONTNEED lost the memfd's "
         "pages?)";
  // And again, after a second round of writes.
  Fill(buffer.data(), size, 2);
  ASSERT_EQ(buffer.Drop(), 0);
  EXPECT_EQ(FirstMismatch(buffer.data(), size, 2), size);
}

TEST(FaultingBufferTest, DropLeavesNoPagePresent) {
  const size_t size = kPages * PageSize();
  const FaultingBuffer buffer(size);
  Fill(buffer.data(), size, 3);
  // The control: written pages are present, so absence below is Drop's doing.
  ASSERT_EQ(CountPresent(PresentPages(buffer.data(), kPages)), kPages)
      << Describe(PresentPages(buffer.data(), kPages));
  ASSERT_EQ(buffer.Drop(), 0);
  const std::vector<bool> present = PresentPages(buffer.data(), kPages);
  EXPECT_EQ(CountPresent(present), 0u) << Describe(present);
}

// Fault-around (do_fault_around) maps up to fault_around_bytes of page-cache
// pages around a read fault, but never past the faulting mapping's ends: one
// page per mapping means one page per fault.
TEST(FaultingBufferTest, AReadFaultsInThatPageAlone) {
  const size_t page = PageSize();
  const FaultingBuffer buffer(kPages * page);
  Fill(buffer.data(), kPages * page, 4);  // every page in the page cache
  ASSERT_EQ(buffer.Drop(), 0);
  TouchForReading(buffer.data() + 5 * page, 1);
  const std::vector<bool> present = PresentPages(buffer.data(), kPages);
  std::vector<bool> expected(kPages, false);
  expected[5] = true;
  EXPECT_EQ(present, expected)
      << "after a read of page 5: " << Describe(present);
}

TEST(FaultingBufferTest, EachPageIsItsOwnMapping) {
  const FaultingBuffer buffer(kPages * PageSize());
  EXPECT_TRUE(OneMappingPerPage(buffer.data(), kPages));
  // Dropping and faulting back in changes no mapping.
  Fill(buffer.data(), buffer.size(), 5);
  ASSERT_EQ(buffer.Drop(), 0);
  TouchForReading(buffer.data(), buffer.size());
  EXPECT_TRUE(OneMappingPerPage(buffer.data(), kPages));
}

// MAP_SHARED: a child forked after construction sees the parent's writes
// made after the fork, and the parent the child's (a private copy-on-write
// mapping would show neither). The child also drops the pages first: its
// Drop must keep the contents too.
TEST(FaultingBufferTest, SharedWithAChildForkedLater) {
  const size_t size = kPages * PageSize();
  const FaultingBuffer buffer(size);
  Fill(buffer.data(), size, 6);
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0) << std::strerror(errno);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    // Async-signal-safe only; bounded by its alarm if the parent never
    // writes.
    ::close(go[1]);
    ::alarm(30);
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(2);
    if (buffer.Drop() != 0) ::_exit(3);
    if (FirstMismatch(buffer.data(), size, 7) != size) ::_exit(4);
    Fill(buffer.data(), size, 8);
    ::_exit(0);
  }
  ::close(go[0]);
  Fill(buffer.data(), size, 7);  // after the fork
  const char byte = 'g';
  const bool sent = ::write(go[1], &byte, 1) == 1;
  ::close(go[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child) << std::strerror(errno);
  ASSERT_TRUE(sent);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  ASSERT_EQ(WEXITSTATUS(status), 0)
      << "2: no go from the parent, 3: Drop failed, 4: the child did not see "
         "the parent's writes";
  EXPECT_EQ(FirstMismatch(buffer.data(), size, 8), size)
      << "the parent does not see the child's writes";
}

TEST(FaultingBufferTest, InvalidSizesThrowBeforeAnySystemCall) {
  const size_t descriptors = OpenDescriptors();
  EXPECT_THROW(FaultingBuffer(0), std::invalid_argument);
  EXPECT_THROW(FaultingBuffer(std::numeric_limits<size_t>::max()),
               std::invalid_argument);
  // An attempted call would have thrown std::system_error (or left a memfd
  // behind).
  EXPECT_EQ(OpenDescriptors(), descriptors);
}

TEST(FaultingBufferTest, DestructionReleasesTheMappingsAndTheMemfd) {
  const size_t descriptors = OpenDescriptors();
  const void* start;
  {
    const FaultingBuffer buffer(kPages * PageSize());
    start = buffer.data();
    ASSERT_EQ(MappingsOverlapping(start, kPages * PageSize()).size(), kPages);
  }
  EXPECT_TRUE(MappingsOverlapping(start, kPages * PageSize()).empty());
  EXPECT_EQ(OpenDescriptors(), descriptors);
}

TEST(FaultingBufferTest, MoveTransfersTheMemory) {
  const size_t size = 2 * PageSize();
  FaultingBuffer first(size);
  Fill(first.data(), size, 9);
  char* const data = first.data();
  FaultingBuffer second(std::move(first));
  EXPECT_EQ(second.data(), data);
  EXPECT_EQ(second.size(), size);
  EXPECT_EQ(first.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_NE(first.Drop(), 0);        // nothing to drop
  FaultingBuffer third(PageSize());
  third = std::move(second);
  EXPECT_EQ(third.data(), data);
  EXPECT_EQ(FirstMismatch(third.data(), size, 9), size);
}

// --- PerPageFileMapping ------------------------------------------------------

// A file of `size` bytes of pattern `seed`, opened read-only as a transfer's
// source is (an anonymous memfd reopened through /proc: nothing to remove).
class PatternFile {
 public:
  PatternFile(size_t size, unsigned seed) {
    const int memfd = ::memfd_create("fault-buffer-test-file", MFD_CLOEXEC);
    if (memfd < 0) {
      throw std::system_error(errno, std::generic_category(), "memfd_create");
    }
    std::vector<char> bytes(size);
    Fill(bytes.data(), size, seed);
    const bool written =
        ::write(memfd, bytes.data(), size) == static_cast<ssize_t>(size);
    const std::string path = "/proc/self/fd/" + std::to_string(memfd);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const int error = errno;
    ::close(memfd);
    if (!written || fd_ < 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::system_error(written ? error : EIO, std::generic_category(),
                              "writing and reopening a memfd read-only");
    }
  }
  ~PatternFile() { ::close(fd_); }
  PatternFile(const PatternFile&) = delete;
  PatternFile& operator=(const PatternFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

TEST(PerPageFileMappingTest, ShowsTheFilesBytes) {
  const size_t size = kPages * PageSize() - 100;  // a partial last page
  const PatternFile file(size, 10);
  const PerPageFileMapping mapping(file.fd(), size);
  EXPECT_EQ(mapping.size(), size);
  EXPECT_EQ(FirstMismatch(mapping.data(), size, 10), size);
  ASSERT_EQ(mapping.Drop(), 0);
  EXPECT_EQ(FirstMismatch(mapping.data(), size, 10), size)
      << "the bytes changed across Drop";
}

TEST(PerPageFileMappingTest, NeverMerges) {
  const size_t size = kPages * PageSize();
  const PatternFile file(size, 11);
  const PerPageFileMapping mapping(file.fd(), size);
  EXPECT_TRUE(OneMappingPerPage(mapping.data(), kPages));
  TouchForReading(mapping.data(), size);
  ASSERT_EQ(mapping.Drop(), 0);
  EXPECT_TRUE(OneMappingPerPage(mapping.data(), kPages));
}

TEST(PerPageFileMappingTest, DropLeavesNoPagePresent) {
  const size_t size = kPages * PageSize();
  const PatternFile file(size, 12);
  const PerPageFileMapping mapping(file.fd(), size);
  TouchForReading(mapping.data(), size);
  ASSERT_EQ(CountPresent(PresentPages(mapping.data(), kPages)), kPages)
      << Describe(PresentPages(mapping.data(), kPages));
  ASSERT_EQ(mapping.Drop(), 0);
  const std::vector<bool> present = PresentPages(mapping.data(), kPages);
  EXPECT_EQ(CountPresent(present), 0u) << Describe(present);
}

// The file's pages are all in the page cache (just written), so a plain
// mapping would fault around them; here each read maps its page alone.
TEST(PerPageFileMappingTest, AReadFaultsInThatPageAlone) {
  const size_t page = PageSize();
  const PatternFile file(kPages * page, 13);
  const PerPageFileMapping mapping(file.fd(), kPages * page);
  for (const size_t which : {size_t{0}, size_t{7}}) {
    ASSERT_EQ(mapping.Drop(), 0);
    TouchForReading(mapping.data() + which * page, 1);
    const std::vector<bool> present = PresentPages(mapping.data(), kPages);
    std::vector<bool> expected(kPages, false);
    expected[which] = true;
    EXPECT_EQ(present, expected)
        << "after a read of page " << which << ": " << Describe(present);
  }
}

TEST(PerPageFileMappingTest, InvalidSizesThrow) {
  const size_t page = PageSize();
  const PatternFile file(2 * page, 14);
  const size_t descriptors = OpenDescriptors();
  EXPECT_THROW(PerPageFileMapping(file.fd(), 0), std::invalid_argument);
  EXPECT_THROW(
      PerPageFileMapping(file.fd(), std::numeric_limits<size_t>::max()),
      std::invalid_argument);
  // Past the end of the file: SIGBUS on access, so refused up front.
  EXPECT_THROW(PerPageFileMapping(file.fd(), 3 * page), std::invalid_argument);
  EXPECT_EQ(OpenDescriptors(), descriptors);
}

TEST(PerPageFileMappingTest, AFailedMapNamesThePageAndLeavesNothing) {
  const size_t page = PageSize();
  const PatternFile file(2 * page, 15);
  // Open for writing only: every mmap of it fails with EACCES (mmap(2)).
  const std::string path = "/proc/self/fd/" + std::to_string(file.fd());
  const int write_only = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (write_only < 0) {
    GTEST_SKIP() << "cannot reopen a memfd write-only: "
                 << std::strerror(errno);
  }
  try {
    PerPageFileMapping mapping(write_only, 2 * page);
    ADD_FAILURE() << "mapping a write-only file succeeded";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EACCES) << error.what();
    EXPECT_NE(std::string(error.what()).find("mmap(page 1 of 2 of"),
              std::string::npos)
        << error.what();
  }
  ::close(write_only);
}

}  // namespace
}  // namespace ipcproof::bpf

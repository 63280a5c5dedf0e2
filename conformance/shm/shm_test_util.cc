#include "conformance/shm/shm_test_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <span>
#include <sstream>
#include <string>

#include "conformance/kit/blocking.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/memory.h"
#include "ipc/error.h"
#include "ipc/unique_fd.h"

namespace ipcproof {

ChildGate::ChildGate() : pipe_(ipc::Pipe::Create(O_CLOEXEC)) {}

void ChildGate::ChildTakesItsSide() const { ::close(pipe_.write_fd()); }

bool ChildGate::ChildWaits() const {
  std::byte byte{};
  const ReadOutcome outcome = ReadIntoWithin(
      pipe_.read_fd(), std::span<std::byte>(&byte, 1), kBlockedTimeout);
  return outcome.eof && outcome.bytes == 0;
}

::testing::AssertionResult ChildGate::WaitUntilChildWaits(pid_t pid) const {
  return WaitUntilBlockedIn(pid, SYS_poll);
}

void ChildGate::Open() { pipe_.write_end().Reset(); }

PagemapEntry ReadPagemap(pid_t pid, const void* address) {
  const std::string path = pid == 0
                               ? "/proc/self/pagemap"
                               : "/proc/" + std::to_string(pid) + "/pagemap";
  const ipc::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    ipc::ThrowSystemError(err, "open(" + path + ")");
  }
  // One 64-bit entry per virtual page, indexed by the page number.
  const uint64_t page = reinterpret_cast<uintptr_t>(address) / SystemPageSize();
  PagemapEntry entry;
  const ssize_t n = ::pread(fd.get(), &entry.raw, sizeof entry.raw,
                            static_cast<off_t>(page * sizeof entry.raw));
  if (n < 0) {
    const int err = errno;
    ipc::ThrowSystemError(err, "pread(" + path + ")");
  }
  if (n != sizeof entry.raw) {
    ipc::ThrowSystemError(EIO, "pread(" + path + ") returned a short entry");
  }
  return entry;
}

std::optional<std::string> WhyPageFramesAreHidden() {
  const size_t page = SystemPageSize();
  void* probe = ::mmap(nullptr, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) ipc::ThrowErrno("mmap(probe page)");
  *static_cast<volatile char*>(probe) = 1;  // now present, a frame of its own
  const PagemapEntry entry = ReadPagemap(0, probe);
  ::munmap(probe, page);
  if (!entry.present()) {
    return "a page just written reads as not present in /proc/self/pagemap "
           "(entry 0x" +
           (std::ostringstream() << std::hex << entry.raw).str() + ")";
  }
  if (entry.frame() == 0) {
    return "/proc/self/pagemap shows a present page with frame number 0: "
           "frame numbers are hidden from a reader without CAP_SYS_ADMIN in "
           "the initial user namespace (proc(5), since Linux 4.2)";
  }
  return std::nullopt;
}

}  // namespace ipcproof

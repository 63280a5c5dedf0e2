// The note's two sentences about how shared memory works, decided on the
// running kernel for each of Linux's four ways to share memory between
// processes: System V segments (shmget/shmat), POSIX objects (shm_open),
// MAP_SHARED | MAP_ANONYMOUS memory inherited across fork, and memfd.
//
// shm.same-physical-pages ("the processes' virtual pages map one physical
// page"): /proc/PID/pagemap (proc(5)) gives, for every virtual page of a
// process, bit 63 "present" and bits 0-54 the page frame number. Both
// processes' entries for the shared page must name the same frame; the
// control is a MAP_PRIVATE page, which shares its frame after fork only
// until the child writes (copy on write, fork(2)), and then has a frame of
// its own. Frame numbers read as 0 without CAP_SYS_ADMIN in the initial
// user namespace: decided by trying (WhyPageFramesAreHidden), a skip says
// so. The frames are recorded as measured figures.
//
// shm.no-kernel-buffer ("exchange bypasses kernel buffers"): a reader,
// traced by the kit's syscall counter (kit/syscall_counter.h), spins on
// the shared memory between its two marks until the bytes the writer
// stores there appear; the counter shows no system call between the marks.
// A pipe or a queue could not deliver a byte that way: read(2) and
// msgrcv(2) are system calls.
//
// Pages are written before they are looked up, so they are present. A
// child reports the address of its own mapping through a pipe (one
// PIPE_BUF write) and then waits at a ChildGate, proven from /proc, while
// the test reads its pagemap. The System V segment lives in a private IPC
// namespace; the POSIX name is unique to the test (kit/ipc_names.h).
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/syscall_counter.h"
#include "conformance/shm/shm_test_util.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/memory_mapping.h"
#include "ipc/pipe.h"
#include "ipc/posix_shared_memory.h"
#include "ipc/sysv_shared_memory.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::MemoryMapping;

constexpr std::chrono::milliseconds kExitTimeout{5000};

enum class Kind { kSysv, kPosixShmOpen, kSharedAnonymous, kMemfd };

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kSysv:
      return "SysvSegment";
    case Kind::kPosixShmOpen:
      return "PosixShmOpen";
    case Kind::kSharedAnonymous:
      return "SharedAnonymous";
    case Kind::kMemfd:
      return "Memfd";
  }
  return "?";
}

// What a child sends back: where its own mapping of the memory is.
struct MappingReport {
  uintptr_t address = 0;
};

// One page of memory shared the `kind` way, mapped in the test process,
// and what a forked child needs to map the same memory again itself.
class SharedPage {
 public:
  explicit SharedPage(Kind kind) : kind_(kind), size_(SystemPageSize()) {
    switch (kind) {
      case Kind::kSysv:
        segment_ = ipc::SysvSharedMemory::Create(size_);
        attachment_ = segment_->Attach();
        view_ = attachment_.data();
        break;
      case Kind::kPosixShmOpen: {
        const std::string name = UniqueIpcName("frames");
        object_ = ipc::PosixSharedMemory::Create(name, size_);
        // The child reopens it by its file under /dev/shm (shm_overview(7):
        // "POSIX shared memory objects ... in a dedicated tmpfs(5)
        // filesystem that is normally mounted under /dev/shm"), with a
        // plain open(2) that is async-signal-safe.
        const std::string path = "/dev/shm" + name;
        if (path.size() >= sizeof dev_shm_path_) {
          throw std::length_error("/dev/shm path too long: " + path);
        }
        std::memcpy(dev_shm_path_, path.c_str(), path.size() + 1);
        mapping_ = MemoryMapping::Map(size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                      object_->fd());
        view_ = mapping_.data();
        break;
      }
      case Kind::kSharedAnonymous:
        mapping_ = MemoryMapping::AnonymousShared(size_);
        view_ = mapping_.data();
        break;
      case Kind::kMemfd:
        memfd_ = ipc::Memfd::Create("ipcproof-frames");
        memfd_->Resize(size_);
        mapping_ = MemoryMapping::Map(size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                                      memfd_->fd());
        view_ = mapping_.data();
        break;
    }
  }

  std::byte* view() const { return view_; }
  size_t size() const { return size_; }

  // In a forked child (async-signal-safe): a new mapping of the same
  // memory, at an address of the child's own choosing; for anonymous
  // shared memory, which has no name or descriptor to map again, the
  // inherited one. nullptr when a call failed.
  void* MapAgainInChild() const {
    switch (kind_) {
      case Kind::kSysv: {
        void* at = ::shmat(segment_->id(), nullptr, 0);
        return at == reinterpret_cast<void*>(-1) ? nullptr : at;
      }
      case Kind::kPosixShmOpen: {
        const int fd = ::open(dev_shm_path_, O_RDWR | O_CLOEXEC);
        if (fd < 0) return nullptr;
        void* at =
            ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        return at == MAP_FAILED ? nullptr : at;
      }
      case Kind::kSharedAnonymous:
        return view_;
      case Kind::kMemfd: {
        void* at = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                          memfd_->fd(), 0);
        return at == MAP_FAILED ? nullptr : at;
      }
    }
    return nullptr;
  }

 private:
  Kind kind_;
  size_t size_;
  std::optional<ipc::SysvSharedMemory> segment_;
  ipc::SysvAttachment attachment_;
  std::optional<ipc::PosixSharedMemory> object_;
  std::optional<ipc::Memfd> memfd_;
  MemoryMapping mapping_;
  char dev_shm_path_[512] = {};
  std::byte* view_ = nullptr;
};

class SharedPageTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kSysv) ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
    page_.emplace(GetParam());
  }

  std::optional<SharedPage> page_;
};

// shm_overview(7), shmop(2), mmap(2) MAP_SHARED ("Updates to the mapping
// are visible to other processes mapping the same region"), memfd_create(2):
// the test's page and the child's own mapping of it (and the child's
// inherited copy) resolve to one page frame in /proc/PID/pagemap, and a
// store through either is seen through the other. A kernel that copied the
// page at fork or at the second mapping (different frames, or the store
// not seen) fails here.
TEST_P(SharedPageTest, BothProcessesMapTheSamePageFrame) {
  CLAIM("shm.same-physical-pages");
  if (const auto why = WhyPageFramesAreHidden()) SKIP_UNVERIFIED(*why);
  volatile char* mine = reinterpret_cast<volatile char*>(page_->view());
  mine[0] = 'p';  // present in this process before the fork

  const SharedPage& page = *page_;
  ChildGate gate;
  ipc::Pipe reports = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    gate.ChildTakesItsSide();
    void* own = page.MapAgainInChild();
    if (own == nullptr) return ErrnoExit();
    volatile char* theirs = static_cast<volatile char*>(own);
    if (theirs[0] != 'p') return 1;  // the test's store, seen here
    theirs[1] = 'c';                 // the child's store, for the test
    // The inherited mapping, touched too, so its entry is present.
    if (reinterpret_cast<volatile char*>(page.view())[1] != 'c') return 2;
    if (!WriteReport(reports.write_fd(),
                     MappingReport{reinterpret_cast<uintptr_t>(own)})) {
      return 3;
    }
    return gate.ChildWaits() ? 0 : 4;
  });
  MappingReport report;
  ASSERT_TRUE(ReadReport(reports.read_fd(), report));
  ASSERT_TRUE(gate.WaitUntilChildWaits(child.pid()));
  EXPECT_EQ(mine[1], 'c') << "the child's store through its own mapping";

  const PagemapEntry parent = ReadPagemap(0, page_->view());
  const PagemapEntry child_own =
      ReadPagemap(child.pid(), reinterpret_cast<void*>(report.address));
  const PagemapEntry child_inherited = ReadPagemap(child.pid(), page_->view());
  gate.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));

  ASSERT_TRUE(parent.present());
  ASSERT_TRUE(child_own.present());
  ASSERT_TRUE(child_inherited.present());
  EXPECT_NE(parent.frame(), 0u);
  EXPECT_EQ(child_own.frame(), parent.frame())
      << "the child's own mapping at 0x" << std::hex << report.address
      << " and the test's at " << static_cast<void*>(page_->view());
  EXPECT_EQ(child_inherited.frame(), parent.frame());
  const std::string kind = KindName(GetParam());
  RecordMeasurement("shm.frame." + kind + ".test", parent.frame());
  RecordMeasurement("shm.frame." + kind + ".child", child_own.frame());
  RecordMeasurement("shm.frame." + kind + ".child_inherited",
                    child_inherited.frame());
  RecordMeasurement(
      "shm.frame." + kind + ".child_address_differs",
      report.address != reinterpret_cast<uintptr_t>(page_->view()) ? 1 : 0);
}

// How many times a reader polls the shared byte before giving up: far more
// than a store on another CPU takes to become visible, and at the cost of
// a load each (well under the counter's 10 s deadline on this machine), so
// a kernel that never shows the store fails the reader, not the watchdog.
constexpr uint64_t kSpinBound = uint64_t{1} << 31;

// The bytes the writer publishes, and the flag it sets after them.
constexpr char kMessage[] = "through shared memory, no syscall";
constexpr uint32_t kPublished = 0x5eed1e55;

struct Mailbox {
  char text[sizeof kMessage];
  uint32_t flag;
};

// shm_overview(7): "a process can read and write the shared memory
// without system calls". The reader child spins on the mailbox between its
// marks; the test (the tracer) writes the text and then the flag once the
// reader has made its start mark. The reader must see the text with zero
// system calls between the marks: a kernel that needed a call to deliver
// the bytes (a copy through a kernel buffer) could not pass.
TEST_P(SharedPageTest, ReaderSeesTheWritersBytesWithNoSystemCall) {
  CLAIM("shm.no-kernel-buffer");
  Mailbox* mailbox = reinterpret_cast<Mailbox*>(page_->view());
  std::memset(mailbox, 0, sizeof *mailbox);

  SyscallCounterOptions options;
  options.on_first_mark = [mailbox](pid_t /*reader*/) {
    std::memcpy(mailbox->text, kMessage, sizeof kMessage);
    __atomic_store_n(&mailbox->flag, kPublished, __ATOMIC_RELEASE);
  };
  const SyscallCount count = CountSyscallsBetweenMarks(
      [mailbox] {
        SyscallCountStartMark();
        uint64_t spins = 0;
        while (__atomic_load_n(&mailbox->flag, __ATOMIC_ACQUIRE) !=
                   kPublished &&
               spins < kSpinBound) {
          __builtin_ia32_pause();
          ++spins;
        }
        const bool seen =
            spins < kSpinBound &&
            std::memcmp(mailbox->text, kMessage, sizeof kMessage) == 0;
        SyscallCountEndMark();
        return spins >= kSpinBound ? 1 : (seen ? 0 : 2);
      },
      options);
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(ExitedWithZero(*count.exit_status))
      << "1: the reader never saw the flag within " << kSpinBound
      << " polls; 2: it saw the flag but not the text";
  EXPECT_TRUE(count.syscalls.empty()) << count.Describe();
  RecordMeasurement("shm.reader_syscalls_between_marks." + KindName(GetParam()),
                    count.syscalls.size());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SharedPageTest,
                         ::testing::Values(Kind::kSysv, Kind::kPosixShmOpen,
                                           Kind::kSharedAnonymous,
                                           Kind::kMemfd),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return KindName(info.param);
                         });

// The control, fork(2): "the child's ... memory ... copy-on-write". A
// MAP_PRIVATE page the test wrote is shared with the child only while
// neither writes (same frame); after the child's write the child has a
// frame of its own, and the test's byte is unchanged. Were the pagemap
// comparison blind (every frame read alike), this test would fail.
TEST(PrivatePageTest, MapPrivatePageGetsItsOwnFrameAfterTheChildWrites) {
  CLAIM("shm.same-physical-pages");
  if (const auto why = WhyPageFramesAreHidden()) SKIP_UNVERIFIED(*why);
  const MemoryMapping mapping =
      MemoryMapping::AnonymousPrivate(SystemPageSize());
  volatile char* mine = reinterpret_cast<volatile char*>(mapping.data());
  mine[0] = 'p';
  ChildGate before_write;
  ChildGate after_write;
  ChildProcess child = ChildProcess::Fork([&] {
    before_write.ChildTakesItsSide();
    after_write.ChildTakesItsSide();
    if (mine[0] != 'p') return 1;  // a read shares the frame
    if (!before_write.ChildWaits()) return 2;
    mine[0] = 'c';  // copy on write
    return after_write.ChildWaits() ? 0 : 3;
  });
  ASSERT_TRUE(before_write.WaitUntilChildWaits(child.pid()));
  const PagemapEntry parent = ReadPagemap(0, mapping.data());
  const PagemapEntry shared = ReadPagemap(child.pid(), mapping.data());
  before_write.Open();
  ASSERT_TRUE(after_write.WaitUntilChildWaits(child.pid()));
  const PagemapEntry copied = ReadPagemap(child.pid(), mapping.data());
  const PagemapEntry parent_after = ReadPagemap(0, mapping.data());
  after_write.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));

  ASSERT_TRUE(parent.present());
  ASSERT_TRUE(shared.present());
  ASSERT_TRUE(copied.present());
  EXPECT_EQ(shared.frame(), parent.frame()) << "before the child's write";
  EXPECT_NE(copied.frame(), parent_after.frame()) << "after the child's write";
  EXPECT_EQ(mine[0], 'p') << "the child's write reached the test's copy";
  RecordMeasurement("shm.frame.MapPrivate.test", parent_after.frame());
  RecordMeasurement("shm.frame.MapPrivate.child_before_write", shared.frame());
  RecordMeasurement("shm.frame.MapPrivate.child_after_write", copied.frame());
}

}  // namespace
}  // namespace ipcproof

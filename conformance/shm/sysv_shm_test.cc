// System V shared memory (shmget(2), shmop(2): shmat / shmdt, shmctl(2)):
// the documented behaviour beyond the note's sentences (the shm.beyond.*
// claims of the fragment registry-shm.json), decided on the running kernel,
// and the branches of ipc/shm.c (Linux 6.12) that decide it: newseg,
// shm_more_checks, do_shmat, ksys_shmdt, shm_open / shm_close (the attach
// count, one per mapping), do_shm_rmid, shmctl_ipc_info, shmctl_shm_info,
// shmctl_stat and shmctl_do_lock. The note's own shared-memory sentences
// are decided in shm_pages_test.cc (page frames, no syscall) and
// shm_race_test.cc (lost updates); the map from gVisor's shm.cc and LTP's
// shm* tests to these is docs/peers/shm.md.
//
// Every test runs in a private IPC namespace of its own (SetUp), so the
// segments it makes never reach the host and die with the test's process,
// and it may lower kernel/shmmax, shmall and shmmni for itself alone.
// Limits are read from that namespace's /proc/sys/kernel/shm*, never
// assumed; sizes are whole pages of sysconf(_SC_PAGESIZE).
//
// Forked children make only async-signal-safe calls (raw shmat / shmdt /
// shmctl, stores and loads) and report through their exit code
// (kit/child_exit.h: 1..99 are this file's failure points, ErrnoExit for a
// failed call). A child that must hold an attachment while the test looks
// waits at a ChildGate, in poll(2), which the test proves from /proc before
// it looks. shmctl is called through syscall(2) where the test asserts on
// what the kernel does with the buffer (EFAULT, IPC_INFO, SHM_INFO), so no
// libc conversion stands between the two.
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/sysctl.h"
#include "conformance/procfs/files.h"
#include "conformance/runner/programs.h"
#include "conformance/shm/shm_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/sysv_shared_memory.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::SysvAttachment;
using ::ipc::SysvSharedMemory;
using ::ipc::WaitStatus;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::Ne;

// An explicit key instead of ftok(3): in a private IPC namespace nothing
// else can hold it, and no file has to exist for it.
constexpr key_t kKey = 0x5e9d0001;

// How long a child the test has just let go may take to exit.
constexpr std::chrono::milliseconds kExitTimeout{5000};

// shmat(2) as an integer, -1 on failure, for the syscall matchers.
intptr_t Shmat(int id, const void* address, int flags) {
  return reinterpret_cast<intptr_t>(::shmat(id, address, flags));
}

// shmctl(2) straight to the kernel.
long ShmctlRaw(int id, int cmd, void* buffer) {
  return ::syscall(SYS_shmctl, id, cmd, buffer);
}

// shmget(2) of a new segment, raw.
int NewSegment(size_t size, key_t key = IPC_PRIVATE, int mode = 0600) {
  return ::shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
}

size_t Page() { return SystemPageSize(); }

// /proc/sys/<name> as an unsigned long: kernel/shmmax and shmall default to
// ULONG_MAX - 2^24 (include/uapi/linux/shm.h), beyond what ReadSysctl's
// int64_t holds.
unsigned long ReadUnsignedSysctl(const std::string& name) {
  return std::stoul(ReadFileOrThrow("/proc/sys/" + name));
}

// The mappings of this process inside [begin, begin + size), from
// /proc/self/maps: what the kernel's attach count counts (shm_open runs for
// every mapping, a split one too).
size_t MappingsWithin(const void* begin, size_t size) {
  const uintptr_t low = reinterpret_cast<uintptr_t>(begin);
  const uintptr_t high = low + size;
  std::istringstream maps(ReadFileOrThrow("/proc/self/maps"));
  size_t count = 0;
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &start, &end) != 2) continue;
    if (start >= low && end <= high) ++count;
  }
  return count;
}

class SysvShmTest : public ::testing::Test {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

// ===========================================================================
// shmget(2): creating and finding a segment.

// shmget(2): IPC_CREAT makes a segment for a new key, a key already held
// gives the same id, IPC_CREAT | IPC_EXCL on it fails EEXIST, no IPC_CREAT
// on a free key fails ENOENT (IPC_EXCL alone too), and IPC_PRIVATE always
// makes a new one. A kernel that handed out a second segment for one key,
// or found a key nobody created, fails here.
TEST_F(SysvShmTest, ShmgetFlagsCreateFindOrFail) {
  CLAIM("shm.beyond.shmget-errors");
  const size_t page = Page();
  EXPECT_THAT(::shmget(kKey, page, 0600), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::shmget(kKey, page, IPC_EXCL | 0600),
              SyscallFailsWithErrno(ENOENT));
  const int id = ::shmget(kKey, page, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  const SysvSharedMemory owner = SysvSharedMemory::FromId(id);
  EXPECT_THAT(::shmget(kKey, 0, 0), SyscallSucceedsWithValue(id));
  EXPECT_THAT(::shmget(kKey, page, IPC_CREAT | 0600),
              SyscallSucceedsWithValue(id));
  EXPECT_THAT(::shmget(kKey, page, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
  const int private1 = NewSegment(page);
  const int private2 = NewSegment(page);
  ASSERT_THAT(private1, SyscallSucceeds());
  ASSERT_THAT(private2, SyscallSucceeds());
  EXPECT_NE(private1, private2);
  EXPECT_NE(private1, id);
  for (const int remove : {id, private1, private2}) {
    EXPECT_THAT(ShmctlRaw(remove, IPC_RMID, nullptr), SyscallSucceeds());
  }
}

// newseg: "size < SHMMIN || size > ns->shm_ctlmax" fails EINVAL (shmget(2):
// SHMMIN is 1 byte); shm_more_checks: asking an existing segment for more
// than its size fails EINVAL, for less succeeds; ipcget_public decides
// EEXIST before the size. shmmax is this namespace's, lowered so that one
// byte more is a size the machine could hold.
TEST_F(SysvShmTest, ShmgetSizeIsCheckedAgainstShmminShmmaxAndTheSegment) {
  CLAIM("shm.beyond.shmget-errors", "shm.beyond.limits");
  const size_t page = Page();
  shminfo info{};
  ASSERT_THAT(ShmctlRaw(0, IPC_INFO, &info), SyscallSucceeds());
  ASSERT_EQ(info.shmmin, 1u) << "shmget(2): SHMMIN is 1 byte";
  EXPECT_THAT(NewSegment(info.shmmin - 1), SyscallFailsWithErrno(EINVAL));

  const size_t shmmax = 16 * page;
  WRITE_SYSCTL_OR_SKIP("kernel/shmmax", shmmax);
  EXPECT_THAT(NewSegment(shmmax + 1), SyscallFailsWithErrno(EINVAL));
  const int largest = NewSegment(shmmax);
  ASSERT_THAT(largest, SyscallSucceeds()) << "a segment of shmmax bytes";
  EXPECT_THAT(ShmctlRaw(largest, IPC_RMID, nullptr), SyscallSucceeds());

  const SysvSharedMemory segment = SysvSharedMemory::Create(2 * page, kKey);
  EXPECT_THAT(::shmget(kKey, 2 * page + 1, 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shmget(kKey, page, 0), SyscallSucceedsWithValue(segment.id()));
  EXPECT_THAT(::shmget(kKey, 3 * page, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST))
      << "EEXIST is decided before the size";
  EXPECT_EQ(segment.Stat().shm_segsz, 2 * page)
      << "a smaller request must not shrink the segment";
  // Found with the smaller size, it is still the whole segment: a child
  // writes its last byte through an attachment of that id.
  const SysvAttachment whole =
      SysvSharedMemory::FromId(::shmget(kKey, page, 0)).Attach();
  char* last = reinterpret_cast<char*>(whole.data()) + 2 * page - 1;
  ChildProcess writer = ChildProcess::Fork([last] {
    *last = 'e';
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(writer, kExitTimeout));
  EXPECT_EQ(*last, 'e');
}

// shmget(2): the size is kept as asked (shm_segsz), the memory is whole
// pages ("rounded up to a multiple of PAGE_SIZE") and zero-filled ("the
// contents of a newly created segment are initialised to zero"). A child
// writes the last byte of the rounded-up page: a kernel that mapped only
// the bytes asked for kills it with SIGSEGV.
TEST_F(SysvShmTest, UnalignedSizeIsKeptAndTheMemoryIsWholeZeroedPages) {
  CLAIM("shm.beyond.ipc-stat");
  const size_t page = Page();
  const SysvSharedMemory segment = SysvSharedMemory::Create(page + 1);
  EXPECT_EQ(segment.Stat().shm_segsz, page + 1);
  const SysvAttachment at = segment.Attach();
  char* bytes = reinterpret_cast<char*>(at.data());
  for (size_t i = 0; i < 2 * page; ++i) {
    ASSERT_EQ(bytes[i], 0) << "byte " << i << " of a new segment";
  }
  ChildProcess child = ChildProcess::Fork([bytes, page] {
    bytes[2 * page - 1] = 'z';
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
  EXPECT_EQ(bytes[2 * page - 1], 'z');
}

// ===========================================================================
// Attaching and detaching: shm_nattch.

// shmctl(2): shm_nattch is the number of current attaches. Two shmat calls
// in one process give two addresses and count 2; each shmdt takes one off.
// A kernel that leaked or lost a count fails here.
TEST_F(SysvShmTest, AttachmentsAreCountedInShmNattch) {
  CLAIM("shm.beyond.ipc-stat");
  const SysvSharedMemory segment = SysvSharedMemory::Create(4 * Page());
  EXPECT_EQ(segment.Stat().shm_nattch, 0u);
  SysvAttachment first = segment.Attach();
  EXPECT_EQ(segment.Stat().shm_nattch, 1u);
  SysvAttachment second = segment.Attach();
  EXPECT_EQ(segment.Stat().shm_nattch, 2u);
  EXPECT_NE(first.data(), second.data());
  // Both addresses reach the same memory.
  first.data()[7] = std::byte{0x5a};
  EXPECT_EQ(second.data()[7], std::byte{0x5a});
  first.Detach();
  EXPECT_EQ(segment.Stat().shm_nattch, 1u);
  second.Detach();
  EXPECT_EQ(segment.Stat().shm_nattch, 0u);
}

// The program an exec'd child becomes: it waits for end of file on its
// standard input, holding nothing the parent attached (execve(2): "Attached
// System V shared memory segments are detached").
IPCPROOF_PROGRAM(shm_wait_for_stdin_eof) {
  char byte;
  return ::read(0, &byte, 1) == 0 ? 0 : 1;
}

// fork(2): "The child inherits copies of the parent's set of attached
// shared memory segments" (shm_nattch goes up by one); shmdt in the child
// takes only its own; _exit and execve detach what the process held
// (shmop(2): "Upon _exit(2) all attached shared memory segments are
// detached"; execve(2)). Each child holds still at a gate, proven from
// /proc, while the count is read. A kernel that did not count the fork's
// copy (shm_open in dup_mmap) or that kept an exited or exec'd process's
// attachment fails here.
TEST_F(SysvShmTest, ForkInheritsAttachmentsAndExitAndExecDetachThem) {
  CLAIM("shm.beyond.fork-exec-exit");
  const SysvSharedMemory segment = SysvSharedMemory::Create(Page());
  const SysvAttachment at = segment.Attach();
  ASSERT_EQ(segment.Stat().shm_nattch, 1u);
  void* address = at.data();

  // A child that keeps the inherited attachment.
  ChildGate keeps_gate;
  ChildProcess keeps = ChildProcess::Fork([&keeps_gate] {
    keeps_gate.ChildTakesItsSide();
    return keeps_gate.ChildWaits() ? 0 : 1;
  });
  ASSERT_TRUE(keeps_gate.WaitUntilChildWaits(keeps.pid()));
  EXPECT_EQ(segment.Stat().shm_nattch, 2u) << "after fork";

  // A child that detaches its copy first.
  ChildGate detaches_gate;
  ChildProcess detaches = ChildProcess::Fork([&, address] {
    keeps_gate.ChildTakesItsSide();  // or the keeper never sees its gate open
    detaches_gate.ChildTakesItsSide();
    if (::shmdt(address) != 0) return ErrnoExit();
    return detaches_gate.ChildWaits() ? 0 : 1;
  });
  ASSERT_TRUE(detaches_gate.WaitUntilChildWaits(detaches.pid()));
  EXPECT_EQ(segment.Stat().shm_nattch, 2u)
      << "the second child's shmdt must take only its own attachment";

  // A child that execs: its new program holds nothing.
  ChildGate exec_gate;
  ipc::Pipe stdin_pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess execs = ChildProcess::Fork([&stdin_pipe] {
    if (::dup2(stdin_pipe.read_fd(), 0) != 0) return ErrnoExit();
    ExecProgram("shm_wait_for_stdin_eof", {});
    return ExecFailureExit();
  });
  stdin_pipe.read_end().Reset();
  // Only the exec'd program reads: blocked in read means the exec is done.
  ASSERT_TRUE(WaitUntilBlockedIn(execs.pid(), SYS_read));
  EXPECT_EQ(segment.Stat().shm_nattch, 2u)
      << "the exec'd child must hold no attachment";

  keeps_gate.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(keeps, kExitTimeout));
  EXPECT_EQ(segment.Stat().shm_nattch, 1u) << "after the keeper's _exit";
  detaches_gate.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(detaches, kExitTimeout));
  stdin_pipe.write_end().Reset();
  ASSERT_TRUE(ExitsWithZeroWithin(execs, kExitTimeout));
  EXPECT_EQ(segment.Stat().shm_nattch, 1u) << "only the test's own is left";
}

// The count is per mapping: shm_open runs for every vma, so an mprotect
// that splits an attachment into three mappings counts three (what
// /proc/self/maps shows), and shmdt of the address removes every mapping
// of the attachment, holes included (ksys_shmdt walks them by vm_pgoff).
// LTP's shmat04 is the regression of commit 714965ca8252, where a vma merge
// dropped a mapping without shm_close and the count never went back to 0.
TEST_F(SysvShmTest, SplitMappingsAreCountedAndShmdtRemovesThemAll) {
  CLAIM("shm.beyond.ipc-stat");
  const size_t page = Page();
  const SysvSharedMemory segment = SysvSharedMemory::Create(3 * page);
  SysvAttachment at = segment.Attach();
  char* base = reinterpret_cast<char*>(at.Release());
  ASSERT_EQ(MappingsWithin(base, 3 * page), 1u);
  ASSERT_THAT(::mprotect(base + page, page, PROT_NONE), SyscallSucceeds());
  const size_t mappings = MappingsWithin(base, 3 * page);
  EXPECT_EQ(mappings, 3u) << "one mapping made three by mprotect";
  EXPECT_EQ(segment.Stat().shm_nattch, mappings);
  RecordMeasurement("shm.nattch_after_split", segment.Stat().shm_nattch);
  // LTP shmat04's sequence: widen the write protection over the first two.
  ASSERT_THAT(::mprotect(base, 2 * page, PROT_WRITE), SyscallSucceeds());
  EXPECT_EQ(segment.Stat().shm_nattch, MappingsWithin(base, 3 * page));
  // gVisor's PartialUnmap: a hole in the middle, then shmdt of the start.
  ASSERT_THAT(::munmap(base + page, page), SyscallSucceeds());
  EXPECT_EQ(segment.Stat().shm_nattch, MappingsWithin(base, 3 * page));
  ASSERT_THAT(::shmdt(base), SyscallSucceeds());
  EXPECT_EQ(MappingsWithin(base, 3 * page), 0u);
  EXPECT_EQ(segment.Stat().shm_nattch, 0u) << "an attachment leaked";
}

// Attaching and detaching at the same time from two processes (LTP's
// shmt10): every shmat and shmdt succeeds, and the count comes back to 0.
// A kernel whose shm_open / shm_close raced on shm_nattch would leave it
// off. 2 x 500 cycles, a few milliseconds.
TEST_F(SysvShmTest, ConcurrentAttachAndDetachLeaveNoAttachment) {
  CLAIM("shm.beyond.fork-exec-exit");
  constexpr int kCycles = 500;
  const SysvSharedMemory segment = SysvSharedMemory::Create(8 * Page());
  const int id = segment.id();
  const auto cycle = [id] {
    for (int i = 0; i < kCycles; ++i) {
      void* at = ::shmat(id, nullptr, 0);
      if (at == reinterpret_cast<void*>(-1)) return ErrnoExit();
      static_cast<volatile char*>(at)[i] = 1;
      if (::shmdt(at) != 0) return ErrnoExit();
    }
    return 0;
  };
  ChildProcess first = ChildProcess::Fork(cycle);
  ChildProcess second = ChildProcess::Fork(cycle);
  EXPECT_TRUE(ExitsWithZeroWithin(first, kExitTimeout));
  EXPECT_TRUE(ExitsWithZeroWithin(second, kExitTimeout));
  EXPECT_EQ(segment.Stat().shm_nattch, 0u);
}

// shmdt(2): EINVAL "There is no shared memory segment attached at
// shmaddr; or, shmaddr is not aligned on a page boundary": a stack address,
// a second shmdt of the same address, and an address inside the attachment
// but not its start.
TEST_F(SysvShmTest, ShmdtOfAnAddressNotAttachedFailsEinval) {
  CLAIM("shm.beyond.shmat-shmdt-errors");
  const SysvSharedMemory segment = SysvSharedMemory::Create(2 * Page());
  int on_the_stack = 0;
  EXPECT_THAT(::shmdt(&on_the_stack), SyscallFailsWithErrno(EINVAL));
  SysvAttachment at = segment.Attach();
  char* base = reinterpret_cast<char*>(at.Release());
  EXPECT_THAT(::shmdt(base + 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shmdt(base + Page()), SyscallFailsWithErrno(EINVAL))
      << "the second page is not where the attachment starts";
  EXPECT_EQ(segment.Stat().shm_nattch, 1u);
  ASSERT_THAT(::shmdt(base), SyscallSucceeds());
  EXPECT_THAT(::shmdt(base), SyscallFailsWithErrno(EINVAL));
}

// do_shmat: a negative or unknown id fails EINVAL; an address not on a
// page (SHMLBA is the page size on x86) fails EINVAL unless SHM_RND rounds
// it down; a given address is where the segment goes; SHM_REMAP needs an
// address; SHM_RND | SHM_REMAP of an address that rounds to 0 fails EINVAL
// (CVE-2017-5669: it used to map page 0); an address already mapped fails
// EINVAL without SHM_REMAP and is replaced with it.
TEST_F(SysvShmTest, ShmatAddressAndIdRules) {
  CLAIM("shm.beyond.shmat-shmdt-errors");
  const size_t page = Page();
  const SysvSharedMemory segment = SysvSharedMemory::Create(page);
  EXPECT_THAT(Shmat(-1, nullptr, 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Shmat(segment.id() + 1, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Shmat(segment.id(), nullptr, SHM_REMAP),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(
      Shmat(segment.id(), reinterpret_cast<void*>(1), SHM_RND | SHM_REMAP),
      SyscallFailsWithErrno(EINVAL));

  // A free, page-aligned place: reserved, then given back.
  void* reserved =
      ::mmap(nullptr, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(reserved, MAP_FAILED);
  char* place = static_cast<char*>(reserved);
  ASSERT_THAT(::munmap(place, 2 * page), SyscallSucceeds());

  EXPECT_THAT(Shmat(segment.id(), place + 1, 0), SyscallFailsWithErrno(EINVAL));
  const intptr_t rounded = Shmat(segment.id(), place + 1, SHM_RND);
  ASSERT_THAT(rounded, SyscallSucceeds());
  EXPECT_EQ(reinterpret_cast<char*>(rounded), place)
      << "SHM_RND rounds down to SHMLBA";
  ASSERT_THAT(::shmdt(place), SyscallSucceeds());
  const intptr_t exact = Shmat(segment.id(), place + page, 0);
  ASSERT_THAT(exact, SyscallSucceeds());
  EXPECT_EQ(reinterpret_cast<char*>(exact), place + page);
  // Taken now: a second attach there needs SHM_REMAP.
  EXPECT_THAT(Shmat(segment.id(), place + page, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(
      Shmat(segment.id(), place + page, SHM_REMAP),
      SyscallSucceedsWithValue(reinterpret_cast<intptr_t>(place + page)));
  // The replaced mapping is gone (shm_close), so one attachment counts.
  EXPECT_EQ(segment.Stat().shm_nattch, 1u);
  ASSERT_THAT(::shmdt(place + page), SyscallSucceeds());
}

// ===========================================================================
// IPC_STAT, IPC_SET, IPC_INFO, SHM_INFO, SHM_STAT.

// shmctl(2) IPC_STAT of a new segment: key, owner and creator, mode, size,
// shm_cpid the creator, shm_lpid 0, shm_atime and shm_dtime 0, shm_ctime
// the creation; then shm_lpid and shm_atime follow an attach by another
// process and shm_lpid and shm_dtime its detach. Times are bounded by the
// clock read around each step (second resolution), never slept for.
TEST_F(SysvShmTest, IpcStatReportsSizeCreatorLastPidAndTimes) {
  CLAIM("shm.beyond.ipc-stat");
  const time_t before_create = ::time(nullptr);
  const SysvSharedMemory segment = SysvSharedMemory::Create(Page(), kKey, 0640);
  const time_t after_create = ::time(nullptr);
  {
    const shmid_ds ds = segment.Stat();
    EXPECT_EQ(ds.shm_perm.__key, kKey);
    EXPECT_EQ(ds.shm_perm.uid, ::geteuid());
    EXPECT_EQ(ds.shm_perm.gid, ::getegid());
    EXPECT_EQ(ds.shm_perm.cuid, ::geteuid());
    EXPECT_EQ(ds.shm_perm.cgid, ::getegid());
    EXPECT_EQ(ds.shm_perm.mode, 0640u);
    EXPECT_EQ(ds.shm_segsz, Page());
    EXPECT_EQ(ds.shm_cpid, ::getpid());
    EXPECT_EQ(ds.shm_lpid, 0);
    EXPECT_EQ(ds.shm_nattch, 0u);
    EXPECT_EQ(ds.shm_atime, 0);
    EXPECT_EQ(ds.shm_dtime, 0);
    EXPECT_THAT(ds.shm_ctime, Ge(before_create));
    EXPECT_THAT(ds.shm_ctime, Le(after_create));
  }
  const int id = segment.id();
  ChildGate gate;
  const time_t before_attach = ::time(nullptr);
  ChildProcess child = ChildProcess::Fork([&gate, id] {
    gate.ChildTakesItsSide();
    void* at = ::shmat(id, nullptr, 0);
    if (at == reinterpret_cast<void*>(-1)) return ErrnoExit();
    if (!gate.ChildWaits()) return 1;
    return ::shmdt(at) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(gate.WaitUntilChildWaits(child.pid()));
  const time_t after_attach = ::time(nullptr);
  {
    const shmid_ds ds = segment.Stat();
    EXPECT_EQ(ds.shm_lpid, child.pid()) << "the last process to attach";
    EXPECT_EQ(ds.shm_nattch, 1u);
    EXPECT_THAT(ds.shm_atime, Ge(before_attach));
    EXPECT_THAT(ds.shm_atime, Le(after_attach));
    EXPECT_EQ(ds.shm_dtime, 0);
    EXPECT_EQ(ds.shm_cpid, ::getpid()) << "the creator stays";
  }
  const pid_t child_pid = child.pid();
  const time_t before_detach = ::time(nullptr);
  gate.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
  const time_t after_detach = ::time(nullptr);
  const shmid_ds ds = segment.Stat();
  EXPECT_EQ(ds.shm_lpid, child_pid) << "the last process to detach";
  EXPECT_EQ(ds.shm_nattch, 0u);
  EXPECT_THAT(ds.shm_dtime, Ge(before_detach));
  EXPECT_THAT(ds.shm_dtime, Le(after_detach));
  EXPECT_THAT(ds.shm_atime, Le(after_attach));
}

// shmctl(2) IPC_SET copies shm_perm.uid, gid and the low nine bits of
// mode (ipc_update_perm), and sets shm_ctime to now.
TEST_F(SysvShmTest, IpcSetCopiesTheModeBitsAndUpdatesCtime) {
  CLAIM("shm.beyond.ipc-stat");
  SysvSharedMemory segment =
      SysvSharedMemory::Create(Page(), IPC_PRIVATE, 0666);
  shmid_ds ds = segment.Stat();
  ds.shm_perm.mode = 07600;  // set-id and sticky bits are not copied
  const time_t before = ::time(nullptr);
  ASSERT_THAT(ShmctlRaw(segment.id(), IPC_SET, &ds), SyscallSucceeds());
  const time_t after = ::time(nullptr);
  const shmid_ds now = segment.Stat();
  EXPECT_EQ(now.shm_perm.mode, 0600u);
  EXPECT_THAT(now.shm_ctime, Ge(before));
  EXPECT_THAT(now.shm_ctime, Le(after));
  segment.SetPermissions(0640);
  EXPECT_EQ(segment.Stat().shm_perm.mode, 0640u);
}

// shmctl(2) IPC_INFO: shmmax, shmmni and shmall are the namespace's
// /proc/sys/kernel/shm* (and follow a write to them), shmmin is 1
// (shmget(2): SHMMIN); the call returns the highest index in use.
TEST_F(SysvShmTest, IpcInfoReportsTheNamespaceLimits) {
  CLAIM("shm.beyond.limits");
  shminfo info{};
  ASSERT_THAT(ShmctlRaw(0, IPC_INFO, &info), SyscallSucceedsWithValue(0));
  EXPECT_EQ(info.shmmax, ReadUnsignedSysctl("kernel/shmmax"));
  EXPECT_EQ(info.shmall, ReadUnsignedSysctl("kernel/shmall"));
  EXPECT_EQ(info.shmmni, ReadUnsignedSysctl("kernel/shmmni"));
  EXPECT_EQ(info.shmmin, 1u);
  // shmctl(2): shmseg is "unused within kernel", reported all the same.
  EXPECT_GT(info.shmseg, 0u);
  RecordMeasurement("shm.shmmax", info.shmmax);
  RecordMeasurement("shm.shmall_pages", info.shmall);
  RecordMeasurement("shm.shmmni", info.shmmni);

  WRITE_SYSCTL_OR_SKIP("kernel/shmmax", 64 * Page());
  WRITE_SYSCTL_OR_SKIP("kernel/shmall", 96);
  WRITE_SYSCTL_OR_SKIP("kernel/shmmni", 7);
  ASSERT_THAT(ShmctlRaw(0, IPC_INFO, &info), SyscallSucceeds());
  EXPECT_EQ(info.shmmax, 64 * Page());
  EXPECT_EQ(info.shmall, 96u);
  EXPECT_EQ(info.shmmni, 7u);
}

// newseg: a segment whose pages would take the namespace's total past
// kernel/shmall (pages) fails ENOSPC; the pages of a removed segment come
// back only once it is gone, which for a segment still attached is at the
// last detach (shm_destroy subtracts them from shm_tot).
TEST_F(SysvShmTest, ShmallBoundsTheTotalPagesUntilTheLastDetach) {
  CLAIM("shm.beyond.limits", "shm.beyond.removed-until-detach");
  const size_t page = Page();
  WRITE_SYSCTL_OR_SKIP("kernel/shmall", 4);
  const int three = NewSegment(3 * page);
  ASSERT_THAT(three, SyscallSucceeds());
  EXPECT_THAT(NewSegment(2 * page), SyscallFailsWithErrno(ENOSPC));
  const int one = NewSegment(page);
  ASSERT_THAT(one, SyscallSucceeds()) << "3 + 1 pages fit in 4";
  EXPECT_THAT(NewSegment(1), SyscallFailsWithErrno(ENOSPC))
      << "one byte is a whole page";

  const intptr_t at = Shmat(three, nullptr, 0);
  ASSERT_THAT(at, SyscallSucceeds());
  ASSERT_THAT(ShmctlRaw(three, IPC_RMID, nullptr), SyscallSucceeds());
  EXPECT_THAT(NewSegment(page), SyscallFailsWithErrno(ENOSPC))
      << "a removed segment still attached keeps its pages";
  ASSERT_THAT(::shmdt(reinterpret_cast<void*>(at)), SyscallSucceeds());
  const int after = NewSegment(3 * page);
  EXPECT_THAT(after, SyscallSucceeds()) << "the last detach gave them back";
  for (const int id : {one, after}) {
    if (id >= 0) ShmctlRaw(id, IPC_RMID, nullptr);
  }
}

// ipc_addid: past kernel/shmmni segments shmget fails ENOSPC (shmget(2));
// removing one makes room again.
TEST_F(SysvShmTest, ShmmniBoundsTheNumberOfSegments) {
  CLAIM("shm.beyond.limits");
  constexpr int kShmmni = 4;
  WRITE_SYSCTL_OR_SKIP("kernel/shmmni", kShmmni);
  std::vector<int> ids;
  for (int i = 0; i < kShmmni; ++i) {
    const int id = NewSegment(1);
    ASSERT_THAT(id, SyscallSucceeds()) << "segment " << i + 1;
    ids.push_back(id);
  }
  EXPECT_THAT(NewSegment(1), SyscallFailsWithErrno(ENOSPC));
  ASSERT_THAT(ShmctlRaw(ids.back(), IPC_RMID, nullptr), SyscallSucceeds());
  ids.pop_back();
  const int again = NewSegment(1);
  EXPECT_THAT(again, SyscallSucceeds());
  if (again >= 0) ids.push_back(again);
  for (const int id : ids) ShmctlRaw(id, IPC_RMID, nullptr);
}

// kernel/shm_next_id (CONFIG_CHECKPOINT_RESTORE, sysvipc(7)... proc(5)):
// the next segment takes that id, and the file reads -1 again; an id in
// use is not handed out twice (LTP shmget05, shmget06).
TEST_F(SysvShmTest, ShmNextIdChoosesTheNextSegmentsIdOnce) {
  CLAIM("shm.beyond.limits");
  if (!ReadFileIfPresent("/proc/sys/kernel/shm_next_id")) {
    SKIP_UNVERIFIED(
        "/proc/sys/kernel/shm_next_id is absent (kernel without "
        "CONFIG_CHECKPOINT_RESTORE)");
  }
  ASSERT_EQ(ReadSysctl("kernel/shm_next_id"), -1);
  constexpr int kWanted = 4242;
  WRITE_SYSCTL_OR_SKIP("kernel/shm_next_id", kWanted);
  const int id = NewSegment(1);
  ASSERT_THAT(id, SyscallSucceedsWithValue(kWanted));
  EXPECT_EQ(ReadSysctl("kernel/shm_next_id"), -1);
  WRITE_SYSCTL_OR_SKIP("kernel/shm_next_id", kWanted);
  const int other = NewSegment(1);
  ASSERT_THAT(other, SyscallSucceeds());
  EXPECT_NE(other, kWanted) << "an id in use was handed out twice";
  ShmctlRaw(id, IPC_RMID, nullptr);
  ShmctlRaw(other, IPC_RMID, nullptr);
}

// SHM_INFO (shmctl(2)): used_ids, shm_tot (pages of all segments) and
// shm_rss (pages resident) of the namespace, which starts with none; its
// result is the highest index in use. SHM_STAT and SHM_STAT_ANY take that
// index and return the segment's id. /proc/sysvipc/shm lists the segment.
// Removing it brings the totals back to 0 (gVisor's
// RemovedSegmentsAreDestroyed).
TEST_F(SysvShmTest, ShmInfoCountsPagesAndShmStatTakesAnIndex) {
  CLAIM("shm.beyond.ipc-stat");
  const size_t page = Page();
  shm_info info{};
  ASSERT_THAT(ShmctlRaw(0, SHM_INFO, &info), SyscallSucceedsWithValue(0));
  EXPECT_EQ(info.used_ids, 0) << "a new IPC namespace has no segment";
  EXPECT_EQ(info.shm_tot, 0u);
  const SysvSharedMemory segment = SysvSharedMemory::Create(3 * page);
  {
    const SysvAttachment at = segment.Attach();
    std::memset(at.data(), 1, 2 * page);  // two of the three pages resident
  }
  const long max_index = ShmctlRaw(0, SHM_INFO, &info);
  ASSERT_THAT(max_index, SyscallSucceeds());
  EXPECT_EQ(info.used_ids, 1);
  EXPECT_EQ(info.shm_tot, 3u);
  EXPECT_EQ(info.shm_rss, 2u) << "pages written, of a 3-page segment";
  RecordMeasurement("shm.shm_info_rss_pages", info.shm_rss);

  int index = -1;
  for (long i = 0; i <= max_index; ++i) {
    shmid_ds ds{};
    if (ShmctlRaw(static_cast<int>(i), SHM_STAT, &ds) == segment.id()) {
      index = static_cast<int>(i);
      EXPECT_EQ(ds.shm_segsz, 3 * page);
    }
  }
  ASSERT_GE(index, 0) << "no index up to " << max_index
                      << " gave the segment's id";
  shmid_ds ds{};
  EXPECT_THAT(ShmctlRaw(index, SHM_STAT_ANY, &ds),
              SyscallSucceedsWithValue(segment.id()));

  const std::string listing = ReadFileOrThrow("/proc/sysvipc/shm");
  EXPECT_THAT(listing, HasSubstr(" " + std::to_string(segment.id()) + " "));

  const int id = segment.id();
  ASSERT_THAT(ShmctlRaw(id, IPC_RMID, nullptr), SyscallSucceeds());
  ASSERT_THAT(ShmctlRaw(0, SHM_INFO, &info), SyscallSucceeds());
  EXPECT_EQ(info.used_ids, 0);
  EXPECT_EQ(info.shm_tot, 0u);
  EXPECT_EQ(info.shm_rss, 0u);
}

// shmctl(2): EINVAL for an unknown command, an invalid id and a removed
// segment; EFAULT when the buffer of IPC_STAT or IPC_SET is not
// accessible (LTP shmctl02, through the raw system call).
TEST_F(SysvShmTest, ShmctlBadIdsCommandsAndBuffers) {
  CLAIM("shm.beyond.shmat-shmdt-errors");
  const int id = NewSegment(Page());
  ASSERT_THAT(id, SyscallSucceeds());
  shmid_ds ds{};
  EXPECT_THAT(ShmctlRaw(id, -1, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(ShmctlRaw(-1, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
  const ScopedInaccessiblePage bad;
  EXPECT_THAT(ShmctlRaw(id, IPC_STAT, bad.address()),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(ShmctlRaw(id, IPC_SET, bad.address()),
              SyscallFailsWithErrno(EFAULT));
  ASSERT_THAT(ShmctlRaw(id, IPC_RMID, nullptr), SyscallSucceeds());
  EXPECT_THAT(ShmctlRaw(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(ShmctlRaw(id, IPC_RMID, nullptr), SyscallFailsWithErrno(EINVAL));
}

// shmctl(2) SHM_LOCK sets SHM_LOCKED in shm_perm.mode and SHM_UNLOCK
// clears it (LTP shmctl07). The owner may lock without CAP_IPC_LOCK while
// RLIMIT_MEMLOCK is not 0; a refusal is a skip saying which.
TEST_F(SysvShmTest, ShmLockSetsShmLockedAndShmUnlockClearsIt) {
  CLAIM("shm.beyond.ipc-stat");
  const SysvSharedMemory segment = SysvSharedMemory::Create(Page());
  if (ShmctlRaw(segment.id(), SHM_LOCK, nullptr) != 0) {
    SKIP_UNVERIFIED(std::string("shmctl(SHM_LOCK) failed with ") +
                    std::strerror(errno));
  }
  EXPECT_NE(segment.Stat().shm_perm.mode & SHM_LOCKED, 0u);
  ASSERT_THAT(ShmctlRaw(segment.id(), SHM_UNLOCK, nullptr), SyscallSucceeds());
  EXPECT_EQ(segment.Stat().shm_perm.mode & SHM_LOCKED, 0u);
}

// ===========================================================================
// IPC_RMID: marked, still usable, gone at the last detach.

// shmctl(2) IPC_RMID: "The segment will actually be destroyed only after
// the last process detaches it"; until then SHM_DEST is set in
// shm_perm.mode and the key becomes IPC_PRIVATE, so shmget finds no segment
// for it and IPC_CREAT makes a new one; Linux still lets the id be
// attached (shmctl(2), NOTES), and more IPC_RMID calls change nothing
// (gVisor's NoDestructionOfAttachedSegmentWithMultipleRmid). The bytes a
// process writes after the removal reach the other. After the last detach
// the id is invalid. A kernel that destroyed the memory at IPC_RMID, or
// never, fails here.
TEST_F(SysvShmTest, RemovedSegmentStaysUsableUntilTheLastDetach) {
  CLAIM("shm.beyond.removed-until-detach");
  const size_t page = Page();
  SysvSharedMemory segment = SysvSharedMemory::Create(page, kKey);
  const int id = segment.id();
  SysvAttachment mine = segment.Attach();
  SysvAttachment second = segment.Attach();
  volatile char* bytes = reinterpret_cast<volatile char*>(mine.data());
  bytes[0] = 'a';

  ChildGate gate;
  ChildProcess child = ChildProcess::Fork([&gate, bytes] {
    gate.ChildTakesItsSide();
    if (!gate.ChildWaits()) return 1;
    if (bytes[0] != 'a') return 2;
    if (bytes[1] != 'b') return 3;  // written by the test after IPC_RMID
    bytes[2] = 'c';
    return ::shmdt(const_cast<char*>(bytes)) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(gate.WaitUntilChildWaits(child.pid()));

  segment.Remove();
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(ShmctlRaw(id, IPC_RMID, nullptr), SyscallSucceeds())
        << "IPC_RMID again, call " << i + 2;
  }
  {
    shmid_ds ds{};
    ASSERT_THAT(ShmctlRaw(id, IPC_STAT, &ds), SyscallSucceeds());
    EXPECT_NE(ds.shm_perm.mode & SHM_DEST, 0u);
    EXPECT_EQ(ds.shm_perm.__key, IPC_PRIVATE) << "the key is given up";
    // Two here, and the two the child inherited at fork.
    EXPECT_EQ(ds.shm_nattch, 4u);
  }
  EXPECT_THAT(::shmget(kKey, 0, 0), SyscallFailsWithErrno(ENOENT));
  const int fresh = ::shmget(kKey, page, IPC_CREAT | 0600);
  ASSERT_THAT(fresh, SyscallSucceeds());
  EXPECT_NE(fresh, id) << "the key made a new segment";
  ShmctlRaw(fresh, IPC_RMID, nullptr);

  const intptr_t third = Shmat(id, nullptr, 0);
  ASSERT_THAT(third, SyscallSucceeds()) << "Linux attaches a removed segment";
  ASSERT_THAT(::shmdt(reinterpret_cast<void*>(third)), SyscallSucceeds());
  second.Detach();
  bytes[1] = 'b';
  gate.Open();
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
  EXPECT_EQ(bytes[2], 'c') << "the child's write after IPC_RMID";
  shmid_ds ds{};
  ASSERT_THAT(ShmctlRaw(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.shm_nattch, 1u);
  mine.Detach();
  EXPECT_THAT(ShmctlRaw(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "gone after the last detach";
  EXPECT_THAT(Shmat(id, nullptr, 0), SyscallFailsWithErrno(EINVAL));
}

// sysvipc(7): a segment persists until removed. A child creates one,
// writes, detaches and exits; the test finds it by key afterwards with the
// bytes in it and the dead creator as shm_cpid (gVisor's
// DetachedSegmentsPersist, across processes).
TEST_F(SysvShmTest, DetachedSegmentKeepsItsBytesAfterItsCreatorExits) {
  CLAIM("shm.beyond.removed-until-detach");
  const size_t page = Page();
  ChildProcess creator = ChildProcess::Fork([page] {
    const int id = ::shmget(kKey, page, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0) return ErrnoExit();
    void* at = ::shmat(id, nullptr, 0);
    if (at == reinterpret_cast<void*>(-1)) return ErrnoExit();
    std::memcpy(at, "persist", 8);
    return ::shmdt(at) == 0 ? 0 : ErrnoExit();
  });
  const pid_t creator_pid = creator.pid();
  ASSERT_TRUE(ExitsWithZeroWithin(creator, kExitTimeout));
  const int id = ::shmget(kKey, 0, 0600);
  ASSERT_THAT(id, SyscallSucceeds()) << "the segment outlived its creator";
  SysvSharedMemory segment = SysvSharedMemory::FromId(id);
  const shmid_ds ds = segment.Stat();
  EXPECT_EQ(ds.shm_nattch, 0u);
  EXPECT_EQ(ds.shm_cpid, creator_pid);
  const SysvAttachment at = segment.Attach();
  EXPECT_STREQ(reinterpret_cast<const char*>(at.data()), "persist");
  segment.Remove();
}

// ===========================================================================
// Access: SHM_RDONLY, mprotect, detached memory, permissions.

// shmat(2): with SHM_RDONLY "the segment is attached for reading"; a
// write through it raises SIGSEGV. A child reads the test's bytes through
// such an attachment, then writes: it must die of SIGSEGV with the segment
// unchanged, while the same write through a read-write attachment in
// another child succeeds (the control). A kernel that mapped SHM_RDONLY
// writable fails here.
TEST_F(SysvShmTest, WriteThroughAReadOnlyAttachmentKillsWithSigsegv) {
  CLAIM("shm.beyond.rdonly-sigsegv");
  const SysvSharedMemory segment = SysvSharedMemory::Create(Page());
  const SysvAttachment rw = segment.Attach();
  volatile char* bytes = reinterpret_cast<volatile char*>(rw.data());
  bytes[0] = 'r';
  const SysvAttachment ro = segment.Attach(SHM_RDONLY);
  volatile char* read_only = reinterpret_cast<volatile char*>(ro.data());

  ChildProcess writer = ChildProcess::Fork([read_only] {
    if (read_only[0] != 'r') return 1;  // reading is allowed
    read_only[0] = 'w';                 // SIGSEGV here
    return 2;
  });
  ASSERT_CHILD_EXITS(writer, status);
  EXPECT_TRUE(status.KilledBy(SIGSEGV)) << DescribeChildExit(status);
  EXPECT_EQ(bytes[0], 'r');

  ChildProcess control = ChildProcess::Fork([bytes] {
    bytes[0] = 'w';
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(control, kExitTimeout));
  EXPECT_EQ(read_only[0], 'w') << "the read-only view sees the write";
}

// A read-only attachment has no VM_MAYWRITE, so mprotect cannot add write
// permission (EACCES, mprotect(2)); a read-write one may drop write and
// take it back (gVisor's MprotectWriteOn*).
TEST_F(SysvShmTest, MprotectCannotMakeAReadOnlyAttachmentWritable) {
  CLAIM("shm.beyond.rdonly-sigsegv");
  const size_t page = Page();
  const SysvSharedMemory segment = SysvSharedMemory::Create(page);
  const SysvAttachment ro = segment.Attach(SHM_RDONLY);
  EXPECT_THAT(::mprotect(ro.data(), page, PROT_READ | PROT_WRITE),
              SyscallFailsWithErrno(EACCES));
  const SysvAttachment rw = segment.Attach();
  ASSERT_THAT(::mprotect(rw.data(), page, PROT_READ), SyscallSucceeds());
  ASSERT_THAT(::mprotect(rw.data(), page, PROT_READ | PROT_WRITE),
              SyscallSucceeds());
  rw.data()[0] = std::byte{'y'};
  EXPECT_EQ(ro.data()[0], std::byte{'y'});
}

// After shmdt the address is no longer mapped (shmop(2)): a child that
// writes there dies of SIGSEGV (gVisor's SegmentNotAccessibleAfterDetach,
// LTP shmdt01).
TEST_F(SysvShmTest, AccessAfterDetachKillsWithSigsegv) {
  CLAIM("shm.beyond.rdonly-sigsegv");
  const int id = SysvSharedMemory::Create(Page()).Release();
  ChildProcess child = ChildProcess::Fork([id] {
    volatile char* at = static_cast<volatile char*>(::shmat(id, nullptr, 0));
    if (at == reinterpret_cast<volatile char*>(-1)) return ErrnoExit();
    at[0] = 'x';
    if (::shmdt(const_cast<char*>(at)) != 0) return ErrnoExit();
    at[0] = 'x';  // SIGSEGV here
    return 1;
  });
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGSEGV)) << DescribeChildExit(status);
  SysvSharedMemory::FromId(id).Remove();
}

// ipcperms: the owner without CAP_IPC_OWNER gets only the owner bits
// (sysvipc(7)); shmget checks the access it asks for, shmat read or read
// and write, IPC_STAT read; the owner may still remove the segment. Needs
// no second uid: the child clears its effective capabilities.
TEST_F(SysvShmTest, OwnerWithoutCapIpcOwnerGetsOnlyTheOwnerBits) {
  CLAIM("shm.beyond.permissions");
  const SysvSharedMemory readable =
      SysvSharedMemory::Create(Page(), kKey, 0400);
  const SysvSharedMemory none =
      SysvSharedMemory::Create(Page(), kKey + 1, 0000);
  const int readable_id = readable.id();
  const int none_id = none.id();
  ChildProcess child = ChildProcess::Fork([readable_id, none_id] {
    if (!DropEffectiveCapabilities()) return 1;
    if (::shmget(kKey, 0, 0400) != readable_id) return 2;
    if (::shmget(kKey, 0, 0600) != -1 || errno != EACCES) return 3;
    void* ro = ::shmat(readable_id, nullptr, SHM_RDONLY);
    if (ro == reinterpret_cast<void*>(-1)) return 4;
    if (::shmat(readable_id, nullptr, 0) != reinterpret_cast<void*>(-1) ||
        errno != EACCES)
      return 5;
    shmid_ds ds{};
    if (::syscall(SYS_shmctl, none_id, IPC_STAT, &ds) != -1 || errno != EACCES)
      return 6;
    if (::shmget(kKey + 1, 0, 0) != none_id) return 7;  // no access asked
    if (::syscall(SYS_shmctl, none_id, IPC_RMID, nullptr) != 0) return 8;
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
  shmid_ds ds{};
  EXPECT_THAT(ShmctlRaw(none_id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "the owner removed it";
}

// Another uid gets what the "other" bits grant (ipcperms), and may not
// IPC_SET, IPC_RMID or SHM_LOCK a segment it neither owns nor created
// (EPERM, shmctl(2)); SHM_STAT_ANY skips the read check (Linux 4.17). LTP
// shmget04, shmat02, shmctl02 and shmctl03 as "nobody".
TEST_F(SysvShmTest, AnotherUidGetsWhatTheOtherBitsGrant) {
  CLAIM("shm.beyond.permissions", "shm.beyond.shmget-errors");
  SKIP_UNLESS_OTHER_UID();
  SysvSharedMemory closed = SysvSharedMemory::Create(Page(), kKey, 0640);
  const SysvSharedMemory open_read =
      SysvSharedMemory::Create(Page(), kKey + 1, 0644);
  const int closed_id = closed.id();
  const int read_id = open_read.id();
  shm_info info{};
  const long max_index = ShmctlRaw(0, SHM_INFO, &info);
  ASSERT_THAT(max_index, SyscallSucceeds());
  int closed_index = -1;
  for (long i = 0; i <= max_index; ++i) {
    shmid_ds ds{};
    if (ShmctlRaw(static_cast<int>(i), SHM_STAT, &ds) == closed_id) {
      closed_index = static_cast<int>(i);
    }
  }
  ASSERT_GE(closed_index, 0);
  ChildProcess other = ChildProcess::Fork([=] {
    if (const int drop = DropToUid(kOtherUid, kOtherGid); drop != 0) {
      return drop;
    }
    // 0640: nothing for others.
    if (::shmget(kKey, 0, 0) != closed_id) return 1;
    if (::shmget(kKey, 0, 0400) != -1 || errno != EACCES) return 2;
    if (::shmat(closed_id, nullptr, SHM_RDONLY) !=
            reinterpret_cast<void*>(-1) ||
        errno != EACCES)
      return 3;
    shmid_ds ds{};
    if (::syscall(SYS_shmctl, closed_id, IPC_STAT, &ds) != -1 ||
        errno != EACCES)
      return 4;
    if (::syscall(SYS_shmctl, closed_index, SHM_STAT_ANY, &ds) != closed_id)
      return 5;
    if (::syscall(SYS_shmctl, closed_id, IPC_SET, &ds) != -1 || errno != EPERM)
      return 6;
    if (::syscall(SYS_shmctl, closed_id, IPC_RMID, nullptr) != -1 ||
        errno != EPERM)
      return 7;
    if (::syscall(SYS_shmctl, closed_id, SHM_LOCK, nullptr) != -1 ||
        errno != EPERM)
      return 8;
    if (::syscall(SYS_shmctl, closed_id, SHM_UNLOCK, nullptr) != -1 ||
        errno != EPERM)
      return 14;
    // 0644: reading for others, not writing.
    if (::shmget(kKey + 1, 0, 0444) != read_id) return 9;
    if (::shmget(kKey + 1, 0, 0666) != -1 || errno != EACCES) return 10;
    void* ro = ::shmat(read_id, nullptr, SHM_RDONLY);
    if (ro == reinterpret_cast<void*>(-1)) return 11;
    if (::shmat(read_id, nullptr, 0) != reinterpret_cast<void*>(-1) ||
        errno != EACCES)
      return 12;
    if (::syscall(SYS_shmctl, read_id, IPC_STAT, &ds) != 0) return 13;
    return 0;
  });
  ASSERT_CHILD_EXITS(other, status);
  if (status.exited() &&
      ClassifyExitCode(status.exit_code()) == ExitCodeKind::kDropToUid) {
    SKIP_UNVERIFIED(
        DescribeDropFailure(status.exit_code(), kOtherUid, kOtherGid));
  }
  EXPECT_TRUE(ExitedWithZero(status));
  EXPECT_EQ(closed.Stat().shm_nattch, 0u);
}

}  // namespace
}  // namespace ipcproof

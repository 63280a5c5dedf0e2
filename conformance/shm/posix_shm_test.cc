// Shared memory reached through a file descriptor: POSIX objects
// (shm_open(3), shm_unlink(3), shm_overview(7)) and memfd (memfd_create(2),
// with the seals of fcntl(2) "File Sealing"): the shm.beyond.posix-names and
// shm.beyond.memfd claims of the fragment registry-shm.json, and what LTP's
// memfd_create01 / 02 assert. The branches are Linux 6.12 mm/shmem.c
// (shmem_file_setup, the tmpfs behind /dev/shm and memfd) and mm/memfd.c
// (memfd_add_seals, memfd_wait_for_pins, the name check).
//
// POSIX names come from kit/ipc_names.h: unique to the test, and removed by
// the runner (which fails the test) should one be left in /dev/shm. Every
// object created through ipc::PosixSharedMemory unlinks its own name. A
// forked child reaches an object by its file under /dev/shm with open(2),
// which is async-signal-safe, and reports through its exit code.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>

#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/memory_mapping.h"
#include "ipc/posix_shared_memory.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::Memfd;
using ::ipc::MemoryMapping;
using ::ipc::PosixSharedMemory;
using ::ipc::UniqueFd;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::chrono::milliseconds kExitTimeout{5000};

size_t Page() { return SystemPageSize(); }

// The file of POSIX object `name` ("/x"): shm_overview(7), "the objects
// are ... in a dedicated tmpfs(5) filesystem that is normally mounted under
// /dev/shm".
std::string DevShmPath(const std::string& name) { return "/dev/shm" + name; }

bool ExistsInDevShm(const std::string& name) {
  struct stat st {};
  return ::stat(DevShmPath(name).c_str(), &st) == 0;
}

// ===========================================================================
// shm_open / shm_unlink.

// shm_overview(7): "POSIX shared memory objects have kernel persistence: a
// shared memory object will exist until the system is shut down, or until
// all processes have unmapped the object and it has been deleted with
// shm_unlink". A child writes and closes; the bytes stay under the name
// with no process holding it, until shm_unlink, after which the name is
// not found (ENOENT) and the file is gone.
TEST(PosixShmTest, ObjectOutlivesItsUsersUntilShmUnlink) {
  CLAIM("shm.beyond.posix-names");
  const std::string name = UniqueIpcName("persist");
  {
    PosixSharedMemory created = PosixSharedMemory::Create(name, Page());
    created.ReleaseName();  // the test unlinks it below
  }
  const std::string path = DevShmPath(name);
  ChildProcess writer = ChildProcess::Fork([&path] {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return ErrnoExit();
    if (::pwrite(fd, "kept", 5, 0) != 5) return ErrnoExit();
    return ::close(fd) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(ExitsWithZeroWithin(writer, kExitTimeout));
  ASSERT_TRUE(ExistsInDevShm(name)) << "no descriptor or mapping holds it";
  {
    const PosixSharedMemory reopened = PosixSharedMemory::Open(name, O_RDONLY);
    EXPECT_EQ(StatFd(reopened.fd()).st_size, static_cast<off_t>(Page()));
    const MemoryMapping view =
        MemoryMapping::Map(Page(), PROT_READ, MAP_SHARED, reopened.fd());
    EXPECT_STREQ(reinterpret_cast<const char*>(view.data()), "kept");
  }
  ASSERT_THAT(::shm_unlink(name.c_str()), SyscallSucceeds());
  EXPECT_FALSE(ExistsInDevShm(name));
  EXPECT_THAT(::shm_open(name.c_str(), O_RDWR, 0),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::shm_unlink(name.c_str()), SyscallFailsWithErrno(ENOENT));
}

// shm_unlink(3): "Once all processes have unmapped the object, [it is]
// de-allocate[d]": unlinking only removes the name. A mapping made before
// the unlink goes on sharing with a child forked after it, and the name
// made again is a new, zero-filled object, not the old one.
TEST(PosixShmTest, UnlinkWhileMappedKeepsTheMappingAndFreesTheName) {
  CLAIM("shm.beyond.posix-names");
  const std::string name = UniqueIpcName("unlinked");
  PosixSharedMemory object = PosixSharedMemory::Create(name, Page());
  const MemoryMapping view = MemoryMapping::Map(Page(), PROT_READ | PROT_WRITE,
                                                MAP_SHARED, object.fd());
  volatile char* bytes = reinterpret_cast<volatile char*>(view.data());
  bytes[0] = 'o';
  const ino_t old_inode = StatFd(object.fd()).st_ino;
  object.UnlinkName();
  EXPECT_FALSE(ExistsInDevShm(name));
  ChildProcess child = ChildProcess::Fork([bytes] {
    if (bytes[0] != 'o') return 1;
    bytes[1] = 'k';
    return 0;
  });
  ASSERT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
  EXPECT_EQ(bytes[1], 'k') << "the unlinked object is still shared";

  const PosixSharedMemory again = PosixSharedMemory::Create(name, Page());
  EXPECT_NE(StatFd(again.fd()).st_ino, old_inode);
  const MemoryMapping fresh =
      MemoryMapping::Map(Page(), PROT_READ, MAP_SHARED, again.fd());
  EXPECT_EQ(fresh.data()[0], std::byte{0}) << "a new object is zero-filled";
  EXPECT_EQ(bytes[0], 'o') << "the old one is untouched";
}

// shm_open(3): O_CREAT | O_EXCL on an existing name fails EEXIST; without
// O_CREAT a missing name fails ENOENT; O_CREAT alone opens the existing
// object (the same inode); O_TRUNC truncates it to 0; a name with a
// second '/' fails EINVAL (glibc checks it: shm_open(3), "name ... of the
// form /somename").
TEST(PosixShmTest, ShmOpenFlagsCreateFindTruncateOrFail) {
  CLAIM("shm.beyond.posix-names");
  const std::string name = UniqueIpcName("flags");
  const PosixSharedMemory object = PosixSharedMemory::Create(name, Page());
  EXPECT_THAT(::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600),
              SyscallFailsWithErrno(EEXIST));
  const std::string missing = UniqueIpcName("missing");
  EXPECT_THAT(::shm_open(missing.c_str(), O_RDWR, 0),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_FALSE(ExistsInDevShm(missing));
  {
    const UniqueFd same(::shm_open(name.c_str(), O_CREAT | O_RDWR, 0600));
    ASSERT_TRUE(same.valid()) << std::strerror(errno);
    EXPECT_EQ(StatFd(same.get()).st_ino, StatFd(object.fd()).st_ino);
    EXPECT_EQ(StatFd(same.get()).st_size, static_cast<off_t>(Page()));
  }
  {
    const UniqueFd truncating(::shm_open(name.c_str(), O_RDWR | O_TRUNC, 0));
    ASSERT_TRUE(truncating.valid()) << std::strerror(errno);
    EXPECT_EQ(StatFd(object.fd()).st_size, 0);
  }
  EXPECT_THAT(::shm_open((name + "/sub").c_str(), O_CREAT | O_RDWR, 0600),
              SyscallFailsWithErrno(EINVAL));
}

// shm_open(3): "A new shared memory object initially has zero length";
// ftruncate sets its size (zero bytes), and mmap(2): touching a page of a
// mapping that lies beyond the end of the object raises SIGBUS. A child
// touches the second page after the object shrank to one.
TEST(PosixShmTest, FtruncateSizesTheObjectAndPastItsEndIsSigbus) {
  CLAIM("shm.beyond.posix-names");
  const size_t page = Page();
  const std::string name = UniqueIpcName("sized");
  const UniqueFd fd(::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
  ASSERT_TRUE(fd.valid()) << std::strerror(errno);
  // Unlinks the name however the test ends (unlink of the /dev/shm file is
  // what shm_unlink does).
  const ScopedUnlink unlink_name(DevShmPath(name));
  EXPECT_EQ(StatFd(fd.get()).st_size, 0);
  ASSERT_THAT(::ftruncate(fd.get(), 2 * page), SyscallSucceeds());
  EXPECT_EQ(StatFd(fd.get()).st_size, static_cast<off_t>(2 * page));
  const MemoryMapping view = MemoryMapping::Map(
      2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get());
  volatile char* bytes = reinterpret_cast<volatile char*>(view.data());
  for (size_t i = 0; i < 2 * page; ++i) {
    ASSERT_EQ(bytes[i], 0) << "byte " << i;
  }
  ASSERT_THAT(::ftruncate(fd.get(), page), SyscallSucceeds());
  ChildProcess child = ChildProcess::Fork([bytes, page] {
    bytes[0] = 'a';     // inside the object
    bytes[page] = 'b';  // past its end: SIGBUS
    return 1;
  });
  ASSERT_CHILD_EXITS(child, status);
  EXPECT_TRUE(status.KilledBy(SIGBUS)) << DescribeChildExit(status);
  EXPECT_EQ(bytes[0], 'a');
}

// shm_open(3) checks the object's mode like open(2): the owner without
// CAP_DAC_OVERRIDE gets only the owner bits, so O_RDWR of a 0400 object
// fails EACCES while O_RDONLY succeeds; and mmap(2) of a read-only
// descriptor with PROT_WRITE and MAP_SHARED fails EACCES. The child clears
// its effective capabilities, so no second uid is needed.
TEST(PosixShmTest, ModeBitsDecideAccessToTheObject) {
  CLAIM("shm.beyond.posix-names", "shm.beyond.permissions");
  const std::string name = UniqueIpcName("mode");
  const PosixSharedMemory object =
      PosixSharedMemory::Create(name, Page(), 0400);
  const std::string path = DevShmPath(name);
  const size_t page = Page();
  ChildProcess child = ChildProcess::Fork([&path, page] {
    if (!DropEffectiveCapabilities()) return 1;
    if (::open(path.c_str(), O_RDWR | O_CLOEXEC) != -1 || errno != EACCES) {
      return 2;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 3;
    if (::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) !=
            MAP_FAILED ||
        errno != EACCES) {
      return 4;
    }
    void* readable = ::mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
    return readable == MAP_FAILED ? 5 : 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(child, kExitTimeout));
}

// ===========================================================================
// memfd_create and seals.

// memfd_create(2): "The name supplied in name is used as a filename and
// will be displayed as the target of the corresponding symbolic link in
// the directory /proc/self/fd/. The displayed name is always prefixed with
// memfd:"; the file has no path (" (deleted)") and its mappings show the
// same name in /proc/self/maps. A new memfd has size 0.
TEST(MemfdTest, ProcShowsTheMemfdName) {
  CLAIM("shm.beyond.memfd");
  Memfd memfd = Memfd::Create("ipcproof-named");
  EXPECT_EQ(StatFd(memfd.fd()).st_size, 0);
  EXPECT_EQ(ReadLinkOrEmpty(ProcFdPath(::getpid(), memfd.fd())),
            "/memfd:ipcproof-named (deleted)");
  memfd.Resize(Page());
  const MemoryMapping view = MemoryMapping::Map(Page(), PROT_READ | PROT_WRITE,
                                                MAP_SHARED, memfd.fd());
  char range[64];
  std::snprintf(range, sizeof range, "%lx-",
                reinterpret_cast<unsigned long>(view.data()));
  const std::string maps = ReadFileOrThrow("/proc/self/maps");
  const size_t line = maps.find(range);
  ASSERT_NE(line, std::string::npos) << "the mapping is not in /proc/self/maps";
  EXPECT_THAT(maps.substr(line, maps.find('\n', line) - line),
              HasSubstr("/memfd:ipcproof-named (deleted)"));
}

// memfd_create(2) EINVAL: "name was too long. (The limit is 249 bytes,
// excluding the terminating null byte.)" and "flags included unknown
// bits"; EFAULT: "The address in name points to invalid memory". The empty
// name is allowed (LTP memfd_create02). MFD_CLOEXEC sets FD_CLOEXEC.
TEST(MemfdTest, MemfdCreateChecksItsNameAndFlags) {
  CLAIM("shm.beyond.memfd");
  const auto memfd_create_raw = [](const char* name, unsigned flags) {
    return ::syscall(SYS_memfd_create, name, flags);
  };
  const std::string longest(Memfd::kMaxNameLength, 'n');
  const std::string too_long(Memfd::kMaxNameLength + 1, 'n');
  const long ok = memfd_create_raw(longest.c_str(), MFD_CLOEXEC);
  ASSERT_THAT(ok, SyscallSucceeds());
  EXPECT_THAT(::fcntl(static_cast<int>(ok), F_GETFD),
              SyscallSucceedsWithValue(FD_CLOEXEC));
  ::close(static_cast<int>(ok));
  EXPECT_THAT(memfd_create_raw(too_long.c_str(), MFD_CLOEXEC),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(memfd_create_raw(nullptr, MFD_CLOEXEC),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(memfd_create_raw("flags", 0x0100), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(memfd_create_raw("flags", 0x80000000U),
              SyscallFailsWithErrno(EINVAL))
      << "a huge-page size bit without MFD_HUGETLB";
  const long empty = memfd_create_raw("", MFD_CLOEXEC);
  EXPECT_THAT(empty, SyscallSucceeds());
  if (empty >= 0) ::close(static_cast<int>(empty));
}

// fcntl(2) "File Sealing": without MFD_ALLOW_SEALING the file carries
// F_SEAL_SEAL and F_ADD_SEALS fails EPERM; with it there are none, seals
// accumulate (adding one twice is harmless), and after F_SEAL_SEAL any
// F_ADD_SEALS fails EPERM (LTP memfd_create01's basic and disabled cases).
TEST(MemfdTest, SealingNeedsAllowSealingAndF_SEAL_SEALEndsIt) {
  CLAIM("shm.beyond.memfd");
  const Memfd unsealable = Memfd::Create("ipcproof-nosealing", MFD_CLOEXEC);
  EXPECT_THAT(::fcntl(unsealable.fd(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_SEAL));
  EXPECT_THAT(::fcntl(unsealable.fd(), F_ADD_SEALS, F_SEAL_WRITE),
              SyscallFailsWithErrno(EPERM));

  const Memfd memfd =
      Memfd::Create("ipcproof-sealing", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  EXPECT_THAT(::fcntl(memfd.fd(), F_GET_SEALS), SyscallSucceedsWithValue(0));
  ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_WRITE),
              SyscallSucceeds());
  ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_WRITE),
              SyscallSucceeds());
  EXPECT_THAT(::fcntl(memfd.fd(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_SHRINK | F_SEAL_WRITE));
  ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL),
              SyscallSucceeds());
  EXPECT_THAT(::fcntl(memfd.fd(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_SHRINK | F_SEAL_GROW |
                                       F_SEAL_WRITE | F_SEAL_SEAL));
  EXPECT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_GROW),
              SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, 0),
              SyscallFailsWithErrno(EPERM));
}

// A memfd of one page with sealing allowed, written with one byte.
Memfd SealableMemfd() {
  Memfd memfd =
      Memfd::Create("ipcproof-seals", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  memfd.Resize(SystemPageSize());
  return memfd;
}

// fcntl(2): F_SEAL_WRITE refuses write(2) and a writable shared mmap
// (EPERM) but not resizing; F_SEAL_SHRINK refuses ftruncate to a smaller
// size (EPERM); F_SEAL_GROW refuses ftruncate to a larger size and a write
// past the end (EPERM). Reading works throughout. LTP memfd_create01's
// write, shrink, grow and resize cases.
TEST(MemfdTest, SealsRefuseWriteGrowAndShrinkWithEperm) {
  CLAIM("shm.beyond.memfd");
  const size_t page = Page();
  char byte = 'x';
  {
    const Memfd memfd = SealableMemfd();
    ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_WRITE),
                SyscallSucceeds());
    EXPECT_THAT(::pwrite(memfd.fd(), &byte, 1, 0),
                SyscallFailsWithErrno(EPERM));
    EXPECT_EQ(::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED,
                     memfd.fd(), 0),
              MAP_FAILED);
    EXPECT_EQ(errno, EPERM) << "a writable shared mapping of a sealed memfd";
    EXPECT_THAT(::pread(memfd.fd(), &byte, 1, 0), SyscallSucceedsWithValue(1));
    EXPECT_THAT(::ftruncate(memfd.fd(), 2 * page), SyscallSucceeds());
    EXPECT_THAT(::ftruncate(memfd.fd(), page), SyscallSucceeds());
    EXPECT_THAT(::pwrite(memfd.fd(), &byte, 1, 2 * page),
                SyscallFailsWithErrno(EPERM))
        << "writing past the end is writing";
  }
  {
    const Memfd memfd = SealableMemfd();
    ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_SHRINK),
                SyscallSucceeds());
    EXPECT_THAT(::ftruncate(memfd.fd(), page / 2),
                SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(::ftruncate(memfd.fd(), 2 * page), SyscallSucceeds());
    EXPECT_THAT(::pwrite(memfd.fd(), &byte, 1, 0), SyscallSucceedsWithValue(1));
    EXPECT_EQ(StatFd(memfd.fd()).st_size, static_cast<off_t>(2 * page));
  }
  {
    const Memfd memfd = SealableMemfd();
    ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_GROW),
                SyscallSucceeds());
    EXPECT_THAT(::ftruncate(memfd.fd(), 2 * page),
                SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(::pwrite(memfd.fd(), &byte, 1, page),
                SyscallFailsWithErrno(EPERM))
        << "a write that would grow the file";
    EXPECT_THAT(::pwrite(memfd.fd(), &byte, 1, 0), SyscallSucceedsWithValue(1));
    EXPECT_THAT(::ftruncate(memfd.fd(), page / 2), SyscallSucceeds());
    EXPECT_EQ(StatFd(memfd.fd()).st_size, static_cast<off_t>(page / 2));
  }
}

// fcntl(2): F_SEAL_WRITE fails EBUSY while a writable shared mapping
// exists (memfd_wait_for_pins / mapping_writably_mapped); a private
// read-only mapping does not stand in the way (LTP memfd_create01's mmap
// case).
TEST(MemfdTest, WriteSealIsRefusedWhileAWritableSharedMappingExists) {
  CLAIM("shm.beyond.memfd");
  const Memfd memfd = SealableMemfd();
  {
    const MemoryMapping writable = MemoryMapping::Map(
        Page(), PROT_READ | PROT_WRITE, MAP_SHARED, memfd.fd());
    EXPECT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_WRITE),
                SyscallFailsWithErrno(EBUSY));
    EXPECT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_SHRINK),
                SyscallSucceeds())
        << "other seals are not held up";
  }
  const MemoryMapping readable =
      MemoryMapping::Map(Page(), PROT_READ, MAP_PRIVATE, memfd.fd());
  EXPECT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_WRITE),
              SyscallSucceeds());
  EXPECT_THAT(::fcntl(memfd.fd(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_WRITE | F_SEAL_SHRINK));
}

// Seals belong to the file, not the descriptor: a dup and a new open of
// /proc/self/fd/N (a file description of its own) see the same seals and
// add to them; a descriptor opened read-only may not add seals (EPERM,
// memfd_add_seals checks FMODE_WRITE). LTP memfd_create01's dup and open
// cases.
TEST(MemfdTest, SealsAreSharedByDupAndByReopenThroughProc) {
  CLAIM("shm.beyond.memfd");
  const Memfd memfd = SealableMemfd();
  const UniqueFd duplicate(::dup(memfd.fd()));
  ASSERT_TRUE(duplicate.valid());
  const std::string proc_path = ProcFdPath(::getpid(), memfd.fd());
  const UniqueFd reopened(::open(proc_path.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(reopened.valid()) << std::strerror(errno);
  ASSERT_THAT(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_WRITE),
              SyscallSucceeds());
  EXPECT_THAT(::fcntl(duplicate.get(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_WRITE));
  EXPECT_THAT(::fcntl(reopened.get(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_WRITE));
  ASSERT_THAT(::fcntl(reopened.get(), F_ADD_SEALS, F_SEAL_SHRINK),
              SyscallSucceeds());
  EXPECT_THAT(::fcntl(memfd.fd(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_WRITE | F_SEAL_SHRINK));
  const UniqueFd read_only(::open(proc_path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(read_only.valid()) << std::strerror(errno);
  EXPECT_THAT(::fcntl(read_only.get(), F_ADD_SEALS, F_SEAL_SEAL),
              SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(::fcntl(read_only.get(), F_GET_SEALS),
              SyscallSucceedsWithValue(F_SEAL_WRITE | F_SEAL_SHRINK));
}

}  // namespace
}  // namespace ipcproof

// Fault injection into the shared-memory wrappers through the
// ipc::ShmSyscalls seam (and ipc::FdSyscalls for close(2) and fcntl(2)):
// ipc::SysvSharedMemory and ipc::SysvAttachment (ipc/sysv_shared_memory.h),
// ipc::PosixSharedMemory and ipc::Memfd (ipc/posix_shared_memory.h),
// ipc::MemoryMapping (ipc/memory_mapping.h).
//
// What each test pins: which arguments reach shmget(2), shmat(2), shmdt(2),
// shmctl(2), shm_open(3), shm_unlink(3), memfd_create(2), ftruncate(2),
// mmap(2) and munmap(2); which requests are refused before any call; what a
// failure becomes (std::system_error naming the call, with its errno); and
// ownership: a segment, a name, a descriptor, an attachment and a mapping
// are each released exactly once, by their last owner, never by a
// moved-from object, and a release that fails keeps ownership so that the
// destructor tries again.
//
// The success paths of the System V and mapping wrappers are held to their
// promise of no heap allocation by counting allocations: this binary
// replaces the global operator new with one that counts, and a plain fake
// seam (gmock itself allocates while matching a call) answers inside the
// counted window.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_fd_syscalls.h"
#include "conformance/unit/mock_shm_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/memory_mapping.h"
#include "ipc/posix_shared_memory.h"
#include "ipc/shm_syscalls.h"
#include "ipc/sysv_shared_memory.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;
using ::testing::StrEq;

constexpr key_t kKey = 0x5348;
constexpr int kOtherSegmentId = 0x7ffffff1;
constexpr int kOtherFd = 1003;
constexpr size_t kSize = 256;
void* const kShmatFailed = reinterpret_cast<void*>(-1);

// "shmctl(IPC_STAT)(shmid=2147483632)": how the wrapper names a call on the
// segment.
std::string Named(const char* call, int id = kFakeSegmentId) {
  return std::string(call) + "(shmid=" + std::to_string(id) + ")";
}

// An IPC_STAT answer of a segment of `size` bytes.
shmid_ds StatOfSize(size_t size) {
  shmid_ds ds{};
  ds.shm_segsz = size;
  return ds;
}

// Both seams the wrappers use, as StrictMocks: every call must be expected.
class ShmUnitTest : public MockedShmSyscallsTest {
 protected:
  // Memory the fake shmat and mmap hand out, so that data() and As<T>()
  // point at something real; two areas for tests with two objects.
  std::byte* memory() { return memory_.data(); }
  std::byte* other_memory() { return memory_.data() + kSize; }

  // A segment this object created (shmget succeeded with `id`).
  ipc::SysvSharedMemory MakeOwned(int id = kFakeSegmentId) {
    EXPECT_CALL(sys_, Shmget(IPC_PRIVATE, kSize, IPC_CREAT | IPC_EXCL | 0600))
        .WillOnce(Return(id))
        .RetiresOnSaturation();
    return ipc::SysvSharedMemory::Create(kSize);
  }
  void ExpectRemovedOnce(int id = kFakeSegmentId) {
    EXPECT_CALL(sys_, Shmctl(id, IPC_RMID, IsNull())).WillOnce(Return(0));
  }
  // A segment known by id only: never removed.
  static ipc::SysvSharedMemory Borrowed(int id = kFakeSegmentId) {
    return ipc::SysvSharedMemory::FromId(id);
  }
  // Attach of a `size`-byte segment at `address`; the test states the
  // shmdt it expects.
  ipc::SysvAttachment Attached(std::byte* address, size_t size = kSize,
                               int id = kFakeSegmentId) {
    EXPECT_CALL(sys_, Shmat(id, IsNull(), 0))
        .WillOnce(Return(address))
        .RetiresOnSaturation();
    EXPECT_CALL(sys_, Shmctl(id, IPC_STAT, NotNull()))
        .WillOnce(DoAll(SetArgPointee<2>(StatOfSize(size)), Return(0)))
        .RetiresOnSaturation();
    return Borrowed(id).Attach();
  }
  void ExpectDetachedOnce(const std::byte* address) {
    EXPECT_CALL(sys_, Shmdt(address)).WillOnce(Return(0));
  }
  // An anonymous shared mapping of kSize bytes at `address`.
  ipc::MemoryMapping Mapped(std::byte* address) {
    EXPECT_CALL(sys_, Mmap(IsNull(), kSize, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0))
        .WillOnce(Return(address))
        .RetiresOnSaturation();
    return ipc::MemoryMapping::AnonymousShared(kSize);
  }
  void ExpectUnmappedOnce(std::byte* address, size_t size = kSize) {
    EXPECT_CALL(sys_, Munmap(address, size)).WillOnce(Return(0));
  }
  // A POSIX object this object created as `name`, with descriptor `fd`.
  ipc::PosixSharedMemory MakeNamed(const std::string& name, int fd = kFakeFd) {
    EXPECT_CALL(sys_, ShmOpen(StrEq(name), O_CREAT | O_EXCL | O_RDWR, 0600))
        .WillOnce(Return(fd))
        .RetiresOnSaturation();
    EXPECT_CALL(sys_, Ftruncate(fd, static_cast<off_t>(kSize)))
        .WillOnce(Return(0))
        .RetiresOnSaturation();
    return ipc::PosixSharedMemory::Create(name, kSize);
  }
  void ExpectClosedOnce(int fd = kFakeFd) {
    EXPECT_CALL(fd_sys_, Close(fd)).WillOnce(Return(0));
  }
  void ExpectUnlinkedOnce(const std::string& name) {
    EXPECT_CALL(sys_, ShmUnlink(StrEq(name))).WillOnce(Return(0));
  }

  ::testing::StrictMock<MockFdSyscalls> fd_sys_;

 private:
  MockFdSyscalls::ScopedOverride fd_override_{fd_sys_};
  alignas(64) std::array<std::byte, 2 * kSize> memory_{};
};

// ===================================================== System V: segments

TEST_F(ShmUnitTest, CreatePassesIpcCreatIpcExclModeAndSizeAndOwns) {
  // IPC_EXCL: a key already in use must fail (EEXIST) rather than hand this
  // object someone else's segment, which its destructor would remove.
  EXPECT_CALL(sys_, Shmget(kKey, 4096, IPC_CREAT | IPC_EXCL | 0640))
      .WillOnce(Return(kFakeSegmentId));
  ExpectRemovedOnce();

  ipc::SysvSharedMemory segment =
      ipc::SysvSharedMemory::Create(4096, kKey, 0640);
  EXPECT_EQ(segment.id(), kFakeSegmentId);
  EXPECT_TRUE(segment.owned());
}

TEST_F(ShmUnitTest, CreatePassesHugetlbAndNoreserveFlagsThrough) {
  // shmget(2): SHM_HUGETLB with a size encoded above SHM_HUGE_SHIFT (26);
  // 21 << 26 is SHM_HUGE_2MB. Whether the kernel has huge pages is its call.
  constexpr int kHuge2Mb = 21 << 26;
  EXPECT_CALL(sys_, Shmget(IPC_PRIVATE, kSize,
                           IPC_CREAT | IPC_EXCL | 0600 | SHM_HUGETLB |
                               kHuge2Mb | SHM_NORESERVE))
      .WillOnce(Return(kFakeSegmentId));
  ExpectRemovedOnce();

  ipc::SysvSharedMemory::Create(kSize, IPC_PRIVATE, 0600,
                                SHM_HUGETLB | kHuge2Mb | SHM_NORESERVE);
}

TEST_F(ShmUnitTest, CreateFailureThrowsNamingShmgetKeyAndSize) {
  // Nothing was created, so nothing is removed (StrictMock: no shmctl).
  EXPECT_CALL(sys_, Shmget(kKey, kSize, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  EXPECT_THAT(
      [] { ipc::SysvSharedMemory::Create(kSize, kKey); },
      ThrowsSystemError(EINVAL, HasSubstr("shmget(key=" + std::to_string(kKey) +
                                          ", size=256, IPC_CREAT|IPC_EXCL)")));
}

TEST_F(ShmUnitTest, OpenExistingPassesSizeZeroAndTheAccessModeAndNeverRemoves) {
  // shmget(2) on an existing key checks the caller's access against the
  // mode bits of shmflg; size 0 is what an existing segment is opened with.
  EXPECT_CALL(sys_, Shmget(kKey, 0, 0400)).WillOnce(Return(kFakeSegmentId));

  ipc::SysvSharedMemory segment =
      ipc::SysvSharedMemory::OpenExisting(kKey, 0400);
  EXPECT_EQ(segment.id(), kFakeSegmentId);
  EXPECT_FALSE(segment.owned());
}

TEST_F(ShmUnitTest, OpenExistingFailureThrowsNamingShmgetAndTheKey) {
  EXPECT_CALL(sys_, Shmget(kKey, 0, 0)).WillOnce(SetErrnoAndReturn(ENOENT, -1));

  EXPECT_THAT(
      [] { ipc::SysvSharedMemory::OpenExisting(kKey); },
      ThrowsSystemError(ENOENT,
                        HasSubstr("shmget(key=" + std::to_string(kKey) + ")")));
}

TEST_F(ShmUnitTest, FromIdMakesNoCallAndNeverRemoves) {
  ipc::SysvSharedMemory segment = Borrowed();
  EXPECT_EQ(segment.id(), kFakeSegmentId);
  EXPECT_FALSE(segment.owned());
}

TEST_F(ShmUnitTest, SysvBadArgumentsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, Shmget).Times(0);
  EXPECT_CALL(sys_, Shmat).Times(0);
  EXPECT_CALL(sys_, Shmctl).Times(0);

  // shmget(2) EINVAL: "size < SHMMIN"; SHMMIN is 1.
  EXPECT_THAT([] { ipc::SysvSharedMemory::Create(0); },
              ThrowsInvalidArgument(HasSubstr("size must be positive")));
  // IPC_CREAT / IPC_EXCL are the wrapper's to add; mode is 0777 bits.
  EXPECT_THAT(
      [] { ipc::SysvSharedMemory::Create(kSize, kKey, IPC_CREAT | 0600); },
      ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::SysvSharedMemory::Create(kSize, kKey, 01000); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT(
      [] { ipc::SysvSharedMemory::Create(kSize, kKey, 0600, IPC_CREAT); },
      ThrowsInvalidArgument(HasSubstr("SHM_HUGETLB")));
  // SHM_RND is an shmat flag; shmget has no use for it. (SHM_RDONLY would
  // not do here: it shares its value, 010000, with SHM_NORESERVE.)
  EXPECT_THAT([] { ipc::SysvSharedMemory::Create(kSize, kKey, 0600, SHM_RND); },
              ThrowsInvalidArgument(HasSubstr("SHM_HUGETLB")));
  EXPECT_THAT([] { ipc::SysvSharedMemory::OpenExisting(IPC_PRIVATE); },
              ThrowsInvalidArgument(
                  HasSubstr("IPC_PRIVATE names no existing segment")));
  EXPECT_THAT([] { ipc::SysvSharedMemory::OpenExisting(kKey, IPC_CREAT); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::SysvSharedMemory::FromId(-1); },
              ThrowsInvalidArgument(HasSubstr("id is negative")));

  ipc::SysvSharedMemory segment = Borrowed();
  // shmat(2) takes SHM_RDONLY, SHM_RND, SHM_EXEC, SHM_REMAP; shmget's flags
  // are not among them.
  for (const int flags : {IPC_CREAT, SHM_HUGETLB, 01}) {
    EXPECT_THAT([&] { segment.Attach(flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")))
        << "flags " << flags;
  }
  // shmat(2) EINVAL: "SHM_REMAP was specified and shmaddr was NULL".
  EXPECT_THAT([&] { segment.Attach(SHM_REMAP); },
              ThrowsInvalidArgument(HasSubstr("SHM_REMAP needs an address")));
  EXPECT_THAT([&] { segment.SetPermissions(0600 | IPC_CREAT); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));

  // A moved-from object names no segment: refused, not sent as id -1.
  ipc::SysvSharedMemory taken = std::move(segment);
  EXPECT_THAT([&] { segment.Attach(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { segment.Stat(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { segment.Set(shmid_ds{}); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { segment.Remove(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
}

TEST_F(ShmUnitTest, MovedFromSegmentRemovesNothingAndTheLastOwnerRemovesOnce) {
  ExpectRemovedOnce();

  ipc::SysvSharedMemory first = MakeOwned();
  ipc::SysvSharedMemory second = std::move(first);
  EXPECT_FALSE(first.owned());
  EXPECT_EQ(first.id(), -1);
  EXPECT_TRUE(second.owned());
  ipc::SysvSharedMemory third(std::move(second));
  EXPECT_EQ(third.id(), kFakeSegmentId);
}

TEST_F(ShmUnitTest, MoveAssignmentRemovesTheSegmentItReplacesFirst) {
  InSequence order;
  ipc::SysvSharedMemory target = MakeOwned(kOtherSegmentId);
  ipc::SysvSharedMemory source = MakeOwned(kFakeSegmentId);
  EXPECT_CALL(sys_, Shmctl(kOtherSegmentId, IPC_RMID, IsNull()))
      .WillOnce(Return(0));
  target = std::move(source);
  EXPECT_EQ(target.id(), kFakeSegmentId);
  ExpectRemovedOnce(kFakeSegmentId);
}

TEST_F(ShmUnitTest, ReleaseGivesUpOwnershipWithoutRemoving) {
  ipc::SysvSharedMemory segment = MakeOwned();
  EXPECT_EQ(segment.Release(), kFakeSegmentId);
  EXPECT_FALSE(segment.owned());
  EXPECT_EQ(segment.id(), kFakeSegmentId);  // still usable by id
}

TEST_F(ShmUnitTest, RemoveCallsIpcRmidOnceAndTheDestructorNothingMore) {
  ExpectRemovedOnce();

  ipc::SysvSharedMemory segment = MakeOwned();
  segment.Remove();
  EXPECT_FALSE(segment.owned());
}

TEST_F(ShmUnitTest, FailedRemoveThrowsAndKeepsOwnershipForTheDestructor) {
  InSequence order;
  ipc::SysvSharedMemory segment = MakeOwned();
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_RMID, IsNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));
  EXPECT_THAT([&] { segment.Remove(); },
              ThrowsSystemError(EPERM, HasSubstr(Named("shmctl(IPC_RMID)"))));
  EXPECT_TRUE(segment.owned());
  ExpectRemovedOnce();  // the destructor's attempt
}

TEST_F(ShmUnitTest, RemoveOfABorrowedSegmentIsTheCallersDecision) {
  ExpectRemovedOnce();

  ipc::SysvSharedMemory segment = Borrowed();
  segment.Remove();
  EXPECT_FALSE(segment.owned());
}

TEST_F(ShmUnitTest, StatReturnsWhatIpcStatFilledIn) {
  shmid_ds answer = StatOfSize(12345);
  answer.shm_nattch = 2;
  answer.shm_perm.mode = 0640 | SHM_DEST;
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(answer), Return(0)));

  const shmid_ds ds = Borrowed().Stat();
  EXPECT_EQ(ds.shm_segsz, 12345u);
  EXPECT_EQ(ds.shm_nattch, 2u);
  EXPECT_EQ(ds.shm_perm.mode, 0640 | SHM_DEST);
}

TEST_F(ShmUnitTest, StatFailureThrowsNamingShmctlAndTheSegment) {
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  EXPECT_THAT([] { Borrowed().Stat(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("shmctl(IPC_STAT)"))));
}

TEST_F(ShmUnitTest, SetPassesOnlyTheFieldsIpcSetReads) {
  // shmctl(2): IPC_SET copies shm_perm.uid, shm_perm.gid and the low 9 bits
  // of shm_perm.mode; nothing else of the caller's struct should reach it.
  shmid_ds seen{};
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_SET, NotNull()))
      .WillOnce([&seen](int, int, shmid_ds* buf) {
        seen = *buf;
        return 0;
      });

  shmid_ds settings = StatOfSize(999);
  settings.shm_perm.uid = 42;
  settings.shm_perm.gid = 43;
  settings.shm_perm.mode = 0644 | SHM_DEST;
  settings.shm_nattch = 7;
  ipc::SysvSharedMemory segment = Borrowed();
  segment.Set(settings);
  EXPECT_EQ(seen.shm_perm.uid, 42u);
  EXPECT_EQ(seen.shm_perm.gid, 43u);
  EXPECT_EQ(seen.shm_perm.mode, 0644);
  EXPECT_EQ(seen.shm_segsz, 0u);
  EXPECT_EQ(seen.shm_nattch, 0u);
}

TEST_F(ShmUnitTest, SetPermissionsKeepsTheOwnerAndReplacesTheModeBits) {
  InSequence order;
  shmid_ds current{};
  current.shm_perm.uid = 1000;
  current.shm_perm.gid = 1001;
  current.shm_perm.mode = 0600;
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(current), Return(0)));
  shmid_ds seen{};
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_SET, NotNull()))
      .WillOnce([&seen](int, int, shmid_ds* buf) {
        seen = *buf;
        return 0;
      });

  ipc::SysvSharedMemory segment = Borrowed();
  segment.SetPermissions(0444);
  EXPECT_EQ(seen.shm_perm.uid, 1000u);
  EXPECT_EQ(seen.shm_perm.gid, 1001u);
  EXPECT_EQ(seen.shm_perm.mode, 0444);
}

TEST_F(ShmUnitTest, SetFailureThrowsNamingShmctlIpcSet) {
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_SET, NotNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));

  ipc::SysvSharedMemory segment = Borrowed();
  EXPECT_THAT([&] { segment.Set(shmid_ds{}); },
              ThrowsSystemError(EPERM, HasSubstr(Named("shmctl(IPC_SET)"))));
}

// ================================================== System V: attachments

TEST_F(ShmUnitTest, AttachReturnsTheAddressAndTheSizeIpcStatReports) {
  // The size is the kernel's shm_segsz, not a page-rounded guess.
  InSequence order;
  EXPECT_CALL(sys_, Shmat(kFakeSegmentId, IsNull(), 0))
      .WillOnce(Return(memory()));
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(StatOfSize(100)), Return(0)));
  ExpectDetachedOnce(memory());

  ipc::SysvAttachment attachment = Borrowed().Attach();
  EXPECT_TRUE(attachment.attached());
  EXPECT_EQ(attachment.data(), memory());
  EXPECT_EQ(attachment.size(), 100u);
  EXPECT_EQ(attachment.bytes().size(), 100u);
  EXPECT_EQ(attachment.segment_id(), kFakeSegmentId);
  EXPECT_FALSE(attachment.read_only());
}

TEST_F(ShmUnitTest, AttachPassesTheFlagsAndTheAddress) {
  InSequence order;
  EXPECT_CALL(sys_, Shmat(kFakeSegmentId, memory(), SHM_RDONLY | SHM_RND))
      .WillOnce(Return(memory()));
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(StatOfSize(kSize)), Return(0)));
  ExpectDetachedOnce(memory());

  ipc::SysvAttachment attachment =
      Borrowed().Attach(SHM_RDONLY | SHM_RND, memory());
  EXPECT_TRUE(attachment.read_only());
}

TEST_F(ShmUnitTest, AttachFailureThrowsNamingShmatAndDetachesNothing) {
  // shmat(2) returns (void*)-1, not NULL, on failure: a wrapper testing for
  // NULL would hand out address 0xfff...f.
  EXPECT_CALL(sys_, Shmat(kFakeSegmentId, IsNull(), 0))
      .WillOnce(SetErrnoAndReturn(EIDRM, kShmatFailed));

  EXPECT_THAT([] { Borrowed().Attach(); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("shmat"))));
}

TEST_F(ShmUnitTest, AttachDetachesAgainWhenIpcStatFails) {
  InSequence order;
  EXPECT_CALL(sys_, Shmat(kFakeSegmentId, IsNull(), 0))
      .WillOnce(Return(memory()));
  EXPECT_CALL(sys_, Shmctl(kFakeSegmentId, IPC_STAT, NotNull()))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));
  ExpectDetachedOnce(memory());

  EXPECT_THAT([] { Borrowed().Attach(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("shmctl(IPC_STAT)"))));
}

TEST_F(ShmUnitTest, DetachCallsShmdtOnceAndTheDestructorNothingMore) {
  ipc::SysvAttachment attachment = Attached(memory());
  ExpectDetachedOnce(memory());
  attachment.Detach();
  EXPECT_FALSE(attachment.attached());
  EXPECT_EQ(attachment.data(), nullptr);
  EXPECT_EQ(attachment.size(), 0u);
  EXPECT_THAT([&] { attachment.Detach(); },
              ThrowsInvalidArgument(HasSubstr("nothing is attached")));
}

TEST_F(ShmUnitTest, FailedDetachThrowsAndStaysAttachedForTheDestructor) {
  InSequence order;
  ipc::SysvAttachment attachment = Attached(memory());
  EXPECT_CALL(sys_, Shmdt(memory())).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_THAT([&] { attachment.Detach(); },
              ThrowsSystemError(EINVAL, AllOf(HasSubstr("shmdt(0x"),
                                              HasSubstr(Named("segment")))));
  EXPECT_TRUE(attachment.attached());
  ExpectDetachedOnce(memory());  // the destructor's attempt
}

TEST_F(ShmUnitTest, MovedFromAttachmentDetachesNothing) {
  ExpectDetachedOnce(memory());

  ipc::SysvAttachment first = Attached(memory());
  ipc::SysvAttachment second = std::move(first);
  EXPECT_FALSE(first.attached());
  EXPECT_EQ(first.size(), 0u);
  EXPECT_EQ(first.segment_id(), -1);
  ipc::SysvAttachment third(std::move(second));
  EXPECT_EQ(third.data(), memory());
  EXPECT_EQ(third.size(), kSize);
}

TEST_F(ShmUnitTest, MoveAssignmentDetachesTheAttachmentItReplacesFirst) {
  InSequence order;
  ipc::SysvAttachment target = Attached(other_memory());
  ipc::SysvAttachment source = Attached(memory());
  ExpectDetachedOnce(other_memory());
  target = std::move(source);
  EXPECT_EQ(target.data(), memory());
  ExpectDetachedOnce(memory());
}

TEST_F(ShmUnitTest, DefaultAttachmentHoldsNothingAndDetachesNothing) {
  ipc::SysvAttachment none;
  EXPECT_FALSE(none.attached());
  EXPECT_EQ(none.size(), 0u);
}

TEST_F(ShmUnitTest, ReleasedAttachmentIsNotDetached) {
  ipc::SysvAttachment attachment = Attached(memory());
  EXPECT_EQ(attachment.Release(), memory());
  EXPECT_FALSE(attachment.attached());
}

TEST_F(ShmUnitTest, AttachmentAsChecksBoundsAndAlignment) {
  ExpectDetachedOnce(memory());
  ipc::SysvAttachment attachment = Attached(memory(), 16);

  EXPECT_EQ(attachment.As<std::uint64_t>(), static_cast<void*>(memory()));
  EXPECT_EQ(attachment.As<std::uint64_t>(8), static_cast<void*>(memory() + 8));
  EXPECT_THAT([&] { attachment.As<std::uint64_t>(9); },
              ThrowsInvalidArgument(HasSubstr("does not fit")));
  EXPECT_THAT([&] { attachment.As<std::uint32_t>(17); },
              ThrowsInvalidArgument(HasSubstr("does not fit")));
  // An offset near SIZE_MAX must not wrap around into "fits".
  EXPECT_THAT(
      [&] {
        attachment.As<std::uint32_t>(std::numeric_limits<size_t>::max() - 1);
      },
      ThrowsInvalidArgument(HasSubstr("does not fit")));
  EXPECT_THAT([&] { attachment.As<std::uint32_t>(2); },
              ThrowsInvalidArgument(HasSubstr("misaligned")));
  EXPECT_THAT([] { ipc::SysvAttachment().As<char>(); },
              ThrowsInvalidArgument(HasSubstr("nothing is attached")));
}

// ============================================================= POSIX shm

TEST_F(ShmUnitTest, PosixCreateOpensExclusivelySizesAndOwnsTheName) {
  // O_EXCL: an existing name must fail (EEXIST) rather than be adopted and
  // then unlinked by this object's destructor.
  EXPECT_CALL(sys_,
              ShmOpen(StrEq("/ipcproof-a"), O_CREAT | O_EXCL | O_RDWR, 0640))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(sys_, Ftruncate(kFakeFd, 8192)).WillOnce(Return(0));
  // The destructor releases both: the descriptor and the name.
  ExpectClosedOnce();
  ExpectUnlinkedOnce("/ipcproof-a");

  ipc::PosixSharedMemory memory =
      ipc::PosixSharedMemory::Create("/ipcproof-a", 8192, 0640);
  EXPECT_EQ(memory.name(), "/ipcproof-a");
  EXPECT_EQ(memory.fd(), kFakeFd);
  EXPECT_TRUE(memory.owns_name());
}

TEST_F(ShmUnitTest, PosixCreateFailureThrowsNamingShmOpenAndReleasesNothing) {
  EXPECT_CALL(sys_,
              ShmOpen(StrEq("/ipcproof-a"), O_CREAT | O_EXCL | O_RDWR, 0600))
      .WillOnce(SetErrnoAndReturn(EEXIST, -1));

  EXPECT_THAT([] { ipc::PosixSharedMemory::Create("/ipcproof-a", kSize); },
              ThrowsSystemError(EEXIST, HasSubstr("shm_open(/ipcproof-a, "
                                                  "O_CREAT|O_EXCL|O_RDWR)")));
}

TEST_F(ShmUnitTest, PosixCreateClosesAndUnlinksWhenFtruncateFails) {
  // The object was created: leaving it would leak a name in /dev/shm.
  InSequence order;
  EXPECT_CALL(sys_, ShmOpen(StrEq("/ipcproof-a"), _, _))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(sys_, Ftruncate(kFakeFd, static_cast<off_t>(kSize)))
      .WillOnce(SetErrnoAndReturn(EFBIG, -1));
  ExpectClosedOnce();
  ExpectUnlinkedOnce("/ipcproof-a");

  EXPECT_THAT(
      [] { ipc::PosixSharedMemory::Create("/ipcproof-a", kSize); },
      ThrowsSystemError(EFBIG, HasSubstr("ftruncate(/ipcproof-a, 256 bytes)")));
}

TEST_F(ShmUnitTest, PosixOpenPassesTheFlagsAndNeverUnlinks) {
  EXPECT_CALL(sys_, ShmOpen(StrEq("/ipcproof-b"), O_RDONLY, 0))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::PosixSharedMemory memory =
      ipc::PosixSharedMemory::Open("/ipcproof-b", O_RDONLY);
  EXPECT_FALSE(memory.owns_name());
  EXPECT_EQ(memory.fd(), kFakeFd);
}

TEST_F(ShmUnitTest, PosixOpenWithTruncPassesIt) {
  EXPECT_CALL(sys_, ShmOpen(StrEq("/ipcproof-b"), O_RDWR | O_TRUNC, 0))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::PosixSharedMemory::Open("/ipcproof-b", O_RDWR | O_TRUNC);
}

TEST_F(ShmUnitTest, PosixOpenFailureThrowsNamingShmOpenAndTheName) {
  EXPECT_CALL(sys_, ShmOpen(StrEq("/ipcproof-b"), O_RDWR, 0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));

  EXPECT_THAT([] { ipc::PosixSharedMemory::Open("/ipcproof-b"); },
              ThrowsSystemError(ENOENT, HasSubstr("shm_open(/ipcproof-b)")));
}

TEST_F(ShmUnitTest, PosixBadNamesAndFlagsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, ShmOpen).Times(0);
  EXPECT_CALL(sys_, ShmUnlink).Times(0);
  EXPECT_CALL(sys_, Ftruncate).Times(0);

  // shm_overview(7): "an initial slash, followed by one or more characters,
  // none of which are slashes", up to NAME_MAX characters in all.
  const std::string too_long = "/" + std::string(NAME_MAX, 'x');
  for (const std::string& name :
       {std::string(), std::string("/"), std::string("x"),
        std::string("ipcproof"), std::string("//x"), std::string("/a/b"),
        std::string("/a\0b", 4), too_long}) {
    EXPECT_THAT([&] { ipc::PosixSharedMemory::Create(name, kSize); },
                ThrowsInvalidArgument(HasSubstr("PosixSharedMemory name")))
        << name;
    EXPECT_THAT([&] { ipc::PosixSharedMemory::Open(name); },
                ThrowsInvalidArgument(HasSubstr("PosixSharedMemory name")))
        << name;
    EXPECT_THAT([&] { ipc::PosixSharedMemory::Unlink(name); },
                ThrowsInvalidArgument(HasSubstr("PosixSharedMemory name")))
        << name;
  }
  EXPECT_THAT([] { ipc::PosixSharedMemory::Create("/ok", kSize, 01600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  // ftruncate's length is an off_t.
  EXPECT_THAT(
      [] {
        ipc::PosixSharedMemory::Create(
            "/ok", static_cast<size_t>(std::numeric_limits<off_t>::max()) + 1);
      },
      ThrowsInvalidArgument(HasSubstr("largest off_t")));
  // shm_open(3): "exactly one of O_RDONLY or O_RDWR"; creating is Create's.
  EXPECT_THAT([] { ipc::PosixSharedMemory::Open("/ok", O_WRONLY); },
              ThrowsInvalidArgument(HasSubstr("O_RDONLY or O_RDWR")));
  EXPECT_THAT([] { ipc::PosixSharedMemory::Open("/ok", O_RDWR | O_CREAT); },
              ThrowsInvalidArgument(HasSubstr("only add O_TRUNC")));
  EXPECT_THAT([] { ipc::PosixSharedMemory::Open("/ok", O_RDONLY | O_TRUNC); },
              ThrowsInvalidArgument(HasSubstr("O_TRUNC needs O_RDWR")));
}

TEST_F(ShmUnitTest, PosixNameOfExactlyNameMaxCharactersIsAccepted) {
  // The boundary of the check above: "/" plus NAME_MAX - 1 characters.
  const std::string longest = "/" + std::string(NAME_MAX - 1, 'y');
  EXPECT_CALL(sys_, ShmOpen(StrEq(longest), O_RDWR, 0))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::PosixSharedMemory::Open(longest);
}

TEST_F(ShmUnitTest, PosixUnlinkNameUnlinksOnceAndTheDestructorOnlyCloses) {
  ipc::PosixSharedMemory memory = MakeNamed("/ipcproof-c");
  ExpectUnlinkedOnce("/ipcproof-c");
  memory.UnlinkName();
  EXPECT_FALSE(memory.owns_name());
  EXPECT_THAT([&] { memory.UnlinkName(); },
              ThrowsInvalidArgument(HasSubstr("not owned")));
  ExpectClosedOnce();
}

TEST_F(ShmUnitTest,
       PosixFailedUnlinkNameThrowsAndKeepsTheNameForTheDestructor) {
  InSequence order;
  ipc::PosixSharedMemory memory = MakeNamed("/ipcproof-c");
  EXPECT_CALL(sys_, ShmUnlink(StrEq("/ipcproof-c")))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));
  EXPECT_THAT([&] { memory.UnlinkName(); },
              ThrowsSystemError(EACCES, HasSubstr("shm_unlink(/ipcproof-c)")));
  EXPECT_TRUE(memory.owns_name());
  ExpectClosedOnce();
  ExpectUnlinkedOnce("/ipcproof-c");  // the destructor's attempt
}

TEST_F(ShmUnitTest, PosixReleasedNameIsNotUnlinkedButTheFdIsClosed) {
  ipc::PosixSharedMemory memory = MakeNamed("/ipcproof-c");
  memory.ReleaseName();
  EXPECT_FALSE(memory.owns_name());
  ExpectClosedOnce();
}

TEST_F(ShmUnitTest, PosixMovedFromObjectReleasesNothing) {
  ExpectClosedOnce();
  ExpectUnlinkedOnce("/ipcproof-d");

  ipc::PosixSharedMemory first = MakeNamed("/ipcproof-d");
  ipc::PosixSharedMemory second = std::move(first);
  EXPECT_FALSE(first.owns_name());
  EXPECT_EQ(first.fd(), -1);
  ipc::PosixSharedMemory third(std::move(second));
  EXPECT_EQ(third.name(), "/ipcproof-d");
  EXPECT_EQ(third.fd(), kFakeFd);
  EXPECT_THAT([&] { first.Resize(1); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
}

TEST_F(ShmUnitTest, PosixMoveAssignmentReleasesTheObjectItReplacesFirst) {
  InSequence order;
  ipc::PosixSharedMemory target = MakeNamed("/ipcproof-old", kOtherFd);
  ipc::PosixSharedMemory source = MakeNamed("/ipcproof-new", kFakeFd);
  ExpectClosedOnce(kOtherFd);
  ExpectUnlinkedOnce("/ipcproof-old");
  target = std::move(source);
  EXPECT_EQ(target.name(), "/ipcproof-new");
  ExpectClosedOnce(kFakeFd);
  ExpectUnlinkedOnce("/ipcproof-new");
}

TEST_F(ShmUnitTest, PosixResizeTruncatesAndNamesTheObjectOnFailure) {
  ipc::PosixSharedMemory memory = MakeNamed("/ipcproof-e");
  EXPECT_CALL(sys_, Ftruncate(kFakeFd, 1 << 20))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));
  memory.Resize(1 << 20);
  EXPECT_THAT([&] { memory.Resize(1 << 20); },
              ThrowsSystemError(
                  EPERM, HasSubstr("ftruncate(/ipcproof-e, 1048576 bytes)")));
  ExpectClosedOnce();
  ExpectUnlinkedOnce("/ipcproof-e");
}

TEST_F(ShmUnitTest, PosixStaticUnlinkCallsShmUnlinkAndReportsFailure) {
  EXPECT_CALL(sys_, ShmUnlink(StrEq("/ipcproof-f")))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));

  ipc::PosixSharedMemory::Unlink("/ipcproof-f");
  EXPECT_THAT([] { ipc::PosixSharedMemory::Unlink("/ipcproof-f"); },
              ThrowsSystemError(ENOENT, HasSubstr("shm_unlink(/ipcproof-f)")));
}

// ================================================================= memfd

TEST_F(ShmUnitTest, MemfdCreatePassesNameAndFlagsAndClosesOnce) {
  EXPECT_CALL(sys_,
              MemfdCreate(StrEq("ipcproof"), MFD_CLOEXEC | MFD_ALLOW_SEALING))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::Memfd memfd =
      ipc::Memfd::Create("ipcproof", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  EXPECT_EQ(memfd.fd(), kFakeFd);
}

TEST_F(ShmUnitTest, MemfdCreateTerminatesANameCutFromALongerString) {
  // A string_view need not end in NUL: the kernel must get "abc" only.
  EXPECT_CALL(sys_, MemfdCreate(StrEq("abc"), MFD_CLOEXEC))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  const std::string_view longer = "abcdef";
  ipc::Memfd::Create(longer.substr(0, 3));
}

TEST_F(ShmUnitTest, MemfdCreateFailureThrowsNamingTheCallNameAndFlags) {
  EXPECT_CALL(sys_, MemfdCreate(StrEq("m"), 0x4u))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  EXPECT_THAT([] { ipc::Memfd::Create("m", MFD_HUGETLB); },
              ThrowsSystemError(EINVAL, HasSubstr("memfd_create(m, 0x4)")));
}

TEST_F(ShmUnitTest, MemfdNameLimitIsCheckedBeforeTheCall) {
  // memfd_create(2): "The limit is 249 bytes, excluding the terminating
  // null byte"; a NUL inside would silently cut the name.
  const std::string longest(ipc::Memfd::kMaxNameLength, 'n');
  EXPECT_CALL(sys_, MemfdCreate(StrEq(longest), MFD_CLOEXEC))
      .WillOnce(Return(kFakeFd));
  ExpectClosedOnce();
  ipc::Memfd::Create(longest);

  EXPECT_THAT([&] { ipc::Memfd::Create(longest + "n"); },
              ThrowsInvalidArgument(HasSubstr("249 bytes")));
  EXPECT_THAT([] { ipc::Memfd::Create(std::string_view("a\0b", 3)); },
              ThrowsInvalidArgument(HasSubstr("NUL")));
}

TEST_F(ShmUnitTest, MemfdResizeAndSealsGoToFtruncateAndFcntl) {
  EXPECT_CALL(sys_, MemfdCreate(_, _)).WillOnce(Return(kFakeFd));
  ipc::Memfd memfd = ipc::Memfd::Create("m", MFD_ALLOW_SEALING);

  EXPECT_CALL(sys_, Ftruncate(kFakeFd, 4096)).WillOnce(Return(0));
  memfd.Resize(4096);
  EXPECT_CALL(fd_sys_, Fcntl(kFakeFd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
      .WillOnce(Return(0));
  memfd.AddSeals(F_SEAL_SHRINK | F_SEAL_GROW);
  EXPECT_CALL(fd_sys_, Fcntl(kFakeFd, F_GET_SEALS, 0))
      .WillOnce(Return(F_SEAL_SHRINK | F_SEAL_GROW));
  EXPECT_EQ(memfd.Seals(), F_SEAL_SHRINK | F_SEAL_GROW);
  ExpectClosedOnce();
}

TEST_F(ShmUnitTest, MemfdFailuresThrowNamingTheCall) {
  EXPECT_CALL(sys_, MemfdCreate(_, _)).WillOnce(Return(kFakeFd));
  ipc::Memfd memfd = ipc::Memfd::Create("m");

  // F_SEAL_GROW makes a larger ftruncate fail EPERM (memfd_create(2)).
  EXPECT_CALL(sys_, Ftruncate(kFakeFd, 8192))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));
  EXPECT_THAT([&] { memfd.Resize(8192); },
              ThrowsSystemError(EPERM, HasSubstr("ftruncate(memfd fd=1000, "
                                                 "8192 bytes)")));
  // Sealing a memfd made without MFD_ALLOW_SEALING: EPERM.
  EXPECT_CALL(fd_sys_, Fcntl(kFakeFd, F_ADD_SEALS, F_SEAL_WRITE))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));
  EXPECT_THAT([&] { memfd.AddSeals(F_SEAL_WRITE); },
              ThrowsSystemError(EPERM, HasSubstr("F_ADD_SEALS, 0x8")));
  EXPECT_CALL(fd_sys_, Fcntl(kFakeFd, F_GET_SEALS, 0))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_THAT([&] { memfd.Seals(); },
              ThrowsSystemError(EINVAL, HasSubstr("F_GET_SEALS")));
  ExpectClosedOnce();
}

TEST_F(ShmUnitTest, MovedFromMemfdClosesNothingAndRefusesCalls) {
  EXPECT_CALL(sys_, MemfdCreate(_, _)).WillOnce(Return(kFakeFd));
  ExpectClosedOnce();

  ipc::Memfd first = ipc::Memfd::Create("m");
  ipc::Memfd second = std::move(first);
  EXPECT_EQ(first.fd(), -1);
  EXPECT_EQ(second.fd(), kFakeFd);
  EXPECT_THAT([&] { first.Resize(1); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { first.AddSeals(F_SEAL_SEAL); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
  EXPECT_THAT([&] { first.Seals(); },
              ThrowsInvalidArgument(HasSubstr("moved from")));
}

// ======================================================== memory mapping

TEST_F(ShmUnitTest, AnonymousSharedMapsSharedAnonymousAndUnmapsOnce) {
  EXPECT_CALL(sys_, Mmap(IsNull(), kSize, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0))
      .WillOnce(Return(memory()));
  ExpectUnmappedOnce(memory());

  ipc::MemoryMapping mapping = ipc::MemoryMapping::AnonymousShared(kSize);
  EXPECT_TRUE(mapping.mapped());
  EXPECT_EQ(mapping.data(), memory());
  EXPECT_EQ(mapping.size(), kSize);
  EXPECT_EQ(mapping.bytes().size(), kSize);
}

TEST_F(ShmUnitTest, AnonymousPrivateMapsPrivateAnonymousWithTheProtection) {
  EXPECT_CALL(sys_, Mmap(IsNull(), kSize, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
      .WillOnce(Return(memory()));
  ExpectUnmappedOnce(memory());

  ipc::MemoryMapping::AnonymousPrivate(kSize, PROT_READ);
}

TEST_F(ShmUnitTest, MapOfAFilePassesTheDescriptorAndTheOffset) {
  const off_t page = ::sysconf(_SC_PAGESIZE);
  EXPECT_CALL(sys_, Mmap(IsNull(), kSize, PROT_READ | PROT_WRITE,
                         MAP_SHARED_VALIDATE | MAP_POPULATE, kFakeFd, 2 * page))
      .WillOnce(Return(memory()));
  ExpectUnmappedOnce(memory());

  ipc::MemoryMapping::Map(kSize, PROT_READ | PROT_WRITE,
                          MAP_SHARED_VALIDATE | MAP_POPULATE, kFakeFd,
                          2 * page);
}

TEST_F(ShmUnitTest, MapFailureThrowsNamingMmapAndItsArgumentsAndUnmapsNothing) {
  // mmap(2) returns MAP_FAILED ((void*)-1), not NULL, on failure.
  EXPECT_CALL(sys_, Mmap(IsNull(), kSize, PROT_READ, MAP_SHARED, kFakeFd, 0))
      .WillOnce(SetErrnoAndReturn(EACCES, MAP_FAILED));

  EXPECT_THAT(
      [] { ipc::MemoryMapping::Map(kSize, PROT_READ, MAP_SHARED, kFakeFd); },
      ThrowsSystemError(EACCES, HasSubstr("mmap(length=256, prot=0x1, "
                                          "flags=0x1, fd=1000, offset=0)")));
}

TEST_F(ShmUnitTest, MapBadArgumentsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, Mmap).Times(0);
  const off_t page = ::sysconf(_SC_PAGESIZE);
  constexpr int kRw = PROT_READ | PROT_WRITE;

  // mmap(2) EINVAL: "length was 0".
  EXPECT_THAT([] { ipc::MemoryMapping::AnonymousShared(0); },
              ThrowsInvalidArgument(HasSubstr("length must be positive")));
  // mmap(2) EINVAL: "flags contained none of MAP_PRIVATE, MAP_SHARED, or
  // MAP_SHARED_VALIDATE".
  EXPECT_THAT([] { ipc::MemoryMapping::Map(kSize, kRw, MAP_ANONYMOUS); },
              ThrowsInvalidArgument(HasSubstr("exactly one of")));
  EXPECT_THAT([] { ipc::MemoryMapping::Map(kSize, kRw, 0x04, kFakeFd); },
              ThrowsInvalidArgument(HasSubstr("exactly one of")));
  for (const int fixed : {MAP_FIXED, MAP_FIXED_NOREPLACE}) {
    EXPECT_THAT(
        [&] {
          ipc::MemoryMapping::Map(kSize, kRw,
                                  MAP_SHARED | MAP_ANONYMOUS | fixed);
        },
        ThrowsInvalidArgument(HasSubstr("MAP_FIXED")))
        << "flags " << fixed;
  }
  EXPECT_THAT(
      [] {
        ipc::MemoryMapping::Map(kSize, kRw, MAP_SHARED | MAP_ANONYMOUS,
                                kFakeFd);
      },
      ThrowsInvalidArgument(HasSubstr("fd -1 and offset 0")));
  EXPECT_THAT(
      [&] {
        ipc::MemoryMapping::Map(kSize, kRw, MAP_SHARED | MAP_ANONYMOUS, -1,
                                page);
      },
      ThrowsInvalidArgument(HasSubstr("fd -1 and offset 0")));
  EXPECT_THAT([] { ipc::MemoryMapping::Map(kSize, kRw, MAP_SHARED); },
              ThrowsInvalidArgument(HasSubstr("needs a descriptor")));
  // mmap(2): "offset must be a multiple of the page size".
  for (const off_t offset : {off_t{1}, page / 2, page + 1, -page}) {
    EXPECT_THAT(
        [&] {
          ipc::MemoryMapping::Map(kSize, kRw, MAP_SHARED, kFakeFd, offset);
        },
        ThrowsInvalidArgument(HasSubstr("multiple of the page size")))
        << "offset " << offset;
  }
}

TEST_F(ShmUnitTest, UnmapCallsMunmapOnceAndTheDestructorNothingMore) {
  ipc::MemoryMapping mapping = Mapped(memory());
  ExpectUnmappedOnce(memory());
  mapping.Unmap();
  EXPECT_FALSE(mapping.mapped());
  EXPECT_EQ(mapping.size(), 0u);
  EXPECT_THAT([&] { mapping.Unmap(); },
              ThrowsInvalidArgument(HasSubstr("nothing is mapped")));
}

TEST_F(ShmUnitTest, FailedUnmapThrowsAndStaysMappedForTheDestructor) {
  InSequence order;
  ipc::MemoryMapping mapping = Mapped(memory());
  EXPECT_CALL(sys_, Munmap(memory(), kSize))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_THAT([&] { mapping.Unmap(); },
              ThrowsSystemError(EINVAL, HasSubstr("munmap(256 bytes)")));
  EXPECT_TRUE(mapping.mapped());
  ExpectUnmappedOnce(memory());  // the destructor's attempt
}

TEST_F(ShmUnitTest, MovedFromMappingUnmapsNothing) {
  ExpectUnmappedOnce(memory());

  ipc::MemoryMapping first = Mapped(memory());
  ipc::MemoryMapping second = std::move(first);
  EXPECT_FALSE(first.mapped());
  EXPECT_EQ(first.size(), 0u);
  ipc::MemoryMapping third(std::move(second));
  EXPECT_EQ(third.data(), memory());
}

TEST_F(ShmUnitTest, MoveAssignmentUnmapsTheMappingItReplacesFirst) {
  InSequence order;
  ipc::MemoryMapping target = Mapped(other_memory());
  ipc::MemoryMapping source = Mapped(memory());
  ExpectUnmappedOnce(other_memory());
  target = std::move(source);
  EXPECT_EQ(target.data(), memory());
  ExpectUnmappedOnce(memory());
}

TEST_F(ShmUnitTest, ReleasedAndDefaultMappingsAreNotUnmapped) {
  ipc::MemoryMapping mapping = Mapped(memory());
  EXPECT_EQ(mapping.Release(), memory());
  EXPECT_FALSE(mapping.mapped());
  ipc::MemoryMapping none;
  EXPECT_FALSE(none.mapped());
}

TEST_F(ShmUnitTest, MappingAsChecksBoundsAndAlignment) {
  ipc::MemoryMapping mapping = Mapped(memory());
  ExpectUnmappedOnce(memory());

  EXPECT_EQ(mapping.As<std::uint64_t>(kSize - 8),
            static_cast<void*>(memory() + kSize - 8));
  EXPECT_THAT([&] { mapping.As<std::uint64_t>(kSize - 7); },
              ThrowsInvalidArgument(HasSubstr("does not fit")));
  // An offset near SIZE_MAX must not wrap around into "fits".
  EXPECT_THAT(
      [&] {
        mapping.As<std::uint64_t>(std::numeric_limits<size_t>::max() - 7);
      },
      ThrowsInvalidArgument(HasSubstr("does not fit")));
  EXPECT_THAT([&] { mapping.As<std::uint16_t>(1); },
              ThrowsInvalidArgument(HasSubstr("misaligned")));
  EXPECT_THAT([] { ipc::MemoryMapping().As<char>(); },
              ThrowsInvalidArgument(HasSubstr("nothing is mapped")));
}

// ====================================================== no allocation

// A seam with no gmock behind it (gmock allocates while matching): every
// call succeeds, handing out `memory` and counting the releases.
class SucceedingShm final : public ipc::ShmSyscalls {
 public:
  explicit SucceedingShm(std::byte* memory) : memory_(memory) {}
  int Shmget(key_t, size_t, int) override { return kFakeSegmentId; }
  void* Shmat(int, const void*, int) override { return memory_; }
  int Shmdt(const void*) override {
    ++detaches;
    return 0;
  }
  int Shmctl(int, int cmd, shmid_ds* buf) override {
    if (cmd == IPC_STAT) *buf = StatOfSize(kSize);
    if (cmd == IPC_RMID) ++removals;
    return 0;
  }
  int ShmOpen(const char*, int, mode_t) override { return -1; }
  int ShmUnlink(const char*) override { return -1; }
  int MemfdCreate(const char*, unsigned) override { return -1; }
  int Ftruncate(int, off_t) override { return -1; }
  void* Mmap(void*, size_t, int, int, int, off_t) override { return memory_; }
  int Munmap(void*, size_t) override {
    ++unmaps;
    return 0;
  }

  int detaches = 0;
  int removals = 0;
  int unmaps = 0;

 private:
  std::byte* memory_;
};

TEST(ShmAllocationTest, SysvAndMappingSuccessPathsAllocateNothing) {
  // Errors build strings; success must not: a test measuring a tight
  // attach/detach or map/unmap loop measures the kernel, not the heap.
  alignas(64) static std::byte memory[kSize];
  SucceedingShm fake(memory);
  ipc::ShmSyscalls::ScopedOverride override(fake);

  const long allocations = AllocationsIn(100, [] {
    ipc::SysvSharedMemory segment = ipc::SysvSharedMemory::Create(kSize);
    ipc::SysvAttachment kept = segment.Attach(SHM_RDONLY);
    ipc::SysvAttachment detached = segment.Attach();
    detached.Detach();
    ipc::MemoryMapping shared = ipc::MemoryMapping::AnonymousShared(kSize);
    ipc::MemoryMapping unmapped = ipc::MemoryMapping::AnonymousPrivate(kSize);
    unmapped.Unmap();
  });
  EXPECT_EQ(allocations, 0);
  // The fake answered for real: every object was released once per round.
  EXPECT_EQ(fake.removals, 100);
  EXPECT_EQ(fake.detaches, 200);
  EXPECT_EQ(fake.unmaps, 200);
}

// ================================================================== seam

TEST(ShmSeamTest, CurrentIsTheKernelUnlessOverriddenAndOverridesNest) {
  ipc::ShmSyscalls& kernel = ipc::ShmSyscalls::Kernel();
  EXPECT_EQ(&ipc::ShmSyscalls::Current(), &kernel);
  {
    ::testing::StrictMock<MockShmSyscalls> outer;
    ipc::ShmSyscalls::ScopedOverride first(outer);
    EXPECT_EQ(&ipc::ShmSyscalls::Current(), &outer);
    {
      ::testing::StrictMock<MockShmSyscalls> inner;
      ipc::ShmSyscalls::ScopedOverride second(inner);
      EXPECT_EQ(&ipc::ShmSyscalls::Current(), &inner);
    }
    EXPECT_EQ(&ipc::ShmSyscalls::Current(), &outer);
  }
  EXPECT_EQ(&ipc::ShmSyscalls::Current(), &kernel);
}

TEST(ShmSeamTest, TheKernelSeamReachesTheKernel) {
  // One real call through each kind of return convention, on arguments the
  // kernel must refuse: proof that Kernel() is wired to the real calls and
  // hands back their failure values (-1, (void*)-1, MAP_FAILED) and errno.
  ipc::ShmSyscalls& kernel = ipc::ShmSyscalls::Kernel();
  errno = 0;
  EXPECT_EQ(kernel.Shmctl(-1, IPC_STAT, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(kernel.Shmat(-1, nullptr, 0), kShmatFailed);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(
      kernel.Mmap(nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(kernel.Ftruncate(-1, 0), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace ipcproof::unit

// Fault injection into ipc::Fifo (ipc/fifo.h): arguments refused before
// mkfifo(3)/open(2), errors that name the path, EINTR on the blocking open
// of `man 7 fifo`, and the ownership rule — a node the object created is
// unlinked exactly once, a node it did not create never.
//
// Paths live under a directory that does not exist, so if a call ever
// escaped the mock the kernel would fail it instead of touching anything.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <utility>

#include "conformance/unit/mock_fd_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fifo.h"
#include "ipc/unique_fd.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::MockFunction;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;
using ::testing::StrEq;

constexpr char kPath[] = "/nonexistent-ipcproof-unit/fifo";
constexpr char kOtherPath[] = "/nonexistent-ipcproof-unit/other";

class FifoUnitTest : public MockedFdSyscallsTest {
 protected:
  // An owning Fifo whose mkfifo succeeded; the caller states the unlinks.
  ipc::Fifo MakeOwned(const char* path, mode_t mode = 0600) {
    EXPECT_CALL(sys_, Mkfifo(StrEq(path), mode)).WillOnce(Return(0));
    return ipc::Fifo::Create(path, mode);
  }
};

// ------------------------------------------------------------------ Create

struct BadCreate {
  const char* name;
  std::string path;
  mode_t mode;
};

class FifoCreateRejectsTest : public MockedFdSyscallsTest,
                              public ::testing::WithParamInterface<BadCreate> {
};

TEST_P(FifoCreateRejectsTest, BeforeAnySyscall) {
  // An empty path or one with a NUL cannot name the node the caller meant
  // (c_str() would cut it short); mode bits above 07777 are file-type bits
  // mkfifo does not take. StrictMock fails on any Mkfifo or Unlink.
  EXPECT_CALL(sys_, Mkfifo).Times(0);

  EXPECT_THAT([&] { ipc::Fifo::Create(GetParam().path, GetParam().mode); },
              ThrowsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(
    BadArguments, FifoCreateRejectsTest,
    ::testing::Values(BadCreate{"EmptyPath", "", 0600},
                      BadCreate{"NulInPath", std::string(kPath) + '\0' + "x",
                                0600},
                      BadCreate{"TrailingNul", std::string(kPath) + '\0', 0600},
                      BadCreate{"ModeAbove07777", kPath, 010000},
                      BadCreate{"ModeWithFileType", kPath, S_IFIFO | 0600}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(FifoUnitTest, CreatePassesPathAndModeAndUnlinksOnceAtTheEnd) {
  EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));

  ipc::Fifo fifo = MakeOwned(kPath, 07777);  // Every permission bit allowed.
  EXPECT_EQ(fifo.path(), kPath);
  EXPECT_TRUE(fifo.owns_node());
}

TEST_F(FifoUnitTest, CreateEexistThrowsNamingThePathAndUnlinksNothing) {
  // The node that exists is someone else's: a failed Create must not
  // remove it (StrictMock fails on any Unlink).
  EXPECT_CALL(sys_, Mkfifo(StrEq(kPath), 0600))
      .WillOnce(SetErrnoAndReturn(EEXIST, -1));

  EXPECT_THAT([&] { ipc::Fifo::Create(kPath); },
              ThrowsSystemError(
                  EEXIST, HasSubstr(std::string("mkfifo(") + kPath + ")")));
}

// --------------------------------------------------------------- Ownership

TEST_F(FifoUnitTest, MovedFromFifoDoesNotUnlink) {
  EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));

  ipc::Fifo original = MakeOwned(kPath);
  ipc::Fifo moved = std::move(original);
  EXPECT_FALSE(original.owns_node());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owns_node());
  EXPECT_EQ(moved.path(), kPath);
}

TEST_F(FifoUnitTest, MoveAssignmentUnlinksTheTargetsOwnNodeFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Unlink(StrEq(kOtherPath))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));
  }
  {
    ipc::Fifo source = MakeOwned(kPath);
    ipc::Fifo target = MakeOwned(kOtherPath);
    target = std::move(source);
    EXPECT_EQ(target.path(), kPath);
    checkpoint.Call("assigned");
  }
}

TEST_F(FifoUnitTest, SelfMoveAssignmentKeepsTheNode) {
  EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));

  ipc::Fifo fifo = MakeOwned(kPath);
  ipc::Fifo& alias = fifo;
  fifo = std::move(alias);
  EXPECT_TRUE(fifo.owns_node());
  EXPECT_EQ(fifo.path(), kPath);
}

TEST_F(FifoUnitTest, ExistingNeverUnlinks) {
  EXPECT_CALL(sys_, Unlink).Times(0);

  ipc::Fifo fifo = ipc::Fifo::Existing(kPath);
  EXPECT_FALSE(fifo.owns_node());
  ipc::Fifo moved = std::move(fifo);
  EXPECT_FALSE(moved.owns_node());
}

TEST_F(FifoUnitTest, AnExistingOnTheOwnersPathLeavesTheUnlinkToTheOwner) {
  // Two objects name one node; only the one that created it unlinks it, once,
  // whichever goes away first.
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(checkpoint, Call("borrower gone"));
    EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));
  }
  {
    ipc::Fifo owner = MakeOwned(kPath);
    {
      const ipc::Fifo borrower = ipc::Fifo::Existing(kPath);
      EXPECT_FALSE(borrower.owns_node());
    }
    checkpoint.Call("borrower gone");
  }
}

TEST_F(FifoUnitTest, MovingAnOwnerIntoAnExistingUnlinksOnlyTheOwnersNode) {
  // The target named another node it did not create: the assignment must
  // not unlink that one, and the owner's node goes when the target does.
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));
  }
  EXPECT_CALL(sys_, Unlink(StrEq(kOtherPath))).Times(0);
  {
    ipc::Fifo target = ipc::Fifo::Existing(kOtherPath);
    {
      ipc::Fifo created = MakeOwned(kPath);
      target = std::move(created);
    }
    EXPECT_TRUE(target.owns_node());
    EXPECT_EQ(target.path(), kPath);
    checkpoint.Call("assigned");
  }
}

TEST_F(FifoUnitTest, MovingAnExistingIntoAnOwnerUnlinksTheOwnersNodeThenNone) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
  }
  EXPECT_CALL(sys_, Unlink(StrEq(kOtherPath))).Times(0);
  {
    ipc::Fifo target = MakeOwned(kPath);
    target = ipc::Fifo::Existing(kOtherPath);
    EXPECT_FALSE(target.owns_node());
    EXPECT_EQ(target.path(), kOtherPath);
    checkpoint.Call("assigned");
  }
}

TEST_F(FifoUnitTest, ExistingRejectsBadPathsWithoutASyscall) {
  EXPECT_THAT([&] { ipc::Fifo::Existing(""); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::Fifo::Existing(std::string("a\0b", 3)); },
              ThrowsInvalidArgument());
}

TEST_F(FifoUnitTest, RemoveUnlinksNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Unlink(StrEq(kPath))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("removed"));
  }
  {
    ipc::Fifo fifo = MakeOwned(kPath);
    fifo.Remove();
    EXPECT_FALSE(fifo.owns_node());
    checkpoint.Call("removed");
  }
}

TEST_F(FifoUnitTest, RemoveOfANodeNotOwnedIsRefusedWithoutASyscall) {
  ipc::Fifo fifo = ipc::Fifo::Existing(kPath);

  EXPECT_THAT([&] { fifo.Remove(); }, ThrowsInvalidArgument());
}

TEST_F(FifoUnitTest, RemoveFailureThrowsNamingThePathAndKeepsOwnership) {
  // A failed unlink leaves the object owning the node, so the destructor
  // tries once more rather than leaking it.
  ipc::Fifo fifo = MakeOwned(kPath);
  EXPECT_CALL(sys_, Unlink(StrEq(kPath)))
      .WillOnce(SetErrnoAndReturn(EBUSY, -1))
      .WillOnce(Return(0));

  EXPECT_THAT([&] { fifo.Remove(); },
              ThrowsSystemError(
                  EBUSY, HasSubstr(std::string("unlink(") + kPath + ")")));
  EXPECT_TRUE(fifo.owns_node());
}

// -------------------------------------------------------------------- Open

class FifoOpenRejectsFlagsTest : public MockedFdSyscallsTest,
                                 public ::testing::WithParamInterface<int> {};

TEST_P(FifoOpenRejectsFlagsTest, BeforeAnySyscall) {
  // O_ACCMODE itself (3) is no access mode; O_CREAT/O_TRUNC/O_APPEND/... are
  // not what opening an existing FIFO needs. StrictMock fails on any Open.
  EXPECT_CALL(sys_, Open).Times(0);
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);

  EXPECT_THAT([&] { fifo.Open(GetParam()); }, ThrowsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(
    NotFifoOpenFlags, FifoOpenRejectsFlagsTest,
    ::testing::Values(O_ACCMODE, O_ACCMODE | O_NONBLOCK, O_RDONLY | O_CREAT,
                      O_WRONLY | O_TRUNC, O_WRONLY | O_APPEND,
                      O_RDONLY | O_DIRECTORY, O_RDWR | O_EXCL,
                      O_RDONLY | O_NOFOLLOW));

class FifoOpenPassesFlagsTest : public MockedFdSyscallsTest,
                                public ::testing::WithParamInterface<int> {};

TEST_P(FifoOpenPassesFlagsTest, ToOpenUnchangedAndOwnsTheResult) {
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);
  EXPECT_CALL(sys_, Open(StrEq(kPath), GetParam(), _))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));

  ipc::UniqueFd fd = fifo.Open(GetParam());
  EXPECT_EQ(fd.get(), kFakeFd);
}

INSTANTIATE_TEST_SUITE_P(FifoOpenFlags, FifoOpenPassesFlagsTest,
                         ::testing::Values(O_RDONLY, O_WRONLY, O_RDWR,
                                           O_RDONLY | O_NONBLOCK,
                                           O_WRONLY | O_NONBLOCK | O_CLOEXEC,
                                           O_RDWR | O_CLOEXEC));

TEST_F(FifoUnitTest, OpenForReadingAndWritingAddTheAccessMode) {
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);
  EXPECT_CALL(sys_, Open(StrEq(kPath), O_RDONLY | O_NONBLOCK, _))
      .WillOnce(Return(kFakeReadFd));
  EXPECT_CALL(sys_, Open(StrEq(kPath), O_WRONLY | O_CLOEXEC, _))
      .WillOnce(Return(kFakeWriteFd));
  EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
  EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));

  ipc::UniqueFd reader = fifo.OpenForReading(O_NONBLOCK);
  ipc::UniqueFd writer = fifo.OpenForWriting(O_CLOEXEC);
  EXPECT_EQ(reader.get(), kFakeReadFd);
  EXPECT_EQ(writer.get(), kFakeWriteFd);
}

TEST_F(FifoUnitTest, OpenForWritingRejectsAnAccessModeInExtraFlags) {
  // O_WRONLY | O_RDWR is O_ACCMODE, not "read-write".
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);

  EXPECT_THAT([&] { fifo.OpenForWriting(O_RDWR); }, ThrowsInvalidArgument());
}

TEST_F(FifoUnitTest, OpenRetriesAfterEintr) {
  // `man 7 fifo`: a blocking open waits for the other end; a signal
  // handler interrupts that wait with EINTR, and the open must go on.
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);
  EXPECT_CALL(sys_, Open(StrEq(kPath), O_RDONLY, _))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(kFakeFd));
  EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));

  ipc::UniqueFd fd = fifo.OpenForReading();
  EXPECT_EQ(fd.get(), kFakeFd);
}

TEST_F(FifoUnitTest, OpenFailureThrowsNamingThePath) {
  // `man 7 fifo`: O_WRONLY|O_NONBLOCK with no reader fails with ENXIO.
  const ipc::Fifo fifo = ipc::Fifo::Existing(kPath);
  EXPECT_CALL(sys_, Open(StrEq(kPath), O_WRONLY | O_NONBLOCK, _))
      .WillOnce(SetErrnoAndReturn(ENXIO, -1));

  EXPECT_THAT(
      [&] { fifo.OpenForWriting(O_NONBLOCK); },
      ThrowsSystemError(ENXIO, HasSubstr(std::string("open(") + kPath + ")")));
}

}  // namespace
}  // namespace ipcproof::unit

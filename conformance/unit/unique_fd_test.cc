// ipc::UniqueFd (ipc/unique_fd.h) through the mock: every owned descriptor
// is closed exactly once — by its last owner, never by a moved-from or
// released one — and a failing close(2) is neither retried nor thrown.
#include "ipc/unique_fd.h"

#include <errno.h>

#include <type_traits>
#include <utility>

#include "conformance/unit/mock_fd_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::unit {
namespace {

using ::testing::InSequence;
using ::testing::MockFunction;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;

using UniqueFdTest = MockedFdSyscallsTest;

// Moves happen in containers and during exception unwinding: they must not
// be able to throw.
static_assert(std::is_nothrow_move_constructible_v<ipc::UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<ipc::UniqueFd>);
static_assert(!std::is_copy_constructible_v<ipc::UniqueFd>);
static_assert(!std::is_copy_assignable_v<ipc::UniqueFd>);

TEST_F(UniqueFdTest, DefaultOwnsNothingAndClosesNothing) {
  // StrictMock: any Close fails the test.
  ipc::UniqueFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(static_cast<bool>(fd));
  EXPECT_EQ(fd.get(), -1);
}

TEST_F(UniqueFdTest, ClosesOnceWhenDestroyed) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(checkpoint, Call("before destruction"));
    EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));
  }
  {
    ipc::UniqueFd fd(kFakeFd);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), kFakeFd);
    checkpoint.Call("before destruction");
  }
}

TEST_F(UniqueFdTest, DescriptorZeroIsOwnedAndClosed) {
  // 0 is a valid descriptor (stdin may have been closed and reused).
  EXPECT_CALL(sys_, Close(0)).WillOnce(Return(0));

  ipc::UniqueFd fd(0);
  EXPECT_TRUE(fd.valid());
}

TEST_F(UniqueFdTest, MoveConstructionTransfersOwnership) {
  EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));

  ipc::UniqueFd source(kFakeFd);
  ipc::UniqueFd target(std::move(source));
  EXPECT_EQ(target.get(), kFakeFd);
  EXPECT_FALSE(source.valid());  // NOLINT(bugprone-use-after-move)
}

TEST_F(UniqueFdTest, MoveAssignmentClosesTheTargetsOldDescriptorFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
  }
  {
    ipc::UniqueFd source(kFakeReadFd);
    ipc::UniqueFd target(kFakeWriteFd);
    target = std::move(source);
    EXPECT_EQ(target.get(), kFakeReadFd);
    EXPECT_FALSE(source.valid());  // NOLINT(bugprone-use-after-move)
    checkpoint.Call("assigned");
  }
}

TEST_F(UniqueFdTest, SelfMoveAssignmentKeepsTheDescriptorOpen) {
  EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));

  ipc::UniqueFd fd(kFakeFd);
  ipc::UniqueFd& alias = fd;
  fd = std::move(alias);
  EXPECT_EQ(fd.get(), kFakeFd);
}

TEST_F(UniqueFdTest, ReleaseGivesUpOwnershipWithoutClosing) {
  // StrictMock: any Close fails the test.
  ipc::UniqueFd fd(kFakeFd);
  EXPECT_EQ(fd.Release(), kFakeFd);
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.Release(), -1);
}

TEST_F(UniqueFdTest, ResetClosesTheOldDescriptorAndOwnsTheNewOne) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("reset"));
    EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));
  }
  {
    ipc::UniqueFd fd(kFakeReadFd);
    fd.Reset(kFakeWriteFd);
    EXPECT_EQ(fd.get(), kFakeWriteFd);
    checkpoint.Call("reset");
  }
}

TEST_F(UniqueFdTest, ResetWithNoArgumentClosesAndOwnsNothing) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Close(kFakeFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("reset"));
  }
  {
    ipc::UniqueFd fd(kFakeFd);
    fd.Reset();
    EXPECT_FALSE(fd.valid());
    fd.Reset();  // Nothing owned: nothing to close.
    checkpoint.Call("reset");
  }
}

TEST_F(UniqueFdTest, FailingCloseIsNeitherRetriedNorThrown) {
  // `man 2 close`: on Linux the descriptor is released even when close
  // fails (EINTR included), so retrying could close a descriptor another
  // thread has just been given. Exactly one call, and no exception from a
  // destructor.
  EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(SetErrnoAndReturn(EIO, -1));

  EXPECT_NO_THROW({
    ipc::UniqueFd interrupted(kFakeReadFd);
    ipc::UniqueFd failed(kFakeWriteFd);
  });
}

}  // namespace
}  // namespace ipcproof::unit

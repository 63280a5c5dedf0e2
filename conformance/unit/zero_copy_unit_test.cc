// Unit tests of ipc/zero_copy.h through the ZeroCopySyscalls seam: argument
// checks before any call, what each form passes and reports, and the loops'
// handling of short transfers, end of input, EINTR and other errors. No
// call reaches the kernel.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>

#include <cstddef>
#include <vector>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_zero_copy_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/zero_copy.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;

constexpr int kIn = 1001;
constexpr int kOut = 1002;
constexpr size_t kTooLong = static_cast<size_t>(SSIZE_MAX) + 1;

using ZeroCopyTest = MockedZeroCopySyscallsTest;

TEST_F(ZeroCopyTest, SendFilePassesTheOffsetPointerAndReturnsTheCount) {
  off_t offset = 10;
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, &offset, 100)).WillOnce(Return(40));
  EXPECT_EQ(ipc::SendFile(kOut, kIn, &offset, 100), 40u);
}

TEST_F(ZeroCopyTest, SendFileWithoutOffsetPassesNull) {
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 7)).WillOnce(Return(7));
  EXPECT_EQ(ipc::SendFile(kOut, kIn, nullptr, 7), 7u);
}

TEST_F(ZeroCopyTest, SendFileFailureThrowsNamingTheCall) {
  EXPECT_CALL(sys_, Sendfile).WillRepeatedly(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_THAT([&] { ipc::SendFile(kOut, kIn, nullptr, 5); },
              ThrowsSystemError(EINVAL, HasSubstr("sendfile")));
}

// EINTR in a single call is the caller's to see: one call, no retry.
TEST_F(ZeroCopyTest, SendFileDoesNotRetryEintr) {
  EXPECT_CALL(sys_, Sendfile).WillOnce(SetErrnoAndReturn(EINTR, -1));
  EXPECT_THROW(ipc::SendFile(kOut, kIn, nullptr, 5), std::system_error);
}

TEST_F(ZeroCopyTest, TrySendFileReturnsWhatTheKernelReturned) {
  EXPECT_CALL(sys_, Sendfile).WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  errno = 0;
  EXPECT_EQ(ipc::TrySendFile(kOut, kIn, nullptr, 5), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(ZeroCopyTest, LengthAboveSsizeMaxIsRefusedBeforeAnyCall) {
  EXPECT_THAT([&] { ipc::SendFile(kOut, kIn, nullptr, kTooLong); },
              ThrowsInvalidArgument(HasSubstr("SSIZE_MAX")));
  EXPECT_THAT([&] { ipc::TrySendFile(kOut, kIn, nullptr, kTooLong); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::SendFileAll(kOut, kIn, nullptr, kTooLong); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::Splice(kIn, nullptr, kOut, nullptr, kTooLong); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::SpliceAll(kIn, nullptr, kOut, nullptr, kTooLong); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::Tee(kIn, kOut, kTooLong); }, ThrowsInvalidArgument());
}

// The loop asks for what is left each time and stops at 0 (end of input),
// returning the bytes moved: a file shorter than `count` ends it cleanly.
TEST_F(ZeroCopyTest, SendFileAllRepeatsShortTransfersAndStopsAtEof) {
  InSequence in_order;
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 100)).WillOnce(Return(30));
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 70)).WillOnce(Return(20));
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 50)).WillOnce(Return(0));
  EXPECT_EQ(ipc::SendFileAll(kOut, kIn, nullptr, 100), 50u);
}

TEST_F(ZeroCopyTest, SendFileAllStopsOnceCountMoved) {
  off_t offset = 0;
  InSequence in_order;
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, &offset, 10)).WillOnce(Return(6));
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, &offset, 4)).WillOnce(Return(4));
  EXPECT_EQ(ipc::SendFileAll(kOut, kIn, &offset, 10), 10u);
}

TEST_F(ZeroCopyTest, SendFileAllRetriesEintr) {
  InSequence in_order;
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 10))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(10));
  EXPECT_EQ(ipc::SendFileAll(kOut, kIn, nullptr, 10), 10u);
}

TEST_F(ZeroCopyTest, SendFileAllThrowsOtherErrorsSayingHowMuchMoved) {
  InSequence in_order;
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 10)).WillOnce(Return(3));
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 7))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  try {
    ipc::SendFileAll(kOut, kIn, nullptr, 10);
    ADD_FAILURE() << "SendFileAll did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EAGAIN);
    EXPECT_THAT(e.what(), HasSubstr("after 3 bytes"));
  }
}

TEST_F(ZeroCopyTest, SendFileAllRefusesACountAboveWhatWasAsked) {
  EXPECT_CALL(sys_, Sendfile(kOut, kIn, nullptr, 10)).WillOnce(Return(11));
  EXPECT_THROW(ipc::SendFileAll(kOut, kIn, nullptr, 10), std::system_error);
}

TEST_F(ZeroCopyTest, SendFileAllOfZeroBytesMakesNoCall) {
  EXPECT_EQ(ipc::SendFileAll(kOut, kIn, nullptr, 0), 0u);
}

TEST_F(ZeroCopyTest, SplicePassesOffsetsAndFlags) {
  loff_t in_offset = 4096;
  EXPECT_CALL(sys_, Splice(kIn, &in_offset, kOut, nullptr, 512,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK))
      .WillOnce(Return(512));
  EXPECT_EQ(ipc::Splice(kIn, &in_offset, kOut, nullptr, 512,
                        SPLICE_F_MOVE | SPLICE_F_NONBLOCK),
            512u);
}

TEST_F(ZeroCopyTest, SpliceEagainIsVisible) {
  EXPECT_CALL(sys_, Splice).WillOnce(SetErrnoAndReturn(EAGAIN, -1));
  EXPECT_THAT(
      [&] { ipc::Splice(kIn, nullptr, kOut, nullptr, 1, SPLICE_F_NONBLOCK); },
      ThrowsSystemError(EAGAIN, HasSubstr("splice")));
  EXPECT_CALL(sys_, Splice).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  errno = 0;
  EXPECT_EQ(ipc::TrySplice(kIn, nullptr, kOut, nullptr, 1), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST_F(ZeroCopyTest, UnknownFlagsAreRefusedBeforeAnyCall) {
  constexpr unsigned kUnknown = 0x100;
  EXPECT_THAT([&] { ipc::Splice(kIn, nullptr, kOut, nullptr, 1, kUnknown); },
              ThrowsInvalidArgument(HasSubstr("SPLICE_F_")));
  EXPECT_THAT([&] { ipc::TrySplice(kIn, nullptr, kOut, nullptr, 1, kUnknown); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::SpliceAll(kIn, nullptr, kOut, nullptr, 1, kUnknown); },
              ThrowsInvalidArgument());
  EXPECT_THAT([&] { ipc::Tee(kIn, kOut, 1, kUnknown); },
              ThrowsInvalidArgument());
  iovec one{nullptr, 0};
  EXPECT_THAT(
      [&] {
        ipc::VmSplice(kOut, {&one, 1}, kUnknown);
      },
      ThrowsInvalidArgument());
}

TEST_F(ZeroCopyTest, SpliceAllRepeatsShortTransfersRetriesEintrStopsAtEof) {
  InSequence in_order;
  EXPECT_CALL(sys_, Splice(kIn, nullptr, kOut, nullptr, 100, 0u))
      .WillOnce(Return(60));
  EXPECT_CALL(sys_, Splice(kIn, nullptr, kOut, nullptr, 40, 0u))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(0));
  EXPECT_EQ(ipc::SpliceAll(kIn, nullptr, kOut, nullptr, 100), 60u);
}

TEST_F(ZeroCopyTest, SpliceAllThrowsOnError) {
  EXPECT_CALL(sys_, Splice).WillOnce(SetErrnoAndReturn(ESPIPE, -1));
  EXPECT_THAT([&] { ipc::SpliceAll(kIn, nullptr, kOut, nullptr, 8); },
              ThrowsSystemError(ESPIPE, HasSubstr("after 0 bytes")));
}

TEST_F(ZeroCopyTest, TeePassesItsArgumentsAndReportsErrors) {
  EXPECT_CALL(sys_, Tee(kIn, kOut, 64, 0u)).WillOnce(Return(64));
  EXPECT_EQ(ipc::Tee(kIn, kOut, 64), 64u);
  EXPECT_CALL(sys_, Tee).WillOnce(SetErrnoAndReturn(EINVAL, -1));
  EXPECT_THAT([&] { ipc::Tee(kIn, kIn, 64); },
              ThrowsSystemError(EINVAL, HasSubstr("tee")));
}

TEST_F(ZeroCopyTest, VmSplicePassesTheIovecs) {
  char a[3], b[5];
  const iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_CALL(sys_, Vmsplice(kOut, iov, 2, SPLICE_F_GIFT)).WillOnce(Return(8));
  EXPECT_EQ(ipc::VmSplice(kOut, iov, SPLICE_F_GIFT), 8u);
}

TEST_F(ZeroCopyTest, VmSpliceRefusesNoIovecOrMoreThanIovMax) {
  EXPECT_THAT([&] { ipc::VmSplice(kOut, {}); },
              ThrowsInvalidArgument(HasSubstr("no iovec")));
  std::vector<iovec> many(IOV_MAX + 1, iovec{nullptr, 0});
  EXPECT_THAT([&] { ipc::TryVmSplice(kOut, many); },
              ThrowsInvalidArgument(HasSubstr("IOV_MAX")));
}

TEST_F(ZeroCopyTest, VmSpliceFailureThrowsNamingTheCall) {
  char a[1];
  const iovec iov{a, 1};
  EXPECT_CALL(sys_, Vmsplice).WillOnce(SetErrnoAndReturn(EBADF, -1));
  EXPECT_THAT(
      [&] {
        ipc::VmSplice(kOut, {&iov, 1});
      },
      ThrowsSystemError(EBADF, HasSubstr("vmsplice")));
}

// A seam that succeeds without gmock (whose bookkeeping allocates), to count
// the wrappers' own allocations.
class SucceedingZeroCopySyscalls : public ipc::ZeroCopySyscalls {
 public:
  ssize_t Sendfile(int, int, off_t*, size_t count) override {
    return Ok(count);
  }
  ssize_t Splice(int, loff_t*, int, loff_t*, size_t length, unsigned) override {
    return Ok(length);
  }
  ssize_t Tee(int, int, size_t length, unsigned) override { return Ok(length); }
  ssize_t Vmsplice(int, const iovec*, size_t count, unsigned) override {
    return Ok(count);
  }
  long calls() const { return calls_; }

 private:
  ssize_t Ok(size_t result) {
    ++calls_;
    return static_cast<ssize_t>(result);
  }
  long calls_ = 0;
};

// The Try forms allocate nothing with valid arguments: a forked child may
// call them. So do the loops on success.
TEST(ZeroCopyAllocationTest, TryFormsAndLoopsAllocateNothing) {
  SucceedingZeroCopySyscalls sys;
  ipc::ZeroCopySyscalls::ScopedOverride override(sys);
  char a[1];
  const iovec iov{a, 1};
  long failures = 0;
  const long allocations = AllocationsIn(10, [&] {
    failures += ipc::TrySendFile(kOut, kIn, nullptr, 1) != 1;
    failures += ipc::TrySplice(kIn, nullptr, kOut, nullptr, 1) != 1;
    failures += ipc::TryTee(kIn, kOut, 1) != 1;
    failures += ipc::TryVmSplice(kOut, {&iov, 1}) != 1;
    failures += ipc::SendFileAll(kOut, kIn, nullptr, 3) != 3;
    failures += ipc::SpliceAll(kIn, nullptr, kOut, nullptr, 3) != 3;
  });
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(sys.calls(), 10 * 6);
}

}  // namespace
}  // namespace ipcproof::unit

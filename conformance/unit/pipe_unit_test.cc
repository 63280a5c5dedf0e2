// Fault injection into ipc::Pipe (ipc/pipe.h): which flags reach pipe2(2),
// which arguments are refused before any call, what the errors say, how
// F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD and F_GETFL/F_SETFL are driven, and
// that each end is closed exactly once.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conformance/unit/mock_fd_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::MockFunction;
using ::testing::NotNull;
using ::testing::Return;
using ::testing::SetArrayArgument;
using ::testing::SetErrnoAndReturn;

constexpr int kFakeFds[2] = {kFakeReadFd, kFakeWriteFd};

// pipe2(2) succeeding with the two fake descriptors.
auto Pipe2Succeeds() {
  return DoAll(SetArrayArgument<0>(kFakeFds, kFakeFds + 2), Return(0));
}

class PipeUnitTest : public MockedFdSyscallsTest {
 protected:
  // A pipe on the fake descriptors; its destructor's close(2) calls are
  // expected here, so each test only states what it does in between.
  ipc::Pipe MakePipe() {
    EXPECT_CALL(sys_, Pipe2(NotNull(), 0)).WillOnce(Pipe2Succeeds());
    return ipc::Pipe::Create();
  }
  void ExpectBothEndsClosedOnce() {
    EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
    EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));
  }
};

// ------------------------------------------------------------------ Create

class PipeCreateRejectsFlagsTest : public MockedFdSyscallsTest,
                                   public ::testing::WithParamInterface<int> {};

TEST_P(PipeCreateRejectsFlagsTest, BeforeAnySyscall) {
  // `man 2 pipe`: pipe2 knows O_CLOEXEC, O_DIRECT, O_NONBLOCK (and
  // O_NOTIFICATION_PIPE, which the wrapper does not offer). Anything else is
  // the caller's mistake; StrictMock fails the test if pipe2 is reached.
  EXPECT_CALL(sys_, Pipe2).Times(0);

  EXPECT_THAT([&] { ipc::Pipe::Create(GetParam()); }, ThrowsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(NotPipe2Flags, PipeCreateRejectsFlagsTest,
                         ::testing::Values(O_APPEND, O_RDWR, O_WRONLY, O_TRUNC,
                                           O_CREAT, O_CLOEXEC | O_APPEND,
                                           O_NONBLOCK | O_DIRECT | O_SYNC, -1));

TEST_F(PipeUnitTest, CreateRejectionNamesTheWrapper) {
  EXPECT_THAT([&] { ipc::Pipe::Create(O_APPEND); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  HasSubstr("Pipe::Create")));
}

class PipeCreatePassesFlagsTest : public MockedFdSyscallsTest,
                                  public ::testing::WithParamInterface<int> {};

TEST_P(PipeCreatePassesFlagsTest, ToPipe2Unchanged) {
  EXPECT_CALL(sys_, Pipe2(NotNull(), GetParam())).WillOnce(Pipe2Succeeds());
  EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
  EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));

  ipc::Pipe pipe = ipc::Pipe::Create(GetParam());
  // pipe2 fills fds[0] with the read end and fds[1] with the write end.
  EXPECT_EQ(pipe.read_fd(), kFakeReadFd);
  EXPECT_EQ(pipe.write_fd(), kFakeWriteFd);
}

INSTANTIATE_TEST_SUITE_P(Pipe2Flags, PipeCreatePassesFlagsTest,
                         ::testing::Values(0, O_CLOEXEC, O_NONBLOCK, O_DIRECT,
                                           O_CLOEXEC | O_NONBLOCK | O_DIRECT));

TEST_F(PipeUnitTest, Pipe2FailureThrowsNamingPipe2AndClosesNothing) {
  // On failure pipe2 leaves fds[] unset: wrapping them would close whatever
  // garbage was there (StrictMock fails on any Close).
  EXPECT_CALL(sys_, Pipe2(NotNull(), O_CLOEXEC))
      .WillOnce(SetErrnoAndReturn(EMFILE, -1));

  EXPECT_THAT([&] { ipc::Pipe::Create(O_CLOEXEC); },
              ThrowsSystemError(EMFILE, HasSubstr("pipe2")));
}

// ---------------------------------------------------------------- Closing

TEST_F(PipeUnitTest, DestructorClosesEachEndOnce) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
}

TEST_F(PipeUnitTest, ClosingAnEndEarlyClosesItOnceAndTheOtherAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Close(kFakeWriteFd)).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("after CloseWriteEnd"));
    EXPECT_CALL(sys_, Close(kFakeReadFd)).WillOnce(Return(0));
  }
  {
    ipc::Pipe pipe = MakePipe();
    pipe.CloseWriteEnd();
    EXPECT_EQ(pipe.write_fd(), -1);
    pipe.CloseWriteEnd();  // Already closed: must not close again.
    checkpoint.Call("after CloseWriteEnd");
  }
}

TEST_F(PipeUnitTest, MovedPipeClosesEachEndOnce) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe original = MakePipe();
  ipc::Pipe moved = std::move(original);
  EXPECT_EQ(moved.read_fd(), kFakeReadFd);
  EXPECT_EQ(moved.write_fd(), kFakeWriteFd);
}

// -------------------------------------------------------- Capacity (F_GET)

TEST_F(PipeUnitTest, CapacityReturnsWhatFGetpipeSzSays) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETPIPE_SZ, _))
      .WillOnce(Return(1 << 20));

  EXPECT_EQ(pipe.Capacity(), size_t{1} << 20);
}

TEST_F(PipeUnitTest, CapacityUsesTheWriteEndOnceTheReadEndIsClosed) {
  // The capacity belongs to the pipe, so a writer that closed its unused
  // read end must still be able to ask.
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  EXPECT_CALL(sys_, Fcntl(kFakeWriteFd, F_GETPIPE_SZ, _))
      .WillOnce(Return(4096));

  EXPECT_EQ(pipe.Capacity(), 4096u);
}

TEST_F(PipeUnitTest, CapacityWithBothEndsClosedIsRefusedWithoutASyscall) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  EXPECT_CALL(sys_, Fcntl).Times(0);

  EXPECT_THAT([&] { pipe.Capacity(); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { pipe.SetCapacity(4096); }, ThrowsInvalidArgument());
}

TEST_F(PipeUnitTest, CapacityFailureThrowsNamingTheCall) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETPIPE_SZ, _))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));

  EXPECT_THAT([&] { pipe.Capacity(); },
              ThrowsSystemError(EBADF, HasSubstr("F_GETPIPE_SZ")));
}

// ---------------------------------------------------- BytesUnread (FIONREAD)

// An ioctl(2) stand-in that answers FIONREAD with `unread` bytes.
auto AnswersFionread(int unread) {
  return [unread](int, unsigned long, void* arg) {
    *static_cast<int*>(arg) = unread;
    return 0;
  };
}

TEST_F(PipeUnitTest, BytesUnreadAsksFionreadAndReturnsItsCount) {
  // ioctl_tty(2)/pipe(7): FIONREAD stores the unread byte count in the int
  // its argument points at.
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Ioctl(kFakeReadFd, FIONREAD, NotNull()))
      .WillOnce(AnswersFionread(12345));

  EXPECT_EQ(pipe.BytesUnread(), 12345u);
}

TEST_F(PipeUnitTest, BytesUnreadUsesTheWriteEndOnceTheReadEndIsClosed) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  EXPECT_CALL(sys_, Ioctl(kFakeWriteFd, FIONREAD, NotNull()))
      .WillOnce(AnswersFionread(7));

  EXPECT_EQ(pipe.BytesUnread(), 7u);
}

TEST_F(PipeUnitTest, BytesUnreadWithBothEndsClosedIsRefusedWithoutASyscall) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  EXPECT_CALL(sys_, Ioctl).Times(0);

  EXPECT_THAT([&] { pipe.BytesUnread(); }, ThrowsInvalidArgument());
}

TEST_F(PipeUnitTest, FreeBytesUnreadWorksOnAnyDescriptorAndThrowsNamingIoctl) {
  EXPECT_CALL(sys_, Ioctl(kFakeFd, FIONREAD, NotNull()))
      .WillOnce(AnswersFionread(0))
      .WillOnce(SetErrnoAndReturn(ENOTTY, -1));

  EXPECT_EQ(ipc::BytesUnread(kFakeFd), 0u);
  EXPECT_THAT([] { ipc::BytesUnread(kFakeFd); },
              ThrowsSystemError(ENOTTY, HasSubstr("ioctl(FIONREAD)")));
}

// ----------------------------------------------------- SetCapacity (F_SET)

class SetCapacityRejectsSizeTest
    : public PipeUnitTest,
      public ::testing::WithParamInterface<size_t> {};

TEST_P(SetCapacityRejectsSizeTest, BeforeTheCall) {
  // F_SETPIPE_SZ takes an int: 0 is meaningless and anything above INT_MAX
  // would be truncated into a different request.
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl).Times(0);

  EXPECT_THAT([&] { pipe.SetCapacity(GetParam()); }, ThrowsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(OutOfRange, SetCapacityRejectsSizeTest,
                         ::testing::Values(size_t{0},
                                           static_cast<size_t>(INT_MAX) + 1,
                                           // Truncates to 4096 as an int.
                                           (size_t{1} << 32) + 4096, SIZE_MAX));

TEST_F(PipeUnitTest, SetCapacityPassesTheSizeAndReturnsWhatTheKernelSet) {
  // `man 2 fcntl`: the kernel may round the size up; the result of the
  // call, not the request, is the capacity.
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_SETPIPE_SZ, 5000))
      .WillOnce(Return(8192));

  EXPECT_EQ(pipe.SetCapacity(5000), 8192u);
}

TEST_F(PipeUnitTest, SetCapacityAcceptsIntMax) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_SETPIPE_SZ, INT_MAX))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));

  EXPECT_THAT([&] { pipe.SetCapacity(INT_MAX); },
              ThrowsSystemError(EINVAL, HasSubstr("F_SETPIPE_SZ")));
}

TEST_F(PipeUnitTest, SetCapacityEpermThrowsNamingCallAndRequestedSize) {
  // Above /proc/sys/fs/pipe-max-size without CAP_SYS_RESOURCE: EPERM. The
  // message must say what was asked for.
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_SETPIPE_SZ, 2097152))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));

  EXPECT_THAT([&] { pipe.SetCapacity(2097152); },
              ThrowsSystemError(EPERM, AllOf(HasSubstr("F_SETPIPE_SZ"),
                                             HasSubstr("2097152"))));
}

// ---------------------------------------------------------- SetNonBlocking

TEST_F(PipeUnitTest, SetNonBlockingAddsONonblockToTheFlagsItRead) {
  // F_SETFL replaces all status flags, so they must be read first and only
  // O_NONBLOCK added (O_APPEND here stands for any other flag).
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  InSequence in_order;
  EXPECT_CALL(sys_, Fcntl(kFakeWriteFd, F_GETFL, _))
      .WillOnce(Return(O_WRONLY | O_APPEND));
  EXPECT_CALL(sys_,
              Fcntl(kFakeWriteFd, F_SETFL, O_WRONLY | O_APPEND | O_NONBLOCK))
      .WillOnce(Return(0));

  pipe.SetNonBlocking(/*read_end=*/false, /*enabled=*/true);
}

TEST_F(PipeUnitTest, SetNonBlockingSkipsFSetflWhenAlreadySet) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETFL, _))
      .WillOnce(Return(O_RDONLY | O_NONBLOCK));
  EXPECT_CALL(sys_, Fcntl(_, F_SETFL, _)).Times(0);

  pipe.SetNonBlocking(/*read_end=*/true, /*enabled=*/true);
}

TEST_F(PipeUnitTest, SetNonBlockingFalseClearsOnlyONonblock) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  InSequence in_order;
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETFL, _))
      .WillOnce(Return(O_RDONLY | O_NONBLOCK | O_APPEND));
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_SETFL, O_RDONLY | O_APPEND))
      .WillOnce(Return(0));

  pipe.SetNonBlocking(/*read_end=*/true, /*enabled=*/false);
}

TEST_F(PipeUnitTest, SetNonBlockingFalseSkipsFSetflWhenAlreadyClear) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeWriteFd, F_GETFL, _)).WillOnce(Return(O_WRONLY));
  EXPECT_CALL(sys_, Fcntl(_, F_SETFL, _)).Times(0);

  pipe.SetNonBlocking(/*read_end=*/false, /*enabled=*/false);
}

TEST_F(PipeUnitTest, SetNonBlockingGetflFailureThrowsAndSetsNothing) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETFL, _))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));
  EXPECT_CALL(sys_, Fcntl(_, F_SETFL, _)).Times(0);

  EXPECT_THAT([&] { pipe.SetNonBlocking(true, true); },
              ThrowsSystemError(EBADF, HasSubstr("F_GETFL")));
}

TEST_F(PipeUnitTest, SetNonBlockingSetflFailureThrowsNamingFSetfl) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  InSequence in_order;
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_GETFL, _)).WillOnce(Return(O_RDONLY));
  EXPECT_CALL(sys_, Fcntl(kFakeReadFd, F_SETFL, O_RDONLY | O_NONBLOCK))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));

  EXPECT_THAT([&] { pipe.SetNonBlocking(true, true); },
              ThrowsSystemError(EBADF, HasSubstr("F_SETFL")));
}

TEST_F(PipeUnitTest, SetNonBlockingOnAClosedEndIsRefusedWithoutASyscall) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  EXPECT_CALL(sys_, Fcntl).Times(0);

  EXPECT_THAT([&] { pipe.SetNonBlocking(/*read_end=*/true, true); },
              ThrowsInvalidArgument());
}

TEST_F(PipeUnitTest, FreeSetNonBlockingWorksOnAnyDescriptor) {
  InSequence in_order;
  EXPECT_CALL(sys_, Fcntl(kFakeFd, F_GETFL, _)).WillOnce(Return(O_RDWR));
  EXPECT_CALL(sys_, Fcntl(kFakeFd, F_SETFL, O_RDWR | O_NONBLOCK))
      .WillOnce(Return(0));

  ipc::SetNonBlocking(kFakeFd, true);
}

// ------------------------------------------------------------ Read / Write

TEST_F(PipeUnitTest, WriteGoesToTheWriteEndAndReadToTheReadEnd) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  const auto data = ipc::AsBytes("xyz");
  std::vector<std::byte> buffer(3);
  EXPECT_CALL(sys_, Write(kFakeWriteFd, _, 3)).WillOnce(Return(3));
  EXPECT_CALL(sys_, Read(kFakeReadFd, _, 3)).WillOnce(Return(3));

  EXPECT_EQ(pipe.Write(data), 3u);
  EXPECT_EQ(pipe.Read(buffer), 3u);
}

TEST_F(PipeUnitTest, WriteAllAndReadExactLoopOnTheirEnds) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  std::vector<std::byte> buffer(6);
  EXPECT_CALL(sys_, Write(kFakeWriteFd, _, 6)).WillOnce(Return(2));
  EXPECT_CALL(sys_, Write(kFakeWriteFd, _, 4)).WillOnce(Return(4));
  EXPECT_CALL(sys_, Read(kFakeReadFd, _, 6)).WillOnce(Return(5));
  EXPECT_CALL(sys_, Read(kFakeReadFd, _, 1)).WillOnce(Return(1));

  pipe.WriteAll("abcdef");
  pipe.ReadExact(buffer);
}

TEST_F(PipeUnitTest, ReadAndWriteOnAClosedEndAreRefusedWithoutASyscall) {
  ExpectBothEndsClosedOnce();
  ipc::Pipe pipe = MakePipe();
  pipe.CloseReadEnd();
  pipe.CloseWriteEnd();
  std::vector<std::byte> buffer(4);
  EXPECT_CALL(sys_, Read).Times(0);
  EXPECT_CALL(sys_, Write).Times(0);

  EXPECT_THAT([&] { pipe.Write(ipc::AsBytes("x")); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { pipe.WriteAll("x"); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { pipe.Read(buffer); }, ThrowsInvalidArgument());
  EXPECT_THAT([&] { pipe.ReadExact(buffer); }, ThrowsInvalidArgument());
}

}  // namespace
}  // namespace ipcproof::unit

// Fault injection into ipc/io.h: what ReadSome/WriteSome/WriteAll/ReadExact/
// ReadUntilEof do with the results read(2) and write(2) may legally give —
// EINTR (`man 7 signal`: "interrupted by a signal handler"), short counts
// (`man 2 write`: "the number of bytes written may be less than count"),
// 0 at end of file, and errors — without needing a kernel to produce them.
#include "ipc/io.h"

#include <errno.h>
#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "conformance/unit/mock_fd_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Property;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;
using ::testing::Throws;

constexpr std::string_view kText = "abcdefghijklmnopqrstuvwxyz0123";  // 30

std::span<const std::byte> Bytes() { return ipc::AsBytes(kText); }

// The address `offset` bytes into `data`, as write(2) would receive it.
const void* At(std::span<const std::byte> data, size_t offset) {
  return data.data() + offset;
}
void* At(std::span<std::byte> buffer, size_t offset) {
  return buffer.data() + offset;
}

// A read(2) stand-in that copies `chunk` into the caller's buffer and
// returns its length (the caller's count is matched separately).
auto Deliver(std::string_view chunk) {
  return [chunk](int, void* buf, size_t count) -> ssize_t {
    const size_t n = std::min(count, chunk.size());
    std::memcpy(buf, chunk.data(), n);
    return static_cast<ssize_t>(n);
  };
}

std::string AsString(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// ---------------------------------------------------------------- WriteAll

using WriteAllTest = MockedFdSyscallsTest;

TEST_F(WriteAllTest, RetriesTheSameRequestAfterEintr) {
  const auto data = Bytes();
  InSequence in_order;
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(30));

  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, data));
}

TEST_F(WriteAllTest, ContinuesAfterShortWritesFromWhereTheLastOneStopped) {
  // `man 2 write`: a write may transfer fewer bytes than asked; the rest
  // must be sent from the first unwritten byte, with the remaining count.
  const auto data = Bytes();
  InSequence in_order;
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30)).WillOnce(Return(10));
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 10), 20)).WillOnce(Return(5));
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 15), 15)).WillOnce(Return(15));

  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, data));
}

TEST_F(WriteAllTest, EintrAfterProgressResumesAtTheSameOffset) {
  const auto data = Bytes();
  InSequence in_order;
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30)).WillOnce(Return(10));
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 10), 20))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(20));

  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, data));
}

TEST_F(WriteAllTest, EagainThrowsNamingWriteTheFdAndBytesAlreadyWritten) {
  // A non-blocking pipe that fills up: the caller needs to know that 10
  // bytes did go out, since they cannot be taken back.
  const auto data = Bytes();
  InSequence in_order;
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30)).WillOnce(Return(10));
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 10), 20))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT(
      [&] { ipc::WriteAll(kFakeFd, data); },
      ThrowsSystemError(EAGAIN, AllOf(HasSubstr("write"), HasSubstr("fd=1000"),
                                      HasSubstr("after 10 of 30 bytes"))));
}

TEST_F(WriteAllTest, ErrorBeforeAnyByteReportsZeroWritten) {
  const auto data = Bytes();
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30))
      .WillOnce(SetErrnoAndReturn(EPIPE, -1));

  EXPECT_THAT([&] { ipc::WriteAll(kFakeFd, data); },
              ThrowsSystemError(EPIPE, HasSubstr("after 0 of 30 bytes")));
}

TEST_F(WriteAllTest, ErrorCodeIsErrnoInTheSystemCategory) {
  // The portable comparison callers will write must hold too.
  const auto data = Bytes();
  EXPECT_CALL(sys_, Write(kFakeFd, _, _))
      .WillOnce(SetErrnoAndReturn(EPIPE, -1));

  try {
    ipc::WriteAll(kFakeFd, data);
    FAIL() << "WriteAll did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(EPIPE, std::system_category()));
    EXPECT_EQ(e.code().value(), EPIPE);
    EXPECT_EQ(&e.code().category(), &std::system_category());
    EXPECT_TRUE(e.code() == std::errc::broken_pipe);
  }
}

TEST_F(WriteAllTest, WriteReturningZeroThrowsInsteadOfLoopingForever) {
  // write(2) returning 0 for a non-empty request makes no progress; retrying
  // would spin. If WriteAll did retry, the second expectation answers ELOOP
  // so the test fails on the error code instead of hanging.
  const auto data = Bytes();
  InSequence in_order;
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30)).WillOnce(Return(10));
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 10), 20))
      .WillOnce(Return(0))
      .WillRepeatedly(SetErrnoAndReturn(ELOOP, -1));

  EXPECT_THAT([&] { ipc::WriteAll(kFakeFd, data); },
              ThrowsSystemError(EIO, AllOf(HasSubstr("write"),
                                           HasSubstr("after 10 of 30 bytes"))));
}

TEST_F(WriteAllTest, EmptyDataMakesNoSyscall) {
  // write(fd, p, 0) on a pipe returns 0, which a loop would take as "no
  // progress"; there is nothing to send, so nothing must be called.
  EXPECT_CALL(sys_, Write).Times(0);

  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, std::span<const std::byte>()));
  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, std::string_view()));
  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, ""));
}

TEST_F(WriteAllTest, TextOverloadWritesTheTextsOwnBytes) {
  const std::string text = "hello";
  EXPECT_CALL(sys_, Write(kFakeFd, static_cast<const void*>(text.data()), 5))
      .WillOnce(Return(5));

  EXPECT_NO_THROW(ipc::WriteAll(kFakeFd, std::string_view(text)));
}

// --------------------------------------------------------------- WriteSome

using WriteSomeTest = MockedFdSyscallsTest;

TEST_F(WriteSomeTest, RetriesAfterEintr) {
  const auto data = Bytes();
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(30));

  EXPECT_EQ(ipc::WriteSome(kFakeFd, data), 30u);
}

TEST_F(WriteSomeTest, ReturnsAShortCountAfterASingleCall) {
  // WriteSome is one write(2): a short count is the caller's to handle.
  const auto data = Bytes();
  EXPECT_CALL(sys_, Write(kFakeFd, At(data, 0), 30)).WillOnce(Return(4));

  EXPECT_EQ(ipc::WriteSome(kFakeFd, data), 4u);
}

TEST_F(WriteSomeTest, ErrorThrowsNamingWriteAndFd) {
  const auto data = Bytes();
  EXPECT_CALL(sys_, Write(kFakeFd, _, _))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT([&] { ipc::WriteSome(kFakeFd, data); },
              ThrowsSystemError(EAGAIN, HasSubstr("write(fd=1000)")));
}

// ---------------------------------------------------------------- ReadSome

using ReadSomeTest = MockedFdSyscallsTest;

TEST_F(ReadSomeTest, RetriesAfterEintr) {
  std::vector<std::byte> buffer(16);
  EXPECT_CALL(sys_, Read(kFakeFd, At(std::span(buffer), 0), 16))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver("abcdefg"));

  EXPECT_EQ(ipc::ReadSome(kFakeFd, buffer), 7u);
  EXPECT_EQ(AsString(std::span(buffer).first(7)), "abcdefg");
}

TEST_F(ReadSomeTest, ReturnsAShortCountAfterASingleCall) {
  // `man 7 pipe`: a read returns what is available; ReadSome must not wait
  // for more.
  std::vector<std::byte> buffer(16);
  EXPECT_CALL(sys_, Read(kFakeFd, At(std::span(buffer), 0), 16))
      .WillOnce(Deliver("abc"));

  EXPECT_EQ(ipc::ReadSome(kFakeFd, buffer), 3u);
}

TEST_F(ReadSomeTest, ReturnsZeroAtEndOfFile) {
  std::vector<std::byte> buffer(16);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 16)).WillOnce(Return(0));

  EXPECT_EQ(ipc::ReadSome(kFakeFd, buffer), 0u);
}

TEST_F(ReadSomeTest, EagainThrowsNamingReadAndFd) {
  std::vector<std::byte> buffer(16);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 16))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT([&] { ipc::ReadSome(kFakeFd, buffer); },
              ThrowsSystemError(EAGAIN, HasSubstr("read(fd=1000)")));
}

// --------------------------------------------------------------- ReadExact

using ReadExactTest = MockedFdSyscallsTest;

TEST_F(ReadExactTest, AccumulatesShortReadsAtTheRightOffsets) {
  std::vector<std::byte> buffer(30);
  const std::span<std::byte> b(buffer);
  InSequence in_order;
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 0), 30))
      .WillOnce(Deliver(kText.substr(0, 10)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 10), 20))
      .WillOnce(Deliver(kText.substr(10, 5)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 15), 15))
      .WillOnce(Deliver(kText.substr(15)));

  ASSERT_NO_THROW(ipc::ReadExact(kFakeFd, b));
  EXPECT_THAT(buffer, ElementsAreArray(Bytes()));
}

TEST_F(ReadExactTest, RetriesAfterEintrAtTheSameOffset) {
  std::vector<std::byte> buffer(30);
  const std::span<std::byte> b(buffer);
  InSequence in_order;
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 0), 30))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(kText.substr(0, 12)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 12), 18))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(kText.substr(12)));

  ASSERT_NO_THROW(ipc::ReadExact(kFakeFd, b));
  EXPECT_THAT(buffer, ElementsAreArray(Bytes()));
}

TEST_F(ReadExactTest, EarlyEndOfFileThrowsWithTheBytesRead) {
  std::vector<std::byte> buffer(30);
  const std::span<std::byte> b(buffer);
  InSequence in_order;
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 0), 30))
      .WillOnce(Deliver(kText.substr(0, 10)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 10), 20)).WillOnce(Return(0));

  EXPECT_THAT(
      [&] { ipc::ReadExact(kFakeFd, b); },
      Throws<ipc::UnexpectedEndOfFile>(AllOf(
          Property("bytes_read", &ipc::UnexpectedEndOfFile::bytes_read, 10u),
          Property("what", &ipc::UnexpectedEndOfFile::what,
                   HasSubstr("after 10 of 30 bytes")))));
}

TEST_F(ReadExactTest, EndOfFileBeforeAnyByteThrowsWithZeroRead) {
  std::vector<std::byte> buffer(30);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 30)).WillOnce(Return(0));

  EXPECT_THAT([&] { ipc::ReadExact(kFakeFd, buffer); },
              Throws<ipc::UnexpectedEndOfFile>(Property(
                  "bytes_read", &ipc::UnexpectedEndOfFile::bytes_read, 0u)));
}

TEST_F(ReadExactTest, UnexpectedEndOfFileIsARuntimeErrorNotASystemError) {
  // End of file is not an errno: callers catching std::system_error for
  // kernel failures must not swallow it.
  std::vector<std::byte> buffer(4);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 4)).WillOnce(Return(0));

  try {
    ipc::ReadExact(kFakeFd, buffer);
    FAIL() << "ReadExact did not throw";
  } catch (const std::system_error&) {
    FAIL() << "end of file reported as std::system_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(dynamic_cast<const ipc::UnexpectedEndOfFile*>(&e), nullptr);
  }
}

TEST_F(ReadExactTest, ErrorThrowsNamingReadFdAndBytesRead) {
  std::vector<std::byte> buffer(30);
  const std::span<std::byte> b(buffer);
  InSequence in_order;
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 0), 30))
      .WillOnce(Deliver(kText.substr(0, 10)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 10), 20))
      .WillOnce(SetErrnoAndReturn(EIO, -1));

  EXPECT_THAT(
      [&] { ipc::ReadExact(kFakeFd, b); },
      ThrowsSystemError(EIO, AllOf(HasSubstr("read"), HasSubstr("fd=1000"),
                                   HasSubstr("after 10 of 30 bytes"))));
}

TEST_F(ReadExactTest, EmptyBufferMakesNoSyscall) {
  EXPECT_CALL(sys_, Read).Times(0);

  EXPECT_NO_THROW(ipc::ReadExact(kFakeFd, std::span<std::byte>()));
}

// ------------------------------------------------------------ ReadUntilEof

using ReadUntilEofTest = MockedFdSyscallsTest;

TEST_F(ReadUntilEofTest, ReturnsTheCountReadBeforeEndOfFile) {
  std::vector<std::byte> buffer(30);
  const std::span<std::byte> b(buffer);
  InSequence in_order;
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 0), 30))
      .WillOnce(Deliver(kText.substr(0, 10)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 10), 20))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(kText.substr(10, 5)));
  EXPECT_CALL(sys_, Read(kFakeFd, At(b, 15), 15)).WillOnce(Return(0));

  EXPECT_EQ(ipc::ReadUntilEof(kFakeFd, b), 15u);
  EXPECT_EQ(AsString(b.first(15)), kText.substr(0, 15));
}

TEST_F(ReadUntilEofTest, StopsWhenTheBufferIsFullWithoutAnotherRead) {
  // A full buffer is the other way out of the loop: one more read(2) could
  // block forever on a pipe whose writer is still open.
  std::vector<std::byte> buffer(8);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 8)).WillOnce(Deliver("12345678"));

  EXPECT_EQ(ipc::ReadUntilEof(kFakeFd, buffer), 8u);
}

TEST_F(ReadUntilEofTest, ErrorThrowsNamingRead) {
  std::vector<std::byte> buffer(8);
  EXPECT_CALL(sys_, Read(kFakeFd, _, 8)).WillOnce(SetErrnoAndReturn(EBADF, -1));

  EXPECT_THAT([&] { ipc::ReadUntilEof(kFakeFd, buffer); },
              ThrowsSystemError(EBADF, AllOf(HasSubstr("read(fd=1000)"),
                                             HasSubstr("after 0 of 8 bytes"))));
}

}  // namespace
}  // namespace ipcproof::unit

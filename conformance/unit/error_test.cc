// ipc/error.h: the two error conventions every wrapper relies on. A failed
// call is std::system_error with code std::error_code(errno,
// std::system_category()) — so `e.code() == std::errc::broken_pipe` works —
// and a what() that starts with the call; a bad argument is
// std::invalid_argument "<where>: <why>".
#include "ipc/error.h"

#include <errno.h>

#include <stdexcept>
#include <string>
#include <system_error>

#include "conformance/unit/mock_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::unit {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ErrorTest, ThrowSystemErrorCarriesTheErrnoInTheSystemCategory) {
  try {
    ipc::ThrowSystemError(EAGAIN, "write(fd=3)");
    FAIL() << "did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(EAGAIN, std::system_category()));
    EXPECT_TRUE(e.code() == std::errc::resource_unavailable_try_again);
    // The context comes first, then the strerror text.
    EXPECT_THAT(e.what(), StartsWith("write(fd=3)"));
    EXPECT_THAT(e.what(), HasSubstr(std::system_category().message(EAGAIN)));
  }
}

TEST(ErrorTest, ThrowErrnoReadsTheCurrentErrno) {
  errno = EMFILE;
  EXPECT_THAT([] { ipc::ThrowErrno("pipe2"); },
              ThrowsSystemError(EMFILE, StartsWith("pipe2")));
  errno = ENXIO;
  EXPECT_THAT([] { ipc::ThrowErrno("open(/x)"); },
              ThrowsSystemError(ENXIO, StartsWith("open(/x)")));
}

TEST(ErrorTest, ThrowInvalidArgumentSaysWhereAndWhy) {
  EXPECT_THAT([] { ipc::ThrowInvalidArgument("Pipe::Create", "bad flags"); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  ::testing::StrEq("Pipe::Create: bad flags")));
}

TEST(ErrorTest, CheckArgumentThrowsOnlyWhenFalse) {
  EXPECT_NO_THROW(ipc::CheckArgument(true, "f", "never"));
  EXPECT_THAT([] { ipc::CheckArgument(false, "f", "why"); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  ::testing::StrEq("f: why")));
}

TEST(ErrorTest, InvalidArgumentIsNotASystemError) {
  // Callers that catch std::system_error for kernel failures must not
  // swallow a programming error.
  try {
    ipc::CheckArgument(false, "f", "why");
    FAIL() << "did not throw";
  } catch (const std::system_error&) {
    FAIL() << "invalid argument thrown as std::system_error";
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace
}  // namespace ipcproof::unit

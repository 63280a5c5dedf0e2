// Matchers for libc-style return values (-1 and errno on failure) that read
// like the man page and name the errno when they fail. As gVisor's, they
// take a plain value or another matcher, so one assertion states the rule:
//
//   ASSERT_THAT(pipe2(fds, 0), SyscallSucceeds());
//   EXPECT_THAT(read(fd, buf, 4), SyscallSucceedsWithValue(4));
//   EXPECT_THAT(fcntl(fd, F_GETPIPE_SZ), SyscallSucceedsWithValue(Gt(4096)));
//   EXPECT_THAT(write(fd, "x", 1), SyscallFailsWithErrno(EPIPE));
//   EXPECT_THAT(open(path, O_RDONLY),
//               SyscallFailsWithErrno(AnyOf(EACCES, ENOTDIR)));
//
// A mismatch says what the call did: "failed with EBADF (Bad file
// descriptor)", "returned 3", "succeeded, returning 0".
//
// errno is read when the matcher runs, right after the call: keep the call
// inside EXPECT_THAT so nothing in between can change errno. The matchers
// put errno back as they found it (gtest runs a failed matcher twice, the
// second time to explain it).
#ifndef CONFORMANCE_KIT_MATCHERS_H_
#define CONFORMANCE_KIT_MATCHERS_H_

#include <cerrno>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "conformance/kit/errno_name.h"
#include "gmock/gmock.h"

namespace ipcproof {
namespace matchers_internal {

template <typename T>
using Bare = std::remove_cv_t<std::remove_reference_t<T>>;

template <typename T>
constexpr void RequireSyscallResult() {
  static_assert(std::is_integral_v<Bare<T>>,
                "syscall matchers take an integer result, -1 on failure");
}

// Restores errno when it goes out of scope.
class ErrnoKeeper {
 public:
  ErrnoKeeper() : saved_(errno) {}
  ~ErrnoKeeper() { errno = saved_; }
  ErrnoKeeper(const ErrnoKeeper&) = delete;
  ErrnoKeeper& operator=(const ErrnoKeeper&) = delete;
  int saved() const { return saved_; }

 private:
  int saved_;
};

// A plain value stands for "equal to it" (converted to the call's result
// type, so SyscallSucceedsWithValue(sizeof buf) matches a ssize_t); anything
// else must be a matcher.
template <typename Arg, typename M>
::testing::Matcher<Arg> ToMatcher(const M& value_or_matcher) {
  if constexpr (std::is_arithmetic_v<M>) {
    return ::testing::Eq(static_cast<Arg>(value_or_matcher));
  } else {
    return ::testing::MatcherCast<Arg>(value_or_matcher);
  }
}

// "EPIPE (Broken pipe)" or "EACCES (Permission denied) or ENOTDIR (Not a
// directory)" when `m` accepts one to four named errnos; otherwise "an
// errno that " and m's own description.
std::string DescribeErrnoSet(const ::testing::Matcher<int>& m);

class SucceedsMatcher {
 public:
  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT(runtime/explicit)
    RequireSyscallResult<T>();
    return ::testing::MakeMatcher(new Impl<T>());
  }

 private:
  template <typename T>
  class Impl : public ::testing::MatcherInterface<T> {
   public:
    bool MatchAndExplain(
        T result, ::testing::MatchResultListener* listener) const override {
      const ErrnoKeeper err;
      if (result != -1) return true;
      if (listener->IsInterested()) {
        *listener << "failed with " << ErrnoName(err.saved());
      }
      return false;
    }
    void DescribeTo(std::ostream* os) const override { *os << "succeeds"; }
    void DescribeNegationTo(std::ostream* os) const override { *os << "fails"; }
  };
};

template <typename M>
class SucceedsWithValueMatcher {
 public:
  explicit SucceedsWithValueMatcher(M value) : value_(std::move(value)) {}

  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT(runtime/explicit)
    RequireSyscallResult<T>();
    using Arg = Bare<T>;
    std::string plain;
    if constexpr (std::is_arithmetic_v<M>) {
      plain = ::testing::PrintToString(static_cast<Arg>(value_));
    }
    return ::testing::MakeMatcher(
        new Impl<T>(ToMatcher<Arg>(value_), std::move(plain)));
  }

 private:
  template <typename T>
  class Impl : public ::testing::MatcherInterface<T> {
   public:
    Impl(::testing::Matcher<Bare<T>> value, std::string plain)
        : value_(std::move(value)), plain_(std::move(plain)) {}

    bool MatchAndExplain(
        T result, ::testing::MatchResultListener* listener) const override {
      const ErrnoKeeper err;
      if (result == -1) {
        if (listener->IsInterested()) {
          *listener << "failed with " << ErrnoName(err.saved());
        }
        return false;
      }
      ::testing::StringMatchResultListener why;
      if (value_.MatchAndExplain(result, &why)) return true;
      *listener << "returned " << ::testing::PrintToString(result);
      if (!why.str().empty()) *listener << ", " << why.str();
      return false;
    }
    void DescribeTo(std::ostream* os) const override {
      *os << "succeeds with ";
      Value(os);
    }
    void DescribeNegationTo(std::ostream* os) const override {
      *os << "does not succeed with ";
      Value(os);
    }

   private:
    void Value(std::ostream* os) const {
      if (!plain_.empty()) {
        *os << plain_;
        return;
      }
      *os << "a value that ";
      value_.DescribeTo(os);
    }

    ::testing::Matcher<Bare<T>> value_;
    std::string plain_;  // the value, when a plain one was given
  };

  M value_;
};

template <typename M>
class FailsWithErrnoMatcher {
 public:
  explicit FailsWithErrnoMatcher(M err) : err_(std::move(err)) {}

  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT(runtime/explicit)
    RequireSyscallResult<T>();
    return ::testing::MakeMatcher(new Impl<T>(ToMatcher<int>(err_)));
  }

 private:
  template <typename T>
  class Impl : public ::testing::MatcherInterface<T> {
   public:
    explicit Impl(::testing::Matcher<int> err) : err_(std::move(err)) {}

    bool MatchAndExplain(
        T result, ::testing::MatchResultListener* listener) const override {
      const ErrnoKeeper err;
      if (result != -1) {
        *listener << "succeeded, returning "
                  << ::testing::PrintToString(result);
        return false;
      }
      if (err_.Matches(err.saved())) return true;
      if (listener->IsInterested()) {
        *listener << "failed with " << ErrnoName(err.saved());
      }
      return false;
    }
    void DescribeTo(std::ostream* os) const override {
      *os << "fails with " << DescribeErrnoSet(err_);
    }
    void DescribeNegationTo(std::ostream* os) const override {
      *os << "does not fail with " << DescribeErrnoSet(err_);
    }

   private:
    ::testing::Matcher<int> err_;
  };

  M err_;
};

}  // namespace matchers_internal

// The call did not return -1.
inline matchers_internal::SucceedsMatcher SyscallSucceeds() { return {}; }

// The call did not return -1, and its result is `value` (a number) or
// matches it (a matcher: Gt(0), AnyOf(1, 2)).
template <typename M>
matchers_internal::SucceedsWithValueMatcher<std::decay_t<M>>
SyscallSucceedsWithValue(M&& value) {
  return matchers_internal::SucceedsWithValueMatcher<std::decay_t<M>>(
      std::forward<M>(value));
}

// The call returned -1 with errno `err` (a number) or matching it (a
// matcher: AnyOf(EAGAIN, EWOULDBLOCK)).
template <typename M>
matchers_internal::FailsWithErrnoMatcher<std::decay_t<M>> SyscallFailsWithErrno(
    M&& err) {
  return matchers_internal::FailsWithErrnoMatcher<std::decay_t<M>>(
      std::forward<M>(err));
}

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_MATCHERS_H_

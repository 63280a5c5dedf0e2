// Unit tests of the kit's own logic: the one table of child exit codes and
// its readings, the syscall matchers and their messages, the skip reasons of
// the uid-switching helpers, the test pattern, the bounded fill, the
// transfer statistics, the sysctl helpers' messages, and the deadlines that
// keep a misbehaving kernel from hanging a test (reads, child exits, stops),
// the child I/O and descriptor passing, the syscall counter and the
// test-unique IPC names. A kit that
// misreads a child's code or a matcher that passes a wrong errno would let
// a conformance test report the wrong verdict; these catch that first.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/fd_passing.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/subreaper.h"
#include "conformance/kit/syscall_counter.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/test_control.h"
#include "conformance/kit/time_scale.h"
#include "conformance/kit/transfer.h"
#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::WaitStatus;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::DescribeMatcher;
using ::testing::ExplainMatchResult;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Ne;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::StringMatchResultListener;

// ===========================================================================
// The exit-code table (kit/child_exit.h)

TEST(ExitCodeTableTest, EveryStatusFallsInExactlyOneRange) {
  for (int code = 0; code <= 255; ++code) {
    int ranges = 0;
    for (const ExitCodeRange& range : kExitCodeTable) {
      if (code >= range.first && code <= range.last) ++ranges;
    }
    EXPECT_EQ(ranges, 1) << "exit code " << code;
  }
}

TEST(ExitCodeTableTest, EveryCodeHasAReadingOfItsOwn) {
  std::set<std::string> readings;
  for (int code = 0; code <= 255; ++code) {
    EXPECT_TRUE(readings.insert(DescribeExitCode(code)).second)
        << "code " << code << " reads like another: " << DescribeExitCode(code);
  }
}

TEST(ExitCodeTableTest, EachRangeDecodesToItsOwnKind) {
  EXPECT_EQ(ClassifyExitCode(0), ExitCodeKind::kSuccess);
  for (int code = kFirstTestFailureExit; code <= kLastTestFailureExit; ++code) {
    EXPECT_EQ(ClassifyExitCode(code), ExitCodeKind::kTestFailurePoint) << code;
  }
  for (int code = kFirstDropToUidExit; code <= kLastDropToUidExit; ++code) {
    EXPECT_EQ(ClassifyExitCode(code), ExitCodeKind::kDropToUid) << code;
    EXPECT_TRUE(DecodeDropToUidExit(code).has_value()) << code;
  }
  for (int code : {kTransferReadyFailed, kTransferBadChunkSize,
                   kTransferDataMismatch, kUidProbeCannotReachPath}) {
    EXPECT_EQ(ClassifyExitCode(code), ExitCodeKind::kKitFailurePoint) << code;
  }
  EXPECT_EQ(ClassifyExitCode(ChildProcess::kBodyThrew),
            ExitCodeKind::kBodyThrew);
  EXPECT_EQ(ClassifyExitCode(126), ExitCodeKind::kExecCannotExecute);
  EXPECT_EQ(ClassifyExitCode(127), ExitCodeKind::kExecNotFound);
  EXPECT_EQ(ClassifyExitCode(128), ExitCodeKind::kErrnoNotCarried);
  EXPECT_EQ(ClassifyExitCode(255), ExitCodeKind::kUnassigned);
  EXPECT_EQ(ClassifyExitCode(256), ExitCodeKind::kUnassigned);
  EXPECT_EQ(ClassifyExitCode(-1), ExitCodeKind::kUnassigned);
}

TEST(ExitCodeTableTest, ErrnoCodesCarryTheErrnoAndNothingElse) {
  for (int err = 1; err <= kLargestErrnoInExit; ++err) {
    const int code = ErrnoExit(err);
    EXPECT_EQ(ClassifyExitCode(code), ExitCodeKind::kErrno) << err;
    EXPECT_EQ(ErrnoFromExit(code), err);
    EXPECT_EQ(DescribeExitCode(code), "the call failed with " + ErrnoName(err));
  }
  // What the table cannot carry gets one code, never another range's.
  for (int err : {0, kLargestErrnoInExit + 1, EHWPOISON, 4095, -1}) {
    EXPECT_EQ(ErrnoExit(err), kErrnoNotCarriedExit) << err;
    EXPECT_EQ(ErrnoFromExit(ErrnoExit(err)), std::nullopt) << err;
  }
  for (int code = 0; code <= 255; ++code) {
    if (ClassifyExitCode(code) != ExitCodeKind::kErrno) {
      EXPECT_EQ(ErrnoFromExit(code), std::nullopt) << code;
    }
  }
}

// The readings issue 15 found wrong: a DropToUid code read as an errno, 127
// (a shell's "not found") read as EFBIG, 125 read as ENOTTY.
TEST(ExitCodeTableTest, NoCodeReadsAsAnErrnoItDoesNotCarry) {
  EXPECT_EQ(DescribeExitCode(127), "exec failed: not found (127)");
  EXPECT_EQ(DescribeExitCode(126), "exec failed: cannot execute (126)");
  EXPECT_THAT(DescribeExitCode(ChildProcess::kBodyThrew),
              AllOf(HasSubstr("ipc::ChildProcess body threw"),
                    Not(HasSubstr("ENOTTY"))));
  EXPECT_EQ(DescribeExitCode(DropToUidExit(DropStep::kSetresuid, EPERM)),
            "DropToUid: setresuid failed with EPERM (Operation not permitted)");
  EXPECT_EQ(DescribeExitCode(DropToUidExit(DropStep::kSetresgid, EINVAL)),
            "DropToUid: setresgid failed with EINVAL (Invalid argument)");
  EXPECT_EQ(DescribeExitCode(DropToUidExit(DropStep::kSetgroups, EFAULT)),
            "DropToUid: setgroups failed with an errno other than EPERM and "
            "EINVAL");
  EXPECT_EQ(DescribeExitCode(DropToUidExit(DropStep::kPdeathsig, EINVAL)),
            "DropToUid: prctl(PR_SET_PDEATHSIG) failed");
  EXPECT_THAT(DescribeExitCode(kTransferDataMismatch),
              HasSubstr("MeasureTransfer's receiver"));
  EXPECT_THAT(DescribeExitCode(255), HasSubstr("in no range"));
}

TEST(ExitCodeTableTest, DropToUidCodesDecodeToTheirCallAndErrno) {
  std::set<int> codes;
  for (DropStep step :
       {DropStep::kSetgroups, DropStep::kSetresgid, DropStep::kSetresuid}) {
    for (int err : {EPERM, EINVAL, EAGAIN}) {
      const int code = DropToUidExit(step, err);
      codes.insert(code);
      const std::optional<DropToUidFailure> decoded = DecodeDropToUidExit(code);
      ASSERT_TRUE(decoded.has_value()) << code;
      EXPECT_EQ(decoded->step, step) << code;
      EXPECT_EQ(decoded->err, err == EAGAIN ? 0 : err) << code;
    }
  }
  codes.insert(DropToUidExit(DropStep::kPdeathsig, EINVAL));
  EXPECT_EQ(codes.size(), 10u) << "two DropToUid failures share a code";
  EXPECT_EQ(*codes.begin(), kFirstDropToUidExit);
  EXPECT_EQ(*codes.rbegin(), kLastDropToUidExit);
  EXPECT_EQ(DecodeDropToUidExit(ErrnoExit(EPERM)), std::nullopt);
}

TEST(ExitCodeTableTest, ExecFailureFollowsTheShellConvention) {
  EXPECT_EQ(ExecFailureExit(ENOENT), 127);
  EXPECT_EQ(ExecFailureExit(EACCES), 126);
  EXPECT_EQ(ExecFailureExit(ENOEXEC), 126);
}

// --- Real children, read back by DescribeChildExit ---------------------------

TEST(DescribeChildExitTest, ReadsWhatRealChildrenReport) {
  const WaitStatus failed_call = ChildProcess::Fork([] {
                                   return ::close(-1) == 0 ? 0 : ErrnoExit();
                                 }).Wait();
  EXPECT_EQ(DescribeChildExit(failed_call),
            "exited with status " + std::to_string(ErrnoExit(EBADF)) +
                " (the call failed with EBADF (Bad file descriptor))");

  const WaitStatus not_found =
      ChildProcess::Fork([] {
        char* const argv[] = {nullptr};
        ::execve("/nonexistent/ipcproof-kit-test", argv, argv);
        return ExecFailureExit();
      }).Wait();
  EXPECT_EQ(DescribeChildExit(not_found),
            "exited with status 127 (exec failed: not found (127))");

  const WaitStatus threw = ChildProcess::Fork([]() -> int {
                             throw std::runtime_error("the body threw");
                           }).Wait();
  EXPECT_THAT(DescribeChildExit(threw),
              StartsWith("exited with status 125 (ipc::ChildProcess body "
                         "threw"));

  // A test's own failure point: only the test knows what 3 means.
  const WaitStatus plain = ChildProcess::Fork([] { return 3; }).Wait();
  EXPECT_EQ(DescribeChildExit(plain), "exited with status 3");

  // A signal is not an exit code.
  ChildProcess sleeper = ChildProcess::Fork([] {
    ::pause();
    return 0;
  });
  const WaitStatus killed = sleeper.Kill();
  EXPECT_THAT(DescribeChildExit(killed), AllOf(HasSubstr("killed by signal 9"),
                                               Not(HasSubstr("failed with"))));
  EXPECT_FALSE(ExitedWithZero(killed));
  EXPECT_TRUE(ExitedWithZero(ChildProcess::Fork([] { return 0; }).Wait()));
}

// A child that gave up its effective capabilities, CAP_SETGID among them
// (capset(2) may always lower the effective set), cannot call setgroups(2)
// ("EPERM The calling process has insufficient privilege"): DropToUid says so
// in its code, and the parent reads that code, not an errno, back.
TEST(DescribeChildExitTest, ReadsADropToUidFailureAsOne) {
  const WaitStatus status = ChildProcess::Fork([] {
                              if (!DropEffectiveCapabilities()) return 10;
                              return DropToUid(kOtherUid, kOtherGid);
                            }).Wait();
  ASSERT_TRUE(status.ExitedWith(DropToUidExit(DropStep::kSetgroups, EPERM)))
      << DescribeChildExit(status);
  EXPECT_EQ(DescribeChildExit(status),
            "exited with status " + std::to_string(status.exit_code()) +
                " (DropToUid: setgroups failed with EPERM (Operation not "
                "permitted))");
}

// ===========================================================================
// Skip reasons of the uid-switching helpers (kit/credentials.h)

// Each errno gets the explanation that fits it and no other: EPERM is a
// missing capability (or, for setgroups, a namespace that denies it), never
// "a user namespace that maps only uid 0"; EINVAL is an unmapped id, never
// a missing capability.
TEST(DescribeDropFailureTest, GivesOnlyTheExplanationThatFitsTheErrno) {
  const std::string eperm =
      DescribeDropFailure(DropToUidExit(DropStep::kSetresuid, EPERM));
  EXPECT_THAT(eperm, StartsWith("setresuid failed with EPERM"));
  EXPECT_THAT(eperm, HasSubstr("CAP_SETUID"));
  EXPECT_THAT(eperm, HasSubstr("CapEff"));
  EXPECT_THAT(eperm, Not(HasSubstr("mapped")));

  const std::string gid_eperm =
      DescribeDropFailure(DropToUidExit(DropStep::kSetresgid, EPERM));
  EXPECT_THAT(gid_eperm, HasSubstr("CAP_SETGID"));
  EXPECT_THAT(gid_eperm, Not(HasSubstr("mapped")));

  const std::string einval = DescribeDropFailure(
      DropToUidExit(DropStep::kSetresuid, EINVAL), kOtherUid, kOtherGid);
  EXPECT_THAT(einval,
              StartsWith("cannot become uid 65534 (gid 65534): setresuid "
                         "failed with EINVAL (Invalid argument): uid 65534 is "
                         "not mapped in this process's user namespace "
                         "(/proc/self/uid_map: \""));
  EXPECT_THAT(einval, Not(HasSubstr("CAP_")));

  const std::string gid_einval = DescribeDropFailure(
      DropToUidExit(DropStep::kSetresgid, EINVAL), kOtherUid, kOtherGid);
  EXPECT_THAT(gid_einval, HasSubstr("gid 65534 is not mapped"));
  EXPECT_THAT(gid_einval, HasSubstr("/proc/self/gid_map"));

  EXPECT_THAT(DescribeDropFailure(DropToUidExit(DropStep::kSetgroups, EFAULT)),
              HasSubstr("an errno other than EPERM and EINVAL"));
  EXPECT_THAT(DescribeDropFailure(ErrnoExit(EPERM)),
              HasSubstr("is not a DropToUid failure"));
}

// Whatever this process may do, the reason agrees with itself: "" only if
// a child really becomes the uid; otherwise the call, the errno, and the
// explanation of that errno.
TEST(WhyCannotBecomeUidTest, SaysWhatTheAttemptFound) {
  const std::string why = WhyCannotBecomeUid(kOtherUid, kOtherGid);
  if (why.empty()) {
    const WaitStatus status =
        ChildProcess::Fork([] {
          if (const int code = DropToUid(kOtherUid, kOtherGid)) {
            return code;
          }
          return ::getuid() == kOtherUid ? 0 : 1;
        }).Wait();
    EXPECT_TRUE(ExitedWithZero(status));
    return;
  }
  EXPECT_THAT(why, StartsWith("cannot become uid 65534 (gid 65534): "));
  if (why.find("EPERM") != std::string::npos) {
    EXPECT_THAT(why,
                AnyOf(HasSubstr("lacks CAP_SET"), HasSubstr("holds CAP_SET"),
                      HasSubstr("denies setgroups")));
    EXPECT_THAT(why, Not(HasSubstr("mapped")));
  } else if (why.find("EINVAL") != std::string::npos) {
    EXPECT_THAT(why, HasSubstr("is not mapped"));
    EXPECT_THAT(why, Not(HasSubstr("CAP_")));
  }
}

TEST(WhyCannotBecomeUidTest, RefusesTheProcessOwnUid) {
  // Whether or not the drop itself works, "another user" must not be us.
  EXPECT_NE(WhyCannotBecomeUid(::geteuid(), ::getegid()), "");
}

TEST(WhyCannotBecomeUidTest, NamesThePathTheUidCannotReach) {
  const std::string why = WhyCannotBecomeUid(kOtherUid, kOtherGid);
  if (!why.empty()) SKIP_UNVERIFIED(why);
  EXPECT_EQ(WhyCannotBecomeUid(kOtherUid, kOtherGid, "/nonexistent/ipcproof"),
            "uid 65534 cannot stat /nonexistent/ipcproof: ENOENT (No such "
            "file or directory)");
}

// ===========================================================================
// Matchers (kit/matchers.h)

TEST(MatchersTest, SucceedsWithValueTakesAMatcher) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  EXPECT_THAT(::fcntl(pipe.write_fd(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(Gt(4096)));

  StringMatchResultListener listener;
  EXPECT_FALSE(
      ExplainMatchResult(SyscallSucceedsWithValue(Gt(4096)), 10, &listener));
  EXPECT_EQ(listener.str(), "returned 10");

  StringMatchResultListener failed;
  EXPECT_FALSE(ExplainMatchResult(SyscallSucceedsWithValue(Gt(4096)),
                                  ::close(-1), &failed));
  EXPECT_EQ(failed.str(), "failed with EBADF (Bad file descriptor)");

  EXPECT_EQ(DescribeMatcher<int>(SyscallSucceedsWithValue(Gt(4096))),
            "succeeds with a value that is > 4096");
}

TEST(MatchersTest, SucceedsWithValueStillTakesAPlainNumber) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const char text[] = "four";
  // A size_t against write(2)'s ssize_t.
  EXPECT_THAT(::write(pipe.write_fd(), text, sizeof text),
              SyscallSucceedsWithValue(sizeof text));
  EXPECT_EQ(DescribeMatcher<ssize_t>(SyscallSucceedsWithValue(4)),
            "succeeds with 4");
  StringMatchResultListener listener;
  EXPECT_FALSE(
      ExplainMatchResult(SyscallSucceedsWithValue(4), ssize_t{3}, &listener));
  EXPECT_EQ(listener.str(), "returned 3");
}

TEST(MatchersTest, FailsWithErrnoTakesAMatcher) {
  const auto either = SyscallFailsWithErrno(AnyOf(EACCES, ENOTDIR));
  // open(2) ENOTDIR: "A component used as a directory in pathname is not,
  // in fact, a directory" (/dev/null is a character device).
  EXPECT_THAT(::open("/dev/null/ipcproof", O_RDONLY), either);

  StringMatchResultListener wrong_errno;
  EXPECT_FALSE(ExplainMatchResult(either, ::close(-1), &wrong_errno));
  EXPECT_EQ(wrong_errno.str(), "failed with EBADF (Bad file descriptor)");

  StringMatchResultListener succeeded;
  EXPECT_FALSE(ExplainMatchResult(either, 0, &succeeded));
  EXPECT_EQ(succeeded.str(), "succeeded, returning 0");

  EXPECT_EQ(DescribeMatcher<int>(either),
            "fails with EACCES (Permission denied) or ENOTDIR (Not a "
            "directory)");
  // A matcher that admits many errnos keeps its own words.
  EXPECT_EQ(DescribeMatcher<int>(SyscallFailsWithErrno(Ne(EINTR))),
            "fails with an errno that isn't equal to 4");
}

TEST(MatchersTest, FailsWithErrnoStillTakesAPlainNumber) {
  EXPECT_THAT(::close(-1), SyscallFailsWithErrno(EBADF));
  EXPECT_EQ(DescribeMatcher<int>(SyscallFailsWithErrno(EPIPE)),
            "fails with EPIPE (Broken pipe)");
  EXPECT_EQ(DescribeMatcher<int>(Not(SyscallFailsWithErrno(EPIPE))),
            "does not fail with EPIPE (Broken pipe)");
}

// Through EXPECT_THAT itself, which runs a failed matcher a second time to
// explain it: the message still names the errno of the call.
TEST(MatchersTest, AFailedAssertionNamesTheErrno) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(::close(-1), SyscallSucceeds()),
                          "failed with EBADF (Bad file descriptor)");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(::close(-1), SyscallFailsWithErrno(AnyOf(EPIPE, EAGAIN))),
      "failed with EBADF (Bad file descriptor)");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(::close(-1), SyscallSucceedsWithValue(Gt(0))),
      "failed with EBADF");
  EXPECT_THAT(::close(-1), Not(SyscallSucceeds()));
  EXPECT_THAT(::getpid(), SyscallSucceeds());
}

TEST(MatchersTest, LeaveErrnoAsTheyFoundIt) {
  ASSERT_EQ(::close(-1), -1);
  StringMatchResultListener listener;
  EXPECT_FALSE(ExplainMatchResult(SyscallFailsWithErrno(EPIPE), -1, &listener));
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(ErrnoName(ENXIO), "ENXIO (No such device or address)");
  EXPECT_EQ(errno, EBADF);
}

// ===========================================================================
// Test bytes (kit/bytes.h)

// A chunk delivered at the wrong offset must not compare equal: no window
// of 16 bytes repeats at any shift up to 64 KiB (a pipe's default
// capacity), and no aligned 8-byte block repeats anywhere in 1 MiB or in
// another seed's stream. (The pattern this replaced repeated 1951 bytes at a
// shift of 50549.)
TEST(PatternTest, HasNoShortPeriod) {
  constexpr size_t kShifts = 65536;
  const std::vector<char> data = Pattern(kShifts + 8192, 0);
  for (size_t shift = 1; shift <= kShifts; ++shift) {
    for (size_t at = 0; at < 8192 - 16; at += 1021) {
      ASSERT_NE(std::memcmp(&data[at], &data[at + shift], 16), 0)
          << "16 bytes at " << at << " repeat at a shift of " << shift;
    }
  }
  std::set<uint64_t> blocks;
  for (unsigned seed : {0u, 1u}) {
    const std::vector<char> stream = Pattern(size_t{1} << 20, seed);
    for (size_t at = 0; at < stream.size(); at += 8) {
      uint64_t block;
      std::memcpy(&block, &stream[at], 8);
      ASSERT_TRUE(blocks.insert(block).second)
          << "seed " << seed << ": the block at " << at << " repeats";
    }
  }
}

TEST(PatternTest, IsDeterministicAndAPrefixOfLongerOnes) {
  const std::vector<char> longer = Pattern(1000, 7);
  const std::vector<char> shorter = Pattern(13, 7);
  EXPECT_EQ(Pattern(1000, 7), longer);
  EXPECT_TRUE(std::equal(shorter.begin(), shorter.end(), longer.begin()));
  EXPECT_NE(Pattern(1000, 8), longer);
}

// ===========================================================================
// Filling until EAGAIN (kit/bytes.h)

// /dev/null takes every write and never says EAGAIN: the fill must stop at
// its bound and say so, not loop for ever.
TEST(WriteUntilEagainTest, StopsAtItsBoundWithAMessage) {
  ipc::UniqueFd null(::open("/dev/null", O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(null) << ErrnoName(errno);
  try {
    WriteUntilEagain(null.get(), 4096, 65536);
    FAIL() << "WriteUntilEagain returned from /dev/null";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("accepted 69632 bytes in 17 writes of 4096 "
                                    "without EAGAIN, past the bound of 65536"));
  }
}

// pipe(7): with O_NONBLOCK, a write to a full pipe fails EAGAIN; page-sized
// writes fill each of the pipe's pages exactly, so what was taken is its
// capacity (F_GETPIPE_SZ).
TEST(WriteUntilEagainTest, ReturnsWhatAFullPipeTook) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_NONBLOCK | O_CLOEXEC);
  const int capacity = ::fcntl(pipe.write_fd(), F_GETPIPE_SZ);
  ASSERT_THAT(capacity, SyscallSucceedsWithValue(Gt(0)));
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const WritesAccepted accepted = WriteUntilEagain(
      pipe.write_fd(), page, 4 * static_cast<size_t>(capacity));
  EXPECT_EQ(accepted.bytes, static_cast<size_t>(capacity));
  EXPECT_EQ(accepted.writes, static_cast<size_t>(capacity) / page);
  EXPECT_THROW(WriteUntilEagain(pipe.write_fd(), 0, 1), std::invalid_argument);
}

// ===========================================================================
// Timed transfers (kit/transfer.h)

TransferResult FakeRun(double seconds, size_t units, int raw_status) {
  TransferResult run;
  run.seconds = seconds;
  run.units = units;
  run.receiver_status = WaitStatus(raw_status);
  return run;
}

TEST(MeasureTransferRatesTest, ReportsTheMiddleLowestAndHighestRun) {
  // 4 MB in 2 s, 1 s, 4 s: 2, 4 and 1 MB/s.
  const std::vector<TransferResult> runs = {
      FakeRun(2, 10, 0), FakeRun(1, 11, 3 << 8), FakeRun(4, 12, 9)};
  size_t next = 0;
  const TransferRates rates =
      MeasureTransferRates(3, 4'000'000, [&] { return runs.at(next++); });
  EXPECT_EQ(next, 3u);
  EXPECT_DOUBLE_EQ(rates.mb_per_s_median, 2);
  EXPECT_DOUBLE_EQ(rates.mb_per_s_min, 1);
  EXPECT_DOUBLE_EQ(rates.mb_per_s_max, 4);
  EXPECT_EQ(rates.units_per_transfer, 12u);
  ASSERT_EQ(rates.receiver_statuses.size(), 3u);
  EXPECT_EQ(rates.receiver_statuses[0].raw(), 0);
  EXPECT_EQ(rates.receiver_statuses[1].raw(), 3 << 8);
  EXPECT_EQ(rates.receiver_statuses[2].raw(), 9);
}

TEST(MeasureTransferRatesTest, TakesARealRunAsTheMedianOfAnEvenCount) {
  // 12 MB in 1, 2, 3, 4 s: 12, 6, 4, 3 MB/s; the median is one of the runs
  // (the upper middle one), not an average of two.
  double seconds = 0;
  const TransferRates rates = MeasureTransferRates(
      4, 12'000'000, [&] { return FakeRun(seconds += 1, 1, 0); });
  EXPECT_DOUBLE_EQ(rates.mb_per_s_median, 6);
  EXPECT_DOUBLE_EQ(rates.mb_per_s_min, 3);
  EXPECT_DOUBLE_EQ(rates.mb_per_s_max, 12);
  EXPECT_THROW(MeasureTransferRates(0, 1, [] { return FakeRun(1, 1, 0); }),
               std::invalid_argument);
}

TEST(MeasureTransferTest, MovesAndChecksEveryByteThroughAPipe) {
  const std::vector<char> pattern = Pattern(64 * 1024, 3);
  const std::span<const std::byte> data = std::as_bytes(std::span(pattern));
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<std::byte> buffer(4096);
  const int read_fd = pipe.read_fd();
  const int write_fd = pipe.write_fd();
  const TransferResult result = MeasureTransfer(
      data, buffer,
      [read_fd](std::span<std::byte> into) {
        return ::read(read_fd, into.data(), into.size());
      },
      4096,
      [&](size_t offset, size_t n) {
        const ssize_t sent = ::write(write_fd, data.data() + offset, n);
        if (sent < 0) throw std::runtime_error("write: " + ErrnoName(errno));
        return static_cast<size_t>(sent);
      });
  EXPECT_TRUE(ExitedWithZero(result.receiver_status));
  EXPECT_EQ(result.units, 16u);
  EXPECT_GT(result.seconds, 0);
}

// The receiver compares what it got with its own copy: one wrong byte makes
// it exit with kTransferDataMismatch, which the parent reads by name.
TEST(MeasureTransferTest, ReceiverReportsADifferingByte) {
  const std::vector<char> pattern = Pattern(1024, 4);
  const std::span<const std::byte> data = std::as_bytes(std::span(pattern));
  std::vector<char> corrupted = pattern;
  corrupted[0] = static_cast<char>(~corrupted[0]);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<std::byte> buffer(1024);
  const int read_fd = pipe.read_fd();
  const int write_fd = pipe.write_fd();
  const TransferResult result = MeasureTransfer(
      data, buffer,
      [read_fd](std::span<std::byte> into) {
        return ::read(read_fd, into.data(), into.size());
      },
      1024,
      [&](size_t offset, size_t n) {
        // 1 KiB fits any pipe, so this write never waits for the receiver.
        const ssize_t sent = ::write(write_fd, corrupted.data() + offset, n);
        if (sent < 0) throw std::runtime_error("write: " + ErrnoName(errno));
        return static_cast<size_t>(sent);
      });
  EXPECT_TRUE(result.receiver_status.ExitedWith(kTransferDataMismatch))
      << DescribeChildExit(result.receiver_status);
  EXPECT_THAT(DescribeChildExit(result.receiver_status),
              HasSubstr("a received chunk differs from the data sent"));
}

// ===========================================================================
// The run's time scale (kit/time_scale.h)

// IPCPROOF_TIME_SCALE set to `value` (unset for nullptr) for a scope, as the
// runner sets it for a test process; the previous value comes back after.
ChildProcess ForkBlockedReader(ipc::Pipe& pipe);

class ScopedTimeScale {
 public:
  explicit ScopedTimeScale(const char* value) {
    if (const char* old = std::getenv("IPCPROOF_TIME_SCALE")) previous_ = old;
    if (value == nullptr) {
      ::unsetenv("IPCPROOF_TIME_SCALE");
    } else {
      ::setenv("IPCPROOF_TIME_SCALE", value, 1);
    }
  }
  ~ScopedTimeScale() {
    if (previous_) {
      ::setenv("IPCPROOF_TIME_SCALE", previous_->c_str(), 1);
    } else {
      ::unsetenv("IPCPROOF_TIME_SCALE");
    }
  }
  ScopedTimeScale(const ScopedTimeScale&) = delete;
  ScopedTimeScale& operator=(const ScopedTimeScale&) = delete;

 private:
  std::optional<std::string> previous_;
};

TEST(TimeScaleTest, ReadsTheRunnersVariableAndSaysWhatItScaled) {
  using std::chrono::milliseconds;
  {
    const ScopedTimeScale seven("7");
    EXPECT_EQ(TimeScale(), 7);
    EXPECT_EQ(ScaledTimeout(milliseconds(10)), milliseconds(70));
    EXPECT_EQ(DescribeScaledTimeout(milliseconds(10000)),
              "70 s (10 s × time scale 7)");
    EXPECT_EQ(DescribeScaledTimeout(milliseconds(250)),
              "1750 ms (250 ms × time scale 7)");
  }
  {
    const ScopedTimeScale one("1");
    EXPECT_EQ(ScaledTimeout(milliseconds(250)), milliseconds(250));
    EXPECT_EQ(DescribeScaledTimeout(milliseconds(10000)), "10 s");
    EXPECT_EQ(DescribeScaledTimeout(milliseconds(250)), "250 ms");
  }
  {
    const ScopedTimeScale unset(nullptr);
    EXPECT_EQ(TimeScale(), 1) << "no runner: scale 1";
  }
  // The runner refuses these before any test runs; should one reach a test
  // process anyway, it waits as on a fast machine rather than not at all.
  for (const char* malformed : {"", "0", "101", "x", "7s", "-2", "+3"}) {
    const ScopedTimeScale bad(malformed);
    EXPECT_EQ(TimeScale(), 1) << "'" << malformed << "'";
  }
}

// What is left of a scaled deadline, as a bound a kit wait scales back:
// at scale 4, 4 s from now is about 1 s at scale 1; a past deadline is 0.
TEST(TimeScaleTest, UnscaledTimeLeftHandsOnWhatIsLeftOfADeadline) {
  using std::chrono::milliseconds;
  const ScopedTimeScale four("4");
  const auto deadline =
      std::chrono::steady_clock::now() + ScaledTimeout(milliseconds(1000));
  const milliseconds left = UnscaledTimeLeft(deadline);
  EXPECT_LE(left, milliseconds(1000));
  EXPECT_GT(left, milliseconds(500));
  EXPECT_EQ(
      UnscaledTimeLeft(std::chrono::steady_clock::now() - milliseconds(1)),
      milliseconds(0));
}

// Each kit wait scales its bound exactly once: at scale 20 a 10 ms bound
// waits 200 ms, not 10 ms (a wait that ignores the scale) and not 4 s (one
// scaled twice, as a wait built on another wait could be).
TEST(TimeScaleTest, EachKitWaitScalesItsBoundOnce) {
  using std::chrono::milliseconds;
  const ScopedTimeScale twenty("20");
  constexpr milliseconds kBase{10};
  const milliseconds scaled = ScaledTimeout(kBase);
  ASSERT_EQ(scaled, milliseconds(200));
  const auto waits = [&](const char* what, const std::function<void()>& wait) {
    const auto start = std::chrono::steady_clock::now();
    wait();
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, scaled) << what << " did not scale its bound";
    EXPECT_LT(waited, 10 * scaled) << what << " scaled its bound twice";
  };
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  waits("PollUntil",
        [&] { EXPECT_FALSE(PollUntil(kBase, [] { return false; })); });
  waits("PollWithin",
        [&] { EXPECT_EQ(PollWithin(pipe.read_fd(), POLLIN, kBase), 0); });
  waits("ReadWithin",
        [&] { EXPECT_TRUE(ReadWithin(pipe.read_fd(), 1, kBase).timed_out); });
  ChildProcess stuck = ForkBlockedReader(pipe);
  ASSERT_TRUE(WaitUntilBlockedIn(stuck.pid(), SYS_read));
  waits("WaitUntilBlockedIn", [&] {
    EXPECT_FALSE(WaitUntilBlockedIn(stuck.pid(), SYS_write, kBase));
  });
  waits("ReapWithin", [&] { EXPECT_FALSE(ReapWithin(stuck, kBase)); });
  waits("ExitsWithZeroWithin", [&] {
    const ::testing::AssertionResult ended = ExitsWithZeroWithin(stuck, kBase);
    EXPECT_FALSE(ended);
    EXPECT_THAT(ended.message(),
                HasSubstr("within 200 ms (10 ms × time scale 20)"));
  });
  // In a forked child too (the scale comes with the environment).
  waits("ReadExactInChild", [&] {
    ChildProcess reader = ChildProcess::Fork([&] {
      char byte;
      return ReadExactInChild(pipe.read_fd(), &byte, 1, kBase) ? 0 : 1;
    });
    EXPECT_TRUE(ExitsWithWithin(reader, 1));
  });
  waits("ScopedAlarmDeadline", [&] {
    const int capacity = ::fcntl(pipe.write_fd(), F_GETPIPE_SZ);
    ASSERT_GT(capacity, 0);
    const std::vector<char> fill(static_cast<size_t>(capacity) + 1, 'x');
    ScopedAlarmDeadline deadline;
    deadline.Arm(kBase);
    // Fills the pipe, then sleeps for room until SIGALRM cuts it short.
    EXPECT_EQ(::write(pipe.write_fd(), fill.data(), fill.size()), capacity);
  });
}

TEST(TimeScaleTest, TheSyscallCountersDeadlineScalesOnce) {
  using std::chrono::milliseconds;
  const ScopedTimeScale twenty("20");
  SyscallCounterOptions options;
  options.timeout = milliseconds(10);
  const auto start = std::chrono::steady_clock::now();
  const SyscallCount count = CountSyscallsBetweenMarks(
      [] {
        SyscallCountStartMark();
        ::pause();
        SyscallCountEndMark();
        return 0;
      },
      options);
  const auto waited = std::chrono::steady_clock::now() - start;
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  EXPECT_THAT(count.error,
              HasSubstr("deadline of 200 ms (10 ms × time scale 20)"));
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_LT(waited, milliseconds(2000)) << "scaled twice";
}

// ===========================================================================
// Reading with a deadline (kit/deadline_io.h)

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kShortDeadline{50};

// A writer that is still there but sends no more: the read stops at the
// deadline (not before it, not much after), keeps what it had and says it
// timed out, not that the channel ended.
TEST(ReadWithinTest, ATimedOutReadReturnsWhatItHadAndSaysSo) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("abc");
  const auto start = Clock::now();
  const Received got = ReadWithin(pipe.read_fd(), 10, kShortDeadline);
  const auto waited = Clock::now() - start;
  EXPECT_EQ(got.bytes, "abc");
  EXPECT_TRUE(got.timed_out);
  EXPECT_FALSE(got.eof);
  EXPECT_GE(waited, ScaledTimeout(kShortDeadline));
  EXPECT_LT(waited, ScaledTimeout(kShortDeadline + std::chrono::seconds(5)));

  pipe.WriteAll("defgh");
  char buffer[10];
  const ::testing::AssertionResult exact =
      ReadExactWithin(pipe.read_fd(), std::as_writable_bytes(std::span(buffer)),
                      kShortDeadline);
  EXPECT_FALSE(exact);
  EXPECT_THAT(exact.message(), HasSubstr("no data within " +
                                         DescribeScaledTimeout(kShortDeadline) +
                                         " after 5 of 10 bytes"));
}

// With the last writer gone, the read stops at end of file at once and says
// that, not a timeout.
TEST(ReadWithinTest, EndOfFileIsNotATimeout) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  pipe.WriteAll("xy");
  pipe.CloseWriteEnd();
  const Received got = ReadWithin(pipe.read_fd(), 3);
  EXPECT_EQ(got.bytes, "xy");
  EXPECT_TRUE(got.eof);
  EXPECT_FALSE(got.timed_out);
  char buffer[1];
  const ::testing::AssertionResult exact = ReadExactWithin(
      pipe.read_fd(), std::as_writable_bytes(std::span(buffer)));
  EXPECT_FALSE(exact);
  EXPECT_THAT(exact.message(), HasSubstr("end of file after 0 of 1 bytes"));
}

// Data that arrives in pieces is collected across reads, and the whole
// want is returned with neither flag set.
TEST(ReadWithinTest, CollectsDataThatArrivesInPieces) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess writer = ChildProcess::Fork([&] {
    if (!WriteInOneCall(pipe.write_fd(), "one", 3)) return 1;
    return WriteInOneCall(pipe.write_fd(), "two", 3) ? 0 : 2;
  });
  const Received got = ReadWithin(pipe.read_fd(), 6);
  EXPECT_EQ(got.bytes, "onetwo");
  EXPECT_FALSE(got.timed_out);
  EXPECT_FALSE(got.eof);
  EXPECT_TRUE(ExitsWithZeroWithin(writer));
}

// A descriptor that is not open is an error, thrown, not a timeout: poll(2)
// flags it POLLNVAL at once and read(2) fails EBADF.
TEST(ReadWithinTest, AnErrorThrowsNamingTheCall) {
  const int closed = ::dup(STDERR_FILENO);
  ASSERT_THAT(closed, SyscallSucceeds());
  ASSERT_THAT(::close(closed), SyscallSucceeds());
  try {
    ReadWithin(closed, 1, kShortDeadline);
    FAIL() << "ReadWithin returned on a closed descriptor";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("read"));
  }
}

// ReadReady is one read(2): a packet-mode pipe (O_DIRECT) gives one packet
// per call, and an empty pipe gives "" at once instead of blocking.
TEST(ReadReadyTest, TakesOneReadAndNeverWaits) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_DIRECT | O_CLOEXEC);
  EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "");
  pipe.WriteAll("a");
  pipe.WriteAll("b");
  EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "a");
  EXPECT_EQ(ReadReady(pipe.read_fd(), 8), "b");
}

TEST(PollWithinTest, SaysNothingAtTheDeadlineAndTheEventsOnceReady) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  EXPECT_EQ(PollWithin(pipe.read_fd(), POLLIN, kShortDeadline), 0);
  EXPECT_EQ(PollEventsNow(pipe.read_fd()), 0);
  EXPECT_EQ(PollEventsNow(pipe.write_fd(), POLLOUT), POLLOUT);
  pipe.WriteAll("x");
  EXPECT_EQ(PollWithin(pipe.read_fd(), POLLIN, kShortDeadline), POLLIN);
  pipe.CloseWriteEnd();
  EXPECT_EQ(PollEventsNow(pipe.read_fd()), POLLIN | POLLHUP);
}

// ===========================================================================
// Waiting for a child with a deadline (kit/child_exit.h, kit/blocking.h)

// A child blocked for ever in read(2) on a pipe nobody writes.
ChildProcess ForkBlockedReader(ipc::Pipe& pipe) {
  return ChildProcess::Fork([&pipe] {
    char byte;
    return ::read(pipe.read_fd(), &byte, 1) == 1 ? 0 : 1;
  });
}

TEST(ReapWithinTest, ReapsAChildThatExitsAndLeavesOneThatDoesNot) {
  ChildProcess quick = ChildProcess::Fork([] { return 7; });
  const std::optional<WaitStatus> status = ReapWithin(quick);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ExitedWith(7)) << DescribeChildExit(*status);
  EXPECT_TRUE(quick.reaped());

  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess stuck = ForkBlockedReader(pipe);
  EXPECT_FALSE(ReapWithin(stuck, kShortDeadline));
  EXPECT_FALSE(stuck.reaped());
  EXPECT_THAT(
      DescribeUnfinishedChild(stuck),
      HasSubstr("pid " + std::to_string(stuck.pid()) + " is still running: "));
}

// A child that never exits is reported with what /proc shows of it (the
// call it sleeps in) and is killed and reaped within the deadline, so the
// test goes on instead of hanging.
TEST(ExitsWithZeroWithinTest, ReportsAndKillsAChildThatNeverExits) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess stuck = ForkBlockedReader(pipe);
  ASSERT_TRUE(WaitUntilBlockedIn(stuck.pid(), SYS_read));
  const auto start = Clock::now();
  const ::testing::AssertionResult result =
      ExitsWithZeroWithin(stuck, kShortDeadline);
  const auto waited = Clock::now() - start;
  EXPECT_FALSE(result);
  EXPECT_THAT(result.message(),
              AllOf(HasSubstr("did not exit within " +
                              DescribeScaledTimeout(kShortDeadline) +
                              " and was killed"),
                    HasSubstr("in read(")));
  EXPECT_TRUE(stuck.reaped()) << "the child was left running";
  EXPECT_GE(waited, ScaledTimeout(kShortDeadline));
  EXPECT_LT(waited, ScaledTimeout(kShortDeadline + std::chrono::seconds(5)));
}

TEST(ExitsWithZeroWithinTest, SaysHowAChildThatExitedEnded) {
  ChildProcess zero = ChildProcess::Fork([] { return 0; });
  EXPECT_TRUE(ExitsWithZeroWithin(zero));
  ChildProcess failed =
      ChildProcess::Fork([] { return ::close(-1) == 0 ? 0 : ErrnoExit(); });
  const ::testing::AssertionResult result = ExitsWithZeroWithin(failed);
  EXPECT_FALSE(result);
  EXPECT_THAT(result.message(), HasSubstr("EBADF"));
}

// ExitsWithWithin takes the code a test expects: it succeeds on that code
// only, and a mismatch names both what the child did and what the expected
// code means, so a failure reads without the table at hand.
TEST(ExitsWithWithinTest, SucceedsOnTheExpectedCodeOnly) {
  ChildProcess seven = ChildProcess::Fork([] { return 7; });
  EXPECT_TRUE(ExitsWithWithin(seven, 7));

  ChildProcess failed =
      ChildProcess::Fork([] { return ::close(-1) == 0 ? 0 : ErrnoExit(); });
  const ::testing::AssertionResult result =
      ExitsWithWithin(failed, ErrnoExit(EBUSY));
  EXPECT_FALSE(result);
  EXPECT_THAT(
      result.message(),
      AllOf(
          HasSubstr("exited with status " + std::to_string(ErrnoExit(EBADF))),
          HasSubstr("EBADF"),
          HasSubstr("expected exit status " + std::to_string(ErrnoExit(EBUSY))),
          HasSubstr("EBUSY")));

  ChildProcess zero = ChildProcess::Fork([] { return 0; });
  EXPECT_FALSE(ExitsWithWithin(zero, 1)) << "0 is not 1";
}

TEST(ExitsWithWithinTest, ReportsAndKillsAChildThatNeverExits) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess stuck = ForkBlockedReader(pipe);
  ASSERT_TRUE(WaitUntilBlockedIn(stuck.pid(), SYS_read));
  const ::testing::AssertionResult result =
      ExitsWithWithin(stuck, 3, kShortDeadline);
  EXPECT_FALSE(result);
  EXPECT_THAT(result.message(),
              AllOf(HasSubstr("did not exit within " +
                              DescribeScaledTimeout(kShortDeadline) +
                              " and was killed"),
                    HasSubstr("in read(")));
  EXPECT_TRUE(stuck.reaped()) << "the child was left running";
}

// SIGSTOP stops the child (state T); WaitUntilStopped sees it, and says at
// once, not at the deadline, when the child has exited instead.
TEST(WaitUntilStoppedTest, SeesASigstoppedChildAndAnExitedOne) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ForkBlockedReader(pipe);
  EXPECT_FALSE(WaitUntilStopped(child.pid(), kShortDeadline))
      << "a child asleep in read is not stopped";
  child.Signal(SIGSTOP);
  EXPECT_TRUE(WaitUntilStopped(child.pid()));
  child.Signal(SIGCONT);
  pipe.WriteAll("x");
  EXPECT_TRUE(ExitsWithZeroWithin(child));

  ChildProcess gone = ChildProcess::Fork([] { return 0; });
  ASSERT_TRUE(WaitUntilExited(gone.pid()));
  const auto start = Clock::now();
  const ::testing::AssertionResult stopped = WaitUntilStopped(gone.pid());
  EXPECT_FALSE(stopped);
  EXPECT_THAT(stopped.message(), HasSubstr("exited before it was stopped"));
  EXPECT_LT(Clock::now() - start, kBlockedTimeout);
}

// ===========================================================================
// Child I/O (kit/child_io.h), descriptor passing (kit/fd_passing.h),
// capabilities (kit/capabilities.h)

TEST(ChildIoTest, AReportCrossesAPipeWholeAndAMissingOneFails) {
  struct Report {
    int code;
    long value;
    char text[6];
  };
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    const Report r{3, 1234567890123L, "hello"};
    return WriteReport(pipe.write_fd(), r) ? 0 : 1;
  });
  Report r{};
  ASSERT_TRUE(ReadReport(pipe.read_fd(), r));
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.value, 1234567890123L);
  EXPECT_STREQ(r.text, "hello");
  EXPECT_TRUE(ExitsWithZeroWithin(child));

  pipe.CloseWriteEnd();  // nobody left to report
  const ::testing::AssertionResult missing = ReadReport(pipe.read_fd(), r);
  EXPECT_FALSE(missing);
  EXPECT_THAT(missing.message(), HasSubstr("end of file after 0 of"));
}

TEST(ChildIoTest, ReadExactInChildGivesUpAtItsDeadline) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    char text[4];
    return ReadExactInChild(pipe.read_fd(), text, sizeof text, kShortDeadline)
               ? 0
               : 1;
  });
  pipe.WriteAll("ab");  // half of what it waits for
  const std::optional<WaitStatus> status = ReapWithin(child);
  ASSERT_TRUE(status) << "the child's read did not give up";
  EXPECT_TRUE(status->ExitedWith(1)) << DescribeChildExit(*status);
}

TEST(ChildIoTest, PutDecimalWritesDigitsWithoutATerminator) {
  char out[32];
  std::memset(out, '#', sizeof out);
  EXPECT_EQ(std::string(out, PutDecimal(out, 0)), "0");
  EXPECT_EQ(std::string(out, PutDecimal(out, 4096)), "4096");
  char* const end = PutDecimal(out, 9223372036854775807L);
  EXPECT_EQ(std::string(out, end), "9223372036854775807");
  EXPECT_EQ(*end, '#');
}

// unix(7) SCM_RIGHTS: the received descriptor is a new number onto the
// same pipe (the same inode), close-on-exec, and a write through it arrives
// at the original read end.
TEST(FdPassingTest, ADescriptorSentFromAChildWorksInTheParent) {
  int sockets[2];
  ASSERT_THAT(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets),
              SyscallSucceeds());
  const ipc::UniqueFd near(sockets[0]), far(sockets[1]);
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess sender = ChildProcess::Fork(
      [&] { return SendFd(far.get(), pipe.write_fd()) ? 0 : ErrnoExit(); });
  const int received = ReceiveFd(near.get());
  ASSERT_THAT(received, SyscallSucceeds());
  const ipc::UniqueFd end(received);
  EXPECT_TRUE(ExitsWithZeroWithin(sender));
  EXPECT_NE(received, pipe.write_fd());
  struct stat ours {
  }, theirs{};
  ASSERT_THAT(::fstat(pipe.write_fd(), &ours), SyscallSucceeds());
  ASSERT_THAT(::fstat(received, &theirs), SyscallSucceeds());
  EXPECT_EQ(ours.st_ino, theirs.st_ino);
  EXPECT_THAT(::fcntl(received, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  ASSERT_THAT(::write(received, "via", 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(ReadWithin(pipe.read_fd(), 3).bytes, "via");

  // A message without a descriptor, or none at all, is not one.
  ASSERT_THAT(::write(far.get(), "z", 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ReceiveFd(near.get()), -1);
  EXPECT_EQ(errno, 0);
}

// capset(2) may always lower the effective set: afterwards /proc says the
// child holds no effective capability, and its permitted set is untouched.
TEST(CapabilitiesTest, DropEffectiveCapabilitiesClearsTheEffectiveSet) {
  const std::string before = ReadFileOrThrow("/proc/self/status");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  ChildProcess child = ChildProcess::Fork([&] {
    if (!DropEffectiveCapabilities()) return ErrnoExit();
    // Async-signal-safe: copy /proc/self/status to the parent unparsed.
    const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoExit();
    char text[4096];
    const ssize_t n = ::read(fd, text, sizeof text);
    if (n <= 0) return 2;
    return WriteInOneCall(pipe.write_fd(), text, static_cast<size_t>(n)) ? 0
                                                                         : 3;
  });
  pipe.CloseWriteEnd();
  const Received status = ReadWithin(pipe.read_fd(), 4097);
  EXPECT_TRUE(ExitsWithZeroWithin(child));
  EXPECT_TRUE(status.eof);
  EXPECT_THAT(status.bytes, HasSubstr("\nCapEff:\t0000000000000000\n"));
  const auto line = [](const std::string& text, const std::string& key) {
    const size_t at = text.find("\n" + key + ":");
    return at == std::string::npos
               ? std::string()
               : text.substr(at, text.find('\n', at + 1) - at);
  };
  EXPECT_EQ(line(status.bytes, "CapPrm"), line(before, "CapPrm"));
}

// ===========================================================================
// Sysctls (kit/sysctl.h)

TEST(SysctlTest, TryWriteSysctlNamesTheValuePathCallAndErrno) {
  EXPECT_EQ(TryWriteSysctl("ipcproof-kit-test/no-such-sysctl", 7),
            "cannot write 7 to /proc/sys/ipcproof-kit-test/no-such-sysctl: "
            "open(/proc/sys/ipcproof-kit-test/no-such-sysctl) failed with "
            "ENOENT (No such file or directory)");
  EXPECT_EQ(SysctlWriteErrno("ipcproof-kit-test/no-such-sysctl", 7), ENOENT);
  // kernel/ostype is mode 0444: even root may not open it for writing.
  const int err = SysctlWriteErrno("kernel/ostype", 1);
  ASSERT_NE(err, 0) << "kernel/ostype took a write";
  EXPECT_THAT(
      TryWriteSysctl("kernel/ostype", 1),
      HasSubstr("/proc/sys/kernel/ostype) failed with " + ErrnoName(err)));
}

TEST(SysctlTest, ReadSysctlRefusesAFileThatHoldsNoNumber) {
  EXPECT_GT(ReadSysctl("fs/pipe-max-size"), 0);
  try {
    ReadSysctl("kernel/ostype");  // "Linux"
    FAIL() << "ReadSysctl read a number from kernel/ostype";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("does not hold a number"));
  }
}

// ===========================================================================
// Bad addresses for EFAULT (kit/memory.h)

TEST(ScopedInaccessiblePageTest, IsOnePageTheKernelCannotCopyFrom) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  void* address = nullptr;
  {
    const ScopedInaccessiblePage page;
    address = page.address();
    EXPECT_EQ(page.size(), static_cast<size_t>(::sysconf(_SC_PAGESIZE)));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(address) % page.size(), 0u);
    EXPECT_THAT(::write(pipe.write_fd(), address, 1),
                SyscallFailsWithErrno(EFAULT));
    ASSERT_THAT(::write(pipe.write_fd(), "x", 1), SyscallSucceedsWithValue(1));
    EXPECT_THAT(::read(pipe.read_fd(), address, 1),
                SyscallFailsWithErrno(EFAULT));
  }
  // Unmapped on scope exit: msync(2) "ENOMEM: The indicated memory (or
  // part of it) was not mapped".
  const int unmapped = ::msync(address, 1, MS_ASYNC);
  EXPECT_THAT(unmapped, SyscallFailsWithErrno(ENOMEM));
}

TEST(ScopedInaccessiblePageTest, AReadOnlyPageFaultsOnlyAWriteIntoIt) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  const ScopedInaccessiblePage page(PROT_READ);
  // The kernel reads from it (the page is zero-filled) ...
  EXPECT_THAT(::write(pipe.write_fd(), page.address(), 1),
              SyscallSucceedsWithValue(1));
  // ... and cannot write into it.
  EXPECT_THAT(::read(pipe.read_fd(), page.address(), 1),
              SyscallFailsWithErrno(EFAULT));
}

TEST(ScopedPageEdgeTest, IsWritableUpToTheEdgeAndFaultsPastIt) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  const ScopedPageEdge edge;
  EXPECT_EQ(edge.page_size(), static_cast<size_t>(::sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(edge.inaccessible(), edge.writable() + edge.page_size());
  EXPECT_EQ(edge.last_bytes(2) + 2, edge.inaccessible());
  std::memcpy(edge.last_bytes(2), "ok", 2);
  EXPECT_THAT(::write(pipe.write_fd(), edge.last_bytes(2), 2),
              SyscallSucceedsWithValue(2));
  EXPECT_EQ(ReadAvailable(pipe.read_fd(), 8), "ok");
  EXPECT_THAT(::write(pipe.write_fd(), edge.inaccessible(), 1),
              SyscallFailsWithErrno(EFAULT));
  ASSERT_THAT(::write(pipe.write_fd(), "x", 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(::read(pipe.read_fd(), edge.inaccessible(), 1),
              SyscallFailsWithErrno(EFAULT));
}

// ===========================================================================
// Child subreaper (kit/subreaper.h)

int ChildSubreaperSetting() {
  int value = -1;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &value) != 0) return -1;
  return value;
}

// Set for its scope and restored to what it was, nested scopes included;
// and it does what it is for: the orphan of a child that exited is
// re-parented to this process, which reaps it.
// The probe must agree with another check of the same capability that the
// kernel makes in the initial user namespace: pipe_set_size refuses a size
// above fs/pipe-max-size unless capable(CAP_SYS_RESOURCE) (fs/pipe.c).
TEST(CapabilitiesTest, SysResourceProbeAgreesWithPipeMaxSize) {
  const bool holds = HoldsSysResourceCapability();
  int fds[2];
  ASSERT_THAT(::pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  const int64_t max_size = ReadSysctl("fs/pipe-max-size");
  const int result = ::fcntl(fds[1], F_SETPIPE_SZ, 2 * max_size);
  const int err = errno;
  ::close(fds[0]);
  ::close(fds[1]);
  if (holds) {
    EXPECT_GE(result, 2 * max_size) << ErrnoName(err);
  } else {
    EXPECT_EQ(result, -1);
    EXPECT_EQ(err, EPERM) << ErrnoName(err);
  }
}

// A write asleep on a full pipe that nobody drains is interrupted by the
// deadline (no SA_RESTART), and the object says the deadline passed; a
// second deadline while one is alive is refused.
TEST(ScopedAlarmDeadlineTest, InterruptsAWriteAsleepOnAFullPipe) {
  int fds[2];
  ASSERT_THAT(::pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  const int capacity = ::fcntl(fds[1], F_GETPIPE_SZ);
  ASSERT_GT(capacity, 0);
  std::vector<char> fill(static_cast<size_t>(capacity) * 2, 'x');
  {
    ScopedAlarmDeadline deadline;
    EXPECT_THROW(ScopedAlarmDeadline second, std::logic_error);
    EXPECT_FALSE(deadline.passed());
    deadline.Arm(std::chrono::milliseconds(50));
    // More than the pipe holds: the write fills it, then sleeps for room
    // until SIGALRM cuts it short with the count it wrote.
    const ssize_t n = ::write(fds[1], fill.data(), fill.size());
    EXPECT_TRUE(deadline.passed());
    EXPECT_EQ(n, capacity);
  }
  struct sigaction now {};
  ASSERT_EQ(::sigaction(SIGALRM, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL) << "SIGALRM's disposition is restored";
  itimerval timer{};
  ASSERT_EQ(::getitimer(ITIMER_REAL, &timer), 0);
  EXPECT_EQ(timer.it_value.tv_sec + timer.it_value.tv_usec, 0)
      << "the timer is disarmed";
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ScopedChildSubreaperTest, AdoptsOrphansAndRestoresTheSetting) {
  const int before = ChildSubreaperSetting();
  ASSERT_NE(before, -1) << ErrnoName(errno);
  {
    const ScopedChildSubreaper outer;
    ASSERT_TRUE(outer.ok()) << ErrnoName(outer.error());
    EXPECT_EQ(outer.error(), 0);
    EXPECT_EQ(ChildSubreaperSetting(), 1);
    {
      const ScopedChildSubreaper inner;
      ASSERT_TRUE(inner.ok()) << ErrnoName(inner.error());
    }
    EXPECT_EQ(ChildSubreaperSetting(), 1) << "the inner scope cleared it";

    // The child forks a grandchild that waits for `hold` to close, reports
    // its pid and exits; the grandchild is then ours.
    ipc::Pipe hold = ipc::Pipe::Create(O_CLOEXEC);
    ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
    ChildProcess child = ChildProcess::Fork([&] {
      const pid_t grandchild = ::fork();
      if (grandchild < 0) return ErrnoExit();
      if (grandchild == 0) {
        ::close(hold.write_fd());
        char byte;
        ::_exit(::read(hold.read_fd(), &byte, 1) == 0 ? 5 : 6);
      }
      return ::write(report.write_fd(), &grandchild, sizeof grandchild) ==
                     static_cast<ssize_t>(sizeof grandchild)
                 ? 0
                 : 1;
    });
    ASSERT_TRUE(ExitsWithZeroWithin(child));
    pid_t grandchild = -1;
    ASSERT_EQ(::read(report.read_fd(), &grandchild, sizeof grandchild),
              static_cast<ssize_t>(sizeof grandchild));
    hold.CloseWriteEnd();
    ASSERT_TRUE(WaitUntilExited(grandchild, kBlockedTimeout));
    int status = 0;
    ASSERT_EQ(::waitpid(grandchild, &status, WNOHANG), grandchild)
        << "the orphan was not re-parented here: " << ErrnoName(errno);
    EXPECT_TRUE(WaitStatus(status).ExitedWith(5))
        << DescribeChildExit(WaitStatus(status));
  }
  EXPECT_EQ(ChildSubreaperSetting(), before);
}

// ===========================================================================
// The syscall counter (kit/syscall_counter.h)
//
// A counter that drops or invents a call would let shm.no-kernel-buffer pass
// on a kernel that copies through a syscall, or fail on one that does not.

// Exactly the calls between the marks, in order, failed ones included; a
// real prctl and a prctl with the mark's option but not its magic are calls
// like any other, not marks; the calls before and after are not counted.
TEST(SyscallCounterTest, CountsExactlyTheCallsBetweenTheMarks) {
  const SyscallCount count = CountSyscallsBetweenMarks([] {
    ::syscall(SYS_getppid);  // before the start mark
    SyscallCountStartMark();
    for (int i = 0; i < 5; ++i) ::syscall(SYS_getpid);
    ::syscall(SYS_close, -1);
    ::syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
    ::syscall(SYS_prctl, static_cast<long>(kSyscallCountMarkOption), 0UL,
              kSyscallCountEndPhase, 0UL, 0UL);
    SyscallCountEndMark();
    ::syscall(SYS_getppid);  // after the end mark
    return 7;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  EXPECT_TRUE(count.saw_start_mark);
  EXPECT_TRUE(count.saw_end_mark);
  const std::vector<long> expected = {SYS_getpid, SYS_getpid, SYS_getpid,
                                      SYS_getpid, SYS_getpid, SYS_close,
                                      SYS_prctl,  SYS_prctl};
  EXPECT_EQ(count.syscalls, expected) << count.Describe();
  EXPECT_EQ(count.CountOf(SYS_getpid), 5u);
  EXPECT_EQ(count.CountOf(SYS_getppid), 0u);
  EXPECT_EQ(count.Names().front(), "getpid");
  EXPECT_THAT(count.Describe(),
              StartsWith("8 system calls between the marks: getpid, getpid"));
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(count.exit_status->ExitedWith(7))
      << count.exit_status->ToString();
}

TEST(SyscallCounterTest, NoCallBetweenTheMarksCountsZero) {
  const SyscallCount count = CountSyscallsBetweenMarks([] {
    SyscallCountStartMark();
    SyscallCountEndMark();
    return 0;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  EXPECT_TRUE(count.syscalls.empty()) << count.Describe();
  EXPECT_THAT(count.Describe(), StartsWith("0 system calls between the marks"));
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(ExitedWithZero(*count.exit_status));
}

// A signal the body sends itself is delivered, not swallowed by the tracer:
// its handler runs, and its return shows as the rt_sigreturn call.
TEST(SyscallCounterTest, SignalsReachTheTracedChild) {
  static volatile sig_atomic_t handled = 0;
  const SyscallCount count = CountSyscallsBetweenMarks([] {
    struct sigaction action = {};
    action.sa_handler = [](int) { handled = 1; };
    if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 2;
    SyscallCountStartMark();
    ::syscall(SYS_kill, ::syscall(SYS_getpid), SIGUSR1);
    SyscallCountEndMark();
    return handled == 1 ? 0 : 3;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  const std::vector<long> expected = {SYS_getpid, SYS_kill, SYS_rt_sigreturn};
  EXPECT_EQ(count.syscalls, expected) << count.Describe();
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(ExitedWithZero(*count.exit_status));
}

TEST(SyscallCounterTest, ABodyThatNeverMakesTheEndMarkIsAnError) {
  const SyscallCount returned = CountSyscallsBetweenMarks([] {
    SyscallCountStartMark();
    ::syscall(SYS_getpid);
    return 0;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(returned);
  EXPECT_FALSE(returned.ok());
  EXPECT_FALSE(returned.tracing_refused);
  EXPECT_TRUE(returned.saw_start_mark);
  EXPECT_FALSE(returned.saw_end_mark);
  EXPECT_THAT(returned.error, HasSubstr("after the start mark, before the "
                                        "end mark"));
  // What was seen up to the error is kept.
  EXPECT_EQ(returned.CountOf(SYS_getpid), 1u) << returned.Describe();
  ASSERT_TRUE(returned.exit_status.has_value());
  EXPECT_TRUE(returned.exit_status->ExitedWith(0));

  const SyscallCount unmarked = CountSyscallsBetweenMarks([] { return 0; });
  EXPECT_FALSE(unmarked.ok());
  EXPECT_FALSE(unmarked.saw_start_mark);
  EXPECT_THAT(unmarked.error, HasSubstr("before the start mark"));
}

// A body asleep between the marks: the deadline ends the trace, the error
// says what /proc showed, the child is killed and reaped.
TEST(SyscallCounterTest, ABodyThatHangsBetweenTheMarksEndsAtTheDeadline) {
  SyscallCounterOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const SyscallCount count = CountSyscallsBetweenMarks(
      [] {
        SyscallCountStartMark();
        ::pause();
        SyscallCountEndMark();
        return 0;
      },
      options);
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  EXPECT_FALSE(count.ok());
  EXPECT_THAT(count.error,
              HasSubstr("passed its deadline of " +
                        DescribeScaledTimeout(options.timeout) +
                        " after the start mark, before the end mark"));
  EXPECT_THAT(count.error, HasSubstr("pause("));
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(count.exit_status->KilledBy(SIGKILL))
      << count.exit_status->ToString();
}

TEST(SyscallCounterTest, ACrashBetweenTheMarksIsReported) {
  const SyscallCount count = CountSyscallsBetweenMarks([] {
    SyscallCountStartMark();
    ::syscall(SYS_kill, ::syscall(SYS_getpid), SIGSEGV);
    SyscallCountEndMark();
    return 0;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  EXPECT_FALSE(count.ok());
  EXPECT_THAT(count.error, HasSubstr("killed by signal 11"));
  EXPECT_THAT(count.error, HasSubstr("before the end mark"));
  const std::vector<long> expected = {SYS_getpid, SYS_kill};
  EXPECT_EQ(count.syscalls, expected) << count.Describe();
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(count.exit_status->KilledBy(SIGSEGV))
      << count.exit_status->ToString();
}

// A body in a loop of calls is stopped at the bound, not left to fill
// memory.
TEST(SyscallCounterTest, StopsAtItsBoundOfCalls) {
  SyscallCounterOptions options;
  options.max_syscalls = 10;
  const SyscallCount count = CountSyscallsBetweenMarks(
      [] {
        SyscallCountStartMark();
        for (int i = 0; i < 1000; ++i) ::syscall(SYS_getpid);
        SyscallCountEndMark();
        return 0;
      },
      options);
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  EXPECT_THAT(count.error, HasSubstr("more than 10 system calls between the "
                                     "marks"));
  EXPECT_EQ(count.syscalls.size(), 10u);
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(count.exit_status->KilledBy(SIGKILL));
}

TEST(SyscallCounterTest, MarksOutOfOrderAreAnError) {
  const SyscallCount twice = CountSyscallsBetweenMarks([] {
    SyscallCountStartMark();
    SyscallCountStartMark();
    SyscallCountEndMark();
    return 0;
  });
  SKIP_UNLESS_SYSCALLS_COUNTED(twice);
  EXPECT_THAT(twice.error, HasSubstr("a second start mark"));
  const SyscallCount end_first = CountSyscallsBetweenMarks([] {
    SyscallCountEndMark();
    return 0;
  });
  EXPECT_THAT(end_first.error, HasSubstr("an end mark before the start mark"));
}

// The peer hand-off shm.no-kernel-buffer needs: the hook runs once the
// child is between the marks, with its pid; the child, spinning on shared
// memory, sees the hook's write with no system call at all.
TEST(SyscallCounterTest, TheHookActsWhileTheChildIsBetweenTheMarks) {
  void* page = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED) << ErrnoName(errno);
  auto* flag = new (page) std::atomic<int>(0);
  static_assert(std::atomic<int>::is_always_lock_free);
  pid_t hook_saw = 0;
  pid_t hook_child_parent = 0;
  SyscallCounterOptions options;
  options.on_first_mark = [&](pid_t child) {
    hook_saw = child;
    if (const auto task = ReadTaskStat(child, child)) {
      hook_child_parent = task->ppid;
    }
    flag->store(1);
  };
  const SyscallCount count = CountSyscallsBetweenMarks(
      [flag] {
        SyscallCountStartMark();
        // Bounded, and with no call: a call here would be counted.
        for (long spins = 0; spins < (1L << 32); ++spins) {
          if (flag->load() == 1) break;
        }
        const int seen = flag->load();
        SyscallCountEndMark();
        return seen == 1 ? 0 : 4;
      },
      options);
  ::munmap(page, sizeof(std::atomic<int>));
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  EXPECT_TRUE(count.syscalls.empty()) << count.Describe();
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(ExitedWithZero(*count.exit_status));
  EXPECT_GT(hook_saw, 0);
  EXPECT_EQ(hook_child_parent, ::getpid()) << "the hook got pid " << hook_saw;
}

// A seccomp policy that refuses ptrace: the count says so, as a refusal a
// test skips on, naming the call and errno. The filter stays with the
// process that installs it, so this needs a test process of its own.
TEST(SyscallCounterTest, ARefusedTraceIsReportedAsARefusal) {
  if (!RunningUnderSupervisor()) {
    SKIP_UNVERIFIED(
        "its seccomp filter would outlive the test: run it under "
        "the supervisor, not --ipcproof_in_process");
  }
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program = {static_cast<unsigned short>(std::size(filter)), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
    SKIP_UNVERIFIED("installing a seccomp filter failed with " +
                    ErrnoName(errno));
  }
  const SyscallCount count = CountSyscallsBetweenMarks([] {
    SyscallCountStartMark();
    SyscallCountEndMark();
    return 0;
  });
  EXPECT_TRUE(count.tracing_refused) << count.Describe();
  EXPECT_EQ(count.error,
            "ptrace(PTRACE_TRACEME) failed in the child with EPERM (Operation "
            "not permitted)");
  ASSERT_TRUE(count.exit_status.has_value());
  EXPECT_TRUE(count.exit_status->ExitedWith(ErrnoExit(EPERM)));
}

// ===========================================================================
// Test-unique IPC names (kit/ipc_names.h)

TEST(UniqueIpcNameTest, NamesCarryThePrefixAndNeverRepeat) {
  const std::string& prefix = IpcNamePrefix();
  if (RunningUnderSupervisor()) {
    // The runner's: its pid (our parent), its token, the test's number.
    const char* given = std::getenv("IPCPROOF_NAME_PREFIX");
    ASSERT_NE(given, nullptr);
    EXPECT_EQ(prefix, given);
    EXPECT_THAT(prefix, ::testing::MatchesRegex("ipcproof\\." +
                                                std::to_string(::getppid()) +
                                                "\\.[0-9a-f]{8}\\.[0-9]+\\."));
  } else {
    EXPECT_THAT(prefix, ::testing::MatchesRegex("ipcproof\\." +
                                                std::to_string(::getpid()) +
                                                "\\.[0-9a-f]{8}\\."));
  }
  const std::string first = UniqueIpcName("stem");
  const std::string second = UniqueIpcName("stem");
  EXPECT_NE(first, second);
  for (const std::string& name : {first, second}) {
    EXPECT_THAT(name, StartsWith("/" + prefix + "stem."));
    EXPECT_EQ(name.find('/', 1), std::string::npos) << name;
  }
}

TEST(UniqueIpcNameTest, RefusesStemsThatWouldNotMakeAName) {
  EXPECT_THROW(UniqueIpcName("a/b"), std::invalid_argument);
  EXPECT_THROW(UniqueIpcName(std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_THROW(UniqueIpcName(std::string(kMaxIpcNameLength, 'x')),
               std::invalid_argument);
}

// kMaxIpcNameLength is what the system takes: a name of exactly that length
// works with sem_open (whose file is "sem." + name) and shm_open, and one
// byte more is refused with ENAMETOOLONG.
TEST(UniqueIpcNameTest, TheLongestNameWorksForSemOpenAndShmOpen) {
  struct stat dev_shm;
  if (::stat("/dev/shm", &dev_shm) != 0 || !S_ISDIR(dev_shm.st_mode)) {
    SKIP_UNVERIFIED("stat(/dev/shm) found no directory: " + ErrnoName(errno));
  }
  // The next name's counter is one past this one's.
  const std::string probe = UniqueIpcName("p");
  const unsigned long next = std::stoul(probe.substr(probe.rfind('.') + 1)) + 1;
  const std::size_t stem = kMaxIpcNameLength - IpcNamePrefix().size() - 1 -
                           std::to_string(next).size();
  const std::string name = UniqueIpcName(std::string(stem, 'x'));
  ASSERT_EQ(name.size(), kMaxIpcNameLength + 1) << name;

  sem_t* semaphore = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(semaphore, SEM_FAILED) << "sem_open: " << ErrnoName(errno);
  const ScopedUnlink remove_sem("/dev/shm/sem." + name.substr(1));
  ::sem_close(semaphore);
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << "shm_open: " << ErrnoName(errno);
  const ScopedUnlink remove_shm("/dev/shm" + name);
  ::close(fd);

  const std::string longer = name + "y";
  errno = 0;
  EXPECT_EQ(::sem_open(longer.c_str(), O_CREAT | O_EXCL, 0600, 0), SEM_FAILED);
  EXPECT_EQ(errno, ENAMETOOLONG) << ErrnoName(errno);
}

}  // namespace
}  // namespace ipcproof

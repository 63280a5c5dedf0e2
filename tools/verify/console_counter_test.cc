#include "tools/verify/console_counter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// What a conformance binary prints, summary included (which names the
// failed and skipped tests a second time, without times).
constexpr char kConsole[] =
    "[==========] Running 4 tests, each in its own process (watchdog 30 s "
    "each).\n"
    "[ RUN      ] PipeTest.A\n"
    "[       OK ] PipeTest.A (3 ms)\n"
    "[ RUN      ] Pipes/P.B/anonymous\n"
    "p.cc:9: Failure\n"
    "[  FAILED  ] Pipes/P.B/anonymous, where GetParam() = 4 (12 ms)\n"
    "[ RUN      ] PipeTest.C\n"
    "Skipped: setresuid: EINVAL\n"
    "[  SKIPPED ] PipeTest.C (0 ms)\n"
    "[ RUN      ] PipeTest.D\n"
    "[  FAILED  ] PipeTest.D (30001 ms)\n"
    "[==========] 4 tests ran. (30100 ms total)\n"
    "[  PASSED  ] 1 test.\n"
    "[  SKIPPED ] 1 test, listed below:\n"
    "[  SKIPPED ] PipeTest.C\n"
    "[  FAILED  ] 2 tests, listed below:\n"
    "[  FAILED  ] Pipes/P.B/anonymous, where GetParam() = 4\n"
    "[  FAILED  ] PipeTest.D\n";

TEST(ConsoleCounterTest, CountsPerTestLinesAndNotTheSummary) {
  ConsoleCounter counter;
  EXPECT_THAT(counter.Feed(kConsole),
              ElementsAre("Pipes/P.B/anonymous", "PipeTest.D"));
  EXPECT_THAT(counter.Finish(), IsEmpty());
  EXPECT_EQ(counter.started(), 4);
  EXPECT_EQ(counter.passed(), 1);
  EXPECT_EQ(counter.failed(), 2);
  EXPECT_EQ(counter.skipped(), 1);
  EXPECT_EQ(counter.done(), 4);
}

TEST(ConsoleCounterTest, LinesSplitAcrossChunksCountOnce) {
  ConsoleCounter counter;
  const std::string text = kConsole;
  std::vector<std::string> failures;
  // One byte at a time: the hardest split.
  for (char c : text) {
    for (std::string& failed : counter.Feed(std::string_view(&c, 1))) {
      failures.push_back(failed);
    }
  }
  EXPECT_THAT(failures, ElementsAre("Pipes/P.B/anonymous", "PipeTest.D"));
  EXPECT_EQ(counter.done(), 4);
}

TEST(ConsoleCounterTest, ALastLineWithoutNewlineCountsAtFinish) {
  ConsoleCounter counter;
  EXPECT_THAT(counter.Feed("[ RUN      ] S.N\n[  FAILED  ] S.N (1 ms)"),
              IsEmpty());
  EXPECT_EQ(counter.failed(), 0);
  EXPECT_THAT(counter.Finish(), ElementsAre("S.N"));
  EXPECT_EQ(counter.failed(), 1);
}

TEST(ConsoleCounterTest, ATestsOwnOutputIsNotCounted) {
  ConsoleCounter counter;
  counter.Feed(
      "[ RUN      ] S.N\n"
      "  [       OK ] indented, printed by the test (1 ms)\n"
      "[       OK ] S.N took (long) (x ms)\n"
      "[       OK ] S.N (2 ms)\r\n");
  EXPECT_EQ(counter.passed(), 1);
}

TEST(VerdictLineTestTest, TakesTheNameOffTheTimeAndParameter) {
  EXPECT_EQ(VerdictLineTest("S.N (12 ms)"), "S.N");
  EXPECT_EQ(VerdictLineTest("I/S.N/0, where GetParam() = 4 (0 ms)"), "I/S.N/0");
  EXPECT_EQ(VerdictLineTest("S.N"), "");
  EXPECT_EQ(VerdictLineTest("2 tests, listed below:"), "");
  EXPECT_EQ(VerdictLineTest("S.N ( ms)"), "");
}

}  // namespace
}  // namespace ipcproof::verify

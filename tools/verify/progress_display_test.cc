#include "tools/verify/progress_display.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/captured_output.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;

BinaryProgress Fifo(int done, int failed) {
  BinaryProgress progress;
  progress.index = 2;
  progress.total = 11;
  progress.binary = "conformance/pipe/fifo_test";
  progress.done = done;
  progress.tests = 45;
  progress.failed = failed;
  return progress;
}

TEST(ProgressTextTest, SaysBinaryTestsAndFailures) {
  EXPECT_EQ(ProgressText(Fifo(34, 1)),
            "verify: [2/11] conformance/pipe/fifo_test: 34/45 tests, 1 failed");
  BinaryProgress skipped = Fifo(45, 0);
  skipped.skipped = 3;
  EXPECT_THAT(ProgressText(skipped),
              HasSubstr("45/45 tests, 0 failed, 3 skipped"));
}

TEST(ProgressTextTest, NamesTheKernelWhenThereAreSeveral) {
  BinaryProgress guest = Fifo(45, 0);
  guest.kernel = "linux-6.1";
  EXPECT_EQ(ProgressText(guest),
            "verify: linux-6.1 \u00b7 [2/11] conformance/pipe/fifo_test: "
            "45/45 tests, 0 failed");
  EXPECT_EQ(KernelPrefix(""), "");
}

TEST(ProgressDisplayTest, AStatusIsALineInALogAndRewrittenOnATerminal) {
  Captured log;
  {
    ProgressDisplay display(log.file(), /*terminal=*/false, /*quiet=*/false);
    display.Status("verify: linux-6.1 \u00b7 booting (tcg)");
  }
  EXPECT_EQ(log.text(), "verify: linux-6.1 \u00b7 booting (tcg)\n");
  Captured terminal;
  {
    ProgressDisplay display(terminal.file(), /*terminal=*/true,
                            /*quiet=*/false);
    display.Status("verify: a \u00b7 booting (tcg)");
    BinaryProgress guest = Fifo(45, 0);
    guest.kernel = "a";
    display.Finished(guest);
  }
  EXPECT_EQ(terminal.text(),
            "\rverify: a \u00b7 booting (tcg)\033[K"
            "\rverify: a \u00b7 [2/11] conformance/pipe/fifo_test: 45/45 "
            "tests, 0 failed\033[K\n");
}

TEST(ProgressDisplayTest, ALogGetsOneLinePerFailureAndPerBinary) {
  Captured out;
  {
    ProgressDisplay display(out.file(), /*terminal=*/false, /*quiet=*/false);
    display.Update(Fifo(1, 0));
    display.Failure(Fifo(2, 1), "FifoTest.Opens");
    display.Update(Fifo(2, 1));
    display.Finished(Fifo(45, 1));
  }
  EXPECT_EQ(
      out.text(),
      "verify: [2/11] conformance/pipe/fifo_test: FAILED FifoTest.Opens\n"
      "verify: [2/11] conformance/pipe/fifo_test: 45/45 tests, 1 failed\n");
}

TEST(ProgressDisplayTest, ATerminalLineIsRewrittenInPlaceAndLeftStanding) {
  Captured out;
  {
    ProgressDisplay display(out.file(), /*terminal=*/true, /*quiet=*/false);
    display.Update(Fifo(1, 0));
    display.Update(Fifo(1, 0));  // unchanged: not drawn again
    display.Failure(Fifo(2, 1), "FifoTest.Opens");
    display.Finished(Fifo(45, 1));
    display.Note("verify: [2/11] conformance/pipe/fifo_test: reran X: passed");
  }
  const std::string text = out.text();
  EXPECT_EQ(text,
            "\rverify: [2/11] conformance/pipe/fifo_test: 1/45 tests, 0 failed"
            "\033[K"
            "\rverify: [2/11] conformance/pipe/fifo_test: 45/45 tests, 1 failed"
            "\033[K\n"
            "verify: [2/11] conformance/pipe/fifo_test: reran X: passed\n");
}

TEST(ProgressDisplayTest, QuietPrintsNothing) {
  Captured out;
  {
    ProgressDisplay display(out.file(), /*terminal=*/true, /*quiet=*/true);
    display.Update(Fifo(1, 0));
    display.Finished(Fifo(45, 0));
    display.Note("x");
  }
  EXPECT_EQ(out.text(), "");
}

}  // namespace
}  // namespace ipcproof::verify

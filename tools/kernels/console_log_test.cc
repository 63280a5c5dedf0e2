// Scanning guest kernel logs. testdata/console_6.1_*.log and
// console_6.12_oops_init.log are consoles QEMU wrote in real runs here (the
// firmware's escape sequences and CRLF line ends included);
// console_composed_warning_oops.log is composed in the format of x86's
// __warn() and die() output, since no test here can make a kernel oops for
// real without also panicking it.
#include "tools/kernels/console_log.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string Testdata(const std::string& name) {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("TEST_SRCDIR")) roots.push_back(dir);
  roots.push_back(fs::read_symlink("/proc/self/exe").string() + ".runfiles");
  for (const std::string& root : roots) {
    std::ifstream in(root + "/ipcproof/tools/kernels/testdata/" + name,
                     std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      return text.str();
    }
  }
  ADD_FAILURE() << "no testdata " << name;
  return "";
}

TEST(ConsoleLinesTest, EscapesCarriageReturnsAndControlBytesAreRemoved) {
  EXPECT_THAT(ConsoleLines("\x1b"
                           "c\x1b[?7l\x1b[2J\x1b[0mSeaBIOS\r\n\r\n"
                           "Booting...\r\n\x1b"
                           "c\x1b[?7l\x1b[2J[ 0.1] a\tb \r\n"
                           "no end"),
              ElementsAre("SeaBIOS", "Booting...", "[ 0.1] a b", "no end"));
}

TEST(ConsoleLinesTest, WithoutTimestampKeepsOtherBrackets) {
  EXPECT_EQ(WithoutTimestamp("[   12.100100] WARNING: x"), "WARNING: x");
  EXPECT_EQ(WithoutTimestamp("[drm] not a time"), "[drm] not a time");
  EXPECT_EQ(WithoutTimestamp("ipcproof-init: done"), "ipcproof-init: done");
}

TEST(ScanConsoleLogTest, ACleanBootHasNoWarnings) {
  const std::string log = Testdata("console_6.1_clean.log");
  const ConsoleScan scan = ScanConsoleLog(log);
  EXPECT_EQ(scan.panic_line, "");
  EXPECT_EQ(scan.oops_line, "");
  EXPECT_THAT(scan.warnings, IsEmpty());
  EXPECT_THAT(ConsoleTail(log, 2), EndsWith("reboot: Power down"));
}

TEST(ScanConsoleLogTest, APanicIsFoundWithItsLine) {
  const std::string log = Testdata("console_6.1_panic.log");
  const ConsoleScan scan = ScanConsoleLog(log);
  EXPECT_THAT(scan.panic_line,
              HasSubstr("] Kernel panic - not syncing: Attempted to kill "
                        "init! exitcode=0x00000300"));
  // The stack dump of a panic is not an oops of its own.
  EXPECT_EQ(scan.oops_line, "");
  EXPECT_THAT(scan.warnings, ElementsAre(HasSubstr("Kernel panic")));
}

TEST(ScanConsoleLogTest, AnOopsLineFromTheLogIsAnOops) {
  const ConsoleScan scan =
      ScanConsoleLog(Testdata("console_6.12_oops_init.log"));
  EXPECT_EQ(scan.panic_line, "");
  EXPECT_THAT(scan.oops_line, HasSubstr("] Oops: 0002 [#1] PREEMPT SMP NOPTI"));
  EXPECT_THAT(scan.warnings, ElementsAre(HasSubstr("Oops: 0002")));
}

TEST(ScanConsoleLogTest, WarningsBugsAndHungTasksAreListedInOrder) {
  const ConsoleScan scan =
      ScanConsoleLog(Testdata("console_composed_warning_oops.log"));
  EXPECT_EQ(scan.panic_line, "");
  // The first line that says the kernel broke: the BUG before the Oops.
  EXPECT_EQ(scan.oops_line,
            "[   13.200000] BUG: kernel NULL pointer dereference, address: "
            "0000000000000008");
  EXPECT_THAT(
      scan.warnings,
      ElementsAre(HasSubstr("WARNING: CPU: 1 PID: 211 at fs/pipe.c:561"),
                  HasSubstr("BUG: kernel NULL pointer dereference"),
                  HasSubstr("Oops: Oops: 0000 [#1]"),
                  HasSubstr("INFO: task pipe_test:213 blocked for more than")));
}

TEST(ScanConsoleLogTest, OtherOopsFormsAreOopses) {
  for (const char* line :
       {"[ 1.0] kernel BUG at mm/slub.c:123!",
        "[ 1.0] general protection fault, probably for non-canonical address",
        "[ 1.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
        "[ 1.0] BUG: sleeping function called from invalid context"}) {
    EXPECT_EQ(ScanConsoleLog(line).oops_line, line);
  }
  // Words that only look alike are not.
  for (const char* line : {"[ 1.0] Debug: nothing", "[ 1.0] BUGS fixed",
                           "ipcproof-init: running DEBUG_test",
                           "[ 1.0] pipe: WARNING is just a word here"}) {
    const ConsoleScan scan = ScanConsoleLog(line);
    EXPECT_EQ(scan.oops_line, "") << line;
    EXPECT_THAT(scan.warnings, IsEmpty()) << line;
  }
}

TEST(ConsoleTailTest, TheTailIsTheLastLinesCleaned) {
  const std::string log = Testdata("console_6.1_panic.log");
  const std::string tail = ConsoleTail(log, 3);
  EXPECT_THAT(tail, Not(HasSubstr("\r")));
  EXPECT_THAT(tail, StartsWith("[    3.041777] R13: "));
  EXPECT_THAT(tail,
              EndsWith("Kernel Offset: 0x27200000 from 0xffffffff81000000 "
                       "(relocation range: "
                       "0xffffffff80000000-0xffffffffbfffffff)"));
  EXPECT_EQ(ConsoleTail("", 3), "");
  EXPECT_EQ(ConsoleTail("a\nb\n", 20), "a\nb");
}

}  // namespace
}  // namespace ipcproof::kernels

#include "tools/verify/kernel_health.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(KmsgRecordMessageTest, TakesTheTextAfterThePrefixUpToTheDictionary) {
  EXPECT_EQ(KmsgRecordMessage("4,1021,48229932,-;WARNING: CPU: 1 PID: 77 at "
                              "fs/pipe.c:300\n SUBSYSTEM=x\n"),
            "WARNING: CPU: 1 PID: 77 at fs/pipe.c:300");
  EXPECT_EQ(KmsgRecordMessage("6,5,7,-;plain\n"), "plain");
  EXPECT_EQ(KmsgRecordMessage("no prefix"), "no prefix");
}

TEST(IsKernelWarningTest, MatchesTheWordsAsWords) {
  EXPECT_TRUE(IsKernelWarning("WARNING: CPU: 0 PID: 1 at mm/slub.c:1"));
  EXPECT_TRUE(IsKernelWarning("BUG: kernel NULL pointer dereference"));
  EXPECT_TRUE(IsKernelWarning("Oops: 0002 [#1] PREEMPT SMP"));
  EXPECT_TRUE(IsKernelWarning("kernel BUG at fs/pipe.c:42!"));
  EXPECT_FALSE(IsKernelWarning("DEBUG: tracing enabled"));
  EXPECT_FALSE(IsKernelWarning("BUGS fixed"));
  EXPECT_FALSE(IsKernelWarning("warning: lower case is not the kernel's"));
  EXPECT_FALSE(IsKernelWarning("eth0: link up"));
}

TEST(KernelHealthWatchTest, ReadsTheTaintFlagsBeforeAndAfter) {
  const std::string tainted =
      std::string(std::getenv("TEST_TMPDIR")) + "/tainted";
  std::ofstream(tainted) << "0\n";
  KernelHealthWatch watch(tainted, "/nonexistent/kmsg");
  std::ofstream(tainted) << "512\n";
  const KernelHealth health = watch.Finish();
  EXPECT_EQ(health.tainted_before, "0");
  EXPECT_EQ(health.tainted_after, "512");
  EXPECT_TRUE(health.TaintChanged());
  EXPECT_EQ(health.log_unreadable, "/nonexistent/kmsg: ENOENT");
  EXPECT_THAT(health.warnings, IsEmpty());
}

TEST(KernelHealthWatchTest, AnUnreadableTaintFileIsSaid) {
  KernelHealthWatch watch("/nonexistent/tainted", "/nonexistent/kmsg");
  EXPECT_THAT(watch.Finish().tainted_before, HasSubstr("unreadable (ENOENT)"));
}

// On this machine: whatever /dev/kmsg allows, the watch says what it read
// and never blocks (O_NONBLOCK, read until EAGAIN).
TEST(KernelHealthWatchTest, TheRealKernelLogIsReadOrItsErrorSaid) {
  KernelHealthWatch watch;
  const KernelHealth health = watch.Finish();
  EXPECT_FALSE(health.tainted_before.empty());
  if (!health.log_unreadable.empty()) {
    EXPECT_THAT(health.log_unreadable, HasSubstr("/dev/kmsg: E"));
  }
}

}  // namespace
}  // namespace ipcproof::verify

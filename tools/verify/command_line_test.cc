#include "tools/verify/command_line.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::ThrowsMessage;

CommandLine Parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"verify"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(CommandLineTest, DefaultsWriteEveryFormatToIpcproofReport) {
  const CommandLine line = Parse({});
  EXPECT_EQ(line.out, "ipcproof-report");
  EXPECT_THAT(line.formats,
              ElementsAre("md", "html", "json", "junit", "ktap", "gradescope"));
  EXPECT_THAT(line.claims, IsEmpty());
  EXPECT_EQ(line.timeout_seconds, 30);
  EXPECT_FALSE(line.binary_timeout_seconds.has_value());
  EXPECT_FALSE(line.strict);
  EXPECT_FALSE(line.help);
  // The running kernel alone, as before --kernel existed.
  EXPECT_THAT(line.kernels, ElementsAre("host"));
  EXPECT_EQ(line.accel, "auto");
  EXPECT_EQ(line.guest_cpus, 2);
  EXPECT_EQ(line.guest_memory_mib, 2048);
  EXPECT_EQ(line.kernel_cache, "");
}

TEST(CommandLineTest, KernelsKeepTheOrderGivenAndHostMayBeAnyOfThem) {
  const CommandLine line = Parse(
      {"--kernel", "linux-6.1", "--areas", "mq", "--kernel", "host", "--kernel",
       "/k/bzImage", "--accel", "tcg", "--guest-cpus", "1", "--guest-memory",
       "1024", "--kernel-cache", "/c", "--guest-busybox", "/b/busybox"});
  EXPECT_THAT(line.kernels, ElementsAre("linux-6.1", "host", "/k/bzImage"));
  EXPECT_THAT(line.areas, ElementsAre("mq"));
  EXPECT_EQ(line.accel, "tcg");
  EXPECT_EQ(line.guest_cpus, 1);
  EXPECT_EQ(line.guest_memory_mib, 1024);
  EXPECT_EQ(line.kernel_cache, "/c");
  EXPECT_EQ(line.guest_busybox, "/b/busybox");
  EXPECT_THAT(Parse({"--kernel", "host"}).kernels, ElementsAre("host"));
  // The host is the reference column: first unless placed or left out.
  EXPECT_THAT(Parse({"--kernel=linux-6.12"}).kernels,
              ElementsAre("host", "linux-6.12"));
  EXPECT_THAT(
      Parse({"--kernel", "linux-6.1", "--kernel", "linux-6.12"}).kernels,
      ElementsAre("host", "linux-6.1", "linux-6.12"));
  EXPECT_THAT(Parse({"--kernel", "/k/bzImage", "--no-host"}).kernels,
              ElementsAre("/k/bzImage"));
}

TEST(CommandLineTest, NoHostNeedsAnotherKernelAndContradictsKernelHost) {
  EXPECT_THAT([] { Parse({"--no-host"}); },
              ThrowsMessage<UsageError>(HasSubstr("name a --kernel")));
  EXPECT_THAT(
      [] {
        Parse({"--no-host", "--kernel", "host", "--kernel", "linux-6.1"});
      },
      ThrowsMessage<UsageError>(HasSubstr("contradict")));
}

TEST(CommandLineTest, BadKernelOptionsAreUsageErrors) {
  EXPECT_THAT(
      [] {
        Parse({"--kernel", "linux-6.1", "--kernel", "linux-6.1"});
      },
      ThrowsMessage<UsageError>(
          HasSubstr("--kernel: \"linux-6.1\" is given twice")));
  EXPECT_THAT(
      [] {
        Parse({"--kernel", ""});
      },
      ThrowsMessage<UsageError>(HasSubstr("empty kernel spec")));
  EXPECT_THAT([] { Parse({"--kernel"}); },
              ThrowsMessage<UsageError>(HasSubstr("--kernel")));
  // One spec per --kernel: a second word is not taken as another kernel.
  EXPECT_THAT(
      [] {
        Parse({"--kernel", "linux-6.1", "linux-6.12"});
      },
      ThrowsMessage<UsageError>(HasSubstr("linux-6.12")));
  EXPECT_THAT(
      [] {
        Parse({"--accel", "hvf"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--accel")));
  EXPECT_THAT(
      [] {
        Parse({"--guest-cpus", "0"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--guest-cpus")));
  EXPECT_THAT(
      [] {
        Parse({"--guest-cpus", "two"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--guest-cpus")));
  EXPECT_THAT(
      [] {
        Parse({"--guest-memory", "16"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--guest-memory")));
}

TEST(CommandLineTest, ListsSplitAtCommasAndFormatsKeepReportOrder) {
  const CommandLine line =
      Parse({"-o", "/tmp/r", "-f", "ktap,md", "--claims", "pipe.*,fifo.x",
             "--areas", "mq", "--strict", "--timeout", "5", "--binary-timeout",
             "9", "-q", "--gradescope-per-test", "--registry", "r.json"});
  EXPECT_EQ(line.out, "/tmp/r");
  EXPECT_THAT(line.formats, ElementsAre("md", "ktap"));
  EXPECT_THAT(line.claims, ElementsAre("pipe.*", "fifo.x"));
  EXPECT_THAT(line.areas, ElementsAre("mq"));
  EXPECT_TRUE(line.strict);
  EXPECT_EQ(line.timeout_seconds, 5);
  EXPECT_EQ(line.binary_timeout_seconds, 9);
  EXPECT_TRUE(line.quiet);
  EXPECT_TRUE(line.gradescope_per_test);
  EXPECT_EQ(line.registry, "r.json");
}

TEST(CommandLineTest, BadOptionsAreUsageErrors) {
  EXPECT_THAT(
      [] {
        Parse({"--formats", "md,pdf"});
      },
      ThrowsMessage<UsageError>(HasSubstr("no format \"pdf\"")));
  EXPECT_THAT([] { Parse({"--no-such-option"}); },
              ThrowsMessage<UsageError>(HasSubstr("--no-such-option")));
  EXPECT_THAT(
      [] {
        Parse({"--timeout", "0"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--timeout")));
  EXPECT_THAT(
      [] {
        Parse({"--timeout", "soon"});
      },
      ThrowsMessage<UsageError>(HasSubstr("--timeout")));
  EXPECT_THAT([] { Parse({"--out"}); },
              ThrowsMessage<UsageError>(HasSubstr("--out")));
}

TEST(CommandLineTest, HelpReadsLikeAManPage) {
  const CommandLine line = Parse({"--help"});
  ASSERT_TRUE(line.help);
  // A leading newline lets every heading be found as a line start.
  const std::string page = "\n" + line.help_text;
  size_t at = 0;
  for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                              "VERDICTS", "EXIT STATUS", "FILES", "EXAMPLES"}) {
    const size_t found = page.find(std::string("\n") + section + "\n");
    ASSERT_NE(found, std::string::npos) << section << " missing:\n" << page;
    EXPECT_GE(found + 1, at) << section << " out of order";
    at = found + 1;
  }
  EXPECT_THAT(page, HasSubstr("--update-docs-report"));
  for (const char* option :
       {"--kernel SPEC", "--accel", "--guest-cpus N", "--guest-memory MIB",
        "--kernel-cache DIR", "--guest-busybox FILE"}) {
    EXPECT_THAT(page, HasSubstr(option));
  }
  EXPECT_THAT(page, Not(HasSubstr("Usage:")));
  // Every line fits a terminal.
  size_t start = 0;
  while (start < page.size()) {
    const size_t end = std::min(page.find('\n', start), page.size());
    EXPECT_LE(end - start, 80u) << page.substr(start, end - start);
    start = end + 1;
  }
}

}  // namespace
}  // namespace ipcproof::verify

// QEMU's command line, and RunQemu's limits against a fake QEMU
// (testdata/fake_qemu): every way a run can end, and nothing left behind.
#include "tools/kernels/qemu.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::StartsWith;

QemuConfig Config() {
  QemuConfig config;
  config.kernel_path = "/k/vmlinuz";
  config.initrd_path = "/w/initramfs.cpio";
  config.console_log_path = "/w/console.log";
  config.results_path = "/w/results.stream";
  return config;
}

TEST(QemuCommandLineTest, TcgRunsOneThreadPerCpuWithTwoSerialFiles) {
  QemuConfig config = Config();
  config.cpus = 2;
  config.memory_mib = 2048;
  const std::vector<std::string> argv = QemuCommandLine(config);
  EXPECT_EQ(argv[0], "qemu-system-x86_64");
  const std::string line = [&] {
    std::string joined;
    for (const std::string& arg : argv) joined += arg + " ";
    return joined;
  }();
  EXPECT_THAT(line, HasSubstr(" -accel tcg,thread=multi "));
  EXPECT_THAT(line, HasSubstr(" -smp 2 -m 2048 "));
  EXPECT_THAT(line, HasSubstr(" -no-reboot "));
  EXPECT_THAT(line,
              HasSubstr(" -kernel /k/vmlinuz -initrd /w/initramfs.cpio "));
  EXPECT_THAT(line,
              HasSubstr(" -append console=ttyS0 panic=-1 quiet loglevel=5 "));
  // ttyS0 first (the kernel's console), ttyS1 second (the records).
  EXPECT_THAT(line, HasSubstr("-chardev file,id=console,path=/w/console.log "
                              "-serial chardev:console -chardev "
                              "file,id=results,path=/w/results.stream -serial "
                              "chardev:results"));
  EXPECT_THAT(line, Not(HasSubstr("kvm")));
}

TEST(QemuCommandLineTest, KvmUsesTheHostCpu) {
  QemuConfig config = Config();
  config.accelerator = "kvm";
  const std::vector<std::string> argv = QemuCommandLine(config);
  EXPECT_THAT(argv, IsSupersetOf({"-accel", "kvm", "-cpu", "host"}));
}

TEST(QemuCommandLineTest, ACommaInAPathIsDoubledForQemusOptionSyntax) {
  QemuConfig config = Config();
  config.results_path = "/w,x/results";
  const std::vector<std::string> argv = QemuCommandLine(config);
  EXPECT_THAT(argv, testing::Contains("file,id=results,path=/w,,x/results"));
}

TEST(QemuCommandLineTest, BadConfigurationsAreRefused) {
  QemuConfig config = Config();
  config.accelerator = "hvf";
  EXPECT_THROW(QemuCommandLine(config), std::invalid_argument);
  config = Config();
  config.initrd_path = "";
  EXPECT_THROW(QemuCommandLine(config), std::invalid_argument);
  config = Config();
  config.cpus = 0;
  EXPECT_THROW(QemuCommandLine(config), std::invalid_argument);
}

TEST(DescribeWaitStatusTest, SaysHowItEnded) {
  EXPECT_EQ(DescribeWaitStatus(3 << 8), "exited with status 3");
  EXPECT_EQ(DescribeWaitStatus(SIGKILL), "killed by signal 9 (SIGKILL)");
}

class RunQemuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qemu_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    config_ = Config();
    config_.qemu_binary = FakeQemu();
    config_.console_log_path = dir_ + "/console.log";
    config_.results_path = dir_ + "/results.stream";
    ASSERT_FALSE(config_.qemu_binary.empty()) << "no testdata/fake_qemu";
  }
  void TearDown() override {
    ::unsetenv("FAKE_QEMU_MODE");
    fs::remove_all(dir_);
  }

  static std::string FakeQemu() {
    std::vector<std::string> roots;
    if (const char* dir = std::getenv("TEST_SRCDIR")) roots.push_back(dir);
    roots.push_back(fs::read_symlink("/proc/self/exe").string() + ".runfiles");
    for (const std::string& root : roots) {
      const std::string path =
          root + "/ipcproof/tools/kernels/testdata/fake_qemu";
      if (fs::exists(path)) return path;
    }
    return "";
  }

  QemuOutcome Run(const std::string& mode, QemuLimits limits,
                  QemuWatch watch = {}) {
    ::setenv("FAKE_QEMU_MODE", mode.c_str(), 1);
    return RunQemu(config_, limits, dir_ + "/qemu.log", watch);
  }

  std::string dir_;
  QemuConfig config_;
};

QemuLimits Total(milliseconds total) {
  QemuLimits limits;
  limits.total = total;
  return limits;
}

TEST_F(RunQemuTest, AQemuThatCannotBeExecutedIsNotStarted) {
  config_.qemu_binary = dir_ + "/no-such-qemu";
  const QemuOutcome outcome = Run("", Total(milliseconds(5000)));
  EXPECT_EQ(outcome.end, QemuOutcome::End::kNotStarted);
  EXPECT_THAT(outcome.error, HasSubstr("No such file or directory"));
  EXPECT_THAT(outcome.error, HasSubstr("qemu-system-x86"));
}

TEST_F(RunQemuTest, AnExitIsReportedWithItsStatusAndOutput) {
  const QemuOutcome outcome = Run("exit3", Total(milliseconds(10000)));
  EXPECT_EQ(outcome.end, QemuOutcome::End::kExited);
  EXPECT_TRUE(WIFEXITED(outcome.wait_status));
  EXPECT_EQ(WEXITSTATUS(outcome.wait_status), 3);
  EXPECT_EQ(outcome.stderr_text, "fake qemu: could not load kernel\n");
  EXPECT_LT(outcome.seconds, 10);
}

TEST_F(RunQemuTest, TheTotalLimitKillsIt) {
  const QemuOutcome outcome = Run("hang", Total(milliseconds(1000)));
  EXPECT_EQ(outcome.end, QemuOutcome::End::kTimeLimit);
  EXPECT_TRUE(WIFSIGNALED(outcome.wait_status));
  EXPECT_EQ(WTERMSIG(outcome.wait_status), SIGKILL);
  EXPECT_GE(outcome.seconds, 1.0);
  EXPECT_LT(outcome.seconds, 5.0);
}

TEST_F(RunQemuTest, NoFirstRecordInTimeKillsIt) {
  QemuLimits limits = Total(milliseconds(20000));
  limits.first_output = milliseconds(700);
  const QemuOutcome outcome = Run("hang", limits);
  EXPECT_EQ(outcome.end, QemuOutcome::End::kNoFirstOutput);
  EXPECT_LT(outcome.seconds, 5.0);
  EXPECT_LT(outcome.first_output_seconds, 0);
}

TEST_F(RunQemuTest, AStreamThatStopsGrowingKillsItAndItsBytesArrive) {
  QemuLimits limits = Total(milliseconds(20000));
  limits.first_output = milliseconds(10000);
  limits.silence = milliseconds(700);
  std::string seen;
  QemuWatch watch;
  watch.on_results = [&](std::string_view bytes) { seen.append(bytes); };
  const QemuOutcome outcome = Run("write-hang", limits, watch);
  EXPECT_EQ(outcome.end, QemuOutcome::End::kSilence);
  EXPECT_EQ(seen, "@ipcproof hello - 1\n1\n");
  EXPECT_GE(outcome.first_output_seconds, 0);
  EXPECT_LT(outcome.seconds, 5.0);
}

TEST_F(RunQemuTest, AHeartbeatKeepsTheSilenceLimitAway) {
  QemuLimits limits = Total(milliseconds(20000));
  limits.silence = milliseconds(600);
  std::string seen;
  QemuWatch watch;
  watch.on_results = [&](std::string_view bytes) { seen.append(bytes); };
  const QemuOutcome outcome = Run("heartbeat", limits, watch);
  EXPECT_EQ(outcome.end, QemuOutcome::End::kExited);
  EXPECT_EQ(seen, std::string(10, 'x'));
}

TEST_F(RunQemuTest, AbortOnStderrEndsAPausedKvm) {
  QemuWatch watch;
  watch.abort_on_stderr = [](std::string_view text) {
    return text.find("KVM internal error") != std::string_view::npos;
  };
  const QemuOutcome outcome =
      Run("kvm-error", Total(milliseconds(20000)), watch);
  EXPECT_EQ(outcome.end, QemuOutcome::End::kAborted);
  EXPECT_THAT(outcome.stderr_text, StartsWith("KVM internal error"));
  EXPECT_LT(outcome.seconds, 5.0);
}

TEST_F(RunQemuTest, CancellingEndsItAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  QemuWatch watch;
  watch.cancelled = [&] {
    return std::chrono::steady_clock::now() - start > milliseconds(300);
  };
  const QemuOutcome outcome = Run("hang", Total(milliseconds(20000)), watch);
  EXPECT_EQ(outcome.end, QemuOutcome::End::kCancelled);
  EXPECT_LT(outcome.seconds, 5.0);
}

TEST_F(RunQemuTest, KillingItEndsItsWholeProcessGroup) {
  // Orphans come back to this process, so the test can wait for the
  // fake's child to die (it is in QEMU's process group).
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const std::string pidfile = dir_ + "/grandchild.pid";
  ::setenv("FAKE_QEMU_PIDFILE", pidfile.c_str(), 1);
  const QemuOutcome outcome = Run("grandchild", Total(milliseconds(1500)));
  ::unsetenv("FAKE_QEMU_PIDFILE");
  EXPECT_EQ(outcome.end, QemuOutcome::End::kTimeLimit);
  pid_t grandchild = 0;
  std::ifstream(pidfile) >> grandchild;
  ASSERT_GT(grandchild, 0);
  int status = 0;
  pid_t reaped = 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reaped == 0 && std::chrono::steady_clock::now() < deadline) {
    reaped = ::waitpid(grandchild, &status, WNOHANG);
    if (reaped == 0) std::this_thread::sleep_for(milliseconds(20));
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ASSERT_EQ(reaped, grandchild) << "the fake QEMU's child outlived it";
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
}  // namespace ipcproof::kernels

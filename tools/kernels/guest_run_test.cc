// The runner against real kernels under QEMU, with deliberately broken inits
// (testdata/): each kind of guest failure must be reported as that kind,
// name the kernel, quote its log, and come within its time limit; a good
// run must bring a binary's XML back byte for byte.
#include "tools/kernels/guest_run.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/kernels/kernel_resolver.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Slack above a run's own limit for building the initramfs and reaping.
constexpr double kSlackSeconds = 10;

struct TestKernel {
  KernelImage kernel;
  std::string why_not;  // "" when the kernel is there
};

// The one place that says which kernel these tests boot. Under Bazel:
// @ipcproof_kernels' linux-6.1 (IPCPROOF_TEST_KERNEL, its image in the
// runfiles; IPCPROOF_TEST_KERNEL_STATUS says why it is missing). Run
// directly: $IPCPROOF_TEST_KERNEL (any kernel spec), else the lock file's
// linux-6.1 from the kernel cache (the password database's home too, in
// case HOME was moved).
TestKernel FindTestKernel() {
  TestKernel found;
  const std::string status_path = [] {
    const char* value = std::getenv("IPCPROOF_TEST_KERNEL_STATUS");
    return std::string(value ? value : "");
  }();
  const char* env_spec = std::getenv("IPCPROOF_TEST_KERNEL");
  const std::string spec = env_spec ? env_spec : "";
  if (!status_path.empty()) {
    std::string status;
    std::getline(std::ifstream(status_path), status);
    if (!status.starts_with("available") || spec.empty()) {
      found.why_not = "@ipcproof_kernels//:linux-6.1 is not there: " +
                      (status.empty() ? status_path + " is empty" : status);
      return found;
    }
  }
  const std::vector<std::string> caches = {
      "", PasswdHome(::getuid()) + "/.cache/ipcproof/kernels"};
  for (const std::string& cache : caches) {
    try {
      ResolveOptions options;
      options.cache_dir = cache;
      found.kernel = ResolveKernel(spec.empty() ? "linux-6.1" : spec, options);
      found.why_not.clear();
      return found;
    } catch (const std::exception& error) {
      found.why_not = error.what();
    }
  }
  return found;
}

bool QemuInstalled() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(
        start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() &&
        ::access((dir + "/qemu-system-x86_64").c_str(), X_OK) == 0) {
      return true;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

std::string Runfile(const std::string& relative) {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("TEST_SRCDIR")) roots.push_back(dir);
  if (const char* dir = std::getenv("RUNFILES_DIR")) roots.push_back(dir);
  roots.push_back(fs::read_symlink("/proc/self/exe").string() + ".runfiles");
  for (const std::string& root : roots) {
    const std::string path = root + "/ipcproof/" + relative;
    if (fs::exists(path)) return path;
  }
  return "";
}

class GuestRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!QemuInstalled()) {
      GTEST_SKIP() << "qemu-system-x86_64 is not in PATH (Debian package "
                      "qemu-system-x86): no guest can boot here";
    }
    static const TestKernel kernel = FindTestKernel();
    if (!kernel.why_not.empty()) {
      GTEST_SKIP() << "no kernel to boot: " << kernel.why_not;
    }
    kernel_ = kernel.kernel;
    RecordProperty("kernel_image", kernel_.image_path);
    RecordProperty("kernel_modules", kernel_.modules_dir);
    const char* tmp = std::getenv("TEST_TMPDIR");
    work_dir_ =
        std::string(tmp ? tmp : "/tmp") + "/guest_run_test." +
        ::testing::UnitTest::GetInstance()->current_test_info()->name() + "." +
        std::to_string(::getpid());
    fs::remove_all(work_dir_);
  }
  void TearDown() override {
    if (!work_dir_.empty() && !HasFailure()) fs::remove_all(work_dir_);
  }

  GuestRequest Request(const std::string& init, seconds limit) {
    GuestRequest request;
    request.kernel = kernel_;
    request.accelerator = Accelerator::kTcg;  // the KVM probe: its own test
    request.cpus = 1;
    request.memory_mib = 512;
    request.time_limit = limit;
    request.work_dir = work_dir_;
    if (!init.empty()) {
      request.init_override = Runfile("tools/kernels/testdata/" + init);
    }
    return request;
  }

  GuestBinary Tiny(const std::string& name, std::vector<std::string> args,
                   seconds limit = seconds(0)) {
    GuestBinary binary;
    binary.name = "tools/kernels/testdata/" + name;
    binary.host_path = Runfile("tools/kernels/testdata/tiny_test");
    binary.args = std::move(args);
    binary.time_limit = limit;
    return binary;
  }

  // What every failure message must carry: the kernel's name and the log.
  void ExpectNamesTheKernelAndQuotesTheLog(const GuestRun& run) {
    EXPECT_THAT(run.failure_message, StartsWith(kernel_.label));
    EXPECT_THAT(run.failure_message,
                HasSubstr("lines of the kernel log (" + run.console_log_path));
    if (!kernel_.modules_dir.empty()) {
      EXPECT_THAT(run.failure_message,
                  HasSubstr(fs::path(kernel_.modules_dir).filename().string()));
    }
  }

  KernelImage kernel_;
  std::string work_dir_;
};

TEST_F(GuestRunTest, AnInitThatExitsIsAPanicQuotedFromTheLog) {
  const GuestRun run = RunInGuest(Request("panic_init", seconds(60)));
  EXPECT_EQ(run.failure, GuestFailure::kPanic) << run.failure_message;
  ExpectNamesTheKernelAndQuotesTheLog(run);
  EXPECT_THAT(run.failure_message, HasSubstr("panicked"));
  EXPECT_THAT(run.failure_message, HasSubstr("Attempted to kill init"));
  EXPECT_THAT(run.log_warnings,
              Contains(HasSubstr("Kernel panic - not syncing")));
  EXPECT_LT(run.seconds, 60);
}

TEST_F(GuestRunTest, AnInitThatNeverReportsIsAHangEndedAtTheLimit) {
  const GuestRun run = RunInGuest(Request("hang_init", seconds(12)));
  EXPECT_EQ(run.failure, GuestFailure::kHang) << run.failure_message;
  ExpectNamesTheKernelAndQuotesTheLog(run);
  EXPECT_THAT(run.failure_message, HasSubstr("hung"));
  EXPECT_THAT(run.failure_message, HasSubstr("QEMU was killed"));
  EXPECT_GE(run.seconds, 12);
  EXPECT_LT(run.seconds, 12 + kSlackSeconds);
}

TEST_F(GuestRunTest, AnInitThatPowersOffWithoutTheEndRecordIsSilent) {
  const GuestRun run = RunInGuest(Request("silent_init", seconds(60)));
  EXPECT_EQ(run.failure, GuestFailure::kSilent) << run.failure_message;
  ExpectNamesTheKernelAndQuotesTheLog(run);
  EXPECT_THAT(run.failure_message, HasSubstr("without its end record"));
  EXPECT_THAT(run.failure_message, HasSubstr("reboot: Power down"));
  EXPECT_LT(run.seconds, 60);
}

TEST_F(GuestRunTest, BytesThatAreNotRecordsAreABadStream) {
  const GuestRun run = RunInGuest(Request("garbage_init", seconds(60)));
  EXPECT_EQ(run.failure, GuestFailure::kBadStream) << run.failure_message;
  ExpectNamesTheKernelAndQuotesTheLog(run);
  EXPECT_THAT(run.failure_message,
              HasSubstr("at byte 0 (record 1): expected a record header"));
  EXPECT_THAT(run.failure_message, HasSubstr("'this is not a record"));
  EXPECT_LT(run.seconds, 60);
}

TEST_F(GuestRunTest, AnOopsFailsARunThatOtherwiseFinished) {
  GuestRequest request = Request("oops_init", seconds(60));
  request.binaries = {Tiny("tiny", {})};
  const GuestRun run = RunInGuest(request);
  EXPECT_EQ(run.failure, GuestFailure::kOops) << run.failure_message;
  ExpectNamesTheKernelAndQuotesTheLog(run);
  EXPECT_THAT(run.failure_message, HasSubstr("reported an oops: Oops: 0002"));
  EXPECT_THAT(run.log_warnings, Contains(HasSubstr("Oops: 0002 [#1]")));
  // The run itself finished: the binary's result came back.
  ASSERT_EQ(run.binaries.size(), 1u);
  EXPECT_EQ(run.binaries[0].exit_status, 0);
  EXPECT_LT(run.seconds, 60);
}

TEST_F(GuestRunTest, AGoodRunBringsEachBinarysXmlStatusAndTheKernelsReport) {
  GuestRequest request = Request("", seconds(90));
  request.binaries = {Tiny("tiny", {"--gtest_filter=A*:-B"}),
                      Tiny("hangs", {"--hang"}, seconds(4)),
                      Tiny("exits3", {"--exit=3"})};
  request.modules = {"veth", "no_such_module"};
  request.probe_syscalls = {"getpid", "nfsservctl"};
  std::vector<std::string> progress;
  request.progress = [&](const GuestProgress& event) {
    progress.push_back(event.text);
  };
  const GuestRun run = RunInGuest(request);
  ASSERT_EQ(run.failure, GuestFailure::kNone) << run.failure_message;
  EXPECT_EQ(run.failure_message, "");
  EXPECT_EQ(run.accelerator, "tcg");
  EXPECT_EQ(run.time_scale, kTcgTimeScale);
  EXPECT_EQ(run.machine, "x86_64");
  if (!kernel_.modules_dir.empty()) {
    EXPECT_EQ(run.release, fs::path(kernel_.modules_dir).filename().string());
  } else {
    EXPECT_FALSE(run.release.empty());
  }
  EXPECT_EQ(run.tainted_before, "0");
  EXPECT_THAT(run.filesystems, Contains("mqueue"));
  EXPECT_THAT(run.filesystems, Contains("tmpfs"));
  EXPECT_THAT(run.namespaces, Contains("ipc"));
  EXPECT_THAT(run.init_notes, IsEmpty());
  // nfsservctl is sys_ni_syscall on x86-64 since 3.1; getpid always answers.
  EXPECT_THAT(run.enosys_syscalls, ElementsAre("nfsservctl"));
  EXPECT_THAT(run.module_errors,
              ElementsAre(HasSubstr("no_such_module: not in")));
  if (!kernel_.modules_dir.empty()) {
    EXPECT_THAT(run.modules_loaded, Contains("veth"));
  }

  ASSERT_EQ(run.binaries.size(), 3u);
  const GuestBinaryResult& tiny = run.binaries[0];
  EXPECT_EQ(tiny.name, "tools/kernels/testdata/tiny");
  EXPECT_EQ(tiny.exit_status, 0);
  EXPECT_FALSE(tiny.timed_out);
  EXPECT_EQ(tiny.output_tail, "tiny_test: 3 arguments\n");
  // Byte for byte what tiny_test wrote: its arguments, the time scale and
  // the XML path the init added.
  EXPECT_EQ(tiny.xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites tests=\"1\" failures=\"0\" name=\"AllTests\">\n"
            "  <properties>\n"
            "    <property name=\"arg\" value=\"--gtest_filter=A*:-B\"/>\n"
            "    <property name=\"arg\" value=\"--ipcproof_time_scale=10\"/>\n"
            "    <property name=\"arg\" "
            "value=\"--gtest_output=xml:/tmp/ipcproof-results/1.xml\"/>\n"
            "  </properties>\n"
            "  <testsuite name=\"Tiny\" tests=\"1\">\n"
            "    <testcase name=\"Runs\" status=\"run\"/>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
  const GuestBinaryResult& hangs = run.binaries[1];
  EXPECT_TRUE(hangs.timed_out);
  EXPECT_EQ(hangs.exit_status, -1);
  EXPECT_EQ(hangs.xml, "");
  EXPECT_GE(hangs.seconds, 4);
  EXPECT_LT(hangs.seconds, 4 + kSlackSeconds);
  EXPECT_EQ(run.binaries[2].exit_status, 3);
  EXPECT_FALSE(run.binaries[2].timed_out);
  EXPECT_GT(run.boot_seconds, 0);
  EXPECT_LT(run.seconds, 90);
  EXPECT_THAT(progress, Contains("booting (tcg)"));
  EXPECT_THAT(progress, Contains("booted " + run.release));
  EXPECT_THAT(progress, Contains("running tools/kernels/testdata/tiny"));
  EXPECT_THAT(
      progress,
      Contains(StartsWith("tools/kernels/testdata/exits3: exit 3 in ")));
}

// kAuto boots a probe with KVM first (not a check of /dev/kvm); where KVM
// cannot boot the kernel (on this machine QEMU aborts or stops with a KVM
// error), the run uses TCG and says why. The answer is kept for the process.
TEST_F(GuestRunTest, AutoDecidesKvmByBootingAndSaysWhyItDidNot) {
  GuestRequest request = Request("", seconds(90));
  request.accelerator = Accelerator::kAuto;
  request.binaries = {Tiny("tiny", {})};
  const GuestRun run = RunInGuest(request);
  ASSERT_EQ(run.failure, GuestFailure::kNone) << run.failure_message;
  ASSERT_EQ(run.binaries.size(), 1u);
  if (run.accelerator == "kvm") {
    EXPECT_EQ(run.accelerator_note, "");
    EXPECT_EQ(run.time_scale, kKvmTimeScale);
  } else {
    EXPECT_EQ(run.accelerator, "tcg");
    EXPECT_THAT(run.accelerator_note,
                StartsWith("KVM did not boot " + kernel_.label +
                           " in this run's one KVM probe ("));
    EXPECT_THAT(run.accelerator_note, EndsWith("); every guest ran TCG"));
    EXPECT_EQ(run.time_scale, kTcgTimeScale);
  }
  // Asked again: the same answer, without a second probe boot.
  fs::remove_all(work_dir_);
  const GuestRun again = RunInGuest(request);
  EXPECT_EQ(again.accelerator, run.accelerator);
  EXPECT_EQ(again.accelerator_note, run.accelerator_note);
  EXPECT_FALSE(fs::exists(work_dir_ + "/kvm-probe"));
}

TEST_F(GuestRunTest, AMissingBinaryIsARequestErrorNotAGuestFailure) {
  GuestRequest request = Request("", seconds(30));
  GuestBinary missing;
  missing.name = "conformance/none";
  missing.host_path = work_dir_ + "/none";
  request.binaries = {missing};
  EXPECT_THROW(RunInGuest(request), std::runtime_error);
  request.binaries.clear();
  request.probe_syscalls = {"no_such_call"};
  EXPECT_THROW(RunInGuest(request), std::runtime_error);
}

}  // namespace
}  // namespace ipcproof::kernels

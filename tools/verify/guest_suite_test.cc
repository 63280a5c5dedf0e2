// The guest run against a fake kernel runner: what verify asks of the
// runner (binaries, arguments, limits, modules, probes), and what it makes
// of each thing a guest can bring back, from a clean run to a panic.
#include "tools/verify/guest_suite.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/captured_output.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using kernels::Accelerator;
using kernels::GuestBinaryResult;
using kernels::GuestFailure;
using kernels::GuestRequest;
using kernels::GuestRun;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::ThrowsMessage;

constexpr char kPipe[] = "conformance/pipe/pipe_test";
constexpr char kMq[] = "conformance/mq/posix_mq_test";
constexpr char kSocket[] = "conformance/socket/across_hosts_test";

struct Case {
  std::string suite, name;
  std::string outcome = "pass";  // pass, fail, skip
  std::string claims = "pipe.blocks";
};

// gtest XML in the shape of conformance/runner/xml_writer.cc.
std::string Xml(const std::vector<Case>& cases) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"All\">\n";
  for (const Case& test : cases) {
    xml += "<testsuite name=\"" + test.suite + "\"><testcase name=\"" +
           test.name + "\" classname=\"" + test.suite +
           "\" status=\"run\" result=\"" +
           (test.outcome == "skip" ? "skipped" : "completed") +
           "\" time=\"0.01\"><properties><property name=\"claims\" value=\"" +
           test.claims + "\"/>";
    if (test.outcome == "fail") {
      xml += "<property name=\"failure_kind\" value=\"assertion\"/>";
    }
    xml += "</properties>";
    if (test.outcome == "fail") {
      xml += "<failure message=\"t.cc:1: Failure\"/>";
    }
    if (test.outcome == "skip") xml += "<skipped message=\"why\"/>";
    xml += "</testcase></testsuite>\n";
  }
  return xml + "</testsuites>\n";
}

GuestBinaryResult Reported(const std::string& name,
                           const std::vector<Case>& cases, int status = 0) {
  GuestBinaryResult result;
  result.name = name;
  result.exit_status = status;
  result.xml = Xml(cases);
  result.output_tail = "[ RUN      ] " + cases.front().suite + "." +
                       cases.front().name + "\n[       OK ] done\n";
  result.seconds = 1.5;
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

class GuestSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/guest-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    image_.label = "linux-6.1";
    image_.image_path = dir_ + "/boot/vmlinuz-6.1.0-57-cloud-amd64";
    image_.package = "linux-image-6.1.0-57-cloud-amd64-unsigned 6.1.192-3";
    ASSERT_EQ(::mkdir((dir_ + "/boot").c_str(), 0755), 0);
    image_.config_path = dir_ + "/boot/config-6.1.0-57-cloud-amd64";
    Config(
        "CONFIG_PROC_FS=y\nCONFIG_SYSVIPC=y\nCONFIG_POSIX_MQUEUE=y\n"
        "CONFIG_NET_NS=y\nCONFIG_VETH=m\n");
    image_.modules_dir = dir_ + "/modules";
    ASSERT_EQ(::mkdir(image_.modules_dir.c_str(), 0755), 0);
    std::ofstream(image_.modules_dir + "/modules.order")
        << "kernel/drivers/net/veth.ko\n";

    requirements_ = {
        ParseRequirements("CONFIG_PROC_FS=y\nsyscall pipe2 2.6.27\n",
                          "conformance/pipe"),
        ParseRequirements("CONFIG_SYSVIPC=y\nCONFIG_POSIX_MQUEUE=y\n"
                          "syscall mq_open 2.6.6\n",
                          "conformance/mq"),
        ParseRequirements("CONFIG_NET_NS=y\nCONFIG_VETH=y\n"
                          "syscall setns 3.0\n",
                          "conformance/socket"),
    };
    plan_ = {
        {{kPipe, "/bin/pipe_test"}, {"PipeTest.Blocks", "PipeTest.Two"}},
        {{kMq, "/bin/posix_mq_test"}, {"MqTest.Opens"}},
        {{kSocket, "/bin/across_hosts_test"}, {"HostsTest.Talk"}},
    };
    settings_.label = "linux-6.1";
    settings_.spec = "linux-6.1";
    settings_.accelerator = Accelerator::kTcg;
    settings_.work_dir = dir_ + "/out/kernels/linux-6.1";
    settings_.work_dir_in_report = "kernels/linux-6.1";
  }

  void Config(const std::string& text) {
    std::ofstream(image_.config_path) << text;
  }

  // A boot whose every binary reported, all passing.
  GuestRun Clean() {
    GuestRun run;
    run.kernel = image_;
    run.accelerator =
        settings_.accelerator == Accelerator::kKvm ? "kvm" : "tcg";
    // What the runner says the binaries were given.
    run.time_scale = TimeScaleFor(settings_.accelerator);
    run.release = "6.1.0-57-cloud-amd64";
    run.version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3";
    run.machine = "x86_64";
    run.filesystems = {"proc", "tmpfs", "mqueue"};
    run.namespaces = {"ipc", "mnt", "net", "user"};
    run.modules_loaded = {"veth"};
    run.tainted_before = "0";
    run.tainted_after = "0";
    run.boot_seconds = 2.5;
    run.seconds = 60;
    run.binaries = {
        Reported(kPipe, {{"PipeTest", "Blocks"}, {"PipeTest", "Two"}}),
        Reported(kMq, {{"MqTest", "Opens", "pass", "mq.posix.x"}}),
        Reported(kSocket, {{"HostsTest", "Talk", "pass", "sock.x"}}),
    };
    return run;
  }

  // Runs with a fake runner answering each boot with the next of `boots`;
  // the requests it got are in requests_.
  GuestSuiteRun Run(std::vector<GuestRun> boots) {
    size_t next = 0;
    GuestRunner runner = [&](const GuestRequest& request) {
      requests_.push_back(request);
      // What a runner leaves behind: its initramfs and the kernel's log.
      ::mkdir(request.work_dir.c_str(), 0755);
      std::ofstream(request.work_dir + "/initramfs.cpio") << "070701...";
      std::ofstream(request.work_dir + "/guest_init") << "\x7f"
                                                         "ELF";
      std::ofstream(request.work_dir + "/console.log") << "[    0.0] Linux\n";
      ::mkdir((request.work_dir + "/kvm-probe").c_str(), 0755);
      std::ofstream(request.work_dir + "/kvm-probe/guest_init") << "ELF";
      std::ofstream(request.work_dir + "/kvm-probe/console.log") << "KVM";
      if (next >= boots.size()) {
        ADD_FAILURE() << "an unexpected boot #" << next + 1;
        return GuestRun{};
      }
      GuestRun run = boots[next++];
      run.console_log_path = request.work_dir + "/console.log";
      return run;
    };
    ProgressDisplay display(progress_.file(), /*terminal=*/false,
                            /*quiet=*/false);
    return RunSuiteInGuest(image_, plan_, requirements_, settings_, runner,
                           display);
  }

  std::string dir_;
  kernels::KernelImage image_;
  std::vector<FolderRequirements> requirements_;
  std::vector<PlannedBinary> plan_;
  GuestSettings settings_;
  std::vector<GuestRequest> requests_;
  Captured progress_;
};

TEST(GuestTimingTest, TheScaleComesFromTheAccelerator) {
  EXPECT_EQ(TimeScaleFor(Accelerator::kTcg), kernels::kTcgTimeScale);
  EXPECT_EQ(TimeScaleFor(Accelerator::kKvm), kernels::kKvmTimeScale);
  // auto may fall back to TCG after the arguments are fixed.
  EXPECT_EQ(TimeScaleFor(Accelerator::kAuto), kernels::kTcgTimeScale);
  EXPECT_EQ(GuestBinaryBound(10, 10), std::chrono::seconds(900));
}

TEST_F(GuestSuiteTest, ACleanRunIsOneBootWithEveryBinary) {
  settings_.gtest_filter = "PipeTest.*:MqTest.*:HostsTest.*";
  const GuestSuiteRun run = Run({Clean()});
  ASSERT_EQ(requests_.size(), 1u);
  const GuestRequest& request = requests_[0];
  EXPECT_EQ(request.kernel.image_path, image_.image_path);
  ASSERT_EQ(request.binaries.size(), 3u);
  EXPECT_EQ(request.binaries[0].name, kPipe);
  EXPECT_EQ(request.binaries[0].host_path, "/bin/pipe_test");
  EXPECT_THAT(request.binaries[0].args,
              ElementsAre("--ipcproof_timeout=30", "--ipcproof_time_scale=10",
                          "--gtest_filter=PipeTest.*:MqTest.*:HostsTest.*"));
  EXPECT_EQ(request.binaries[0].time_limit, GuestBinaryBound(2, 10));
  EXPECT_EQ(request.binaries[1].time_limit, GuestBinaryBound(1, 10));
  // CONFIG_VETH=m in the package's config, veth.ko among its modules.
  EXPECT_THAT(request.modules, ElementsAre("veth"));
  EXPECT_THAT(request.probe_syscalls, ElementsAre("pipe2", "mq_open", "setns"));
  EXPECT_EQ(request.accelerator, Accelerator::kTcg);
  EXPECT_EQ(request.cpus, 2);
  EXPECT_EQ(request.memory_mib, 2048);
  EXPECT_EQ(request.work_dir, settings_.work_dir);

  ASSERT_EQ(run.suite.tests.size(), 4u);
  EXPECT_EQ(run.suite.tests[0].binary, kPipe);
  EXPECT_EQ(run.suite.tests[0].full_name, "PipeTest.Blocks");
  EXPECT_FALSE(run.suite.tests[0].rerun.has_value());
  EXPECT_THAT(run.suite.binaries, ElementsAre(kPipe, kMq, kSocket));
  EXPECT_THAT(run.blocks, IsEmpty());
  EXPECT_THAT(run.gaps, IsEmpty());
  EXPECT_THAT(run.problems, IsEmpty());
  EXPECT_EQ(run.release, "6.1.0-57-cloud-amd64");
  EXPECT_EQ(run.machine, "x86_64");

  const KernelInfo& kernel = run.kernel;
  EXPECT_EQ(kernel.label, "linux-6.1");
  EXPECT_TRUE(kernel.guest);
  EXPECT_EQ(kernel.package, image_.package);
  EXPECT_EQ(kernel.accelerator, "tcg");
  EXPECT_EQ(kernel.time_scale, 10);
  EXPECT_DOUBLE_EQ(kernel.boot_seconds, 2.5);
  EXPECT_EQ(kernel.config_source, "package boot/config-6.1.0-57-cloud-amd64");
  EXPECT_EQ(kernel.failure, "");
  EXPECT_THAT(kernel.missing_requirements, IsEmpty());
  EXPECT_THAT(kernel.modules_loaded, ElementsAre("veth"));
  EXPECT_EQ(kernel.console_log, "kernels/linux-6.1/console.log");
  EXPECT_EQ(run.health.tainted_before, "0");
  EXPECT_FALSE(run.health.Warned());

  // The log stays, the initramfs and the init packed into it go, each
  // binary's output is kept.
  EXPECT_TRUE(Exists(settings_.work_dir + "/console.log"));
  EXPECT_FALSE(Exists(settings_.work_dir + "/initramfs.cpio"));
  EXPECT_FALSE(Exists(settings_.work_dir + "/guest_init"));
  EXPECT_FALSE(Exists(settings_.work_dir + "/kvm-probe/guest_init"));
  EXPECT_TRUE(Exists(settings_.work_dir + "/kvm-probe/console.log"));
  EXPECT_THAT(ReadFile(settings_.work_dir + "/logs/pipe_test.txt"),
              HasSubstr("[ RUN      ] PipeTest.Blocks"));
  const std::string progress = progress_.text();
  EXPECT_THAT(progress,
              HasSubstr("verify: linux-6.1 \u00b7 [1/3] " + std::string(kPipe) +
                        ": 2/2 tests, 0 failed\n"));
}

TEST_F(GuestSuiteTest, FailedTestsAreRerunAloneInOneMoreBoot) {
  settings_.gtest_filter = "PipeTest.*:MqTest.*:HostsTest.*";
  GuestRun first = Clean();
  first.binaries[0] =
      Reported(kPipe, {{"PipeTest", "Blocks"}, {"PipeTest", "Two", "fail"}});
  first.binaries[1] =
      Reported(kMq, {{"MqTest", "Opens", "fail", "mq.posix.x"}});
  GuestRun second = Clean();
  second.binaries = {
      Reported(kPipe, {{"PipeTest", "Two"}}),
      Reported(kMq, {{"MqTest", "Opens", "fail", "mq.posix.x"}}),
  };
  const GuestSuiteRun run = Run({first, second});
  ASSERT_EQ(requests_.size(), 2u);
  const GuestRequest& rerun = requests_[1];
  // Only the binaries with failures, each filtered to exactly its failures
  // (the selection's filter replaced), in a work directory of its own.
  ASSERT_EQ(rerun.binaries.size(), 2u);
  EXPECT_EQ(rerun.binaries[0].name, kPipe);
  EXPECT_THAT(rerun.binaries[0].args,
              ElementsAre("--ipcproof_timeout=30", "--ipcproof_time_scale=10",
                          "--gtest_filter=PipeTest.Two"));
  EXPECT_EQ(rerun.binaries[0].time_limit, GuestBinaryBound(1, 10));
  EXPECT_THAT(rerun.binaries[1].args, Contains("--gtest_filter=MqTest.Opens"));
  EXPECT_THAT(rerun.work_dir, EndsWith("/rerun"));
  EXPECT_THAT(rerun.modules, ElementsAre("veth"));

  ASSERT_EQ(run.suite.tests.size(), 4u);
  EXPECT_FALSE(run.suite.tests[0].rerun.has_value());
  ASSERT_TRUE(run.suite.tests[1].rerun.has_value());
  EXPECT_EQ(run.suite.tests[1].first.status, TestStatus::kFailed);
  EXPECT_EQ(run.suite.tests[1].rerun->status, TestStatus::kPassed);
  ASSERT_TRUE(run.suite.tests[2].rerun.has_value());
  EXPECT_EQ(run.suite.tests[2].rerun->status, TestStatus::kFailed);
  EXPECT_THAT(progress_.text(),
              HasSubstr("rerunning 2 failed tests alone (a second boot)"));
  EXPECT_THAT(
      progress_.text(),
      HasSubstr(std::string(kPipe) + ": reran PipeTest.Two alone: passed\n"));
  EXPECT_FALSE(Exists(settings_.work_dir + "/rerun/initramfs.cpio"));
}

// Each way a guest can fail before every binary reported: the failure is
// the kernel's, the binaries that did not report leave their tests as gaps
// naming it, and a broken kernel is not booted again for reruns.
class GuestFailureTest : public GuestSuiteTest,
                         public ::testing::WithParamInterface<
                             std::pair<GuestFailure, const char*>> {};

TEST_P(GuestFailureTest, TheTestsThatDidNotReportAreGapsNamingTheFailure) {
  const auto [failure, verb] = GetParam();
  GuestRun run = Clean();
  run.binaries = {
      Reported(kPipe, {{"PipeTest", "Blocks"}, {"PipeTest", "Two", "fail"}})};
  run.failure = failure;
  run.failure_message =
      "linux-6.1 (6.1.0-57-cloud-amd64) failed 12.3 s into the run:\n"
      "[   12.3] the last lines";
  const GuestSuiteRun out = Run({run});
  ASSERT_EQ(requests_.size(), 1u) << "a failed kernel was booted again";
  EXPECT_EQ(out.kernel.failure, kernels::GuestFailureName(failure));
  EXPECT_EQ(out.kernel.failure_message, run.failure_message);
  EXPECT_EQ(out.suite.tests.size(), 2u);
  EXPECT_FALSE(out.suite.tests[1].rerun.has_value());
  const std::string mq_sentence =
      "linux-6.1 " + std::string(verb) + " before " + kMq + " reported";
  EXPECT_THAT(out.gaps,
              ElementsAre(AllOf(Field(&TestGap::binary, kMq),
                                Field(&TestGap::test, "MqTest.Opens"),
                                Field(&TestGap::sentence, mq_sentence)),
                          AllOf(Field(&TestGap::binary, kSocket),
                                Field(&TestGap::test, "HostsTest.Talk"))));
  EXPECT_THAT(out.kernel.unreported, Contains(mq_sentence));
  EXPECT_THAT(out.problems, Contains(mq_sentence));
  EXPECT_THAT(out.suite.binaries, ElementsAre(kPipe));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, GuestFailureTest,
    ::testing::Values(
        std::pair{GuestFailure::kPanic, "panicked"},
        std::pair{GuestFailure::kHang,
                  "hung (no end record within its time limit)"},
        std::pair{GuestFailure::kSilent, "stopped without an end record"},
        std::pair{GuestFailure::kBadStream, "sent a broken result stream"},
        std::pair{GuestFailure::kOops, "oopsed"}),
    [](const auto& info) {
      std::string name(kernels::GuestFailureName(info.param.first));
      std::erase(name, ' ');
      return name;
    });

TEST_F(GuestSuiteTest, AnOopsAfterEveryBinaryReportedFailsTheKernelOnly) {
  GuestRun run = Clean();
  run.failure = GuestFailure::kOops;
  run.failure_message = "linux-6.1 oopsed: BUG: kernel NULL pointer";
  run.tainted_after = "4096";
  run.log_warnings = {"BUG: kernel NULL pointer dereference"};
  const GuestSuiteRun out = Run({run});
  EXPECT_EQ(out.kernel.failure, "oops");
  EXPECT_THAT(out.gaps, IsEmpty());
  EXPECT_EQ(out.suite.tests.size(), 4u);
  EXPECT_TRUE(out.health.TaintChanged());
  EXPECT_THAT(out.health.warnings, ElementsAre(HasSubstr("NULL pointer")));
}

TEST_F(GuestSuiteTest, QemuThatCannotStartOrARunnerThatThrowsIsVerifysError) {
  GuestRun run;
  run.failure = GuestFailure::kQemuFailed;
  run.failure_message = "qemu-system-x86_64: cannot exec: ENOENT";
  EXPECT_THAT([&] { Run({run}); },
              ThrowsMessage<InfrastructureError>(
                  "linux-6.1: QEMU failed: qemu-system-x86_64: cannot exec: "
                  "ENOENT"));
  ProgressDisplay display(progress_.file(), false, true);
  EXPECT_THAT(
      [&] {
        RunSuiteInGuest(
            image_, plan_, requirements_, settings_,
            [](const GuestRequest&) -> GuestRun {
              throw std::runtime_error("/bin/pipe_test: no such binary");
            },
            display);
      },
      ThrowsMessage<InfrastructureError>(
          "linux-6.1: /bin/pipe_test: no such binary"));
}

TEST_F(GuestSuiteTest, ABinaryThatDidNotReportInAGuestIsTheKernelsResult) {
  GuestRun run = Clean();
  // Killed at its limit; crashed without XML; XML cut short.
  run.binaries[0].timed_out = true;
  run.binaries[0].exit_status = -1;
  run.binaries[0].xml = "";
  run.binaries[1].exit_status = 128 + SIGSEGV;
  run.binaries[1].xml = "";
  run.binaries[1].output_tail = "[ RUN      ] MqTest.Opens\n";
  run.binaries[2].xml = Xml({{"HostsTest", "Talk"}}).substr(0, 90);
  const GuestSuiteRun out = Run({run});
  EXPECT_THAT(out.suite.tests, IsEmpty());
  EXPECT_THAT(
      out.kernel.unreported,
      ElementsAre(std::string(kPipe) +
                      " ran past its 660 s limit in linux-6.1 and "
                      "was killed before it reported",
                  std::string(kMq) + " was killed by SIGSEGV in linux-6.1",
                  AllOf(StartsWith(std::string(kSocket) +
                                   "'s XML from linux-6.1 is unreadable: "),
                        HasSubstr("truncated"))));
  EXPECT_THAT(out.problems,
              Contains(std::string(kMq) +
                       " was killed by SIGSEGV in linux-6.1; its last output: "
                       "\"[ RUN      ] MqTest.Opens\""));
  EXPECT_EQ(out.gaps.size(), 4u);  // every planned test
  EXPECT_EQ(out.kernel.failure, "");
  // They ran, though they did not report.
  EXPECT_THAT(out.suite.binaries, ElementsAre(kPipe, kMq, kSocket));
}

TEST_F(GuestSuiteTest, ResultsThatExistStandAndTheMissingOnesAreGaps) {
  GuestRun run = Clean();
  // One of two results, then an exit the runner never makes on its own.
  run.binaries[0] = Reported(kPipe, {{"PipeTest", "Blocks"}}, 3);
  run.binaries[1].xml = Xml({});
  const GuestSuiteRun out = Run({run});
  EXPECT_THAT(out.suite.tests,
              ElementsAre(Field(&TestResult::full_name, "PipeTest.Blocks"),
                          Field(&TestResult::full_name, "HostsTest.Talk")));
  EXPECT_THAT(
      out.kernel.unreported,
      ElementsAre(
          std::string(kPipe) + " exited with status 3 in linux-6.1, "
                               "wrote no result for PipeTest.Two",
          std::string(kMq) + " wrote no result for MqTest.Opens in linux-6.1"));
  EXPECT_THAT(out.gaps, ElementsAre(Field(&TestGap::test, "PipeTest.Two"),
                                    Field(&TestGap::test, "MqTest.Opens")));
}

TEST_F(GuestSuiteTest, AnOptionTheConfigLacksKeepsItsFolderOutOfTheBoot) {
  Config(
      "CONFIG_PROC_FS=y\nCONFIG_SYSVIPC=y\n# CONFIG_POSIX_MQUEUE is not "
      "set\nCONFIG_NET_NS=y\nCONFIG_VETH=m\n");
  GuestRun run = Clean();
  run.binaries.erase(run.binaries.begin() + 1);
  const GuestSuiteRun out = Run({run});
  ASSERT_EQ(requests_.size(), 1u);
  ASSERT_EQ(requests_[0].binaries.size(), 2u);
  EXPECT_EQ(requests_[0].binaries[1].name, kSocket);
  // Its system calls are not probed: nothing of it runs.
  EXPECT_THAT(requests_[0].probe_syscalls, ElementsAre("pipe2", "setns"));
  const std::string sentence =
      "linux-6.1 lacks CONFIG_POSIX_MQUEUE (conformance/mq/requirements)";
  EXPECT_THAT(out.blocks,
              ElementsAre(AllOf(Field(&FolderBlock::folder, "conformance/mq"),
                                Field(&FolderBlock::sentence, sentence))));
  EXPECT_THAT(out.kernel.missing_requirements, ElementsAre(sentence));
  EXPECT_THAT(out.gaps, IsEmpty());
  EXPECT_THAT(out.problems, IsEmpty());
}

TEST_F(GuestSuiteTest, WhatOnlyTheGuestCanTellSetsItsFolderResultsAside) {
  GuestRun run = Clean();
  run.enosys_syscalls = {"mq_open"};
  run.modules_loaded = {};
  run.module_errors = {"veth: finit_module: ENOEXEC"};
  const GuestSuiteRun out = Run({run});
  // Only pipe's results stand.
  EXPECT_THAT(out.suite.tests, ElementsAre(Field(&TestResult::binary, kPipe),
                                           Field(&TestResult::binary, kPipe)));
  EXPECT_THAT(
      out.blocks,
      ElementsAre(
          AllOf(Field(&FolderBlock::folder, "conformance/mq"),
                Field(&FolderBlock::sentence,
                      "linux-6.1 answers ENOSYS to mq_open (added in 2.6.6) "
                      "(conformance/mq/requirements)")),
          AllOf(Field(&FolderBlock::folder, "conformance/socket"),
                Field(&FolderBlock::sentence,
                      HasSubstr("could not load veth (CONFIG_VETH=m): veth: "
                                "finit_module: ENOEXEC")))));
  EXPECT_EQ(out.kernel.missing_requirements.size(), 2u);
}

TEST_F(GuestSuiteTest, ABareImageIsCheckedByItsProcConfigOrByProbes) {
  image_.config_path = "";
  image_.package = "";
  image_.modules_dir = "";
  image_.label = "bzImage";
  settings_.label = "bzImage";
  GuestRun run = Clean();
  run.proc_config = "CONFIG_PROC_FS=y\nCONFIG_SYSVIPC=y\nCONFIG_NET_NS=y\n";
  GuestSuiteRun out = Run({run});
  // Probed for what tells an option apart, too: msgget for CONFIG_SYSVIPC.
  EXPECT_THAT(requests_[0].probe_syscalls,
              ElementsAre("pipe2", "mq_open", "msgget", "setns"));
  EXPECT_THAT(requests_[0].modules, IsEmpty());
  EXPECT_EQ(out.kernel.config_source, "/proc/config.gz");
  EXPECT_THAT(out.kernel.missing_requirements,
              ElementsAre("bzImage lacks CONFIG_POSIX_MQUEUE "
                          "(conformance/mq/requirements)",
                          "bzImage lacks CONFIG_VETH "
                          "(conformance/socket/requirements)"));

  requests_.clear();
  run.proc_config = "";
  run.filesystems = {"proc", "tmpfs"};
  out = Run({run});
  EXPECT_THAT(out.kernel.config_source, StartsWith("probed"));
  EXPECT_THAT(out.kernel.missing_requirements,
              ElementsAre("bzImage lacks CONFIG_POSIX_MQUEUE: "
                          "/proc/filesystems has no mqueue "
                          "(conformance/mq/requirements)"));
  // veth was loaded: CONFIG_VETH needs no probe.
  EXPECT_THAT(out.kernel.requirement_notes, IsEmpty());
  EXPECT_EQ(out.suite.tests.size(), 3u);
}

TEST_F(GuestSuiteTest, ARerunBootThatPanicsIsTheKernelsFailureToo) {
  GuestRun first = Clean();
  first.binaries[0] =
      Reported(kPipe, {{"PipeTest", "Blocks"}, {"PipeTest", "Two", "fail"}});
  GuestRun second = Clean();
  second.binaries = {};
  second.failure = GuestFailure::kPanic;
  second.failure_message = "linux-6.1 panicked 1.0 s into the run";
  const GuestSuiteRun out = Run({first, second});
  EXPECT_EQ(out.kernel.failure, "panic");
  EXPECT_EQ(out.kernel.failure_message,
            "in the boot that reran the failed tests: linux-6.1 panicked 1.0 "
            "s into the run");
  EXPECT_FALSE(out.suite.tests[1].rerun.has_value());
  // The reruns are not planned tests: no gaps for them.
  EXPECT_THAT(out.gaps, IsEmpty());
}

TEST_F(GuestSuiteTest, NothingToRunIsNoBoot) {
  Config("# CONFIG_PROC_FS is not set\n");
  const GuestSuiteRun out = Run({});
  EXPECT_THAT(requests_, IsEmpty());
  EXPECT_EQ(out.blocks.size(), 3u);
  EXPECT_THAT(out.suite.tests, IsEmpty());
  EXPECT_EQ(out.kernel.config_source,
            "package boot/config-6.1.0-57-cloud-amd64");
}

TEST_F(GuestSuiteTest, UnderAutoTheRunnerGivesTheScaleOfWhatBooted) {
  settings_.accelerator = Accelerator::kAuto;
  bool asked = false;
  settings_.cancelled = [&] { return asked = true; };
  GuestRun run = Clean();
  run.accelerator = "kvm";
  run.accelerator_note = "";
  run.time_scale = kernels::kKvmTimeScale;
  const GuestSuiteRun out = Run({run});
  EXPECT_THAT(requests_[0].binaries[0].args,
              ElementsAre("--ipcproof_timeout=30"));
  // The limits are fixed before the boot: TCG's, the longer.
  EXPECT_EQ(requests_[0].binaries[0].time_limit,
            GuestBinaryBound(2, kernels::kTcgTimeScale));
  EXPECT_EQ(out.kernel.time_scale, kernels::kKvmTimeScale);
  EXPECT_EQ(out.kernel.accelerator, "kvm");
  ASSERT_TRUE(requests_[0].cancelled);
  EXPECT_TRUE(requests_[0].cancelled());
  EXPECT_TRUE(asked);
}

TEST_F(GuestSuiteTest, TheRunnersProgressIsShownAsItComes) {
  GuestRunner runner = [&](const GuestRequest& request) {
    ::mkdir(request.work_dir.c_str(), 0755);
    request.progress({"", 0, 3, "booted 6.1.0-57-cloud-amd64"});
    request.progress({kPipe, 0, 3, std::string("running ") + kPipe});
    request.progress({kPipe, 1, 3, std::string(kPipe) + ": exit 0 in 9.5 s"});
    return Clean();
  };
  ProgressDisplay display(progress_.file(), /*terminal=*/false,
                          /*quiet=*/false);
  RunSuiteInGuest(image_, plan_, requirements_, settings_, runner, display);
  const std::string text = progress_.text();
  EXPECT_THAT(text, HasSubstr("verify: linux-6.1 \u00b7 [0/3] booted "
                              "6.1.0-57-cloud-amd64\n"));
  EXPECT_THAT(text, HasSubstr("verify: linux-6.1 \u00b7 [1/3] " +
                              std::string(kPipe) + ": exit 0 in 9.5 s\n"));
  // In a log, a binary's start is not news; its end is.
  EXPECT_THAT(text, Not(HasSubstr("running ")));
}

TEST_F(GuestSuiteTest, ACancelledRunIsVerifysError) {
  ProgressDisplay display(progress_.file(), false, true);
  EXPECT_THAT(
      [&] {
        RunSuiteInGuest(
            image_, plan_, requirements_, settings_,
            [](const GuestRequest&) -> GuestRun {
              throw std::runtime_error(
                  "interrupted: QEMU for linux-6.1 was stopped");
            },
            display);
      },
      ThrowsMessage<InfrastructureError>(
          "linux-6.1: interrupted: QEMU for linux-6.1 was stopped"));
}

TEST_F(GuestSuiteTest, KvmGetsItsScaleAndTheBinaryTimeoutIsScaled) {
  settings_.accelerator = Accelerator::kKvm;
  settings_.binary_bound = std::chrono::seconds(100);
  const GuestSuiteRun out = Run({Clean()});
  EXPECT_THAT(requests_[0].binaries[0].args,
              Contains("--ipcproof_time_scale=2"));
  EXPECT_EQ(requests_[0].binaries[0].time_limit, std::chrono::seconds(200));
  EXPECT_EQ(out.kernel.time_scale, 2);
  EXPECT_THAT(requests_[0].binaries[0].args,
              Not(Contains(HasSubstr("--gtest_filter"))));
}

}  // namespace
}  // namespace ipcproof::verify

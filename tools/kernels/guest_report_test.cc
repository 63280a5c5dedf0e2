// The records → GuestRun mapping and the failure classification, without a
// boot: every GuestFailure kind from a made-up QEMU outcome, stream and log.
#include "tools/kernels/guest_report.h"

#include <signal.h>
#include <zlib.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string Gzip(std::string_view text) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                         16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = text.size();
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

Record R(std::string kind, std::string name, std::string payload) {
  return Record{std::move(kind), std::move(name), std::move(payload)};
}

TEST(ApplyRecordsTest, FillsWhatTheGuestReported) {
  GuestRun run;
  const RecordsSeen seen = ApplyRecords(
      {R("hello", "", "ipcproof-guest 1"),
       R("uname", "", "Linux\n6.1.0-57-cloud-amd64\n#1 SMP Debian\nx86_64\n"),
       R("tainted-before", "", "0"),
       R("mount-error", "",
         "mount -t bpf /sys/fs/bpf: ENODEV (No such device)"),
       R("filesystems", "", "nodev\tsysfs\nnodev\tmqueue\n\text4\n"),
       R("namespaces", "", "ipc\nmnt\nnet\n"),
       R("config-gz", "", Gzip("CONFIG_SYSVIPC=y\n# CONFIG_X is not set\n")),
       R("module-loaded", "veth", "loaded"),
       R("module-error", "dummy", "finit_module /m/dummy.ko: ENOEXEC (x)\n"),
       R("probe", "getpid", "answers with success"),
       R("probe", "nfsservctl", "enosys"), R("tainted-after", "", "512\n")},
      &run);
  EXPECT_TRUE(seen.hello);
  EXPECT_EQ(run.release, "6.1.0-57-cloud-amd64");
  EXPECT_EQ(run.version, "#1 SMP Debian");
  EXPECT_EQ(run.machine, "x86_64");
  EXPECT_EQ(run.tainted_before, "0");
  EXPECT_EQ(run.tainted_after, "512");
  EXPECT_THAT(run.filesystems, ElementsAre("sysfs", "mqueue", "ext4"));
  EXPECT_THAT(run.namespaces, ElementsAre("ipc", "mnt", "net"));
  EXPECT_EQ(run.proc_config, "CONFIG_SYSVIPC=y\n# CONFIG_X is not set\n");
  EXPECT_THAT(run.modules_loaded, ElementsAre("veth"));
  EXPECT_THAT(run.module_errors,
              ElementsAre("dummy: finit_module /m/dummy.ko: ENOEXEC (x)"));
  EXPECT_THAT(run.enosys_syscalls, ElementsAre("nfsservctl"));
  EXPECT_THAT(run.init_notes,
              ElementsAre("mount -t bpf /sys/fs/bpf: ENODEV (No such device)"));
}

TEST(ApplyRecordsTest, EachBinaryGetsItsXmlOutputStatusAndSeconds) {
  GuestRun run;
  const RecordsSeen seen = ApplyRecords(
      {R("start", "a", "600"), R("tick", "a", "5.0"), R("output", "a", "out a"),
       R("xml", "a", "<testsuites/>"),
       R("result", "a", "exit 1\nseconds 2.5\n"), R("start", "b", "600"),
       R("output", "b", ""), R("result", "b", "signal 9\nseconds 0.1\n"),
       R("start", "c", "3"), R("output", "c", "partial"),
       R("result", "c", "timeout\nseconds 3.0\n"), R("start", "d", "600"),
       R("result", "d", "not started: fork: EAGAIN\nseconds 0\n"),
       R("start", "e", "600")},
      &run);
  ASSERT_EQ(run.binaries.size(), 4u);
  EXPECT_EQ(run.binaries[0].name, "a");
  EXPECT_EQ(run.binaries[0].exit_status, 1);
  EXPECT_EQ(run.binaries[0].xml, "<testsuites/>");
  EXPECT_EQ(run.binaries[0].output_tail, "out a");
  EXPECT_DOUBLE_EQ(run.binaries[0].seconds, 2.5);
  EXPECT_EQ(run.binaries[1].exit_status, 128 + SIGKILL);
  EXPECT_EQ(run.binaries[1].xml, "");
  EXPECT_TRUE(run.binaries[2].timed_out);
  EXPECT_EQ(run.binaries[2].exit_status, -1);
  EXPECT_EQ(run.binaries[2].output_tail, "partial");
  EXPECT_EQ(run.binaries[3].exit_status, -1);
  EXPECT_FALSE(run.binaries[3].timed_out);
  EXPECT_THAT(run.binaries[3].output_tail,
              StartsWith("not started: fork: EAGAIN"));
  // e started and never reported: the guest stopped inside it.
  EXPECT_EQ(seen.running, "e");
  EXPECT_EQ(seen.running_index, 5u);
  EXPECT_FALSE(seen.hello);
}

TEST(ApplyRecordsTest, AConfigThatDoesNotInflateIsANote) {
  GuestRun run;
  ApplyRecords({R("config-gz", "", "not gzip")}, &run);
  EXPECT_EQ(run.proc_config, "");
  EXPECT_THAT(run.init_notes, ElementsAre(HasSubstr("does not inflate")));
  const RecordsSeen seen =
      ApplyRecords({R("fatal", "", "no plan at /ipcproof/plan")}, &run);
  EXPECT_EQ(seen.fatal, "no plan at /ipcproof/plan");
}

class ClassifyRunTest : public ::testing::Test {
 protected:
  ClassifyRunTest() {
    run_.kernel.label = "linux-6.1";
    run_.kernel.modules_dir = "/cache/t/lib/modules/6.1.0-57-cloud-amd64";
    run_.console_log_path = "/w/console.log";
    limits_.silence = seconds(90);
    limits_.total = seconds(700);
    exited_.end = QemuOutcome::End::kExited;
    exited_.wait_status = 0;
    exited_.seconds = 12.34;
    ended_.has_end = true;
    seen_.hello = true;
  }

  GuestRun Classify(const QemuOutcome& outcome, const DecodedStream& stream,
                    const std::string& log) {
    GuestRun run = run_;
    ClassifyRun(outcome, stream, seen_, log, limits_, &run);
    return run;
  }

  GuestRun run_;
  RunLimits limits_;
  QemuOutcome exited_;
  DecodedStream ended_;
  RecordsSeen seen_;
  const std::string clean_log_ =
      "SeaBIOS\r\n[    1.0] tsc: Unable to calibrate against PIT\r\n"
      "ipcproof-init: done: 30 binaries\r\n[    9.9] reboot: Power down\r\n";
};

TEST_F(ClassifyRunTest, AFinishedCleanRunIsNoFailure) {
  const GuestRun run = Classify(exited_, ended_, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kNone);
  EXPECT_EQ(run.failure_message, "");
  EXPECT_THAT(run.log_warnings, IsEmpty());
}

TEST_F(ClassifyRunTest, AWarningIsReportedButFailsNothing) {
  const GuestRun run = Classify(
      exited_, ended_,
      "[ 2.0] WARNING: CPU: 0 PID: 1 at fs/pipe.c:1 f+0x1/0x2\n" + clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kNone);
  EXPECT_THAT(run.log_warnings, ElementsAre(HasSubstr("WARNING: CPU: 0")));
}

TEST_F(ClassifyRunTest, APanicNamesTheKernelTheBinaryAndQuotesTheTail) {
  DecodedStream cut;  // no end record
  seen_.running = "conformance/mq/sysv_msg_test";
  seen_.running_index = 6;
  const GuestRun run =
      Classify(exited_, cut,
               "[ 3.0] Kernel panic - not syncing: Attempted to kill init!\r\n"
               "[ 3.1] Kernel Offset: 0x1 from 0x2\r\n");
  EXPECT_EQ(run.failure, GuestFailure::kPanic);
  EXPECT_THAT(run.failure_message,
              StartsWith("linux-6.1 (6.1.0-57-cloud-amd64) panicked 12.3 s "
                         "into the run: Kernel panic - not syncing: Attempted "
                         "to kill init!; it was running "
                         "conformance/mq/sysv_msg_test (binary 6)\n"));
  EXPECT_THAT(run.failure_message,
              EndsWith("last 20 lines of the kernel log (/w/console.log):\n"
                       "[ 3.0] Kernel panic - not syncing: Attempted to kill "
                       "init!\n[ 3.1] Kernel Offset: 0x1 from 0x2"));
}

TEST_F(ClassifyRunTest, TheGuestsOwnReleaseIsPreferredInTheName) {
  run_.release = "6.1.0-57-cloud-amd64-student";
  const GuestRun run = Classify(exited_, DecodedStream{},
                                "[ 3.0] Kernel panic - not syncing: x\n");
  EXPECT_THAT(run.failure_message,
              StartsWith("linux-6.1 (6.1.0-57-cloud-amd64-student) panicked"));
}

TEST_F(ClassifyRunTest, EachWayOfBeingKilledWithoutTheEndIsAHang) {
  QemuOutcome killed = exited_;
  killed.wait_status = SIGKILL;
  killed.end = QemuOutcome::End::kTimeLimit;
  GuestRun run = Classify(killed, DecodedStream{}, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kHang);
  EXPECT_THAT(run.failure_message,
              HasSubstr("linux-6.1 (6.1.0-57-cloud-amd64) hung: the run's "
                        "time limit of 700 s passed"));
  killed.end = QemuOutcome::End::kSilence;
  run = Classify(killed, DecodedStream{}, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kHang);
  EXPECT_THAT(run.failure_message, HasSubstr("silent for 90 s"));
  killed.end = QemuOutcome::End::kNoFirstOutput;
  run = Classify(killed, DecodedStream{}, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kHang);
  EXPECT_THAT(run.failure_message, HasSubstr("no result record within 90 s"));
  // Killed after the end record (a power-off that never came): the results
  // are complete.
  run = Classify(killed, ended_, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kNone);
}

TEST_F(ClassifyRunTest, APanicOutranksTheHangItCaused) {
  QemuOutcome killed = exited_;
  killed.end = QemuOutcome::End::kSilence;
  const GuestRun run = Classify(killed, DecodedStream{},
                                "[ 5.0] Kernel panic - not syncing: hung\n");
  EXPECT_EQ(run.failure, GuestFailure::kPanic);
}

TEST_F(ClassifyRunTest, QemuThatCouldNotRunIsQemuFailed) {
  QemuOutcome failed = exited_;
  failed.wait_status = 1 << 8;
  failed.stderr_text = "qemu-system-x86_64: could not load kernel '/k'\n";
  seen_.hello = false;
  GuestRun run = Classify(failed, DecodedStream{}, "");
  EXPECT_EQ(run.failure, GuestFailure::kQemuFailed);
  EXPECT_THAT(run.failure_message,
              StartsWith("QEMU failed for linux-6.1 (6.1.0-57-cloud-amd64): "
                         "exited with status 1: qemu-system-x86_64: could not "
                         "load kernel '/k'"));
  EXPECT_THAT(run.failure_message, HasSubstr("(the log is empty)"));
  QemuOutcome not_started;
  not_started.end = QemuOutcome::End::kNotStarted;
  not_started.error = "exec qemu-system-x86_64: No such file or directory";
  run = Classify(not_started, DecodedStream{}, "");
  EXPECT_EQ(run.failure, GuestFailure::kQemuFailed);
  EXPECT_THAT(run.failure_message, HasSubstr("No such file or directory"));
}

TEST_F(ClassifyRunTest, AMalformedStreamIsABadStream) {
  DecodedStream bad;
  bad.error = "at byte 10 (record 2): expected a record header";
  const GuestRun run = Classify(exited_, bad, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kBadStream);
  EXPECT_THAT(run.failure_message,
              HasSubstr("sent a malformed result stream: at byte 10"));
}

TEST_F(ClassifyRunTest, PoweringOffWithoutTheEndIsSilentWithTheInitsWhy) {
  DecodedStream cut;
  cut.truncated = true;
  cut.error =
      "at byte 99 (record 4): record 'xml' announces 9 bytes, 2 arrived";
  seen_.fatal = "mount -t proc /proc: ENODEV";
  const GuestRun run = Classify(exited_, cut, clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kSilent);
  EXPECT_THAT(run.failure_message,
              HasSubstr("stopped 12.3 s into the run without its end record "
                        "(QEMU exited with status 0, no panic in the log); "
                        "the init gave up: mount -t proc /proc: ENODEV; the "
                        "stream stops at byte 99"));
  EXPECT_THAT(run.failure_message, EndsWith("[    9.9] reboot: Power down"));
}

TEST_F(ClassifyRunTest, AnOopsFailsEvenAFinishedRun) {
  const GuestRun run =
      Classify(exited_, ended_,
               "[ 4.0] BUG: kernel NULL pointer dereference, address: 08\n"
               "[ 4.1] Oops: 0000 [#1] PREEMPT SMP NOPTI\n" +
                   clean_log_);
  EXPECT_EQ(run.failure, GuestFailure::kOops);
  EXPECT_THAT(run.failure_message,
              StartsWith("linux-6.1 (6.1.0-57-cloud-amd64) reported an oops: "
                         "BUG: kernel NULL pointer dereference"));
  EXPECT_EQ(run.log_warnings.size(), 2u);
}

TEST(GunzipTest, InflatesGzipAndRefusesTheRest) {
  std::string error;
  EXPECT_EQ(Gunzip(Gzip(std::string(100000, 'y')), &error),
            std::string(100000, 'y'));
  EXPECT_EQ(error, "");
  EXPECT_EQ(Gunzip(Gzip("abc").substr(0, 8), &error), "");
  EXPECT_THAT(error, HasSubstr("does not inflate"));
}

}  // namespace
}  // namespace ipcproof::kernels

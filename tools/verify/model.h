// What one verify run found: the tests' results as the conformance binaries
// reported them, a verdict per claim earned by the rule of the README ("How a
// verdict is earned"), the kernel's health around the run. Every report
// format (report_writers.h) is written from this and nothing else.
#ifndef TOOLS_VERIFY_MODEL_H_
#define TOOLS_VERIFY_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/claims/registry.h"

namespace ipcproof::verify {

enum class Verdict {
  // Earned: every declaring test that ran passed (at least one did), and the
  // verdict is the registry's prediction (or, for a measured claim, what its
  // rule gives from this run's figures).
  kConfirmed,
  kRefined,
  kRefuted,
  // A declaring test failed (an assertion, a crash, a watchdog timeout) and
  // failed again when rerun on its own.
  kDeviates,
  // A deviation listed in the expected-deviations file for this kernel:
  // reported, but it does not fail the run.
  kExpectedDeviation,
  // A declaring test failed, then passed when rerun on its own.
  kFlaky,
  // Every declaring test skipped (or a measured claim's figures are missing).
  kUnverified,
  // No declaring test, and the registry says why it cannot be checked here.
  kNotCheckable,
  // No declaring test and no reason: a gap in the suite.
  kUntested,
};

// "confirmed", "refined", "refuted", "kernel deviates", "expected deviation",
// "flaky", "unverified", "not checkable", "untested": the words of the
// reports.
std::string_view VerdictName(Verdict verdict);
// "confirmed", "refined", "refuted", "deviates", "expected-deviation",
// "flaky", "unverified", "not-checkable", "untested": for JSON and CSS.
std::string_view VerdictKey(Verdict verdict);
// Every verdict, in report order (the order above).
const std::vector<Verdict>& AllVerdicts();
// Confirmed, refined or refuted.
bool IsEarned(Verdict verdict);

enum class TestStatus { kPassed, kFailed, kSkipped };
// "passed", "failed", "skipped".
std::string_view TestStatusName(TestStatus status);

// Why a failed test failed, from the runner's "failure_kind" property
// (conformance/runner/xml_properties.h).
enum class FailureKind {
  kNone,       // not failed
  kAssertion,  // the test's own assertions (or leftovers it was blamed for)
  kCrash,      // the test's process died (a signal, an unexpected exit)
  kTimeout,    // the watchdog ended it
};
// "", "assertion", "crash", "timeout".
std::string_view FailureKindName(FailureKind kind);

// One run of one test (as one <testcase> of a binary's gtest XML).
struct Attempt {
  TestStatus status = TestStatus::kFailed;
  FailureKind failure_kind = FailureKind::kNone;
  // The failure messages (failed) or the skip message (skipped).
  std::vector<std::string> messages;
  double seconds = 0;
};

struct TestResult {
  std::string binary;     // workspace-relative: "conformance/pipe/pipe_test"
  std::string suite;      // gtest classname: "Pipes/PipeSemanticsTest"
  std::string name;       // gtest name: "ReadBlocks/anonymous"
  std::string full_name;  // suite + "." + name, as --gtest_filter takes it
  Attempt first;
  // When `first` failed: the rerun of this test on its own.
  std::optional<Attempt> rerun;
  std::vector<std::string> claims;  // the "claims" property, split
  // The "measured.<name>" properties, prefix removed, in recorded order.
  std::vector<std::pair<std::string, std::string>> measured;
  // The "unverified" property of a skip: why, and what stays unverified.
  std::string unverified;
  // Every other property, as recorded (the XML carries them through).
  std::vector<std::pair<std::string, std::string>> properties;
  // "conformance/pipe/pipe_test.cc:406" from the claim index; empty if the
  // index has no declaration for this test.
  std::string declared_at;
};

// One figure a measured claim's rule read.
struct Figure {
  std::string name;   // as recorded, without "measured."
  std::string value;  // as recorded
  std::string test;   // full_name of the test that recorded it
};

struct ClaimReport {
  claims::Claim claim;  // a copy of the registry's entry
  Verdict verdict = Verdict::kUntested;
  // One or two sentences: why this verdict, in words a reader of the note
  // understands ("3 tests passed; 1 skipped: ...", "rule: 0.21 < 0.5 ->
  // confirmed", "no test declares this claim yet").
  std::string explanation;
  // Indices into Report::tests of the tests that declared this claim in this
  // run, in run order.
  std::vector<size_t> tests;
  // Measured claims: the figures the rule read, and the rule's outcome in
  // words ("max(interleavings.*) = 14 > 0 -> confirmed").
  std::vector<Figure> figures;
  std::string rule_outcome;
  // kExpectedDeviation: the reason from the expected-deviations file.
  std::string expected_deviation_reason;
};

// The kernel's health around the run, as LTP reports it.
struct KernelHealth {
  std::string tainted_before;  // /proc/sys/kernel/tainted, trimmed
  std::string tainted_after;
  // Kernel log lines with WARNING, BUG or Oops that appeared during the run.
  std::vector<std::string> warnings;
  // Empty when the kernel log was read; else why not ("/dev/kmsg: EPERM").
  std::string log_unreadable;

  bool TaintChanged() const { return tainted_before != tainted_after; }
  bool Warned() const { return TaintChanged() || !warnings.empty(); }
};

// Where the suite ran: the host, or a guest kernel booted by the kernel
// runner (tools/kernels/guest_run.h).
struct KernelInfo {
  // "host", or the --kernel spec's label ("linux-6.1", "bzImage").
  std::string label = "host";
  bool guest = false;
  // Guests: "linux-image-6.1.0-57-cloud-amd64-unsigned 6.1.192-3" or "" for
  // a bare image; the image file; "tcg" or "kvm" and why not KVM.
  std::string package;
  std::string image_path;
  std::string accelerator;
  std::string accelerator_note;
  int time_scale = 1;
  double boot_seconds = 0;
  // Where the kernel's config came from ("package boot/config-6.1.0-57-
  // cloud-amd64", "/proc/config.gz", "probed") for the requirements check.
  std::string config_source;
  // A guest that panicked, oopsed, hung or never reported: the kind
  // ("panic", "oops", "hang", "silent", ...) and the runner's message, which
  // names the kernel and quotes its log. "" when the run ended normally.
  std::string failure;
  std::string failure_message;
  // Requirements (conformance/*/requirements) this kernel lacks, each as a
  // sentence naming the option or system call and the folder.
  std::vector<std::string> missing_requirements;
  // The --kernel spec as given ("linux-6.1", "/k/bzImage").
  std::string spec;
  // Requirement sentences that block nothing: an option a folder
  // marks optional that this kernel lacks; for a kernel without a config,
  // the options no probe could tell.
  std::vector<std::string> requirement_notes;
  // Modules loaded in the guest before the tests (=m options).
  std::vector<std::string> modules_loaded;
  // The guest's kernel log, relative to the report directory
  // ("kernels/linux-6.1/console.log"); "" for the host.
  std::string console_log;
  // What the guest's init noted beside the results: a mount that
  // failed, lo that did not come up, a process that survived SIGKILL.
  std::vector<std::string> init_notes;
  // Binaries that did not report (fully) in this guest, one
  // sentence each: killed at their limit, crashed, wrote no or broken XML,
  // never ran because the guest failed first. Their claims are unverified.
  std::vector<std::string> unreported;
};

struct RunInfo {
  KernelInfo kernel;
  std::string kernel_release;  // uname -r
  std::string kernel_version;  // uname -v
  std::string machine;         // uname -m
  std::string hostname;
  std::string started_utc;  // ISO 8601: "2026-12-01T11:24:58Z"
  double wall_seconds = 0;
  std::string command_line;    // how verify was invoked
  std::string verify_version;  // "ipcproof verify 1"
  // The claims or areas asked for; empty when every claim was run.
  std::vector<std::string> selection;
  bool strict = false;
  // The binaries run, workspace-relative, in run order.
  std::vector<std::string> binaries;
};

// One benchmark's figures as the benchmark run's benchmarks.json holds them
// (docs/benchmarks-schema.md: "kind/mechanism/size", median over the
// repetitions, its spread).
struct BenchmarkResult {
  std::string kind;       // "latency", "throughput", "memcpy", "syscall", ...
  std::string mechanism;  // "pipe", "shm_futex", "single_core", "empty", ...
  int64_t size = 0;       // bytes per message; 0 where there is none
  std::string binary;     // "ipc_bench"
  std::string unit;       // "ns" (real time per iteration), "bytes_per_second"
  // Absent when the benchmark skipped.
  std::optional<double> median;
  std::optional<double> cv;  // stddev / mean; absent with one repetition
  int repetitions = 0;
  std::string skipped;  // the benchmark's skip message; "" when it ran
};

// The tests verify --benchmarks adds to the host's report
// (benchmark_run.h): their binary and suite.
inline constexpr char kBenchmarkBinary[] = "tools/bench/bench";
inline constexpr char kBenchmarkSuite[] = "Benchmarks";

// verify --benchmarks: the benchmark run (//tools/bench) made during this
// verify run, on the host, and nothing older.
struct BenchmarkRun {
  // benchmarks.json relative to the report directory
  // ("benchmarks/benchmarks.json").
  std::string file;
  std::string date;  // when the benchmark run started, ISO 8601 UTC
  // How verify ran the runner (set by verify, not read from the file, whose
  // "command" is the runner's guess at a `tools/bazel run` line).
  std::string command;
  std::string cpu_model;
  int cpus = 0;
  std::string pinning;        // "cpu0,cpu1" or why not
  std::string ipc_namespace;  // "private (unshare(CLONE_NEWIPC))" or why not
  int repetitions = 0;
  bool smoke = false;  // each benchmark once at its smallest size
  double seconds = 0;  // the runner's wall time
  // "" when these figures may decide claims; else why they decide nothing
  // ("a smoke run ...", "the run is incomplete: ...").
  std::string unusable;
  std::vector<BenchmarkResult> results;
};

struct Report {
  RunInfo run;
  KernelHealth health;
  std::string note_title;  // from the registry
  std::vector<claims::Area> areas;
  std::vector<TestResult> tests;
  std::vector<ClaimReport> claims;  // registry order (the selection only)
  // The host's report of verify --benchmarks; absent otherwise (and for
  // every guest: the benchmarks run on the host only).
  std::optional<BenchmarkRun> benchmarks;

  // How many claims have this verdict.
  int Count(Verdict verdict) const;
  // Any claim kDeviates: exit status 1.
  bool AnyDeviation() const;
};

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_MODEL_H_

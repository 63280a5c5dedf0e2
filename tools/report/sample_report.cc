#include "tools/report/sample_report.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "fmt/format.h"

namespace ipcproof::verify::testing {

const char kHostileMessage[] =
    "conformance/pipe/pipe_test.cc:120: Failure\n"
    "Expected: read(fd, buf, 1) fails with EAGAIN "
    "<script>alert(\"x\")</script>\n"
    "  Actual: | col | & &amp; \"double\" 'single' ``` fence ``` # not a "
    "directive\n"
    "管道已满，写端阻塞 \xff\xfe invalid bytes, \x1b[31mterminal "
    "colour\x1b[0m\r\n"
    "</pre></section></script><!-- -->]]> end";

const char kHostileFigureName[] = "odd|name `tick` <u>&amp;";
const char kHostileFigureValue[] =
    "<script>alert(2)</script> | &amp; \"q\" ``` 管道";

namespace {

// What the sample gives the claims that are neither measured nor
// not-checkable, in this order; the rest are earned by passing tests.
enum class Role {
  kDeviatesAssertion,
  kDeviatesCrash,
  kDeviatesTimeout,
  kExpectedDeviation,
  kFlaky,
  kUnverified,
  kUntested,
  kEarnedWithSkip,
  kEarnedTwoTests,
};
constexpr Role kRoles[] = {
    Role::kDeviatesAssertion, Role::kDeviatesCrash,  Role::kDeviatesTimeout,
    Role::kExpectedDeviation, Role::kFlaky,          Role::kUnverified,
    Role::kUntested,          Role::kEarnedWithSkip, Role::kEarnedTwoTests,
};

Verdict Earned(claims::Predicted predicted) {
  switch (predicted) {
    case claims::Predicted::kRefined:
      return Verdict::kRefined;
    case claims::Predicted::kRefuted:
      return Verdict::kRefuted;
    default:
      return Verdict::kConfirmed;
  }
}

Attempt Passed(double seconds) {
  return Attempt{TestStatus::kPassed, FailureKind::kNone, {}, seconds};
}

Attempt Failed(FailureKind kind) {
  return Attempt{TestStatus::kFailed, kind, {kHostileMessage}, 0.25};
}

Attempt Skipped() {
  return Attempt{TestStatus::kSkipped,
                 FailureKind::kNone,
                 {std::string("needs CAP_SYS_RESOURCE; ") + kHostileMessage},
                 0.001};
}

class Builder {
 public:
  explicit Builder(Report& report) : report_(report) {}

  // Adds a test declaring `claim` and returns its index.
  size_t AddTest(const claims::Claim& claim, Attempt first,
                 std::optional<Attempt> rerun = std::nullopt) {
    TestResult test;
    test.binary = claim.folder + "/" + claim.area + "_test";
    test.suite = "Sample/" + SuiteName(claim.area) + "Test";
    test.name = fmt::format("Case{}/param", report_.tests.size());
    test.full_name = test.suite + "." + test.name;
    test.claims = {claim.id};
    test.declared_at = fmt::format("{}/{}_test.cc:{}", claim.folder, claim.area,
                                   100 + report_.tests.size());
    if (first.status == TestStatus::kSkipped) {
      test.unverified = first.messages.front();
    }
    if (first.status == TestStatus::kFailed) {
      test.properties.push_back(
          {"failure_kind", std::string(FailureKindName(first.failure_kind))});
    }
    test.first = std::move(first);
    test.rerun = std::move(rerun);
    report_.tests.push_back(std::move(test));
    const std::string& binary = report_.tests.back().binary;
    if (std::find(report_.run.binaries.begin(), report_.run.binaries.end(),
                  binary) == report_.run.binaries.end()) {
      report_.run.binaries.push_back(binary);
    }
    return report_.tests.size() - 1;
  }

 private:
  static std::string SuiteName(std::string area) {
    if (!area.empty()) area[0] = static_cast<char>(std::toupper(area[0]));
    return area;
  }

  Report& report_;
};

BenchmarkResult BenchFigure(std::string kind, std::string mechanism,
                            int64_t size, double median,
                            std::optional<double> cv) {
  BenchmarkResult result;
  result.kind = std::move(kind);
  result.mechanism = std::move(mechanism);
  result.size = size;
  result.binary = result.kind == "latency" || result.kind == "throughput"
                      ? "ipc_bench"
                      : "limits_bench";
  result.unit = result.kind == "latency" || result.kind == "syscall" ||
                        result.kind == "wrapper"
                    ? "ns"
                    : "bytes_per_second";
  result.median = median;
  result.cv = cv;
  result.repetitions = 5;
  return result;
}

BenchmarkResult BenchSkip(std::string kind, std::string mechanism, int64_t size,
                          std::string message) {
  BenchmarkResult result =
      BenchFigure(std::move(kind), std::move(mechanism), size, 0, std::nullopt);
  result.median.reset();
  result.skipped = std::move(message);
  return result;
}

}  // namespace

BenchmarkRun SampleBenchmarks() {
  constexpr int64_t kMiB = 1 << 20;
  BenchmarkRun run;
  run.file = "benchmarks/benchmarks.json";
  run.date = "2026-12-01T11:25:04Z";
  run.command = "tools/bazel run -c opt //tools/bench -- --out \"/tmp/a&b\"";
  run.cpu_model = "AMD EPYC 7B13 64-Core Processor";
  run.cpus = 2;
  run.pinning = "cpu0,cpu1";
  run.ipc_namespace = "private (unshare(CLONE_NEWIPC))";
  run.repetitions = 5;
  run.seconds = 301.2;
  run.results = {
      BenchFigure("latency", "pipe", 64, 8123.0, 0.0183),
      BenchFigure("latency", "pipe", 4096, 12034.5, 0.031),
      BenchFigure("latency", "pipe", kMiB, 410000.0, 0.052),
      BenchFigure("latency", "posix_mq", 64, 9050.0, 0.021),
      BenchFigure("latency", "posix_mq", 4096, 14500.0, 0.027),
      BenchSkip("latency", "posix_mq", kMiB, kHostileMessage),
      BenchFigure("latency", "shm_futex", 64, 0.0, 0.0),
      BenchFigure("latency", "shm_futex", 4096, 4100.0, 0.012),
      BenchFigure("latency", "shm_futex", kMiB, 260000.0, std::nullopt),
      BenchFigure("throughput", "pipe", 64, 3.1e8, 0.04),
      BenchFigure("throughput", "pipe", 4096, 2.9e9, 0.02),
      BenchFigure("throughput", "pipe", kMiB, 3.3e9, 0.03),
      BenchFigure("throughput", "posix_mq", 64, 2.6e8, 0.05),
      BenchFigure("throughput", "posix_mq", 4096, 2.1e9, 0.02),
      BenchSkip("throughput", "posix_mq", kMiB,
                "message of 1048576 bytes above fs/mqueue/msgsize_max 8192"),
      BenchFigure("throughput", "shm_futex", 64, 5.5e8, 0.06),
      BenchFigure("throughput", "shm_futex", 4096, 6.0e9, 0.015),
      BenchFigure("throughput", "shm_futex", kMiB, 5.1e9, 0.01),
      BenchFigure("memcpy", "single_core", 64, 8.0e9, 0.01),
      BenchFigure("memcpy", "single_core", 4096, 2.4e10, 0.008),
      BenchFigure("memcpy", "single_core", kMiB, 1.2e10, 0.02),
      BenchFigure("syscall", "empty", 0, 85.2, 0.004),
      BenchFigure("wrapper", "pipe_ipc", 4096, 1210.0, 0.01),
      BenchFigure("wrapper", "pipe_raw", 4096, 1201.0, 0.012),
  };
  return run;
}

claims::Registry LoadSampleRegistry() {
  return claims::LoadRegistry("docs/claims.json");
}

Report BuildSampleReport(const claims::Registry& registry) {
  Report report;
  report.run.kernel_release = "6.18.0-sample";
  report.run.kernel_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.18.1-1 <b>&</b>";
  report.run.machine = "x86_64";
  report.run.hostname = "ci-runner-7";
  report.run.started_utc = "2026-12-01T11:24:58Z";
  report.run.wall_seconds = 6.42;
  report.run.command_line =
      "verify --out \"/tmp/a&b|c\" --claims 'pipe.*' `whoami`";
  report.run.verify_version = "ipcproof verify 1";
  report.health.tainted_before = "0";
  report.health.tainted_after = "512";
  report.health.warnings = {
      "[  12.345678] WARNING: CPU: 1 PID: 4242 at mm/page_alloc.c:4412 "
      "<script>alert(1)</script> & co"};
  report.note_title = registry.note_title;
  report.areas = registry.areas;

  Builder builder(report);
  bool measured_with_figures = false;
  size_t next_role = 0;
  for (const claims::Claim& claim : registry.claims) {
    ClaimReport cr;
    cr.claim = claim;
    if (claim.predicted == claims::Predicted::kNotCheckable) {
      cr.verdict = Verdict::kNotCheckable;
      cr.explanation = claim.not_checkable;
    } else if (claim.predicted == claims::Predicted::kMeasured) {
      if (!measured_with_figures) {
        // A measured claim earns its verdict from this run's figures.
        measured_with_figures = true;
        const size_t index = builder.AddTest(claim, Passed(1.5));
        TestResult& test = report.tests[index];
        test.measured = {{"sample.ratio", "0.21"}, {"sample.ratio_b", "0.34"}};
        cr.tests = {index};
        cr.figures = {{"sample.ratio", "0.21", test.full_name},
                      {"sample.ratio_b", "0.34", test.full_name}};
        cr.rule_outcome = "max(sample.ratio*) = 0.34 < 0.5 -> confirmed";
        cr.verdict = Verdict::kConfirmed;
        cr.explanation = "rule: " + cr.rule_outcome + ", from 1 passing test";
      } else {
        cr.verdict = Verdict::kUnverified;
        cr.explanation = "the rule needs figure " +
                         (claim.rule ? claim.rule->figure : std::string("?")) +
                         ", which no passing test of this run recorded";
      }
    } else if (next_role < std::size(kRoles)) {
      switch (kRoles[next_role++]) {
        case Role::kDeviatesAssertion:
          cr.tests = {builder.AddTest(claim, Failed(FailureKind::kAssertion),
                                      Failed(FailureKind::kAssertion)),
                      builder.AddTest(claim, Passed(0.01))};
          cr.verdict = Verdict::kDeviates;
          cr.explanation =
              "1 of 2 tests failed (assertion), and again when "
              "rerun on its own";
          break;
        case Role::kDeviatesCrash:
          cr.tests = {builder.AddTest(claim, Failed(FailureKind::kCrash),
                                      Failed(FailureKind::kCrash))};
          cr.verdict = Verdict::kDeviates;
          cr.explanation = "1 test crashed, and again when rerun on its own";
          break;
        case Role::kDeviatesTimeout:
          cr.tests = {builder.AddTest(claim, Failed(FailureKind::kTimeout),
                                      Failed(FailureKind::kTimeout))};
          cr.verdict = Verdict::kDeviates;
          cr.explanation =
              "1 test timed out, and again when rerun on its own | <i>sic</i>";
          break;
        case Role::kExpectedDeviation:
          cr.tests = {builder.AddTest(claim, Failed(FailureKind::kAssertion),
                                      Failed(FailureKind::kAssertion))};
          cr.verdict = Verdict::kExpectedDeviation;
          cr.expected_deviation_reason =
              "6.18 changed this on purpose (commit abc123) & <it> stays";
          cr.explanation = "1 test failed; expected on kernels 6.18.*";
          break;
        case Role::kFlaky:
          cr.tests = {builder.AddTest(claim, Failed(FailureKind::kTimeout),
                                      Passed(0.02))};
          cr.verdict = Verdict::kFlaky;
          cr.explanation =
              "1 test failed (timeout), then passed when rerun on its own";
          break;
        case Role::kUnverified:
          cr.tests = {builder.AddTest(claim, Skipped())};
          cr.verdict = Verdict::kUnverified;
          cr.explanation = "1 test skipped: needs CAP_SYS_RESOURCE";
          break;
        case Role::kUntested:
          cr.verdict = Verdict::kUntested;
          cr.explanation = "no test declares this claim yet";
          break;
        case Role::kEarnedWithSkip:
          cr.tests = {builder.AddTest(claim, Passed(0.003)),
                      builder.AddTest(claim, Skipped())};
          cr.verdict = Earned(claim.predicted);
          cr.explanation = "1 test passed; 1 skipped: needs CAP_SYS_RESOURCE";
          break;
        case Role::kEarnedTwoTests: {
          cr.tests = {builder.AddTest(claim, Passed(0.004)),
                      builder.AddTest(claim, Passed(0.005))};
          // A claim that is not measured still shows what its tests
          // recorded: a table of words, figures made to break a writer, and
          // more figures than a section shows.
          report.tests[cr.tests[0]].measured = {
              {"sa_restart.read", "resumed"},
              {"sa_restart.msgrcv", "EINTR"},
              {kHostileFigureName, kHostileFigureValue}};
          for (int step = 0; step < kManyFigures; ++step) {
            report.tests[cr.tests[1]].measured.push_back(
                {fmt::format("sample.step_{:03}", step),
                 std::to_string(step * 7)});
          }
          cr.verdict = Earned(claim.predicted);
          cr.explanation = "2 tests passed";
          break;
        }
      }
    } else {
      cr.tests = {builder.AddTest(claim, Passed(0.002))};
      cr.verdict = Earned(claim.predicted);
      cr.explanation = "1 test passed";
    }
    report.claims.push_back(std::move(cr));
  }
  report.benchmarks = SampleBenchmarks();
  if (!measured_with_figures || next_role < std::size(kRoles)) {
    throw std::invalid_argument(
        "the sample registry lacks a measured claim or enough plain claims to "
        "give every verdict");
  }
  return report;
}

Report SampleReport() { return BuildSampleReport(LoadSampleRegistry()); }

const char kGuestAssertion[] =
    "conformance/pipe/pipe_test.cc:88: Failure\n"
    "linux-6.1: poll(POLLIN) did not report the writer's close | <b>x</b>";

const char kMissingRequirement[] =
    "linux-6.12 lacks CONFIG_POSIX_MQUEUE (conformance/mq/requirements) | "
    "<i>from the package's config</i>";

const char kGuestFailureMessage[] =
    "bzImage (6.13.0-student) panicked 12.3 s into the run; the last lines "
    "of its log:\n"
    "[   12.301] BUG: kernel NULL pointer dereference, address: "
    "0000000000000008\n"
    "[   12.302] RIP: 0010:pipe_write+0x1a2/0x4c0 <script>alert(3)</script>\n"
    "[   12.305] Kernel panic - not syncing: Fatal exception | ``` fence\n"
    "[   12.306] ---[ end Kernel panic ]---";

namespace {

// The claims of `report` that keep only the tests `keep` accepts: every
// other test is dropped (its binary not run), and a claim that loses every
// test becomes unverified with `why`. Test indices are renumbered.
template <typename Keep>
void KeepTests(Report& report, Keep keep, const std::string& why) {
  std::vector<TestResult> tests;
  std::vector<size_t> new_index(report.tests.size(), SIZE_MAX);
  for (size_t i = 0; i < report.tests.size(); ++i) {
    if (!keep(report.tests[i])) continue;
    new_index[i] = tests.size();
    tests.push_back(report.tests[i]);
  }
  for (ClaimReport& claim : report.claims) {
    if (claim.tests.empty()) continue;
    std::vector<size_t> kept;
    for (size_t index : claim.tests) {
      if (new_index[index] != SIZE_MAX) kept.push_back(new_index[index]);
    }
    if (kept.empty()) {
      claim.verdict = Verdict::kUnverified;
      claim.explanation = why;
      claim.figures.clear();
      claim.rule_outcome.clear();
      claim.expected_deviation_reason.clear();
    }
    claim.tests = std::move(kept);
  }
  std::vector<std::string> binaries;
  for (const std::string& binary : report.run.binaries) {
    for (const TestResult& test : tests) {
      if (test.binary == binary) {
        binaries.push_back(binary);
        break;
      }
    }
  }
  report.tests = std::move(tests);
  report.run.binaries = std::move(binaries);
}

void MakeGuest(Report& report, const std::string& label,
               const std::string& release) {
  report.run.kernel.label = label;
  report.run.kernel.guest = true;
  report.run.kernel.accelerator = "tcg";
  report.run.kernel.accelerator_note =
      "KVM internal error. Suberror: 1 emulation failure";
  report.run.kernel.time_scale = 10;
  report.run.kernel_release = release;
  report.health = KernelHealth{"0", "0", {}, ""};
  // The benchmarks run on the host only.
  report.benchmarks.reset();
}

}  // namespace

KernelsSample BuildKernelsSample(const claims::Registry& registry) {
  KernelsSample sample;
  const Report host = BuildSampleReport(registry);
  sample.reports.push_back(host);

  Report linux61 = host;
  MakeGuest(linux61, "linux-6.1", "6.1.0-57-cloud-amd64");
  linux61.run.kernel.package =
      "linux-image-6.1.0-57-cloud-amd64-unsigned 6.1.192-3";
  linux61.run.kernel.image_path =
      "/root/.cache/ipcproof/kernels/"
      "linux-image-6.1.0-57-cloud-amd64-unsigned_6.1.192-3/boot/"
      "vmlinuz-6.1.0-57-cloud-amd64";
  linux61.run.kernel.config_source = "package boot/config-6.1.0-57-cloud-amd64";
  linux61.run.kernel.boot_seconds = 2.4;
  linux61.run.kernel_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3";
  linux61.run.wall_seconds = 95.3;
  for (ClaimReport& claim : linux61.claims) {
    if (claim.explanation != "1 test passed" || claim.tests.size() != 1) {
      continue;
    }
    TestResult& test = linux61.tests[claim.tests.front()];
    const Attempt failed{
        TestStatus::kFailed, FailureKind::kAssertion, {kGuestAssertion}, 2.5};
    test.first = failed;
    test.rerun = failed;
    test.properties.push_back({"failure_kind", "assertion"});
    test.measured.push_back({"sample.wakeups", "0"});
    claim.verdict = Verdict::kDeviates;
    claim.explanation =
        "1 test failed (assertion), and again when rerun on its own";
    sample.differing_claim = claim.claim.id;
    break;
  }
  sample.reports.push_back(std::move(linux61));

  Report linux612 = host;
  MakeGuest(linux612, "linux-6.12", "6.12.117+deb12-cloud-amd64");
  linux612.run.kernel.package =
      "linux-image-6.12.117+deb12-cloud-amd64-unsigned 6.12.117-1~deb12u1";
  linux612.run.kernel.image_path =
      "/root/.cache/ipcproof/kernels/"
      "linux-image-6.12.117+deb12-cloud-amd64-unsigned_6.12.117-1~deb12u1/"
      "boot/vmlinuz-6.12.117+deb12-cloud-amd64";
  linux612.run.kernel.config_source =
      "package boot/config-6.12.117+deb12-cloud-amd64";
  linux612.run.kernel.boot_seconds = 2.9;
  linux612.run.kernel_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1";
  linux612.run.wall_seconds = 88.1;
  linux612.run.kernel.missing_requirements = {kMissingRequirement};
  sample.missing_folder = "conformance/mq";
  bool has_folder = false;
  for (const claims::Claim& claim : registry.claims) {
    has_folder = has_folder || claim.folder == sample.missing_folder;
  }
  if (!has_folder) sample.missing_folder = registry.claims.back().folder;
  KeepTests(
      linux612,
      [&](const TestResult& test) {
        return !test.binary.starts_with(sample.missing_folder + "/");
      },
      kMissingRequirement);
  sample.reports.push_back(std::move(linux612));

  Report student = host;
  MakeGuest(student, "bzImage", "6.13.0-student");
  student.run.kernel.accelerator_note = "no /dev/kvm";
  student.run.kernel.image_path = "/autograder/submission/bzImage";
  student.run.kernel.config_source = "probed";
  student.run.kernel.boot_seconds = 3.1;
  student.run.kernel.failure = "panic";
  student.run.kernel.failure_message = kGuestFailureMessage;
  student.run.kernel_version = "#3 SMP Tue Dec  1 10:00:00 UTC 2026";
  student.run.wall_seconds = 14.0;
  student.health.warnings = {
      "[   12.301] BUG: kernel NULL pointer dereference, address: "
      "0000000000000008"};
  // The first two binaries ran (the second holds the sample's failures and
  // skips); the guest panicked in the third.
  if (host.run.binaries.size() < 3) {
    throw std::invalid_argument("the sample run has fewer than 3 binaries");
  }
  const std::vector<std::string> ran(host.run.binaries.begin(),
                                     host.run.binaries.begin() + 2);
  KeepTests(
      student,
      [&](const TestResult& test) {
        return std::find(ran.begin(), ran.end(), test.binary) != ran.end();
      },
      "bzImage panicked while " + host.run.binaries[2] +
          " ran: it and the binaries after it reported nothing");
  sample.reports.push_back(std::move(student));

  if (sample.differing_claim.empty()) {
    throw std::invalid_argument(
        "the sample registry has no claim earned by one passing test");
  }
  return sample;
}

KernelsSample SampleKernels() {
  return BuildKernelsSample(LoadSampleRegistry());
}

}  // namespace ipcproof::verify::testing

#include "tools/report/sample_report.h"

#include <algorithm>
#include <cctype>
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

}  // namespace

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
  if (!measured_with_figures || next_role < std::size(kRoles)) {
    throw std::invalid_argument(
        "the sample registry lacks a measured claim or enough plain claims to "
        "give every verdict");
  }
  return report;
}

Report SampleReport() { return BuildSampleReport(LoadSampleRegistry()); }

}  // namespace ipcproof::verify::testing

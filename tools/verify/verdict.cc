#include "tools/verify/verdict.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace ipcproof::verify {
namespace {

using claims::Claim;
using claims::MeasuredRule;
using claims::Predicted;
using claims::Registry;

std::string FormatNumber(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> NonEmptyLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line = Trim(text.substr(start, end - start));
    if (!line.empty()) lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// The first line of a message is what a reader needs to see. The runner
// writes an assertion as "file:line: Failure" and then gtest's text, whose
// header alone says nothing, so the location is kept and joined to the line
// that follows it.
std::string FirstLine(std::string_view message) {
  const std::vector<std::string> lines = NonEmptyLines(message);
  if (lines.empty()) return "";
  constexpr std::string_view kGtestHeader = ": Failure";
  const std::string& first = lines[0];
  if (lines.size() > 1 && first.size() > kGtestHeader.size() &&
      first.ends_with(kGtestHeader)) {
    return first.substr(0, first.size() - kGtestHeader.size()) + ": " +
           lines[1];
  }
  return first;
}

// A reason kept on one line, so that it fits one sentence of an explanation.
std::string OneLine(std::string_view text) {
  std::string joined;
  for (const std::string& line : NonEmptyLines(text)) {
    if (!joined.empty()) joined += ' ';
    joined += line;
  }
  return joined;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) joined += sep;
    joined += parts[i];
  }
  return joined;
}

std::string CountOf(size_t n, std::string_view singular,
                    std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

bool Declares(const TestResult& test, const std::string& claim) {
  return std::find(test.claims.begin(), test.claims.end(), claim) !=
         test.claims.end();
}

std::string FirstMessage(const Attempt& attempt) {
  return attempt.messages.empty() ? "" : FirstLine(attempt.messages.front());
}

// "Suite.Name failed (the watchdog ended it): <first line>".
std::string FailureSentence(const TestResult& test) {
  std::string kind;
  switch (test.first.failure_kind) {
    case FailureKind::kAssertion:
      kind = "an assertion failed";
      break;
    case FailureKind::kCrash:
      kind = "the test's process crashed";
      break;
    case FailureKind::kTimeout:
      kind = "the watchdog ended it";
      break;
    case FailureKind::kNone:
      kind = "no failure kind recorded";
      break;
  }
  std::string sentence = test.full_name + " failed (" + kind + ")";
  const std::string message = FirstMessage(test.first);
  if (!message.empty()) sentence += ": " + message;
  if (!test.rerun.has_value()) {
    sentence += "; not rerun";
  } else if (test.rerun->status == TestStatus::kPassed) {
    sentence += "; passed when rerun alone";
  } else if (test.rerun->status == TestStatus::kSkipped) {
    sentence += "; rerun alone it skipped";
  } else {
    sentence += "; rerun alone it failed again";
    const std::string again = FirstMessage(*test.rerun);
    if (!again.empty() && again != message) sentence += ": " + again;
  }
  return sentence;
}

// "Suite.Name failed (timeout: <first line>), then passed when rerun alone".
std::string FlakySentence(const TestResult& test) {
  std::string outcome(FailureKindName(test.first.failure_kind));
  const std::string message = FirstMessage(test.first);
  if (!message.empty()) {
    outcome += outcome.empty() ? message : ": " + message;
  }
  std::string sentence = test.full_name + " failed";
  if (!outcome.empty()) sentence += " (" + outcome + ")";
  return sentence + ", then passed when rerun alone";
}

std::string SkipReason(const TestResult& test) {
  std::string reason = OneLine(test.unverified);
  if (reason.empty() && !test.first.messages.empty()) {
    reason = OneLine(test.first.messages.front());
  }
  if (reason.empty()) reason = "the skip gave no reason";
  return test.full_name + ": " + reason;
}

std::string SkippedSuffix(const std::vector<const TestResult*>& skipped) {
  if (skipped.empty()) return "";
  std::vector<std::string> reasons;
  for (const TestResult* test : skipped) reasons.push_back(SkipReason(*test));
  return "; " + std::to_string(skipped.size()) +
         " skipped: " + Join(reasons, "; ");
}

Verdict EarnedVerdict(Predicted predicted) {
  switch (predicted) {
    case Predicted::kConfirmed:
      return Verdict::kConfirmed;
    case Predicted::kRefined:
      return Verdict::kRefined;
    case Predicted::kRefuted:
      return Verdict::kRefuted;
    case Predicted::kMeasured:
    case Predicted::kNotCheckable:
      break;
  }
  throw std::logic_error("EarnedVerdict: not a predicted verdict");
}

Verdict RuleVerdict(const Claim& claim, const std::string& word) {
  if (word == "confirmed") return Verdict::kConfirmed;
  if (word == "refined") return Verdict::kRefined;
  if (word == "refuted") return Verdict::kRefuted;
  if (word == "unverified") return Verdict::kUnverified;
  throw std::invalid_argument("claim " + claim.id + ": the rule's verdict \"" +
                              word + "\" is not one of confirmed, refined, " +
                              "refuted, unverified");
}

// The whole text is a finite number, or nothing: "12abc" and "nan" are not
// figures a threshold can be compared with.
std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool Compare(double value, const std::string& op, double threshold,
             const Claim& claim) {
  if (op == "<") return value < threshold;
  if (op == "<=") return value <= threshold;
  if (op == ">") return value > threshold;
  if (op == ">=") return value >= threshold;
  throw std::invalid_argument("claim " + claim.id + ": the rule's operator \"" +
                              op + "\" is not one of <, <=, >, >=");
}

// The rule of a measured claim, read from the figures of its passing
// declaring tests in this run and nothing else.
void ApplyRule(const Claim& claim, const std::vector<const TestResult*>& passed,
               const std::vector<const TestResult*>& skipped,
               ClaimReport& report) {
  if (!claim.rule.has_value()) {
    throw std::invalid_argument("claim " + claim.id +
                                " is measured but the registry gives no rule");
  }
  const MeasuredRule& rule = *claim.rule;
  if (rule.aggregate != "min" && rule.aggregate != "max" &&
      rule.aggregate != "all") {
    throw std::invalid_argument("claim " + claim.id +
                                ": the rule's aggregate \"" + rule.aggregate +
                                "\" is not min or max");
  }
  const std::string aggregate_text = rule.aggregate + "(" + rule.figure + ")";

  std::vector<double> numbers;
  std::vector<std::string> not_numbers;
  // A rule that reads the benchmarks reads their tests alone
  // (benchmark_run.h): a conformance test's rate of the same shape is not
  // the figure the rule states.
  const bool from_benchmarks = rule.benchmarks.has_value();
  const auto is_benchmark = [](const TestResult* test) {
    return test->binary == kBenchmarkBinary;
  };
  for (const TestResult* test : passed) {
    if (is_benchmark(test) != from_benchmarks) continue;
    for (const auto& [name, value] : test->measured) {
      if (fnmatch(rule.figure.c_str(), name.c_str(), 0) != 0) continue;
      report.figures.push_back(
          Figure{.name = name, .value = value, .test = test->full_name});
      if (std::optional<double> number = ParseNumber(value)) {
        numbers.push_back(*number);
      } else {
        not_numbers.push_back(name + " = \"" + value + "\" (" +
                              test->full_name + ")");
      }
    }
  }
  const std::string ignored =
      not_numbers.empty()
          ? ""
          : "; not a number, so not used: " + Join(not_numbers, ", ");

  if (numbers.empty()) {
    report.verdict = Verdict::kUnverified;
    report.rule_outcome = aggregate_text + ": no figure → unverified";
    const bool benchmarks_ran =
        std::any_of(passed.begin(), passed.end(), is_benchmark) ||
        std::any_of(skipped.begin(), skipped.end(), is_benchmark);
    report.explanation =
        from_benchmarks && !benchmarks_ran
            ? "the rule reads the benchmarks' figure " + rule.figure +
                  ", and this run made no benchmarks (`tools/bazel run -c "
                  "opt //tools/verify -- --benchmarks` does)" +
                  SkippedSuffix(skipped)
            : "the rule needs figure " + rule.figure +
                  ", which no passing test recorded in this run" + ignored +
                  SkippedSuffix(skipped);
    return;
  }

  const double lowest = *std::min_element(numbers.begin(), numbers.end());
  const double highest = *std::max_element(numbers.begin(), numbers.end());
  bool holds = false;
  if (rule.aggregate == "all") {
    if (rule.op != "==") {
      throw std::invalid_argument("claim " + claim.id +
                                  ": aggregate \"all\" needs op \"==\"");
    }
    // Two-sided: every figure within threshold ± tolerance, so that a count
    // above the note's is refuted as surely as one below it.
    holds = lowest >= rule.threshold - rule.tolerance &&
            highest <= rule.threshold + rule.tolerance;
  } else {
    holds = Compare(rule.aggregate == "min" ? lowest : highest, rule.op,
                    rule.threshold, claim);
  }
  const std::string& word =
      holds ? rule.verdict_if_true : rule.verdict_if_false;
  report.verdict = RuleVerdict(claim, word);
  if (rule.aggregate == "all") {
    const std::string range =
        lowest == highest
            ? FormatNumber(lowest)
            : FormatNumber(lowest) + " to " + FormatNumber(highest);
    report.rule_outcome = aggregate_text + " = " + range +
                          (holds ? ", within " : ", not within ") +
                          FormatNumber(rule.threshold) + " ± " +
                          FormatNumber(rule.tolerance) + " → " + word;
  } else {
    report.rule_outcome =
        aggregate_text + " = " +
        FormatNumber(rule.aggregate == "min" ? lowest : highest) +
        (holds ? " " : " not ") + rule.op + " " + FormatNumber(rule.threshold) +
        " → " + word;
  }
  report.explanation = "rule: " + report.rule_outcome + ", from " +
                       CountOf(numbers.size(), "figure", "figures") + " of " +
                       CountOf(passed.size(), "passing test", "passing tests") +
                       ignored + SkippedSuffix(skipped);
}

ClaimReport DecideOne(const Claim& claim, const std::vector<TestResult>& tests,
                      const std::vector<ExpectedDeviation>& expected,
                      const std::string& kernel_release) {
  ClaimReport report;
  report.claim = claim;
  for (size_t i = 0; i < tests.size(); ++i) {
    if (Declares(tests[i], claim.id)) report.tests.push_back(i);
  }

  if (report.tests.empty()) {
    if (claim.predicted == Predicted::kNotCheckable) {
      report.verdict = Verdict::kNotCheckable;
      report.explanation = claim.not_checkable;
    } else {
      report.verdict = Verdict::kUntested;
      report.explanation = "no test declares this claim yet";
    }
    return report;
  }

  std::vector<const TestResult*> passed, failed, skipped;
  for (size_t index : report.tests) {
    const TestResult& test = tests[index];
    switch (test.first.status) {
      case TestStatus::kPassed:
        passed.push_back(&test);
        break;
      case TestStatus::kFailed:
        failed.push_back(&test);
        break;
      case TestStatus::kSkipped:
        skipped.push_back(&test);
        break;
    }
  }

  if (!failed.empty()) {
    const bool every_rerun_passed =
        std::all_of(failed.begin(), failed.end(), [](const TestResult* test) {
          return test->rerun.has_value() &&
                 test->rerun->status == TestStatus::kPassed;
        });
    std::vector<std::string> sentences;
    if (every_rerun_passed) {
      for (const TestResult* test : failed) {
        sentences.push_back(FlakySentence(*test));
      }
      report.verdict = Verdict::kFlaky;
      report.explanation = Join(sentences, "; ");
      return report;
    }
    for (const TestResult* test : failed) {
      sentences.push_back(FailureSentence(*test));
    }
    report.explanation = Join(sentences, "; ");
    if (const ExpectedDeviation* known =
            FindExpectedDeviation(expected, claim.id, kernel_release)) {
      report.verdict = Verdict::kExpectedDeviation;
      report.expected_deviation_reason = known->reason;
      report.explanation += "; expected on kernels " + known->kernel;
    } else {
      report.verdict = Verdict::kDeviates;
    }
    return report;
  }

  if (passed.empty()) {
    std::vector<std::string> reasons;
    for (const TestResult* test : skipped) reasons.push_back(SkipReason(*test));
    report.verdict = Verdict::kUnverified;
    report.explanation =
        (skipped.size() == 1
             ? std::string("its test skipped: ")
             : "all " + std::to_string(skipped.size()) + " tests skipped: ") +
        Join(reasons, "; ");
    return report;
  }

  if (claim.predicted == Predicted::kMeasured) {
    ApplyRule(claim, passed, skipped, report);
    return report;
  }
  report.verdict = EarnedVerdict(claim.predicted);
  report.explanation = CountOf(passed.size(), "test", "tests") + " passed" +
                       SkippedSuffix(skipped);
  return report;
}

// Every test's declarations are checked, not only the selection's: a typo
// in any CLAIM must stop the run rather than leave a claim silently untested.
void CheckDeclarations(const Registry& registry,
                       const std::vector<TestResult>& tests) {
  for (const TestResult& test : tests) {
    for (const std::string& id : test.claims) {
      const Claim* claim = registry.Find(id);
      if (claim == nullptr) {
        throw std::invalid_argument(test.binary + ": test " + test.full_name +
                                    " declares claim \"" + id +
                                    "\", which the registry lacks");
      }
      if (claim->predicted == Predicted::kNotCheckable) {
        throw std::invalid_argument(
            test.binary + ": test " + test.full_name + " declares claim \"" +
            id + "\", which the registry says cannot be checked (" +
            claim->not_checkable + ")");
      }
    }
  }
}

}  // namespace

std::vector<ClaimReport> DecideClaims(
    const claims::Registry& registry, const std::vector<TestResult>& tests,
    const std::vector<ExpectedDeviation>& expected,
    const std::string& kernel_release,
    const std::vector<std::string>& selected) {
  CheckDeclarations(registry, tests);
  for (const std::string& id : selected) {
    if (registry.Find(id) == nullptr) {
      throw std::invalid_argument("the selection names claim \"" + id +
                                  "\", which the registry lacks");
    }
  }
  const std::set<std::string> chosen(selected.begin(), selected.end());

  std::vector<ClaimReport> reports;
  for (const Claim& claim : registry.claims) {
    if (!chosen.empty() && !chosen.contains(claim.id)) continue;
    reports.push_back(DecideOne(claim, tests, expected, kernel_release));
  }
  return reports;
}

}  // namespace ipcproof::verify

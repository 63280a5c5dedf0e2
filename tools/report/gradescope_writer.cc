// results.json for Gradescope's autograder ("Autograder Specifications":
// top-level score, execution_time, output, visibility, tests; per test name,
// score, max_score, status, output, tags, visibility, number). The grading
// config (docs/grading.json) gives weights and visibility; docs/grading.md
// says what a student sees.
//
// Scoring, per claim (or per test with "per": "test"):
//   earned verdict        score = max_score = weight, passed
//   expected deviation    score = max_score = weight, passed (a known kernel
//                         difference is not the kernel's fault here)
//   deviates, flaky       score 0 of weight, failed
//   unverified, not checkable, untested   0 of 0 (nothing was decided, so
//                         nothing is owed): passed, as Gradescope itself
//                         shows a 0/0 entry, with the reason as output
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "tools/report/claim_evidence.h"
#include "tools/report/kernel_columns.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using nlohmann::ordered_json;

// How an entry's output starts when it is not graded, or is a known
// difference; a guest that failed takes these back (FailGuest).
constexpr std::string_view kNotGraded = "Not graded (0 of 0).\n";
constexpr std::string_view kSkippedNotGraded = "Not graded (0 of 0): skipped. ";
constexpr std::string_view kKnownDifference =
    "A known kernel difference (listed in the expected deviations), not "
    "counted against this kernel.\n";

struct Entry {
  std::string name;
  double score = 0;
  double max_score = 0;
  bool passed = true;
  std::string output;
  std::vector<std::string> tags;
  std::string visibility;
  std::string number;
};

// Numbers "area.position" (Gradescope sorts and groups by them), areas in
// report order.
std::string AreaNumber(const Report& report, const std::string& area,
                       int position) {
  size_t area_index = report.areas.size();
  for (size_t i = 0; i < report.areas.size(); ++i) {
    if (report.areas[i].id == area) area_index = i;
  }
  return fmt::format("{}.{}", area_index + 1, position);
}

Entry ClaimEntry(const Report& report, const ClaimReport& claim,
                 const GradingRule& rule) {
  Entry entry;
  entry.name = OneLine(claim.claim.id + ": " + claim.claim.meaning);
  entry.tags = {claim.claim.area, std::string(VerdictKey(claim.verdict))};
  entry.visibility = rule.visibility;
  switch (claim.verdict) {
    case Verdict::kConfirmed:
    case Verdict::kRefined:
    case Verdict::kRefuted:
      entry.score = entry.max_score = rule.weight;
      entry.output = EvidenceText(report, claim);
      break;
    case Verdict::kExpectedDeviation:
      entry.score = entry.max_score = rule.weight;
      entry.output =
          std::string(kKnownDifference) + EvidenceText(report, claim);
      break;
    case Verdict::kDeviates:
    case Verdict::kFlaky:
      entry.max_score = rule.weight;
      entry.passed = false;
      entry.output = EvidenceText(report, claim);
      break;
    case Verdict::kUnverified:
    case Verdict::kNotCheckable:
    case Verdict::kUntested:
      entry.output = std::string(kNotGraded) + EvidenceText(report, claim);
      break;
  }
  return entry;
}

// Per test: the test's first declared claim picks its weight and
// visibility (a test without claims takes the default). A failed test whose
// every claim is an expected deviation scores, like its claims.
Entry TestEntry(const Report& report, size_t index,
                const GradingConfig& config) {
  const TestResult& test = report.tests[index];
  const GradingRule rule =
      config.For(test.claims.empty() ? "" : test.claims[0]);
  Entry entry;
  entry.name = OneLine(test.full_name + " (" + test.binary + ")");
  entry.tags = test.claims;
  entry.visibility = rule.visibility;
  std::string output = "Outcome: " + TestOutcome(test) + "\n";
  if (!test.claims.empty()) {
    std::string ids;
    for (const std::string& id : test.claims)
      ids += (ids.empty() ? "" : " ") + id;
    output += "Claims: " + ids + "\n";
  }
  if (!test.declared_at.empty())
    output += "Declared at: " + test.declared_at + "\n";
  const auto add_messages = [&](const Attempt& attempt) {
    for (const std::string& message : attempt.messages) {
      output += TrimMessage(message, 20, 2000) + "\n";
    }
  };
  add_messages(test.first);
  if (test.rerun) add_messages(*test.rerun);

  bool all_expected = !test.claims.empty();
  for (const std::string& id : test.claims) {
    bool expected = false;
    for (const ClaimReport& claim : report.claims) {
      if (claim.claim.id == id) {
        expected = claim.verdict == Verdict::kExpectedDeviation;
      }
    }
    all_expected = all_expected && expected;
  }
  switch (FinalStatus(test)) {
    case TestStatus::kPassed:
      if (test.first.status == TestStatus::kFailed) {
        // Flaky: as for its claims, no credit for a result that did not
        // hold.
        entry.max_score = rule.weight;
        entry.passed = false;
      } else {
        entry.score = entry.max_score = rule.weight;
      }
      break;
    case TestStatus::kSkipped:
      output = std::string(kSkippedNotGraded) + output;
      break;
    case TestStatus::kFailed:
      entry.max_score = rule.weight;
      if (all_expected) {
        entry.score = rule.weight;
        output = std::string(kKnownDifference) + output;
      } else {
        entry.passed = false;
      }
      break;
  }
  entry.output = output;
  return entry;
}

ordered_json EntryJson(const Entry& entry, const GradingConfig& config) {
  ordered_json json = {{"name", CleanText(entry.name)},
                       {"number", entry.number},
                       {"score", entry.score},
                       {"max_score", entry.max_score},
                       {"status", entry.passed ? "passed" : "failed"}};
  json["output"] = CleanText(!entry.passed && !config.hide_errors.empty()
                                 ? config.hide_errors
                                 : entry.output);
  json["output_format"] = "text";
  json["tags"] = ordered_json::array();
  for (const std::string& tag : entry.tags)
    json["tags"].push_back(CleanText(tag));
  json["visibility"] = entry.visibility;
  return json;
}

// A guest that failed (panicked, oopsed, hung, said nothing) earns nothing:
// every entry that could score on a kernel scores 0 of its weight here,
// with the failure (which quotes the kernel's log) as its output, so a
// kernel that crashed is never graded on the part that ran, nor given
// 0 of 0 for the part that did not. Claims no kernel can earn (not
// checkable, untested) stay 0 of 0. Per test, the claims that no test of
// this run declared get an entry each, so the total does not shrink with
// what the crash left unrun.
void FailGuest(const Report& report, const GradingConfig& config,
               std::vector<Entry>& entries) {
  const KernelInfo& kernel = report.run.kernel;
  if (kernel.failure.empty()) return;
  const std::string failure =
      GuestFailureSentence(kernel.label, kernel) + "\n" +
      TrimMessage(kernel.failure_message, 40, 4000) + "\n";
  const auto fail = [&](Entry& entry, double weight) {
    entry.score = 0;
    entry.max_score = weight;
    entry.passed = false;
    // It is graded now, and nothing is excused.
    for (std::string_view prefix :
         {kNotGraded, kSkippedNotGraded, kKnownDifference}) {
      if (entry.output.starts_with(prefix)) {
        entry.output.erase(0, prefix.size());
      }
    }
    entry.output = failure + entry.output;
  };
  if (!config.per_test) {
    for (size_t i = 0; i < entries.size() && i < report.claims.size(); ++i) {
      const ClaimReport& claim = report.claims[i];
      if (claim.verdict == Verdict::kNotCheckable ||
          claim.verdict == Verdict::kUntested) {
        continue;
      }
      fail(entries[i], config.For(claim.claim.id).weight);
    }
    return;
  }
  for (size_t i = 0; i < entries.size() && i < report.tests.size(); ++i) {
    const TestResult& test = report.tests[i];
    fail(entries[i],
         config.For(test.claims.empty() ? "" : test.claims[0]).weight);
  }
  for (const ClaimReport& claim : report.claims) {
    if (!claim.tests.empty() || claim.verdict == Verdict::kNotCheckable ||
        claim.verdict == Verdict::kUntested) {
      continue;
    }
    const GradingRule rule = config.For(claim.claim.id);
    Entry entry;
    entry.name = OneLine(claim.claim.id + ": not run (the guest failed)");
    entry.tags = {claim.claim.id};
    entry.visibility = rule.visibility;
    entry.output = EvidenceText(report, claim);
    entry.number = std::to_string(entries.size() + 1);
    fail(entry, rule.weight);
    entries.push_back(std::move(entry));
  }
}

// The graded entries of one kernel's run, numbered.
std::vector<Entry> Entries(const Report& report, const GradingConfig& config) {
  std::vector<Entry> entries;
  if (config.per_test) {
    for (size_t i = 0; i < report.tests.size(); ++i) {
      Entry entry = TestEntry(report, i, config);
      entry.number = std::to_string(i + 1);
      entries.push_back(std::move(entry));
    }
  } else {
    std::vector<int> per_area(report.areas.size() + 1, 0);
    for (const ClaimReport& claim : report.claims) {
      Entry entry = ClaimEntry(report, claim, config.For(claim.claim.id));
      size_t area_index = report.areas.size();
      for (size_t i = 0; i < report.areas.size(); ++i) {
        if (report.areas[i].id == claim.claim.area) area_index = i;
      }
      entry.number =
          AreaNumber(report, claim.claim.area, ++per_area[area_index]);
      entries.push_back(std::move(entry));
    }
  }
  FailGuest(report, config, entries);
  return entries;
}

// The one-line summary of a kernel's run, as Gradescope shows it above the
// entries; for a guest, how it was booted; for a guest that failed, the
// failure first, loudly.
std::string RunSummary(const Report& report, double score, double max_score) {
  const KernelInfo& kernel = report.run.kernel;
  std::string summary;
  if (!kernel.failure.empty()) {
    summary += GuestFailureSentence(kernel.label, kernel) +
               " Every graded entry of this kernel scores 0.\n";
  }
  summary += fmt::format(
      "ipcproof on Linux {} ({}){}: {} of {} points; {} confirmed, {} refined, "
      "{} refuted, {} kernel deviates, {} expected deviations, {} flaky, {} "
      "not graded (unverified, not checkable or untested).",
      report.run.kernel_release, report.run.machine,
      kernel.guest
          ? " in a guest (" + kernel.label + ", " + kernel.accelerator + ")"
          : std::string(),
      score, max_score, report.Count(Verdict::kConfirmed),
      report.Count(Verdict::kRefined), report.Count(Verdict::kRefuted),
      report.Count(Verdict::kDeviates),
      report.Count(Verdict::kExpectedDeviation), report.Count(Verdict::kFlaky),
      report.Count(Verdict::kUnverified) +
          report.Count(Verdict::kNotCheckable) +
          report.Count(Verdict::kUntested));
  for (const std::string& missing : kernel.missing_requirements) {
    summary += "\nMissing requirement (its claims are not graded): " + missing;
  }
  if (!kernel.failure.empty() && !kernel.failure_message.empty()) {
    summary += "\n" + TrimMessage(kernel.failure_message, 40, 4000);
  }
  return summary;
}

}  // namespace

std::string WriteGradescope(const Report& report, const GradingConfig& config) {
  const std::vector<Entry> entries = Entries(report, config);
  double score = 0, max_score = 0;
  ordered_json tests = ordered_json::array();
  for (const Entry& entry : entries) {
    score += entry.score;
    max_score += entry.max_score;
    tests.push_back(EntryJson(entry, config));
  }
  ordered_json json;
  json["score"] = score;
  json["execution_time"] = std::lround(report.run.wall_seconds);
  json["output"] = CleanText(RunSummary(report, score, max_score));
  json["output_format"] = "text";
  json["visibility"] = config.visibility;
  json["tests"] = tests;
  return json.dump(2, ' ', false, ordered_json::error_handler_t::replace) +
         "\n";
}

// Several kernels: each kernel's entries, named "[label] ..." and numbered
// "K.<the single form's number>", tagged with the label; the score is the
// sum over the kernels, and so is the total Gradescope adds up.
std::string WriteGradescope(const std::vector<Report>& reports,
                            const GradingConfig& config) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteGradescope(reports.front(), config);
  const std::vector<std::string> labels = KernelLabels(reports);
  double score = 0, max_score = 0, seconds = 0;
  std::string kernels_output;
  ordered_json tests = ordered_json::array();
  for (size_t k = 0; k < reports.size(); ++k) {
    double kernel_score = 0, kernel_max = 0;
    for (Entry& entry : Entries(reports[k], config)) {
      entry.name = "[" + labels[k] + "] " + entry.name;
      entry.number = fmt::format("{}.{}", k + 1, entry.number);
      entry.tags.push_back(labels[k]);
      kernel_score += entry.score;
      kernel_max += entry.max_score;
      tests.push_back(EntryJson(entry, config));
    }
    score += kernel_score;
    max_score += kernel_max;
    seconds += reports[k].run.wall_seconds;
    std::string summary = RunSummary(reports[k], kernel_score, kernel_max);
    // Each line of a kernel's summary names the kernel.
    std::string prefixed;
    size_t start = 0;
    while (start < summary.size()) {
      size_t end = summary.find('\n', start);
      if (end == std::string::npos) end = summary.size();
      prefixed +=
          "[" + labels[k] + "] " + summary.substr(start, end - start) + "\n";
      start = end + 1;
    }
    kernels_output += prefixed;
  }
  ordered_json json;
  json["score"] = score;
  json["execution_time"] = std::lround(seconds);
  json["output"] =
      CleanText(fmt::format("ipcproof on {} kernels: {} of {} points.\n",
                            reports.size(), score, max_score) +
                kernels_output);
  json["output_format"] = "text";
  json["visibility"] = config.visibility;
  json["tests"] = tests;
  return json.dump(2, ' ', false, ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace ipcproof::verify

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
#include <string>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "tools/report/claim_evidence.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using nlohmann::ordered_json;

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
          "A known kernel difference (listed in the expected deviations), "
          "not counted against this kernel.\n" +
          EvidenceText(report, claim);
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
      entry.output = "Not graded (0 of 0).\n" + EvidenceText(report, claim);
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
      output = "Not graded (0 of 0): skipped. " + output;
      break;
    case TestStatus::kFailed:
      entry.max_score = rule.weight;
      if (all_expected) {
        entry.score = rule.weight;
        output =
            "A known kernel difference (listed in the expected "
            "deviations), not counted against this kernel.\n" +
            output;
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

}  // namespace

std::string WriteGradescope(const Report& report, const GradingConfig& config) {
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
  json["output"] = CleanText(fmt::format(
      "ipcproof on Linux {} ({}): {} of {} points; {} confirmed, {} refined, "
      "{} refuted, {} kernel deviates, {} expected deviations, {} flaky, {} "
      "not graded (unverified, not checkable or untested).",
      report.run.kernel_release, report.run.machine, score, max_score,
      report.Count(Verdict::kConfirmed), report.Count(Verdict::kRefined),
      report.Count(Verdict::kRefuted), report.Count(Verdict::kDeviates),
      report.Count(Verdict::kExpectedDeviation), report.Count(Verdict::kFlaky),
      report.Count(Verdict::kUnverified) +
          report.Count(Verdict::kNotCheckable) +
          report.Count(Verdict::kUntested)));
  json["output_format"] = "text";
  json["visibility"] = config.visibility;
  json["tests"] = tests;
  return json.dump(2, ' ', false, ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace ipcproof::verify

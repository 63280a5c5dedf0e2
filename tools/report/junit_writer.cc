// junit.xml: the merged test results for CI systems that read JUnit (Jenkins,
// GitLab, GitHub annotations). One <testsuite> per conformance binary, one
// <testcase> per test, the XML properties carried through.
//
// A rerun is shown the way Maven Surefire shows its reruns, which JUnit
// readers already know: a test that failed and then passed on its own is a
// passing <testcase> with a <flakyFailure> holding the first failure (verify
// calls its claims flaky and does not fail the run, so a CI gating on this
// file agrees with verify's exit status); a test that failed both times has
// its <failure> and a <rerunFailure>. The property "rerun" says the rerun's
// outcome either way.
#include <algorithm>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "pugixml.hpp"
#include "tools/report/claim_evidence.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

void AddProperty(pugi::xml_node properties, std::string_view name,
                 std::string_view value) {
  pugi::xml_node property = properties.append_child("property");
  property.append_attribute("name") = CleanText(name).c_str();
  property.append_attribute("value") = CleanText(value).c_str();
}

std::string Joined(const std::vector<std::string>& items,
                   std::string_view sep) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += sep;
    joined += item;
  }
  return joined;
}

// The message attribute: the first line, short; the element's text holds
// every message whole.
std::string Headline(const Attempt& attempt) {
  if (attempt.messages.empty()) return AttemptOutcome(attempt);
  const std::string& first = attempt.messages.front();
  std::string line = OneLine(first.substr(0, first.find('\n')));
  if (line.size() > 200) line = TrimMessage(line, 1, 200);
  return OneLine(line);
}

void AddFailure(pugi::xml_node testcase, const char* element,
                const Attempt& attempt) {
  pugi::xml_node failure = testcase.append_child(element);
  failure.append_attribute("message") = Headline(attempt).c_str();
  failure.append_attribute("type") =
      std::string(FailureKindName(attempt.failure_kind)).c_str();
  const std::string text = CleanText(Joined(attempt.messages, "\n\n"));
  if (!text.empty()) {
    failure.append_child(pugi::node_pcdata).set_value(text.c_str());
  }
}

struct SuiteCounts {
  int tests = 0;
  int failures = 0;
  int skipped = 0;
  double seconds = 0;
};

void AddTestcase(pugi::xml_node suite, const TestResult& test,
                 SuiteCounts& counts) {
  pugi::xml_node testcase = suite.append_child("testcase");
  testcase.append_attribute("classname") = CleanText(test.suite).c_str();
  testcase.append_attribute("name") = CleanText(test.name).c_str();
  const double seconds =
      test.first.seconds + (test.rerun ? test.rerun->seconds : 0);
  testcase.append_attribute("time") = FormatSeconds(seconds).c_str();
  if (!test.declared_at.empty()) {
    const std::string file =
        test.declared_at.substr(0, test.declared_at.rfind(':'));
    testcase.append_attribute("file") = CleanText(file).c_str();
  }

  pugi::xml_node properties = testcase.append_child("properties");
  if (!test.claims.empty())
    AddProperty(properties, "claims", Joined(test.claims, " "));
  for (const auto& [name, value] : test.measured) {
    AddProperty(properties, "measured." + name, value);
  }
  if (!test.unverified.empty())
    AddProperty(properties, "unverified", test.unverified);
  if (test.first.failure_kind != FailureKind::kNone) {
    AddProperty(properties, "failure_kind",
                FailureKindName(test.first.failure_kind));
  }
  if (!test.declared_at.empty())
    AddProperty(properties, "declared_at", test.declared_at);
  if (test.rerun) {
    AddProperty(properties, "rerun", TestStatusName(test.rerun->status));
    if (test.rerun->failure_kind != FailureKind::kNone) {
      AddProperty(properties, "rerun.failure_kind",
                  FailureKindName(test.rerun->failure_kind));
    }
  }
  for (const auto& [name, value] : test.properties) {
    AddProperty(properties, name, value);
  }
  if (!properties.first_child()) testcase.remove_child(properties);

  ++counts.tests;
  counts.seconds += seconds;
  switch (FinalStatus(test)) {
    case TestStatus::kPassed:
      if (test.first.status == TestStatus::kFailed) {
        AddFailure(testcase, "flakyFailure", test.first);
      }
      break;
    case TestStatus::kSkipped: {
      ++counts.skipped;
      const Attempt& skip =
          test.first.status == TestStatus::kSkipped ? test.first : *test.rerun;
      testcase.append_child("skipped").append_attribute("message") =
          CleanText(test.unverified.empty() ? Joined(skip.messages, "\n")
                                            : test.unverified)
              .c_str();
      break;
    }
    case TestStatus::kFailed:
      ++counts.failures;
      AddFailure(testcase, "failure", test.first);
      if (test.rerun && test.rerun->status == TestStatus::kFailed) {
        AddFailure(testcase, "rerunFailure", *test.rerun);
      }
      break;
  }
}

void SetCounts(pugi::xml_node node, const SuiteCounts& counts) {
  node.append_attribute("tests") = counts.tests;
  node.append_attribute("failures") = counts.failures;
  node.append_attribute("errors") = 0;
  node.append_attribute("skipped") = counts.skipped;
  node.append_attribute("time") = FormatSeconds(counts.seconds).c_str();
}

}  // namespace

std::string WriteJunit(const Report& report) {
  // Binaries in run order, then any a test names that the run list lacks.
  std::vector<std::string> binaries = report.run.binaries;
  for (const TestResult& test : report.tests) {
    if (std::find(binaries.begin(), binaries.end(), test.binary) ==
        binaries.end()) {
      binaries.push_back(test.binary);
    }
  }

  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = document.append_child("testsuites");
  root.append_attribute("name") = "ipcproof";
  SuiteCounts total;
  std::vector<std::pair<pugi::xml_node, SuiteCounts>> suites;
  for (const std::string& binary : binaries) {
    pugi::xml_node suite = root.append_child("testsuite");
    suite.append_attribute("name") = CleanText(binary).c_str();
    SuiteCounts counts;
    // Run facts per suite: JUnit readers show a suite's properties, and
    // rarely the root's.
    pugi::xml_node properties = suite.append_child("properties");
    AddProperty(properties, "kernel_release", report.run.kernel_release);
    AddProperty(properties, "kernel_version", report.run.kernel_version);
    AddProperty(properties, "machine", report.run.machine);
    AddProperty(properties, "verify_version", report.run.verify_version);
    for (const TestResult& test : report.tests) {
      if (test.binary == binary) AddTestcase(suite, test, counts);
    }
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.skipped += counts.skipped;
    total.seconds += counts.seconds;
    suites.emplace_back(suite, counts);
  }
  for (auto& [suite, counts] : suites) {
    SetCounts(suite, counts);
    suite.append_attribute("timestamp") =
        CleanText(report.run.started_utc).c_str();
    suite.append_attribute("hostname") = CleanText(report.run.hostname).c_str();
  }
  SetCounts(root, total);
  root.append_attribute("timestamp") =
      CleanText(report.run.started_utc).c_str();

  std::ostringstream xml;
  document.save(xml, "  ", pugi::format_default, pugi::encoding_utf8);
  return xml.str();
}

}  // namespace ipcproof::verify

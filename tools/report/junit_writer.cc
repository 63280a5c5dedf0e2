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
//
// Several kernels (verify --kernel K ...): one <testsuite> per kernel, named
// by its label, each test's name prefixed "[label] " and its binary a
// property; a guest adds a test case "the guest kernel ran the suite to its
// end" (an <error> when it panicked, oopsed, hung or said nothing), and
// every requirement a kernel lacks is a skipped test case.
#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "pugixml.hpp"
#include "tools/report/claim_evidence.h"
#include "tools/report/kernel_columns.h"
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
  int errors = 0;
  int skipped = 0;
  double seconds = 0;

  void Add(const SuiteCounts& other) {
    tests += other.tests;
    failures += other.failures;
    errors += other.errors;
    skipped += other.skipped;
    seconds += other.seconds;
  }
};

// `prefix`: "[label] " before the test's name when several kernels share
// the file, so no reader merges one kernel's test with another's; their
// suite is the kernel's, so each test then names its binary too.
// A failed test whose every claim is an expected deviation on this kernel
// (docs/expected-deviations.json): the reason, written as the test's
// "expected_deviation" property so a reader of the XML (CI's counter) can
// tell a known kernel difference from a new failure. "" otherwise.
std::string ExpectedDeviationOf(const Report& report, const TestResult& test) {
  if (FinalStatus(test) != TestStatus::kFailed || test.claims.empty()) {
    return "";
  }
  std::string reason;
  for (const std::string& id : test.claims) {
    const auto claim =
        std::find_if(report.claims.begin(), report.claims.end(),
                     [&](const ClaimReport& c) { return c.claim.id == id; });
    if (claim == report.claims.end() ||
        claim->verdict != Verdict::kExpectedDeviation) {
      return "";
    }
    if (reason.empty()) reason = id + ": " + claim->expected_deviation_reason;
  }
  return reason;
}

void AddTestcase(pugi::xml_node suite, const TestResult& test,
                 SuiteCounts& counts, const std::string& prefix = "",
                 const std::string& expected_deviation = "") {
  pugi::xml_node testcase = suite.append_child("testcase");
  testcase.append_attribute("classname") = CleanText(test.suite).c_str();
  testcase.append_attribute("name") = CleanText(prefix + test.name).c_str();
  const double seconds =
      test.first.seconds + (test.rerun ? test.rerun->seconds : 0);
  testcase.append_attribute("time") = FormatSeconds(seconds).c_str();
  if (!test.declared_at.empty()) {
    const std::string file =
        test.declared_at.substr(0, test.declared_at.rfind(':'));
    testcase.append_attribute("file") = CleanText(file).c_str();
  }

  pugi::xml_node properties = testcase.append_child("properties");
  if (!prefix.empty()) AddProperty(properties, "binary", test.binary);
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
  if (!expected_deviation.empty())
    AddProperty(properties, "expected_deviation", expected_deviation);
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
  node.append_attribute("errors") = counts.errors;
  node.append_attribute("skipped") = counts.skipped;
  node.append_attribute("time") = FormatSeconds(counts.seconds).c_str();
}

// The kernel's facts as a suite's properties; nothing for the host, whose
// suites carried only the uname facts before there were guests.
void AddKernelProperties(pugi::xml_node properties, const KernelInfo& kernel,
                         const std::string& label, bool always) {
  if (!kernel.guest && !always) return;
  AddProperty(properties, "kernel_label", label);
  AddProperty(properties, "guest", kernel.guest ? "yes" : "no");
  if (!kernel.guest) return;
  AddProperty(properties, "kernel_package", kernel.package);
  AddProperty(properties, "kernel_image", kernel.image_path);
  AddProperty(properties, "accelerator", kernel.accelerator);
  if (!kernel.accelerator_note.empty()) {
    AddProperty(properties, "accelerator_note", kernel.accelerator_note);
  }
  AddProperty(properties, "time_scale", std::to_string(kernel.time_scale));
  AddProperty(properties, "boot_seconds", FormatSeconds(kernel.boot_seconds));
  AddProperty(properties, "config_source", kernel.config_source);
  if (!kernel.failure.empty()) {
    AddProperty(properties, "guest_failure", kernel.failure);
  }
}

// What the kernel itself did, as test cases a CI reader shows with the
// rest: for a guest, whether it ran the suite to its end (an <error> with
// the runner's message, which quotes the kernel's log, when it panicked,
// oopsed, hung or said nothing); a <skipped> per requirement it lacks.
bool HasKernelCases(const KernelInfo& kernel) {
  return kernel.guest || !kernel.missing_requirements.empty();
}

void AddKernelCases(pugi::xml_node suite, const Report& report,
                    const std::string& prefix, SuiteCounts& counts) {
  const KernelInfo& kernel = report.run.kernel;
  if (kernel.guest) {
    pugi::xml_node testcase = suite.append_child("testcase");
    testcase.append_attribute("classname") = "ipcproof.kernel";
    testcase.append_attribute("name") =
        CleanText(prefix + "the guest kernel ran the suite to its end").c_str();
    // Its time is the boot's: the tests' own times are in their cases.
    testcase.append_attribute("time") =
        FormatSeconds(kernel.boot_seconds).c_str();
    ++counts.tests;
    counts.seconds += kernel.boot_seconds;
    if (!kernel.failure.empty()) {
      ++counts.errors;
      pugi::xml_node error = testcase.append_child("error");
      const std::string& message = kernel.failure_message;
      error.append_attribute("message") =
          OneLine(kernel.failure + ": " +
                  TrimMessage(message.substr(0, message.find('\n')), 1, 200))
              .c_str();
      error.append_attribute("type") = CleanText(kernel.failure).c_str();
      if (!message.empty()) {
        error.append_child(pugi::node_pcdata)
            .set_value(CleanText(message).c_str());
      }
    }
  }
  for (const std::string& missing : kernel.missing_requirements) {
    pugi::xml_node testcase = suite.append_child("testcase");
    testcase.append_attribute("classname") = "ipcproof.requirements";
    testcase.append_attribute("name") = OneLine(prefix + missing).c_str();
    testcase.append_attribute("time") = "0.000";
    // Like a test's skip: the reason is also the "unverified" property that
    // CI's counter asks of every skip.
    pugi::xml_node properties = testcase.append_child("properties");
    AddProperty(properties, "unverified",
                missing + ": the folder's claims are unverified");
    testcase.append_child("skipped").append_attribute("message") =
        OneLine(missing + ": the folder's claims are unverified").c_str();
    ++counts.tests;
    ++counts.skipped;
  }
}

std::string Saved(const pugi::xml_document& document) {
  std::ostringstream xml;
  document.save(xml, "  ", pugi::format_default, pugi::encoding_utf8);
  return xml.str();
}

pugi::xml_node AddRoot(pugi::xml_document& document) {
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = document.append_child("testsuites");
  root.append_attribute("name") = "ipcproof";
  return root;
}

std::string Label(const Report& report) {
  return report.run.kernel.label.empty() ? "host" : report.run.kernel.label;
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
  pugi::xml_node root = AddRoot(document);
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
    AddKernelProperties(properties, report.run.kernel, Label(report), false);
    for (const TestResult& test : report.tests) {
      if (test.binary == binary) {
        AddTestcase(suite, test, counts, "", ExpectedDeviationOf(report, test));
      }
    }
    total.Add(counts);
    suites.emplace_back(suite, counts);
  }
  if (HasKernelCases(report.run.kernel)) {
    pugi::xml_node suite = root.append_child("testsuite");
    suite.append_attribute("name") =
        CleanText("kernel " + Label(report)).c_str();
    pugi::xml_node properties = suite.append_child("properties");
    AddProperty(properties, "kernel_release", report.run.kernel_release);
    AddKernelProperties(properties, report.run.kernel, Label(report), true);
    SuiteCounts counts;
    AddKernelCases(suite, report, "", counts);
    total.Add(counts);
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
  return Saved(document);
}

std::string WriteJunit(const std::vector<Report>& reports) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteJunit(reports.front());
  const std::vector<std::string> labels = KernelLabels(reports);
  pugi::xml_document document;
  pugi::xml_node root = AddRoot(document);
  SuiteCounts total;
  std::vector<std::pair<pugi::xml_node, SuiteCounts>> suites;
  for (size_t k = 0; k < reports.size(); ++k) {
    const Report& report = reports[k];
    const std::string prefix = "[" + labels[k] + "] ";
    pugi::xml_node suite = root.append_child("testsuite");
    suite.append_attribute("name") = CleanText(labels[k]).c_str();
    pugi::xml_node properties = suite.append_child("properties");
    AddProperty(properties, "kernel_release", report.run.kernel_release);
    AddProperty(properties, "kernel_version", report.run.kernel_version);
    AddProperty(properties, "machine", report.run.machine);
    AddProperty(properties, "verify_version", report.run.verify_version);
    AddKernelProperties(properties, report.run.kernel, labels[k], true);
    SuiteCounts counts;
    // Binaries in run order, as in the single form.
    std::vector<std::string> binaries = report.run.binaries;
    for (const TestResult& test : report.tests) {
      if (std::find(binaries.begin(), binaries.end(), test.binary) ==
          binaries.end()) {
        binaries.push_back(test.binary);
      }
    }
    for (const std::string& binary : binaries) {
      for (const TestResult& test : report.tests) {
        if (test.binary == binary) {
          AddTestcase(suite, test, counts, prefix,
                      ExpectedDeviationOf(report, test));
        }
      }
    }
    AddKernelCases(suite, report, prefix, counts);
    total.Add(counts);
    suites.emplace_back(suite, counts);
  }
  for (size_t k = 0; k < suites.size(); ++k) {
    auto& [suite, counts] = suites[k];
    SetCounts(suite, counts);
    suite.append_attribute("timestamp") =
        CleanText(reports[k].run.started_utc).c_str();
    suite.append_attribute("hostname") =
        CleanText(reports[k].run.hostname).c_str();
  }
  SetCounts(root, total);
  root.append_attribute("timestamp") =
      CleanText(reports.front().run.started_utc).c_str();
  return Saved(document);
}

}  // namespace ipcproof::verify

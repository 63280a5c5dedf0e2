#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using testing::SampleReport;

class JunitWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    report_ = new Report(SampleReport());
    xml_ = new std::string(WriteJunit(*report_));
  }
  void SetUp() override {
    const pugi::xml_parse_result result = document_.load_string(xml_->c_str());
    ASSERT_TRUE(result) << result.description() << " at " << result.offset;
    root_ = document_.document_element();
  }
  static Report* report_;
  static std::string* xml_;
  pugi::xml_document document_;
  pugi::xml_node root_;
};
Report* JunitWriterTest::report_ = nullptr;
std::string* JunitWriterTest::xml_ = nullptr;

std::map<std::string, std::string> Properties(pugi::xml_node testcase) {
  std::map<std::string, std::string> properties;
  for (pugi::xml_node property :
       testcase.child("properties").children("property")) {
    properties[property.attribute("name").value()] =
        property.attribute("value").value();
  }
  return properties;
}

TEST_F(JunitWriterTest, OneSuitePerBinaryAndCountsMatch) {
  EXPECT_STREQ(root_.name(), "testsuites");
  int roots = 0;
  for (pugi::xml_node node : document_.children()) {
    roots += node.type() == pugi::node_element;
  }
  EXPECT_EQ(roots, 1) << "one <testsuites>";
  std::set<std::string> binaries;
  int failed = 0, skipped = 0;
  for (const TestResult& test : report_->tests) {
    binaries.insert(test.binary);
    const bool passed_on_rerun =
        test.rerun && test.rerun->status == TestStatus::kPassed;
    failed += test.first.status == TestStatus::kFailed && !passed_on_rerun;
    skipped += test.first.status == TestStatus::kSkipped;
  }
  int suites = 0, testcases = 0, suite_failures = 0, suite_skips = 0;
  for (pugi::xml_node suite : root_.children("testsuite")) {
    ++suites;
    EXPECT_TRUE(binaries.contains(suite.attribute("name").value()));
    int here = 0;
    for (pugi::xml_node testcase : suite.children("testcase")) {
      (void)testcase;
      ++here;
    }
    EXPECT_EQ(suite.attribute("tests").as_int(), here);
    testcases += here;
    suite_failures += suite.attribute("failures").as_int();
    suite_skips += suite.attribute("skipped").as_int();
  }
  EXPECT_EQ(suites, static_cast<int>(binaries.size()));
  EXPECT_EQ(testcases, static_cast<int>(report_->tests.size()));
  EXPECT_EQ(root_.attribute("tests").as_int(), testcases);
  EXPECT_EQ(root_.attribute("failures").as_int(), failed);
  EXPECT_EQ(root_.attribute("skipped").as_int(), skipped);
  EXPECT_EQ(suite_failures, failed);
  EXPECT_EQ(suite_skips, skipped);
}

TEST_F(JunitWriterTest, TestcasesCarryOutcomesAndProperties) {
  std::map<std::string, pugi::xml_node> by_name;
  for (pugi::xml_node suite : root_.children("testsuite")) {
    for (pugi::xml_node testcase : suite.children("testcase")) {
      by_name[std::string(testcase.attribute("classname").value()) + "." +
              testcase.attribute("name").value()] = testcase;
    }
  }
  int flaky = 0, failed_twice = 0;
  for (const TestResult& test : report_->tests) {
    ASSERT_TRUE(by_name.contains(test.full_name)) << test.full_name;
    const pugi::xml_node testcase = by_name[test.full_name];
    const auto properties = Properties(testcase);
    EXPECT_EQ(properties.at("claims"), test.claims.front());
    for (const auto& [name, value] : test.measured) {
      EXPECT_EQ(properties.at("measured." + name), value);
    }
    if (test.first.status == TestStatus::kSkipped) {
      EXPECT_EQ(testcase.child("skipped").attribute("message").value(),
                CleanText(test.unverified));
    }
    if (test.first.status != TestStatus::kFailed) {
      EXPECT_FALSE(testcase.child("failure"));
      continue;
    }
    EXPECT_EQ(properties.at("failure_kind"),
              std::string(FailureKindName(test.first.failure_kind)));
    EXPECT_EQ(properties.at("rerun"),
              std::string(TestStatusName(test.rerun->status)));
    if (test.rerun->status == TestStatus::kPassed) {
      ++flaky;
      EXPECT_FALSE(testcase.child("failure"));
      EXPECT_EQ(testcase.child("flakyFailure").attribute("type").value(),
                std::string(FailureKindName(test.first.failure_kind)));
    } else {
      ++failed_twice;
      const pugi::xml_node failure = testcase.child("failure");
      ASSERT_TRUE(failure);
      EXPECT_EQ(std::string(failure.text().get()),
                CleanText(testing::kHostileMessage));
      EXPECT_TRUE(testcase.child("rerunFailure"));
    }
  }
  EXPECT_GT(flaky, 0);
  EXPECT_GT(failed_twice, 0);
}

}  // namespace
}  // namespace ipcproof::verify

// --- Several kernels.

namespace ipcproof::verify {
namespace {

TEST(JunitOneKernelTest, OneReportIsTheSingleReportByteForByte) {
  const testing::KernelsSample sample = testing::SampleKernels();
  for (const Report& report : sample.reports) {
    EXPECT_EQ(WriteJunit(std::vector<Report>{report}), WriteJunit(report));
  }
  EXPECT_THROW(WriteJunit(std::vector<Report>{}), std::invalid_argument);
}

TEST(JunitOneKernelTest, AGuestThatFailedIsAnErrorCase) {
  const testing::KernelsSample sample = testing::SampleKernels();
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(WriteJunit(sample.reports[3]).c_str()));
  const pugi::xml_node root = document.document_element();
  EXPECT_EQ(root.attribute("errors").as_int(), 1);
  const pugi::xml_node suite =
      root.find_child_by_attribute("testsuite", "name", "kernel bzImage");
  ASSERT_TRUE(suite);
  const pugi::xml_node error = suite.child("testcase").child("error");
  ASSERT_TRUE(error);
  EXPECT_STREQ(error.attribute("type").value(), "panic");
  EXPECT_EQ(std::string(error.text().get()),
            CleanText(testing::kGuestFailureMessage));
  // The host's file has no such suite.
  ASSERT_TRUE(document.load_string(WriteJunit(sample.reports[0]).c_str()));
  for (pugi::xml_node node : document.document_element().children()) {
    EXPECT_FALSE(
        std::string(node.attribute("name").value()).starts_with("kernel "));
  }
}

// The property CI's counter reads to tell a listed kernel difference from a
// new failure: only on a failed test whose claims are all expected there.
TEST(JunitOneKernelTest, AFailureTheRegistryExpectsCarriesItsReason) {
  Report report = testing::SampleKernels().reports[1];
  // The reasons on failed test cases, in document order.
  const auto marked = [](const std::string& xml) {
    pugi::xml_document document;
    EXPECT_TRUE(document.load_string(xml.c_str()));
    std::vector<std::string> reasons;
    for (const pugi::xpath_node& node : document.select_nodes(
             "//testcase[properties/property[@name='expected_deviation']]")) {
      EXPECT_TRUE(node.node().child("failure")) << "marked but not failed";
      reasons.push_back(node.node()
                            .select_node("properties/property[@name="
                                         "'expected_deviation']/@value")
                            .attribute()
                            .value());
    }
    return reasons;
  };
  const std::vector<std::string> before = marked(WriteJunit(report));
  int changed = 0;
  for (ClaimReport& claim : report.claims) {
    if (claim.verdict != Verdict::kDeviates) continue;
    claim.verdict = Verdict::kExpectedDeviation;
    claim.expected_deviation_reason = "known on linux-6.1";
    ++changed;
  }
  ASSERT_GT(changed, 0) << "the 6.1 sample has no deviating claim";
  const std::vector<std::string> after = marked(WriteJunit(report));
  ASSERT_GT(after.size(), before.size()) << "a deviation is not marked";
  EXPECT_THAT(
      after, ::testing::Contains(::testing::HasSubstr(": known on linux-6.1")));
  for (const std::string& reason : before) {
    EXPECT_THAT(reason, ::testing::Not(::testing::HasSubstr("linux-6.1")));
  }
}

class JunitKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sample_ = testing::SampleKernels();
    const std::string xml = WriteJunit(sample_.reports);
    const pugi::xml_parse_result result = document_.load_string(xml.c_str());
    ASSERT_TRUE(result) << result.description();
    root_ = document_.document_element();
  }
  testing::KernelsSample sample_;
  pugi::xml_document document_;
  pugi::xml_node root_;
};

TEST_F(JunitKernelsTest, OneSuitePerKernelAndEveryTestNamesItsKernel) {
  const std::vector<std::string> labels = {"host", "linux-6.1", "linux-6.12",
                                           "bzImage"};
  std::vector<std::string> suites;
  int total = 0;
  for (pugi::xml_node suite : root_.children("testsuite")) {
    const std::string label = suite.attribute("name").value();
    suites.push_back(label);
    const Report& report = sample_.reports[suites.size() - 1];
    std::map<std::string, std::string> properties;
    for (pugi::xml_node property :
         suite.child("properties").children("property")) {
      properties[property.attribute("name").value()] =
          property.attribute("value").value();
    }
    EXPECT_EQ(properties["kernel_label"], label);
    EXPECT_EQ(properties["kernel_release"], report.run.kernel_release);
    int tests = 0, prefixed = 0;
    for (pugi::xml_node testcase : suite.children("testcase")) {
      ++tests;
      const std::string name = testcase.attribute("name").value();
      prefixed += name.starts_with("[" + label + "] ");
    }
    EXPECT_EQ(prefixed, tests) << label;
    EXPECT_EQ(suite.attribute("tests").as_int(), tests);
    // The tests of the run, plus the guest's own case and one per missing
    // requirement.
    EXPECT_EQ(tests, static_cast<int>(report.tests.size()) +
                         (report.run.kernel.guest ? 1 : 0) +
                         static_cast<int>(
                             report.run.kernel.missing_requirements.size()))
        << label;
    total += tests;
  }
  EXPECT_EQ(suites, labels);
  EXPECT_EQ(root_.attribute("tests").as_int(), total);
  EXPECT_EQ(root_.attribute("errors").as_int(), 1);
}

TEST_F(JunitKernelsTest, TestsKeepTheirBinaryAndTheDifferingOneFailsThere) {
  const pugi::xml_node suite =
      root_.find_child_by_attribute("testsuite", "name", "linux-6.1");
  ASSERT_TRUE(suite);
  int failed_with_guest_message = 0;
  for (pugi::xml_node testcase : suite.children("testcase")) {
    if (std::string_view(testcase.attribute("classname").value())
            .starts_with("ipcproof.")) {
      continue;
    }
    EXPECT_TRUE(testcase.child("properties")
                    .find_child_by_attribute("property", "name", "binary"))
        << testcase.attribute("name").value();
    const pugi::xml_node failure = testcase.child("failure");
    if (failure && std::string(failure.text().get()) ==
                       CleanText(testing::kGuestAssertion)) {
      ++failed_with_guest_message;
    }
  }
  EXPECT_EQ(failed_with_guest_message, 1);
}

TEST_F(JunitKernelsTest, PanicIsAnErrorAndAMissingRequirementASkip) {
  const pugi::xml_node student =
      root_.find_child_by_attribute("testsuite", "name", "bzImage");
  const pugi::xml_node guest = student.find_child_by_attribute(
      "testcase", "name",
      "[bzImage] the guest kernel ran the suite to its end");
  ASSERT_TRUE(guest);
  EXPECT_EQ(std::string(guest.child("error").text().get()),
            CleanText(testing::kGuestFailureMessage));
  EXPECT_EQ(student.attribute("errors").as_int(), 1);
  const pugi::xml_node clean =
      root_.find_child_by_attribute("testsuite", "name", "linux-6.1")
          .find_child_by_attribute(
              "testcase", "name",
              "[linux-6.1] the guest kernel ran the suite to its end");
  ASSERT_TRUE(clean);
  EXPECT_FALSE(clean.first_child()) << "passed: no error, no skip";
  const pugi::xml_node missing =
      root_.find_child_by_attribute("testsuite", "name", "linux-6.12")
          .find_child_by_attribute("testcase", "classname",
                                   "ipcproof.requirements");
  ASSERT_TRUE(missing);
  EXPECT_EQ(std::string(missing.attribute("name").value()),
            "[linux-6.12] " + OneLine(testing::kMissingRequirement));
  EXPECT_TRUE(missing.child("skipped"));
}

}  // namespace
}  // namespace ipcproof::verify

#include <map>
#include <set>
#include <string>

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

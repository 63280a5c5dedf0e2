#include "tools/verify/gtest_xml_reader.h"

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::ThrowsMessage;

// The shape conformance/runner/xml_writer.cc writes: a pass with figures, a
// TEST_P failure the watchdog ended, a skip, and a plain gtest failure with
// no failure_kind.
constexpr char kRunnerXml[] = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="2" disabled="0" errors="0" skipped="1" name="AllTests">
  <testsuite name="PipeTest" tests="2">
    <testcase name="CapacityIsReported" file="p.cc" line="3" status="run" result="completed" time="0.125" classname="PipeTest">
      <properties>
        <property name="claims" value="pipe.anon.kernel-buffer  pipe.two-kinds"/>
        <property name="measured.capacity_bytes" value="65536"/>
        <property name="measured.pages" value="16"/>
        <property name="owner" value="uid 0"/>
      </properties>
    </testcase>
    <testcase name="NeedsRoot" status="run" result="skipped" time="0.001" classname="PipeTest">
      <properties>
        <property name="claims" value="pipe.blocks"/>
        <property name="unverified" value="setresuid: EINVAL (leaves unverified: pipe.blocks)"/>
      </properties>
      <skipped message="setresuid: EINVAL &amp; more"/>
    </testcase>
  </testsuite>
  <testsuite name="Pipes/PipeSemanticsTest" tests="1">
    <testcase name="ReadBlocks/anonymous" value_param="4" status="run" result="completed" time="30.002" classname="Pipes/PipeSemanticsTest">
      <properties>
        <property name="claims" value="pipe.blocks"/>
        <property name="failure_kind" value="timeout"/>
      </properties>
      <failure message="watchdog: state S, in read(0x3, ...)&#x0A;second line" type="">watchdog</failure>
    </testcase>
  </testsuite>
  <testsuite name="Plain" tests="2">
    <testcase name="Fails" status="run" result="completed" time="0" classname="Plain">
      <failure message="" type=""><![CDATA[a.cc:1: Failure
Expected: 1]]></failure>
    </testcase>
    <testcase name="DISABLED_Off" status="notrun" result="suppressed" time="0" classname="Plain"/>
  </testsuite>
</testsuites>
)xml";

TEST(GtestXmlReaderTest, ReadsEveryRunTestWithItsOutcomeAndProperties) {
  const std::vector<TestResult> results =
      ParseGtestXml(kRunnerXml, "x.xml", "conformance/pipe/pipe_test");
  ASSERT_EQ(results.size(), 4u);  // the disabled test is not a result

  const TestResult& pass = results[0];
  EXPECT_EQ(pass.binary, "conformance/pipe/pipe_test");
  EXPECT_EQ(pass.full_name, "PipeTest.CapacityIsReported");
  EXPECT_EQ(pass.first.status, TestStatus::kPassed);
  EXPECT_EQ(pass.first.failure_kind, FailureKind::kNone);
  EXPECT_DOUBLE_EQ(pass.first.seconds, 0.125);
  EXPECT_THAT(pass.claims,
              ElementsAre("pipe.anon.kernel-buffer", "pipe.two-kinds"));
  EXPECT_THAT(pass.measured, ElementsAre(Pair("capacity_bytes", "65536"),
                                         Pair("pages", "16")));
  EXPECT_THAT(pass.properties, ElementsAre(Pair("owner", "uid 0")));
  EXPECT_FALSE(pass.rerun.has_value());

  const TestResult& skip = results[1];
  EXPECT_EQ(skip.first.status, TestStatus::kSkipped);
  EXPECT_EQ(skip.unverified,
            "setresuid: EINVAL (leaves unverified: pipe.blocks)");
  EXPECT_THAT(skip.first.messages, ElementsAre("setresuid: EINVAL & more"));

  const TestResult& timeout = results[2];
  EXPECT_EQ(timeout.suite, "Pipes/PipeSemanticsTest");
  EXPECT_EQ(timeout.name, "ReadBlocks/anonymous");
  EXPECT_EQ(timeout.full_name, "Pipes/PipeSemanticsTest.ReadBlocks/anonymous");
  EXPECT_EQ(timeout.first.status, TestStatus::kFailed);
  EXPECT_EQ(timeout.first.failure_kind, FailureKind::kTimeout);
  EXPECT_THAT(timeout.first.messages,
              ElementsAre("watchdog: state S, in read(0x3, ...)\nsecond line"));
  // failure_kind is read into the attempt, not kept as a loose property.
  EXPECT_TRUE(timeout.properties.empty());

  const TestResult& plain = results[3];
  EXPECT_EQ(plain.first.status, TestStatus::kFailed);
  EXPECT_EQ(plain.first.failure_kind, FailureKind::kAssertion);
  EXPECT_THAT(plain.first.messages,
              ElementsAre("a.cc:1: Failure\nExpected: 1"));
}

TEST(GtestXmlReaderTest, ReadsTheCrashKind) {
  const auto results = ParseGtestXml(
      R"(<testsuites><testsuite name="S"><testcase name="N" classname="S">
      <properties><property name="failure_kind" value="crash"/></properties>
      <failure message="the test process was killed by SIGSEGV"/>
      </testcase></testsuite></testsuites>)",
      "x.xml", "b");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].first.failure_kind, FailureKind::kCrash);
}

TEST(GtestXmlReaderTest, AnEmptyRunHasNoResults) {
  EXPECT_TRUE(ParseGtestXml("<testsuites tests=\"0\"/>", "x.xml", "b").empty());
}

TEST(GtestXmlReaderTest, TruncatedXmlNamesTheFileAndTheOffset) {
  const std::string text(kRunnerXml);
  const std::string truncated = text.substr(0, text.size() / 2);
  EXPECT_THAT([&] { ParseGtestXml(truncated, "/tmp/3-pipe_test.xml", "b"); },
              ThrowsMessage<InfrastructureError>(
                  AllOf(HasSubstr("/tmp/3-pipe_test.xml: not well-formed XML"),
                        HasSubstr("at byte offset"), HasSubstr("truncated"))));
}

TEST(GtestXmlReaderTest, ACutAnywhereIsCalledTruncated) {
  const std::string text(kRunnerXml);
  // Inside a tag, an attribute value, text, a closing tag, a CDATA section.
  for (const char* cut_after :
       {"<testsuite name=\"P", "time=\"0.1", "watchdog</fai", "</properties",
        "<![CDATA[a.cc"}) {
    const size_t at = text.find(cut_after);
    ASSERT_NE(at, std::string::npos) << cut_after;
    EXPECT_THAT(
        [&] {
          ParseGtestXml(text.substr(0, at + std::strlen(cut_after)), "f.xml",
                        "b");
        },
        ThrowsMessage<InfrastructureError>(HasSubstr("may be truncated")))
        << cut_after;
  }
}

TEST(GtestXmlReaderTest, TextThatIsNotXmlIsRefused) {
  EXPECT_THAT(
      [] { ParseGtestXml("<testsuites><<< no</testsuites>", "f.xml", "b"); },
      ThrowsMessage<InfrastructureError>(
          AllOf(HasSubstr("f.xml: not well-formed XML"),
                Not(HasSubstr("truncated")))));
  EXPECT_THAT([] { ParseGtestXml("", "f.xml", "b"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("f.xml: not well-formed XML")));
}

TEST(GtestXmlReaderTest, ADocumentOfAnotherShapeIsRefused) {
  EXPECT_THAT([] { ParseGtestXml("<html><body/></html>", "f.xml", "b"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("f.xml: the root element is <html>")));
  EXPECT_THAT(
      [] { ParseGtestXml("<testsuites><suite/></testsuites>", "f.xml", "b"); },
      ThrowsMessage<InfrastructureError>(HasSubstr("holds a <suite>")));
  EXPECT_THAT(
      [] {
        ParseGtestXml(
            "<testsuites><testsuite><testcase name=\"N\"/></testsuite>"
            "</testsuites>",
            "f.xml", "b");
      },
      ThrowsMessage<InfrastructureError>(
          HasSubstr("f.xml: a <testcase> (byte offset")));
}

TEST(GtestXmlReaderTest, AnUnknownFailureKindIsRefused) {
  EXPECT_THAT(
      [] {
        ParseGtestXml(
            R"(<testsuites><testsuite><testcase name="N" classname="S">
            <properties><property name="failure_kind" value="gremlins"/>
            </properties><failure message="m"/></testcase></testsuite>
            </testsuites>)",
            "f.xml", "b");
      },
      ThrowsMessage<InfrastructureError>(
          HasSubstr("f.xml: test S.N: unknown failure_kind \"gremlins\"")));
}

TEST(GtestXmlReaderTest, AMissingFileSaysNoXmlWasWritten) {
  EXPECT_THAT([] { ReadGtestXml("/nonexistent/ipcproof/1.xml", "b"); },
              ThrowsMessage<InfrastructureError>(HasSubstr(
                  "/nonexistent/ipcproof/1.xml: no XML results were written "
                  "(ENOENT)")));
}

}  // namespace
}  // namespace ipcproof::verify

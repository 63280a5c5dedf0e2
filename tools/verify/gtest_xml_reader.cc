#include "tools/verify/gtest_xml_reader.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <sstream>

#include "conformance/runner/xml_properties.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

namespace property = ::ipcproof::xml_property;

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

FailureKind ParseFailureKind(std::string_view value, const std::string& where) {
  if (value == property::kFailureAssertion) return FailureKind::kAssertion;
  if (value == property::kFailureCrash) return FailureKind::kCrash;
  if (value == property::kFailureTimeout) return FailureKind::kTimeout;
  throw InfrastructureError(where + ": unknown " + property::kFailureKind +
                            " \"" + std::string(value) + "\"");
}

double ParseSeconds(const char* text) {
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  return end != text && seconds >= 0 ? seconds : 0;
}

// A gtest document ends with its root's closing tag; one that fails to
// parse and lacks it was most likely cut short (a binary killed while
// writing, a full disk). pugixml's own error then depends on where the cut
// fell (an attribute, a tag, text), so it alone cannot tell.
bool EndsBeforeTheRootCloses(std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return !text.ends_with("</testsuites>");
}

std::string ParseProblem(const pugi::xml_parse_result& parsed,
                         std::string_view text) {
  std::string problem = "not well-formed XML (";
  problem += parsed.description();
  problem += ", at byte offset " + std::to_string(parsed.offset) + ")";
  if (EndsBeforeTheRootCloses(text)) {
    problem += "; it ends before </testsuites>: the file may be truncated";
  }
  return problem;
}

TestResult ReadTestCase(const pugi::xml_node& testcase, const std::string& name,
                        const std::string& binary) {
  const pugi::xml_attribute case_name = testcase.attribute("name");
  const pugi::xml_attribute classname = testcase.attribute("classname");
  if (case_name.empty() || classname.empty() || !*case_name.value() ||
      !*classname.value()) {
    throw InfrastructureError(name + ": a <testcase> (byte offset " +
                              std::to_string(testcase.offset_debug()) +
                              ") lacks its name or classname attribute");
  }
  TestResult result;
  result.binary = binary;
  result.suite = classname.value();
  result.name = case_name.value();
  result.full_name = result.suite + "." + result.name;
  const std::string where = name + ": test " + result.full_name;

  for (const pugi::xml_node& item :
       testcase.child("properties").children("property")) {
    const std::string key = item.attribute("name").value();
    const std::string value = item.attribute("value").value();
    if (key.empty()) {
      throw InfrastructureError(where + ": a <property> has no name");
    }
    if (key == property::kClaims) {
      result.claims = SplitWords(value);
    } else if (key.starts_with(property::kMeasuredPrefix)) {
      result.measured.emplace_back(
          key.substr(std::strlen(property::kMeasuredPrefix)), value);
    } else if (key == property::kUnverified) {
      result.unverified = value;
    } else if (key == property::kFailureKind) {
      result.first.failure_kind = ParseFailureKind(value, where);
    } else {
      result.properties.emplace_back(key, value);
    }
  }

  Attempt& attempt = result.first;
  attempt.seconds = ParseSeconds(testcase.attribute("time").value());
  const bool failed = !testcase.child("failure").empty();
  const bool skipped =
      !testcase.child("skipped").empty() ||
      std::string_view(testcase.attribute("result").value()) == "skipped";
  if (failed) {
    attempt.status = TestStatus::kFailed;
    for (const pugi::xml_node& failure : testcase.children("failure")) {
      std::string message = failure.attribute("message").value();
      if (message.empty()) message = failure.child_value();
      attempt.messages.push_back(std::move(message));
    }
    // Plain gtest binaries (and runners older than failure_kind) report only
    // the test's own failed assertions.
    if (attempt.failure_kind == FailureKind::kNone) {
      attempt.failure_kind = FailureKind::kAssertion;
    }
  } else if (skipped) {
    attempt.status = TestStatus::kSkipped;
    attempt.failure_kind = FailureKind::kNone;
    const std::string message =
        testcase.child("skipped").attribute("message").value();
    if (!message.empty()) attempt.messages.push_back(message);
  } else {
    attempt.status = TestStatus::kPassed;
    attempt.failure_kind = FailureKind::kNone;
  }
  return result;
}

}  // namespace

std::vector<TestResult> ParseGtestXml(std::string_view text,
                                      const std::string& name,
                                      const std::string& binary) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(text.data(), text.size());
  if (!parsed)
    throw InfrastructureError(name + ": " + ParseProblem(parsed, text));
  const pugi::xml_node root = document.document_element();
  if (std::string_view(root.name()) != "testsuites") {
    throw InfrastructureError(name + ": the root element is <" +
                              std::string(root.name()) +
                              ">, not gtest's <testsuites>");
  }
  std::vector<TestResult> results;
  for (const pugi::xml_node& suite : root.children()) {
    if (suite.type() != pugi::node_element) continue;
    if (std::string_view(suite.name()) != "testsuite") {
      throw InfrastructureError(name + ": <testsuites> holds a <" +
                                std::string(suite.name()) +
                                ">, not only <testsuite> elements");
    }
    for (const pugi::xml_node& testcase : suite.children("testcase")) {
      // gtest lists disabled tests as not run; they decide nothing.
      if (std::string_view(testcase.attribute("status").value()) == "notrun") {
        continue;
      }
      results.push_back(ReadTestCase(testcase, name, binary));
    }
  }
  return results;
}

std::vector<TestResult> ReadGtestXml(const std::string& path,
                                     const std::string& binary) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw InfrastructureError(
        path + ": no XML results were written (" +
        (error != 0 ? ErrnoName(error) : std::string("cannot open")) + ")");
  }
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  if (in.bad()) throw InfrastructureError(path + ": read error");
  return ParseGtestXml(text, path, binary);
}

}  // namespace ipcproof::verify

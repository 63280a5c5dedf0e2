#include "conformance/runner/xml_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "conformance/runner/xml_properties.h"

namespace ipcproof {
namespace {

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#x0A;";
        break;
      case '\r':
        out += "&#x0D;";
        break;
      case '\t':
        out += "&#x09;";
        break;
      default:
        // XML 1.0 has no way to carry other control characters.
        if (c < 0x20) {
          out += ' ';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

std::string Timestamp(std::time_t when) {
  char text[32];
  std::tm local{};
  ::localtime_r(&when, &local);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  return text;
}

std::string TestCaseElement(const TestResult& r) {
  const Outcome& o = r.outcome;
  const bool skipped = o.status == Outcome::Status::kSkipped;
  std::string xml = "    <testcase name=\"" + XmlEscape(r.test.name) + "\"";
  if (!r.test.value_param.empty()) {
    xml += " value_param=\"" + XmlEscape(r.test.value_param) + "\"";
  }
  if (!r.test.type_param.empty()) {
    xml += " type_param=\"" + XmlEscape(r.test.type_param) + "\"";
  }
  xml += " file=\"" + XmlEscape(r.test.file) + "\" line=\"" +
         std::to_string(r.test.line) + "\" status=\"run\" result=\"" +
         (skipped ? "skipped" : "completed") + "\" time=\"" +
         Seconds(o.seconds) + "\" classname=\"" + XmlEscape(r.test.suite) +
         "\">\n";
  if (!o.properties.empty()) {
    xml += "      <properties>\n";
    for (const auto& [key, value] : o.properties) {
      xml += "        <property name=\"" + XmlEscape(key) + "\" value=\"" +
             XmlEscape(value) + "\"/>\n";
    }
    xml += "      </properties>\n";
  }
  for (const std::string& failure : o.failures) {
    xml += "      <failure message=\"" + XmlEscape(failure) + "\" type=\"\">" +
           XmlEscape(failure) + "</failure>\n";
  }
  if (skipped) {
    xml += "      <skipped message=\"" + XmlEscape(o.skip_message) + "\"/>\n";
  }
  xml += "    </testcase>\n";
  return xml;
}

std::string Document(const std::vector<const TestResult*>& results,
                     std::time_t started, double total_seconds,
                     int time_scale) {
  std::vector<std::string> suites;
  for (const TestResult* r : results) {
    if (std::find(suites.begin(), suites.end(), r->test.suite) ==
        suites.end()) {
      suites.push_back(r->test.suite);
    }
  }
  auto count = [&](const std::string* suite, Outcome::Status status) {
    return std::count_if(results.begin(), results.end(),
                         [&](const TestResult* r) {
                           return (!suite || r->test.suite == *suite) &&
                                  r->outcome.status == status;
                         });
  };
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites tests=\"" + std::to_string(results.size()) +
         "\" failures=\"" +
         std::to_string(count(nullptr, Outcome::Status::kFailed)) +
         "\" disabled=\"0\" errors=\"0\" skipped=\"" +
         std::to_string(count(nullptr, Outcome::Status::kSkipped)) +
         "\" time=\"" + Seconds(total_seconds) + "\" timestamp=\"" +
         Timestamp(started) + "\" name=\"AllTests\" " +
         xml_property::kTimeScale + "=\"" + std::to_string(time_scale) +
         "\">\n";
  for (const std::string& suite : suites) {
    int tests = 0;
    double time = 0;
    for (const TestResult* r : results) {
      if (r->test.suite == suite) {
        ++tests;
        time += r->outcome.seconds;
      }
    }
    xml += "  <testsuite name=\"" + XmlEscape(suite) + "\" tests=\"" +
           std::to_string(tests) + "\" failures=\"" +
           std::to_string(count(&suite, Outcome::Status::kFailed)) +
           "\" disabled=\"0\" skipped=\"" +
           std::to_string(count(&suite, Outcome::Status::kSkipped)) +
           "\" errors=\"0\" time=\"" + Seconds(time) + "\">\n";
    for (const TestResult* r : results) {
      if (r->test.suite == suite) xml += TestCaseElement(*r);
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

std::string Failed(const std::string& call) {
  return call + ": " + std::strerror(errno);
}

// `text` to `path` through `path`.partial and rename(2), so no reader ever
// sees a truncated file.
std::string WriteAtomically(const std::string& path, std::string_view text) {
  const std::string temporary = path + ".partial";
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Failed("open(" + temporary + ")");
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string error = Failed("write(" + temporary + ")");
      ::close(fd);
      ::unlink(temporary.c_str());
      return error;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) {
    std::string error = Failed("close(" + temporary + ")");
    ::unlink(temporary.c_str());
    return error;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string error = Failed("rename(" + temporary + ", " + path + ")");
    ::unlink(temporary.c_str());
    return error;
  }
  return "";
}

}  // namespace

std::string WriteMergedXml(const std::string& path,
                           const std::vector<TestResult>& results,
                           const SelectedTest* running, std::time_t started,
                           double total_seconds, int time_scale) {
  std::vector<const TestResult*> all;
  for (const TestResult& r : results) all.push_back(&r);
  TestResult interrupted;
  if (running != nullptr) {
    interrupted.test = *running;
    interrupted.outcome.status = Outcome::Status::kFailed;
    interrupted.outcome.failures.push_back(kRunnerDiedMessage);
    all.push_back(&interrupted);
  }
  return WriteAtomically(path,
                         Document(all, started, total_seconds, time_scale));
}

}  // namespace ipcproof

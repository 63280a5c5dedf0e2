// fake_suite: a stand-in for a conformance binary, for verify's own tests.
// It takes the flags verify passes (--gtest_list_tests, --gtest_filter,
// --gtest_output=xml:PATH, --ipcproof_timeout), prints the console lines the
// ipcproof runner prints, and writes XML in the runner's shape
// (conformance/runner/xml_writer.cc). What it does comes from the JSON
// script that $IPCPROOF_FAKE_SCRIPT names, looked up by the name it was run
// under (tests make one symbolic link per fake binary):
//
//   {"state_dir": "/tmp/x",          // ran.txt (what ran) and flaky state
//    "binaries": {"alpha_test": {   // its pid goes to <state_dir>/<name>.pid
//      "misbehave": "crash",         // optional: crash, hang, no-xml,
//                                    // corrupt-xml, truncated-xml
//      "tests": [{"name": "FakePipe.Blocks", "claims": ["pipe.blocks"],
//                 "outcome": "pass",  // pass, fail, skip, flaky (fails on
//                                     // its first run, passes after)
//                 "message": "...", "failure_kind": "assertion",
//                 "unverified": "why the skip",
//                 "measured": {"capacity_bytes": "65536"}}]}}}
#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/runner/xml_properties.h"

namespace {

namespace property = ::ipcproof::xml_property;
using Json = nlohmann::json;

// A fake that hangs still ends by itself after this, so a broken test
// leaves nothing running for long.
constexpr int kHangSeconds = 120;

struct Flags {
  bool list = false;
  std::string filter = "*";
  std::string xml_path;
  std::string timeout = "30";
};

Flags ReadFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--gtest_list_tests") {
      flags.list = true;
    } else if (arg.starts_with("--gtest_filter=")) {
      flags.filter = arg.substr(15);
    } else if (arg.starts_with("--gtest_output=xml:")) {
      flags.xml_path = arg.substr(19);
    } else if (arg.starts_with("--ipcproof_timeout=")) {
      flags.timeout = arg.substr(19);
    }
  }
  return flags;
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "fake_suite: %s\n", message.c_str());
  std::exit(3);
}

// gtest's filter: positive patterns, then optionally '-' and negative ones,
// each list separated by ':'.
bool Matches(const std::string& filter, const std::string& name) {
  const size_t minus = filter.find('-');
  std::string positive = filter.substr(0, minus);
  const std::string negative =
      minus == std::string::npos ? "" : filter.substr(minus + 1);
  if (positive.empty()) positive = "*";
  auto any = [&](const std::string& patterns) {
    std::istringstream in(patterns);
    for (std::string pattern; std::getline(in, pattern, ':');) {
      if (!pattern.empty() &&
          ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
        return true;
      }
    }
    return false;
  };
  return any(positive) && !any(negative);
}

struct FakeTest {
  std::string suite;
  std::string name;
  std::string full_name;
  Json spec;
};

std::string BaseName(const char* path) {
  const std::string text = path;
  const size_t slash = text.find_last_of('/');
  return slash == std::string::npos ? text : text.substr(slash + 1);
}

void AppendLine(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  if (!out) Fail("cannot append to " + path);
}

enum class Outcome { kPassed, kFailed, kSkipped };

// Whether a flaky test fails now: only on the first run whose state file
// does not exist yet.
bool FlakyFailsNow(const std::string& state_dir, const std::string& binary,
                   const FakeTest& test) {
  std::string file = state_dir + "/" + binary + "." + test.full_name;
  for (size_t i = state_dir.size() + 1; i < file.size(); ++i) {
    if (file[i] == '/') file[i] = '_';
  }
  file += ".failed-once";
  if (::access(file.c_str(), F_OK) == 0) return false;
  AppendLine(file, "failed once");
  return true;
}

std::string Text(const Json& spec, const char* key, const char* fallback) {
  return spec.contains(key) ? spec[key].get<std::string>() : fallback;
}

void AddTestCase(pugi::xml_node& suite, const FakeTest& test, Outcome outcome) {
  pugi::xml_node testcase = suite.append_child("testcase");
  testcase.append_attribute("name") = test.name.c_str();
  testcase.append_attribute("file") = "tools/verify/fake_suite.cc";
  testcase.append_attribute("line") = "1";
  testcase.append_attribute("status") = "run";
  testcase.append_attribute("result") =
      outcome == Outcome::kSkipped ? "skipped" : "completed";
  testcase.append_attribute("time") = "0.001";
  testcase.append_attribute("classname") = test.suite.c_str();
  pugi::xml_node properties = testcase.append_child("properties");
  auto add = [&](const std::string& name, const std::string& value) {
    pugi::xml_node item = properties.append_child("property");
    item.append_attribute("name") = name.c_str();
    item.append_attribute("value") = value.c_str();
  };
  const Json& spec = test.spec;
  if (spec.contains("claims")) {
    std::string ids;
    for (const Json& id : spec["claims"]) {
      ids += (ids.empty() ? "" : " ") + id.get<std::string>();
    }
    add(property::kClaims, ids);
  }
  if (spec.contains("measured")) {
    for (const auto& [name, value] : spec["measured"].items()) {
      add(property::kMeasuredPrefix + name,
          value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  if (outcome == Outcome::kSkipped) {
    add(property::kUnverified, Text(spec, "unverified", "fake skip"));
  }
  if (outcome == Outcome::kFailed) {
    add(property::kFailureKind,
        Text(spec, "failure_kind", property::kFailureAssertion));
    pugi::xml_node failure = testcase.append_child("failure");
    const std::string message = Text(spec, "message", "fake failure");
    failure.append_attribute("message") = message.c_str();
    failure.append_attribute("type") = "";
    failure.text() = message.c_str();
  }
  if (outcome == Outcome::kSkipped) {
    const std::string message =
        Text(spec, "message", Text(spec, "unverified", "fake skip").c_str());
    testcase.append_child("skipped").append_attribute("message") =
        message.c_str();
  }
  if (properties.first_child().empty()) testcase.remove_child(properties);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Fail("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ReadFlags(argc, argv);
  const char* script_path = std::getenv("IPCPROOF_FAKE_SCRIPT");
  if (script_path == nullptr) Fail("IPCPROOF_FAKE_SCRIPT is not set");
  std::ifstream script_file(script_path);
  if (!script_file) Fail(std::string("cannot read ") + script_path);
  Json script;
  try {
    script = Json::parse(script_file);
  } catch (const std::exception& error) {
    Fail(std::string(script_path) + ": " + error.what());
  }
  const std::string binary = BaseName(argv[0]);
  if (!script["binaries"].contains(binary)) {
    Fail(std::string(script_path) + " has no entry for " + binary);
  }
  const Json& plan = script["binaries"][binary];
  const std::string state_dir = script.value("state_dir", "/tmp");
  const std::string misbehave = plan.value("misbehave", "");

  std::vector<FakeTest> tests;
  for (const Json& spec : plan.value("tests", Json::array())) {
    FakeTest test;
    test.full_name = spec["name"].get<std::string>();
    const size_t dot = test.full_name.find('.');
    if (dot == std::string::npos) Fail("a test name needs Suite.Name");
    test.suite = test.full_name.substr(0, dot);
    test.name = test.full_name.substr(dot + 1);
    test.spec = spec;
    if (Matches(flags.filter, test.full_name)) tests.push_back(test);
  }

  if (flags.list) {
    std::string suite;
    for (const FakeTest& test : tests) {
      if (test.suite != suite) {
        suite = test.suite;
        std::printf("%s.\n", suite.c_str());
      }
      // gtest prints a value parameter after the name of a TEST_P.
      std::printf(
          "  %s%s\n", test.name.c_str(),
          test.name.find('/') != std::string::npos ? "  # GetParam() = 1" : "");
    }
    return 0;
  }

  // For tests that check the fake is gone after verify stopped it.
  {
    std::ofstream pid(state_dir + "/" + binary + ".pid", std::ios::trunc);
    pid << ::getpid() << "\n";
  }
  AppendLine(state_dir + "/ran.txt", "run " + binary +
                                         " timeout=" + flags.timeout +
                                         " filter=" + flags.filter);
  std::printf(
      "[==========] Running %zu tests, each in its own process (watchdog %s "
      "s each).\n",
      tests.size(), flags.timeout.c_str());
  std::fflush(stdout);

  pugi::xml_document document;
  pugi::xml_node root = document.append_child("testsuites");
  root.append_attribute("name") = "AllTests";
  std::map<std::string, pugi::xml_node> suites;
  std::vector<std::string> failed, skipped;
  for (const FakeTest& test : tests) {
    AppendLine(state_dir + "/ran.txt", "test " + binary + " " + test.full_name);
    std::printf("[ RUN      ] %s\n", test.full_name.c_str());
    std::fflush(stdout);
    if (misbehave == "crash") {
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
    }
    if (misbehave == "hang") {
      for (int second = 0; second < kHangSeconds; ++second) ::sleep(1);
      return 4;
    }
    const std::string outcome_name = test.spec.value("outcome", "pass");
    Outcome outcome = Outcome::kPassed;
    if (outcome_name == "fail") {
      outcome = Outcome::kFailed;
    } else if (outcome_name == "skip") {
      outcome = Outcome::kSkipped;
    } else if (outcome_name == "flaky") {
      outcome = FlakyFailsNow(state_dir, binary, test) ? Outcome::kFailed
                                                       : Outcome::kPassed;
    } else if (outcome_name != "pass") {
      Fail("unknown outcome " + outcome_name);
    }
    switch (outcome) {
      case Outcome::kPassed:
        std::printf("[       OK ] %s (1 ms)\n", test.full_name.c_str());
        break;
      case Outcome::kFailed:
        std::printf("fake_suite.cc:1: Failure\n%s\n[  FAILED  ] %s (1 ms)\n",
                    Text(test.spec, "message", "fake failure").c_str(),
                    test.full_name.c_str());
        failed.push_back(test.full_name);
        break;
      case Outcome::kSkipped:
        std::printf("Skipped: %s\n[  SKIPPED ] %s (1 ms)\n",
                    Text(test.spec, "unverified", "fake skip").c_str(),
                    test.full_name.c_str());
        skipped.push_back(test.full_name);
        break;
    }
    std::fflush(stdout);
    if (suites.count(test.suite) == 0) {
      pugi::xml_node suite = root.append_child("testsuite");
      suite.append_attribute("name") = test.suite.c_str();
      suites[test.suite] = suite;
    }
    AddTestCase(suites[test.suite], test, outcome);
  }
  // The summary names tests again, without times: verify must not count
  // them twice.
  std::printf("[==========] %zu tests ran. (1 ms total)\n", tests.size());
  std::printf("[  PASSED  ] %zu tests.\n",
              tests.size() - failed.size() - skipped.size());
  if (!skipped.empty()) {
    std::printf("[  SKIPPED ] %zu tests, listed below:\n", skipped.size());
    for (const std::string& name : skipped) {
      std::printf("[  SKIPPED ] %s\n", name.c_str());
    }
  }
  if (!failed.empty()) {
    std::printf("[  FAILED  ] %zu tests, listed below:\n", failed.size());
    for (const std::string& name : failed) {
      std::printf("[  FAILED  ] %s\n", name.c_str());
    }
  }
  std::fflush(stdout);

  if (!flags.xml_path.empty() && misbehave != "no-xml") {
    std::ostringstream xml;
    document.save(xml, "  ");
    std::string text = xml.str();
    if (misbehave == "corrupt-xml")
      text = "<testsuites><<< not XML at all</testsuites>\n";
    if (misbehave == "truncated-xml") text = text.substr(0, text.size() / 2);
    WriteFile(flags.xml_path, text);
  }
  return failed.empty() ? 0 : 1;
}

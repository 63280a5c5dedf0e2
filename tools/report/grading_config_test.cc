#include "tools/report/grading_config.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

GradingConfig Parse(const std::string& text) {
  return ParseGradingConfig(text, "my-grading.json");
}

// The message of the error ParseGradingConfig throws, or "" if it does not.
std::string ErrorOf(const std::string& text) {
  try {
    Parse(text);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

TEST(GradingConfigTest, DefaultsWhenOnlyTheVersionIsGiven) {
  const GradingConfig config = Parse(R"({"version": 1})");
  EXPECT_FALSE(config.per_test);
  EXPECT_EQ(config.default_weight, 1);
  EXPECT_EQ(config.default_visibility, "visible");
  EXPECT_TRUE(config.rules.empty());
  EXPECT_EQ(config.hide_errors, "");
  EXPECT_EQ(config.visibility, "visible");
  const GradingRule rule = config.For("pipe.blocks");
  EXPECT_EQ(rule.match, "pipe.blocks");
  EXPECT_EQ(rule.weight, 1);
  EXPECT_EQ(rule.visibility, "visible");
}

TEST(GradingConfigTest, FirstMatchingRuleWinsAndInheritsTheDefault) {
  const GradingConfig config = Parse(R"({
    "version": 1, "per": "test", "hide_errors": "Ask us.",
    "visibility": "after_published",
    "default": {"weight": 3, "visibility": "after_due_date"},
    "rules": [{"match": "pipe.beyond.*", "weight": 0.5},
              {"match": "pipe.*", "visibility": "hidden"},
              {"match": "*", "weight": 7}]})");
  EXPECT_TRUE(config.per_test);
  EXPECT_EQ(config.hide_errors, "Ask us.");
  EXPECT_EQ(config.visibility, "after_published");

  const GradingRule beyond = config.For("pipe.beyond.atomic-writes");
  EXPECT_EQ(beyond.match, "pipe.beyond.*");
  EXPECT_EQ(beyond.weight, 0.5);
  EXPECT_EQ(beyond.visibility, "after_due_date") << "inherited";

  const GradingRule pipe = config.For("pipe.blocks");
  EXPECT_EQ(pipe.weight, 3) << "inherited";
  EXPECT_EQ(pipe.visibility, "hidden");

  EXPECT_EQ(config.For("mq.size-limited").weight, 7);
}

TEST(GradingConfigTest, TheShippedConfigLoads) {
  const GradingConfig config = LoadGradingConfig("docs/grading.json");
  EXPECT_FALSE(config.per_test);
  EXPECT_EQ(config.For("pipe.blocks").weight, 1);
  EXPECT_EQ(config.For("pipe.beyond.atomic-writes").weight, 0.5);
  EXPECT_EQ(config.For("fifo.beyond.poll-hup").weight, 0.5);
  EXPECT_EQ(config.For("pipe.blocks").visibility, "visible");
  EXPECT_EQ(config.hide_errors, "");
}

TEST(GradingConfigTest, EachErrorNamesTheFileAndTheProblem) {
  const struct {
    const char* text;
    const char* problem;
  } kCases[] = {
      {"{", "not valid JSON: parse error at line 1"},
      {"[1]", "the top level must be an object"},
      {R"({"per": "claim"})", "\"version\" is missing"},
      {R"({"version": 2})", "\"version\" must be 1, got 2"},
      {R"({"version": 1, "weights": {}})", "unknown key \"weights\""},
      {R"({"version": 1, "per": "area"})",
       "\"per\" must be \"claim\" or \"test\""},
      {R"({"version": 1, "default": 1})", "\"default\" must be an object"},
      {R"({"version": 1, "default": {"weight": -1}})",
       "default: \"weight\" must not be negative, got -1"},
      {R"({"version": 1, "default": {"weight": "1"}})",
       "default: \"weight\" must be a number"},
      {R"({"version": 1, "default": {"points": 1}})",
       "default: unknown key \"points\""},
      {R"({"version": 1, "default": {"visibility": "secret"}})",
       "default: unknown visibility \"secret\""},
      {R"({"version": 1, "visibility": "public"})",
       "unknown visibility \"public\""},
      {R"({"version": 1, "rules": {}})", "\"rules\" must be an array"},
      {R"({"version": 1, "rules": [3]})", "rules[0]: must be an object"},
      {R"({"version": 1, "rules": [{"weight": 1}]})",
       "rules[0]: \"match\" must be a non-empty string"},
      {R"({"version": 1, "rules": [{"match": ""}]})",
       "rules[0]: \"match\" must be a non-empty string"},
      {R"({"version": 1, "rules": [{"match": "a", "wieght": 1}]})",
       "rules[0]: unknown key \"wieght\""},
      {R"({"version": 1, "rules": [{"match": "a"}, {"match": "b", "weight": -0.5}]})",
       "rules[1]: \"weight\" must not be negative"},
      {R"({"version": 1, "rules": [{"match": "a", "visibility": "never"}]})",
       "rules[0]: unknown visibility \"never\""},
      {R"({"version": 1, "hide_errors": false})",
       "\"hide_errors\" must be a string"},
  };
  for (const auto& c : kCases) {
    const std::string error = ErrorOf(c.text);
    EXPECT_THAT(error, StartsWith("my-grading.json: ")) << c.text;
    EXPECT_THAT(error, HasSubstr(c.problem)) << c.text;
  }
}

TEST(GradingConfigTest, UnreadableFilesAreNamed) {
  const std::string missing =
      std::string(std::getenv("TEST_TMPDIR")) + "/none.json";
  try {
    LoadGradingConfig(missing);
    FAIL() << "no error for a missing file";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              missing + ": cannot open: No such file or directory");
  }
  const std::string directory = std::getenv("TEST_TMPDIR");
  try {
    LoadGradingConfig(directory);
    FAIL() << "no error for a directory";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              directory + ": is a directory, not a grading config");
  }
  const std::string bad = directory + "/bad.json";
  std::ofstream(bad) << R"({"version": 1, "default": {"weight": -2}})";
  try {
    LoadGradingConfig(bad);
    FAIL() << "no error for a bad file";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), StartsWith(bad + ": default: \"weight\""));
  }
}

}  // namespace
}  // namespace ipcproof::verify

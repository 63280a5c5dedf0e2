#include "tools/verify/expected_deviations.h"

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/claims/registry.h"

namespace ipcproof::verify {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kRegistryJson[] = R"json({
  "version": 1,
  "note": {"title": "进程间的通信方式", "source": "a test registry"},
  "areas": [{"id": "pipe", "title": "Anonymous pipes"}],
  "claims": [
    {"id": "pipe.blocks", "area": "pipe", "beyond_note": false,
     "note": {"quote": "使用管道进程会阻塞", "section": "1、管道"},
     "meaning": "A reader blocks while the pipe is empty.",
     "semantics": {"text": "read on an empty pipe blocks.",
                   "references": ["pipe(7)"]},
     "predicted": "confirmed", "folder": "conformance/pipe"},
    {"id": "pipe.unidirectional", "area": "pipe", "beyond_note": false,
     "note": {"quote": "只能单向传输", "section": "1、管道"},
     "meaning": "One direction only.",
     "semantics": {"text": "pipes are one-way on Linux.",
                   "references": ["pipe(7)"]},
     "predicted": "confirmed", "folder": "conformance/pipe"}
  ]
})json";

const claims::Registry& TestRegistry() {
  static const claims::Registry registry =
      claims::ParseRegistry(kRegistryJson, "expected_deviations_test registry");
  return registry;
}

// Writes `text` to a fresh file in the test's temporary directory.
std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  EXPECT_TRUE(out) << "cannot write " << path;
  return path;
}

// Loads `text` and returns the error message, or "" when it loaded.
std::string LoadError(const std::string& path) {
  try {
    LoadExpectedDeviations(path, TestRegistry());
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

struct BadFile {
  std::string name;  // the file's name, also the test's name
  std::string text;
  std::string problem;  // a fragment the message must contain
};

class BadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadFileTest, FailsNamingTheFileAndTheProblem) {
  const std::string path =
      WriteFile(GetParam().name + ".json", GetParam().text);
  EXPECT_THAT(LoadError(path),
              AllOf(HasSubstr(path), HasSubstr(GetParam().problem)));
}

constexpr char kEntry[] =
    R"({"claim": "pipe.blocks", "kernel": "6.1.*", "reason": "known"})";

INSTANTIATE_TEST_SUITE_P(
    EachError, BadFileTest,
    ::testing::Values(
        BadFile{"empty", "", "not valid JSON"},
        BadFile{"not_json", "{\"version\": 1,", "not valid JSON"},
        BadFile{"top_level_array", "[]", "top level must be an object"},
        BadFile{"version_2", R"({"version": 2, "deviations": []})",
                "\"version\" must be 1, found 2"},
        BadFile{"version_string", R"({"version": "1", "deviations": []})",
                "\"version\" must be 1"},
        BadFile{"missing_version", R"({"deviations": []})",
                "missing key \"version\""},
        BadFile{"missing_deviations", R"({"version": 1})",
                "missing key \"deviations\""},
        BadFile{"extra_top_key",
                R"({"version": 1, "deviations": [], "comment": "x"})",
                "unknown key \"comment\""},
        BadFile{"deviations_object", R"({"version": 1, "deviations": {}})",
                "\"deviations\" must be an array"},
        BadFile{"entry_not_object", R"({"version": 1, "deviations": [1]})",
                "deviations[0]: must be an object"},
        BadFile{"missing_reason",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.blocks", "kernel": "*"}]})",
                "deviations[0]: missing key \"reason\""},
        BadFile{"missing_kernel",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.blocks", "reason": "r"}]})",
                "deviations[0]: missing key \"kernel\""},
        BadFile{"extra_entry_key",
                std::string(R"({"version": 1, "deviations": [)") + kEntry +
                    R"(, {"claim": "pipe.blocks", "kernel": "*",
                          "reason": "r", "reasons": "typo"}]})",
                "deviations[1]: unknown key \"reasons\""},
        BadFile{"empty_reason",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.blocks", "kernel": "*", "reason": ""}]})",
                "deviations[0]: \"reason\" is empty"},
        BadFile{"empty_kernel",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.blocks", "kernel": "", "reason": "r"}]})",
                "\"kernel\" is empty"},
        BadFile{"reason_not_string",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.blocks", "kernel": "*", "reason": 3}]})",
                "\"reason\" must be a string"},
        BadFile{"unknown_claim",
                R"({"version": 1, "deviations": [
                      {"claim": "pipe.no-such", "kernel": "*", "reason": "r"}]})",
                "claim \"pipe.no-such\" is not in the registry"}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      return info.param.name;
    });

TEST(LoadExpectedDeviationsTest, AMissingFileIsAnErrorNamingIt) {
  const std::string path = ::testing::TempDir() + "/no-such-file.json";
  EXPECT_THAT(LoadError(path), AllOf(HasSubstr(path), HasSubstr("cannot read"),
                                     HasSubstr("No such file")));
}

TEST(LoadExpectedDeviationsTest, ADirectoryIsAnErrorNamingIt) {
  const std::string path = ::testing::TempDir();
  EXPECT_THAT(LoadError(path),
              AllOf(HasSubstr(path), HasSubstr("it is a directory")));
}

TEST(LoadExpectedDeviationsTest, LoadsEveryEntryInOrder) {
  const std::string path = WriteFile("good.json", R"({
    "version": 1,
    "deviations": [
      {"claim": "pipe.blocks", "kernel": "6.1.*", "reason": "known in 6.1"},
      {"claim": "pipe.unidirectional", "kernel": "*-rt*", "reason": "rt"}
    ]})");
  const std::vector<ExpectedDeviation> loaded =
      LoadExpectedDeviations(path, TestRegistry());
  ASSERT_THAT(loaded, SizeIs(2));
  EXPECT_EQ(loaded[0].claim, "pipe.blocks");
  EXPECT_EQ(loaded[0].kernel, "6.1.*");
  EXPECT_EQ(loaded[0].reason, "known in 6.1");
  EXPECT_EQ(loaded[1].claim, "pipe.unidirectional");
}

TEST(LoadExpectedDeviationsTest, AnEmptyListLoads) {
  const std::string path =
      WriteFile("none.json", R"({"version": 1, "deviations": []})");
  EXPECT_THAT(LoadExpectedDeviations(path, TestRegistry()), IsEmpty());
}

TEST(FindExpectedDeviationTest, MatchesTheClaimAndTheWholeReleaseByFnmatch) {
  const std::vector<ExpectedDeviation> expected = {
      {.claim = "pipe.blocks", .kernel = "6.1.*", .reason = "six one"},
      {.claim = "pipe.blocks", .kernel = "6.1?.*", .reason = "six teens"},
      {.claim = "pipe.blocks", .kernel = "*", .reason = "any"},
      {.claim = "pipe.unidirectional", .kernel = "5.10.0", .reason = "exact"},
  };
  const ExpectedDeviation* found =
      FindExpectedDeviation(expected, "pipe.blocks", "6.1.0-18-amd64");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->reason, "six one");

  found = FindExpectedDeviation(expected, "pipe.blocks", "6.18.0");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->reason, "six teens");

  found = FindExpectedDeviation(expected, "pipe.blocks", "5.4.0");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->reason, "any");

  EXPECT_NE(FindExpectedDeviation(expected, "pipe.unidirectional", "5.10.0"),
            nullptr);
  EXPECT_EQ(FindExpectedDeviation(expected, "pipe.unidirectional", "5.10.01"),
            nullptr);
  EXPECT_EQ(FindExpectedDeviation(expected, "pipe.other", "6.1.0"), nullptr);
  EXPECT_EQ(FindExpectedDeviation({}, "pipe.blocks", "6.1.0"), nullptr);
}

}  // namespace
}  // namespace ipcproof::verify

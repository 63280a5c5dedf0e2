// The summary table of report.md lists exactly the registry's claims, each
// once: for a report written now from the real registry, and for the
// committed docs/report.md (which a registry change makes stale until verify
// --update-docs-report writes it again).
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/claims/registry.h"
#include "tools/report/markdown_summary.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

namespace ipcproof::verify {
namespace {

// Empty when every registry claim appears exactly once and nothing else
// does; else one line per problem.
std::string SummaryProblems(const std::vector<std::string>& listed,
                            const claims::Registry& registry) {
  std::map<std::string, int> times;
  for (const std::string& id : listed) ++times[id];
  std::string problems;
  for (const claims::Claim& claim : registry.claims) {
    const int n = times[claim.id];
    if (n != 1) {
      problems += claim.id + ": listed " + std::to_string(n) + " times\n";
    }
    times.erase(claim.id);
  }
  for (const auto& [id, n] : times) {
    if (n > 0) problems += id + ": listed, but not in the registry\n";
  }
  return problems;
}

TEST(CommittedReportTest, AReportWrittenNowListsExactlyTheRegistry) {
  const claims::Registry registry = testing::LoadSampleRegistry();
  const std::string markdown =
      WriteMarkdown(testing::BuildSampleReport(registry));
  EXPECT_EQ(SummaryProblems(SummaryClaimIds(markdown), registry), "");
}

TEST(CommittedReportTest, TheCommittedReportListsExactlyTheRegistry) {
  // docs/report.md reaches this test as data (see BUILD).
  std::ifstream file("docs/report.md");
  ASSERT_TRUE(file) << "docs/report.md is missing: write it from a real run "
                       "with `tools/bazel run //tools/verify -- "
                       "--update-docs-report`, and list //docs:report.md in "
                       "this test's data";
  std::ostringstream markdown;
  markdown << file.rdbuf();
  const claims::Registry registry = claims::LoadRegistry("docs/claims.json");
  EXPECT_EQ(SummaryProblems(SummaryClaimIds(markdown.str()), registry), "")
      << "docs/report.md is stale: run `tools/bazel run //tools/verify -- "
         "--update-docs-report`";
}

}  // namespace
}  // namespace ipcproof::verify

// The six report formats, each a pure function of the Report. verify writes
// them into its temporary output directory under these names:
//   report.md      Markdown (docs/report.md is one, committed)
//   report.html    one self-contained page (no network, no external files)
//   report.json    for machines; schema in docs/report-schema.md
//   junit.xml      the merged test results, for CI systems that read JUnit
//   report.ktap    KTAP version 1, one line per claim (kselftest parsers)
//   results.json   Gradescope's autograder results
#ifndef TOOLS_REPORT_REPORT_WRITERS_H_
#define TOOLS_REPORT_REPORT_WRITERS_H_

#include <string>
#include <vector>

#include "tools/report/grading_config.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {

std::string WriteMarkdown(const Report& report);
std::string WriteHtml(const Report& report);
std::string WriteJson(const Report& report);
std::string WriteJunit(const Report& report);
std::string WriteKtap(const Report& report);
std::string WriteGradescope(const Report& report, const GradingConfig& config);

// The same six for a run on several kernels (verify --kernel K ...), one
// report per kernel in the order given: a column (a suite, a subtest, a
// "[label] " prefix) per kernel, the claims whose verdict differs between
// kernels highlighted with each kernel's answer and evidence, a guest that
// failed said loudly (and graded 0). With one report each is exactly the
// single-report form above, which itself shows how a guest was booted and
// how it failed. Each format's file holds both forms; kernel_columns.h is
// what they share. An empty vector throws std::invalid_argument.
std::string WriteMarkdown(const std::vector<Report>& reports);
std::string WriteHtml(const std::vector<Report>& reports);
std::string WriteJson(const std::vector<Report>& reports);
std::string WriteJunit(const std::vector<Report>& reports);
std::string WriteKtap(const std::vector<Report>& reports);
std::string WriteGradescope(const std::vector<Report>& reports,
                            const GradingConfig& config);

// One format: its option name ("md", "html", "json", "junit", "ktap",
// "gradescope") and the file it is written to.
struct Format {
  std::string name;
  std::string file;
};
// All six, in the order above.
const std::vector<Format>& AllFormats();

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_REPORT_WRITERS_H_

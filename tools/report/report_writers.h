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

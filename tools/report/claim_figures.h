// The figures a claim's deciding tests recorded in this run (each test's
// TestResult::measured), as the Markdown and HTML sections show them:
// grouped by test, in run order and recorded order, and capped, so a test
// that records a hundred figures does not bury the claim's section. The
// figures left out are in report.json and junit.xml, which carry them all.
#ifndef TOOLS_REPORT_CLAIM_FIGURES_H_
#define TOOLS_REPORT_CLAIM_FIGURES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tools/verify/model.h"

namespace ipcproof::verify {

// Enough for the SA_RESTART table of sig.ctrl-c-interrupts-wait (about 40
// calls of signal(7), each with and without SA_RESTART) with room; few
// claims come near it.
inline constexpr size_t kMaxFigureRowsPerClaim = 120;

// The first `shown` figures of one test's `measured`.
struct TestFigures {
  const TestResult* test = nullptr;
  size_t shown = 0;
};

struct ClaimFigures {
  // Only tests with at least one figure shown, in the claim's test order.
  std::vector<TestFigures> groups;
  size_t shown = 0;     // rows shown, over every group
  size_t left_out = 0;  // figures past the cap
};

// The figures of every test in `claim.tests`, the first `max_rows` of them
// shown. A test index outside `report.tests` is ignored, as the writers
// ignore it.
ClaimFigures FiguresOfClaim(const Report& report, const ClaimReport& claim,
                            size_t max_rows = kMaxFigureRowsPerClaim);

// The value as a table cell shows it: one line, at most a few hundred bytes
// (a note that the rest is in report.json when cut). Not escaped.
std::string FigureValueCell(const std::string& value);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_CLAIM_FIGURES_H_

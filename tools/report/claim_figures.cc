#include "tools/report/claim_figures.h"

#include <algorithm>

#include "tools/report/text_escape.h"

namespace ipcproof::verify {

ClaimFigures FiguresOfClaim(const Report& report, const ClaimReport& claim,
                            size_t max_rows) {
  ClaimFigures figures;
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    const size_t room = max_rows - figures.shown;
    const size_t shown = std::min(room, test.measured.size());
    figures.left_out += test.measured.size() - shown;
    if (shown == 0) continue;
    figures.groups.push_back({&test, shown});
    figures.shown += shown;
  }
  return figures;
}

std::string FigureValueCell(const std::string& value) {
  // A figure is usually a number or a word; a test that records a whole
  // buffer still gets a readable cell.
  return OneLine(TrimMessage(value, 5, 300));
}

}  // namespace ipcproof::verify

// Reading back the claim ids of a report.md's summary table, for the tests
// that check a report lists exactly the registry's claims (the committed
// docs/report.md among them).
#ifndef TOOLS_REPORT_MARKDOWN_SUMMARY_H_
#define TOOLS_REPORT_MARKDOWN_SUMMARY_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

// The ids of the rows "| [`id`](#claim-id) | ..." between the "## Summary"
// heading and the next "## " heading, in table order (duplicates kept, so a
// caller can find them). Throws std::runtime_error when there is no summary
// section, or a row's link does not point at the row's own id.
std::vector<std::string> SummaryClaimIds(std::string_view markdown);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_MARKDOWN_SUMMARY_H_

#include "tools/report/markdown_summary.h"

#include <stdexcept>

namespace ipcproof::verify {

std::vector<std::string> SummaryClaimIds(std::string_view markdown) {
  constexpr std::string_view kHeading = "## Summary\n";
  size_t start =
      markdown.starts_with(kHeading) ? 0 : markdown.find("\n## Summary\n");
  if (start == std::string_view::npos) {
    throw std::runtime_error("no \"## Summary\" section");
  }
  start = markdown.find('\n', start + 1) + 1;
  size_t end = markdown.find("\n## ", start);
  if (end == std::string_view::npos) end = markdown.size();
  const std::string_view section = markdown.substr(start, end - start);

  std::vector<std::string> ids;
  size_t line_start = 0;
  while (line_start < section.size()) {
    size_t line_end = section.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = section.size();
    const std::string_view line =
        section.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    constexpr std::string_view kRowStart = "| [`";
    if (!line.starts_with(kRowStart)) continue;
    const size_t id_end = line.find("`](#", kRowStart.size());
    if (id_end == std::string_view::npos) {
      throw std::runtime_error("summary row without a claim link: " +
                               std::string(line));
    }
    const std::string id(
        line.substr(kRowStart.size(), id_end - kRowStart.size()));
    const std::string expected_link = "`](#claim-" + id + ")";
    if (line.substr(id_end, expected_link.size()) != expected_link) {
      throw std::runtime_error("summary row for " + id +
                               " does not link to #claim-" + id + ": " +
                               std::string(line));
    }
    ids.push_back(id);
  }
  return ids;
}

}  // namespace ipcproof::verify

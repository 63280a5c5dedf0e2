#include "tools/verify/gtest_list.h"

namespace ipcproof::verify {
namespace {

// The part before gtest's "  # GetParam() = ..." comment, without the
// trailing spaces.
std::string_view WithoutComment(std::string_view line) {
  if (const size_t comment = line.find("  #"); comment != line.npos) {
    line = line.substr(0, comment);
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

std::vector<std::string> ParseGtestList(std::string_view output) {
  std::vector<std::string> tests;
  std::string suite;
  while (!output.empty()) {
    const size_t newline = output.find('\n');
    std::string_view line = output.substr(0, newline);
    output.remove_prefix(newline == output.npos ? output.size() : newline + 1);
    if (line.starts_with("  ")) {
      const std::string_view name = WithoutComment(line.substr(2));
      if (!suite.empty() && !name.empty() &&
          name.find(' ') == std::string_view::npos) {
        tests.push_back(suite + std::string(name));
      }
      continue;
    }
    const std::string_view head = WithoutComment(line);
    // A suite line is one word ending in the '.' that joins it to its tests.
    if (head.size() > 1 && head.back() == '.' &&
        head.find(' ') == std::string_view::npos) {
      suite = std::string(head);
    } else {
      suite.clear();
    }
  }
  return tests;
}

}  // namespace ipcproof::verify

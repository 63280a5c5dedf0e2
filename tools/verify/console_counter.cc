#include "tools/verify/console_counter.h"

#include <cctype>

namespace ipcproof::verify {
namespace {

constexpr std::string_view kRun = "[ RUN      ] ";
constexpr std::string_view kOk = "[       OK ] ";
constexpr std::string_view kFailed = "[  FAILED  ] ";
constexpr std::string_view kSkipped = "[  SKIPPED ] ";

// gtest's separator before a parameter's printed value.
constexpr std::string_view kWhereParam = ", where ";

}  // namespace

std::string VerdictLineTest(std::string_view rest) {
  if (!rest.ends_with(" ms)")) return "";
  rest.remove_suffix(4);
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(
                                     rest[rest.size() - 1 - digits]))) {
    ++digits;
  }
  if (digits == 0) return "";
  rest.remove_suffix(digits);
  if (!rest.ends_with(" (")) return "";
  rest.remove_suffix(2);
  if (const size_t where = rest.find(kWhereParam);
      where != std::string_view::npos) {
    rest = rest.substr(0, where);
  }
  return std::string(rest);
}

void ConsoleCounter::CountLine(std::string_view line,
                               std::vector<std::string>& failures) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.starts_with(kRun)) {
    ++started_;
    return;
  }
  for (std::string_view tag : {kOk, kFailed, kSkipped}) {
    if (!line.starts_with(tag)) continue;
    const std::string test = VerdictLineTest(line.substr(tag.size()));
    // Summary lines ("[  FAILED  ] 2 tests, listed below:", the names after
    // it) carry no time.
    if (test.empty()) return;
    if (tag == kOk) {
      ++passed_;
    } else if (tag == kFailed) {
      ++failed_;
      failures.push_back(test);
    } else {
      ++skipped_;
    }
    return;
  }
}

std::vector<std::string> ConsoleCounter::Feed(std::string_view chunk) {
  std::vector<std::string> failures;
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(chunk);
      break;
    }
    partial_.append(chunk.substr(0, newline));
    CountLine(partial_, failures);
    partial_.clear();
    chunk.remove_prefix(newline + 1);
  }
  return failures;
}

std::vector<std::string> ConsoleCounter::Finish() {
  std::vector<std::string> failures;
  if (!partial_.empty()) CountLine(partial_, failures);
  partial_.clear();
  return failures;
}

}  // namespace ipcproof::verify

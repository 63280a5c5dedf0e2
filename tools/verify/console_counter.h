// Counts a conformance binary's console lines as they arrive, so verify can
// show progress while the binary runs: "[ RUN      ]", and the per-test
// verdict lines "[       OK ]", "[  FAILED  ]", "[  SKIPPED ]". The summary
// at the end repeats "[  FAILED  ] name" and "[  SKIPPED ] name" for every
// test already counted; a per-test verdict line is told apart by the
// " (N ms)" that ends it (gtest's and the ipcproof runner's alike).
#ifndef TOOLS_VERIFY_CONSOLE_COUNTER_H_
#define TOOLS_VERIFY_CONSOLE_COUNTER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

class ConsoleCounter {
 public:
  // Feeds a chunk of output (any split: lines may straddle chunks). Returns
  // the full names of the tests whose failure the chunk completed, in order.
  std::vector<std::string> Feed(std::string_view chunk);
  // Counts a last line that had no newline; returns failures as Feed does.
  std::vector<std::string> Finish();

  int started() const { return started_; }
  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int skipped() const { return skipped_; }
  // Tests that reached a verdict.
  int done() const { return passed_ + failed_ + skipped_; }

 private:
  void CountLine(std::string_view line, std::vector<std::string>& failures);

  std::string partial_;
  int started_ = 0;
  int passed_ = 0;
  int failed_ = 0;
  int skipped_ = 0;
};

// The test name of a per-test verdict line: "Suite.Name" from
// "Suite.Name (12 ms)" or "Suite.Name/1, where GetParam() = 4 (0 ms)";
// empty when `rest` (the line after its tag) lacks the " (N ms)" ending.
std::string VerdictLineTest(std::string_view rest);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_CONSOLE_COUNTER_H_

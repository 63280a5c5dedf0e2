// verify's progress on stderr while the suite runs: which binary, tests done
// of tests total, failures so far.
//
//   verify: [2/11] conformance/pipe/fifo_test: 34/45 tests, 1 failed
//
// With several kernels each line names the kernel it is about:
//
//   verify: linux-6.1 · booting (tcg)
//   verify: linux-6.1 · [2/11] conformance/pipe/fifo_test: 45/45 tests, ...
//
// On a terminal the line is rewritten in place (\r) and left standing when
// the binary ends; otherwise (a log, CI) there is one line per failure as it
// happens and one line per binary when it ends, so nothing is overwritten.
#ifndef TOOLS_VERIFY_PROGRESS_DISPLAY_H_
#define TOOLS_VERIFY_PROGRESS_DISPLAY_H_

#include <cstdio>
#include <string>

namespace ipcproof::verify {

struct BinaryProgress {
  std::string kernel;  // "linux-6.1"; empty for a run on the host alone
  int index = 0;       // 1-based
  int total = 0;       // binaries to run
  std::string binary;
  int done = 0;   // tests that reached a verdict
  int tests = 0;  // tests the binary will run
  int failed = 0;
  int skipped = 0;
};

// "linux-6.1 · " (the kernel and a middle dot); "" for no kernel.
std::string KernelPrefix(const std::string& kernel);

// "verify: [linux-6.1 · ][2/11] conformance/pipe/fifo_test: 34/45 tests, 1
// failed[, 2 skipped]".
std::string ProgressText(const BinaryProgress& progress);

class ProgressDisplay {
 public:
  // `quiet`: print nothing. `terminal`: rewrite in place.
  ProgressDisplay(std::FILE* out, bool terminal, bool quiet);
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  ~ProgressDisplay() { EndLine(); }

  // Counts changed (terminal only).
  void Update(const BinaryProgress& progress);
  // A test failed (lines mode only).
  void Failure(const BinaryProgress& progress, const std::string& test);
  // The binary ended.
  void Finished(const BinaryProgress& progress);
  // A full line of news ("rerunning X alone: passed").
  void Note(const std::string& text);
  // What is happening now, for a step with no counts ("verify: linux-6.1 ·
  // booting (tcg)"): rewritten in place on a terminal, one line otherwise.
  void Status(const std::string& text);
  // Ends a line being rewritten, so the next output starts on its own line.
  void EndLine();
  // Whether lines are rewritten in place.
  bool terminal() const { return terminal_; }

 private:
  std::FILE* out_;
  bool terminal_;
  bool quiet_;
  bool line_open_ = false;
  std::string shown_;  // the line on screen, not redrawn unchanged
};

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_PROGRESS_DISPLAY_H_

// The runner's end of the wire (wire.h): reads the records a test process
// sends, as they arrive, into the test's Outcome.
#ifndef CONFORMANCE_RUNNER_TEST_RECORD_READER_H_
#define CONFORMANCE_RUNNER_TEST_RECORD_READER_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/runner/outcome.h"

namespace ipcproof {

class TestRecordReader {
 public:
  using Clock = std::chrono::steady_clock;

  // Records land in `outcome`; `on_failure` (if set) sees each failure the
  // test reports as it arrives, so the console shows it before a hang.
  explicit TestRecordReader(
      Outcome& outcome,
      std::function<void(const std::string&)> on_failure = nullptr)
      : outcome_(outcome), on_failure_(std::move(on_failure)) {}

  // Raw bytes from the pipe; every complete record in them is handled, a
  // partial one waits for the rest.
  void Feed(std::string_view bytes);

  // The last budget the test asked for with SetTestTimeout, and when it
  // arrived (the budget runs from then); nullopt if it asked for none.
  struct Budget {
    std::chrono::seconds seconds;
    Clock::time_point from;
  };
  const std::optional<Budget>& requested_budget() const { return budget_; }

  // The test's own end record: whether it came, the verdict gtest gave
  // ("passed", "failed", "skipped") and gtest's elapsed time.
  bool ended() const { return ended_; }
  const std::string& ended_status() const { return ended_status_; }
  double ended_seconds() const { return ended_seconds_; }

 private:
  void Handle(const std::vector<std::string>& record);

  Outcome& outcome_;
  std::function<void(const std::string&)> on_failure_;
  std::string pending_;
  std::optional<Budget> budget_;
  bool ended_ = false;
  std::string ended_status_;
  double ended_seconds_ = 0;
};

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_TEST_RECORD_READER_H_

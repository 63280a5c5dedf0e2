// What the runner established about one test: its verdict, every failure
// (the test's own and the runner's findings), its properties and its time.
#ifndef CONFORMANCE_RUNNER_OUTCOME_H_
#define CONFORMANCE_RUNNER_OUTCOME_H_

#include <string>
#include <utility>
#include <vector>

namespace ipcproof {

struct Outcome {
  enum class Status { kPassed, kFailed, kSkipped };
  Status status = Status::kFailed;
  // "file:line: Failure\nmessage" for the test's own failures; the runner's
  // findings (watchdog, crash, leftovers) as plain sentences.
  std::vector<std::string> failures;
  std::string skip_message;
  // In the order first recorded; a key recorded again keeps its place and
  // takes the new value (gtest's RecordProperty does the same).
  std::vector<std::pair<std::string, std::string>> properties;
  double seconds = 0;

  void SetProperty(const std::string& key, const std::string& value) {
    for (auto& [k, v] : properties) {
      if (k == key) {
        v = value;
        return;
      }
    }
    properties.emplace_back(key, value);
  }
};

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_OUTCOME_H_

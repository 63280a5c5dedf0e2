// The test process's side of the runner: it runs the one test the runner
// started it for and streams what happens (each assertion's result, the
// properties, the verdict) over the wire (wire.h) as it happens, so a crash
// or a hang loses nothing already known.
#ifndef CONFORMANCE_RUNNER_WIRE_LISTENER_H_
#define CONFORMANCE_RUNNER_WIRE_LISTENER_H_

#include "gtest/gtest.h"

namespace ipcproof {

// A gtest listener that sends "part" records for test part results and,
// when the test ends, its properties and an "end" record.
class WireListener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestPartResult(const ::testing::TestPartResult& part) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;
};

// In a process the runner started (internal::ResultFd() >= 0): replaces
// gtest's console printer and XML writer with a WireListener and runs the
// selected test. Returns main()'s exit status.
int RunAsTestProcess();

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_WIRE_LISTENER_H_

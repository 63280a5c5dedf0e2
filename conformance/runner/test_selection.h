// Which tests a run runs: the ones gtest itself selects from --gtest_filter,
// --gtest_also_run_disabled_tests and Bazel's sharding variables.
//
// The runner does not match the filter itself: it lets gtest filter (a
// --gtest_list_tests pass, whose listing is thrown away) and reads each
// TestInfo's should_run() afterwards, so a test is selected exactly when
// gtest would have run it, whatever gtest's filter syntax grows to.
#ifndef CONFORMANCE_RUNNER_TEST_SELECTION_H_
#define CONFORMANCE_RUNNER_TEST_SELECTION_H_

#include <string>
#include <vector>

namespace ipcproof {

// One test the runner will run, with what the XML says about it.
struct SelectedTest {
  std::string suite;
  std::string name;
  std::string full_name;  // "Suite.Name", the filter that runs only it
  std::string type_param;
  std::string value_param;
  std::string file;
  int line = 0;
};

// The selected tests, in gtest's order. Call once, after
// testing::InitGoogleMock() and before any test runs.
std::vector<SelectedTest> SelectTests();

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_TEST_SELECTION_H_

#include "conformance/runner/test_selection.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace ipcproof {
namespace {

// Sends stdout somewhere else while it lives: to a memfd, which needs no
// file system (a minimal guest may have no /dev/null) and, unlike a pipe,
// never fills.
class ScopedStdoutDiscarded {
 public:
  ScopedStdoutDiscarded() {
    std::fflush(stdout);
    const int sink = ::memfd_create("ipcproof-test-list", MFD_CLOEXEC);
    if (sink < 0) return;  // then the listing shows: harmless
    saved_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
    if (saved_ >= 0) ::dup2(sink, STDOUT_FILENO);
    ::close(sink);
  }
  ~ScopedStdoutDiscarded() {
    std::fflush(stdout);
    if (saved_ < 0) return;
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }
  ScopedStdoutDiscarded(const ScopedStdoutDiscarded&) = delete;
  ScopedStdoutDiscarded& operator=(const ScopedStdoutDiscarded&) = delete;

 private:
  int saved_ = -1;
};

// Lets gtest apply its filter: a --gtest_list_tests run filters every
// registered test (setting should_run()) and returns without running any.
// The output flag is cleared for it, or gtest would write its listing over
// the XML file.
void LetGtestFilter() {
  const bool list_tests = GTEST_FLAG_GET(list_tests);
  const std::string output = GTEST_FLAG_GET(output);
  GTEST_FLAG_SET(list_tests, true);
  GTEST_FLAG_SET(output, "");
  {
    const ScopedStdoutDiscarded quiet;
    // The status says nothing here: no test runs.
    [[maybe_unused]] const int listed = RUN_ALL_TESTS();
  }
  GTEST_FLAG_SET(list_tests, list_tests);
  GTEST_FLAG_SET(output, output);
}

}  // namespace

std::vector<SelectedTest> SelectTests() {
  LetGtestFilter();
  std::vector<SelectedTest> tests;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const ::testing::TestSuite* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const ::testing::TestInfo* info = suite->GetTestInfo(j);
      if (!info->should_run()) continue;
      SelectedTest test;
      test.suite = info->test_suite_name();
      test.name = info->name();
      test.full_name = test.suite + "." + test.name;
      if (info->type_param()) test.type_param = info->type_param();
      if (info->value_param()) test.value_param = info->value_param();
      test.file = info->file();
      test.line = info->line();
      tests.push_back(std::move(test));
    }
  }
  return tests;
}

}  // namespace ipcproof

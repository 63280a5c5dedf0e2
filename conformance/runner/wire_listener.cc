#include "conformance/runner/wire_listener.h"

#include <fcntl.h>

#include <cstdlib>
#include <string>

#include "conformance/runner/wire.h"

namespace ipcproof {

void WireListener::OnTestPartResult(const ::testing::TestPartResult& part) {
  const char* kind = part.skipped()             ? "skip"
                     : part.fatally_failed()    ? "fatal"
                     : part.nonfatally_failed() ? "nonfatal"
                                                : "success";
  internal::SendRecord({internal::kPartRecord, kind,
                        part.file_name() ? part.file_name() : "",
                        std::to_string(part.line_number()),
                        part.message() ? part.message() : ""});
}

void WireListener::OnTestEnd(const ::testing::TestInfo& info) {
  const ::testing::TestResult& result = *info.result();
  for (int i = 0; i < result.test_property_count(); ++i) {
    const ::testing::TestProperty& property = result.GetTestProperty(i);
    internal::SendRecord(
        {internal::kPropertyRecord, property.key(), property.value()});
  }
  const char* status = result.Failed()    ? "failed"
                       : result.Skipped() ? "skipped"
                                          : "passed";
  internal::SendRecord(
      {internal::kEndRecord, status, std::to_string(result.elapsed_time())});
}

int RunAsTestProcess() {
  // Keep the result pipe, and the variable naming it, away from anything the
  // test itself starts (a test may run another supervised binary).
  ::fcntl(internal::ResultFd(), F_SETFD, FD_CLOEXEC);
  ::unsetenv(internal::kResultFdEnv);
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  delete listeners.Release(listeners.default_xml_generator());
  listeners.Append(new WireListener);
  return RUN_ALL_TESTS();
}

}  // namespace ipcproof

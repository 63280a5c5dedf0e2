#include "conformance/kit/test_control.h"

#include <string>

#include "conformance/runner/wire.h"

namespace ipcproof {

void SetTestTimeout(std::chrono::seconds budget) {
  internal::SendRecord(
      {internal::kTimeoutRecord, std::to_string(budget.count())});
}

bool RunningUnderSupervisor() { return internal::ResultFd() >= 0; }

}  // namespace ipcproof

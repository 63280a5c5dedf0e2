#include "conformance/kit/temp_path.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "conformance/runner/wire.h"

namespace ipcproof {

const std::string& TestTempDir() {
  // Only the runner's choice: a fallback here would be a second place that
  // chooses, and one the runner would neither clean nor check.
  static const std::string dir = [] {
    const char* value = std::getenv(internal::kTestTempDirEnv);
    if (value == nullptr || *value == '\0') {
      throw std::logic_error(std::string("TestTempDir: $") +
                             internal::kTestTempDirEnv +
                             " is not set; run the test binary itself (its "
                             "runner makes the directory)");
    }
    return std::string(value);
  }();
  return dir;
}

std::string UniqueTempPath(std::string_view stem) {
  static std::atomic<unsigned> counter{0};
  return TestTempDir() + "/" + std::string(stem) + "." +
         std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace ipcproof

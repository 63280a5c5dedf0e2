#include "conformance/kit/temp_path.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace ipcproof {

const std::string& TestTempDir() {
  static const std::string dir = [] {
    for (const char* var : {kTestTempDirEnv, "TEST_TMPDIR"}) {
      if (const char* value = std::getenv(var); value && *value) {
        return std::string(value);
      }
    }
    return std::string("/tmp");
  }();
  return dir;
}

std::string UniqueTempPath(std::string_view stem) {
  static std::atomic<unsigned> counter{0};
  return TestTempDir() + "/" + std::string(stem) + "." +
         std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace ipcproof

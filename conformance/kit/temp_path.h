// Where a test may create files and FIFOs: a directory of its own.
#ifndef CONFORMANCE_KIT_TEMP_PATH_H_
#define CONFORMANCE_KIT_TEMP_PATH_H_

#include <string>
#include <string_view>

namespace ipcproof {

// The environment variable through which the runner names the test's own
// directory (it creates the directory and removes it after the test,
// reporting anything left in it).
inline constexpr char kTestTempDirEnv[] = "IPCPROOF_TEST_TMPDIR";

// This test's own directory: $IPCPROOF_TEST_TMPDIR under the runner;
// outside it (--ipcproof_in_process), $TEST_TMPDIR or /tmp.
const std::string& TestTempDir();

// A fresh path inside TestTempDir() whose last component starts with `stem`.
std::string UniqueTempPath(std::string_view stem);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_TEMP_PATH_H_

// Where a test may create files and FIFOs: a directory of its own.
#ifndef CONFORMANCE_KIT_TEMP_PATH_H_
#define CONFORMANCE_KIT_TEMP_PATH_H_

#include <string>
#include <string_view>

namespace ipcproof {

// This test's own directory, as the runner chose and made it
// (conformance/runner/temp_dirs.h) and passed in $IPCPROOF_TEST_TMPDIR, in
// a supervised run and with --ipcproof_in_process alike. The runner removes
// it after the test, reporting anything left in it. Throws
// std::logic_error outside a run of the runner (no directory was chosen).
const std::string& TestTempDir();

// A fresh path inside TestTempDir() whose last component starts with `stem`.
std::string UniqueTempPath(std::string_view stem);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_TEMP_PATH_H_

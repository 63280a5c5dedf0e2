// Where verify finds its data: a directory laid out like the workspace
// (docs/claims.json, tools/claims/claim_index.json, tools/verify/suite.txt,
// the conformance binaries under conformance/). Under `bazel run` and
// `bazel test` that is the runfiles tree; in the grading bundle, verify sits
// in bin/ under it.
#ifndef TOOLS_VERIFY_DATA_ROOT_H_
#define TOOLS_VERIFY_DATA_ROOT_H_

#include <string>
#include <vector>

namespace ipcproof::verify {

// The file whose presence marks a data root.
inline constexpr char kRootMarker[] = "docs/claims.json";

// The default data files, relative to the root.
inline constexpr char kDefaultRegistry[] = "docs/claims.json";
inline constexpr char kDefaultIndex[] = "tools/claims/claim_index.json";
inline constexpr char kDefaultSuite[] = "tools/verify/suite.txt";
inline constexpr char kDefaultExpectedDeviations[] =
    "docs/expected-deviations.json";
inline constexpr char kDefaultGradingConfig[] = "docs/grading.json";

struct RootPlaces {
  std::string runfiles_dir;  // $RUNFILES_DIR, or empty
  std::string test_srcdir;   // $TEST_SRCDIR, or empty
  std::string executable;    // realpath(/proc/self/exe), or empty
};

// In order: $RUNFILES_DIR/ipcproof, $TEST_SRCDIR/ipcproof,
// <executable>.runfiles/ipcproof, <executable's directory>/.. (skipping
// the empty ones). Pure, for tests.
std::vector<std::string> RootCandidates(const RootPlaces& places);

// The first candidate that holds `marker` (relative to it; kRootMarker by
// default), for this process; empty when none does. `tried` receives every
// candidate, for the error message.
std::string FindDataRoot(std::vector<std::string>* tried = nullptr,
                         const char* marker = kRootMarker);

// `path` if absolute, else `root`/`path`.
std::string UnderRoot(const std::string& root, const std::string& path);

// The environment variable `name`, or "" when it is unset.
std::string Environment(const char* name);

// Where relative paths on the command line are relative to: the directory
// `bazel run` was started in ($BUILD_WORKING_DIRECTORY: Bazel runs a tool in
// its runfiles tree), else the current one. Throws InfrastructureError
// (tools/verify/verify_error.h) when getcwd fails.
std::string CallerDirectory();

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_DATA_ROOT_H_

// The runner's own command line (gtest has already taken its flags out of
// argv) and where the merged XML goes.
//
//   --ipcproof_timeout=SECONDS   per-test watchdog budget (default 30; also
//                                IPCPROOF_TIMEOUT in the environment)
//   --ipcproof_time_scale=N      how many times slower than a fast machine
//                                this one may be, 1..100 (default 1; also
//                                IPCPROOF_TIME_SCALE): multiplies every
//                                watchdog budget, and is passed to each test
//                                process so the kit's deadlines scale too
//   --ipcproof_in_process        run all tests in this process, no watchdog
//                                (for a debugger)
//   --ipcproof_watch_dir=PATH    also watch PATH for the test's IPC names
//                                (watched_dirs.h); repeatable, added to
//                                /dev/shm
#ifndef CONFORMANCE_RUNNER_OPTIONS_H_
#define CONFORMANCE_RUNNER_OPTIONS_H_

#include <chrono>
#include <string>
#include <vector>

namespace ipcproof {

inline constexpr std::chrono::seconds kDefaultTestTimeout{30};

struct Options {
  // The budget at time scale 1; the watchdog allows it times time_scale.
  std::chrono::seconds timeout = kDefaultTestTimeout;
  int time_scale = 1;
  bool in_process = false;
  // Where the supervisor looks, after every test, for entries named with
  // the test's IPC name prefix (watched_dirs.h).
  std::vector<std::string> watched_dirs = {"/dev/shm"};
  // argv left after gtest's flags and ours: passed on to each test process.
  std::vector<std::string> passthrough;
};

// Reads the flags above from argv (after testing::InitGoogleMock) and the
// environment. A malformed value ends the program with status 2.
Options TakeOptions(int argc, char** argv);

// The merged XML's path from --gtest_output=xml[:PATH] (or Bazel's
// XML_OUTPUT_FILE, which gtest reads into the same flag); a PATH ending in
// '/' is a directory, in which the file is named after the binary. "" when
// no XML is asked for (or another format is, which is said on stderr).
std::string XmlOutputPath(const char* argv0);

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_OPTIONS_H_

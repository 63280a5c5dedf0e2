// Runs one program to its end, directly (fork + exec, no shell), in a process
// group of its own, with its stdout and stderr joined into one pipe that the
// caller sees chunk by chunk, and a bound on its wall time past which its
// whole process tree is killed. Nothing here knows gtest.
#ifndef TOOLS_VERIFY_BINARY_RUNNER_H_
#define TOOLS_VERIFY_BINARY_RUNNER_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

struct RunRequest {
  std::string path;               // the executable, exec'd as is
  std::vector<std::string> args;  // after argv[0] (which is `path`)
  std::chrono::milliseconds bound{60000};
  // Every chunk of the program's combined output, as it arrives.
  std::function<void(std::string_view)> on_output;
};

struct RunEnd {
  enum class How {
    kExited,       // exit_code is set
    kSignaled,     // signal is set
    kTimedOut,     // the bound passed; the tree was killed
    kCannotStart,  // exec failed: start_errno is set
    kInterrupted,  // verify caught `signal` (interrupt.h); the tree was killed
  };
  How how = How::kExited;
  int exit_code = 0;
  int signal = 0;  // kSignaled: the program's; kInterrupted: verify's
  int start_errno = 0;
  double seconds = 0;
};

// Throws InfrastructureError only when verify itself cannot set the run up
// (pipe, fork); everything the program does is in RunEnd. The program's
// stdin is /dev/null, so a test can never read verify's terminal.
RunEnd RunProgram(const RunRequest& request);

// "killed by SIGSEGV", "exited with status 3", "timed out after 12 s",
// "cannot start: ENOEXEC": the end in the words of verify's error lines.
std::string DescribeRunEnd(const RunEnd& end, const RunRequest& request);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_BINARY_RUNNER_H_

#include "tools/verify/data_root.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

// The workspace's name (WORKSPACE), which names its directory in runfiles.
constexpr char kWorkspace[] = "ipcproof";

std::string Directory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::vector<std::string> RootCandidates(const RootPlaces& places) {
  std::vector<std::string> candidates;
  const std::string workspace = std::string("/") + kWorkspace;
  if (!places.runfiles_dir.empty()) {
    candidates.push_back(places.runfiles_dir + workspace);
  }
  if (!places.test_srcdir.empty()) {
    candidates.push_back(places.test_srcdir + workspace);
  }
  if (!places.executable.empty()) {
    candidates.push_back(places.executable + ".runfiles" + workspace);
    candidates.push_back(Directory(Directory(places.executable)));
  }
  return candidates;
}

std::string FindDataRoot(std::vector<std::string>* tried, const char* marker) {
  RootPlaces places;
  places.runfiles_dir = Environment("RUNFILES_DIR");
  places.test_srcdir = Environment("TEST_SRCDIR");
  char executable[PATH_MAX];
  if (::realpath("/proc/self/exe", executable) != nullptr) {
    places.executable = executable;
  }
  for (const std::string& candidate : RootCandidates(places)) {
    if (tried != nullptr) tried->push_back(candidate);
    if (::access(UnderRoot(candidate, marker).c_str(), R_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

std::string UnderRoot(const std::string& root, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return root + "/" + path;
}

std::string Environment(const char* name) {
  const char* value = ::getenv(name);
  return value != nullptr ? value : "";
}

std::string CallerDirectory() {
  std::string directory = Environment("BUILD_WORKING_DIRECTORY");
  if (!directory.empty()) return directory;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    throw InfrastructureError(DescribeErrno("getcwd", errno));
  }
  return cwd;
}

}  // namespace ipcproof::verify

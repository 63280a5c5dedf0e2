#include "conformance/runner/watched_dirs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "conformance/runner/temp_dirs.h"

namespace ipcproof {
namespace {

std::string Strerror(int err) {
  return std::string(strerrorname_np(err) ? strerrorname_np(err) : "errno") +
         " (" + std::strerror(err) + ")";
}

}  // namespace

WatchedDirFindings RemoveEntriesNamedWith(const std::vector<std::string>& dirs,
                                          std::string_view prefix) {
  WatchedDirFindings findings;
  if (prefix.empty()) return findings;
  for (const std::string& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno != ENOENT) {
        findings.unreadable += "\n    " + dir + ": " + Strerror(errno);
      }
      continue;
    }
    std::vector<std::string> matches;
    while (const dirent* entry = ::readdir(d)) {
      const std::string_view name = entry->d_name;
      if (name.find(prefix) != std::string_view::npos) {
        matches.push_back(dir + "/" + std::string(name));
      }
    }
    ::closedir(d);
    for (const std::string& path : matches) {
      findings.found += "\n    " + path;
      // The same removal as the test's own directory gets: an entry that is
      // a directory goes with everything in it.
      RemoveTree(path);
      struct stat st;
      if (::lstat(path.c_str(), &st) == 0) {
        findings.found += " (could not be removed)";
      }
    }
  }
  return findings;
}

}  // namespace ipcproof

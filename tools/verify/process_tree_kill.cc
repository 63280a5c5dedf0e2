#include "tools/verify/process_tree_kill.h"

#include <dirent.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace ipcproof::verify {
namespace {

// Rescans are cheap; two are enough to catch a fork that raced the first
// SIGSTOP, and more would only matter for a tree that forks unboundedly.
constexpr int kScans = 3;

// pid -> ppid of every process in /proc. A process that exits while it is
// read is simply missing.
std::map<pid_t, pid_t> ReadParents() {
  std::map<pid_t, pid_t> parents;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return parents;
  while (const dirent* entry = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string text;
    if (!std::getline(stat, text)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
    // read after the last ')'.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 1));
    char state = 0;
    long ppid = 0;
    if (fields >> state >> ppid) {
      parents[static_cast<pid_t>(std::atol(entry->d_name))] =
          static_cast<pid_t>(ppid);
    }
  }
  ::closedir(proc);
  return parents;
}

}  // namespace

std::vector<pid_t> Descendants(pid_t root,
                               const std::map<pid_t, pid_t>& parents) {
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  std::set<pid_t> seen{root};
  while (!frontier.empty()) {
    std::vector<pid_t> next;
    for (const auto& [pid, ppid] : parents) {
      for (pid_t parent : frontier) {
        if (ppid == parent && seen.insert(pid).second) {
          found.push_back(pid);
          next.push_back(pid);
        }
      }
    }
    frontier = std::move(next);
  }
  return found;
}

void KillProcessTree(pid_t root) {
  std::set<pid_t> tree;
  ::kill(-root, SIGSTOP);
  ::kill(root, SIGSTOP);
  for (int scan = 0; scan < kScans; ++scan) {
    for (pid_t pid : Descendants(root, ReadParents())) {
      if (tree.insert(pid).second) ::kill(pid, SIGSTOP);
    }
  }
  for (pid_t pid : tree) {
    ::kill(pid, SIGKILL);
  }
  ::kill(-root, SIGKILL);
  ::kill(root, SIGKILL);
}

}  // namespace ipcproof::verify

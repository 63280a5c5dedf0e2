#include "conformance/runner/process_tree.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <optional>
#include <set>

#include "conformance/procfs/files.h"
#include "conformance/procfs/task.h"

namespace ipcproof {
namespace {

// Every process /proc shows, with its parent and group; a process that
// ends while it is read is left out. Empty when /proc cannot be listed: the
// scan then finds nothing to report or kill, which is all it can do.
std::vector<TaskState> AllProcesses() {
  std::vector<pid_t> pids;
  try {
    pids = ListPids();
  } catch (const std::exception&) {
    return {};
  }
  std::vector<TaskState> processes;
  for (pid_t pid : pids) {
    if (std::optional<TaskState> state = ReadTaskStat(pid, pid)) {
      processes.push_back(*std::move(state));
    }
  }
  return processes;
}

void Reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::vector<pid_t> ProcessTree(pid_t root) {
  const std::vector<TaskState> all = AllProcesses();
  std::set<pid_t> tree = {root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const TaskState& p : all) {
      if (!tree.count(p.pid) && (tree.count(p.ppid) || p.pgrp == root)) {
        tree.insert(p.pid);
        grew = true;
      }
    }
  }
  return {tree.begin(), tree.end()};
}

std::string DescribeProcess(pid_t pid) {
  std::string text;
  for (pid_t tid : ListTaskIds(pid)) {
    if (const std::optional<TaskState> state = ReadTaskState(pid, tid)) {
      text += "\n    " + state->ToString();
    }
  }
  return text.empty() ? "\n    pid " + std::to_string(pid) + " (gone)" : text;
}

std::string KillLeftoverChildren() {
  std::string report;
  // A killed process's own children come back to us in the next round.
  for (int round = 0; round < 64; ++round) {
    std::vector<pid_t> children;
    for (const TaskState& p : AllProcesses()) {
      if (p.ppid == ::getpid()) children.push_back(p.pid);
    }
    if (children.empty()) break;
    for (pid_t pid : children) {
      report += DescribeProcess(pid);
      ::kill(pid, SIGKILL);
    }
    for (pid_t pid : children) Reap(pid);
  }
  return report;
}

}  // namespace ipcproof

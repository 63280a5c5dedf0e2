// The processes a test is made of, from /proc (conformance/procfs): what
// each of their threads is doing, and the orphans a test left to the runner.
#ifndef CONFORMANCE_RUNNER_PROCESS_TREE_H_
#define CONFORMANCE_RUNNER_PROCESS_TREE_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ipcproof {

// `root`, its descendants, and anything left in its process group (a test
// process leads a group of its own), in ascending pid order.
std::vector<pid_t> ProcessTree(pid_t root);

// One line per thread of `pid`: its state, the system call it sleeps in and
// its wait channel ("\n    pid 12 tid 12 (pipe_test) state S, in read(...)").
std::string DescribeProcess(pid_t pid);

// Kills and reaps every child of the calling process; since the runner is a
// child subreaper, that is every orphan a test left. Returns a description
// of each (DescribeProcess), read before it was killed.
std::string KillLeftoverChildren();

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_PROCESS_TREE_H_

// Ends a process and everything it started. A conformance binary's
// supervisor puts each test in a process group of its own, so killing the
// binary's group alone would leave a hung test (and the pipe it holds open)
// running after verify gave up on the binary.
#ifndef TOOLS_VERIFY_PROCESS_TREE_KILL_H_
#define TOOLS_VERIFY_PROCESS_TREE_KILL_H_

#include <sys/types.h>

#include <map>
#include <vector>

namespace ipcproof::verify {

// The descendants of `root` in a parent map (pid -> ppid), children before
// grandchildren. Pure, for tests.
std::vector<pid_t> Descendants(pid_t root,
                               const std::map<pid_t, pid_t>& parents);

// Stops `root`'s process group and every descendant found in /proc (so none
// forks while the tree is read again), then sends SIGKILL to each and to
// `root`'s group. The caller still reaps `root`.
void KillProcessTree(pid_t root);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_PROCESS_TREE_KILL_H_

// IPC names a test left in directories no namespace hides.
//
// POSIX shared memory and named semaphores are files in /dev/shm (a
// semaphore "/x" is /dev/shm/sem.x, sem_overview(7)), shared by every IPC
// namespace and by every binary `bazel test` runs at once. So each test
// process gets a name prefix of its own ($IPCPROOF_NAME_PREFIX, wire.h;
// kit/ipc_names.h makes names with it), and after the test, however it
// ended, the supervisor removes every entry of each watched directory whose
// name CONTAINS that prefix ("sem." comes before it for a semaphore) and
// fails the test for it, as it does for files left in the test's own
// directory. The runner knows no mechanism: it only matches names in the
// directories it is told to watch (Options::watched_dirs).
#ifndef CONFORMANCE_RUNNER_WATCHED_DIRS_H_
#define CONFORMANCE_RUNNER_WATCHED_DIRS_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof {

struct WatchedDirFindings {
  // "\n    DIR/NAME" for each entry found, removed (with " (could not be
  // removed: ...)" when it is still there).
  std::string found;
  // "\n    DIR: ..." for each directory that exists but could not be read.
  std::string unreadable;
};

// Removes from each of `dirs` the entries whose name contains `prefix` and
// says what it found. A directory that does not exist (a minimal guest
// without /dev/shm) is skipped silently. An empty `prefix` finds nothing.
WatchedDirFindings RemoveEntriesNamedWith(const std::vector<std::string>& dirs,
                                          std::string_view prefix);

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_WATCHED_DIRS_H_

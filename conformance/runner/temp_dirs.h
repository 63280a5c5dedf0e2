// The directories the runner makes for tests: the one place a test's
// TestTempDir() (conformance/kit/temp_path.h) is chosen.
//
// Each is "ipcproof.XXXXXX" (mkdtemp) in the first of these bases that
// takes it:
//   $IPCPROOF_TMPDIR   set by whoever runs the binary
//   /tmp               outside Bazel's sandbox
//   $TEST_TMPDIR       Bazel's, when /tmp is read-only (inside linux-sandbox)
// /tmp comes before $TEST_TMPDIR because outside the sandbox the latter lies
// under /root (mode 0700), where a test that drops to another uid could not
// reach its own FIFOs.
//
// The runner that made a directory holds flock(LOCK_EX) on it (on the
// directory itself: no lock file for the test to trip over) for as long as
// the directory lives, and removes it when the test is over. A runner killed
// with SIGKILL cannot remove it; its lock, though, dies with it. So a later
// run, before its first test, removes every such directory whose lock it can
// take: the owner is gone, whatever its pid was (a pid in the name would not
// say so: pids are reused). A live runner's directory stays locked and
// untouched. Making a directory and that clean-up both hold flock(LOCK_EX)
// on the base directory, so a run starting while another is between its
// mkdtemp and its lock never takes the new directory for a dead runner's.
#ifndef CONFORMANCE_RUNNER_TEMP_DIRS_H_
#define CONFORMANCE_RUNNER_TEMP_DIRS_H_

#include <optional>
#include <string>
#include <vector>

#include "ipc/unique_fd.h"

namespace ipcproof {

// A directory this process made and holds the lock on; removed with
// everything in it when the object goes away.
class LockedTempDir {
 public:
  // A fresh directory, searchable (not listable) by every uid so a test that
  // drops to another uid still reaches what it made there; nullopt with
  // `error` set when no base takes one.
  static std::optional<LockedTempDir> Create(std::string& error);

  LockedTempDir(LockedTempDir&& other) noexcept = default;
  LockedTempDir& operator=(LockedTempDir&& other) noexcept;
  LockedTempDir(const LockedTempDir&) = delete;
  LockedTempDir& operator=(const LockedTempDir&) = delete;
  ~LockedTempDir();

  const std::string& path() const { return path_; }

  // "\n    PATH/NAME" for each entry the directory holds.
  std::string ListEntries() const;

 private:
  LockedTempDir(std::string path, ipc::UniqueFd lock)
      : path_(std::move(path)), lock_(std::move(lock)) {}
  void Remove();

  std::string path_;
  ipc::UniqueFd lock_;  // the open directory, flock(LOCK_EX) held
};

// Removes `path` and, if it is a directory, everything in it, without
// following symbolic links; errors are ignored (check afterwards).
void RemoveTree(const std::string& path);

// Removes every runner directory in the bases above that belongs to this
// uid and whose lock can be taken (its runner is gone). Returns the paths
// removed.
std::vector<std::string> RemoveDirectoriesOfDeadRunners();

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_TEMP_DIRS_H_

// Reading /proc and /sys: whole small files, directory listings, the
// process list, and links.
// Shared by the runner (its process-tree scans) and the kit (what tests read
// about the kernel), so each is written once.
#ifndef CONFORMANCE_PROCFS_FILES_H_
#define CONFORMANCE_PROCFS_FILES_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof {

// A whole /proc or /sys file; nullopt when it cannot be opened (the process
// went away, the file does not exist on this kernel).
std::optional<std::string> ReadFileIfPresent(const std::string& path);

// A whole file; throws std::system_error naming the path when it cannot be
// opened.
std::string ReadFileOrThrow(const std::string& path);

// Writes `text` to an existing /proc or /sys file (a sysctl, uid_map) in
// one write; throws std::system_error naming the path.
void WriteProcFile(const std::string& path, std::string_view text);

// The names in a directory, sorted, without "." and ".."; nullopt when it
// cannot be opened (it does not exist: /run/netns, a minimal guest's
// /dev/shm).
std::optional<std::vector<std::string>> ListDirectoryIfPresent(
    const std::string& path);
// The same; throws std::system_error naming the path when it cannot be
// opened.
std::vector<std::string> ListDirectoryOrThrow(const std::string& path);

// Every numeric entry of /proc: the processes this /proc shows.
std::vector<pid_t> ListPids();

// The target of a symbolic link (a /proc/PID/fd/N, say), "" when it cannot
// be read (the process or descriptor went away while we looked).
std::string ReadLinkOrEmpty(const std::string& path);

// "/proc/PID/fd/FD".
std::string ProcFdPath(pid_t pid, int fd);

}  // namespace ipcproof

#endif  // CONFORMANCE_PROCFS_FILES_H_

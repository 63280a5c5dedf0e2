// Files the zero-copy tests read from and write to: a regular file in the
// test's directory with given contents, removed on scope exit, and the
// small helpers around it (sendfile_test and splice_test share them).
#ifndef CONFORMANCE_COPY_COPY_FILES_H_
#define CONFORMANCE_COPY_COPY_FILES_H_

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "conformance/kit/files.h"
#include "ipc/unique_fd.h"

namespace ipcproof {

// A regular file under the test's temporary directory holding `contents`;
// `fd` is open with `flags` at position 0. Removed on scope exit.
struct TempFile {
  explicit TempFile(std::string_view contents, int flags = O_RDONLY,
                    std::string_view stem = "copy");
  // Another descriptor of the same file, opened with `flags` (O_CLOEXEC
  // added).
  ipc::UniqueFd Reopen(int flags) const;
  // The whole file as it is now (pread from 0, bounded by st_size).
  std::string Contents() const;

  std::string path;
  ScopedUnlink unlink;
  ipc::UniqueFd fd;
};

// kit/bytes.h's Pattern as a string.
std::string PatternText(size_t size, unsigned seed);

// The file position of `fd` (lseek SEEK_CUR).
off_t Position(int fd);

}  // namespace ipcproof

#endif  // CONFORMANCE_COPY_COPY_FILES_H_

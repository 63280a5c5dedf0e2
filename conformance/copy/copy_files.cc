#include "conformance/copy/copy_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "conformance/kit/bytes.h"
#include "conformance/kit/temp_path.h"
#include "ipc/error.h"

namespace ipcproof {

TempFile::TempFile(std::string_view contents, int flags, std::string_view stem)
    : path(UniqueTempPath(stem)), unlink(path) {
  {
    ipc::UniqueFd writer(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!writer.valid()) ipc::ThrowErrno("open " + path);
    size_t done = 0;
    while (done < contents.size()) {
      const ssize_t n =
          ::write(writer.get(), contents.data() + done, contents.size() - done);
      if (n < 0) ipc::ThrowErrno("write " + path);
      done += static_cast<size_t>(n);
    }
  }
  fd = Reopen(flags);
}

ipc::UniqueFd TempFile::Reopen(int flags) const {
  ipc::UniqueFd opened(::open(path.c_str(), flags | O_CLOEXEC));
  if (!opened.valid()) ipc::ThrowErrno("open " + path);
  return opened;
}

std::string TempFile::Contents() const {
  const ipc::UniqueFd reader = Reopen(O_RDONLY);
  std::string out(static_cast<size_t>(StatFd(reader.get()).st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(reader.get(), out.data() + done,
                              out.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

std::string PatternText(size_t size, unsigned seed) {
  const std::vector<char> bytes = Pattern(size, seed);
  return std::string(bytes.begin(), bytes.end());
}

off_t Position(int fd) { return ::lseek(fd, 0, SEEK_CUR); }

}  // namespace ipcproof

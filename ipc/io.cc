#include "ipc/io.h"

#include <cerrno>
#include <string>

#include "ipc/error.h"
#include "ipc/fd_syscalls.h"

namespace ipc {
namespace {

std::string Describe(const char* call, int fd, size_t done, size_t total) {
  std::string text = call;
  text += "(fd=" + std::to_string(fd) + ")";
  if (total > 0) {
    text += " after " + std::to_string(done) + " of " + std::to_string(total) +
            " bytes";
  }
  return text;
}

// One transfer, repeated while it fails with EINTR; throws on other errors.
template <typename Transfer>
size_t OneTransfer(const char* call, int fd, Transfer transfer) {
  for (;;) {
    const ssize_t n = transfer();
    if (n >= 0) return static_cast<size_t>(n);
    const int err = errno;  // Before Describe allocates.
    if (err != EINTR) ThrowSystemError(err, Describe(call, fd, 0, 0));
  }
}

}  // namespace

size_t ReadSome(int fd, std::span<std::byte> buffer) {
  return OneTransfer("read", fd, [&] {
    return FdSyscalls::Current().Read(fd, buffer.data(), buffer.size());
  });
}

size_t WriteSome(int fd, std::span<const std::byte> data) {
  return OneTransfer("write", fd, [&] {
    return FdSyscalls::Current().Write(fd, data.data(), data.size());
  });
}

void WriteAll(int fd, std::span<const std::byte> data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        FdSyscalls::Current().Write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n == 0) {
      // write(2) returning 0 for a non-empty request would loop forever.
      ThrowSystemError(EIO,
                       Describe("write returned 0", fd, done, data.size()));
    } else {
      const int err = errno;  // Before Describe allocates.
      ThrowSystemError(err, Describe("write", fd, done, data.size()));
    }
  }
}

void WriteAll(int fd, std::string_view text) { WriteAll(fd, AsBytes(text)); }

UnexpectedEndOfFile::UnexpectedEndOfFile(size_t wanted, size_t got)
    : std::runtime_error("read: end of file after " + std::to_string(got) +
                         " of " + std::to_string(wanted) + " bytes"),
      got_(got) {}

size_t ReadUntilEof(int fd, std::span<std::byte> buffer) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = FdSyscalls::Current().Read(fd, buffer.data() + done,
                                                 buffer.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      break;
    } else if (const int err = errno; err != EINTR) {
      ThrowSystemError(err, Describe("read", fd, done, buffer.size()));
    }
  }
  return done;
}

void ReadExact(int fd, std::span<std::byte> buffer) {
  const size_t got = ReadUntilEof(fd, buffer);
  if (got < buffer.size()) throw UnexpectedEndOfFile(buffer.size(), got);
}

}  // namespace ipc

#include "conformance/kit/bytes.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ipc/error.h"

namespace ipcproof {

std::vector<char> Pattern(size_t size, unsigned seed) {
  std::vector<char> data(size);
  const uint32_t start = seed * 0x9E3779B9u;
  for (size_t i = 0; i < size; ++i) {
    // Knuth's multiplicative hash; the top byte varies fastest with i.
    const uint32_t x = (static_cast<uint32_t>(i) + start) * 2654435761u;
    data[i] = static_cast<char>(x >> 24);
  }
  return data;
}

WritesAccepted WriteUntilEagain(int fd, size_t chunk, size_t bound_bytes) {
  ipc::CheckArgument(chunk > 0, "WriteUntilEagain", "chunk must be positive");
  const std::vector<char> data(chunk, 'f');
  WritesAccepted accepted;
  for (;;) {
    if (accepted.bytes > bound_bytes) {
      throw std::runtime_error(
          "fd " + std::to_string(fd) + " accepted " +
          std::to_string(accepted.bytes) + " bytes in " +
          std::to_string(accepted.writes) + " writes of " +
          std::to_string(chunk) + " without EAGAIN, past the bound of " +
          std::to_string(bound_bytes) + " (a few times its capacity)");
    }
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      accepted.bytes += static_cast<size_t>(n);
      ++accepted.writes;
      continue;
    }
    if (n < 0 && errno == EAGAIN) return accepted;
    if (n < 0 && errno == EINTR) continue;
    ipc::ThrowErrno("write while filling a descriptor until EAGAIN");
  }
}

}  // namespace ipcproof

#include "conformance/kit/bytes.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ipc/error.h"

namespace ipcproof {
namespace {

// SplitMix64's output function (Steele, Lea, Flood 2014): every step is
// invertible, so distinct inputs give distinct outputs.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15u;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<char> Pattern(size_t size, unsigned seed) {
  std::vector<char> data(size);
  // Block indices stay below 2^40 (8 TiB), so (seed, block) never collide.
  const uint64_t stream = static_cast<uint64_t>(seed) << 40;
  for (size_t block = 0; block * 8 < size; ++block) {
    uint64_t word = Mix(stream | block);
    for (size_t i = block * 8; i < size && i < block * 8 + 8; ++i) {
      data[i] = static_cast<char>(word & 0xff);
      word >>= 8;
    }
  }
  return data;
}

WritesAccepted WriteUntilEagain(int fd, size_t chunk, size_t bound_bytes) {
  ipc::CheckArgument(chunk > 0, "WriteUntilEagain", "chunk must be positive");
  const std::vector<char> data(chunk, 'f');
  WritesAccepted accepted;
  for (;;) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EAGAIN) return accepted;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ipc::ThrowErrno("write while filling a descriptor until EAGAIN");
    if (n == 0) {
      throw std::runtime_error("fd " + std::to_string(fd) + " took 0 of " +
                               std::to_string(chunk) +
                               " bytes without an error");
    }
    accepted.bytes += static_cast<size_t>(n);
    ++accepted.writes;
    if (accepted.bytes > bound_bytes) {
      throw std::runtime_error(
          "fd " + std::to_string(fd) + " accepted " +
          std::to_string(accepted.bytes) + " bytes in " +
          std::to_string(accepted.writes) + " writes of " +
          std::to_string(chunk) + " without EAGAIN, past the bound of " +
          std::to_string(bound_bytes) + " (a few times its capacity)");
    }
  }
}

}  // namespace ipcproof

// Test bytes: a deterministic pattern to send through a channel, and filling
// a non-blocking descriptor until the kernel refuses more.
#ifndef CONFORMANCE_HARNESS_BYTES_H_
#define CONFORMANCE_HARNESS_BYTES_H_

#include <cstddef>
#include <vector>

namespace ipcproof {

// `size` bytes that depend on the offset through a multiplicative hash, so
// there is no short period: a chunk delivered at the wrong offset, twice, or
// out of order does not compare equal by chance. Different seeds give
// different streams.
std::vector<char> Pattern(size_t size, unsigned seed);

struct WritesAccepted {
  size_t bytes = 0;   // everything the kernel took, a last partial write too
  size_t writes = 0;  // successful write calls
};

// write(2)s of `chunk` bytes to non-blocking `fd` until EAGAIN, retrying
// EINTR; throws std::system_error on any other error. `bound_bytes` is a few
// times the documented capacity: a kernel that accepts more than that
// without EAGAIN fails the one test with std::runtime_error saying so,
// instead of filling memory until the OOM killer ends the whole binary.
WritesAccepted WriteUntilEagain(int fd, size_t chunk, size_t bound_bytes);

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_BYTES_H_

// Test bytes: a deterministic pattern to send through a channel, and filling
// a non-blocking descriptor until the kernel refuses more (with a bound, so a
// kernel that never refuses fails one test instead of filling memory).
#ifndef CONFORMANCE_KIT_BYTES_H_
#define CONFORMANCE_KIT_BYTES_H_

#include <cstddef>
#include <vector>

namespace ipcproof {

// `size` bytes in which every offset looks different: each aligned 8-byte
// block is a bijective mix (SplitMix64's finalizer) of its index and `seed`,
// so no two blocks are equal, within one stream or across seeds below 2^24,
// and windows at any other shift agree only by 2^-64 chance. A chunk
// delivered at the wrong offset, twice, or out of order therefore never
// compares equal: the pattern has no period shorter than itself.
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

#endif  // CONFORMANCE_KIT_BYTES_H_

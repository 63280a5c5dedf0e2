// A bounded bulk transfer, timed: the parent sends a block of data in
// chunks to a forked receiver that checks every byte it gets.
//
// The skeleton shared by the throughput measurements that set a queue
// against a pipe (mq.not-for-big-data): the child signals readiness on a
// pipe, the parent starts the clock, sends, and stops it when the child has
// received and checked everything and exited. What moves the bytes (msgsnd /
// msgrcv, write / read, ...) is supplied by the caller.
#ifndef CONFORMANCE_KIT_TRANSFER_H_
#define CONFORMANCE_KIT_TRANSFER_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "conformance/kit/child_exit.h"
#include "ipc/child_process.h"

namespace ipcproof {

// The receiver's exit codes are in kit/child_exit.h's table, which
// DescribeChildExit reads: kTransferReadyFailed, kTransferBadChunkSize and
// kTransferDataMismatch for its failure points, ErrnoExit(errno) for a
// failed receive.

struct TransferResult {
  // How many times send_chunk was called.
  size_t units = 0;
  // From the receiver's "ready" to its exit (after it checked every byte).
  double seconds = 0;
  ipc::WaitStatus receiver_status{0};

  // `bytes` / 10^6 / seconds.
  double MegabytesPerSecond(size_t bytes) const;
};

// Receives one chunk into `buffer` (the `receive_buffer` given to
// MeasureTransfer), leaving the bytes at its start; returns how many, or -1
// with errno set. Runs in the forked child: raw syscalls only, no
// allocation.
using ReceiveChunk = std::function<ssize_t(std::span<std::byte> buffer)>;

// Sends data[offset, offset + n) and returns the bytes sent (1 to n),
// retrying EINTR itself; throws on an error. Runs in the parent.
using SendChunk = std::function<size_t(size_t offset, size_t n)>;

// Forks a receiver that writes one "ready" byte, then calls receive_chunk
// until it has all of `data` (retrying EINTR), comparing each chunk with its
// own copy of `data` (inherited at fork); it exits 0, or with one of the
// kTransfer* codes. The parent waits for "ready", then sends `data` in
// `send_chunk_size`-byte chunks (the last one shorter) and waits for the
// receiver, at most 5 s after the last chunk is sent (then it is killed and
// std::runtime_error says so). `receive_buffer` is allocated by the caller,
// before the fork.
TransferResult MeasureTransfer(std::span<const std::byte> data,
                               std::span<std::byte> receive_buffer,
                               const ReceiveChunk& receive_chunk,
                               size_t send_chunk_size,
                               const SendChunk& send_chunk);

// The spread of `rounds` runs of one transfer: rates on a shared 2-core VM
// are noisy, so a figure is the median of a few runs, with the lowest and
// highest beside it. Each is the rate of one real run (for an even count the
// median is the upper of the two middle runs), never an average.
struct TransferRates {
  double mb_per_s_median = 0;
  double mb_per_s_min = 0;
  double mb_per_s_max = 0;
  size_t units_per_transfer = 0;  // send_chunk calls of the last run
  std::vector<ipc::WaitStatus> receiver_statuses;  // one per run
};

// Runs `transfer` (which moves `bytes` bytes) `rounds` times, in order.
TransferRates MeasureTransferRates(
    int rounds, size_t bytes, const std::function<TransferResult()>& transfer);

// Records "<prefix>.mb_per_s_median", "_min", "_max" and
// "<prefix>.units_per_transfer" as measured figures.
void RecordTransferRates(std::string_view prefix, const TransferRates& rates);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_TRANSFER_H_

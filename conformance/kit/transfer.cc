#include "conformance/kit/transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/time_scale.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/pipe.h"

namespace ipcproof {
namespace {

// How long the receiver may take to drain what is already sent: the data
// is in the kernel by then, so this is generous for any working kernel (at
// time scale 1; ReapWithin scales it).
constexpr std::chrono::milliseconds kReceiverDeadline{5000};

}  // namespace

double TransferResult::MegabytesPerSecond(size_t bytes) const {
  return static_cast<double>(bytes) / 1e6 / seconds;
}

TransferResult MeasureTransfer(std::span<const std::byte> data,
                               std::span<std::byte> receive_buffer,
                               const ReceiveChunk& receive_chunk,
                               size_t send_chunk_size,
                               const SendChunk& send_chunk) {
  ipc::CheckArgument(send_chunk_size > 0, "MeasureTransfer",
                     "send_chunk_size must be positive");
  ipc::CheckArgument(!receive_buffer.empty(), "MeasureTransfer",
                     "receive_buffer is empty");
  ipc::Pipe ready = ipc::Pipe::Create(O_CLOEXEC);
  const int ready_fd = ready.write_fd();
  ipc::ChildProcess receiver = ipc::ChildProcess::Fork([&, ready_fd] {
    if (::write(ready_fd, "r", 1) != 1) return kTransferReadyFailed;
    size_t offset = 0;
    while (offset < data.size()) {
      const ssize_t n = receive_chunk(receive_buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoExit(errno);
      const size_t got = static_cast<size_t>(n);
      if (got == 0 || got > data.size() - offset) return kTransferBadChunkSize;
      if (std::memcmp(receive_buffer.data(), data.data() + offset, got) != 0) {
        return kTransferDataMismatch;
      }
      offset += got;
    }
    return 0;
  });
  ready.CloseWriteEnd();
  std::byte byte;
  ready.ReadExact(std::span(&byte, 1));
  TransferResult result;
  const auto start = std::chrono::steady_clock::now();
  for (size_t offset = 0; offset < data.size();) {
    const size_t n = std::min(send_chunk_size, data.size() - offset);
    const size_t sent = send_chunk(offset, n);
    if (sent == 0 || sent > n) {
      throw std::logic_error("send_chunk returned a count outside [1, n]");
    }
    offset += sent;
    ++result.units;
  }
  // Bounded: a receiver that never finishes (a kernel that loses a chunk)
  // fails this transfer with a message instead of hanging the test to the
  // watchdog.
  const std::optional<ipc::WaitStatus> status =
      ReapWithin(receiver, kReceiverDeadline);
  if (!status) {
    const std::string state = DescribeUnfinishedChild(receiver);
    receiver.Kill();
    throw std::runtime_error(
        "the transfer's receiver did not finish within " +
        DescribeScaledTimeout(kReceiverDeadline) + " after the last of " +
        std::to_string(data.size()) + " bytes was sent; " + state);
  }
  result.receiver_status = *status;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

TransferRates MeasureTransferRates(
    int rounds, size_t bytes, const std::function<TransferResult()>& transfer) {
  ipc::CheckArgument(rounds > 0, "MeasureTransferRates",
                     "rounds must be positive");
  std::vector<double> rates;
  TransferRates result;
  for (int round = 0; round < rounds; ++round) {
    const TransferResult run = transfer();
    rates.push_back(run.MegabytesPerSecond(bytes));
    result.units_per_transfer = run.units;
    result.receiver_statuses.push_back(run.receiver_status);
  }
  std::sort(rates.begin(), rates.end());
  result.mb_per_s_median = rates[rates.size() / 2];
  result.mb_per_s_min = rates.front();
  result.mb_per_s_max = rates.back();
  return result;
}

void RecordTransferRates(std::string_view prefix, const TransferRates& rates) {
  const std::string p(prefix);
  RecordMeasurement(p + ".mb_per_s_median", rates.mb_per_s_median);
  RecordMeasurement(p + ".mb_per_s_min", rates.mb_per_s_min);
  RecordMeasurement(p + ".mb_per_s_max", rates.mb_per_s_max);
  RecordMeasurement(p + ".units_per_transfer", rates.units_per_transfer);
}

}  // namespace ipcproof

// A named transfer (conformance/kit/named_transfers.h) run once under one or
// two eBPF copy counters (bpf/copy_counter.h), the way issue 21's design
// counts it, for the copy tests (copy_count_test) and the count_copies tool:
//
//   const size_t chunk = ChunkFor(transfer.name);     // whole pages
//   const SourceFile source(TransferSize(chunk), seed);
//   CopyCounter* const counters[] = {faults.get(), entry.get()};
//   CountedTransfer run = RunCounted(transfer, source, chunk, counters);
//   Delivered(transfer.name, run.outcome, source);     // every byte arrived
//   MethodsAgree(run.counts[0], run.counts[1]);        // where both started
//
// A (the calling process) counts under kSender while it sends, B (the
// receiver the kit forks) under kReceiver from its first act: one marker per
// counter through TransferSetup::receiver_started. Every user buffer faults
// on each page (TransferSetup::fault_every_page), so the page-fault method
// sees each page the kernel copies, and chunk and size are whole pages, so
// both methods count exact bytes.
#ifndef CONFORMANCE_COPY_COUNTED_TRANSFER_H_
#define CONFORMANCE_COPY_COUNTED_TRANSFER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "bpf/copy_counter.h"
#include "conformance/kit/named_transfers.h"
#include "gtest/gtest.h"

namespace ipcproof {

// The labels of design 21: A, the sender (the calling process), and B, the
// receiver the kit forks.
inline constexpr uint32_t kSender = 1;
inline constexpr uint32_t kReceiver = 2;

// The smallest transfer, and the largest chunk one call moves.
inline constexpr size_t kMinTransferSize = 1024 * 1024;
inline constexpr size_t kChunk = 64 * 1024;

// The chunk for `transfer`: kChunk, or less where one message must carry it
// (msgop(2): EINVAL above msgmax, and a queue holds msgmnb bytes;
// mq_overview(7): mq_msgsize at most msgsize_max), rounded down to whole
// pages so every copy is of whole pages. Reads the limits in the calling
// process's IPC namespace: call it in the one the transfer runs in. 0 when
// the limits leave less than a page.
size_t ChunkFor(std::string_view transfer);

// At least kMinTransferSize and four of the largest channel buffer (pipe
// capacity, SO_SNDBUF: read from the kernel, so A waits on a full channel
// many times), in whole chunks.
size_t TransferSize(size_t chunk);

struct CountedTransfer {
  TransferOutcome outcome;
  size_t size = 0;
  size_t chunk = 0;
  // One per counter, in the order given.
  std::vector<bpf::CopyCounts> counts;
};

// Runs `transfer` on `source` in whole `chunk`s with every user buffer
// faulting on each page, A counted under kSender while it sends (and not
// while the kit prepares the channel or reads the sink back), B under
// kReceiver for its whole life. Resets each counter first. At most two
// counters (std::invalid_argument). Throws TransferUnavailable from prepare.
CountedTransfer RunCounted(const NamedTransfer& transfer,
                           const SourceFile& source, size_t chunk,
                           std::span<bpf::CopyCounter* const> counters);

// The sink holds the source, byte for byte, and B's own count agrees.
::testing::AssertionResult Delivered(std::string_view transfer,
                                     const TransferOutcome& outcome,
                                     const SourceFile& source);

// Per process and direction, the function-entry bytes against the page-fault
// bytes that a routine of the table explains, of one run with both counters
// attached. The function-entry counter counts every byte its routines move;
// the page-fault counter the pages a call touched, and only where a page
// faulted. Where every call moves whole pages from a page-aligned buffer
// (A's side of every transfer, B's side of the pipe, the queues and shared
// memory) the two are equal, but for two things smaller than a page: B's
// 24-byte report to the kit through a pipe, into memory already mapped
// (function entry sees it, page faults cannot), and the kernel's stray user
// accesses outside the table (page faults see them as unattributed, which
// is left out here). A stream socket's reader gets whatever has arrived, so
// B's reads and writes on the socket transfers end mid-page: each such call
// touches up to one page more than it moves (and the next call faults on
// that page again, its buffer having been dropped). So: function entry may
// exceed page faults by less than a page, and page faults may exceed
// function entry by less than a page per call they counted. Also: every
// routine the page faults name must be one function entry saw copying, and
// neither method dropped an event.
::testing::AssertionResult MethodsAgree(const bpf::CopyCounts& faults,
                                        const bpf::CopyCounts& entry);

}  // namespace ipcproof

#endif  // CONFORMANCE_COPY_COUNTED_TRANSFER_H_

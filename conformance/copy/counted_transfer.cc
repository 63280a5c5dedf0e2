#include "conformance/copy/counted_transfer.h"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>

#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/sysctl.h"
#include "ipc/child_process.h"

namespace ipcproof {
namespace {

using bpf::CopyCounter;
using bpf::CopyCounts;
using bpf::CopyDirection;
using bpf::ProcessCopies;
using bpf::RoutineCopies;

size_t RoundUp(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// What B follows under, passed to it as TransferSetup::receiver_context.
struct ReceiverFollow {
  std::array<const CopyCounter*, 2> counters{};
  size_t count = 0;
};

// TransferSetup::receiver_started: B's first act after the fork. One marker
// system call per counter, async-signal-safe.
void FollowAsReceiver(const void* context) {
  const auto* follow = static_cast<const ReceiverFollow*>(context);
  for (size_t i = 0; i < follow->count; ++i) {
    follow->counters[i]->Follow(kReceiver);
  }
}

uint64_t BytesIn(const ProcessCopies& process, CopyDirection direction) {
  return direction == CopyDirection::kToUser ? process.to_user_bytes
                                             : process.from_user_bytes;
}

}  // namespace

size_t ChunkFor(std::string_view transfer) {
  size_t chunk = kChunk;
  if (transfer == "sysv_msg") {
    chunk = std::min<size_t>(
        {chunk, static_cast<size_t>(ReadSysctl("kernel/msgmax")),
         static_cast<size_t>(ReadSysctl("kernel/msgmnb"))});
  } else if (transfer == "posix_mq") {
    chunk = std::min<size_t>(
        chunk, static_cast<size_t>(ReadSysctl("fs/mqueue/msgsize_max")));
  }
  const size_t page = SystemPageSize();
  return chunk / page * page;
}

size_t TransferSize(size_t chunk) {
  return RoundUp(std::max(kMinTransferSize, 4 * LargestChannelBuffer()), chunk);
}

CountedTransfer RunCounted(const NamedTransfer& transfer,
                           const SourceFile& source, size_t chunk,
                           std::span<CopyCounter* const> counters) {
  ReceiverFollow follow;
  if (counters.size() > follow.counters.size()) {
    throw std::invalid_argument("RunCounted: at most two counters at once");
  }
  for (CopyCounter* counter : counters) {
    follow.counters[follow.count++] = counter;
    counter->Reset();
  }
  TransferSetup setup = source.Setup(chunk);
  setup.fault_every_page = true;
  setup.receiver_started = &FollowAsReceiver;
  setup.receiver_context = &follow;

  CountedTransfer run;
  run.size = setup.size;
  run.chunk = chunk;
  std::unique_ptr<PreparedTransfer> prepared = transfer.prepare(setup);
  int code;
  {
    // A's deadline, as RunTransfer's: SIGALRM interrupts a write that
    // never gets room. Armed before A is followed, disarmed after.
    ScopedAlarmDeadline deadline;
    deadline.Arm(kTransferDeadline);
    for (CopyCounter* counter : counters) counter->Follow(kSender);
    code = prepared->Send();
    for (CopyCounter* counter : counters) counter->Follow(0);
  }
  run.outcome = prepared->Finish(ipc::WaitStatus(code << 8));
  for (CopyCounter* counter : counters) run.counts.push_back(counter->Read());
  return run;
}

::testing::AssertionResult Delivered(std::string_view transfer,
                                     const TransferOutcome& outcome,
                                     const SourceFile& source) {
  if (!outcome.ok()) {
    return ::testing::AssertionFailure() << transfer << ": " << outcome.error;
  }
  if (outcome.received != source.bytes()) {
    return ::testing::AssertionFailure()
           << transfer << ": the sink holds " << outcome.received.size()
           << " bytes, not the source's " << source.bytes().size()
           << " bytes exactly";
  }
  if (outcome.receiver_bytes != source.bytes().size() ||
      (outcome.receiver_checksum &&
       *outcome.receiver_checksum != TransferChecksum(source.bytes()))) {
    return ::testing::AssertionFailure()
           << transfer << ": the receiver counted " << outcome.receiver_bytes
           << " bytes (or a different checksum) for a source of "
           << source.bytes().size() << " bytes";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MethodsAgree(const CopyCounts& faults,
                                        const CopyCounts& entry) {
  const uint64_t page = SystemPageSize();
  std::string problems;
  for (uint32_t label : {kSender, kReceiver}) {
    const ProcessCopies by_faults = faults.Of(label);
    const ProcessCopies by_entry = entry.Of(label);
    for (CopyDirection direction :
         {CopyDirection::kToUser, CopyDirection::kFromUser}) {
      uint64_t explained = 0;
      uint64_t calls = 0;
      for (const RoutineCopies& copies : by_faults.routines) {
        if (copies.routine.empty() || copies.direction != direction) continue;
        explained += copies.bytes;
        calls += copies.calls;
      }
      const uint64_t counted = BytesIn(by_entry, direction);
      if (counted >= explained + page || explained > counted + calls * page) {
        problems +=
            "process " + std::to_string(label) + " " +
            std::string(bpf::CopyDirectionName(direction)) + ": page faults " +
            std::to_string(explained) + " bytes in " + std::to_string(calls) +
            " call(s), function entry " + std::to_string(counted) + " bytes\n";
      }
    }
    for (const RoutineCopies& copies : by_faults.routines) {
      if (copies.routine.empty() || copies.bytes == 0) continue;
      if (by_entry.BytesOf(copies.routine, copies.direction) == 0) {
        problems += "process " + std::to_string(label) + ": page faults name " +
                    copies.routine + " (" +
                    std::string(bpf::CopyDirectionName(copies.direction)) +
                    ", " + std::to_string(copies.bytes) +
                    " bytes), which function entry did not see copying\n";
      }
    }
  }
  if (faults.dropped_events != 0 || entry.dropped_events != 0) {
    problems += "events dropped: " + std::to_string(faults.dropped_events) +
                " by page faults, " + std::to_string(entry.dropped_events) +
                " by function entry\n";
  }
  if (problems.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the two methods disagree:\n"
         << problems << DescribeCopies(faults) << DescribeCopies(entry);
}

}  // namespace ipcproof

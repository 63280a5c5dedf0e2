// Every named transfer (conformance/kit/named_transfers.h) delivers exactly
// the source's bytes: file -> socket by read+write, mmap+write, sendfile and
// splice (Unix stream socketpair and TCP loopback), file -> pipe -> file by
// read+write and by splice, through a System V and a POSIX queue, and
// through shared memory with a semaphore handoff.
//
// What pins it: read(2), write(2), sendfile(2) and splice(2) each return the
// bytes they moved, and a stream (pipe(7), unix(7), tcp(7)) delivers bytes
// in order, without loss or duplication; msgrcv(2) and mq_receive(3) return
// whole messages in FIFO order. So the sink must hold the source byte for
// byte. The source is Pattern (kit/bytes.h), which has no period: a chunk
// lost, repeated or delivered at the wrong offset never compares equal.
//
// Sizes: 1 byte; one page less one, one page, one page plus one (a short
// last page, for mmap+write and splice's page-granular moves); 64 KiB + 1
// (one byte past a default pipe, a second chunk of one byte); and three
// times the largest channel buffer (max of F_GETPIPE_SZ and SO_SNDBUF, read
// from the kernel), plus one, so the sender must block on a full buffer and
// be woken by the receiver many times. Page size from sysconf.
//
// Bugs that fail it: a splice or sendfile that returns more than it moved
// (or moves a page past EOF), an off-by-one in a partial last page, a lost
// wake-up of a writer on a full socket or pipe (the receiver's alarm or the
// sender's SIGALRM deadline then fails the case, it does not hang), a queue
// that reorders or truncates messages, a zero-length message taken for
// none.
//
// Queue transfers run in a private IPC namespace (kit/namespaces.h); the
// POSIX queue's name comes from UniqueIpcName and is unlinked at once.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "conformance/kit/claims.h"
#include "conformance/kit/named_transfers.h"
#include "conformance/kit/namespaces.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof {
namespace {

// A size, some fixed and some read from the kernel at run time.
enum class SizeKind {
  kOne,
  kPageMinusOne,
  kPage,
  kPagePlusOne,
  k64KiBPlusOne,
  kThreeBuffers,
  kThreeBuffersPlusOne,
};

std::string SizeName(SizeKind kind) {
  switch (kind) {
    case SizeKind::kOne:
      return "1";
    case SizeKind::kPageMinusOne:
      return "PageMinus1";
    case SizeKind::kPage:
      return "Page";
    case SizeKind::kPagePlusOne:
      return "PagePlus1";
    case SizeKind::k64KiBPlusOne:
      return "64KiBPlus1";
    case SizeKind::kThreeBuffers:
      return "ThreeBuffers";
    case SizeKind::kThreeBuffersPlusOne:
      return "ThreeBuffersPlus1";
  }
  return "?";
}

size_t SizeOf(SizeKind kind) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  switch (kind) {
    case SizeKind::kOne:
      return 1;
    case SizeKind::kPageMinusOne:
      return page - 1;
    case SizeKind::kPage:
      return page;
    case SizeKind::kPagePlusOne:
      return page + 1;
    case SizeKind::k64KiBPlusOne:
      return 65536 + 1;
    case SizeKind::kThreeBuffers:
      return 3 * LargestChannelBuffer();
    case SizeKind::kThreeBuffersPlusOne:
      return 3 * LargestChannelBuffer() + 1;
  }
  return 0;
}

// The chunk every transfer moves per call (queues: at most their largest
// message): a default pipe's worth.
constexpr size_t kChunk = 64 * 1024;

struct Case {
  const NamedTransfer* transfer;
  SizeKind size;
};

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const NamedTransfer& transfer : AllTransfers()) {
    for (SizeKind size :
         {SizeKind::kOne, SizeKind::kPageMinusOne, SizeKind::kPage,
          SizeKind::kPagePlusOne, SizeKind::k64KiBPlusOne,
          SizeKind::kThreeBuffers, SizeKind::kThreeBuffersPlusOne}) {
      cases.push_back({&transfer, size});
    }
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name(info.param.transfer->name);
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name + "_" + SizeName(info.param.size);
}

// Where the first difference is, for a failure message.
std::string FirstDifference(const std::vector<char>& expected,
                            const std::vector<char>& received) {
  const size_t common = std::min(expected.size(), received.size());
  for (size_t i = 0; i < common; ++i) {
    if (expected[i] != received[i]) {
      return "first difference at byte " + std::to_string(i);
    }
  }
  return expected.size() == received.size()
             ? "no difference"
             : "equal up to byte " + std::to_string(common);
}

class TransferTest : public ::testing::TestWithParam<Case> {};

TEST_P(TransferTest, SinkHoldsExactlyTheSourceBytes) {
  CLAIM("copy.beyond.every-path-delivers-exact-bytes");
  const NamedTransfer& transfer = *GetParam().transfer;
  if (transfer.kind == TransferKind::kMessageQueue) {
    ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  }
  const size_t size = SizeOf(GetParam().size);
  ASSERT_GT(size, 0u);
  const SourceFile source(size, /*seed=*/static_cast<unsigned>(size));

  TransferOutcome outcome;
  try {
    outcome = RunTransfer(transfer, source.Setup(kChunk));
  } catch (const TransferUnavailable& unavailable) {
    SKIP_UNVERIFIED(unavailable.what());
  }
  ASSERT_TRUE(outcome.ok())
      << transfer.name << " (" << transfer.calls << "): " << outcome.error;
  EXPECT_EQ(outcome.receiver_bytes, size)
      << "the receiver's own count of what it took out of the channel";
  EXPECT_EQ(outcome.received.size(), size) << "bytes in the sink file";
  if (outcome.receiver_checksum) {
    EXPECT_EQ(*outcome.receiver_checksum, TransferChecksum(source.bytes()))
        << "the receiver's checksum of what it took out of the channel";
  }
  EXPECT_EQ(TransferChecksum(outcome.received),
            TransferChecksum(source.bytes()));
  EXPECT_TRUE(outcome.received == source.bytes())
      << FirstDifference(source.bytes(), outcome.received);
  RecordMeasurement("transfer.bytes", size);
}

INSTANTIATE_TEST_SUITE_P(TransfersAndSizes, TransferTest,
                         ::testing::ValuesIn(AllCases()), CaseName);

}  // namespace
}  // namespace ipcproof

// A bounded many-senders-many-receivers run over one System V message
// queue (the mq.* claims of docs/claims.json; LTP's msgstress01-04 and
// msgctl08-11, gVisor's MsgqueueTest.MsgOpGeneral; map in
// docs/peers/sysv_msg.md), and what a kill in the middle of one leaves.
//
// Several sender processes and several receiver processes share a queue.
// Each message carries its sender, its sequence number, its length and a
// checksum of its bytes, and is typed for one receiver (msgtyp = receiver +
// 1), so the kernel routes by type while senders and receivers block and
// wake each other on a 16 KiB queue (do_msgsnd's ss_add / ss_wakeup,
// pipelined_send to receivers already asleep, find_msg's SEARCH_EQUAL).
// Asserted: every message is delivered exactly once, to the receiver it was
// typed for, intact, and in its sender's order. Bounded: a fixed message
// count, a run of some tens of milliseconds, and a deadline after which the
// run is killed and the test fails.
//
// The run is played by a child of the test (the runner) that enters an IPC
// namespace of its own and forks the workers with raw fork(2). Every worker
// has PR_SET_PDEATHSIG(SIGKILL), so killing the runner kills them, and the
// namespace — with the queue in it — goes when its last process does. LTP's
// msgstress, killed by its time limit, could leave a thousand queues on the
// host; this one, killed, leaves nothing, and the second test proves it.
//
// After fork, the runner and the workers make only raw system calls and
// lock-free atomic updates of a shared anonymous mapping made before the
// fork; they report through that mapping and their exit status
// (kit/child_exit.h: 1..99 this file's failure points, ErrnoExit).
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/subreaper.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::WaitStatus;
using ::testing::IsEmpty;

constexpr int kSenders = 3;
constexpr int kReceivers = 3;
constexpr int kWorkers = kSenders + kReceivers;
// Each sender sends this many, round-robin over the receivers (a multiple
// of kReceivers, so each receiver expects the same number).
constexpr int kPerSender = 1500;
constexpr int kPerReceiver = kSenders * kPerSender / kReceivers;
static_assert(kPerSender % kReceivers == 0);
constexpr size_t kMaxPayload = 512;

// The whole run takes some tens of milliseconds on this 2-core VM; one that
// has not finished after this long (at time scale 1: ScaledTimeout of it,
// kit/time_scale.h) has lost a message or a wake-up.
constexpr std::chrono::milliseconds kRunDeadline{5000};

// ---------------------------------------------------------------------------
// The message.

struct StressHeader {
  uint32_t sender;
  uint32_t seq;
  uint32_t length;  // payload bytes
  uint32_t checksum;
};

struct StressMessage {
  long mtype;
  StressHeader header;
  unsigned char payload[kMaxPayload];
};

// Deterministic per message, so a receiver can check it without being told.
uint32_t PayloadLength(uint32_t sender, uint32_t seq) {
  return 1 + (sender * 7919u + seq * 104729u) % kMaxPayload;
}

unsigned char PayloadByte(uint32_t sender, uint32_t seq, uint32_t i) {
  return static_cast<unsigned char>(sender * 31u + seq * 17u + i * 7u);
}

// FNV-1a over the header's identity and the payload.
uint32_t Checksum(const StressHeader& h, const unsigned char* payload) {
  uint32_t sum = 2166136261u;
  const auto mix = [&sum](uint32_t byte) {
    sum ^= byte & 0xff;
    sum *= 16777619u;
  };
  for (uint32_t word : {h.sender, h.seq, h.length}) {
    for (int shift = 0; shift < 32; shift += 8) mix(word >> shift);
  }
  for (uint32_t i = 0; i < h.length; ++i) mix(payload[i]);
  return sum;
}

int ReceiverFor(uint32_t sender, uint32_t seq) {
  return static_cast<int>((seq + sender) % kReceivers);
}

// ---------------------------------------------------------------------------
// The board: shared anonymous memory, made before any fork.

struct StressBoard {
  std::atomic<int> queue_id{-1};
  std::atomic<pid_t> pids[kWorkers] = {};
  std::atomic<int> statuses[kWorkers] = {};  // raw wait status
  std::atomic<bool> reaped[kWorkers] = {};   // statuses[i] is valid
  std::atomic<uint32_t> sent[kSenders] = {};
  std::atomic<uint32_t> received[kReceivers] = {};
  std::atomic<uint32_t> delivered[kSenders][kPerSender] = {};
};
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// The board in a MAP_SHARED | MAP_ANONYMOUS mapping, which forked children
// share and which goes with the last process that maps it.
class SharedBoard {
 public:
  SharedBoard() {
    void* p = ::mmap(nullptr, sizeof(StressBoard), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) ipc::ThrowErrno("mmap(MAP_SHARED|MAP_ANONYMOUS)");
    board_ = new (p) StressBoard();
  }
  ~SharedBoard() {
    board_->~StressBoard();
    ::munmap(board_, sizeof(StressBoard));
  }
  SharedBoard(const SharedBoard&) = delete;
  SharedBoard& operator=(const SharedBoard&) = delete;
  StressBoard* operator->() const { return board_; }
  StressBoard* get() const { return board_; }

 private:
  StressBoard* board_ = nullptr;
};

// ---------------------------------------------------------------------------
// Workers (forked children: raw system calls and atomics only).

// Receiver exit codes.
constexpr int kWrongType = 1;
constexpr int kWrongLength = 2;
constexpr int kUnknownMessage = 3;  // sender or seq out of range
constexpr int kWrongReceiver = 4;   // typed for another receiver
constexpr int kBadChecksum = 5;
constexpr int kOutOfOrder = 6;  // a sender's messages out of order
constexpr int kDuplicate = 7;   // delivered before
// Runner exit codes.
constexpr int kWorkerFailed = 20;  // statuses[] says which and how
constexpr int kForkFailed = 21;

int Send(StressBoard* board, int id, uint32_t sender) {
  StressMessage m;
  for (uint32_t seq = 0; seq < kPerSender; ++seq) {
    m.mtype = ReceiverFor(sender, seq) + 1;
    m.header.sender = sender;
    m.header.seq = seq;
    m.header.length = PayloadLength(sender, seq);
    for (uint32_t i = 0; i < m.header.length; ++i) {
      m.payload[i] = PayloadByte(sender, seq, i);
    }
    m.header.checksum = Checksum(m.header, m.payload);
    const size_t size = sizeof(StressHeader) + m.header.length;
    while (::msgsnd(id, &m, size, 0) != 0) {
      if (errno != EINTR) return ErrnoExit(errno);
    }
    board->sent[sender].fetch_add(1);
  }
  return 0;
}

int Receive(StressBoard* board, int id, int receiver, int expected) {
  int64_t last_seq[kSenders];
  for (int64_t& seq : last_seq) seq = -1;
  StressMessage m;
  for (int got = 0; got < expected; ++got) {
    ssize_t n;
    while ((n = ::msgrcv(id, &m, sizeof(StressHeader) + kMaxPayload,
                         receiver + 1, 0)) < 0) {
      if (errno != EINTR) return ErrnoExit(errno);
    }
    const StressHeader& h = m.header;
    if (m.mtype != receiver + 1) return kWrongType;
    if (h.sender >= kSenders || h.seq >= kPerSender) return kUnknownMessage;
    if (ReceiverFor(h.sender, h.seq) != receiver) return kWrongReceiver;
    if (h.length != PayloadLength(h.sender, h.seq) ||
        static_cast<size_t>(n) != sizeof(StressHeader) + h.length) {
      return kWrongLength;
    }
    if (h.checksum != Checksum(h, m.payload)) return kBadChecksum;
    for (uint32_t i = 0; i < h.length; ++i) {
      if (m.payload[i] != PayloadByte(h.sender, h.seq, i)) return kBadChecksum;
    }
    // One sender's messages to one type leave the queue in the order they
    // entered it (find_msg takes the first match from the head).
    if (static_cast<int64_t>(h.seq) <= last_seq[h.sender]) return kOutOfOrder;
    last_seq[h.sender] = h.seq;
    if (board->delivered[h.sender][h.seq].fetch_add(1) != 0) return kDuplicate;
    board->received[receiver].fetch_add(1);
  }
  return 0;
}

// The runner: a namespace and a queue of its own, then the workers. Each
// receiver waits for `per_receiver` messages; more than the senders send
// leaves them asleep at the end (the kill test). Records each worker's
// status on the board as it ends.
int RunStress(StressBoard* board, int per_receiver) {
  if (::unshare(CLONE_NEWIPC) != 0) return ErrnoExit(errno);
  const int id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (id < 0) return ErrnoExit(errno);
  board->queue_id.store(id);
  const pid_t runner = ::getpid();
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = ::fork();
    if (pid < 0) return kForkFailed;
    if (pid == 0) {
      // Die with the runner, also if it died before this line.
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(ErrnoExit(errno));
      if (::getppid() != runner) ::_exit(kForkFailed);
      ::_exit(w < kSenders ? Send(board, id, static_cast<uint32_t>(w))
                           : Receive(board, id, w - kSenders, per_receiver));
    }
    board->pids[w].store(pid);
  }
  // Reaps the workers as they end. The first that fails removes the queue:
  // that wakes every other worker with EIDRM (freeque), so a receiver left
  // waiting for a dead sender's messages, or a sender for a dead receiver's
  // room, ends at once instead of at the test's deadline.
  bool all_zero = true;
  for (int left = kWorkers; left > 0; --left) {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, 0)) < 0) {
      if (errno != EINTR) return ErrnoExit(errno);
    }
    for (int w = 0; w < kWorkers; ++w) {
      if (board->pids[w].load() != pid) continue;
      board->statuses[w].store(status);
      board->reaped[w].store(true);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (all_zero) ::msgctl(id, IPC_RMID, nullptr);
      all_zero = false;
    }
  }
  ::msgctl(id, IPC_RMID, nullptr);
  return all_zero ? 0 : kWorkerFailed;
}

std::string WorkerName(int w) {
  return w < kSenders ? "sender " + std::to_string(w)
                      : "receiver " + std::to_string(w - kSenders);
}

// What the board says about each worker, for a failure message.
std::string Progress(const StressBoard& board) {
  std::string text;
  for (int w = 0; w < kWorkers; ++w) {
    text += "\n  " + WorkerName(w) + " (pid " +
            std::to_string(board.pids[w].load()) + "): ";
    text += w < kSenders
                ? "sent " + std::to_string(board.sent[w].load()) + " of " +
                      std::to_string(kPerSender)
                : "received " +
                      std::to_string(board.received[w - kSenders].load()) +
                      " of " + std::to_string(kPerReceiver);
    text += board.reaped[w].load()
                ? ", " + DescribeChildExit(WaitStatus(board.statuses[w].load()))
                : ", not reaped";
  }
  return text;
}

// After the runner is killed, its workers are orphans. The test process is
// a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER), so they become its
// children (not the supervisor's, or init's), and it reaps them here: each
// one the runner had not reaped must end within the deadline (killed by
// PR_SET_PDEATHSIG), and ends up reaped, not left as a zombie. Returns how
// each ended.
std::vector<WaitStatus> ReapOrphanedWorkers(const StressBoard& board) {
  std::vector<WaitStatus> ended;
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = board.pids[w].load();
    if (pid <= 0 || board.reaped[w].load()) continue;
    EXPECT_TRUE(WaitUntilExited(pid, kRunDeadline))
        << WorkerName(w) << " outlived the runner";
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ended.emplace_back(status);
    } else {
      ADD_FAILURE() << WorkerName(w) << " (pid " << pid
                    << ") was not handed to this subreaper: "
                    << ErrnoName(errno);
    }
  }
  return ended;
}

// Polls the board until `done` holds, for at most kRunDeadline, failing at
// once if the runner ends first (it then never will).
template <typename Done>
::testing::AssertionResult SoonOnTheBoard(ChildProcess& runner,
                                          const StressBoard& board,
                                          const char* what, Done done) {
  const auto deadline =
      std::chrono::steady_clock::now() + ScaledTimeout(kRunDeadline);
  while (!done()) {
    if (const std::optional<WaitStatus> ended = runner.TryWait()) {
      return ::testing::AssertionFailure()
             << "waiting for " << what << ", the runner "
             << DescribeChildExit(*ended) << Progress(board);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << what << " not within " << DescribeScaledTimeout(kRunDeadline)
             << Progress(board);
    }
    ::sched_yield();
  }
  return ::testing::AssertionSuccess();
}

class SysvMsgStressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
    ASSERT_TRUE(subreaper_.ok()) << ErrnoName(subreaper_.error());
  }

 private:
  // For ReapOrphanedWorkers; restored after each test.
  const ScopedChildSubreaper subreaper_;
};

// kSenders senders and kReceivers receivers, kSenders * kPerSender messages
// of 1 to 512 bytes through one default-sized queue, each typed for one
// receiver: every message arrives exactly once, at its receiver, intact and
// in its sender's order, and every worker and the runner exit 0 within the
// deadline.
TEST_F(SysvMsgStressTest, ManySendersAndReceiversDeliverEachMessageOnce) {
  CLAIM("mq.kernel-list-of-blocks", "mq.beyond.type-selection",
        "mq.beyond.stress-exactly-once");
  SharedBoard board;
  StressBoard* const b = board.get();
  const auto start = std::chrono::steady_clock::now();
  ChildProcess runner =
      ChildProcess::Fork([b] { return RunStress(b, kPerReceiver); });
  const std::optional<WaitStatus> finished = ReapWithin(runner, kRunDeadline);
  if (!finished) {
    const std::string state = DescribeUnfinishedChild(runner);
    runner.Kill();
    ReapOrphanedWorkers(*b);
    FAIL() << "the run did not finish within "
           << DescribeScaledTimeout(kRunDeadline) << ": " << state
           << Progress(*b);
  }
  const WaitStatus status = *finished;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(ExitedWithZero(status)) << "the runner" << Progress(*b);

  int missing = 0;
  int duplicated = 0;
  for (int s = 0; s < kSenders; ++s) {
    for (int seq = 0; seq < kPerSender; ++seq) {
      const uint32_t times = b->delivered[s][seq].load();
      if (times == 0) ++missing;
      if (times > 1) ++duplicated;
    }
  }
  EXPECT_EQ(missing, 0) << "messages never delivered";
  EXPECT_EQ(duplicated, 0) << "messages delivered twice";
  for (int r = 0; r < kReceivers; ++r) {
    EXPECT_EQ(b->received[r].load(), static_cast<uint32_t>(kPerReceiver))
        << "receiver " << r;
  }
  RecordMeasurement("stress_messages_delivered",
                    static_cast<int64_t>(kSenders) * kPerSender - missing);
  RecordMeasurement("stress_run_seconds", seconds);
}

// The same run killed in the middle: every receiver asks for one message
// more than the senders send, so once the senders are done the receivers
// sleep in msgrcv for ever — the moment LTP's time limit would strike. The
// runner is killed with SIGKILL. Then the workers die too, by SIGKILL
// (PR_SET_PDEATHSIG), and are reaped here (ReapOrphanedWorkers), no process
// is left in the run's IPC namespace, so the namespace and its
// queue are gone (free_ipc_ns when its last process leaves; nothing else
// holds it), and this test's own namespace never had a queue.
TEST_F(SysvMsgStressTest, ARunKilledMidwayLeavesNoProcessAndNoQueue) {
  CLAIM("mq.beyond.namespace-bounds-persistence");
  SharedBoard board;
  StressBoard* const b = board.get();
  ChildProcess runner =
      ChildProcess::Fork([b] { return RunStress(b, kPerReceiver + 1); });
  // The workers exist once the runner has published every pid.
  ASSERT_TRUE(SoonOnTheBoard(runner, *b, "every worker forked", [b] {
    return b->pids[kWorkers - 1].load() != 0;
  }));
  const std::string run_namespace =
      ReadLinkOrEmpty("/proc/" + std::to_string(runner.pid()) + "/ns/ipc");
  ASSERT_FALSE(run_namespace.empty());
  ASSERT_NE(run_namespace, ReadLinkOrEmpty("/proc/self/ns/ipc"))
      << "the runner shares this test's IPC namespace";
  // The senders are done and the runner has reaped and recorded them, so
  // what is left to die with it is the receivers.
  ASSERT_TRUE(SoonOnTheBoard(runner, *b, "the senders reaped", [b] {
    for (int w = 0; w < kSenders; ++w) {
      if (!b->reaped[w].load()) return false;
    }
    return true;
  }));
  for (int w = 0; w < kSenders; ++w) {
    EXPECT_TRUE(ExitedWithZero(WaitStatus(b->statuses[w].load())))
        << WorkerName(w);
  }
  for (int r = 0; r < kReceivers; ++r) {
    ASSERT_TRUE(WaitUntilBlockedIn(b->pids[kSenders + r].load(), SYS_msgrcv))
        << WorkerName(kSenders + r) << Progress(*b);
    EXPECT_EQ(b->received[r].load(), static_cast<uint32_t>(kPerReceiver));
  }

  const WaitStatus killed = runner.Kill();
  EXPECT_TRUE(killed.KilledBy(SIGKILL)) << DescribeChildExit(killed);
  const std::vector<WaitStatus> orphans = ReapOrphanedWorkers(*b);
  EXPECT_EQ(orphans.size(), static_cast<size_t>(kReceivers))
      << "the sleeping receivers, orphaned by the kill";
  for (const WaitStatus& status : orphans) {
    EXPECT_TRUE(status.KilledBy(SIGKILL))
        << "an orphaned receiver " << DescribeChildExit(status)
        << " instead of dying by PR_SET_PDEATHSIG";
  }
  std::vector<pid_t> left;
  for (pid_t pid : ListPids()) {
    if (ReadLinkOrEmpty("/proc/" + std::to_string(pid) + "/ns/ipc") ==
        run_namespace) {
      left.push_back(pid);
    }
  }
  EXPECT_THAT(left, IsEmpty())
      << "processes still in the run's IPC namespace " << run_namespace;
  EXPECT_THAT(ListSysvMessageQueues(), IsEmpty())
      << "the run's queue appeared in this test's namespace";
}

}  // namespace
}  // namespace ipcproof

// What the POSIX message-queue suites (posix_mq_*_test.cc) share: queue
// names, the IPC namespace's fs/mqueue sysctls, owners for raw queue names
// and descriptors, sends and receives that cannot sleep, and the fixture
// that gives every test a private IPC namespace. Bounded waits for children
// and for pipe reports are the kit's (kit/child_exit.h ReapWithin and
// ExitsWithZeroWithin, kit/deadline_io.h PollWithin, kit/child_io.h).
//
// Fail fast. A test never calls a blocking mq_send / mq_receive in the test
// process to check that data is there: SendNow and ReceiveNow pass an
// absolute timeout that has already expired, which the kernel looks at only
// when it would sleep (ipc/mqueue.c, wq_sleep): with room or a message they
// complete, otherwise they fail ETIMEDOUT at once. A broken kernel then fails
// the one test with a message instead of hanging it to the watchdog.
#ifndef CONFORMANCE_MQ_POSIX_MQ_UTIL_H_
#define CONFORMANCE_MQ_POSIX_MQ_UTIL_H_

#include <mqueue.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "conformance/kit/namespaces.h"
#include "gtest/gtest.h"

namespace ipcproof {

inline constexpr mqd_t kNoQueue = static_cast<mqd_t>(-1);

// mq_overview(7): "Since Linux 3.5" msg_max's upper limit HARD_MSGMAX is
// 65,536 and msgsize_max's HARD_MSGSIZEMAX is 16,777,216; the minimums are 1
// and 128. The kernel reports none of these, so the documented values.
inline constexpr int64_t kHardMsgMax = 65536;
inline constexpr int64_t kHardMsgsizeMax = 16777216;
inline constexpr int64_t kMinMsgMax = 1;
inline constexpr int64_t kMinMsgsizeMax = 128;

// A fresh queue name. The namespace is private, so uniqueness only matters
// within the test.
std::string UniqueQueueName(std::string_view stem = "q");

// /proc/sys/fs/mqueue/* of the caller's IPC namespace.
struct MqSysctls {
  int64_t msg_default;
  int64_t msg_max;
  int64_t msgsize_default;
  int64_t msgsize_max;
  int64_t queues_max;

  // mq_overview(7): "A new queue's default mq_maxmsg value will be the
  // smaller of msg_default and msg_max", and "If msgsize_default exceeds
  // msgsize_max, a new queue's default mq_msgsize value is capped to the
  // msgsize_max limit."
  int64_t default_maxmsg() const;
  int64_t default_msgsize() const;
};

MqSysctls ReadMqSysctls();

// Records the five sysctls as measured figures "fs.mqueue.<name>".
void RecordSysctls(const MqSysctls& sysctls);

// getrlimit(RLIMIT_MSGQUEUE); throws on failure.
rlimit MsgqueueRlimit();

// mq_getattr; throws std::system_error on failure.
mq_attr QueueAttributes(mqd_t mqd);
long CurrentMessages(mqd_t mqd);

// Unlinks a queue name on scope exit: for queues made with raw mq_open,
// where the test must be able to close every descriptor and keep the name.
class ScopedQueueName {
 public:
  explicit ScopedQueueName(std::string name) : name_(std::move(name)) {}
  ~ScopedQueueName();
  ScopedQueueName(const ScopedQueueName&) = delete;
  ScopedQueueName& operator=(const ScopedQueueName&) = delete;
  const std::string& name() const { return name_; }
  const char* c_str() const { return name_.c_str(); }

 private:
  std::string name_;
};

// A raw queue descriptor, closed on scope exit.
class ScopedMqd {
 public:
  explicit ScopedMqd(mqd_t mqd = kNoQueue) : mqd_(mqd) {}
  ~ScopedMqd() { Close(); }
  ScopedMqd(const ScopedMqd&) = delete;
  ScopedMqd& operator=(const ScopedMqd&) = delete;
  mqd_t get() const { return mqd_; }
  bool valid() const { return mqd_ != kNoQueue; }
  void Reset(mqd_t mqd) {
    Close();
    mqd_ = mqd;
  }
  void Close();

 private:
  mqd_t mqd_;
};

// An absolute CLOCK_REALTIME time that has always passed (the Epoch).
// mq_timedsend(3) / mq_timedreceive(3) with it complete when they can and
// fail ETIMEDOUT instead of sleeping: "If the timeout has already expired by
// the time of the call, and the queue is full [empty], then
// mq_timedsend() [mq_timedreceive()] returns immediately."
inline constexpr timespec kAlreadyExpired{0, 0};

// One mq_timedsend with kAlreadyExpired. Fails (naming the errno) when the
// kernel refuses; never sleeps.
::testing::AssertionResult SendNow(mqd_t mqd, std::string_view data,
                                   unsigned priority = 0);

// `count` messages "<stem>0", "<stem>1", ... with SendNow; stops at the
// first refusal, saying which.
::testing::AssertionResult SendNowNumbered(mqd_t mqd, long count,
                                           std::string_view stem = "m",
                                           unsigned priority = 0);

struct Message {
  std::string data;
  unsigned priority = 0;
};

// One mq_timedreceive with kAlreadyExpired into a buffer of the queue's
// mq_msgsize: the message that is queued now. Fails (ETIMEDOUT: the queue was
// empty) instead of sleeping.
::testing::AssertionResult ReceiveNow(mqd_t mqd, Message* message);

// ReceiveNow, and the message is `expected` (with `priority`, if given).
::testing::AssertionResult ReceivesNow(
    mqd_t mqd, std::string_view expected,
    std::optional<unsigned> priority = std::nullopt);

// For a forked child (async-signal-safe: one mq_receive into the caller's
// buffer, no allocation): a receive that may sleep until a message comes,
// and that message is `expected`. Returns 0, ErrnoExit() when mq_receive
// fails, or kReceivedSomethingElse; the child returns that as its exit code.
inline constexpr int kReceivedSomethingElse = 10;
int ReceiveInChild(mqd_t mqd, std::span<char> buffer,
                   std::string_view expected);

// Succeeds when the task is, right now, asleep in `syscall`: for "the waiter
// is still blocked" after something that must not have woken it.
::testing::AssertionResult StillBlockedIn(pid_t pid, long syscall);

// The line read(2) returns on a queue descriptor. mq_overview(7): "QSIZE:
// ... NOTIFY: ... SIGNO: ... NOTIFY_PID: ..." (the kernel's
// mqueue_read_file).
struct QueueStatusLine {
  long qsize = -1;       // bytes in all queued messages
  long notify = -1;      // sigev_notify of the registration (0 if none)
  long signo = -1;       // the signal, for SIGEV_SIGNAL
  long notify_pid = -1;  // the registered process, 0 if none
  std::string text;      // the line as read
};

// pread(fd, ..., 0) of the status line, parsed; fails with the errno or the
// text that did not parse.
::testing::AssertionResult ReadQueueStatusLine(int fd, QueueStatusLine* line);

// Every POSIX queue test runs in its own private IPC namespace: its queues
// can neither be seen from nor leak onto the host (an IPC namespace's queues
// die with it, so a test killed half-way leaves nothing either), and it may
// change /proc/sys/fs/mqueue/* for itself alone.
class PosixMqTest : public ::testing::Test {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

}  // namespace ipcproof

#endif  // CONFORMANCE_MQ_POSIX_MQ_UTIL_H_

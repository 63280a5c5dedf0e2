// POSIX message queues (section 2 of docs/claims.md, mq_* half): what the
// note says about message queues, decided on the running kernel for the
// mq_open(3) family. The System V half is sysv_msg_test.cc.
//
// Every test enters a private IPC namespace in SetUp (each TEST is its own
// process), so its queues can neither be seen from nor leak onto the host,
// and it may change /proc/sys/fs/mqueue/* for itself alone. Limits are read
// from those sysctls, never assumed.
//
// Semantics shared by every queue geometry (boundaries, order, blocking,
// size errors) are tested once in PosixMqShapeTest, run for a queue made with
// the namespace's default attributes and for one with explicit attributes.
// Blocking is proven from /proc (WaitUntilBlockedIn on mq_timedsend /
// mq_timedreceive, the system calls glibc's mq_send and mq_receive make:
// mq_overview(7), "Library interfaces and system calls"), never by sleeping.
// Children do only async-signal-safe work and report through their exit
// code: a distinct code per failure point, ErrnoExit (harness/child_exit.h)
// where an errno says more.
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/credentials.h"
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/test_control.h"
#include "conformance/kit/transfer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::PosixMessage;
using ::ipc::PosixMessageQueue;
using ::ipc::PosixQueueAttributes;
using ::ipc::RealtimeDeadlineFromNow;
using ::ipc::WaitStatus;

constexpr mqd_t kNoQueue = static_cast<mqd_t>(-1);

// mq_overview(7): "Since Linux 3.5" msg_max's upper limit HARD_MSGMAX is
// 65,536 and msgsize_max's HARD_MSGSIZEMAX is 16,777,216; the minimums are 1
// and 128. The kernel reports none of these, so the documented values.
constexpr int64_t kHardMsgMax = 65536;
constexpr int64_t kHardMsgsizeMax = 16777216;
constexpr int64_t kMinMsgMax = 1;
constexpr int64_t kMinMsgsizeMax = 128;

// A fresh queue name. The namespace is private, so uniqueness only matters
// within the test.
std::string UniqueQueueName(std::string_view stem = "q") {
  static int counter = 0;
  return "/ipcproof-" + std::string(stem) + "-" + std::to_string(::getpid()) +
         "-" + std::to_string(counter++);
}

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
  int64_t default_maxmsg() const { return std::min(msg_default, msg_max); }
  int64_t default_msgsize() const {
    return std::min(msgsize_default, msgsize_max);
  }
};

MqSysctls ReadMqSysctls() {
  return MqSysctls{
      .msg_default = ReadSysctl("fs/mqueue/msg_default"),
      .msg_max = ReadSysctl("fs/mqueue/msg_max"),
      .msgsize_default = ReadSysctl("fs/mqueue/msgsize_default"),
      .msgsize_max = ReadSysctl("fs/mqueue/msgsize_max"),
      .queues_max = ReadSysctl("fs/mqueue/queues_max"),
  };
}

void RecordSysctls(const MqSysctls& s) {
  RecordMeasurement("fs.mqueue.msg_default", s.msg_default);
  RecordMeasurement("fs.mqueue.msg_max", s.msg_max);
  RecordMeasurement("fs.mqueue.msgsize_default", s.msgsize_default);
  RecordMeasurement("fs.mqueue.msgsize_max", s.msgsize_max);
  RecordMeasurement("fs.mqueue.queues_max", s.queues_max);
}

rlimit MsgqueueRlimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_MSGQUEUE, &limit) != 0) {
    ipc::ThrowErrno("getrlimit(RLIMIT_MSGQUEUE)");
  }
  return limit;
}

// Sends one message with a raw mq_send, asserting success.
void SendRaw(mqd_t mqd, std::string_view data, unsigned priority = 0) {
  ASSERT_THAT(::mq_send(mqd, data.data(), data.size(), priority),
              SyscallSucceeds())
      << "sending \"" << data << "\"";
}

long CurrentMessages(const PosixMessageQueue& queue) {
  return queue.Attributes().mq_curmsgs;
}

bool RealtimeHasReached(const timespec& deadline) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return now.tv_sec > deadline.tv_sec ||
         (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

// Unlinks a queue name on scope exit: for queues made with raw mq_open,
// where the test must be able to close every descriptor and keep the name.
class ScopedQueueName {
 public:
  explicit ScopedQueueName(std::string name) : name_(std::move(name)) {}
  ~ScopedQueueName() { ::mq_unlink(name_.c_str()); }
  ScopedQueueName(const ScopedQueueName&) = delete;
  ScopedQueueName& operator=(const ScopedQueueName&) = delete;
  const std::string& name() const { return name_; }
  const char* c_str() const { return name_.c_str(); }

 private:
  std::string name_;
};

// A raw queue descriptor closed on scope exit.
class ScopedMqd {
 public:
  explicit ScopedMqd(mqd_t mqd) : mqd_(mqd) {}
  ~ScopedMqd() { Close(); }
  ScopedMqd(const ScopedMqd&) = delete;
  ScopedMqd& operator=(const ScopedMqd&) = delete;
  mqd_t get() const { return mqd_; }
  bool valid() const { return mqd_ != kNoQueue; }
  void Close() {
    if (mqd_ != kNoQueue) ::mq_close(mqd_);
    mqd_ = kNoQueue;
  }

 private:
  mqd_t mqd_;
};

// --- Readiness (poll, epoll, select) ----------------------------------------

enum class ReadinessApi { kPoll, kEpoll, kSelect };
constexpr int kReadable = 1;
constexpr int kWritable = 2;

// What `fd` is ready for among `wanted` (kReadable | kWritable), waiting up
// to `timeout_ms` (-1: until ready); -1 on error. Only system calls, so a
// forked child may call it.
int WaitReady(ReadinessApi api, int fd, int wanted, int timeout_ms) {
  switch (api) {
    case ReadinessApi::kPoll: {
      pollfd entry{fd, 0, 0};
      if (wanted & kReadable) entry.events |= POLLIN;
      if (wanted & kWritable) entry.events |= POLLOUT;
      if (::poll(&entry, 1, timeout_ms) < 0) return -1;
      return ((entry.revents & POLLIN) ? kReadable : 0) |
             ((entry.revents & POLLOUT) ? kWritable : 0);
    }
    case ReadinessApi::kEpoll: {
      const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
      if (epfd < 0) return -1;
      epoll_event event{};
      if (wanted & kReadable) event.events |= EPOLLIN;
      if (wanted & kWritable) event.events |= EPOLLOUT;
      event.data.fd = fd;
      int result = -1;
      if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0) {
        epoll_event ready{};
        const int n = ::epoll_wait(epfd, &ready, 1, timeout_ms);
        if (n == 0) result = 0;
        if (n == 1) {
          result = ((ready.events & EPOLLIN) ? kReadable : 0) |
                   ((ready.events & EPOLLOUT) ? kWritable : 0);
        }
      }
      ::close(epfd);
      return result;
    }
    case ReadinessApi::kSelect: {
      fd_set readable;
      fd_set writable;
      FD_ZERO(&readable);
      FD_ZERO(&writable);
      if (wanted & kReadable) FD_SET(fd, &readable);
      if (wanted & kWritable) FD_SET(fd, &writable);
      timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
      if (::select(fd + 1, &readable, &writable, nullptr,
                   timeout_ms < 0 ? nullptr : &timeout) < 0) {
        return -1;
      }
      return (FD_ISSET(fd, &readable) ? kReadable : 0) |
             (FD_ISSET(fd, &writable) ? kWritable : 0);
    }
  }
  return -1;
}

// The system calls glibc may use for each API on x86-64.
::testing::AssertionResult WaitUntilBlockedInReadinessWait(ReadinessApi api,
                                                           pid_t pid) {
  switch (api) {
    case ReadinessApi::kPoll:
      return WaitUntilBlockedIn(pid, pid, {SYS_poll, SYS_ppoll});
    case ReadinessApi::kEpoll:
      return WaitUntilBlockedIn(
          pid, pid, {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2});
    case ReadinessApi::kSelect:
      return WaitUntilBlockedIn(pid, pid, {SYS_select, SYS_pselect6});
  }
  return ::testing::AssertionFailure() << "unknown API";
}

std::string ReadyText(int bits) {
  if (bits < 0) return "error";
  std::string text;
  if (bits & kReadable) text += "readable ";
  if (bits & kWritable) text += "writable ";
  return text.empty() ? "nothing" : text;
}

// =========================================================================
// Fixtures
// =========================================================================

// Every POSIX queue test runs in its own private IPC namespace.
class PosixMqTest : public ::testing::Test {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

// How the queue under test is made: with the namespace's defaults (mq_open
// with attr NULL) or with explicit, small attributes.
struct QueueShape {
  const char* name;
  std::optional<PosixQueueAttributes> attributes;
};

const QueueShape kShapes[] = {
    {"DefaultAttributes", std::nullopt},
    {"ThreeMessagesOf32Bytes", PosixQueueAttributes{3, 32}},
};

class PosixMqShapeTest : public ::testing::TestWithParam<QueueShape> {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }

  PosixMessageQueue MakeQueue(int access_flags = O_RDWR) {
    return PosixMessageQueue::Create(UniqueQueueName(), GetParam().attributes,
                                     access_flags);
  }

  // The attributes the queue must report: the shape's, or the defaults the
  // namespace's sysctls imply.
  PosixQueueAttributes ExpectedAttributes() {
    if (GetParam().attributes) return *GetParam().attributes;
    const MqSysctls sysctls = ReadMqSysctls();
    return PosixQueueAttributes{sysctls.default_maxmsg(),
                                sysctls.default_msgsize()};
  }
};

INSTANTIATE_TEST_SUITE_P(Shapes, PosixMqShapeTest, ::testing::ValuesIn(kShapes),
                         [](const ::testing::TestParamInfo<QueueShape>& info) {
                           return std::string(info.param.name);
                         });

// =========================================================================
// Shared semantics, for each queue shape
// =========================================================================

// mq_getattr(3): mq_maxmsg and mq_msgsize are the queue's limits, as given
// to mq_open or, with attr NULL, from msg_default / msgsize_default
// (mq_overview(7)); a new queue holds no message.
TEST_P(PosixMqShapeTest, GetattrReportsTheLimitsTheQueueWasMadeWith) {
  CLAIM("mq.size-limited");
  PosixMessageQueue queue = MakeQueue();
  const PosixQueueAttributes expected = ExpectedAttributes();
  const mq_attr attr = queue.Attributes();
  EXPECT_EQ(attr.mq_maxmsg, expected.max_messages);
  EXPECT_EQ(attr.mq_msgsize, expected.max_message_size);
  EXPECT_EQ(attr.mq_curmsgs, 0);
  EXPECT_EQ(attr.mq_flags, 0);
  RecordMeasurement("mq_maxmsg", attr.mq_maxmsg);
  RecordMeasurement("mq_msgsize", attr.mq_msgsize);
}

// mq_overview(7): "POSIX message queues allow processes to exchange data in
// the form of messages." Two sends are two receives, however large the
// receive buffer; an empty message is a message too, and bytes are kept
// exactly (NULs included).
TEST_P(PosixMqShapeTest, EachSendIsOneReceiveWhateverTheBufferSize) {
  CLAIM("mq.kernel-list-of-blocks");
  PosixMessageQueue queue = MakeQueue();
  const std::string binary("a\0b", 3);
  SendRaw(queue.descriptor(), "abc");
  SendRaw(queue.descriptor(), binary);
  SendRaw(queue.descriptor(), "");
  EXPECT_EQ(CurrentMessages(queue), 3);

  const long msgsize = queue.Attributes().mq_msgsize;
  std::vector<char> buffer(static_cast<size_t>(msgsize));
  for (const std::string& expected :
       {std::string("abc"), binary, std::string()}) {
    unsigned priority = 99;
    const ssize_t n = ::mq_receive(queue.descriptor(), buffer.data(),
                                   buffer.size(), &priority);
    ASSERT_THAT(n, SyscallSucceedsWithValue(expected.size()));
    EXPECT_EQ(std::string(buffer.data(), static_cast<size_t>(n)), expected);
    EXPECT_EQ(priority, 0u);
  }
  EXPECT_EQ(CurrentMessages(queue), 0);
}

// mq_overview(7): messages of one priority come out in the order they went
// in, also when sends and receives alternate.
TEST_P(PosixMqShapeTest, MessagesOfOnePriorityComeOutInSendOrder) {
  CLAIM("mq.kernel-list-of-blocks");
  PosixMessageQueue queue = MakeQueue();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_GE(maxmsg, 2);
  int next_sent = 0;
  int next_received = 0;
  for (long i = 0; i < maxmsg; ++i) {
    SendRaw(queue.descriptor(), "m" + std::to_string(next_sent++), 7);
  }
  // Alternate: take one, add one, a few times round the whole queue.
  for (long round = 0; round < 2 * maxmsg; ++round) {
    const PosixMessage got = queue.Receive();
    EXPECT_EQ(got.data, "m" + std::to_string(next_received++));
    EXPECT_EQ(got.priority, 7u);
    SendRaw(queue.descriptor(), "m" + std::to_string(next_sent++), 7);
  }
  for (long i = 0; i < maxmsg; ++i) {
    EXPECT_EQ(queue.Receive().data, "m" + std::to_string(next_received++));
  }
}

// mq_overview(7): "messages are always delivered to the receiving process
// highest priority first", and mq_send(3): a message "is placed in the queue
// after any other messages with the same priority".
TEST_P(PosixMqShapeTest, HigherPriorityMessagesAreReceivedFirst) {
  CLAIM("mq.kernel-list-of-blocks", "mq.beyond.posix-priority");
  PosixMessageQueue queue = MakeQueue();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  const unsigned top = static_cast<unsigned>(::sysconf(_SC_MQ_PRIO_MAX)) - 1;
  const std::vector<unsigned> priorities = {2, 7, 2, 0, 7, top, 2, 0};
  struct Sent {
    std::string data;
    unsigned priority;
  };
  std::vector<Sent> sent;
  for (size_t i = 0; i < priorities.size() && static_cast<long>(i) < maxmsg;
       ++i) {
    sent.push_back(
        {"p" + std::to_string(priorities[i]) + "#" + std::to_string(i),
         priorities[i]});
    SendRaw(queue.descriptor(), sent.back().data, sent.back().priority);
  }
  std::vector<Sent> expected = sent;
  std::stable_sort(
      expected.begin(), expected.end(),
      [](const Sent& a, const Sent& b) { return a.priority > b.priority; });
  for (const Sent& want : expected) {
    const PosixMessage got = queue.Receive();
    EXPECT_EQ(got.data, want.data);
    EXPECT_EQ(got.priority, want.priority);
  }
  RecordMeasurement("messages", sent.size());
}

// mq_send(3): "msg_len ... must be less than or equal to the queue's
// mq_msgsize attribute"; EMSGSIZE "msg_len was greater than the mq_msgsize
// attribute of the message queue". The limit is the queue's, read back.
TEST_P(PosixMqShapeTest, MessageOfMsgsizeFitsOneByteMoreFailsEmsgsize) {
  CLAIM("mq.size-limited");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  const std::vector<char> largest = Pattern(msgsize, 1);
  ASSERT_THAT(::mq_send(queue.descriptor(), largest.data(), largest.size(), 0),
              SyscallSucceeds());
  const std::vector<char> too_large = Pattern(msgsize + 1, 2);
  EXPECT_THAT(
      ::mq_send(queue.descriptor(), too_large.data(), too_large.size(), 0),
      SyscallFailsWithErrno(EMSGSIZE));
  EXPECT_EQ(CurrentMessages(queue), 1) << "the refused message was queued";
  const PosixMessage got = queue.Receive();
  EXPECT_EQ(got.data, std::string(largest.begin(), largest.end()));
  RecordMeasurement("mq_msgsize", msgsize);
}

// The wrapper refuses an oversized message with std::invalid_argument before
// calling mq_send (posix_message_queue.h), and nothing reaches the queue.
TEST_P(PosixMqShapeTest, WrapperRefusesAnOversizedMessageBeforeTheCall) {
  CLAIM("mq.size-limited");
  PosixMessageQueue queue = MakeQueue();
  const std::string too_large(
      static_cast<size_t>(queue.Attributes().mq_msgsize) + 1, 'x');
  EXPECT_THROW(queue.Send(too_large), std::invalid_argument);
  EXPECT_THROW(queue.TimedSend(too_large, 0, std::chrono::seconds(1)),
               std::invalid_argument);
  EXPECT_EQ(CurrentMessages(queue), 0);
}

// mq_receive(3): EMSGSIZE "msg_len was less than the mq_msgsize attribute of
// the message queue" — the queue's limit decides, not the waiting message's
// length; the message stays queued for a receive with a big enough buffer.
TEST_P(PosixMqShapeTest, ReceiveBufferSmallerThanMsgsizeFailsEmsgsize) {
  CLAIM("mq.size-limited", "mq.beyond.posix-receive-buffer");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  SendRaw(queue.descriptor(), "x");
  std::vector<char> buffer(msgsize);
  EXPECT_THAT(
      ::mq_receive(queue.descriptor(), buffer.data(), msgsize - 1, nullptr),
      SyscallFailsWithErrno(EMSGSIZE))
      << "a 1-byte message, a buffer of mq_msgsize - 1 bytes";
  EXPECT_EQ(CurrentMessages(queue), 1) << "the refused receive took it";
  EXPECT_THAT(::mq_receive(queue.descriptor(), buffer.data(), msgsize, nullptr),
              SyscallSucceedsWithValue(1));
}

// mq_send(3): "If the message queue is already full (i.e., the number of
// messages on the queue equals the queue's mq_maxmsg attribute), then, by
// default, mq_send() blocks until sufficient space becomes available". The
// blocked sender is seen inside mq_timedsend (glibc's mq_send).
TEST_P(PosixMqShapeTest, FullQueueBlocksTheSenderUntilAMessageIsReceived) {
  CLAIM("mq.send-and-return", "mq.solves-pipe-blocking");
  PosixMessageQueue queue = MakeQueue();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  for (long i = 0; i < maxmsg; ++i) {
    SendRaw(queue.descriptor(), "m" + std::to_string(i));
  }
  ASSERT_EQ(CurrentMessages(queue), maxmsg);

  ChildProcess sender = ChildProcess::Fork([&] {
    return ::mq_send(queue.descriptor(), "late", 4, 0) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(WaitUntilBlockedIn(sender.pid(), SYS_mq_timedsend));
  EXPECT_EQ(CurrentMessages(queue), maxmsg) << "a full queue took more";

  EXPECT_EQ(queue.Receive().data, "m0");
  EXPECT_TRUE(ExitedWithZero(sender.Wait()));
  EXPECT_EQ(CurrentMessages(queue), maxmsg);
  for (long i = 1; i < maxmsg; ++i) {
    EXPECT_EQ(queue.Receive().data, "m" + std::to_string(i));
  }
  EXPECT_EQ(queue.Receive().data, "late");
  RecordMeasurement("mq_maxmsg", maxmsg);
}

// mq_send(3): "If the queue is full, and the O_NONBLOCK flag is enabled for
// the message queue description, then the call instead fails immediately
// with the error EAGAIN" — mq_timedsend too, whatever its timeout. O_NONBLOCK
// belongs to the open description: a second open of the same queue without
// it still blocks.
TEST_P(PosixMqShapeTest, FullQueueFailsEagainForANonBlockingDescription) {
  CLAIM("mq.send-and-return");
  PosixMessageQueue queue = MakeQueue();
  PosixMessageQueue nonblocking =
      PosixMessageQueue::Open(queue.name(), O_WRONLY | O_NONBLOCK);
  EXPECT_EQ(nonblocking.Attributes().mq_flags, O_NONBLOCK);
  EXPECT_EQ(queue.Attributes().mq_flags, 0);
  const long maxmsg = queue.Attributes().mq_maxmsg;
  for (long i = 0; i < maxmsg; ++i) {
    ASSERT_THAT(::mq_send(nonblocking.descriptor(), "f", 1, 0),
                SyscallSucceeds());
  }
  EXPECT_THAT(::mq_send(nonblocking.descriptor(), "g", 1, 0),
              SyscallFailsWithErrno(EAGAIN));
  const timespec later = RealtimeDeadlineFromNow(std::chrono::seconds(10));
  EXPECT_THAT(::mq_timedsend(nonblocking.descriptor(), "g", 1, 0, &later),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(CurrentMessages(queue), maxmsg);

  // The blocking description, same queue: it waits.
  ChildProcess sender = ChildProcess::Fork([&] {
    return ::mq_send(queue.descriptor(), "h", 1, 0) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(WaitUntilBlockedIn(sender.pid(), SYS_mq_timedsend));
  queue.Receive();
  EXPECT_TRUE(ExitedWithZero(sender.Wait()));
}

// The note: the sender puts its message in the queue "然后就可以返回做其他事了"
// (and returns to other work). While there is room, a sender returns without
// any receiver: here nobody even holds the queue open for reading while a
// child fills it with blocking sends and exits. The messages are there
// afterwards.
TEST_P(PosixMqShapeTest, SenderReturnsWithoutAnyReceiverWhileThereIsRoom) {
  CLAIM("mq.send-and-return", "mq.not-immediate");
  PosixMessageQueue queue = MakeQueue(O_WRONLY);
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ChildProcess sender = ChildProcess::Fork([&] {
    char text[2] = {'0', 0};
    for (long i = 0; i < maxmsg; ++i) {
      text[0] = static_cast<char>('0' + i % 10);
      if (::mq_send(queue.descriptor(), text, 1, 0) != 0) return ErrnoExit();
    }
    return 0;
  });
  EXPECT_TRUE(ExitedWithZero(sender.Wait()));
  EXPECT_EQ(CurrentMessages(queue), maxmsg);

  PosixMessageQueue reader = PosixMessageQueue::Open(queue.name(), O_RDONLY);
  for (long i = 0; i < maxmsg; ++i) {
    EXPECT_EQ(reader.Receive().data,
              std::string(1, static_cast<char>('0' + i % 10)));
  }
}

// mq_receive(3): "If the queue is empty, then, by default, mq_receive()
// blocks until a message becomes available" — exactly like a read on an
// empty pipe (pipe(7)), which is what the note says queues avoid.
TEST_P(PosixMqShapeTest, EmptyQueueBlocksTheReceiverUntilAMessageArrives) {
  CLAIM("mq.solves-pipe-blocking");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  ChildProcess receiver = ChildProcess::Fork([&] {
    const ssize_t n =
        ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr);
    if (n < 0) return ErrnoExit();
    if (n != 4 || std::memcmp(buffer.data(), "wake", 4) != 0) return 10;
    return 0;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  SendRaw(queue.descriptor(), "wake");
  EXPECT_TRUE(ExitedWithZero(receiver.Wait()));
  EXPECT_EQ(CurrentMessages(queue), 0);
}

// mq_receive(3): "If the queue is empty, and the O_NONBLOCK flag is enabled
// for the message queue description, then the call instead fails immediately
// with the error EAGAIN." Set at open or later with mq_setattr(3).
TEST_P(PosixMqShapeTest, EmptyQueueFailsEagainForANonBlockingDescription) {
  CLAIM("mq.solves-pipe-blocking");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  PosixMessageQueue opened_nonblocking =
      PosixMessageQueue::Open(queue.name(), O_RDONLY | O_NONBLOCK);
  EXPECT_THAT(::mq_receive(opened_nonblocking.descriptor(), buffer.data(),
                           buffer.size(), nullptr),
              SyscallFailsWithErrno(EAGAIN));

  queue.SetNonBlocking(true);
  EXPECT_EQ(queue.Attributes().mq_flags, O_NONBLOCK);
  EXPECT_THAT(
      ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr),
      SyscallFailsWithErrno(EAGAIN));
  const timespec later = RealtimeDeadlineFromNow(std::chrono::seconds(10));
  EXPECT_THAT(::mq_timedreceive(queue.descriptor(), buffer.data(),
                                buffer.size(), nullptr, &later),
              SyscallFailsWithErrno(EAGAIN));
}

// mq_receive(3): mq_timedreceive "ETIMEDOUT The call timed out before a
// message could be transferred", the timeout being an absolute
// CLOCK_REALTIME time; "If the timeout has already expired by the time of
// the call, and the queue is empty, then mq_timedreceive() returns
// immediately." The deadline has passed when it returns.
TEST_P(PosixMqShapeTest, TimedReceiveOnAnEmptyQueueFailsEtimedout) {
  CLAIM("mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);

  const timespec past = RealtimeDeadlineFromNow(-std::chrono::seconds(1));
  EXPECT_THAT(::mq_timedreceive(queue.descriptor(), buffer.data(),
                                buffer.size(), nullptr, &past),
              SyscallFailsWithErrno(ETIMEDOUT));

  const auto start = std::chrono::steady_clock::now();
  const timespec soon = RealtimeDeadlineFromNow(std::chrono::milliseconds(20));
  EXPECT_THAT(::mq_timedreceive(queue.descriptor(), buffer.data(),
                                buffer.size(), nullptr, &soon),
              SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_TRUE(RealtimeHasReached(soon)) << "timed out before the deadline";
  RecordMeasurement("waited_ms_for_20ms_deadline",
                    std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  EXPECT_FALSE(queue.TimedReceive(std::chrono::milliseconds(1)).has_value());
}

// mq_send(3): mq_timedsend "ETIMEDOUT The call timed out before a message
// could be transferred" — on a full queue; nothing is added.
TEST_P(PosixMqShapeTest, TimedSendOnAFullQueueFailsEtimedout) {
  CLAIM("mq.send-and-return", "mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  for (long i = 0; i < maxmsg; ++i) SendRaw(queue.descriptor(), "f");

  const timespec past = RealtimeDeadlineFromNow(-std::chrono::seconds(1));
  EXPECT_THAT(::mq_timedsend(queue.descriptor(), "x", 1, 0, &past),
              SyscallFailsWithErrno(ETIMEDOUT));
  const timespec soon = RealtimeDeadlineFromNow(std::chrono::milliseconds(20));
  EXPECT_THAT(::mq_timedsend(queue.descriptor(), "x", 1, 0, &soon),
              SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_TRUE(RealtimeHasReached(soon)) << "timed out before the deadline";
  EXPECT_FALSE(queue.TimedSend("x", 0, std::chrono::milliseconds(1)));
  EXPECT_EQ(CurrentMessages(queue), maxmsg);
}

// mq_send(3) / mq_receive(3), EINVAL: "The call would have blocked, and
// abs_timeout was invalid, either because tv_sec was less than zero, or
// because tv_nsec was less than zero or greater than 1000 million." The
// kernel checks the timeout before looking at the queue, so an invalid one
// fails EINVAL even when the call would not block — and nothing moves.
TEST_P(PosixMqShapeTest,
       InvalidTimeoutFailsEinvalEvenWhenTheCallWouldNotBlock) {
  CLAIM("mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  SendRaw(queue.descriptor(), "waiting");
  const timespec invalid[] = {{0, 1000000000}, {0, -1}, {-1, 0}};
  for (const timespec& timeout : invalid) {
    SCOPED_TRACE("tv_sec " + std::to_string(timeout.tv_sec) + ", tv_nsec " +
                 std::to_string(timeout.tv_nsec));
    EXPECT_THAT(::mq_timedreceive(queue.descriptor(), buffer.data(),
                                  buffer.size(), nullptr, &timeout),
                SyscallFailsWithErrno(EINVAL))
        << "a message was waiting";
    EXPECT_THAT(::mq_timedsend(queue.descriptor(), "x", 1, 0, &timeout),
                SyscallFailsWithErrno(EINVAL))
        << "there was room";
    EXPECT_EQ(CurrentMessages(queue), 1);
  }
  EXPECT_EQ(queue.Receive().data, "waiting");
}

// =========================================================================
// Attributes and limits: the namespace's sysctls
// =========================================================================

// mq_overview(7): msg_default and msgsize_default are "the value used for a
// new queue's mq_maxmsg [mq_msgsize] setting when the queue is created with a
// call to mq_open(3) where attr is specified as NULL".
TEST_F(PosixMqTest, QueueWithoutAttributesGetsTheDefaultsFromTheSysctls) {
  CLAIM("mq.size-limited", "mq.beyond.posix-defaults");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));
  RecordMeasurement("rlimit_msgqueue_hard",
                    static_cast<int64_t>(limit.rlim_max));

  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mq_attr attr = queue.Attributes();
  EXPECT_EQ(attr.mq_maxmsg, sysctls.default_maxmsg());
  EXPECT_EQ(attr.mq_msgsize, sysctls.default_msgsize());
  RecordMeasurement("default_queue.mq_maxmsg", attr.mq_maxmsg);
  RecordMeasurement("default_queue.mq_msgsize", attr.mq_msgsize);
  RecordMeasurement("mq_prio_max", ::sysconf(_SC_MQ_PRIO_MAX));
}

// The defaults are tunables, not constants: changed in this namespace, the
// next queue made without attributes takes the new values (the queue made
// before keeps its own).
TEST_F(PosixMqTest, ChangingTheDefaultSysctlsChangesTheNextQueue) {
  CLAIM("mq.array-inside", "mq.beyond.posix-defaults");
  const MqSysctls before = ReadMqSysctls();
  PosixMessageQueue old_queue = PosixMessageQueue::Create(UniqueQueueName());

  const int64_t msg_default = before.default_maxmsg() == 3 ? 4 : 3;
  const int64_t msgsize_default = before.default_msgsize() == kMinMsgsizeMax
                                      ? 2 * kMinMsgsizeMax
                                      : kMinMsgsizeMax;
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_default", msg_default);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_default", msgsize_default);
  const MqSysctls after = ReadMqSysctls();
  ASSERT_EQ(after.msg_default, msg_default);
  ASSERT_EQ(after.msgsize_default, msgsize_default);

  PosixMessageQueue new_queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(new_queue.Attributes().mq_maxmsg, after.default_maxmsg());
  EXPECT_EQ(new_queue.Attributes().mq_msgsize, after.default_msgsize());
  EXPECT_EQ(old_queue.Attributes().mq_maxmsg, before.default_maxmsg());
  EXPECT_EQ(old_queue.Attributes().mq_msgsize, before.default_msgsize());
}

// mq_overview(7): "A new queue's default mq_maxmsg value will be the smaller
// of msg_default and msg_max"; "If msgsize_default exceeds msgsize_max, a new
// queue's default mq_msgsize value is capped to the msgsize_max limit."
TEST_F(PosixMqTest, DefaultsAboveTheMaximaAreCappedToTheMaxima) {
  CLAIM("mq.size-limited", "mq.beyond.posix-defaults");
  const MqSysctls before = ReadMqSysctls();
  ASSERT_LT(before.msg_max, kHardMsgMax);
  ASSERT_LT(before.msgsize_max, kHardMsgsizeMax);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_default", before.msg_max + 1);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_default", before.msgsize_max + 1);

  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(queue.Attributes().mq_maxmsg, before.msg_max);
  EXPECT_EQ(queue.Attributes().mq_msgsize, before.msgsize_max);
}

// mq_open(3), EINVAL: "Both of these fields must be greater than zero. In a
// process that is unprivileged (does not have the CAP_SYS_RESOURCE
// capability), attr->mq_maxmsg must be less than or equal to the msg_max
// limit, and attr->mq_msgsize must be less than or equal to the msgsize_max
// limit." Root here lacks CAP_SYS_RESOURCE; with it the sysctl limits are
// ignored (mq_overview(7)), and the test says which case it saw.
TEST_F(PosixMqTest, AttributesAboveTheSysctlMaximaFailEinval) {
  CLAIM("mq.size-limited", "mq.array-inside");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const bool privileged = HoldsSysResourceCapability();
  RecordMeasurement("has_cap_sys_resource", privileged ? 1 : 0);

  auto open_with = [](const std::string& name, long maxmsg, long msgsize) {
    mq_attr attr{};
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = msgsize;
    return ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  };
  const ScopedQueueName name(UniqueQueueName());

  // Non-positive values: refused for everyone.
  using Attrs = std::pair<long, long>;  // maxmsg, msgsize
  const Attrs non_positive[] = {{0, 16}, {1, 0}, {-1, 16}, {1, -1}};
  for (const auto& [maxmsg, msgsize] : non_positive) {
    SCOPED_TRACE("maxmsg " + std::to_string(maxmsg) + ", msgsize " +
                 std::to_string(msgsize));
    EXPECT_THAT(open_with(name.name(), maxmsg, msgsize),
                SyscallFailsWithErrno(EINVAL));
  }
  // At the limits: accepted.
  {
    ScopedMqd at_limits(open_with(name.name(), sysctls.msg_max, 16));
    EXPECT_TRUE(at_limits.valid()) << ErrnoName(errno);
    ::mq_unlink(name.c_str());
    ScopedMqd at_size(open_with(name.name(), 1, sysctls.msgsize_max));
    EXPECT_TRUE(at_size.valid()) << ErrnoName(errno);
    ::mq_unlink(name.c_str());
  }
  // One above: refused unless privileged.
  const Attrs above[] = {{sysctls.msg_max + 1, 16},
                         {1, sysctls.msgsize_max + 1}};
  for (const auto& [maxmsg, msgsize] : above) {
    SCOPED_TRACE("maxmsg " + std::to_string(maxmsg) + ", msgsize " +
                 std::to_string(msgsize));
    ScopedMqd mqd(open_with(name.name(), maxmsg, msgsize));
    const int err = errno;
    if (privileged) {
      EXPECT_TRUE(mqd.valid())
          << "CAP_SYS_RESOURCE should lift the limit: " << ErrnoName(err);
    } else {
      EXPECT_FALSE(mqd.valid()) << "created beyond the sysctl limit";
      EXPECT_EQ(err, EINVAL) << ErrnoName(err);
    }
    ::mq_unlink(name.c_str());
  }
  // The wrapper lets the kernel decide: std::system_error with EINVAL.
  if (!privileged) {
    try {
      PosixMessageQueue::Create(
          UniqueQueueName(), PosixQueueAttributes{1, sysctls.msgsize_max + 1});
      ADD_FAILURE() << "Create beyond msgsize_max succeeded";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EINVAL) << e.what();
    }
  }
}

// The note says the size limit comes from an array inside (内部使用数组).
// It does not: msg_max and msgsize_max are tunables of the IPC namespace.
// Refused before, the same queue is created once they are raised, and a
// message of the new size goes through intact.
TEST_F(PosixMqTest, RaisingTheMaximaInTheNamespaceAdmitsALargerQueue) {
  CLAIM("mq.array-inside", "mq.size-limited");
  const MqSysctls before = ReadMqSysctls();
  if (HoldsSysResourceCapability()) {
    SKIP_UNVERIFIED(
        "this process has CAP_SYS_RESOURCE, which ignores msg_max and "
        "msgsize_max: raising them proves nothing");
  }
  const long bigger_count = before.msg_max * 2;
  const long bigger_size = before.msgsize_max * 2;
  ASSERT_LE(bigger_count, kHardMsgMax);
  ASSERT_LE(bigger_size, kHardMsgsizeMax);
  // Queue sizes stay far below RLIMIT_MSGQUEUE: (many, small) and (2, big).
  const PosixQueueAttributes many_small{bigger_count, 128};
  const PosixQueueAttributes few_big{2, bigger_size};
  for (const PosixQueueAttributes& attrs : {many_small, few_big}) {
    try {
      PosixMessageQueue::Create(UniqueQueueName(), attrs);
      ADD_FAILURE() << "created " << attrs.max_messages << " x "
                    << attrs.max_message_size << " before raising the limits";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EINVAL) << e.what();
    }
  }

  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_max", bigger_count);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_max", bigger_size);
  RecordMeasurement("raised.msg_max", bigger_count);
  RecordMeasurement("raised.msgsize_max", bigger_size);

  PosixMessageQueue many = PosixMessageQueue::Create(
      UniqueQueueName(), many_small, O_RDWR | O_NONBLOCK);
  long accepted = 0;
  while (::mq_send(many.descriptor(), "m", 1, 0) == 0) ++accepted;
  EXPECT_EQ(errno, EAGAIN) << ErrnoName(errno);
  EXPECT_EQ(accepted, bigger_count);

  PosixMessageQueue big = PosixMessageQueue::Create(UniqueQueueName(), few_big);
  const std::vector<char> data = Pattern(static_cast<size_t>(bigger_size), 3);
  ASSERT_THAT(::mq_send(big.descriptor(), data.data(), data.size(), 0),
              SyscallSucceeds());
  EXPECT_EQ(big.Receive().data, std::string(data.begin(), data.end()));
  RecordMeasurement("largest_message_sent_bytes", bigger_size);
}

// mq_overview(7): msg_max's "upper limit is HARD_MSGMAX" (65,536 since 3.5,
// minimum 1) and msgsize_max's "the limit is 16,777,216 (HARD_MSGSIZEMAX)"
// (minimum 128). These ceilings are compiled in; the sysctl refuses to cross
// them even in a namespace of one's own.
TEST_F(PosixMqTest, SysctlMaximaHaveCompiledInCeilings) {
  CLAIM("mq.array-inside", "mq.beyond.posix-hard-ceilings");
  const MqSysctls before = ReadMqSysctls();
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_max", before.msg_max);  // writable?

  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kHardMsgMax), 0);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kHardMsgMax + 1), EINVAL);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kMinMsgMax - 1), EINVAL);
  EXPECT_EQ(ReadSysctl("fs/mqueue/msg_max"), kHardMsgMax);

  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kHardMsgsizeMax), 0);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kHardMsgsizeMax + 1),
            EINVAL);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kMinMsgsizeMax - 1),
            EINVAL);
  EXPECT_EQ(ReadSysctl("fs/mqueue/msgsize_max"), kHardMsgsizeMax);
}

// getrlimit(2), RLIMIT_MSGQUEUE: "a limit on the number of bytes that can be
// allocated for POSIX message queues for the real user ID of the calling
// process", each queue counting maxmsg * msgsize plus overhead. With
// msgsize_max raised, a queue larger than the limit still fails (EMFILE, the
// kernel's errno for it) — and so does a 16 MiB message, the hard ceiling,
// under the default 819200-byte limit. Root without CAP_SYS_RESOURCE cannot
// raise the hard limit.
TEST_F(PosixMqTest, QueueLargerThanRlimitMsgqueueFailsEmfile) {
  CLAIM("mq.size-limited", "mq.beyond.posix-rlimit");
  rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));
  RecordMeasurement("rlimit_msgqueue_hard",
                    static_cast<int64_t>(limit.rlim_max));
  if (limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur >= kHardMsgsizeMax / 2) {
    // Lowering the soft limit is always allowed (setrlimit(2)).
    limit.rlim_cur = 1 << 20;
    ASSERT_THAT(::setrlimit(RLIMIT_MSGQUEUE, &limit), SyscallSucceeds());
    RecordMeasurement("rlimit_msgqueue_soft_lowered_to",
                      static_cast<int64_t>(limit.rlim_cur));
  }
  const long budget = static_cast<long>(limit.rlim_cur);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_max", kHardMsgsizeMax);
  if (HoldsSysResourceCapability()) {
    RecordMeasurement("has_cap_sys_resource", 1);
  }

  // Just over the budget in message bytes alone: EMFILE.
  mq_attr over{};
  over.mq_maxmsg = 1;
  over.mq_msgsize = budget + 1;
  const ScopedQueueName name(UniqueQueueName());
  EXPECT_THAT(::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &over),
              SyscallFailsWithErrno(EMFILE));
  // The hard ceiling, one message of 16 MiB: EMFILE as well.
  over.mq_msgsize = kHardMsgsizeMax;
  EXPECT_THAT(::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &over),
              SyscallFailsWithErrno(EMFILE));
  // A quarter of the budget (other queues of this uid may hold some): fine.
  mq_attr under{};
  under.mq_maxmsg = 1;
  under.mq_msgsize = budget / 4;
  ScopedMqd fits(
      ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &under));
  EXPECT_TRUE(fits.valid()) << ErrnoName(errno);
  RecordMeasurement("largest_single_message_refused_bytes", budget + 1);
}

// mq_overview(7): "Message priorities range from 0 (low) to
// sysconf(_SC_MQ_PRIO_MAX) - 1 (high)". POSIX's mq_send: EINVAL "The value
// of msg_prio was outside the valid range" (Linux's mq_send(3) lists no such
// error; the kernel checks msg_prio >= MQ_PRIO_MAX).
TEST_F(PosixMqTest, PriorityAtMqPrioMaxFailsEinval) {
  CLAIM("mq.beyond.posix-priority");
  const long prio_max = ::sysconf(_SC_MQ_PRIO_MAX);
  ASSERT_GT(prio_max, 0);
  RecordMeasurement("mq_prio_max", prio_max);
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_THAT(::mq_send(queue.descriptor(), "top", 3,
                        static_cast<unsigned>(prio_max - 1)),
              SyscallSucceeds());
  EXPECT_THAT(
      ::mq_send(queue.descriptor(), "over", 4, static_cast<unsigned>(prio_max)),
      SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(CurrentMessages(queue), 1);
  const PosixMessage got = queue.Receive();
  EXPECT_EQ(got.data, "top");
  EXPECT_EQ(got.priority, static_cast<unsigned>(prio_max - 1));
}

// =========================================================================
// Kernel persistence, mq_unlink
// =========================================================================

// mq_overview(7): "POSIX message queues have kernel persistence: if not
// removed by mq_unlink(3), a message queue will exist until the system is
// shut down." Every descriptor closed, the queue and its message remain,
// found again by name.
TEST_F(PosixMqTest, QueueAndMessagesOutliveEveryDescriptorUntilUnlinked) {
  CLAIM("mq.not-immediate");
  const ScopedQueueName name(UniqueQueueName());
  {
    ScopedMqd writer(
        ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600, nullptr));
    ASSERT_TRUE(writer.valid()) << ErrnoName(errno);
    SendRaw(writer.get(), "read me later", 3);
  }  // mq_close: no descriptor of the queue is open anywhere now.

  PosixMessageQueue reopened = PosixMessageQueue::Open(name.name(), O_RDONLY);
  EXPECT_EQ(CurrentMessages(reopened), 1);
  const PosixMessage got = reopened.Receive();
  EXPECT_EQ(got.data, "read me later");
  EXPECT_EQ(got.priority, 3u);
}

// The note's "几天前发的" (sent days ago): the message outlives the process
// that sent it. A child creates the queue, sends, and exits without unlinking;
// afterwards no process has it open, and the parent finds it by name.
TEST_F(PosixMqTest, MessageOutlivesTheProcessThatCreatedTheQueueAndSentIt) {
  CLAIM("mq.not-immediate", "mq.kernel-list-of-blocks");
  const ScopedQueueName name(UniqueQueueName());
  ChildProcess sender = ChildProcess::Fork([&] {
    const mqd_t mqd =
        ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600, nullptr);
    if (mqd == kNoQueue) return ErrnoExit();
    if (::mq_send(mqd, "first", 5, 0) != 0) return 10;
    if (::mq_send(mqd, "second", 6, 0) != 0) return 11;
    return 0;  // exit closes the descriptor; nothing unlinks
  });
  const pid_t sender_pid = sender.pid();
  ASSERT_TRUE(ExitedWithZero(sender.Wait()));
  EXPECT_THAT(::kill(sender_pid, 0), SyscallFailsWithErrno(ESRCH))
      << "the sender still exists";

  PosixMessageQueue queue = PosixMessageQueue::Open(name.name(), O_RDONLY);
  EXPECT_EQ(queue.Receive().data, "first");
  EXPECT_EQ(queue.Receive().data, "second");
}

// mq_unlink(3): "The message queue name is removed immediately. The queue
// itself is destroyed once any other processes that have the queue open
// close their descriptors referring to the queue." Reopening fails ENOENT;
// the open descriptor keeps its message and still sends and receives; a new
// queue of the same name is another queue.
TEST_F(PosixMqTest, UnlinkRemovesTheNameWhileOpenDescriptorsKeepWorking) {
  CLAIM("mq.not-immediate", "mq.beyond.posix-unlink");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  SendRaw(queue.descriptor(), "before");
  queue.UnlinkName();

  EXPECT_THAT(::mq_open(queue.name().c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::mq_unlink(queue.name().c_str()), SyscallFailsWithErrno(ENOENT));

  EXPECT_EQ(queue.Receive().data, "before");
  SendRaw(queue.descriptor(), "after");
  EXPECT_EQ(queue.Receive().data, "after");

  SendRaw(queue.descriptor(), "old queue");
  PosixMessageQueue successor = PosixMessageQueue::Create(queue.name());
  EXPECT_EQ(CurrentMessages(successor), 0);
  EXPECT_EQ(CurrentMessages(queue), 1);
}

// mq_unlink(3) says nothing of waiters; the kernel removes the name only,
// so a receiver blocked on the queue stays blocked (no error, no wakeup),
// a message sent to a new queue of the same name does not reach it, and a
// message sent through a descriptor of the unlinked queue wakes it.
TEST_F(PosixMqTest, UnlinkLeavesABlockedReceiverBlocked) {
  CLAIM("mq.beyond.posix-unlink");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  ChildProcess receiver = ChildProcess::Fork([&] {
    const ssize_t n =
        ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr);
    if (n < 0) return ErrnoExit();
    if (n != 4 || std::memcmp(buffer.data(), "wake", 4) != 0) return 10;
    return 0;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));

  queue.UnlinkName();
  EXPECT_THAT(::mq_open(queue.name().c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
  PosixMessageQueue successor = PosixMessageQueue::Create(queue.name());
  SendRaw(successor.descriptor(), "elsewhere");

  const std::optional<TaskState> state =
      ReadTaskState(receiver.pid(), receiver.pid());
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->sleeping() && state->syscall == SYS_mq_timedreceive)
      << state->ToString();
  EXPECT_FALSE(receiver.TryWait().has_value())
      << "the receiver ended when the name was unlinked";
  EXPECT_EQ(CurrentMessages(successor), 1);

  SendRaw(queue.descriptor(), "wake");
  EXPECT_TRUE(ExitedWithZero(receiver.Wait()));
}

// =========================================================================
// Signals: EINTR and SA_RESTART
// =========================================================================

// The descriptor a child's signal handler writes one byte to.
int g_handler_fd = -1;

void NoteSignal(int) {
  const char byte = 's';
  [[maybe_unused]] const ssize_t n = ::write(g_handler_fd, &byte, 1);
}

struct InterruptCase {
  const char* name;
  bool full_queue_send;  // blocked in mq_send on a full queue, else receive
  bool restart;          // handler installed with SA_RESTART
};

class PosixMqInterruptTest : public ::testing::TestWithParam<InterruptCase> {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
};

INSTANTIATE_TEST_SUITE_P(
    Cases, PosixMqInterruptTest,
    ::testing::Values(InterruptCase{"ReceiveWithoutRestart", false, false},
                      InterruptCase{"ReceiveWithSaRestart", false, true},
                      InterruptCase{"SendWithoutRestart", true, false},
                      InterruptCase{"SendWithSaRestart", true, true}),
    [](const ::testing::TestParamInfo<InterruptCase>& info) {
      return std::string(info.param.name);
    });

// signal(7): a call blocked in mq_receive(3) / mq_send(3) (and their timed
// forms) that a handler interrupts "is automatically restarted after the
// signal handler returns if the SA_RESTART flag was used; otherwise the call
// fails with the error EINTR" — unlike msgrcv/msgsnd, which always fail
// EINTR. The handler reports through a pipe that it ran; a restarted call is
// seen blocked again, in the same system call, and then completes.
TEST_P(PosixMqInterruptTest, HandlerInterruptsABlockedCall) {
  CLAIM("mq.beyond.posix-eintr");
  const InterruptCase& c = GetParam();
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const long maxmsg = queue.Attributes().mq_maxmsg;
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  if (c.full_queue_send) {
    for (long i = 0; i < maxmsg; ++i) SendRaw(queue.descriptor(), "f");
  }
  const long blocked_in =
      c.full_queue_send ? SYS_mq_timedsend : SYS_mq_timedreceive;
  ipc::Pipe handler_ran = ipc::Pipe::Create(O_CLOEXEC);
  g_handler_fd = handler_ran.write_fd();
  std::vector<char> buffer(msgsize);

  ChildProcess child = ChildProcess::Fork([&] {
    struct sigaction action {};
    action.sa_handler = NoteSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = c.restart ? SA_RESTART : 0;
    if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 20;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (::sigprocmask(SIG_UNBLOCK, &usr1, nullptr) != 0) return 21;
    const long result = c.full_queue_send
                            ? ::mq_send(queue.descriptor(), "x", 1, 0)
                            : ::mq_receive(queue.descriptor(), buffer.data(),
                                           buffer.size(), nullptr);
    if (c.restart) return result >= 0 ? 0 : ErrnoExit();
    if (result >= 0) return 10;  // completed although nobody unblocked it
    return errno == EINTR ? 0 : ErrnoExit();
  });
  handler_ran.CloseWriteEnd();  // so a dead child reads as end of file
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), blocked_in));
  child.Signal(SIGUSR1);
  char byte = 0;
  ASSERT_EQ(ipc::ReadSome(handler_ran.read_fd(),
                          std::as_writable_bytes(std::span(&byte, 1))),
            1u);
  if (c.restart) {
    ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), blocked_in))
        << "not back in the call after the handler";
    if (c.full_queue_send) {
      queue.Receive();
    } else {
      SendRaw(queue.descriptor(), "done");
    }
  }
  EXPECT_TRUE(ExitedWithZero(child.Wait()));
  EXPECT_EQ(CurrentMessages(queue), c.full_queue_send ? maxmsg : 0);
}

// =========================================================================
// mq_notify
// =========================================================================

constexpr int kNotifySignal = SIGUSR1;
constexpr int kNotifyValue = 0x5eed;

sigevent SignalEvent() {
  sigevent event{};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = kNotifySignal;
  event.sigev_value.sival_int = kNotifyValue;
  return event;
}

class PosixMqNotifyTest : public PosixMqTest {
 protected:
  void SetUp() override {
    PosixMqTest::SetUp();
    if (IsSkipped()) return;
    blocked_.emplace(kNotifySignal);
  }
  void TearDown() override { blocked_.reset(); }

  // A child's attempt to register for notification: 0 or ErrnoExit.
  static int RegisterInChild(mqd_t mqd) {
    const sigevent event = SignalEvent();
    return ::mq_notify(mqd, &event) == 0 ? 0 : ErrnoExit();
  }

  std::optional<ScopedSignalBlock> blocked_;
};

// mq_notify(3), SIGEV_SIGNAL: "The si_code field of the siginfo_t structure
// will be set to SI_MESGQ. In addition, si_pid will be set to the PID of the
// process that sent the message, and si_uid will be set to the real user ID
// of the sending process"; si_value is the registration's sigev_value
// (sigevent(7)). The message itself stays queued.
TEST_F(PosixMqNotifyTest, SignalCarriesSiMesgqTheValueAndTheSendersPid) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());

  ChildProcess sender = ChildProcess::Fork([&] {
    return ::mq_send(queue.descriptor(), "ping", 4, 0) == 0 ? 0 : ErrnoExit();
  });
  const pid_t sender_pid = sender.pid();
  ASSERT_TRUE(ExitedWithZero(sender.Wait()));

  const std::optional<siginfo_t> info = TakePendingSignal(kNotifySignal);
  ASSERT_TRUE(info.has_value()) << "no notification";
  EXPECT_EQ(info->si_signo, kNotifySignal);
  EXPECT_EQ(info->si_code, SI_MESGQ);
  EXPECT_EQ(info->si_value.sival_int, kNotifyValue);
  EXPECT_EQ(info->si_pid, sender_pid);
  EXPECT_EQ(info->si_uid, ::getuid());
  EXPECT_EQ(queue.Receive().data, "ping");
}

// mq_notify(3): "Message notification occurs only when a new message arrives
// and the queue was previously empty. If the queue was not empty at the time
// mq_notify() was called, then a notification will occur only after the
// queue is emptied and a new message arrives."
TEST_F(PosixMqNotifyTest, NotifiesOnlyWhenAMessageArrivesOnAnEmptyQueue) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  SendRaw(queue.descriptor(), "already there");
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());

  SendRaw(queue.descriptor(), "second");
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified for a message arriving on a non-empty queue";
  queue.Receive();
  queue.Receive();
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());

  SendRaw(queue.descriptor(), "third");
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value())
      << "no notification for the empty -> non-empty transition";
}

// mq_notify(3): "Notification occurs once: after a notification is
// delivered, the notification registration is removed, and another process
// can register for message notification."
TEST_F(PosixMqNotifyTest, RegistrationIsRemovedByTheNotification) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());
  SendRaw(queue.descriptor(), "one");
  ASSERT_TRUE(TakePendingSignal(kNotifySignal).has_value());

  queue.Receive();
  SendRaw(queue.descriptor(), "two");
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified a second time without registering again";
  queue.Receive();

  ChildProcess other =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  EXPECT_TRUE(ExitedWithZero(other.Wait()))
      << "another process could not register after the notification";
  // That child's exit closed its descriptor, dropping its registration, so
  // this process may register again and is notified again.
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());
  SendRaw(queue.descriptor(), "three");
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value());
}

// mq_notify(3): "Only one process can be registered to receive notification
// from a message queue"; EBUSY "Another process has already registered".
// The kernel refuses a second registration by the registered process itself
// too. An unregistration (NULL) by another process is accepted and changes
// nothing; by the owner, it frees the queue for someone else.
TEST_F(PosixMqNotifyTest, SecondRegistrationFailsEbusy) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());

  ChildProcess other =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  const WaitStatus status = other.Wait();
  EXPECT_TRUE(status.ExitedWith(ErrnoExit(EBUSY)))
      << ExitedWithZero(status).message();

  EXPECT_THAT(::mq_notify(queue.descriptor(), &event),
              SyscallFailsWithErrno(EBUSY))
      << "the registered process itself";

  ChildProcess unregisters = ChildProcess::Fork([&] {
    if (::mq_notify(queue.descriptor(), nullptr) != 0) return ErrnoExit();
    return RegisterInChild(queue.descriptor());  // still the parent's
  });
  const WaitStatus unregistered = unregisters.Wait();
  EXPECT_TRUE(unregistered.ExitedWith(ErrnoExit(EBUSY)))
      << ExitedWithZero(unregistered).message();

  ASSERT_THAT(::mq_notify(queue.descriptor(), nullptr), SyscallSucceeds());
  ChildProcess now_free =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  EXPECT_TRUE(ExitedWithZero(now_free.Wait()));
}

// mq_notify(3): "If another process or thread is waiting to read a message
// from an empty queue using mq_receive(3), then any message notification
// registration is ignored: the message is delivered to the process or thread
// calling mq_receive(3), and the message notification registration remains
// in effect."
TEST_F(PosixMqNotifyTest, BlockedReceiverTakesTheMessageAndNoNotification) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());

  ChildProcess receiver = ChildProcess::Fork([&] {
    const ssize_t n =
        ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr);
    if (n < 0) return ErrnoExit();
    return n == 5 && std::memcmp(buffer.data(), "taken", 5) == 0 ? 0 : 10;
  });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  SendRaw(queue.descriptor(), "taken");
  EXPECT_TRUE(ExitedWithZero(receiver.Wait()));
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value())
      << "notified although a receiver was waiting";
  EXPECT_EQ(CurrentMessages(queue), 0);

  // "the message notification registration remains in effect"
  SendRaw(queue.descriptor(), "next");
  EXPECT_TRUE(TakePendingSignal(kNotifySignal).has_value())
      << "the registration did not survive";
}

// mq_close(3): "If the calling process has attached a notification request
// to this message queue via mqdes, then this request is removed". The kernel
// does it when the registered process closes *any* descriptor of the queue
// (its flush checks only the process), even one opened separately; a child
// that inherited the descriptor and exits does not remove it.
TEST_F(PosixMqNotifyTest, ClosingAnyDescriptorOfTheQueueEndsTheRegistration) {
  CLAIM("mq.beyond.posix-notify", "mq.beyond.posix-notify-close");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const sigevent event = SignalEvent();
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());

  ChildProcess inheritor = ChildProcess::Fork([&] {
    ::mq_close(queue.descriptor());
    return 0;
  });
  ASSERT_TRUE(ExitedWithZero(inheritor.Wait()));
  ChildProcess probe =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  const WaitStatus still_registered = probe.Wait();
  EXPECT_TRUE(still_registered.ExitedWith(ErrnoExit(EBUSY)))
      << "a child's close removed the parent's registration: "
      << still_registered.ToString();

  {
    PosixMessageQueue second = PosixMessageQueue::Open(queue.name());
  }  // closes a different descriptor of the same queue
  ChildProcess after =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  EXPECT_TRUE(ExitedWithZero(after.Wait()))
      << "closing another descriptor left the registration in place";
  SendRaw(queue.descriptor(), "x");
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());
}

// mq_notify(3), SIGEV_NONE: "the calling process is registered as the target
// for notification, but when a message arrives, no notification is sent." It
// holds the registration (EBUSY for others) and, like any, is consumed by
// the arrival.
TEST_F(PosixMqNotifyTest, SigevNoneHoldsTheRegistrationUntilAMessageArrives) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  sigevent none{};
  none.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(::mq_notify(queue.descriptor(), &none), SyscallSucceeds());
  ChildProcess before =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  const WaitStatus busy = before.Wait();
  EXPECT_TRUE(busy.ExitedWith(ErrnoExit(EBUSY))) << busy.ToString();

  SendRaw(queue.descriptor(), "arrives");
  EXPECT_FALSE(TakePendingSignal(kNotifySignal).has_value());
  ChildProcess after =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  EXPECT_TRUE(ExitedWithZero(after.Wait()));
}

// mq_notify(3) EINVAL: "sevp->sigev_notify is not one of the permitted
// values; or sevp->sigev_notify is SIGEV_SIGNAL and sevp->sigev_signo is not
// a valid signal number."
TEST_F(PosixMqNotifyTest, InvalidSigeventFailsEinval) {
  CLAIM("mq.beyond.posix-notify");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  sigevent bad_method = SignalEvent();
  bad_method.sigev_notify = 12345;
  EXPECT_THAT(::mq_notify(queue.descriptor(), &bad_method),
              SyscallFailsWithErrno(EINVAL));
  sigevent bad_signal = SignalEvent();
  bad_signal.sigev_signo = _NSIG + 1;
  EXPECT_THAT(::mq_notify(queue.descriptor(), &bad_signal),
              SyscallFailsWithErrno(EINVAL));
  // Nothing was registered by the refused calls.
  ChildProcess other =
      ChildProcess::Fork([&] { return RegisterInChild(queue.descriptor()); });
  EXPECT_TRUE(ExitedWithZero(other.Wait()));
}

int g_thread_pipe_fd = -1;

void OnNotifyThread(sigval value) {
  const int report[2] = {value.sival_int, static_cast<int>(::gettid())};
  [[maybe_unused]] const ssize_t n =
      ::write(g_thread_pipe_fd, report, sizeof report);
}

// mq_notify(3), SIGEV_THREAD: "Upon message delivery, invoke
// sigev_notify_function as if it were the start function of a new thread",
// with sigev_value as its argument (sigevent(7)). glibc builds this on the
// kernel's netlink notification.
TEST_F(PosixMqNotifyTest, SigevThreadRunsTheFunctionInAnotherThread) {
  CLAIM("mq.beyond.posix-notify-thread");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ipc::Pipe reports = ipc::Pipe::Create(O_CLOEXEC);
  g_thread_pipe_fd = reports.write_fd();
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD;
  event.sigev_notify_function = OnNotifyThread;
  event.sigev_value.sival_int = kNotifyValue;
  ASSERT_THAT(::mq_notify(queue.descriptor(), &event), SyscallSucceeds());
  SendRaw(queue.descriptor(), "call me");

  int report[2] = {0, 0};
  reports.ReadExact(std::as_writable_bytes(std::span(report)));
  EXPECT_EQ(report[0], kNotifyValue);
  EXPECT_NE(report[1], CurrentTid()) << "ran on the test's own thread";
  EXPECT_EQ(queue.Receive().data, "call me");
}

// =========================================================================
// poll / epoll / select on a queue descriptor
// =========================================================================

class PosixMqReadinessTest : public ::testing::TestWithParam<ReadinessApi> {
 protected:
  void SetUp() override { ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP(); }
  int Ready(const PosixMessageQueue& queue) {
    return WaitReady(GetParam(), queue.descriptor(), kReadable | kWritable, 0);
  }
};

INSTANTIATE_TEST_SUITE_P(
    Apis, PosixMqReadinessTest,
    ::testing::Values(ReadinessApi::kPoll, ReadinessApi::kEpoll,
                      ReadinessApi::kSelect),
    [](const ::testing::TestParamInfo<ReadinessApi>& info) {
      switch (info.param) {
        case ReadinessApi::kPoll:
          return std::string("Poll");
        case ReadinessApi::kEpoll:
          return std::string("Epoll");
        case ReadinessApi::kSelect:
          return std::string("Select");
      }
      return std::string("Unknown");
    });

// mq_overview(7): "On Linux, a message queue descriptor is actually a file
// descriptor ... This means that a message queue descriptor can be monitored
// using select(2), poll(2), or epoll(7)." Empty: writable, not readable.
TEST_P(PosixMqReadinessTest, EmptyQueueIsWritableButNotReadable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(Ready(queue), kWritable) << ReadyText(Ready(queue));
}

// A queued message makes the descriptor readable; receiving it undoes that.
TEST_P(PosixMqReadinessTest, QueueWithAMessageIsReadable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ASSERT_GE(queue.Attributes().mq_maxmsg, 2);
  SendRaw(queue.descriptor(), "x");
  EXPECT_EQ(Ready(queue), kReadable | kWritable) << ReadyText(Ready(queue));
  queue.Receive();
  EXPECT_EQ(Ready(queue), kWritable) << ReadyText(Ready(queue));
}

// Full (mq_curmsgs == mq_maxmsg): readable, no longer writable.
TEST_P(PosixMqReadinessTest, FullQueueIsReadableButNotWritable) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const long maxmsg = queue.Attributes().mq_maxmsg;
  for (long i = 0; i < maxmsg; ++i) SendRaw(queue.descriptor(), "f");
  EXPECT_EQ(Ready(queue), kReadable) << ReadyText(Ready(queue));
  queue.Receive();
  EXPECT_EQ(Ready(queue), kReadable | kWritable) << ReadyText(Ready(queue));
}

// A process waiting for input on an empty queue sleeps in the readiness
// call and is woken by a send.
TEST_P(PosixMqReadinessTest, WaiterForInputIsWokenByASend) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ChildProcess waiter = ChildProcess::Fork([&] {
    const int ready = WaitReady(GetParam(), queue.descriptor(), kReadable, -1);
    return ready == kReadable ? 0 : 10 + (ready < 0 ? 9 : ready);
  });
  ASSERT_TRUE(WaitUntilBlockedInReadinessWait(GetParam(), waiter.pid()));
  SendRaw(queue.descriptor(), "x");
  EXPECT_TRUE(ExitedWithZero(waiter.Wait()));
}

// A process waiting for room on a full queue is woken by a receive.
TEST_P(PosixMqReadinessTest, WaiterForRoomIsWokenByAReceive) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const long maxmsg = queue.Attributes().mq_maxmsg;
  for (long i = 0; i < maxmsg; ++i) SendRaw(queue.descriptor(), "f");
  ChildProcess waiter = ChildProcess::Fork([&] {
    const int ready = WaitReady(GetParam(), queue.descriptor(), kWritable, -1);
    return ready == kWritable ? 0 : 10 + (ready < 0 ? 9 : ready);
  });
  ASSERT_TRUE(WaitUntilBlockedInReadinessWait(GetParam(), waiter.pid()));
  queue.Receive();
  EXPECT_TRUE(ExitedWithZero(waiter.Wait()));
}

// The kernel's poll for a queue looks only at the message count, not at how
// the descriptor was opened: an O_WRONLY descriptor reports POLLIN for a
// message it may not receive, an O_RDONLY one POLLOUT for a send it may not
// make (mq_overview(7) does not say; this pins what the kernel does).
TEST_F(PosixMqTest, PollReadinessIgnoresTheAccessMode) {
  CLAIM("mq.beyond.posix-poll");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  PosixMessageQueue read_only = PosixMessageQueue::Open(queue.name(), O_RDONLY);
  PosixMessageQueue write_only =
      PosixMessageQueue::Open(queue.name(), O_WRONLY);
  SendRaw(queue.descriptor(), "x");
  pollfd entries[2] = {{read_only.descriptor(), POLLIN | POLLOUT, 0},
                       {write_only.descriptor(), POLLIN | POLLOUT, 0}};
  ASSERT_THAT(::poll(entries, 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(entries[0].revents & (POLLIN | POLLOUT), POLLIN | POLLOUT);
  EXPECT_EQ(entries[1].revents & (POLLIN | POLLOUT), POLLIN | POLLOUT);
  EXPECT_EQ(entries[0].revents & (POLLERR | POLLHUP | POLLNVAL), 0);

  // What the access mode does decide: the calls themselves (EBADF).
  EXPECT_THAT(::mq_send(read_only.descriptor(), "y", 1, 0),
              SyscallFailsWithErrno(EBADF));
  std::vector<char> big(static_cast<size_t>(queue.Attributes().mq_msgsize));
  EXPECT_THAT(
      ::mq_receive(write_only.descriptor(), big.data(), big.size(), nullptr),
      SyscallFailsWithErrno(EBADF));
}

// =========================================================================
// The descriptor
// =========================================================================

// mq_overview(7): "a message queue descriptor is actually a file
// descriptor", and "The close-on-exec flag (see open(2)) is automatically
// set on the file descriptor returned by mq_open(2)" — even without
// O_CLOEXEC. Its /proc link names the queue; fstat sees the owner and mode.
TEST_F(PosixMqTest, DescriptorIsAFileDescriptorWithCloseOnExec) {
  CLAIM("mq.beyond.posix-descriptor");
  ScopedUmask umask(0);
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), std::nullopt, O_RDWR, 0640);
  const int fd = queue.descriptor();
  EXPECT_THAT(::fcntl(fd, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  struct stat st {};
  ASSERT_THAT(::fstat(fd, &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  char link[PATH_MAX] = {};
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_EQ(std::string(link, static_cast<size_t>(n)), queue.name());
}

// mq_overview(7): "After a fork(2), a child inherits copies of its parent's
// message queue descriptors, and these descriptors refer to the same open
// message queue descriptions ... Corresponding message queue descriptors in
// the two processes share the flags (mq_flags)". A child's mq_setattr of
// O_NONBLOCK shows in the parent.
TEST_F(PosixMqTest, ForkSharesTheOpenDescriptionAndItsNonBlockingFlag) {
  CLAIM("mq.beyond.posix-descriptor");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  ASSERT_EQ(queue.Attributes().mq_flags, 0);
  ChildProcess child = ChildProcess::Fork([&] {
    mq_attr attr{};
    attr.mq_flags = O_NONBLOCK;
    return ::mq_setattr(queue.descriptor(), &attr, nullptr) == 0 ? 0
                                                                 : ErrnoExit();
  });
  ASSERT_TRUE(ExitedWithZero(child.Wait()));
  EXPECT_EQ(queue.Attributes().mq_flags, O_NONBLOCK);
  std::vector<char> buffer(static_cast<size_t>(queue.Attributes().mq_msgsize));
  EXPECT_THAT(
      ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr),
      SyscallFailsWithErrno(EAGAIN));
}

// =========================================================================
// Permissions
// =========================================================================

// mq_open(3): "The mode argument specifies the permissions to be placed on
// the new queue, as for open(2) ... The permissions settings are masked
// against the process umask."
TEST_F(PosixMqTest, UmaskMasksTheModeOfANewQueue) {
  CLAIM("mq.beyond.posix-umask");
  struct Case {
    mode_t umask;
    mode_t expected;
  };
  for (const Case& c : {Case{022, 0644}, Case{0, 0666}, Case{077, 0600}}) {
    ScopedUmask umask(c.umask);
    PosixMessageQueue queue = PosixMessageQueue::Create(
        UniqueQueueName(), std::nullopt, O_RDWR, 0666);
    struct stat st {};
    ASSERT_THAT(::fstat(queue.descriptor(), &st), SyscallSucceeds());
    EXPECT_EQ(st.st_mode & 0777, c.expected)
        << std::oct << "umask " << c.umask << ": mode " << st.st_mode;
  }
}

// mq_open(3) EACCES: "The queue exists, but the caller does not have
// permission to open it in the specified mode." Another uid is refused by a
// 0600 queue in every mode and admitted by a 0666 one (it sends; we receive,
// and the mode bits are read for O_RDONLY / O_WRONLY separately on 0644).
// mq_unlink(3) EACCES: "The caller does not have permission to unlink this
// message queue."
TEST_F(PosixMqTest, AnotherUidIsRefusedBy0600AndAdmittedBy0666) {
  CLAIM("mq.beyond.permissions");
  // In a user namespace that maps only uid 0 (Bazel's sandbox, or the
  // unprivileged fallback of EnterPrivateIpcNamespace) there is no other uid.
  const std::string why = WhyCannotBecomeUid(kOtherUid, kOtherGid);
  if (!why.empty()) SKIP_UNVERIFIED(why);
  ScopedUmask umask(0);
  PosixMessageQueue private_queue = PosixMessageQueue::Create(
      UniqueQueueName("private"), std::nullopt, O_RDWR, 0600);
  PosixMessageQueue shared_queue = PosixMessageQueue::Create(
      UniqueQueueName("shared"), std::nullopt, O_RDWR, 0666);
  PosixMessageQueue read_only_for_others = PosixMessageQueue::Create(
      UniqueQueueName("readable"), std::nullopt, O_RDWR, 0644);
  SendRaw(read_only_for_others.descriptor(), "public");
  const size_t msgsize =
      static_cast<size_t>(read_only_for_others.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);

  ChildProcess other = ChildProcess::Fork([&] {
    if (const int failed = DropToUid(kOtherUid, kOtherGid); failed != 0)
      return failed;
    for (int flags : {O_RDONLY, O_WRONLY, O_RDWR}) {
      const mqd_t mqd = ::mq_open(private_queue.name().c_str(), flags);
      if (mqd != kNoQueue) return 10 + flags;  // 10, 11, 12
      if (errno != EACCES) return ErrnoExit();
    }
    if (::mq_unlink(private_queue.name().c_str()) == 0) return 20;
    if (errno != EACCES) return ErrnoExit();

    const mqd_t shared = ::mq_open(shared_queue.name().c_str(), O_RDWR);
    if (shared == kNoQueue) return 30;
    if (::mq_send(shared, "from nobody", 11, 0) != 0) return 31;

    const mqd_t readable =
        ::mq_open(read_only_for_others.name().c_str(), O_RDONLY);
    if (readable == kNoQueue) return 40;
    const ssize_t n =
        ::mq_receive(readable, buffer.data(), buffer.size(), nullptr);
    if (n != 6 || std::memcmp(buffer.data(), "public", 6) != 0) return 41;
    if (::mq_open(read_only_for_others.name().c_str(), O_WRONLY) != kNoQueue) {
      return 42;
    }
    if (errno != EACCES) return ErrnoExit();
    return 0;
  });
  EXPECT_TRUE(ExitedWithZero(other.Wait()));
  EXPECT_EQ(shared_queue.Receive().data, "from nobody");
  EXPECT_EQ(CurrentMessages(private_queue), 0);
  ScopedMqd reopened(::mq_open(private_queue.name().c_str(), O_RDWR));
  EXPECT_TRUE(reopened.valid())
      << "the other uid unlinked the private queue: " << ErrnoName(errno);
  RecordMeasurement("other_uid", static_cast<int64_t>(kOtherUid));
}

// =========================================================================
// Names
// =========================================================================

// mq_open(3) EEXIST: "Both O_CREAT and O_EXCL were specified in oflag, but a
// queue with this name already exists." Without O_EXCL the existing queue is
// opened and the attributes passed are ignored (they apply to creation);
// without O_CREAT a missing name fails ENOENT.
TEST_F(PosixMqTest, CreatingAnExistingNameFailsEexistUnlessOpened) {
  CLAIM("mq.beyond.posix-names");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  SendRaw(queue.descriptor(), "existing");
  EXPECT_THAT(
      ::mq_open(queue.name().c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr),
      SyscallFailsWithErrno(EEXIST));
  try {
    PosixMessageQueue::Create(queue.name());
    ADD_FAILURE() << "Create of an existing name succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST) << e.what();
  }

  mq_attr other{};
  other.mq_maxmsg = 1;
  other.mq_msgsize = 1;
  ScopedMqd opened(
      ::mq_open(queue.name().c_str(), O_CREAT | O_RDWR, 0600, &other));
  ASSERT_TRUE(opened.valid()) << ErrnoName(errno);
  mq_attr attr{};
  ASSERT_THAT(::mq_getattr(opened.get(), &attr), SyscallSucceeds());
  EXPECT_EQ(attr.mq_maxmsg, queue.Attributes().mq_maxmsg);
  EXPECT_EQ(attr.mq_msgsize, queue.Attributes().mq_msgsize);
  EXPECT_EQ(attr.mq_curmsgs, 1);

  EXPECT_THAT(::mq_open(UniqueQueueName("missing").c_str(), O_RDWR),
              SyscallFailsWithErrno(ENOENT));
}

// mq_overview(7): a name is "an initial slash, followed by one or more
// characters, none of which are slashes", of "up to NAME_MAX (i.e., 255)
// characters". The wrapper refuses anything else with std::invalid_argument
// (a bad argument, before any system call) rather than std::system_error (a
// kernel refusal), for Create, Open and Unlink alike.
TEST_F(PosixMqTest, WrapperRefusesMalformedNamesBeforeAnySystemCall) {
  CLAIM("mq.beyond.posix-names");
  const std::string too_long = "/" + std::string(NAME_MAX, 'n');
  const std::string names[] = {
      "",      "noslash", "/", "//", "/a/b", "/a/", std::string("/a\0b", 4),
      too_long};
  for (const std::string& name : names) {
    SCOPED_TRACE("name \"" + name + "\" (" + std::to_string(name.size()) +
                 " bytes)");
    EXPECT_THROW(PosixMessageQueue::Create(name), std::invalid_argument);
    EXPECT_THROW(PosixMessageQueue::Open(name), std::invalid_argument);
    EXPECT_THROW(PosixMessageQueue::Unlink(name), std::invalid_argument);
    EXPECT_THROW(PosixMessageQueue::CheckName(name), std::invalid_argument);
  }
  // Nothing was created by any of them.
  try {
    EXPECT_THAT(ListPosixMessageQueues(), ::testing::IsEmpty());
  } catch (const std::system_error& e) {
    RecordMeasurement("queue_listing", std::string_view("unavailable"));
  }
}

// What the kernel (and glibc's mq_open) do with the same names. mq_open(3):
// "The library function performs the check that the name starts with a
// slash (/), giving the EINVAL error if it does not"; EACCES "name contained
// more than one slash"; ENOENT "name was just "/" followed by no other
// characters"; ENAMETOOLONG "name was too long". The kernel takes up to
// NAME_MAX characters after the slash (glibc strips the slash), one more
// than mq_overview(7)'s "up to NAME_MAX" for the whole name, which is what
// the wrapper enforces.
TEST_F(PosixMqTest, KernelRefusesMalformedNames) {
  CLAIM("mq.beyond.posix-names");
  struct Case {
    std::string name;
    int expected_errno;  // 0: created
  };
  const Case cases[] = {
      {"noslash", EINVAL},
      {"", EINVAL},
      {"/", ENOENT},
      {"//", EACCES},
      {"/a/b", EACCES},
      {"/a/", EACCES},
      {"/" + std::string(NAME_MAX + 1, 'n'), ENAMETOOLONG},
      {"/" + std::string(NAME_MAX, 'n'), 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("name of " + std::to_string(c.name.size()) + " bytes: \"" +
                 c.name.substr(0, 12) + "\"");
    ScopedMqd mqd(
        ::mq_open(c.name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr));
    const int err = errno;
    if (c.expected_errno == 0) {
      EXPECT_TRUE(mqd.valid()) << ErrnoName(err);
      ::mq_unlink(c.name.c_str());
      EXPECT_THROW(PosixMessageQueue::CheckName(c.name), std::invalid_argument)
          << "the wrapper follows mq_overview(7), stricter than the kernel";
    } else {
      EXPECT_FALSE(mqd.valid());
      EXPECT_EQ(err, c.expected_errno)
          << ErrnoName(err) << " instead of " << ErrnoName(c.expected_errno);
    }
  }
}

// mq_overview(7): "On Linux, message queues are created in a virtual
// filesystem" which, mounted, shows them as files; an unlinked queue is gone
// from it while its descriptor still works. (The host has no /dev/mqueue:
// the listing mounts this namespace's mqueue filesystem privately.)
TEST_F(PosixMqTest, QueueIsAFileInTheNamespacesMqueueFilesystem) {
  CLAIM("mq.not-immediate", "mq.beyond.posix-mqueue-fs");
  std::vector<std::string> before;
  try {
    before = ListPosixMessageQueues();
  } catch (const std::system_error& e) {
    SKIP_UNVERIFIED(std::string("cannot mount this namespace's mqueue "
                                "filesystem to list its queues: ") +
                    e.what());
  }
  EXPECT_THAT(before, ::testing::IsEmpty()) << "a fresh namespace has queues";

  PosixMessageQueue first = PosixMessageQueue::Create(UniqueQueueName());
  PosixMessageQueue second = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_THAT(ListPosixMessageQueues(),
              ::testing::UnorderedElementsAre(first.name(), second.name()));

  first.UnlinkName();
  EXPECT_THAT(ListPosixMessageQueues(), ::testing::ElementsAre(second.name()));
  SendRaw(first.descriptor(), "still works");
  EXPECT_EQ(first.Receive().data, "still works");
}

// =========================================================================
// Measured: a queue against a pipe
// =========================================================================

// Sends `size`-byte messages on a non-blocking descriptor until EAGAIN.
long FillQueueUntilEagain(mqd_t mqd, size_t size) {
  const std::vector<char> message(size, 'm');
  long accepted = 0;
  while (::mq_send(mqd, message.data(), message.size(), 0) == 0) ++accepted;
  if (errno != EAGAIN) ipc::ThrowErrno("mq_send while filling a queue");
  return accepted;
}

// The note says queues solve the pipes' blocking (消息队列就能够解决这个问题).
// What a writer can leave behind with no reader before it would block:
// a default queue takes min(msg_default, msg_max) messages however small
// they are — 1-byte messages fill it after that many bytes — and that many
// messages of mq_msgsize when they are full-size; a default pipe takes its
// capacity in bytes. Both then refuse (EAGAIN) or block: neither removes the
// blocking, they only buffer differently.
TEST_F(PosixMqTest, DefaultQueueBuffersMessagesNotBytesUnlikeADefaultPipe) {
  CLAIM("mq.solves-pipe-blocking", "mq.send-and-return");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);

  PosixMessageQueue small = PosixMessageQueue::Create(
      UniqueQueueName(), std::nullopt, O_WRONLY | O_NONBLOCK);
  const long small_count = FillQueueUntilEagain(small.descriptor(), 1);
  EXPECT_EQ(small_count, sysctls.default_maxmsg());

  PosixMessageQueue full = PosixMessageQueue::Create(
      UniqueQueueName(), std::nullopt, O_WRONLY | O_NONBLOCK);
  const size_t msgsize = static_cast<size_t>(full.Attributes().mq_msgsize);
  EXPECT_EQ(static_cast<int64_t>(msgsize), sysctls.default_msgsize());
  const long full_count = FillQueueUntilEagain(full.descriptor(), msgsize);
  EXPECT_EQ(full_count, sysctls.default_maxmsg());

  ipc::Pipe pipe = ipc::Pipe::Create(O_NONBLOCK | O_CLOEXEC);
  const size_t pipe_bytes =
      WriteUntilEagain(pipe.write_fd(), PIPE_BUF,
                       static_cast<size_t>(4 * ReadSysctl("fs/pipe-max-size")))
          .bytes;
  EXPECT_EQ(pipe_bytes, pipe.Capacity());

  RecordMeasurement("queue.messages_accepted_1_byte", small_count);
  RecordMeasurement("queue.bytes_accepted_1_byte", small_count);
  RecordMeasurement("queue.messages_accepted_full_size", full_count);
  RecordMeasurement("queue.bytes_accepted_full_size",
                    static_cast<int64_t>(full_count * msgsize));
  RecordMeasurement("pipe.bytes_accepted", pipe_bytes);
  RecordMeasurement("pipe.capacity", pipe.Capacity());
  RecordMeasurement("ratio.queue_full_size_bytes_over_pipe_bytes",
                    static_cast<double>(full_count * msgsize) /
                        static_cast<double>(pipe_bytes));
}

// Moves `data` through a queue of `attrs` to a forked receiver that checks
// every byte, in messages of mq_msgsize bytes (the last one shorter).
TransferResult TransferThroughQueue(const std::vector<char>& data,
                                    const PosixQueueAttributes& attrs) {
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName("bulk"), attrs);
  const size_t msgsize = static_cast<size_t>(attrs.max_message_size);
  const mqd_t mqd = queue.descriptor();
  std::vector<std::byte> buffer(msgsize);
  const TransferResult result = MeasureTransfer(
      std::as_bytes(std::span(data)), buffer,
      [mqd](std::span<std::byte> into) {
        return ::mq_receive(mqd, reinterpret_cast<char*>(into.data()),
                            into.size(), nullptr);
      },
      msgsize,
      [&data, mqd](size_t offset, size_t n) {
        // mq_send resumes after a handled signal (SA_RESTART); the loop is
        // for a handler installed without it.
        while (::mq_send(mqd, data.data() + offset, n, 0) != 0) {
          if (errno != EINTR) ipc::ThrowErrno("mq_send during the transfer");
        }
        return n;
      });
  EXPECT_TRUE(ExitedWithZero(result.receiver_status))
      << "queue transfer in " << msgsize << "-byte messages";
  return result;
}

// The same through a default pipe in `chunk`-byte writes and
// capacity-sized reads.
TransferResult TransferThroughPipe(const std::vector<char>& data,
                                   size_t chunk) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<std::byte> buffer(pipe.Capacity());
  const int read_fd = pipe.read_fd();
  const TransferResult result = MeasureTransfer(
      std::as_bytes(std::span(data)), buffer,
      [read_fd](std::span<std::byte> into) {
        return ::read(read_fd, into.data(), into.size());
      },
      chunk,
      [&](size_t offset, size_t n) {
        ipc::WriteAll(pipe.write_fd(),
                      std::as_bytes(std::span(data)).subspan(offset, n));
        return n;
      });
  EXPECT_TRUE(ExitedWithZero(result.receiver_status)) << "pipe transfer";
  return result;
}

// Runs `transfer` `rounds` times and records the median, lowest and
// highest rate (one run is at the mercy of the scheduler on two cores).
template <typename Transfer>
void RecordTransferRates(const std::string& prefix, size_t bytes, int rounds,
                         const Transfer& transfer) {
  std::vector<double> rates;
  size_t units = 0;
  for (int round = 0; round < rounds; ++round) {
    const TransferResult r = transfer();
    rates.push_back(r.MegabytesPerSecond(bytes));
    units = r.units;
  }
  std::sort(rates.begin(), rates.end());
  RecordMeasurement(prefix + ".mb_per_s_median", rates[rates.size() / 2]);
  RecordMeasurement(prefix + ".mb_per_s_min", rates.front());
  RecordMeasurement(prefix + ".mb_per_s_max", rates.back());
  RecordMeasurement(prefix + ".units_per_transfer", units);
}

// The note says queues are unsuitable for large data (不适合大数据的传输).
// Measured, not asserted: 16 MiB from one process to another through a
// queue in max-size messages — as the host's limits allow (msgsize_max
// bytes, msg_max deep), and with msgsize_max raised in this namespace to
// 64 KiB, as deep as RLIMIT_MSGQUEUE lets the queue be — against a default
// pipe written in 64 KiB chunks. Data integrity and the message count are
// asserted; the rates are recorded.
TEST_F(PosixMqTest, BulkTransferThroughputAgainstAPipe) {
  CLAIM("mq.not-for-big-data");
  SetTestTimeout(std::chrono::seconds(120));
  constexpr size_t kBytes = 16 << 20;
  constexpr int kRounds = 5;
  constexpr size_t kPipeChunk = 64 << 10;
  constexpr long kRaisedMsgsize = 64 << 10;
  const std::vector<char> data = Pattern(kBytes, 7);
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));
  RecordMeasurement("bytes", kBytes);
  RecordMeasurement("rounds", kRounds);

  const PosixQueueAttributes host{sysctls.msg_max, sysctls.msgsize_max};
  RecordTransferRates("queue_host_limits", kBytes, kRounds, [&] {
    const TransferResult r = TransferThroughQueue(data, host);
    EXPECT_EQ(r.units, (kBytes + host.max_message_size - 1) /
                           static_cast<size_t>(host.max_message_size));
    return r;
  });
  RecordMeasurement("queue_host_limits.mq_msgsize", host.max_message_size);
  RecordMeasurement("queue_host_limits.mq_maxmsg", host.max_messages);

  RecordTransferRates("pipe", kBytes, kRounds,
                      [&] { return TransferThroughPipe(data, kPipeChunk); });
  RecordMeasurement("pipe.chunk_bytes", kPipeChunk);
  RecordMeasurement("pipe.capacity", ipc::Pipe::Create().Capacity());

  // Per getrlimit(2) a queue costs maxmsg * (msgsize + overhead); a margin
  // of 512 bytes per message covers the overhead.
  const long per_message = kRaisedMsgsize + 512;
  const long depth = std::min<long>(
      sysctls.msg_max, limit.rlim_cur == RLIM_INFINITY
                           ? sysctls.msg_max
                           : static_cast<long>(limit.rlim_cur) / per_message);
  if (depth < 1) {
    RecordMeasurement("queue_raised",
                      std::string_view("not measured: RLIMIT_MSGQUEUE "
                                       "too small for a 64 KiB message"));
    return;
  }
  const std::string why =
      sysctls.msgsize_max >= kRaisedMsgsize
          ? ""
          : TryWriteSysctl("fs/mqueue/msgsize_max", kRaisedMsgsize);
  if (!why.empty()) {
    RecordMeasurement("queue_raised", std::string_view(why));
    return;
  }
  const PosixQueueAttributes raised{depth, kRaisedMsgsize};
  RecordTransferRates("queue_raised", kBytes, kRounds, [&] {
    const TransferResult r = TransferThroughQueue(data, raised);
    EXPECT_EQ(r.units, kBytes / kRaisedMsgsize);
    return r;
  });
  RecordMeasurement("queue_raised.mq_msgsize", raised.max_message_size);
  RecordMeasurement("queue_raised.mq_maxmsg", raised.max_messages);
}

}  // namespace
}  // namespace ipcproof

// POSIX message queues, the messages themselves (docs/claims.json, mq.*):
// boundaries, order and priorities, sizes, who blocks and who is woken, the
// kernel's order of argument checks, signals, and a many-to-many run. The
// limits are in posix_mq_limits_test.cc, names, descriptors and permissions
// in posix_mq_names_test.cc, mq_notify and poll in posix_mq_notify_test.cc.
//
// Semantics shared by every queue geometry are tested once in
// PosixMqShapeTest, run for a queue made with the namespace's default
// attributes and for one with explicit attributes. Blocking is proven from
// /proc (WaitUntilBlockedIn on mq_timedsend / mq_timedreceive, the system
// calls glibc's mq_send and mq_receive make: mq_overview(7), "Library
// interfaces and system calls"), never by sleeping. The test process itself
// never makes a call that could sleep for ever (posix_mq_util.h: SendNow,
// ReceiveNow; the kit's ExitsWithZeroWithin). Children do only
// async-signal-safe work and report through their exit code.
//
// Kernel paths (ipc/mqueue.c, read in Linux 6.12): do_mq_timedsend either
// hands the message to the first waiting receiver (pipelined_send) or
// inserts it (msg_insert) into a red-black tree of one node per priority;
// do_mq_timedreceive takes the rightmost node's first message (msg_get) and,
// on a full queue, admits the first blocked sender's message in the same
// call (pipelined_receive). Waiters sleep in wq_sleep, queued by wq_add in
// order of scheduling priority, then of arrival. Each test names the branch
// it decides.
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_objects.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/subreaper.h"
#include "conformance/kit/time_scale.h"
#include "conformance/mq/posix_mq_util.h"
#include "conformance/procfs/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::PosixMessageQueue;
using ::ipc::PosixQueueAttributes;
using ::ipc::RealtimeDeadlineFromNow;

// How long a call that must fail at once may take before it counts as
// having slept: the deadline given to a timed call that the kernel must
// refuse before it looks at the queue. A kernel that sleeps instead fails
// with ETIMEDOUT after this, not after the watchdog.
constexpr std::chrono::milliseconds kMustNotSleep{1000};

bool RealtimeHasReached(const timespec& deadline) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return now.tv_sec > deadline.tv_sec ||
         (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

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
// exactly (NULs included), with the priority they were sent with.
TEST_P(PosixMqShapeTest, EachSendIsOneReceiveWhateverTheBufferSize) {
  CLAIM("mq.kernel-list-of-blocks");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const std::string binary("a\0b", 3);
  ASSERT_TRUE(SendNow(mqd, "abc"));
  ASSERT_TRUE(SendNow(mqd, binary));
  ASSERT_TRUE(SendNow(mqd, ""));
  ASSERT_EQ(CurrentMessages(mqd), 3);

  const long msgsize = queue.Attributes().mq_msgsize;
  // Four times mq_msgsize: room for all three, yet each comes alone.
  std::vector<char> buffer(4 * static_cast<size_t>(msgsize));
  for (const std::string& expected :
       {std::string("abc"), binary, std::string()}) {
    unsigned priority = 99;
    const ssize_t n = ::mq_timedreceive(mqd, buffer.data(), buffer.size(),
                                        &priority, &kAlreadyExpired);
    ASSERT_THAT(n, SyscallSucceedsWithValue(expected.size()));
    EXPECT_EQ(std::string(buffer.data(), static_cast<size_t>(n)), expected);
    EXPECT_EQ(priority, 0u);
  }
  EXPECT_EQ(CurrentMessages(mqd), 0);
}

// mq_overview(7): messages of one priority come out in the order they went
// in, also when sends and receives alternate (msg_insert appends to the
// priority's list, msg_get takes its head).
TEST_P(PosixMqShapeTest, MessagesOfOnePriorityComeOutInSendOrder) {
  CLAIM("mq.kernel-list-of-blocks");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_GE(maxmsg, 2);
  int next_sent = 0;
  int next_received = 0;
  for (long i = 0; i < maxmsg; ++i) {
    ASSERT_TRUE(SendNow(mqd, "m" + std::to_string(next_sent++), 7));
  }
  // Alternate: take one, add one, a few times round the whole queue.
  for (long round = 0; round < 2 * maxmsg; ++round) {
    ASSERT_TRUE(ReceivesNow(mqd, "m" + std::to_string(next_received++), 7));
    ASSERT_TRUE(SendNow(mqd, "m" + std::to_string(next_sent++), 7));
  }
  for (long i = 0; i < maxmsg; ++i) {
    ASSERT_TRUE(ReceivesNow(mqd, "m" + std::to_string(next_received++), 7));
  }
}

// mq_overview(7): "messages are always delivered to the receiving process
// highest priority first", and mq_send(3): a message "is placed in the queue
// after any other messages with the same priority".
TEST_P(PosixMqShapeTest, HigherPriorityMessagesAreReceivedFirst) {
  CLAIM("mq.kernel-list-of-blocks", "mq.beyond.posix-priority");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
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
    ASSERT_TRUE(SendNow(mqd, sent.back().data, sent.back().priority));
  }
  std::vector<Sent> expected = sent;
  std::stable_sort(
      expected.begin(), expected.end(),
      [](const Sent& a, const Sent& b) { return a.priority > b.priority; });
  for (const Sent& want : expected) {
    ASSERT_TRUE(ReceivesNow(mqd, want.data, want.priority));
  }
}

// mq_send(3): "msg_len ... must be less than or equal to the queue's
// mq_msgsize attribute"; EMSGSIZE "msg_len was greater than the mq_msgsize
// attribute of the message queue". The limit is the queue's, read back.
TEST_P(PosixMqShapeTest, MessageOfMsgsizeFitsOneByteMoreFailsEmsgsize) {
  CLAIM("mq.size-limited");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  const std::vector<char> largest = Pattern(msgsize, 1);
  ASSERT_THAT(::mq_send(mqd, largest.data(), largest.size(), 0),
              SyscallSucceeds());
  const std::vector<char> too_large = Pattern(msgsize + 1, 2);
  EXPECT_THAT(::mq_send(mqd, too_large.data(), too_large.size(), 0),
              SyscallFailsWithErrno(EMSGSIZE));
  EXPECT_EQ(CurrentMessages(mqd), 1) << "the refused message was queued";
  EXPECT_TRUE(
      ReceivesNow(mqd, std::string_view(largest.data(), largest.size())));
  RecordMeasurement("mq_msgsize", msgsize);
}

// mq_receive(3): EMSGSIZE "msg_len was less than the mq_msgsize attribute of
// the message queue" — the queue's limit decides, not the waiting message's
// length; the message stays queued for a receive with a big enough buffer.
TEST_P(PosixMqShapeTest, ReceiveBufferSmallerThanMsgsizeFailsEmsgsize) {
  CLAIM("mq.size-limited", "mq.beyond.posix-receive-buffer");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  ASSERT_TRUE(SendNow(mqd, "x"));
  std::vector<char> buffer(msgsize);
  EXPECT_THAT(::mq_receive(mqd, buffer.data(), msgsize - 1, nullptr),
              SyscallFailsWithErrno(EMSGSIZE))
      << "a 1-byte message, a buffer of mq_msgsize - 1 bytes";
  EXPECT_EQ(CurrentMessages(mqd), 1) << "the refused receive took it";
  EXPECT_THAT(
      ::mq_timedreceive(mqd, buffer.data(), msgsize, nullptr, &kAlreadyExpired),
      SyscallSucceedsWithValue(1));
}

// do_mq_timedsend and do_mq_timedreceive check the size before they look at
// the queue: a message over mq_msgsize fails EMSGSIZE at once even when the
// queue is full (it does not wait for room it could never use), and a buffer
// under mq_msgsize fails at once even when the queue is empty (it does not
// wait for a message it could not take). The deadline only bounds a kernel
// that waits instead.
TEST_P(PosixMqShapeTest, SizeErrorsComeBeforeTheQueueIsSeenFullOrEmpty) {
  CLAIM("mq.size-limited", "mq.beyond.posix-receive-buffer");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const mq_attr attr = queue.Attributes();
  const size_t msgsize = static_cast<size_t>(attr.mq_msgsize);
  std::vector<char> buffer(msgsize + 1);

  const timespec soon = RealtimeDeadlineFromNow(kMustNotSleep);
  EXPECT_THAT(
      ::mq_timedreceive(mqd, buffer.data(), msgsize - 1, nullptr, &soon),
      SyscallFailsWithErrno(EMSGSIZE))
      << "an empty queue and a buffer one byte short";

  ASSERT_TRUE(SendNowNumbered(mqd, attr.mq_maxmsg));
  EXPECT_THAT(::mq_timedsend(mqd, buffer.data(), msgsize + 1, 0, &soon),
              SyscallFailsWithErrno(EMSGSIZE))
      << "a full queue and a message one byte too long";
  EXPECT_EQ(CurrentMessages(mqd), attr.mq_maxmsg);
}

// mq_send(3): "If the message queue is already full (i.e., the number of
// messages on the queue equals the queue's mq_maxmsg attribute), then, by
// default, mq_send() blocks until sufficient space becomes available". This
// is the refinement of mq.send-and-return (predicted refined): a sender
// returns at once only while the queue has room. The blocked sender is seen
// inside mq_timedsend (glibc's mq_send). The receive that makes room admits
// the sleeping sender's message in the same call (pipelined_receive), so the
// queue is full again as soon as the receive returns, before the sender has
// even run.
TEST_P(PosixMqShapeTest, FullQueueBlocksTheSenderUntilAMessageIsReceived) {
  CLAIM("mq.send-and-return", "mq.solves-pipe-blocking");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_TRUE(SendNowNumbered(mqd, maxmsg));
  ASSERT_EQ(CurrentMessages(mqd), maxmsg);

  ChildProcess sender = ChildProcess::Fork(
      [&] { return ::mq_send(mqd, "late", 4, 0) == 0 ? 0 : ErrnoExit(); });
  ASSERT_TRUE(WaitUntilBlockedIn(sender.pid(), SYS_mq_timedsend));
  EXPECT_EQ(CurrentMessages(mqd), maxmsg) << "a full queue took more";

  ASSERT_TRUE(ReceivesNow(mqd, "m0"));
  EXPECT_EQ(CurrentMessages(mqd), maxmsg)
      << "the receive did not admit the blocked sender's message itself";
  ASSERT_TRUE(ExitsWithZeroWithin(sender));
  for (long i = 1; i < maxmsg; ++i) {
    ASSERT_TRUE(ReceivesNow(mqd, "m" + std::to_string(i)));
  }
  EXPECT_TRUE(ReceivesNow(mqd, "late"));
  RecordMeasurement("mq_maxmsg", maxmsg);
}

// mq_send(3): "If the queue is full, and the O_NONBLOCK flag is enabled for
// the message queue description, then the call instead fails immediately
// with the error EAGAIN" — mq_timedsend too, whatever its timeout (the other
// half of mq.send-and-return's refinement). O_NONBLOCK belongs to the open
// description: a second open of the same queue without it still blocks.
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
  // The timed form first, asserted: a kernel that ignored O_NONBLOCK fails
  // it with ETIMEDOUT after kMustNotSleep, and the untimed mq_send after it,
  // which would then sleep for ever, is never made.
  const timespec later = RealtimeDeadlineFromNow(kMustNotSleep);
  ASSERT_THAT(::mq_timedsend(nonblocking.descriptor(), "g", 1, 0, &later),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(::mq_send(nonblocking.descriptor(), "g", 1, 0),
              SyscallFailsWithErrno(EAGAIN));
  ASSERT_EQ(CurrentMessages(queue.descriptor()), maxmsg);

  // The blocking description, same queue: it waits.
  ChildProcess sender = ChildProcess::Fork([&] {
    return ::mq_send(queue.descriptor(), "h", 1, 0) == 0 ? 0 : ErrnoExit();
  });
  ASSERT_TRUE(WaitUntilBlockedIn(sender.pid(), SYS_mq_timedsend));
  ASSERT_TRUE(ReceivesNow(queue.descriptor(), "f"));
  EXPECT_TRUE(ExitsWithZeroWithin(sender));
}

// The note: the sender puts its message in the queue "然后就可以返回做其他事了"
// (and returns to other work) — the confirmed half of mq.send-and-return
// (predicted refined): while there is room, a sender returns without any
// receiver. Here nobody even holds the queue open for reading while a child
// fills it with blocking sends and exits. The messages are there afterwards.
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
  ASSERT_TRUE(ExitsWithZeroWithin(sender))
      << "a sender with room did not return";
  ASSERT_EQ(CurrentMessages(queue.descriptor()), maxmsg);

  PosixMessageQueue reader = PosixMessageQueue::Open(queue.name(), O_RDONLY);
  for (long i = 0; i < maxmsg; ++i) {
    ASSERT_TRUE(ReceivesNow(reader.descriptor(),
                            std::string(1, static_cast<char>('0' + i % 10))));
  }
}

// mq_receive(3): "If the queue is empty, then, by default, mq_receive()
// blocks until a message becomes available" — exactly like a read on an
// empty pipe (pipe(7)), which is what the note says queues avoid.
TEST_P(PosixMqShapeTest, EmptyQueueBlocksTheReceiverUntilAMessageArrives) {
  CLAIM("mq.solves-pipe-blocking");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  ChildProcess receiver =
      ChildProcess::Fork([&] { return ReceiveInChild(mqd, buffer, "wake"); });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  ASSERT_TRUE(SendNow(mqd, "wake"));
  EXPECT_TRUE(ExitsWithZeroWithin(receiver));
  EXPECT_EQ(CurrentMessages(mqd), 0);
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
  // Each descriptor is tried with the timed form first, asserted: a kernel
  // that ignored O_NONBLOCK fails it (ETIMEDOUT after kMustNotSleep) before
  // the untimed mq_receive, which would then sleep for ever, is made.
  const timespec later = RealtimeDeadlineFromNow(kMustNotSleep);
  ASSERT_THAT(::mq_timedreceive(opened_nonblocking.descriptor(), buffer.data(),
                                buffer.size(), nullptr, &later),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(::mq_receive(opened_nonblocking.descriptor(), buffer.data(),
                           buffer.size(), nullptr),
              SyscallFailsWithErrno(EAGAIN));

  queue.SetNonBlocking(true);
  ASSERT_EQ(queue.Attributes().mq_flags, O_NONBLOCK);
  ASSERT_THAT(::mq_timedreceive(queue.descriptor(), buffer.data(),
                                buffer.size(), nullptr, &later),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(
      ::mq_receive(queue.descriptor(), buffer.data(), buffer.size(), nullptr),
      SyscallFailsWithErrno(EAGAIN));
}

// mq_receive(3): mq_timedreceive "ETIMEDOUT The call timed out before a
// message could be transferred", the timeout being an absolute
// CLOCK_REALTIME time; "If the timeout has already expired by the time of
// the call, and the queue is empty, then mq_timedreceive() returns
// immediately" — the Epoch itself ({0, 0}) and a second ago alike. A valid
// timeout may have 999999999 nanoseconds. wq_sleep returns ETIMEDOUT when
// its hrtimer expires; the deadline has passed when it returns.
TEST_P(PosixMqShapeTest, TimedReceiveOnAnEmptyQueueFailsEtimedout) {
  CLAIM("mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);

  for (const timespec& past :
       {kAlreadyExpired, timespec{0, 999999999},
        RealtimeDeadlineFromNow(-std::chrono::seconds(1))}) {
    EXPECT_THAT(
        ::mq_timedreceive(mqd, buffer.data(), buffer.size(), nullptr, &past),
        SyscallFailsWithErrno(ETIMEDOUT))
        << "deadline " << past.tv_sec << " s " << past.tv_nsec << " ns";
  }

  const auto start = std::chrono::steady_clock::now();
  const timespec soon = RealtimeDeadlineFromNow(std::chrono::milliseconds(20));
  EXPECT_THAT(
      ::mq_timedreceive(mqd, buffer.data(), buffer.size(), nullptr, &soon),
      SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_TRUE(RealtimeHasReached(soon)) << "timed out before the deadline";
  RecordMeasurement("waited_ms_for_20ms_deadline",
                    std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
}

// mq_send(3): mq_timedsend "ETIMEDOUT The call timed out before a message
// could be transferred" — on a full queue; nothing is added (the refinement
// of mq.send-and-return with a deadline).
TEST_P(PosixMqShapeTest, TimedSendOnAFullQueueFailsEtimedout) {
  CLAIM("mq.send-and-return", "mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_TRUE(SendNowNumbered(mqd, maxmsg));

  for (const timespec& past :
       {kAlreadyExpired, RealtimeDeadlineFromNow(-std::chrono::seconds(1))}) {
    EXPECT_THAT(::mq_timedsend(mqd, "x", 1, 0, &past),
                SyscallFailsWithErrno(ETIMEDOUT));
  }
  const timespec soon = RealtimeDeadlineFromNow(std::chrono::milliseconds(20));
  EXPECT_THAT(::mq_timedsend(mqd, "x", 1, 0, &soon),
              SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_TRUE(RealtimeHasReached(soon)) << "timed out before the deadline";
  EXPECT_EQ(CurrentMessages(mqd), maxmsg);
}

// mq_send(3) / mq_receive(3), EINVAL: "The call would have blocked, and
// abs_timeout was invalid, either because tv_sec was less than zero, or
// because tv_nsec was less than zero or greater than 1000 million." The
// kernel checks the timeout on entry (prepare_timeout), before looking at
// the queue, so an invalid one fails EINVAL even when the call would not
// block — and nothing moves.
TEST_P(PosixMqShapeTest,
       InvalidTimeoutFailsEinvalEvenWhenTheCallWouldNotBlock) {
  CLAIM("mq.beyond.posix-timeout");
  PosixMessageQueue queue = MakeQueue();
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);
  ASSERT_TRUE(SendNow(mqd, "waiting"));
  const timespec invalid[] = {{0, 1000000000}, {0, -1}, {-1, 0}};
  for (const timespec& timeout : invalid) {
    SCOPED_TRACE("tv_sec " + std::to_string(timeout.tv_sec) + ", tv_nsec " +
                 std::to_string(timeout.tv_nsec));
    EXPECT_THAT(
        ::mq_timedreceive(mqd, buffer.data(), buffer.size(), nullptr, &timeout),
        SyscallFailsWithErrno(EINVAL))
        << "a message was waiting";
    EXPECT_THAT(::mq_timedsend(mqd, "x", 1, 0, &timeout),
                SyscallFailsWithErrno(EINVAL))
        << "there was room";
    EXPECT_EQ(CurrentMessages(mqd), 1);
  }
  // And where the call would block (LTP's cases): a full queue, an empty one.
  const long maxmsg = queue.Attributes().mq_maxmsg;
  ASSERT_TRUE(SendNowNumbered(mqd, maxmsg - 1));
  EXPECT_THAT(::mq_timedsend(mqd, "x", 1, 0, &invalid[0]),
              SyscallFailsWithErrno(EINVAL))
      << "a full queue";
  EXPECT_TRUE(ReceivesNow(mqd, "waiting"));
  for (long i = 0; i < maxmsg - 1; ++i) {
    ASSERT_TRUE(ReceivesNow(mqd, "m" + std::to_string(i)));
  }
  EXPECT_THAT(::mq_timedreceive(mqd, buffer.data(), buffer.size(), nullptr,
                                &invalid[0]),
              SyscallFailsWithErrno(EINVAL))
      << "an empty queue";
}

// =========================================================================
// Priorities: the tree of one node per priority
// =========================================================================

// mq_overview(7): "Message priorities range from 0 (low) to
// sysconf(_SC_MQ_PRIO_MAX) - 1 (high)". POSIX's mq_send: EINVAL "The value
// of msg_prio was outside the valid range" (Linux's mq_send(3) lists no such
// error; do_mq_timedsend checks msg_prio >= MQ_PRIO_MAX first of all).
TEST_F(PosixMqTest, PriorityAtMqPrioMaxFailsEinval) {
  CLAIM("mq.beyond.posix-priority");
  const long prio_max = ::sysconf(_SC_MQ_PRIO_MAX);
  ASSERT_GT(prio_max, 0);
  RecordMeasurement("mq_prio_max", prio_max);
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  ASSERT_THAT(::mq_send(mqd, "top", 3, static_cast<unsigned>(prio_max - 1)),
              SyscallSucceeds());
  EXPECT_THAT(::mq_send(mqd, "over", 4, static_cast<unsigned>(prio_max)),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::mq_send(mqd, "over", 4, UINT_MAX),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(CurrentMessages(mqd), 1);
  EXPECT_TRUE(ReceivesNow(mqd, "top", static_cast<unsigned>(prio_max - 1)));
}

// msg_insert keeps one tree node per priority (a list of that priority's
// messages, appended to), and a pointer to the rightmost (highest) node,
// which msg_get reads. This walks every branch: a message joining an
// existing priority, a new highest node (the rightmost pointer moves to it),
// a new node that is not the highest, the highest node emptied and erased
// (the pointer falls back to the next lower node, rb_prev), and a queue
// emptied and used again (the spare node is reused).
TEST_F(PosixMqTest, PriorityOrderHoldsAcrossEveryTreeInsertAndErase) {
  CLAIM("mq.beyond.posix-priority", "mq.kernel-list-of-blocks");
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{8, 16});
  const mqd_t mqd = queue.descriptor();
  // Nodes 5, 1, 9; 5, 9 and 1 each get a second message.
  for (const auto& [data, priority] :
       std::vector<std::pair<std::string, unsigned>>{
           {"a5", 5}, {"b1", 1}, {"c9", 9}, {"d5", 5}, {"e9", 9}, {"f1", 1}}) {
    ASSERT_TRUE(SendNow(mqd, data, priority));
  }
  ASSERT_TRUE(ReceivesNow(mqd, "c9", 9));
  ASSERT_TRUE(ReceivesNow(mqd, "e9", 9));  // node 9 erased: 5 is highest
  ASSERT_TRUE(SendNow(mqd, "g7", 7));      // a new highest node
  ASSERT_TRUE(SendNow(mqd, "h3", 3));      // a new node between 1 and 5
  ASSERT_TRUE(ReceivesNow(mqd, "g7", 7));  // node 7 erased: 5 again
  ASSERT_TRUE(SendNow(mqd, "i5", 5));      // joins node 5 at its tail
  for (const auto& [data, priority] :
       std::vector<std::pair<std::string, unsigned>>{
           {"a5", 5}, {"d5", 5}, {"i5", 5}, {"h3", 3}, {"b1", 1}, {"f1", 1}}) {
    ASSERT_TRUE(ReceivesNow(mqd, data, priority));
  }
  ASSERT_EQ(CurrentMessages(mqd), 0);
  ASSERT_TRUE(SendNow(mqd, "j0", 0));  // an empty tree again
  ASSERT_TRUE(SendNow(mqd, "k2", 2));
  EXPECT_TRUE(ReceivesNow(mqd, "k2", 2));
  EXPECT_TRUE(ReceivesNow(mqd, "j0", 0));
}

// =========================================================================
// Who is served: direct hand-over and the order of waiters
// =========================================================================

// A child that receives one message and exits with kGotMessage + its digit
// ("3" -> 23): which message each of several receivers got.
constexpr int kGotMessage = 20;

int ReceiveOneDigit(mqd_t mqd, size_t msgsize) {
  char buffer[64];
  if (msgsize > sizeof buffer) return 9;
  const ssize_t n = ::mq_receive(mqd, buffer, msgsize, nullptr);
  if (n < 0) return ErrnoExit();
  if (n != 1 || buffer[0] < '0' || buffer[0] > '9') return 10;
  return kGotMessage + (buffer[0] - '0');
}

// pipelined_send: when a receiver is waiting, do_mq_timedsend hands the
// message straight to it and never inserts it, so the queue never holds it:
// mq_curmsgs and the status line's QSIZE are 0 as soon as mq_send returns,
// before the receiver has even run. (A kernel that queued it instead, as for
// no waiter, would also have to wake the receiver; this one wakes it with the
// message already in hand.)
TEST_F(PosixMqTest, SendToAWaitingReceiverHandsTheMessageOver) {
  CLAIM("mq.beyond.posix-waiter-order", "mq.kernel-list-of-blocks");
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{4, 16});
  const mqd_t mqd = queue.descriptor();
  ChildProcess receiver =
      ChildProcess::Fork([&] { return ReceiveOneDigit(mqd, 16); });
  ASSERT_TRUE(WaitUntilBlockedIn(receiver.pid(), SYS_mq_timedreceive));
  ASSERT_THAT(::mq_send(mqd, "7", 1, 3), SyscallSucceeds());
  EXPECT_EQ(CurrentMessages(mqd), 0) << "the message went into the queue";
  QueueStatusLine status;
  ASSERT_TRUE(ReadQueueStatusLine(mqd, &status));
  EXPECT_EQ(status.qsize, 0) << status.text;
  EXPECT_TRUE(ExitsWithWithin(receiver, kGotMessage + 7));
}

// POSIX mq_receive: "If more than one thread is waiting to receive a
// message when a message arrives at an empty queue and the Priority
// Scheduling option is supported, then the thread of highest priority that
// has been waiting the longest shall be selected". Among waiters of one
// scheduling priority, wq_add queues each after those already waiting, and
// pipelined_send serves the longest-waiting first: three receivers that
// blocked in turn get three messages in turn.
TEST_F(PosixMqTest, BlockedReceiversAreServedInTheOrderTheyBlocked) {
  CLAIM("mq.beyond.posix-waiter-order");
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{4, 16});
  const mqd_t mqd = queue.descriptor();
  std::vector<ChildProcess> receivers;
  for (int i = 0; i < 3; ++i) {
    receivers.push_back(
        ChildProcess::Fork([&] { return ReceiveOneDigit(mqd, 16); }));
    ASSERT_TRUE(WaitUntilBlockedIn(receivers.back().pid(), SYS_mq_timedreceive))
        << "receiver " << i;
  }
  ASSERT_TRUE(SendNow(mqd, "0"));
  ASSERT_TRUE(SendNow(mqd, "1"));
  ASSERT_TRUE(SendNow(mqd, "2"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ExitsWithWithin(receivers[i], kGotMessage + i))
        << "receiver " << i << ", the " << i + 1 << "th to block";
  }
  EXPECT_EQ(CurrentMessages(mqd), 0);
}

// The same rule's first half: wq_add puts a waiter ahead of every waiter of
// lower scheduling priority (task->prio; a higher nice value is a lower
// priority), whenever it came. A receiver at nice +5 blocks first, one at the
// test's own nice second: the first message goes to the second, and the
// first keeps waiting for the next.
TEST_F(PosixMqTest, AReceiverOfHigherSchedulingPriorityIsServedFirst) {
  CLAIM("mq.beyond.posix-waiter-order");
  errno = 0;
  const int nice_now = ::getpriority(PRIO_PROCESS, 0);
  ASSERT_FALSE(nice_now == -1 && errno != 0) << ErrnoName(errno);
  RecordMeasurement("nice", nice_now);
  const int policy = ::sched_getscheduler(0);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    SKIP_UNVERIFIED("the test runs under a real-time policy (" +
                    std::to_string(policy) +
                    "), where nice does not order the waiters");
  }
  if (nice_now > 19 - 5) {
    SKIP_UNVERIFIED("the test runs at nice " + std::to_string(nice_now) +
                    ": no room below it for a receiver 5 nice levels lower");
  }
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{4, 16});
  const mqd_t mqd = queue.descriptor();
  ChildProcess lower = ChildProcess::Fork([&] {
    // Raising one's own nice value needs no privilege (setpriority(2)).
    if (::setpriority(PRIO_PROCESS, 0, nice_now + 5) != 0) return 11;
    return ReceiveOneDigit(mqd, 16);
  });
  ASSERT_TRUE(WaitUntilBlockedIn(lower.pid(), SYS_mq_timedreceive));
  ChildProcess higher =
      ChildProcess::Fork([&] { return ReceiveOneDigit(mqd, 16); });
  ASSERT_TRUE(WaitUntilBlockedIn(higher.pid(), SYS_mq_timedreceive));

  ASSERT_TRUE(SendNow(mqd, "1"));
  ASSERT_TRUE(ExitsWithWithin(higher, kGotMessage + 1))
      << "the receiver of higher priority, which came second";
  EXPECT_TRUE(StillBlockedIn(lower.pid(), SYS_mq_timedreceive));
  ASSERT_TRUE(SendNow(mqd, "2"));
  EXPECT_TRUE(ExitsWithWithin(lower, kGotMessage + 2));
}

// Senders wait the same way (wq_add on the SEND list), and a receive from a
// full queue admits the first waiting sender's message itself
// (pipelined_receive: msg_insert of the sender's message, then the sender is
// woken with its work done), by that message's priority. Two senders block in
// turn on a full queue of two; each receive admits exactly one of them, the
// earlier first.
TEST_F(PosixMqTest, BlockedSendersAreAdmittedInTheOrderTheyBlocked) {
  CLAIM("mq.beyond.posix-waiter-order", "mq.send-and-return");
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName(), PosixQueueAttributes{2, 16});
  const mqd_t mqd = queue.descriptor();
  ASSERT_TRUE(SendNowNumbered(mqd, 2));
  ChildProcess first = ChildProcess::Fork(
      [&] { return ::mq_send(mqd, "s0", 2, 0) == 0 ? 0 : ErrnoExit(); });
  ASSERT_TRUE(WaitUntilBlockedIn(first.pid(), SYS_mq_timedsend));
  ChildProcess second = ChildProcess::Fork(
      [&] { return ::mq_send(mqd, "s1", 2, 1) == 0 ? 0 : ErrnoExit(); });
  ASSERT_TRUE(WaitUntilBlockedIn(second.pid(), SYS_mq_timedsend));

  ASSERT_TRUE(ReceivesNow(mqd, "m0"));
  EXPECT_EQ(CurrentMessages(mqd), 2) << "the receive admitted nobody";
  ASSERT_TRUE(ExitsWithZeroWithin(first)) << "the sender that blocked first";
  EXPECT_TRUE(StillBlockedIn(second.pid(), SYS_mq_timedsend));

  ASSERT_TRUE(ReceivesNow(mqd, "m1"));
  ASSERT_TRUE(ExitsWithZeroWithin(second));
  // s1 (priority 1) entered after s0 (priority 0) but is received first.
  EXPECT_TRUE(ReceivesNow(mqd, "s1", 1));
  EXPECT_TRUE(ReceivesNow(mqd, "s0", 0));
}

// =========================================================================
// The kernel's checks, in its order
// =========================================================================

// LTP mq_timedsend01 / mq_timedreceive01 / mq_notify01 and gVisor
// MqTest.SendReceiveBadFD: EBADF ("The descriptor specified in mqdes was
// invalid", mq_send(3), mq_receive(3); "The message queue descriptor
// specified in mqdes is invalid", mq_notify(3)) for a negative number, a
// number nobody has open, one far above every open descriptor, and open
// descriptors of other kinds (a directory, a pipe): every call checks that
// the file is a queue (its f_op is mqueue's) before anything else about it.
TEST_F(PosixMqTest, CallsOnADescriptorThatIsNotAQueueFailEbadf) {
  CLAIM("mq.beyond.posix-argument-errors");
  const int closed = ::dup(STDERR_FILENO);
  ASSERT_THAT(closed, SyscallSucceeds());
  ASSERT_THAT(::close(closed), SyscallSucceeds());
  const int directory = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_THAT(directory, SyscallSucceeds());
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  struct Case {
    const char* what;
    int fd;
  };
  const Case cases[] = {{"-1", -1},
                        {"a closed descriptor", closed},
                        {"INT_MAX - 1", INT_MAX - 1},
                        {"a directory", directory},
                        {"a pipe's read end", pipe.read_fd()},
                        {"a pipe's write end", pipe.write_fd()}};
  char buffer[8192];
  const timespec later = RealtimeDeadlineFromNow(kMustNotSleep);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(::mq_send(c.fd, "x", 1, 0), SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(::mq_timedsend(c.fd, "x", 1, 0, &later),
                SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(::mq_receive(c.fd, buffer, sizeof buffer, nullptr),
                SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(::mq_timedreceive(c.fd, buffer, sizeof buffer, nullptr, &later),
                SyscallFailsWithErrno(EBADF));
    mq_attr attr{};
    EXPECT_THAT(::mq_getattr(c.fd, &attr), SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(::mq_setattr(c.fd, &attr, nullptr),
                SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(::mq_notify(c.fd, nullptr), SyscallFailsWithErrno(EBADF));
    sigevent none{};
    none.sigev_notify = SIGEV_NONE;
    EXPECT_THAT(::mq_notify(c.fd, &none), SyscallFailsWithErrno(EBADF));
  }
  ::close(directory);
}

// What the kernel checks before it even looks up the descriptor, so that a
// bad argument is EINVAL whatever the descriptor (LTP mq_notify02 makes its
// EINVAL calls on descriptor 0): the timeout (prepare_timeout, on syscall
// entry), the priority (first thing in do_mq_timedsend), the sigevent (first
// in do_mq_notify) and mq_setattr's flags (first in do_mq_getsetattr).
TEST_F(PosixMqTest, ArgumentErrorsComeBeforeTheDescriptorIsLookedAt) {
  CLAIM("mq.beyond.posix-argument-errors");
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const long prio_max = ::sysconf(_SC_MQ_PRIO_MAX);
  char buffer[64];
  const timespec invalid{0, -1};
  for (const int fd : {-1, pipe.read_fd()}) {
    SCOPED_TRACE("descriptor " + std::to_string(fd));
    EXPECT_THAT(::mq_send(fd, "x", 1, static_cast<unsigned>(prio_max)),
                SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(::mq_timedsend(fd, "x", 1, 0, &invalid),
                SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(::mq_timedreceive(fd, buffer, sizeof buffer, nullptr, &invalid),
                SyscallFailsWithErrno(EINVAL));
    sigevent bad{};
    bad.sigev_notify = -1;
    EXPECT_THAT(::mq_notify(fd, &bad), SyscallFailsWithErrno(EINVAL));
    mq_attr flags{};
    flags.mq_flags = O_NONBLOCK | O_APPEND;
    EXPECT_THAT(::mq_setattr(fd, &flags, nullptr),
                SyscallFailsWithErrno(EINVAL));
  }
}

// mq_send(3) EBADF: "The descriptor specified in mqdes was invalid or not
// opened for writing"; mq_receive(3) EBADF: "... or not opened for
// reading" (gVisor MqTest.RdOnlyWrOnlyRdWr, LTP's wrong-mode cases). The
// access mode is checked right after the descriptor, before the message size
// and before the queue is seen full or empty: a read-only descriptor's send
// to a full queue fails at once instead of waiting, and nothing moves.
TEST_F(PosixMqTest, SendNeedsWriteAccessAndReceiveNeedsReadAccess) {
  CLAIM("mq.beyond.posix-argument-errors", "mq.beyond.posix-descriptor");
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mq_attr attr = queue.Attributes();
  const size_t msgsize = static_cast<size_t>(attr.mq_msgsize);
  PosixMessageQueue read_only = PosixMessageQueue::Open(queue.name(), O_RDONLY);
  PosixMessageQueue write_only =
      PosixMessageQueue::Open(queue.name(), O_WRONLY);
  std::vector<char> buffer(msgsize + 1);
  const timespec later = RealtimeDeadlineFromNow(kMustNotSleep);

  // Empty queue: a write-only descriptor's receive fails at once. The timed
  // form first, asserted, so that a kernel that skipped the mode check fails
  // it (ETIMEDOUT) instead of sleeping for ever in the untimed one.
  ASSERT_THAT(::mq_timedreceive(write_only.descriptor(), buffer.data(), msgsize,
                                nullptr, &later),
              SyscallFailsWithErrno(EBADF))
      << "an empty queue, a write-only descriptor";
  EXPECT_THAT(
      ::mq_receive(write_only.descriptor(), buffer.data(), msgsize, nullptr),
      SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::mq_receive(write_only.descriptor(), buffer.data(), 1, nullptr),
              SyscallFailsWithErrno(EBADF))
      << "the mode is checked before the buffer size";

  ASSERT_TRUE(SendNowNumbered(write_only.descriptor(), attr.mq_maxmsg));
  ASSERT_THAT(::mq_timedsend(read_only.descriptor(), "x", 1, 0, &later),
              SyscallFailsWithErrno(EBADF))
      << "a full queue, a read-only descriptor";
  EXPECT_THAT(::mq_send(read_only.descriptor(), "x", 1, 0),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::mq_send(read_only.descriptor(), buffer.data(), msgsize + 1, 0),
              SyscallFailsWithErrno(EBADF))
      << "the mode is checked before the message size";
  EXPECT_EQ(CurrentMessages(queue.descriptor()), attr.mq_maxmsg);
  EXPECT_TRUE(ReceivesNow(read_only.descriptor(), "m0"));
}

// LTP mq_timedsend01's EFAULT cases, and where each copy happens. A message
// or timeout the kernel cannot read fails EFAULT and changes nothing: the
// timeout is copied on syscall entry, the message (load_msg) before the queue
// is touched. A buffer or priority it cannot write fails EFAULT too, but
// do_mq_timedreceive has already taken the message off the queue (msg_get)
// when store_msg fails, and it frees it: that message is lost.
TEST_F(PosixMqTest, UnreadableOrUnwritableMemoryFailsEfault) {
  CLAIM("mq.beyond.posix-argument-errors");
  const ScopedInaccessiblePage page;
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  std::vector<char> buffer(msgsize);

  EXPECT_THAT(::mq_send(mqd, page.as<const char>(), 4, 0),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(::mq_timedsend(mqd, "x", 1, 0, page.as<const timespec>()),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(CurrentMessages(mqd), 0) << "a refused send queued something";

  ASSERT_TRUE(SendNow(mqd, "kept"));
  EXPECT_THAT(::mq_timedreceive(mqd, buffer.data(), buffer.size(), nullptr,
                                page.as<const timespec>()),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_TRUE(ReceivesNow(mqd, "kept"))
      << "an unreadable timeout cost the message";

  ASSERT_TRUE(SendNow(mqd, "lost in the copy"));
  ASSERT_EQ(CurrentMessages(mqd), 1);
  EXPECT_THAT(::mq_timedreceive(mqd, page.as<char>(), msgsize, nullptr,
                                &kAlreadyExpired),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(CurrentMessages(mqd), 0)
      << "the message survived a failed copy-out";
  ASSERT_TRUE(SendNow(mqd, "lost with its priority"));
  ASSERT_EQ(CurrentMessages(mqd), 1);
  EXPECT_THAT(::mq_timedreceive(mqd, buffer.data(), buffer.size(),
                                page.as<unsigned>(), &kAlreadyExpired),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(CurrentMessages(mqd), 0);
}

// =========================================================================
// Signals: EINTR and SA_RESTART
// =========================================================================

// The descriptor a child's signal handler writes one byte to.
int g_handler_fd = -1;

void NoteSignal(int) {
  const char byte = 's';
  [[maybe_unused]] const bool written = WriteInOneCall(g_handler_fd, &byte, 1);
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
// EINTR (gVisor MqTest.InterruptReceive / InterruptSend, LTP's EINTR cases).
// wq_sleep returns -ERESTARTSYS when a signal is pending; the signal code
// turns it into EINTR or a restart. The handler reports through a pipe that
// it ran; a restarted call is seen blocked again, in the same system call,
// and then completes.
TEST_P(PosixMqInterruptTest, HandlerInterruptsABlockedCall) {
  CLAIM("mq.beyond.posix-eintr");
  const InterruptCase& c = GetParam();
  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mqd_t mqd = queue.descriptor();
  const long maxmsg = queue.Attributes().mq_maxmsg;
  const size_t msgsize = static_cast<size_t>(queue.Attributes().mq_msgsize);
  if (c.full_queue_send) {
    ASSERT_TRUE(SendNowNumbered(mqd, maxmsg));
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
    const long result =
        c.full_queue_send
            ? ::mq_send(mqd, "x", 1, 0)
            : ::mq_receive(mqd, buffer.data(), buffer.size(), nullptr);
    if (c.restart) return result >= 0 ? 0 : ErrnoExit();
    if (result >= 0) return 10;  // completed although nobody unblocked it
    return errno == EINTR ? 0 : ErrnoExit();
  });
  handler_ran.CloseWriteEnd();  // so a dead child reads as end of file
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), blocked_in));
  child.Signal(SIGUSR1);
  char noted = 0;
  ASSERT_TRUE(ReadReport(handler_ran.read_fd(), noted))
      << "the handler did not run";
  ASSERT_EQ(noted, 's');
  if (c.restart) {
    ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), blocked_in))
        << "not back in the call after the handler";
    if (c.full_queue_send) {
      ASSERT_TRUE(ReceivesNow(mqd, "m0"));
    } else {
      ASSERT_TRUE(SendNow(mqd, "done"));
    }
  }
  EXPECT_TRUE(ExitsWithZeroWithin(child));
  EXPECT_EQ(CurrentMessages(mqd), c.full_queue_send ? maxmsg : 0);
}

// =========================================================================
// Many senders, many receivers
// =========================================================================

// A stress run's message: which sender, which of its messages. Four bytes,
// so a receiver's report of it is one atomic pipe write (pipe(7): writes of
// at most PIPE_BUF bytes are atomic).
struct Stamp {
  uint8_t receiver;
  uint8_t sender;
  uint16_t seq;
};
static_assert(sizeof(Stamp) == 4);

// gVisor MqTest.General (ten sending and ten receiving threads) and the
// many-to-many stress the issue asks for, with processes: four senders send
// 250 messages each, at a priority of their own, through a queue of four
// slots to four receivers, so both sides block and wake again and again
// (every path above: pipelined_send, pipelined_receive, wq_sleep). When the
// senders are done, one empty message per receiver at priority 0 (below all
// data, so it can only come last) tells it to stop. Every message must be
// delivered exactly once, none made up, and each receiver must see each
// sender's messages in the order they were sent (one priority each: FIFO).
// The run is bounded (1000 messages) and leaves nothing when killed: its
// queue lives in the test's private IPC namespace, which dies with the last
// of its processes, and every child dies with the test (PR_SET_PDEATHSIG).
TEST_F(PosixMqTest, ManySendersAndReceiversDeliverEachMessageExactlyOnce) {
  CLAIM("mq.beyond.posix-many-to-many", "mq.kernel-list-of-blocks");
  constexpr int kSenders = 4;
  constexpr int kReceivers = 4;
  constexpr int kPerSender = 250;
  constexpr size_t kTotal = kSenders * kPerSender;
  const auto start = std::chrono::steady_clock::now();
  const long depth = std::min<long>(4, ReadMqSysctls().msg_max);
  PosixMessageQueue queue = PosixMessageQueue::Create(
      UniqueQueueName(), PosixQueueAttributes{depth, 16});
  const mqd_t mqd = queue.descriptor();
  ipc::Pipe reports = ipc::Pipe::Create(O_CLOEXEC);
  // Nobody reads the reports until the receivers are done, so they must fit.
  ASSERT_GE(reports.Capacity(), kTotal * sizeof(Stamp));

  std::vector<ChildProcess> receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.push_back(ChildProcess::Fork([&, r] {
      char buffer[16];
      // At most every message and a stop: a receiver that gets more has
      // received something nobody sent.
      for (size_t i = 0; i <= kTotal; ++i) {
        unsigned priority = 0;
        const ssize_t n = ::mq_receive(mqd, buffer, sizeof buffer, &priority);
        if (n < 0) {
          if (errno == EINTR) continue;
          return ErrnoExit();
        }
        if (n == 0) return priority == 0 ? 0 : 12;  // stop
        if (n != 3) return 10;
        Stamp stamp{
            static_cast<uint8_t>(r), static_cast<uint8_t>(buffer[0]),
            static_cast<uint16_t>((static_cast<uint8_t>(buffer[1]) << 8) |
                                  static_cast<uint8_t>(buffer[2]))};
        if (priority != 1u + stamp.sender) return 13;
        if (!WriteReport(reports.write_fd(), stamp)) return 11;
      }
      return 14;
    }));
  }
  reports.CloseWriteEnd();  // end of file once every receiver has exited
  std::vector<ChildProcess> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(ChildProcess::Fork([&, s] {
      for (int seq = 0; seq < kPerSender; ++seq) {
        const char message[3] = {static_cast<char>(s),
                                 static_cast<char>(seq >> 8),
                                 static_cast<char>(seq & 0xff)};
        while (::mq_send(mqd, message, sizeof message, 1 + s) != 0) {
          if (errno != EINTR) return ErrnoExit();
        }
      }
      return 0;
    }));
  }
  for (int s = 0; s < kSenders; ++s) {
    ASSERT_TRUE(ExitsWithZeroWithin(senders[s])) << "sender " << s;
  }
  for (int r = 0; r < kReceivers; ++r) {
    const timespec deadline =
        RealtimeDeadlineFromNow(ScaledTimeout(kBlockedTimeout));
    ASSERT_THAT(::mq_timedsend(mqd, "", 0, 0, &deadline), SyscallSucceeds())
        << "stop message " << r;
  }
  for (int r = 0; r < kReceivers; ++r) {
    ASSERT_TRUE(ExitsWithZeroWithin(receivers[r])) << "receiver " << r;
  }
  const double elapsed_ms = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count();
  EXPECT_EQ(CurrentMessages(mqd), 0);

  std::string bytes;
  for (std::string chunk;
       bytes.size() <= kTotal * sizeof(Stamp) &&
       !(chunk = ReadAvailable(reports.read_fd(), 4096)).empty();) {
    bytes += chunk;
  }
  ASSERT_EQ(bytes.size(), kTotal * sizeof(Stamp)) << "messages received";
  std::vector<int> times(kTotal, 0);
  std::array<std::array<int, kSenders>, kReceivers> last_seq;
  for (auto& row : last_seq) row.fill(-1);
  std::array<int, kReceivers> per_receiver{};
  int out_of_order = 0;
  for (size_t i = 0; i < kTotal; ++i) {
    Stamp stamp;
    std::memcpy(&stamp, bytes.data() + i * sizeof stamp, sizeof stamp);
    ASSERT_LT(stamp.sender, kSenders);
    ASSERT_LT(stamp.seq, kPerSender);
    ++times[stamp.sender * kPerSender + stamp.seq];
    ++per_receiver[stamp.receiver];
    int& last = last_seq[stamp.receiver][stamp.sender];
    if (stamp.seq <= last) ++out_of_order;
    last = stamp.seq;
  }
  EXPECT_EQ(std::count(times.begin(), times.end(), 1),
            static_cast<long>(kTotal))
      << "lost: " << std::count(times.begin(), times.end(), 0)
      << ", delivered twice or more: "
      << std::count_if(times.begin(), times.end(), [](int n) { return n > 1; });
  EXPECT_EQ(out_of_order, 0)
      << "a receiver saw a sender's messages out of order";
  RecordMeasurement("elapsed_ms", elapsed_ms);
  for (int r = 0; r < kReceivers; ++r) {
    RecordMeasurement("receiver" + std::to_string(r) + ".messages",
                      per_receiver[r]);
  }
}

constexpr int kKilledRunSenders = 2;
constexpr int kKilledRunReceivers = 3;
constexpr int kKilledRunWorkers = kKilledRunSenders + kKilledRunReceivers;
constexpr int kKilledRunPerSender = 100;

// The runner's first report: its workers' pids, senders first.
struct WorkerPids {
  pid_t pids[kKilledRunWorkers];
};

// The body of a many-to-many run that is killed midway, in a forked child:
// a private IPC namespace of its own with one queue, senders that send
// kKilledRunPerSender messages each, and receivers that want more than that,
// so they end up asleep in mq_receive for ever. Reports the workers' pids,
// then "d" once the senders have exited, on `report_fd`; then waits to be
// killed. Raw system calls only.
int RunAndWaitToBeKilled(int report_fd) {
  if (::unshare(CLONE_NEWIPC) != 0) return ErrnoExit();
  mq_attr attr{};
  attr.mq_maxmsg = 4;
  attr.mq_msgsize = 16;
  const mqd_t mqd =
      ::mq_open("/ipcproof-killed-run", O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  if (mqd == kNoQueue) return 30;
  const pid_t runner = ::getpid();
  WorkerPids workers{};
  pid_t* const pids = workers.pids;
  for (int w = 0; w < kKilledRunWorkers; ++w) {
    const pid_t pid = ::fork();
    if (pid < 0) return 31;
    if (pid == 0) {
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(1);
      if (::getppid() != runner) ::_exit(1);  // the runner died already
      char buffer[16] = {};
      if (w < kKilledRunSenders) {
        for (int seq = 0; seq < kKilledRunPerSender; ++seq) {
          while (::mq_send(mqd, buffer, 1, 0) != 0) {
            if (errno != EINTR) ::_exit(2);
          }
        }
        ::_exit(0);
      }
      // Bounded: after every message there is, the next receive sleeps.
      for (int i = 0; i <= kKilledRunSenders * kKilledRunPerSender; ++i) {
        if (::mq_receive(mqd, buffer, sizeof buffer, nullptr) < 0 &&
            errno != EINTR) {
          ::_exit(3);
        }
      }
      ::_exit(4);
    }
    pids[w] = pid;
  }
  if (!WriteReport(report_fd, workers)) return 32;
  for (int s = 0; s < kKilledRunSenders; ++s) {
    int status = 0;
    if (::waitpid(pids[s], &status, 0) != pids[s] || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      return 33;
    }
  }
  if (!WriteReport(report_fd, 'd')) return 34;
  for (;;) ::pause();
}

// The stress run's promise when killed, made good: a run like the one above
// (in its own IPC namespace) whose receivers sleep for ever, as LTP's would
// when its time limit strikes, is killed with SIGKILL. Its workers die with it
// (PR_SET_PDEATHSIG), no process is left in its IPC namespace, so the
// namespace and its queue are gone (an IPC namespace dies with its last
// process, and its mqueue filesystem with it), and this test's own
// namespace never held a queue.
TEST_F(PosixMqTest, AManyToManyRunKilledMidwayLeavesNoProcessAndNoQueue) {
  CLAIM("mq.beyond.posix-many-to-many");
  const ScopedChildSubreaper subreaper;
  ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error());
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  const int report_fd = report.write_fd();
  ChildProcess runner = ChildProcess::Fork(
      [report_fd] { return RunAndWaitToBeKilled(report_fd); });
  report.CloseWriteEnd();
  // Poll first, so a runner that exited early (end of file) is told from
  // one that hangs within the one deadline, and the early exit is read.
  ASSERT_GT(PollWithin(report.read_fd(), POLLIN, kBlockedTimeout), 0)
      << "the runner's worker pids, within "
      << DescribeScaledTimeout(kBlockedTimeout);
  WorkerPids workers{};
  if (const ::testing::AssertionResult reported =
          ReadReport(report.read_fd(), workers);
      !reported) {
    const std::optional<ipc::WaitStatus> status = ReapWithin(runner);
    if (status && status->exited() && ErrnoFromExit(status->exit_code())) {
      SKIP_UNVERIFIED("unshare(CLONE_NEWIPC) in the runner failed with " +
                      ErrnoName(*ErrnoFromExit(status->exit_code())));
    }
    FAIL() << "the runner ended early (" << reported.message() << "): "
           << (status ? DescribeChildExit(*status)
                      : DescribeUnfinishedChild(runner));
  }
  const pid_t* const pids = workers.pids;
  char senders_done = 0;
  ASSERT_TRUE(ReadReport(report.read_fd(), senders_done)) << "the senders' end";
  ASSERT_EQ(senders_done, 'd');
  const std::string run_namespace =
      ReadLinkOrEmpty("/proc/" + std::to_string(runner.pid()) + "/ns/ipc");
  ASSERT_FALSE(run_namespace.empty());
  ASSERT_NE(run_namespace, ReadLinkOrEmpty("/proc/self/ns/ipc"));
  for (int r = kKilledRunSenders; r < kKilledRunWorkers; ++r) {
    ASSERT_TRUE(WaitUntilBlockedIn(pids[r], SYS_mq_timedreceive))
        << "receiver " << r - kKilledRunSenders;
  }

  const ipc::WaitStatus killed = runner.Kill();
  EXPECT_TRUE(killed.KilledBy(SIGKILL)) << DescribeChildExit(killed);
  for (int r = kKilledRunSenders; r < kKilledRunWorkers; ++r) {
    ASSERT_TRUE(WaitUntilExited(pids[r]))
        << "an orphaned receiver outlived the run";
    int status = 0;
    ASSERT_THAT(::waitpid(pids[r], &status, 0),
                SyscallSucceedsWithValue(pids[r]))
        << "the orphan was not re-parented to this subreaper";
    EXPECT_TRUE(ipc::WaitStatus(status).KilledBy(SIGKILL))
        << DescribeChildExit(ipc::WaitStatus(status));
  }
  std::vector<pid_t> left;
  for (const pid_t pid : ListPids()) {
    if (ReadLinkOrEmpty("/proc/" + std::to_string(pid) + "/ns/ipc") ==
        run_namespace) {
      left.push_back(pid);
    }
  }
  EXPECT_THAT(left, ::testing::IsEmpty())
      << "processes still in the run's IPC namespace " << run_namespace;
  EXPECT_THAT(ListPosixMessageQueues(), ::testing::IsEmpty())
      << "a queue in this test's own namespace";
}

}  // namespace
}  // namespace ipcproof

// Fault injection into ipc::PosixMessageQueue (ipc/posix_message_queue.h)
// through the ipc::PosixMqSyscalls seam: the name rules of mq_overview(7)
// and the mq_msgsize limit enforced before any call; which flags, modes,
// attributes, sizes and deadlines reach mq_open(3), mq_send(3),
// mq_timedsend(3), mq_receive(3) and mq_timedreceive(3); what EINTR,
// ETIMEDOUT and other errors become; and that the name this object created
// is unlinked exactly once and its descriptor closed exactly once.
//
// These used to be conformance tests under kernel claims (mq.size-limited,
// mq.beyond.posix-names); they decide the wrapper's rules, not the kernel's,
// so they live here, where the kernel is never asked.
//
// The allocation-free forms (Send, ReceiveInto) are held to their promise
// by counting heap allocations: this binary replaces the global operator
// new with one that counts, and a loopback seam (a one-slot queue with no
// gmock behind it, since gmock itself allocates while matching a call)
// runs the hot loops inside the counted window.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/unit/counting_new.h"
#include "conformance/unit/mock_posix_mq_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof::unit {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::DoAll;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsNull;
using ::testing::MockFunction;
using ::testing::NotNull;
using ::testing::Pointee;
using ::testing::Return;
using ::testing::SetArgPointee;
using ::testing::SetErrnoAndReturn;
using ::testing::StrEq;

constexpr char kName[] = "/ipcproof-unit-queue";
constexpr char kOtherName[] = "/ipcproof-unit-other";
constexpr mqd_t kOtherMqd = kFakeMqd + 1;
constexpr long kMsgsize = 8;  // the mq_msgsize the mock reports

mq_attr AttributesWithMsgsize(long msgsize) {
  mq_attr attr{};
  attr.mq_maxmsg = 4;
  attr.mq_msgsize = msgsize;
  return attr;
}

std::string AsString(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A span of `n` bytes of `fill`, so a test can see which bytes a receive
// wrote and which it left alone.
std::vector<std::byte> Filled(size_t n, char fill = '~') {
  return std::vector<std::byte>(n, static_cast<std::byte>(fill));
}

bool operator==(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}
bool operator<=(const timespec& a, const timespec& b) {
  return a.tv_sec < b.tv_sec ||
         (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

// An mq_receive(3) stand-in that delivers `text` with `priority`.
auto Deliver(std::string_view text, unsigned priority) {
  return [text, priority](mqd_t, char* buffer, size_t size,
                          unsigned* prio) -> ssize_t {
    if (text.size() > size) {
      errno = EMSGSIZE;
      return -1;
    }
    std::memcpy(buffer, text.data(), text.size());
    if (prio != nullptr) *prio = priority;
    return static_cast<ssize_t>(text.size());
  };
}

class PosixQueueUnitTest : public MockedPosixMqSyscallsTest {
 protected:
  // A queue this object created, whose mq_getattr says mq_msgsize is
  // `msgsize`; the test states what happens to it at the end.
  ipc::PosixMessageQueue MakeOwned(const char* name = kName,
                                   mqd_t mqd = kFakeMqd,
                                   long msgsize = kMsgsize) {
    EXPECT_CALL(sys_,
                MqOpen(StrEq(name), O_CREAT | O_EXCL | O_RDWR, 0600, IsNull()))
        .WillOnce(Return(mqd));
    ExpectAttributes(mqd, msgsize);
    return ipc::PosixMessageQueue::Create(name);
  }
  // An existing queue opened by name (the object does not own the name).
  ipc::PosixMessageQueue MakeOpened(int flags = O_RDWR) {
    EXPECT_CALL(sys_, MqOpen(StrEq(kName), flags, _, _))
        .WillOnce(Return(kFakeMqd));
    ExpectAttributes(kFakeMqd, kMsgsize);
    return ipc::PosixMessageQueue::Open(kName, flags);
  }
  void ExpectAttributes(mqd_t mqd, long msgsize) {
    EXPECT_CALL(sys_, MqGetattr(mqd, NotNull()))
        .WillOnce(
            DoAll(SetArgPointee<1>(AttributesWithMsgsize(msgsize)), Return(0)))
        .RetiresOnSaturation();
  }
  void ExpectClosedOnce(mqd_t mqd = kFakeMqd) {
    EXPECT_CALL(sys_, MqClose(mqd)).WillOnce(Return(0));
  }
  void ExpectUnlinkedOnce(const char* name = kName) {
    EXPECT_CALL(sys_, MqUnlink(StrEq(name))).WillOnce(Return(0));
  }
  // The queue most tests use: owned, closed and unlinked once at the end.
  ipc::PosixMessageQueue MakeQueue() {
    ExpectClosedOnce();
    ExpectUnlinkedOnce();
    return MakeOwned();
  }
};

// ------------------------------------------------------------- Name rules

TEST_F(PosixQueueUnitTest, NamesMqOverviewDoesNotAllowAreRefusedBeforeAnyCall) {
  // mq_overview(7): "a null-terminated string of up to NAME_MAX (i.e., 255)
  // characters consisting of an initial slash, followed by one or more
  // characters, none of which are slashes". A NUL inside would cut the name
  // short at c_str(). Create, Open and Unlink all check before the call.
  EXPECT_CALL(sys_, MqOpen).Times(0);
  EXPECT_CALL(sys_, MqUnlink).Times(0);

  struct Case {
    std::string name;
    const char* why;
  };
  const Case cases[] = {
      {"", "must be '/' followed by"},
      {"noslash", "must be '/' followed by"},
      {"/", "must be '/' followed by"},
      {"//", "no '/' after the first"},
      {"/a/b", "no '/' after the first"},
      {"/a/", "no '/' after the first"},
      {"/" + std::string(NAME_MAX, 'n'), "longer than NAME_MAX"},
      {"/" + std::string(300, 'n'), "longer than NAME_MAX"},
      {std::string("/a\0b", 4), "NUL"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("name of " + std::to_string(c.name.size()) + " bytes: \"" +
                 c.name.substr(0, 12) + "\"");
    EXPECT_THAT([&] { ipc::PosixMessageQueue::CheckName(c.name); },
                ThrowsInvalidArgument(HasSubstr(c.why)));
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Create(c.name); },
                ThrowsInvalidArgument(HasSubstr(c.why)));
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Open(c.name); },
                ThrowsInvalidArgument(HasSubstr(c.why)));
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Unlink(c.name); },
                ThrowsInvalidArgument(HasSubstr(c.why)));
  }
}

TEST_F(PosixQueueUnitTest, ANameOfExactlyNameMaxCharactersReachesMqOpen) {
  // The longest name mq_overview(7) allows: the slash and NAME_MAX - 1
  // more. One more character is refused (the test above); this one must
  // not be (an off-by-one in CheckName would refuse it).
  const std::string longest = "/" + std::string(NAME_MAX - 1, 'n');
  ASSERT_EQ(longest.size(), static_cast<size_t>(NAME_MAX));
  EXPECT_CALL(sys_,
              MqOpen(StrEq(longest), O_CREAT | O_EXCL | O_RDWR, 0600, IsNull()))
      .WillOnce(SetErrnoAndReturn(ENOSPC, static_cast<mqd_t>(-1)));
  EXPECT_CALL(sys_, MqUnlink(StrEq(longest))).WillOnce(Return(0));

  EXPECT_NO_THROW(ipc::PosixMessageQueue::CheckName(longest));
  EXPECT_THAT([&] { ipc::PosixMessageQueue::Create(longest); },
              ThrowsSystemError(ENOSPC, HasSubstr("mq_open")));
  EXPECT_NO_THROW(ipc::PosixMessageQueue::Unlink(longest));
}

// ------------------------------------------------------- Other arguments

TEST_F(PosixQueueUnitTest, BadFlagsModesAndAttributesAreRefusedBeforeMqOpen) {
  EXPECT_CALL(sys_, MqOpen).Times(0);

  // O_CREAT/O_EXCL are the wrapper's to add (Open must not create).
  for (const int flags : {O_RDWR | O_TRUNC, O_RDWR | O_CREAT, O_RDONLY | O_EXCL,
                          O_ACCMODE, O_WRONLY | O_APPEND}) {
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Create(kName, {}, flags); },
                ThrowsInvalidArgument())
        << "flags " << flags;
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Open(kName, flags); },
                ThrowsInvalidArgument())
        << "flags " << flags;
  }
  EXPECT_THAT([] { ipc::PosixMessageQueue::Create(kName, {}, O_RDWR, 04777); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  for (const ipc::PosixQueueAttributes bad :
       {ipc::PosixQueueAttributes{0, 128}, ipc::PosixQueueAttributes{-1, 128},
        ipc::PosixQueueAttributes{4, 0}, ipc::PosixQueueAttributes{4, -5}}) {
    EXPECT_THAT([&] { ipc::PosixMessageQueue::Create(kName, bad); },
                ThrowsInvalidArgument(HasSubstr("must be positive")))
        << bad.max_messages << " x " << bad.max_message_size;
  }
}

// ------------------------------------------------------------ Create/Open

TEST_F(PosixQueueUnitTest, CreatePassesOCreatOExclFlagsModeAndAttributes) {
  // O_EXCL: a name already in use must fail (EEXIST) rather than hand this
  // object someone else's queue, whose name its destructor would unlink.
  EXPECT_CALL(
      sys_, MqOpen(StrEq(kName), O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK, 0640,
                   Pointee(AllOf(Field(&mq_attr::mq_maxmsg, 3),
                                 Field(&mq_attr::mq_msgsize, 96)))))
      .WillOnce(Return(kFakeMqd));
  ExpectAttributes(kFakeMqd, 96);
  ExpectClosedOnce();
  ExpectUnlinkedOnce();

  ipc::PosixMessageQueue queue = ipc::PosixMessageQueue::Create(
      kName, ipc::PosixQueueAttributes{3, 96}, O_WRONLY | O_NONBLOCK, 0640);
  EXPECT_EQ(queue.name(), kName);
  EXPECT_EQ(queue.descriptor(), kFakeMqd);
  EXPECT_TRUE(queue.owns_name());
}

TEST_F(PosixQueueUnitTest, CreateFailureThrowsNamingMqOpenTheNameAndSizes) {
  // Nothing was created: nothing is closed or unlinked (StrictMock).
  EXPECT_CALL(sys_, MqOpen(StrEq(kName), _, _, NotNull()))
      .WillOnce(SetErrnoAndReturn(EINVAL, static_cast<mqd_t>(-1)));

  EXPECT_THAT(
      [] {
        ipc::PosixMessageQueue::Create(kName,
                                       ipc::PosixQueueAttributes{4, 128});
      },
      ThrowsSystemError(EINVAL,
                        HasSubstr(std::string("mq_open(") + kName +
                                  ", O_CREAT|O_EXCL, maxmsg=4, msgsize=128)")));
}

TEST_F(PosixQueueUnitTest,
       CreateWhoseMqGetattrFailsClosesAndUnlinksWhatItMade) {
  // The wrapper needs mq_msgsize (Send checks against it, Receive sizes its
  // buffer by it). If it cannot read it, Create fails, and the queue it has
  // just made must not be left behind.
  EXPECT_CALL(sys_, MqOpen(StrEq(kName), _, _, _)).WillOnce(Return(kFakeMqd));
  EXPECT_CALL(sys_, MqGetattr(kFakeMqd, NotNull()))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));
  ExpectClosedOnce();
  ExpectUnlinkedOnce();

  EXPECT_THAT([] { ipc::PosixMessageQueue::Create(kName); },
              ThrowsSystemError(
                  EBADF, HasSubstr(std::string("mq_getattr(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest, OpenPassesTheFlagsAndNeverUnlinks) {
  // No O_CREAT: mq_open(3) ignores mode and attr, and the name belongs to
  // whoever created it.
  EXPECT_CALL(sys_, MqUnlink).Times(0);
  ExpectClosedOnce();

  ipc::PosixMessageQueue queue = MakeOpened(O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(queue.owns_name());
}

TEST_F(PosixQueueUnitTest, OpenFailureThrowsNamingMqOpenAndTheName) {
  EXPECT_CALL(sys_, MqOpen(StrEq(kName), O_RDWR, _, _))
      .WillOnce(SetErrnoAndReturn(ENOENT, static_cast<mqd_t>(-1)));

  EXPECT_THAT(
      [] { ipc::PosixMessageQueue::Open(kName); },
      ThrowsSystemError(ENOENT, HasSubstr(std::string("mq_open(") + kName)));
}

TEST_F(PosixQueueUnitTest, OpenWhoseMqGetattrFailsClosesButDoesNotUnlink) {
  EXPECT_CALL(sys_, MqOpen(StrEq(kName), O_RDWR, _, _))
      .WillOnce(Return(kFakeMqd));
  EXPECT_CALL(sys_, MqGetattr(kFakeMqd, NotNull()))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));
  ExpectClosedOnce();
  EXPECT_CALL(sys_, MqUnlink).Times(0);

  EXPECT_THAT([] { ipc::PosixMessageQueue::Open(kName); },
              ThrowsSystemError(EBADF, HasSubstr("mq_getattr")));
}

// ------------------------------------------------------------------- Send

TEST_F(PosixQueueUnitTest, AMessageOverMqMsgsizeIsRefusedBeforeMqSend) {
  // mq_send(3) would fail EMSGSIZE; the wrapper says so first, as a bad
  // argument, and the queue never sees the message. Exactly mq_msgsize
  // bytes is allowed (an off-by-one would refuse it).
  ipc::PosixMessageQueue queue = MakeQueue();
  const std::string largest(kMsgsize, 'x');
  const std::string too_large(kMsgsize + 1, 'x');
  EXPECT_CALL(sys_, MqSend(kFakeMqd, _, static_cast<size_t>(kMsgsize), 0))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, MqSend(kFakeMqd, _, static_cast<size_t>(kMsgsize) + 1, _))
      .Times(0);
  EXPECT_CALL(sys_, MqTimedsend).Times(0);

  EXPECT_NO_THROW(queue.Send(largest));
  EXPECT_THAT([&] { queue.Send(too_large); },
              ThrowsInvalidArgument(HasSubstr(
                  "message of 9 bytes exceeds the queue's mq_msgsize of 8")));
  EXPECT_THAT(
      [&] { queue.TimedSend(too_large, 0, std::chrono::seconds(1)); },
      ThrowsInvalidArgument(HasSubstr("exceeds the queue's mq_msgsize")));
}

TEST_F(PosixQueueUnitTest, SendPassesTheBytesAndThePriority) {
  // Bytes, not text: a NUL inside is part of the message.
  ipc::PosixMessageQueue queue = MakeQueue();
  std::string got;
  EXPECT_CALL(sys_, MqSend(kFakeMqd, NotNull(), 3, 5))
      .WillOnce([&](mqd_t, const char* data, size_t size, unsigned) {
        got.assign(data, size);
        return 0;
      });

  queue.Send(std::string_view("a\0b", 3), 5);
  EXPECT_EQ(got, std::string("a\0b", 3));
}

TEST_F(PosixQueueUnitTest, SendRetriesAfterEintr) {
  // mq_send(3) EINTR: "The call was interrupted by a signal handler" (a
  // handler without SA_RESTART); the message has not been queued.
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqSend(kFakeMqd, NotNull(), 2, 1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(0));

  queue.Send("hi", 1);
}

TEST_F(PosixQueueUnitTest, SendErrorThrowsNamingMqSendAndTheName) {
  // EAGAIN: full, with O_NONBLOCK. Send has no "nothing" value: it throws.
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqSend(kFakeMqd, _, 2, 0))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT([&] { queue.Send("hi"); },
              ThrowsSystemError(
                  EAGAIN, HasSubstr(std::string("mq_send(") + kName + ")")));
}

// The deadlines passed to each call of a timed send or receive.
class DeadlineRecorder {
 public:
  void Record(const timespec* deadline) {
    ASSERT_NE(deadline, nullptr) << "a timed call without a deadline blocks "
                                    "for ever";
    deadlines_.push_back(*deadline);
  }
  const std::vector<timespec>& deadlines() const { return deadlines_; }

 private:
  std::vector<timespec> deadlines_;
};

TEST_F(PosixQueueUnitTest, TimedSendRetriesEintrWithTheSameAbsoluteDeadline) {
  // mq_timedsend(3): abs_timeout is "an absolute timeout in seconds and
  // nanoseconds since the Epoch". A retry after EINTR must keep the first
  // deadline: computing a fresh one would extend the wait by the time
  // already spent, on every signal, without bound.
  ipc::PosixMessageQueue queue = MakeQueue();
  DeadlineRecorder recorder;
  auto record = [&](int result, int err) {
    return [&recorder, result, err](mqd_t, const char*, size_t, unsigned,
                                    const timespec* deadline) {
      recorder.Record(deadline);
      if (result < 0) errno = err;
      return result;
    };
  };
  EXPECT_CALL(sys_, MqTimedsend(kFakeMqd, NotNull(), 2, 4, NotNull()))
      .WillOnce(record(-1, EINTR))
      .WillOnce(record(-1, EINTR))
      .WillOnce(record(0, 0));

  constexpr auto kTimeout = std::chrono::seconds(5);
  const timespec earliest = ipc::RealtimeDeadlineFromNow(kTimeout);
  EXPECT_TRUE(queue.TimedSend("hi", 4, kTimeout));
  const timespec latest = ipc::RealtimeDeadlineFromNow(kTimeout);

  ASSERT_EQ(recorder.deadlines().size(), 3u);
  const timespec& first = recorder.deadlines()[0];
  EXPECT_TRUE(earliest <= first && first <= latest)
      << "the deadline is not CLOCK_REALTIME now + timeout";
  EXPECT_TRUE(recorder.deadlines()[1] == first);
  EXPECT_TRUE(recorder.deadlines()[2] == first);
}

TEST_F(PosixQueueUnitTest, TimedSendMapsEtimedoutToFalseAndThrowsOtherErrors) {
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqTimedsend(kFakeMqd, _, 1, 0, NotNull()))
      .WillOnce(SetErrnoAndReturn(ETIMEDOUT, -1))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));

  EXPECT_FALSE(queue.TimedSend("x", 0, std::chrono::milliseconds(1)));
  EXPECT_THAT([&] { queue.TimedSend("x", 0, std::chrono::milliseconds(1)); },
              ThrowsSystemError(EBADF, HasSubstr(std::string("mq_timedsend(") +
                                                 kName + ")")));
}

// ---------------------------------------------------------------- Receive

TEST_F(PosixQueueUnitTest, ReceiveOffersMqMsgsizeBytesAndReturnsThePriority) {
  // mq_receive(3) EMSGSIZE: "msg_len was less than the mq_msgsize attribute
  // of the message queue", so the buffer must be at least that big.
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, NotNull(), kMsgsize, NotNull()))
      .WillOnce(Deliver(std::string_view("h\0i", 3), 7));

  const ipc::PosixMessage message = queue.Receive();
  EXPECT_EQ(message.data, std::string("h\0i", 3));
  EXPECT_EQ(message.priority, 7u);
}

TEST_F(PosixQueueUnitTest, ReceiveOfAKibibyteOrMoreUsesPageOffset1536) {
  // posix_message_queue.cc, WHERE: the kernel's copy out of its msg_msg
  // (text 48 bytes into a slab object) is several times slower on AMD Zen
  // when the two ends are 1-63 bytes apart modulo 4096, so the buffer
  // Receive offers does not leave its page offset to the heap.
  ExpectClosedOnce();
  ExpectUnlinkedOnce();
  ipc::PosixMessageQueue queue = MakeOwned(kName, kFakeMqd, 4096);
  std::uintptr_t offset = 0;
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, NotNull(), 4096, NotNull()))
      .WillOnce([&](mqd_t mqd, char* buffer, size_t size, unsigned* prio) {
        offset = reinterpret_cast<std::uintptr_t>(buffer) % 4096;
        return Deliver("big", 1)(mqd, buffer, size, prio);
      });

  EXPECT_EQ(queue.Receive().data, "big");
  EXPECT_EQ(offset, 1536u);
}

TEST_F(PosixQueueUnitTest, ReceiveRetriesAfterEintr) {
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, NotNull(), kMsgsize, NotNull()))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver("ok", 2));

  EXPECT_EQ(queue.Receive().data, "ok");
}

TEST_F(PosixQueueUnitTest, ReceiveErrorThrowsNamingMqReceiveAndTheName) {
  // EAGAIN: empty, with O_NONBLOCK.
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, _, _, _))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_THAT([&] { queue.Receive(); },
              ThrowsSystemError(
                  EAGAIN, HasSubstr(std::string("mq_receive(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest,
       TimedReceiveRetriesEintrWithTheSameAbsoluteDeadline) {
  // As for TimedSend: a timed receive must not restart with a fresh timeout.
  ipc::PosixMessageQueue queue = MakeQueue();
  DeadlineRecorder recorder;
  EXPECT_CALL(
      sys_, MqTimedreceive(kFakeMqd, NotNull(), kMsgsize, NotNull(), NotNull()))
      .WillOnce([&](mqd_t, char*, size_t, unsigned*, const timespec* d) {
        recorder.Record(d);
        errno = EINTR;
        return ssize_t{-1};
      })
      .WillOnce([&](mqd_t mqd, char* buffer, size_t size, unsigned* prio,
                    const timespec* d) {
        recorder.Record(d);
        return Deliver("late", 3)(mqd, buffer, size, prio);
      });

  constexpr auto kTimeout = std::chrono::milliseconds(1500);
  const timespec earliest = ipc::RealtimeDeadlineFromNow(kTimeout);
  const std::optional<ipc::PosixMessage> message = queue.TimedReceive(kTimeout);
  const timespec latest = ipc::RealtimeDeadlineFromNow(kTimeout);

  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->data, "late");
  EXPECT_EQ(message->priority, 3u);
  ASSERT_EQ(recorder.deadlines().size(), 2u);
  const timespec& first = recorder.deadlines()[0];
  EXPECT_TRUE(earliest <= first && first <= latest)
      << "the deadline is not CLOCK_REALTIME now + timeout";
  EXPECT_TRUE(recorder.deadlines()[1] == first)
      << "the retry after EINTR started a fresh timeout";
}

TEST_F(PosixQueueUnitTest, TimedReceiveMapsEtimedoutToNothingAndThrowsOthers) {
  ipc::PosixMessageQueue queue = MakeQueue();
  EXPECT_CALL(sys_, MqTimedreceive(kFakeMqd, _, kMsgsize, _, NotNull()))
      .WillOnce(SetErrnoAndReturn(ETIMEDOUT, -1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  EXPECT_EQ(queue.TimedReceive(std::chrono::milliseconds(1)), std::nullopt);
  // EAGAIN (O_NONBLOCK, empty) is not a timeout: it must not read as one.
  EXPECT_THAT([&] { queue.TimedReceive(std::chrono::milliseconds(1)); },
              ThrowsSystemError(
                  EAGAIN, HasSubstr(std::string("mq_timedreceive(") + kName)));
}

// ------------------------------------------------------------ ReceiveInto

TEST_F(PosixQueueUnitTest, ReceiveIntoOffersTheWholeSpanItselfToTheKernel) {
  // No copy: mq_receive gets the caller's memory and all of its size (more
  // than mq_msgsize is allowed); only the bytes received change.
  ipc::PosixMessageQueue queue = MakeQueue();
  std::vector<std::byte> buffer = Filled(kMsgsize + 4);
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, reinterpret_cast<char*>(buffer.data()),
                              static_cast<size_t>(kMsgsize) + 4, NotNull()))
      .WillOnce(Deliver(std::string_view("h\0i", 3), 7));

  const ipc::PosixReceived got = queue.ReceiveInto(buffer);
  EXPECT_EQ(got.size, 3u);
  EXPECT_EQ(got.priority, 7u);
  EXPECT_EQ(AsString(buffer), std::string("h\0i", 3) + std::string(9, '~'));
}

TEST_F(PosixQueueUnitTest,
       ReceiveIntoASpanBelowMqMsgsizeIsRefusedBeforeTheCall) {
  // mq_receive(3) EMSGSIZE: "msg_len was less than the mq_msgsize attribute
  // of the message queue", whatever the waiting message's length. The
  // wrapper knows mq_msgsize, so it refuses as it refuses a message too
  // large for Send; exactly mq_msgsize bytes is enough (an off-by-one
  // would refuse it).
  ipc::PosixMessageQueue queue = MakeQueue();
  std::vector<std::byte> small = Filled(kMsgsize - 1);
  std::vector<std::byte> exact = Filled(kMsgsize);
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, _, static_cast<size_t>(kMsgsize), _))
      .WillOnce(Deliver("ok", 0));
  EXPECT_CALL(sys_, MqTimedreceive).Times(0);

  EXPECT_THAT([&] { queue.ReceiveInto(small); },
              ThrowsInvalidArgument(HasSubstr(
                  "buffer of 7 bytes is smaller than the queue's mq_msgsize "
                  "of 8")));
  EXPECT_THAT(
      [&] { queue.TimedReceiveInto(small, std::chrono::seconds(1)); },
      ThrowsInvalidArgument(HasSubstr("smaller than the queue's mq_msgsize")));
  EXPECT_EQ(AsString(small), std::string(kMsgsize - 1, '~'));
  EXPECT_EQ(queue.ReceiveInto(exact).size, 2u);
}

TEST_F(PosixQueueUnitTest, ReceiveIntoRetriesEintrAndThrowsWhatTheKernelSays) {
  // EMSGSIZE can still come from the kernel (a queue whose mq_msgsize is
  // not what this object read): it is thrown as the kernel's error, naming
  // the call, not mistaken for a bad argument.
  ipc::PosixMessageQueue queue = MakeQueue();
  std::vector<std::byte> buffer = Filled(kMsgsize);
  EXPECT_CALL(sys_, MqReceive(kFakeMqd, NotNull(), kMsgsize, NotNull()))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver("ok", 2))
      .WillOnce(SetErrnoAndReturn(EMSGSIZE, -1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  const ipc::PosixReceived got = queue.ReceiveInto(buffer);
  EXPECT_EQ(got.size, 2u);
  EXPECT_EQ(got.priority, 2u);
  EXPECT_THAT([&] { queue.ReceiveInto(buffer); },
              ThrowsSystemError(EMSGSIZE, HasSubstr(std::string("mq_receive(") +
                                                    kName + ")")));
  EXPECT_THAT([&] { queue.ReceiveInto(buffer); },
              ThrowsSystemError(
                  EAGAIN, HasSubstr(std::string("mq_receive(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest,
       TimedReceiveIntoKeepsItsDeadlineAndMapsOnlyEtimedoutToNothing) {
  ipc::PosixMessageQueue queue = MakeQueue();
  std::vector<std::byte> buffer = Filled(kMsgsize);
  DeadlineRecorder recorder;
  EXPECT_CALL(sys_,
              MqTimedreceive(kFakeMqd, reinterpret_cast<char*>(buffer.data()),
                             kMsgsize, NotNull(), NotNull()))
      .WillOnce([&](mqd_t, char*, size_t, unsigned*, const timespec* d) {
        recorder.Record(d);
        errno = EINTR;
        return ssize_t{-1};
      })
      .WillOnce([&](mqd_t mqd, char* data, size_t size, unsigned* prio,
                    const timespec* d) {
        recorder.Record(d);
        return Deliver("late", 3)(mqd, data, size, prio);
      })
      .WillOnce(SetErrnoAndReturn(ETIMEDOUT, -1))
      .WillOnce(SetErrnoAndReturn(EMSGSIZE, -1));
  EXPECT_CALL(sys_, MqReceive).Times(0);

  constexpr auto kTimeout = std::chrono::milliseconds(1500);
  const timespec earliest = ipc::RealtimeDeadlineFromNow(kTimeout);
  const std::optional<ipc::PosixReceived> got =
      queue.TimedReceiveInto(buffer, kTimeout);
  const timespec latest = ipc::RealtimeDeadlineFromNow(kTimeout);

  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size, 4u);
  EXPECT_EQ(got->priority, 3u);
  EXPECT_EQ(AsString(std::span(buffer).first(4)), "late");
  ASSERT_EQ(recorder.deadlines().size(), 2u);
  const timespec& first = recorder.deadlines()[0];
  EXPECT_TRUE(earliest <= first && first <= latest)
      << "the deadline is not CLOCK_REALTIME now + timeout";
  EXPECT_TRUE(recorder.deadlines()[1] == first)
      << "the retry after EINTR started a fresh timeout";

  EXPECT_EQ(queue.TimedReceiveInto(buffer, std::chrono::milliseconds(1)),
            std::nullopt);
  EXPECT_THAT(
      [&] { queue.TimedReceiveInto(buffer, std::chrono::milliseconds(1)); },
      ThrowsSystemError(
          EMSGSIZE, HasSubstr(std::string("mq_timedreceive(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest, SendOfBytesPassesThemAndKeepsTheSizeLimit) {
  ipc::PosixMessageQueue queue = MakeQueue();
  const std::vector<std::byte> bytes = {std::byte{'a'}, std::byte{0},
                                        std::byte{'b'}};
  std::string got;
  EXPECT_CALL(
      sys_, MqSend(kFakeMqd, reinterpret_cast<const char*>(bytes.data()), 3, 6))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce([&](mqd_t, const char* data, size_t size, unsigned) {
        got.assign(data, size);
        return 0;
      });

  queue.Send(bytes, 6);
  EXPECT_EQ(got, std::string("a\0b", 3));
  const std::vector<std::byte> too_large = Filled(kMsgsize + 1);
  EXPECT_THAT([&] { queue.Send(too_large); },
              ThrowsInvalidArgument(HasSubstr(
                  "message of 9 bytes exceeds the queue's mq_msgsize of 8")));
}

// ---------------------------------------- Attributes, O_NONBLOCK, notify

TEST_F(PosixQueueUnitTest, AttributesReturnWhatMqGetattrSaysOrThrow) {
  ipc::PosixMessageQueue queue = MakeQueue();
  mq_attr now = AttributesWithMsgsize(kMsgsize);
  now.mq_curmsgs = 2;
  EXPECT_CALL(sys_, MqGetattr(kFakeMqd, NotNull()))
      .WillOnce(DoAll(SetArgPointee<1>(now), Return(0)))
      .WillOnce(SetErrnoAndReturn(EBADF, -1));

  EXPECT_EQ(queue.Attributes().mq_curmsgs, 2);
  EXPECT_THAT([&] { queue.Attributes(); },
              ThrowsSystemError(
                  EBADF, HasSubstr(std::string("mq_getattr(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest, SetNonBlockingSetsOrClearsONonblockOnly) {
  // mq_setattr(3): "The only attribute that can be modified is the setting
  // of the O_NONBLOCK flag in mq_flags."
  ipc::PosixMessageQueue queue = MakeQueue();
  {
    InSequence in_order;
    EXPECT_CALL(
        sys_,
        MqSetattr(kFakeMqd, Pointee(Field(&mq_attr::mq_flags, O_NONBLOCK)), _))
        .WillOnce(Return(0));
    EXPECT_CALL(sys_,
                MqSetattr(kFakeMqd, Pointee(Field(&mq_attr::mq_flags, 0)), _))
        .WillOnce(SetErrnoAndReturn(EBADF, -1));
  }

  queue.SetNonBlocking(true);
  EXPECT_THAT([&] { queue.SetNonBlocking(false); },
              ThrowsSystemError(
                  EBADF, HasSubstr(std::string("mq_setattr(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest, NotifyPassesTheEventAndThrowsNamingMqNotify) {
  // mq_notify(3) EBUSY: "Another process has already registered".
  ipc::PosixMessageQueue queue = MakeQueue();
  sigevent event{};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGUSR1;
  EXPECT_CALL(sys_, MqNotify(kFakeMqd, &event))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(EBUSY, -1));
  EXPECT_CALL(sys_, MqNotify(kFakeMqd, IsNull())).WillOnce(Return(0));

  queue.Notify(&event);
  EXPECT_THAT([&] { queue.Notify(&event); },
              ThrowsSystemError(
                  EBUSY, HasSubstr(std::string("mq_notify(") + kName + ")")));
  queue.Notify(nullptr);
}

// -------------------------------------------------------------- Ownership

TEST_F(PosixQueueUnitTest, DestructorClosesAndUnlinksTheCreatedNameOnce) {
  // mq_overview(7): a queue lives until it is unlinked and the last
  // descriptor closed; the owner does both, so a failed test leaves none.
  ExpectClosedOnce();
  ExpectUnlinkedOnce();
  ipc::PosixMessageQueue queue = MakeOwned();
}

TEST_F(PosixQueueUnitTest, UnlinkNameUnlinksNowAndTheDestructorOnlyCloses) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, MqUnlink(StrEq(kName))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("unlinked"));
    EXPECT_CALL(sys_, MqClose(kFakeMqd)).WillOnce(Return(0));
  }
  {
    ipc::PosixMessageQueue queue = MakeOwned();
    queue.UnlinkName();
    EXPECT_FALSE(queue.owns_name());
    checkpoint.Call("unlinked");
  }
}

TEST_F(PosixQueueUnitTest, UnlinkNameFailureThrowsAndKeepsOwnership) {
  // As with Fifo::Remove: a failed unlink leaves the object owning the
  // name, so the destructor tries once more rather than leaking it.
  ipc::PosixMessageQueue queue = MakeOwned();
  EXPECT_CALL(sys_, MqUnlink(StrEq(kName)))
      .WillOnce(SetErrnoAndReturn(EACCES, -1))
      .WillOnce(Return(0));
  ExpectClosedOnce();

  EXPECT_THAT([&] { queue.UnlinkName(); },
              ThrowsSystemError(
                  EACCES, HasSubstr(std::string("mq_unlink(") + kName + ")")));
  EXPECT_TRUE(queue.owns_name());
}

TEST_F(PosixQueueUnitTest, UnlinkNameOfAQueueNotOwnedIsRefusedWithoutACall) {
  EXPECT_CALL(sys_, MqUnlink).Times(0);
  ExpectClosedOnce();
  ipc::PosixMessageQueue queue = MakeOpened();

  EXPECT_THAT([&] { queue.UnlinkName(); },
              ThrowsInvalidArgument(HasSubstr("does not own its name")));
}

TEST_F(PosixQueueUnitTest, StaticUnlinkUnlinksOnceOrThrowsNamingMqUnlink) {
  EXPECT_CALL(sys_, MqUnlink(StrEq(kName)))
      .WillOnce(Return(0))
      .WillOnce(SetErrnoAndReturn(ENOENT, -1));

  ipc::PosixMessageQueue::Unlink(kName);
  EXPECT_THAT([] { ipc::PosixMessageQueue::Unlink(kName); },
              ThrowsSystemError(
                  ENOENT, HasSubstr(std::string("mq_unlink(") + kName + ")")));
}

TEST_F(PosixQueueUnitTest, MovedFromQueueNeitherClosesNorUnlinks) {
  // The moved-to object keeps the size limit too: a message of mq_msgsize
  // bytes still reaches mq_send, one byte more is still refused before it.
  ExpectClosedOnce();
  ExpectUnlinkedOnce();
  EXPECT_CALL(sys_, MqSend(kFakeMqd, _, static_cast<size_t>(kMsgsize), 0))
      .WillOnce(Return(0));

  ipc::PosixMessageQueue original = MakeOwned();
  ipc::PosixMessageQueue moved = std::move(original);
  EXPECT_FALSE(original.owns_name());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owns_name());
  EXPECT_EQ(moved.descriptor(), kFakeMqd);
  EXPECT_NO_THROW(moved.Send(std::string(kMsgsize, 'x')));
  EXPECT_THAT([&] { moved.Send(std::string(kMsgsize + 1, 'x')); },
              ThrowsInvalidArgument());
}

TEST_F(PosixQueueUnitTest, MoveAssignmentReleasesTheTargetsOwnQueueFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, MqClose(kOtherMqd)).WillOnce(Return(0));
    EXPECT_CALL(sys_, MqUnlink(StrEq(kOtherName))).WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, MqClose(kFakeMqd)).WillOnce(Return(0));
    EXPECT_CALL(sys_, MqUnlink(StrEq(kName))).WillOnce(Return(0));
  }
  {
    ipc::PosixMessageQueue source = MakeOwned(kName, kFakeMqd);
    ipc::PosixMessageQueue target = MakeOwned(kOtherName, kOtherMqd, 64);
    target = std::move(source);
    EXPECT_EQ(target.name(), kName);
    EXPECT_EQ(target.descriptor(), kFakeMqd);
    // The source's mq_msgsize came along: 16 bytes fit the target's old
    // queue, not this one.
    EXPECT_THAT([&] { target.Send(std::string(16, 'x')); },
                ThrowsInvalidArgument());
    checkpoint.Call("assigned");
  }
}

TEST_F(PosixQueueUnitTest, SelfMoveAssignmentKeepsTheQueue) {
  ExpectClosedOnce();
  ExpectUnlinkedOnce();

  ipc::PosixMessageQueue queue = MakeOwned();
  ipc::PosixMessageQueue& alias = queue;
  queue = std::move(alias);
  EXPECT_TRUE(queue.owns_name());
  EXPECT_EQ(queue.descriptor(), kFakeMqd);
}

// ------------------------------------------------------- No allocation

// A one-message queue in memory: mq_send stores the message, mq_receive
// hands it back (EMSGSIZE for a buffer below mq_msgsize, as mq_receive(3)
// says; EAGAIN when empty), and nothing here allocates, so the allocations
// counted around a loop of wrapper calls are the wrapper's.
class LoopbackPosixMqSyscalls : public ipc::PosixMqSyscalls {
 public:
  static constexpr long kMsgsize = 8192;  // msgsize_max's default

  mqd_t MqOpen(const char*, int, mode_t, mq_attr*) override { return kFakeMqd; }
  int MqClose(mqd_t) override { return 0; }
  int MqUnlink(const char*) override { return 0; }
  int MqGetattr(mqd_t, mq_attr* attr) override {
    *attr = mq_attr{};
    attr->mq_maxmsg = 1;
    attr->mq_msgsize = kMsgsize;
    attr->mq_curmsgs = full_ ? 1 : 0;
    return 0;
  }
  int MqSetattr(mqd_t, const mq_attr*, mq_attr*) override { return 0; }
  int MqSend(mqd_t, const char* data, size_t size, unsigned priority) override {
    if (full_ || size > static_cast<size_t>(kMsgsize)) {
      errno = full_ ? EAGAIN : EMSGSIZE;
      return -1;
    }
    std::memcpy(slot_.data(), data, size);
    size_ = size;
    priority_ = priority;
    full_ = true;
    return 0;
  }
  int MqTimedsend(mqd_t mqd, const char* data, size_t size, unsigned priority,
                  const timespec*) override {
    return MqSend(mqd, data, size, priority);
  }
  ssize_t MqReceive(mqd_t, char* buffer, size_t size,
                    unsigned* priority) override {
    if (size < static_cast<size_t>(kMsgsize) || !full_) {
      errno = full_ ? EMSGSIZE : EAGAIN;
      return -1;
    }
    std::memcpy(buffer, slot_.data(), size_);
    if (priority != nullptr) *priority = priority_;
    full_ = false;
    return static_cast<ssize_t>(size_);
  }
  ssize_t MqTimedreceive(mqd_t mqd, char* buffer, size_t size,
                         unsigned* priority, const timespec*) override {
    return MqReceive(mqd, buffer, size, priority);
  }
  int MqNotify(mqd_t, const sigevent*) override { return 0; }

 private:
  std::array<char, kMsgsize> slot_{};
  size_t size_ = 0;
  unsigned priority_ = 0;
  bool full_ = false;
};

class PosixQueueAllocationTest : public ::testing::Test {
 protected:
  LoopbackPosixMqSyscalls loopback_;
  ipc::PosixMqSyscalls::ScopedOverride override_{loopback_};
};

TEST_F(PosixQueueAllocationTest, SendAndReceiveIntoAllocateNothingAtAll) {
  // The hot loop the wrapper promises is as cheap as raw mq_send and
  // mq_receive: no allocation, not even the first time, at any size.
  ipc::PosixMessageQueue queue = ipc::PosixMessageQueue::Create(kName);
  std::vector<std::byte> in(LoopbackPosixMqSyscalls::kMsgsize);
  for (const size_t size : {size_t{1}, size_t{4096}, size_t{8192}}) {
    SCOPED_TRACE(std::to_string(size) + "-byte messages");
    const std::vector<std::byte> bytes = Filled(size, 'o');
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                                size);
    size_t size_seen = 0;
    unsigned priority_seen = 0;
    int misses = 0;
    auto round = [&] {
      queue.Send(bytes, 4);
      const ipc::PosixReceived got = queue.ReceiveInto(in);
      size_seen = got.size;
      priority_seen = got.priority;
      queue.Send(text, 1);
      misses += !queue.TimedReceiveInto(in, std::chrono::seconds(1));
      misses += !queue.TimedSend(text, 0, std::chrono::seconds(1));
      misses += queue.ReceiveInto(in).size != size;
    };
    EXPECT_EQ(AllocationsIn(100, round), 0);
    EXPECT_EQ(misses, 0);
    EXPECT_EQ(size_seen, size);
    EXPECT_EQ(priority_seen, 4u);
    EXPECT_EQ(AsString(std::span(in).first(size)), std::string(size, 'o'));
  }
}

TEST_F(PosixQueueAllocationTest, ReceiveAllocatesOnlyTheReturnedString) {
  // The convenient forms: after the first call has grown this thread's
  // receive buffer (mq_msgsize bytes), one allocation per message, the
  // string returned, sized to the bytes received (100, beyond any
  // small-string buffer), not to mq_msgsize.
  ipc::PosixMessageQueue queue = ipc::PosixMessageQueue::Create(kName);
  const std::string out(100, 'o');
  size_t capacity_seen = 0;
  int misses = 0;
  auto round = [&] {
    queue.Send(out);
    capacity_seen = queue.Receive().data.capacity();
    queue.Send(out);
    const std::optional<ipc::PosixMessage> got =
        queue.TimedReceive(std::chrono::seconds(1));
    misses += !got || got->data != out;
  };
  round();  // may grow the thread's receive buffer
  EXPECT_EQ(AllocationsIn(100, round), 200);
  EXPECT_EQ(misses, 0);
  EXPECT_EQ(capacity_seen, 100u);
}

}  // namespace
}  // namespace ipcproof::unit

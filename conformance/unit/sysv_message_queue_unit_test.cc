// Fault injection into ipc::SysvMessageQueue (ipc/sysv_message_queue.h)
// through the ipc::SysvMsgSyscalls seam: which arguments reach msgget(2),
// msgsnd(2), msgrcv(2) and msgctl(2); which are refused before any call;
// what EINTR, EAGAIN, ENOMSG and other errors become; and that a queue this
// object created is removed with IPC_RMID exactly once, by its last owner.
//
// signal(7): msgsnd and msgrcv are never restarted by SA_RESTART; they fail
// with EINTR after any handler, which is why the wrapper retries them.
#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/unit/mock_sysv_msg_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/sysv_message_queue.h"

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

constexpr key_t kKey = 0x1234;
constexpr int kOtherQueueId = 0x7ffffff1;

// "msgsnd(msqid=2147483632)": how the wrapper names the call and the queue.
std::string Named(const char* call) {
  return std::string(call) + "(msqid=" + std::to_string(kFakeQueueId) + ")";
}

// One message as the wrapper handed it to msgsnd(2): the long type that
// starts the struct msgbuf, and the `size` bytes after it.
struct Sent {
  long type;
  std::string bytes;
  int flags;
};

// A msgsnd(2) stand-in that records what it was given into `sent`, then
// returns `result` (with errno `err` when it is -1).
auto RecordSend(std::vector<Sent>& sent, int result = 0, int err = 0) {
  return [&sent, result, err](int, const void* msgp, size_t size,
                              int flags) -> int {
    long type;
    std::memcpy(&type, msgp, sizeof type);
    sent.push_back(Sent{
        type, std::string(static_cast<const char*>(msgp) + sizeof(long), size),
        flags});
    if (result < 0) errno = err;
    return result;
  };
}

// A msgrcv(2) stand-in that delivers a message of `type` and `text`, as the
// kernel fills a struct msgbuf: the type, then the bytes, returning the
// byte count. Delivers no more than `size` bytes (the kernel's MSG_NOERROR
// truncation; without MSG_NOERROR it would fail E2BIG instead).
auto Deliver(long type, std::string_view text) {
  return [type, text](int, void* msgp, size_t size, long, int) -> ssize_t {
    const size_t n = std::min(size, text.size());
    std::memcpy(msgp, &type, sizeof type);
    std::memcpy(static_cast<char*>(msgp) + sizeof(long), text.data(), n);
    return static_cast<ssize_t>(n);
  };
}

std::string AsString(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

class SysvQueueUnitTest : public MockedSysvMsgSyscallsTest {
 protected:
  // A queue this object created (msgget succeeded with kFakeQueueId); the
  // test states what happens to it at the end.
  ipc::SysvMessageQueue MakeOwned(int id = kFakeQueueId) {
    EXPECT_CALL(sys_, Msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600))
        .WillOnce(Return(id))
        .RetiresOnSaturation();
    return ipc::SysvMessageQueue::Create();
  }
  void ExpectRemovedOnce(int id = kFakeQueueId) {
    EXPECT_CALL(sys_, Msgctl(id, IPC_RMID, IsNull())).WillOnce(Return(0));
  }
  // A queue known by id only: never removed, so no msgctl is expected.
  static ipc::SysvMessageQueue Borrowed() {
    return ipc::SysvMessageQueue::FromId(kFakeQueueId);
  }
};

// ------------------------------------------------------- Create and Open

TEST_F(SysvQueueUnitTest, CreatePassesIpcCreatIpcExclAndTheModeAndOwns) {
  // IPC_EXCL: a key already in use must fail (EEXIST) rather than hand
  // this object someone else's queue, which its destructor would remove.
  EXPECT_CALL(sys_, Msgget(kKey, IPC_CREAT | IPC_EXCL | 0640))
      .WillOnce(Return(kFakeQueueId));
  ExpectRemovedOnce();

  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create(kKey, 0640);
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_TRUE(queue.owned());
}

TEST_F(SysvQueueUnitTest, CreateFailureThrowsNamingMsggetAndTheKey) {
  // Nothing was created, so nothing is removed (StrictMock: no msgctl).
  EXPECT_CALL(sys_, Msgget(kKey, IPC_CREAT | IPC_EXCL | 0600))
      .WillOnce(SetErrnoAndReturn(EEXIST, -1));

  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::Create(kKey); },
      ThrowsSystemError(EEXIST, HasSubstr("msgget(key=" + std::to_string(kKey) +
                                          ", IPC_CREAT|IPC_EXCL)")));
}

TEST_F(SysvQueueUnitTest, OpenExistingPassesNoFlagsAndNeverRemoves) {
  EXPECT_CALL(sys_, Msgget(kKey, 0)).WillOnce(Return(kFakeQueueId));
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::OpenExisting(kKey);
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
}

TEST_F(SysvQueueUnitTest, OpenExistingFailureThrowsNamingMsggetAndTheKey) {
  EXPECT_CALL(sys_, Msgget(kKey, 0)).WillOnce(SetErrnoAndReturn(ENOENT, -1));

  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::OpenExisting(kKey); },
      ThrowsSystemError(ENOENT,
                        HasSubstr("msgget(key=" + std::to_string(kKey) + ")")));
}

TEST_F(SysvQueueUnitTest, FromIdMakesNoCallAndNeverRemoves) {
  EXPECT_CALL(sys_, Msgget).Times(0);
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(queue.id(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
}

// ---------------------------------------------------------- Bad arguments

TEST_F(SysvQueueUnitTest, BadArgumentsAreRefusedBeforeAnyCall) {
  EXPECT_CALL(sys_, Msgget).Times(0);
  EXPECT_CALL(sys_, Msgsnd).Times(0);
  EXPECT_CALL(sys_, Msgrcv).Times(0);
  EXPECT_CALL(sys_, Msgctl).Times(0);

  // Create: IPC_CREAT/IPC_EXCL are the wrapper's to add; mode is 0777 bits.
  EXPECT_THAT([] { ipc::SysvMessageQueue::Create(kKey, IPC_CREAT | 0600); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT([] { ipc::SysvMessageQueue::Create(kKey, 01000); },
              ThrowsInvalidArgument(HasSubstr("permission bits")));
  EXPECT_THAT(
      [] { ipc::SysvMessageQueue::OpenExisting(IPC_PRIVATE); },
      ThrowsInvalidArgument(HasSubstr("IPC_PRIVATE names no existing queue")));
  EXPECT_THAT([] { ipc::SysvMessageQueue::FromId(-1); },
              ThrowsInvalidArgument(HasSubstr("id is negative")));

  // msgsnd(2): "The mtype field must have a strictly positive integer
  // value" (the kernel would say EINVAL; the wrapper says which argument).
  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  for (const long type : {0L, -1L, -3L}) {
    EXPECT_THAT(
        [&] { queue.Send(type, "x"); },
        ThrowsInvalidArgument(HasSubstr("message type must be positive")))
        << "type " << type;
    EXPECT_THAT(
        [&] { queue.TrySend(type, one); },
        ThrowsInvalidArgument(HasSubstr("message type must be positive")))
        << "type " << type;
  }
  // msgsnd takes only IPC_NOWAIT; MSG_NOERROR and MSG_EXCEPT are msgrcv's.
  for (const int flags : {MSG_NOERROR, MSG_EXCEPT, IPC_CREAT}) {
    EXPECT_THAT(
        [&] { queue.Send(1, "x", flags); },
        ThrowsInvalidArgument(HasSubstr("flags may only be IPC_NOWAIT")))
        << "flags " << flags;
  }
  for (const int flags : {IPC_CREAT, IPC_EXCL, 0x80000}) {
    EXPECT_THAT([&] { queue.Receive(8, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")))
        << "flags " << flags;
    EXPECT_THAT([&] { queue.TryReceive(8, 0, flags); },
                ThrowsInvalidArgument(HasSubstr("flags may only combine")))
        << "flags " << flags;
  }
}

// ------------------------------------------------------------------- Send

TEST_F(SysvQueueUnitTest, SendPacksTheTypeBeforeTheBytesAndCountsOnlyBytes) {
  // msgsnd(2): msgp points at {long mtype; char mtext[]}, and msgsz is "the
  // size of mtext" only. Counting the type in would send 8 stray bytes.
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 6, 0))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(7, std::string_view("hel\0lo", 6));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, 7);
  EXPECT_EQ(sent[0].bytes, std::string("hel\0lo", 6));
}

TEST_F(SysvQueueUnitTest, SendOfNoBytesSendsTheTypeAlone) {
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 0, 0))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(2, "");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, 2);
}

TEST_F(SysvQueueUnitTest, SendRetriesAfterEintrWithTheSameMessage) {
  std::vector<Sent> sent;
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 3, 0))
      .WillOnce(RecordSend(sent, -1, EINTR))
      .WillOnce(RecordSend(sent, -1, EINTR))
      .WillOnce(RecordSend(sent));

  ipc::SysvMessageQueue queue = Borrowed();
  queue.Send(5, "abc");
  ASSERT_EQ(sent.size(), 3u);
  for (const Sent& s : sent) {
    EXPECT_EQ(s.type, 5);
    EXPECT_EQ(s.bytes, "abc");
    EXPECT_EQ(s.flags, 0);
  }
}

TEST_F(SysvQueueUnitTest, SendErrorThrowsNamingMsgsndTheQueueAndTheSize) {
  // EIDRM: the queue was removed while the sender waited (msgsnd(2)).
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 5, 0))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT(
      [&] { queue.Send(1, "hello"); },
      ThrowsSystemError(EIDRM, HasSubstr(Named("msgsnd") + " of 5 bytes")));
}

TEST_F(SysvQueueUnitTest, SendWithIpcNowaitOnAFullQueueThrowsEagain) {
  // Send promises to throw what msgsnd said; "nothing sent" as a value is
  // TrySend's job.
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Send(1, "x", IPC_NOWAIT); },
              ThrowsSystemError(EAGAIN, HasSubstr(Named("msgsnd"))));
}

TEST_F(SysvQueueUnitTest, TrySendAddsIpcNowaitAndMapsEagainToFalse) {
  // msgsnd(2) EAGAIN: "the message can't be sent due to the msg_qbytes
  // limit for the queue and IPC_NOWAIT was specified in msgflg".
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, NotNull(), 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Return(0));

  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  EXPECT_FALSE(queue.TrySend(1, one));
  EXPECT_TRUE(queue.TrySend(1, one));  // after an EINTR retried
}

TEST_F(SysvQueueUnitTest, TrySendThrowsErrorsOtherThanEagain) {
  EXPECT_CALL(sys_, Msgsnd(kFakeQueueId, _, 1, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  const std::span<const std::byte> one = std::as_bytes(std::span("x", 1));
  EXPECT_THAT([&] { queue.TrySend(1, one); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgsnd"))));
}

// ---------------------------------------------------------------- Receive

TEST_F(SysvQueueUnitTest, ReceivePassesSizeTypeAndFlagsAndReturnsTheMessage) {
  // msgsz is the room for mtext, not counting the type; the type the kernel
  // wrote at the start of the buffer is the message's, not the selector.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 16, 3, MSG_EXCEPT))
      .WillOnce(Deliver(4, std::string_view("a\0c", 3)));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(16, 3, MSG_EXCEPT);
  EXPECT_EQ(message.type, 4);
  EXPECT_EQ(AsString(message.data), std::string("a\0c", 3));
}

TEST_F(SysvQueueUnitTest, ReceiveOfAnEmptyMessageReturnsItsTypeAndNoBytes) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 8, 0, 0))
      .WillOnce(Deliver(9, ""));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(8);
  EXPECT_EQ(message.type, 9);
  EXPECT_TRUE(message.data.empty());
}

TEST_F(SysvQueueUnitTest, ReceiveRetriesAfterEintr) {
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 8, -2, 0))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(SetErrnoAndReturn(EINTR, -1))
      .WillOnce(Deliver(1, "ok"));

  ipc::SysvMessageQueue queue = Borrowed();
  const ipc::SysvMessage message = queue.Receive(8, -2);
  EXPECT_EQ(message.type, 1);
  EXPECT_EQ(AsString(message.data), "ok");
}

TEST_F(SysvQueueUnitTest, ReceiveErrorThrowsNamingMsgrcvTheQueueAndTheSize) {
  // E2BIG: the message is longer than msgsz and MSG_NOERROR was not given.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 4, 0, 0))
      .WillOnce(SetErrnoAndReturn(E2BIG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Receive(4); },
              ThrowsSystemError(
                  E2BIG, HasSubstr(Named("msgrcv") + " of at most 4 bytes")));
}

TEST_F(SysvQueueUnitTest, MsgNoerrorIsPassedAndTheTruncatedBytesReturned) {
  // msgrcv(2) MSG_NOERROR: "To truncate the message text if longer than
  // msgsz bytes." The wrapper must pass the flag and return what the
  // kernel copied (msgsz bytes), not the message's full length.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, NotNull(), 4, 0, MSG_NOERROR))
      .WillOnce(Deliver(1, "abcdefgh"));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(AsString(queue.Receive(4, 0, MSG_NOERROR).data), "abcd");
}

TEST_F(SysvQueueUnitTest, ReceiveWithTheCallersIpcNowaitThrowsEnomsg) {
  // Receive returns a message or throws; ENOMSG as "nothing" is only
  // TryReceive's.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(ENOMSG, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Receive(8, 0, IPC_NOWAIT); },
              ThrowsSystemError(ENOMSG, HasSubstr(Named("msgrcv"))));
}

TEST_F(SysvQueueUnitTest, TryReceiveAlwaysAddsIpcNowaitAndMapsEnomsgToNothing) {
  // msgrcv(2) ENOMSG: "IPC_NOWAIT was specified in msgflg and no message of
  // the requested type existed on the message queue." Without IPC_NOWAIT
  // the call would block, so TryReceive must add it to any flags given.
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 5, MSG_NOERROR | IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(ENOMSG, -1));
    EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 5, MSG_EXCEPT | IPC_NOWAIT))
        .WillOnce(SetErrnoAndReturn(EINTR, -1))
        .WillOnce(Deliver(6, "six"));
  }

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_EQ(queue.TryReceive(8), std::nullopt);
  EXPECT_EQ(queue.TryReceive(8, 5, MSG_NOERROR), std::nullopt);
  const std::optional<ipc::SysvMessage> got =
      queue.TryReceive(8, 5, MSG_EXCEPT);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->type, 6);
  EXPECT_EQ(AsString(got->data), "six");
}

TEST_F(SysvQueueUnitTest, TryReceiveThrowsErrorsOtherThanEnomsg) {
  // EAGAIN is msgsnd's "full", never msgrcv's "empty": it must not be read
  // as "nothing" either.
  EXPECT_CALL(sys_, Msgrcv(kFakeQueueId, _, 8, 0, IPC_NOWAIT))
      .WillOnce(SetErrnoAndReturn(EIDRM, -1))
      .WillOnce(SetErrnoAndReturn(EAGAIN, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.TryReceive(8); },
              ThrowsSystemError(EIDRM, HasSubstr(Named("msgrcv"))));
  EXPECT_THAT([&] { queue.TryReceive(8); },
              ThrowsSystemError(EAGAIN, HasSubstr(Named("msgrcv"))));
}

// ------------------------------------------------------------ Stat and Set

TEST_F(SysvQueueUnitTest, StatReturnsWhatIpcStatFilledIn) {
  msqid_ds filled{};
  filled.msg_qnum = 3;
  filled.msg_qbytes = 16384;
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(filled), Return(0)));

  const msqid_ds ds = Borrowed().Stat();
  EXPECT_EQ(ds.msg_qnum, 3u);
  EXPECT_EQ(ds.msg_qbytes, 16384u);
}

TEST_F(SysvQueueUnitTest, StatErrorThrowsNamingIpcStat) {
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(SetErrnoAndReturn(EACCES, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.Stat(); },
              ThrowsSystemError(EACCES, HasSubstr(Named("msgctl(IPC_STAT)"))));
}

TEST_F(SysvQueueUnitTest, SetQueueBytesChangesOnlyMsgQbytes) {
  // msgctl(2) IPC_SET copies msg_perm.uid, msg_perm.gid, the mode bits and
  // msg_qbytes from the buffer. A wrapper that sent a zeroed buffer with
  // only msg_qbytes set would also give the queue to root with mode 0; so
  // it must send back what IPC_STAT said, changed in msg_qbytes alone.
  msqid_ds stated{};
  stated.msg_perm.uid = 1234;
  stated.msg_perm.gid = 5678;
  stated.msg_perm.mode = 0640;
  stated.msg_qbytes = 16384;
  InSequence in_order;
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(DoAll(SetArgPointee<2>(stated), Return(0)));
  EXPECT_CALL(
      sys_, Msgctl(kFakeQueueId, IPC_SET,
                   Pointee(AllOf(Field(&msqid_ds::msg_qbytes, 100u),
                                 Field(&msqid_ds::msg_perm,
                                       AllOf(Field(&ipc_perm::uid, 1234u),
                                             Field(&ipc_perm::gid, 5678u),
                                             Field(&ipc_perm::mode, 0640)))))))
      .WillOnce(Return(0));

  Borrowed().SetQueueBytes(100);
}

TEST_F(SysvQueueUnitTest, SetQueueBytesErrorThrowsNamingIpcSetAndTheSize) {
  // EPERM: raising msg_qbytes above msgmnb needs CAP_SYS_RESOURCE.
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_STAT, NotNull()))
      .WillOnce(Return(0));
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_SET, NotNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1));

  ipc::SysvMessageQueue queue = Borrowed();
  EXPECT_THAT([&] { queue.SetQueueBytes(1 << 20); },
              ThrowsSystemError(EPERM, HasSubstr(Named("msgctl(IPC_SET)") +
                                                 " msg_qbytes=1048576")));
}

// -------------------------------------------------------------- Ownership

TEST_F(SysvQueueUnitTest, DestructorRemovesAnOwnedQueueOnce) {
  // sysvipc(7): a queue outlives every process until IPC_RMID; the owner
  // removes it so a failed test leaves none behind.
  ExpectRemovedOnce();
  ipc::SysvMessageQueue queue = MakeOwned();
}

TEST_F(SysvQueueUnitTest, DestructorSwallowsAFailingIpcRmid) {
  // A destructor cannot throw; EIDRM/EINVAL (someone else removed it) is
  // the usual reason and leaves nothing to do.
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  ipc::SysvMessageQueue queue = MakeOwned();
}

TEST_F(SysvQueueUnitTest, RemoveCallsIpcRmidNowAndNotAgainAtTheEnd) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("removed"));
  }
  {
    ipc::SysvMessageQueue queue = MakeOwned();
    queue.Remove();
    EXPECT_FALSE(queue.owned());
    checkpoint.Call("removed");
  }
}

TEST_F(SysvQueueUnitTest, RemoveFailureThrowsAndKeepsOwnership) {
  // A failed IPC_RMID leaves the object owning the queue, so the destructor
  // tries once more rather than leaking it.
  ipc::SysvMessageQueue queue = MakeOwned();
  EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
      .WillOnce(SetErrnoAndReturn(EPERM, -1))
      .WillOnce(Return(0));

  EXPECT_THAT([&] { queue.Remove(); },
              ThrowsSystemError(EPERM, HasSubstr(Named("msgctl(IPC_RMID)"))));
  EXPECT_TRUE(queue.owned());
}

TEST_F(SysvQueueUnitTest, ReleaseGivesUpOwnershipWithoutRemoving) {
  EXPECT_CALL(sys_, Msgctl).Times(0);

  ipc::SysvMessageQueue queue = MakeOwned();
  EXPECT_EQ(queue.Release(), kFakeQueueId);
  EXPECT_FALSE(queue.owned());
  EXPECT_EQ(queue.id(), kFakeQueueId);  // still usable, by id
}

TEST_F(SysvQueueUnitTest, MovedFromQueueDoesNotRemove) {
  ExpectRemovedOnce();

  ipc::SysvMessageQueue original = MakeOwned();
  ipc::SysvMessageQueue moved = std::move(original);
  EXPECT_FALSE(original.owned());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(original.id(), -1);    // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owned());
  EXPECT_EQ(moved.id(), kFakeQueueId);
}

TEST_F(SysvQueueUnitTest, MoveAssignmentRemovesTheTargetsOwnQueueFirst) {
  MockFunction<void(const char*)> checkpoint;
  {
    InSequence in_order;
    EXPECT_CALL(sys_, Msgctl(kOtherQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
    EXPECT_CALL(checkpoint, Call("assigned"));
    EXPECT_CALL(sys_, Msgctl(kFakeQueueId, IPC_RMID, IsNull()))
        .WillOnce(Return(0));
  }
  {
    ipc::SysvMessageQueue source = MakeOwned(kFakeQueueId);
    ipc::SysvMessageQueue target = MakeOwned(kOtherQueueId);
    target = std::move(source);
    EXPECT_EQ(target.id(), kFakeQueueId);
    EXPECT_TRUE(target.owned());
    checkpoint.Call("assigned");
  }
}

TEST_F(SysvQueueUnitTest, SelfMoveAssignmentKeepsTheQueue) {
  ExpectRemovedOnce();

  ipc::SysvMessageQueue queue = MakeOwned();
  ipc::SysvMessageQueue& alias = queue;
  queue = std::move(alias);
  EXPECT_TRUE(queue.owned());
  EXPECT_EQ(queue.id(), kFakeQueueId);
}

}  // namespace
}  // namespace ipcproof::unit

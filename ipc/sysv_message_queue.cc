#include "ipc/sysv_message_queue.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/placed_buffer.h"
#include "ipc/sysv_msg_syscalls.h"

namespace ipc {
namespace {

// The most text bytes a struct msgbuf can hold: msgrcv(2) refuses a msgsz
// above LONG_MAX (EINVAL), and the long type must fit before the text
// without the sum overflowing.
constexpr size_t kLargestText = static_cast<size_t>(LONG_MAX) - sizeof(long);

// The long type at the start of a struct msgbuf.
long TypeAt(const std::byte* msgbuf) {
  long type;
  std::memcpy(&type, msgbuf, sizeof type);
  return type;
}

// Scratch memory for one struct msgbuf (internal/placed_buffer.h).
using PackingBuffer = internal::ScratchBuffer<sizeof(long)>;

std::string Call(const char* name, int id) {
  return std::string(name) + "(msqid=" + std::to_string(id) + ")";
}

void CheckSendArguments(long type, int flags) {
  CheckArgument(type > 0, "SysvMessageQueue::Send",
                "message type must be positive");
  CheckArgument((flags & ~IPC_NOWAIT) == 0, "SysvMessageQueue::Send",
                "flags may only be IPC_NOWAIT");
}

void CheckReceiveFlags(int flags) {
  CheckArgument(
      (flags & ~(IPC_NOWAIT | MSG_EXCEPT | MSG_NOERROR | MSG_COPY)) == 0,
      "SysvMessageQueue::Receive",
      "flags may only combine IPC_NOWAIT, MSG_EXCEPT, MSG_NOERROR, MSG_COPY");
}

void CheckTextSize(size_t size, const char* where) {
  CheckArgument(size <= kLargestText, where,
                "size exceeds the largest struct msgbuf (LONG_MAX bytes "
                "with the type)");
}

}  // namespace

// --------------------------------------------------------- SysvMessageBuffer

SysvMessageBuffer::SysvMessageBuffer(size_t capacity) : capacity_(capacity) {
  CheckTextSize(capacity, "SysvMessageBuffer");
  allocation_ = internal::AllocatePlaced(sizeof(long), capacity, msgbuf_);
  // Zeroed once here, never per message: bytes a caller sends without
  // having written them are zeros, not old heap contents.
  std::memset(msgbuf_, 0, sizeof(long) + capacity);
}

SysvMessageBuffer::~SysvMessageBuffer() {
  internal::FreePlaced(allocation_, msgbuf_);
}

SysvMessageBuffer::SysvMessageBuffer(SysvMessageBuffer&& other) noexcept
    : allocation_(std::exchange(other.allocation_, nullptr)),
      msgbuf_(std::exchange(other.msgbuf_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SysvMessageBuffer& SysvMessageBuffer::operator=(
    SysvMessageBuffer&& other) noexcept {
  if (this != &other) {
    internal::FreePlaced(allocation_, msgbuf_);
    allocation_ = std::exchange(other.allocation_, nullptr);
    msgbuf_ = std::exchange(other.msgbuf_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

long SysvMessageBuffer::type() const {
  long type = 0;
  if (msgbuf_ != nullptr) std::memcpy(&type, msgbuf_, sizeof type);
  return type;
}

void SysvMessageBuffer::set_type(long type) {
  CheckArgument(msgbuf_ != nullptr, "SysvMessageBuffer::set_type",
                "buffer was moved from");
  std::memcpy(msgbuf_, &type, sizeof type);
}

// ---------------------------------------------------------- SysvMessageQueue

SysvMessageQueue SysvMessageQueue::Create(key_t key, int mode) {
  CheckArgument((mode & ~0777) == 0, "SysvMessageQueue::Create",
                "mode may only hold permission bits (0777)");
  const int id =
      SysvMsgSyscalls::Current().Msgget(key, IPC_CREAT | IPC_EXCL | mode);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(
        err, "msgget(key=" + std::to_string(key) + ", IPC_CREAT|IPC_EXCL)");
  }
  return SysvMessageQueue(id, /*owned=*/true);
}

SysvMessageQueue SysvMessageQueue::OpenExisting(key_t key) {
  CheckArgument(key != IPC_PRIVATE, "SysvMessageQueue::OpenExisting",
                "IPC_PRIVATE names no existing queue");
  const int id = SysvMsgSyscalls::Current().Msgget(key, 0);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(err, "msgget(key=" + std::to_string(key) + ")");
  }
  return SysvMessageQueue(id, /*owned=*/false);
}

SysvMessageQueue SysvMessageQueue::FromId(int id) {
  CheckArgument(id >= 0, "SysvMessageQueue::FromId", "id is negative");
  return SysvMessageQueue(id, /*owned=*/false);
}

SysvMessageQueue::SysvMessageQueue(SysvMessageQueue&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      owned_(std::exchange(other.owned_, false)) {}

SysvMessageQueue& SysvMessageQueue::operator=(
    SysvMessageQueue&& other) noexcept {
  if (this != &other) {
    if (owned_) SysvMsgSyscalls::Current().Msgctl(id_, IPC_RMID, nullptr);
    id_ = std::exchange(other.id_, -1);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

SysvMessageQueue::~SysvMessageQueue() {
  if (owned_) SysvMsgSyscalls::Current().Msgctl(id_, IPC_RMID, nullptr);
}

void SysvMessageQueue::Send(long type, std::span<const std::byte> data,
                            int flags) {
  CheckSendArguments(type, flags);
  const PackingBuffer buffer(data.size());
  std::memcpy(buffer.start(), &type, sizeof type);
  internal::CopyInPieces(buffer.text(), data.data(), data.size());
  // Only IPC_NOWAIT in the caller's flags can make msgsnd find no room.
  if (!SendPacked(buffer.start(), data.size(), flags)) {
    ThrowSystemError(EAGAIN, Call("msgsnd", id_) + " of " +
                                 std::to_string(data.size()) + " bytes");
  }
}

void SysvMessageQueue::Send(long type, std::string_view text, int flags) {
  Send(type, AsBytes(text), flags);
}

void SysvMessageQueue::Send(const SysvMessageBuffer& message, size_t size,
                            int flags) {
  CheckSendArguments(message.type(), flags);
  CheckArgument(size <= message.capacity(), "SysvMessageQueue::Send",
                "size exceeds the SysvMessageBuffer's capacity");
  if (!SendPacked(message.msgbuf(), size, flags)) {
    ThrowSystemError(
        EAGAIN, Call("msgsnd", id_) + " of " + std::to_string(size) + " bytes");
  }
}

bool SysvMessageQueue::TrySend(long type, std::span<const std::byte> data) {
  CheckSendArguments(type, IPC_NOWAIT);
  const PackingBuffer buffer(data.size());
  std::memcpy(buffer.start(), &type, sizeof type);
  internal::CopyInPieces(buffer.text(), data.data(), data.size());
  return SendPacked(buffer.start(), data.size(), IPC_NOWAIT);
}

bool SysvMessageQueue::TrySend(const SysvMessageBuffer& message, size_t size) {
  CheckSendArguments(message.type(), IPC_NOWAIT);
  CheckArgument(size <= message.capacity(), "SysvMessageQueue::TrySend",
                "size exceeds the SysvMessageBuffer's capacity");
  return SendPacked(message.msgbuf(), size, IPC_NOWAIT);
}

bool SysvMessageQueue::SendPacked(const void* msgbuf, size_t size, int flags) {
  // signal(7): msgsnd fails with EINTR after a handler even with SA_RESTART.
  while (SysvMsgSyscalls::Current().Msgsnd(id_, msgbuf, size, flags) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && (flags & IPC_NOWAIT)) return false;
    ThrowSystemError(
        err, Call("msgsnd", id_) + " of " + std::to_string(size) + " bytes");
  }
  return true;
}

SysvMessage SysvMessageQueue::Receive(size_t max_size, long type, int flags) {
  CheckReceiveFlags(flags);
  CheckTextSize(max_size, "SysvMessageQueue::Receive");
  const PackingBuffer buffer(max_size);
  const std::optional<size_t> n =
      ReceivePacked(buffer.start(), max_size, type, flags);
  // Only IPC_NOWAIT in the caller's flags can make msgrcv find nothing.
  if (!n) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  // The one allocation: the returned vector, of the bytes received only.
  return SysvMessage{
      TypeAt(buffer.start()),
      internal::CopiedInPieces<std::vector<std::byte>>(buffer.text(), *n)};
}

std::optional<SysvMessage> SysvMessageQueue::TryReceive(size_t max_size,
                                                        long type, int flags) {
  CheckReceiveFlags(flags);
  CheckTextSize(max_size, "SysvMessageQueue::TryReceive");
  const PackingBuffer buffer(max_size);
  const std::optional<size_t> n =
      ReceivePacked(buffer.start(), max_size, type, flags | IPC_NOWAIT);
  if (!n) return std::nullopt;
  return SysvMessage{
      TypeAt(buffer.start()),
      internal::CopiedInPieces<std::vector<std::byte>>(buffer.text(), *n)};
}

SysvReceived SysvMessageQueue::ReceiveInto(std::span<std::byte> text, long type,
                                           int flags) {
  CheckReceiveFlags(flags);
  const PackingBuffer buffer(text.size());
  const std::optional<size_t> n =
      ReceivePacked(buffer.start(), text.size(), type, flags);
  if (!n) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  internal::CopyInPieces(text.data(), buffer.text(), *n);
  return SysvReceived{TypeAt(buffer.start()), *n};
}

std::optional<SysvReceived> SysvMessageQueue::TryReceiveInto(
    std::span<std::byte> text, long type, int flags) {
  CheckReceiveFlags(flags);
  const PackingBuffer buffer(text.size());
  const std::optional<size_t> n =
      ReceivePacked(buffer.start(), text.size(), type, flags | IPC_NOWAIT);
  if (!n) return std::nullopt;
  internal::CopyInPieces(text.data(), buffer.text(), *n);
  return SysvReceived{TypeAt(buffer.start()), *n};
}

size_t SysvMessageQueue::ReceiveInto(SysvMessageBuffer& message, long type,
                                     int flags) {
  CheckReceiveFlags(flags);
  CheckArgument(message.msgbuf() != nullptr, "SysvMessageQueue::ReceiveInto",
                "the SysvMessageBuffer was moved from");
  const std::optional<size_t> n =
      ReceivePacked(message.msgbuf(), message.capacity(), type, flags);
  if (!n) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  return *n;
}

std::optional<size_t> SysvMessageQueue::TryReceiveInto(
    SysvMessageBuffer& message, long type, int flags) {
  CheckReceiveFlags(flags);
  CheckArgument(message.msgbuf() != nullptr, "SysvMessageQueue::TryReceiveInto",
                "the SysvMessageBuffer was moved from");
  return ReceivePacked(message.msgbuf(), message.capacity(), type,
                       flags | IPC_NOWAIT);
}

std::optional<size_t> SysvMessageQueue::ReceivePacked(void* msgbuf,
                                                      size_t max_size,
                                                      long type, int flags) {
  // signal(7): msgrcv fails with EINTR after a handler even with SA_RESTART.
  for (;;) {
    const ssize_t n =
        SysvMsgSyscalls::Current().Msgrcv(id_, msgbuf, max_size, type, flags);
    if (n >= 0) return static_cast<size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (err == ENOMSG && (flags & IPC_NOWAIT)) return std::nullopt;
    ThrowSystemError(err, Call("msgrcv", id_) + " of at most " +
                              std::to_string(max_size) + " bytes");
  }
}

msqid_ds SysvMessageQueue::Stat() const {
  msqid_ds ds{};
  if (SysvMsgSyscalls::Current().Msgctl(id_, IPC_STAT, &ds) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("msgctl(IPC_STAT)", id_));
  }
  return ds;
}

void SysvMessageQueue::SetQueueBytes(msglen_t bytes) {
  msqid_ds ds = Stat();
  ds.msg_qbytes = bytes;
  if (SysvMsgSyscalls::Current().Msgctl(id_, IPC_SET, &ds) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("msgctl(IPC_SET)", id_) +
                              " msg_qbytes=" + std::to_string(bytes));
  }
}

void SysvMessageQueue::Remove() {
  if (SysvMsgSyscalls::Current().Msgctl(id_, IPC_RMID, nullptr) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("msgctl(IPC_RMID)", id_));
  }
  owned_ = false;
}

int SysvMessageQueue::Release() {
  owned_ = false;
  return id_;
}

}  // namespace ipc

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
#include "ipc/sysv_msg_syscalls.h"

namespace ipc {
namespace {

// The most text bytes a struct msgbuf can hold: msgrcv(2) refuses a msgsz
// above LONG_MAX (EINVAL), and the long type must fit before the text
// without the sum overflowing.
constexpr size_t kLargestText = static_cast<size_t>(LONG_MAX) - sizeof(long);

// WHERE THE WRAPPER'S BUFFERS PUT A MESSAGE, and how it copies one. Both
// kinds of queue copy a message between user memory and a kmalloc'd struct
// msg_msg (load_msg/store_msg, ipc/msgutil.c) whose text starts 48 bytes
// into its slab object (8 into each further msg_msgseg); objects of 2 KiB
// and more sit at multiples of 2 KiB. Those copies, and glibc 2.36's memcpy
// from 4 KiB on, use `rep movsb`, which on AMD Zen CPUs (this project's
// machines: "AMD EPYC", fsrm) slows down badly when the destination starts
// 1 to 63 bytes after the source modulo 4096. Measured here: a 4 KiB
// msgsnd+msgrcv round trip takes 3.5-6 us instead of 2.7 when the user
// text starts 24-80 bytes into a page, and a 4-8 KiB memcpy 1.4-2.8 us
// instead of 50-100 ns. glibc hands out 4104-byte chunks at page offsets
// 16, 32, 48, ..., so a wrapper that left this to the heap cost
// microseconds per message by the luck of its addresses (what the
// benchmark used to show). So:
//   - from kPlaceFrom bytes of text on (below, no copy here showed the
//     effect), a buffer of the wrapper's is 4 KiB aligned with the text
//     kTextOffset bytes in: far from 8 and from 48 plus any multiple of
//     2 KiB, wherever the kernel's object lies;
//   - the wrapper's own copies go in kCopyPiece pieces: under glibc's
//     rep_movsb_threshold (2048 times the vector width / 16, never below
//     2048) memcpy uses vector moves, as fast here as the best case of
//     `rep movsb`, with no such worst case.
constexpr size_t kAliasPeriod = 4096;
constexpr size_t kTextOffset = 1536;
constexpr size_t kPlaceFrom = 1024;
constexpr size_t kCopyPiece = 1024;

// Allocates a struct msgbuf with room for `text_size` bytes, placed as
// above; returns the allocation and sets `msgbuf`. Never zero-filled.
std::byte* AllocateMsgbuf(size_t text_size, std::byte*& msgbuf) {
  if (text_size < kPlaceFrom) {
    std::byte* const allocation =
        static_cast<std::byte*>(::operator new(sizeof(long) + text_size));
    msgbuf = allocation;
    return allocation;
  }
  std::byte* const allocation = static_cast<std::byte*>(
      ::operator new (kTextOffset + text_size, std::align_val_t{kAliasPeriod}));
  msgbuf = allocation + kTextOffset - sizeof(long);
  return allocation;
}

// Frees what AllocateMsgbuf returned (a placed msgbuf is not at the start).
void FreeMsgbuf(std::byte* allocation, const std::byte* msgbuf) noexcept {
  if (allocation == nullptr) return;
  if (msgbuf == allocation) {
    ::operator delete(allocation);
  } else {
    ::operator delete (allocation, std::align_val_t{kAliasPeriod});
  }
}

// One owned struct msgbuf.
class OwnedMsgbuf {
 public:
  OwnedMsgbuf() = default;
  explicit OwnedMsgbuf(size_t text_size) {
    allocation_ = AllocateMsgbuf(text_size, msgbuf_);
  }
  ~OwnedMsgbuf() { FreeMsgbuf(allocation_, msgbuf_); }
  OwnedMsgbuf(const OwnedMsgbuf&) = delete;
  OwnedMsgbuf& operator=(const OwnedMsgbuf&) = delete;
  OwnedMsgbuf& operator=(OwnedMsgbuf&& other) noexcept {
    std::swap(allocation_, other.allocation_);
    std::swap(msgbuf_, other.msgbuf_);
    return *this;
  }

  std::byte* msgbuf() const { return msgbuf_; }

 private:
  std::byte* allocation_ = nullptr;
  std::byte* msgbuf_ = nullptr;
};

// The largest packing buffer a thread keeps between calls (see THREADS in
// the header): 128 times the default msgmax (MSGMAX, 8192), so every message
// a default kernel allows reuses it, while a test that raised msgmax to
// megabytes does not leave that much behind in each thread it used.
constexpr size_t kRetainedLimit = size_t{1} << 20;

// Memory to pack one struct msgbuf of `text_size` bytes in: the calling
// thread's retained buffer, grown if needed, or for a message over
// kRetainedLimit a buffer of this call's own. Never zero-filled: the
// wrapper writes every byte it hands to msgsnd, and msgrcv writes every
// byte the wrapper then reads.
class PackingBuffer {
 public:
  explicit PackingBuffer(size_t text_size) {
    if (text_size > kRetainedLimit) {
      own_ = OwnedMsgbuf(text_size);
      msgbuf_ = own_.msgbuf();
      return;
    }
    struct Retained {
      OwnedMsgbuf storage;
      size_t text_size = 0;
    };
    thread_local Retained retained;
    if (retained.storage.msgbuf() == nullptr ||
        retained.text_size < text_size) {
      // Doubling: a thread sending ever larger messages reallocates a
      // logarithmic number of times, not once per size.
      const size_t grown =
          std::min(kRetainedLimit, std::max(text_size, 2 * retained.text_size));
      retained.storage = OwnedMsgbuf(grown);
      retained.text_size = grown;
    }
    msgbuf_ = retained.storage.msgbuf();
  }
  PackingBuffer(const PackingBuffer&) = delete;
  PackingBuffer& operator=(const PackingBuffer&) = delete;

  std::byte* data() const { return msgbuf_; }
  std::byte* text() const { return msgbuf_ + sizeof(long); }
  long type() const {
    long type;
    std::memcpy(&type, msgbuf_, sizeof type);
    return type;
  }

 private:
  OwnedMsgbuf own_;
  std::byte* msgbuf_ = nullptr;
};

// The wrapper's own copies (see WHERE above).
void CopyInPieces(std::byte* to, const std::byte* from, size_t size) {
  for (size_t done = 0; done < size; done += kCopyPiece) {
    std::memcpy(to + done, from + done, std::min(kCopyPiece, size - done));
  }
}

// The received bytes as the vector SysvMessage holds: one allocation of
// exactly `size` bytes, filled in pieces, not zero-filled first.
std::vector<std::byte> CopiedVector(const std::byte* from, size_t size) {
  std::vector<std::byte> bytes;
  bytes.reserve(size);
  for (size_t done = 0; done < size; done += kCopyPiece) {
    const size_t piece = std::min(kCopyPiece, size - done);
    bytes.insert(bytes.end(), from + done, from + done + piece);
  }
  return bytes;
}

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
  allocation_ = AllocateMsgbuf(capacity, msgbuf_);
  // Zeroed once here, never per message: bytes a caller sends without
  // having written them are zeros, not old heap contents.
  std::memset(msgbuf_, 0, sizeof(long) + capacity);
}

SysvMessageBuffer::~SysvMessageBuffer() { FreeMsgbuf(allocation_, msgbuf_); }

SysvMessageBuffer::SysvMessageBuffer(SysvMessageBuffer&& other) noexcept
    : allocation_(std::exchange(other.allocation_, nullptr)),
      msgbuf_(std::exchange(other.msgbuf_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SysvMessageBuffer& SysvMessageBuffer::operator=(
    SysvMessageBuffer&& other) noexcept {
  if (this != &other) {
    FreeMsgbuf(allocation_, msgbuf_);
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
  std::memcpy(buffer.data(), &type, sizeof type);
  CopyInPieces(buffer.text(), data.data(), data.size());
  // Only IPC_NOWAIT in the caller's flags can make msgsnd find no room.
  if (!SendPacked(buffer.data(), data.size(), flags)) {
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
  std::memcpy(buffer.data(), &type, sizeof type);
  CopyInPieces(buffer.text(), data.data(), data.size());
  return SendPacked(buffer.data(), data.size(), IPC_NOWAIT);
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
      ReceivePacked(buffer.data(), max_size, type, flags);
  // Only IPC_NOWAIT in the caller's flags can make msgrcv find nothing.
  if (!n) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  // The one allocation: the returned vector, of the bytes received only.
  return SysvMessage{buffer.type(), CopiedVector(buffer.text(), *n)};
}

std::optional<SysvMessage> SysvMessageQueue::TryReceive(size_t max_size,
                                                        long type, int flags) {
  CheckReceiveFlags(flags);
  CheckTextSize(max_size, "SysvMessageQueue::TryReceive");
  const PackingBuffer buffer(max_size);
  const std::optional<size_t> n =
      ReceivePacked(buffer.data(), max_size, type, flags | IPC_NOWAIT);
  if (!n) return std::nullopt;
  return SysvMessage{buffer.type(), CopiedVector(buffer.text(), *n)};
}

SysvReceived SysvMessageQueue::ReceiveInto(std::span<std::byte> text, long type,
                                           int flags) {
  CheckReceiveFlags(flags);
  const PackingBuffer buffer(text.size());
  const std::optional<size_t> n =
      ReceivePacked(buffer.data(), text.size(), type, flags);
  if (!n) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  CopyInPieces(text.data(), buffer.text(), *n);
  return SysvReceived{buffer.type(), *n};
}

std::optional<SysvReceived> SysvMessageQueue::TryReceiveInto(
    std::span<std::byte> text, long type, int flags) {
  CheckReceiveFlags(flags);
  const PackingBuffer buffer(text.size());
  const std::optional<size_t> n =
      ReceivePacked(buffer.data(), text.size(), type, flags | IPC_NOWAIT);
  if (!n) return std::nullopt;
  CopyInPieces(text.data(), buffer.text(), *n);
  return SysvReceived{buffer.type(), *n};
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

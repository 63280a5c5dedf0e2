// A System V message queue (msgget(2), msgsnd(2), msgrcv(2), msgctl(2)).
//
// A queue created here is owned: the destructor removes it with IPC_RMID,
// because a System V queue otherwise outlives every process (kernel
// persistence, sysvipc(7)) and would be left on the host after a failed test.
//
// COST. msgsnd and msgrcv take one buffer holding the long type and then the
// bytes (struct msgbuf, msgsnd(2)); callers mostly hold the bytes alone. Three
// ways to send and receive, from the most convenient to the cheapest:
//   - Send(type, bytes) / Receive(max_size): the wrapper packs the message
//     into a buffer of its own and copies a received one out into a new
//     vector (one allocation: the returned vector's, of exactly the bytes
//     received; nothing is zero-filled);
//   - Send(type, bytes) / ReceiveInto(span): the same packing and copying
//     out (two copies of the bytes in user space, which the kernel does not
//     make), no allocation;
//   - Send(SysvMessageBuffer) / ReceiveInto(SysvMessageBuffer&): the caller's
//     buffer is the struct msgbuf itself and goes to the kernel as it is: no
//     allocation and no copy, exactly the raw calls plus the checks.
// conformance/bench/wrapper_cost_bench measures each against raw msgsnd and
// msgrcv.
//
// THREADS. The packing buffer is per thread (thread_local), so one queue
// object may be used from several threads at once, as the kernel queue may.
// It grows to the largest message the thread has packed (up to 1 MiB; a
// larger message gets a buffer for that call alone), never shrinks, and is
// freed when the thread exits. None of this is async-signal-safe: a signal
// handler must not send or receive through this class (use msgsnd(2)).
#ifndef IPC_SYSV_MESSAGE_QUEUE_H_
#define IPC_SYSV_MESSAGE_QUEUE_H_

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ipc {

// One received message: its type and its bytes.
struct SysvMessage {
  long type = 0;
  std::vector<std::byte> data;
};

// What ReceiveInto(std::span) put in the caller's buffer: the message's type
// and the number of bytes written at the start of the span.
struct SysvReceived {
  long type = 0;
  size_t size = 0;
};

// A struct msgbuf (msgsnd(2): a long mtype, then mtext) with room for
// `capacity` bytes, allocated and zeroed once at construction (from 1 KiB
// of text on, at a page offset chosen for the kernel's copies:
// placed_buffer.h). A loop that reuses one sends and receives
// with no allocation and no copy: the kernel reads and writes this memory
// directly. Movable, not copyable; a moved-from buffer has capacity 0 and
// is refused by Send and ReceiveInto.
class SysvMessageBuffer {
 public:
  explicit SysvMessageBuffer(size_t capacity);
  SysvMessageBuffer(SysvMessageBuffer&& other) noexcept;
  SysvMessageBuffer& operator=(SysvMessageBuffer&& other) noexcept;
  SysvMessageBuffer(const SysvMessageBuffer&) = delete;
  SysvMessageBuffer& operator=(const SysvMessageBuffer&) = delete;
  ~SysvMessageBuffer();

  // Room for bytes (msgrcv's msgsz when receiving into this buffer).
  size_t capacity() const { return capacity_; }

  // mtype: what Send sends, or what ReceiveInto received.
  long type() const;
  void set_type(long type);

  // mtext: all `capacity()` bytes; Send sends a prefix of them, ReceiveInto
  // fills a prefix and returns its length.
  std::span<std::byte> text() {
    if (msgbuf_ == nullptr) return {};
    return {msgbuf_ + sizeof(long), capacity_};
  }
  std::span<const std::byte> text() const {
    if (msgbuf_ == nullptr) return {};
    return {msgbuf_ + sizeof(long), capacity_};
  }

  // The struct msgbuf itself, as msgsnd and msgrcv take it.
  void* msgbuf() { return msgbuf_; }
  const void* msgbuf() const { return msgbuf_; }

 private:
  std::byte* allocation_ = nullptr;
  std::byte* msgbuf_ = nullptr;  // inside allocation_
  size_t capacity_ = 0;
};

class SysvMessageQueue {
 public:
  // msgget(key, IPC_CREAT | IPC_EXCL | mode): a new queue, owned.
  // `mode` is the permission bits (0600, 0666, ...); IPC_PRIVATE always
  // makes a new queue.
  static SysvMessageQueue Create(key_t key = IPC_PRIVATE, int mode = 0600);

  // Refers to an existing queue by key (msgget without IPC_CREAT) or by id;
  // never removes it.
  static SysvMessageQueue OpenExisting(key_t key);
  static SysvMessageQueue FromId(int id);

  SysvMessageQueue(SysvMessageQueue&& other) noexcept;
  SysvMessageQueue& operator=(SysvMessageQueue&& other) noexcept;
  SysvMessageQueue(const SysvMessageQueue&) = delete;
  SysvMessageQueue& operator=(const SysvMessageQueue&) = delete;
  ~SysvMessageQueue();

  int id() const { return id_; }
  bool owned() const { return owned_; }

  // msgsnd(2). `type` must be positive. Blocks while the queue is full;
  // retried after EINTR. With `flags` IPC_NOWAIT a full queue throws EAGAIN.
  void Send(long type, std::span<const std::byte> data, int flags = 0);
  void Send(long type, std::string_view text, int flags = 0);
  // msgsnd of the first `size` bytes of `message` with its type(), no copy.
  // The type must be positive and `size` at most message.capacity().
  void Send(const SysvMessageBuffer& message, size_t size, int flags = 0);
  // msgsnd with IPC_NOWAIT: false when the queue is full (EAGAIN).
  bool TrySend(long type, std::span<const std::byte> data);
  bool TrySend(const SysvMessageBuffer& message, size_t size);

  // msgrcv(2) of at most `max_size` bytes. `type` selects as msgrcv does:
  // 0 the first message, > 0 the first of that type (with MSG_EXCEPT: of
  // any other type), < 0 the first of the lowest type <= |type|. Blocks
  // while nothing matches; retried after EINTR. A longer message fails
  // E2BIG, as the kernel says, unless `flags` has MSG_NOERROR (then it is
  // cut to `max_size` bytes and the rest is lost).
  SysvMessage Receive(size_t max_size, long type = 0, int flags = 0);
  // msgrcv with IPC_NOWAIT added to `flags`: nothing when no message
  // matches (ENOMSG).
  std::optional<SysvMessage> TryReceive(size_t max_size, long type = 0,
                                        int flags = 0);

  // As Receive(text.size(), type, flags), into the caller's `text`: no
  // allocation. `text.size()` is msgrcv's msgsz, so a message longer than
  // the span fails E2BIG (or, with MSG_NOERROR, fills it) as the kernel
  // decides.
  SysvReceived ReceiveInto(std::span<std::byte> text, long type = 0,
                           int flags = 0);
  std::optional<SysvReceived> TryReceiveInto(std::span<std::byte> text,
                                             long type = 0, int flags = 0);
  // As Receive(message.capacity(), type, flags), straight into `message`
  // (the kernel writes its type and text there): no allocation, no copy.
  // Returns the number of text bytes received.
  size_t ReceiveInto(SysvMessageBuffer& message, long type = 0, int flags = 0);
  std::optional<size_t> TryReceiveInto(SysvMessageBuffer& message,
                                       long type = 0, int flags = 0);

  // msgctl(IPC_STAT).
  msqid_ds Stat() const;
  // msgctl(IPC_SET) of msg_qbytes (raising it needs CAP_SYS_RESOURCE).
  void SetQueueBytes(msglen_t bytes);
  // msgctl(IPC_RMID) now; wakes blocked senders and receivers with EIDRM.
  void Remove();
  // Gives up ownership without removing the queue; returns the id.
  int Release();

 private:
  SysvMessageQueue(int id, bool owned) : id_(id), owned_(owned) {}
  // msgsnd of the packed `msgbuf` of `size` text bytes with exactly
  // `flags`; false only for EAGAIN under IPC_NOWAIT.
  bool SendPacked(const void* msgbuf, size_t size, int flags);
  // msgrcv into `msgbuf` (room for `max_size` text bytes) with exactly
  // `flags`; nothing only for ENOMSG under IPC_NOWAIT.
  std::optional<size_t> ReceivePacked(void* msgbuf, size_t max_size, long type,
                                      int flags);

  int id_ = -1;
  bool owned_ = false;
};

}  // namespace ipc

#endif  // IPC_SYSV_MESSAGE_QUEUE_H_

// A POSIX message queue (mq_overview(7)).
//
// A queue created here owns its name: the destructor closes the descriptor
// and mq_unlink()s the name, because a POSIX queue outlives every descriptor
// until it is unlinked (kernel persistence) and would otherwise be left on
// the host after a failed test.
//
// COST. mq_receive(3) needs a buffer of at least mq_msgsize bytes whatever
// the message's length. Receive() and TimedReceive() receive into a buffer
// of the wrapper's own and return a string of the bytes received (one
// allocation, none for a message short enough for the string's inline
// storage; nothing is zero-filled). ReceiveInto() and TimedReceiveInto()
// receive straight into the caller's buffer: no allocation and no copy, the
// raw call plus the checks. Send and TimedSend never allocate.
// conformance/bench/wrapper_cost_bench measures both against raw mq_send and
// mq_receive.
//
// THREADS. Receive()'s buffer is per thread (thread_local), so one queue
// object may be used from several threads at once, as a queue descriptor
// may. It grows to the largest mq_msgsize the thread has received from (up
// to 1 MiB; a larger queue gets a buffer for that call alone), never
// shrinks, and is freed when the thread exits. None of this is
// async-signal-safe: a signal handler must not use this class (mq_send(3)
// itself is async-signal-safe).
#ifndef IPC_POSIX_MESSAGE_QUEUE_H_
#define IPC_POSIX_MESSAGE_QUEUE_H_

#include <mqueue.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ipc {

struct PosixQueueAttributes {
  long max_messages = 0;      // mq_maxmsg
  long max_message_size = 0;  // mq_msgsize
};

// The absolute CLOCK_REALTIME time `offset` from now (negative: in the
// past), the form mq_timedsend(3) and mq_timedreceive(3) take ("seconds and
// nanoseconds since the Epoch").
timespec RealtimeDeadlineFromNow(std::chrono::nanoseconds offset);

// One received message.
struct PosixMessage {
  std::string data;  // bytes, not text: may hold NULs
  unsigned priority = 0;
};

// What ReceiveInto put in the caller's buffer: the number of bytes written
// at its start, and the message's priority.
struct PosixReceived {
  size_t size = 0;
  unsigned priority = 0;
};

class PosixMessageQueue {
 public:
  // mq_open(name, O_CREAT | O_EXCL | access_flags, mode, attributes): a new
  // queue whose name this object owns. Without attributes the kernel applies
  // /proc/sys/fs/mqueue/msg_default and msgsize_default. `access_flags`:
  // O_RDONLY, O_WRONLY or O_RDWR, plus O_NONBLOCK / O_CLOEXEC. Create and
  // Open then read mq_msgsize with mq_getattr; if that fails, the queue is
  // closed (and the name Create made unlinked) before the error is thrown.
  static PosixMessageQueue Create(
      std::string name, std::optional<PosixQueueAttributes> attributes = {},
      int access_flags = O_RDWR, mode_t mode = 0600);

  // Opens an existing queue; never unlinks it.
  static PosixMessageQueue Open(std::string name, int access_flags = O_RDWR);

  // mq_unlink(name), for a name nobody owns (e.g. after a crash).
  static void Unlink(const std::string& name);

  // Checks a queue name as mq_overview(7) defines it: "/" then 1..NAME_MAX-1
  // characters, none of them '/'. Throws std::invalid_argument otherwise.
  static void CheckName(std::string_view name);

  PosixMessageQueue(PosixMessageQueue&& other) noexcept;
  PosixMessageQueue& operator=(PosixMessageQueue&& other) noexcept;
  PosixMessageQueue(const PosixMessageQueue&) = delete;
  PosixMessageQueue& operator=(const PosixMessageQueue&) = delete;
  ~PosixMessageQueue();

  const std::string& name() const { return name_; }
  // On Linux a queue descriptor is a file descriptor: poll/epoll accept it.
  mqd_t descriptor() const { return mqd_; }
  bool owns_name() const { return owns_name_; }

  // mq_getattr: the queue's limits, its current count and O_NONBLOCK.
  mq_attr Attributes() const;
  // mq_setattr of O_NONBLOCK (the only attribute it can change).
  void SetNonBlocking(bool enabled);

  // mq_send. A message larger than the queue's mq_msgsize is refused before
  // the call. Blocks while the queue is full (unless O_NONBLOCK); EINTR is
  // retried.
  void Send(std::string_view data, unsigned priority = 0);
  void Send(std::span<const std::byte> data, unsigned priority = 0);
  // mq_timedsend with an absolute CLOCK_REALTIME deadline `timeout` from
  // now: false on ETIMEDOUT.
  bool TimedSend(std::string_view data, unsigned priority,
                 std::chrono::nanoseconds timeout);

  // mq_receive of the oldest message of the highest priority. Blocks while
  // empty (unless O_NONBLOCK); EINTR is retried.
  PosixMessage Receive();
  // mq_timedreceive: nothing on ETIMEDOUT.
  std::optional<PosixMessage> TimedReceive(std::chrono::nanoseconds timeout);

  // As Receive and TimedReceive, into the caller's `buffer`: no allocation.
  // The whole span is offered to the kernel; one smaller than the queue's
  // mq_msgsize is refused before the call (the kernel would fail EMSGSIZE
  // whatever the message's length, mq_receive(3)).
  PosixReceived ReceiveInto(std::span<std::byte> buffer);
  std::optional<PosixReceived> TimedReceiveInto(
      std::span<std::byte> buffer, std::chrono::nanoseconds timeout);

  // mq_notify: register for one notification when a message arrives on an
  // empty queue (nullptr unregisters).
  void Notify(const sigevent* event);

  // mq_unlink the owned name now (open descriptors keep working).
  void UnlinkName();

 private:
  PosixMessageQueue(std::string name, mqd_t mqd, bool owns_name);
  // Takes ownership of an open descriptor and reads its mq_msgsize.
  static PosixMessageQueue Adopt(std::string name, mqd_t mqd, bool owns_name);
  // The size checks before any call; the why names the limit only when the
  // check fails (building it every time would allocate on every send).
  void CheckSendSize(size_t size, const char* where) const;
  void CheckReceiveBuffer(size_t size, const char* where) const;
  // mq_receive / mq_timedreceive (with `deadline`) into `buffer`, EINTR
  // retried; nothing only on ETIMEDOUT.
  std::optional<PosixReceived> ReceiveRaw(char* buffer, size_t size,
                                          const timespec* deadline);
  void CloseQuietly() noexcept;

  std::string name_;
  mqd_t mqd_ = static_cast<mqd_t>(-1);
  bool owns_name_ = false;
  long message_size_ = 0;  // mq_msgsize, read once at open
};

}  // namespace ipc

#endif  // IPC_POSIX_MESSAGE_QUEUE_H_

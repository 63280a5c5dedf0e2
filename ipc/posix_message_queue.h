// A POSIX message queue (mq_overview(7)).
//
// A queue created here owns its name: the destructor closes the descriptor
// and mq_unlink()s the name, because a POSIX queue outlives every descriptor
// until it is unlinked (kernel persistence) and would otherwise be left on
// the host after a failed test.
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
  // mq_timedsend with an absolute CLOCK_REALTIME deadline `timeout` from
  // now: false on ETIMEDOUT.
  bool TimedSend(std::string_view data, unsigned priority,
                 std::chrono::nanoseconds timeout);

  // mq_receive of the oldest message of the highest priority. Blocks while
  // empty (unless O_NONBLOCK); EINTR is retried.
  PosixMessage Receive();
  // mq_timedreceive: nothing on ETIMEDOUT.
  std::optional<PosixMessage> TimedReceive(std::chrono::nanoseconds timeout);

  // mq_notify: register for one notification when a message arrives on an
  // empty queue (nullptr unregisters).
  void Notify(const sigevent* event);

  // mq_unlink the owned name now (open descriptors keep working).
  void UnlinkName();

 private:
  PosixMessageQueue(std::string name, mqd_t mqd, bool owns_name);
  // Takes ownership of an open descriptor and reads its mq_msgsize.
  static PosixMessageQueue Adopt(std::string name, mqd_t mqd, bool owns_name);
  void CloseQuietly() noexcept;

  std::string name_;
  mqd_t mqd_ = static_cast<mqd_t>(-1);
  bool owns_name_ = false;
  long message_size_ = 0;  // mq_msgsize, read once at open
};

}  // namespace ipc

#endif  // IPC_POSIX_MESSAGE_QUEUE_H_

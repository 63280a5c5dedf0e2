#include "ipc/posix_message_queue.h"

#include <fcntl.h>
#include <limits.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/posix_mq_syscalls.h"

namespace ipc {
namespace {

constexpr mqd_t kNoQueue = static_cast<mqd_t>(-1);

void CheckAccessFlags(int flags, const char* where) {
  const int access = flags & O_ACCMODE;
  CheckArgument(access == O_RDONLY || access == O_WRONLY || access == O_RDWR,
                where, "access mode must be O_RDONLY, O_WRONLY or O_RDWR");
  CheckArgument((flags & ~(O_ACCMODE | O_NONBLOCK | O_CLOEXEC)) == 0, where,
                "flags may only add O_NONBLOCK and O_CLOEXEC");
}

// WHERE THE WRAPPER'S BUFFER PUTS A MESSAGE, and how it copies one (the
// same rules as ipc/sysv_message_queue.cc, WHERE, which has the figures).
// mq_send and mq_receive copy a message between user memory and a
// kmalloc'd struct msg_msg (load_msg/store_msg, ipc/msgutil.c) whose text
// starts 48 bytes into its slab object (8 into each further msg_msgseg);
// those copies, and glibc 2.36's memcpy from 4 KiB on, use `rep movsb`,
// which on AMD Zen CPUs (this project's machines) slows down badly when the
// destination starts 1 to 63 bytes after the source modulo 4096: a 4 KiB
// mq_send+mq_receive round trip took up to 6.2 us instead of 2.8 with the
// user buffer 24-80 bytes into a page. So from kPlaceFrom bytes on the
// receive buffer is 4 KiB aligned with the message kTextOffset bytes in,
// and the copy out goes in kCopyPiece pieces (under glibc's
// rep_movsb_threshold, never below 2048, memcpy uses vector moves).
constexpr size_t kAliasPeriod = 4096;
constexpr size_t kTextOffset = 1536;
constexpr size_t kPlaceFrom = 1024;
constexpr size_t kCopyPiece = 1024;

// One owned receive buffer of `size` bytes, placed as above, never
// zero-filled (only the bytes the kernel wrote are read back).
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  explicit OwnedBuffer(size_t size) {
    if (size < kPlaceFrom) {
      allocation_ = static_cast<char*>(::operator new(size));
      data_ = allocation_;
    } else {
      allocation_ = static_cast<char*>(
          ::operator new (kTextOffset + size, std::align_val_t{kAliasPeriod}));
      data_ = allocation_ + kTextOffset;
    }
  }
  ~OwnedBuffer() {
    if (allocation_ == nullptr) return;
    if (data_ == allocation_) {
      ::operator delete(allocation_);
    } else {
      ::operator delete (allocation_, std::align_val_t{kAliasPeriod});
    }
  }
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(OwnedBuffer&& other) noexcept {
    std::swap(allocation_, other.allocation_);
    std::swap(data_, other.data_);
    return *this;
  }

  char* data() const { return data_; }

 private:
  char* allocation_ = nullptr;
  char* data_ = nullptr;
};

// The largest receive buffer a thread keeps between calls (see THREADS in
// the header): 128 times the default msgsize_max (8192, mq_overview(7)),
// so a queue of any size a default kernel allows reuses it, while one of
// HARD_MSGSIZEMAX (16 MiB) bytes does not leave that much behind in each
// thread that received from it.
constexpr size_t kRetainedLimit = size_t{1} << 20;

// Memory for Receive() and TimedReceive() to receive `size` bytes into: the
// calling thread's retained buffer, grown if needed, or above kRetainedLimit
// a buffer of this call's own.
class ReceiveBuffer {
 public:
  explicit ReceiveBuffer(size_t size) {
    if (size > kRetainedLimit) {
      own_ = OwnedBuffer(size);
      data_ = own_.data();
      return;
    }
    struct Retained {
      OwnedBuffer storage;
      size_t size = 0;
    };
    thread_local Retained retained;
    if (retained.storage.data() == nullptr || retained.size < size) {
      // Doubling, so queues of growing mq_msgsize reallocate a logarithmic
      // number of times.
      const size_t grown =
          std::min(kRetainedLimit, std::max(size, 2 * retained.size));
      retained.storage = OwnedBuffer(grown);
      retained.size = grown;
    }
    data_ = retained.storage.data();
  }
  ReceiveBuffer(const ReceiveBuffer&) = delete;
  ReceiveBuffer& operator=(const ReceiveBuffer&) = delete;

  char* data() const { return data_; }

 private:
  OwnedBuffer own_;
  char* data_ = nullptr;
};

// The received bytes as the string PosixMessage holds: one allocation of
// `size` bytes (none within the string's inline storage), appended in
// pieces (see WHERE), not zero-filled first.
std::string CopiedString(const char* from, size_t size) {
  std::string bytes;
  bytes.reserve(size);
  for (size_t done = 0; done < size; done += kCopyPiece) {
    bytes.append(from + done, std::min(kCopyPiece, size - done));
  }
  return bytes;
}

}  // namespace

timespec RealtimeDeadlineFromNow(std::chrono::nanoseconds offset) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto total = std::chrono::seconds(now.tv_sec) +
                     std::chrono::nanoseconds(now.tv_nsec) + offset;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(total);
  return timespec{static_cast<time_t>(seconds.count()),
                  static_cast<long>((total - seconds).count())};
}

void PosixMessageQueue::CheckName(std::string_view name) {
  constexpr const char* kWhere = "PosixMessageQueue name";
  CheckArgument(name.size() >= 2 && name.front() == '/', kWhere,
                "must be '/' followed by at least one character");
  CheckArgument(name.find('/', 1) == std::string_view::npos, kWhere,
                "may hold no '/' after the first");
  CheckArgument(name.size() - 1 < NAME_MAX, kWhere,
                "longer than NAME_MAX - 1 characters after the '/'");
  CheckArgument(name.find('\0') == std::string_view::npos, kWhere,
                "contains a NUL byte");
}

PosixMessageQueue::PosixMessageQueue(std::string name, mqd_t mqd,
                                     bool owns_name)
    : name_(std::move(name)), mqd_(mqd), owns_name_(owns_name) {}

PosixMessageQueue PosixMessageQueue::Adopt(std::string name, mqd_t mqd,
                                           bool owns_name) {
  // Owned from here on: if mq_getattr fails, the destructor closes the
  // descriptor (and unlinks a name it created) as the exception leaves.
  PosixMessageQueue queue(std::move(name), mqd, owns_name);
  queue.message_size_ = queue.Attributes().mq_msgsize;
  return queue;
}

PosixMessageQueue PosixMessageQueue::Create(
    std::string name, std::optional<PosixQueueAttributes> attributes,
    int access_flags, mode_t mode) {
  CheckName(name);
  CheckAccessFlags(access_flags, "PosixMessageQueue::Create");
  CheckArgument((mode & ~0777) == 0, "PosixMessageQueue::Create",
                "mode may only hold permission bits (0777)");
  mq_attr attr{};
  if (attributes) {
    CheckArgument(
        attributes->max_messages > 0 && attributes->max_message_size > 0,
        "PosixMessageQueue::Create",
        "max_messages and max_message_size must be positive");
    attr.mq_maxmsg = attributes->max_messages;
    attr.mq_msgsize = attributes->max_message_size;
  }
  const mqd_t mqd = PosixMqSyscalls::Current().MqOpen(
      name.c_str(), O_CREAT | O_EXCL | access_flags, mode,
      attributes ? &attr : nullptr);
  if (mqd == kNoQueue) {
    const int err = errno;
    std::string call = "mq_open(" + name + ", O_CREAT|O_EXCL";
    if (attributes) {
      call += ", maxmsg=" + std::to_string(attr.mq_maxmsg) +
              ", msgsize=" + std::to_string(attr.mq_msgsize);
    }
    ThrowSystemError(err, call + ")");
  }
  return Adopt(std::move(name), mqd, /*owns_name=*/true);
}

PosixMessageQueue PosixMessageQueue::Open(std::string name, int access_flags) {
  CheckName(name);
  CheckAccessFlags(access_flags, "PosixMessageQueue::Open");
  const mqd_t mqd =
      PosixMqSyscalls::Current().MqOpen(name.c_str(), access_flags, 0, nullptr);
  if (mqd == kNoQueue) {
    const int err = errno;
    ThrowSystemError(err, "mq_open(" + name + ")");
  }
  return Adopt(std::move(name), mqd, /*owns_name=*/false);
}

void PosixMessageQueue::Unlink(const std::string& name) {
  CheckName(name);
  if (PosixMqSyscalls::Current().MqUnlink(name.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "mq_unlink(" + name + ")");
  }
}

PosixMessageQueue::PosixMessageQueue(PosixMessageQueue&& other) noexcept
    : name_(std::move(other.name_)),
      mqd_(std::exchange(other.mqd_, kNoQueue)),
      owns_name_(std::exchange(other.owns_name_, false)),
      message_size_(other.message_size_) {}

PosixMessageQueue& PosixMessageQueue::operator=(
    PosixMessageQueue&& other) noexcept {
  if (this != &other) {
    CloseQuietly();
    name_ = std::move(other.name_);
    mqd_ = std::exchange(other.mqd_, kNoQueue);
    owns_name_ = std::exchange(other.owns_name_, false);
    message_size_ = other.message_size_;
  }
  return *this;
}

PosixMessageQueue::~PosixMessageQueue() { CloseQuietly(); }

void PosixMessageQueue::CloseQuietly() noexcept {
  if (mqd_ != kNoQueue) PosixMqSyscalls::Current().MqClose(mqd_);
  if (owns_name_) PosixMqSyscalls::Current().MqUnlink(name_.c_str());
  mqd_ = kNoQueue;
  owns_name_ = false;
}

mq_attr PosixMessageQueue::Attributes() const {
  mq_attr attr{};
  if (PosixMqSyscalls::Current().MqGetattr(mqd_, &attr) != 0) {
    const int err = errno;
    ThrowSystemError(err, "mq_getattr(" + name_ + ")");
  }
  return attr;
}

void PosixMessageQueue::SetNonBlocking(bool enabled) {
  mq_attr attr{};
  attr.mq_flags = enabled ? O_NONBLOCK : 0;
  if (PosixMqSyscalls::Current().MqSetattr(mqd_, &attr, nullptr) != 0) {
    const int err = errno;
    ThrowSystemError(err, "mq_setattr(" + name_ + ")");
  }
}

void PosixMessageQueue::CheckSendSize(size_t size, const char* where) const {
  if (size > static_cast<size_t>(message_size_)) {
    ThrowInvalidArgument(where, "message of " + std::to_string(size) +
                                    " bytes exceeds the queue's mq_msgsize "
                                    "of " +
                                    std::to_string(message_size_));
  }
}

void PosixMessageQueue::CheckReceiveBuffer(size_t size,
                                           const char* where) const {
  if (size < static_cast<size_t>(message_size_)) {
    ThrowInvalidArgument(where, "buffer of " + std::to_string(size) +
                                    " bytes is smaller than the queue's "
                                    "mq_msgsize of " +
                                    std::to_string(message_size_));
  }
}

void PosixMessageQueue::Send(std::string_view data, unsigned priority) {
  CheckSendSize(data.size(), "PosixMessageQueue::Send");
  while (PosixMqSyscalls::Current().MqSend(mqd_, data.data(), data.size(),
                                           priority) != 0) {
    const int err = errno;
    if (err != EINTR) ThrowSystemError(err, "mq_send(" + name_ + ")");
  }
}

void PosixMessageQueue::Send(std::span<const std::byte> data,
                             unsigned priority) {
  Send(
      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
      priority);
}

bool PosixMessageQueue::TimedSend(std::string_view data, unsigned priority,
                                  std::chrono::nanoseconds timeout) {
  CheckSendSize(data.size(), "PosixMessageQueue::TimedSend");
  const timespec deadline = RealtimeDeadlineFromNow(timeout);
  while (PosixMqSyscalls::Current().MqTimedsend(mqd_, data.data(), data.size(),
                                                priority, &deadline) != 0) {
    const int err = errno;
    if (err == ETIMEDOUT) return false;
    if (err != EINTR) ThrowSystemError(err, "mq_timedsend(" + name_ + ")");
  }
  return true;
}

std::optional<PosixReceived> PosixMessageQueue::ReceiveRaw(
    char* buffer, size_t size, const timespec* deadline) {
  PosixReceived received;
  for (;;) {
    const ssize_t n =
        deadline == nullptr
            ? PosixMqSyscalls::Current().MqReceive(mqd_, buffer, size,
                                                   &received.priority)
            : PosixMqSyscalls::Current().MqTimedreceive(
                  mqd_, buffer, size, &received.priority, deadline);
    if (n >= 0) {
      received.size = static_cast<size_t>(n);
      return received;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (deadline == nullptr) ThrowSystemError(err, "mq_receive(" + name_ + ")");
    if (err == ETIMEDOUT) return std::nullopt;
    ThrowSystemError(err, "mq_timedreceive(" + name_ + ")");
  }
}

PosixMessage PosixMessageQueue::Receive() {
  // mq_receive(3) refuses (EMSGSIZE) a buffer smaller than mq_msgsize.
  const size_t size = static_cast<size_t>(message_size_);
  const ReceiveBuffer buffer(size);
  const PosixReceived got = *ReceiveRaw(buffer.data(), size, nullptr);
  return PosixMessage{CopiedString(buffer.data(), got.size), got.priority};
}

std::optional<PosixMessage> PosixMessageQueue::TimedReceive(
    std::chrono::nanoseconds timeout) {
  const size_t size = static_cast<size_t>(message_size_);
  const ReceiveBuffer buffer(size);
  const timespec deadline = RealtimeDeadlineFromNow(timeout);
  const std::optional<PosixReceived> got =
      ReceiveRaw(buffer.data(), size, &deadline);
  if (!got) return std::nullopt;
  return PosixMessage{CopiedString(buffer.data(), got->size), got->priority};
}

PosixReceived PosixMessageQueue::ReceiveInto(std::span<std::byte> buffer) {
  CheckReceiveBuffer(buffer.size(), "PosixMessageQueue::ReceiveInto");
  return *ReceiveRaw(reinterpret_cast<char*>(buffer.data()), buffer.size(),
                     nullptr);
}

std::optional<PosixReceived> PosixMessageQueue::TimedReceiveInto(
    std::span<std::byte> buffer, std::chrono::nanoseconds timeout) {
  CheckReceiveBuffer(buffer.size(), "PosixMessageQueue::TimedReceiveInto");
  const timespec deadline = RealtimeDeadlineFromNow(timeout);
  return ReceiveRaw(reinterpret_cast<char*>(buffer.data()), buffer.size(),
                    &deadline);
}

void PosixMessageQueue::Notify(const sigevent* event) {
  if (PosixMqSyscalls::Current().MqNotify(mqd_, event) != 0) {
    const int err = errno;
    ThrowSystemError(err, "mq_notify(" + name_ + ")");
  }
}

void PosixMessageQueue::UnlinkName() {
  CheckArgument(owns_name_, "PosixMessageQueue::UnlinkName",
                "this object does not own its name");
  if (PosixMqSyscalls::Current().MqUnlink(name_.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "mq_unlink(" + name_ + ")");
  }
  owns_name_ = false;
}

}  // namespace ipc

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
#include "ipc/placed_buffer.h"
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

// Scratch memory to receive one message into (internal/placed_buffer.h).
using ReceiveBuffer = internal::ScratchBuffer<0>;

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
  const PosixReceived got =
      *ReceiveRaw(reinterpret_cast<char*>(buffer.start()), size, nullptr);
  return PosixMessage{
      internal::CopiedInPieces<std::string>(buffer.start(), got.size),
      got.priority};
}

std::optional<PosixMessage> PosixMessageQueue::TimedReceive(
    std::chrono::nanoseconds timeout) {
  const size_t size = static_cast<size_t>(message_size_);
  const ReceiveBuffer buffer(size);
  const timespec deadline = RealtimeDeadlineFromNow(timeout);
  const std::optional<PosixReceived> got =
      ReceiveRaw(reinterpret_cast<char*>(buffer.start()), size, &deadline);
  if (!got) return std::nullopt;
  return PosixMessage{
      internal::CopiedInPieces<std::string>(buffer.start(), got->size),
      got->priority};
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

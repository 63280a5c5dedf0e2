#include "ipc/sysv_message_queue.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/sysv_msg_syscalls.h"

namespace ipc {
namespace {

// msgsnd/msgrcv take a buffer that starts with the long type and continues
// with the bytes (struct msgbuf of msgsnd(2)).
std::vector<std::byte> Packed(long type, std::span<const std::byte> data) {
  std::vector<std::byte> buffer(sizeof(long) + data.size());
  std::memcpy(buffer.data(), &type, sizeof type);
  if (!data.empty()) {
    std::memcpy(buffer.data() + sizeof type, data.data(), data.size());
  }
  return buffer;
}

std::string Call(const char* name, int id) {
  return std::string(name) + "(msqid=" + std::to_string(id) + ")";
}

}  // namespace

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
  // Only IPC_NOWAIT in the caller's flags can make msgsnd find no room.
  if (!SendWithFlags(type, data, flags)) {
    ThrowSystemError(EAGAIN, Call("msgsnd", id_) + " of " +
                                 std::to_string(data.size()) + " bytes");
  }
}

void SysvMessageQueue::Send(long type, std::string_view text, int flags) {
  Send(type, AsBytes(text), flags);
}

bool SysvMessageQueue::TrySend(long type, std::span<const std::byte> data) {
  return SendWithFlags(type, data, IPC_NOWAIT);
}

bool SysvMessageQueue::SendWithFlags(long type, std::span<const std::byte> data,
                                     int flags) {
  CheckArgument(type > 0, "SysvMessageQueue::Send",
                "message type must be positive");
  CheckArgument((flags & ~IPC_NOWAIT) == 0, "SysvMessageQueue::Send",
                "flags may only be IPC_NOWAIT");
  const std::vector<std::byte> buffer = Packed(type, data);
  // signal(7): msgsnd fails with EINTR after a handler even with SA_RESTART.
  while (SysvMsgSyscalls::Current().Msgsnd(id_, buffer.data(), data.size(),
                                           flags) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && (flags & IPC_NOWAIT)) return false;
    ThrowSystemError(err, Call("msgsnd", id_) + " of " +
                              std::to_string(data.size()) + " bytes");
  }
  return true;
}

SysvMessage SysvMessageQueue::Receive(size_t max_size, long type, int flags) {
  std::optional<SysvMessage> message = ReceiveWithFlags(max_size, type, flags);
  // Only IPC_NOWAIT in the caller's flags can make msgrcv find nothing.
  if (!message) ThrowSystemError(ENOMSG, Call("msgrcv", id_));
  return *std::move(message);
}

std::optional<SysvMessage> SysvMessageQueue::TryReceive(size_t max_size,
                                                        long type, int flags) {
  return ReceiveWithFlags(max_size, type, flags | IPC_NOWAIT);
}

std::optional<SysvMessage> SysvMessageQueue::ReceiveWithFlags(size_t max_size,
                                                              long type,
                                                              int flags) {
  CheckArgument(
      (flags & ~(IPC_NOWAIT | MSG_EXCEPT | MSG_NOERROR | MSG_COPY)) == 0,
      "SysvMessageQueue::Receive",
      "flags may only combine IPC_NOWAIT, MSG_EXCEPT, MSG_NOERROR, MSG_COPY");
  std::vector<std::byte> buffer(sizeof(long) + max_size);
  // signal(7): msgrcv fails with EINTR after a handler even with SA_RESTART.
  for (;;) {
    const ssize_t n = SysvMsgSyscalls::Current().Msgrcv(id_, buffer.data(),
                                                        max_size, type, flags);
    if (n >= 0) {
      SysvMessage message;
      std::memcpy(&message.type, buffer.data(), sizeof(long));
      message.data.assign(buffer.begin() + sizeof(long),
                          buffer.begin() + sizeof(long) + n);
      return message;
    }
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

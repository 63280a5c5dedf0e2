// A System V message queue (msgget(2), msgsnd(2), msgrcv(2), msgctl(2)).
//
// A queue created here is owned: the destructor removes it with IPC_RMID,
// because a System V queue otherwise outlives every process (kernel
// persistence, sysvipc(7)) and would be left on the host after a failed test.
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
  // msgsnd with IPC_NOWAIT: false when the queue is full (EAGAIN).
  bool TrySend(long type, std::span<const std::byte> data);

  // msgrcv(2) of at most `max_size` bytes. `type` selects as msgrcv does:
  // 0 the first message, > 0 the first of that type (with MSG_EXCEPT: of
  // any other type), < 0 the first of the lowest type <= |type|. Blocks
  // while nothing matches; retried after EINTR.
  SysvMessage Receive(size_t max_size, long type = 0, int flags = 0);
  // msgrcv with IPC_NOWAIT added to `flags`: nothing when no message
  // matches (ENOMSG).
  std::optional<SysvMessage> TryReceive(size_t max_size, long type = 0,
                                        int flags = 0);

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
  // msgsnd with exactly `flags`; false only for EAGAIN under IPC_NOWAIT.
  bool SendWithFlags(long type, std::span<const std::byte> data, int flags);
  // msgrcv with exactly `flags`; nothing only for ENOMSG under IPC_NOWAIT.
  std::optional<SysvMessage> ReceiveWithFlags(size_t max_size, long type,
                                              int flags);

  int id_ = -1;
  bool owned_ = false;
};

}  // namespace ipc

#endif  // IPC_SYSV_MESSAGE_QUEUE_H_

#include "ipc/sysv_semaphore.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "ipc/error.h"
#include "ipc/sem_syscalls.h"

namespace ipc {
namespace {

std::string Call(const char* name, int id) {
  return std::string(name) + "(semid=" + std::to_string(id) + ")";
}

// "semop(semid=5) of [sem 0 op -1 flags 0x1000]": built only when a call
// failed, so the hot path allocates nothing.
std::string DescribeOps(const char* name, int id, std::span<const sembuf> ops) {
  std::string text = Call(name, id) + " of [";
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) text += ", ";
    text += "sem " + std::to_string(ops[i].sem_num) + " op " +
            std::to_string(ops[i].sem_op);
    if (ops[i].sem_flg != 0) {
      char flags[16];
      std::snprintf(
          flags, sizeof flags, "%#x",
          static_cast<unsigned>(static_cast<uint16_t>(ops[i].sem_flg)));
      text += std::string(" flags ") + flags;
    }
  }
  return text + "]";
}

void CheckOps(std::span<const sembuf> ops, const char* where) {
  // semop(2) with nsops 0 is EINVAL; the wrapper knows it before the call.
  CheckArgument(!ops.empty(), where, "no operations");
}

// glibc's semop takes a non-const sembuf*, but the kernel only copies the
// operations in (copy_from_user in do_semtimedop): casting const away
// writes nothing.
sembuf* KernelOps(std::span<const sembuf> ops) {
  return const_cast<sembuf*>(ops.data());
}

}  // namespace

SysvSemaphoreSet SysvSemaphoreSet::Create(key_t key, int count, int mode) {
  CheckArgument((mode & ~0777) == 0, "SysvSemaphoreSet::Create",
                "mode may only hold permission bits (0777)");
  const int id =
      SemSyscalls::Current().Semget(key, count, IPC_CREAT | IPC_EXCL | mode);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(err, "semget(key=" + std::to_string(key) + ", nsems=" +
                              std::to_string(count) + ", IPC_CREAT|IPC_EXCL)");
  }
  return SysvSemaphoreSet(id, count, /*owned=*/true);
}

SysvSemaphoreSet SysvSemaphoreSet::Open(key_t key, int count, int flags) {
  CheckArgument(key != IPC_PRIVATE, "SysvSemaphoreSet::Open",
                "IPC_PRIVATE names no existing set");
  CheckArgument((flags & ~0777) == 0, "SysvSemaphoreSet::Open",
                "flags may only hold permission bits (0777): Create makes "
                "sets");
  const int id = SemSyscalls::Current().Semget(key, count, flags);
  if (id < 0) {
    const int err = errno;
    ThrowSystemError(err, "semget(key=" + std::to_string(key) +
                              ", nsems=" + std::to_string(count) + ")");
  }
  // Not owned, so an exception from here on leaves the set alone.
  SysvSemaphoreSet set(id, 0, /*owned=*/false);
  set.count_ = static_cast<int>(set.Stat().sem_nsems);
  return set;
}

SysvSemaphoreSet::SysvSemaphoreSet(SysvSemaphoreSet&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      count_(std::exchange(other.count_, 0)),
      owned_(std::exchange(other.owned_, false)) {}

SysvSemaphoreSet& SysvSemaphoreSet::operator=(
    SysvSemaphoreSet&& other) noexcept {
  if (this != &other) {
    if (owned_) SemSyscalls::Current().Semctl(id_, 0, IPC_RMID, SemctlArg{});
    id_ = std::exchange(other.id_, -1);
    count_ = std::exchange(other.count_, 0);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

SysvSemaphoreSet::~SysvSemaphoreSet() {
  // A destructor cannot throw; a set someone else removed (EINVAL, EIDRM)
  // leaves nothing to do.
  if (owned_) SemSyscalls::Current().Semctl(id_, 0, IPC_RMID, SemctlArg{});
}

void SysvSemaphoreSet::CheckIndex(unsigned short index,
                                  const char* where) const {
  CheckArgument(index < count_, where,
                "semaphore index is not below the set's count");
}

void SysvSemaphoreSet::Op(std::span<const sembuf> ops) {
  CheckOps(ops, "SysvSemaphoreSet::Op");
  if (SemSyscalls::Current().Semop(id_, KernelOps(ops), ops.size()) != 0) {
    const int err = errno;
    ThrowSystemError(err, DescribeOps("semop", id_, ops));
  }
}

int SysvSemaphoreSet::TryOp(std::span<const sembuf> ops) {
  CheckOps(ops, "SysvSemaphoreSet::TryOp");
  if (SemSyscalls::Current().Semop(id_, KernelOps(ops), ops.size()) != 0) {
    return errno;
  }
  return 0;
}

int SysvSemaphoreSet::TimedOp(std::span<const sembuf> ops,
                              std::chrono::nanoseconds timeout) {
  CheckOps(ops, "SysvSemaphoreSet::TimedOp");
  CheckArgument(timeout.count() >= 0, "SysvSemaphoreSet::TimedOp",
                "timeout is negative");
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(timeout);
  // Relative, as semtimedop(2) takes it.
  const timespec relative{static_cast<time_t>(seconds.count()),
                          static_cast<long>((timeout - seconds).count())};
  if (SemSyscalls::Current().Semtimedop(id_, KernelOps(ops), ops.size(),
                                        &relative) != 0) {
    return errno;
  }
  return 0;
}

void SysvSemaphoreSet::P(unsigned short index, short flags) {
  CheckIndex(index, "SysvSemaphoreSet::P");
  CheckArgument((flags & ~(IPC_NOWAIT | SEM_UNDO)) == 0, "SysvSemaphoreSet::P",
                "flags may only combine IPC_NOWAIT and SEM_UNDO");
  const sembuf op{index, -1, flags};
  Op({&op, 1});
}

void SysvSemaphoreSet::V(unsigned short index, short flags) {
  CheckIndex(index, "SysvSemaphoreSet::V");
  CheckArgument((flags & ~(IPC_NOWAIT | SEM_UNDO)) == 0, "SysvSemaphoreSet::V",
                "flags may only combine IPC_NOWAIT and SEM_UNDO");
  const sembuf op{index, 1, flags};
  Op({&op, 1});
}

int SysvSemaphoreSet::Query(unsigned short index, int cmd,
                            const char* name) const {
  const int value = SemSyscalls::Current().Semctl(id_, index, cmd, SemctlArg{});
  if (value < 0) {
    const int err = errno;
    ThrowSystemError(
        err, Call(name, id_) + " of semaphore " + std::to_string(index));
  }
  return value;
}

int SysvSemaphoreSet::Value(unsigned short index) const {
  CheckIndex(index, "SysvSemaphoreSet::Value");
  return Query(index, GETVAL, "semctl(GETVAL)");
}

void SysvSemaphoreSet::SetValue(unsigned short index, int value) {
  CheckIndex(index, "SysvSemaphoreSet::SetValue");
  SemctlArg arg{};
  arg.val = value;
  if (SemSyscalls::Current().Semctl(id_, index, SETVAL, arg) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(SETVAL)", id_) + " of semaphore " +
                              std::to_string(index) + " to " +
                              std::to_string(value));
  }
}

std::vector<unsigned short> SysvSemaphoreSet::Values() const {
  std::vector<unsigned short> values(static_cast<size_t>(count_));
  SemctlArg arg{};
  arg.array = values.data();
  if (SemSyscalls::Current().Semctl(id_, 0, GETALL, arg) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(GETALL)", id_));
  }
  return values;
}

void SysvSemaphoreSet::SetValues(std::span<const unsigned short> values) {
  CheckArgument(values.size() == static_cast<size_t>(count_),
                "SysvSemaphoreSet::SetValues",
                "SETALL needs exactly one value per semaphore of the set");
  SemctlArg arg{};
  // The kernel only copies the array in (semctl_main, SETALL).
  arg.array = const_cast<unsigned short*>(values.data());
  if (SemSyscalls::Current().Semctl(id_, 0, SETALL, arg) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(SETALL)", id_));
  }
}

int SysvSemaphoreSet::WaitingForIncrease(unsigned short index) const {
  CheckIndex(index, "SysvSemaphoreSet::WaitingForIncrease");
  return Query(index, GETNCNT, "semctl(GETNCNT)");
}

int SysvSemaphoreSet::WaitingForZero(unsigned short index) const {
  CheckIndex(index, "SysvSemaphoreSet::WaitingForZero");
  return Query(index, GETZCNT, "semctl(GETZCNT)");
}

pid_t SysvSemaphoreSet::LastPid(unsigned short index) const {
  CheckIndex(index, "SysvSemaphoreSet::LastPid");
  return static_cast<pid_t>(Query(index, GETPID, "semctl(GETPID)"));
}

semid_ds SysvSemaphoreSet::Stat() const {
  semid_ds ds{};
  SemctlArg arg{};
  arg.buf = &ds;
  if (SemSyscalls::Current().Semctl(id_, 0, IPC_STAT, arg) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(IPC_STAT)", id_));
  }
  return ds;
}

void SysvSemaphoreSet::Set(const semid_ds& ds) {
  semid_ds copy = ds;
  SemctlArg arg{};
  arg.buf = &copy;
  if (SemSyscalls::Current().Semctl(id_, 0, IPC_SET, arg) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(IPC_SET)", id_));
  }
}

void SysvSemaphoreSet::Remove() {
  if (SemSyscalls::Current().Semctl(id_, 0, IPC_RMID, SemctlArg{}) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("semctl(IPC_RMID)", id_));
  }
  owned_ = false;
}

int SysvSemaphoreSet::Release() {
  owned_ = false;
  return id_;
}

}  // namespace ipc

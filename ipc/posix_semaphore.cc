#include "ipc/posix_semaphore.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "ipc/error.h"
#include "ipc/sem_syscalls.h"

namespace ipc {
namespace {

// The absolute CLOCK_MONOTONIC time `offset` from now. clock_gettime of
// CLOCK_MONOTONIC cannot fail, and its result is only a value: a direct
// call (ipc/syscalls.h, THE RULE's first exception).
timespec MonotonicDeadlineFromNow(std::chrono::nanoseconds offset) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto total = std::chrono::seconds(now.tv_sec) +
                     std::chrono::nanoseconds(now.tv_nsec) + offset;
  // floor, not duration_cast: a deadline before the clock's zero still
  // needs tv_nsec in [0, 1e9).
  const auto seconds = std::chrono::floor<std::chrono::seconds>(total);
  return timespec{static_cast<time_t>(seconds.count()),
                  static_cast<long>((total - seconds).count())};
}

void CheckMode(mode_t mode, const char* where) {
  CheckArgument((mode & ~0777) == 0, where,
                "mode may only hold permission bits (0777)");
}

}  // namespace

// ------------------------------------------------- PosixSemaphoreOperations

PosixSemaphoreOperations::PosixSemaphoreOperations(
    PosixSemaphoreOperations&& other) noexcept
    : sem_(std::exchange(other.sem_, nullptr)), name_(std::move(other.name_)) {}

PosixSemaphoreOperations& PosixSemaphoreOperations::operator=(
    PosixSemaphoreOperations&& other) noexcept {
  sem_ = std::exchange(other.sem_, nullptr);
  name_ = std::move(other.name_);
  return *this;
}

std::string PosixSemaphoreOperations::Call(const char* function) const {
  if (!name_.empty()) return std::string(function) + "(" + name_ + ")";
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<void*>(sem_));
  return std::string(function) + "(sem_t at " + address + ")";
}

#define IPC_CHECK_LIVE(where)           \
  CheckArgument(sem_ != nullptr, where, \
                "the semaphore was moved from, released or destroyed")

void PosixSemaphoreOperations::Wait() {
  IPC_CHECK_LIVE("PosixSemaphore::Wait");
  if (SemSyscalls::Current().SemWait(sem_) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sem_wait"));
  }
}

int PosixSemaphoreOperations::WaitErrno() {
  IPC_CHECK_LIVE("PosixSemaphore::WaitErrno");
  return SemSyscalls::Current().SemWait(sem_) == 0 ? 0 : errno;
}

bool PosixSemaphoreOperations::TryWait() {
  IPC_CHECK_LIVE("PosixSemaphore::TryWait");
  if (SemSyscalls::Current().SemTrywait(sem_) == 0) return true;
  const int err = errno;
  // sem_trywait(3): EAGAIN "the decrement cannot be immediately performed".
  if (err == EAGAIN) return false;
  ThrowSystemError(err, Call("sem_trywait"));
}

int PosixSemaphoreOperations::TimedWait(std::chrono::nanoseconds timeout) {
  IPC_CHECK_LIVE("PosixSemaphore::TimedWait");
  const timespec deadline = MonotonicDeadlineFromNow(timeout);
  return SemSyscalls::Current().SemClockwait(sem_, CLOCK_MONOTONIC,
                                             &deadline) == 0
             ? 0
             : errno;
}

int PosixSemaphoreOperations::TimedWaitUntil(
    const timespec& realtime_deadline) {
  IPC_CHECK_LIVE("PosixSemaphore::TimedWaitUntil");
  return SemSyscalls::Current().SemTimedwait(sem_, &realtime_deadline) == 0
             ? 0
             : errno;
}

void PosixSemaphoreOperations::Post() {
  IPC_CHECK_LIVE("PosixSemaphore::Post");
  if (SemSyscalls::Current().SemPost(sem_) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sem_post"));
  }
}

int PosixSemaphoreOperations::PostErrno() {
  IPC_CHECK_LIVE("PosixSemaphore::PostErrno");
  return SemSyscalls::Current().SemPost(sem_) == 0 ? 0 : errno;
}

int PosixSemaphoreOperations::Value() const {
  IPC_CHECK_LIVE("PosixSemaphore::Value");
  int value = 0;
  if (SemSyscalls::Current().SemGetvalue(sem_, &value) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sem_getvalue"));
  }
  return value;
}

#undef IPC_CHECK_LIVE

// ----------------------------------------------------------- PosixSemaphore

PosixSemaphore PosixSemaphore::InitIn(void* storage, unsigned value,
                                      bool shared_between_processes) {
  CheckArgument(storage != nullptr, "PosixSemaphore::InitIn",
                "storage is null");
  CheckArgument(reinterpret_cast<std::uintptr_t>(storage) % alignof(sem_t) == 0,
                "PosixSemaphore::InitIn", "storage is not aligned for sem_t");
  sem_t* const sem = static_cast<sem_t*>(storage);
  if (SemSyscalls::Current().SemInit(sem, shared_between_processes ? 1 : 0,
                                     value) != 0) {
    const int err = errno;
    char address[32];
    std::snprintf(address, sizeof address, "%p", storage);
    ThrowSystemError(err,
                     std::string("sem_init(sem_t at ") + address +
                         ", pshared=" + (shared_between_processes ? "1" : "0") +
                         ", value=" + std::to_string(value) + ")");
  }
  return PosixSemaphore(sem, shared_between_processes);
}

PosixSemaphore::PosixSemaphore(PosixSemaphore&& other) noexcept
    : PosixSemaphoreOperations(std::move(other)),
      shared_(std::exchange(other.shared_, false)) {}

PosixSemaphore& PosixSemaphore::operator=(PosixSemaphore&& other) noexcept {
  if (this != &other) {
    if (sem_ != nullptr) SemSyscalls::Current().SemDestroy(sem_);
    PosixSemaphoreOperations::operator=(std::move(other));
    shared_ = std::exchange(other.shared_, false);
  }
  return *this;
}

PosixSemaphore::~PosixSemaphore() {
  // A destructor cannot throw; sem_destroy fails only for an invalid
  // semaphore (EINVAL), which leaves nothing to do.
  if (sem_ != nullptr) SemSyscalls::Current().SemDestroy(sem_);
}

void PosixSemaphore::Destroy() {
  CheckArgument(sem_ != nullptr, "PosixSemaphore::Destroy",
                "the semaphore was moved from, released or destroyed");
  if (SemSyscalls::Current().SemDestroy(sem_) != 0) {
    const int err = errno;
    ThrowSystemError(err, Call("sem_destroy"));
  }
  sem_ = nullptr;
}

sem_t* PosixSemaphore::Release() { return std::exchange(sem_, nullptr); }

// ------------------------------------------------------ NamedPosixSemaphore

void NamedPosixSemaphore::CheckName(std::string_view name) {
  constexpr const char* kWhere = "NamedPosixSemaphore name";
  CheckArgument(name.size() >= 2 && name.front() == '/', kWhere,
                "must be '/' followed by at least one character");
  CheckArgument(name.find('/', 1) == std::string_view::npos, kWhere,
                "may hold no '/' after the first");
  // glibc opens /dev/shm/sem.NAME: the file name "sem." + NAME must fit in
  // NAME_MAX.
  CheckArgument(name.size() - 1 <= NAME_MAX - 4, kWhere,
                "longer than NAME_MAX - 4 characters after the '/'");
  CheckArgument(name.find('\0') == std::string_view::npos, kWhere,
                "contains a NUL byte");
}

NamedPosixSemaphore NamedPosixSemaphore::Create(std::string name,
                                                unsigned value, mode_t mode) {
  CheckName(name);
  CheckMode(mode, "NamedPosixSemaphore::Create");
  sem_t* const sem = SemSyscalls::Current().SemOpen(
      name.c_str(), O_CREAT | O_EXCL, mode, value);
  if (sem == SEM_FAILED) {
    const int err = errno;
    ThrowSystemError(err, "sem_open(" + name + ", O_CREAT|O_EXCL, value=" +
                              std::to_string(value) + ")");
  }
  return NamedPosixSemaphore(std::move(name), sem, /*owns_name=*/true);
}

NamedPosixSemaphore NamedPosixSemaphore::Open(std::string name, int oflag,
                                              mode_t mode, unsigned value) {
  CheckName(name);
  CheckArgument((oflag & ~O_CREAT) == 0, "NamedPosixSemaphore::Open",
                "oflag may only hold O_CREAT (Create is O_CREAT|O_EXCL)");
  CheckMode(mode, "NamedPosixSemaphore::Open");
  sem_t* const sem =
      SemSyscalls::Current().SemOpen(name.c_str(), oflag, mode, value);
  if (sem == SEM_FAILED) {
    const int err = errno;
    ThrowSystemError(
        err, "sem_open(" + name + ((oflag & O_CREAT) ? ", O_CREAT)" : ")"));
  }
  return NamedPosixSemaphore(std::move(name), sem, /*owns_name=*/false);
}

void NamedPosixSemaphore::Unlink(const std::string& name) {
  CheckName(name);
  if (SemSyscalls::Current().SemUnlink(name.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "sem_unlink(" + name + ")");
  }
}

NamedPosixSemaphore::NamedPosixSemaphore(NamedPosixSemaphore&& other) noexcept
    : PosixSemaphoreOperations(std::move(other)),
      owns_name_(std::exchange(other.owns_name_, false)) {}

NamedPosixSemaphore& NamedPosixSemaphore::operator=(
    NamedPosixSemaphore&& other) noexcept {
  if (this != &other) {
    CloseAndUnlinkQuietly();
    PosixSemaphoreOperations::operator=(std::move(other));
    owns_name_ = std::exchange(other.owns_name_, false);
  }
  return *this;
}

NamedPosixSemaphore::~NamedPosixSemaphore() { CloseAndUnlinkQuietly(); }

void NamedPosixSemaphore::CloseAndUnlinkQuietly() noexcept {
  if (sem_ != nullptr) SemSyscalls::Current().SemClose(sem_);
  if (owns_name_) SemSyscalls::Current().SemUnlink(name_.c_str());
  sem_ = nullptr;
  owns_name_ = false;
}

void NamedPosixSemaphore::UnlinkName() {
  CheckArgument(owns_name_, "NamedPosixSemaphore::UnlinkName",
                "this object does not own its name");
  if (SemSyscalls::Current().SemUnlink(name_.c_str()) != 0) {
    const int err = errno;
    ThrowSystemError(err, "sem_unlink(" + name_ + ")");
  }
  owns_name_ = false;
}

}  // namespace ipc

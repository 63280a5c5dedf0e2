// POSIX semaphores (sem_overview(7)): unnamed ones placed in memory the
// caller provides (sem_init(3)), and named ones (sem_open(3)).
//
// Both are glibc objects over a futex word: sem_wait and sem_post are
// functions of the C library that enter the kernel only to sleep or to wake
// (futex(2)), which is why a waiter shows SYS_futex in /proc/PID/syscall.
//
// TWO FORMS OF EVERY OPERATION, as in sysv_semaphore.h. The throwing form
// (Wait, Post, Value) turns any failure into std::system_error naming the
// call; the errno form (WaitErrno, TimedWait, TimedWaitUntil, PostErrno)
// returns 0 or the errno, so a test sees EINTR, ETIMEDOUT, EOVERFLOW or
// EINVAL as a value. Nothing is retried after EINTR: whether sem_wait is
// restarted after a handler (SA_RESTART, signal(7)) is the kernel's and
// glibc's to show, not this wrapper's to hide. TryWait is the one
// exception-free shortcut: false means EAGAIN (the value was 0).
//
// Not async-signal-safe where they throw (messages allocate); sem_post(3)
// itself is async-signal-safe, and a forked child should call it directly
// (the handle's get() is valid in the child: fork copies the mapping).
#ifndef IPC_POSIX_SEMAPHORE_H_
#define IPC_POSIX_SEMAPHORE_H_

#include <fcntl.h>
#include <semaphore.h>
#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace ipc {

// The operations the two kinds share, on a sem_t that the derived class
// owns. Not constructible on its own.
class PosixSemaphoreOperations {
 public:
  // sem_wait: subtracts 1, sleeping while the value is 0. Throws
  // std::system_error on any failure, EINTR included.
  void Wait();
  // sem_wait returning 0 or the errno (EINTR after a signal handler, unless
  // the call was restarted).
  int WaitErrno();
  // sem_trywait: true when it subtracted 1, false when the value was 0
  // (EAGAIN); throws on any other failure.
  bool TryWait();
  // sem_clockwait(CLOCK_MONOTONIC) with the deadline `timeout` from now,
  // so a change of the wall clock cannot stretch or cut the wait (glibc
  // 2.30 and later). Returns 0, ETIMEDOUT, EINTR or another errno. A zero
  // or negative timeout still takes the semaphore when its value is above
  // 0 (the deadline is only checked when the call would sleep).
  int TimedWait(std::chrono::nanoseconds timeout);
  // sem_timedwait(3) as POSIX defines it: `realtime_deadline` is an
  // absolute CLOCK_REALTIME time (see RealtimeDeadlineFromNow in
  // posix_message_queue.h, or clock_gettime). Returns 0, ETIMEDOUT, EINTR,
  // EINVAL (tv_nsec out of range when the call would sleep) or another
  // errno; the timespec goes to glibc as it is.
  int TimedWaitUntil(const timespec& realtime_deadline);
  // sem_post: adds 1 and wakes one waiter. Throws on failure (EOVERFLOW at
  // SEM_VALUE_MAX).
  void Post();
  // sem_post returning 0 or the errno.
  int PostErrno();
  // sem_getvalue. On Linux never negative: with waiters it is 0
  // (sem_getvalue(3) allows either).
  int Value() const;

  // The sem_t itself, for calls the class does not wrap; nullptr once moved
  // from or released.
  sem_t* get() const { return sem_; }

 protected:
  PosixSemaphoreOperations(sem_t* sem, std::string name)
      : sem_(sem), name_(std::move(name)) {}
  PosixSemaphoreOperations(PosixSemaphoreOperations&& other) noexcept;
  PosixSemaphoreOperations& operator=(
      PosixSemaphoreOperations&& other) noexcept;
  ~PosixSemaphoreOperations() = default;
  // "sem_wait(/name)" or "sem_wait(sem_t at 0x...)": how errors name a
  // call on this semaphore.
  std::string Call(const char* function) const;

  sem_t* sem_ = nullptr;
  std::string name_;  // empty for an unnamed semaphore
};

// An unnamed semaphore (sem_init(3)) in memory the caller provides: for
// sharing between processes (`shared_between_processes`, pshared = 1) that
// memory must be shared too (MAP_SHARED, System V shm, shm_open, memfd),
// else each process after fork works on its own copy. The object owns the
// initialisation, not the memory: the destructor calls sem_destroy unless
// Release()d, and the memory must outlive it. Destroying a semaphore other
// processes still wait on is undefined (sem_destroy(3)); a forked child
// that inherited a copy of this object must leave with _exit, not run its
// destructor.
class PosixSemaphore final : public PosixSemaphoreOperations {
 public:
  // sem_init(storage, shared_between_processes, value). `storage` must be
  // non-null, aligned for sem_t and hold sizeof(sem_t) bytes; else
  // std::invalid_argument before any call. A `value` above SEM_VALUE_MAX
  // goes to glibc, which fails it EINVAL.
  static PosixSemaphore InitIn(void* storage, unsigned value,
                               bool shared_between_processes);

  PosixSemaphore(PosixSemaphore&& other) noexcept;
  PosixSemaphore& operator=(PosixSemaphore&& other) noexcept;
  PosixSemaphore(const PosixSemaphore&) = delete;
  PosixSemaphore& operator=(const PosixSemaphore&) = delete;
  ~PosixSemaphore();

  bool shared_between_processes() const { return shared_; }

  // sem_destroy now; a failure throws and keeps the object owning it.
  void Destroy();
  // Gives up ownership without sem_destroy; returns the sem_t.
  sem_t* Release();

 private:
  PosixSemaphore(sem_t* sem, bool shared)
      : PosixSemaphoreOperations(sem, std::string()), shared_(shared) {}

  bool shared_ = false;
};

// A named semaphore (sem_open(3)): a file "sem.NAME" in /dev/shm, mapped
// into the process. The handle is closed (sem_close) on destruction. A
// semaphore made by Create owns its NAME too: the destructor unlinks it,
// because the name outlives every process until sem_unlink (kernel
// persistence, sem_overview(7)) and no IPC namespace hides /dev/shm.
class NamedPosixSemaphore final : public PosixSemaphoreOperations {
 public:
  // sem_open(name, O_CREAT | O_EXCL, mode, value): a new semaphore whose
  // name this object owns (EEXIST when the name is taken). `mode`:
  // permission bits only.
  static NamedPosixSemaphore Create(std::string name, unsigned value,
                                    mode_t mode = 0600);
  // sem_open(name, oflag, mode, value) without O_EXCL: an existing
  // semaphore, or with O_CREAT one made if missing (`mode` and `value`
  // then apply, and are ignored when it exists). Never owns the name.
  // `oflag` may only hold O_CREAT.
  static NamedPosixSemaphore Open(std::string name, int oflag = 0,
                                  mode_t mode = 0600, unsigned value = 0);
  // sem_unlink(name), for a name nobody owns (e.g. after a crash).
  static void Unlink(const std::string& name);

  // Checks a name as sem_overview(7) defines it: "/" then 1 or more
  // characters, none of them '/' or NUL, at most NAME_MAX - 4 of them
  // (glibc stores it in /dev/shm as "sem." + the name without its '/').
  // Throws std::invalid_argument otherwise.
  static void CheckName(std::string_view name);

  NamedPosixSemaphore(NamedPosixSemaphore&& other) noexcept;
  NamedPosixSemaphore& operator=(NamedPosixSemaphore&& other) noexcept;
  NamedPosixSemaphore(const NamedPosixSemaphore&) = delete;
  NamedPosixSemaphore& operator=(const NamedPosixSemaphore&) = delete;
  ~NamedPosixSemaphore();

  const std::string& name() const { return name_; }
  bool owns_name() const { return owns_name_; }

  // sem_unlink the owned name now (the open handle keeps working). A
  // failure throws and keeps ownership (the destructor tries again).
  void UnlinkName();
  // Stops owning the name (the destructor still closes the handle).
  void ReleaseName() { owns_name_ = false; }

 private:
  NamedPosixSemaphore(std::string name, sem_t* sem, bool owns_name)
      : PosixSemaphoreOperations(sem, std::move(name)), owns_name_(owns_name) {}
  // sem_close, then sem_unlink of an owned name; errors are dropped.
  void CloseAndUnlinkQuietly() noexcept;

  bool owns_name_ = false;
};

}  // namespace ipc

#endif  // IPC_POSIX_SEMAPHORE_H_

// A System V semaphore set (semget(2), semop(2), semtimedop(2), semctl(2)).
//
// A set created here is owned: the destructor removes it with IPC_RMID,
// because a System V set otherwise outlives every process (kernel
// persistence, sysvipc(7)) and would be left on the host after a failed
// test.
//
// TWO FORMS OF EVERY OPERATION. The throwing form (Op, P, V) is for the
// common path: any failure becomes std::system_error naming semop and the
// set. The errno form (TryOp, TimedOp) returns 0 or the errno, so a test
// sees the kernel's answer (EAGAIN, EINTR, EIDRM, E2BIG, EFBIG, ERANGE,
// EINVAL, ...) as a value. Neither form retries after EINTR: signal(7) says
// semop and semtimedop are never restarted after a signal handler, even with
// SA_RESTART, and a wrapper that retried would hide exactly that.
//
// ARGUMENTS. Only what the wrapper itself knows to be wrong is refused with
// std::invalid_argument before any call: an index (a conveniences' `index`,
// a GETVAL/SETVAL number) not below count(), an empty operation list, a
// SETALL list whose length is not count(), a negative timeout, flags other
// than IPC_NOWAIT / SEM_UNDO, a mode with more than permission bits. What
// the kernel decides from its limits is left to the kernel, so a test can
// pin it: nsems against SEMMSL (semget EINVAL), the number of operations
// against SEMOPM (E2BIG), a sem_num inside a raw operation list (EFBIG), a
// value against SEMVMX (ERANGE).
//
// Not async-signal-safe (error messages allocate): a forked child should
// call semop(2) itself.
#ifndef IPC_SYSV_SEMAPHORE_H_
#define IPC_SYSV_SEMAPHORE_H_

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

#include <chrono>
#include <span>
#include <vector>

namespace ipc {

class SysvSemaphoreSet {
 public:
  // semget(key, count, IPC_CREAT | IPC_EXCL | mode): a new set of `count`
  // semaphores, all 0 (Linux initialises them; POSIX leaves them
  // unspecified, semget(2)), owned. `mode` is the permission bits only (0600,
  // 0666, ...): IPC_EXCL is always added so that this object never owns,
  // and later removes, a set someone else made. IPC_PRIVATE always makes a
  // new set. `count` goes to the kernel as it is (EINVAL for < 1 or above
  // SEMMSL, /proc/sys/kernel/sem).
  static SysvSemaphoreSet Create(key_t key, int count, int mode = 0600);

  // Refers to an existing set by key (semget(key, count, flags) with
  // `flags` holding no IPC_CREAT: permission bits to check, or 0); never
  // removes it. `count` may be 0 ("don't care", semget(2)) or at most the
  // set's size (else EINVAL). count() is then read back with IPC_STAT
  // (sem_nsems), which needs read permission on the set.
  static SysvSemaphoreSet Open(key_t key, int count = 0, int flags = 0);

  SysvSemaphoreSet(SysvSemaphoreSet&& other) noexcept;
  SysvSemaphoreSet& operator=(SysvSemaphoreSet&& other) noexcept;
  SysvSemaphoreSet(const SysvSemaphoreSet&) = delete;
  SysvSemaphoreSet& operator=(const SysvSemaphoreSet&) = delete;
  ~SysvSemaphoreSet();

  int id() const { return id_; }
  // The number of semaphores in the set (valid indices: 0 .. count()-1).
  int count() const { return count_; }
  bool owned() const { return owned_; }

  // ------------------------------------------------------------ semop
  // semop(2) of all `ops` at once (atomically: all or none). sem_flg may
  // carry IPC_NOWAIT and SEM_UNDO. Blocks until all can be applied unless
  // an operation has IPC_NOWAIT. Throws std::system_error naming semop on
  // any failure, EINTR and EAGAIN included.
  void Op(std::span<const sembuf> ops);
  // The same, returning 0 or the errno instead of throwing.
  int TryOp(std::span<const sembuf> ops);
  // semtimedop(2) with a relative `timeout`: 0, EAGAIN when the timeout
  // expired with the operations still not applicable, or any other errno.
  int TimedOp(std::span<const sembuf> ops, std::chrono::nanoseconds timeout);

  // Op of one operation on semaphore `index`: P subtracts 1 (waits while
  // the value is 0), V adds 1. `flags`: 0, IPC_NOWAIT, SEM_UNDO or both.
  void P(unsigned short index, short flags = 0);
  void V(unsigned short index, short flags = 0);

  // ----------------------------------------------------------- semctl
  // GETVAL: semval of semaphore `index`.
  int Value(unsigned short index) const;
  // SETVAL: semval = `value` (ERANGE from the kernel above SEMVMX or below
  // 0). Clears the semaphore's SEM_UNDO adjustments in every process.
  void SetValue(unsigned short index, int value);
  // GETALL: every semval, in index order (count() of them).
  std::vector<unsigned short> Values() const;
  // SETALL: `values` must hold exactly count() values.
  void SetValues(std::span<const unsigned short> values);
  // GETNCNT: processes waiting for semaphore `index` to increase.
  int WaitingForIncrease(unsigned short index) const;
  // GETZCNT: processes waiting for semaphore `index` to become 0.
  int WaitingForZero(unsigned short index) const;
  // GETPID: the pid of the last process that operated on semaphore `index`
  // (0 before any semop).
  pid_t LastPid(unsigned short index) const;
  // IPC_STAT.
  semid_ds Stat() const;
  // IPC_SET: the kernel takes sem_perm.uid, sem_perm.gid and the mode bits
  // from `ds` (semctl(2)); start from Stat() and change what you mean.
  void Set(const semid_ds& ds);
  // IPC_RMID now: every process blocked in semop on the set wakes with
  // EIDRM. A failure throws and keeps ownership (the destructor tries
  // again).
  void Remove();
  // Gives up ownership without removing the set; returns the id.
  int Release();

 private:
  SysvSemaphoreSet(int id, int count, bool owned)
      : id_(id), count_(count), owned_(owned) {}
  void CheckIndex(unsigned short index, const char* where) const;
  // semctl(id_, index, cmd) for the commands that return a value.
  int Query(unsigned short index, int cmd, const char* name) const;

  int id_ = -1;
  int count_ = 0;
  bool owned_ = false;
};

}  // namespace ipc

#endif  // IPC_SYSV_SEMAPHORE_H_

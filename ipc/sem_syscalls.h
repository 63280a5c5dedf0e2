// The seam of the semaphore calls (rule: ipc/syscalls.h): the System V
// semaphore system calls and glibc's POSIX semaphore functions, with their
// libc signatures and convention (-1, or SEM_FAILED, with errno set).
#ifndef IPC_SEM_SYSCALLS_H_
#define IPC_SEM_SYSCALLS_H_

#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

#include "ipc/syscalls.h"

namespace ipc {

// semctl(2)'s fourth argument. "The calling program must define this union"
// (semctl(2)); glibc declares none. It is named here, inside ipc, so that a
// program which defines its own global `union semun` does not clash; the
// kernel implementation hands it to semctl with the same layout.
union SemctlArg {
  int val;                // SETVAL
  semid_ds* buf;          // IPC_STAT, IPC_SET, SEM_STAT, SEM_STAT_ANY
  unsigned short* array;  // GETALL, SETALL
  seminfo* info;          // IPC_INFO, SEM_INFO
};

class SemSyscalls : public Seam<SemSyscalls> {
 public:
  virtual ~SemSyscalls() = default;

  // System V (semget(2), semop(2), semctl(2)).
  virtual int Semget(key_t key, int nsems, int flags) = 0;
  // The kernel only reads `ops` (it copies them in), as glibc's prototype
  // does not say.
  virtual int Semop(int id, sembuf* ops, size_t nops) = 0;
  // `timeout` is relative (semop(2)); nullptr blocks without limit.
  virtual int Semtimedop(int id, sembuf* ops, size_t nops,
                         const timespec* timeout) = 0;
  // `arg` is ignored by the commands that take none (IPC_RMID, GETVAL,
  // GETNCNT, GETZCNT, GETPID).
  virtual int Semctl(int id, int num, int cmd, SemctlArg arg) = 0;

  // POSIX (sem_overview(7)): glibc functions, not system calls; the waits
  // sleep in futex(2).
  virtual int SemInit(sem_t* sem, int pshared, unsigned value) = 0;
  virtual int SemDestroy(sem_t* sem) = 0;
  // sem_open(3) in its four-argument form; `mode` and `value` only matter
  // with O_CREAT.
  virtual sem_t* SemOpen(const char* name, int oflag, mode_t mode,
                         unsigned value) = 0;
  virtual int SemClose(sem_t* sem) = 0;
  virtual int SemUnlink(const char* name) = 0;
  virtual int SemWait(sem_t* sem) = 0;
  virtual int SemTrywait(sem_t* sem) = 0;
  // `abs_timeout` is an absolute CLOCK_REALTIME time (sem_timedwait(3)).
  virtual int SemTimedwait(sem_t* sem, const timespec* abs_timeout) = 0;
  // glibc 2.30's sem_clockwait: as sem_timedwait against `clock`
  // (CLOCK_MONOTONIC or CLOCK_REALTIME).
  virtual int SemClockwait(sem_t* sem, clockid_t clock,
                           const timespec* abs_timeout) = 0;
  virtual int SemPost(sem_t* sem) = 0;
  virtual int SemGetvalue(sem_t* sem, int* value) = 0;
};

template <>
SemSyscalls& Seam<SemSyscalls>::Kernel();
template <>
SemSyscalls* Seam<SemSyscalls>::current_;

}  // namespace ipc

#endif  // IPC_SEM_SYSCALLS_H_

// What the System V semaphore tests share: the union semctl(2) takes, one
// raw semop for a forked child, and proof that a process sleeps in semop.
#ifndef CONFORMANCE_SEM_SYSV_SEM_UTIL_H_
#define CONFORMANCE_SEM_SYSV_SEM_UTIL_H_

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <chrono>

#include "conformance/kit/blocking.h"
#include "gtest/gtest.h"

namespace ipcproof {

// semctl(2): "the calling program must define this union": glibc does not.
union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
  seminfo* info;
};

// semctl(id, num, cmd, arg), raw (-1 and errno on failure), so a test
// asserts on what the kernel answered. Async-signal-safe.
inline int SemCtl(int id, int num, int cmd, SemArg arg = {.val = 0}) {
  return ::semctl(id, num, cmd, arg);
}

// semop(2) of one operation, raw. Async-signal-safe: for forked children.
inline int SemOp1(int id, unsigned short num, short op, short flags = 0) {
  sembuf b{};
  b.sem_num = num;
  b.sem_op = op;
  b.sem_flg = flags;
  return ::semop(id, &b, 1);
}

// Succeeds once `pid` sleeps in semop. glibc (2.36 here, x86-64) implements
// semop(3) as semtimedop(2) with a NULL timeout, so /proc/PID/syscall shows
// 220 (semtimedop), not 65 (semop); another libc may make the semop(2)
// call itself, so both count.
inline ::testing::AssertionResult BlockedInSemop(
    pid_t pid, std::chrono::milliseconds timeout = kBlockedTimeout) {
  return WaitUntilBlockedIn(pid, pid, {SYS_semop, SYS_semtimedop}, timeout);
}

}  // namespace ipcproof

#endif  // CONFORMANCE_SEM_SYSV_SEM_UTIL_H_

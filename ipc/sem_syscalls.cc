#include "ipc/sem_syscalls.h"

#include <cstring>

namespace ipc {
namespace {

// "The calling program must define this union" (semctl(2)); glibc's semctl
// reads its fourth argument with va_arg(ap, union semun).
union semun {
  int val;
  semid_ds* buf;
  unsigned short* array;
  seminfo* __buf;
};
static_assert(sizeof(semun) == sizeof(SemctlArg));

class KernelSemSyscalls final : public SemSyscalls {
 public:
  int Semget(key_t key, int nsems, int flags) override {
    return ::semget(key, nsems, flags);
  }
  int Semop(int id, sembuf* ops, size_t nops) override {
    return ::semop(id, ops, nops);
  }
  int Semtimedop(int id, sembuf* ops, size_t nops,
                 const timespec* timeout) override {
    return ::semtimedop(id, ops, nops, timeout);
  }
  int Semctl(int id, int num, int cmd, SemctlArg arg) override {
    semun u;
    std::memcpy(&u, &arg, sizeof u);
    return ::semctl(id, num, cmd, u);
  }

  int SemInit(sem_t* sem, int pshared, unsigned value) override {
    return ::sem_init(sem, pshared, value);
  }
  int SemDestroy(sem_t* sem) override { return ::sem_destroy(sem); }
  sem_t* SemOpen(const char* name, int oflag, mode_t mode,
                 unsigned value) override {
    return ::sem_open(name, oflag, mode, value);
  }
  int SemClose(sem_t* sem) override { return ::sem_close(sem); }
  int SemUnlink(const char* name) override { return ::sem_unlink(name); }
  int SemWait(sem_t* sem) override { return ::sem_wait(sem); }
  int SemTrywait(sem_t* sem) override { return ::sem_trywait(sem); }
  int SemTimedwait(sem_t* sem, const timespec* abs_timeout) override {
    return ::sem_timedwait(sem, abs_timeout);
  }
  int SemClockwait(sem_t* sem, clockid_t clock,
                   const timespec* abs_timeout) override {
    return ::sem_clockwait(sem, clock, abs_timeout);
  }
  int SemPost(sem_t* sem) override { return ::sem_post(sem); }
  int SemGetvalue(sem_t* sem, int* value) override {
    return ::sem_getvalue(sem, value);
  }
};

constinit KernelSemSyscalls kernel;

}  // namespace

template <>
SemSyscalls& Seam<SemSyscalls>::Kernel() {
  return kernel;
}
template <>
constinit SemSyscalls* Seam<SemSyscalls>::current_ = &kernel;

}  // namespace ipc

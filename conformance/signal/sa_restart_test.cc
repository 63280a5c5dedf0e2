// The SA_RESTART table of signal(7), "Interruption of system calls and
// library functions by signal handlers", one row per call, each run twice:
// with a handler installed with SA_RESTART and without it.
//
// signal(7) sorts blocking calls in two lists. For the first ("the call is
// automatically restarted after the signal handler returns if the
// SA_RESTART flag was used; otherwise the call fails with the error EINTR")
// the kernel returns -ERESTARTSYS from the interrupted sleep, and the
// arch's signal delivery (arch/x86/kernel/signal.c, handle_signal) rewinds
// the instruction pointer to the syscall when the handler has SA_RESTART,
// else turns it into EINTR. For the second ("never restarted ... regardless
// of the use of SA_RESTART") the call returns -ERESTARTNOHAND or
// -ERESTART_RESTARTBLOCK (or plain -EINTR), which become EINTR whenever a
// handler runs. So a row fails on a kernel whose call returns the wrong one
// of those codes: a restart that should not happen (a poll or a msgrcv that
// sleeps on after the handler), a missing -ERESTARTSYS path (a pipe read or
// a FIFO open that fails EINTR under SA_RESTART), or a restart that ignores
// SA_RESTART (every WithoutSaRestart instance expects EINTR).
//
// Each instance: the child installs a SIGINT handler (the signal Ctrl+C
// sends; ctrl_c_test.cc sends it through a real terminal, here kill(2)
// does, which the call cannot tell apart) that writes one byte
// to a pipe, then blocks in the row's call; the test proves from /proc that
// it sleeps in that call (WaitUntilBlockedIn with the number
// /proc/PID/syscall shows: glibc's sem_wait is futex, mq_receive is
// mq_timedreceive, open is openat), sends SIGINT, reads the handler's byte
// with a deadline (so the handler ran), then watches what the child does:
// exit with EINTR, or sleep in the same call again. A resumed call is then
// satisfied (data, a post, an unlock) and the child reports that it
// completed with the right result. The answer is recorded as the figure
// sa_restart.<row> (no_sa_restart.<row> without the flag): "resumed",
// "EINTR", or how the child ended otherwise.
//
// Where this kernel and signal(7) part: signal(7) lists FUTEX_WAIT,
// FUTEX_WAIT_BITSET and sem_timedwait(3) as restarted, but the kernel
// restarts only an untimed futex wait; a wait with a timeout fails EINTR
// whatever SA_RESTART says (see the FutexWaitTimeout row). Those rows pin
// the kernel's answer and say why.
//
// System V and POSIX queue rows run in a private IPC namespace; files and
// FIFOs live in the test's own directory. Children do only raw calls and
// report through their exit code (kit/child_exit.h).
#include <fcntl.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/files.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/task.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/fifo.h"
#include "ipc/memory_mapping.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/posix_semaphore.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/sysv_semaphore.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::UniqueFd;

constexpr int kInterruptSignal = SIGINT;

// A sleep or timeout far beyond any deadline of this test, so a call that
// returns is known to have been interrupted, not to have timed out.
constexpr time_t kLongSeconds = 100000;

// The child's own failure points (kit/child_exit.h: 1..99).
constexpr int kSigactionFailed = 1;
constexpr int kUnblockFailed = 2;
constexpr int kWrongResult = 3;
constexpr int kForkFailed = 4;

// The handler's pipe: set in the child before the handler is installed.
int g_handler_fd = -1;

// Says "I ran" with one byte; write(2) is async-signal-safe, and errno is
// kept so the interrupted call's errno is what the child reports.
void NoteHandlerRan(int) {
  const int saved = errno;
  const char mark = 'h';
  [[maybe_unused]] ssize_t n = ::write(g_handler_fd, &mark, 1);
  errno = saved;
}

// 0 when `n` is the expected success value, the errno's code when the call
// failed, kWrongResult otherwise.
int Report(long n, long expected) {
  if (n == expected) return kExitSuccess;
  return n < 0 ? ErrnoExit() : kWrongResult;
}

timespec Seconds(time_t s) { return timespec{s, 0}; }

timespec MonotonicFromNow(time_t s) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_sec += s;
  return now;
}

// One row's objects and the call, made before the fork. BlockInChild runs
// in the forked child (raw calls only); Satisfy in the test process, once
// the resumed call is proven asleep again; CheckAfterSuccess after the
// child exited 0 (what the completed call delivered).
class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual int BlockInChild() = 0;
  virtual void Satisfy() {}
  virtual ::testing::AssertionResult CheckAfterSuccess() {
    return ::testing::AssertionSuccess();
  }
};

// --- Rows over a pipe: read, write, and the multiplexers -------------------

class PipeScenario : public Scenario {
 protected:
  ipc::Pipe pipe_ = ipc::Pipe::Create(O_CLOEXEC);
};

class PipeRead : public PipeScenario {
 public:
  int BlockInChild() override {
    char byte = 0;
    const ssize_t n = ::read(pipe_.read_fd(), &byte, 1);
    if (n == 1 && byte != 'r') return kWrongResult;
    return Report(n, 1);
  }
  void Satisfy() override { pipe_.WriteAll("r"); }
};

// A full pipe: every slot holds a full page (chunks of one page), so even a
// 1-byte write finds no room to merge into and sleeps in pipe_write.
class PipeWriteFull : public PipeScenario {
 public:
  PipeWriteFull() {
    pipe_.SetNonBlocking(/*read_end=*/false, true);
    const size_t capacity = pipe_.Capacity();
    filled_ = WriteUntilEagain(pipe_.write_fd(), SystemPageSize(),
                               4 * capacity + SystemPageSize())
                  .bytes;
    pipe_.SetNonBlocking(/*read_end=*/false, false);
  }
  int BlockInChild() override {
    return Report(::write(pipe_.write_fd(), "w", 1), 1);
  }
  void Satisfy() override {
    std::vector<std::byte> drained(filled_);
    const ::testing::AssertionResult read = ReadExactWithin(
        pipe_.read_fd(), std::span<std::byte>(drained.data(), filled_));
    if (!read) ADD_FAILURE() << "draining the full pipe: " << read.message();
  }
  ::testing::AssertionResult CheckAfterSuccess() override {
    const std::string rest = ReadReady(pipe_.read_fd(), 2);
    if (rest == "w") return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "after the resumed 1-byte write the pipe held \"" << rest
           << "\", not \"w\"";
  }

 private:
  size_t filled_ = 0;
};

class PipeReadySatisfied : public PipeScenario {
 public:
  void Satisfy() override { pipe_.WriteAll("p"); }
};

class Poll : public PipeReadySatisfied {
 public:
  int BlockInChild() override {
    pollfd entry{pipe_.read_fd(), POLLIN, 0};
    return Report(::poll(&entry, 1, -1), 1);
  }
};

class Ppoll : public PipeReadySatisfied {
 public:
  int BlockInChild() override {
    pollfd entry{pipe_.read_fd(), POLLIN, 0};
    return Report(::ppoll(&entry, 1, nullptr, nullptr), 1);
  }
};

class Select : public PipeReadySatisfied {
 public:
  int BlockInChild() override {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(pipe_.read_fd(), &readable);
    return Report(
        ::select(pipe_.read_fd() + 1, &readable, nullptr, nullptr, nullptr), 1);
  }
};

class Pselect : public PipeReadySatisfied {
 public:
  int BlockInChild() override {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(pipe_.read_fd(), &readable);
    return Report(::pselect(pipe_.read_fd() + 1, &readable, nullptr, nullptr,
                            nullptr, nullptr),
                  1);
  }
};

class EpollScenario : public PipeReadySatisfied {
 public:
  EpollScenario() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) ipc::ThrowErrno("epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pipe_.read_fd(), &event) != 0)
      ipc::ThrowErrno("epoll_ctl(EPOLL_CTL_ADD)");
  }

 protected:
  UniqueFd epoll_;
};

class EpollWait : public EpollScenario {
 public:
  int BlockInChild() override {
    epoll_event event{};
    return Report(::epoll_wait(epoll_.get(), &event, 1, -1), 1);
  }
};

class EpollPwait : public EpollScenario {
 public:
  int BlockInChild() override {
    epoll_event event{};
    return Report(::epoll_pwait(epoll_.get(), &event, 1, -1, nullptr), 1);
  }
};

class EpollPwait2 : public EpollScenario {
 public:
  int BlockInChild() override {
    epoll_event event{};
    return Report(::syscall(SYS_epoll_pwait2, epoll_.get(), &event, 1, nullptr,
                            nullptr, 0),
                  1);
  }
};

// "" when epoll_pwait2 (Linux 5.11) exists, else why not. A bad
// descriptor: an existing call fails EBADF, a missing one ENOSYS.
std::string ProbeEpollPwait2() {
  if (::syscall(SYS_epoll_pwait2, -1, nullptr, 0, nullptr, nullptr, 0) != 0 &&
      errno == ENOSYS) {
    return "epoll_pwait2 (Linux 5.11) fails ENOSYS on this kernel";
  }
  return "";
}

// --- wait4 and waitid: the child waits for a grandchild --------------------

// The grandchild blocks reading `release_` until Satisfy writes to it. If
// the wait fails, the child kills and reaps the grandchild itself before
// reporting, so nothing is left for the runner to find.
class WaitScenario : public Scenario {
 public:
  int BlockInChild() override {
    const pid_t grandchild = ::fork();
    if (grandchild < 0) return kForkFailed;
    if (grandchild == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(release_.write_fd());
      char byte;
      ::_exit(::read(release_.read_fd(), &byte, 1) == 1 ? 0 : 1);
    }
    const long result = WaitFor(grandchild);
    const int saved = errno;
    if (result == kExitSuccess) return kExitSuccess;
    ::kill(grandchild, SIGKILL);
    ReapOtherwise(grandchild);
    return result < 0 ? ErrnoExit(saved) : kWrongResult;
  }
  void Satisfy() override { release_.WriteAll("g"); }

 protected:
  // 0 when the wait reaped the grandchild with status 0, -1 with errno when
  // it failed, 1 for anything else.
  virtual long WaitFor(pid_t grandchild) = 0;
  // Reaps the killed grandchild with the OTHER wait call, so the test never
  // mistakes this clean-up for the interrupted call sleeping again.
  virtual void ReapOtherwise(pid_t grandchild) = 0;

 private:
  ipc::Pipe release_ = ipc::Pipe::Create(O_CLOEXEC);
};

class Wait4 : public WaitScenario {
  long WaitFor(pid_t grandchild) override {
    int status = 0;
    const pid_t reaped = ::wait4(grandchild, &status, 0, nullptr);
    if (reaped < 0) return -1;
    return reaped == grandchild && WIFEXITED(status) && WEXITSTATUS(status) == 0
               ? 0
               : 1;
  }
  void ReapOtherwise(pid_t grandchild) override {
    siginfo_t info{};
    while (::waitid(P_PID, grandchild, &info, WEXITED) != 0 && errno == EINTR) {
    }
  }
};

class Waitid : public WaitScenario {
  long WaitFor(pid_t grandchild) override {
    siginfo_t info{};
    if (::waitid(P_PID, grandchild, &info, WEXITED) != 0) return -1;
    return info.si_pid == grandchild && info.si_code == CLD_EXITED &&
                   info.si_status == 0
               ? 0
               : 1;
  }
  void ReapOtherwise(pid_t grandchild) override {
    while (::wait4(grandchild, nullptr, 0, nullptr) < 0 && errno == EINTR) {
    }
  }
};

// --- open(2) of a FIFO, file locks, inotify --------------------------------

// open(O_RDONLY) of a FIFO with no writer sleeps in fifo_open
// (wait_for_partner) until a writer opens it (fifo(7)).
class FifoOpen : public Scenario {
 public:
  FifoOpen()
      : fifo_(ipc::Fifo::Create(UniqueTempPath("fifo"))),
        path_(fifo_.path().c_str()) {}
  int BlockInChild() override {
    const int fd = ::open(path_, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoExit();
    ::close(fd);
    return kExitSuccess;
  }
  // The child, proven asleep in open, counts as a reader, so a
  // non-blocking writer's open succeeds at once (no ENXIO) and wakes it.
  void Satisfy() override { writer_ = fifo_.OpenForWriting(O_NONBLOCK); }

 private:
  ipc::Fifo fifo_;
  const char* path_;
  UniqueFd writer_;
};

// A file opened twice: `held_` is the test's open file description, which
// holds the lock, and `contender_` the child's.
class LockScenario : public Scenario {
 public:
  LockScenario() : path_(UniqueTempPath("lock")), unlink_(path_) {
    held_ = UniqueFd(::open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
    if (!held_) ipc::ThrowErrno("open " + path_);
    contender_ = UniqueFd(::open(path_.c_str(), O_RDWR | O_CLOEXEC));
    if (!contender_) ipc::ThrowErrno("open " + path_);
  }

 protected:
  static struct flock WholeFile(short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    return lock;
  }

  std::string path_;
  ScopedUnlink unlink_;
  UniqueFd held_;
  UniqueFd contender_;
};

class Flock : public LockScenario {
 public:
  Flock() {
    if (::flock(held_.get(), LOCK_EX | LOCK_NB) != 0) ipc::ThrowErrno("flock");
  }
  int BlockInChild() override {
    return Report(::flock(contender_.get(), LOCK_EX), 0);
  }
  void Satisfy() override {
    if (::flock(held_.get(), LOCK_UN) != 0) ipc::ThrowErrno("flock(LOCK_UN)");
  }
};

// fcntl(F_SETLKW): POSIX record locks belong to the process, so the test
// process's lock stops the child's.
class FcntlSetlkw : public LockScenario {
 public:
  FcntlSetlkw() {
    struct flock lock = WholeFile(F_WRLCK);
    if (::fcntl(held_.get(), F_SETLK, &lock) != 0)
      ipc::ThrowErrno("fcntl(F_SETLK)");
  }
  int BlockInChild() override {
    struct flock lock = WholeFile(F_WRLCK);
    return Report(::fcntl(contender_.get(), F_SETLKW, &lock), 0);
  }
  void Satisfy() override {
    struct flock lock = WholeFile(F_UNLCK);
    if (::fcntl(held_.get(), F_SETLK, &lock) != 0)
      ipc::ThrowErrno("fcntl(F_SETLK, F_UNLCK)");
  }
};

// F_OFD_SETLKW (Linux 3.15): the lock belongs to the open file description.
class FcntlOfdSetlkw : public LockScenario {
 public:
  FcntlOfdSetlkw() {
    struct flock lock = WholeFile(F_WRLCK);
    if (::fcntl(held_.get(), F_OFD_SETLK, &lock) != 0)
      ipc::ThrowErrno("fcntl(F_OFD_SETLK)");
  }
  int BlockInChild() override {
    struct flock lock = WholeFile(F_WRLCK);
    return Report(::fcntl(contender_.get(), F_OFD_SETLKW, &lock), 0);
  }
  void Satisfy() override {
    struct flock lock = WholeFile(F_UNLCK);
    if (::fcntl(held_.get(), F_OFD_SETLK, &lock) != 0)
      ipc::ThrowErrno("fcntl(F_OFD_SETLK, F_UNLCK)");
  }
};

// read(2) of an inotify descriptor watching the test's directory for a
// new file; Satisfy creates one.
class InotifyRead : public Scenario {
 public:
  InotifyRead()
      : inotify_(::inotify_init1(IN_CLOEXEC)),
        created_(UniqueTempPath("created")) {
    if (!inotify_) ipc::ThrowErrno("inotify_init1");
    if (::inotify_add_watch(inotify_.get(), TestTempDir().c_str(), IN_CREATE) <
        0)
      ipc::ThrowErrno("inotify_add_watch");
  }
  ~InotifyRead() override { ::unlink(created_.c_str()); }
  int BlockInChild() override {
    alignas(inotify_event) char buffer[sizeof(inotify_event) + NAME_MAX + 1];
    const ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
    if (n < 0) return ErrnoExit();
    return n >= static_cast<ssize_t>(sizeof(inotify_event)) ? kExitSuccess
                                                            : kWrongResult;
  }
  void Satisfy() override {
    UniqueFd file(::open(created_.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600));
    if (!file) ipc::ThrowErrno("open " + created_);
  }

 private:
  UniqueFd inotify_;
  std::string created_;
};

// --- Sockets: a stream socketpair, with and without SO_RCVTIMEO ------------

class SocketRecv : public Scenario {
 public:
  explicit SocketRecv(bool receive_timeout) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
      ipc::ThrowErrno("socketpair");
    receiver_ = UniqueFd(ends[0]);
    sender_ = UniqueFd(ends[1]);
    if (receive_timeout) {
      const timeval timeout{kLongSeconds, 0};
      if (::setsockopt(receiver_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
                       sizeof timeout) != 0)
        ipc::ThrowErrno("setsockopt(SO_RCVTIMEO)");
    }
  }
  int BlockInChild() override {
    char byte = 0;
    const ssize_t n = ::recv(receiver_.get(), &byte, 1, 0);
    if (n == 1 && byte != 's') return kWrongResult;
    return Report(n, 1);
  }
  void Satisfy() override {
    if (::send(sender_.get(), "s", 1, MSG_NOSIGNAL) != 1)
      ipc::ThrowErrno("send");
  }

 private:
  UniqueFd receiver_;
  UniqueFd sender_;
};

// --- POSIX message queues (mq_overview(7)) ---------------------------------

// One slot of 16 bytes: below every default limit of a fresh IPC namespace.
class MqScenario : public Scenario {
 protected:
  ipc::PosixMessageQueue queue_ = ipc::PosixMessageQueue::Create(
      UniqueIpcName("restart"), ipc::PosixQueueAttributes{1, 16});
  const mqd_t mqd_ = queue_.descriptor();
  const timespec deadline_ =
      ipc::RealtimeDeadlineFromNow(std::chrono::seconds(kLongSeconds));
};

class MqReceiveScenario : public MqScenario {
 public:
  void Satisfy() override { queue_.Send("m"); }

 protected:
  int Check(ssize_t n, const char* buffer) {
    if (n == 1 && buffer[0] != 'm') return kWrongResult;
    return Report(n, 1);
  }
};

class MqReceive : public MqReceiveScenario {
 public:
  int BlockInChild() override {
    char buffer[16];
    return Check(::mq_receive(mqd_, buffer, sizeof buffer, nullptr), buffer);
  }
};

class MqTimedReceive : public MqReceiveScenario {
 public:
  int BlockInChild() override {
    char buffer[16];
    return Check(
        ::mq_timedreceive(mqd_, buffer, sizeof buffer, nullptr, &deadline_),
        buffer);
  }
};

// The queue's one slot is taken, so the child's send sleeps for room.
class MqSendScenario : public MqScenario {
 public:
  MqSendScenario() { queue_.Send("a"); }
  void Satisfy() override { TakeOne("a"); }
  ::testing::AssertionResult CheckAfterSuccess() override {
    return TakeOne("b");
  }

 private:
  ::testing::AssertionResult TakeOne(const char* expected) {
    const std::optional<ipc::PosixMessage> message =
        queue_.TimedReceive(ScaledTimeout(kBlockedTimeout));
    if (message && message->data == expected)
      return ::testing::AssertionSuccess();
    ::testing::AssertionResult failure = ::testing::AssertionFailure();
    failure << "expected the message \"" << expected << "\", got ";
    if (message) {
      failure << "\"" << message->data << "\"";
    } else {
      failure << "none within the deadline";
    }
    ADD_FAILURE() << failure.message();
    return failure;
  }
};

class MqSend : public MqSendScenario {
 public:
  int BlockInChild() override { return Report(::mq_send(mqd_, "b", 1, 0), 0); }
};

class MqTimedSend : public MqSendScenario {
 public:
  int BlockInChild() override {
    return Report(::mq_timedsend(mqd_, "b", 1, 0, &deadline_), 0);
  }
};

// --- futex and POSIX semaphores ---------------------------------------------

// A futex word (or a sem_t) in MAP_SHARED memory, so the child's copy is
// the same word as the test's.
class SharedWordScenario : public Scenario {
 protected:
  ipc::MemoryMapping memory_ =
      ipc::MemoryMapping::AnonymousShared(SystemPageSize());
};

class FutexScenario : public SharedWordScenario {
 public:
  void Satisfy() override {
    __atomic_store_n(word_, 1, __ATOMIC_SEQ_CST);
    if (::syscall(SYS_futex, word_, FUTEX_WAKE, 1, nullptr, nullptr, 0) < 0)
      ipc::ThrowErrno("futex(FUTEX_WAKE)");
  }

 protected:
  // 0 once woken by Satisfy (which set the word to 1).
  int Result(long n) {
    if (n == 0 && __atomic_load_n(word_, __ATOMIC_SEQ_CST) != 1)
      return kWrongResult;
    return Report(n, 0);
  }
  int* word_ = memory_.As<int>(0);
};

class FutexWait : public FutexScenario {
 public:
  int BlockInChild() override {
    return Result(
        ::syscall(SYS_futex, word_, FUTEX_WAIT, 0, nullptr, nullptr, 0));
  }
};

// FUTEX_WAIT's timeout is relative (futex(2)).
class FutexWaitTimeout : public FutexScenario {
 public:
  int BlockInChild() override {
    const timespec timeout = Seconds(kLongSeconds);
    return Result(
        ::syscall(SYS_futex, word_, FUTEX_WAIT, 0, &timeout, nullptr, 0));
  }
};

// FUTEX_WAIT_BITSET's timeout is absolute (CLOCK_MONOTONIC by default).
class FutexWaitBitsetTimeout : public FutexScenario {
 public:
  int BlockInChild() override {
    return Result(::syscall(SYS_futex, word_, FUTEX_WAIT_BITSET, 0, &deadline_,
                            nullptr, FUTEX_BITSET_MATCH_ANY));
  }

 private:
  const timespec deadline_ = MonotonicFromNow(kLongSeconds);
};

class SemScenario : public SharedWordScenario {
 public:
  void Satisfy() override { semaphore_.Post(); }

 protected:
  ipc::PosixSemaphore semaphore_ = ipc::PosixSemaphore::InitIn(
      memory_.data(), 0, /*shared_between_processes=*/true);
};

class SemWait : public SemScenario {
 public:
  int BlockInChild() override {
    return Report(::sem_wait(semaphore_.get()), 0);
  }
};

class SemTimedWait : public SemScenario {
 public:
  int BlockInChild() override {
    return Report(::sem_timedwait(semaphore_.get(), &deadline_), 0);
  }

 private:
  const timespec deadline_ =
      ipc::RealtimeDeadlineFromNow(std::chrono::seconds(kLongSeconds));
};

// --- System V IPC (sysvipc(7)) ---------------------------------------------

class Msgrcv : public Scenario {
 public:
  int BlockInChild() override {
    struct {
      long type;
      char text[8];
    } message{};
    const ssize_t n =
        ::msgrcv(queue_.id(), &message, sizeof message.text, 0, 0);
    if (n == 1 && message.text[0] != 'q') return kWrongResult;
    return Report(n, 1);
  }
  void Satisfy() override { queue_.Send(1, "q"); }

 private:
  ipc::SysvMessageQueue queue_ = ipc::SysvMessageQueue::Create();
};

// msg_qbytes lowered to 1 (lowering needs no privilege, msgctl(2)): one
// 1-byte message fills the queue, so the child's send sleeps for room.
class Msgsnd : public Scenario {
 public:
  Msgsnd() {
    queue_.SetQueueBytes(1);
    queue_.Send(1, "a");
  }
  int BlockInChild() override {
    struct {
      long type;
      char text[1];
    } message{1, {'b'}};
    return Report(::msgsnd(queue_.id(), &message, 1, 0), 0);
  }
  void Satisfy() override { TakeOne("a"); }
  ::testing::AssertionResult CheckAfterSuccess() override {
    return TakeOne("b");
  }

 private:
  ::testing::AssertionResult TakeOne(const char* expected) {
    const std::optional<ipc::SysvMessage> message = queue_.TryReceive(8, 0, 0);
    const std::string text =
        message
            ? std::string(reinterpret_cast<const char*>(message->data.data()),
                          message->data.size())
            : std::string();
    if (message && text == expected) return ::testing::AssertionSuccess();
    ADD_FAILURE() << "expected the message \"" << expected
                  << "\" queued, found "
                  << (message ? "\"" + text + "\"" : std::string("none"));
    return ::testing::AssertionFailure() << "message missing";
  }

  ipc::SysvMessageQueue queue_ = ipc::SysvMessageQueue::Create();
};

class SemopScenario : public Scenario {
 public:
  void Satisfy() override { set_.V(0); }

 protected:
  ipc::SysvSemaphoreSet set_ = ipc::SysvSemaphoreSet::Create(IPC_PRIVATE, 1);
  sembuf take_{0, -1, 0};
};

class Semop : public SemopScenario {
 public:
  int BlockInChild() override {
    return Report(::semop(set_.id(), &take_, 1), 0);
  }
};

class Semtimedop : public SemopScenario {
 public:
  int BlockInChild() override {
    const timespec timeout = Seconds(kLongSeconds);
    return Report(::semtimedop(set_.id(), &take_, 1, &timeout), 0);
  }
};

// --- Sleeps ------------------------------------------------------------------

class Nanosleep : public Scenario {
 public:
  int BlockInChild() override {
    // The nanosleep system call itself: glibc's nanosleep(3) goes through
    // clock_nanosleep.
    const timespec length = Seconds(kLongSeconds);
    return Report(::syscall(SYS_nanosleep, &length, nullptr), 0);
  }
};

// clock_nanosleep returns the error number instead of setting errno.
int ClockNanosleepReport(int err) {
  return err == 0 ? kExitSuccess : ErrnoExit(err);
}

class ClockNanosleep : public Scenario {
 public:
  int BlockInChild() override {
    const timespec length = Seconds(kLongSeconds);
    return ClockNanosleepReport(
        ::clock_nanosleep(CLOCK_MONOTONIC, 0, &length, nullptr));
  }
};

class ClockNanosleepAbsolute : public Scenario {
 public:
  int BlockInChild() override {
    return ClockNanosleepReport(
        ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline_, nullptr));
  }

 private:
  const timespec deadline_ = MonotonicFromNow(kLongSeconds);
};

// --- Waiting for signals
// ------------------------------------------------------

// SIGUSR2 is blocked and waited for; the handled SIGINT interrupts.
class SignalWaitScenario : public Scenario {
 public:
  int BlockInChild() override {
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGUSR2);
    if (::sigprocmask(SIG_BLOCK, &wanted, nullptr) != 0) return kUnblockFailed;
    return Wait(wanted);
  }

 protected:
  virtual int Wait(const sigset_t& wanted) = 0;
};

class Sigtimedwait : public SignalWaitScenario {
  int Wait(const sigset_t& wanted) override {
    const timespec timeout = Seconds(kLongSeconds);
    return Report(::sigtimedwait(&wanted, nullptr, &timeout), SIGUSR2);
  }
};

class Sigwaitinfo : public SignalWaitScenario {
  int Wait(const sigset_t& wanted) override {
    return Report(::sigwaitinfo(&wanted, nullptr), SIGUSR2);
  }
};

// pause(2) and sigsuspend(2) return only after a handler ran: with EINTR.
class Pause : public Scenario {
 public:
  int BlockInChild() override { return Report(::pause(), 0); }
};

class Sigsuspend : public Scenario {
 public:
  int BlockInChild() override {
    sigset_t none;
    sigemptyset(&none);
    return Report(::sigsuspend(&none), 0);
  }
};

// --- io_getevents(2) ---------------------------------------------------------

// An AIO context with nothing submitted: waiting for one event sleeps.
// The context is made in the child: a forked child does not inherit its
// parent's AIO contexts (they belong to the mm, and io_getevents on the
// parent's id fails EINVAL), and it is destroyed with the child's mm.
class IoGetevents : public Scenario {
 public:
  int BlockInChild() override {
    aio_context_t context = 0;
    if (::syscall(SYS_io_setup, 1, &context) != 0) return ErrnoExit();
    io_event event{};
    return Report(::syscall(SYS_io_getevents, context, 1, 1, &event, nullptr),
                  1);
  }
};

// "" when a context can be made: io_setup fails ENOSYS without CONFIG_AIO
// and EAGAIN when /proc/sys/fs/aio-max-nr is used up.
std::string ProbeIoSetup() {
  aio_context_t context = 0;
  if (::syscall(SYS_io_setup, 1, &context) != 0) {
    return "io_setup(1) fails " + ErrnoName(errno) + " on this kernel";
  }
  ::syscall(SYS_io_destroy, context);
  return "";
}

// --- The table ---------------------------------------------------------------

enum class Answer { kResumed, kEintr };

const char* AnswerName(Answer answer) {
  return answer == Answer::kResumed ? "resumed" : "EINTR";
}

struct Row {
  const char* name;            // test name part and figure name
  const char* call;            // the call as signal(7) names it
  std::vector<long> syscalls;  // what /proc/PID/syscall may show
  Answer with_sa_restart;      // signal(7)'s answer
  bool ipc_namespace;          // System V / POSIX queue objects
  std::function<std::unique_ptr<Scenario>()> make;
  // "" when the call can be made here, else why not (ENOSYS for a call
  // younger than the kernel): the row is then unverified. Null for calls
  // older than any kernel we meet.
  std::string (*probe)() = nullptr;
};

void PrintTo(const Row& row, std::ostream* out) { *out << row.name; }

template <typename T, typename... Args>
std::function<std::unique_ptr<Scenario>()> Make(Args... args) {
  return [=] { return std::make_unique<T>(args...); };
}

constexpr Answer kResumed = Answer::kResumed;
constexpr Answer kEintr = Answer::kEintr;

const std::vector<Row>& Rows() {
  static const std::vector<Row>* const rows = new std::vector<Row>{
      // "read(2), readv(2), write(2), writev(2), and ioctl(2) calls on
      // 'slow' devices ... a terminal, pipe, or socket."
      {"PipeRead",
       "read(2) on a pipe",
       {SYS_read},
       kResumed,
       false,
       Make<PipeRead>()},
      {"PipeWrite",
       "write(2) on a full pipe",
       {SYS_write},
       kResumed,
       false,
       Make<PipeWriteFull>()},
      // "open(2), if it can block (e.g., when opening a FIFO)"
      {"FifoOpen",
       "open(2) of a FIFO",
       {SYS_open, SYS_openat},
       kResumed,
       false,
       Make<FifoOpen>()},
      // "wait(2), wait3(2), wait4(2), waitid(2), and waitpid(2)"
      {"Wait4", "wait4(2)", {SYS_wait4}, kResumed, false, Make<Wait4>()},
      {"Waitid", "waitid(2)", {SYS_waitid}, kResumed, false, Make<Waitid>()},
      // "Socket interfaces ... unless a timeout has been set"
      {"Recv",
       "recv(2) on a stream socket",
       {SYS_recvfrom},
       kResumed,
       false,
       Make<SocketRecv>(false)},
      // "File locking interfaces: flock(2) and the F_SETLKW and
      // F_OFD_SETLKW operations of fcntl(2)"
      {"Flock", "flock(2)", {SYS_flock}, kResumed, false, Make<Flock>()},
      {"FcntlSetlkw",
       "fcntl(2) F_SETLKW",
       {SYS_fcntl},
       kResumed,
       false,
       Make<FcntlSetlkw>()},
      {"FcntlOfdSetlkw",
       "fcntl(2) F_OFD_SETLKW",
       {SYS_fcntl},
       kResumed,
       false,
       Make<FcntlOfdSetlkw>()},
      // "POSIX message queue interfaces: mq_receive(3), mq_timedreceive(3),
      // mq_send(3), and mq_timedsend(3)"
      {"MqReceive",
       "mq_receive(3)",
       {SYS_mq_timedreceive},
       kResumed,
       true,
       Make<MqReceive>()},
      {"MqTimedreceive",
       "mq_timedreceive(3)",
       {SYS_mq_timedreceive},
       kResumed,
       true,
       Make<MqTimedReceive>()},
      {"MqSend",
       "mq_send(3) on a full queue",
       {SYS_mq_timedsend},
       kResumed,
       true,
       Make<MqSend>()},
      {"MqTimedsend",
       "mq_timedsend(3) on a full queue",
       {SYS_mq_timedsend},
       kResumed,
       true,
       Make<MqTimedSend>()},
      // "futex(2) FUTEX_WAIT", "futex(2) FUTEX_WAIT_BITSET"
      {"FutexWait",
       "futex(2) FUTEX_WAIT",
       {SYS_futex},
       kResumed,
       false,
       Make<FutexWait>()},
      // signal(7) lists FUTEX_WAIT, FUTEX_WAIT_BITSET and sem_timedwait(3)
      // as restarted, without a word about timeouts. The kernel restarts
      // only an untimed wait: futex_wait() (kernel/futex/waitwake.c) turns
      // the -ERESTARTSYS of a wait with a timeout into a restart block
      // (-ERESTART_RESTARTBLOCK, futex_wait_restart), and handle_signal()
      // (arch/x86/kernel/signal.c) makes that EINTR whenever a handler runs,
      // SA_RESTART or not; glibc's sem_timedwait (nptl/sem_waitcommon.c)
      // passes the EINTR on. These rows pin the kernel's answer; the
      // untimed rows (FutexWait, SemWait) pin signal(7)'s.
      {"FutexWaitTimeout",
       "futex(2) FUTEX_WAIT with a timeout",
       {SYS_futex},
       kEintr,
       false,
       Make<FutexWaitTimeout>()},
      {"FutexWaitBitsetTimeout",
       "futex(2) FUTEX_WAIT_BITSET with a timeout",
       {SYS_futex},
       kEintr,
       false,
       Make<FutexWaitBitsetTimeout>()},
      // "POSIX semaphore interfaces: sem_wait(3) and sem_timedwait(3)"
      {"SemWait", "sem_wait(3)", {SYS_futex}, kResumed, false, Make<SemWait>()},
      {"SemTimedwait",
       "sem_timedwait(3)",
       {SYS_futex},
       kEintr,
       false,
       Make<SemTimedWait>()},
      // "read(2) from an inotify(7) file descriptor (since Linux 3.8)"
      {"InotifyRead",
       "read(2) of an inotify descriptor",
       {SYS_read},
       kResumed,
       false,
       Make<InotifyRead>()},

      // --- never restarted ---
      // "'Input' socket interfaces, when a timeout (SO_RCVTIMEO) has been
      // set"
      {"RecvWithRcvtimeo",
       "recv(2) with SO_RCVTIMEO",
       {SYS_recvfrom},
       kEintr,
       false,
       Make<SocketRecv>(true)},
      // "Interfaces used to wait for signals: pause(2), sigsuspend(2),
      // sigtimedwait(2), and sigwaitinfo(2)"
      {"Pause", "pause(2)", {SYS_pause}, kEintr, false, Make<Pause>()},
      {"Sigsuspend",
       "sigsuspend(2)",
       {SYS_rt_sigsuspend},
       kEintr,
       false,
       Make<Sigsuspend>()},
      {"Sigtimedwait",
       "sigtimedwait(2)",
       {SYS_rt_sigtimedwait},
       kEintr,
       false,
       Make<Sigtimedwait>()},
      {"Sigwaitinfo",
       "sigwaitinfo(2)",
       {SYS_rt_sigtimedwait},
       kEintr,
       false,
       Make<Sigwaitinfo>()},
      // "File descriptor multiplexing interfaces: epoll_wait(2),
      // epoll_pwait(2), poll(2), ppoll(2), select(2), and pselect(2)"
      {"EpollWait",
       "epoll_wait(2)",
       {SYS_epoll_wait, SYS_epoll_pwait},
       kEintr,
       false,
       Make<EpollWait>()},
      {"EpollPwait",
       "epoll_pwait(2)",
       {SYS_epoll_pwait},
       kEintr,
       false,
       Make<EpollPwait>()},
      {"EpollPwait2",
       "epoll_pwait2(2)",
       {SYS_epoll_pwait2},
       kEintr,
       false,
       Make<EpollPwait2>(),
       ProbeEpollPwait2},
      {"Poll", "poll(2)", {SYS_poll, SYS_ppoll}, kEintr, false, Make<Poll>()},
      {"Ppoll", "ppoll(2)", {SYS_ppoll}, kEintr, false, Make<Ppoll>()},
      {"Select",
       "select(2)",
       {SYS_select, SYS_pselect6},
       kEintr,
       false,
       Make<Select>()},
      {"Pselect", "pselect(2)", {SYS_pselect6}, kEintr, false, Make<Pselect>()},
      // "System V IPC interfaces: msgrcv(2), msgsnd(2), semop(2), and
      // semtimedop(2)"
      {"Msgrcv", "msgrcv(2)", {SYS_msgrcv}, kEintr, true, Make<Msgrcv>()},
      {"Msgsnd",
       "msgsnd(2) on a full queue",
       {SYS_msgsnd},
       kEintr,
       true,
       Make<Msgsnd>()},
      {"Semop",
       "semop(2)",
       {SYS_semop, SYS_semtimedop},
       kEintr,
       true,
       Make<Semop>()},
      {"Semtimedop",
       "semtimedop(2)",
       {SYS_semtimedop},
       kEintr,
       true,
       Make<Semtimedop>()},
      // "Sleep interfaces: clock_nanosleep(2), nanosleep(2), and usleep(3)"
      {"Nanosleep",
       "nanosleep(2)",
       {SYS_nanosleep},
       kEintr,
       false,
       Make<Nanosleep>()},
      {"ClockNanosleep",
       "clock_nanosleep(2), relative",
       {SYS_clock_nanosleep},
       kEintr,
       false,
       Make<ClockNanosleep>()},
      {"ClockNanosleepAbstime",
       "clock_nanosleep(2), TIMER_ABSTIME",
       {SYS_clock_nanosleep},
       kEintr,
       false,
       Make<ClockNanosleepAbsolute>()},
      // "io_getevents(2)"
      {"IoGetevents",
       "io_getevents(2)",
       {SYS_io_getevents},
       kEintr,
       false,
       Make<IoGetevents>(),
       ProbeIoSetup},
  };
  return *rows;
}

// In the forked child: the handler (with or without SA_RESTART), SIGINT
// unblocked (the runner or the test may block it), then the call.
int BlockWithHandler(Scenario& scenario, int handler_fd, bool sa_restart) {
  g_handler_fd = handler_fd;
  struct sigaction action {};
  action.sa_handler = NoteHandlerRan;
  sigemptyset(&action.sa_mask);
  action.sa_flags = sa_restart ? SA_RESTART : 0;
  if (::sigaction(kInterruptSignal, &action, nullptr) != 0)
    return kSigactionFailed;
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, kInterruptSignal);
  if (::sigprocmask(SIG_UNBLOCK, &interrupt, nullptr) != 0)
    return kUnblockFailed;
  return scenario.BlockInChild();
}

bool SleepsIn(const TaskState& task, const std::vector<long>& syscalls) {
  return task.sleeping() && task.syscall &&
         std::find(syscalls.begin(), syscalls.end(), *task.syscall) !=
             syscalls.end();
}

// WaitUntilBlockedIn over the row's one or two syscall numbers.
::testing::AssertionResult BlockedIn(pid_t pid,
                                     const std::vector<long>& syscalls) {
  if (syscalls.size() == 1) return WaitUntilBlockedIn(pid, pid, {syscalls[0]});
  return WaitUntilBlockedIn(pid, pid, {syscalls[0], syscalls[1]});
}

using RestartParam = std::tuple<Row, bool>;

class SaRestartTest : public ::testing::TestWithParam<RestartParam> {};

TEST_P(SaRestartTest, InterruptedCallResumesOrFailsEintr) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  const Row& row = std::get<0>(GetParam());
  const bool sa_restart = std::get<1>(GetParam());
  const Answer expected = sa_restart ? row.with_sa_restart : Answer::kEintr;
  const std::string figure =
      std::string(sa_restart ? "sa_restart." : "no_sa_restart.") + row.name;

  if (row.probe != nullptr) {
    const std::string missing = row.probe();
    if (!missing.empty()) SKIP_UNVERIFIED(missing);
  }
  if (row.ipc_namespace) ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();

  std::unique_ptr<Scenario> scenario = row.make();
  ipc::Pipe handler_ran = ipc::Pipe::Create(O_CLOEXEC);
  const int handler_fd = handler_ran.write_fd();
  ChildProcess child = ChildProcess::Fork(
      [&] { return BlockWithHandler(*scenario, handler_fd, sa_restart); });

  ASSERT_TRUE(BlockedIn(child.pid(), row.syscalls))
      << row.call << " did not block";
  child.Signal(kInterruptSignal);
  std::byte mark{};
  ASSERT_TRUE(ReadExactWithin(handler_ran.read_fd(), std::span(&mark, 1)))
      << "the SIGINT handler never ran in the child blocked in " << row.call;

  // After the handler: the call either returned (the child exits with its
  // errno) or the kernel re-entered it (the child sleeps in it again).
  std::optional<TaskState> last;
  const bool settled = PollUntil(kBlockedTimeout, [&] {
    last = ReadTaskState(child.pid(), child.pid());
    return !last || last->exited() || SleepsIn(*last, row.syscalls);
  });
  ASSERT_TRUE(settled) << "after the handler the child neither returned from "
                       << row.call << " nor slept in it again: "
                       << (last ? last->ToString() : "gone");

  if (last && !last->exited()) {
    RecordMeasurement(figure, AnswerName(Answer::kResumed));
    ASSERT_EQ(expected, Answer::kResumed)
        << row.call << " was restarted after a handler installed "
        << (sa_restart ? "with" : "without")
        << " SA_RESTART; signal(7) says it fails EINTR (a kernel that "
           "returns -ERESTARTSYS where -ERESTARTNOHAND or -EINTR belongs, or "
           "restarts regardless of SA_RESTART)";
    scenario->Satisfy();
    EXPECT_TRUE(ExitsWithZeroWithin(child))
        << "the resumed " << row.call << " did not complete with its result";
    EXPECT_TRUE(scenario->CheckAfterSuccess());
    return;
  }

  ASSERT_CHILD_EXITS(child, status);
  const bool eintr = status.ExitedWith(ErrnoExit(EINTR));
  RecordMeasurement(figure, eintr ? std::string(AnswerName(Answer::kEintr))
                                  : DescribeChildExit(status));
  ASSERT_TRUE(eintr) << row.call << " ended " << DescribeChildExit(status)
                     << " after the handler, not with EINTR";
  EXPECT_EQ(expected, Answer::kEintr)
      << row.call
      << " failed EINTR after a handler installed with "
         "SA_RESTART; signal(7) says it is restarted (a missing -ERESTARTSYS "
         "path: the sleep returns -EINTR or -ERESTARTNOHAND)";
}

INSTANTIATE_TEST_SUITE_P(
    Signal7, SaRestartTest,
    ::testing::Combine(::testing::ValuesIn(Rows()), ::testing::Bool()),
    [](const ::testing::TestParamInfo<RestartParam>& info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) ? "_WithSaRestart" : "_WithoutSaRestart");
    });

// signal(7): "If an I/O call on a slow device has already transferred some
// data by the time it is interrupted by a signal handler, then the call
// will return a success status (normally, the number of bytes
// transferred)". A write of one page more than the pipe holds, into an
// empty pipe, fills it and sleeps for room; after the handler it returns
// the bytes it moved, with and without SA_RESTART: not EINTR (which would
// lose the count of bytes already in the pipe), and not restarted (which
// would write them twice). The pipe then holds exactly the count returned.
class PartialTransferTest : public ::testing::TestWithParam<bool> {};

TEST_P(PartialTransferTest, InterruptedPipeWriteReturnsBytesMoved) {
  CLAIM("sig.ctrl-c-interrupts-wait");
  const bool sa_restart = GetParam();
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t capacity = pipe.Capacity();
  const size_t requested = capacity + SystemPageSize();
  const std::vector<char> data = Pattern(requested, 7);
  ipc::Pipe handler_ran = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe result = ipc::Pipe::Create(O_CLOEXEC);

  class PartialWrite : public Scenario {
   public:
    PartialWrite(int fd, const std::vector<char>& data, int result_fd)
        : fd_(fd), data_(data), result_fd_(result_fd) {}
    int BlockInChild() override {
      const ssize_t n = ::write(fd_, data_.data(), data_.size());
      if (n < 0) return ErrnoExit();
      return WriteReport(result_fd_, n) ? kExitSuccess : kWrongResult;
    }

   private:
    int fd_;
    const std::vector<char>& data_;
    int result_fd_;
  } scenario(pipe.write_fd(), data, result.write_fd());

  const int handler_fd = handler_ran.write_fd();
  ChildProcess child = ChildProcess::Fork(
      [&] { return BlockWithHandler(scenario, handler_fd, sa_restart); });
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_write));
  child.Signal(kInterruptSignal);
  std::byte mark{};
  ASSERT_TRUE(ReadExactWithin(handler_ran.read_fd(), std::span(&mark, 1)))
      << "the SIGINT handler never ran in the blocked writer";
  ASSERT_TRUE(ExitsWithZeroWithin(child))
      << "the interrupted write did not return a count";
  ssize_t written = 0;
  ASSERT_TRUE(ReadReport(result.read_fd(), written));
  RecordMeasurement(std::string(sa_restart ? "sa_restart" : "no_sa_restart") +
                        ".PipeWritePartial_bytes",
                    written);
  EXPECT_GT(written, 0);
  EXPECT_LT(static_cast<size_t>(written), requested);
  EXPECT_EQ(pipe.BytesUnread(), static_cast<size_t>(written))
      << "the pipe holds other bytes than the interrupted write reported";
}

INSTANTIATE_TEST_SUITE_P(Signal7, PartialTransferTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "WithSaRestart"
                                                         : "WithoutSaRestart");
                         });

}  // namespace
}  // namespace ipcproof

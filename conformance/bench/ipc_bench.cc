// Round-trip latency and one-way throughput of every IPC mechanism the note
// compares, between two processes (fork, never threads), at message sizes
// from 64 B to 1 MiB in powers of 4:
//
//   latency/<mechanism>/<size>     one iteration = one round trip: the
//                                  benchmark process (A) sends `size` bytes,
//                                  its peer (B) receives them whole and sends
//                                  them back; real time per iteration.
//   throughput/<mechanism>/<size>  A streams a batch of messages of `size`
//                                  bytes, B receives each whole and answers
//                                  once per batch with a 1-byte
//                                  acknowledgement; bytes_per_second is the
//                                  one-way throughput.
//
// Every mechanism moves the bytes from the sender's buffer into the
// receiver's buffer: the kernel copies twice (in and out) for pipes, FIFOs,
// queues and sockets, and so do the shared-memory channels, where the sender
// copies into a slot of a ring in shared memory and the receiver copies out
// (the synchronisation is what differs: a System V semaphore, a POSIX
// semaphore, or a futex word that costs a system call only to sleep or
// wake). So none of them can beat memcpy/2 (limits_bench).
//
// A runs pinned to CPU 0 and B to CPU 1 where sched_setaffinity allows
// (bench_main.h; the context line "pinning" says what was done).
//
// Nothing is left behind and nothing hangs:
//   - queues and semaphores live in the private IPC namespace bench_main
//     entered (and are removed by their owners anyway); a FIFO is unlinked as
//     soon as both ends are open; a System V segment is marked IPC_RMID as
//     soon as it is attached;
//   - B dies with A (PR_SET_PDEATHSIG) and is killed and reaped after each
//     run;
//   - while A runs, an interval timer interrupts its blocking calls (SIGALRM,
//     no SA_RESTART, so pipe reads, msgrcv, mq_receive, semop, sem_wait and
//     FUTEX_WAIT all fail EINTR, signal(7)); on each interruption A checks
//     that B is alive and that the call has not been waiting longer than
//     kStuckAfter, and otherwise ends the benchmark with SkipWithError.
//
//   tools/bazel run -c opt //conformance/bench:ipc_bench -- ARGS
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "conformance/bench/bench_main.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/fd_passing.h"
#include "conformance/kit/netns_host.h"
#include "conformance/kit/sysctl.h"
#include "ipc/child_process.h"
#include "ipc/tcp_socket.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using Clock = std::chrono::steady_clock;

// How long one blocking call of A may wait before the benchmark gives up on
// its peer (a missing wake-up, a lost message), and how often A's blocking
// calls are interrupted to check.
constexpr std::chrono::milliseconds kStuckAfter(10000);
constexpr std::chrono::milliseconds kTick(250);

// Bytes A streams per throughput iteration (one batch, one acknowledgement),
// and the bounds on the number of messages in it.
constexpr size_t kBatchBytes = size_t{4} << 20;
constexpr size_t kMinBatch = 4;
constexpr size_t kMaxBatch = 1024;

size_t BatchMessages(size_t size) {
  return std::clamp(kBatchBytes / size, kMinBatch, kMaxBatch);
}

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

std::string CallFailed(const std::string& call, int err) {
  return call + " failed with " + ErrnoName(err);
}

// --- A's watch on its peer --------------------------------------------------

// Results of Send/Receive besides 0 (done) and a positive errno.
constexpr int kPeerGone = -1;  // B exited (or closed its end)
constexpr int kStuck = -2;     // one call waited longer than kStuckAfter
constexpr int kShort = -3;     // a message arrived with another size

// The peer A is watching, while a benchmark runs; its status once reaped.
ipc::ChildProcess* g_peer = nullptr;
std::optional<ipc::WaitStatus> g_peer_status;

// Called by A's Send/Receive after EINTR: 0 to retry, else why not. `since`
// is when the interrupted call started.
int OnInterrupt(Clock::time_point since) {
  if (g_peer != nullptr && !g_peer_status) {
    g_peer_status = g_peer->TryWait();
    if (g_peer_status) return kPeerGone;
  }
  if (Clock::now() - since > kStuckAfter) return kStuck;
  return 0;
}

void OnAlarm(int) {}

// The interval timer that interrupts A's blocking calls, for the duration
// of one benchmark run.
class ScopedTicker {
 public:
  ScopedTicker() {
    struct sigaction action {};
    action.sa_handler = OnAlarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: blocking calls fail EINTR
    sigaction(SIGALRM, &action, &old_action_);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(kTick).count();
    itimerval timer{};
    timer.it_interval.tv_sec = us / 1000000;
    timer.it_interval.tv_usec = us % 1000000;
    timer.it_value = timer.it_interval;
    setitimer(ITIMER_REAL, &timer, nullptr);
  }
  ~ScopedTicker() {
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
    sigaction(SIGALRM, &old_action_, nullptr);
  }
  ScopedTicker(const ScopedTicker&) = delete;
  ScopedTicker& operator=(const ScopedTicker&) = delete;

 private:
  struct sigaction old_action_ {};
};

// --- Endpoints --------------------------------------------------------------

// After EINTR in one Send, Receive or semaphore wait: 0 to retry, else the
// result to return. A consults OnInterrupt (since the call began); B, which
// gets no signal but SIGKILL, retries, and reads no clock inside the timed
// loop.
struct Interruption {
  bool watch;
  Clock::time_point since;
  int operator()() const { return watch ? OnInterrupt(since) : 0; }
};

// One side's end of a channel. Send and Receive move exactly `size` bytes
// (a whole message) between the endpoint's own buffers and the channel, and
// return 0, a positive errno, or one of the k* results above. In B they run
// after fork and do only async-signal-safe work (system calls, memcpy,
// atomics); `watch` is true in A, whose interrupted calls consult
// OnInterrupt, while B (which gets no signal but SIGKILL) simply retries.
class Endpoint {
 public:
  Endpoint(size_t capacity, bool watch) : watch_(watch) {
    send_.resize(capacity + kHeader);
    receive_.resize(capacity + kHeader);
  }
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  virtual int Send(size_t size) = 0;
  virtual int Receive(size_t size) = 0;

  // The message bytes: behind a header the mechanism may need (a System V
  // message's mtype).
  char* send_bytes() { return send_.data() + kHeader; }
  char* receive_bytes() { return receive_.data() + kHeader; }

 protected:
  static constexpr size_t kHeader = sizeof(long);
  char* send_message() { return send_.data(); }
  char* receive_message() { return receive_.data(); }

  // What one call does after EINTR, from its start.
  Interruption Watch() const {
    return Interruption{watch_, watch_ ? Clock::now() : Clock::time_point{}};
  }

 private:
  bool watch_;
  std::vector<char> send_;
  std::vector<char> receive_;
};

// A byte stream (pipe, FIFO, stream socket): write and read until `size`
// bytes have passed; end of file is the peer gone.
class StreamEndpoint : public Endpoint {
 public:
  StreamEndpoint(size_t capacity, bool watch, int read_fd, int write_fd)
      : Endpoint(capacity, watch), read_fd_(read_fd), write_fd_(write_fd) {}

  int Send(size_t size) override {
    const Interruption interrupted = Watch();
    size_t done = 0;
    while (done < size) {
      const ssize_t n = write(write_fd_, send_bytes() + done, size - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        if (const int r = interrupted()) return r;
      } else {
        return n < 0 ? (errno == EPIPE ? kPeerGone : errno) : EIO;
      }
    }
    return 0;
  }

  int Receive(size_t size) override {
    const Interruption interrupted = Watch();
    size_t done = 0;
    while (done < size) {
      const ssize_t n = read(read_fd_, receive_bytes() + done, size - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n == 0) {
        return kPeerGone;
      } else if (errno == EINTR) {
        if (const int r = interrupted()) return r;
      } else {
        return errno == ECONNRESET ? kPeerGone : errno;
      }
    }
    return 0;
  }

 private:
  int read_fd_;
  int write_fd_;
};

// A message socket (seqpacket, datagram): one send and one receive per
// message, whose length must be `size`.
class MessageSocketEndpoint : public Endpoint {
 public:
  MessageSocketEndpoint(size_t capacity, bool watch, int fd)
      : Endpoint(capacity, watch), fd_(fd), capacity_(capacity) {}

  int Send(size_t size) override {
    const Interruption interrupted = Watch();
    for (;;) {
      const ssize_t n = send(fd_, send_bytes(), size, MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(size)) return 0;
      if (n >= 0) return kShort;
      if (errno != EINTR) {
        return errno == EPIPE || errno == ECONNREFUSED ? kPeerGone : errno;
      }
      if (const int r = interrupted()) return r;
    }
  }

  int Receive(size_t size) override {
    const Interruption interrupted = Watch();
    for (;;) {
      // MSG_TRUNC: the datagram's real length, so a longer one shows.
      const ssize_t n = recv(fd_, receive_bytes(), capacity_, MSG_TRUNC);
      if (n == static_cast<ssize_t>(size)) return 0;
      if (n == 0) return kPeerGone;
      if (n > 0) return kShort;
      if (errno != EINTR) return errno == ECONNRESET ? kPeerGone : errno;
      if (const int r = interrupted()) return r;
    }
  }

 private:
  int fd_;
  size_t capacity_;
};

// One System V queue carries both directions, told apart by mtype.
class SysvMsgEndpoint : public Endpoint {
 public:
  SysvMsgEndpoint(size_t capacity, bool watch, int queue, long send_type,
                  long receive_type)
      : Endpoint(capacity, watch),
        queue_(queue),
        send_type_(send_type),
        receive_type_(receive_type),
        capacity_(capacity) {
    std::memcpy(send_message(), &send_type_, sizeof(long));
  }

  int Send(size_t size) override {
    const Interruption interrupted = Watch();
    while (msgsnd(queue_, send_message(), size, 0) != 0) {
      if (errno == EIDRM) return kPeerGone;
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
    return 0;
  }

  int Receive(size_t size) override {
    const Interruption interrupted = Watch();
    for (;;) {
      const ssize_t n =
          msgrcv(queue_, receive_message(), capacity_, receive_type_, 0);
      if (n == static_cast<ssize_t>(size)) return 0;
      if (n >= 0) return kShort;
      if (errno == EIDRM) return kPeerGone;
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
  }

 private:
  int queue_;
  long send_type_;
  long receive_type_;
  size_t capacity_;
};

// Two POSIX queues, one per direction.
class PosixMqEndpoint : public Endpoint {
 public:
  PosixMqEndpoint(size_t capacity, bool watch, mqd_t send_queue,
                  mqd_t receive_queue, size_t receive_msgsize)
      : Endpoint(std::max(capacity, receive_msgsize), watch),
        send_queue_(send_queue),
        receive_queue_(receive_queue),
        receive_msgsize_(receive_msgsize) {}

  int Send(size_t size) override {
    const Interruption interrupted = Watch();
    while (mq_send(send_queue_, send_bytes(), size, 0) != 0) {
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
    return 0;
  }

  int Receive(size_t size) override {
    const Interruption interrupted = Watch();
    for (;;) {
      const ssize_t n = mq_receive(receive_queue_, receive_bytes(),
                                   receive_msgsize_, nullptr);
      if (n == static_cast<ssize_t>(size)) return 0;
      if (n >= 0) return kShort;
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
  }

 private:
  mqd_t send_queue_;
  mqd_t receive_queue_;
  size_t receive_msgsize_;
};

// --- Shared-memory rings ----------------------------------------------------

// A counting semaphore shared by both processes: wait (0, an errno, or a k*
// result from `interrupted`) and post.
struct SemaphoreOps {
  virtual ~SemaphoreOps() = default;
  virtual int Wait(int index, const Interruption& interrupted) = 0;
  virtual int Post(int index) = 0;
};

// semop(2) on one set of System V semaphores.
class SysvSemaphores : public SemaphoreOps {
 public:
  explicit SysvSemaphores(int set) : set_(set) {}
  int Wait(int index, const Interruption& interrupted) override {
    sembuf op{static_cast<unsigned short>(index), -1, 0};
    while (semop(set_, &op, 1) != 0) {
      if (errno == EIDRM) return kPeerGone;
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
    return 0;
  }
  int Post(int index) override {
    sembuf op{static_cast<unsigned short>(index), 1, 0};
    return semop(set_, &op, 1) == 0 ? 0 : errno;
  }

 private:
  int set_;
};

// sem_wait/sem_post on process-shared sem_t in shared memory.
class PosixSemaphores : public SemaphoreOps {
 public:
  explicit PosixSemaphores(sem_t* sems) : sems_(sems) {}
  int Wait(int index, const Interruption& interrupted) override {
    while (sem_wait(&sems_[index]) != 0) {
      if (errno != EINTR) return errno;
      if (const int r = interrupted()) return r;
    }
    return 0;
  }
  int Post(int index) override {
    return sem_post(&sems_[index]) == 0 ? 0 : errno;
  }

 private:
  sem_t* sems_;
};

// A counting semaphore on a futex word (futex(2)): the count and the number
// of sleepers; a post costs a FUTEX_WAKE only when someone sleeps, a wait
// costs a FUTEX_WAIT only when the count is 0.
struct FutexWord {
  std::atomic<uint32_t> count;
  std::atomic<uint32_t> sleepers;
};
static_assert(std::atomic<uint32_t>::is_always_lock_free);

class FutexSemaphores : public SemaphoreOps {
 public:
  explicit FutexSemaphores(FutexWord* words) : words_(words) {}
  int Wait(int index, const Interruption& interrupted) override {
    FutexWord& w = words_[index];
    for (;;) {
      uint32_t c = w.count.load();
      while (c > 0) {
        if (w.count.compare_exchange_weak(c, c - 1)) return 0;
      }
      w.sleepers.fetch_add(1);
      // Sleeps only while the count is still 0 (the kernel compares it
      // under the futex's lock, so a post between load and sleep is seen).
      const long r =
          syscall(SYS_futex, &w.count, FUTEX_WAIT, 0u, nullptr, nullptr, 0);
      const int err = errno;
      w.sleepers.fetch_sub(1);
      if (r != 0 && err != EAGAIN) {
        if (err != EINTR) return err;
        if (const int stop = interrupted()) return stop;
      }
    }
  }
  int Post(int index) override {
    FutexWord& w = words_[index];
    w.count.fetch_add(1);
    if (w.sleepers.load() > 0) {
      if (syscall(SYS_futex, &w.count, FUTEX_WAKE, 1, nullptr, nullptr, 0) <
          0) {
        return errno;
      }
    }
    return 0;
  }

 private:
  FutexWord* words_;
};

// One direction of a shared-memory channel: `slots` slots of `slot_size`
// bytes, semaphore `full` counting filled slots and `empty` free ones. Each
// side keeps its own position (the sender's next slot to fill, the
// receiver's next to drain).
struct Ring {
  char* data;
  size_t slots;
  size_t slot_size;
  int full;
  int empty;
};

class ShmEndpoint : public Endpoint {
 public:
  ShmEndpoint(size_t capacity, bool watch, SemaphoreOps* sems, Ring out,
              Ring in)
      : Endpoint(capacity, watch), sems_(sems), out_(out), in_(in) {}

  int Send(size_t size) override {
    const Interruption interrupted = Watch();
    if (const int r = sems_->Wait(out_.empty, interrupted)) return r;
    std::memcpy(out_.data + next_out_ * out_.slot_size, send_bytes(), size);
    next_out_ = (next_out_ + 1) % out_.slots;
    return sems_->Post(out_.full);
  }

  int Receive(size_t size) override {
    const Interruption interrupted = Watch();
    if (const int r = sems_->Wait(in_.full, interrupted)) return r;
    std::memcpy(receive_bytes(), in_.data + next_in_ * in_.slot_size, size);
    next_in_ = (next_in_ + 1) % in_.slots;
    return sems_->Post(in_.empty);
  }

 private:
  SemaphoreOps* sems_;
  Ring out_;
  Ring in_;
  size_t next_out_ = 0;
  size_t next_in_ = 0;
};

// --- Channels ---------------------------------------------------------------

// Descriptors are ipc::UniqueFd (closed on scope exit).
using Fd = ipc::UniqueFd;

// Both ends of one mechanism, made by A before the fork, and whatever must
// outlive them (descriptors, queues, mappings). After the fork each process
// closes the other side's descriptors, so a peer's death shows as end of
// file.
struct Channel {
  std::unique_ptr<Endpoint> a;
  std::unique_ptr<Endpoint> b;
  std::vector<Fd> a_fds;
  std::vector<Fd> b_fds;
  std::vector<std::function<void()>> cleanups;  // run in reverse, in A only
  std::unique_ptr<SemaphoreOps> sems;

  Channel() = default;
  Channel(Channel&&) = default;
  Channel& operator=(Channel&&) = default;
  ~Channel() {
    a.reset();
    b.reset();
    for (auto it = cleanups.rbegin(); it != cleanups.rend(); ++it) (*it)();
  }
};

// What a maker returns: a channel, or why the mechanism cannot carry
// messages of this size here (for SkipWithError).
struct Made {
  std::optional<Channel> channel;
  std::string skip;
};

Made Skip(std::string reason) { return Made{std::nullopt, std::move(reason)}; }
Made Ok(Channel channel) { return Made{std::move(channel), ""}; }

// `capacity` is the largest message either side sends (the size; the
// acknowledgement is 1 byte).

Made MakePipe(size_t capacity) {
  int ab[2], ba[2];
  if (pipe2(ab, O_CLOEXEC) != 0) return Skip(CallFailed("pipe2", errno));
  Channel c;
  c.a_fds.emplace_back(ab[1]);
  c.b_fds.emplace_back(ab[0]);
  if (pipe2(ba, O_CLOEXEC) != 0) return Skip(CallFailed("pipe2", errno));
  c.a_fds.emplace_back(ba[0]);
  c.b_fds.emplace_back(ba[1]);
  c.a = std::make_unique<StreamEndpoint>(capacity, true, ba[0], ab[1]);
  c.b = std::make_unique<StreamEndpoint>(capacity, false, ab[0], ba[1]);
  return Ok(std::move(c));
}

// Opens a FIFO at `path` for reading and for writing (the read end first and
// non-blocking, so neither open waits for a peer, fifo(7)).
std::string OpenFifo(const std::string& path, Fd& read_end, Fd& write_end) {
  if (mkfifo(path.c_str(), 0600) != 0) return CallFailed("mkfifo", errno);
  read_end = Fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  const int read_errno = errno;
  if (read_end.get() >= 0) {
    write_end = Fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  }
  const int write_errno = errno;
  unlink(path.c_str());
  if (read_end.get() < 0) return CallFailed("open(O_RDONLY)", read_errno);
  if (write_end.get() < 0) return CallFailed("open(O_WRONLY)", write_errno);
  // Blocking reads from here on, like a pipe's.
  if (fcntl(read_end.get(), F_SETFL, 0) != 0) {
    return CallFailed("fcntl(F_SETFL)", errno);
  }
  return "";
}

Made MakeFifo(size_t capacity) {
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                    "/ipcproof-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return Skip(CallFailed("mkdtemp", errno));
  Fd ab_read, ab_write, ba_read, ba_write;
  std::string failure = OpenFifo(dir + "/ab", ab_read, ab_write);
  if (failure.empty()) failure = OpenFifo(dir + "/ba", ba_read, ba_write);
  rmdir(dir.c_str());  // empty again: both FIFOs are unlinked once open
  if (!failure.empty()) return Skip(failure);
  Channel c;
  c.a = std::make_unique<StreamEndpoint>(capacity, true, ba_read.get(),
                                         ab_write.get());
  c.b = std::make_unique<StreamEndpoint>(capacity, false, ab_read.get(),
                                         ba_write.get());
  c.a_fds.push_back(std::move(ab_write));
  c.a_fds.push_back(std::move(ba_read));
  c.b_fds.push_back(std::move(ab_read));
  c.b_fds.push_back(std::move(ba_write));
  return Ok(std::move(c));
}

// Raises a private namespace's sysctl to at least `value`; "" or why not.
std::string RaiseSysctl(const char* name, int64_t value) {
  if (ReadSysctl(name) >= value) return "";
  if (!InPrivateIpcNamespace()) {
    return std::string("/proc/sys/") + name + " is " +
           std::to_string(ReadSysctl(name)) + " < " + std::to_string(value) +
           " and is the host's (no private IPC namespace), so not raised";
  }
  return TryWriteSysctl(name, value);
}

Made MakeSysvMsg(size_t capacity) {
  // A new queue's msg_qbytes is msgmnb; a message above msgmax fails
  // EINVAL, one above msg_qbytes would block forever (msgsnd(2)).
  const int64_t qbytes = std::max<int64_t>(4 * capacity, 16384);
  if (std::string why = RaiseSysctl("kernel/msgmax", capacity); !why.empty()) {
    return Skip("message of " + std::to_string(capacity) +
                " bytes above msgmax: " + why);
  }
  if (std::string why = RaiseSysctl("kernel/msgmnb", qbytes); !why.empty()) {
    if (ReadSysctl("kernel/msgmnb") < static_cast<int64_t>(capacity)) {
      return Skip("message of " + std::to_string(capacity) +
                  " bytes above msgmnb: " + why);
    }
  }
  const int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (queue < 0) return Skip(CallFailed("msgget", errno));
  Channel c;
  c.cleanups.push_back([queue] { msgctl(queue, IPC_RMID, nullptr); });
  msqid_ds ds{};
  if (msgctl(queue, IPC_STAT, &ds) != 0) {
    return Skip(CallFailed("msgctl(IPC_STAT)", errno));
  }
  if (ds.msg_qbytes < capacity) {
    return Skip("message of " + std::to_string(capacity) +
                " bytes above the queue's msg_qbytes " +
                std::to_string(ds.msg_qbytes));
  }
  c.a = std::make_unique<SysvMsgEndpoint>(capacity, true, queue, 1, 2);
  c.b = std::make_unique<SysvMsgEndpoint>(capacity, false, queue, 2, 1);
  return Ok(std::move(c));
}

// Opens a new POSIX queue of messages of `msgsize` bytes, with as many
// messages as fit (at most `want`), and unlinks its name at once.
std::optional<mqd_t> OpenQueue(size_t msgsize, long want, std::string& why) {
  static int serial = 0;
  const std::string name = "/ipcproof-bench-" + std::to_string(getpid()) + "-" +
                           std::to_string(serial++);
  int last = 0;
  for (long maxmsg = want; maxmsg >= 1; maxmsg /= 2) {
    mq_attr attr{};
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = static_cast<long>(msgsize);
    const mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                            0600, &attr);
    if (q != static_cast<mqd_t>(-1)) {
      mq_unlink(name.c_str());
      return q;
    }
    last = errno;
    // EMFILE: the queue's bytes exceed RLIMIT_MSGQUEUE (mq_overview(7));
    // fewer messages may fit.
    if (last != EMFILE && last != ENOMEM) break;
  }
  rlimit limit{};
  getrlimit(RLIMIT_MSGQUEUE, &limit);
  why =
      CallFailed("mq_open(mq_msgsize=" + std::to_string(msgsize) + ")", last) +
      " (RLIMIT_MSGQUEUE " + std::to_string(limit.rlim_cur) + ")";
  return std::nullopt;
}

Made MakePosixMq(size_t capacity, size_t reply_size) {
  if (std::string why = RaiseSysctl("fs/mqueue/msgsize_max", capacity);
      !why.empty()) {
    return Skip("message of " + std::to_string(capacity) +
                " bytes above fs/mqueue/msgsize_max: " + why);
  }
  // Both queues count against RLIMIT_MSGQUEUE: take the soft limit up to
  // the hard one (allowed without privilege, setrlimit(2)).
  rlimit limit{};
  if (getrlimit(RLIMIT_MSGQUEUE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_MSGQUEUE, &limit);
  }
  const long msg_max = static_cast<long>(ReadSysctl("fs/mqueue/msg_max"));
  std::string why;
  const std::optional<mqd_t> reply = OpenQueue(reply_size, msg_max, why);
  if (!reply) return Skip(why);
  Channel c;
  c.cleanups.push_back([q = *reply] { mq_close(q); });
  const std::optional<mqd_t> data = OpenQueue(capacity, msg_max, why);
  if (!data) return Skip(why);
  c.cleanups.push_back([q = *data] { mq_close(q); });
  c.a = std::make_unique<PosixMqEndpoint>(capacity, true, *data, *reply,
                                          reply_size);
  c.b = std::make_unique<PosixMqEndpoint>(capacity, false, *reply, *data,
                                          capacity);
  return Ok(std::move(c));
}

// The ring geometry: slots of `size` bytes, up to 4 MiB a ring.
size_t RingSlots(size_t size) {
  return std::clamp<size_t>((size_t{4} << 20) / size, 2, 64);
}

// Semaphore indices: ring A->B full/empty, ring B->A full/empty.
constexpr int kAbFull = 0, kAbEmpty = 1, kBaFull = 2, kBaEmpty = 3;

// Lays the two rings out in `memory` (2 * slots * size bytes) and makes both
// endpoints over `sems`, whose empty counts must start at `slots`.
void MakeShmEndpoints(Channel& c, char* memory, size_t capacity, size_t slots) {
  const Ring ab{memory, slots, capacity, kAbFull, kAbEmpty};
  const Ring ba{memory + slots * capacity, slots, capacity, kBaFull, kBaEmpty};
  c.a = std::make_unique<ShmEndpoint>(capacity, true, c.sems.get(), ab, ba);
  c.b = std::make_unique<ShmEndpoint>(capacity, false, c.sems.get(), ba, ab);
}

Made MakeShmSysvSem(size_t capacity) {
  const size_t slots = RingSlots(capacity);
  const size_t bytes = 2 * slots * capacity;
  const int segment = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (segment < 0) return Skip(CallFailed("shmget", errno));
  void* memory = shmat(segment, nullptr, 0);
  const int attach_errno = errno;
  // Marked for removal now: it goes when both processes have detached.
  shmctl(segment, IPC_RMID, nullptr);
  if (memory == reinterpret_cast<void*>(-1)) {
    return Skip(CallFailed("shmat", attach_errno));
  }
  Channel c;
  c.cleanups.push_back([memory] { shmdt(memory); });
  const int set = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
  if (set < 0) return Skip(CallFailed("semget", errno));
  c.cleanups.push_back([set] { semctl(set, 0, IPC_RMID); });
  unsigned short values[4] = {0, static_cast<unsigned short>(slots), 0,
                              static_cast<unsigned short>(slots)};
  if (semctl(set, 0, SETALL, values) != 0) {
    return Skip(CallFailed("semctl(SETALL)", errno));
  }
  c.sems = std::make_unique<SysvSemaphores>(set);
  MakeShmEndpoints(c, static_cast<char*>(memory), capacity, slots);
  return Ok(std::move(c));
}

// Anonymous shared memory (MAP_SHARED | MAP_ANONYMOUS), inherited by B:
// the semaphores or futex words first, the rings behind them.
Made MakeShmMapped(size_t capacity, bool futex) {
  const size_t slots = RingSlots(capacity);
  const size_t header = 4096;
  static_assert(4 * sizeof(sem_t) <= 4096 && 4 * sizeof(FutexWord) <= 4096);
  const size_t bytes = header + 2 * slots * capacity;
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return Skip(CallFailed("mmap(MAP_SHARED)", errno));
  Channel c;
  c.cleanups.push_back([memory, bytes] { munmap(memory, bytes); });
  const unsigned initial[4] = {0, static_cast<unsigned>(slots), 0,
                               static_cast<unsigned>(slots)};
  if (futex) {
    auto* words = static_cast<FutexWord*>(memory);
    for (int i = 0; i < 4; ++i) {
      new (&words[i]) FutexWord{};
      words[i].count.store(initial[i]);
    }
    c.sems = std::make_unique<FutexSemaphores>(words);
  } else {
    auto* sems = static_cast<sem_t*>(memory);
    for (int i = 0; i < 4; ++i) {
      if (sem_init(&sems[i], /*pshared=*/1, initial[i]) != 0) {
        return Skip(CallFailed("sem_init", errno));
      }
    }
    c.cleanups.push_back([sems] {
      for (int i = 0; i < 4; ++i) sem_destroy(&sems[i]);
    });
    c.sems = std::make_unique<PosixSemaphores>(sems);
  }
  MakeShmEndpoints(c, static_cast<char*>(memory) + header, capacity, slots);
  return Ok(std::move(c));
}

// Gives a datagram or seqpacket socket room for messages of `size` bytes:
// an AF_UNIX message must fit the sender's SO_SNDBUF (unix(7)). SO_SNDBUFFORCE
// (CAP_NET_ADMIN) passes net.core.wmem_max; without it SO_SNDBUF is capped.
void RoomForMessages(int fd, size_t size) {
  const int want = static_cast<int>(std::max<size_t>(4 * size, 262144));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
}

Made MakeUnixSocket(size_t capacity, int type) {
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
    return Skip(CallFailed("socketpair", errno));
  }
  Channel c;
  c.a_fds.emplace_back(sv[0]);
  c.b_fds.emplace_back(sv[1]);
  if (type == SOCK_STREAM) {
    c.a = std::make_unique<StreamEndpoint>(capacity, true, sv[0], sv[0]);
    c.b = std::make_unique<StreamEndpoint>(capacity, false, sv[1], sv[1]);
  } else {
    RoomForMessages(sv[0], capacity);
    RoomForMessages(sv[1], capacity);
    c.a = std::make_unique<MessageSocketEndpoint>(capacity, true, sv[0]);
    c.b = std::make_unique<MessageSocketEndpoint>(capacity, false, sv[1]);
  }
  return Ok(std::move(c));
}

// Latency is the subject, so no Nagle delay on either end (tcp(7)).
void NoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Made MakeTcpLoopback(size_t capacity) {
  Fd client, server;
  try {
    ipc::TcpSocket listener =
        ipc::TcpSocket::Listen(ipc::InetAddress::Loopback4(), 1);
    // The handshake completes in connect, so accept does not wait.
    client = Fd(ipc::TcpSocket::Connect(listener.LocalAddress()).Release());
    server = Fd(listener.Accept().Release());
  } catch (const std::system_error& error) {
    return Skip(std::string("TCP loopback: ") + error.what());
  }
  NoDelay(client.get());
  NoDelay(server.get());
  Channel c;
  c.a = std::make_unique<StreamEndpoint>(capacity, true, client.get(),
                                         client.get());
  c.b = std::make_unique<StreamEndpoint>(capacity, false, server.get(),
                                         server.get());
  c.a_fds.push_back(std::move(client));
  c.b_fds.push_back(std::move(server));
  return Ok(std::move(c));
}

// --- The peer's loops -------------------------------------------------------

// B's part, in the forked child: returns its exit code (0 only when A went
// away, which ends every loop).
int PeerExit(int r) {
  if (r == kPeerGone) return 0;
  if (r == kShort) return ErrnoExit(EMSGSIZE);
  return ErrnoExit(r > 0 ? r : EIO);
}

int EchoLoop(Endpoint& b, size_t size) {
  for (;;) {
    if (const int r = b.Receive(size)) return PeerExit(r);
    std::memcpy(b.send_bytes(), b.receive_bytes(), size);
    if (const int r = b.Send(size)) return PeerExit(r);
  }
}

int SinkLoop(Endpoint& b, size_t size, size_t batch) {
  b.send_bytes()[0] = 'k';
  for (;;) {
    for (size_t i = 0; i < batch; ++i) {
      if (const int r = b.Receive(size)) return PeerExit(r);
    }
    if (const int r = b.Send(1)) return PeerExit(r);
  }
}

// --- Running one benchmark --------------------------------------------------

enum class Kind { kLatency, kThroughput };

// Why A's Send/Receive stopped, for SkipWithError.
std::string Describe(int r, const char* what) {
  std::string text = std::string(what) + ": ";
  if (r == kPeerGone) {
    text += "the peer went away";
    if (g_peer_status) text += " (" + DescribeChildExit(*g_peer_status) + ")";
  } else if (r == kStuck) {
    text += "no progress within " + std::to_string(kStuckAfter.count()) +
            " ms (peer alive)";
  } else if (r == kShort) {
    text += "a message of another size arrived";
  } else if (r == EMSGSIZE) {
    text += "EMSGSIZE: the message exceeds the channel's limit";
  } else {
    text += ErrnoName(r);
  }
  return text;
}

// Extra detail on EMSGSIZE from a socket: the send buffer the kernel gave.
std::string SocketLimit(const Channel& c) {
  if (c.a_fds.empty()) return "";
  int sndbuf = 0;
  socklen_t length = sizeof(sndbuf);
  if (getsockopt(c.a_fds[0].get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &length) !=
      0) {
    return "";
  }
  std::string text = " (SO_SNDBUF " + std::to_string(sndbuf);
  try {
    text += ", net.core.wmem_max " +
            std::to_string(ReadSysctl("net/core/wmem_max"));
  } catch (...) {
  }
  return text + ")";
}

// A's loop, timed by Google Benchmark. `peer_body` runs in B (a fork, or a
// host of kit/netns_host.h whose child is `peer`).
void Measure(benchmark::State& state, Kind kind, Channel& c,
             ipc::ChildProcess& peer) {
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t batch = BatchMessages(size);
  g_peer = &peer;
  g_peer_status.reset();
  {
    ScopedTicker ticker;
    Endpoint& a = *c.a;
    int r = 0;
    const char* what = "";
    for (auto _ : state) {
      if (kind == Kind::kLatency) {
        if ((r = a.Send(size)) != 0) {
          what = "send";
          break;
        }
        if ((r = a.Receive(size)) != 0) {
          what = "receive";
          break;
        }
      } else {
        for (size_t i = 0; i < batch && r == 0; ++i) r = a.Send(size);
        if (r != 0) {
          what = "send";
          break;
        }
        if ((r = a.Receive(1)) != 0) {
          what = "acknowledgement";
          break;
        }
      }
    }
    if (r != 0) {
      std::string text = Describe(r, what);
      if (r == EMSGSIZE || r == ENOBUFS) text += SocketLimit(c);
      state.SkipWithError(text.c_str());
    } else if (kind == Kind::kLatency &&
               std::memcmp(a.receive_bytes(), a.send_bytes(), size) != 0) {
      state.SkipWithError("the echo differs from the message sent");
    }
  }
  g_peer = nullptr;
  if (kind == Kind::kLatency) {
    state.counters["bytes"] = static_cast<double>(size);
  } else {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                            static_cast<int64_t>(batch * size));
    state.counters["messages_per_ack"] = static_cast<double>(batch);
  }
  state.counters["pinned"] = PinningAvailable() ? 1 : 0;
}

// B's body: pinned to the peer CPU, then the loop.
int PeerBody(Kind kind, Endpoint& b, size_t size) {
  if (PinningAvailable() && PinToCpu(PeerCpu()) != 0) return ErrnoExit();
  return kind == Kind::kLatency ? EchoLoop(b, size)
                                : SinkLoop(b, size, BatchMessages(size));
}

using Maker = Made (*)(size_t capacity);

void RunForked(benchmark::State& state, Kind kind, Maker make) {
  const size_t size = static_cast<size_t>(state.range(0));
  Made made = make(size);
  if (!made.channel) {
    state.SkipWithError(made.skip.c_str());
    for (auto _ : state) {
    }
    return;
  }
  Channel& c = *made.channel;
  std::vector<char> pattern = Pattern(size, static_cast<unsigned>(size));
  std::memcpy(c.a->send_bytes(), pattern.data(), size);
  ipc::ChildProcess peer = ipc::ChildProcess::Fork([&] {
    for (Fd& fd : c.a_fds) close(fd.get());
    return PeerBody(kind, *c.b, size);
  });
  c.b_fds.clear();
  Measure(state, kind, c, peer);
  // B loops until killed (or until it saw A's ends close); reap it either
  // way before the channel's objects go.
  c.a_fds.clear();
  if (!peer.reaped() && !g_peer_status) peer.Kill();
}

Made MakeSysvMsgForSize(size_t capacity) { return MakeSysvMsg(capacity); }
Made MakePosixMqLatency(size_t capacity) {
  return MakePosixMq(capacity, capacity);
}
Made MakePosixMqThroughput(size_t capacity) { return MakePosixMq(capacity, 1); }
Made MakeShmSysv(size_t capacity) { return MakeShmSysvSem(capacity); }
Made MakeShmPosix(size_t capacity) { return MakeShmMapped(capacity, false); }
Made MakeShmFutex(size_t capacity) { return MakeShmMapped(capacity, true); }
Made MakeUnixStream(size_t capacity) {
  return MakeUnixSocket(capacity, SOCK_STREAM);
}
Made MakeUnixSeqpacket(size_t capacity) {
  return MakeUnixSocket(capacity, SOCK_SEQPACKET);
}
Made MakeUnixDgram(size_t capacity) {
  return MakeUnixSocket(capacity, SOCK_DGRAM);
}

// --- TCP across two network namespaces --------------------------------------

// Receives either a descriptor or, when the hosts could not be made, the
// reason as text, within `timeout`.
Fd ReceiveFdOrReason(int via, std::chrono::milliseconds timeout,
                     std::string& reason) {
  pollfd p{via, POLLIN, 0};
  const int ready = poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) {
    reason = ready == 0 ? "no connection from host A within " +
                              std::to_string(timeout.count()) + " ms"
                        : CallFailed("poll", errno);
    return Fd();
  }
  char text[1024];
  iovec iov{text, sizeof(text) - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(via, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) {
    reason = n == 0 ? "the hosts' keeper exited without a word"
                    : CallFailed("recvmsg", errno);
    return Fd();
  }
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg != nullptr && cmsg->cmsg_type == SCM_RIGHTS) {
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return Fd(fd);
  }
  reason = std::string(text, static_cast<size_t>(n));
  return Fd();
}

constexpr uint16_t kNetnsPort = 47022;

// Host A: connects to B, hands the connected socket to the benchmark
// process through `via`, and waits until the benchmark closes `via`.
int HostA(const HostInfo& host, int via) {
  char go;
  // B says when it listens.
  if (read(host.peer_fd, &go, 1) != 1) return ErrnoExit(EPIPE);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoExit();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kNetnsPort);
  address.sin_addr = host.peer_address;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    return ErrnoExit();
  }
  NoDelay(fd);
  if (!SendFd(via, fd)) return ErrnoExit();
  close(fd);
  while (read(via, &go, 1) > 0) {
  }
  return 0;
}

// Host B: listens, accepts A's connection and runs the peer loop on it.
int HostB(const HostInfo& host, Kind kind, size_t size) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return ErrnoExit();
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kNetnsPort);
  address.sin_addr = host.address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
          0 ||
      listen(listener, 1) != 0) {
    return ErrnoExit();
  }
  if (write(host.peer_fd, "l", 1) != 1) return ErrnoExit();
  const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return ErrnoExit();
  close(listener);
  NoDelay(fd);
  StreamEndpoint b(size, false, fd, fd);
  return PeerBody(kind, b, size);
}

void RunNetns(benchmark::State& state, Kind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    const std::string why = CallFailed("socketpair", errno);
    state.SkipWithError(why.c_str());
    for (auto _ : state) {
    }
    return;
  }
  Fd ours(sv[0]);
  Fd theirs(sv[1]);
  // The keeper makes the two hosts (kit/netns_host.h) and reports why not
  // when it cannot; the benchmark process itself never changes namespace.
  ipc::ChildProcess keeper = ipc::ChildProcess::Fork([&] {
    close(ours.get());
    const int via = theirs.get();
    const TwoHostsResult result = RunOnTwoHosts(
        [via](const HostInfo& host) { return HostA(host, via); },
        [kind, size](const HostInfo& host) { return HostB(host, kind, size); },
        std::chrono::milliseconds(600000));
    if (!result.ran()) {
      const std::string why =
          result.unavailable ? "no two network namespaces joined by veth: " +
                                   *result.unavailable
                             : "setting up two network namespaces failed: " +
                                   result.setup_failure;
      send(via, why.data(), std::min<size_t>(why.size(), 1000), MSG_NOSIGNAL);
      return 1;
    }
    return 0;
  });
  theirs.Reset();
  std::string reason;
  Fd client =
      ReceiveFdOrReason(ours.get(), std::chrono::milliseconds(30000), reason);
  if (client.get() < 0) {
    state.SkipWithError(reason.c_str());
    for (auto _ : state) {
    }
    ours.Reset();
    if (!ReapWithin(keeper, std::chrono::milliseconds(30000))) keeper.Kill();
    return;
  }
  Channel c;
  c.a =
      std::make_unique<StreamEndpoint>(size, true, client.get(), client.get());
  std::vector<char> pattern = Pattern(size, static_cast<unsigned>(size));
  std::memcpy(c.a->send_bytes(), pattern.data(), size);
  Measure(state, kind, c, keeper);
  // Closing the connection ends B's loop, closing `ours` ends A's wait; the
  // keeper then returns.
  client.Reset();
  ours.Reset();
  if (!keeper.reaped() && !g_peer_status &&
      !ReapWithin(keeper, std::chrono::milliseconds(30000))) {
    keeper.Kill();
  }
}

// --- Registration -----------------------------------------------------------

void Register(const char* mechanism, Maker latency, Maker throughput) {
  const std::string l = std::string("latency/") + mechanism;
  const std::string t = std::string("throughput/") + mechanism;
  benchmark::RegisterBenchmark(l.c_str(),
                               [latency](benchmark::State& state) {
                                 RunForked(state, Kind::kLatency, latency);
                               })
      ->Apply(StandardSizes)
      ->UseRealTime();
  benchmark::RegisterBenchmark(t.c_str(),
                               [throughput](benchmark::State& state) {
                                 RunForked(state, Kind::kThroughput,
                                           throughput);
                               })
      ->Apply(StandardSizes)
      ->UseRealTime();
}

const bool registered = [] {
  Register("pipe", MakePipe, MakePipe);
  Register("fifo", MakeFifo, MakeFifo);
  Register("sysv_msg", MakeSysvMsgForSize, MakeSysvMsgForSize);
  Register("posix_mq", MakePosixMqLatency, MakePosixMqThroughput);
  Register("shm_sysv_sem", MakeShmSysv, MakeShmSysv);
  Register("shm_posix_sem", MakeShmPosix, MakeShmPosix);
  Register("shm_futex", MakeShmFutex, MakeShmFutex);
  Register("unix_stream", MakeUnixStream, MakeUnixStream);
  Register("unix_seqpacket", MakeUnixSeqpacket, MakeUnixSeqpacket);
  Register("unix_dgram", MakeUnixDgram, MakeUnixDgram);
  Register("tcp_loopback", MakeTcpLoopback, MakeTcpLoopback);
  benchmark::RegisterBenchmark(
      "latency/tcp_netns",
      [](benchmark::State& state) { RunNetns(state, Kind::kLatency); })
      ->Apply(StandardSizes)
      ->UseRealTime();
  benchmark::RegisterBenchmark(
      "throughput/tcp_netns",
      [](benchmark::State& state) { RunNetns(state, Kind::kThroughput); })
      ->Apply(StandardSizes)
      ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace ipcproof

int main(int argc, char** argv) { return ipcproof::RunBenchmarks(argc, argv); }

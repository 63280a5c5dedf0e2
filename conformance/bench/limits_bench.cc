// The limits the channels of ipc_bench are measured against, and what the
// ipc/ wrappers cost over raw system calls (issue 22):
//
//   memcpy/single_core/<size>   one core's memcpy bandwidth (bytes_per_second)
//                               at ipc_bench's sizes: a channel that copies
//                               each byte twice (user -> kernel -> user)
//                               cannot beat half of it.
//   syscall/empty/0             the cost of the cheapest real system call,
//                               syscall(SYS_getppid) (no vDSO path: getppid
//                               has none, and syscall(2) bypasses glibc's
//                               caching), ns per call: the floor under every
//                               per-message figure.
//   zerocopy/<transfer>/<size>  file -> socket by read+write, mmap+write,
//                               sendfile and splice, over a Unix stream
//                               socketpair and TCP loopback, named as in
//                               conformance/kit/named_transfers.h
//                               ("unix_socket.sendfile", ...), one-way
//                               bytes_per_second up to the receiver's buffer.
//                               The receiver copies every path's bytes out
//                               once, so the paths differ less in throughput
//                               than in the sender's own CPU time: the JSON's
//                               cpu_time (this process, the sender) beside
//                               real_time shows what each path saves.
//   wrapper/<mechanism>_raw/<size> and wrapper/<mechanism>_ipc/<size>
//                               the same round trip by raw system calls and
//                               by the ipc/ wrappers (pipe, sysv, posix:
//                               their span forms, allocation-free; and
//                               sysv_msgbuf: SysvMessageBuffer, copy-free),
//                               so the runner prints ipc/raw
//                               (conformance/bench/wrapper_loops.h).
//
// Every benchmark reports real time (UseRealTime): the zero-copy ones span
// two processes, and one clock for all keeps the figures comparable.
//
//   tools/bazel run -c opt //conformance/bench:limits_bench -- ARGS
// main() is bench_main's: a private IPC namespace, the process pinned to
// CPU 0 (a zero-copy receiver pins itself to CPU 1), --ipcproof_smoke for
// one iteration of each benchmark at its smallest size.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "benchmark/benchmark.h"
#include "conformance/bench/bench_main.h"
#include "conformance/bench/wrapper_loops.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/tcp_socket.h"
#include "ipc/unique_fd.h"

namespace ipcproof::bench {
namespace {

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

// `size` bytes (at least one page) at the start of their own page-aligned
// allocation, every page written once so that no first-touch fault lands in
// a timed loop.
class PageBuffer {
 public:
  explicit PageBuffer(size_t size, unsigned char fill)
      : length_(std::max(PageSize(),
                         (size + PageSize() - 1) / PageSize() * PageSize())),
        bytes_(static_cast<char*>(
            ::operator new (length_, std::align_val_t{4096}))) {
    std::memset(bytes_, fill, length_);
  }
  ~PageBuffer() { ::operator delete (bytes_, std::align_val_t{4096}); }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  char* data() const { return bytes_; }

 private:
  size_t length_;
  char* bytes_;
};

// ---------------------------------------------------------------- memcpy

// Source and destination are separate page-aligned buffers of `size` bytes
// rounded up to whole pages: both start at page offset 0, so the copy never
// meets the 4 KiB aliasing slowdown of `rep movsb` on this project's AMD
// CPUs (ipc/placed_buffer.h, WHY PLACEMENT MATTERS), and they never overlap.
// They are reused every iteration, as ipc_bench's message buffers are: at
// each size the copy runs from the cache level that size fits, the same
// level a channel's copies of that size run from, so memcpy/2 bounds the
// channel at that size.
void BM_Memcpy(benchmark::State& state) {
  const size_t size = Size(state);
  const PageBuffer source(size, 0x5a);
  const PageBuffer destination(size, 0);
  char* const to = destination.data();
  const char* const from = source.data();
  benchmark::DoNotOptimize(to);
  benchmark::DoNotOptimize(from);
  for (auto _ : state) {
    std::memcpy(to, from, size);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_Memcpy)
    ->Name("memcpy/single_core")
    ->Apply(StandardSizes)
    ->UseRealTime();

// --------------------------------------------------------------- syscall

void BM_EmptySyscall(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(::syscall(SYS_getppid));
  }
}

BENCHMARK(BM_EmptySyscall)
    ->Name("syscall/empty")
    ->Apply([](benchmark::internal::Benchmark* b) { BenchSizes(b, {0}); })
    ->UseRealTime();

// -------------------------------------------------------------- zerocopy

// Each half's deadline: the receiver's alarm(2), re-armed on every message,
// and the sender's SO_SNDTIMEO and wait for each acknowledgement. A live
// peer answers in milliseconds; a dead or stuck one ends the benchmark with
// SkipWithError within this, never a hang.
constexpr int kDeadlineSeconds = 10;

// The most bytes one call moves, as in named_transfers.h's TransferSetup
// (chunk): also the receiver's buffer.
constexpr size_t kChunk = 64 * 1024;

enum class Method { kReadWrite, kMmapWrite, kSendfile, kSplice };
enum class Family { kUnix, kTcp };

// The source: an unlinked file of `size` bytes (nothing to leak, however the
// process ends), written once before timing, so every method reads it from
// the page cache.
std::optional<ipc::UniqueFd> MakeSourceFile(size_t size, std::string* error) {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") +
      "/ipcproof-limits-XXXXXX";
  ipc::UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
  if (!fd) {
    *error = "mkostemp(" + path + ") failed with " + ErrnoText(errno);
    return std::nullopt;
  }
  ::unlink(path.c_str());
  const PageBuffer chunk(kChunk, 0xa5);
  for (size_t done = 0; done < size;) {
    const size_t n = std::min(kChunk, size - done);
    const ssize_t wrote = ::write(fd.get(), chunk.data(), n);
    if (wrote <= 0) {
      *error = "write(source file) failed with " + ErrnoText(errno);
      return std::nullopt;
    }
    done += static_cast<size_t>(wrote);
  }
  return fd;
}

// A connected pair of stream sockets {sender, receiver}, or nullopt with
// the failed call in `error`.
std::optional<std::pair<ipc::UniqueFd, ipc::UniqueFd>> SocketPair(
    Family family, std::string* error) {
  auto failed = [error](const std::string& call) {
    *error = call + " failed with " + ErrnoText(errno);
    return std::nullopt;
  };
  if (family == Family::kUnix) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return failed("socketpair(AF_UNIX, SOCK_STREAM)");
    }
    return std::pair{ipc::UniqueFd(fds[0]), ipc::UniqueFd(fds[1])};
  }
  // TCP over this network namespace's loopback, port chosen by the kernel
  // (the ipc/ wrappers: their errors name the call and the address).
  try {
    ipc::TcpSocket listener =
        ipc::TcpSocket::Listen(ipc::InetAddress::Loopback4(), 1);
    // A loopback connect completes against the listen backlog at once.
    ipc::TcpSocket client = ipc::TcpSocket::Connect(listener.LocalAddress());
    ipc::TcpSocket server = listener.Accept();
    // The receiver's one-byte acknowledgement and the sender's last short
    // segment go out at once instead of waiting on Nagle's algorithm.
    const int one = 1;
    for (const int fd : {client.fd(), server.fd()}) {
      if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        return failed("setsockopt(TCP_NODELAY)");
      }
    }
    return std::pair{ipc::UniqueFd(client.Release()),
                     ipc::UniqueFd(server.Release())};
  } catch (const std::system_error& error_from_ipc) {
    *error = error_from_ipc.what();
    return std::nullopt;
  }
}

// The receiving process: reads the socket into its buffer (one copy, the
// bytes then dropped, so the figure is the sender's path and the socket's,
// not a sink's) and writes one acknowledgement byte for each `message`
// bytes. Async-signal-safe after the fork: raw system calls only, exit codes
// 0 (end of stream) or 100 + errno of the failed call.
class Receiver {
 public:
  // `socket` is the receiver's end (closed in the parent once forked);
  // `sender` the parent's, which the child closes so that the parent's close
  // is the end of the stream.
  Receiver(ipc::UniqueFd socket, int sender, size_t message,
           const PageBuffer& buffer) {
    pid_ = ::fork();
    if (pid_ != 0) return;  // the parent (or fork failed: pid_ < 0)
    ::close(sender);
    if (PinningAvailable()) PinToCpu(PeerCpu());
    ::signal(SIGALRM, SIG_DFL);
    ::alarm(kDeadlineSeconds);
    size_t unacknowledged = 0;
    for (;;) {
      const ssize_t n = ::read(socket.get(), buffer.data(), kChunk);
      if (n < 0) ::_exit(100 + std::min(errno, 155));
      if (n == 0) ::_exit(0);
      unacknowledged += static_cast<size_t>(n);
      while (unacknowledged >= message) {
        unacknowledged -= message;
        const char ack = 1;
        if (::write(socket.get(), &ack, 1) != 1)
          ::_exit(100 + std::min(errno, 155));
        ::alarm(kDeadlineSeconds);
      }
    }
  }
  ~Receiver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  bool started() const { return pid_ > 0; }
  // Waits for the receiver, which ends at the end of the stream (the caller
  // closed every sending copy first) or at its alarm; "" when it exited 0,
  // else how it ended.
  std::string Wait() {
    int status = 0;
    const pid_t pid = std::exchange(pid_, -1);
    if (::waitpid(pid, &status, 0) != pid) {
      return "waitpid(receiver) failed with " + ErrnoText(errno);
    }
    return Describe(status);
  }
  // After the sender failed: how the receiver ended if it already has (""
  // if it is still running), and in any case kills and reaps it, since a
  // stopped or stuck receiver would never reach its alarm's end.
  std::string Abandon() {
    int status = 0;
    const pid_t pid = std::exchange(pid_, -1);
    if (::waitpid(pid, &status, WNOHANG) == pid) return Describe(status);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return "";
  }

 private:
  static std::string Describe(int status) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
      return "the receiver's read/write failed with " +
             ErrnoText(WEXITSTATUS(status) - 100);
    }
    if (WIFSIGNALED(status)) {
      return "the receiver was killed by signal " +
             std::to_string(WTERMSIG(status)) +
             (WTERMSIG(status) == SIGALRM ? " (its deadline)" : "");
    }
    return "the receiver ended with status " + std::to_string(status);
  }

  pid_t pid_ = -1;
};

// The sender's half of one message: `size` bytes of the source file into
// `socket` by `method`; "" or the failed call.
class Sender {
 public:
  Sender(Method method, int source, int socket, size_t size)
      : method_(method),
        source_(source),
        socket_(socket),
        size_(size),
        buffer_(method == Method::kReadWrite ? kChunk : 0, 0) {
    if (method == Method::kSplice) pipe_.emplace(ipc::Pipe::Create(O_CLOEXEC));
  }

  std::string SendOne() {
    switch (method_) {
      case Method::kReadWrite:
        // Per chunk: pread(file) + write(socket) (pread: the file's offset
        // needs no lseek per message).
        for (size_t offset = 0; offset < size_;) {
          const ssize_t n =
              ::pread(source_, buffer_.data(), std::min(kChunk, size_ - offset),
                      static_cast<off_t>(offset));
          if (n <= 0) return Failure("pread(source)", n);
          if (std::string e = WriteAll(buffer_.data(), n); !e.empty()) {
            return e;
          }
          offset += static_cast<size_t>(n);
        }
        return "";
      case Method::kMmapWrite: {
        // Per message: mmap(file) and munmap; per chunk: write(socket) from
        // the mapping (named_transfers.h's mmap_write).
        void* map = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, source_, 0);
        if (map == MAP_FAILED) return Failure("mmap(source)", -1);
        std::string error;
        const char* bytes = static_cast<const char*>(map);
        for (size_t offset = 0; offset < size_ && error.empty();) {
          const size_t n = std::min(kChunk, size_ - offset);
          error = WriteAll(bytes + offset, n);
          offset += n;
        }
        if (::munmap(map, size_) != 0 && error.empty()) {
          return Failure("munmap", -1);
        }
        return error;
      }
      case Method::kSendfile: {
        // Per chunk: sendfile(socket, file, &offset, chunk).
        off_t offset = 0;
        while (static_cast<size_t>(offset) < size_) {
          const ssize_t n =
              ::sendfile(socket_, source_, &offset,
                         std::min(kChunk, size_ - static_cast<size_t>(offset)));
          if (n <= 0) return Failure("sendfile", n);
        }
        return "";
      }
      case Method::kSplice: {
        // Per chunk: splice(file -> pipe) + splice(pipe -> socket) until the
        // pipe is empty again (the pipe holds a chunk: 64 KiB by default).
        loff_t offset = 0;
        while (static_cast<size_t>(offset) < size_) {
          ssize_t n =
              ::splice(source_, &offset, pipe_->write_fd(), nullptr,
                       std::min(kChunk, size_ - static_cast<size_t>(offset)),
                       SPLICE_F_MOVE);
          if (n <= 0) return Failure("splice(file -> pipe)", n);
          while (n > 0) {
            const ssize_t out = ::splice(pipe_->read_fd(), nullptr, socket_,
                                         nullptr, n, SPLICE_F_MOVE);
            if (out <= 0) return Failure("splice(pipe -> socket)", out);
            n -= out;
          }
        }
        return "";
      }
    }
    return "unknown method";
  }

 private:
  static std::string Failure(const char* call, ssize_t result) {
    if (result == 0) return std::string(call) + " moved 0 bytes";
    return std::string(call) + " failed with " + ErrnoText(errno) +
           (errno == EAGAIN ? " (the send timeout passed)" : "");
  }

  std::string WriteAll(const char* data, size_t n) {
    while (n > 0) {
      const ssize_t done = ::write(socket_, data, n);
      if (done <= 0) return Failure("write(socket)", done);
      data += done;
      n -= static_cast<size_t>(done);
    }
    return "";
  }

  const Method method_;
  const int source_;
  const int socket_;
  const size_t size_;
  const PageBuffer buffer_;
  std::optional<ipc::Pipe> pipe_;
};

// "" when the receiver's acknowledgement arrived within the deadline.
std::string AwaitAcknowledgement(int socket) {
  pollfd ready{socket, POLLIN, 0};
  const int n = ::poll(&ready, 1, kDeadlineSeconds * 1000);
  if (n < 0) return "poll(socket) failed with " + ErrnoText(errno);
  if (n == 0) {
    return "no acknowledgement within " + std::to_string(kDeadlineSeconds) +
           " s";
  }
  char ack = 0;
  const ssize_t got = ::read(socket, &ack, 1);
  if (got < 0) return "read(acknowledgement) failed with " + ErrnoText(errno);
  if (got == 0) return "the receiver closed the socket before acknowledging";
  return "";
}

// One iteration: one message of Size(state) bytes from the file to the
// receiver's buffer, and its acknowledgement back.
void ZeroCopy(benchmark::State& state, Method method, Family family) {
  const size_t size = Size(state);
  std::string error;
  const std::optional<ipc::UniqueFd> source = MakeSourceFile(size, &error);
  if (!source) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::optional<std::pair<ipc::UniqueFd, ipc::UniqueFd>> sockets =
      SocketPair(family, &error);
  if (!sockets) {
    state.SkipWithError(error.c_str());
    return;
  }
  ipc::UniqueFd sender = std::move(sockets->first);
  const timeval timeout{kDeadlineSeconds, 0};
  if (::setsockopt(sender.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout,
                   sizeof timeout) != 0) {
    state.SkipWithError(
        ("setsockopt(SO_SNDTIMEO) failed with " + ErrnoText(errno)).c_str());
    return;
  }
  const PageBuffer receive_buffer(kChunk, 0);
  std::optional<Sender> send;
  try {
    send.emplace(method, source->get(), sender.get(), size);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  Receiver receiver(std::move(sockets->second), sender.get(), size,
                    receive_buffer);
  if (!receiver.started()) {
    state.SkipWithError(("fork failed with " + ErrnoText(errno)).c_str());
    return;
  }
  // Here the receiver's end is closed (moved into Receiver): a receiver
  // that dies makes the next send fail EPIPE at once.
  for (auto _ : state) {
    error = send->SendOne();
    if (error.empty()) error = AwaitAcknowledgement(sender.get());
    if (!error.empty()) break;
  }
  sender.Reset();  // the end of the stream: the receiver exits
  if (error.empty()) {
    error = receiver.Wait();
  } else if (const std::string receiver_end = receiver.Abandon();
             !receiver_end.empty()) {
    error += " (" + receiver_end + ")";
  }
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void ZeroCopySizes(benchmark::internal::Benchmark* b) {
  BenchSizes(b, {64 * 1024, 1024 * 1024, 16 * 1024 * 1024});
  b->UseRealTime();
}

#define IPCPROOF_ZEROCOPY(family_name, family, method_name, method)           \
  BENCHMARK_CAPTURE(ZeroCopy, family##method, Method::method, Family::family) \
      ->Name("zerocopy/" family_name "." method_name)                         \
      ->Apply(ZeroCopySizes)

IPCPROOF_ZEROCOPY("unix_socket", kUnix, "read_write", kReadWrite);
IPCPROOF_ZEROCOPY("unix_socket", kUnix, "mmap_write", kMmapWrite);
IPCPROOF_ZEROCOPY("unix_socket", kUnix, "sendfile", kSendfile);
IPCPROOF_ZEROCOPY("unix_socket", kUnix, "splice", kSplice);
IPCPROOF_ZEROCOPY("tcp_socket", kTcp, "read_write", kReadWrite);
IPCPROOF_ZEROCOPY("tcp_socket", kTcp, "mmap_write", kMmapWrite);
IPCPROOF_ZEROCOPY("tcp_socket", kTcp, "sendfile", kSendfile);
IPCPROOF_ZEROCOPY("tcp_socket", kTcp, "splice", kSplice);

#undef IPCPROOF_ZEROCOPY

// -------------------------------------------------------------- wrappers

std::optional<long> ReadLimit(const char* path) {
  std::ifstream in(path);
  long value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

bool WriteLimit(const char* path, long value) {
  std::ofstream out(path);
  out << value << '\n';
  out.flush();
  return static_cast<bool>(out);
}

// Makes `path` (a per-IPC-namespace sysctl) at least `size`: "" when it is
// (already, or raised here in the private namespace), else why not.
std::string LimitAtLeast(const char* path, size_t size) {
  const std::optional<long> limit = ReadLimit(path);
  if (!limit) return std::string("cannot read ") + path;
  if (static_cast<size_t>(*limit) >= size) return "";
  if (!InPrivateIpcNamespace()) {
    return std::string(path) + " is " + std::to_string(*limit) +
           ", and the benchmark is in the host's IPC namespace, whose limits "
           "it does not change";
  }
  if (!WriteLimit(path, static_cast<long>(size))) {
    return std::string(path) + " is " + std::to_string(*limit) +
           " and writing " + std::to_string(size) + " failed";
  }
  return "";
}

// A pipe that holds `size` bytes: F_SETPIPE_SZ where the default capacity
// (F_GETPIPE_SZ) is smaller; "" or why not.
std::string PipeHolding(ipc::Pipe& pipe, size_t size) {
  if (pipe.Capacity() >= size) return "";
  try {
    pipe.SetCapacity(size);
    return "";
  } catch (const std::exception& e) {
    const std::optional<long> max = ReadLimit("/proc/sys/fs/pipe-max-size");
    return std::string(e.what()) + " (fs/pipe-max-size " +
           (max ? std::to_string(*max) : std::string("unreadable")) + ")";
  }
}

// Runs `loop(state, channel, buffer)` on a channel `make` returns, turning
// a wrapper's exception into SkipWithError.
template <typename Make, typename Loop>
void RunPair(benchmark::State& state, Make make, Loop loop) {
  try {
    auto channel = make(state);
    if (!channel) return;  // make skipped
    const PlacedBuffer buffer(Size(state));
    loop(state, *channel, buffer);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

std::optional<ipc::Pipe> MakePipe(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  if (const std::string why = PipeHolding(pipe, Size(state)); !why.empty()) {
    state.SkipWithError(why.c_str());
    return std::nullopt;
  }
  return pipe;
}

// A System V queue's msg_qbytes is the namespace's msgmnb at its creation
// (msgget(2)), and msgsnd refuses a message above msgmax: both raised first.
std::optional<ipc::SysvMessageQueue> MakeSysvQueue(benchmark::State& state) {
  for (const char* path :
       {"/proc/sys/kernel/msgmax", "/proc/sys/kernel/msgmnb"}) {
    if (const std::string why = LimitAtLeast(path, Size(state)); !why.empty()) {
      state.SkipWithError(why.c_str());
      return std::nullopt;
    }
  }
  return ipc::SysvMessageQueue::Create();
}

// mq_open refuses an mq_msgsize above fs/mqueue/msgsize_max (EINVAL), and a
// queue whose bytes exceed RLIMIT_MSGQUEUE (EMFILE, mq_overview(7)): the
// soft limit is raised to the hard one where that is short.
std::optional<ipc::PosixMessageQueue> MakePosixQueue(benchmark::State& state) {
  const size_t size = Size(state);
  if (const std::string why =
          LimitAtLeast("/proc/sys/fs/mqueue/msgsize_max", size);
      !why.empty()) {
    state.SkipWithError(why.c_str());
    return std::nullopt;
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_MSGQUEUE, &limit) == 0 && limit.rlim_cur < 2 * size &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2 * size);
    ::setrlimit(RLIMIT_MSGQUEUE, &limit);
  }
  try {
    return BenchPosixQueue(size);
  } catch (const std::exception& e) {
    ::getrlimit(RLIMIT_MSGQUEUE, &limit);
    state.SkipWithError((std::string(e.what()) + " (RLIMIT_MSGQUEUE soft " +
                         std::to_string(limit.rlim_cur) + ", hard " +
                         std::to_string(limit.rlim_max) + ")")
                            .c_str());
    return std::nullopt;
  }
}

void BM_PipeRaw(benchmark::State& state) {
  RunPair(state, MakePipe, PipeRawLoop);
}
void BM_PipeIpc(benchmark::State& state) {
  RunPair(state, MakePipe, PipeWrapperLoop);
}
void BM_SysvRaw(benchmark::State& state) {
  RunPair(state, MakeSysvQueue, SysvRawLoop);
}
void BM_SysvIpc(benchmark::State& state) {
  RunPair(state, MakeSysvQueue, SysvWrapperIntoLoop);
}
// The same round trips again, against the copy-free SysvMessageBuffer form
// (sysv_ipc above is Send(span) + ReceiveInto(span), which packs each
// message behind its type and copies it out: two copies of the wrapper's
// own per message).
void BM_SysvMsgbufIpc(benchmark::State& state) {
  RunPair(state, MakeSysvQueue,
          [](benchmark::State& s, ipc::SysvMessageQueue& queue,
             const PlacedBuffer&) { SysvWrapperBufferLoop(s, queue); });
}
void BM_PosixRaw(benchmark::State& state) {
  RunPair(state, MakePosixQueue, PosixRawLoop);
}
void BM_PosixIpc(benchmark::State& state) {
  RunPair(state, MakePosixQueue, PosixWrapperIntoLoop);
}

void WrapperSizes(benchmark::internal::Benchmark* b) {
  StandardSizes(b);
  b->UseRealTime();
}

BENCHMARK(BM_PipeRaw)->Name("wrapper/pipe_raw")->Apply(WrapperSizes);
BENCHMARK(BM_PipeIpc)->Name("wrapper/pipe_ipc")->Apply(WrapperSizes);
BENCHMARK(BM_SysvRaw)->Name("wrapper/sysv_raw")->Apply(WrapperSizes);
BENCHMARK(BM_SysvIpc)->Name("wrapper/sysv_ipc")->Apply(WrapperSizes);
BENCHMARK(BM_SysvRaw)->Name("wrapper/sysv_msgbuf_raw")->Apply(WrapperSizes);
BENCHMARK(BM_SysvMsgbufIpc)
    ->Name("wrapper/sysv_msgbuf_ipc")
    ->Apply(WrapperSizes);
BENCHMARK(BM_PosixRaw)->Name("wrapper/posix_raw")->Apply(WrapperSizes);
BENCHMARK(BM_PosixIpc)->Name("wrapper/posix_ipc")->Apply(WrapperSizes);

}  // namespace
}  // namespace ipcproof::bench

int main(int argc, char** argv) { return ipcproof::RunBenchmarks(argc, argv); }

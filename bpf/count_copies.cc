// count_copies: runs a few known transfers of its own and prints the copies
// between user and kernel space the eBPF copy counter (bpf/copy_counter.h)
// counted for them, by one method or both, beside what each transfer must
// copy. A debugging tool for a kernel under test:
//
//   tools/bazel run //tools/kernels:kernel_run -- --kernel linux-6.12
//       --out /tmp/k612 --binary bazel-bin/bpf/count_copies
//   bazel-bin/bpf/count_copies [--method page_faults|fentry|both]
//       [--size BYTES] [--chunk BYTES]
//
// Every transfer moves --size bytes (default 1 MiB) of a source file. A
// (this process, label 1) sends; B (a forked child, label 2) receives into
// a sink file where a transfer has two halves:
//   file           A: read(file) + write(file)
//   pipe           A: read(file) + write(pipe); B: read(pipe) + write(file)
//   pipe.vectored  A: read(file) + writev(pipe); B: readv(pipe) + write(file)
//                  (two iovecs each: ITER_IOVEC iterators, not ITER_UBUF)
//   pipe.splice    A: splice(file -> pipe); B: splice(pipe -> file)
//   sysv_msg       A: read(file) + msgsnd; B: msgrcv + write(file)
//   posix_mq       A: read(file) + mq_send; B: mq_receive + write(file)
//                  (queues in a private IPC namespace: unshare(CLONE_NEWIPC))
//   shared_memory  A: read(file) into MAP_SHARED memory;
//                  B: write(file) out of it
//   unix_socket.*, tcp_socket.* (a socketpair; TCP over 127.0.0.1):
//     .read_write  A: read(file) + write(socket)
//     .mmap_write  A: write(socket) from a mapping of the file
//     .sendfile    A: sendfile(socket, file)
//     .splice      A: splice(file -> pipe) + splice(pipe -> socket)
//                  B, every time: recv(socket, MSG_WAITALL) + write(file)
// Every user buffer is a FaultingBuffer (the mapping a PerPageFileMapping)
// dropped before each call that copies through it, so the page-fault method
// sees every page; chunks are whole pages, so both methods count exact bytes.
//
// Output: per transfer, each method's DescribeCopies and a line that says
// whether the user copies are the transfer's known ones and whether the two
// methods agree; a compact summary last (the kernel runner keeps only the
// output's tail). The full report also goes to the file of
// --gtest_output=xml:PATH (the kernel runner passes it), as a test report
// with one test case per transfer. Other unknown arguments are ignored.
//
// Exit status: 0 when every method asked for loaded and attached and every
// transfer delivered its bytes intact; 1 when a method did not load (its
// reason is printed); 2 when a transfer failed; 64 for a usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpf/copy_counter.h"
#include "bpf/fault_buffer.h"
#include "bpf/function_copies.h"

namespace ipcproof::bpf {
namespace {

constexpr uint32_t kSender = 1;
constexpr uint32_t kReceiver = 2;
// Each half's deadline (TCG guests are slow; 1 MiB takes well under 1 s).
constexpr unsigned kDeadlineSeconds = 60;

// Exit codes of the usage and outcomes (see the header comment).
constexpr int kExitMethodUnavailable = 1;
constexpr int kExitTransferFailed = 2;
constexpr int kExitUsage = 64;

// Failure codes of the halves beside errno values (which stay below 200).
constexpr int kEndedEarly = 200;  // the source or the stream ended early
constexpr int kNoProgress = 201;  // a write, send or splice moved 0 bytes
constexpr int kTooManyCalls = 202;

std::string ErrnoText(int error) {
  const char* name = ::strerrorname_np(error);
  return std::string(name != nullptr ? name
                                     : "errno " + std::to_string(error)) +
         " (" + std::strerror(error) + ")";
}

std::string CodeText(int code) {
  switch (code) {
    case kEndedEarly:
      return "the data ended early";
    case kNoProgress:
      return "a call moved 0 bytes";
    case kTooManyCalls:
      return "more calls than the bytes allow";
  }
  return "a call failed with " + ErrnoText(code);
}

// --- the counters ----------------------------------------------------------

struct Method {
  CopyMethod method;
  std::unique_ptr<CopyCounter> counter;  // null when it did not load
  std::string unavailable;               // why not
};

// Every loaded counter follows the calling process under `label`: one
// marker call each, async-signal-safe (called first thing in B).
void FollowAll(const std::vector<Method>& methods, uint32_t label) noexcept {
  for (const Method& method : methods) {
    if (method.counter) method.counter->Follow(label);
  }
}

// --- files and descriptors ---------------------------------------------------

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A file in $TMPDIR (or /tmp), removed on destruction.
class TempFile {
 public:
  explicit TempFile(const char* stem) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir ? dir : "/tmp") + "/" + stem +
            ".XXXXXX";
    const int fd = ::mkostemp(path_.data(), O_CLOEXEC);
    if (fd < 0) {
      throw std::runtime_error("mkostemp(" + path_ + "): " + ErrnoText(errno));
    }
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<char> PatternBytes(size_t size) {
  std::vector<char> bytes(size);
  uint32_t state = 0x9e3779b9u;
  for (char& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

bool ReadWholeFile(const std::string& path, std::vector<char>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
  return true;
}

// --- the halves' loops (async-signal-safe: B runs them after fork) ---------

// Writes all `n` bytes of `data` (inside `buffer`), dropping the buffer's
// pages before each call. 0 or a failure code.
template <typename Buffer>
int WriteAll(int fd, const Buffer& buffer, const char* data, size_t n) {
  for (size_t calls = 0; n > 0; ++calls) {
    if (calls > buffer.size()) return kTooManyCalls;
    if (const int error = buffer.Drop()) return error;
    const ssize_t done = ::write(fd, data, n);
    if (done < 0) return errno;
    if (done == 0) return kNoProgress;
    data += done;
    n -= static_cast<size_t>(done);
  }
  return 0;
}

// B of a stream: read(from) into `buffer` + write(sink) until the end. A
// socket is read with recv(MSG_WAITALL): a whole buffer per call (but the
// last), as a pipe's page-sized buffers give by themselves, so no page is
// copied into or out of twice by two calls (the page-fault method counts
// pages, not bytes).
int ReceiveStream(int from, int sink, const FaultingBuffer& buffer, size_t size,
                  bool socket) {
  for (size_t calls = 0; calls <= size + 1; ++calls) {
    if (const int error = buffer.Drop()) return error;
    const ssize_t n =
        socket ? ::recv(from, buffer.data(), buffer.size(), MSG_WAITALL)
               : ::read(from, buffer.data(), buffer.size());
    if (n < 0) return errno;
    if (n == 0) return 0;
    if (const int code = WriteAll(sink, buffer, buffer.data(), n)) return code;
  }
  return kTooManyCalls;
}

// A of a stream: read(source) into `buffer` + write(to), `size` bytes.
int SendByReadWrite(int source, int to, const FaultingBuffer& buffer,
                    size_t size) {
  for (size_t sent = 0, calls = 0; sent < size; ++calls) {
    if (calls > size) return kTooManyCalls;
    if (const int error = buffer.Drop()) return error;
    const ssize_t n =
        ::read(source, buffer.data(), std::min(buffer.size(), size - sent));
    if (n < 0) return errno;
    if (n == 0) return kEndedEarly;
    if (const int code = WriteAll(to, buffer, buffer.data(), n)) return code;
    sent += static_cast<size_t>(n);
  }
  return 0;
}

// splice(2) all `n` bytes from `from` to `to`.
int SpliceAll(int from, int to, size_t n) {
  for (size_t calls = 0; n > 0; ++calls) {
    if (calls > n) return kTooManyCalls;
    const ssize_t done = ::splice(from, nullptr, to, nullptr, n, SPLICE_F_MOVE);
    if (done < 0) return errno;
    if (done == 0) return kNoProgress;
    n -= static_cast<size_t>(done);
  }
  return 0;
}

// --- running one transfer ---------------------------------------------------

struct Setup {
  const std::vector<Method>* methods;
  std::string source_path;
  std::string sink_path;
  size_t size;
  size_t chunk;
  size_t page;
};

// What a transfer's run function returns: "" on success; "unavailable: ..."
// when this machine cannot offer the channel; anything else is a failure.
using Outcome = std::string;
constexpr std::string_view kUnavailable = "unavailable: ";

Fd OpenOrThrow(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("open(" + path + "): " + ErrnoText(errno));
  }
  return Fd(fd);
}

// Forks B, which calls `receive` (returning 0 or a failure code) under its
// own deadline and exits with what it returned.
template <typename Receive>
pid_t StartReceiver(Receive receive) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(kDeadlineSeconds);
    ::_exit(receive());
  }
  if (pid < 0) {
    throw std::runtime_error("fork(the receiver): " + ErrnoText(errno));
  }
  return pid;
}

// Waits for B (interrupted by A's SIGALRM deadline: B is killed).
Outcome Reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "waitpid(the receiver): " + ErrnoText(errno);
    ::kill(pid, SIGKILL);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFEXITED(status)) {
    return "the receiver: " + CodeText(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "the receiver: killed by signal " +
           std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "the receiver: wait status " + std::to_string(status);
}

// The sender's half in this process, followed as A, under the deadline.
template <typename Send>
Outcome SendFollowed(const Setup& setup, Send send) {
  FollowAll(*setup.methods, kSender);
  ::alarm(kDeadlineSeconds);
  const int code = send();
  FollowAll(*setup.methods, 0);
  return code == 0 ? "" : "the sender: " + CodeText(code);
}

Outcome Both(const Outcome& sender, const Outcome& receiver) {
  if (sender.empty()) return receiver;
  if (receiver.empty()) return sender;
  return sender + "; " + receiver;
}

Outcome RunFile(const Setup& setup) {
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  FaultingBuffer buffer(setup.chunk);
  return SendFollowed(setup, [&] {
    return SendByReadWrite(source.get(), sink.get(), buffer, setup.size);
  });
}

// `n` bytes at `data` as two iovecs split on a page boundary, from
// `offset` on; returns how many of `vectors` are used. Two segments make
// readv/writev use an ITER_IOVEC iterator (one may become ITER_UBUF).
int Vectors(char* data, size_t n, size_t offset, size_t page,
            iovec (&vectors)[2]) {
  const size_t half = n / 2 / page * page;
  if (half == 0 || offset >= half) {
    vectors[0] = {data + offset, n - offset};
    return 1;
  }
  vectors[0] = {data + offset, half - offset};
  vectors[1] = {data + half, n - half};
  return 2;
}

enum class PipeMode { kReadWrite, kVectored, kSplice };

Outcome RunPipe(const Setup& setup, PipeMode mode) {
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2: " + ErrnoText(errno);
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  FaultingBuffer sender_buffer(setup.chunk);
  FaultingBuffer receiver_buffer(setup.chunk);
  const pid_t receiver = StartReceiver([&] {
    FollowAll(*setup.methods, kReceiver);
    write_end.Close();
    switch (mode) {
      case PipeMode::kReadWrite:
        return ReceiveStream(read_end.get(), sink.get(), receiver_buffer,
                             setup.size, false);
      case PipeMode::kVectored:
        // readv(pipe) + write(sink) until the end.
        for (size_t calls = 0; calls <= setup.size + 1; ++calls) {
          if (const int error = receiver_buffer.Drop()) return error;
          iovec vectors[2];
          const int count =
              Vectors(receiver_buffer.data(), receiver_buffer.size(), 0,
                      setup.page, vectors);
          const ssize_t n = ::readv(read_end.get(), vectors, count);
          if (n < 0) return errno;
          if (n == 0) return 0;
          if (const int code = WriteAll(sink.get(), receiver_buffer,
                                        receiver_buffer.data(), n)) {
            return code;
          }
        }
        return kTooManyCalls;
      case PipeMode::kSplice:
        for (size_t calls = 0; calls <= setup.size + 1; ++calls) {
          const ssize_t n = ::splice(read_end.get(), nullptr, sink.get(),
                                     nullptr, setup.chunk, SPLICE_F_MOVE);
          if (n < 0) return errno;
          if (n == 0) return 0;
        }
        return kTooManyCalls;
    }
    return 0;
  });
  read_end.Close();
  const Outcome sent = SendFollowed(setup, [&] {
    switch (mode) {
      case PipeMode::kReadWrite:
        return SendByReadWrite(source.get(), write_end.get(), sender_buffer,
                               setup.size);
      case PipeMode::kVectored:
        // read(file) + writev(pipe) of what it read.
        for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
          if (calls > setup.size) return kTooManyCalls;
          if (const int error = sender_buffer.Drop()) return error;
          const ssize_t n =
              ::read(source.get(), sender_buffer.data(),
                     std::min(sender_buffer.size(), setup.size - sent));
          if (n < 0) return errno;
          if (n == 0) return kEndedEarly;
          for (size_t written = 0; written < static_cast<size_t>(n);) {
            if (const int error = sender_buffer.Drop()) return error;
            iovec vectors[2];
            const int count =
                Vectors(sender_buffer.data(), n, written, setup.page, vectors);
            const ssize_t done = ::writev(write_end.get(), vectors, count);
            if (done < 0) return errno;
            if (done == 0) return kNoProgress;
            written += static_cast<size_t>(done);
          }
          sent += static_cast<size_t>(n);
        }
        return 0;
      case PipeMode::kSplice:
        for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
          if (calls > setup.size) return kTooManyCalls;
          const ssize_t n =
              ::splice(source.get(), nullptr, write_end.get(), nullptr,
                       std::min(setup.chunk, setup.size - sent), SPLICE_F_MOVE);
          if (n < 0) return errno;
          if (n == 0) return kEndedEarly;
          sent += static_cast<size_t>(n);
        }
        return 0;
    }
    return 0;
  });
  write_end.Close();
  return Both(sent, Reap(receiver));
}

// A System V queue's message: the mtype just below a page boundary, the
// text from it, so dropping the text's pages leaves the mtype's page
// mapped (get_user/put_user of the mtype is no transfer copy).
struct SysvMessage {
  explicit SysvMessage(size_t text_size, size_t page)
      : buffer(page + text_size), text_size(text_size) {
    *reinterpret_cast<long*>(buffer.data() + page - sizeof(long)) = 1;
    header = buffer.data() + page - sizeof(long);
    text = buffer.data() + page;
  }
  // MADV_DONTNEED on the text's pages only (FaultingBuffer::Drop would
  // drop the mtype's page too).
  int DropText() const {
    return ::madvise(text, text_size, MADV_DONTNEED) == 0 ? 0 : errno;
  }
  FaultingBuffer buffer;
  size_t text_size;
  char* header;
  char* text;
};

size_t WholePagesAtMost(size_t bytes, size_t most, size_t page) {
  const size_t chosen = std::min(bytes, most);
  return chosen >= page ? chosen / page * page : chosen;
}

Outcome RunSysvQueue(const Setup& setup) {
  std::ifstream msgmax_file("/proc/sys/kernel/msgmax");
  size_t msgmax = 0;
  if (!(msgmax_file >> msgmax) || msgmax == 0) {
    return "cannot read /proc/sys/kernel/msgmax";
  }
  const size_t chunk = WholePagesAtMost(setup.chunk, msgmax, setup.page);
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  const int queue = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (queue < 0) return "msgget: " + ErrnoText(errno);
  SysvMessage sent_message(chunk, setup.page);
  SysvMessage received_message(chunk, setup.page);
  const pid_t receiver = StartReceiver([&] {
    FollowAll(*setup.methods, kReceiver);
    // msgrcv + write(sink) until the empty message.
    for (size_t calls = 0; calls <= setup.size + 1; ++calls) {
      if (const int error = received_message.DropText()) return error;
      const ssize_t n = ::msgrcv(queue, received_message.header, chunk, 0, 0);
      if (n < 0) return errno;
      if (n == 0) return 0;
      if (const int error = received_message.DropText()) return error;
      for (ssize_t written = 0; written < n;) {
        const ssize_t done =
            ::write(sink.get(), received_message.text + written, n - written);
        if (done < 0) return errno;
        if (done == 0) return kNoProgress;
        written += done;
      }
    }
    return kTooManyCalls;
  });
  const Outcome sent = SendFollowed(setup, [&] {
    for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
      if (calls > setup.size) return kTooManyCalls;
      if (const int error = sent_message.DropText()) return error;
      const ssize_t n = ::read(source.get(), sent_message.text,
                               std::min(chunk, setup.size - sent));
      if (n < 0) return errno;
      if (n == 0) return kEndedEarly;
      if (const int error = sent_message.DropText()) return error;
      if (::msgsnd(queue, sent_message.header, n, 0) != 0) return errno;
      sent += static_cast<size_t>(n);
    }
    return ::msgsnd(queue, sent_message.header, 0, 0) == 0 ? 0 : errno;
  });
  const Outcome received = Reap(receiver);
  ::msgctl(queue, IPC_RMID, nullptr);
  return Both(sent, received);
}

Outcome RunPosixQueue(const Setup& setup) {
  const std::string name = "/count_copies." + std::to_string(::getpid());
  const mqd_t queue = ::mq_open(
      name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, nullptr);
  if (queue == static_cast<mqd_t>(-1)) {
    return "mq_open(" + name + "): " + ErrnoText(errno);
  }
  // Both ends are open (B inherits the descriptor): the name can go.
  ::mq_unlink(name.c_str());
  struct QueueCloser {
    mqd_t queue;
    ~QueueCloser() { ::mq_close(queue); }
  } closer{queue};
  mq_attr attributes{};
  if (::mq_getattr(queue, &attributes) != 0) {
    return "mq_getattr: " + ErrnoText(errno);
  }
  const size_t message_size = static_cast<size_t>(attributes.mq_msgsize);
  const size_t chunk = WholePagesAtMost(setup.chunk, message_size, setup.page);
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  FaultingBuffer sender_buffer(chunk);
  // mq_receive needs room for the largest message (mq_receive(3)).
  FaultingBuffer receiver_buffer(message_size);
  const pid_t receiver = StartReceiver([&] {
    FollowAll(*setup.methods, kReceiver);
    for (size_t calls = 0; calls <= setup.size + 1; ++calls) {
      if (const int error = receiver_buffer.Drop()) return error;
      const ssize_t n =
          ::mq_receive(queue, receiver_buffer.data(), message_size, nullptr);
      if (n < 0) return errno;
      if (n == 0) return 0;
      if (const int code = WriteAll(sink.get(), receiver_buffer,
                                    receiver_buffer.data(), n)) {
        return code;
      }
    }
    return kTooManyCalls;
  });
  const Outcome sent = SendFollowed(setup, [&] {
    for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
      if (calls > setup.size) return kTooManyCalls;
      if (const int error = sender_buffer.Drop()) return error;
      const ssize_t n = ::read(source.get(), sender_buffer.data(),
                               std::min(chunk, setup.size - sent));
      if (n < 0) return errno;
      if (n == 0) return kEndedEarly;
      if (const int error = sender_buffer.Drop()) return error;
      if (::mq_send(queue, sender_buffer.data(), n, 0) != 0) return errno;
      sent += static_cast<size_t>(n);
    }
    return ::mq_send(queue, sender_buffer.data(), 0, 0) == 0 ? 0 : errno;
  });
  return Both(sent, Reap(receiver));
}

Outcome RunSharedMemory(const Setup& setup) {
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  // MAP_SHARED: B, forked now, sees what A reads into it.
  FaultingBuffer region(setup.size);
  // B starts copying once A's bytes are in: one byte through a pipe that
  // neither side makes while followed, so it counts for nobody.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2: " + ErrnoText(errno);
  Fd handoff_read(fds[0]);
  Fd handoff_write(fds[1]);
  const pid_t receiver = StartReceiver([&] {
    handoff_write.Close();
    char ready = 0;
    const ssize_t got = ::read(handoff_read.get(), &ready, 1);
    if (got < 0) return errno;
    if (got == 0) return kEndedEarly;
    FollowAll(*setup.methods, kReceiver);
    for (size_t written = 0, calls = 0; written < setup.size; ++calls) {
      if (calls > setup.size) return kTooManyCalls;
      if (const int error = region.Drop()) return error;
      const ssize_t done = ::write(sink.get(), region.data() + written,
                                   std::min(setup.chunk, setup.size - written));
      if (done < 0) return errno;
      if (done == 0) return kNoProgress;
      written += static_cast<size_t>(done);
    }
    return 0;
  });
  handoff_read.Close();
  const Outcome sent = SendFollowed(setup, [&] {
    for (size_t got = 0, calls = 0; got < setup.size; ++calls) {
      if (calls > setup.size) return kTooManyCalls;
      if (const int error = region.Drop()) return error;
      const ssize_t n = ::read(source.get(), region.data() + got,
                               std::min(setup.chunk, setup.size - got));
      if (n < 0) return errno;
      if (n == 0) return kEndedEarly;
      got += static_cast<size_t>(n);
    }
    return 0;
  });
  if (sent.empty()) {
    const char ready = 1;
    if (::write(handoff_write.get(), &ready, 1) != 1) {
      return "write(the handoff pipe): " + ErrnoText(errno);
    }
  }
  handoff_write.Close();
  return Both(sent, Reap(receiver));
}

enum class SocketSend { kReadWrite, kMmapWrite, kSendfile, kSplice };

// A connected TCP pair over 127.0.0.1, or "unavailable: ...".
Outcome TcpPair(Fd& sender, Fd& receiver) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) {
    return std::string(kUnavailable) + "socket(AF_INET): " + ErrnoText(errno);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address),
             sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    return std::string(kUnavailable) +
           "bind/listen on 127.0.0.1: " + ErrnoText(errno);
  }
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (client.get() < 0 ||
      ::connect(client.get(), reinterpret_cast<sockaddr*>(&address),
                sizeof address) != 0) {
    return std::string(kUnavailable) +
           "connect to 127.0.0.1: " + ErrnoText(errno);
  }
  const int accepted =
      ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (accepted < 0) return "accept4: " + ErrnoText(errno);
  sender = std::move(client);
  receiver = Fd(accepted);
  return "";
}

Outcome RunSocket(const Setup& setup, bool tcp, SocketSend how) {
  Fd sender_socket;
  Fd receiver_socket;
  if (tcp) {
    if (Outcome error = TcpPair(sender_socket, receiver_socket);
        !error.empty()) {
      return error;
    }
  } else {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return "socketpair(AF_UNIX): " + ErrnoText(errno);
    }
    sender_socket = Fd(fds[0]);
    receiver_socket = Fd(fds[1]);
  }
  Fd source = OpenOrThrow(setup.source_path, O_RDONLY);
  Fd sink = OpenOrThrow(setup.sink_path, O_WRONLY | O_TRUNC);
  FaultingBuffer sender_buffer(setup.chunk);
  FaultingBuffer receiver_buffer(setup.chunk);
  std::unique_ptr<PerPageFileMapping> mapping;
  if (how == SocketSend::kMmapWrite) {
    mapping = std::make_unique<PerPageFileMapping>(source.get(), setup.size);
  }
  Fd splice_read;
  Fd splice_write;
  if (how == SocketSend::kSplice) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2: " + ErrnoText(errno);
    splice_read = Fd(fds[0]);
    splice_write = Fd(fds[1]);
  }
  const pid_t receiver = StartReceiver([&] {
    FollowAll(*setup.methods, kReceiver);
    sender_socket.Close();
    return ReceiveStream(receiver_socket.get(), sink.get(), receiver_buffer,
                         setup.size, true);
  });
  receiver_socket.Close();
  const int to = sender_socket.get();
  const Outcome sent = SendFollowed(setup, [&]() -> int {
    switch (how) {
      case SocketSend::kReadWrite:
        return SendByReadWrite(source.get(), to, sender_buffer, setup.size);
      case SocketSend::kMmapWrite:
        for (size_t sent = 0; sent < setup.size;
             sent += std::min(setup.chunk, setup.size - sent)) {
          if (const int code =
                  WriteAll(to, *mapping, mapping->data() + sent,
                           std::min(setup.chunk, setup.size - sent))) {
            return code;
          }
        }
        return 0;
      case SocketSend::kSendfile:
        for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
          if (calls > setup.size) return kTooManyCalls;
          const ssize_t n =
              ::sendfile(to, source.get(), nullptr,
                         std::min(setup.chunk, setup.size - sent));
          if (n < 0) return errno;
          if (n == 0) return kEndedEarly;
          sent += static_cast<size_t>(n);
        }
        return 0;
      case SocketSend::kSplice:
        for (size_t sent = 0, calls = 0; sent < setup.size; ++calls) {
          if (calls > setup.size) return kTooManyCalls;
          const ssize_t n =
              ::splice(source.get(), nullptr, splice_write.get(), nullptr,
                       std::min(setup.chunk, setup.size - sent), SPLICE_F_MOVE);
          if (n < 0) return errno;
          if (n == 0) return kEndedEarly;
          if (const int code = SpliceAll(splice_read.get(), to, n)) return code;
          sent += static_cast<size_t>(n);
        }
        return 0;
    }
    return 0;
  });
  sender_socket.Close();
  return Both(sent, Reap(receiver));
}

// --- the table ---------------------------------------------------------------

// The user copies a transfer makes, in multiples of its size: what A and B
// copy to and from user space.
struct Expected {
  int sender_to_user;
  int sender_from_user;
  int receiver_to_user;
  int receiver_from_user;
};

struct Transfer {
  std::string_view name;
  std::string_view calls;
  Expected expected;
  bool needs_ipc_namespace;
  Outcome (*run)(const Setup&);
};

const Transfer kTransfers[] = {
    {"file", "A: read(file) + write(file)", {1, 1, 0, 0}, false, RunFile},
    {"pipe",
     "A: read(file) + write(pipe); B: read(pipe) + write(file)",
     {1, 1, 1, 1},
     false,
     [](const Setup& s) { return RunPipe(s, PipeMode::kReadWrite); }},
    {"pipe.vectored",
     "A: read(file) + writev(pipe); B: readv(pipe) + write",
     {1, 1, 1, 1},
     false,
     [](const Setup& s) { return RunPipe(s, PipeMode::kVectored); }},
    {"pipe.splice",
     "A: splice(file -> pipe); B: splice(pipe -> file)",
     {0, 0, 0, 0},
     false,
     [](const Setup& s) { return RunPipe(s, PipeMode::kSplice); }},
    {"sysv_msg",
     "A: read(file) + msgsnd; B: msgrcv + write(file)",
     {1, 1, 1, 1},
     true,
     RunSysvQueue},
    {"posix_mq",
     "A: read(file) + mq_send; B: mq_receive + write(file)",
     {1, 1, 1, 1},
     true,
     RunPosixQueue},
    {"shared_memory",
     "A: read(file) into MAP_SHARED memory; B: write(file) out of it",
     {1, 0, 0, 1},
     false,
     RunSharedMemory},
    {"unix_socket.read_write",
     "A: read(file) + write(socket); B: read + write",
     {1, 1, 1, 1},
     false,
     [](const Setup& s) {
       return RunSocket(s, false, SocketSend::kReadWrite);
     }},
    {"unix_socket.mmap_write",
     "A: write(socket) from a file mapping",
     {0, 1, 1, 1},
     false,
     [](const Setup& s) {
       return RunSocket(s, false, SocketSend::kMmapWrite);
     }},
    {"unix_socket.sendfile",
     "A: sendfile(socket, file)",
     {0, 0, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, false, SocketSend::kSendfile); }},
    {"unix_socket.splice",
     "A: splice(file -> pipe) + splice(pipe -> socket)",
     {0, 0, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, false, SocketSend::kSplice); }},
    {"tcp_socket.read_write",
     "A: read(file) + write(socket); B: read + write",
     {1, 1, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, true, SocketSend::kReadWrite); }},
    {"tcp_socket.mmap_write",
     "A: write(socket) from a file mapping",
     {0, 1, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, true, SocketSend::kMmapWrite); }},
    {"tcp_socket.sendfile",
     "A: sendfile(socket, file)",
     {0, 0, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, true, SocketSend::kSendfile); }},
    {"tcp_socket.splice",
     "A: splice(file -> pipe) + splice(pipe -> socket)",
     {0, 0, 1, 1},
     false,
     [](const Setup& s) { return RunSocket(s, true, SocketSend::kSplice); }},
};

// --- comparing ---------------------------------------------------------------

// A process's user bytes in one direction, the unattributed ones excluded
// (page faults outside the data path: rseq, path names, ...).
uint64_t AttributedBytes(const ProcessCopies& process,
                         CopyDirection direction) {
  uint64_t bytes = 0;
  for (const RoutineCopies& copies : process.routines) {
    if (!copies.routine.empty() && copies.direction == direction) {
      bytes += copies.bytes;
    }
  }
  return bytes;
}

struct Figure {
  std::string_view what;
  uint32_t label;
  CopyDirection direction;
  uint64_t expected;
};

std::vector<Figure> Figures(const Transfer& transfer, uint64_t size) {
  const Expected& e = transfer.expected;
  return {
      {"A to_user", kSender, CopyDirection::kToUser,
       static_cast<uint64_t>(e.sender_to_user) * size},
      {"A from_user", kSender, CopyDirection::kFromUser,
       static_cast<uint64_t>(e.sender_from_user) * size},
      {"B to_user", kReceiver, CopyDirection::kToUser,
       static_cast<uint64_t>(e.receiver_to_user) * size},
      {"B from_user", kReceiver, CopyDirection::kFromUser,
       static_cast<uint64_t>(e.receiver_from_user) * size},
  };
}

// "A 1048576/1048576 B 0/0 kernel 0/2097152": attributed to/from per process.
std::string ShortCounts(const CopyCounts& counts) {
  const ProcessCopies sender = counts.Of(kSender);
  const ProcessCopies receiver = counts.Of(kReceiver);
  auto pair = [](const ProcessCopies& p) {
    return std::to_string(AttributedBytes(p, CopyDirection::kToUser)) + "/" +
           std::to_string(AttributedBytes(p, CopyDirection::kFromUser));
  };
  std::string text = "A " + pair(sender) + " B " + pair(receiver);
  const uint64_t unattributed =
      sender.unattributed_bytes + receiver.unattributed_bytes;
  if (unattributed != 0)
    text += " unattributed " + std::to_string(unattributed);
  const uint64_t kernel = sender.kernel_bytes + receiver.kernel_bytes;
  if (kernel != 0) {
    text += " kernel " + std::to_string(sender.kernel_bytes) + "/" +
            std::to_string(receiver.kernel_bytes);
  }
  if (counts.dropped_events != 0) {
    text += " DROPPED " + std::to_string(counts.dropped_events);
  }
  return text;
}

// "1024K" for whole KiB, else bytes: the summary's unit.
std::string Amount(uint64_t bytes) {
  return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + "K"
                           : std::to_string(bytes);
}

// "fentry 1024K/1024K 1024K/1024K": A's and B's attributed to/from user.
std::string Compact(const CopyCounts& counts) {
  std::string text(CopyMethodName(counts.method));
  for (const uint32_t label : {kSender, kReceiver}) {
    const ProcessCopies process = counts.Of(label);
    text += " " + Amount(AttributedBytes(process, CopyDirection::kToUser)) +
            "/" + Amount(AttributedBytes(process, CopyDirection::kFromUser));
  }
  if (counts.dropped_events != 0) {
    text += " dropped " + std::to_string(counts.dropped_events);
  }
  return text;
}

// "" when every attributed figure is the transfer's known one; otherwise
// "A to_user 4096 (expected 0), ...".
std::string Unexpected(const CopyCounts& counts, const Transfer& transfer,
                       uint64_t size) {
  std::string text;
  for (const Figure& figure : Figures(transfer, size)) {
    const uint64_t got =
        AttributedBytes(counts.Of(figure.label), figure.direction);
    if (got != figure.expected) {
      if (!text.empty()) text += ", ";
      text += std::string(figure.what) + " " + std::to_string(got) +
              " (expected " + std::to_string(figure.expected) + ")";
    }
  }
  return text;
}

// "" when the two methods' attributed figures are equal.
std::string Disagreement(const CopyCounts& fentry, const CopyCounts& faults,
                         const Transfer& transfer, uint64_t size) {
  std::string text;
  for (const Figure& figure : Figures(transfer, size)) {
    const uint64_t a =
        AttributedBytes(fentry.Of(figure.label), figure.direction);
    const uint64_t b =
        AttributedBytes(faults.Of(figure.label), figure.direction);
    if (a != b) {
      if (!text.empty()) text += ", ";
      text += std::string(figure.what) + ": fentry " + std::to_string(a) +
              ", page_faults " + std::to_string(b);
    }
  }
  return text;
}

std::string XmlEscape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\n':
        escaped += "&#10;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string Cdata(std::string_view text) {
  std::string out = "<![CDATA[";
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find("]]>", at);
    if (end == std::string_view::npos) {
      out += text.substr(at);
      break;
    }
    out += text.substr(at, end - at);
    out += "]]]]><![CDATA[>";
    at = end + 3;
  }
  return out + "]]>";
}

struct Case {
  std::string name;
  std::string failure;  // "" when it passed
  std::string skipped;  // "" when it ran
  std::string report;
};

void WriteXml(const std::string& path, const std::vector<Case>& cases) {
  size_t failures = 0;
  size_t skipped = 0;
  for (const Case& c : cases) {
    failures += !c.failure.empty();
    skipped += !c.skipped.empty();
  }
  std::ofstream out(path);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites tests=\"" << cases.size() << "\" failures=\"" << failures
      << "\" disabled=\"0\" errors=\"0\" name=\"count_copies\">\n"
      << "  <testsuite name=\"CountCopies\" tests=\"" << cases.size()
      << "\" failures=\"" << failures << "\" skipped=\"" << skipped
      << "\" disabled=\"0\" errors=\"0\">\n";
  for (const Case& c : cases) {
    out << "    <testcase name=\"" << XmlEscape(c.name)
        << "\" status=\"run\" result=\""
        << (c.skipped.empty() ? "completed" : "skipped")
        << "\" classname=\"CountCopies\">\n";
    if (!c.failure.empty()) {
      out << "      <failure message=\"" << XmlEscape(c.failure)
          << "\" type=\"\"/>\n";
    }
    if (!c.skipped.empty()) {
      out << "      <skipped message=\"" << XmlEscape(c.skipped) << "\"/>\n";
    }
    out << "      <system-out>" << Cdata(c.report) << "</system-out>\n"
        << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

// --- main ------------------------------------------------------------------

void OnDeadline(int) {}

int Usage(const std::string& error) {
  std::cerr << "count_copies: " << error
            << "\nusage: count_copies [--method page_faults|fentry|both] "
               "[--size BYTES] [--chunk BYTES]\n";
  return kExitUsage;
}

int Main(int argc, char** argv) {
  std::vector<CopyMethod> asked = {CopyMethod::kPageFaults,
                                   CopyMethod::kFunctionEntry};
  size_t size = 1 << 20;
  size_t chunk = 64 << 10;
  std::string xml_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view option) -> std::optional<std::string> {
      if (arg == option && i + 1 < argc) return std::string(argv[++i]);
      if (arg.size() > option.size() + 1 &&
          arg.substr(0, option.size()) == option && arg[option.size()] == '=') {
        return std::string(arg.substr(option.size() + 1));
      }
      return std::nullopt;
    };
    if (auto method = value("--method")) {
      if (*method == "page_faults") {
        asked = {CopyMethod::kPageFaults};
      } else if (*method == "fentry") {
        asked = {CopyMethod::kFunctionEntry};
      } else if (*method == "both") {
        asked = {CopyMethod::kPageFaults, CopyMethod::kFunctionEntry};
      } else {
        return Usage("unknown method \"" + *method + "\"");
      }
    } else if (auto bytes = value("--size")) {
      size = std::strtoull(bytes->c_str(), nullptr, 0);
      if (size == 0) return Usage("--size must be a positive number");
    } else if (auto bytes = value("--chunk")) {
      chunk = std::strtoull(bytes->c_str(), nullptr, 0);
      if (chunk == 0) return Usage("--chunk must be a positive number");
    } else if (arg.substr(0, 18) == "--gtest_output=xml") {
      const size_t colon = arg.find(':');
      if (colon != std::string_view::npos) {
        xml_path = std::string(arg.substr(colon + 1));
      }
    }
    // Anything else: ignored (the kernel runner's arguments).
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));

  // A deadline interrupts A's blocking calls (EINTR) instead of killing it.
  struct sigaction deadline {};
  deadline.sa_handler = OnDeadline;
  ::sigaction(SIGALRM, &deadline, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Queues in a namespace of their own: nothing can leak onto the machine.
  std::string no_ipc_namespace;
  if (::unshare(CLONE_NEWIPC) != 0) {
    no_ipc_namespace = "unshare(CLONE_NEWIPC): " + ErrnoText(errno);
  }

  std::ostringstream head;
  std::vector<Method> methods;
  std::vector<Case> cases;
  bool all_loaded = true;
  for (const CopyMethod method : asked) {
    Method started{method, nullptr, ""};
    Case load{"load." + std::string(CopyMethodName(method)), "", "", ""};
    try {
      const auto start = std::chrono::steady_clock::now();
      started.counter = CopyCounter::Start(method);
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      load.report = std::string(CopyMethodName(method)) + ": loaded in " +
                    std::to_string(took.count()) + " ms";
      if (const auto* functions =
              dynamic_cast<const FunctionCopyCounter*>(started.counter.get())) {
        load.report += "; " + functions->DescribeCoverage();
      }
    } catch (const std::exception& error) {
      started.unavailable = error.what();
      load.failure = started.unavailable;
      load.report = std::string(CopyMethodName(method)) +
                    ": NOT LOADED: " + started.unavailable;
      all_loaded = false;
    }
    load.report += "\n";
    head << load.report;
    cases.push_back(std::move(load));
    methods.push_back(std::move(started));
  }
  std::cout << head.str() << std::flush;

  const TempFile source("count_copies-source");
  const TempFile sink("count_copies-sink");
  const std::vector<char> bytes = PatternBytes(size);
  {
    std::ofstream out(source.path(), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::cerr << "count_copies: cannot write " << source.path() << "\n";
      return kExitTransferFailed;
    }
  }
  Setup setup{&methods,
              source.path(),
              sink.path(),
              size,
              std::max(page, chunk / page * page),
              page};

  const CopyCounter* fentry = nullptr;
  const CopyCounter* faults = nullptr;
  for (const Method& method : methods) {
    if (!method.counter) continue;
    (method.method == CopyMethod::kFunctionEntry ? fentry : faults) =
        method.counter.get();
  }

  std::ostringstream summary;
  summary << "summary (" << size << " bytes each; per method: A's and B's "
          << "to_user/from_user bytes, attributed; ok: the transfer's known "
          << "copies):\n";
  bool transfers_ok = true;
  for (const Transfer& transfer : kTransfers) {
    Case result{std::string(transfer.name), "", "", ""};
    std::ostringstream report;
    report << "== " << transfer.name << " (" << transfer.calls << ")\n";
    Outcome outcome;
    if (transfer.needs_ipc_namespace && !no_ipc_namespace.empty()) {
      outcome = std::string(kUnavailable) + no_ipc_namespace;
    } else {
      for (const Method& method : methods) {
        if (method.counter) method.counter->Reset();
      }
      try {
        outcome = transfer.run(setup);
      } catch (const std::exception& error) {
        outcome = error.what();
      }
      ::alarm(0);
    }
    if (outcome.substr(0, kUnavailable.size()) == kUnavailable) {
      result.skipped = outcome;
      report << "  skipped: " << outcome << "\n";
      summary << "  " << transfer.name << " skipped: " << outcome << "\n";
      result.report = report.str();
      std::cout << result.report;
      cases.push_back(std::move(result));
      continue;
    }
    std::vector<char> received;
    if (outcome.empty() &&
        (!ReadWholeFile(sink.path(), received) || received != bytes)) {
      outcome = "the sink holds " + std::to_string(received.size()) +
                " bytes that are not the source's " + std::to_string(size);
    }
    if (!outcome.empty()) {
      transfers_ok = false;
      result.failure = "transfer failed: " + outcome;
      report << "  TRANSFER FAILED: " << outcome << "\n";
    }
    if (outcome.empty()) {
      report << "  delivered " << size << " bytes intact\n";
    }
    std::vector<std::pair<const CopyCounter*, CopyCounts>> all;
    for (const Method& method : methods) {
      if (method.counter) {
        all.emplace_back(method.counter.get(), method.counter->Read());
      }
    }
    std::string line = "  " + std::string(transfer.name) +
                       (outcome.empty() ? "" : " TRANSFER FAILED");
    for (const auto& [counter, counts] : all) {
      report << DescribeCopies(counts);
      if (const auto* functions =
              dynamic_cast<const FunctionCopyCounter*>(counter)) {
        for (const auto& [label, by_function] :
             functions->KernelBytesByFunction()) {
          report << "    process " << label << " through kernel iterators:";
          for (const auto& [function, kernel_bytes] : by_function) {
            report << " " << function << " " << kernel_bytes;
          }
          report << "\n";
        }
      }
      const std::string unexpected = Unexpected(counts, transfer, size);
      report << "  " << CopyMethodName(counts.method) << ": "
             << ShortCounts(counts)
             << (unexpected.empty() ? "  as expected"
                                    : "  UNEXPECTED: " + unexpected)
             << "\n";
      line += " | " + Compact(counts) + (unexpected.empty() ? " ok" : " off");
    }
    if (fentry != nullptr && faults != nullptr) {
      const CopyCounts* fentry_counts = nullptr;
      const CopyCounts* fault_counts = nullptr;
      for (const auto& [counter, counts] : all) {
        (counter == fentry ? fentry_counts : fault_counts) = &counts;
      }
      const std::string differ =
          Disagreement(*fentry_counts, *fault_counts, transfer, size);
      const std::string agreement =
          differ.empty() ? "methods agree" : "METHODS DIFFER: " + differ;
      report << "  " << agreement << "\n";
      line += differ.empty() ? " | agree" : " | DIFFER";
      if (!differ.empty() && result.failure.empty()) {
        result.failure = agreement;
      }
    }
    summary << line << "\n";
    result.report = report.str();
    std::cout << result.report;
    cases.push_back(std::move(result));
  }

  summary << head.str();
  std::cout << "\n" << summary.str() << std::flush;
  if (!xml_path.empty()) WriteXml(xml_path, cases);
  if (!all_loaded) return kExitMethodUnavailable;
  return transfers_ok ? 0 : kExitTransferFailed;
}

}  // namespace
}  // namespace ipcproof::bpf

int main(int argc, char** argv) { return ipcproof::bpf::Main(argc, argv); }

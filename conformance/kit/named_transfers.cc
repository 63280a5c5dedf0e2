#include "conformance/kit/named_transfers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "bpf/fault_buffer.h"
#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/ipc_names.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "conformance/kit/time_scale.h"
#include "conformance/procfs/files.h"
#include "ipc/memory_mapping.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/posix_semaphore.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

// Failure points of the halves (test range 1..99 of kit/child_exit.h).
constexpr int kSourceEndedEarly = 1;  // A: read/sendfile/splice gave 0
constexpr int kReceivedTooMuch = 2;   // B: more than size + chunk bytes
constexpr int kZeroLengthWrite = 3;   // a write/splice out moved 0 bytes
constexpr int kReceiverNoReport = 4;  // B: its report pipe failed

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

ipc::UniqueFd OpenOrThrow(const std::string& path, int flags, mode_t mode = 0) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) ThrowErrno("open(" + path + ")");
  return ipc::UniqueFd(fd);
}

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// With TransferSetup::fault_every_page: the pages of a user buffer to drop
// right before each system call that copies through it, so that each page
// the kernel copies faults once (bpf/fault_buffer.h). The whole of a
// FaultingBuffer or PerPageFileMapping, or only some of its pages (a System
// V message's text, the shared-memory slot): one madvise(MADV_DONTNEED), as
// their Drop() makes, over these pages alone. Default: nothing to drop (the
// ordinary mode), and no system call.
class PageDropper {
 public:
  PageDropper() = default;
  PageDropper(const void* start, size_t length)
      : start_(start), length_(length) {}

  // 0, or ErrnoExit of the failed madvise. Async-signal-safe.
  int operator()() const noexcept {
    if (length_ == 0) return 0;
    const int err = bpf::DropPages(start_, length_);
    return err == 0 ? 0 : ErrnoExit(err);
  }

 private:
  const void* start_ = nullptr;
  size_t length_ = 0;
};

// A user buffer one half copies through: `size` bytes after `header` bytes
// that are never dropped (System V's mtype: 0 elsewhere). Ordinary memory,
// or with `faulting` a FaultingBuffer in which the header ends a page and
// data() starts the next. Private to one half: a FaultingBuffer is
// MAP_SHARED, so A and B never share one.
class UserBuffer {
 public:
  UserBuffer(size_t size, size_t header, bool faulting) : size_(size) {
    if (size == 0 && header == 0) return;
    if (!faulting) {
      // operator new's alignment suits the header's long.
      plain_.resize(header + size);
      data_ = plain_.data() + header;
      return;
    }
    const size_t page = PageSize();
    const size_t header_bytes = (header + page - 1) / page * page;
    faulting_.emplace(header_bytes + std::max<size_t>(size, 1));
    data_ = faulting_->data() + header_bytes;
    drop_ = PageDropper(data_, size);
  }

  char* data() const { return data_; }
  size_t size() const { return size_; }
  const PageDropper& drop() const { return drop_; }

 private:
  size_t size_;
  std::vector<char> plain_;
  std::optional<bpf::FaultingBuffer> faulting_;
  char* data_ = nullptr;
  PageDropper drop_;
};

// write(2) until all `n` bytes are out, `drop` before each call; 0 or an
// exit code. EINTR is a failure: the only signal a transfer expects is its
// deadline's SIGALRM.
int WriteAllRaw(int fd, const char* data, size_t n,
                const PageDropper& drop = {}) {
  while (n > 0) {
    if (const int code = drop()) return code;
    const ssize_t done = ::write(fd, data, n);
    if (done < 0) return ErrnoExit();
    if (done == 0) return kZeroLengthWrite;
    data += done;
    n -= static_cast<size_t>(done);
  }
  return 0;
}

// splice(2) all `n` bytes out of pipe `from` into `to`.
int SpliceAllRaw(int from, int to, size_t n) {
  while (n > 0) {
    const ssize_t done = ::splice(from, nullptr, to, nullptr, n, SPLICE_F_MOVE);
    if (done < 0) return ErrnoExit();
    if (done == 0) return kZeroLengthWrite;
    n -= static_cast<size_t>(done);
  }
  return 0;
}

// What B does with each chunk it received, whatever the channel: count it
// against a bound of size + chunk bytes (a kernel that delivers more, a
// chunk twice, fails instead of filling a disk), checksum it, write it into
// the sink (`drop` before each write: the checksum's reads mapped the pages
// again). 0 or an exit code.
int SinkChunk(int sink, const char* data, size_t n, size_t bound, size_t* total,
              uint64_t* checksum, const PageDropper& drop) {
  *total += n;
  if (*total > bound) return kReceivedTooMuch;
  *checksum = TransferChecksumUpdate(*checksum, data, n);
  return WriteAllRaw(sink, data, n, drop);
}

// B's loop over a stream (socket or pipe) read into `buffer`: read until
// EOF, each chunk through SinkChunk.
int ReceiveStream(int from, int sink, const UserBuffer& buffer, size_t bound,
                  size_t* total, uint64_t* checksum) {
  for (;;) {
    if (const int code = buffer.drop()()) return code;
    const ssize_t n = ::read(from, buffer.data(), buffer.size());
    if (n < 0) return ErrnoExit();
    if (n == 0) return 0;
    if (const int code = SinkChunk(sink, buffer.data(), static_cast<size_t>(n),
                                   bound, total, checksum, buffer.drop())) {
      return code;
    }
  }
}

// A queue's chunk in the faulting mode: whole pages where at least one fits,
// so each message's text is whole pages and its bytes whole faults.
size_t FaultingChunk(size_t chunk, bool faulting) {
  const size_t page = PageSize();
  return faulting && chunk >= page ? chunk / page * page : chunk;
}

// kTransferDeadline (scaled) from now on CLOCK_MONOTONIC. TimeScale reads
// the environment: no system call either.
timespec MonotonicDeadline() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // vDSO: no system call
  now.tv_sec += std::chrono::duration_cast<std::chrono::seconds>(
                    ScaledTimeout(kTransferDeadline))
                    .count();
  return now;
}

// --- File -> socket ----------------------------------------------------------

enum class SocketMethod { kReadWrite, kMmapWrite, kSendfile, kSplice };
enum class SocketFamily { kUnix, kTcp };

// A connected pair of stream sockets: {sender, receiver}.
std::pair<ipc::UniqueFd, ipc::UniqueFd> ConnectedSockets(SocketFamily family) {
  if (family == SocketFamily::kUnix) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      ThrowErrno("socketpair(AF_UNIX, SOCK_STREAM)");
    }
    return {ipc::UniqueFd(fds[0]), ipc::UniqueFd(fds[1])};
  }
  // TCP over this namespace's loopback, port chosen by the kernel.
  auto unavailable = [](const char* call) {
    return TransferUnavailable(std::string("TCP loopback: ") + call +
                               " failed with " + ErrnoName(errno));
  };
  ipc::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) throw unavailable("socket(AF_INET, SOCK_STREAM)");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address),
             sizeof address) != 0) {
    throw unavailable("bind(127.0.0.1:0)");
  }
  if (::listen(listener.get(), 1) != 0) throw unavailable("listen");
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    ThrowErrno("getsockname");
  }
  ipc::UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client) throw unavailable("socket(AF_INET, SOCK_STREAM)");
  // A loopback connect completes against the listen backlog at once.
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&address),
                sizeof address) != 0) {
    throw unavailable("connect(127.0.0.1)");
  }
  ipc::UniqueFd server(
      ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server) ThrowErrno("accept4");
  return {std::move(client), std::move(server)};
}

class SocketTransfer final : public PreparedTransfer {
 public:
  SocketTransfer(const TransferSetup& setup, SocketMethod method,
                 SocketFamily family)
      : PreparedTransfer(setup),
        size_(setup.size),
        chunk_(setup.chunk),
        method_(method),
        source_(OpenOrThrow(setup.source_path, O_RDONLY)),
        send_buffer_(method == SocketMethod::kReadWrite ? setup.chunk : 0, 0,
                     setup.fault_every_page),
        receive_buffer_(setup.chunk, 0, setup.fault_every_page) {
    auto sockets = ConnectedSockets(family);
    sender_ = std::move(sockets.first);
    receiver_ = std::move(sockets.second);
    if (method == SocketMethod::kSplice) {
      splice_pipe_.emplace(ipc::Pipe::Create(O_CLOEXEC));
    }
    // The faulting mode maps the source here, one mapping per page, so that
    // no read of it faults around its neighbours; Send then makes no mmap.
    if (method == SocketMethod::kMmapWrite && setup.fault_every_page &&
        size_ > 0) {
      source_mapping_.emplace(source_.get(), size_);
      source_drop_ =
          PageDropper(source_mapping_->data(), source_mapping_->size());
    }
  }

  int Send() override {
    const int source = source_.get();
    const int socket = sender_.get();
    size_t offset = 0;
    switch (method_) {
      case SocketMethod::kReadWrite:
        // Per chunk: read(file) + write(socket).
        while (offset < size_) {
          if (const int code = send_buffer_.drop()()) return code;
          const ssize_t n = ::read(source, send_buffer_.data(),
                                   std::min(chunk_, size_ - offset));
          if (n < 0) return ErrnoExit();
          if (n == 0) return kSourceEndedEarly;
          if (const int code = WriteAllRaw(socket, send_buffer_.data(), n,
                                           send_buffer_.drop())) {
            return code;
          }
          offset += static_cast<size_t>(n);
        }
        return 0;
      case SocketMethod::kMmapWrite: {
        if (source_mapping_) {
          // Faulting mode: per chunk, write(socket) from the per-page
          // mapping Prepare made, dropped before each write.
          const char* bytes = source_mapping_->data();
          while (offset < size_) {
            const size_t n = std::min(chunk_, size_ - offset);
            if (const int code =
                    WriteAllRaw(socket, bytes + offset, n, source_drop_)) {
              return code;
            }
            offset += n;
          }
          return 0;
        }
        // Once: mmap(file) and munmap; per chunk: write(socket) from the
        // mapping.
        void* map = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, source, 0);
        if (map == MAP_FAILED) return ErrnoExit();
        const char* bytes = static_cast<const char*>(map);
        int code = 0;
        while (offset < size_ && code == 0) {
          const size_t n = std::min(chunk_, size_ - offset);
          code = WriteAllRaw(socket, bytes + offset, n);
          offset += n;
        }
        if (::munmap(map, size_) != 0 && code == 0) return ErrnoExit();
        return code;
      }
      case SocketMethod::kSendfile:
        // Per chunk: sendfile(socket, file, NULL, chunk) (the file's own
        // offset advances).
        while (offset < size_) {
          const ssize_t n = ::sendfile(socket, source, nullptr,
                                       std::min(chunk_, size_ - offset));
          if (n < 0) return ErrnoExit();
          if (n == 0) return kSourceEndedEarly;
          offset += static_cast<size_t>(n);
        }
        return 0;
      case SocketMethod::kSplice: {
        // Per chunk: splice(file -> pipe) + splice(pipe -> socket); more
        // when the pipe holds less than a chunk.
        const int pipe_read = splice_pipe_->read_fd();
        const int pipe_write = splice_pipe_->write_fd();
        while (offset < size_) {
          const ssize_t n =
              ::splice(source, nullptr, pipe_write, nullptr,
                       std::min(chunk_, size_ - offset), SPLICE_F_MOVE);
          if (n < 0) return ErrnoExit();
          if (n == 0) return kSourceEndedEarly;
          if (const int code = SpliceAllRaw(pipe_read, socket, n)) {
            return code;
          }
          offset += static_cast<size_t>(n);
        }
        return 0;
      }
    }
    return 0;
  }

 protected:
  void CloseSenderEnds() override {
    source_.Reset();
    sender_.Reset();
    if (splice_pipe_) {
      splice_pipe_->CloseReadEnd();
      splice_pipe_->CloseWriteEnd();
    }
  }

  void CloseReceiverEnds() override { receiver_.Reset(); }

  // B: read(socket) + write(sink) until EOF.
  int Receive() override {
    size_t total = 0;
    uint64_t checksum = kTransferChecksumSeed;
    const int code = ReceiveStream(receiver_.get(), sink_fd(), receive_buffer_,
                                   size_ + chunk_, &total, &checksum);
    ReportFromReceiver(total, checksum, true);
    return code;
  }

 private:
  const size_t size_;
  const size_t chunk_;
  const SocketMethod method_;
  ipc::UniqueFd source_;
  ipc::UniqueFd sender_;
  ipc::UniqueFd receiver_;
  std::optional<ipc::Pipe> splice_pipe_;
  UserBuffer send_buffer_;
  UserBuffer receive_buffer_;
  std::optional<bpf::PerPageFileMapping> source_mapping_;
  PageDropper source_drop_;
};

template <SocketMethod method, SocketFamily family>
std::unique_ptr<PreparedTransfer> PrepareSocket(const TransferSetup& setup) {
  auto transfer = std::make_unique<SocketTransfer>(setup, method, family);
  transfer->StartReceiver();
  return transfer;
}

// --- File -> pipe -> file ----------------------------------------------------

class PipeTransfer final : public PreparedTransfer {
 public:
  PipeTransfer(const TransferSetup& setup, bool splice)
      : PreparedTransfer(setup),
        size_(setup.size),
        chunk_(setup.chunk),
        splice_(splice),
        source_(OpenOrThrow(setup.source_path, O_RDONLY)),
        pipe_(ipc::Pipe::Create(O_CLOEXEC)),
        send_buffer_(splice ? 0 : setup.chunk, 0, setup.fault_every_page),
        receive_buffer_(splice ? 0 : setup.chunk, 0, setup.fault_every_page) {}

  int Send() override {
    const int source = source_.get();
    const int pipe_write = pipe_.write_fd();
    size_t offset = 0;
    while (offset < size_) {
      const size_t want = std::min(chunk_, size_ - offset);
      ssize_t n;
      if (splice_) {
        // Per chunk: splice(file -> pipe).
        n = ::splice(source, nullptr, pipe_write, nullptr, want, SPLICE_F_MOVE);
        if (n < 0) return ErrnoExit();
        if (n == 0) return kSourceEndedEarly;
      } else {
        // Per chunk: read(file) + write(pipe).
        if (const int code = send_buffer_.drop()()) return code;
        n = ::read(source, send_buffer_.data(), want);
        if (n < 0) return ErrnoExit();
        if (n == 0) return kSourceEndedEarly;
        if (const int code = WriteAllRaw(pipe_write, send_buffer_.data(), n,
                                         send_buffer_.drop())) {
          return code;
        }
      }
      offset += static_cast<size_t>(n);
    }
    return 0;
  }

 protected:
  void CloseSenderEnds() override {
    source_.Reset();
    pipe_.CloseWriteEnd();
  }

  void CloseReceiverEnds() override { pipe_.CloseReadEnd(); }

  int Receive() override {
    size_t total = 0;
    uint64_t checksum = kTransferChecksumSeed;
    const int pipe_read = pipe_.read_fd();
    if (!splice_) {
      // B: read(pipe) + write(sink) until EOF.
      const int code = ReceiveStream(pipe_read, sink_fd(), receive_buffer_,
                                     size_ + chunk_, &total, &checksum);
      ReportFromReceiver(total, checksum, true);
      return code;
    }
    // B: splice(pipe -> sink) until EOF; the bytes never reach B's memory.
    for (;;) {
      const ssize_t n = ::splice(pipe_read, nullptr, sink_fd(), nullptr, chunk_,
                                 SPLICE_F_MOVE);
      if (n < 0) return ErrnoExit();
      if (n == 0) break;
      total += static_cast<size_t>(n);
      if (total > size_ + chunk_) return kReceivedTooMuch;
    }
    ReportFromReceiver(total, 0, false);
    return 0;
  }

 private:
  const size_t size_;
  const size_t chunk_;
  const bool splice_;
  ipc::UniqueFd source_;
  ipc::Pipe pipe_;
  UserBuffer send_buffer_;
  UserBuffer receive_buffer_;
};

template <bool splice>
std::unique_ptr<PreparedTransfer> PreparePipe(const TransferSetup& setup) {
  auto transfer = std::make_unique<PipeTransfer>(setup, splice);
  transfer->StartReceiver();
  return transfer;
}

// --- Through a System V queue ------------------------------------------------

// A msgbuf: the long mtype, then up to `text` bytes of text. In the
// faulting mode the mtype ends a page of its own and the text starts the
// next, and only the text's pages are dropped: msgsnd reads the mtype with
// one get_user and msgrcv writes it with one put_user (do_msgsnd,
// do_msg_fill), apart from the text's copy (load_msg, store_msg).
class MessageBuffer {
 public:
  MessageBuffer(size_t text, bool faulting)
      : buffer_(text, sizeof(long), faulting) {}
  void* message() const { return buffer_.data() - sizeof(long); }
  // Written by the process itself before its first call, so the mtype's
  // page is mapped (a user-mode fault, not the kernel's: B's pages of a
  // MAP_SHARED buffer are not mapped after the fork).
  void SetType(long type) const {
    *static_cast<volatile long*>(message()) = type;
  }
  char* text() const { return buffer_.data(); }
  const PageDropper& drop() const { return buffer_.drop(); }

 private:
  UserBuffer buffer_;
};

class SysvMsgTransfer final : public PreparedTransfer {
 public:
  explicit SysvMsgTransfer(const TransferSetup& setup)
      : PreparedTransfer(setup),
        size_(setup.size),
        // One message carries at most msgmax bytes, and a queue holds at
        // most msgmnb (msgop(2): EINVAL above msgmax).
        chunk_(FaultingChunk(
            std::min<size_t>(
                {setup.chunk, static_cast<size_t>(ReadSysctl("kernel/msgmax")),
                 static_cast<size_t>(ReadSysctl("kernel/msgmnb"))}),
            setup.fault_every_page)),
        source_(OpenOrThrow(setup.source_path, O_RDONLY)),
        queue_(ipc::SysvMessageQueue::Create()),
        send_buffer_(chunk_, setup.fault_every_page),
        receive_buffer_(chunk_, setup.fault_every_page) {}

  // Per chunk: read(file) into the message + msgsnd; once: a msgsnd of an
  // empty message, the end.
  int Send() override {
    char* text = send_buffer_.text();
    send_buffer_.SetType(1);
    size_t offset = 0;
    while (offset < size_) {
      if (const int code = send_buffer_.drop()()) return code;
      const ssize_t n =
          ::read(source_.get(), text, std::min(chunk_, size_ - offset));
      if (n < 0) return ErrnoExit();
      if (n == 0) return kSourceEndedEarly;
      if (const int code = send_buffer_.drop()()) return code;
      if (::msgsnd(queue_.id(), send_buffer_.message(), n, 0) != 0) {
        return ErrnoExit();
      }
      offset += static_cast<size_t>(n);
    }
    if (::msgsnd(queue_.id(), send_buffer_.message(), 0, 0) != 0) {
      return ErrnoExit();
    }
    return 0;
  }

 protected:
  void CloseSenderEnds() override { source_.Reset(); }

  // B: msgrcv + write(sink) until the empty message.
  int Receive() override {
    char* text = receive_buffer_.text();
    receive_buffer_.SetType(0);
    size_t total = 0;
    uint64_t checksum = kTransferChecksumSeed;
    for (;;) {
      if (const int code = receive_buffer_.drop()()) return code;
      const ssize_t n =
          ::msgrcv(queue_.id(), receive_buffer_.message(), chunk_, 0, 0);
      if (n < 0) return ErrnoExit();
      if (n == 0) break;
      if (const int code =
              SinkChunk(sink_fd(), text, static_cast<size_t>(n), size_ + chunk_,
                        &total, &checksum, receive_buffer_.drop())) {
        return code;
      }
    }
    ReportFromReceiver(total, checksum, true);
    return 0;
  }

 private:
  const size_t size_;
  const size_t chunk_;
  ipc::UniqueFd source_;
  ipc::SysvMessageQueue queue_;
  MessageBuffer send_buffer_;
  MessageBuffer receive_buffer_;
};

std::unique_ptr<PreparedTransfer> PrepareSysvMsg(const TransferSetup& setup) {
  auto transfer = std::make_unique<SysvMsgTransfer>(setup);
  transfer->StartReceiver();
  return transfer;
}

// --- Through a POSIX queue ---------------------------------------------------

ipc::PosixMessageQueue CreateTransferQueue(size_t chunk, bool faulting) {
  // mq_overview(7): a new queue may hold up to fs/mqueue/msg_max messages
  // of up to msgsize_max bytes; the default count (msg_default) is below
  // the maximum.
  const ipc::PosixQueueAttributes attributes{
      .max_messages = static_cast<long>(ReadSysctl("fs/mqueue/msg_default")),
      .max_message_size = static_cast<long>(FaultingChunk(
          std::min<size_t>(
              chunk, static_cast<size_t>(ReadSysctl("fs/mqueue/msgsize_max"))),
          faulting)),
  };
  ipc::PosixMessageQueue queue =
      ipc::PosixMessageQueue::Create(UniqueIpcName("transfer"), attributes);
  // Both halves share this descriptor (B inherits it); the name is not
  // needed again, and an unlinked queue cannot be left behind.
  queue.UnlinkName();
  return queue;
}

class PosixMqTransfer final : public PreparedTransfer {
 public:
  explicit PosixMqTransfer(const TransferSetup& setup)
      : PreparedTransfer(setup),
        size_(setup.size),
        source_(OpenOrThrow(setup.source_path, O_RDONLY)),
        queue_(CreateTransferQueue(setup.chunk, setup.fault_every_page)),
        chunk_(static_cast<size_t>(queue_.Attributes().mq_msgsize)),
        send_buffer_(chunk_, 0, setup.fault_every_page),
        receive_buffer_(chunk_, 0, setup.fault_every_page) {}

  // Per chunk: read(file) + mq_send (mq_timedsend); once: an empty message.
  int Send() override {
    size_t offset = 0;
    while (offset < size_) {
      if (const int code = send_buffer_.drop()()) return code;
      const ssize_t n = ::read(source_.get(), send_buffer_.data(),
                               std::min(chunk_, size_ - offset));
      if (n < 0) return ErrnoExit();
      if (n == 0) return kSourceEndedEarly;
      if (const int code = send_buffer_.drop()()) return code;
      if (::mq_send(queue_.descriptor(), send_buffer_.data(), n, 0) != 0) {
        return ErrnoExit();
      }
      offset += static_cast<size_t>(n);
    }
    if (::mq_send(queue_.descriptor(), send_buffer_.data(), 0, 0) != 0) {
      return ErrnoExit();
    }
    return 0;
  }

 protected:
  void CloseSenderEnds() override { source_.Reset(); }

  // B: mq_receive (mq_timedreceive) + write(sink) until the empty message.
  int Receive() override {
    size_t total = 0;
    uint64_t checksum = kTransferChecksumSeed;
    for (;;) {
      if (const int code = receive_buffer_.drop()()) return code;
      const ssize_t n = ::mq_receive(queue_.descriptor(),
                                     receive_buffer_.data(), chunk_, nullptr);
      if (n < 0) return ErrnoExit();
      if (n == 0) break;
      if (const int code = SinkChunk(
              sink_fd(), receive_buffer_.data(), static_cast<size_t>(n),
              size_ + chunk_, &total, &checksum, receive_buffer_.drop())) {
        return code;
      }
    }
    ReportFromReceiver(total, checksum, true);
    return 0;
  }

 private:
  const size_t size_;
  ipc::UniqueFd source_;
  ipc::PosixMessageQueue queue_;
  const size_t chunk_;
  UserBuffer send_buffer_;
  UserBuffer receive_buffer_;
};

std::unique_ptr<PreparedTransfer> PreparePosixMq(const TransferSetup& setup) {
  auto transfer = std::make_unique<PosixMqTransfer>(setup);
  transfer->StartReceiver();
  return transfer;
}

// --- Through shared memory ---------------------------------------------------

// The handoff at the start of the shared mapping; the data slot starts at
// the next page.
struct Handoff {
  sem_t empty;  // 1: A may fill the slot
  sem_t full;   // 1: B may drain it
  size_t length;
};

// The shared mapping both halves use: MAP_SHARED anonymous memory, or in
// the faulting mode a FaultingBuffer (MAP_SHARED memfd pages, one mapping
// each), which B shares after the fork just the same.
class SharedRegion {
 public:
  SharedRegion(size_t size, bool faulting) {
    if (faulting) {
      faulting_.emplace(size);
    } else {
      plain_ = ipc::MemoryMapping::AnonymousShared(size);
    }
  }
  // Page-aligned either way.
  char* data() const {
    return faulting_ ? faulting_->data()
                     : reinterpret_cast<char*>(plain_.data());
  }
  bool faulting() const { return faulting_.has_value(); }

 private:
  ipc::MemoryMapping plain_;
  std::optional<bpf::FaultingBuffer> faulting_;
};

class SharedMemoryTransfer final : public PreparedTransfer {
 public:
  explicit SharedMemoryTransfer(const TransferSetup& setup)
      : PreparedTransfer(setup),
        size_(setup.size),
        chunk_(setup.chunk),
        source_(OpenOrThrow(setup.source_path, O_RDONLY)),
        region_(PageSize() + chunk_, setup.fault_every_page),
        handoff_(reinterpret_cast<Handoff*>(region_.data())),
        slot_(region_.data() + PageSize()),
        // Only the slot's pages are dropped: the semaphores' futex words stay
        // mapped, so the kernel's reads of them (futex_wait) never fault.
        slot_drop_(region_.faulting() ? PageDropper(slot_, chunk_)
                                      : PageDropper()),
        empty_(ipc::PosixSemaphore::InitIn(&handoff_->empty, 1, true)),
        full_(ipc::PosixSemaphore::InitIn(&handoff_->full, 0, true)) {}

  // Per chunk: sem_clockwait(empty) + read(file) into the shared slot +
  // sem_post(full); the semaphores enter the kernel (futex) only to sleep
  // or to wake a sleeper. Once: an empty handoff, the end.
  int Send() override {
    TouchHandoff();
    size_t offset = 0;
    for (;;) {
      const timespec deadline = MonotonicDeadline();
      if (::sem_clockwait(&handoff_->empty, CLOCK_MONOTONIC, &deadline) != 0) {
        return ErrnoExit();
      }
      if (offset == size_) break;
      if (const int code = slot_drop_()) return code;
      const ssize_t n =
          ::read(source_.get(), slot_, std::min(chunk_, size_ - offset));
      if (n < 0) return ErrnoExit();
      if (n == 0) return kSourceEndedEarly;
      handoff_->length = static_cast<size_t>(n);
      if (::sem_post(&handoff_->full) != 0) return ErrnoExit();
      offset += static_cast<size_t>(n);
    }
    handoff_->length = 0;
    if (::sem_post(&handoff_->full) != 0) return ErrnoExit();
    return 0;
  }

 protected:
  void CloseSenderEnds() override { source_.Reset(); }

  // B: sem_clockwait(full) + write(sink) out of the slot + sem_post(empty),
  // until the empty handoff.
  int Receive() override {
    TouchHandoff();
    size_t total = 0;
    uint64_t checksum = kTransferChecksumSeed;
    for (;;) {
      const timespec deadline = MonotonicDeadline();
      if (::sem_clockwait(&handoff_->full, CLOCK_MONOTONIC, &deadline) != 0) {
        return ErrnoExit();
      }
      const size_t n = handoff_->length;
      if (n == 0) break;
      if (n > chunk_) return kReceivedTooMuch;
      if (const int code = SinkChunk(sink_fd(), slot_, n, size_ + chunk_,
                                     &total, &checksum, slot_drop_)) {
        return code;
      }
      if (::sem_post(&handoff_->empty) != 0) return ErrnoExit();
    }
    ReportFromReceiver(total, checksum, true);
    return 0;
  }

 private:
  // The handoff's page mapped by a user-mode access of this process before
  // its first semaphore call (a forked process has no page of a MAP_SHARED
  // file mapping mapped; glibc's semaphores touch the word before any futex
  // call anyway: this makes it explicit).
  void TouchHandoff() const {
    (void)*static_cast<volatile const size_t*>(&handoff_->length);
  }

  const size_t size_;
  const size_t chunk_;
  ipc::UniqueFd source_;
  SharedRegion region_;
  Handoff* handoff_;
  char* slot_;
  PageDropper slot_drop_;
  ipc::PosixSemaphore empty_;
  ipc::PosixSemaphore full_;
};

std::unique_ptr<PreparedTransfer> PrepareSharedMemory(
    const TransferSetup& setup) {
  auto transfer = std::make_unique<SharedMemoryTransfer>(setup);
  transfer->StartReceiver();
  return transfer;
}

// --- The table ---------------------------------------------------------------

constexpr std::array<NamedTransfer, 13> kTransfers = {{
    {"unix_socket.read_write", TransferKind::kFileToSocket,
     "per chunk: read(file) + write(socket)",
     &PrepareSocket<SocketMethod::kReadWrite, SocketFamily::kUnix>},
    {"unix_socket.mmap_write", TransferKind::kFileToSocket,
     "once: mmap(file) + munmap; per chunk: write(socket) from the mapping",
     &PrepareSocket<SocketMethod::kMmapWrite, SocketFamily::kUnix>},
    {"unix_socket.sendfile", TransferKind::kFileToSocket,
     "per chunk: sendfile(socket, file, NULL, chunk)",
     &PrepareSocket<SocketMethod::kSendfile, SocketFamily::kUnix>},
    {"unix_socket.splice", TransferKind::kFileToSocket,
     "per chunk: splice(file -> pipe) + splice(pipe -> socket)",
     &PrepareSocket<SocketMethod::kSplice, SocketFamily::kUnix>},
    {"tcp_socket.read_write", TransferKind::kFileToSocket,
     "per chunk: read(file) + write(socket)",
     &PrepareSocket<SocketMethod::kReadWrite, SocketFamily::kTcp>},
    {"tcp_socket.mmap_write", TransferKind::kFileToSocket,
     "once: mmap(file) + munmap; per chunk: write(socket) from the mapping",
     &PrepareSocket<SocketMethod::kMmapWrite, SocketFamily::kTcp>},
    {"tcp_socket.sendfile", TransferKind::kFileToSocket,
     "per chunk: sendfile(socket, file, NULL, chunk)",
     &PrepareSocket<SocketMethod::kSendfile, SocketFamily::kTcp>},
    {"tcp_socket.splice", TransferKind::kFileToSocket,
     "per chunk: splice(file -> pipe) + splice(pipe -> socket)",
     &PrepareSocket<SocketMethod::kSplice, SocketFamily::kTcp>},
    {"pipe.read_write", TransferKind::kFileToPipeToFile,
     "A per chunk: read(file) + write(pipe); B: read(pipe) + write(file)",
     &PreparePipe<false>},
    {"pipe.splice", TransferKind::kFileToPipeToFile,
     "A per chunk: splice(file -> pipe); B: splice(pipe -> file)",
     &PreparePipe<true>},
    {"sysv_msg", TransferKind::kMessageQueue,
     "A per message (<= msgmax): read(file) + msgsnd, one empty msgsnd at "
     "the end; B: msgrcv + write(file)",
     &PrepareSysvMsg},
    {"posix_mq", TransferKind::kMessageQueue,
     "A per message (<= mq_msgsize): read(file) + mq_timedsend, one empty "
     "message at the end; B: mq_timedreceive + write(file)",
     &PreparePosixMq},
    {"shared_memory", TransferKind::kSharedMemory,
     "A per chunk: read(file) into a MAP_SHARED slot between a sem wait and "
     "post (futex only to sleep or wake); B: write(file) out of the slot",
     &PrepareSharedMemory},
}};

}  // namespace

std::string_view TransferKindName(TransferKind kind) {
  switch (kind) {
    case TransferKind::kFileToSocket:
      return "file_to_socket";
    case TransferKind::kFileToPipeToFile:
      return "file_to_pipe_to_file";
    case TransferKind::kMessageQueue:
      return "message_queue";
    case TransferKind::kSharedMemory:
      return "shared_memory";
  }
  return "?";
}

uint64_t TransferChecksumUpdate(uint64_t checksum, const char* bytes,
                                size_t n) {
  for (size_t i = 0; i < n; ++i) {
    checksum ^= static_cast<unsigned char>(bytes[i]);
    checksum *= 0x100000001b3ULL;
  }
  return checksum;
}

uint64_t TransferChecksum(std::span<const char> bytes) {
  return TransferChecksumUpdate(kTransferChecksumSeed, bytes.data(),
                                bytes.size());
}

SourceFile::SourceFile(size_t size, unsigned seed)
    : path_(UniqueTempPath("source")), bytes_(Pattern(size, seed)) {
  ipc::UniqueFd fd =
      OpenOrThrow(path_, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0600);
  if (const int code = WriteAllRaw(fd.get(), bytes_.data(), bytes_.size())) {
    ::unlink(path_.c_str());
    throw std::runtime_error("writing the source file " + path_ +
                             " failed: " + DescribeExitCode(code));
  }
}

SourceFile::~SourceFile() { ::unlink(path_.c_str()); }

TransferSetup SourceFile::Setup(size_t chunk) const {
  return TransferSetup{
      .source_path = path_, .size = bytes_.size(), .chunk = chunk};
}

struct PreparedTransfer::State {
  std::string sink_path;
  ipc::UniqueFd sink;
  ipc::UniqueFd report_read;
  ipc::UniqueFd report_write;
  std::optional<ipc::ChildProcess> receiver;
  void (*receiver_started)(const void* context) = nullptr;
  const void* receiver_context = nullptr;
  // A write to a socket or pipe whose reader is gone raises SIGPIPE
  // (pipe(7), socket(7)); ignored, the sender sees EPIPE and reports it.
  ScopedSignalIgnored sigpipe{SIGPIPE};
};

struct ReceiverReport {
  uint64_t bytes;
  uint64_t checksum;
  uint64_t checksum_known;
};

PreparedTransfer::PreparedTransfer(const TransferSetup& setup)
    : state_(std::make_unique<State>()) {
  state_->receiver_started = setup.receiver_started;
  state_->receiver_context = setup.receiver_context;
  state_->sink_path = UniqueTempPath("sink");
  state_->sink = OpenOrThrow(state_->sink_path,
                             O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0600);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) ThrowErrno("pipe2");
  state_->report_read.Reset(fds[0]);
  state_->report_write.Reset(fds[1]);
}

PreparedTransfer::~PreparedTransfer() {
  // The receiver goes first (ChildProcess's destructor kills and reaps it).
  state_->receiver.reset();
  ::unlink(state_->sink_path.c_str());
}

int PreparedTransfer::sink_fd() const { return state_->sink.get(); }

void PreparedTransfer::StartReceiver() {
  state_->receiver.emplace(ipc::ChildProcess::Fork([this] {
    // First, so that whatever it starts (a copy counter's Follow) sees
    // every later call of B's.
    if (state_->receiver_started != nullptr) {
      state_->receiver_started(state_->receiver_context);
    }
    // B's deadline: SIGALRM at its default action ends it, whatever
    // disposition it inherited.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGALRM, &default_action, nullptr);
    ::alarm(
        static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(
                                  ScaledTimeout(kTransferDeadline))
                                  .count()));
    CloseSenderEnds();
    state_->report_read.Reset();
    return Receive();
  }));
  CloseReceiverEnds();
}

void PreparedTransfer::ReportFromReceiver(size_t bytes, uint64_t checksum,
                                          bool known) {
  const ReceiverReport report{bytes, checksum, known ? 1u : 0u};
  // One write of less than PIPE_BUF into an empty pipe: all or nothing.
  if (::write(state_->report_write.get(), &report, sizeof report) !=
      static_cast<ssize_t>(sizeof report)) {
    ::_exit(kReceiverNoReport);
  }
}

TransferOutcome PreparedTransfer::Finish(
    std::optional<ipc::WaitStatus> sender) {
  TransferOutcome outcome;
  std::vector<std::string> errors;
  if (!sender) {
    errors.push_back("the sender's end is unknown (it was never run)");
  } else if (!sender->ExitedWith(0)) {
    errors.push_back("the sender: " + DescribeChildExit(*sender));
  }
  // B sees the end of a stream once every copy of A's end is closed.
  CloseSenderEnds();
  state_->report_write.Reset();
  state_->sink.Reset();
  if (!state_->receiver) {
    errors.push_back("no receiver was started");
  } else {
    const std::optional<ipc::WaitStatus> status = ReapWithin(
        *state_->receiver, kTransferDeadline + std::chrono::seconds(1));
    if (!status) {
      errors.push_back("the receiver did not finish: " +
                       DescribeUnfinishedChild(*state_->receiver));
      state_->receiver.reset();
    } else if (!status->ExitedWith(0)) {
      errors.push_back("the receiver: " + DescribeChildExit(*status));
    }
  }
  ReceiverReport report{};
  const ssize_t n = ::read(state_->report_read.get(), &report, sizeof report);
  if (n == static_cast<ssize_t>(sizeof report)) {
    outcome.receiver_bytes = report.bytes;
    if (report.checksum_known) outcome.receiver_checksum = report.checksum;
  } else if (errors.empty()) {
    errors.push_back("the receiver exited without its report");
  }
  const std::string sink = ReadFileOrThrow(state_->sink_path);
  outcome.received.assign(sink.begin(), sink.end());
  for (const std::string& error : errors) {
    if (!outcome.error.empty()) outcome.error += "; ";
    outcome.error += error;
  }
  return outcome;
}

std::span<const NamedTransfer> AllTransfers() { return kTransfers; }

const NamedTransfer& TransferNamed(std::string_view name) {
  for (const NamedTransfer& transfer : kTransfers) {
    if (transfer.name == name) return transfer;
  }
  throw std::invalid_argument("no named transfer \"" + std::string(name) +
                              "\"");
}

TransferOutcome RunTransfer(const NamedTransfer& transfer,
                            const TransferSetup& setup) {
  std::unique_ptr<PreparedTransfer> prepared = transfer.prepare(setup);
  int code;
  {
    // A's deadline: SIGALRM interrupts a write that never gets room.
    ScopedAlarmDeadline deadline;
    deadline.Arm(kTransferDeadline);
    code = prepared->Send();
  }
  return prepared->Finish(ipc::WaitStatus(code << 8));
}

size_t LargestChannelBuffer() {
  const ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  const size_t pipe_capacity = pipe.Capacity();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    ThrowErrno("socketpair(AF_UNIX, SOCK_STREAM)");
  }
  const ipc::UniqueFd first(fds[0]);
  const ipc::UniqueFd second(fds[1]);
  int sndbuf = 0;
  socklen_t length = sizeof sndbuf;
  if (::getsockopt(first.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &length) != 0) {
    ThrowErrno("getsockopt(SO_SNDBUF)");
  }
  return std::max(pipe_capacity, static_cast<size_t>(sndbuf));
}

}  // namespace ipcproof

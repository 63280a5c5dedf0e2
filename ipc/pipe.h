// An anonymous pipe (pipe(7)): two descriptors onto one kernel buffer.
#ifndef IPC_PIPE_H_
#define IPC_PIPE_H_

#include <cstddef>
#include <span>
#include <string_view>

#include "ipc/unique_fd.h"

namespace ipc {

class Pipe {
 public:
  // pipe2(2). `flags` may combine O_CLOEXEC, O_NONBLOCK and O_DIRECT (packet
  // mode); anything else is refused before the call.
  static Pipe Create(int flags = 0);

  // Adopts two already-open ends (e.g. both ends of a FIFO).
  Pipe(UniqueFd read_end, UniqueFd write_end);

  int read_fd() const { return read_end_.get(); }
  int write_fd() const { return write_end_.get(); }
  UniqueFd& read_end() { return read_end_; }
  UniqueFd& write_end() { return write_end_; }

  // Closing the end a process does not use is what lets the other side see
  // EOF (reader) or EPIPE (writer): pipe(7).
  void CloseReadEnd() { read_end_.Reset(); }
  void CloseWriteEnd() { write_end_.Reset(); }

  // F_GETPIPE_SZ: the buffer's capacity in bytes.
  size_t Capacity() const;
  // F_SETPIPE_SZ: asks for at least `bytes`; returns what the kernel set
  // (rounded up to a power-of-two number of pages).
  size_t SetCapacity(size_t bytes);
  // FIONREAD: unread bytes in the buffer.
  size_t BytesUnread() const;

  // Sets or clears O_NONBLOCK on one end (the open file description, so
  // every descriptor sharing it sees the change).
  void SetNonBlocking(bool read_end, bool enabled);

  size_t Write(std::span<const std::byte> data);
  size_t Read(std::span<std::byte> buffer);
  void WriteAll(std::span<const std::byte> data);
  void WriteAll(std::string_view text);
  void ReadExact(std::span<std::byte> buffer);

 private:
  int AnyOpenEnd(const char* call) const;

  UniqueFd read_end_;
  UniqueFd write_end_;
};

// Sets or clears O_NONBLOCK with F_GETFL/F_SETFL.
void SetNonBlocking(int fd, bool enabled);

// FIONREAD on any pipe or FIFO descriptor: unread bytes in its buffer.
size_t BytesUnread(int fd);

}  // namespace ipc

#endif  // IPC_PIPE_H_

// Reads and writes on any descriptor (pipe, FIFO, socket), with the two
// things raw read(2)/write(2) leave to the caller: retrying after EINTR, and
// carrying on after a short transfer.
#ifndef IPC_IO_H_
#define IPC_IO_H_

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string_view>

namespace ipc {

// One read(2), retried while it fails with EINTR. Returns the byte count,
// 0 at end of file. Throws std::system_error on any other error (EAGAIN on
// an empty non-blocking descriptor included).
size_t ReadSome(int fd, std::span<std::byte> buffer);

// One write(2), retried while it fails with EINTR. May write fewer bytes than
// asked (a pipe with less room than a large write, a signal after progress).
size_t WriteSome(int fd, std::span<const std::byte> data);

// Writes every byte, looping over short writes. On an error the exception
// says how many bytes had been written before it.
void WriteAll(int fd, std::span<const std::byte> data);
void WriteAll(int fd, std::string_view text);

// Thrown by ReadExact when end of file comes before the buffer is full.
class UnexpectedEndOfFile : public std::runtime_error {
 public:
  UnexpectedEndOfFile(size_t wanted, size_t got);
  size_t bytes_read() const { return got_; }

 private:
  size_t got_;
};

// Fills the whole buffer, looping over short reads.
void ReadExact(int fd, std::span<std::byte> buffer);

// Reads until end of file or until `buffer` is full; returns the count.
size_t ReadUntilEof(int fd, std::span<std::byte> buffer);

// Views of text as bytes, for the calls above.
inline std::span<const std::byte> AsBytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace ipc

#endif  // IPC_IO_H_

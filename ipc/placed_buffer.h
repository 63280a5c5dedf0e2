// Message buffers of the queue wrappers: where they put a message, and how
// they copy one (internal to ipc/; used by sysv_message_queue.cc and
// posix_message_queue.cc).
//
// WHY PLACEMENT MATTERS. Both kinds of queue copy a message between user
// memory and a kmalloc'd struct msg_msg (load_msg/store_msg, ipc/msgutil.c)
// whose text starts 48 bytes into its slab object (8 into each further
// msg_msgseg); objects of 2 KiB and more sit at multiples of 2 KiB. Those
// copies, and glibc 2.36's memcpy from 4 KiB on, use `rep movsb`, which on
// AMD Zen CPUs (this project's machines: "AMD EPYC", fsrm) slows down badly
// when the destination starts 1 to 63 bytes after the source modulo 4096.
// Measured here: a 4 KiB msgsnd+msgrcv round trip takes 3.5-6 us instead
// of 2.7 when the user text starts 24-80 bytes into a page, and a 4-8 KiB
// memcpy 1.4-2.8 us instead of 50-100 ns. glibc hands out 4104-byte chunks
// at page offsets 16, 32, 48, ..., so a wrapper that left this to the heap
// cost microseconds per message by the luck of its addresses. So:
//   - from kPlaceFrom bytes of text on (below, no copy here showed the
//     effect), a buffer is 4 KiB aligned with the text kTextOffset bytes
//     in: far from 8 and from 48 plus any multiple of 2 KiB, wherever the
//     kernel's object lies;
//   - the wrappers' own copies go in kCopyPiece pieces: under glibc's
//     rep_movsb_threshold (2048 times the vector width / 16, never below
//     2048) memcpy uses vector moves, as fast here as the best case of
//     `rep movsb`, with no such worst case.
#ifndef IPC_PLACED_BUFFER_H_
#define IPC_PLACED_BUFFER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace ipc::internal {

inline constexpr size_t kAliasPeriod = 4096;
inline constexpr size_t kTextOffset = 1536;
inline constexpr size_t kPlaceFrom = 1024;
inline constexpr size_t kCopyPiece = 1024;

// The largest buffer a thread keeps between calls (ScratchBuffer): 128
// times the default msgmax / msgsize_max (8192), so every message a default
// kernel allows reuses it, while a test that raised the limits to megabytes
// does not leave that much behind in each thread it used.
inline constexpr size_t kRetainedLimit = size_t{1} << 20;

// Allocates `header` bytes (a struct msgbuf's long type, or none) followed
// by `text_size` bytes, placed as above; returns the allocation and sets
// `start` to where the header begins (the text follows it). Never
// zero-filled. Free with FreePlaced.
std::byte* AllocatePlaced(size_t header, size_t text_size, std::byte*& start);

// Frees what AllocatePlaced returned (a placed start is not the allocation).
void FreePlaced(std::byte* allocation, const std::byte* start) noexcept;

// One owned placed buffer.
class PlacedBuffer {
 public:
  PlacedBuffer() = default;
  PlacedBuffer(size_t header, size_t text_size) {
    allocation_ = AllocatePlaced(header, text_size, start_);
  }
  ~PlacedBuffer() { FreePlaced(allocation_, start_); }
  PlacedBuffer(const PlacedBuffer&) = delete;
  PlacedBuffer& operator=(const PlacedBuffer&) = delete;
  PlacedBuffer& operator=(PlacedBuffer&& other) noexcept;

  std::byte* start() const { return start_; }

 private:
  std::byte* allocation_ = nullptr;
  std::byte* start_ = nullptr;
};

// Memory for one call to pack or receive a message of `text_size` bytes
// with a `kHeader`-byte header: the calling thread's retained buffer, grown
// (doubling, so ever larger messages reallocate a logarithmic number of
// times) if needed, or above kRetainedLimit a buffer of this call's own.
// One retained buffer per header size, so each keeps its placement. Never
// zero-filled: the wrappers write every byte they hand to the kernel and
// read back only the bytes the kernel wrote.
template <size_t kHeader>
class ScratchBuffer {
 public:
  explicit ScratchBuffer(size_t text_size) {
    if (text_size > kRetainedLimit) {
      own_ = PlacedBuffer(kHeader, text_size);
      start_ = own_.start();
      return;
    }
    struct Retained {
      PlacedBuffer storage;
      size_t text_size = 0;
    };
    thread_local Retained retained;
    if (retained.storage.start() == nullptr || retained.text_size < text_size) {
      const size_t grown =
          std::min(kRetainedLimit, std::max(text_size, 2 * retained.text_size));
      retained.storage = PlacedBuffer(kHeader, grown);
      retained.text_size = grown;
    }
    start_ = retained.storage.start();
  }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  std::byte* start() const { return start_; }
  std::byte* text() const { return start_ + kHeader; }

 private:
  PlacedBuffer own_;
  std::byte* start_ = nullptr;
};

// memcpy in kCopyPiece pieces (see above).
inline void CopyInPieces(void* to, const void* from, size_t size) {
  auto* out = static_cast<std::byte*>(to);
  const auto* in = static_cast<const std::byte*>(from);
  for (size_t done = 0; done < size; done += kCopyPiece) {
    std::memcpy(out + done, in + done, std::min(kCopyPiece, size - done));
  }
}

// `size` bytes as a new container (std::string, std::vector<std::byte>):
// one allocation of exactly `size`, appended in kCopyPiece pieces, not
// zero-filled first.
template <typename Container>
Container CopiedInPieces(const void* from, size_t size) {
  using Value = typename Container::value_type;
  const auto* in = static_cast<const Value*>(from);
  Container bytes;
  bytes.reserve(size);
  for (size_t done = 0; done < size; done += kCopyPiece) {
    const size_t piece = std::min(kCopyPiece, size - done);
    bytes.insert(bytes.end(), in + done, in + done + piece);
  }
  return bytes;
}

}  // namespace ipc::internal

#endif  // IPC_PLACED_BUFFER_H_

#include "ipc/placed_buffer.h"

#include <new>
#include <utility>

namespace ipc::internal {

std::byte* AllocatePlaced(size_t header, size_t text_size, std::byte*& start) {
  if (text_size < kPlaceFrom) {
    std::byte* const allocation =
        static_cast<std::byte*>(::operator new(header + text_size));
    start = allocation;
    return allocation;
  }
  std::byte* const allocation = static_cast<std::byte*>(
      ::operator new (kTextOffset + text_size, std::align_val_t{kAliasPeriod}));
  start = allocation + kTextOffset - header;
  return allocation;
}

void FreePlaced(std::byte* allocation, const std::byte* start) noexcept {
  if (allocation == nullptr) return;
  if (start == allocation) {
    ::operator delete(allocation);
  } else {
    ::operator delete (allocation, std::align_val_t{kAliasPeriod});
  }
}

PlacedBuffer& PlacedBuffer::operator=(PlacedBuffer&& other) noexcept {
  std::swap(allocation_, other.allocation_);
  std::swap(start_, other.start_);
  return *this;
}

}  // namespace ipc::internal

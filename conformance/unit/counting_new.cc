#include "conformance/unit/counting_new.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "gtest/gtest.h"

namespace {
// Every heap allocation this binary makes (see the replacement below).
std::atomic<long> g_allocations{0};
}  // namespace

// libstdc++'s operator new[] and nothrow forms call these two, so they count
// every allocation, over-aligned ones included (the wrappers place large
// buffers 4 KiB aligned); the matching deletes free with free().
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (void* p =
          std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace ipcproof::unit {

long AllocationCount() { return g_allocations.load(std::memory_order_relaxed); }

// Linked into every binary that counts (alwayslink), so each proves that
// its counter works: without this, a counter that saw nothing would pass
// every "allocates nothing" test.
TEST(CountingNewTest, TheCounterSeesEveryAllocation) {
  std::vector<std::unique_ptr<std::byte[]>> kept;
  kept.reserve(3);
  const long counted = AllocationsIn(
      3, [&] { kept.push_back(std::make_unique<std::byte[]>(100)); });
  EXPECT_EQ(counted, 3);
}

}  // namespace ipcproof::unit

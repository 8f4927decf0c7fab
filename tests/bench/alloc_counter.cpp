// The replaced global operator new / delete of sg-bench (alloc_counter.hpp). Every form of
// operator new counts (when counting is on) and allocates with malloc / aligned_alloc; every
// form of operator delete frees with free. Counters live in cache-line-sized slots picked per
// thread, so threads allocating at once do not share a cache line.
#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace sg_bench {

namespace {

constexpr unsigned kSlots = 64;

struct alignas(64) Slot {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> bytes{0};
};

Slot g_slots[kSlots];
std::atomic<bool> g_on{false};
std::atomic<unsigned> g_next_slot{0};
thread_local unsigned t_slot = kSlots;  // kSlots: not picked yet (constant-initialised, no TLS guard)

void count(std::size_t size) noexcept {
  if (!g_on.load(std::memory_order_relaxed)) return;
  if (t_slot == kSlots) t_slot = g_next_slot.fetch_add(1, std::memory_order_relaxed) % kSlots;
  Slot& slot = g_slots[t_slot];
  slot.count.fetch_add(1, std::memory_order_relaxed);
  slot.bytes.fetch_add(size, std::memory_order_relaxed);
}

void* allocate(std::size_t size) noexcept {
  count(size);
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) noexcept {
  count(size);
  const auto align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size == 0 ? align : (size + align - 1) / align * align);
  return std::aligned_alloc(align, rounded);
}

void* checked(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void set_alloc_counting(bool on) { g_on.store(on, std::memory_order_relaxed); }

AllocTotals alloc_totals() {
  AllocTotals totals;
  for (const Slot& slot : g_slots) {
    totals.count += slot.count.load(std::memory_order_relaxed);
    totals.bytes += slot.bytes.load(std::memory_order_relaxed);
  }
  return totals;
}

}  // namespace sg_bench

// NOLINTBEGIN(misc-new-delete-overloads): the whole set is replaced, as [replacement.functions] allows.
void* operator new(std::size_t size) { return sg_bench::checked(sg_bench::allocate(size)); }
void* operator new[](std::size_t size) { return sg_bench::checked(sg_bench::allocate(size)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return sg_bench::allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return sg_bench::allocate(size); }
void* operator new(std::size_t size, std::align_val_t a) { return sg_bench::checked(sg_bench::allocate_aligned(size, a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return sg_bench::checked(sg_bench::allocate_aligned(size, a)); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return sg_bench::allocate_aligned(size, a);
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return sg_bench::allocate_aligned(size, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
// NOLINTEND(misc-new-delete-overloads)

#pragma once
// Heap allocation counting for sg-bench (--allocs): alloc_counter.cpp replaces the global
// operator new / delete of the sg-bench binary (only that binary: the libraries keep the standard
// ones, and none of this is part of stategraph), so every `new` made by any thread of the process
// — the engine's, the savers', the executor's, the bench's own — goes through a counter.
// malloc called directly by C libraries (SQLite, libpq) is not counted.

#include <cstdint>

namespace sg_bench {

/// Allocations counted so far (operator new of every form, every thread, while counting is on).
struct AllocTotals {
  std::uint64_t count = 0;  ///< calls of operator new / new[] (any alignment, nothrow included)
  std::uint64_t bytes = 0;  ///< bytes requested by them (not the allocator's rounding)
};

/// Turns counting on or off for every thread (off at start: a counted allocation costs one
/// uncontended atomic add on a per-thread slot, which --allocs timings then include).
/// Thread-safe.
void set_alloc_counting(bool on);

/// The totals counted so far, summed over every thread. Thread-safe; exact once the threads that
/// allocate have stopped (the figures of one invocation are read after it returned).
AllocTotals alloc_totals();

}  // namespace sg_bench

#pragma once
// How a server process sets glibc's allocator up (sg-agent-server, sg-chatbot serve).

namespace sg::server {

/// Keeps freed heap memory in the process instead of returning it to the kernel at once: glibc's
/// `M_TRIM_THRESHOLD` 256 MiB (default 128 KiB) and `M_MMAP_THRESHOLD` 32 MiB (default 128 KiB,
/// growing). With glibc's defaults a busy server gave pages back after each burst of runs and
/// faulted them in again, zero-filled, on the next one: ~5 % of its CPU (`clear_page_erms` under
/// `sysmalloc` in `perf`), 4-15 % fewer runs/s in `sg-bench server`. The cost is resident memory:
/// a server keeps its peak heap (`server_peak_rss_mib` in the bench) until it exits.
/// Process-wide and thread-safe (glibc's mallopt); call once from main. Does nothing on other C
/// libraries.
void tune_allocator_for_serving() noexcept;

}  // namespace sg::server

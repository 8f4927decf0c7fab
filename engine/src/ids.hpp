#pragma once
// Channel versions and the deterministic ids of tasks and interrupts.

#include <cstdint>
#include <memory>
#include <string>

namespace sg::detail {

/// A channel version: counter `n` (0 = the channel has no value) and its checkpoint string.
/// The string is shared and immutable: a step gives one new version to every channel it
/// changes, and versions_seen copies versions per node, so a copy costs no allocation.
struct Version {
  std::uint64_t n = 0;
  std::shared_ptr<const std::string> text;  // null when n == 0
  [[nodiscard]] bool has() const noexcept { return n != 0; }
  /// The checkpoint string ("" when the channel has no value).
  [[nodiscard]] const std::string& str() const noexcept {
    static const std::string kNone;
    return text ? *text : kNone;
  }
};
Version parse_version(const std::string& s);
std::string format_version(std::uint64_t n);

/// Deterministic task id: xxh3-128 of (checkpoint id, ns, step, node, kind, triggers or index),
/// formatted 8-4-4-4-12 (LangGraph: pregel/_algo.py `_xxhash_str`).
std::string task_id(const std::string& checkpoint_id, const std::string& ns, std::int64_t step,
                    const std::string& node, bool push, const std::string& detail);
/// Interrupt id: xxh3-128 hex of the task's namespace string.
std::string interrupt_id(const std::string& ns, const std::string& node, const std::string& task_id);

}  // namespace sg::detail

#pragma once
/// @file
/// Stream modes and events (LangGraph: langgraph/types.py `StreamMode`, pregel/_loop.py `_emit`).

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace sg {

/// What a stream yields. Combine with `|`.
enum class StreamMode : unsigned {
  values = 1U << 0,    ///< the whole state after every superstep that changed it, and once at the
                       ///< start of a run without new input (a resume, a Command, a replay), as
                       ///< LangGraph streams it (semantics reference §6)
  updates = 1U << 1,   ///< each task's writes as it finishes: data = {field: value}
  custom = 1U << 2,    ///< whatever nodes pass to RunContext::write_custom
  messages = 1U << 3,  ///< chat-model chunks emitted by nodes while they run
  debug = 1U << 4,     ///< task start/result and checkpoint records
};

/// Marker for StreamModes: `StreamMode::updates | sg::subgraphs` also streams the events of the
/// subgraphs the run starts (LangGraph: `stream(..., subgraphs=True)`).
struct StreamSubgraphs {};
inline constexpr StreamSubgraphs subgraphs{};

/// A set of StreamModes, and whether subgraphs' events are included.
struct StreamModes {
  unsigned bits = 0;
  /// Also yield the events of subgraphs (every mode, a model's `messages` tokens included, as
  /// they are produced), each with StreamEvent::ns set. Without it no event of a subgraph is
  /// streamed, as in LangGraph.
  bool subgraphs = false;
  constexpr StreamModes() = default;
  constexpr StreamModes(StreamMode m) : bits(static_cast<unsigned>(m)) {}  // NOLINT(implicit)
  [[nodiscard]] constexpr bool has(StreamMode m) const { return (bits & static_cast<unsigned>(m)) != 0; }
  [[nodiscard]] constexpr bool empty() const { return bits == 0; }
};
constexpr StreamModes operator|(StreamModes a, StreamModes b) {
  StreamModes r;
  r.bits = a.bits | b.bits;
  r.subgraphs = a.subgraphs || b.subgraphs;
  return r;
}
constexpr StreamModes operator|(StreamModes a, StreamSubgraphs) {
  a.subgraphs = true;
  return a;
}
constexpr StreamModes operator|(StreamMode a, StreamSubgraphs s) { return StreamModes(a) | s; }
constexpr StreamModes operator|(StreamMode a, StreamMode b) { return StreamModes(a) | StreamModes(b); }

/// The mode's name as LangGraph spells it ("values", "updates", ...).
const char* to_string(StreamMode mode) noexcept;

/// One streamed event of a run on a graph with state S.
/// - values:   `values` holds the state; `data` is null.
/// - updates:  `node` and `data` = {field: written value} (several writes to one field → a JSON
///             array of them); for an interrupt, node = "__interrupt__" and data = [interrupts]
///             (an empty array at a static interrupt_before/after, as LangGraph streams
///             {"__interrupt__": ()}). When a run resumes a step, the tasks whose writes were
///             saved are not run again but their updates are streamed first, with `cached` set
///             (LangGraph: {"node": {...}, "__metadata__": {"cached": true}}).
/// - custom:   `node` and `data` = the payload.
/// - messages: `node` and `data` = {"chunk": ..., "metadata": {...}}.
/// - debug:    `data` = {"type": "task"|"task_result"|"checkpoint", "step", "timestamp", "payload"};
///             task payload {"id", "name", "input" (the state it reads; null for a Send task),
///             "triggers"}, task_result {"id", "name", "error", "result", "interrupts"},
///             checkpoint {"config", "parent_config", "values", "metadata", "channel_versions"}
///             at the checkpoint's own step (-1 for an input checkpoint).
///
/// An event of a subgraph (see StreamModes::subgraphs) has `ns` set to the subgraph run's
/// checkpoint namespace ("research:<task id>", "research:<id>|inner:<id>" one level deeper;
/// LangGraph streams the same levels as a tuple) and `step`/`node` of the subgraph. Its `values`
/// is set only when the subgraph's state type is S; otherwise `data` holds the state as JSON.
template <class S>
struct StreamEvent {
  /// "" for the graph being streamed; a subgraph's checkpoint namespace for its events.
  std::string ns;
  StreamMode mode = StreamMode::values;
  std::int64_t step = 0;
  std::string node;
  std::shared_ptr<const S> values;
  nlohmann::json data;
  /// updates: the task did not run in this run; its writes were saved by an earlier one.
  bool cached = false;
};

}  // namespace sg

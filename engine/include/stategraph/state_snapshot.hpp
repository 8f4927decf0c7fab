#pragma once
/// @file
/// sg::StateSnapshot: a thread's state at one checkpoint (LangGraph: types.py `StateSnapshot`,
/// `PregelTask`).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/run_config.hpp"

namespace sg {

/// A task planned at a checkpoint: what will run next, or what ran and failed or paused.
struct TaskInfo {
  std::string id;
  std::string name;
  std::optional<std::string> error;   ///< "[id] message" when the task failed
  std::vector<Interrupt> interrupts;  ///< when the task paused
  bool has_result = false;            ///< its writes are saved (it will not run again)
};

template <class S>
struct StateSnapshot {
  S values{};
  /// Nodes that run next (empty when the run ended), sorted.
  std::vector<std::string> next;
  CheckpointConfig config;  ///< with checkpoint_id
  CheckpointMetadata metadata;
  std::string created_at;
  std::optional<CheckpointConfig> parent_config;
  std::vector<TaskInfo> tasks;
  std::vector<Interrupt> interrupts;
};

/// What invoke returns: the final state, and the interrupts when the run paused.
///
/// `values` is read-only and shared, not copied: the graph keeps the same state object for the
/// thread's next run (CompileOptions::state_cache), so returning it costs O(1) however long the
/// conversation. The graph never changes it: a later run that finds it still held copies it
/// before changing its own (copy on write). Copying a RunResult shares the state too; a
/// RunResult cannot be assigned (`values` is a reference), so use `std::optional::emplace` to
/// replace one. For a state of your own to change: `S mine = result.values;`.
///
/// Thread-safety: `values` may be read from any number of threads; distinct RunResults may be
/// used from distinct threads.
template <class S>
class RunResult {
  std::shared_ptr<const S> state_;  // declared first: `values` refers to it

 public:
  /// A default state.
  RunResult() : state_(std::make_shared<const S>()), values(*state_) {}
  /// The result of a run whose final state is `*state` (not null).
  explicit RunResult(std::shared_ptr<const S> state, std::vector<Interrupt> interrupts_ = {},
                     std::optional<CheckpointConfig> config_ = std::nullopt)
      : state_(std::move(state)), values(*state_), interrupts(std::move(interrupts_)), config(std::move(config_)) {}
  RunResult(const RunResult& o) : state_(o.state_), values(*state_), interrupts(o.interrupts), config(o.config) {}
  /// Leaves `o` valid (its `values` still refers to the shared state).
  RunResult(RunResult&& o) noexcept
      : state_(o.state_), values(*state_), interrupts(std::move(o.interrupts)), config(std::move(o.config)) {}
  RunResult& operator=(const RunResult&) = delete;
  RunResult& operator=(RunResult&&) = delete;
  ~RunResult() = default;

  /// The final state (or the state at the interrupt).
  const S& values;
  std::vector<Interrupt> interrupts;
  /// The latest checkpoint the run wrote (empty without a checkpointer).
  std::optional<CheckpointConfig> config;
  [[nodiscard]] bool interrupted() const noexcept { return !interrupts.empty(); }
  /// The shared state `values` refers to (it outlives this RunResult while held).
  [[nodiscard]] const std::shared_ptr<const S>& shared_values() const noexcept { return state_; }
};

}  // namespace sg

#pragma once
/// @file
/// sg::StateSnapshot: a thread's state at one checkpoint (LangGraph: types.py `StateSnapshot`,
/// `PregelTask`).

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
template <class S>
struct RunResult {
  S values{};
  std::vector<Interrupt> interrupts;
  /// The latest checkpoint the run wrote (empty without a checkpointer).
  std::optional<CheckpointConfig> config;
  [[nodiscard]] bool interrupted() const noexcept { return !interrupts.empty(); }
};

}  // namespace sg

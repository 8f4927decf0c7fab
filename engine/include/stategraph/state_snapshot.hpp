#pragma once
/// @file
/// sg::StateSnapshot: a thread's state at one checkpoint (LangGraph: types.py `StateSnapshot`,
/// `PregelTask`).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/run_config.hpp"

namespace sg {

/// A task planned at a checkpoint: what will run next, or what ran and failed or paused
/// (LangGraph: PregelTask). A checkpoint's tasks are listed as LangGraph's prepare_next_tasks
/// lists them: Send tasks first, in Send order, then the others by node name.
///
/// What a task ran into stays visible in get_state_history: a step's errors and interrupts are
/// kept with the checkpoint that planned it, while its value writes are deleted once the next
/// checkpoint holds them (unless CompileOptions::keep_applied_writes), so `result` of an older
/// step's task is then empty.
struct TaskInfo {
  std::string id;
  std::string name;
  std::optional<std::string> error;   ///< "[id] message" when the task failed
  std::vector<Interrupt> interrupts;  ///< when the task paused
  bool has_result = false;            ///< its writes are saved (it will not run again)
  /// The task's state writes, {field: value} as stream mode updates shows them (several writes to
  /// one field: a JSON array of them), when they are saved (has_result); LangGraph's
  /// PregelTask.result.
  std::optional<nlohmann::json> result;
  /// A task that ran a subgraph which has checkpoints for it (it paused, failed or is running):
  /// the subgraph's latest checkpoint (thread_id, its checkpoint_ns, checkpoint_id). Pass it as
  /// RunConfig {.thread_id, .checkpoint_ns} to get_state / get_state_history / update_state.
  /// LangGraph: PregelTask.state as a config.
  std::optional<CheckpointConfig> subgraph_config;
  /// With StateOptions::subgraphs: that subgraph's snapshot as JSON, LangGraph's nested
  /// PregelTask.state: {"values": {field: value}, "next": [...], "config": {"thread_id",
  /// "checkpoint_ns", "checkpoint_id"}, "metadata", "created_at", "interrupts": [{"id", "value",
  /// "node", "when"}], "tasks": [{"id", "name", "error", "interrupts", "has_result",
  /// "subgraph_state"}]}; null otherwise.
  nlohmann::json subgraph_state;
};

template <class S>
struct StateSnapshot {
  S values{};
  /// The node of every task that runs next, one entry per task in the order of `tasks` (three
  /// Sends to "generate" are three entries); tasks whose writes are saved are not listed when
  /// the snapshot applies them (get_state without a checkpoint_id). Empty when the run ended,
  /// and also when the only tasks left have saved writes (see needs_resume).
  std::vector<std::string> next;
  CheckpointConfig config;  ///< with checkpoint_id
  CheckpointMetadata metadata;
  std::string created_at;
  std::optional<CheckpointConfig> parent_config;
  std::vector<TaskInfo> tasks;
  /// The interrupts waiting at this checkpoint: those of its tasks, and at a static interrupt
  /// (interrupt_before/after) the ones the run returned in RunResult::interrupts.
  std::vector<Interrupt> interrupts;
  /// True when the checkpoint has tasks planned, i.e. the thread has work left: invoking with
  /// std::nullopt runs them, or applies the saved writes of those that finished. After a failed
  /// or cancelled run (or a checkpoint that could not be saved) `next` may be empty although
  /// needs_resume is true: the finished tasks' writes are shown applied, but a new input would
  /// drop them (as LangGraph drops a checkpoint's unfinished tasks on new input). Not a LangGraph
  /// field; there, `tasks` being non-empty tells the same.
  bool needs_resume = false;
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

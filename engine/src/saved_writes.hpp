#pragma once
// SavedWrites: a checkpoint's pending writes, read once. Per task: did it finish (its value
// writes, or none), fail, or pause (its interrupts and the resume values it was given); and what
// the run itself left under the null task id (a Command input's update/goto/Send writes and
// resume value, the static interrupt the run paused at). The Pregel loop, get_state /
// get_state_history and update_state all read pending writes through it, so they agree.
//
// LangGraph: pregel/_loop.py PregelLoop._first ("apply NULL writes", applied on every run start)
// and _reapply_writes_to_succeeded_nodes; pregel/main.py _prepare_state_snapshot (null writes
// applied to the snapshot, with or without a checkpoint id) and bulk_update_state; pregel/_algo.py
// _scratchpad (the null task's resume value).
//
// Thread-safety: immutable after construction; const members may be called from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop_state.hpp"

namespace sg::detail {

/// What one task left in a checkpoint's pending writes.
struct SavedTask {
  bool finished = false;              ///< value writes or format::kNoWritesWrite saved: it does not run again
  std::vector<PendingWrite> writes;   ///< its value writes, in stored order
  std::optional<std::string> error;   ///< format::kErrorWrite: the message
  std::vector<Interrupt> interrupts;  ///< format::kInterruptWrite
  std::vector<nlohmann::json> resume; ///< format::kResumeWrite: the values its interrupt() calls were given
};

class SavedWrites {
 public:
  SavedWrites() = default;
  /// Classifies `writes` (a CheckpointTuple's pending_writes). Unknown control channels are
  /// ignored; value writes are kept as stored and decoded only when used.
  explicit SavedWrites(const std::vector<PendingWrite>& writes);

  [[nodiscard]] bool empty() const noexcept { return tasks_.empty() && null_writes_.empty() && !null_resume_ && null_interrupts_.empty(); }

  /// The writes of the run's Command input (update, goto, Send) saved under the null task id, in
  /// stored order. Saving a later Command's writes for the same checkpoint must append to these
  /// (a saver keeps the first write of a (task, index)).
  [[nodiscard]] const std::vector<PendingWrite>& null_writes() const noexcept { return null_writes_; }
  /// The Command input's resume value, when one was saved.
  [[nodiscard]] const std::optional<nlohmann::json>& null_resume() const noexcept { return null_resume_; }
  /// The static interrupt(s) (interrupt_before/after) the run paused at, at this checkpoint.
  [[nodiscard]] const std::vector<Interrupt>& null_interrupts() const noexcept { return null_interrupts_; }
  /// What task `task_id` left; null when it left nothing.
  [[nodiscard]] const SavedTask* task(const std::string& task_id) const;

  /// Applies the null task's writes to `state` as LangGraph applies them when a run starts and in
  /// a snapshot: outside any task, no trigger consumed. Returns the channels that changed.
  /// @throws StateError (sg.state.501/502) when a write does not decode; InvalidUpdate (sg.update.201).
  std::vector<std::uint32_t> apply_null_writes(LoopState& state) const;

  /// Which outcomes attach gives a task that finished.
  enum class Use {
    run,   ///< for running: only the result (an earlier attempt's error or interrupt is over)
    show,  ///< for a snapshot: everything saved, as LangGraph's tasks_w_writes shows it
  };
  /// Gives each planned task its saved outcome: a finished task has_result and its decoded
  /// writes; every task its error text, interrupts and resume values (for a finished one only
  /// with Use::show).
  /// @throws StateError when a value write does not decode.
  void attach(std::vector<Task>& tasks, const LoopState& state, Use use) const;

  /// Interrupts still waiting for an answer: those of tasks that paused and did not finish since,
  /// and the static ones the run paused at. Empty: a Command resume has nothing to answer.
  [[nodiscard]] std::vector<Interrupt> pending_interrupts() const;

  /// JSON of interrupts as saved in a format::kInterruptWrite write, and back.
  static nlohmann::json interrupts_json(const std::vector<Interrupt>& interrupts);
  static std::vector<Interrupt> interrupts_from_json(const nlohmann::json& j);

 private:
  std::unordered_map<std::string, SavedTask> tasks_;
  std::vector<PendingWrite> null_writes_;
  std::optional<nlohmann::json> null_resume_;
  std::vector<Interrupt> null_interrupts_;
};

}  // namespace sg::detail

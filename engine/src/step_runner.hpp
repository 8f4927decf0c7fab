#pragma once
// StepRunner: runs the tasks of one superstep (LangGraph: pregel/_runner.py PregelRunner.tick,
// pregel/_retry.py run_with_retry; semantics reference §3.2 "execute"). Tasks without a saved
// result run in parallel on the graph's executor (the calling thread works too), each with its
// node's retry policy, on the step's snapshot of the state and into its own buffer. As each
// finishes, its update is streamed and its outcome (writes, error or interrupt) saved as pending
// writes of the checkpoint the step started from: under durability sync stored at once while
// other tasks of the step still run (the last one's go with the step's checkpoint, in the same
// transaction), under async with the step's checkpoint, under exit held until the run ends.
// Under async (unless CompileOptions::keep_applied_writes) a successful task's writes are not
// even encoded when it finishes: the step's checkpoint applies them and its put deletes them
// (Checkpoint::parent_writes_applied), so they are made only when the step does not end in a
// stored checkpoint (take_unsaved, save_unsaved).
//
// Thread-safety: one StepRunner belongs to one run; run() is called from the run's thread and
// calls its tasks from executor threads, which only touch their own Task and the synchronised parts
// of RunShared and of the runner (held writes).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_writer.hpp"
#include "loop_state.hpp"
#include "task_scope.hpp"

namespace sg::detail {

class StepRunner {
 public:
  /// `writer` is null when the graph has no checkpointer. All references must outlive the runner.
  StepRunner(const Engine& engine, const RunConfig& config, RunShared& shared, const LoopState& state,
             CheckpointWriter* writer)
      : e_(engine), config_(config), shared_(shared), state_(state), writer_(writer) {}

  /// The writer of the run's checkpoints (set once, before the first run()).
  void set_writer(CheckpointWriter* writer) noexcept { writer_ = writer; }

  /// Streams (mode updates, marked cached) the updates of tasks that will not run because an
  /// earlier run saved their writes (LangGraph: PregelLoop.tick → output_writes(cached=True)).
  void emit_cached(const std::vector<Task>& tasks, std::int64_t step) const;

  /// Runs every task of `tasks` that has no result yet, as step `step`; their pending writes are
  /// saved against checkpoint `at`. Returns when all have finished, failed, paused or seen the
  /// cancel; the outcome is in each Task (the first error is not thrown here).
  void run(std::vector<Task>& tasks, std::int64_t step, const CheckpointConfig& at);

  /// Hands `writes` of `task_id` against `at` to the writer — stored with the next checkpoint, or
  /// before it when `now` and durability is sync (CheckpointWriter::put_writes) — or under
  /// durability exit holds them until the run ends (see take_held).
  void save_writes(const CheckpointConfig& at, std::string task_id, std::vector<PendingWrite> writes, bool now = false);
  /// The pending writes of the tasks of `tasks` whose writes were deferred (Task::result_unsaved:
  /// run by this runner under async), against the checkpoint the step started from; marks them
  /// saved. What CheckpointWriter::put makes of a step's results when it needs them.
  std::vector<TaskWrites> take_unsaved(std::vector<Task>& tasks);
  /// Hands the deferred writes of `tasks` to the writer (stored with the next put or flush): the
  /// step ends without the checkpoint that applies them (an error, an interrupt, a cancel).
  void save_unsaved(std::vector<Task>& tasks);
  /// Durability exit: the writes held since the last clear_held, in the order they came.
  std::vector<std::pair<std::string, std::vector<PendingWrite>>> take_held();
  /// Durability exit: forgets the held writes (a newer checkpoint supersedes the one they are of).
  void clear_held();

 private:
  void run_task(Task& t);
  void produce_writes(Task& t, TaskScope& scope);
  void task_finished(Task& t);
  [[nodiscard]] std::vector<PendingWrite> result_writes(const Task& t) const;
  [[nodiscard]] nlohmann::json trigger_names(const Task& t) const;
  [[nodiscard]] nlohmann::json task_input_json(const Task& t) const;

  const Engine& e_;
  const RunConfig& config_;
  RunShared& shared_;
  const LoopState& state_;
  CheckpointWriter* writer_;
  std::int64_t step_ = 0;  // of the step being run
  bool defer_results_ = false;  // durability async, applied writes not kept: see the file comment
  std::atomic<std::size_t> unfinished_{0};  // tasks of the step that have not finished
  CheckpointConfig at_;    // the checkpoint its writes are saved against
  std::mutex held_mutex_;
  std::vector<std::pair<std::string, std::vector<PendingWrite>>> held_;
};

}  // namespace sg::detail

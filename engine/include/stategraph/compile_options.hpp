#pragma once
/// @file
/// Options of StateGraph::compile (LangGraph: graph/state.py `StateGraph.compile`).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stategraph/retry_policy.hpp"

namespace sg {

class BaseCheckpointSaver;
class Executor;

/// What a graph keeps when it runs as a subgraph of another (LangGraph: the `checkpointer`
/// argument of a subgraph's compile: None, True, False; tests/test_subgraph_persistence.py).
/// A subgraph always uses its parent's checkpointer and thread_id, under the lock the parent
/// run holds.
enum class SubgraphCheckpoints {
  /// Each call starts from the state the parent passes in, under checkpoint_ns
  /// "<parent ns>|<node>:<task id>"; an interrupt inside is resumed where it stopped (the task
  /// id is the same when the parent resumes the step). LangGraph's default.
  per_invocation,
  /// The subgraph keeps its state across the parent's calls, under checkpoint_ns
  /// "<parent ns>|<node>" (no task id); do not run two of its tasks in one superstep.
  stateful,
  /// No checkpoints: the subgraph cannot interrupt (sg.run.309) and a resumed parent runs it
  /// again from its start.
  none,
};

struct CompileOptions {
  /// Where checkpoints go; none = no persistence (then thread_id is optional and get_state is
  /// unavailable). Shared: one saver may serve many graphs.
  std::shared_ptr<BaseCheckpointSaver> checkpointer{};
  /// Pause before / after these nodes ("*" = every node); resume with invoke(std::nullopt, cfg).
  std::vector<std::string> interrupt_before{};
  std::vector<std::string> interrupt_after{};
  /// Most tasks of one superstep this graph runs at once (the invoking thread's included);
  /// 0 = no limit besides the executor's ExecutorOptions::max_threads. 1 runs tasks one after
  /// another on the invoking thread. RunConfig::max_concurrency may lower it for one call.
  std::size_t threads = 0;
  /// The threads that run the tasks (and asynchronous checkpoint writes); null = the process-wide
  /// sg::default_executor(), shared by every graph compiled without one (stategraph/executor.hpp).
  std::shared_ptr<Executor> executor{};
  /// Retry policy of nodes that have none of their own.
  std::optional<RetryPolicy> retry_policy{};
  /// Threads whose latest state the graph keeps in memory after a run, so the next run on the
  /// thread skips loading and decoding it (checked against the saver's latest checkpoint id, so
  /// another process's writes are never missed). 0 disables. Least recently used go first.
  std::size_t state_cache = 64;
  /// Keep the pending writes of every step in the saver for good, as LangGraph does. By default
  /// (false) a step's writes are deleted when the checkpoint that applies them is stored (in the
  /// same transaction; see Checkpoint::parent_writes_applied): about 1 KB per chat turn of
  /// sg-bench chat on SQLite. What changes: get_state / get_state_history of a checkpoint whose
  /// step completed show its tasks without results (TaskInfo::has_result false, no writes) and sg-checkpoints
  /// `writes` lists nothing for it. What does not: resuming after a failed or interrupted step
  /// (its checkpoint has no child yet, so its writes stay), replaying or forking an older
  /// checkpoint (its tasks run again; LangGraph never reuses those writes either), the values of
  /// any checkpoint.
  bool keep_applied_writes = false;
  /// What this graph checkpoints when another graph runs it as a subgraph (ignored otherwise).
  SubgraphCheckpoints subgraph_checkpoints = SubgraphCheckpoints::per_invocation;
  /// Shown in drawings and debug events.
  std::string name = "StateGraph";
};

}  // namespace sg

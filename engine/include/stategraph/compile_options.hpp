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

struct CompileOptions {
  /// Where checkpoints go; none = no persistence (then thread_id is optional and get_state is
  /// unavailable). Shared: one saver may serve many graphs.
  std::shared_ptr<BaseCheckpointSaver> checkpointer;
  /// Pause before / after these nodes ("*" = every node); resume with invoke(std::nullopt, cfg).
  std::vector<std::string> interrupt_before;
  std::vector<std::string> interrupt_after;
  /// Worker threads of the graph's own pool that runs a superstep's tasks in parallel;
  /// 0 = std::thread::hardware_concurrency(). The calling thread always helps.
  std::size_t threads = 0;
  /// Retry policy of nodes that have none of their own.
  std::optional<RetryPolicy> retry_policy;
  /// Threads whose latest state the graph keeps in memory after a run, so the next run on the
  /// thread skips loading and decoding it (checked against the saver's latest checkpoint id, so
  /// another process's writes are never missed). 0 disables. Least recently used go first.
  std::size_t state_cache = 64;
  /// Shown in drawings and debug events.
  std::string name = "StateGraph";
};

}  // namespace sg

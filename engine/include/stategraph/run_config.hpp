#pragma once
/// @file
/// Per-call options of CompiledGraph::invoke / stream / get_state (LangGraph's RunnableConfig:
/// `configurable.thread_id`, `checkpoint_ns`, `checkpoint_id`, `recursion_limit`,
/// `max_concurrency`, and `durability`; langgraph/pregel/main.py).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/context_value.hpp"

namespace sg {

/// When checkpoints are written (LangGraph's `durability`, langgraph-semantics §3.8).
enum class Durability {
  sync,   ///< step N's checkpoint is stored before step N+1 starts
  async,  ///< stored in the background, in order, while the next steps run: queued, and stored
          ///< together (one transaction on SQLite and Postgres) 5 ms after the first was queued
          ///< or when the run ends, whichever comes first; all stored before invoke returns.
          ///< LangGraph hands each put to a background executor at once (pregel/_loop.py)
  exit,   ///< only when the run ends (done, error, interrupt, cancel): fewer rows, a crash mid-run
          ///< loses the run's progress
};

/// Cancels a running invoke/stream from another thread. Copies share one flag. The run stops
/// before its next superstep (a running node sees RunContext::cancelled() and may stop early) and
/// throws sg::Cancelled; tasks that finished are kept as pending writes.
/// Thread-safe.
class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const noexcept { flag_->store(true, std::memory_order_relaxed); }
  [[nodiscard]] bool cancelled() const noexcept { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

/// Options of one call. Only thread_id is needed for most calls.
struct RunConfig {
  /// The conversation to run on. Required when the graph has a checkpointer (sg.run.303).
  std::string thread_id{};
  /// Checkpoint namespace; "" is the root graph.
  std::string checkpoint_ns{};
  /// Run from (replay/fork) or read this checkpoint instead of the latest.
  std::optional<std::string> checkpoint_id{};
  /// Most supersteps one invoke may run; more → sg::GraphRecursionError (sg.run.302).
  /// LangGraph's default (langgraph/_internal/_config.py DEFAULT_RECURSION_LIMIT).
  int recursion_limit = 10007;
  /// Most tasks of one superstep running at once; 0 = CompileOptions::threads decides.
  std::size_t max_concurrency = 0;
  Durability durability = Durability::async;
  /// Replace the compiled interrupt_before / interrupt_after for this call when set.
  std::optional<std::vector<std::string>> interrupt_before{};
  std::optional<std::vector<std::string>> interrupt_after{};
  /// How long a run waits for another run on the same thread_id (in this or another process) to
  /// finish before failing with [sg.saver.404] "thread busy". Runs on one thread are serialised
  /// so that they never fork its history.
  std::chrono::milliseconds thread_lock_wait{30000};
  /// Merged into the metadata of every checkpoint this call writes (keys source/step/parents win).
  nlohmann::json metadata = nlohmann::json::object();
  CancellationToken cancel{};
  /// A typed value for the run's nodes and routers, read with RunContext::context<T>() (the
  /// user, the model to use, ...; LangGraph's `context`). Never checkpointed: pass it again when
  /// resuming. See sg::ContextValue.
  ContextValue context{};
};

/// A pause of the run: before/after a node (static interrupt_before/after) or raised by a node
/// through RunContext::interrupt (then `value` is what the node passed).
struct Interrupt {
  std::string id{};        ///< stable per task; pass it to Command::resume_map for several
  nlohmann::json value{};  ///< null for static interrupts
  std::string node{};      ///< the node that paused
  std::string when{};      ///< "before", "after" or "during"

  friend bool operator==(const Interrupt&, const Interrupt&) = default;
};

}  // namespace sg

#pragma once
/// @file
/// Internal: the compiled, type-erased engine behind CompiledGraph<S>. Not part of the public API.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/saver.hpp"
#include "stategraph/compile_options.hpp"
#include "stategraph/detail/graph_spec.hpp"
#include "stategraph/state_snapshot.hpp"
#include "stategraph/stream.hpp"

namespace sg::detail {

class Engine;

struct RunInput {
  enum class Kind { none, writes, command } kind = Kind::none;
  std::vector<ErasedWrite> writes;
  std::vector<std::string> goto_;
  std::vector<Send> sends;
  std::optional<nlohmann::json> resume;
  std::map<std::string, nlohmann::json> resume_map;
  /// A subgraph run whose parent takes what its nodes wrote: receives every field write its
  /// tasks apply (in the order applied), including those of earlier runs of the same
  /// invocation that an interrupt ended.
  std::vector<ErasedWrite>* collect = nullptr;
};

struct RawEvent {
  std::string ns;  ///< the emitting run's checkpoint namespace when it is a subgraph
  StreamMode mode = StreamMode::values;
  std::int64_t step = 0;
  std::string node;
  std::shared_ptr<const void> values;
  nlohmann::json data;
  bool cached = false;
};
using EventSink = std::function<void(RawEvent&&)>;

struct RawResult {
  std::shared_ptr<const void> values;  ///< shared with the graph's state cache: never modified
  std::vector<Interrupt> interrupts;
  std::optional<CheckpointConfig> config;
};

struct RawSnapshot {
  std::shared_ptr<void> values;
  std::vector<std::string> next;
  CheckpointConfig config;
  CheckpointMetadata metadata;
  std::string created_at;
  std::optional<CheckpointConfig> parent_config;
  std::vector<TaskInfo> tasks;
  std::vector<Interrupt> interrupts;
  bool needs_resume = false;
};

/// One update of bulk_update_state, erased (see sg::StateUpdate).
struct RawStateUpdate {
  std::optional<std::vector<ErasedWrite>> values;
  std::optional<std::string> as_node;
  std::optional<std::string> task_id;
};

struct TaskScope;
/// The task whose node is running on this thread (null outside a node). A run started while it
/// is set — a subgraph node, or a node calling another graph's invoke/stream — runs as that
/// task's subgraph (same thread_id, a child checkpoint_ns, the parent's checkpointer and lock).
TaskScope* current_task_scope() noexcept;
/// Sets the running task of this thread; returns the previous one.
TaskScope* set_current_task_scope(TaskScope* scope) noexcept;

/// Options of get_state (see sg::StateOptions).
struct RawStateOptions {
  bool subgraphs = false;
};

/// Validates and compiles; throws sg::CompileError listing every problem.
std::shared_ptr<const Engine> compile_engine(GraphSpec spec, CompileOptions options);
/// Runs to the end, an interrupt, an error or a cancel. `sink` may be empty.
RawResult run(const Engine& engine, RunInput input, const RunConfig& config, StreamModes modes,
              const EventSink& sink);
std::optional<RawSnapshot> get_state(const Engine& engine, const RunConfig& config, RawStateOptions options = {});
std::vector<RawSnapshot> get_state_history(const Engine& engine, const RunConfig& config,
                                           const ListOptions& options);
/// Applies the supersteps of updates under the thread's lock; returns the last checkpoint written.
CheckpointConfig bulk_update_state(const Engine& engine, const RunConfig& config,
                                   std::vector<std::vector<RawStateUpdate>> supersteps);
std::string draw_mermaid(const Engine& engine, bool xray = false);
std::string to_dot(const Engine& engine);
nlohmann::json graph_json(const Engine& engine, bool xray);
const std::shared_ptr<BaseCheckpointSaver>& checkpointer(const Engine& engine);

}  // namespace sg::detail

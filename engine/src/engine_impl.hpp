#pragma once
// The compiled engine's tables: nodes, channels and the trigger index, built once by
// compile_engine and read-only afterwards (so many runs share one Engine without locking).

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stategraph/detail/engine.hpp"
#include "stategraph/executor.hpp"

namespace sg::detail {

enum class ChannelKind : std::uint8_t {
  field,   // a state field (index = field index)
  start,   // format::kStartChannel: the run's input writes
  tasks,   // format::kTasksChannel: Sends for the next step
  branch,  // format::branch_channel(X): X was triggered by an edge, router or goto
  join,    // format::join_channel({A, B}, X): barrier over A, B
};

struct ChannelInfo {
  std::string name;
  ChannelKind kind = ChannelKind::field;
  std::uint32_t field = 0;             // field index (kind field)
  std::uint32_t target = 0;            // node index (branch, join)
  std::vector<std::uint32_t> sources;  // node indices (join), in the join's declared order
  bool deferred = false;               // target node is deferred: available only after finish
};

struct BranchInfo {
  RouterFn router;
  std::optional<std::map<std::string, std::string>> path_map;
};

class Engine;

struct NodeInfo {
  std::string name;
  NodeFn fn;  // empty for __start__
  InputOps input;
  bool takes_state = true;
  std::optional<RetryPolicy> retry;
  bool defer = false;
  std::vector<std::uint32_t> triggers;  // channels that make it run, sorted by channel name
  std::vector<std::uint32_t> edges;     // branch channels of static successors
  std::vector<std::pair<std::uint32_t, std::uint32_t>> joins;  // (join channel, source position)
  std::vector<std::uint32_t> branches;  // indices into Engine::branches
  std::vector<std::string> destinations;
  std::shared_ptr<const Engine> subgraph;  // the compiled graph this node runs, if any
};

inline constexpr std::uint32_t kStartNode = 0;  // nodes[0] is format::kStartNode

class LoopState;

/// A thread's state after a clean run, kept to skip the next run's load.
struct CachedState {
  std::string checkpoint_id;
  CheckpointConfig config;
  std::int64_t step = 0;
  std::shared_ptr<LoopState> state;
};

/// Least-recently-used cache of CachedState by (thread_id, checkpoint_ns). Thread-safe.
class StateCache {
 public:
  explicit StateCache(std::size_t capacity) : capacity_(capacity) {}
  /// Removes and returns the entry when it is for `checkpoint_id`.
  std::optional<CachedState> take(const std::string& key, const std::string& checkpoint_id);
  void put(const std::string& key, CachedState entry);
  /// A copy of the entry's LoopState (sharing its state, copied on write) when it is for
  /// `checkpoint_id`; the entry stays. Null otherwise.
  std::unique_ptr<LoopState> peek(const std::string& key, const std::string& checkpoint_id);
  [[nodiscard]] bool enabled() const noexcept { return capacity_ != 0; }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::list<std::pair<std::string, CachedState>> lru_;  // most recent first
  std::unordered_map<std::string, std::list<std::pair<std::string, CachedState>>::iterator> index_;
};

class Engine {
 public:
  std::string name;
  std::shared_ptr<const StateOps> state;
  std::vector<NodeInfo> nodes;  // [0] = __start__, then user nodes in insertion order
  std::unordered_map<std::string, std::uint32_t> node_index;
  std::vector<std::uint32_t> nodes_by_name;  // user node indices sorted by name
  std::vector<ChannelInfo> channels;         // fields first, then start, tasks, branches, joins
  std::unordered_map<std::string, std::uint32_t> channel_index;
  std::uint32_t start_channel = 0;
  std::uint32_t tasks_channel = 0;
  std::vector<std::uint32_t> branch_channel;                // node index → its branch:to channel
  std::vector<std::vector<std::uint32_t>> trigger_to_nodes;  // channel → nodes it triggers
  std::vector<BranchInfo> branches;
  std::vector<std::pair<std::string, std::string>> static_edges;  // for drawing
  std::vector<std::pair<std::string, std::vector<std::string>>> branch_targets;  // for drawing
  std::vector<bool> interrupt_before;  // by node index
  std::vector<bool> interrupt_after;
  std::shared_ptr<BaseCheckpointSaver> saver;
  std::optional<RetryPolicy> default_retry;
  std::size_t max_tasks = 0;  // CompileOptions::threads: most tasks of a superstep at once, 0 = no limit
  std::shared_ptr<Executor> executor;  // never null
  std::unique_ptr<StateCache> cache;
  bool keep_applied_writes = false;  // CompileOptions::keep_applied_writes
  SubgraphCheckpoints subgraph_checkpoints = SubgraphCheckpoints::per_invocation;

  [[nodiscard]] std::size_t field_count() const { return state->fields.size(); }
  [[nodiscard]] std::optional<std::uint32_t> find_node(const std::string& n) const {
    auto it = node_index.find(n);
    if (it == node_index.end()) return std::nullopt;
    return it->second;
  }
  /// Marks for a list of node names ("*" = every user node); unknown names are returned.
  std::vector<bool> node_marks(const std::vector<std::string>& names, std::vector<std::string>* unknown) const;
};

}  // namespace sg::detail

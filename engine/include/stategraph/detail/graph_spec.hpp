#pragma once
/// @file
/// Internal: the type-erased description of a graph that StateGraph<S> hands to the engine, and
/// the erased entry points of the compiled engine. Not part of the public API.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/detail/state_ops.hpp"
#include "stategraph/retry_policy.hpp"
#include "stategraph/run_config.hpp"
#include "stategraph/run_context.hpp"
#include "stategraph/send.hpp"

namespace sg {
class BaseCheckpointSaver;
}

namespace sg::detail {

class Engine;

/// What a node produced.
struct NodeOutput {
  std::vector<ErasedWrite> writes;  ///< field writes (channel = field index)
  std::vector<std::string> goto_;
  std::vector<Send> sends;
  bool to_parent = false;  ///< a Command with CommandGraph::parent
};

/// What a router produced: keys (mapped through path_map when there is one) and Sends.
struct RouteOutput {
  std::vector<std::string> keys;
  std::vector<Send> sends;
};

using NodeFn = std::function<NodeOutput(const void* input, RunContext& ctx)>;
using RouterFn = std::function<RouteOutput(const void* state, RunContext& ctx)>;

/// A node's input type when it is not the graph state (reachable only through Send).
struct InputOps {
  std::type_index type = typeid(void);
  std::shared_ptr<const void> (*decode)(const nlohmann::json&) = nullptr;
  nlohmann::json (*encode)(const void*) = nullptr;
};

struct NodeSpec {
  std::string name;
  NodeFn fn;
  InputOps input;  ///< type == state type for ordinary nodes
  std::optional<RetryPolicy> retry;
  bool defer = false;
  std::vector<std::string> destinations;
  /// The compiled graph this node runs (add_node with a CompiledGraph): drawn inside the node,
  /// and the engine get_state/update_state delegate to for the node's checkpoint namespaces.
  std::shared_ptr<const Engine> subgraph;
};

struct BranchSpec {
  std::string source;
  RouterFn router;
  /// key → node; when absent the key is the node name.
  std::optional<std::map<std::string, std::string>> path_map;
};

struct GraphSpec {
  std::shared_ptr<const StateOps> state;
  std::vector<NodeSpec> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  std::vector<std::pair<std::vector<std::string>, std::string>> joins;
  std::vector<BranchSpec> branches;
  std::vector<std::string> problems;  ///< found while building (duplicate names, ...)
};

}  // namespace sg::detail

#pragma once
/// @file
/// sg::Command: a node's update together with where to go next, or a run input that resumes an
/// interrupt. LangGraph: langgraph/types.py `Command`; semantics reference §3.5.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/send.hpp"
#include "stategraph/update.hpp"

namespace sg {

/// Returned by a node: apply `update`, then also run `goto_` nodes and `sends` in the next
/// superstep (the node's static edges fire too; sg::END in goto_ is ignored).
/// Passed to invoke: `update` and `goto_` are applied before the next step, and `resume` answers
/// the pending interrupt (`resume_map` answers several, by Interrupt::id).
///
/// @code{.cpp}
/// return sg::Command<S>{.update = {sg::set<&S::count>(1)}, .goto_ = {"review"}};
/// graph.invoke(sg::Command<S>{.resume = "approved"}, cfg);
/// @endcode
/// Which graph a node's Command applies to (LangGraph: `Command.graph`, `Command.PARENT`).
enum class CommandGraph {
  current,  ///< the graph the node belongs to
  /// The graph that runs this node's graph as a subgraph: the update is applied to the parent's
  /// state through the parent's reducers and goto_/sends name the parent's nodes, as if the
  /// subgraph node had returned them; the subgraph stops there. The parent's state type must be S
  /// (else sg::InvalidUpdate sg.update.210, as for a graph that runs as no subgraph).
  parent,
};

template <class S>
struct Command {
  Update<S> update{};
  std::vector<std::string> goto_{};
  std::vector<Send> sends{};
  std::optional<nlohmann::json> resume{};
  std::map<std::string, nlohmann::json> resume_map{};
  /// Returned by a node: CommandGraph::parent sends `update`, `goto_` and `sends` to the parent
  /// graph (`.graph = sg::Command<S>::PARENT`). Ignored in a run's input.
  CommandGraph graph = CommandGraph::current;
  /// LangGraph's spelling: `.graph = sg::Command<S>::PARENT`.
  static constexpr CommandGraph PARENT = CommandGraph::parent;
};

}  // namespace sg

#pragma once
// The writes a node makes besides its own field writes — its static edges, join barriers, the
// routes of its conditional edges, its Command gotos and Sends — shared by the Pregel loop (after
// a node ran) and update_state (as if a node had returned the given values). LangGraph: a
// PregelNode's `flat_writers` (graph/state.py `attach_node` / `attach_edge` / `attach_branch`).

#include <cstdint>
#include <string>
#include <vector>

#include "engine_impl.hpp"
#include "loop_state.hpp"

namespace sg::detail {

/// `out.writes` followed by the writes of node `node`'s writers: a trigger for each static
/// successor, a barrier for each join it feeds, the routes of its conditional edges (routers read
/// `state` with `out`'s field writes applied), triggers for `out.goto_` and the Sends of
/// `out.sends`. `ctx` is passed to the routers. Without `with_edges` only `out` is written (a
/// subgraph's Command to this graph: the node's own edges do not fire).
/// @throws InvalidUpdate (sg.update.203 router names no node, 204 bad Send, 206 bad goto);
///         whatever a router throws.
std::vector<ErasedWrite> node_writes(const Engine& e, const LoopState& state, std::uint32_t node, NodeOutput out,
                                     RunContext& ctx, bool with_edges = true);

/// A Send as a write to the task channel, validated against its target node; `from` names the
/// sender in error messages. @throws InvalidUpdate (sg.update.204).
ErasedWrite send_write(const Engine& e, Send s, const std::string& from);

}  // namespace sg::detail

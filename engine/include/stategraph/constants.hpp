#pragma once
/// @file
/// Reserved node names (LangGraph: langgraph/constants.py START/END) and update_state's special
/// as_node values (LangGraph: pregel/main.py `bulk_update_state`).

namespace sg {

/// The virtual entry node: `add_edge(sg::START, "first")`.
inline constexpr const char* START = "__start__";
/// The virtual exit node: `add_edge("last", sg::END)`; a router may return it.
inline constexpr const char* END = "__end__";
/// CompiledGraph::update_state's as_node for "these values are a new input" (LangGraph's
/// `"__input__"`): saved as the thread's next run input, with metadata source "input".
inline constexpr const char* AS_INPUT = "__input__";
/// CompiledGraph::update_state's as_node for "copy this checkpoint" (LangGraph's `"__copy__"`):
/// a sibling of it becomes the thread's latest checkpoint, with metadata source "fork".
inline constexpr const char* AS_COPY = "__copy__";

}  // namespace sg

#pragma once
/// @file
/// Reserved node names (LangGraph: langgraph/constants.py START/END).

namespace sg {

/// The virtual entry node: `add_edge(sg::START, "first")`.
inline constexpr const char* START = "__start__";
/// The virtual exit node: `add_edge("last", sg::END)`; a router may return it.
inline constexpr const char* END = "__end__";

}  // namespace sg

#pragma once
/// @file
/// Reserved node names (LangGraph: langgraph/constants.py START/END) and update_state's special
/// as_node values (LangGraph: pregel/main.py `bulk_update_state`).
///
/// They are std::strings, so they mix with node names held in strings:
/// `return done ? sg::END : next_node;` and a router with `return sg::END;` on one path and
/// `return name;` on another both compile. (Constant-initialised where the compiler can, as g++
/// does, so they are safe to use from other static initialisers.)

#include <string>

namespace sg {

/// The virtual entry node: `add_edge(sg::START, "first")`.
inline const std::string START = "__start__";
/// The virtual exit node: `add_edge("last", sg::END)`; a router may return it.
inline const std::string END = "__end__";
/// CompiledGraph::update_state's as_node for "these values are a new input" (LangGraph's
/// `"__input__"`): saved as the thread's next run input, with metadata source "input".
inline const std::string AS_INPUT = "__input__";
/// CompiledGraph::update_state's as_node for "copy this checkpoint" (LangGraph's `"__copy__"`):
/// a sibling of it becomes the thread's latest checkpoint, with metadata source "fork".
inline const std::string AS_COPY = "__copy__";

}  // namespace sg

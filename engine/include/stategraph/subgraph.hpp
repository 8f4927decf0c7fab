#pragma once
/// @file
/// sg::map_input / sg::map_output: how a subgraph whose state type is not its parent's is added
/// as a node (StateGraph<P>::add_node(name, CompiledGraph<C>, map_input(...), map_output(...))).
///
/// @code{.cpp}
/// parent.add_node("research", research_graph,
///     sg::map_input([](const Report& r) { return sg::Update<Research>{sg::set<&Research::topic>(r.title)}; }),
///     sg::map_output([](const Research& r) { return sg::Update<Report>{sg::set<&Report::notes>(r.findings)}; }));
/// @endcode
///
/// LangGraph passes the parent's state to a subgraph of another schema through the keys both
/// share and reads back the subgraph's whole output; here both directions are functions, checked
/// when the node is added: map_input is called as f(const P&) and returns sg::Update<C> (the
/// subgraph's input, applied through its reducers); map_output is called as f(const C&) on the
/// subgraph's final state and returns what a node of P returns (sg::Update<P>, sg::set, or
/// sg::Command<P>), applied through the parent's reducers. An exception either throws ends the
/// parent's task like a node's (sg::NodeError sg.run.301, retried by the node's policy).
///
/// Thread-safety: the functions are called from the engine's threads, several at once when the
/// node runs as several tasks; they must be safe for that.

#include <utility>

namespace sg {

/// The parent state → the subgraph's input. See the file comment.
template <class F>
struct MapInput {
  F fn;
};
/// The subgraph's final state → the parent's update. See the file comment.
template <class F>
struct MapOutput {
  F fn;
};

template <class F>
MapInput<F> map_input(F fn) {
  return {std::move(fn)};
}
template <class F>
MapOutput<F> map_output(F fn) {
  return {std::move(fn)};
}

}  // namespace sg

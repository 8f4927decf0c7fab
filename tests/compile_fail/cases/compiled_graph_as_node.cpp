// Must not compile: a CompiledGraph passed to add_node (subgraphs are not supported yet).
// Expected: static_assert "add_node: a CompiledGraph cannot be a node yet"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::S> child;
  child.add_node("c", [](const cf::S&) {});
  child.add_edge(sg::START, "c");
  auto sub = child.compile();
  sg::StateGraph<cf::S> g;
  g.add_node("sub", sub);
}

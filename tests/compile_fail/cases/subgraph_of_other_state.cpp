// Must not compile: a CompiledGraph of another state type added as a node without mappings.
// Expected: static_assert "add_node: this subgraph's state type is not the graph's"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::Other> child;
  child.add_node("c", [](const cf::Other&) {});
  child.add_edge(sg::START, "c");
  auto sub = child.compile();
  sg::StateGraph<cf::S> g;
  g.add_node("sub", sub);
}

// Must not compile: map_input returning the parent's update instead of the subgraph's input.
// Expected: static_assert "add_node: map_input's function must return sg::Update<C>"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::Other> child;
  child.add_node("c", [](const cf::Other&) {});
  child.add_edge(sg::START, "c");
  auto sub = child.compile();
  sg::StateGraph<cf::S> g;
  g.add_node("sub", sub, sg::map_input([](const cf::S& s) { return sg::Update<cf::S>{sg::set<&cf::S::count>(s.count)}; }),
             sg::map_output([](const cf::Other&) { return sg::Update<cf::S>{}; }));
}

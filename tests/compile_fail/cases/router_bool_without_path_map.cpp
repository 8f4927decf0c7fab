// Must not compile: a router returning bool without a path map saying where true and false lead.
// Expected: static_assert "add_conditional_edges: a router returning bool needs a path map"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S&) {});
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count > 3; });
}

// Must not compile: a router returning int (once silently a std::vector<std::string> of that size).
// Expected: static_assert "a router must return a node name"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S&) {});
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count; });
}

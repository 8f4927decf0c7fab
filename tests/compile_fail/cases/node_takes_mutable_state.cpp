// Must not compile: a node whose first parameter is `S&` (it would modify the state).
// Expected: static_assert "add_node: take the state as `const S&`, not `S&`"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](cf::S& s) { ++s.count; });
}

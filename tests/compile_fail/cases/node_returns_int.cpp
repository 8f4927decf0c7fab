// Must not compile: a node returns int, which is not a write.
// Expected: static_assert "a node must return void, sg::Update<S>, sg::FieldWrite<S> (sg::set) or sg::Command<S>"
#include "common.hpp"

void bad() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S& s) { return s.count + 1; });
}

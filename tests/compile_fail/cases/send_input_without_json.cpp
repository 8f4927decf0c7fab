// Must not compile: a Send node whose input type has no to_json/from_json.
// Expected: static_assert "add_node: the node does not take `const S&`, so it is a Send node"
#include "common.hpp"

namespace cf {
struct Job {
  int id = 0;
};
}  // namespace cf

void bad() {
  sg::StateGraph<cf::S> g;
  g.add_node("worker", [](const cf::Job&) {});
}

// Fan-out and join: START runs two branches in parallel, and "merge" waits for both.
//
//            ┌── a ───────────┐
//   START ───┤                ├──► merge ──► END
//            └── b1 ──► b2 ───┘
//
// Branch "a" finishes in superstep 1, branch "b" only in superstep 2. A plain edge a → merge
// would run merge too early (once after a, again after b2); the join add_edge({"a", "b2"}, "merge")
// runs it once, when every source has finished since merge last ran, whatever the steps.
// LangGraph: StateGraph.add_edge([a, b2], merge) (a NamedBarrierValue channel).
#include <iostream>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace fan_out_join {

struct State {
  std::vector<std::string> ran;  // "node@step", appended by each node (sg::append)
  int total = 0;                 // summed over all writers (sg::add)
};

}  // namespace fan_out_join

template <>
struct sg::state_schema<fan_out_join::State> {
  using S = fan_out_join::State;
  static constexpr auto fields =
      sg::fields(sg::field<&S::ran>("ran", sg::append), sg::field<&S::total>("total", sg::add));
};

namespace fan_out_join {

/// A node that records its name and superstep, and adds `amount` to total. Nodes of one superstep
/// run in parallel; their writes are applied in node-name order, so `ran` is deterministic.
auto worker(std::string name, int amount) {
  return [name, amount](const State&, sg::RunContext& ctx) {
    return sg::Update<State>{sg::set<&State::ran>(name + "@" + std::to_string(ctx.step())),
                             sg::set<&State::total>(amount)};
  };
}

}  // namespace fan_out_join

int main() {
  using fan_out_join::State;
  using fan_out_join::worker;

  sg::StateGraph<State> graph;
  graph.add_node("a", worker("a", 1))
      .add_node("b1", worker("b1", 10))
      .add_node("b2", worker("b2", 100))
      .add_node("merge", worker("merge", 1000));
  graph.add_edge(sg::START, "a").add_edge(sg::START, "b1");  // fan out
  graph.add_edge("b1", "b2");                                 // the longer branch
  graph.add_edge({"a", "b2"}, "merge");                       // join: waits for a AND b2
  graph.add_edge("merge", sg::END);

  auto app = graph.compile();
  auto out = app.invoke(sg::Update<State>{});

  std::cout << "ran:";
  for (const auto& r : out.values.ran) std::cout << " " << r;
  std::cout << "\ntotal: " << out.values.total << "\n";
}

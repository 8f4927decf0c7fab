// A cycle: "increment" loops back to itself through a router until the counter reaches N, then
// the router returns sg::END. Each pass is one superstep.
//
// RunConfig::recursion_limit caps the supersteps of one invoke (LangGraph's recursion_limit,
// default 10007 here): a loop that needs more throws sg::GraphRecursionError [sg.run.302].
#include <iostream>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace cycle_counter {

constexpr int N = 5;

struct State {
  int count = 0;                    // sg::add: each write adds to it
  std::vector<std::string> trace;  // sg::append
};

}  // namespace cycle_counter

template <>
struct sg::state_schema<cycle_counter::State> {
  using S = cycle_counter::State;
  static constexpr auto fields =
      sg::fields(sg::field<&S::count>("count", sg::add), sg::field<&S::trace>("trace", sg::append));
};

int main() {
  using cycle_counter::N;
  using cycle_counter::State;

  sg::StateGraph<State> graph;
  graph.add_node("increment", [](const State& s) {
    return sg::Update<State>{sg::set<&State::count>(1), sg::set<&State::trace>("count=" + std::to_string(s.count + 1))};
  });
  graph.add_edge(sg::START, "increment");
  // The router sees the state after increment's write: loop again, or stop.
  graph.add_conditional_edges(
      "increment", [](const State& s) -> std::string { return s.count < N ? "increment" : sg::END; },
      sg::PathMap(std::vector<std::string>{"increment", sg::END}));

  auto app = graph.compile();

  auto out = app.invoke(sg::Update<State>{});
  for (const auto& t : out.values.trace) std::cout << t << "\n";
  std::cout << "counter stopped at " << out.values.count << " (N = " << N << ")\n";

  // The same loop with fewer supersteps allowed than it needs.
  sg::RunConfig config;
  config.recursion_limit = 3;
  try {
    app.invoke(sg::Update<State>{}, config);
    std::cout << "unexpected: no error\n";
  } catch (const sg::GraphRecursionError& e) {
    std::cout << "GraphRecursionError (recursion_limit = " << config.recursion_limit << "): " << e.what() << "\n";
  }
}

// Map-reduce with Send: a router returns one sg::Send per subject; each runs "generate_joke" in
// the next superstep with its own input (a Subject, not the graph state), all in parallel. Every
// task appends its joke through the reducer, then "summarize" runs once on the collected jokes.
//
// Writes of parallel tasks are applied in Send order, not finishing order: below, later subjects
// finish first, yet the jokes come out in subject order.
// LangGraph: langgraph/types.py Send; the "map-reduce" how-to.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <stategraph/stategraph.hpp>

namespace map_reduce {

struct State {
  std::vector<std::string> subjects;
  std::vector<std::string> jokes;  // sg::append: every generate_joke task adds one
  std::string summary;
};

/// The input of one "generate_joke" task. Checkpoints store Send arguments, so it needs JSON.
struct Subject {
  std::string name;
  int index = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Subject, name, index)

}  // namespace map_reduce

template <>
struct sg::state_schema<map_reduce::State> {
  using S = map_reduce::State;
  static constexpr auto fields = sg::fields(sg::field<&S::subjects>("subjects"),
                                            sg::field<&S::jokes>("jokes", sg::append),
                                            sg::field<&S::summary>("summary"));
};

int main() {
  using map_reduce::State;
  using map_reduce::Subject;

  sg::StateGraph<State> graph;
  // Map: takes a Subject, so it can only be reached through sg::Send.
  graph.add_node("generate_joke", [](const Subject& s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * (3 - s.index % 3)));  // later = faster
    return sg::Update<State>{sg::set<&State::jokes>("joke #" + std::to_string(s.index) + " about " + s.name)};
  });
  // Reduce: runs once, after every generate_joke task of the step.
  graph.add_node("summarize", [](const State& s) {
    return sg::Update<State>{sg::set<&State::summary>(std::to_string(s.jokes.size()) + " jokes")};
  });

  // The router fans out: one Send per subject (the list names the possible destinations).
  auto continue_to_jokes = [](const State& s) {
    std::vector<sg::Send> sends;
    for (std::size_t i = 0; i < s.subjects.size(); ++i)
      sends.emplace_back("generate_joke", Subject{s.subjects[i], static_cast<int>(i)});
    return sends;
  };
  graph.add_conditional_edges(sg::START, continue_to_jokes, sg::PathMap(std::vector<std::string>{"generate_joke"}));
  graph.add_edge("generate_joke", "summarize");
  graph.add_edge("summarize", sg::END);

  auto app = graph.compile();
  auto out = app.invoke({sg::set<&State::subjects>(std::vector<std::string>{"cats", "dogs", "owls"})});

  for (const auto& joke : out.values.jokes) std::cout << joke << "\n";
  std::cout << "summary: " << out.values.summary << "\n";
}

// Conditional edges: after "classify", a router looks at the state and picks the next node.
//
// The router returns a *key* ("even" / "odd"); the path_map turns keys into node names and also
// tells draw_mermaid() which edges to draw (dashed, labelled with the key).
// LangGraph: StateGraph.add_conditional_edges(source, path, path_map).
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace conditional_edges {

struct State {
  int number = 0;
  std::vector<std::string> visited;  // every node appends its name
  std::string verdict;               // last value wins
};

}  // namespace conditional_edges

template <>
struct sg::state_schema<conditional_edges::State> {
  using S = conditional_edges::State;
  static constexpr auto fields = sg::fields(sg::field<&S::number>("number"),
                                            sg::field<&S::visited>("visited", sg::append),
                                            sg::field<&S::verdict>("verdict"));
};

int main() {
  using S = conditional_edges::State;

  sg::StateGraph<S> graph;
  graph.add_node("classify", [](const S&) { return sg::Update<S>{sg::set<&S::visited>("classify")}; });
  graph.add_node("handle_even", [](const S& s) {
    return sg::Update<S>{sg::set<&S::visited>("handle_even"),
                         sg::set<&S::verdict>(std::to_string(s.number) + " is even")};
  });
  graph.add_node("handle_odd", [](const S& s) {
    return sg::Update<S>{sg::set<&S::visited>("handle_odd"),
                         sg::set<&S::verdict>(std::to_string(s.number) + " is odd")};
  });
  graph.add_edge(sg::START, "classify");

  // The router runs on the state after "classify" wrote; it returns a key of the path_map.
  auto parity = [](const S& s) -> std::string { return s.number % 2 == 0 ? "even" : "odd"; };
  graph.add_conditional_edges("classify", parity,
                              {{"even", "handle_even"}, {"odd", "handle_odd"}});
  graph.add_edge("handle_even", sg::END);
  graph.add_edge("handle_odd", sg::END);

  auto app = graph.compile();  // no checkpointer: nothing persists, no thread_id needed

  for (int n : {4, 7}) {
    auto out = app.invoke({sg::set<&S::number>(n)});
    std::cout << "number " << n << ": visited";
    for (const auto& node : out.values.visited) std::cout << " " << node;
    std::cout << ", verdict: " << out.values.verdict << "\n";
  }

  std::cout << "\n" << app.draw_mermaid();
}

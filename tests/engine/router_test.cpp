// Routers: a boolean router with a path map keyed true/false, routes given as several names, and
// sg::END mixed with node names held in std::strings.
#include <doctest/doctest.h>

#include <array>

#include "compile_problems.hpp"
#include "test_states.hpp"

using test::Counter;
using test::problems_of;

namespace {

/// a → (router on value) → b or END.
template <class Router>
sg::StateGraph<Counter> branch(Router router, sg::PathMap map) {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a", 0)).add_node("b", test::step("b", 0));
  g.add_edge(sg::START, "a");
  g.add_conditional_edges("a", router, std::move(map));
  return g;
}
}  // namespace

TEST_CASE("a boolean router follows the path map entry keyed true or false") {
  auto app = branch([](const Counter& s) { return s.value > 1; }, {{true, "b"}, {false, sg::END}}).compile();
  CHECK(app.invoke({sg::set<&Counter::value>(5)}).values.log == std::vector<std::string>{"a", "b"});
  CHECK(app.invoke({sg::set<&Counter::value>(0)}).values.log == std::vector<std::string>{"a"});
  // Drawn with the keys as labels.
  CHECK(app.draw_mermaid().find("a -. &nbsp;true&nbsp; .-> b;") != std::string::npos);
  CHECK(app.draw_mermaid().find("a -. &nbsp;false&nbsp; .-> __end__;") != std::string::npos);
}

TEST_CASE("a boolean router's path map may spell its keys as LangGraph.js does") {
  auto app = branch([](const Counter& s) { return s.value > 1; }, {{"true", "b"}, {"false", sg::END}}).compile();
  CHECK(app.invoke({sg::set<&Counter::value>(5)}).values.log == std::vector<std::string>{"a", "b"});
  CHECK(app.invoke({}).values.log == std::vector<std::string>{"a"});
}

TEST_CASE("a boolean router whose path map lacks true or false: sg.compile.111") {
  auto ps = problems_of(branch([](const Counter& s) { return s.value > 1; }, {{true, "b"}}));
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].rfind("[sg.compile.111] conditional edges from \"a\": the router returns bool", 0) == 0);
  CHECK(ps[0].find("no entry for false") != std::string::npos);
  CHECK(problems_of(branch([](const Counter&) { return true; }, {{"yes", "b"}, {"no", sg::END}})).size() == 2);
}

TEST_CASE("a router may return several names as any range of strings") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a", 0)).add_node("b", test::step("b", 0)).add_node("c", test::step("c", 0));
  g.add_edge(sg::START, "a");
  g.add_conditional_edges("a", [](const Counter&) { return std::array<const char*, 2>{"b", "c"}; });
  CHECK(g.compile().invoke({}).values.log == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("sg::END mixes with node names held in std::string") {
  const std::string next = "b";
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a", 1)).add_node("b", test::step("b", 1));
  g.add_edge(sg::START, "a");
  // A ternary of sg::END and a std::string, and a router returning either from two paths.
  g.add_conditional_edges("a", [next](const Counter& s) { return s.value > 1 ? sg::END : next; });
  g.add_conditional_edges("b", [](const Counter& s) {
    if (s.value > 2) return sg::END;
    return std::string("a");
  });
  auto app = g.compile();
  CHECK(app.invoke({}).values.log == std::vector<std::string>{"a", "b", "a"});
  const std::string end = sg::END;
  CHECK(end == "__end__");
  CHECK(std::string(sg::START) == "__start__");
}

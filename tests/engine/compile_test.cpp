// compile(): topology validation (every problem at once) and drawing.
#include <doctest/doctest.h>

#include "compile_problems.hpp"
#include "test_states.hpp"

using test::Counter;
using test::problems_of;

namespace {
bool has(const std::vector<std::string>& ps, const std::string& needle) {
  return std::any_of(ps.begin(), ps.end(), [&](const auto& p) { return p.find(needle) != std::string::npos; });
}
}  // namespace

TEST_CASE("an edge to an unknown node: sg.compile.101") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto ps = problems_of(g);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0] == "[sg.compile.101] edge \"a\"->\"b\": unknown node \"b\"");
}

TEST_CASE("reserved and duplicate node names: sg.compile.102 / 103") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("a", test::step("a")).add_node(sg::END, test::step("x"));
  g.add_node("ns|x", test::step("y")).add_node(sg::AS_COPY, test::step("c")).add_node(sg::AS_INPUT, test::step("i"));
  g.add_edge(sg::START, "a");
  auto ps = problems_of(g);
  CHECK(has(ps, "[sg.compile.103] node \"a\" is added twice"));
  CHECK(has(ps, "[sg.compile.102] node name \"__end__\""));
  CHECK(has(ps, "[sg.compile.102] node name \"ns|x\""));
  CHECK(has(ps, "[sg.compile.102] node name \"__copy__\""));
  CHECK(has(ps, "[sg.compile.102] node name \"__input__\""));
}

TEST_CASE("no edge from START: sg.compile.104, every problem is reported at once") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge("a", "ghost");
  try {
    (void)g.compile({.interrupt_before = {"phantom"}});
    FAIL("expected CompileError");
  } catch (const sg::CompileError& e) {
    CHECK(e.problems().size() == 3);
    CHECK(has(e.problems(), "sg.compile.101"));
    CHECK(has(e.problems(), "sg.compile.104"));
    CHECK(has(e.problems(), "[sg.compile.107] interrupt_before/after names unknown node \"phantom\""));
    CHECK(std::string(e.what()).find("3 problems in the graph") != std::string::npos);
  }
}

TEST_CASE("unreachable node: sg.compile.105, a cycle without exit: sg.compile.106") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("island", test::step("i"));
  g.add_node("p", test::step("p")).add_node("q", test::step("q"));
  g.add_edge(sg::START, "a").add_edge("a", "p").add_edge("p", "q").add_edge("q", "p");
  auto ps = problems_of(g);
  CHECK(has(ps, "[sg.compile.105] node \"island\" cannot be reached from START"));
  CHECK(has(ps, "[sg.compile.106] node \"p\" can never reach END"));
  CHECK(has(ps, "[sg.compile.106] node \"q\" can never reach END"));
}

TEST_CASE("nodes reached through a router without path_map or through declared destinations are reachable") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b")).add_node("c", test::step("c"));
  g.add_edge(sg::START, "a");
  g.add_conditional_edges("a", [](const Counter&) { return std::string("b"); });
  g.add_node("d", [](const Counter&) { return sg::Command<Counter>{.goto_ = {"e"}}; }, {.destinations = {"e"}});
  g.add_node("e", test::step("e"));
  g.add_edge("b", "d");
  CHECK(problems_of(g).empty());
}

namespace {
struct Arg {
  int x = 0;
  friend void to_json(nlohmann::json& j, const Arg& a) { j = a.x; }
  friend void from_json(const nlohmann::json& j, Arg& a) { a.x = j.get<int>(); }
};
}  // namespace

TEST_CASE("a Send-only node fed by a plain edge: sg.compile.109") {
  sg::StateGraph<Counter> g;
  g.add_node("w", [](const Arg&) { return sg::Update<Counter>{}; });
  g.add_edge(sg::START, "w");
  CHECK(has(problems_of(g), "sg.compile.109"));
}

TEST_CASE("draw_mermaid and to_dot show nodes, static and conditional edges") {
  sg::StateGraph<Counter> g;
  g.add_node("agent", test::step("agent")).add_node("tools", test::step("tools"));
  g.add_edge(sg::START, "agent").add_edge("tools", "agent");
  g.add_conditional_edges("agent", [](const Counter&) { return std::string("end"); },
                          {{"continue", "tools"}, {"end", sg::END}});
  auto app = g.compile();
  const auto m = app.draw_mermaid();
  CHECK(m.find("__start__ --> agent;") != std::string::npos);
  CHECK(m.find("tools --> agent;") != std::string::npos);
  CHECK(m.find("agent -. &nbsp;continue&nbsp; .-> tools;") != std::string::npos);
  CHECK(m.find("agent -. &nbsp;end&nbsp; .-> __end__;") != std::string::npos);
  const auto d = app.to_dot();
  CHECK(d.find("\"agent\" -> \"tools\" [style=dashed, label=\"continue\"];") != std::string::npos);
  CHECK(d.find("\"__start__\" -> \"agent\";") != std::string::npos);
}

TEST_CASE("a braced path map always means key -> node") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a");
  g.add_conditional_edges("a", [](const Counter& s) { return s.value > 1 ? "x" : "y"; }, {{"x", "b"}, {"y", sg::END}});
  g.add_conditional_edges("b", [](const Counter&) { return "done"; }, {{"done", sg::END}});
  auto app = g.compile();
  CHECK(app.invoke({sg::set<&Counter::value>(5)}).values.log == std::vector<std::string>{"a", "b"});
  CHECK(app.invoke({}).values.log == std::vector<std::string>{"a"});
}

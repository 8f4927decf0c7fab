// sg::CompileError's own id: the problems' id when they are of one kind, sg.compile.100 when of
// several; sg.compile.106 for a cycle whose routes never lead to END.
#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

namespace {
sg::CompileError error_of(const sg::StateGraph<Counter>& g) {
  try {
    (void)g.compile();
  } catch (const sg::CompileError& e) {
    return e;
  }
  FAIL("expected a CompileError");
  return sg::CompileError({});
}
}  // namespace

TEST_CASE("a CompileError of one kind of problem carries that problem's id") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge(sg::START, "a").add_edge("a", "x").add_edge("a", "y");
  const auto e = error_of(g);
  CHECK(e.problems().size() == 2);
  CHECK(e.id() == "sg.compile.101");
  CHECK(std::string(e.what()).rfind("[sg.compile.101] 2 problems in the graph:\n  [sg.compile.101] ", 0) == 0);
}

TEST_CASE("a CompileError of several kinds of problems names no single one: sg.compile.100") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("a", test::step("a"));
  g.add_edge(sg::START, "a").add_edge("a", "ghost");
  const auto e = error_of(g);
  REQUIRE(e.problems().size() == 2);
  CHECK(e.id() == "sg.compile.100");
  const std::string what = e.what();
  CHECK(what.rfind("[sg.compile.100] 2 problems in the graph:", 0) == 0);
  CHECK(what.find("\n  [sg.compile.103] node \"a\" is added twice") != std::string::npos);
  CHECK(what.find("\n  [sg.compile.101] edge \"a\"->\"ghost\"") != std::string::npos);
}

TEST_CASE("a cycle whose router can only loop never reaches END: sg.compile.106") {
  // LangGraph compiles this and fails at the recursion limit; the path map says END is never an
  // option, so compile() rejects it.
  sg::StateGraph<Counter> g;
  g.add_node("ask", test::step("ask")).add_node("check", test::step("check"));
  g.add_edge(sg::START, "ask").add_edge("ask", "check");
  g.add_conditional_edges("check", [](const Counter&) { return "again"; }, {{"again", "ask"}});
  const auto e = error_of(g);
  CHECK(e.id() == "sg.compile.106");
  REQUIRE(e.problems().size() == 2);
  CHECK(e.problems()[0].rfind("[sg.compile.106] node \"ask\" can never reach END", 0) == 0);

  // The same loop with an exit compiles.
  sg::StateGraph<Counter> ok;
  ok.add_node("ask", test::step("ask")).add_node("check", test::step("check"));
  ok.add_edge(sg::START, "ask").add_edge("ask", "check");
  ok.add_conditional_edges("check", [](const Counter& s) { return s.value > 3 ? "done" : "again"; },
                           {{"again", "ask"}, {"done", sg::END}});
  CHECK(ok.compile().invoke({}).values.value == 4);
}

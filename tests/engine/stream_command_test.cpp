// The range form of stream() takes a Command: resume an interrupt while iterating the events.
#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

TEST_CASE("the range form of stream resumes an interrupt with a Command" * doctest::timeout(60)) {
  sg::StateGraph<Counter> g;
  g.add_node("ask", [](const Counter&, sg::RunContext& ctx) {
    return sg::set<&Counter::last>(ctx.interrupt("approve?").get<std::string>());
  });
  g.add_node("after", test::step("after"));
  g.add_edge(sg::START, "ask").add_edge("ask", "after");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  REQUIRE(app.invoke({}, test::thread("sc")).interrupted());

  std::vector<std::string> nodes;
  for (const auto& e : app.stream(sg::Command<Counter>{.resume = "yes"}, test::thread("sc"), sg::StreamMode::updates))
    nodes.push_back(e.node);
  CHECK(nodes == std::vector<std::string>{"ask", "after"});
  const auto state = app.get_state(test::thread("sc"));
  REQUIRE(state.has_value());
  CHECK(state->values.last == "yes");
  CHECK(state->values.log == std::vector<std::string>{"after"});
  CHECK(state->next.empty());
}

TEST_CASE("the range form of stream applies a Command's update and goto") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"), {.destinations = {"b"}}).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  app.invoke({}, test::thread("sg"));
  int last_value = 0;
  for (const auto& e : app.stream(sg::Command<Counter>{.update = {sg::set<&Counter::value>(10)}, .goto_ = {"b"}},
                                  test::thread("sg")))
    last_value = e.values->value;
  CHECK(last_value == 12);
}

// Interrupts: static interrupt_before/after and RunContext::interrupt with Command resume.
#include <doctest/doctest.h>

#include <atomic>

#include "test_states.hpp"

using test::Counter;

namespace {
sg::StateGraph<Counter> abc() {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b")).add_node("c", test::step("c"));
  g.add_edge(sg::START, "a").add_edge("a", "b").add_edge("b", "c");
  return g;
}
}  // namespace

TEST_CASE("interrupt_before pauses before the node, invoking with no input continues") {
  auto app = abc().compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_before = {"b"}});
  auto first = app.invoke({}, test::thread("i"));
  REQUIRE(first.interrupted());
  CHECK(first.interrupts.front().node == "b");
  CHECK(first.interrupts.front().when == "before");
  CHECK(first.values.log == std::vector<std::string>{"a"});
  auto state = app.get_state(test::thread("i"));
  REQUIRE(state.has_value());
  CHECK(state->next == std::vector<std::string>{"b"});

  auto second = app.invoke(std::nullopt, test::thread("i"));
  CHECK_FALSE(second.interrupted());
  CHECK(second.values.log == std::vector<std::string>{"a", "b", "c"});

  // A new input runs the graph again and pauses again.
  auto third = app.invoke({}, test::thread("i"));
  CHECK(third.interrupted());
}

TEST_CASE("interrupt_after pauses after the node, per-call override") {
  auto app = abc().compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_after = {"a"}});
  auto first = app.invoke({}, test::thread("j"));
  REQUIRE(first.interrupted());
  CHECK(first.interrupts.front().when == "after");
  CHECK(first.values.log == std::vector<std::string>{"a"});
  CHECK(app.invoke(std::nullopt, test::thread("j")).values.log == std::vector<std::string>{"a", "b", "c"});

  sg::RunConfig none = test::thread("k");
  none.interrupt_after = std::vector<std::string>{};
  CHECK_FALSE(app.invoke({}, none).interrupted());
}

TEST_CASE("RunContext::interrupt pauses a node, Command resume answers it and siblings are not re-run") {
  std::atomic<int> sibling_calls{0};
  std::atomic<int> ask_calls{0};
  sg::StateGraph<Counter> g;
  g.add_node("ask", [&](const Counter&, sg::RunContext& ctx) {
    ++ask_calls;
    auto answer = ctx.interrupt({{"question", "approve?"}});
    return sg::Update<Counter>{sg::set<&Counter::last>(answer.get<std::string>())};
  });
  g.add_node("sibling", [&](const Counter&) {
    ++sibling_calls;
    return sg::Update<Counter>{sg::set<&Counter::log>("sibling")};
  });
  g.add_edge(sg::START, "ask").add_edge(sg::START, "sibling");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});

  auto first = app.invoke({}, test::thread("h"));
  REQUIRE(first.interrupts.size() == 1);
  CHECK(first.interrupts[0].value["question"] == "approve?");
  CHECK(first.interrupts[0].node == "ask");
  CHECK(first.interrupts[0].when == "during");
  auto state = app.get_state(test::thread("h"));
  REQUIRE(state.has_value());
  CHECK(state->interrupts.size() == 1);
  CHECK(state->next == std::vector<std::string>{"ask"});

  auto second = app.invoke(sg::Command<Counter>{.resume = "yes"}, test::thread("h"));
  CHECK_FALSE(second.interrupted());
  CHECK(second.values.last == "yes");
  CHECK(second.values.log == std::vector<std::string>{"sibling"});
  CHECK(sibling_calls == 1);
  CHECK(ask_calls == 2);
}

TEST_CASE("a node may ask twice, each resume answers the next question") {
  sg::StateGraph<Counter> g;
  g.add_node("form", [](const Counter&, sg::RunContext& ctx) {
    auto name = ctx.interrupt("name?").get<std::string>();
    auto city = ctx.interrupt("city?").get<std::string>();
    return sg::Update<Counter>{sg::set<&Counter::last>(name + "@" + city)};
  });
  g.add_edge(sg::START, "form");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  auto r1 = app.invoke({}, test::thread("f"));
  REQUIRE(r1.interrupts.size() == 1);
  CHECK(r1.interrupts[0].value == "name?");
  auto r2 = app.invoke(sg::Command<Counter>{.resume = "Ada"}, test::thread("f"));
  REQUIRE(r2.interrupts.size() == 1);
  CHECK(r2.interrupts[0].value == "city?");
  auto r3 = app.invoke(sg::Command<Counter>{.resume = "London"}, test::thread("f"));
  CHECK_FALSE(r3.interrupted());
  CHECK(r3.values.last == "Ada@London");
}

TEST_CASE("Command update and goto as input") {
  auto app = abc().compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_before = {"b"}});
  app.invoke({}, test::thread("c"));
  // Change the state while paused, then continue.
  auto out = app.invoke(sg::Command<Counter>{.update = {sg::set<&Counter::value>(100)}}, test::thread("c"));
  CHECK(out.values.value == 103);
  CHECK(out.values.log == std::vector<std::string>{"a", "b", "c"});
}

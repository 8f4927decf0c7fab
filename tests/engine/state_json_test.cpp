// sg::to_json(state) / sg::from_json<S>(json): a typed state as its checkpoint's JSON object.
#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

TEST_CASE("sg::to_json writes every field under its schema name") {
  Counter c;
  c.value = 3;
  c.log = {"a", "b"};
  c.last = "b";
  const nlohmann::json j = sg::to_json(c);
  CHECK(j == nlohmann::json{{"value", 3}, {"log", {"a", "b"}}, {"last", "b"}});
  const Counter back = sg::from_json<Counter>(j);
  CHECK(back.value == 3);
  CHECK(back.log == c.log);
  CHECK(back.last == "b");
}

TEST_CASE("sg::from_json keeps defaults for missing fields and ignores unknown keys") {
  const auto c = sg::from_json<Counter>(nlohmann::json{{"last", "x"}, {"renamed_long_ago", 1}});
  CHECK(c.value == 0);
  CHECK(c.log.empty());
  CHECK(c.last == "x");
}

TEST_CASE("sg::from_json errors name the field: sg.state.501") {
  CHECK_THROWS_WITH_AS(sg::from_json<Counter>(nlohmann::json{{"value", "three"}}),
                       doctest::Contains("[sg.state.501] stored value of field \"value\""), sg::StateError);
  CHECK_THROWS_WITH_AS(sg::from_json<Counter>(nlohmann::json::array()),
                       "[sg.state.501] a state's JSON must be an object {field name: value}, got array",
                       sg::StateError);
}

TEST_CASE("sg::to_json of a run's result equals the checkpoint's values") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a", 2));
  g.add_edge(sg::START, "a");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  const auto out = app.invoke({}, test::thread("json"));
  CHECK(sg::to_json(out.values) == nlohmann::json{{"value", 2}, {"log", {"a"}}, {"last", ""}});
  CHECK(sg::to_json(app.get_state(test::thread("json"))->values) == sg::to_json(out.values));
}

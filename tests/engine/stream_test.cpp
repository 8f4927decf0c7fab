// Streaming: modes values / updates / custom / debug, as a callback and as a range.
#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

namespace {
sg::CompiledGraph<Counter> graph() {
  sg::StateGraph<Counter> g;
  g.add_node("a", [](const Counter&, sg::RunContext& ctx) {
    ctx.write_custom({{"progress", 50}});
    return sg::Update<Counter>{sg::set<&Counter::log>("a"), sg::set<&Counter::value>(1)};
  });
  g.add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  return g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
}
}  // namespace

TEST_CASE("stream with a callback: values after every step, updates per node, custom payloads") {
  auto app = graph();
  std::vector<int> values;
  std::vector<std::string> update_nodes;
  std::vector<nlohmann::json> updates;
  std::vector<nlohmann::json> custom;
  auto out = app.stream({sg::set<&Counter::value>(10)}, test::thread("s"),
                        sg::StreamMode::values | sg::StreamMode::updates | sg::StreamMode::custom,
                        [&](const sg::StreamEvent<Counter>& e) {
                          switch (e.mode) {
                            case sg::StreamMode::values: values.push_back(e.values->value); break;
                            case sg::StreamMode::updates:
                              update_nodes.push_back(e.node);
                              updates.push_back(e.data);
                              break;
                            case sg::StreamMode::custom: custom.push_back(e.data); break;
                            default: break;
                          }
                        });
  CHECK(out.values.value == 12);
  // input shown once (step -1), then after __start__ (10), a (11), b (12)
  CHECK(values == std::vector<int>{10, 11, 12});
  CHECK(update_nodes == std::vector<std::string>{"a", "b"});
  CHECK(updates[0] == nlohmann::json{{"log", {"a"}}, {"value", 1}});
  REQUIRE(custom.size() == 1);
  CHECK(custom[0]["progress"] == 50);
}

TEST_CASE("stream as a range, debug mode reports tasks and checkpoints") {
  auto app = graph();
  std::vector<std::string> types;
  int last_value = 0;
  for (const auto& e : app.stream({}, test::thread("r"), sg::StreamMode::debug | sg::StreamMode::values)) {
    if (e.mode == sg::StreamMode::debug) types.push_back(e.data["type"].get<std::string>());
    if (e.mode == sg::StreamMode::values) last_value = e.values->value;
  }
  CHECK(last_value == 2);
  CHECK(std::count(types.begin(), types.end(), "task") == 2);
  CHECK(std::count(types.begin(), types.end(), "task_result") == 2);
  CHECK(std::count(types.begin(), types.end(), "checkpoint") == 4);
}

TEST_CASE("a range stream rethrows the run's error at the end, leaving early stops the run") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_node("bad", [](const Counter&) -> sg::Update<Counter> { throw std::runtime_error("nope"); });
  g.add_edge(sg::START, "a").add_edge("a", "bad");
  auto app = g.compile();
  int seen = 0;
  auto consume = [&] {
    for (const auto& e : app.stream({}, {}, sg::StreamMode::updates)) {
      (void)e;
      ++seen;
    }
  };
  CHECK_THROWS_WITH_AS(consume(), doctest::Contains("nope"), sg::NodeError);
  CHECK(seen == 1);

  sg::StateGraph<Counter> loop;
  loop.add_node("spin", test::step("spin"));
  loop.add_edge(sg::START, "spin");
  loop.add_conditional_edges("spin", [](const Counter&) { return std::string("spin"); });
  auto forever = loop.compile();
  int n = 0;
  for (const auto& e : forever.stream({}, {}, sg::StreamMode::updates)) {
    (void)e;
    if (++n == 5) break;  // destroying the stream cancels the run and joins its thread
  }
  CHECK(n == 5);
}

// Checkpoints: one after the input and after every superstep, history, resume after a failure
// (LangGraph's test_pending_writes_resume), durability modes, replay from an older checkpoint.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "test_states.hpp"

using test::Counter;

namespace {

sg::CompiledGraph<Counter> chain(std::shared_ptr<sg::BaseCheckpointSaver> saver) {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b").add_edge("b", sg::END);
  return g.compile({.checkpointer = std::move(saver)});
}

}  // namespace

TEST_CASE("a checkpoint after the input and after every step, linked by parents, newest first") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  auto app = chain(saver);
  auto out = app.invoke({sg::set<&Counter::value>(1)}, test::thread("t1"));
  REQUIRE(out.config.has_value());
  CHECK(out.values.value == 3);

  auto history = app.get_state_history(test::thread("t1"));
  REQUIRE(history.size() == 4);  // input(-1), __start__ (0), a (1), b (2)
  std::vector<std::string> sources;
  std::vector<std::int64_t> steps;
  for (const auto& s : history) {
    sources.push_back(s.metadata["source"].get<std::string>());
    steps.push_back(s.metadata["step"].get<std::int64_t>());
  }
  CHECK(sources == std::vector<std::string>{"loop", "loop", "loop", "input"});
  CHECK(steps == std::vector<std::int64_t>{2, 1, 0, -1});
  for (std::size_t i = 0; i + 1 < history.size(); ++i) {
    REQUIRE(history[i].parent_config.has_value());
    CHECK(history[i].parent_config->checkpoint_id == history[i + 1].config.checkpoint_id);
  }
  CHECK_FALSE(history.back().parent_config.has_value());
  CHECK(history[0].values.log == std::vector<std::string>{"a", "b"});
  CHECK(history[1].values.log == std::vector<std::string>{"a"});
  CHECK(history[1].next == std::vector<std::string>{"b"});
  CHECK(history[3].next == std::vector<std::string>{"__start__"});
  CHECK(history[0].next.empty());
  CHECK(history[0].config.checkpoint_id == out.config->checkpoint_id);

  // get_state = the newest one
  auto state = app.get_state(test::thread("t1"));
  REQUIRE(state.has_value());
  CHECK(state->values.value == 3);
  CHECK(state->next.empty());
  CHECK(state->metadata["step"] == 2);

  // list options: limit, before, metadata filter
  sg::ListOptions limit2;
  limit2.limit = 2;
  CHECK(app.get_state_history(test::thread("t1"), limit2).size() == 2);
  sg::ListOptions before;
  before.before = history[1].config.checkpoint_id;
  CHECK(app.get_state_history(test::thread("t1"), before).size() == 2);
  sg::ListOptions inputs;
  inputs.filter = {{"source", "input"}};
  CHECK(app.get_state_history(test::thread("t1"), inputs).size() == 1);

  // another thread is independent; a missing thread has no state
  CHECK_FALSE(app.get_state(test::thread("nobody")).has_value());

  // without values: the same checkpoints, parents, metadata and next nodes; default values
  sg::ListOptions light;
  light.values = false;
  auto listing = app.get_state_history(test::thread("t1"), light);
  REQUIRE(listing.size() == history.size());
  for (std::size_t i = 0; i < listing.size(); ++i) {
    CHECK(listing[i].config == history[i].config);
    CHECK(listing[i].parent_config == history[i].parent_config);
    CHECK(listing[i].metadata == history[i].metadata);
    CHECK(listing[i].next == history[i].next);
    CHECK(listing[i].values.log.empty());
  }
}

TEST_CASE("the next invoke on a thread continues from its state") {
  auto app = chain(std::make_shared<sg::InMemorySaver>());
  app.invoke({sg::set<&Counter::value>(1)}, test::thread("t"));
  auto out = app.invoke({sg::set<&Counter::value>(10)}, test::thread("t"));
  CHECK(out.values.value == 1 + 2 + 10 + 2);
  CHECK(out.values.log == std::vector<std::string>{"a", "b", "a", "b"});
  CHECK(app.invoke({}, test::thread("other")).values.value == 2);
}

TEST_CASE("values are stored once per (channel, version): unchanged fields are not rewritten") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Counter> g;
  g.add_node("a", [](const Counter&) { return sg::Update<Counter>{sg::set<&Counter::value>(1)}; });
  g.add_edge(sg::START, "a");
  auto app = g.compile({.checkpointer = saver});
  app.invoke({sg::set<&Counter::last>("x")}, test::thread("t"));
  const auto after_first = saver->value_count();
  app.invoke({sg::set<&Counter::value>(1)}, test::thread("t"));
  // Run 1 stores: __start__; last + branch:to:a (step 0); value (step 1) = 4 values.
  // Run 2 stores: __start__; value + branch:to:a (step 0); value (step 1) = 4 values, and not
  // `last` again although every one of its checkpoints refers to it.
  CHECK(after_first == 4);
  auto latest = saver->get_tuple({"t", "", std::nullopt});
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint.channel_values.at("last") == "x");
  CHECK(saver->value_count() - after_first == 4);
}

TEST_CASE("missing thread_id with a checkpointer: sg.run.303, get_state without one: sg.run.308") {
  auto app = chain(std::make_shared<sg::InMemorySaver>());
  CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("sg.run.303"), sg::ConfigError);
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge(sg::START, "a");
  auto plain = g.compile();
  CHECK_THROWS_WITH_AS(plain.get_state(test::thread("x")), doctest::Contains("sg.run.308"), sg::ConfigError);
  CHECK_THROWS_WITH_AS(plain.invoke(std::nullopt), doctest::Contains("sg.run.304"), sg::ConfigError);
  CHECK_THROWS_WITH_AS(app.invoke(std::nullopt, test::thread("empty")), doctest::Contains("sg.run.304"),
                       sg::ConfigError);
  sg::RunConfig bad = test::thread("x");
  bad.checkpoint_id = "no-such-checkpoint";
  CHECK_THROWS_WITH_AS(app.invoke(std::nullopt, bad), doctest::Contains("sg.run.307"), sg::ConfigError);
}

// LangGraph: libs/langgraph/tests/test_pregel.py test_pending_writes_resume (semantics reference §3.9).
TEST_CASE("a failed step resumes without re-running its successful tasks") {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    CAPTURE(static_cast<int>(durability));
    auto saver = std::make_shared<sg::InMemorySaver>();
    std::atomic<int> one_calls{0};
    std::atomic<int> two_calls{0};
    std::atomic<bool> two_fails{true};
    sg::StateGraph<Counter> g;
    g.add_node("one", [&](const Counter&) {
      ++one_calls;
      return sg::Update<Counter>{sg::set<&Counter::value>(2)};
    });
    g.add_node("two", [&](const Counter&) -> sg::Update<Counter> {
      ++two_calls;
      if (two_fails) throw std::runtime_error("two is down");
      return sg::Update<Counter>{sg::set<&Counter::value>(3)};
    });
    g.add_edge(sg::START, "one").add_edge(sg::START, "two");
    auto app = g.compile({.checkpointer = saver});
    sg::RunConfig cfg = test::thread("resume");
    cfg.durability = durability;

    CHECK_THROWS_AS(app.invoke({sg::set<&Counter::value>(1)}, cfg), sg::NodeError);
    CHECK(one_calls == 1);
    CHECK(two_calls == 1);

    // The latest checkpoint is the one before the failed step; its pending writes hold one's
    // result and two's error.
    auto latest = saver->get_tuple({"resume", "", std::nullopt});
    REQUIRE(latest.has_value());
    CHECK(latest->checkpoint.channel_values.at("value") == 1);
    bool has_error = false;
    bool has_value = false;
    for (const auto& w : latest->pending_writes) {
      has_error = has_error || w.channel == "__error__";
      has_value = has_value || (w.channel == "value" && w.value == 2);
    }
    CHECK(has_error);
    CHECK(has_value);

    // get_state applies the finished task's writes; with the checkpoint id it shows the raw values.
    auto state = app.get_state(cfg);
    REQUIRE(state.has_value());
    CHECK(state->values.value == 3);
    CHECK(state->next == std::vector<std::string>{"two"});
    bool two_has_error = false;
    for (const auto& t : state->tasks)
      if (t.name == "two") two_has_error = t.error.has_value() && t.error->find("two is down") != std::string::npos;
    CHECK(two_has_error);
    sg::RunConfig at = cfg;
    at.checkpoint_id = state->config.checkpoint_id;
    auto raw = app.get_state(at);
    REQUIRE(raw.has_value());
    CHECK(raw->values.value == 1);
    CHECK(raw->next == std::vector<std::string>{"one", "two"});

    // Still failing: no new checkpoint.
    const auto count_before = app.get_state_history(cfg).size();
    CHECK_THROWS_AS(app.invoke(std::nullopt, cfg), sg::NodeError);
    CHECK(app.get_state_history(cfg).size() == count_before);
    CHECK(one_calls == 1);

    // Fixed: only two re-runs; 1 + 2 + 3.
    two_fails = false;
    auto out = app.invoke(std::nullopt, cfg);
    CHECK(out.values.value == 6);
    CHECK(one_calls == 1);
    CHECK(two_calls == 3);
  }
}

TEST_CASE("durability exit stores one checkpoint per run, sync and async store every step") {
  for (auto [durability, expected] : {std::pair{sg::Durability::sync, std::size_t{4}},
                                      std::pair{sg::Durability::async, std::size_t{4}},
                                      std::pair{sg::Durability::exit, std::size_t{1}}}) {
    auto saver = std::make_shared<sg::InMemorySaver>();
    auto app = chain(saver);
    sg::RunConfig cfg = test::thread("d");
    cfg.durability = durability;
    auto out = app.invoke({sg::set<&Counter::value>(1)}, cfg);
    CHECK(out.values.value == 3);
    CHECK(app.get_state_history(cfg).size() == expected);
    auto state = app.get_state(cfg);
    REQUIRE(state.has_value());
    CHECK(state->values.value == 3);
    CHECK(state->values.log == std::vector<std::string>{"a", "b"});
    // A second run continues from the stored state in every mode.
    CHECK(app.invoke({sg::set<&Counter::value>(1)}, cfg).values.value == 6);
  }
}

TEST_CASE("replay from an older checkpoint re-runs later nodes on a new branch and keeps the old one") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  std::atomic<int> b_calls{0};
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_node("b", [&](const Counter&) {
    ++b_calls;
    return sg::Update<Counter>{sg::set<&Counter::log>("b")};
  });
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = saver});
  app.invoke({}, test::thread("tt"));
  auto history = app.get_state_history(test::thread("tt"));
  REQUIRE(history.size() == 4);
  const auto after_a = history[1];  // step 1: a ran, b next
  REQUIRE(after_a.next == std::vector<std::string>{"b"});

  sg::RunConfig replay = test::thread("tt");
  replay.checkpoint_id = after_a.config.checkpoint_id;
  auto out = app.invoke(std::nullopt, replay);
  CHECK(b_calls == 2);
  CHECK(out.values.log == std::vector<std::string>{"a", "b"});
  auto after = app.get_state_history(test::thread("tt"));
  CHECK(after.size() == 6);  // + fork + b's step
  CHECK(after[1].metadata["source"] == "fork");
  CHECK(after[1].parent_config->checkpoint_id == after_a.config.checkpoint_id);
  CHECK(after[0].parent_config->checkpoint_id == after[1].config.checkpoint_id);
}

namespace {
struct Item {
  int n = 0;
  friend void to_json(nlohmann::json& j, const Item& i) { j = i.n; }
  friend void from_json(const nlohmann::json& j, Item& i) { i.n = j.get<int>(); }
};
}  // namespace

TEST_CASE("a failed Send task resumes alone, with its argument restored from the checkpoint") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  std::atomic<int> calls{0};
  std::atomic<bool> fail_three{true};
  sg::StateGraph<Counter> g;
  g.add_node("fan", test::step("fan"));
  g.add_node("work", [&](const Item& item) -> sg::Update<Counter> {
    ++calls;
    if (item.n == 3 && fail_three) throw std::runtime_error("three fails");
    return sg::Update<Counter>{sg::set<&Counter::value>(item.n * 10)};
  });
  g.add_edge(sg::START, "fan");
  g.add_conditional_edges("fan", [](const Counter&) {
    return std::vector<sg::Send>{sg::Send("work", Item{1}), sg::Send("work", Item{2}), sg::Send("work", Item{3})};
  }, sg::PathMap(std::vector<std::string>{"work"}));
  auto app = g.compile({.checkpointer = saver});
  CHECK_THROWS_AS(app.invoke({}, test::thread("s")), sg::NodeError);
  CHECK(calls == 3);
  fail_three = false;
  auto out = app.invoke(std::nullopt, test::thread("s"));
  CHECK(calls == 4);
  CHECK(out.values.value == 1 + 10 + 20 + 30);
}

TEST_CASE("runs on one thread_id are serialised, past thread_lock_wait the second fails with sg.saver.404") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  std::atomic<bool> release{false};
  sg::StateGraph<Counter> g;
  g.add_node("slow", [&](const Counter&) {
    for (int i = 0; i < 5000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return sg::Update<Counter>{sg::set<&Counter::value>(1)};
  });
  g.add_edge(sg::START, "slow");
  auto app = g.compile({.checkpointer = saver});

  std::thread first([&] { app.invoke({}, test::thread("busy")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  sg::RunConfig impatient = test::thread("busy");
  impatient.thread_lock_wait = std::chrono::milliseconds(20);
  CHECK_THROWS_WITH_AS(app.invoke({}, impatient), doctest::Contains("sg.saver.404"), sg::SaverError);
  // A patient run waits for the first and then runs on top of its result.
  std::thread second([&] { app.invoke({}, test::thread("busy")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  first.join();
  second.join();
  CHECK(app.get_state(test::thread("busy"))->values.value == 2);
  // Other threads were never blocked.
  CHECK(app.invoke({}, test::thread("free")).values.value == 1);
}

TEST_CASE("the state kept between runs never hides another writer's checkpoints") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  auto one = chain(saver);
  auto two = chain(saver);  // another graph (think: another process) on the same saver
  CHECK(one.invoke({sg::set<&Counter::value>(1)}, test::thread("shared")).values.value == 3);
  CHECK(two.invoke({sg::set<&Counter::value>(1)}, test::thread("shared")).values.value == 6);
  CHECK(one.invoke({sg::set<&Counter::value>(1)}, test::thread("shared")).values.value == 9);  // not 6
  CHECK(one.invoke({sg::set<&Counter::value>(1)}, test::thread("shared")).values.value == 12);
  CHECK(one.get_state(test::thread("shared"))->values.log.size() == 8);
}

TEST_CASE("get_state still answers after a run failed on writes its reducer rejected") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge(sg::START, "b");
  auto app = g.compile({.checkpointer = saver});
  app.invoke({sg::set<&Counter::value>(1)}, test::thread("rej"));
  // `last` keeps one value per step: two writes in the input are rejected (sg.update.201).
  CHECK_THROWS_WITH_AS(app.invoke({sg::set<&Counter::last>("x"), sg::set<&Counter::last>("y")}, test::thread("rej")),
                       doctest::Contains("sg.update.201"), sg::InvalidUpdate);
  auto state = app.get_state(test::thread("rej"));
  REQUIRE(state.has_value());
  CHECK(state->values.value == 3);
  CHECK(state->values.last.empty());
  // the next input runs normally
  CHECK(app.invoke({sg::set<&Counter::value>(1)}, test::thread("rej")).values.value == 6);
}

TEST_CASE("a run's result shares its state with the graph's cache, and keeps its value when later runs change it") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge(sg::START, "a");
  auto app = g.compile({.checkpointer = saver});
  const auto first = app.invoke({sg::set<&Counter::log>("in 1")}, test::thread("cow"));
  const auto copy = first;  // shares, does not copy
  CHECK(&copy.values == &first.values);
  std::vector<sg::StreamEvent<Counter>> kept;
  const auto second = app.stream({sg::set<&Counter::log>("in 2")}, test::thread("cow"), sg::StreamMode::values,
                                 [&](const sg::StreamEvent<Counter>& e) { kept.push_back(e); });
  CHECK(first.values.log == std::vector<std::string>{"in 1", "a"});
  CHECK(copy.values.log == std::vector<std::string>{"in 1", "a"});
  CHECK(second.values.log == std::vector<std::string>{"in 1", "a", "in 2", "a"});
  REQUIRE(kept.size() == 2);  // after __start__'s step and after a's
  CHECK(kept[0].values->log == std::vector<std::string>{"in 1", "a", "in 2"});
  CHECK(kept[1].values->log == second.values.log);
  // Once nobody holds the result, the next run changes the cached state in place: same answers.
  const std::size_t before = second.values.log.size();
  std::optional<sg::RunResult<Counter>> third;
  third.emplace(app.invoke({sg::set<&Counter::log>("in 3")}, test::thread("cow")));
  CHECK(third->values.log.size() == before + 2);
  CHECK(second.values.log.size() == before);
  const Counter mine = third->values;  // a state of one's own to change
  CHECK(mine.log.back() == "a");
}

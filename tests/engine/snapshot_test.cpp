// What get_state / get_state_history and stream mode updates show of a thread, compared with
// LangGraph: `next` one entry per task, task results and errors, cached updates of resumed
// tasks, needs_resume. Written from LangGraph's test_pregel.py test_pending_writes_resume and
// test_send_* (a fan-out's next tasks).
#include <doctest/doctest.h>

#include <atomic>

#include "test_states.hpp"

using test::Counter;

namespace {

struct Item {
  int n = 0;
  friend void to_json(nlohmann::json& j, const Item& i) { j = i.n; }
  friend void from_json(const nlohmann::json& j, Item& i) { i.n = j.get<int>(); }
};

/// test_pending_writes_resume: "one" adds 2, "two" fails while `fail` is set and adds 3 after,
/// both from START.
sg::CompiledGraph<Counter> one_two(std::atomic<bool>& fail, bool keep_applied_writes = false) {
  sg::StateGraph<Counter> g;
  g.add_node("one", [](const Counter&) { return sg::Update<Counter>{sg::set<&Counter::value>(2)}; });
  g.add_node("two", [&fail](const Counter&) {
    if (fail) throw std::runtime_error("two failed");
    return sg::Update<Counter>{sg::set<&Counter::value>(3)};
  });
  g.add_edge(sg::START, "one").add_edge(sg::START, "two");
  return g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .keep_applied_writes = keep_applied_writes});
}

const sg::TaskInfo* task_named(const std::vector<sg::TaskInfo>& tasks, const std::string& name) {
  for (const auto& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("test_pending_writes_resume: the failed step's tasks, their results and errors, cached updates on resume") {
  std::atomic<bool> fail{true};
  auto app = one_two(fail);
  CHECK_THROWS_AS(app.invoke({sg::set<&Counter::value>(1)}, test::thread("p")), sg::NodeError);

  auto state = app.get_state(test::thread("p"));
  REQUIRE(state.has_value());
  CHECK(state->values.value == 3);  // one's saved write applied
  CHECK(state->next == std::vector<std::string>{"two"});
  CHECK(state->needs_resume);
  const auto* one = task_named(state->tasks, "one");
  const auto* two = task_named(state->tasks, "two");
  REQUIRE(one != nullptr);
  REQUIRE(two != nullptr);
  CHECK(one->has_result);
  REQUIRE(one->result.has_value());
  CHECK(*one->result == nlohmann::json{{"value", 2}});
  CHECK_FALSE(two->result.has_value());
  REQUIRE(two->error.has_value());
  CHECK(two->error->find("two failed") != std::string::npos);

  // With the checkpoint id: the checkpoint as stored, both tasks next.
  sg::RunConfig at = test::thread("p");
  at.checkpoint_id = state->config.checkpoint_id;
  auto stored = app.get_state(at);
  CHECK(stored->values.value == 1);
  CHECK(stored->next == std::vector<std::string>{"one", "two"});

  // Resuming runs only "two"; "one"'s update is still streamed, marked cached.
  fail = false;
  std::vector<std::tuple<std::string, nlohmann::json, bool>> updates;
  auto out = app.stream(std::nullopt, test::thread("p"), sg::StreamMode::updates,
                        [&](const sg::StreamEvent<Counter>& e) { updates.emplace_back(e.node, e.data, e.cached); });
  CHECK(out.values.value == 6);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0] == std::tuple<std::string, nlohmann::json, bool>{"one", {{"value", 2}}, true});
  CHECK(updates[1] == std::tuple<std::string, nlohmann::json, bool>{"two", {{"value", 3}}, false});

  auto done = app.get_state(test::thread("p"));
  CHECK(done->next.empty());
  CHECK_FALSE(done->needs_resume);

  // History keeps what went wrong in the completed step: its value writes are deleted with the
  // checkpoint that applied them, its error is not (newest first: loop 1, loop 0, input -1).
  auto history = app.get_state_history(test::thread("p"));
  REQUIRE(history.size() == 3);
  const auto* failed = task_named(history[1].tasks, "two");
  REQUIRE(failed != nullptr);
  REQUIRE(failed->error.has_value());
  CHECK(failed->error->find("two failed") != std::string::npos);
  CHECK_FALSE(failed->result.has_value());
  CHECK_FALSE(task_named(history[1].tasks, "one")->result.has_value());
}

TEST_CASE("history keeps a completed step's errors, and its results with keep_applied_writes") {
  std::atomic<bool> fail{true};
  auto app = one_two(fail, /*keep_applied_writes=*/true);
  CHECK_THROWS_AS(app.invoke({sg::set<&Counter::value>(1)}, test::thread("h")), sg::NodeError);
  fail = false;
  app.invoke(std::nullopt, test::thread("h"));
  // Newest first: loop 1 (one, two), loop 0 (__start__), input -1.
  auto history = app.get_state_history(test::thread("h"));
  REQUIRE(history.size() == 3);
  const auto& step0 = history[1];
  CHECK(step0.next == std::vector<std::string>{"one", "two"});
  const auto* one = task_named(step0.tasks, "one");
  const auto* two = task_named(step0.tasks, "two");
  REQUIRE(one != nullptr);
  REQUIRE(two != nullptr);
  REQUIRE(one->result.has_value());
  CHECK(*one->result == nlohmann::json{{"value", 2}});
  REQUIRE(two->result.has_value());
  CHECK(*two->result == nlohmann::json{{"value", 3}});
  CHECK(two->error.has_value());  // it failed once before it succeeded
}

TEST_CASE("next lists one entry per task: three Sends to one node are three, as tasks") {
  sg::StateGraph<Counter> g;
  g.add_node("fan", test::step("fan"));
  g.add_node("work", [](const Item& item) { return sg::Update<Counter>{sg::set<&Counter::value>(item.n)}; });
  g.add_node("other", test::step("other"));
  g.add_edge(sg::START, "fan").add_edge("fan", "other");
  g.add_conditional_edges("fan", [](const Counter&) {
    return std::vector<sg::Send>{sg::Send("work", Item{1}), sg::Send("work", Item{2}), sg::Send("work", Item{3})};
  }, sg::PathMap(std::vector<std::string>{"work"}));
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_before = {"work"}});
  auto paused = app.invoke({}, test::thread("send"));
  REQUIRE(paused.interrupted());
  auto state = app.get_state(test::thread("send"));
  REQUIRE(state.has_value());
  // LangGraph's order: the Send (push) tasks first, then the others by node name.
  CHECK(state->next == std::vector<std::string>{"work", "work", "work", "other"});
  REQUIRE(state->tasks.size() == 4);
  for (std::size_t i = 0; i < state->tasks.size(); ++i) CHECK(state->tasks[i].name == state->next[i]);
  CHECK(app.get_state_history(test::thread("send")).front().next == state->next);

  auto out = app.invoke(std::nullopt, test::thread("send"));
  CHECK(out.values.value == 1 + 2 + 3 + 2);  // fan, other add 1 each
}

TEST_CASE("needs_resume: a cancelled step whose task finished has no next node but work left") {
  sg::StateGraph<Counter> g;
  sg::CancellationToken* token = nullptr;
  g.add_node("a", [&](const Counter&) {
    token->cancel();  // the run stops after this step, before its checkpoint
    return sg::Update<Counter>{sg::set<&Counter::log>("a")};
  });
  g.add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  sg::RunConfig cfg = test::thread("c");
  token = &cfg.cancel;
  // The __start__ step completes; "a" finishes and the run is cancelled before its checkpoint.
  CHECK_THROWS_AS(app.invoke({}, cfg), sg::Cancelled);
  auto state = app.get_state(test::thread("c"));
  REQUIRE(state.has_value());
  CHECK(state->values.log == std::vector<std::string>{"a"});  // a's saved write, applied
  CHECK(state->next.empty());
  CHECK(state->needs_resume);
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].has_result);

  auto out = app.invoke(std::nullopt, test::thread("c"));
  CHECK(out.values.log == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(app.get_state(test::thread("c"))->needs_resume);
}

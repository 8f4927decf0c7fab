// Pending writes read one way by the loop, get_state and update_state (engine/src/saved_writes):
// a Command input's writes saved under the null task id, resume values, static interrupts, and the
// errors raised when a resume or an interrupt cannot be honoured. Written from LangGraph's
// test_pregel.py test_interrupt_* / test_pending_writes_resume and pregel/_loop.py _first.
#include <doctest/doctest.h>

#include <atomic>

#include "test_states.hpp"

using test::Counter;

namespace {

std::string error_id(const std::function<void()>& f) {
  try {
    f();
  } catch (const sg::Error& e) {
    return e.id();
  }
  return "no error";
}

/// START -> ask, where ask asks two questions and then writes both answers to `last`.
sg::CompiledGraph<Counter> two_questions(std::atomic<int>* calls = nullptr) {
  sg::StateGraph<Counter> g;
  g.add_node("ask", [calls](const Counter&, sg::RunContext& ctx) {
    if (calls != nullptr) ++*calls;
    auto first = ctx.interrupt("q1").get<std::string>();
    auto second = ctx.interrupt("q2").get<std::string>();
    return sg::Update<Counter>{sg::set<&Counter::last>(first + "+" + second)};
  });
  g.add_edge(sg::START, "ask");
  return g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
}

/// Runs to q1, then answers it with a Command that also updates `value` by 10: the node asks q2,
/// so the Command's update stays a pending write of the same checkpoint.
void to_second_question(sg::CompiledGraph<Counter>& app, const std::string& thread) {
  auto first = app.invoke({}, test::thread(thread));
  REQUIRE(first.interrupts.size() == 1);
  auto second = app.invoke(sg::Command<Counter>{.update = {sg::set<&Counter::value>(10)}, .resume = "a1"},
                           test::thread(thread));
  REQUIRE(second.interrupts.size() == 1);
  CHECK(second.interrupts[0].value == "q2");
  CHECK(second.values.value == 10);
}

}  // namespace

TEST_CASE("a Command update saved under the null task id is applied by get_state, with or without a checkpoint id") {
  auto app = two_questions();
  to_second_question(app, "n1");
  auto latest = app.get_state(test::thread("n1"));
  REQUIRE(latest.has_value());
  CHECK(latest->values.value == 10);
  CHECK(latest->next == std::vector<std::string>{"ask"});
  REQUIRE(latest->interrupts.size() == 1);
  CHECK(latest->interrupts[0].value == "q2");
  // LangGraph's _prepare_state_snapshot applies the null task's writes in either case.
  sg::RunConfig at = test::thread("n1");
  at.checkpoint_id = latest->config.checkpoint_id;
  CHECK(app.get_state(at)->values.value == 10);
  // History shows the same checkpoint the same way.
  CHECK(app.get_state_history(test::thread("n1")).front().values.value == 10);
}

TEST_CASE("a Command update saved under the null task id is applied once when the run resumes with no input") {
  std::atomic<int> calls{0};
  auto app = two_questions(&calls);
  to_second_question(app, "n2");
  // LangGraph's _first applies the null task's writes on every run start: the update is kept,
  // and the saved resume value answers the questions again.
  auto out = app.invoke(std::nullopt, test::thread("n2"));
  CHECK_FALSE(out.interrupted());
  CHECK(out.values.value == 10);
  CHECK(out.values.last == "a1+a1");
  CHECK(calls == 3);
  CHECK(app.get_state(test::thread("n2"))->values.value == 10);
}

TEST_CASE("a Command update saved under the null task id is kept by a later Command and by update_state") {
  auto app = two_questions();
  to_second_question(app, "n3");
  // A second Command at the same checkpoint: both updates count (the second one's writes are saved
  // after the first one's, not over them).
  auto out = app.invoke(sg::Command<Counter>{.update = {sg::set<&Counter::value>(5)}, .resume = "a2"},
                        test::thread("n3"));
  CHECK_FALSE(out.interrupted());
  CHECK(out.values.value == 15);
  CHECK(out.values.last == "a1+a2");
  CHECK(app.get_state(test::thread("n3"))->values.value == 15);

  to_second_question(app, "n4");
  app.update_state(test::thread("n4"), {sg::set<&Counter::value>(1)}, "ask");
  CHECK(app.get_state(test::thread("n4"))->values.value == 11);
}

TEST_CASE("Command resume with nothing waiting is sg.run.310, a resume_map naming no waiting interrupt too") {
  auto app = two_questions();
  // Finished thread: nothing to answer.
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a"));
  g.add_edge(sg::START, "a");
  auto plain = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  plain.invoke({}, test::thread("r1"));
  CHECK(error_id([&] { plain.invoke(sg::Command<Counter>{.resume = "x"}, test::thread("r1")); }) == "sg.run.310");
  CHECK_THROWS_AS(plain.invoke(sg::Command<Counter>{.resume = "x"}, test::thread("r1")), sg::ConfigError);
  // Nothing was saved by the refused resume.
  CHECK(plain.get_state_history(test::thread("r1")).size() == 3);
  // A Command without a resume is still an update.
  CHECK(plain.invoke(sg::Command<Counter>{.update = {sg::set<&Counter::value>(5)}}, test::thread("r1")).values.value == 6);

  auto first = app.invoke({}, test::thread("r2"));
  REQUIRE(first.interrupts.size() == 1);
  CHECK(error_id([&] {
          app.invoke(sg::Command<Counter>{.resume_map = {{"not-an-interrupt-id", "x"}}}, test::thread("r2"));
        }) == "sg.run.310");
  // The right id answers it.
  auto out = app.invoke(sg::Command<Counter>{.resume_map = {{first.interrupts[0].id, "m"}}}, test::thread("r2"));
  REQUIRE(out.interrupts.size() == 1);
  CHECK(out.interrupts[0].value == "q2");
}

TEST_CASE("interrupt() in a graph compiled without a checkpointer throws sg.run.309 at the call") {
  std::atomic<int> after{0};
  sg::StateGraph<Counter> g;
  g.add_node("ask", [&](const Counter&, sg::RunContext& ctx) {
    ctx.interrupt("approve?");
    ++after;
    return sg::Update<Counter>{};
  });
  g.add_edge(sg::START, "ask");
  auto app = g.compile();
  CHECK(error_id([&] { app.invoke({}); }) == "sg.run.309");
  CHECK_THROWS_AS(app.invoke({}), sg::ConfigError);
  CHECK(after == 0);
}

TEST_CASE("a static interrupt: RunResult and get_state show the same interrupts, updates stream an empty list") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_before = {"b"}});
  std::vector<std::pair<std::string, nlohmann::json>> updates;
  auto out = app.stream({}, test::thread("s1"), sg::StreamMode::updates,
                        [&](const sg::StreamEvent<Counter>& e) { updates.emplace_back(e.node, e.data); });
  REQUIRE(out.interrupts.size() == 1);
  CHECK(out.interrupts[0].node == "b");
  CHECK(out.interrupts[0].when == "before");
  REQUIRE(!updates.empty());
  // LangGraph: {"__interrupt__": ()} for interrupt_before/after; only interrupt() carries values.
  CHECK(updates.back().first == "__interrupt__");
  CHECK(updates.back().second == nlohmann::json::array());
  auto state = app.get_state(test::thread("s1"));
  REQUIRE(state.has_value());
  CHECK(state->interrupts == out.interrupts);
  CHECK(state->next == std::vector<std::string>{"b"});

  // interrupt_after: the same, at the checkpoint the step wrote.
  sg::RunConfig after = test::thread("s2");
  after.interrupt_before = std::vector<std::string>{};
  after.interrupt_after = std::vector<std::string>{"a"};
  auto paused = app.invoke({}, after);
  REQUIRE(paused.interrupts.size() == 1);
  CHECK(paused.interrupts[0].when == "after");
  CHECK(app.get_state(test::thread("s2"))->interrupts == paused.interrupts);
  // A Command resume at a static interrupt is allowed (a node may still call interrupt()).
  auto done = app.invoke(sg::Command<Counter>{.resume = "go"}, after);
  CHECK_FALSE(done.interrupted());
  CHECK(done.values.log == std::vector<std::string>{"a", "b"});
  CHECK(app.get_state(test::thread("s2"))->interrupts.empty());
}

TEST_CASE("a replay fork is numbered like the step it starts, as update_state AS_COPY numbers its copy") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  app.invoke({}, test::thread("f1"));
  // History, newest first: loop 2 (b), loop 1 (a), loop 0 (__start__), input -1.
  auto history = app.get_state_history(test::thread("f1"));
  REQUIRE(history.size() == 4);
  const auto& at_a = history[1];
  REQUIRE(at_a.metadata["step"] == 1);
  REQUIRE(at_a.next == std::vector<std::string>{"b"});

  // LangGraph test_time_travel / _first: the fork takes step 2, its parent is the step-1
  // checkpoint, and the step it starts is saved at 3.
  sg::RunConfig replay = test::thread("f1");
  replay.checkpoint_id = at_a.config.checkpoint_id;
  auto out = app.invoke(std::nullopt, replay);
  CHECK(out.values.log == std::vector<std::string>{"a", "b"});
  auto after = app.get_state_history(test::thread("f1"));
  REQUIRE(after.size() == 6);
  CHECK(after[0].metadata["source"] == "loop");
  CHECK(after[0].metadata["step"] == 3);
  CHECK(after[1].metadata["source"] == "fork");
  CHECK(after[1].metadata["step"] == 2);
  REQUIRE(after[1].parent_config.has_value());
  CHECK(after[1].parent_config->checkpoint_id == at_a.config.checkpoint_id);
  CHECK(after[0].parent_config->checkpoint_id == after[1].config.checkpoint_id);

  auto copy = app.update_state(replay, std::nullopt, sg::AS_COPY);
  sg::RunConfig at_copy = test::thread("f1");
  at_copy.checkpoint_id = copy.checkpoint_id;
  auto copied = app.get_state(at_copy);
  CHECK(copied->metadata["source"] == "fork");
  CHECK(copied->metadata["step"] == 2);
}

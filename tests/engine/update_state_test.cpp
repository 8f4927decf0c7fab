// update_state / bulk_update_state (LangGraph: pregel/main.py Pregel.bulk_update_state). Ports the
// behaviours of LangGraph's test_bulk_state_updates, test_update_as_input,
// test_batch_update_as_input, test_fork_and_update_task_results and
// test_fork_does_not_apply_pending_writes (libs/langgraph/tests/test_pregel.py), plus as_node
// inference, the specials, errors, the thread lock and the state cache.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_states.hpp"

using test::Counter;

namespace {

struct Doc {
  std::string foo;
  std::string baz;
  std::vector<std::string> log;
};

}  // namespace

template <>
struct sg::state_schema<Doc> {
  static constexpr auto fields = sg::fields(sg::field<&Doc::foo>("foo"), sg::field<&Doc::baz>("baz"),
                                            sg::field<&Doc::log>("log", sg::append));
};

namespace {

using U = sg::Update<Doc>;

template <class F>
std::string error_id(F&& f) {
  try {
    f();
  } catch (const sg::Error& e) {
    return e.id();
  }
  return "no error";
}

/// START → a → b → END; a writes foo, b writes baz.
sg::CompiledGraph<Doc> ab(std::shared_ptr<sg::BaseCheckpointSaver> saver, sg::CompileOptions options = {}) {
  sg::StateGraph<Doc> g;
  g.add_node("node_a", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("bar"))}; });
  g.add_node("node_b", [](const Doc&) { return U{sg::set<&Doc::baz>(std::string("qux"))}; });
  g.add_edge(sg::START, "node_a").add_edge("node_a", "node_b").add_edge("node_b", sg::END);
  options.checkpointer = std::move(saver);
  return g.compile(options);
}

/// What LangGraph's test_update_as_input compares: values, next and step of each checkpoint.
struct Row {
  std::string foo;
  std::vector<std::string> log;
  std::vector<std::string> next;
  std::int64_t step = 0;
  friend bool operator==(const Row&, const Row&) = default;
};

std::vector<Row> rows(const std::vector<sg::StateSnapshot<Doc>>& history) {
  std::vector<Row> out;
  for (const auto& s : history) out.push_back({s.values.foo, s.values.log, s.next, s.metadata["step"].get<std::int64_t>()});
  return out;
}

std::vector<std::string> sources(const std::vector<sg::StateSnapshot<Doc>>& history) {
  std::vector<std::string> out;
  for (const auto& s : history) out.push_back(s.metadata["source"].get<std::string>());
  return out;
}

sg::RunConfig at(const std::string& thread, const std::optional<std::string>& checkpoint_id) {
  sg::RunConfig c = test::thread(thread);
  c.checkpoint_id = checkpoint_id;
  return c;
}

}  // namespace

TEST_CASE("update_state writes as a node: reducers, its edges, a source update checkpoint child of the latest") {
  auto app = ab(std::make_shared<sg::InMemorySaver>());
  const auto cfg = test::thread("u");
  app.invoke({}, cfg);
  const auto before = app.get_state(cfg);
  REQUIRE(before.has_value());

  const sg::CheckpointConfig written = app.update_state(cfg, {sg::set<&Doc::foo>(std::string("edited")),
                                                              sg::set<&Doc::log>("note")}, "node_a");
  auto state = app.get_state(cfg);
  REQUIRE(state.has_value());
  CHECK(written.thread_id == "u");
  CHECK(written.checkpoint_id == state->config.checkpoint_id);
  CHECK(state->values.foo == "edited");
  CHECK(state->values.baz == "qux");
  CHECK(state->values.log == std::vector<std::string>{"note"});
  CHECK(state->next == std::vector<std::string>{"node_b"});  // node_a's edge fired
  CHECK(state->metadata["source"] == "update");
  CHECK(state->metadata["step"] == before->metadata["step"].get<int>() + 1);
  REQUIRE(state->parent_config.has_value());
  CHECK(state->parent_config->checkpoint_id == before->config.checkpoint_id);

  // The next run continues with node_a's successor.
  auto out = app.invoke(std::nullopt, cfg);
  CHECK(out.values.foo == "edited");
  CHECK(out.values.baz == "qux");
  CHECK(app.get_state(cfg)->next.empty());
}

TEST_CASE("bulk_update_state: one checkpoint per superstep, several updates share a superstep (test_bulk_state_updates)") {
  auto app = ab(std::make_shared<sg::InMemorySaver>());
  const auto cfg = test::thread("bulk");
  app.update_state(cfg, U{sg::set<&Doc::foo>(std::string("bar"))}, "node_a");
  CHECK(app.get_state(cfg)->values.foo == "bar");
  CHECK(app.get_state(cfg)->metadata["step"] == 0);

  // Two supersteps: two checkpoints, each a child of the one before.
  app.bulk_update_state(cfg, {{{U{sg::set<&Doc::foo>(std::string("updated"))}, "node_a"}},
                              {{U{sg::set<&Doc::baz>(std::string("new"))}, "node_b"}}});
  auto history = app.get_state_history(cfg);
  REQUIRE(history.size() == 3);
  CHECK(sources(history) == std::vector<std::string>{"update", "update", "update"});
  CHECK(history[0].values.foo == "updated");
  CHECK(history[0].values.baz == "new");
  CHECK(history[0].next.empty());
  CHECK(history[1].values.baz.empty());
  CHECK(history[1].next == std::vector<std::string>{"node_b"});
  CHECK(history[0].parent_config->checkpoint_id == history[1].config.checkpoint_id);
  CHECK(history[0].metadata["step"] == 2);

  // One superstep with two updates: one checkpoint with both.
  app.bulk_update_state(cfg, {{{U{sg::set<&Doc::foo>(std::string("foo2"))}, "node_a"},
                               {U{sg::set<&Doc::baz>(std::string("baz2"))}, "node_b"}}});
  history = app.get_state_history(cfg);
  REQUIRE(history.size() == 4);
  CHECK(history[0].values.foo == "foo2");
  CHECK(history[0].values.baz == "baz2");
  CHECK(history[0].next == std::vector<std::string>{"node_b"});
  CHECK(history[0].metadata["step"] == 3);

  // Shapes that cannot be applied.
  CHECK(error_id([&] { app.bulk_update_state(cfg, {}); }) == "sg.update.209");
  CHECK(error_id([&] { app.bulk_update_state(cfg, {{}}); }) == "sg.update.209");
  CHECK(error_id([&] { app.bulk_update_state(cfg, {{{U{}, std::nullopt}, {U{}, std::nullopt}}}); }) == "sg.update.209");
  CHECK(error_id([&] { app.bulk_update_state(cfg, {{{U{}, sg::AS_INPUT}, {U{}, "node_a"}}}); }) == "sg.update.209");
  CHECK(error_id([&] { app.bulk_update_state(cfg, {{{std::nullopt, sg::END}, {U{}, "node_a"}}}); }) == "sg.update.209");
  CHECK(error_id([&] { app.bulk_update_state(cfg, {{{std::nullopt, sg::AS_COPY}, {std::nullopt, sg::AS_COPY}}}); }) ==
        "sg.update.209");
  CHECK(error_id([&] { app.update_state(cfg, U{}, sg::AS_COPY); }) == "sg.update.209");
  CHECK(error_id([&] { app.update_state(cfg, U{}, sg::END); }) == "sg.update.209");
  CHECK(error_id([&] { app.update_state(cfg, std::nullopt, sg::AS_INPUT); }) == "sg.update.209");
  // Two writes to a last-value field in one superstep, as in a step of a run.
  CHECK(error_id([&] {
          app.bulk_update_state(cfg, {{{U{sg::set<&Doc::foo>(std::string("x"))}, "node_a"},
                                       {U{sg::set<&Doc::foo>(std::string("y"))}, "node_b"}}});
        }) == "sg.update.201");
  CHECK(app.get_state_history(cfg).size() == 4);  // none of these saved anything
}

TEST_CASE("a failing later superstep saves none of the earlier ones") {
  auto app = ab(std::make_shared<sg::InMemorySaver>());
  const auto cfg = test::thread("atomic");
  app.invoke({}, cfg);
  const auto n = app.get_state_history(cfg).size();
  CHECK(error_id([&] {
          app.bulk_update_state(cfg, {{{U{sg::set<&Doc::foo>(std::string("fine"))}, "node_a"}},
                                      {{U{sg::set<&Doc::foo>(std::string("x"))}, "node_a"},
                                       {U{sg::set<&Doc::foo>(std::string("y"))}, "node_b"}}});
        }) == "sg.update.201");
  CHECK(app.get_state_history(cfg).size() == n);
  CHECK(app.get_state(cfg)->values.foo == "bar");
}

TEST_CASE("updates as __input__, START and each node rebuild a run's history (test_update_as_input)") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Doc> g;
  g.add_node("agent", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("agent"))}; });
  g.add_node("tool", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("tool"))}; });
  g.add_edge(sg::START, "agent").add_edge("agent", "tool").add_edge("tool", sg::END);
  auto app = g.compile({.checkpointer = saver});

  CHECK(app.invoke({sg::set<&Doc::foo>(std::string("input"))}, test::thread("1")).values.foo == "tool");
  CHECK(app.invoke({sg::set<&Doc::foo>(std::string("input"))}, test::thread("1")).values.foo == "tool");
  const auto history = app.get_state_history(test::thread("1"));

  auto as = [](const char* foo, const std::string& node) {
    return std::vector<sg::StateUpdate<Doc>>{{U{sg::set<&Doc::foo>(std::string(foo))}, node}};
  };
  app.bulk_update_state(test::thread("2"), {as("input", sg::AS_INPUT), as("input", sg::START), as("agent", "agent"),
                                            as("tool", "tool"), as("input", sg::AS_INPUT), as("input", sg::START),
                                            as("agent", "agent"), as("tool", "tool")});
  const auto rebuilt = app.get_state_history(test::thread("2"));
  CHECK(rows(rebuilt) == rows(history));
  REQUIRE(rebuilt.size() == 8);
  CHECK(rebuilt[3].metadata["source"] == "input");
  CHECK(rebuilt[7].metadata["source"] == "input");
  CHECK(rebuilt[0].metadata["source"] == "update");
  CHECK(rebuilt[7].next == std::vector<std::string>{"__start__"});

  // An input saved by update_state is what the next run takes.
  app.update_state(test::thread("3"), U{sg::set<&Doc::foo>(std::string("queued"))}, sg::AS_INPUT);
  CHECK(app.get_state(test::thread("3"))->next == std::vector<std::string>{"__start__"});
  CHECK(app.invoke(std::nullopt, test::thread("3")).values.foo == "tool");
}

namespace {
struct Job {
  int n = 0;
  friend void to_json(nlohmann::json& j, const Job& x) { j = x.n; }
  friend void from_json(const nlohmann::json& j, Job& x) { x.n = j.get<int>(); }
};
}  // namespace

TEST_CASE("several updates as one Send target in one superstep rebuild a map step (test_batch_update_as_input)") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Doc> g;
  g.add_node("agent", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("agent"))}; });
  g.add_node("task", [](const Job& j) { return U{sg::set<&Doc::log>("task " + std::to_string(j.n))}; });
  g.add_edge(sg::START, "agent");
  g.add_conditional_edges("agent", [](const Doc& s) {
    std::vector<sg::Send> sends;
    if (s.foo == "agent")
      for (int i = 0; i < 3; ++i) sends.emplace_back("task", Job{i});
    return sends;
  }, sg::PathMap(std::vector<std::string>{"task"}));
  auto app = g.compile({.checkpointer = saver});

  CHECK(app.invoke({sg::set<&Doc::foo>(std::string("input"))}, test::thread("1")).values.log ==
        std::vector<std::string>{"task 0", "task 1", "task 2"});
  const auto history = app.get_state_history(test::thread("1"));

  using SU = sg::StateUpdate<Doc>;
  app.bulk_update_state(test::thread("2"),
                        {{SU{U{sg::set<&Doc::foo>(std::string("input"))}, sg::AS_INPUT}},
                         {SU{U{sg::set<&Doc::foo>(std::string("input"))}, sg::START}},
                         {SU{U{sg::set<&Doc::foo>(std::string("agent"))}, "agent"}},  // the router sends 3 tasks
                         {SU{U{sg::set<&Doc::log>("task 0")}, "task"}, SU{U{sg::set<&Doc::log>("task 1")}, "task"},
                          SU{U{sg::set<&Doc::log>("task 2")}, "task"}}});
  const auto rebuilt = app.get_state_history(test::thread("2"));
  CHECK(rows(rebuilt) == rows(history));
  REQUIRE(rebuilt.size() == 4);  // input, START, agent, the three tasks
  CHECK(rebuilt[1].next == std::vector<std::string>{"task", "task", "task"});  // one per Send task
  CHECK(rebuilt[1].tasks.size() == 3);
  CHECK(rebuilt[0].next.empty());
}

TEST_CASE("__copy__ with updates forks a checkpoint and gives its next tasks these results (test_fork_and_update_task_results)") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Doc> g;
  g.add_node("a", [](const Doc&) { return U{sg::set<&Doc::log>("a ran")}; });
  g.add_node("b", [](const Doc&) { return U{sg::set<&Doc::log>("b ran")}; });
  g.add_edge(sg::START, "a").add_edge(sg::START, "b");
  auto app = g.compile({.checkpointer = saver, .interrupt_before = {"a", "b"}});
  const auto cfg = test::thread("fork");
  CHECK(app.invoke({}, cfg).interrupted());
  const auto paused = *app.get_state(cfg);
  CHECK(paused.next == std::vector<std::string>{"a", "b"});

  const auto out = app.bulk_update_state(
      at("fork", paused.config.checkpoint_id),
      {{{std::nullopt, sg::AS_COPY}, {U{sg::set<&Doc::log>("a given")}, "a"}, {U{sg::set<&Doc::log>("b given")}, "b"}}});
  auto history = app.get_state_history(cfg);
  REQUIRE(history.size() >= 2);
  const auto& update = history[0];
  const auto& copy = history[1];
  CHECK(update.config.checkpoint_id == out.checkpoint_id);
  CHECK(update.metadata["source"] == "update");
  CHECK(update.values.log == std::vector<std::string>{"a given", "b given"});
  CHECK(update.next.empty());
  CHECK(copy.metadata["source"] == "fork");
  CHECK(copy.metadata["copy_of"] == *paused.config.checkpoint_id);
  CHECK(copy.metadata["step"] == paused.metadata["step"].get<int>() + 1);
  CHECK(copy.parent_config == paused.parent_config);  // a sibling of the paused checkpoint
  CHECK(update.parent_config->checkpoint_id == copy.config.checkpoint_id);
  CHECK(copy.next == std::vector<std::string>{"a", "b"});
  REQUIRE(copy.tasks.size() == 2);
  for (const auto& t : copy.tasks) CHECK(t.has_result);
  // The paused checkpoint is untouched: same values, its tasks without results.
  const auto original = *app.get_state(at("fork", paused.config.checkpoint_id));
  CHECK(original.values.log.empty());
  for (const auto& t : original.tasks) CHECK_FALSE(t.has_result);
  // Nothing left to run.
  CHECK(app.invoke(std::nullopt, cfg).values.log == std::vector<std::string>{"a given", "b given"});
}

TEST_CASE("the latest checkpoint's finished task writes are folded in, a named checkpoint's are not (test_fork_does_not_apply_pending_writes)") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  std::atomic<bool> b_fails{true};
  sg::StateGraph<Doc> g;
  g.add_node("a", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("from a"))}; });
  g.add_node("b", [&](const Doc&) -> U {
    if (b_fails) throw std::runtime_error("b is down");
    return U{sg::set<&Doc::baz>(std::string("from b"))};
  });
  g.add_edge(sg::START, "a").add_edge(sg::START, "b");
  auto app = g.compile({.checkpointer = saver});
  const auto cfg = test::thread("pw");
  CHECK_THROWS_AS(app.invoke({}, cfg), sg::NodeError);
  const auto failed = *app.get_state(cfg);  // shows a's saved result
  CHECK(failed.values.foo == "from a");

  // Named by id: a's saved write is not applied.
  app.update_state(at("pw", failed.config.checkpoint_id), U{sg::set<&Doc::baz>(std::string("by hand"))}, "b");
  auto forked = *app.get_state(cfg);
  CHECK(forked.values.foo.empty());
  CHECK(forked.values.baz == "by hand");
  CHECK(forked.parent_config->checkpoint_id == failed.config.checkpoint_id);

  // Copying it does not carry its pending writes either.
  app.update_state(at("pw", failed.config.checkpoint_id), std::nullopt, sg::AS_COPY);
  auto copy = *app.get_state(cfg);
  CHECK(copy.values.foo.empty());
  CHECK(copy.next == std::vector<std::string>{"a", "b"});
  for (const auto& t : copy.tasks) CHECK_FALSE(t.has_result);

  // The same failure, updated at the latest checkpoint: a's write is folded in first.
  const auto cfg2 = test::thread("pw2");
  CHECK_THROWS_AS(app.invoke({}, cfg2), sg::NodeError);
  app.update_state(cfg2, U{sg::set<&Doc::baz>(std::string("by hand"))}, "b");
  auto latest = *app.get_state(cfg2);
  CHECK(latest.values.foo == "from a");
  CHECK(latest.values.baz == "by hand");
  CHECK(latest.next.empty());
  b_fails = false;
  CHECK(app.invoke(std::nullopt, cfg2).values.baz == "by hand");  // b does not run again
}

TEST_CASE("as_node inferred: the only node, the node that ran last, START on a new thread, else sg.update.208") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  {
    sg::StateGraph<Counter> g;
    g.add_node("only", test::step("only"));
    g.add_edge(sg::START, "only");
    auto app = g.compile({.checkpointer = saver});
    app.update_state(test::thread("one"), {sg::set<&Counter::log>("x")});
    auto s = *app.get_state(test::thread("one"));
    CHECK(s.values.log == std::vector<std::string>{"x"});
    CHECK(s.next.empty());
  }
  auto app = ab(saver);
  // Nothing ran yet: the values come in as START's, so node_a runs next.
  app.update_state(test::thread("fresh"), U{sg::set<&Doc::foo>(std::string("start"))});
  CHECK(app.get_state(test::thread("fresh"))->next == std::vector<std::string>{"node_a"});
  // After a run: node_b ran last, so the update is node_b's and nothing follows it.
  app.invoke({}, test::thread("ran"));
  app.update_state(test::thread("ran"), U{sg::set<&Doc::baz>(std::string("late"))});
  CHECK(app.get_state(test::thread("ran"))->values.baz == "late");
  CHECK(app.get_state(test::thread("ran"))->next.empty());

  sg::StateGraph<Doc> g;
  g.add_node("left", [](const Doc&) { return U{sg::set<&Doc::log>("left")}; });
  g.add_node("right", [](const Doc&) { return U{sg::set<&Doc::log>("right")}; });
  g.add_edge(sg::START, "left").add_edge(sg::START, "right");
  auto par = g.compile({.checkpointer = saver});
  par.invoke({}, test::thread("par"));
  try {
    par.update_state(test::thread("par"), U{sg::set<&Doc::log>("?")});
    FAIL("expected sg::InvalidUpdate");
  } catch (const sg::InvalidUpdate& e) {
    CHECK(e.id() == "sg.update.208");
    CHECK(std::string(e.what()).find("as_node") != std::string::npos);
  }
  par.update_state(test::thread("par"), U{sg::set<&Doc::log>("!")}, "left");
  CHECK(par.get_state(test::thread("par"))->values.log == std::vector<std::string>{"left", "right", "!"});
}

TEST_CASE("conditional edges of as_node are evaluated on the updated state") {
  sg::StateGraph<Counter> g;
  g.add_node("decide", test::step("decide", 0)).add_node("big", test::step("big")).add_node("small", test::step("small"));
  g.add_edge(sg::START, "decide");
  g.add_conditional_edges("decide", [](const Counter& s) { return s.value > 5 ? "big" : "small"; },
                          sg::PathMap(std::vector<std::string>{"big", "small"}));
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .interrupt_before = {"big", "small"}});
  const auto cfg = test::thread("route");
  app.invoke({}, cfg);
  CHECK(app.get_state(cfg)->next == std::vector<std::string>{"small"});
  app.update_state(cfg, {sg::set<&Counter::value>(10)}, "decide");
  CHECK(app.get_state(cfg)->next == std::vector<std::string>{"big"});  // small's trigger is gone
  auto out = app.invoke(std::nullopt, cfg);
  CHECK(out.values.log == std::vector<std::string>{"decide", "big"});
  CHECK(out.values.value == 11);
}

TEST_CASE("as_node END with no values clears the pending tasks, applying the results of those that finished") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  {
    auto app = ab(saver, {.interrupt_before = {"node_b"}});
    const auto cfg = test::thread("end");
    app.invoke({}, cfg);
    CHECK(app.get_state(cfg)->next == std::vector<std::string>{"node_b"});
    app.update_state(cfg, std::nullopt, sg::END);
    auto s = *app.get_state(cfg);
    CHECK(s.next.empty());
    CHECK(s.metadata["source"] == "update");
    CHECK(s.values.foo == "bar");
    CHECK(app.invoke(std::nullopt, cfg).values.baz.empty());  // node_b never runs
  }
  std::atomic<bool> b_fails{true};
  sg::StateGraph<Doc> g;
  g.add_node("a", [](const Doc&) { return U{sg::set<&Doc::foo>(std::string("from a"))}; });
  g.add_node("b", [&](const Doc&) -> U {
    if (b_fails) throw std::runtime_error("b is down");
    return U{};
  });
  g.add_edge(sg::START, "a").add_edge(sg::START, "b");
  auto app = g.compile({.checkpointer = saver});
  CHECK_THROWS_AS(app.invoke({}, test::thread("end2")), sg::NodeError);
  app.update_state(test::thread("end2"), std::nullopt, sg::END);
  auto s = *app.get_state(test::thread("end2"));
  CHECK(s.values.foo == "from a");
  CHECK(s.next.empty());
}

TEST_CASE("__copy__ of an older checkpoint: the thread continues from the copy, the old branch stays (undo)") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  sg::StateGraph<Counter> g;
  g.add_node("reply", [](const Counter& s) {
    return sg::Update<Counter>{sg::set<&Counter::log>("reply " + std::to_string(s.log.size()))};
  });
  g.add_edge(sg::START, "reply");
  auto app = g.compile({.checkpointer = saver});
  const auto cfg = test::thread("undo");
  app.invoke({sg::set<&Counter::log>("human 0")}, cfg);
  const auto turn1 = *app.get_state(cfg);
  app.invoke({sg::set<&Counter::log>("human 1")}, cfg);
  const auto turn2 = *app.get_state(cfg);

  const auto copy = app.update_state(at("undo", turn1.config.checkpoint_id), std::nullopt, sg::AS_COPY);
  auto now = *app.get_state(cfg);
  CHECK(now.config.checkpoint_id == copy.checkpoint_id);
  CHECK(now.values.log == turn1.values.log);
  CHECK(now.metadata["source"] == "fork");
  CHECK(now.parent_config == turn1.parent_config);
  auto out = app.invoke({sg::set<&Counter::log>("human 1b")}, cfg);
  CHECK(out.values.log == std::vector<std::string>{"human 0", "reply 1", "human 1b", "reply 3"});
  // The undone turn is still there.
  CHECK(app.get_state(at("undo", turn2.config.checkpoint_id))->values.log.size() == 4);
  CHECK(app.get_state(at("undo", turn2.config.checkpoint_id))->values.log[2] == "human 1");
}

TEST_CASE("errors: no checkpointer sg.run.308, no thread_id 303, unknown checkpoint 307, unknown node 207, copy of nothing 209") {
  {
    sg::StateGraph<Counter> g;
    g.add_node("a", test::step("a"));
    g.add_edge(sg::START, "a");
    auto app = g.compile();
    CHECK(error_id([&] { app.update_state(test::thread("x"), {sg::set<&Counter::value>(1)}, "a"); }) == "sg.run.308");
  }
  auto app = ab(std::make_shared<sg::InMemorySaver>());
  CHECK(error_id([&] { app.update_state(sg::RunConfig{}, U{}, "node_a"); }) == "sg.run.303");
  CHECK(error_id([&] { app.update_state(at("x", "1f0c0000-0000-6000-8000-000000000000"), U{}, "node_a"); }) ==
        "sg.run.307");
  try {
    app.update_state(test::thread("x"), U{}, "node_c");
    FAIL("expected sg::InvalidUpdate");
  } catch (const sg::InvalidUpdate& e) {
    CHECK(e.id() == "sg.update.207");
    CHECK(std::string(e.what()).find("\"node_a\", \"node_b\"") != std::string::npos);
  }
  CHECK(error_id([&] { app.update_state(test::thread("x"), std::nullopt, sg::AS_COPY); }) == "sg.update.209");
  CHECK_FALSE(app.get_state(test::thread("x")).has_value());
}

TEST_CASE("config metadata is merged into the update's checkpoint") {
  auto app = ab(std::make_shared<sg::InMemorySaver>());
  auto cfg = test::thread("md");
  cfg.metadata = {{"user", "ada"}, {"source", "ignored"}};
  app.update_state(cfg, U{sg::set<&Doc::foo>(std::string("x"))}, "node_a");
  auto s = *app.get_state(test::thread("md"));
  CHECK(s.metadata["user"] == "ada");
  CHECK(s.metadata["source"] == "update");
}

TEST_CASE("the state cache follows updates made by this graph and by another graph on the same saver") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  for (std::size_t cache : {std::size_t{0}, std::size_t{8}}) {
    sg::StateGraph<Counter> g;
    g.add_node("reply", test::step("reply"));
    g.add_edge(sg::START, "reply");
    auto app = g.compile({.checkpointer = saver, .state_cache = cache});
    auto other = g.compile({.checkpointer = saver, .state_cache = cache});
    const auto cfg = test::thread("cache" + std::to_string(cache));
    app.invoke({sg::set<&Counter::log>("h0")}, cfg);
    app.update_state(cfg, {sg::set<&Counter::log>("edit")}, "reply");
    CHECK(app.invoke({sg::set<&Counter::log>("h1")}, cfg).values.log ==
          std::vector<std::string>{"h0", "reply", "edit", "h1", "reply"});
    other.update_state(cfg, {sg::set<&Counter::log>(sg::Overwrite<std::vector<std::string>>{{"cleared"}})}, "reply");
    CHECK(app.invoke({sg::set<&Counter::log>("h2")}, cfg).values.log ==
          std::vector<std::string>{"cleared", "h2", "reply"});
    const auto old = app.get_state_history(cfg)[4].config.checkpoint_id;  // before "cleared"
    app.update_state(at(cfg.thread_id, old), std::nullopt, sg::AS_COPY);
    CHECK(app.invoke({sg::set<&Counter::log>("h3")}, cfg).values.log ==
          std::vector<std::string>{"h0", "reply", "edit", "h1", "reply", "h3", "reply"});
  }
}

TEST_CASE("update_state waits for a run on the thread, past thread_lock_wait it fails with sg.saver.404") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  sg::StateGraph<Counter> g;
  g.add_node("slow", [&](const Counter&) {
    started = true;
    for (int i = 0; i < 10000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return sg::Update<Counter>{sg::set<&Counter::log>("slow")};
  });
  g.add_edge(sg::START, "slow");
  auto app = g.compile({.checkpointer = saver});
  std::thread run([&] { app.invoke({}, test::thread("busy")); });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  sg::RunConfig impatient = test::thread("busy");
  impatient.thread_lock_wait = std::chrono::milliseconds(10);
  CHECK(error_id([&] { app.update_state(impatient, {sg::set<&Counter::log>("edit")}, "slow"); }) == "sg.saver.404");
  release = true;
  app.update_state(test::thread("busy"), {sg::set<&Counter::log>("edit")}, "slow");  // waits for the run
  run.join();
  CHECK(app.get_state(test::thread("busy"))->values.log == std::vector<std::string>{"slow", "edit"});
}

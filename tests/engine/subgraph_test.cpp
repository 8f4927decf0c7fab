// Subgraphs: a CompiledGraph as a node (same state type, or mapped), and a graph invoked from a
// node; checkpoint namespaces, the parent's lock, interrupts and resume, Command to the parent,
// streaming, state and drawing (LangGraph scenarios: tests/test_subgraph_persistence.py and the
// subgraph cases of test_pregel.py / test_interruption.py, ported to the typed API).
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "test_states.hpp"

using test::Counter;

namespace {

std::shared_ptr<sg::InMemorySaver> memory() { return std::make_shared<sg::InMemorySaver>(); }

/// research: r1 → r2, each appending its name and adding 1.
sg::CompiledGraph<Counter> research(sg::CompileOptions options = {}) {
  sg::StateGraph<Counter> g;
  g.add_node("r1", test::step("r1")).add_node("r2", test::step("r2"));
  g.add_edge(sg::START, "r1").add_edge("r1", "r2").add_edge("r2", sg::END);
  return g.compile(std::move(options));
}

/// prep → research (subgraph) → done.
sg::StateGraph<Counter> parent_of(const sg::CompiledGraph<Counter>& child) {
  sg::StateGraph<Counter> g;
  g.add_node("prep", test::step("prep")).add_node("research", child).add_node("done", test::step("done"));
  g.add_edge(sg::START, "prep").add_edge("prep", "research").add_edge("research", "done").add_edge("done", sg::END);
  return g;
}

std::vector<std::string> namespaces_of(sg::BaseCheckpointSaver& saver, const std::string& thread) {
  sg::ThreadListOptions o;
  o.thread_id = thread;
  auto threads = saver.list_threads(o);
  return threads.empty() ? std::vector<std::string>{} : threads.front().namespaces;
}

}  // namespace

TEST_CASE("a compiled graph of the same state type is a node: its nodes' writes reach the parent once") {
  auto saver = memory();
  auto app = parent_of(research()).compile({.checkpointer = saver});
  auto out = app.invoke({sg::set<&Counter::log>("in")}, test::thread("s1"));
  // LangGraph would give [in, prep, in, prep, r1, r2, done]: the child's whole state appended.
  CHECK(out.values.log == std::vector<std::string>{"in", "prep", "r1", "r2", "done"});
  CHECK(out.values.value == 4);  // prep, r1, r2, done: the child's two adds once each

  // The child ran under "research:<task id>" in the same thread, with the parent's checkpointer.
  auto ns = namespaces_of(*saver, "s1");
  REQUIRE(ns.size() == 2);
  CHECK(ns[0].empty());
  const auto levels = sg::format::parse_namespace(ns[1]);
  REQUIRE(levels.size() == 1);
  CHECK(levels[0].node == "research");
  CHECK(levels[0].task_id.size() == 36);
  // metadata parents maps the root namespace to the checkpoint the parent's step started from.
  auto child = saver->get_tuple({"s1", ns[1], std::nullopt});
  REQUIRE(child.has_value());
  const auto& parents = child->metadata.at("parents");
  REQUIRE(parents.contains(""));
  auto root_history = app.get_state_history(test::thread("s1"));
  std::set<std::string> root_ids;
  for (const auto& s : root_history) root_ids.insert(*s.config.checkpoint_id);
  CHECK(root_ids.count(parents.at("").get<std::string>()) == 1);

  // delete_thread removes every namespace.
  saver->delete_thread("s1");
  CHECK(namespaces_of(*saver, "s1").empty());
}

TEST_CASE("each parent invocation starts a per-invocation subgraph from the parent's state") {
  auto app = parent_of(research()).compile({.checkpointer = memory()});
  app.invoke({sg::set<&Counter::log>("a")}, test::thread("s2"));
  auto out = app.invoke({sg::set<&Counter::log>("b")}, test::thread("s2"));
  CHECK(out.values.log ==
        std::vector<std::string>{"a", "prep", "r1", "r2", "done", "b", "prep", "r1", "r2", "done"});
}

TEST_CASE("a graph invoked from a node runs as the task's subgraph under the parent's lock") {
  auto saver = memory();
  auto child = research();
  sg::StateGraph<Counter> g;
  g.add_node("call", [&](const Counter& s, sg::RunContext& ctx) {
    // The parent's thread_id: before subgraphs this waited for the parent's own lock (sg.saver.404).
    sg::RunConfig cfg;
    cfg.thread_id = ctx.thread_id();
    auto r = child.invoke(sg::Update<Counter>{sg::set<&Counter::last>(s.last + "!")}, cfg);
    return sg::Update<Counter>{sg::set<&Counter::log>(r.values.log), sg::set<&Counter::last>(r.values.last)};
  });
  g.add_edge(sg::START, "call").add_edge("call", sg::END);
  auto app = g.compile({.checkpointer = saver});
  sg::RunConfig cfg = test::thread("s3");
  cfg.thread_lock_wait = std::chrono::milliseconds(100);
  auto out = app.invoke({sg::set<&Counter::last>("x")}, cfg);
  CHECK(out.values.log == std::vector<std::string>{"r1", "r2"});
  CHECK(out.values.last == "x!");
  auto ns = namespaces_of(*saver, "s3");
  REQUIRE(ns.size() == 2);
  CHECK(sg::format::parse_namespace(ns[1]).at(0).node == "call");
}

TEST_CASE("a graph invoked from a node on another thread_id is an independent run") {
  auto saver = memory();
  auto child = research({.checkpointer = saver});
  sg::StateGraph<Counter> g;
  g.add_node("call", [&](const Counter&) {
    auto r = child.invoke({}, test::thread("other"));
    return sg::Update<Counter>{sg::set<&Counter::value>(r.values.value)};
  });
  g.add_edge(sg::START, "call").add_edge("call", sg::END);
  auto app = g.compile({.checkpointer = saver});
  CHECK(app.invoke({}, test::thread("s4")).values.value == 2);
  CHECK(namespaces_of(*saver, "s4") == std::vector<std::string>{""});
  CHECK(namespaces_of(*saver, "other") == std::vector<std::string>{""});
}

TEST_CASE("an interrupt inside a subgraph pauses the parent and a resume continues the subgraph") {
  std::atomic<int> r1_calls{0}, ask_calls{0};
  sg::StateGraph<Counter> c;
  c.add_node("r1", [&](const Counter&) {
    ++r1_calls;
    return sg::Update<Counter>{sg::set<&Counter::log>("r1"), sg::set<&Counter::value>(1)};
  });
  c.add_node("ask", [&](const Counter&, sg::RunContext& ctx) {
    ++ask_calls;
    auto answer = ctx.interrupt("approve?");
    return sg::Update<Counter>{sg::set<&Counter::last>(answer.get<std::string>()), sg::set<&Counter::log>("ask")};
  });
  c.add_node("r2", test::step("r2"));
  c.add_edge(sg::START, "r1").add_edge("r1", "ask").add_edge("ask", "r2").add_edge("r2", sg::END);
  auto saver = memory();
  auto app = parent_of(c.compile()).compile({.checkpointer = saver});

  auto first = app.invoke({sg::set<&Counter::log>("in")}, test::thread("s5"));
  REQUIRE(first.interrupted());
  REQUIRE(first.interrupts.size() == 1);
  CHECK(first.interrupts[0].node == "ask");
  CHECK(first.interrupts[0].value == "approve?");
  CHECK(first.values.log == std::vector<std::string>{"in", "prep"});

  auto state = app.get_state(test::thread("s5"));
  REQUIRE(state.has_value());
  CHECK(state->next == std::vector<std::string>{"research"});
  REQUIRE(state->tasks.size() == 1);
  CHECK(state->tasks[0].interrupts == first.interrupts);
  REQUIRE(state->tasks[0].subgraph_config.has_value());
  CHECK(state->tasks[0].subgraph_state.is_null());
  CHECK(state->interrupts == first.interrupts);

  // The subgraph's own state, by its namespace.
  sg::RunConfig child_cfg = test::thread("s5");
  child_cfg.checkpoint_ns = state->tasks[0].subgraph_config->checkpoint_ns;
  auto child_state = app.get_state(child_cfg);
  REQUIRE(child_state.has_value());
  CHECK(child_state->next == std::vector<std::string>{"ask"});
  CHECK(child_state->values.log == std::vector<std::string>{"in", "prep", "r1"});
  CHECK(app.get_state_history(child_cfg).size() >= 2);

  // Nested snapshots on request.
  auto nested = app.get_state(test::thread("s5"), {.subgraphs = true});
  REQUIRE(nested.has_value());
  const auto& sub = nested->tasks.at(0).subgraph_state;
  REQUIRE(sub.is_object());
  CHECK(sub["next"] == nlohmann::json::array({"ask"}));
  CHECK(sub["values"]["log"] == nlohmann::json::array({"in", "prep", "r1"}));
  CHECK(sub["interrupts"].size() == 1);

  auto second = app.invoke(sg::Command<Counter>{.resume = "yes"}, test::thread("s5"));
  CHECK_FALSE(second.interrupted());
  CHECK(r1_calls == 1);   // the subgraph's finished node did not run again
  CHECK(ask_calls == 2);  // the paused node ran again, with the answer
  // r1's write from the first run reaches the parent, once.
  CHECK(second.values.log == std::vector<std::string>{"in", "prep", "r1", "ask", "r2", "done"});
  CHECK(second.values.last == "yes");
  CHECK(second.values.value == 4);
}

TEST_CASE("a static interrupt inside a subgraph pauses the parent, invoking with no input continues") {
  auto app = parent_of(research({.interrupt_before = {"r2"}})).compile({.checkpointer = memory()});
  auto first = app.invoke({}, test::thread("s6"));
  REQUIRE(first.interrupted());
  CHECK(first.interrupts.at(0).node == "r2");
  CHECK(first.interrupts.at(0).when == "before");
  auto second = app.invoke(std::nullopt, test::thread("s6"));
  CHECK_FALSE(second.interrupted());
  CHECK(second.values.log == std::vector<std::string>{"prep", "r1", "r2", "done"});
}

TEST_CASE("interrupts in parallel subgraphs are resumed by id") {
  sg::StateGraph<Counter> c;
  c.add_node("ask", [](const Counter&, sg::RunContext& ctx) {
    auto answer = ctx.interrupt("which?");
    return sg::Update<Counter>{sg::set<&Counter::log>(answer.get<std::string>())};
  });
  c.add_edge(sg::START, "ask").add_edge("ask", sg::END);
  auto child = c.compile();
  sg::StateGraph<Counter> g;
  g.add_node("left", child).add_node("right", child).add_node("join", test::step("join"));
  g.add_edge(sg::START, "left").add_edge(sg::START, "right").add_edge({"left", "right"}, "join").add_edge("join", sg::END);
  auto app = g.compile({.checkpointer = memory()});
  auto first = app.invoke({}, test::thread("s7"));
  REQUIRE(first.interrupts.size() == 2);
  CHECK(first.interrupts[0].id != first.interrupts[1].id);
  std::map<std::string, nlohmann::json> answers;
  for (const auto& i : first.interrupts) answers[i.id] = "answer-" + i.id.substr(0, 4);
  // Answer one: the other stays pending.
  auto one = app.invoke(sg::Command<Counter>{.resume_map = {*answers.begin()}}, test::thread("s7"));
  REQUIRE(one.interrupts.size() == 1);
  CHECK(one.interrupts[0].id == std::next(answers.begin())->first);
  auto done = app.invoke(sg::Command<Counter>{.resume_map = {*std::next(answers.begin())}}, test::thread("s7"));
  CHECK_FALSE(done.interrupted());
  REQUIRE(done.values.log.size() == 3);
  CHECK(done.values.log.back() == "join");
  std::set<std::string> got(done.values.log.begin(), done.values.log.end() - 1);
  std::set<std::string> want;
  for (const auto& [id, v] : answers) want.insert(v.get<std::string>());
  CHECK(got == want);
}

TEST_CASE("a subgraph's Command to the parent goes to a parent node with the parent's reducers") {
  sg::StateGraph<Counter> c;
  c.add_node("decide", [](const Counter&) {
    return sg::Command<Counter>{.update = {sg::set<&Counter::log>("decided")},
                                .goto_ = {"escalate"},
                                .graph = sg::Command<Counter>::PARENT};
  });
  c.add_node("never", test::step("never"));
  c.add_edge(sg::START, "decide").add_edge("decide", "never").add_edge("never", sg::END);
  sg::StateGraph<Counter> g;
  // destinations: where the subgraph may send the parent (drawn, and counted as reachable).
  g.add_node("team", c.compile(), {.destinations = {"escalate"}})
      .add_node("escalate", test::step("escalate"))
      .add_node("normal", test::step("normal"));
  g.add_edge(sg::START, "team").add_edge("team", "normal").add_edge("normal", sg::END).add_edge("escalate", sg::END);
  auto app = g.compile({.checkpointer = memory()});
  auto out = app.invoke({sg::set<&Counter::log>("in")}, test::thread("s8"));
  // The subgraph stopped at the Command; the team node's own edge to "normal" did not fire.
  CHECK(out.values.log == std::vector<std::string>{"in", "decided", "escalate"});
}

TEST_CASE("a Command to the parent naming no parent node, or from a top-level graph, fails with its id") {
  sg::StateGraph<Counter> c;
  c.add_node("decide", [](const Counter&) {
    return sg::Command<Counter>{.goto_ = {"nowhere"}, .graph = sg::Command<Counter>::PARENT};
  });
  c.add_edge(sg::START, "decide").add_edge("decide", sg::END);
  auto child = c.compile();
  sg::StateGraph<Counter> g;
  g.add_node("team", child);
  g.add_edge(sg::START, "team").add_edge("team", sg::END);
  auto app = g.compile();
  CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("[sg.update.206]"), sg::InvalidUpdate);
  CHECK_THROWS_WITH_AS(child.invoke({}), doctest::Contains("[sg.update.210]"), sg::InvalidUpdate);
}

namespace {
struct Research {
  std::string topic;
  std::vector<std::string> findings;
  int searches = 0;
};
}  // namespace
template <>
struct sg::state_schema<Research> {
  static constexpr auto fields = sg::fields(sg::field<&Research::topic>("topic"),
                                            sg::field<&Research::findings>("findings", sg::append),
                                            sg::field<&Research::searches>("searches", sg::add));
};

namespace {
sg::CompiledGraph<Research> research_of_type(sg::CompileOptions options = {}) {
  sg::StateGraph<Research> r;
  r.add_node("search", [](const Research& s) {
    return sg::Update<Research>{sg::set<&Research::findings>("about " + s.topic), sg::set<&Research::searches>(1)};
  });
  r.add_edge(sg::START, "search").add_edge("search", sg::END);
  return r.compile(std::move(options));
}

sg::CompiledGraph<Counter> mapped_parent(const sg::CompiledGraph<Research>& child, std::shared_ptr<sg::InMemorySaver> saver) {
  sg::StateGraph<Counter> g;
  g.add_node("research", child,
             sg::map_input([](const Counter& s) { return sg::Update<Research>{sg::set<&Research::topic>(s.last)}; }),
             sg::map_output([](const Research& r) {
               return sg::Update<Counter>{sg::set<&Counter::log>(r.findings), sg::set<&Counter::value>(r.searches)};
             }));
  g.add_edge(sg::START, "research").add_edge("research", sg::END);
  return g.compile({.checkpointer = std::move(saver)});
}
}  // namespace

TEST_CASE("a subgraph of another state type is added with map_input and map_output") {
  auto app = mapped_parent(research_of_type(), memory());
  auto out = app.invoke({sg::set<&Counter::last>("rust")}, test::thread("s9"));
  CHECK(out.values.log == std::vector<std::string>{"about rust"});
  CHECK(out.values.value == 1);
  // A per-invocation subgraph starts over on the next call.
  auto again = app.invoke({sg::set<&Counter::last>("go")}, test::thread("s9"));
  CHECK(again.values.log == std::vector<std::string>{"about rust", "about go"});
  CHECK(again.values.value == 2);
  // Its namespace holds a Research state: the typed get_state of the parent refuses it.
  auto saver_ns = app.checkpointer()->list_threads({}).front().namespaces;
  REQUIRE(saver_ns.size() == 3);
  sg::RunConfig child_cfg = test::thread("s9");
  child_cfg.checkpoint_ns = saver_ns[1];
  CHECK_THROWS_WITH_AS(app.get_state(child_cfg), doctest::Contains("[sg.run.312]"), sg::ConfigError);
}

TEST_CASE("subgraph persistence modes: stateful keeps the subgraph's state, none stores nothing") {
  {
    auto saver = memory();
    auto app = mapped_parent(research_of_type({.subgraph_checkpoints = sg::SubgraphCheckpoints::stateful}), saver);
    app.invoke({sg::set<&Counter::last>("a")}, test::thread("p1"));
    auto out = app.invoke({sg::set<&Counter::last>("b")}, test::thread("p1"));
    // The subgraph kept its findings across calls: the second output has both.
    CHECK(out.values.log == std::vector<std::string>{"about a", "about a", "about b"});
    CHECK(namespaces_of(*saver, "p1") == std::vector<std::string>{"", "research"});
  }
  {
    auto saver = memory();
    auto app = mapped_parent(research_of_type({.subgraph_checkpoints = sg::SubgraphCheckpoints::none}), saver);
    app.invoke({sg::set<&Counter::last>("a")}, test::thread("p2"));
    CHECK(namespaces_of(*saver, "p2") == std::vector<std::string>{""});
  }
  {
    sg::StateGraph<Counter> c;
    c.add_node("ask", [](const Counter&, sg::RunContext& ctx) {
      ctx.interrupt("?");
      return sg::Update<Counter>{};
    });
    c.add_edge(sg::START, "ask").add_edge("ask", sg::END);
    auto app = parent_of(c.compile({.subgraph_checkpoints = sg::SubgraphCheckpoints::none})).compile({.checkpointer = memory()});
    CHECK_THROWS_WITH_AS(app.invoke({}, test::thread("p3")), doctest::Contains("[sg.run.309]"), sg::ConfigError);
  }
}

TEST_CASE("a mapping or subgraph node that throws fails the parent's node with sg.run.301") {
  auto child = research_of_type();
  sg::StateGraph<Counter> g;
  g.add_node("research", child, sg::map_input([](const Counter&) -> sg::Update<Research> {
               throw std::runtime_error("no topic");
             }),
             sg::map_output([](const Research&) { return sg::Update<Counter>{}; }));
  g.add_edge(sg::START, "research").add_edge("research", sg::END);
  auto app = g.compile();
  CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("no topic"), sg::NodeError);

  sg::StateGraph<Counter> c;
  c.add_node("boom", [](const Counter&) -> sg::Update<Counter> { throw std::runtime_error("child failed"); });
  c.add_edge(sg::START, "boom").add_edge("boom", sg::END);
  auto parent = parent_of(c.compile()).compile({.checkpointer = memory()});
  try {
    parent.invoke({}, test::thread("e1"));
    FAIL("no error");
  } catch (const sg::NodeError& e) {
    CHECK(std::string(e.what()).find("[sg.run.301]") != std::string::npos);
    CHECK(std::string(e.what()).find("research") != std::string::npos);
    CHECK(std::string(e.what()).find("child failed") != std::string::npos);
  }
}

TEST_CASE("stream with sg::subgraphs yields the subgraph's events with their namespace") {
  sg::StateGraph<Counter> c;
  c.add_node("r1", [](const Counter&, sg::RunContext& ctx) {
    ctx.write_custom({{"progress", 50}});
    return sg::Update<Counter>{sg::set<&Counter::log>("r1")};
  });
  c.add_edge(sg::START, "r1").add_edge("r1", sg::END);
  auto app = parent_of(c.compile()).compile({.checkpointer = memory()});

  std::vector<std::pair<std::string, std::string>> with;  // (ns, node) of updates
  std::vector<std::string> custom_ns;
  app.stream({}, test::thread("st1"), sg::StreamMode::updates | sg::StreamMode::custom | sg::subgraphs,
             [&](const sg::StreamEvent<Counter>& e) {
               if (e.mode == sg::StreamMode::updates) with.emplace_back(e.ns, e.node);
               if (e.mode == sg::StreamMode::custom) custom_ns.push_back(e.ns);
             });
  REQUIRE(with.size() == 4);
  CHECK(with[0] == std::pair<std::string, std::string>{"", "prep"});
  CHECK(sg::format::parse_namespace(with[1].first).at(0).node == "research");
  CHECK(with[1].second == "r1");
  CHECK(with[2] == std::pair<std::string, std::string>{"", "research"});
  CHECK(with[3] == std::pair<std::string, std::string>{"", "done"});
  REQUIRE(custom_ns.size() == 1);
  CHECK(custom_ns[0] == with[1].first);

  // Without sg::subgraphs: the parent's events only (LangGraph streams nothing of a subgraph).
  std::vector<std::string> nodes;
  custom_ns.clear();
  for (const auto& e : app.stream({}, test::thread("st2"), sg::StreamMode::updates | sg::StreamMode::custom)) {
    if (e.mode == sg::StreamMode::updates) nodes.push_back(e.node);
    if (e.mode == sg::StreamMode::custom) custom_ns.push_back(e.ns);
  }
  CHECK(nodes == std::vector<std::string>{"prep", "research", "done"});
  CHECK(custom_ns.empty());
}

TEST_CASE("update_state on a subgraph's namespace changes the paused subgraph") {
  sg::StateGraph<Counter> c;
  c.add_node("r1", test::step("r1")).add_node("r2", [](const Counter& s) {
    return sg::Update<Counter>{sg::set<&Counter::log>("r2 saw " + s.last)};
  });
  c.add_edge(sg::START, "r1").add_edge("r1", "r2").add_edge("r2", sg::END);
  auto app = parent_of(c.compile({.interrupt_before = {"r2"}})).compile({.checkpointer = memory()});
  REQUIRE(app.invoke({}, test::thread("u1")).interrupted());
  auto state = app.get_state(test::thread("u1"));
  REQUIRE(state->tasks.at(0).subgraph_config.has_value());
  sg::RunConfig child_cfg = test::thread("u1");
  child_cfg.checkpoint_ns = state->tasks[0].subgraph_config->checkpoint_ns;
  app.update_state(child_cfg, {sg::set<&Counter::last>("edited")}, "r1");
  auto out = app.invoke(std::nullopt, test::thread("u1"));
  CHECK(out.values.log == std::vector<std::string>{"prep", "r1", "r2 saw edited", "done"});
  CHECK(out.values.last == "edited");
}

TEST_CASE("draw_mermaid with xray draws the subgraph inside its node") {
  auto app = parent_of(research()).compile();
  const auto plain = app.draw_mermaid();
  CHECK(plain.find("research(research)") != std::string::npos);
  CHECK(plain.find("subgraph") == std::string::npos);
  const auto xray = app.draw_mermaid({.xray = true});
  CHECK(xray.find("subgraph research[research]") != std::string::npos);
  CHECK(xray.find("research_r1(r1)") != std::string::npos);
  CHECK(xray.find("prep --> research_r1;") != std::string::npos);
  CHECK(xray.find("research_r1 --> research_r2;") != std::string::npos);
  CHECK(xray.find("research_r2 --> done;") != std::string::npos);
}

TEST_CASE("a node running two checkpointed subgraphs in one task fails with sg.run.313") {
  auto child = research();
  sg::StateGraph<Counter> g;
  g.add_node("twice", [&](const Counter&) {
    child.invoke({});
    child.invoke({});
    return sg::Update<Counter>{};
  });
  g.add_edge(sg::START, "twice").add_edge("twice", sg::END);
  auto app = g.compile({.checkpointer = memory()});
  CHECK_THROWS_WITH_AS(app.invoke({}, test::thread("m1")), doctest::Contains("[sg.run.313]"), sg::ConfigError);
  // Without checkpoints of its own the subgraph may run any number of times.
  auto free_child = research({.subgraph_checkpoints = sg::SubgraphCheckpoints::none});
  sg::StateGraph<Counter> h;
  h.add_node("twice", [&](const Counter&) {
    return sg::Update<Counter>{sg::set<&Counter::value>(free_child.invoke({}).values.value +
                                                        free_child.invoke({}).values.value)};
  });
  h.add_edge(sg::START, "twice").add_edge("twice", sg::END);
  CHECK(h.compile({.checkpointer = memory()}).invoke({}, test::thread("m2")).values.value == 4);
}

TEST_CASE("a subgraph's model tokens reach the parent's stream while the subgraph node runs") {
  std::atomic<int> seen{0};
  std::vector<int> seen_before_next;  // what the consumer had seen before each next token
  sg::StateGraph<Counter> c;
  c.add_node("model", [&](const Counter&, sg::RunContext& ctx) {
    for (int i = 0; i < 3; ++i) {
      seen_before_next.push_back(seen.load());
      ctx.emit(sg::StreamMode::messages, {{"chunk", {{"content", "tok" + std::to_string(i)}}}});
    }
    return sg::Update<Counter>{sg::set<&Counter::last>("tok0tok1tok2")};
  });
  c.add_edge(sg::START, "model").add_edge("model", sg::END);
  auto app = parent_of(c.compile()).compile({.checkpointer = memory()});
  std::vector<std::string> tokens;
  app.stream({}, test::thread("tok"), sg::StreamMode::messages | sg::subgraphs, [&](const sg::StreamEvent<Counter>& e) {
    CHECK(sg::format::parse_namespace(e.ns).at(0).node == "research");
    CHECK(e.node == "model");
    tokens.push_back(e.data["chunk"]["content"].get<std::string>());
    ++seen;
  });
  CHECK(tokens == std::vector<std::string>{"tok0", "tok1", "tok2"});
  CHECK(seen_before_next == std::vector<int>{0, 1, 2});  // each token was delivered before the next was made
}

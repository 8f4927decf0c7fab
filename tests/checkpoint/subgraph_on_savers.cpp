// Subgraphs on every saver (memory, SQLite, Postgres) and durability: an interrupt two levels
// down resumed by a fresh graph instance, the parent-thread lock shared with children, namespaces
// and parents metadata as stored, and delete_thread over every namespace.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

#include "saver_factories.hpp"

namespace {

struct Trail {
  std::vector<std::string> log;
  std::string answer;
};

}  // namespace

template <>
struct sg::state_schema<Trail> {
  static constexpr auto fields =
      sg::fields(sg::field<&Trail::log>("log", sg::append), sg::field<&Trail::answer>("answer"));
};

namespace {

template <class F>
struct SaverFixture {
  F factory;
  std::shared_ptr<sg::BaseCheckpointSaver> saver{factory.make()};
};

auto note(std::string name) {
  return [name](const Trail&) { return sg::Update<Trail>{sg::set<&Trail::log>(name)}; };
}

struct Calls {
  std::atomic<int> inner_first{0};
  std::atomic<int> ask{0};
};

/// outer: plan → team (subgraph: brief → inner (subgraph: gather → ask(interrupt) → write)) → publish.
sg::CompiledGraph<Trail> three_levels(std::shared_ptr<sg::BaseCheckpointSaver> saver, Calls& calls) {
  sg::StateGraph<Trail> inner;
  inner.add_node("gather", [&calls](const Trail&) {
    ++calls.inner_first;
    return sg::Update<Trail>{sg::set<&Trail::log>("gather")};
  });
  inner.add_node("ask", [&calls](const Trail&, sg::RunContext& ctx) {
    ++calls.ask;
    auto a = ctx.interrupt("publish?");
    return sg::Update<Trail>{sg::set<&Trail::answer>(a.get<std::string>()), sg::set<&Trail::log>("ask")};
  });
  inner.add_node("write", note("write"));
  inner.add_edge(sg::START, "gather").add_edge("gather", "ask").add_edge("ask", "write").add_edge("write", sg::END);

  sg::StateGraph<Trail> team;
  team.add_node("brief", note("brief")).add_node("inner", inner.compile());
  team.add_edge(sg::START, "brief").add_edge("brief", "inner").add_edge("inner", sg::END);

  sg::StateGraph<Trail> outer;
  outer.add_node("plan", note("plan")).add_node("team", team.compile()).add_node("publish", note("publish"));
  outer.add_edge(sg::START, "plan").add_edge("plan", "team").add_edge("team", "publish").add_edge("publish", sg::END);
  return outer.compile({.checkpointer = std::move(saver)});
}

sg::RunConfig thread(std::string id, sg::Durability d) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  c.durability = d;
  c.thread_lock_wait = std::chrono::milliseconds(500);  // a child waiting for its parent's lock fails fast
  return c;
}

}  // namespace

#define SUBGRAPH_TEST(name) TEST_CASE_TEMPLATE("subgraphs on saver: " name, F, SG_SAVER_FACTORIES)

SUBGRAPH_TEST("an interrupt two levels down is resumed by a fresh graph, finished nodes not re-run") {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    CAPTURE(static_cast<int>(durability));
    SaverFixture<F> fx;
    Calls calls;
    const auto cfg = thread("nested", durability);
    {
      auto app = three_levels(fx.saver, calls);
      auto first = app.invoke({sg::set<&Trail::log>("in")}, cfg);
      REQUIRE(first.interrupts.size() == 1);
      CHECK(first.interrupts[0].node == "ask");
      CHECK(first.values.log == std::vector<std::string>{"in", "plan"});
    }
    // The namespaces as stored: root, team:<id>, team:<id>|inner:<id>; each child's parents name
    // every ancestor's checkpoint.
    auto threads = fx.saver->list_threads({});
    REQUIRE(threads.size() == 1);
    const auto& ns = threads[0].namespaces;
    REQUIRE(ns.size() == 3);
    const std::string deepest = ns[0].size() > ns[1].size() ? (ns[0].size() > ns[2].size() ? ns[0] : ns[2])
                                                             : (ns[1].size() > ns[2].size() ? ns[1] : ns[2]);
    const auto levels = sg::format::parse_namespace(deepest);
    REQUIRE(levels.size() == 2);
    CHECK(levels[0].node == "team");
    CHECK(levels[1].node == "inner");
    auto tuple = fx.saver->get_tuple({"nested", deepest, std::nullopt});
    REQUIRE(tuple.has_value());
    const auto& parents = tuple->metadata.at("parents");
    CHECK(parents.size() == 2);
    CHECK(parents.contains(""));
    CHECK(parents.contains(sg::format::parent_namespace(deepest)));

    {
      // A new process would build the graphs again: nothing in memory is needed to resume.
      auto app = three_levels(fx.saver, calls);
      auto state = app.get_state(cfg, {.subgraphs = true});
      REQUIRE(state.has_value());
      REQUIRE(state->tasks.size() == 1);
      const auto& team = state->tasks[0].subgraph_state;
      REQUIRE(team.is_object());
      REQUIRE(team["tasks"].size() == 1);
      CHECK(team["tasks"][0]["name"] == "inner");
      CHECK(team["tasks"][0]["subgraph_state"]["next"] == nlohmann::json::array({"ask"}));

      auto done = app.invoke(sg::Command<Trail>{.resume = "yes"}, cfg);
      CHECK_FALSE(done.interrupted());
      CHECK(done.values.log == std::vector<std::string>{"in", "plan", "brief", "gather", "ask", "write", "publish"});
      CHECK(done.values.answer == "yes");
    }
    CHECK(calls.inner_first == 1);
    CHECK(calls.ask == 2);

    fx.saver->delete_thread("nested");
    CHECK(fx.saver->list_threads({}).empty());
  }
}

SUBGRAPH_TEST("a node invoking a graph on its own thread_id shares the parent's lock") {
  SaverFixture<F> fx;
  sg::StateGraph<Trail> child;
  child.add_node("c", note("c"));
  child.add_edge(sg::START, "c").add_edge("c", sg::END);
  auto sub = child.compile();
  sg::StateGraph<Trail> g;
  g.add_node("call", [&](const Trail&, sg::RunContext& ctx) {
    sg::RunConfig c;
    c.thread_id = ctx.thread_id();
    c.thread_lock_wait = std::chrono::milliseconds(100);
    return sg::Update<Trail>{sg::set<&Trail::log>(sub.invoke({}, c).values.log)};
  });
  g.add_edge(sg::START, "call").add_edge("call", sg::END);
  auto app = g.compile({.checkpointer = fx.saver});
  for (int i = 0; i < 3; ++i) {
    auto out = app.invoke({}, thread("lock", sg::Durability::sync));
    CHECK(out.values.log.size() == static_cast<std::size_t>(i + 1));
  }
  // Another run on the thread still waits for the parent's lock while it runs.
  auto held = fx.saver->lock_thread("lock", std::chrono::milliseconds(1000));
  CHECK_THROWS_WITH_AS(app.invoke({}, [] {
    auto c = thread("lock", sg::Durability::sync);
    c.thread_lock_wait = std::chrono::milliseconds(50);
    return c;
  }()),
                       doctest::Contains("[sg.saver.404]"), sg::SaverError);
}

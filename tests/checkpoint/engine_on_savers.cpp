// Engine scenarios on every saver (memory, SQLite, Postgres): what users rely on from a durable
// thread — a failed step resumed without re-running finished tasks, history order and metadata,
// running from an older checkpoint id, and a delta-stored list loading exactly in a fresh graph.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

#include "saver_factories.hpp"

namespace {

struct Talk {
  int value = 0;
  std::vector<std::string> log;
};

}  // namespace

template <>
struct sg::state_schema<Talk> {
  static constexpr auto fields =
      sg::fields(sg::field<&Talk::value>("value", sg::add), sg::field<&Talk::log>("log", sg::append));
};

namespace {

/// The factory outlives the saver and the graphs that share it (its destructor removes storage).
template <class F>
struct SaverFixture {
  F factory;
  std::shared_ptr<sg::BaseCheckpointSaver> saver{factory.make()};
};

sg::RunConfig thread(std::string id, sg::Durability d = sg::Durability::async) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  c.durability = d;
  return c;
}

/// START → reply, where reply appends "reply <length of the log>": a chat turn per invoke.
sg::CompiledGraph<Talk> talker(std::shared_ptr<sg::BaseCheckpointSaver> saver) {
  sg::StateGraph<Talk> g;
  g.add_node("reply", [](const Talk& s) {
    return sg::Update<Talk>{sg::set<&Talk::log>("reply " + std::to_string(s.log.size()))};
  });
  g.add_edge(sg::START, "reply");
  return g.compile({.checkpointer = std::move(saver)});
}

}  // namespace

#define ENGINE_TEST(name) TEST_CASE_TEMPLATE("engine on saver: " name, F, SG_SAVER_FACTORIES)

ENGINE_TEST("a failed step resumes without re-running its finished task") {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    SaverFixture<F> fx;
    std::atomic<int> one_calls{0};
    std::atomic<bool> two_fails{true};
    sg::StateGraph<Talk> g;
    g.add_node("one", [&](const Talk&) {
      ++one_calls;
      return sg::Update<Talk>{sg::set<&Talk::value>(2)};
    });
    g.add_node("two", [&](const Talk&) -> sg::Update<Talk> {
      if (two_fails) throw std::runtime_error("two is down");
      return sg::Update<Talk>{sg::set<&Talk::value>(3)};
    });
    g.add_edge(sg::START, "one").add_edge(sg::START, "two");
    auto app = g.compile({.checkpointer = fx.saver});
    const auto cfg = thread("resume", durability);
    CHECK_THROWS_AS(app.invoke({sg::set<&Talk::value>(1)}, cfg), sg::NodeError);
    auto state = app.get_state(cfg);
    REQUIRE(state.has_value());
    CHECK(state->values.value == 3);
    CHECK(state->next == std::vector<std::string>{"two"});
    two_fails = false;
    CHECK(app.invoke(std::nullopt, cfg).values.value == 6);
    CHECK(one_calls == 1);
  }
}

ENGINE_TEST("a step's value writes go when its checkpoint is stored, a failed step's stay until it completes") {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    for (bool keep : {false, true}) {
      CAPTURE(keep);
      SaverFixture<F> fx;
      std::atomic<bool> two_fails{true};
      sg::StateGraph<Talk> g;
      g.add_node("one", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("one")}; });
      g.add_node("two", [&](const Talk&) -> sg::Update<Talk> {
        if (two_fails) throw std::runtime_error("two is down");
        return sg::Update<Talk>{sg::set<&Talk::log>("two")};
      });
      g.add_node("three", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("three")}; });
      g.add_edge(sg::START, "one").add_edge(sg::START, "two").add_edge("one", "three");
      auto app = g.compile({.checkpointer = fx.saver, .keep_applied_writes = keep});
      const auto cfg = thread("writes", durability);
      CHECK_THROWS_AS(app.invoke({sg::set<&Talk::value>(1)}, cfg), sg::NodeError);
      // The failed step's checkpoint keeps one's result and two's error, whatever the option.
      auto failed = fx.saver->get_tuple({"writes", "", std::nullopt});
      REQUIRE(failed.has_value());
      std::vector<std::string> channels;
      for (const auto& w : failed->pending_writes) channels.push_back(w.channel);
      CHECK(std::count(channels.begin(), channels.end(), "__error__") == 1);
      CHECK(std::count(channels.begin(), channels.end(), "log") == 1);

      two_fails = false;
      CHECK(app.invoke(std::nullopt, cfg).values.log == std::vector<std::string>{"one", "two", "three"});
      std::size_t with_writes = 0, value_writes = 0, errors = 0;
      for (const auto& t : fx.saver->list({"writes", "", std::nullopt})) {
        with_writes += t.pending_writes.empty() ? 0 : 1;
        for (const auto& w : t.pending_writes) {
          value_writes += sg::format::is_special_write(w.channel) ? 0 : 1;
          errors += w.channel == sg::format::kErrorWrite ? 1 : 0;
        }
      }
      // The failed step's error stays for history either way (it is small and says what went wrong).
      CHECK(errors == 1);
      if (keep) {
        // the failed step's, and (except under exit durability, which stores one checkpoint a
        // run) the other steps'
        CHECK(with_writes >= (durability == sg::Durability::exit ? 1U : 3U));
      } else {
        // Only the failed step's checkpoint keeps a write: two's error; every value write went.
        CHECK(with_writes == 1);
        CHECK(value_writes == 0);
      }
      // Either way the state and its history read the same values.
      auto history = app.get_state_history(cfg);
      REQUIRE_FALSE(history.empty());
      CHECK(history.front().values.log == std::vector<std::string>{"one", "two", "three"});
      CHECK(history.front().next.empty());
    }
  }
}

ENGINE_TEST("history is newest first with source, step and parents") {
  SaverFixture<F> fx;
  sg::StateGraph<Talk> g;
  g.add_node("a", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("a")}; });
  g.add_node("b", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("b")}; });
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = fx.saver});
  app.invoke({}, thread("h"));
  auto history = app.get_state_history(thread("h"));
  REQUIRE(history.size() == 4);
  std::vector<std::int64_t> steps;
  for (const auto& s : history) steps.push_back(s.metadata["step"].template get<std::int64_t>());
  CHECK(steps == std::vector<std::int64_t>{2, 1, 0, -1});
  CHECK(history[3].metadata["source"] == "input");
  CHECK(history[0].metadata["source"] == "loop");
  for (std::size_t i = 0; i + 1 < history.size(); ++i)
    CHECK(history[i].parent_config->checkpoint_id == history[i + 1].config.checkpoint_id);
  CHECK(history[0].values.log == std::vector<std::string>{"a", "b"});
  CHECK(history[1].next == std::vector<std::string>{"b"});
}

ENGINE_TEST("running from an older checkpoint id forks and keeps the old branch") {
  SaverFixture<F> fx;
  sg::StateGraph<Talk> g;
  g.add_node("a", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("a")}; });
  g.add_node("b", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("b")}; });
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = fx.saver});
  app.invoke({}, thread("f"));
  auto before = app.get_state_history(thread("f"));
  auto replay = thread("f");
  replay.checkpoint_id = before[1].config.checkpoint_id;  // after a, before b
  CHECK(app.invoke(std::nullopt, replay).values.log == std::vector<std::string>{"a", "b"});
  auto after = app.get_state_history(thread("f"));
  CHECK(after.size() == before.size() + 2);
  CHECK(after[1].metadata["source"] == "fork");
  // the old branch is still there
  auto old = thread("f");
  old.checkpoint_id = before[0].config.checkpoint_id;
  CHECK(app.get_state(old)->values.log == std::vector<std::string>{"a", "b"});
}

ENGINE_TEST("a conversation stored as deltas loads exactly in a fresh graph") {
  SaverFixture<F> fx;
  auto make = [&] { return talker(fx.saver); };
  auto app = make();
  std::vector<std::string> expected;
  for (int t = 0; t < 60; ++t) {
    app.invoke({sg::set<&Talk::log>("human " + std::to_string(t))}, thread("c"));
    expected.push_back("human " + std::to_string(t));
    expected.push_back("reply " + std::to_string(expected.size()));
  }
  auto fresh = make();  // no state kept in memory: everything comes from the saver
  CHECK(fresh.get_state(thread("c"))->values.log == expected);
  fresh.invoke({sg::set<&Talk::log>("human 60")}, thread("c"));
  expected.push_back("human 60");
  expected.push_back("reply " + std::to_string(expected.size()));
  CHECK(app.invoke({}, thread("c")).values.log.size() == expected.size() + 1);  // app saw fresh's turn
}

ENGINE_TEST("update_state: clear a conversation, undo to an older checkpoint, and a fresh graph loads it exactly") {
  SaverFixture<F> fx;
  auto make = [&] { return talker(fx.saver); };
  auto app = make();
  auto turn = [&](int t) { return app.invoke({sg::set<&Talk::log>("human " + std::to_string(t))}, thread("u")).values.log; };
  for (int t = 0; t < 30; ++t) turn(t);  // long enough for the list to be stored as deltas
  const auto kept = app.get_state(thread("u"));
  REQUIRE(kept.has_value());
  REQUIRE(kept->values.log.size() == 60);

  // /clear: the whole list replaced, as the node would have written it.
  app.update_state(thread("u"), {sg::set<&Talk::log>(sg::Overwrite<std::vector<std::string>>{{}})}, "reply");
  auto cleared = app.get_state(thread("u"));
  CHECK(cleared->values.log.empty());
  CHECK(cleared->metadata["source"] == "update");
  CHECK(cleared->next.empty());
  CHECK(turn(30) == std::vector<std::string>{"human 30", "reply 1"});

  // /undo: back to the checkpoint before the clear, as a copy that becomes the latest.
  auto undo = thread("u");
  undo.checkpoint_id = kept->config.checkpoint_id;
  const auto copy = app.update_state(undo, std::nullopt, sg::AS_COPY);
  auto now = app.get_state(thread("u"));
  CHECK(now->config.checkpoint_id == copy.checkpoint_id);
  CHECK(now->metadata["source"] == "fork");
  CHECK(now->values.log == kept->values.log);
  std::vector<std::string> expected = kept->values.log;
  for (int t = 31; t < 40; ++t) {
    expected.push_back("human " + std::to_string(t));
    expected.push_back("reply " + std::to_string(expected.size()));
    CHECK(turn(t) == expected);
  }
  // Everything above came from the saver, not from the graph's memory.
  auto fresh = make();
  CHECK(fresh.get_state(thread("u"))->values.log == expected);
  CHECK(fresh.get_state_history(thread("u")).size() == app.get_state_history(thread("u")).size());
}

ENGINE_TEST("bulk_update_state: updates as input, START and nodes rebuild a run's history") {
  SaverFixture<F> fx;
  sg::StateGraph<Talk> g;
  g.add_node("a", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("a"), sg::set<&Talk::value>(1)}; });
  g.add_node("b", [](const Talk&) { return sg::Update<Talk>{sg::set<&Talk::log>("b"), sg::set<&Talk::value>(10)}; });
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile({.checkpointer = fx.saver});
  app.invoke({sg::set<&Talk::value>(100)}, thread("run"));

  using SU = sg::StateUpdate<Talk>;
  app.bulk_update_state(thread("rebuilt"),
                        {{SU{sg::Update<Talk>{sg::set<&Talk::value>(100)}, sg::AS_INPUT}},
                         {SU{sg::Update<Talk>{sg::set<&Talk::value>(100)}, sg::START}},
                         {SU{sg::Update<Talk>{sg::set<&Talk::log>("a"), sg::set<&Talk::value>(1)}, "a"}},
                         {SU{sg::Update<Talk>{sg::set<&Talk::log>("b"), sg::set<&Talk::value>(10)}, "b"}}});
  auto run = app.get_state_history(thread("run"));
  auto rebuilt = app.get_state_history(thread("rebuilt"));
  REQUIRE(run.size() == rebuilt.size());
  for (std::size_t i = 0; i < run.size(); ++i) {
    CHECK(run[i].values.value == rebuilt[i].values.value);
    CHECK(run[i].values.log == rebuilt[i].values.log);
    CHECK(run[i].next == rebuilt[i].next);
    CHECK(run[i].metadata["step"] == rebuilt[i].metadata["step"]);
  }
  CHECK(rebuilt.back().metadata["source"] == "input");
  CHECK(rebuilt.front().metadata["source"] == "update");
  CHECK(rebuilt.front().values.value == 111);
}

ENGINE_TEST("a Command's update stays with the checkpoint when its run is interrupted again, and a second Command adds to it") {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    CAPTURE(static_cast<int>(durability));
    SaverFixture<F> fx;
    sg::StateGraph<Talk> g;
    g.add_node("ask", [](const Talk&, sg::RunContext& ctx) {
      auto first = ctx.interrupt("q1").get<std::string>();
      auto second = ctx.interrupt("q2").get<std::string>();
      return sg::Update<Talk>{sg::set<&Talk::log>(first + "+" + second)};
    });
    g.add_edge(sg::START, "ask");
    auto app = g.compile({.checkpointer = fx.saver});
    const auto cfg = thread("command", durability);
    REQUIRE(app.invoke({}, cfg).interrupts.size() == 1);
    auto again = app.invoke(sg::Command<Talk>{.update = {sg::set<&Talk::value>(10)}, .resume = "a1"}, cfg);
    REQUIRE(again.interrupts.size() == 1);
    CHECK(again.interrupts[0].value == "q2");
    // The update was saved under the null task id of the same checkpoint and counts in get_state.
    auto state = app.get_state(cfg);
    REQUIRE(state.has_value());
    CHECK(state->values.value == 10);
    REQUIRE(state->interrupts.size() == 1);
    CHECK(state->interrupts[0].value == "q2");
    // A second Command at that checkpoint: its writes are stored after the first one's.
    auto done = app.invoke(sg::Command<Talk>{.update = {sg::set<&Talk::value>(5)}, .resume = "a2"}, cfg);
    CHECK_FALSE(done.interrupted());
    CHECK(done.values.value == 15);
    CHECK(done.values.log == std::vector<std::string>{"a1+a2"});
    CHECK(app.get_state(cfg)->values.value == 15);
  }
}

ENGINE_TEST("history values equal each checkpoint read alone, and a kept state equals the stored one") {
  // get_state_history decodes each list from the checkpoint before it (HistoryDecoder), and
  // get_state of the latest checkpoint may come from the graph's state cache: both must show
  // exactly what reading each checkpoint alone from the saver shows, through appends, rewrites
  // (an Overwrite, a list made shorter and then longer again), a Command's update and forks.
  SaverFixture<F> fx;
  auto app = talker(fx.saver);
  const auto cfg = thread("long");
  for (int t = 0; t < 60; ++t) {
    if (t % 17 == 16) {
      app.update_state(cfg, {sg::set<&Talk::log>(sg::Overwrite<std::vector<std::string>>{{"rewritten " + std::to_string(t)}})},
                       "reply");
    } else if (t % 23 == 22) {
      app.update_state(cfg, {sg::set<&Talk::value>(t)}, "reply");
    }
    app.invoke({sg::set<&Talk::log>("human " + std::to_string(t)), sg::set<&Talk::value>(1)}, cfg);
  }
  auto fresh = talker(fx.saver);  // no state kept: everything from the saver
  for (auto* graph : {&app, &fresh}) {
    const auto history = graph->get_state_history(cfg);
    REQUIRE(history.size() > 150);
    for (const auto& s : history) {
      CAPTURE(*s.config.checkpoint_id);
      sg::RunConfig at = cfg;
      at.checkpoint_id = s.config.checkpoint_id;
      const auto alone = fresh.get_state(at);
      REQUIRE(alone.has_value());
      CHECK(s.values.log == alone->values.log);
      CHECK(s.values.value == alone->values.value);
      CHECK(s.next == alone->next);
    }
    // A window of the history (before / limit) decodes the same values.
    sg::ListOptions window;
    window.before = history[40].config.checkpoint_id;
    window.limit = 25;
    const auto part = graph->get_state_history(cfg, window);
    REQUIRE(part.size() == 25);
    for (std::size_t i = 0; i < part.size(); ++i) CHECK(part[i].values.log == history[41 + i].values.log);
  }
  const auto kept = app.get_state(cfg);
  const auto stored = fresh.get_state(cfg);
  REQUIRE(kept.has_value());
  REQUIRE(stored.has_value());
  CHECK(kept->values.log == stored->values.log);
  CHECK(kept->values.value == stored->values.value);
  CHECK(kept->config.checkpoint_id == stored->config.checkpoint_id);
  CHECK(kept->metadata == stored->metadata);
  CHECK(kept->next == stored->next);
  CHECK(kept->parent_config == stored->parent_config);
  CHECK(kept->created_at == stored->created_at);
  // The snapshot owns its values: changing the thread afterwards leaves it as it was.
  const auto before = kept->values.log;
  app.invoke({sg::set<&Talk::log>("one more")}, cfg);
  CHECK(kept->values.log == before);
  CHECK(app.get_state(cfg)->values.log.back() == "reply " + std::to_string(before.size() + 1));
}

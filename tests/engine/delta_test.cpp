// List fields are checkpointed by what changed (ChannelDelta), with a full value when due; every
// checkpoint still loads exactly.
#include <algorithm>

#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

namespace {

/// Forwards to an InMemorySaver and records what each put stored for the "log" field.
class RecordingSaver final : public sg::BaseCheckpointSaver {
 public:
  std::size_t full_values = 0;
  std::size_t deltas = 0;
  std::size_t stored_elements = 0;  // elements of "log" stored, full or appended

  sg::InMemorySaver inner;

 private:
  std::optional<sg::CheckpointTuple> do_get_tuple(const sg::CheckpointConfig& c) override { return inner.get_tuple(c); }
  std::vector<sg::CheckpointTuple> do_list(const sg::CheckpointConfig& c, const sg::ListOptions& o) override {
    return inner.list(c, o);
  }
  void do_put(const sg::SaverPut& p) override {
    if (auto it = p.checkpoint.channel_values.find("log"); it != p.checkpoint.channel_values.end()) {
      ++full_values;
      stored_elements += it->second.size();
    }
    if (auto it = p.checkpoint.channel_deltas.find("log"); it != p.checkpoint.channel_deltas.end()) {
      ++deltas;
      stored_elements += it->second.append.size();
    }
    inner.put(p.config, p.checkpoint, p.metadata, p.new_versions);
  }
  void do_put_writes(const sg::SaverWrites& w) override { inner.put_writes(w.config, w.writes, w.task_id); }
  void do_delete_thread(std::string_view t) override { inner.delete_thread(t); }
  std::size_t do_prune(std::string_view t, const sg::PruneOptions& o) override { return inner.prune(t, o); }
  void do_copy_thread(std::string_view a, std::string_view b) override { inner.copy_thread(a, b); }
};

sg::CompiledGraph<Counter> talker(std::shared_ptr<sg::BaseCheckpointSaver> saver) {
  sg::StateGraph<Counter> g;
  g.add_node("reply", [](const Counter& s) {
    return sg::Update<Counter>{sg::set<&Counter::log>("reply " + std::to_string(s.log.size()))};
  });
  g.add_edge(sg::START, "reply");
  return g.compile({.checkpointer = std::move(saver)});
}

}  // namespace

TEST_CASE("a growing list is stored by what each step added, and stays exact") {
  auto saver = std::make_shared<RecordingSaver>();
  auto app = talker(saver);
  std::vector<std::string> expected;
  for (int turn = 0; turn < 300; ++turn) {
    auto out = app.invoke({sg::set<&Counter::log>("human " + std::to_string(turn))}, test::thread("chat"));
    expected.push_back("human " + std::to_string(turn));
    expected.push_back("reply " + std::to_string(expected.size()));
    REQUIRE(out.values.log == expected);
  }
  // Each turn writes the list twice (input step and reply step): 600 versions.
  CHECK(saver->full_values + saver->deltas == 600);
  CHECK(saver->deltas > 500);
  // Stored elements stay linear in the list's size (a full value only when the deltas since the
  // last one hold three times its elements), not quadratic: 600 elements listed 600 times would
  // be 180,300.
  CHECK(saver->stored_elements < 3 * expected.size());

  // Every checkpoint of the history loads exactly (deltas resolved by the saver).
  auto history = app.get_state_history(test::thread("chat"));
  REQUIRE(history.size() == 300 * 3);
  for (std::size_t i = 0; i < history.size(); i += 37) {
    const auto& log = history[i].values.log;
    REQUIRE(log.size() <= expected.size());
    CHECK(std::equal(log.begin(), log.end(), expected.begin()));
  }
  // A later run reading the thread from scratch (new graph, same saver) sees the same list.
  auto again = talker(saver).get_state(test::thread("chat"));
  REQUIRE(again.has_value());
  CHECK(again->values.log == expected);
}

TEST_CASE("a long conversation stores each element a bounded number of times at every length") {
  // Full values are spaced by size, not by count: with a full value every N deltas, 6,000
  // elements would be stored about 70,000 times over; geometric spacing keeps every prefix of the
  // conversation under 2.4 elements stored per element (1 in deltas, at most 4/3 in full values).
  auto saver = std::make_shared<RecordingSaver>();
  auto app = talker(saver);
  std::size_t elements = 0;
  double worst = 0;
  for (int turn = 0; turn < 3000; ++turn) {
    app.invoke({sg::set<&Counter::log>("human " + std::to_string(turn))}, test::thread("long"));
    elements += 2;
    if (elements >= 200) worst = std::max(worst, static_cast<double>(saver->stored_elements) / elements);
  }
  CHECK(worst < 2.4);
  CHECK(saver->full_values < 12);
  auto again = talker(saver).get_state(test::thread("long"));
  REQUIRE(again.has_value());
  REQUIRE(again->values.log.size() == 6000);
  CHECK(again->values.log[5998] == "human 2999");
  CHECK(again->values.log[5999] == "reply 5999");
}

TEST_CASE("Overwrite, replay and exit durability fall back to full values where a delta cannot describe the change") {
  auto saver = std::make_shared<RecordingSaver>();
  sg::StateGraph<Counter> g;
  g.add_node("add", [](const Counter&) { return sg::Update<Counter>{sg::set<&Counter::log>("x")}; });
  g.add_node("reset", [](const Counter& s) {
    if (s.log.size() < 6) return sg::Update<Counter>{};
    return sg::Update<Counter>{sg::set<&Counter::log>(sg::Overwrite{std::vector<std::string>{"reset"}})};
  });
  g.add_edge(sg::START, "add").add_edge("add", "reset");
  auto app = g.compile({.checkpointer = saver});
  for (int i = 0; i < 8; ++i) app.invoke({}, test::thread("o"));
  auto state = app.get_state(test::thread("o"));
  REQUIRE(state.has_value());
  // 6 x's → reset → then 2 more x's
  CHECK(state->values.log == std::vector<std::string>{"reset", "x", "x"});

  // replay from an older checkpoint and continue on the new branch
  auto history = app.get_state_history(test::thread("o"));
  sg::RunConfig replay = test::thread("o");
  replay.checkpoint_id = history[10].config.checkpoint_id;
  const auto before = history[10].values.log;
  auto out = app.invoke(std::nullopt, replay);
  CHECK(app.get_state(test::thread("o"))->values.log == out.values.log);

  // exit durability: one put per run, the delta spans the run's steps
  sg::RunConfig exit_cfg = test::thread("e");
  exit_cfg.durability = sg::Durability::exit;
  for (int i = 0; i < 2; ++i) app.invoke({sg::set<&Counter::log>("in")}, exit_cfg);
  CHECK(app.get_state(test::thread("e"))->values.log == std::vector<std::string>{"in", "x", "in", "x"});
  app.invoke({sg::set<&Counter::log>("in")}, exit_cfg);  // reaches 6 elements: reset
  CHECK(app.get_state(test::thread("e"))->values.log == std::vector<std::string>{"reset"});
  app.invoke({sg::set<&Counter::log>("in")}, exit_cfg);
  CHECK(app.get_state(test::thread("e"))->values.log == std::vector<std::string>{"reset", "in", "x"});
  CHECK(app.get_state_history(test::thread("e")).size() == 4);
}

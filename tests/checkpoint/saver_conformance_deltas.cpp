// Saver conformance: channel deltas, concurrency and lock_thread (see saver_conformance.hpp).
#include "saver_conformance.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;
using sgtest::Run;

// -------------------------------------------------------------------------------- concurrency

SAVER_TEST("concurrent puts from many threads all load") {
  Fixture<F> fx;
  constexpr int kThreads = 8;
  constexpr int kSteps = 200;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!done.load()) {
      try {
        (void)fx.saver.get_tuple(cfg("shared"));
        (void)fx.saver.list(cfg("shared"), {.filter = json::object(), .before = std::nullopt, .limit = 5});
      } catch (...) {
        ++failures;
      }
    }
  });
  std::vector<std::vector<sg::Checkpoint>> own(kThreads);
  std::vector<std::vector<std::string>> shared_ids(kThreads);
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads; ++w) {
    workers.emplace_back([&, w] {
      try {
        Run run(fx.saver, "own-" + std::to_string(w));
        run.step({{"const", w}, {"n", 0}});
        for (int s = 1; s < kSteps; ++s) run.step({{"n", s}});
        fx.saver.put_writes(run.config_of(kSteps - 1), writes({{"n", -1}}), "task");
        own[static_cast<std::size_t>(w)] = run.history;
        const std::string channel = "w" + std::to_string(w);
        for (int s = 0; s < kSteps; ++s) {
          auto c = sgtest::checkpoint({{channel, s}}, s + 1);
          fx.saver.put(cfg("shared"), c, sgtest::metadata("loop", s, {{"worker", w}}), c.channel_versions);
          shared_ids[static_cast<std::size_t>(w)].push_back(c.id);
        }
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  done = true;
  reader.join();
  REQUIRE(failures.load() == 0);

  for (int w = 0; w < kThreads; ++w) {
    const auto& history = own[static_cast<std::size_t>(w)];
    REQUIRE(history.size() == kSteps);
    const auto l = fx.saver.list(cfg("own-" + std::to_string(w)));
    REQUIRE(l.size() == kSteps);
    for (std::size_t i = 0; i < l.size(); ++i) {
      CHECK(l[i].checkpoint == history[kSteps - 1 - i]);
    }
    CHECK(l[0].pending_writes.size() == 1);
  }
  const auto shared = fx.saver.list(cfg("shared"));
  REQUIRE(shared.size() == kThreads * kSteps);
  std::set<std::string> expected;
  for (const auto& v : shared_ids) expected.insert(v.begin(), v.end());
  CHECK(expected.size() == shared.size());
  for (const sg::CheckpointTuple& t : shared) {
    CHECK(expected.count(*t.config.checkpoint_id) == 1);
    const int w = t.metadata.at("worker").get<int>();
    CHECK(t.checkpoint.channel_values.at("w" + std::to_string(w)) == t.metadata.at("step"));
  }
  const auto latest = fx.saver.get_tuple(cfg("shared"));
  REQUIRE(latest.has_value());
  CHECK(*latest->config.checkpoint_id == *std::max_element(expected.begin(), expected.end()));
}

// ----------------------------------------------------------------------------- channel deltas

namespace {

// Puts checkpoints on (thread, "") whose channel "m" is given as a full value or as a
// ChannelDelta on its previous version; "other" is set once at the first step and never again.
// `history` holds the full checkpoints the saver must give back.
class DeltaRun {
 public:
  DeltaRun(sg::BaseCheckpointSaver& saver, std::string thread) : saver_(saver), thread_(std::move(thread)) {}

  void full(json value) { step(std::move(value), std::nullopt); }

  void delta(std::size_t keep, json append) {
    const json& previous = history.back().channel_values.at("m");
    json value = json::array();
    for (std::size_t i = 0; i < keep; ++i) value.push_back(previous.at(i));
    for (const auto& element : append) value.push_back(element);
    step(std::move(value), sg::ChannelDelta{history.back().channel_versions.at("m"), keep, std::move(append)});
  }

  [[nodiscard]] sg::CheckpointConfig config_of(std::size_t i) const { return {thread_, "", history.at(i).id}; }

  std::vector<sg::Checkpoint> history;

 private:
  void step(json value, std::optional<sg::ChannelDelta> delta) {
    const sg::ChannelVersion v = sgtest::version(static_cast<long>(history.size()) + 1);
    sg::Checkpoint sent;
    sent.id = sg::new_checkpoint_id();
    sent.ts = sg::utc_now_iso8601();
    if (!history.empty()) sent.channel_versions = history.back().channel_versions;
    sent.channel_versions["m"] = v;
    sg::ChannelVersions new_versions{{"m", v}};
    if (history.empty()) {
      sent.channel_values["other"] = "set once";
      sent.channel_versions["other"] = v;
      new_versions["other"] = v;
    }
    if (delta) {
      sent.channel_deltas["m"] = *delta;
    } else {
      sent.channel_values["m"] = value;
    }
    sent.versions_seen["node"] = {{"m", v}};
    sg::CheckpointConfig parent{thread_, "", std::nullopt};
    if (!history.empty()) parent.checkpoint_id = history.back().id;
    const int step = static_cast<int>(history.size());
    saver_.put(parent, sent, sgtest::metadata("loop", step), new_versions);
    sg::Checkpoint expected = sent;
    expected.channel_deltas.clear();
    expected.channel_values = {{"m", std::move(value)}, {"other", "set once"}};
    history.push_back(std::move(expected));
  }

  sg::BaseCheckpointSaver& saver_;
  std::string thread_;
};

}  // namespace

SAVER_TEST("put resolves a chain of channel_deltas exactly on read") {
  Fixture<F> fx;
  DeltaRun run(fx.saver, "t");
  run.full(json::array({"a"}));
  run.delta(1, json::array({"b"}));                   // [a b]
  run.delta(2, json::array({"c", {{"k", 1}}}));       // [a b c {k:1}]: any JSON element
  run.delta(1, json::array({"x"}));                   // [a x]: a step that replaced the tail
  run.delta(2, json::array());                        // [a x]: nothing added
  run.full(json::array({"s"}));                       // a periodic full value
  run.delta(1, json::array({"t"}));                   // [s t]
  run.delta(0, json::array({"u"}));                   // [u]: everything removed, then one added
  CHECK(run.history[3].channel_values.at("m") == json::array({"a", "x"}));
  CHECK(run.history[7].channel_values.at("m") == json::array({"u"}));

  for (std::size_t i = 0; i < run.history.size(); ++i) {
    const auto t = fx.saver.get_tuple(run.config_of(i));
    REQUIRE(t.has_value());
    CHECK(t->checkpoint == run.history[i]);  // values resolved, channel_deltas empty
  }
  const auto latest = fx.saver.get_tuple(cfg("t"));
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint == run.history.back());
  const auto l = fx.saver.list(cfg("t"));
  REQUIRE(l.size() == run.history.size());
  for (std::size_t i = 0; i < l.size(); ++i) {
    CHECK(l[i].checkpoint == run.history[run.history.size() - 1 - i]);
    CHECK(l[i].checkpoint.channel_deltas.empty());
  }
  sg::ListOptions some;
  some.before = run.history[4].id;
  some.limit = 2;
  const auto page = fx.saver.list(cfg("t"), some);
  REQUIRE(page.size() == 2);
  CHECK(page[0].checkpoint == run.history[3]);
  CHECK(page[1].checkpoint == run.history[2]);
  if (const auto n = fx.value_count()) CHECK(*n == 8 + 1);  // one per version of m, "other" once
}

SAVER_TEST("prune keeps the delta bases a remaining checkpoint needs") {
  Fixture<F> fx;
  DeltaRun chain(fx.saver, "chain");  // one full value, then only deltas
  chain.full(json::array({"a"}));
  for (int i = 0; i < 4; ++i) chain.delta(static_cast<std::size_t>(i) + 1, json::array({i}));
  DeltaRun snapped(fx.saver, "snapped");  // a full value again at the third step
  snapped.full(json::array({"a"}));
  snapped.delta(1, json::array({"b"}));
  snapped.full(json::array({"s"}));
  snapped.delta(1, json::array({"t"}));

  sg::PruneOptions keep1;
  keep1.keep_last = 1;
  CHECK(fx.saver.prune("chain", keep1) == 4);
  CHECK(fx.saver.prune("snapped", keep1) == 3);
  // The newest delta of "chain" still needs every earlier version of m; "snapped" only its
  // last full value.
  const auto c = fx.saver.get_tuple(cfg("chain"));
  REQUIRE(c.has_value());
  CHECK(c->checkpoint == chain.history.back());
  CHECK(c->checkpoint.channel_values.at("m") == json::array({"a", 0, 1, 2, 3}));
  const auto s = fx.saver.get_tuple(cfg("snapped"));
  REQUIRE(s.has_value());
  CHECK(s->checkpoint == snapped.history.back());
  CHECK(fx.saver.list(cfg("chain")).size() == 1);
  if (const auto n = fx.value_count()) CHECK(*n == (5 + 1) + (2 + 1));

  // Further deltas on what is left still resolve.
  chain.delta(2, json::array({"z"}));
  CHECK(fx.saver.get_tuple(cfg("chain"))->checkpoint.channel_values.at("m") == json::array({"a", 0, "z"}));
}

SAVER_TEST("copy_thread and delete_thread carry deltas") {
  Fixture<F> fx;
  DeltaRun run(fx.saver, "src");
  run.full(json::array({1}));
  run.delta(1, json::array({2}));
  run.delta(2, json::array({3}));
  fx.saver.copy_thread("src", "dst");
  fx.saver.delete_thread("src");
  CHECK_FALSE(fx.saver.get_tuple(cfg("src")).has_value());
  const auto l = fx.saver.list(cfg("dst"));
  REQUIRE(l.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(l[i].checkpoint == run.history[2 - i]);
}

// -------------------------------------------------------------------------------- lock_thread

SAVER_TEST("lock_thread makes a second holder wait then throw sg.saver.404") {
  using namespace std::chrono_literals;
  Fixture<F> fx;
  auto first = fx.saver.lock_thread("t", 0ms);
  REQUIRE(first != nullptr);
  auto elsewhere = fx.saver.lock_thread("u", 0ms);  // threads are locked independently
  CHECK(elsewhere != nullptr);

  const auto start = std::chrono::steady_clock::now();
  bool thrown = false;
  try {
    fx.saver.lock_thread("t", 50ms);
  } catch (const sg::SaverError& e) {
    thrown = true;
    CHECK(e.id() == "sg.saver.404");
    CHECK(std::string(e.what()).find("\"t\"") != std::string::npos);
  }
  CHECK(thrown);
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);  // it waited

  first.reset();  // released: the thread can be taken again at once
  auto again = fx.saver.lock_thread("t", 0ms);
  CHECK(again != nullptr);
}

SAVER_TEST("lock_thread hands the thread to a waiter when the holder releases it") {
  using namespace std::chrono_literals;
  Fixture<F> fx;
  auto held = fx.saver.lock_thread("t", 0ms);
  std::atomic<bool> released{false};
  std::thread holder([&] {
    std::this_thread::sleep_for(50ms);
    released = true;
    held.reset();
  });
  auto mine = fx.saver.lock_thread("t", 10s);  // waits for the holder
  CHECK(released.load());
  CHECK(mine != nullptr);
  holder.join();
  mine.reset();
  CHECK(fx.saver.lock_thread("t", 0ms) != nullptr);
}

SAVER_TEST("lock_thread gives a lock that says it is held while it lives") {
  using namespace std::chrono_literals;
  Fixture<F> fx;
  auto lock = fx.saver.lock_thread("t", 0ms);
  REQUIRE(lock != nullptr);
  CHECK(lock->is_held());
  CHECK(lock->is_held());  // asking changes nothing
  // From several threads at once (a run's background writer asks from a worker).
  std::atomic<int> held{0};
  std::vector<std::thread> askers;
  for (int i = 0; i < 4; ++i)
    askers.emplace_back([&] {
      for (int k = 0; k < 10; ++k) held += lock->is_held() ? 1 : 0;
    });
  for (auto& t : askers) t.join();
  CHECK(held.load() == 40);
}

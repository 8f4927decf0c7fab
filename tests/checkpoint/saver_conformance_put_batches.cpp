// Saver conformance: put_batches, a run's queued checkpoints stored together (see
// saver_conformance.hpp).
#include "saver_conformance.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;

namespace {

/// Three consecutive checkpoints of thread `t` as a run queues them under async durability: the
/// first; the second with the first's task writes (one value write it applies, one error it
/// keeps) and a delta on the first's list; the third with a write of its own checkpoint.
struct ThreeSteps {
  sg::Checkpoint c1 = sgtest::checkpoint({{"a", 1}, {"m", json::array({1, 2})}});
  sg::Checkpoint c2;
  sg::Checkpoint c3;
  std::vector<sg::PutBatch> batches;

  explicit ThreeSteps(const std::string& t) {
    c2 = sgtest::checkpoint({{"a", 2}}, 2);
    c2.channel_versions["m"] = sgtest::version(2);
    c2.channel_deltas["m"] = sg::ChannelDelta{c1.channel_versions.at("m"), 2, json::array({3})};
    c2.parent_writes_applied = true;
    c3 = sgtest::checkpoint({{"a", 3}}, 3);
    c3.channel_versions["m"] = sgtest::version(2);  // unchanged since c2
    c3.parent_writes_applied = true;
    batches.push_back({{}, sg::CheckpointPut{cfg(t), c1, sgtest::metadata("input", -1), c1.channel_versions}});
    batches.push_back({{{cfg(t, "", c1.id), "task-1", writes({{"a", 2}, {"__error__", {{"message", "boom"}}}})}},
                       sg::CheckpointPut{cfg(t, "", c1.id), c2, sgtest::metadata("loop", 0),
                                         {{"a", c2.channel_versions.at("a")}, {"m", sgtest::version(2)}}}});
    batches.push_back({{{cfg(t, "", c3.id), "task-3", writes({{"a", 4}})}},
                       sg::CheckpointPut{cfg(t, "", c2.id), c3, sgtest::metadata("loop", 1),
                                         {{"a", c3.channel_versions.at("a")}}}});
  }
};

}  // namespace

SAVER_TEST("put_batches stores a run's consecutive checkpoints as the put_batch calls would") {
  Fixture<F> fx;
  ThreeSteps run("t");
  run.batches.push_back({{{cfg("t", "", run.c3.id), "task-4", writes({{"b", 5}})}}, std::nullopt});  // writes only
  fx.saver.put_batches(run.batches);

  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"))) == std::vector<std::string>{run.c3.id, run.c2.id, run.c1.id});
  const auto first = fx.saver.get_tuple(cfg("t", "", run.c1.id));
  REQUIRE(first.has_value());
  // The value write c2 applied is gone (never stored); the error stays with c1.
  CHECK(first->pending_writes == std::vector<sg::PendingWrite>{{"task-1", "__error__", {{"message", "boom"}}}});
  const auto second = fx.saver.get_tuple(cfg("t", "", run.c2.id));
  REQUIRE(second.has_value());
  CHECK(second->checkpoint.channel_values.at("m") == json::array({1, 2, 3}));  // the delta, on a base of this call
  CHECK(second->parent_config == cfg("t", "", run.c1.id));
  const auto last = fx.saver.get_tuple(cfg("t"));
  REQUIRE(last.has_value());
  CHECK(last->checkpoint.id == run.c3.id);
  CHECK(last->checkpoint.channel_values.at("a") == 3);
  CHECK(last->checkpoint.channel_values.at("m") == json::array({1, 2, 3}));
  CHECK(last->pending_writes == std::vector<sg::PendingWrite>{{"task-3", "a", 4}, {"task-4", "b", 5}});
  CHECK(last->metadata.at("step") == 1);

  // One batch, or none with anything to store: as put_batch.
  fx.saver.put_batches(std::vector<sg::PutBatch>{{{{cfg("t", "", run.c3.id), "task-5", writes({{"c", 6}})}}, std::nullopt}});
  CHECK(fx.saver.get_tuple(cfg("t"))->pending_writes.size() == 3);
  fx.saver.put_batches(std::vector<sg::PutBatch>{{}, {{{cfg("t", "", run.c3.id), "task-6", {}}}, std::nullopt}});
  fx.saver.put_batches({});
  CHECK(fx.saver.get_tuple(cfg("t"))->pending_writes.size() == 3);
}

SAVER_TEST("put_batches checks every batch first and stores nothing when one is invalid") {
  Fixture<F> fx;
  ThreeSteps run("t");
  run.batches[2].put->checkpoint.id.clear();  // the last one is refused by put's own checks
  try {
    fx.saver.put_batches(run.batches);
    FAIL("no exception");
  } catch (const sg::SaverError& e) {
    CHECK(std::string(e.id()) == "sg.saver.403");
  }
  CHECK_FALSE(fx.saver.get_tuple(cfg("t")).has_value());
  CHECK(fx.saver.list(cfg("t")).empty());
}

SAVER_TEST("put_batches with a later put whose delta base is missing throws 403, a durable saver stores none of it") {
  Fixture<F> fx;
  ThreeSteps run("t");
  // c3 now says its list grew from a version nobody stored.
  run.batches[2].put->checkpoint.channel_versions["m"] = sgtest::version(3);
  run.batches[2].put->checkpoint.channel_deltas["m"] = sg::ChannelDelta{sgtest::version(9), 0, json::array({7})};
  run.batches[2].put->new_versions["m"] = sgtest::version(3);
  try {
    fx.saver.put_batches(run.batches);
    FAIL("no exception");
  } catch (const sg::SaverError& e) {
    CHECK(std::string(e.id()) == "sg.saver.403");
  }
  if (fx.value_count()) {
    // InMemorySaver (the default hook): the batches before the refused one are stored.
    CHECK(fx.saver.get_tuple(cfg("t"))->checkpoint.id == run.c2.id);
  } else {
    // SQLite, Postgres: one transaction, all of it undone.
    CHECK_FALSE(fx.saver.get_tuple(cfg("t")).has_value());
    CHECK(fx.saver.list(cfg("t")).empty());
  }
  // Nothing half-stored stands in the way of storing them again, corrected.
  ThreeSteps again("t2");
  fx.saver.put_batches(again.batches);
  CHECK(fx.saver.get_tuple(cfg("t2"))->checkpoint.id == again.c3.id);
}

// The saver conformance suite (LangGraph's checkpoint-conformance scenarios, semantics
// reference §9.2). Every test runs once per factory in SG_SAVER_FACTORIES; a saver backend joins
// the suite by adding a factory type whose make() returns a fresh, empty saver (and whose
// destructor cleans up whatever storage it created).

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "saver_factories.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/memory_saver.hpp"

namespace {

using nlohmann::json;
using sgtest::Run;

// One saver per test, made by factory F.
template <class F>
struct Fixture {
  F factory;
  std::unique_ptr<sg::BaseCheckpointSaver> owned = factory.make();
  sg::BaseCheckpointSaver& saver = *owned;

  // Stored value count where the saver exposes it (InMemorySaver); nullopt otherwise.
  std::optional<std::size_t> value_count() const {
    if (const auto* m = dynamic_cast<const sg::InMemorySaver*>(owned.get())) return m->value_count();
    return std::nullopt;
  }
};

sg::CheckpointConfig cfg(std::string thread, std::string ns = "",
                         std::optional<std::string> id = std::nullopt) {
  return {std::move(thread), std::move(ns), std::move(id)};
}

std::vector<sg::PendingWrite> writes(std::initializer_list<std::pair<const char*, json>> list) {
  std::vector<sg::PendingWrite> out;
  for (const auto& [channel, value] : list) out.push_back({"", channel, value});
  return out;
}

// Puts a standalone checkpoint (all channels new) and returns it.
sg::Checkpoint put_plain(sg::BaseCheckpointSaver& saver, const sg::CheckpointConfig& config,
                         const std::map<std::string, json>& values,
                         const json& meta = sgtest::metadata("loop", 0)) {
  auto c = sgtest::checkpoint(values);
  saver.put(config, c, meta, sgtest::all_versions(c));
  return c;
}

}  // namespace

TYPE_TO_STRING(MemoryFactory);

#define SAVER_TEST(name) TEST_CASE_TEMPLATE("saver " name, F, SG_SAVER_FACTORIES)

// ---------------------------------------------------------------------------------------- put

SAVER_TEST("put returns the config of the stored checkpoint") {
  Fixture<F> fx;
  auto c = sgtest::checkpoint({{"a", 1}});
  const auto returned = fx.saver.put(cfg("t1", "ns1"), c, sgtest::metadata("input", -1), c.channel_versions);
  CHECK(returned.thread_id == "t1");
  CHECK(returned.checkpoint_ns == "ns1");
  REQUIRE(returned.checkpoint_id.has_value());
  CHECK(*returned.checkpoint_id == c.id);
}

SAVER_TEST("put round-trips values versions versions_seen and metadata") {
  Fixture<F> fx;
  sg::Checkpoint c;
  c.id = sg::new_checkpoint_id();
  c.ts = "2026-11-23T10:00:00.123456Z";
  c.channel_values = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
                      {"count", 42},
                      {"flag", true},
                      {"nothing", nullptr},
                      {"text", "héllo \"quoted\""}};
  for (const auto& [ch, v] : c.channel_values) c.channel_versions[ch] = sgtest::version(3);
  c.versions_seen = {{"agent", {{"messages", sgtest::version(2)}}},
                     {"__input__", {}},
                     {"__interrupt__", {{"count", sgtest::version(1)}}}};
  const json meta = {{"source", "loop"}, {"step", 7}, {"parents", {{"", "abc"}}},
                     {"run_id", "run-1"}, {"nested", {{"k", json::array({1, 2})}}}};
  fx.saver.put(cfg("t"), c, meta, c.channel_versions);

  const auto t = fx.saver.get_tuple(cfg("t", "", c.id));
  REQUIRE(t.has_value());
  CHECK(t->checkpoint == c);
  CHECK(t->checkpoint.channel_values.at("messages")[0].at("content") == "hi");
  CHECK(t->checkpoint.versions_seen.at("agent").at("messages") == sgtest::version(2));
  CHECK(t->metadata == meta);
  CHECK(t->metadata.at("run_id") == "run-1");
  CHECK(t->config == cfg("t", "", c.id));
  CHECK_FALSE(t->parent_config.has_value());
  CHECK(t->pending_writes.empty());
}

SAVER_TEST("put keeps the default and a child namespace apart") {
  Fixture<F> fx;
  const auto root = put_plain(fx.saver, cfg("t"), {{"who", "root"}});
  const auto child = put_plain(fx.saver, cfg("t", "inner:1"), {{"who", "child"}});

  const auto r = fx.saver.get_tuple(cfg("t"));
  REQUIRE(r.has_value());
  CHECK(r->checkpoint.id == root.id);  // the child is newer but lives in another namespace
  CHECK(r->checkpoint.channel_values.at("who") == "root");
  CHECK(r->config.checkpoint_ns == "");

  const auto c = fx.saver.get_tuple(cfg("t", "inner:1"));
  REQUIRE(c.has_value());
  CHECK(c->checkpoint.id == child.id);
  CHECK(c->checkpoint.channel_values.at("who") == "child");
  CHECK(c->config.checkpoint_ns == "inner:1");

  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "", child.id)).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "inner:1", root.id)).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "other")).has_value());
}

SAVER_TEST("put stores several checkpoints per thread") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"n", 0}});
  run.step({{"n", 1}});
  run.step({{"n", 2}});
  for (std::size_t i = 0; i < 3; ++i) {
    const auto t = fx.saver.get_tuple(run.config_of(i));
    REQUIRE(t.has_value());
    CHECK(t->checkpoint == run.history[i]);
    CHECK(t->checkpoint.channel_values.at("n") == static_cast<int>(i));
    CHECK(t->metadata == run.metadata_history[i]);
  }
  const auto latest = fx.saver.get_tuple(run.latest_config());
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint.id == run.history[2].id);
  CHECK(fx.saver.list(cfg("t")).size() == 3);
}

SAVER_TEST("put keeps threads apart") {
  Fixture<F> fx;
  Run a(fx.saver, "a");
  Run b(fx.saver, "b");
  a.step({{"x", "from a"}});
  b.step({{"x", "from b"}});
  a.step({{"x", "from a again"}});

  const auto ta = fx.saver.get_tuple(cfg("a"));
  const auto tb = fx.saver.get_tuple(cfg("b"));
  REQUIRE(ta.has_value());
  REQUIRE(tb.has_value());
  CHECK(ta->checkpoint.channel_values.at("x") == "from a again");
  CHECK(tb->checkpoint.channel_values.at("x") == "from b");
  CHECK(fx.saver.list(cfg("a")).size() == 2);
  CHECK(fx.saver.list(cfg("b")).size() == 1);
  CHECK_FALSE(fx.saver.get_tuple(cfg("b", "", a.history[0].id)).has_value());
}

SAVER_TEST("put records the parent config") {
  Fixture<F> fx;
  Run run(fx.saver, "t", "sub:1");
  run.step({{"n", 0}});
  run.step({{"n", 1}});
  const auto first = fx.saver.get_tuple(run.config_of(0));
  const auto second = fx.saver.get_tuple(run.config_of(1));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK_FALSE(first->parent_config.has_value());
  REQUIRE(second->parent_config.has_value());
  CHECK(*second->parent_config == cfg("t", "sub:1", run.history[0].id));
}

SAVER_TEST("put with an incremental update keeps unchanged channels") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", "a1"}, {"b", json::array({1, 2, 3})}});
  run.step({{"a", "a2"}});  // b unchanged: not in new_versions nor in channel_values
  run.step({{"a", "a3"}});

  const auto t1 = fx.saver.get_tuple(run.config_of(1));
  REQUIRE(t1.has_value());
  CHECK(t1->checkpoint.channel_values.at("a") == "a2");
  CHECK(t1->checkpoint.channel_values.at("b") == json::array({1, 2, 3}));
  CHECK(t1->checkpoint.channel_versions.at("b") == run.history[0].channel_versions.at("b"));
  CHECK(t1->checkpoint == run.history[1]);
  const auto t0 = fx.saver.get_tuple(run.config_of(0));
  REQUIRE(t0.has_value());
  CHECK(t0->checkpoint.channel_values.at("a") == "a1");
  CHECK(fx.saver.get_tuple(run.config_of(2))->checkpoint == run.history[2]);
  if (const auto n = fx.value_count()) CHECK(*n == 4);  // a1 a2 a3 b: b stored once
}

SAVER_TEST("put with a new channel added") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 1}});
  run.step({{"c", "new"}});
  const auto t0 = fx.saver.get_tuple(run.config_of(0));
  const auto t1 = fx.saver.get_tuple(run.config_of(1));
  REQUIRE(t0.has_value());
  REQUIRE(t1.has_value());
  CHECK(t0->checkpoint.channel_values.count("c") == 0);
  CHECK(t0->checkpoint.channel_versions.count("c") == 0);
  CHECK(t1->checkpoint.channel_values.at("c") == "new");
  CHECK(t1->checkpoint.channel_values.at("a") == 1);
  CHECK(t1->checkpoint == run.history[1]);
  if (const auto n = fx.value_count()) CHECK(*n == 2);
}

SAVER_TEST("put with a channel removed") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 1}, {"b", 2}});
  run.step({{"a", 3}}, {"b"});
  const auto t0 = fx.saver.get_tuple(run.config_of(0));
  const auto t1 = fx.saver.get_tuple(run.config_of(1));
  REQUIRE(t0.has_value());
  REQUIRE(t1.has_value());
  CHECK(t1->checkpoint.channel_values.count("b") == 0);
  CHECK(t1->checkpoint.channel_versions.count("b") == 0);
  CHECK(t1->checkpoint.channel_values.at("a") == 3);
  CHECK(t0->checkpoint.channel_values.at("b") == 2);  // the old checkpoint still has it
  CHECK(t1->checkpoint == run.history[1]);
}

SAVER_TEST("put without thread_id throws sg.saver.403 and stores nothing") {
  Fixture<F> fx;
  auto c = sgtest::checkpoint({{"a", 1}});
  bool thrown = false;
  try {
    fx.saver.put(cfg(""), c, sgtest::metadata("input", -1), c.channel_versions);
  } catch (const sg::SaverError& e) {
    thrown = true;
    CHECK(e.id() == "sg.saver.403");
    CHECK_FALSE(e.retryable());
  }
  CHECK(thrown);
  CHECK(fx.saver.list(cfg("")).empty());
  if (const auto n = fx.value_count()) CHECK(*n == 0);
}

SAVER_TEST("put refuses a delta based on itself, and one whose base is not stored is refused or fails on read") {
  Fixture<F> fx;
  auto refused = [&](const sg::CheckpointConfig& at, const sg::Checkpoint& c) -> std::string {
    try {
      fx.saver.put(at, c, sgtest::metadata("loop", 0), c.channel_versions);
    } catch (const sg::SaverError& e) {
      CHECK_FALSE(e.retryable());
      return std::string(e.id()) + " " + e.what();
    }
    return "stored";
  };
  sg::Checkpoint c;
  c.id = sg::new_checkpoint_id();
  c.channel_versions["m"] = sgtest::version(2);
  c.channel_deltas["m"] = {sgtest::version(2), 0, json::array({1})};  // based on itself
  CHECK(refused(cfg("t"), c).rfind("sg.saver.403", 0) == 0);
  c.channel_deltas["m"] = {"", 0, json::array({1})};  // based on nothing
  CHECK(refused(cfg("t"), c).rfind("sg.saver.403", 0) == 0);
  c.channel_deltas["m"] = {sgtest::version(1), 0, json::object()};  // not an array
  CHECK(refused(cfg("t"), c).rfind("sg.saver.403", 0) == 0);
  CHECK(fx.saver.list(cfg("t")).empty());

  c.channel_deltas["m"] = {sgtest::version(1), 0, json::array({1})};  // version 1 was never stored
  const std::string unstored = refused(cfg("t"), c);
  if constexpr (F::checks_delta_bases) {
    CHECK_MESSAGE(unstored.rfind("sg.saver.403", 0) == 0, unstored);
    CHECK_MESSAGE(unstored.find("has not stored") != std::string::npos, unstored);
    CHECK_FALSE(fx.saver.get_tuple(cfg("t")).has_value());
    if (const auto n = fx.value_count()) CHECK(*n == 0);
  } else {
    CHECK(unstored == "stored");
    CHECK_THROWS_AS(fx.saver.get_tuple(cfg("t")), sg::SaverCorrupt);
    fx.saver.delete_thread("t");
  }

  // With its base stored first, the same delta is taken.
  Run run(fx.saver, "t");
  run.step({{"m", json::array({0})}});  // m at version 1
  sg::Checkpoint next;
  next.id = sg::new_checkpoint_id();
  next.channel_versions["m"] = sgtest::version(2);
  next.channel_deltas["m"] = {sgtest::version(1), 1, json::array({1})};
  CHECK(refused(run.config_of(0), next) == "stored");
  CHECK(fx.saver.get_tuple(cfg("t"))->checkpoint.channel_values.at("m") == json::array({0, 1}));
}

// --------------------------------------------------------------------------------- put_writes

SAVER_TEST("put_writes basic") {
  Fixture<F> fx;
  const auto c = put_plain(fx.saver, cfg("t"), {{"a", 1}});
  const auto w = writes({{"a", 5}});
  fx.saver.put_writes(cfg("t", "", c.id), w, "task-1");
  const auto t = fx.saver.get_tuple(cfg("t"));
  REQUIRE(t.has_value());
  REQUIRE(t->pending_writes.size() == 1);
  CHECK(t->pending_writes[0] == sg::PendingWrite{"task-1", "a", 5});
}

SAVER_TEST("put_writes keeps several writes of a task in order") {
  Fixture<F> fx;
  const auto c = put_plain(fx.saver, cfg("t"), {{"a", 1}});
  fx.saver.put_writes(cfg("t", "", c.id), writes({{"z", "first"}, {"a", "second"}, {"m", {{"k", 1}}}}),
                      "task");
  const auto t = fx.saver.get_tuple(cfg("t", "", c.id));
  REQUIRE(t.has_value());
  REQUIRE(t->pending_writes.size() == 3);
  CHECK(t->pending_writes[0] == sg::PendingWrite{"task", "z", "first"});
  CHECK(t->pending_writes[1] == sg::PendingWrite{"task", "a", "second"});
  CHECK(t->pending_writes[2] == sg::PendingWrite{"task", "m", {{"k", 1}}});
}

SAVER_TEST("put_writes from several tasks are ordered by task id") {
  Fixture<F> fx;
  const auto c = put_plain(fx.saver, cfg("t"), {{"a", 1}});
  fx.saver.put_writes(cfg("t", "", c.id), writes({{"x", "b0"}, {"y", "b1"}}), "task-b");
  fx.saver.put_writes(cfg("t", "", c.id), writes({{"x", "a0"}}), "task-a");
  const auto t = fx.saver.get_tuple(cfg("t"));
  REQUIRE(t.has_value());
  REQUIRE(t->pending_writes.size() == 3);
  CHECK(t->pending_writes[0] == sg::PendingWrite{"task-a", "x", "a0"});
  CHECK(t->pending_writes[1] == sg::PendingWrite{"task-b", "x", "b0"});
  CHECK(t->pending_writes[2] == sg::PendingWrite{"task-b", "y", "b1"});
}

SAVER_TEST("put_writes is idempotent per task id and index") {
  Fixture<F> fx;
  const auto c = put_plain(fx.saver, cfg("t"), {{"a", 1}});
  const auto at = cfg("t", "", c.id);
  fx.saver.put_writes(at, writes({{"x", "original"}}), "task");
  fx.saver.put_writes(at, writes({{"x", "retried"}, {"y", "extra"}}), "task");
  fx.saver.put_writes(at, writes({{"x", "other task"}}), "task-2");
  const auto t = fx.saver.get_tuple(at);
  REQUIRE(t.has_value());
  REQUIRE(t->pending_writes.size() == 3);
  CHECK(t->pending_writes[0] == sg::PendingWrite{"task", "x", "original"});  // kept
  CHECK(t->pending_writes[1] == sg::PendingWrite{"task", "y", "extra"});     // new index 1
  CHECK(t->pending_writes[2] == sg::PendingWrite{"task-2", "x", "other task"});
}

SAVER_TEST("put_writes replaces the special channels") {
  Fixture<F> fx;
  const auto c = put_plain(fx.saver, cfg("t"), {{"a", 1}});
  const auto at = cfg("t", "", c.id);
  fx.saver.put_writes(at, writes({{"__error__", {{"id", "e1"}, {"message", "first"}}}}), "task");
  fx.saver.put_writes(at, writes({{"__error__", {{"id", "e2"}, {"message", "second"}}}}), "task");
  fx.saver.put_writes(at, writes({{"__interrupt__", "ask 1"}}), "task");
  fx.saver.put_writes(at, writes({{"__interrupt__", "ask 2"}}), "task");
  fx.saver.put_writes(at, writes({{"__resume__", "yes"}}), "task");
  fx.saver.put_writes(at, writes({{"__resume__", "no"}}), "task");
  fx.saver.put_writes(at, writes({{"out", 1}}), "task");
  const auto t = fx.saver.get_tuple(at);
  REQUIRE(t.has_value());
  REQUIRE(t->pending_writes.size() == 4);
  // Ordered by (task_id, idx): __resume__ -4, __interrupt__ -3, __error__ -1, then index 0.
  CHECK(t->pending_writes[0] == sg::PendingWrite{"task", "__resume__", "no"});
  CHECK(t->pending_writes[1] == sg::PendingWrite{"task", "__interrupt__", "ask 2"});
  CHECK(t->pending_writes[2] ==
        sg::PendingWrite{"task", "__error__", {{"id", "e2"}, {"message", "second"}}});
  CHECK(t->pending_writes[3] == sg::PendingWrite{"task", "out", 1});
}

SAVER_TEST("put_writes respects namespaces") {
  Fixture<F> fx;
  // The same checkpoint id in two namespaces: writes to one never show in the other.
  auto c = sgtest::checkpoint({{"a", 1}});
  fx.saver.put(cfg("t"), c, sgtest::metadata("loop", 0), c.channel_versions);
  fx.saver.put(cfg("t", "child:1"), c, sgtest::metadata("loop", 0), c.channel_versions);
  fx.saver.put_writes(cfg("t", "child:1", c.id), writes({{"a", "child write"}}), "task");
  const auto root = fx.saver.get_tuple(cfg("t", "", c.id));
  const auto child = fx.saver.get_tuple(cfg("t", "child:1", c.id));
  REQUIRE(root.has_value());
  REQUIRE(child.has_value());
  CHECK(root->pending_writes.empty());
  REQUIRE(child->pending_writes.size() == 1);
  CHECK(child->pending_writes[0].value == "child write");
}

SAVER_TEST("put_writes belong to one checkpoint only") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 1}});
  fx.saver.put_writes(run.config_of(0), writes({{"a", 2}}), "task");
  run.step({{"a", 2}});
  const auto next = fx.saver.get_tuple(run.latest_config());
  REQUIRE(next.has_value());
  CHECK(next->checkpoint.id == run.history[1].id);
  CHECK(next->pending_writes.empty());
  const auto prev = fx.saver.get_tuple(run.config_of(0));
  REQUIRE(prev.has_value());
  CHECK(prev->pending_writes.size() == 1);
}

SAVER_TEST("put with parent_writes_applied deletes the parent's value writes and no others") {
  Fixture<F> fx;
  auto parent = sgtest::checkpoint({{"a", 1}});
  fx.saver.put(cfg("t"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  // The same checkpoint id in a child namespace and on another thread, each with writes.
  fx.saver.put(cfg("t", "child:1"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  fx.saver.put(cfg("t2"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  const auto at = cfg("t", "", parent.id);
  fx.saver.put_writes(at, writes({{"a", 2}, {"b", "x"}}), "task-1");
  fx.saver.put_writes(at, writes({{"__error__", {{"message", "boom"}}}}), "task-2");
  fx.saver.put_writes(at, writes({{"a", 5}, {"__interrupt__", json::array({{{"value", "ok?"}}})}}), "task-4");
  fx.saver.put_writes(at, writes({{"__resume__", json::array({"yes"})}}), "task-5");
  fx.saver.put_writes(at, writes({{"__no_writes__", nullptr}}), "task-6");
  fx.saver.put_writes(cfg("t", "child:1", parent.id), writes({{"a", "child"}}), "task-1");
  fx.saver.put_writes(cfg("t2", "", parent.id), writes({{"a", "other thread"}}), "task-1");

  sg::Checkpoint child = sgtest::checkpoint({{"a", 2}}, 2);
  child.parent_writes_applied = true;
  fx.saver.put(at, child, sgtest::metadata("loop", 1), child.channel_versions);
  fx.saver.put_writes(cfg("t", "", child.id), writes({{"a", 3}}), "task-3");

  const auto p = fx.saver.get_tuple(at);
  REQUIRE(p.has_value());
  // The special writes (negative stored index: error, interrupt, resume) stay for history, in
  // (task_id, idx) order; every value write goes (__no_writes__ is stored at index 0).
  CHECK(p->pending_writes ==
        std::vector<sg::PendingWrite>{{"task-2", "__error__", {{"message", "boom"}}},
                                      {"task-4", "__interrupt__", json::array({{{"value", "ok?"}}})},
                                      {"task-5", "__resume__", json::array({"yes"})}});
  CHECK(p->checkpoint.channel_values.at("a") == 1);  // the checkpoint itself stays
  const auto c = fx.saver.get_tuple(cfg("t"));
  REQUIRE(c.has_value());
  CHECK(c->checkpoint.id == child.id);
  CHECK_FALSE(c->checkpoint.parent_writes_applied);  // never read back
  REQUIRE(c->pending_writes.size() == 1);
  const auto in_child_ns = fx.saver.get_tuple(cfg("t", "child:1", parent.id));
  REQUIRE(in_child_ns.has_value());
  CHECK(in_child_ns->pending_writes.size() == 1);
  const auto other_thread = fx.saver.get_tuple(cfg("t2", "", parent.id));
  REQUIRE(other_thread.has_value());
  CHECK(other_thread->pending_writes.size() == 1);

  // Without a parent the flag deletes nothing.
  sg::Checkpoint first = sgtest::checkpoint({{"a", 1}});
  first.parent_writes_applied = true;
  fx.saver.put(cfg("t3"), first, sgtest::metadata("input", -1), first.channel_versions);
  CHECK(fx.saver.get_tuple(cfg("t3")).has_value());
}

SAVER_TEST("delta_chains are stored with the checkpoint and never in its metadata") {
  Fixture<F> fx;
  auto c = sgtest::checkpoint({{"a", 1}});
  c.delta_chains = {{"messages", json::array({3, 10, 4})}};
  fx.saver.put(cfg("t"), c, sgtest::metadata("loop", 0), c.channel_versions);
  auto plain = sgtest::checkpoint({{"a", 2}}, 2);
  fx.saver.put(cfg("t", "", c.id), plain, sgtest::metadata("loop", 1), plain.channel_versions);
  const auto first = fx.saver.get_tuple(cfg("t", "", c.id));
  REQUIRE(first.has_value());
  CHECK(first->checkpoint.delta_chains == c.delta_chains);
  CHECK(first->checkpoint.v == sg::format::kCheckpointVersion);
  CHECK(first->metadata == sgtest::metadata("loop", 0));
  const auto second = fx.saver.get_tuple(cfg("t"));
  REQUIRE(second.has_value());
  CHECK(second->checkpoint.delta_chains == json::object());
  sg::ListOptions no_values;
  no_values.values = false;
  const auto listed = fx.saver.list(cfg("t"), no_values);
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].checkpoint.delta_chains == c.delta_chains);
  fx.saver.copy_thread("t", "t-copy");
  const auto copied = fx.saver.get_tuple(cfg("t-copy", "", c.id));
  REQUIRE(copied.has_value());
  CHECK(copied->checkpoint.delta_chains == c.delta_chains);
}

SAVER_TEST("a format-1 checkpoint reads with its metadata delta_chain as delta_chains") {
  Fixture<F> fx;
  auto c = sgtest::checkpoint({{"a", 1}});
  c.v = 1;
  json meta = sgtest::metadata("loop", 0);
  meta["delta_chain"] = {{"messages", json::array({1, 2, 3})}};
  fx.saver.put(cfg("t"), c, meta, c.channel_versions);
  const auto t = fx.saver.get_tuple(cfg("t"));
  REQUIRE(t.has_value());
  CHECK(t->checkpoint.v == 1);
  CHECK(t->checkpoint.delta_chains == json{{"messages", json::array({1, 2, 3})}});
  CHECK(t->metadata == sgtest::metadata("loop", 0));
  // A format-2 checkpoint keeps a user's key of that name.
  auto d = sgtest::checkpoint({{"a", 2}}, 2);
  fx.saver.put(cfg("t", "", c.id), d, meta, d.channel_versions);
  const auto u = fx.saver.get_tuple(cfg("t"));
  REQUIRE(u.has_value());
  CHECK(u->metadata == meta);
  CHECK(u->checkpoint.delta_chains == json::object());
}

SAVER_TEST("a put that fails keeps the parent's writes it would have deleted") {
  Fixture<F> fx;
  auto parent = sgtest::checkpoint({{"a", 1}});
  fx.saver.put(cfg("t"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  const auto at = cfg("t", "", parent.id);
  fx.saver.put_writes(at, writes({{"a", 2}}), "task-1");

  sg::Checkpoint child = sgtest::checkpoint({{"a", 2}}, 2);
  child.parent_writes_applied = true;
  sg::ChannelVersions nv = child.channel_versions;
  nv["missing"] = sgtest::version(2);  // named as new, but no value: the put is refused
  child.channel_versions["missing"] = sgtest::version(2);
  CHECK_THROWS(fx.saver.put(at, child, sgtest::metadata("loop", 1), nv));

  const auto p = fx.saver.get_tuple(cfg("t"));
  REQUIRE(p.has_value());
  CHECK(p->checkpoint.id == parent.id);
  REQUIRE(p->pending_writes.size() == 1);
  CHECK(p->pending_writes[0] == sg::PendingWrite{"task-1", "a", 2});
}

SAVER_TEST("put_writes without a checkpoint id throws sg.saver.403") {
  Fixture<F> fx;
  put_plain(fx.saver, cfg("t"), {{"a", 1}});
  const auto w = writes({{"a", 2}});
  bool thrown = false;
  try {
    fx.saver.put_writes(cfg("t"), w, "task");
  } catch (const sg::SaverError& e) {
    thrown = true;
    CHECK(e.id() == "sg.saver.403");
  }
  CHECK(thrown);
  CHECK(fx.saver.get_tuple(cfg("t"))->pending_writes.empty());
}

// ---------------------------------------------------------------------------------- get_tuple

SAVER_TEST("get_tuple of a missing checkpoint is empty") {
  Fixture<F> fx;
  CHECK_FALSE(fx.saver.get_tuple(cfg("nobody")).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("nobody", "", sg::new_checkpoint_id())).has_value());
  put_plain(fx.saver, cfg("t"), {{"a", 1}});
  CHECK(fx.saver.get_tuple(cfg("t")).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "", sg::new_checkpoint_id())).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "missing-ns")).has_value());
}

SAVER_TEST("get_tuple without an id returns the latest") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 5; ++i) run.step({{"i", i}});
  const auto t = fx.saver.get_tuple(run.latest_config());
  REQUIRE(t.has_value());
  CHECK(t->checkpoint == run.history[4]);
  CHECK(t->config == run.config_of(4));
  CHECK(t->metadata.at("step") == 3);
  REQUIRE(t->parent_config.has_value());
  CHECK(*t->parent_config == run.config_of(3));
}

SAVER_TEST("get_tuple with an id returns that checkpoint") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 5; ++i) run.step({{"i", i}});
  const auto t = fx.saver.get_tuple(run.config_of(1));
  REQUIRE(t.has_value());
  CHECK(t->checkpoint == run.history[1]);
  CHECK(t->config == run.config_of(1));
  CHECK(t->metadata == run.metadata_history[1]);
  CHECK(t->metadata.at("source") == "loop");
  REQUIRE(t->parent_config.has_value());
  CHECK(t->parent_config->checkpoint_id == run.history[0].id);
}

// --------------------------------------------------------------------------------------- list

SAVER_TEST("list by thread is newest first with complete values") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 0}, {"b", "kept"}});
  run.step({{"a", 1}});
  run.step({{"a", 2}});
  Run other(fx.saver, "u");
  other.step({{"a", 9}});
  const auto l = fx.saver.list(cfg("t"));
  REQUIRE(l.size() == 3);
  CHECK(sgtest::ids_of(l) ==
        std::vector<std::string>{run.history[2].id, run.history[1].id, run.history[0].id});
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(l[i].checkpoint == run.history[2 - i]);
    CHECK(l[i].metadata == run.metadata_history[2 - i]);
    CHECK(l[i].config.thread_id == "t");
  }
}

SAVER_TEST("list of all threads") {
  Fixture<F> fx;
  Run a(fx.saver, "a");
  Run b(fx.saver, "b");
  a.step({{"x", 1}});
  b.step({{"x", 2}});
  a.step({{"x", 3}});
  Run child(fx.saver, "a", "child:1");
  child.step({{"x", 4}});
  const auto l = fx.saver.list(cfg(""));
  // Every thread, root namespace, newest first across threads.
  CHECK(sgtest::ids_of(l) ==
        std::vector<std::string>{a.history[1].id, b.history[0].id, a.history[0].id});
  REQUIRE(l.size() == 3);
  CHECK(l[1].config.thread_id == "b");
  CHECK(l[1].checkpoint.channel_values.at("x") == 2);
  const auto limited = fx.saver.list(cfg(""), {.filter = json::object(), .before = std::nullopt, .limit = 2});
  CHECK(sgtest::ids_of(limited) == std::vector<std::string>{a.history[1].id, b.history[0].id});
}

SAVER_TEST("list by namespace") {
  Fixture<F> fx;
  Run root(fx.saver, "t");
  Run child(fx.saver, "t", "child:1");
  root.step({{"x", 1}});
  child.step({{"x", 2}});
  child.step({{"x", 3}});
  root.step({{"x", 4}});
  const auto l = fx.saver.list(cfg("t", "child:1"));
  CHECK(sgtest::ids_of(l) == std::vector<std::string>{child.history[1].id, child.history[0].id});
  for (const auto& t : l) CHECK(t.config.checkpoint_ns == "child:1");
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"))) ==
        std::vector<std::string>{root.history[1].id, root.history[0].id});
  CHECK(fx.saver.list(cfg("t", "nothing")).empty());
}

SAVER_TEST("list with a checkpoint id returns only that checkpoint") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 3; ++i) run.step({{"i", i}});
  const auto l = fx.saver.list(run.config_of(1));
  REQUIRE(l.size() == 1);
  CHECK(l[0].checkpoint == run.history[1]);
  CHECK(fx.saver.list(cfg("t", "", sg::new_checkpoint_id())).empty());
}

SAVER_TEST("list filters on metadata") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"i", 0}}, {}, {{"user", "ann"}});                         // input, step -1
  run.step({{"i", 1}}, {}, {{"user", "bob"}, {"score", {{"a", 1}}}});  // loop, step 0
  run.step({{"i", 2}}, {}, {{"user", "ann"}});                         // loop, step 1
  auto filtered = [&](const json& filter) {
    sg::ListOptions o;
    o.filter = filter;
    return sgtest::ids_of(fx.saver.list(cfg("t"), o));
  };
  const auto& h = run.history;
  CHECK(filtered({{"source", "input"}}) == std::vector<std::string>{h[0].id});
  CHECK(filtered({{"source", "loop"}}) == std::vector<std::string>{h[2].id, h[1].id});
  CHECK(filtered({{"step", 1}}) == std::vector<std::string>{h[2].id});
  CHECK(filtered({{"step", -1}}) == std::vector<std::string>{h[0].id});
  CHECK(filtered({{"source", "loop"}, {"user", "ann"}}) == std::vector<std::string>{h[2].id});
  CHECK(filtered({{"user", "ann"}}) == std::vector<std::string>{h[2].id, h[0].id});
  CHECK(filtered({{"score", {{"a", 1}}}}) == std::vector<std::string>{h[1].id});
  CHECK(filtered({{"user", "carol"}}).empty());
  CHECK(filtered({{"source", "loop"}, {"user", "nobody"}}).empty());
  CHECK(filtered({{"missing_key", 1}}).empty());
  CHECK(filtered({{"step", "1"}}).empty());  // JSON equality: a string is not a number
  CHECK(filtered(json::object()).size() == 3);
  CHECK(filtered(nullptr).size() == 3);
}

SAVER_TEST("list before limit and both") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 5; ++i) run.step({{"i", i}});
  const auto& h = run.history;
  sg::ListOptions before;
  before.before = h[3].id;
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"), before)) ==
        std::vector<std::string>{h[2].id, h[1].id, h[0].id});
  sg::ListOptions limit;
  limit.limit = 2;
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"), limit)) == std::vector<std::string>{h[4].id, h[3].id});
  sg::ListOptions both;
  both.before = h[3].id;
  both.limit = 2;
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"), both)) == std::vector<std::string>{h[2].id, h[1].id});
  sg::ListOptions zero;
  zero.limit = 0;
  CHECK(fx.saver.list(cfg("t"), zero).empty());
  sg::ListOptions first;
  first.before = h[0].id;
  CHECK(fx.saver.list(cfg("t"), first).empty());
  sg::ListOptions filter_limit;
  filter_limit.filter = {{"source", "loop"}};
  filter_limit.limit = 10;
  CHECK(fx.saver.list(cfg("t"), filter_limit).size() == 4);
}

SAVER_TEST("list includes pending writes") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"i", 0}});
  run.step({{"i", 1}});
  fx.saver.put_writes(run.config_of(0), writes({{"i", 1}}), "t0");
  fx.saver.put_writes(run.config_of(1), writes({{"i", 2}, {"j", 3}}), "t1");
  const auto l = fx.saver.list(cfg("t"));
  REQUIRE(l.size() == 2);
  REQUIRE(l[0].pending_writes.size() == 2);
  CHECK(l[0].pending_writes[1] == sg::PendingWrite{"t1", "j", 3});
  REQUIRE(l[1].pending_writes.size() == 1);
  CHECK(l[1].pending_writes[0] == sg::PendingWrite{"t0", "i", 1});
}

// ------------------------------------------------------------------------------ delete_thread

SAVER_TEST("delete_thread removes every namespace and leaves other threads") {
  Fixture<F> fx;
  Run root(fx.saver, "t");
  Run child(fx.saver, "t", "child:1");
  Run other(fx.saver, "u");
  root.step({{"a", 1}});
  child.step({{"a", 2}});
  other.step({{"a", 3}});
  fx.saver.put_writes(root.config_of(0), writes({{"a", 9}}), "task");
  fx.saver.put_writes(other.config_of(0), writes({{"a", 8}}), "task");

  fx.saver.delete_thread("t");
  CHECK_FALSE(fx.saver.get_tuple(cfg("t")).has_value());
  CHECK_FALSE(fx.saver.get_tuple(cfg("t", "child:1")).has_value());
  CHECK(fx.saver.list(cfg("t")).empty());
  CHECK(fx.saver.list(cfg("t", "child:1")).empty());
  if (const auto n = fx.value_count()) CHECK(*n == 1);

  const auto u = fx.saver.get_tuple(cfg("u"));
  REQUIRE(u.has_value());
  CHECK(u->checkpoint == other.history[0]);
  CHECK(u->pending_writes.size() == 1);

  // Re-putting the same checkpoint shows no stale writes.
  const auto& c = root.history[0];
  fx.saver.put(cfg("t"), c, root.metadata_history[0], c.channel_versions);
  const auto again = fx.saver.get_tuple(cfg("t"));
  REQUIRE(again.has_value());
  CHECK(again->pending_writes.empty());
}

SAVER_TEST("delete_thread of a missing thread is a no-op") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 1}});
  CHECK_NOTHROW(fx.saver.delete_thread("missing"));
  CHECK_NOTHROW(fx.saver.delete_thread(""));
  CHECK(fx.saver.list(cfg("t")).size() == 1);
}

// -------------------------------------------------------------------------------------- prune

SAVER_TEST("prune keep_last keeps the newest of each namespace and their values") {
  Fixture<F> fx;
  Run root(fx.saver, "t");
  Run child(fx.saver, "t", "child:1");
  Run other(fx.saver, "u");
  root.step({{"const", "set once"}, {"n", 0}});
  for (int i = 1; i < 5; ++i) root.step({{"n", i}});
  for (int i = 0; i < 3; ++i) child.step({{"n", i}});
  for (int i = 0; i < 3; ++i) other.step({{"n", i}});
  fx.saver.put_writes(root.config_of(4), writes({{"n", 5}}), "task");

  sg::PruneOptions keep2;
  keep2.keep_last = 2;
  CHECK(fx.saver.prune("t", keep2) == 3 + 1);
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"))) ==
        std::vector<std::string>{root.history[4].id, root.history[3].id});
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t", "child:1"))) ==
        std::vector<std::string>{child.history[2].id, child.history[1].id});
  CHECK_FALSE(fx.saver.get_tuple(root.config_of(0)).has_value());
  // "const" was stored only by the first (pruned) checkpoint and must still load.
  const auto latest = fx.saver.get_tuple(root.latest_config());
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint == root.history[4]);
  CHECK(latest->checkpoint.channel_values.at("const") == "set once");
  CHECK(latest->pending_writes.size() == 1);
  CHECK(fx.saver.get_tuple(root.config_of(3))->checkpoint == root.history[3]);
  CHECK(fx.saver.list(cfg("u")).size() == 3);  // other threads untouched
  // root: const, n3, n4; child: n1, n2; u: n0 n1 n2.
  if (const auto n = fx.value_count()) CHECK(*n == 3 + 2 + 3);
}

SAVER_TEST("prune before deletes older checkpoints") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 5; ++i) run.step({{"n", i}});
  sg::PruneOptions o;
  o.before = run.history[2].id;
  CHECK(fx.saver.prune("t", o) == 2);
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"))) ==
        std::vector<std::string>{run.history[4].id, run.history[3].id, run.history[2].id});
  for (std::size_t i = 2; i < 5; ++i) CHECK(fx.saver.get_tuple(run.config_of(i))->checkpoint == run.history[i]);
  CHECK(fx.saver.prune("t", o) == 0);
}

SAVER_TEST("prune never removes the newest checkpoint") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 3; ++i) run.step({{"n", i}});
  sg::PruneOptions none;
  none.keep_last = 0;
  CHECK(fx.saver.prune("t", none) == 2);
  sg::PruneOptions all_before;
  all_before.before = sg::new_checkpoint_id();  // newer than everything
  CHECK(fx.saver.prune("t", all_before) == 0);
  const auto l = fx.saver.list(cfg("t"));
  REQUIRE(l.size() == 1);
  CHECK(l[0].checkpoint == run.history[2]);
  CHECK(fx.saver.prune("missing", none) == 0);
  CHECK(fx.saver.prune("t", sg::PruneOptions{}) == 0);
}

SAVER_TEST("prune combines keep_last and before") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  for (int i = 0; i < 6; ++i) run.step({{"n", i}});
  sg::PruneOptions o;
  o.keep_last = 4;             // would delete 0 and 1
  o.before = run.history[3].id;  // would delete 0, 1 and 2
  CHECK(fx.saver.prune("t", o) == 3);
  CHECK(sgtest::ids_of(fx.saver.list(cfg("t"))) ==
        std::vector<std::string>{run.history[5].id, run.history[4].id, run.history[3].id});
}

// -------------------------------------------------------------------------------- copy_thread

SAVER_TEST("copy_thread copies checkpoints values and writes") {
  Fixture<F> fx;
  Run root(fx.saver, "src");
  Run child(fx.saver, "src", "child:1");
  root.step({{"a", 1}, {"b", "same"}});
  root.step({{"a", 2}});
  child.step({{"c", 3}});
  fx.saver.put_writes(root.config_of(1), writes({{"a", 3}}), "task");

  fx.saver.copy_thread("src", "dst");
  const auto copied = fx.saver.list(cfg("dst"));
  REQUIRE(copied.size() == 2);
  CHECK(sgtest::ids_of(copied) == sgtest::ids_of(fx.saver.list(cfg("src"))));
  CHECK(copied[0].checkpoint == root.history[1]);
  CHECK(copied[0].config.thread_id == "dst");
  CHECK(copied[0].metadata == root.metadata_history[1]);
  REQUIRE(copied[0].parent_config.has_value());
  CHECK(*copied[0].parent_config == cfg("dst", "", root.history[0].id));
  REQUIRE(copied[0].pending_writes.size() == 1);
  CHECK(copied[0].pending_writes[0] == sg::PendingWrite{"task", "a", 3});
  CHECK(copied[1].checkpoint == root.history[0]);
  const auto c = fx.saver.get_tuple(cfg("dst", "child:1"));
  REQUIRE(c.has_value());
  CHECK(c->checkpoint == child.history[0]);

  // The copy is independent of the source.
  fx.saver.delete_thread("src");
  CHECK(fx.saver.list(cfg("src")).empty());
  CHECK(fx.saver.get_tuple(cfg("dst"))->checkpoint == root.history[1]);
}

SAVER_TEST("copy_thread refuses an existing destination") {
  Fixture<F> fx;
  Run src(fx.saver, "src");
  Run dst(fx.saver, "dst");
  src.step({{"a", 1}});
  dst.step({{"a", 2}});
  bool thrown = false;
  try {
    fx.saver.copy_thread("src", "dst");
  } catch (const sg::SaverError& e) {
    thrown = true;
    CHECK(e.id() == "sg.saver.403");
  }
  CHECK(thrown);
  CHECK(sgtest::ids_of(fx.saver.list(cfg("dst"))) == std::vector<std::string>{dst.history[0].id});
  CHECK(fx.saver.get_tuple(cfg("dst"))->checkpoint.channel_values.at("a") == 2);
}

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

// ----------------------------------------------------------------------- latest_checkpoint_id

SAVER_TEST("latest_checkpoint_id names the newest checkpoint of the thread and namespace") {
  Fixture<F> fx;
  CHECK_FALSE(fx.saver.latest_checkpoint_id(cfg("t")).has_value());
  Run root(fx.saver, "t");
  Run child(fx.saver, "t", "child:1");
  Run other(fx.saver, "u");
  root.step({{"a", 1}});
  child.step({{"a", 2}});
  root.step({{"a", 3}});
  child.step({{"a", 4}});
  other.step({{"a", 5}});
  CHECK(fx.saver.latest_checkpoint_id(cfg("t")) == root.history[1].id);
  CHECK(fx.saver.latest_checkpoint_id(cfg("t", "child:1")) == child.history[1].id);
  CHECK(fx.saver.latest_checkpoint_id(cfg("u")) == other.history[0].id);
  CHECK(fx.saver.latest_checkpoint_id(cfg("t")) == fx.saver.get_tuple(cfg("t"))->checkpoint.id);
  // A checkpoint_id in the config does not matter: the latest is the latest.
  CHECK(fx.saver.latest_checkpoint_id(root.config_of(0)) == root.history[1].id);
  CHECK_FALSE(fx.saver.latest_checkpoint_id(cfg("t", "missing")).has_value());
  fx.saver.delete_thread("t");
  CHECK_FALSE(fx.saver.latest_checkpoint_id(cfg("t")).has_value());
  CHECK_FALSE(fx.saver.latest_checkpoint_id(cfg("t", "child:1")).has_value());
  CHECK(fx.saver.latest_checkpoint_id(cfg("u")) == other.history[0].id);
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

// ------------------------------------------------------------- inspection (sg-checkpoints)

namespace {
// n letters that do not compress (Postgres stores large values compressed).
std::string noise(std::size_t n, unsigned seed) {
  std::string s(n, 'a');
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& ch : s) {
    x = x * 1664525U + 1013904223U;
    ch = static_cast<char>('a' + (x >> 24) % 26);
  }
  return s;
}
}  // namespace

SAVER_TEST("list with values false leaves channel_values empty and keeps the rest") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"a", 1}, {"text", noise(2000, 120)}});
  run.step({{"a", 2}});
  run.step({{"b", json::array({1, 2, 3})}});
  fx.saver.put_writes(run.config_of(2), writes({{"a", 3}}), "task-1");
  sg::ListOptions no_values;
  no_values.values = false;
  const auto full = fx.saver.list(run.latest_config());
  const auto light = fx.saver.list(run.latest_config(), no_values);
  REQUIRE(light.size() == full.size());
  REQUIRE(light.size() == 3);
  for (std::size_t i = 0; i < light.size(); ++i) {
    CHECK(light[i].checkpoint.channel_values.empty());
    CHECK_FALSE(full[i].checkpoint.channel_values.empty());
    CHECK(light[i].config == full[i].config);
    CHECK(light[i].checkpoint.id == full[i].checkpoint.id);
    CHECK(light[i].checkpoint.ts == full[i].checkpoint.ts);
    CHECK(light[i].checkpoint.channel_versions == full[i].checkpoint.channel_versions);
    CHECK(light[i].checkpoint.versions_seen == full[i].checkpoint.versions_seen);
    CHECK(light[i].metadata == full[i].metadata);
    CHECK(light[i].parent_config == full[i].parent_config);
    CHECK(light[i].pending_writes == full[i].pending_writes);
  }
  CHECK(light[0].pending_writes.size() == 1);
  // Filters, before and limit behave as with values.
  no_values.limit = 1;
  no_values.before = run.history[2].id;
  const auto page = fx.saver.list(run.latest_config(), no_values);
  REQUIRE(page.size() == 1);
  CHECK(page[0].checkpoint.id == run.history[1].id);
}

SAVER_TEST("list with values false works across threads") {
  Fixture<F> fx;
  Run a(fx.saver, "a");
  Run b(fx.saver, "b");
  a.step({{"x", 1}});
  b.step({{"x", 2}});
  sg::ListOptions no_values;
  no_values.values = false;
  const auto all = fx.saver.list(cfg(""), no_values);
  REQUIRE(all.size() == 2);
  CHECK(all[0].config.thread_id == "b");
  CHECK(all[0].checkpoint.channel_values.empty());
  CHECK(all[0].checkpoint.channel_versions.count("x") == 1);
}

SAVER_TEST("list_threads summarises every thread newest first") {
  Fixture<F> fx;
  CHECK(fx.saver.list_threads().empty());
  Run a(fx.saver, "alpha");
  a.step({{"n", 0}}, {}, {{"user", "ann"}});
  a.step({{"n", 1}});
  a.step({{"n", 2}});
  Run child(fx.saver, "alpha", "inner:1");
  child.step({{"m", 1}});
  Run b(fx.saver, "beta");
  b.step({{"n", 0}}, {}, {{"user", "bob"}});
  fx.saver.put_writes(b.config_of(0), writes({{"n", 5}}), "task-b");

  const auto threads = fx.saver.list_threads();
  REQUIRE(threads.size() == 2);
  CHECK(threads[0].thread_id == "beta");  // updated last
  CHECK(threads[1].thread_id == "alpha");
  const sg::ThreadInfo& beta = threads[0];
  CHECK(beta.checkpoints == 1);
  CHECK(beta.namespaces == std::vector<std::string>{""});
  CHECK(beta.last_checkpoint_id == b.history[0].id);
  CHECK(beta.last_ts == b.history[0].ts);
  REQUIRE(beta.last_step.has_value());
  CHECK(*beta.last_step == -1);
  CHECK(beta.bytes > 0);
  const sg::ThreadInfo& alpha = threads[1];
  CHECK(alpha.checkpoints == 4);
  CHECK(alpha.namespaces == std::vector<std::string>{"", "inner:1"});
  CHECK(alpha.last_checkpoint_id == child.history[0].id);  // the newest in any namespace
  CHECK(alpha.bytes > beta.bytes);

  sg::ThreadListOptions options;
  options.limit = 1;
  const auto first = fx.saver.list_threads(options);
  REQUIRE(first.size() == 1);
  CHECK(first[0].thread_id == "beta");

  options = {};
  options.thread_id = "alpha";
  const auto one = fx.saver.list_threads(options);
  REQUIRE(one.size() == 1);
  CHECK(one[0].checkpoints == 4);
  options.thread_id = "missing";
  CHECK(fx.saver.list_threads(options).empty());

  options = {};
  options.filter = {{"user", "ann"}};  // only alpha's first checkpoint has it
  const auto by_user = fx.saver.list_threads(options);
  REQUIRE(by_user.size() == 1);
  CHECK(by_user[0].thread_id == "alpha");
  CHECK(by_user[0].checkpoints == 4);  // the summary still covers the whole thread
  options.filter = {{"source", "loop"}, {"step", 1}};
  const auto by_step = fx.saver.list_threads(options);
  REQUIRE(by_step.size() == 1);
  CHECK(by_step[0].thread_id == "alpha");
  options.filter = {{"user", "nobody"}};
  CHECK(fx.saver.list_threads(options).empty());

  options.filter = json::array({1});
  try {
    fx.saver.list_threads(options);
    FAIL("a filter that is not an object must throw");
  } catch (const sg::SaverError& e) {
    CHECK(e.id() == "sg.saver.403");
  }
}

SAVER_TEST("list_threads bytes grow with what a thread stores and shrink with prune") {
  Fixture<F> fx;
  Run small(fx.saver, "small");
  small.step({{"v", "x"}});
  Run big(fx.saver, "big");
  big.step({{"v", noise(20000, 121)}});
  big.step({{"v", noise(20000, 122)}});
  auto find = [&](const std::string& id) {
    for (const auto& t : fx.saver.list_threads())
      if (t.thread_id == id) return t;
    FAIL("thread " << id << " not listed");
    return sg::ThreadInfo{};
  };
  const auto before = find("big");
  CHECK(before.bytes >= 20000);
  CHECK(find("small").bytes < 2000);
  CHECK(fx.saver.prune("big", {.keep_last = 1, .before = std::nullopt}) == 1);
  const auto after = find("big");
  CHECK(after.checkpoints == 1);
  CHECK(after.bytes < before.bytes);
}

SAVER_TEST("checkpoint_bytes charges each value to the oldest checkpoint that refers to it") {
  Fixture<F> fx;
  Run run(fx.saver, "t");
  run.step({{"big", noise(10000, 98)}, {"n", 0}});
  run.step({{"n", 1}});
  run.step({{"n", 2}, {"other", noise(5000, 111)}});
  fx.saver.put_writes(run.config_of(1), writes({{"note", noise(3000, 119)}}), "task-1");
  const auto bytes = fx.saver.checkpoint_bytes(run.latest_config());
  REQUIRE(bytes.size() == 3);
  for (const auto& c : run.history) CHECK(bytes.count(c.id) == 1);
  CHECK(bytes.at(run.history[0].id) >= 10000);
  CHECK(bytes.at(run.history[1].id) >= 3000);   // its pending write
  CHECK(bytes.at(run.history[1].id) < 6000);    // not the big value again
  CHECK(bytes.at(run.history[2].id) >= 5000);
  CHECK(bytes.at(run.history[2].id) < 9000);
  CHECK(fx.saver.checkpoint_bytes(cfg("missing")).empty());
  CHECK(fx.saver.checkpoint_bytes(cfg("t", "other-ns")).empty());
}

SAVER_TEST("storage_stats counts the rows of each table") {
  Fixture<F> fx;
  Run a(fx.saver, "a");
  a.step({{"x", 1}, {"y", 2}});  // 2 values
  a.step({{"x", 3}});             // 1 value
  Run b(fx.saver, "b");
  b.step({{"x", noise(4000, 113)}});  // 1 value
  fx.saver.put_writes(b.config_of(0), writes({{"x", 1}, {"y", 2}}), "task");
  const auto stats = fx.saver.storage_stats();
  std::map<std::string, sg::TableStats> tables;
  for (const auto& t : stats.tables) tables[t.name] = t;
  REQUIRE(tables.size() == 3);
  CHECK(tables.at("sg_checkpoints").rows == 3);
  CHECK(tables.at("sg_blobs").rows == 4);
  CHECK(tables.at("sg_writes").rows == 2);
  CHECK(tables.at("sg_blobs").bytes >= 4000);
  CHECK(tables.at("sg_checkpoints").bytes > 0);
  CHECK(tables.at("sg_writes").bytes > 0);
  std::uint64_t thread_bytes = 0;
  for (const auto& t : fx.saver.list_threads()) thread_bytes += t.bytes;
  CHECK(thread_bytes == tables.at("sg_checkpoints").bytes + tables.at("sg_blobs").bytes + tables.at("sg_writes").bytes);
}

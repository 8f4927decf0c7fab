// Saver conformance: put and put_writes (see saver_conformance.hpp).
#include "saver_conformance.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;
using sgtest::Run;

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

// ---------------------------------------------------------------------------------- put_batch

SAVER_TEST("put_batch stores the writes and the checkpoint as the separate calls would") {
  Fixture<F> fx;
  auto parent = sgtest::checkpoint({{"a", 1}});
  fx.saver.put(cfg("t"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  const auto at = cfg("t", "", parent.id);
  fx.saver.put_writes(at, writes({{"a", 9}}), "stored-before");  // deleted by the put as before

  sg::Checkpoint child = sgtest::checkpoint({{"a", 2}}, 2);
  child.parent_writes_applied = true;
  const std::vector<sg::TaskWrites> batch{
      {at, "task-1", writes({{"a", 2}, {"__error__", {{"message", "boom"}}}})},  // value write applied: dropped
      {at, "task-2", writes({{"__interrupt__", json::array({{{"value", "ok?"}}})}})},
      {cfg("t", "", child.id), "task-3", writes({{"a", 3}})},  // a write of the new checkpoint
      {cfg("t2", "", parent.id), "task-4", writes({{"a", "other thread"}})},
      {at, "task-5", {}},  // no writes: nothing
  };
  const sg::CheckpointPut put{at, child, sgtest::metadata("loop", 1), child.channel_versions};
  const auto returned = fx.saver.put_batch(batch, &put);
  REQUIRE(returned.has_value());
  CHECK(*returned == cfg("t", "", child.id));

  const auto p = fx.saver.get_tuple(at);
  REQUIRE(p.has_value());
  CHECK(p->pending_writes == std::vector<sg::PendingWrite>{{"task-1", "__error__", {{"message", "boom"}}},
                                                           {"task-2", "__interrupt__", json::array({{{"value", "ok?"}}})}});
  const auto c = fx.saver.get_tuple(cfg("t"));
  REQUIRE(c.has_value());
  CHECK(c->checkpoint.id == child.id);
  CHECK(c->checkpoint.channel_values.at("a") == 2);
  CHECK(c->pending_writes == std::vector<sg::PendingWrite>{{"task-3", "a", 3}});
  // Another thread's writes of the same checkpoint id are not the parent's: stored.
  fx.saver.put(cfg("t2"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  const auto other = fx.saver.get_tuple(cfg("t2", "", parent.id));
  REQUIRE(other.has_value());
  CHECK(other->pending_writes == std::vector<sg::PendingWrite>{{"task-4", "a", "other thread"}});

  // Writes only: stored, nothing returned; an empty batch is a no-op.
  CHECK_FALSE(fx.saver.put_batch(std::vector<sg::TaskWrites>{{cfg("t", "", child.id), "task-6", writes({{"b", 1}})}}, nullptr));
  CHECK(fx.saver.get_tuple(cfg("t"))->pending_writes.size() == 2);
  CHECK_FALSE(fx.saver.put_batch({}, nullptr));
}

SAVER_TEST("put_batch checks every call first and stores nothing when one is invalid") {
  Fixture<F> fx;
  auto c = sgtest::checkpoint({{"a", 1}});
  const sg::CheckpointPut put{cfg("t"), c, sgtest::metadata("input", -1), c.channel_versions};
  const std::vector<sg::TaskWrites> bad{{cfg("t", "", std::nullopt), "task-1", writes({{"a", 2}})}};  // no checkpoint id
  CHECK_THROWS_AS(fx.saver.put_batch(bad, &put), sg::SaverError);
  CHECK_FALSE(fx.saver.get_tuple(cfg("t")).has_value());
}

SAVER_TEST("put_batch with a put whose delta base is missing throws 403 and stores no checkpoint") {
  Fixture<F> fx;
  auto parent = sgtest::checkpoint({{"a", 1}});
  fx.saver.put(cfg("t"), parent, sgtest::metadata("loop", 0), parent.channel_versions);
  sg::Checkpoint child = sgtest::checkpoint({}, 2);
  child.channel_values.clear();
  child.channel_versions["m"] = sgtest::version(2);
  child.channel_deltas["m"] = sg::ChannelDelta{sgtest::version(1), 0, json::array({1})};  // version 1 never stored
  const sg::CheckpointPut put{cfg("t", "", parent.id), child, sgtest::metadata("loop", 1), {{"m", sgtest::version(2)}}};
  const std::vector<sg::TaskWrites> batch{{cfg("t", "", parent.id), "task-1", writes({{"__error__", {{"message", "x"}}}})}};
  try {
    fx.saver.put_batch(batch, &put);
    FAIL("no exception");
  } catch (const sg::SaverError& e) {
    CHECK(std::string(e.id()) == "sg.saver.403");
  }
  CHECK(fx.saver.get_tuple(cfg("t"))->checkpoint.id == parent.id);
}

SAVER_TEST("put_batch with a put given up (CheckpointPut&&) stores what a copied put stores") {
  Fixture<F> fx;
  auto stored_by = [&](const std::string& thread, bool give_up) {
    auto parent = sgtest::checkpoint({{"a", 1}, {"m", json::array({1, 2})}});
    fx.saver.put(cfg(thread), parent, sgtest::metadata("input", -1), parent.channel_versions);
    sg::Checkpoint child = sgtest::checkpoint({{"a", json::object({{"text", std::string(40, 'x')}})}}, 2);
    child.channel_versions["m"] = sgtest::version(2);
    child.channel_deltas["m"] = sg::ChannelDelta{parent.channel_versions.at("m"), 2, json::array({"three"})};
    child.delta_chains = json::object({{"m", json::array({1, 2, 1})}});
    sg::CheckpointMetadata md = sgtest::metadata("loop", 0);
    md["user"] = "someone with a long enough name";
    sg::CheckpointPut put{cfg(thread, "", parent.id), child, md, child.channel_versions};
    const auto returned = give_up ? fx.saver.put_batch({}, std::move(put)) : fx.saver.put_batch({}, &put);
    REQUIRE(returned.has_value());
    CHECK(*returned == cfg(thread, "", child.id));
    auto t = fx.saver.get_tuple(cfg(thread));
    REQUIRE(t.has_value());
    CHECK(t->checkpoint.id == child.id);
    CHECK(t->checkpoint.ts == child.ts);
    CHECK(t->checkpoint.channel_values.at("a") == child.channel_values.at("a"));
    CHECK(t->checkpoint.channel_values.at("m") == json::array({1, 2, "three"}));
    CHECK(t->checkpoint.delta_chains == child.delta_chains);
    CHECK(t->metadata.value("user", "") == "someone with a long enough name");
    return *t;
  };
  const auto copied = stored_by("copied", false);
  const auto given = stored_by("given", true);
  CHECK(given.checkpoint.channel_values == copied.checkpoint.channel_values);
  CHECK(given.metadata == copied.metadata);
}

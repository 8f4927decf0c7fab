// Saver conformance: get_tuple, list and latest_checkpoint_id (see saver_conformance.hpp).
#include "saver_conformance.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;
using sgtest::Run;

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

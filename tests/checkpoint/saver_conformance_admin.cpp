// Saver conformance: delete_thread, prune, copy_thread and inspection (see saver_conformance.hpp).
#include "saver_conformance.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;
using sgtest::Run;

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

// Saver conformance: a thread whose graph ran subgraphs (child namespaces, nested and stateful,
// with `parents` metadata, deltas and pending writes) under delete_thread, copy_thread, prune
// and list_threads (see saver_conformance.hpp and subgraph_thread.hpp).
#include "saver_conformance.hpp"
#include "subgraph_thread.hpp"

using namespace sgconf;  // NOLINT: the suite's helpers (cfg, writes, Fixture, ...)
using nlohmann::json;
using sgtest::NsRun;
using sgtest::SubgraphThread;

namespace {

// Every checkpoint of `run` loads from `thread` as written, with its metadata.
void check_loads(sg::BaseCheckpointSaver& saver, const std::string& thread, const NsRun& run) {
  CAPTURE(run.ns());
  const auto listed = saver.list(cfg(thread, run.ns()));
  REQUIRE(listed.size() == run.history.size());
  for (std::size_t i = 0; i < run.history.size(); ++i) {
    const auto t = saver.get_tuple(cfg(thread, run.ns(), run.id(i)));
    REQUIRE(t.has_value());
    CHECK(t->checkpoint == run.history[i]);
    CHECK(t->metadata == run.metadata_history[i]);
    CHECK(t->config.thread_id == thread);
    CHECK(listed[run.history.size() - 1 - i].checkpoint == run.history[i]);
  }
}

// Each checkpoint of a child namespace of `thread` names, under `parents`, a checkpoint of each
// ancestor namespace that `thread` holds.
void check_parents_resolve(sg::BaseCheckpointSaver& saver, const std::string& thread, const SubgraphThread& s) {
  for (const NsRun* run : s.runs()) {
    if (run->ns().empty()) continue;
    for (const auto& t : saver.list(cfg(thread, run->ns()))) {
      CAPTURE(run->ns());
      const json& parents = t.metadata.at(sg::format::kParentsKey);
      CHECK(parents.size() == sg::format::parse_namespace(run->ns()).size());
      for (const auto& [ns, id] : parents.items()) {
        CAPTURE(ns);
        const auto parent = saver.get_tuple(cfg(thread, ns, id.get<std::string>()));
        CHECK(parent.has_value());
      }
    }
  }
}

std::vector<std::string> sorted_namespaces(const SubgraphThread& s) {
  std::vector<std::string> out;
  for (const NsRun* run : s.runs()) out.push_back(run->ns());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

SAVER_TEST("a thread with subgraph namespaces lists every namespace and loads every checkpoint") {
  Fixture<F> fx;
  const SubgraphThread s(fx.saver, "t");
  for (const NsRun* run : s.runs()) check_loads(fx.saver, "t", *run);
  check_parents_resolve(fx.saver, "t", s);
  const auto threads = fx.saver.list_threads();
  REQUIRE(threads.size() == 1);
  CHECK(threads[0].checkpoints == s.checkpoints());
  CHECK(threads[0].namespaces == sorted_namespaces(s));
  CHECK(threads[0].last_checkpoint_id == s.root.history.back().id);
  // The writes and the delta-grown lists of the children.
  const auto c2 = fx.saver.get_tuple(s.research1.config_of(2));
  REQUIRE(c2.has_value());
  CHECK(c2->pending_writes == std::vector<sg::PendingWrite>{{"task-r1", "summary", "short"}});
  CHECK(c2->checkpoint.channel_values.at("notes") == json::array({"rayleigh", "blue light scatters more"}));
  CHECK(fx.saver.get_tuple(s.memory.config_of(1))->checkpoint.channel_values.at("facts").size() == 2);
  // Bytes are charged per namespace.
  const auto bytes = fx.saver.checkpoint_bytes(s.research1.config_of(0));
  CHECK(bytes.size() == 3);
  CHECK(bytes.count(s.research1.id(2)) == 1);
}

SAVER_TEST("delete_thread removes every namespace of a thread with subgraphs, values and writes included") {
  Fixture<F> fx;
  const SubgraphThread s(fx.saver, "t");
  const SubgraphThread other(fx.saver, "u");
  const auto values_before = fx.value_count();

  fx.saver.delete_thread("t");
  for (const NsRun* run : s.runs()) {
    CAPTURE(run->ns());
    CHECK(fx.saver.list(cfg("t", run->ns())).empty());
    CHECK_FALSE(fx.saver.get_tuple(cfg("t", run->ns())).has_value());
    CHECK_FALSE(fx.saver.latest_checkpoint_id(cfg("t", run->ns())).has_value());
    CHECK(fx.saver.checkpoint_bytes(cfg("t", run->ns())).empty());
  }
  sg::ThreadListOptions only_t;
  only_t.thread_id = "t";
  CHECK(fx.saver.list_threads(only_t).empty());
  if (values_before) CHECK(*fx.value_count() * 2 == *values_before);
  // What is left is "u": 13 checkpoints, 13 stored values (see prune below), 1 write.
  std::map<std::string, std::uint64_t> rows;
  for (const auto& table : fx.saver.storage_stats().tables) rows[table.name] = table.rows;
  CHECK(rows == std::map<std::string, std::uint64_t>{{"sg_checkpoints", 13}, {"sg_blobs", 13}, {"sg_writes", 1}});

  // The other thread is whole, and "t" can be written again from scratch.
  for (const NsRun* run : other.runs()) check_loads(fx.saver, "u", *run);
  const SubgraphThread again(fx.saver, "t");
  for (const NsRun* run : again.runs()) check_loads(fx.saver, "t", *run);
  CHECK(fx.saver.get_tuple(again.research1.config_of(2))->pending_writes.size() == 1);
}

SAVER_TEST("copy_thread copies every namespace and the copy's child checkpoints resolve their parents") {
  Fixture<F> fx;
  const SubgraphThread s(fx.saver, "src");

  fx.saver.copy_thread("src", "dst");
  sg::ThreadListOptions only_dst;
  only_dst.thread_id = "dst";
  const auto listed = fx.saver.list_threads(only_dst);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].namespaces == sorted_namespaces(s));
  CHECK(listed[0].checkpoints == s.checkpoints());
  for (const NsRun* run : s.runs()) {
    check_loads(fx.saver, "dst", *run);
    for (const auto& t : fx.saver.list(cfg("dst", run->ns()))) {
      CHECK(t.config.checkpoint_ns == run->ns());
      if (t.parent_config) CHECK(*t.parent_config == cfg("dst", run->ns(), t.parent_config->checkpoint_id));
    }
  }
  check_parents_resolve(fx.saver, "dst", s);
  CHECK(fx.saver.get_tuple(cfg("dst", s.research1.ns(), s.research1.id(2)))->pending_writes ==
        std::vector<sg::PendingWrite>{{"task-r1", "summary", "short"}});

  // The copy stands alone: the source gone, the deltas of the children still resolve, and the
  // copy's child runs go on (a delta on a version only the copy now holds).
  fx.saver.delete_thread("src");
  for (const NsRun* run : s.runs()) check_loads(fx.saver, "dst", *run);
  check_parents_resolve(fx.saver, "dst", s);
  NsRun more(fx.saver, "dst", s.memory.ns(), {{"", s.root.id(3)}});
  more.history = s.memory.history;
  more.step({}, {{"facts", json::array({"asked again"})}});
  CHECK(fx.saver.get_tuple(cfg("dst", s.memory.ns()))->checkpoint.channel_values.at("facts") ==
        json::array({"asked about the sky", "asked about sunsets", "asked again"}));
}

SAVER_TEST("prune keeps the newest checkpoint of each namespace of a thread with subgraphs") {
  Fixture<F> fx;
  const SubgraphThread s(fx.saver, "t");
  const SubgraphThread other(fx.saver, "u");

  sg::PruneOptions keep1;
  keep1.keep_last = 1;
  // root 3, research:T1 2, its search 1, memory 1, research:T2 1.
  CHECK(fx.saver.prune("t", keep1) == 3 + 2 + 1 + 1 + 1);
  for (const NsRun* run : s.runs()) {
    CAPTURE(run->ns());
    const auto left = fx.saver.list(cfg("t", run->ns()));
    REQUIRE(left.size() == 1);
    // The newest stays whole: its delta-grown list still resolves after its bases' checkpoints went.
    CHECK(left[0].checkpoint == run->history.back());
    CHECK(left[0].metadata == run->metadata_history.back());
  }
  CHECK(fx.saver.get_tuple(cfg("t", s.research1.ns()))->pending_writes.size() == 1);
  sg::ThreadListOptions only_t;
  only_t.thread_id = "t";
  CHECK(fx.saver.list_threads(only_t).at(0).namespaces == sorted_namespaces(s));
  for (const NsRun* run : other.runs()) check_loads(fx.saver, "u", *run);  // other threads untouched
  // Values left of "t": root question, plan and the last answer; research:T1 topic and notes
  // (the delta and its base); search query, hits; memory facts (delta and base); research:T2
  // topic, notes. "u" holds its 13.
  if (const auto n = fx.value_count()) CHECK(*n == 3 + 3 + 2 + 2 + 2 + 13);

  // `before` compares ids across namespaces: what is older than r2 goes, except the newest
  // checkpoint of each namespace.
  const SubgraphThread fresh(fx.saver, "v");
  sg::PruneOptions before;
  before.before = fresh.root.id(2);
  // root r0 r1; research:T1 c0 c1; search g0; memory m0.
  CHECK(fx.saver.prune("v", before) == 2 + 2 + 1 + 1);
  CHECK(sgtest::ids_of(fx.saver.list(cfg("v"))) == std::vector<std::string>{fresh.root.id(3), fresh.root.id(2)});
  CHECK(sgtest::ids_of(fx.saver.list(cfg("v", fresh.research2.ns()))) ==
        std::vector<std::string>{fresh.research2.id(1), fresh.research2.id(0)});
  CHECK(fx.saver.get_tuple(cfg("v", fresh.research1.ns()))->checkpoint == fresh.research1.history.back());
  CHECK(fx.saver.get_tuple(cfg("v", fresh.search.ns()))->checkpoint == fresh.search.history.back());
}

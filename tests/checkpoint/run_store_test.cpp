// sg::RunStore (stategraph/checkpoint/run_store.hpp) on each backend: in-memory SQLite, a SQLite
// file, and Postgres (a schema of the test's own in the test cluster; the cases' names contain
// "Postgres" so that they get the cluster fixture). Admission and the multitask strategies,
// claims under contention (one claimant per run, a thread's runs one at a time and in order),
// leases that run out, cancels, events.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <stategraph/checkpoint/open_store.hpp>

#include "postgres_factory.hpp"

namespace {

using nlohmann::json;
using Factory = std::unique_ptr<sg::RunStore> (*)();

std::unique_ptr<sg::RunStore> memory_store() { return sg::open_run_store(sg::parse_store_uri("memory")); }

std::filesystem::path sqlite_path() {
  static std::atomic<int> n{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sg_run_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "runs.db";
}

std::unique_ptr<sg::RunStore> sqlite_store(const std::filesystem::path& path) {
  return sg::open_run_store(sg::parse_store_uri("sqlite:" + path.string()));
}

std::unique_ptr<sg::RunStore> postgres_store(const std::string& schema) {
  sg::StoreOptions o;
  o.postgres.schema = schema;
  return sg::open_run_store(sg::parse_store_uri(sgtest::postgres_uri()), o);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

sg::StoredThread thread_row(const std::string& id) {
  return {.thread_id = id, .doc = json{{"metadata", json::object()}}, .created_ms = now_ms(), .updated_ms = now_ms()};
}

sg::StoredRun run_row(const std::string& id, const std::string& thread, const std::string& graph = "g") {
  sg::StoredRun r;
  r.run_id = id;
  r.thread_id = thread;
  r.graph_id = graph;
  r.created_ms = r.updated_ms = now_ms();
  r.doc = {{"n", id}};
  return r;
}

const std::vector<std::string> kGraphs{"g"};

void admission_and_strategies(sg::RunStore& s) {
  REQUIRE(s.create_thread(thread_row("t1")));
  CHECK_FALSE(s.create_thread(thread_row("t1")));
  CHECK(s.create_run(run_row("x", "nope"), "reject", json::object(), std::nullopt).thread_missing);
  auto a = s.create_run(run_row("r1", "t1"), "reject", json{{"graph_id", "g"}}, std::nullopt);
  CHECK_FALSE(a.rejected);
  CHECK(s.thread("t1")->busy);
  CHECK(s.thread("t1")->doc["graph_id"] == "g");
  CHECK(s.create_run(run_row("r2", "t1"), "reject", json::object(), std::nullopt).rejected);
  CHECK_FALSE(s.run("r2"));
  CHECK_FALSE(s.create_run(run_row("r2", "t1"), "enqueue", json::object(), std::nullopt).rejected);
  // Claims take r1 (the thread's oldest); r2 waits for it.
  auto c = s.claim("p1", now_ms(), 10000, kGraphs);
  REQUIRE(c);
  CHECK(c->run_id == "r1");
  CHECK(c->attempt == 1);
  CHECK_FALSE(s.claim("p2", now_ms(), 10000, kGraphs));
  // interrupt: the pending r2 ends now, the running r1 is asked to stop; r3 is admitted.
  a = s.create_run(run_row("r3", "t1"), "interrupt", json::object(), std::nullopt);
  CHECK(a.ended == std::vector<std::string>{"r2"});
  CHECK(a.stopping == std::vector<std::string>{"r1"});
  CHECK(s.run("r2")->status == "interrupted");
  CHECK(s.requests("p1") == std::vector<sg::RunStore::Request>{{"r1", "interrupt", false}});
  s.watch("r1");
  CHECK(s.run("r1")->watched);
  CHECK(s.requests("p1") == std::vector<sg::RunStore::Request>{{"r1", "interrupt", true}});
  CHECK_FALSE(s.claim("p2", now_ms(), 10000, kGraphs));  // r1 still runs
  CHECK(s.finish("r1", "p1", "interrupted", "{}", json{{"status", "idle"}}, now_ms()));
  CHECK_FALSE(s.finish("r1", "p1", "success", "{}", json::object(), now_ms()));  // ended already
  c = s.claim("p2", now_ms(), 10000, kGraphs);
  REQUIRE(c);
  CHECK(c->run_id == "r3");
  // rollback: a pending run is deleted.
  s.create_run(run_row("r4", "t1"), "enqueue", json::object(), std::nullopt);
  a = s.create_run(run_row("r5", "t1"), "rollback", json::object(), std::nullopt);
  CHECK(a.ended == std::vector<std::string>{"r4"});
  CHECK_FALSE(s.run("r4"));
  CHECK(s.finish("r3", "p2", "success", R"({"v":1})", json::object(), now_ms()));
  CHECK(s.run("r3")->result == json{{"v", 1}});
  // A run of a graph the claimant does not serve is left for others.
  s.create_run(run_row("r6", "t2", "other"), "reject", json::object(), thread_row("t2"));
  c = s.claim("p3", now_ms(), 10000, kGraphs);
  REQUIRE(c);
  CHECK(c->run_id == "r5");
  CHECK_FALSE(s.claim("p3", now_ms(), 10000, kGraphs));
  CHECK(s.claim("p3", now_ms(), 10000, std::vector<std::string>{"other"})->run_id == "r6");
  // Claimed in its admission when its thread is free (and not when it is busy).
  s.create_thread(thread_row("t4"));
  auto own = s.create_run(run_row("c1", "t4"), "enqueue", json::object(), std::nullopt, "me", now_ms() + 10000);
  CHECK(own.claimed);
  CHECK(s.run("c1")->status == "running");
  CHECK(s.run("c1")->owner == "me");
  CHECK(s.run("c1")->attempt == 1);
  auto queued = run_row("c2", "t4");
  queued.watched = true;  // a stream waits for it elsewhere
  CHECK_FALSE(s.create_run(queued, "enqueue", json::object(), std::nullopt, "me", now_ms() + 10000).claimed);
  CHECK(s.run("c2")->status == "pending");
  CHECK(s.run("c2")->watched);
  // Its end stores the events only when watched (asked inside the transaction).
  int asked = 0;
  auto events = [&] {
    ++asked;
    return std::vector<sg::StoredEvent>{{0, "values", "{}"}};
  };
  CHECK(s.finish("c1", "me", "success", "{}", json::object(), now_ms(), false, false, events));
  CHECK(asked == 0);
  CHECK(s.events("c1", 0, 10).empty());
  REQUIRE(s.claim("me", now_ms(), 10000, kGraphs)->run_id == "c2");
  CHECK(s.finish("c2", "me", "success", "{}", json::object(), now_ms(), false, false, events));
  CHECK(asked == 1);
  CHECK(s.events("c2", 0, 10).size() == 1);
  // Newest first; a thread's deletion takes its runs along.
  const auto runs = s.runs("t1");
  REQUIRE(runs.size() == 4);
  CHECK(runs.front().run_id == "r5");
  CHECK(s.delete_thread("t1"));
  CHECK_FALSE(s.run("r5"));
  CHECK_FALSE(s.delete_thread("t1"));
}

void leases_and_cancels(sg::RunStore& s) {
  s.create_thread(thread_row("t"));
  s.create_run(run_row("r", "t"), "reject", json::object(), std::nullopt);
  const std::int64_t t0 = now_ms();
  REQUIRE(s.claim("dead", t0, 50, kGraphs));
  CHECK_FALSE(s.claim("alive", t0 + 10, 1000, kGraphs));  // the lease holds
  auto taken = s.claim("alive", t0 + 60, 1000, kGraphs);     // ... then runs out
  REQUIRE(taken);
  CHECK(taken->attempt == 2);
  CHECK(taken->owner == "alive");
  const std::vector<std::string> ids{"r"};
  CHECK_FALSE(s.renew("dead", ids, t0 + 5000).front().held);
  CHECK(s.renew("alive", ids, t0 + 5000).front().held);
  CHECK_FALSE(s.finish("r", "dead", "success", "{}", json::object(), now_ms()));
  // A cancel of a running run is a request its owner sees.
  auto c = s.cancel("r", "rollback", now_ms());
  CHECK(c.found);
  CHECK_FALSE(c.ended);
  CHECK(c.owner == "alive");
  CHECK(s.renew("alive", ids, t0 + 6000).front().cancel == "rollback");
  // Released (a graceful stop) with a cancel requested: it has ended.
  CHECK(s.finish("r", "alive", "", "{}", json::object(), now_ms(), false, true));
  CHECK(s.run("r")->status == "interrupted");
  // Released without: pending again, claimed at once by anyone, attempt counted.
  s.create_thread(thread_row("t3"));
  s.create_run(run_row("r7", "t3"), "reject", json::object(), std::nullopt);
  REQUIRE(s.claim("alive", now_ms(), 1000, kGraphs)->run_id == "r7");
  CHECK(s.finish("r7", "alive", "", "{}", json::object(), now_ms(), false, true));
  CHECK(s.run("r7")->status == "pending");
  // A run with not_before in the future waits.
  s.create_thread(thread_row("later"));
  auto later = run_row("l", "later");
  later.not_before_ms = now_ms() + 60000;
  s.create_run(later, "reject", json::object(), std::nullopt);
  const auto r = s.claim("x", now_ms(), 1000, kGraphs);
  REQUIRE(r);
  CHECK(r->run_id == "r7");
  CHECK(r->attempt == 2);
  CHECK_FALSE(s.claim("x", now_ms(), 1000, kGraphs));
  CHECK(s.cancel("l", "interrupt", now_ms()).ended);
  CHECK_FALSE(s.cancel("missing", "interrupt", now_ms()).found);
  // Events: appended once, read in order from any seq, pruned after the run ended.
  const std::vector<sg::StoredEvent> events{{0, "metadata", "{\"run_id\":\"r7\"}"}, {1, "values", "{\"a\":1}"}};
  s.append_events("r7", events);
  s.append_events("r7", events);  // again: no duplicates
  CHECK(s.events("r7", 0, 100).size() == 2);
  CHECK(s.events("r7", 1, 100).front().data == "{\"a\":1}");
  CHECK(s.next_event_seq("r7") == 2);
  CHECK(s.next_event_seq("none") == 0);
  CHECK(s.prune_events(now_ms() + 1000) == 0);  // r7 still runs
  CHECK(s.finish("r7", "x", "success", "{}", json::object(), now_ms()));
  CHECK(s.prune_events(now_ms() + 1000) == 2);
  CHECK(s.events("r7", 0, 100).empty());
  CHECK(s.delete_run("r7"));
  CHECK_FALSE(s.delete_run("r7"));
}

/// Two stores on one database (as two processes), four claimers each, 6 threads × 5 runs: every
/// run is claimed once, a thread never has two runs running, and its runs run in order.
void claims_under_contention(sg::RunStore& first_store, sg::RunStore& second_store) {
  sg::RunStore* first = &first_store;
  sg::RunStore* second = &second_store;
  for (int t = 0; t < 6; ++t) {
    const std::string thread = "t" + std::to_string(t);
    first->create_thread(thread_row(thread));
    for (int r = 0; r < 5; ++r)
      first->create_run(run_row(thread + "-" + std::to_string(r), thread), "enqueue", json::object(), std::nullopt);
  }
  std::mutex m;
  std::map<std::string, int> claimed;
  std::map<std::string, std::vector<std::string>> order;
  std::map<std::string, int> running;
  bool overlap = false;
  std::atomic<int> done{0};
  auto claimer = [&](sg::RunStore& s, const std::string& owner) {
    int idle = 0;
    while (done.load() < 30 && idle < 2000) {
      auto r = s.claim(owner, now_ms(), 30000, kGraphs);
      if (!r) {
        ++idle;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      {
        std::lock_guard lock(m);
        ++claimed[r->run_id];
        order[r->thread_id].push_back(r->run_id);
        if (++running[r->thread_id] > 1) overlap = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      {
        std::lock_guard lock(m);
        --running[r->thread_id];
      }
      CHECK(s.finish(r->run_id, owner, "success", "{}", json::object(), now_ms()));
      ++done;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(claimer, std::ref(*first), "a" + std::to_string(i));
    threads.emplace_back(claimer, std::ref(*second), "b" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  CHECK(done.load() == 30);
  CHECK(claimed.size() == 30);
  for (const auto& [id, n] : claimed) CHECK_MESSAGE(n == 1, id << " claimed " << n << " times");
  CHECK_FALSE(overlap);
  for (const auto& [thread, ids] : order) {
    std::vector<std::string> expected;
    for (int r = 0; r < 5; ++r) expected.push_back(thread + "-" + std::to_string(r));
    CHECK(ids == expected);
  }
}

}  // namespace

TEST_CASE("run store (memory): admission, strategies, claims, leases, cancels, events") {
  auto s = memory_store();
  CHECK(s->backend_name() == "memory");
  admission_and_strategies(*s);
  auto s2 = memory_store();
  leases_and_cancels(*s2);
}

TEST_CASE("run store (SQLite): admission, strategies, claims, leases, cancels, events") {
  auto s = sqlite_store(sqlite_path());
  CHECK(s->backend_name() == "sqlite");
  admission_and_strategies(*s);
  auto s2 = sqlite_store(sqlite_path());
  leases_and_cancels(*s2);
}

TEST_CASE("run store (SQLite): two stores on one file claim 30 runs under contention - once each, in order") {
  const auto path = sqlite_path();
  auto a = sqlite_store(path);
  auto b = sqlite_store(path);
  claims_under_contention(*a, *b);
}

TEST_CASE("run store (Postgres): admission, strategies, claims, leases, cancels, events") {
  auto s = postgres_store(sgtest::unique_schema("runs"));
  CHECK(s->backend_name() == "postgres");
  admission_and_strategies(*s);
  auto s2 = postgres_store(sgtest::unique_schema("runs"));
  leases_and_cancels(*s2);
}

TEST_CASE("run store (Postgres): two stores on one schema claim 30 runs under contention - once each, in order") {
  const std::string schema = sgtest::unique_schema("runs");
  auto a = postgres_store(schema);
  auto b = postgres_store(schema);
  claims_under_contention(*a, *b);
}

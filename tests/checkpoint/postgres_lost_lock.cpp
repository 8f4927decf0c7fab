// PostgresSaver's thread lock when the session holding it ends (a server restart, simulated here
// by pg_terminate_backend on the lock's own backend): ThreadLock::is_held turns false, and a run
// that lost its lock fails its next write with sg.saver.411 and writes nothing more, so the run
// that takes the thread next does not fork its history. Subgraph runs write under their root
// run's lock and are covered too.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <stategraph/stategraph.hpp>

#include "postgres_factory.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace {

using namespace std::chrono_literals;

struct Log {
  std::vector<std::string> log;
};

}  // namespace

template <>
struct sg::state_schema<Log> {
  static constexpr auto fields = sg::fields(sg::field<&Log::log>("log", sg::append));
};

namespace {

// Terminates the backend holding the advisory lock of (schema, thread_id) — the key as in
// postgres_thread_lock.cpp: hashtextextended(schema || chr(31) || thread_id, 0), which pg_locks
// shows as classid (high 32 bits) and objid (low 32 bits) with objsubid 1 — and waits until that
// backend is gone. Returns how many backends it terminated.
std::size_t terminate_lock_session(const std::string& schema, const std::string& thread_id) {
  auto c = sgtest::postgres_admin();
  pqxx::nontransaction tx(*c);
  const pqxx::result pids = tx.exec_params(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
      "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1 || chr(31) || $2, 0)",
      schema, thread_id);
  for (const auto& row : pids) {
    const int pid = row[0].as<int>();
    tx.exec_params("SELECT pg_terminate_backend($1)", pid);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (tx.exec_params("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0][0].as<int>() > 0) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(10ms);
    }
  }
  return static_cast<std::size_t>(pids.size());
}

std::string error_id_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    return e.id();
  } catch (const std::exception& e) {
    return std::string("other exception: ") + e.what();
  }
  return "no exception";
}

// Every stored checkpoint and pending write of the thread, in every namespace.
std::vector<sg::CheckpointTuple> everything(sg::BaseCheckpointSaver& saver, const std::string& thread) {
  std::vector<sg::CheckpointTuple> out;
  for (const auto& t : saver.list_threads({}))
    if (t.thread_id == thread)
      for (const auto& ns : t.namespaces)
        for (auto& tuple : saver.list({thread, ns, std::nullopt})) out.push_back(std::move(tuple));
  return out;
}

bool stores_value(const std::vector<sg::CheckpointTuple>& tuples, const std::string& value) {
  for (const auto& t : tuples) {
    for (const auto& w : t.pending_writes)
      if (w.value.dump().find(value) != std::string::npos) return true;
    const auto log = t.checkpoint.channel_values.find("log");
    if (log != t.checkpoint.channel_values.end() && log->second.dump().find(value) != std::string::npos) return true;
  }
  return false;
}

// No fork: within each namespace, no checkpoint is the parent of two.
void check_linear(const std::vector<sg::CheckpointTuple>& tuples) {
  std::set<std::pair<std::string, std::string>> parents;
  for (const auto& t : tuples) {
    if (!t.parent_config || !t.parent_config->checkpoint_id) continue;
    const auto key = std::make_pair(t.config.checkpoint_ns, *t.parent_config->checkpoint_id);
    CHECK_MESSAGE(parents.insert(key).second, "two checkpoints follow " << key.second << " in '" << key.first << "'");
  }
}

sg::RunConfig thread(sg::Durability d) {
  sg::RunConfig c;
  c.thread_id = "t";
  c.durability = d;
  c.thread_lock_wait = 10s;
  return c;
}

auto note(std::string name) {
  return [name](const Log&) { return sg::Update<Log>{sg::set<&Log::log>(name)}; };
}

}  // namespace

TEST_CASE("PostgresSaver a lock whose session ended is no longer held and the thread is free" * doctest::timeout(60)) {
  PostgresFactory f;
  auto saver = f.make();
  auto lock = saver->lock_thread("t", 0ms);
  REQUIRE(lock != nullptr);
  CHECK(lock->is_held());
  auto other_thread = saver->lock_thread("u", 0ms);

  REQUIRE(terminate_lock_session(f.schema->name, "t") == 1);
  CHECK_FALSE(lock->is_held());
  CHECK_FALSE(lock->is_held());    // lost stays lost
  CHECK(other_thread->is_held());  // another lock's session is its own

  // The server released the lock with the session: another holder takes the thread at once.
  auto next = saver->lock_thread("t", 0ms);
  REQUIRE(next != nullptr);
  CHECK(next->is_held());
  CHECK_FALSE(lock->is_held());
  lock.reset();  // releasing a lost lock neither throws nor releases the new holder's
  CHECK(next->is_held());
  CHECK(error_id_of([&] { (void)saver->lock_thread("t", 0ms); }) == "sg.saver.404");
  next.reset();
  CHECK(saver->lock_thread("t", 0ms) != nullptr);  // the saver's lock connections still work
}

TEST_CASE("PostgresSaver a run whose lock session ends mid-run fails with sg.saver.411 and does not fork the thread" *
          doctest::timeout(120)) {
  for (auto durability : {sg::Durability::sync, sg::Durability::async, sg::Durability::exit}) {
    CAPTURE(static_cast<int>(durability));
    PostgresFactory f;
    std::shared_ptr<sg::BaseCheckpointSaver> saver = f.make();
    bool lose_lock = true;
    std::size_t stored_before = 0;
    sg::StateGraph<Log> g;
    g.add_node("a", note("a"));
    g.add_node("b", [&](const Log&) {
      if (lose_lock) {
        stored_before = everything(*saver, "t").size();
        CHECK(terminate_lock_session(f.schema->name, "t") == 1);
      }
      return sg::Update<Log>{sg::set<&Log::log>("b")};
    });
    g.add_node("c", note("c"));
    g.add_edge(sg::START, "a").add_edge("a", "b").add_edge("b", "c").add_edge("c", sg::END);
    auto app = g.compile({.checkpointer = saver});
    const auto cfg = thread(durability);

    CHECK(error_id_of([&] { (void)app.invoke({sg::set<&Log::log>("in")}, cfg); }) == "sg.saver.411");
    const auto after = everything(*saver, "t");
    CHECK_FALSE(stores_value(after, "\"b\""));  // nothing written after the lock was lost
    CHECK_FALSE(stores_value(after, "\"c\""));
    if (durability == sg::Durability::sync) CHECK(after.size() == stored_before);
    if (durability == sg::Durability::exit) CHECK(after.empty());

    // The next run takes the thread (its lock is free) and continues one linear history.
    lose_lock = false;
    const auto done = app.invoke({sg::set<&Log::log>("again")}, cfg);
    CHECK(done.values.log.back() == "c");
    check_linear(everything(*saver, "t"));
  }
}

TEST_CASE("PostgresSaver a subgraph run stops writing when its root run lost the lock" * doctest::timeout(120)) {
  for (auto durability : {sg::Durability::sync, sg::Durability::async}) {
    CAPTURE(static_cast<int>(durability));
    PostgresFactory f;
    std::shared_ptr<sg::BaseCheckpointSaver> saver = f.make();
    bool lose_lock = true;
    sg::StateGraph<Log> team;
    team.add_node("s1", note("s1"));
    team.add_node("s2", [&](const Log&) {
      if (lose_lock) CHECK(terminate_lock_session(f.schema->name, "t") == 1);
      return sg::Update<Log>{sg::set<&Log::log>("s2")};
    });
    team.add_edge(sg::START, "s1").add_edge("s1", "s2").add_edge("s2", sg::END);
    sg::StateGraph<Log> outer;
    outer.add_node("plan", note("plan")).add_node("team", team.compile()).add_node("publish", note("publish"));
    outer.add_edge(sg::START, "plan").add_edge("plan", "team").add_edge("team", "publish").add_edge("publish", sg::END);
    auto app = outer.compile({.checkpointer = saver});
    const auto cfg = thread(durability);

    CHECK(error_id_of([&] { (void)app.invoke({sg::set<&Log::log>("in")}, cfg); }) == "sg.saver.411");
    const auto after = everything(*saver, "t");
    // The subgraph wrote under the lock before it was lost (async: maybe still queued then).
    if (durability == sg::Durability::sync) CHECK(stores_value(after, "\"s1\""));
    CHECK_FALSE(stores_value(after, "\"s2\""));
    CHECK_FALSE(stores_value(after, "\"publish\""));

    lose_lock = false;
    const auto done = app.invoke({sg::set<&Log::log>("again")}, cfg);
    CHECK(done.values.log.back() == "publish");
    check_linear(everything(*saver, "t"));
  }
}

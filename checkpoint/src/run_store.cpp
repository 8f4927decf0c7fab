// sg::RunStore (run_store.hpp): the run store's schema, SQL and rules, once for every backend
// (run_store_backend.hpp says how the SQL is written).
#include "stategraph/checkpoint/run_store.hpp"

#include <string>
#include <utility>

#include "run_store_backend.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {
namespace run_store_detail {

std::string fill_markers(std::string_view sql, bool postgres) {
  static constexpr std::pair<std::string_view, std::string_view> kMarkers[] = {
      {"{lock}", " FOR UPDATE"},
      {"{skip_locked}", " FOR UPDATE SKIP LOCKED"},
      {"{seq}", "BIGSERIAL PRIMARY KEY"},
      {"{instr}", "strpos"},
  };
  std::string out(sql);
  for (const auto& [marker, pg] : kMarkers) {
    std::string_view with = pg;
    if (!postgres) with = marker == "{seq}" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : marker == "{instr}" ? "instr" : "";
    for (std::size_t at = out.find(marker); at != std::string::npos; at = out.find(marker, at + with.size()))
      out.replace(at, marker.size(), with);
  }
  return out;
}

}  // namespace run_store_detail

namespace {

using run_store_detail::Row;
using run_store_detail::Tx;

// An active run: it runs, or waits to and was not cancelled.
#define SG_ACTIVE "(status = 'running' OR (status = 'pending' AND cancel = ''))"

constexpr std::string_view kSchema[] = {
    "CREATE TABLE IF NOT EXISTS sg_threads (thread_id TEXT PRIMARY KEY, created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL, doc TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sg_runs (seq {seq}, run_id TEXT NOT NULL UNIQUE, thread_id TEXT NOT NULL,"
    " graph_id TEXT NOT NULL, status TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, not_before_ms BIGINT NOT NULL,"
    " owner TEXT NOT NULL DEFAULT '', lease_until_ms BIGINT NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
    " cancel TEXT NOT NULL DEFAULT '', watched INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL,"
    " result TEXT NOT NULL DEFAULT '{}')",
    "CREATE INDEX IF NOT EXISTS sg_runs_thread ON sg_runs (thread_id, status, seq)",
    "CREATE INDEX IF NOT EXISTS sg_runs_status ON sg_runs (status, seq)",
    "CREATE TABLE IF NOT EXISTS sg_run_events (run_id TEXT NOT NULL, seq BIGINT NOT NULL, event TEXT NOT NULL,"
    " data TEXT NOT NULL, PRIMARY KEY (run_id, seq))",
};

constexpr std::string_view kThreadColumns = "thread_id, created_ms, updated_ms, doc, CASE WHEN EXISTS (SELECT 1 FROM "
                                            "sg_runs r WHERE r.thread_id = sg_threads.thread_id AND " SG_ACTIVE
                                            ") THEN 1 ELSE 0 END";
constexpr std::string_view kRunColumns =
    "seq, run_id, thread_id, graph_id, status, created_ms, updated_ms, not_before_ms, owner, lease_until_ms, attempt, cancel, "
    "doc, result, watched";

std::int64_t to_int(const std::string& s) { return s.empty() ? 0 : std::stoll(s); }

nlohmann::json parse_doc(const std::string& text, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw SaverCorrupt("the run store's " + std::string(what) + " is not valid JSON");
  return j;
}

StoredThread thread_of(const Row& r) {
  StoredThread t;
  t.thread_id = r[0];
  t.created_ms = to_int(r[1]);
  t.updated_ms = to_int(r[2]);
  t.doc = parse_doc(r[3], "thread row " + r[0]);
  t.busy = r[4] == "1";
  return t;
}

StoredRun run_of(const Row& r) {
  StoredRun run;
  run.seq = to_int(r[0]);
  run.run_id = r[1];
  run.thread_id = r[2];
  run.graph_id = r[3];
  run.status = r[4];
  run.created_ms = to_int(r[5]);
  run.updated_ms = to_int(r[6]);
  run.not_before_ms = to_int(r[7]);
  run.owner = r[8];
  run.lease_until_ms = to_int(r[9]);
  run.attempt = static_cast<int>(to_int(r[10]));
  run.cancel = r[11];
  run.doc = parse_doc(r[12], "run row " + r[1]);
  run.result = parse_doc(r[13], "run result " + r[1]);
  run.watched = r[14] != "0";
  return run;
}

std::string sql(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string s(a);
  s += b;
  s += c;
  return s;
}

void insert_event(Tx& tx, std::string_view run_id, const StoredEvent& e) {
  tx.exec("INSERT INTO sg_run_events (run_id, seq, event, data) VALUES ($1, $2, $3, $4)"
          " ON CONFLICT (run_id, seq) DO NOTHING",
          {run_id, e.seq, e.event, e.data});
}

void delete_run_rows(Tx& tx, std::string_view run_id) {
  tx.exec("DELETE FROM sg_run_events WHERE run_id = $1", {run_id});
  tx.exec("DELETE FROM sg_runs WHERE run_id = $1", {run_id});
}

/// Merge-patches the thread's document (row locked). @returns false when the thread is missing.
bool patch_thread_doc(Tx& tx, std::string_view thread_id, const nlohmann::json& patch, std::int64_t now_ms) {
  const auto rows = tx.query("SELECT doc FROM sg_threads WHERE thread_id = $1{lock}", {thread_id});
  if (rows.empty()) return false;
  nlohmann::json doc = parse_doc(rows[0][0], "thread row " + std::string(thread_id));
  if (patch.is_object() && !patch.empty()) doc.merge_patch(patch);
  const std::string text = doc.dump();
  tx.exec("UPDATE sg_threads SET doc = $2, updated_ms = $3 WHERE thread_id = $1", {thread_id, text, now_ms});
  return true;
}

}  // namespace

RunStore::RunStore(std::unique_ptr<run_store_detail::Backend> backend) : backend_(std::move(backend)) {
  const bool postgres = backend_->name() == "postgres";
  backend_->transact(true, [&](Tx& tx) {
    // Two processes creating the tables at once would collide on Postgres' catalog.
    if (postgres) tx.query("SELECT pg_advisory_xact_lock(7294630181)", {});
    for (const auto& statement : backend_->setup()) tx.exec(statement, {});
    for (const auto& statement : kSchema) tx.exec(run_store_detail::fill_markers(statement, postgres), {});
  });
}

RunStore::~RunStore() = default;

std::string_view RunStore::backend_name() const noexcept { return backend_->name(); }

// Threads -------------------------------------------------------------------------------------

bool RunStore::create_thread(const StoredThread& thread) {
  bool created = false;
  const std::string doc = thread.doc.dump();
  backend_->transact(true, [&](Tx& tx) {
    created = tx.exec("INSERT INTO sg_threads (thread_id, created_ms, updated_ms, doc) VALUES ($1, $2, $3, $4)"
                      " ON CONFLICT (thread_id) DO NOTHING",
                      {thread.thread_id, thread.created_ms, thread.updated_ms, doc}) > 0;
  });
  return created;
}

std::optional<StoredThread> RunStore::thread(std::string_view thread_id) {
  std::optional<StoredThread> out;
  backend_->transact(false, [&](Tx& tx) {
    const auto rows = tx.query(sql("SELECT ", kThreadColumns, " FROM sg_threads WHERE thread_id = $1"), {thread_id});
    out = rows.empty() ? std::nullopt : std::optional(thread_of(rows[0]));
  });
  return out;
}

std::vector<StoredThread> RunStore::threads() {
  std::vector<StoredThread> out;
  backend_->transact(false, [&](Tx& tx) {
    out.clear();
    for (const auto& r : tx.query(sql("SELECT ", kThreadColumns, " FROM sg_threads ORDER BY updated_ms DESC, thread_id"), {}))
      out.push_back(thread_of(r));
  });
  return out;
}

std::optional<StoredThread> RunStore::patch_thread(std::string_view thread_id, const nlohmann::json& merge_patch,
                                                   std::int64_t now_ms) {
  std::optional<StoredThread> out;
  backend_->transact(true, [&](Tx& tx) {
    out.reset();
    if (!patch_thread_doc(tx, thread_id, merge_patch, now_ms)) return;
    out = thread_of(tx.query(sql("SELECT ", kThreadColumns, " FROM sg_threads WHERE thread_id = $1"), {thread_id})[0]);
  });
  return out;
}

bool RunStore::delete_thread(std::string_view thread_id) {
  bool existed = false;
  backend_->transact(true, [&](Tx& tx) {
    tx.exec("DELETE FROM sg_run_events WHERE run_id IN (SELECT run_id FROM sg_runs WHERE thread_id = $1)", {thread_id});
    const std::size_t runs = tx.exec("DELETE FROM sg_runs WHERE thread_id = $1", {thread_id});
    existed = tx.exec("DELETE FROM sg_threads WHERE thread_id = $1", {thread_id}) > 0 || runs > 0;
  });
  return existed;
}

// Runs ----------------------------------------------------------------------------------------

RunStore::Admission RunStore::create_run(const StoredRun& run, std::string_view multitask_strategy,
                                         const nlohmann::json& thread_patch,
                                         const std::optional<StoredThread>& create_thread, std::string_view claim_owner,
                                         std::int64_t lease_until_ms) {
  Admission out;
  const std::string doc = run.doc.dump();
  const std::string new_thread_doc = create_thread ? create_thread->doc.dump() : std::string();
  backend_->transact(true, [&](Tx& tx) {
    out = {};
    if (create_thread)
      tx.exec("INSERT INTO sg_threads (thread_id, created_ms, updated_ms, doc) VALUES ($1, $2, $3, $4)"
              " ON CONFLICT (thread_id) DO NOTHING",
              {create_thread->thread_id, create_thread->created_ms, create_thread->updated_ms, new_thread_doc});
    // The thread row's lock serialises admissions of one thread across processes.
    if (tx.query("SELECT thread_id FROM sg_threads WHERE thread_id = $1{lock}", {run.thread_id}).empty()) {
      out.thread_missing = true;
      return;
    }
    const auto active = tx.query("SELECT run_id, status FROM sg_runs WHERE thread_id = $1 AND " SG_ACTIVE
                                 " ORDER BY seq{lock}",
                                 {run.thread_id});
    if (!active.empty()) {
      if (multitask_strategy == "reject") {
        out.rejected = true;
        return;
      }
      if (multitask_strategy == "interrupt" || multitask_strategy == "rollback") {
        for (const auto& a : active) {
          if (a[1] == "pending") {
            if (multitask_strategy == "rollback") delete_run_rows(tx, a[0]);
            else tx.exec("UPDATE sg_runs SET status = 'interrupted', cancel = $2, updated_ms = $3 WHERE run_id = $1",
                         {a[0], multitask_strategy, run.created_ms});
            out.ended.push_back(a[0]);
          } else {
            tx.exec("UPDATE sg_runs SET cancel = $2 WHERE run_id = $1", {a[0], multitask_strategy});
            out.stopping.push_back(a[0]);
          }
        }
      }
    }
    // Claimed here only when no older run could start now: a run admitted later never starts
    // before one that waits (first come, first served across the processes).
    out.claimed = !claim_owner.empty() && active.empty() && run.not_before_ms <= run.created_ms &&
                  tx.query("SELECT 1 FROM sg_runs r WHERE r.status = 'pending' AND r.cancel = '' AND r.not_before_ms <= $1"
                           " AND NOT EXISTS (SELECT 1 FROM sg_runs o WHERE o.thread_id = r.thread_id AND o.status = 'running')"
                           " LIMIT 1",
                           {run.created_ms})
                      .empty();
    out.seq = tx.insert_seq(
        "INSERT INTO sg_runs (run_id, thread_id, graph_id, status, created_ms, updated_ms, not_before_ms, doc, owner,"
        " lease_until_ms, attempt, watched) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11)",
        {run.run_id, run.thread_id, run.graph_id, out.claimed ? "running" : "pending", run.created_ms,
         run.not_before_ms, doc, out.claimed ? claim_owner : std::string_view(), out.claimed ? lease_until_ms : 0,
         std::int64_t{out.claimed ? 1 : 0}, std::int64_t{!out.claimed && run.watched ? 1 : 0}});
    patch_thread_doc(tx, run.thread_id, thread_patch, run.created_ms);
  });
  return out;
}

std::optional<StoredRun> RunStore::run(std::string_view run_id) {
  std::optional<StoredRun> out;
  backend_->transact(false, [&](Tx& tx) {
    const auto rows = tx.query(sql("SELECT ", kRunColumns, " FROM sg_runs WHERE run_id = $1"), {run_id});
    out = rows.empty() ? std::nullopt : std::optional(run_of(rows[0]));
  });
  return out;
}

std::vector<StoredRun> RunStore::runs(std::string_view thread_id) {
  std::vector<StoredRun> out;
  backend_->transact(false, [&](Tx& tx) {
    out.clear();
    for (const auto& r : tx.query(sql("SELECT ", kRunColumns, " FROM sg_runs WHERE thread_id = $1 ORDER BY seq DESC"),
                                  {thread_id}))
      out.push_back(run_of(r));
  });
  return out;
}

std::vector<StoredRun> RunStore::active_runs() {
  std::vector<StoredRun> out;
  backend_->transact(false, [&](Tx& tx) {
    out.clear();
    for (const auto& r :
         tx.query(sql("SELECT ", kRunColumns, " FROM sg_runs WHERE status IN ('pending', 'running') ORDER BY seq"), {}))
      out.push_back(run_of(r));
  });
  return out;
}

std::optional<StoredRun> RunStore::claim(std::string_view owner, std::int64_t now_ms, std::int64_t lease_ms,
                                         std::span<const std::string> graph_ids, bool look_first) {
  std::string graphs = ",";  // ",a,b,": a run's graph is served when ",<graph_id>," is in it
  for (const auto& g : graph_ids) graphs += g + ",";
  std::optional<StoredRun> out;
  const std::int64_t until = now_ms + lease_ms;
  // A read first: an idle worker's poll takes no write lock.
  bool any = !look_first;
  if (look_first) backend_->transact(false, [&](Tx& tx) {
    any = !tx.query("SELECT 1 FROM sg_runs WHERE ((status = 'pending' AND cancel = '' AND not_before_ms <= $1)"
                    " OR (status = 'running' AND lease_until_ms < $1)) AND {instr}($2, ',' || graph_id || ',') > 0 LIMIT 1",
                    {now_ms, graphs})
               .empty();
  });
  if (!any) return std::nullopt;
  backend_->transact(true, [&](Tx& tx) {
    const auto rows = tx.query(
        sql("UPDATE sg_runs SET status = 'running', owner = $2, lease_until_ms = $3, attempt = attempt + 1,"
            " updated_ms = $1 WHERE seq = (SELECT r.seq FROM sg_runs r WHERE"
            " ((r.status = 'pending' AND r.cancel = '' AND r.not_before_ms <= $1"
            " AND NOT EXISTS (SELECT 1 FROM sg_runs o WHERE o.thread_id = r.thread_id AND o.seq < r.seq AND"
            " (o.status = 'running' OR (o.status = 'pending' AND o.cancel = '')))"
            " AND NOT EXISTS (SELECT 1 FROM sg_runs o WHERE o.thread_id = r.thread_id AND o.status = 'running'))"
            " OR (r.status = 'running' AND r.lease_until_ms < $1))"
            " AND {instr}($4, ',' || r.graph_id || ',') > 0"
            " ORDER BY r.seq LIMIT 1{skip_locked}) RETURNING ",
            kRunColumns),
        {now_ms, owner, until, graphs});
    out = rows.empty() ? std::nullopt : std::optional(run_of(rows[0]));
  });
  return out;
}

std::vector<RunStore::Lease> RunStore::renew(std::string_view owner, std::span<const std::string> run_ids,
                                             std::int64_t until_ms) {
  std::vector<Lease> out;
  if (run_ids.empty()) return out;
  backend_->transact(true, [&](Tx& tx) {
    out.clear();
    for (const auto& id : run_ids) {
      const auto rows = tx.query("UPDATE sg_runs SET lease_until_ms = $3 WHERE run_id = $1 AND owner = $2 AND"
                                 " status = 'running' RETURNING cancel",
                                 {id, owner, until_ms});
      out.push_back({id, !rows.empty(), rows.empty() ? std::string() : rows[0][0]});
    }
  });
  return out;
}

std::vector<RunStore::Request> RunStore::requests(std::string_view owner) {
  std::vector<Request> out;
  backend_->transact(false, [&](Tx& tx) {
    out.clear();
    for (const auto& r : tx.query("SELECT run_id, cancel, watched FROM sg_runs WHERE owner = $1 AND status = 'running'"
                                  " AND (cancel <> '' OR watched <> 0)",
                                  {owner}))
      out.push_back({r[0], r[1], r[2] != "0"});
  });
  return out;
}

void RunStore::watch(std::string_view run_id) {
  backend_->transact(true, [&](Tx& tx) {
    tx.exec("UPDATE sg_runs SET watched = 1 WHERE run_id = $1 AND watched = 0", {run_id});
  });
}

bool RunStore::finish(std::string_view run_id, std::string_view owner, std::string_view status,
                      std::string_view result_json, const nlohmann::json& thread_patch, std::int64_t now_ms, bool erase,
                      bool release, const std::function<std::vector<StoredEvent>()>& events_if_watched) {
  bool held = false;
  backend_->transact(true, [&](Tx& tx) {
    const auto rows = tx.query(
        "SELECT thread_id, watched FROM sg_runs WHERE run_id = $1 AND owner = $2 AND status = 'running'{lock}",
        {run_id, owner});
    held = !rows.empty();
    if (!held) return;
    if (rows[0][1] != "0" && events_if_watched)
      for (const auto& e : events_if_watched()) insert_event(tx, run_id, e);
    if (release) {
      // Unless somebody asked it to stop meanwhile: then it has ended.
      tx.exec("UPDATE sg_runs SET status = CASE WHEN cancel = '' THEN 'pending' ELSE 'interrupted' END, owner = '',"
              " lease_until_ms = 0, updated_ms = $2 WHERE run_id = $1",
              {run_id, now_ms});
      return;
    }
    if (erase) delete_run_rows(tx, run_id);
    else tx.exec("UPDATE sg_runs SET status = $2, result = $3, updated_ms = $4, lease_until_ms = 0 WHERE run_id = $1",
                 {run_id, status, result_json, now_ms});
    patch_thread_doc(tx, rows[0][0], thread_patch, now_ms);
  });
  return held;
}

RunStore::Cancel RunStore::cancel(std::string_view run_id, std::string_view action, std::int64_t now_ms) {
  Cancel out;
  backend_->transact(true, [&](Tx& tx) {
    out = {};
    const auto rows = tx.query("SELECT status, owner FROM sg_runs WHERE run_id = $1{lock}", {run_id});
    if (rows.empty()) return;
    out.found = true;
    if (rows[0][0] == "pending") {
      if (action == "rollback") delete_run_rows(tx, run_id);
      else tx.exec("UPDATE sg_runs SET status = 'interrupted', cancel = $2, updated_ms = $3 WHERE run_id = $1",
                   {run_id, action, now_ms});
      out.ended = true;
    } else if (rows[0][0] == "running") {
      tx.exec("UPDATE sg_runs SET cancel = $2 WHERE run_id = $1", {run_id, action});
      out.owner = rows[0][1];
    }
  });
  return out;
}

bool RunStore::delete_run(std::string_view run_id) {
  bool existed = false;
  backend_->transact(true, [&](Tx& tx) {
    tx.exec("DELETE FROM sg_run_events WHERE run_id = $1", {run_id});
    existed = tx.exec("DELETE FROM sg_runs WHERE run_id = $1", {run_id}) > 0;
  });
  return existed;
}

// Events --------------------------------------------------------------------------------------

void RunStore::append_events(std::string_view run_id, std::span<const StoredEvent> events) {
  if (events.empty()) return;
  backend_->transact(true, [&](Tx& tx) {
    for (const auto& e : events) insert_event(tx, run_id, e);
  });
}

std::vector<StoredEvent> RunStore::events(std::string_view run_id, std::int64_t from, std::size_t limit) {
  std::vector<StoredEvent> out;
  backend_->transact(false, [&](Tx& tx) {
    out.clear();
    for (const auto& r : tx.query("SELECT seq, event, data FROM sg_run_events WHERE run_id = $1 AND seq >= $2"
                                  " ORDER BY seq LIMIT $3",
                                  {run_id, from, static_cast<std::int64_t>(limit)}))
      out.push_back({to_int(r[0]), r[1], r[2]});
  });
  return out;
}

std::int64_t RunStore::next_event_seq(std::string_view run_id) {
  std::int64_t out = 0;
  backend_->transact(false, [&](Tx& tx) {
    out = to_int(tx.query("SELECT COALESCE(MAX(seq) + 1, 0) FROM sg_run_events WHERE run_id = $1", {run_id}).at(0).at(0));
  });
  return out;
}

std::size_t RunStore::prune_events(std::int64_t ended_before_ms) {
  std::size_t out = 0;
  backend_->transact(true, [&](Tx& tx) {
    out = tx.exec("DELETE FROM sg_run_events WHERE run_id IN (SELECT run_id FROM sg_runs WHERE status IN"
                  " ('success', 'error', 'interrupted') AND updated_ms < $1)",
                  {ended_before_ms});
  });
  return out;
}

}  // namespace sg

// PostgresSaver: the saver's calls as SQL (one statement each where possible) and the decoding of
// what they return. Connections, retries and error translation: postgres_connection.cpp; tables
// and migrations: postgres_schema.cpp.

#include "stategraph/checkpoint/postgres_saver.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "postgres_connection.hpp"
#include "postgres_schema.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

namespace {

using nlohmann::json;

SaverError invalid_argument(std::string_view message) { return SaverError("sg.saver.403", message); }

const std::string* named_id(const CheckpointConfig& config) {
  return config.checkpoint_id && !config.checkpoint_id->empty() ? &*config.checkpoint_id : nullptr;
}

// A Postgres array literal ({"a","b",NULL}) built element by element; every element is quoted,
// so any text (JSON included) is carried exactly.
class ArrayLiteral {
 public:
  ArrayLiteral() { text_.push_back('{'); }
  void add(std::string_view element) {
    separate();
    text_.push_back('"');
    for (const char c : element) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
  }
  void add_null() {
    separate();
    text_ += "NULL";
  }
  std::string finish() {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  void separate() {
    if (text_.size() > 1) text_.push_back(',');
  }
  std::string text_;
};

// jsonb cannot hold U+0000; LangGraph strips it from metadata too (get_checkpoint_metadata).
json without_nul(const json& j) {
  auto strip = [](const std::string& s) {
    std::string out = s;
    std::erase(out, '\0');
    return out;
  };
  if (j.is_string()) return strip(j.get_ref<const std::string&>());
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(without_nul(v));
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items()) out[strip(k)] = without_nul(v);
    return out;
  }
  return j;
}

std::string dump_value(const json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    throw invalid_argument(std::string(what) + " cannot be stored as JSON: " + e.what());
  }
}

constexpr std::string_view kNoLimit = "9223372036854775807";

// list() variants: one prepared statement per combination of these flags.
enum ListFlags : unsigned { kByThread = 1, kById = 2, kBefore = 4, kFilter = 8, kNoValues = 16, kListVariants = 32 };

std::string list_statement_name(unsigned flags) { return "sg_list_" + std::to_string(flags); }

// One statement returns the checkpoints, every value (and delta base) they refer to, and their
// pending writes, as rows tagged by `kind`:
//   0: thread_id, checkpoint_id, parent_checkpoint_id, ts, v, channel_versions, versions_seen, metadata,
//      delta_chains
//   1: thread_id, channel, version, base, keep, value
//   2: thread_id, checkpoint_id, task_id, channel, idx, value
// Every lookup is a LATERAL subquery on a primary key, kept from being flattened into a join by
// LIMIT 1 / OFFSET 0, so each is an index probe whatever the planner thinks of the tables' sizes
// (a hash join would read the rows of every thread).
// Values reached through delta bases are collected by a recursive walk; UNION visits each
// (thread, channel, version) once however many checkpoints share it. A damaged channel_versions
// (not an object) is passed over here so that the row reaches the decoder, which reports it as
// SaverCorrupt, instead of failing the whole statement.
std::string list_sql(const std::string& s, unsigned flags) {
  int n = 0;
  auto param = [&n] { return "$" + std::to_string(++n); };
  std::string where;
  if ((flags & kByThread) != 0) where += "thread_id = " + param() + " AND ";
  const std::string ns = param();
  where += "checkpoint_ns = " + ns;
  if ((flags & kById) != 0) where += " AND checkpoint_id = " + param();
  if ((flags & kBefore) != 0) where += " AND checkpoint_id < " + param();
  if ((flags & kFilter) != 0) {
    where += " AND NOT EXISTS (SELECT 1 FROM jsonb_each(" + param() +
             "::jsonb) f WHERE metadata -> f.key IS DISTINCT FROM f.value)";
  }
  const std::string limit = param();
  const std::string order = (flags & kByThread) != 0 ? "checkpoint_id DESC" : "checkpoint_id DESC, thread_id";
  const bool values = (flags & kNoValues) == 0;
  std::string sql = "WITH RECURSIVE c AS (SELECT thread_id, checkpoint_id, parent_checkpoint_id, v, ts, channel_versions, "
         "versions_seen, metadata, delta_chains FROM " + s + ".sg_checkpoints WHERE " + where + " ORDER BY " + order +
         " LIMIT " + limit + ")";
  if (values) {
    sql += ",\n"
         "k(thread_id, channel, version) AS (\n"
         "  SELECT c.thread_id, e.key COLLATE \"C\", e.value COLLATE \"C\" FROM c, json_each_text(CASE WHEN "
         "json_typeof(c.channel_versions) = 'object' THEN c.channel_versions ELSE '{}' END) e\n"
         "  UNION\n"
         "  SELECT k.thread_id, k.channel, b.base FROM k, LATERAL (SELECT base FROM " + s + ".sg_blobs b WHERE "
         "b.thread_id = k.thread_id AND b.checkpoint_ns = " + ns + " AND b.channel = k.channel AND b.version = k.version LIMIT 1) b "
         "WHERE b.base IS NOT NULL)";
  }
  sql += "\nSELECT 0 AS kind, c.thread_id, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.v::bigint, "
         "c.channel_versions::text, c.versions_seen::text, c.metadata::text, c.delta_chains::text FROM c\n";
  if (values) {
    sql += "UNION ALL\n"
         "SELECT 1, k.thread_id, k.channel, k.version, b.base, b.keep, b.value, NULL, NULL, NULL FROM k, LATERAL (SELECT base, "
         "keep, value::text FROM " + s + ".sg_blobs b WHERE b.thread_id = k.thread_id AND b.checkpoint_ns = " + ns +
         " AND b.channel = k.channel AND b.version = k.version LIMIT 1) b\n";
  }
  sql += "UNION ALL\n"
         "SELECT 2, c.thread_id, c.checkpoint_id, w.task_id, w.channel, w.idx::bigint, w.value, NULL, NULL, NULL FROM c, "
         "LATERAL (SELECT task_id, channel, idx, value::text FROM " + s + ".sg_writes w WHERE w.thread_id = c.thread_id "
         "AND w.checkpoint_ns = " + ns + " AND w.checkpoint_id = c.checkpoint_id OFFSET 0) w";
  return sql;
}

std::vector<std::pair<std::string, std::string>> statements(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  // put: the changed values (ON CONFLICT DO NOTHING: a value is immutable per version), the
  // checkpoint row and, when $15 (parent_writes_applied), the deletion of the parent's value writes
  // (idx >= 0: its special writes stay for history), in one statement and so in one transaction.
  out.emplace_back("sg_put",
                   "WITH blobs AS (INSERT INTO " + s + ".sg_blobs (thread_id, checkpoint_ns, channel, version, base, "
                   "keep, value) SELECT $1, $2, b.channel, b.version, b.base, b.keep, b.value FROM "
                   "unnest($10::text[], $11::text[], $12::text[], $13::bigint[], $14::json[]) AS "
                   "b(channel, version, base, keep, value) ON CONFLICT DO NOTHING),\n"
                   "applied AS (DELETE FROM " + s + ".sg_writes WHERE $15::boolean AND thread_id = $1 AND "
                   "checkpoint_ns = $2 AND checkpoint_id = $4 AND idx >= 0)\n"
                   "INSERT INTO " + s + ".sg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
                   "parent_checkpoint_id, v, ts, channel_versions, versions_seen, metadata, delta_chains) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $16) "
                   "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET "
                   "parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, v = EXCLUDED.v, ts = EXCLUDED.ts, "
                   "channel_versions = EXCLUDED.channel_versions, versions_seen = EXCLUDED.versions_seen, "
                   "metadata = EXCLUDED.metadata, delta_chains = EXCLUDED.delta_chains");
  // put_writes: insert-if-absent per (task_id, idx); the special channels (idx < 0) replace.
  out.emplace_back("sg_put_writes",
                   "INSERT INTO " + s + ".sg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, "
                   "channel, value) SELECT $1, $2, $3, $4, w.idx, w.channel, w.value FROM "
                   "unnest($5::integer[], $6::text[], $7::json[]) AS w(idx, channel, value) "
                   "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET "
                   "channel = EXCLUDED.channel, value = EXCLUDED.value WHERE EXCLUDED.idx < 0");
  out.emplace_back("sg_latest", "SELECT checkpoint_id FROM " + s +
                                    ".sg_checkpoints WHERE thread_id = $1 AND checkpoint_ns = $2 "
                                    "ORDER BY checkpoint_id DESC LIMIT 1");
  out.emplace_back("sg_delete_thread", "WITH w AS (DELETE FROM " + s + ".sg_writes WHERE thread_id = $1), "
                                       "b AS (DELETE FROM " + s + ".sg_blobs WHERE thread_id = $1) "
                                       "DELETE FROM " + s + ".sg_checkpoints WHERE thread_id = $1");
  // prune, step 1: the doomed checkpoints (never the newest of a namespace) and their writes.
  out.emplace_back("sg_prune_checkpoints",
                   "WITH ranked AS (SELECT checkpoint_ns, checkpoint_id, row_number() OVER (PARTITION BY "
                   "checkpoint_ns ORDER BY checkpoint_id DESC) AS rn FROM " + s + ".sg_checkpoints "
                   "WHERE thread_id = $1),\n"
                   "doomed AS (SELECT checkpoint_ns, checkpoint_id FROM ranked WHERE rn > 1 AND "
                   "(($2::bigint IS NOT NULL AND rn > $2::bigint) OR ($3::text IS NOT NULL AND checkpoint_id < $3::text))),\n"
                   "w AS (DELETE FROM " + s + ".sg_writes w USING doomed d WHERE w.thread_id = $1 AND "
                   "w.checkpoint_ns = d.checkpoint_ns AND w.checkpoint_id = d.checkpoint_id)\n"
                   "DELETE FROM " + s + ".sg_checkpoints c USING doomed d WHERE c.thread_id = $1 AND "
                   "c.checkpoint_ns = d.checkpoint_ns AND c.checkpoint_id = d.checkpoint_id");
  // prune, step 2: values no remaining checkpoint refers to, directly or as a delta base.
  out.emplace_back("sg_prune_blobs",
                   "WITH RECURSIVE live(checkpoint_ns, channel, version) AS (\n"
                   "  SELECT c.checkpoint_ns, e.key COLLATE \"C\", e.value COLLATE \"C\" FROM " + s +
                   ".sg_checkpoints c, json_each_text(c.channel_versions) e WHERE c.thread_id = $1\n"
                   "  UNION\n"
                   "  SELECT b.checkpoint_ns, b.channel, b.base FROM live l JOIN " + s + ".sg_blobs b ON "
                   "b.thread_id = $1 AND b.checkpoint_ns = l.checkpoint_ns AND b.channel = l.channel AND "
                   "b.version = l.version WHERE b.base IS NOT NULL)\n"
                   "DELETE FROM " + s + ".sg_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (SELECT 1 FROM live l "
                   "WHERE l.checkpoint_ns = b.checkpoint_ns AND l.channel = b.channel AND l.version = b.version)");
  out.emplace_back("sg_thread_exists", "SELECT EXISTS (SELECT 1 FROM " + s + ".sg_checkpoints WHERE thread_id = $1) "
                                       "OR EXISTS (SELECT 1 FROM " + s + ".sg_writes WHERE thread_id = $1) "
                                       "OR EXISTS (SELECT 1 FROM " + s + ".sg_blobs WHERE thread_id = $1)");
  out.emplace_back("sg_copy_thread",
                   "WITH c AS (INSERT INTO " + s + ".sg_checkpoints SELECT $2, checkpoint_ns, checkpoint_id, "
                   "parent_checkpoint_id, v, ts, channel_versions, versions_seen, metadata, delta_chains FROM " + s +
                   ".sg_checkpoints WHERE thread_id = $1),\n"
                   "b AS (INSERT INTO " + s + ".sg_blobs SELECT $2, checkpoint_ns, channel, version, base, keep, value "
                   "FROM " + s + ".sg_blobs WHERE thread_id = $1)\n"
                   "INSERT INTO " + s + ".sg_writes SELECT $2, checkpoint_ns, checkpoint_id, task_id, idx, channel, "
                   "value FROM " + s + ".sg_writes WHERE thread_id = $1");
  // lock_thread: a session advisory lock per (schema, thread); a 64-bit key space of its own
  // (the migration lock uses the two-int form).
  out.emplace_back("sg_try_lock", "SELECT pg_try_advisory_lock(hashtextextended($1, 0))");
  out.emplace_back("sg_unlock", "SELECT pg_advisory_unlock(hashtextextended($1, 0))");
  for (unsigned flags = 0; flags < kListVariants; ++flags) out.emplace_back(list_statement_name(flags), list_sql(s, flags));
  return out;
}

// ---------------------------------------------------------------------------------- decoding

std::string_view view(const pqxx::field& f) { return {f.c_str(), f.size()}; }

std::string key_of(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string k;
  k.reserve(a.size() + b.size() + c.size() + 2);
  k.append(a).push_back('\0');
  k.append(b).push_back('\0');
  k.append(c);
  return k;
}

// Turns the rows of a list statement into tuples, resolving deltas; throws SaverCorrupt when a
// row does not parse or a referenced value is missing.
class ListDecoder {
 public:
  ListDecoder(const std::string& schema, const std::string& ns, bool values = true)
      : schema_(schema), ns_(ns), values_(values) {}

  std::vector<CheckpointTuple> decode(const pqxx::result& r) {
    struct CheckpointRow {
      std::string_view thread, id, parent, ts, channel_versions, versions_seen, metadata, delta_chains;
      bool has_parent, has_delta_chains;
      long long v;
    };
    std::vector<CheckpointRow> checkpoints;
    for (const auto& row : r) {
      const int kind = row[0].as<int>();
      const std::string_view thread = view(row[1]);
      if (kind == 0) {
        checkpoints.push_back({thread, view(row[2]), view(row[3]), view(row[4]), view(row[6]), view(row[7]),
                               view(row[8]), view(row[9]), !row[3].is_null(), !row[9].is_null(),
                               row[5].as<long long>()});
      } else if (kind == 1) {
        Blob blob;
        blob.has_base = !row[4].is_null();
        blob.base = view(row[4]);
        blob.keep = row[5].is_null() ? 0 : row[5].as<long long>();
        blob.value = view(row[6]);
        blobs_.emplace(key_of(thread, view(row[2]), view(row[3])), blob);
      } else {
        writes_[key_of(thread, view(row[2]))].push_back(
            {view(row[3]), view(row[4]), view(row[6]), static_cast<int>(row[5].as<long long>())});
      }
    }
    std::sort(checkpoints.begin(), checkpoints.end(), [](const CheckpointRow& a, const CheckpointRow& b) {
      return a.id != b.id ? a.id > b.id : a.thread < b.thread;
    });

    // Built oldest first, so that a value is copied from the tuple that already holds it (or its
    // delta base) rather than rebuilt: one copy per tuple, as the result needs anyway. `out` is
    // sized up front; the addresses of its values stay valid while it fills.
    std::vector<CheckpointTuple> out(checkpoints.size());
    for (std::size_t i = checkpoints.size(); i-- > 0;) {
      const CheckpointRow& row = checkpoints[i];
      CheckpointTuple& t = out[i];
      t.config = CheckpointConfig{std::string(row.thread), ns_, std::string(row.id)};
      Checkpoint& c = t.checkpoint;
      c.id = row.id;
      c.ts = row.ts;
      c.v = static_cast<int>(row.v);
      thread_ = row.thread;
      checkpoint_ = row.id;
      try {
        parse(row.channel_versions, "channel_versions").get_to(c.channel_versions);
        parse(row.versions_seen, "versions_seen").get_to(c.versions_seen);
        t.metadata = parse(row.metadata, "metadata");
        if (row.has_delta_chains) c.delta_chains = parse(row.delta_chains, "delta_chains");
      } catch (const json::exception& e) {
        throw corrupt(std::string("its channel_versions or versions_seen has the wrong shape: ") + e.what());
      }
      upgrade_checkpoint(c, t.metadata);
      for (const auto& [channel, version] : c.channel_versions) {
        if (!values_) break;
        const auto value = c.channel_values.emplace_hint(c.channel_values.end(), channel, resolve(channel, version));
        built_.insert_or_assign(key_of(thread_, channel, version), &value->second);
      }
      if (row.has_parent) t.parent_config = CheckpointConfig{std::string(row.thread), ns_, std::string(row.parent)};
      if (const auto w = writes_.find(key_of(row.thread, row.id)); w != writes_.end()) {
        auto& rows = w->second;
        std::sort(rows.begin(), rows.end(), [](const WriteRow& a, const WriteRow& b) {
          return a.task != b.task ? a.task < b.task : a.idx < b.idx;
        });
        t.pending_writes.reserve(rows.size());
        for (const WriteRow& wr : rows) {
          t.pending_writes.push_back({std::string(wr.task), std::string(wr.channel), parse(wr.value, "a pending write")});
        }
      }
    }
    return out;
  }

 private:
  struct Blob {
    bool has_base = false;
    std::string_view base;
    long long keep = 0;
    std::string_view value;
  };
  struct WriteRow {
    std::string_view task, channel, value;
    int idx;
  };

  SaverCorrupt corrupt(const std::string& detail) const {
    return SaverCorrupt("postgres saver: checkpoint \"" + std::string(checkpoint_) + "\" of thread \"" +
                        std::string(thread_) + "\" (namespace \"" + ns_ + "\", schema \"" + schema_ +
                        "\") is damaged: " + detail);
  }

  json parse(std::string_view text, std::string_view what) const {
    try {
      return json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      throw corrupt(std::string(what) + " does not parse: " + e.what());
    }
  }

  // The value of `channel` at `version` on the current thread: a copy of a value an older tuple
  // already holds, or the stored value, with the deltas on top applied in place (truncate to
  // `keep`, then append) — the growing list is never copied once per delta.
  json resolve(const std::string& channel, std::string_view version) {
    std::vector<std::pair<std::string_view, const Blob*>> chain;  // deltas, newest first
    json value;
    for (std::string_view v = version;;) {
      const std::string key = key_of(thread_, channel, v);
      if (const auto it = built_.find(key); it != built_.end()) {
        value = *it->second;
        break;
      }
      const auto b = blobs_.find(key);
      if (b == blobs_.end()) {
        throw corrupt("channel \"" + channel + "\" refers to version \"" + std::string(v) + "\"" +
                      (v == version ? std::string() : " (a delta base of version \"" + std::string(version) + "\")") +
                      ", which is not stored");
      }
      if (!b->second.has_base) {
        value = parse(b->second.value, "the value of channel \"" + channel + "\"");
        break;
      }
      if (chain.size() >= blobs_.size()) throw corrupt("the deltas of channel \"" + channel + "\" form a cycle");
      chain.emplace_back(v, &b->second);
      v = b->second.base;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Blob& blob = *it->second;
      json append = parse(blob.value, "a delta of channel \"" + channel + "\"");
      if (!append.is_array() || blob.keep < 0) {
        throw corrupt("the delta of channel \"" + channel + "\" at version \"" + std::string(it->first) +
                      "\" is not {keep >= 0, append: array}");
      }
      const auto keep = static_cast<std::size_t>(blob.keep);
      if (!value.is_array() || value.size() < keep) {
        throw corrupt("the delta of channel \"" + channel + "\" at version \"" + std::string(it->first) + "\" keeps " +
                      std::to_string(keep) + " elements of version \"" + std::string(blob.base) +
                      "\", which is not an array of at least that many");
      }
      auto& array = value.get_ref<json::array_t&>();
      array.erase(array.begin() + static_cast<std::ptrdiff_t>(keep), array.end());
      auto& added = append.get_ref<json::array_t&>();
      array.insert(array.end(), std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()));
    }
    return value;
  }

  const std::string& schema_;
  const std::string& ns_;
  bool values_;
  std::unordered_map<std::string, Blob> blobs_;
  std::unordered_map<std::string, std::vector<WriteRow>> writes_;
  // (thread, channel, version) → the value in a tuple built already.
  std::unordered_map<std::string, const json*> built_;
  std::string_view thread_, checkpoint_;
};

// ---------------------------------------------------------------------------------- ThreadLock

// Idle connections of released ThreadLocks, kept for the next lock_thread. Shared by the saver
// and its outstanding locks, so a lock may outlive its saver.
struct LockConnections {
  explicit LockConnections(std::size_t max) : max_idle(max) {}
  std::mutex mutex;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  std::size_t max_idle;

  std::unique_ptr<pqxx::connection> take() {
    const std::lock_guard lock(mutex);
    if (idle.empty()) return nullptr;
    auto conn = std::move(idle.back());
    idle.pop_back();
    return conn;
  }
  void give_back(std::unique_ptr<pqxx::connection> conn) {
    const std::lock_guard lock(mutex);
    if (idle.size() < max_idle) idle.push_back(std::move(conn));
  }
};

class PostgresThreadLock final : public ThreadLock {
 public:
  PostgresThreadLock(std::shared_ptr<LockConnections> pool, std::unique_ptr<pqxx::connection> conn, std::string key)
      : pool_(std::move(pool)), conn_(std::move(conn)), key_(std::move(key)) {}
  PostgresThreadLock(const PostgresThreadLock&) = delete;
  PostgresThreadLock& operator=(const PostgresThreadLock&) = delete;

  // Unlocks; a connection that unlocked cleanly goes back to the idle lock connections.
  ~PostgresThreadLock() override {
    try {
      pqxx::nontransaction tx(*conn_);
      const bool unlocked = tx.exec_prepared1("sg_unlock", key_)[0].as<bool>();
      tx.commit();
      if (!unlocked) return;  // not held any more (the session was replaced): drop the connection
    } catch (...) {
      return;  // the connection broke, and the server released the lock with it
    }
    pool_->give_back(std::move(conn_));
  }

 private:
  std::shared_ptr<LockConnections> pool_;
  std::unique_ptr<pqxx::connection> conn_;
  std::string key_;
};

}  // namespace

// -------------------------------------------------------------------------------------- Impl

struct PostgresSaver::Impl {
  Impl(std::string uri, PostgresSaverOptions opts)
      : options(std::move(opts)),
        quoted_schema(pg::quote_ident(options.schema)),
        pool(std::move(uri), options,
             [defs = statements(quoted_schema)](pqxx::connection& c) {
               for (const auto& [name, sql] : defs) c.prepare(name, sql);
             },
             counters) {}

  PostgresSaverOptions options;
  std::string quoted_schema;
  pg::Counters counters;
  pg::Pool pool;

  std::shared_ptr<LockConnections> lock_connections = std::make_shared<LockConnections>(options.pool_size);

  void require_writable(std::string_view call) const {
    if (options.read_only)
      throw SaverError("sg.saver.409", "postgres saver: " + std::string(call) + ": the saver was opened read-only "
                                       "(PostgresSaverOptions::read_only)");
  }

  std::vector<CheckpointTuple> run_list(const CheckpointConfig& config, const ListOptions& options_, std::string_view op) {
    if (!options_.filter.is_null() && !options_.filter.is_object()) {
      throw invalid_argument("list: filter must be a JSON object, got " + options_.filter.dump());
    }
    if (options_.limit && *options_.limit == 0) return {};
    unsigned flags = 0;
    std::vector<std::string> args;
    if (!config.thread_id.empty()) {
      flags |= kByThread;
      args.push_back(config.thread_id);
    }
    args.push_back(config.checkpoint_ns);
    if (const std::string* id = named_id(config)) {
      flags |= kById;
      args.push_back(*id);
    }
    if (options_.before) {
      flags |= kBefore;
      args.push_back(*options_.before);
    }
    if (options_.filter.is_object() && !options_.filter.empty()) {
      flags |= kFilter;
      args.push_back(dump_value(without_nul(options_.filter), "list: the filter"));
    }
    if (!options_.values) flags |= kNoValues;
    const auto limit = options_.limit.value_or(std::numeric_limits<std::size_t>::max());
    args.push_back(limit >= static_cast<std::size_t>(std::numeric_limits<long long>::max()) ? std::string(kNoLimit)
                                                                                           : std::to_string(limit));
    const std::string name = list_statement_name(flags);
    const pqxx::result r = pool.run(op, [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      return tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(args));
    });
    ListDecoder decoder(options.schema, config.checkpoint_ns, options_.values);
    return decoder.decode(r);
  }
};

// ------------------------------------------------------------------------------ PostgresSaver

PostgresSaver::PostgresSaver(std::string uri, PostgresSaverOptions options) {
  if (options.pool_size == 0) throw invalid_argument("PostgresSaver: pool_size must be at least 1");
  const bool migrate = options.migrate && !options.read_only;
  impl_ = std::make_unique<Impl>(std::move(uri), std::move(options));
  // Connects (401 when the server cannot be reached) and brings the schema up to date or checks it.
  impl_->pool.run("setup", [&](pqxx::connection& c) { pg::ensure_schema(c, impl_->options.schema, migrate); });
}

PostgresSaver::~PostgresSaver() = default;

void PostgresSaver::setup() {
  impl_->require_writable("setup");
  impl_->pool.run("setup", [&](pqxx::connection& c) { pg::ensure_schema(c, impl_->options.schema, true); });
}

const std::string& PostgresSaver::schema() const noexcept { return impl_->options.schema; }

PostgresSaverStats PostgresSaver::stats() const noexcept {
  return {impl_->counters.connections_opened.load(), impl_->counters.reconnects.load(),
          impl_->counters.retries.load()};
}

std::optional<CheckpointTuple> PostgresSaver::get_tuple(const CheckpointConfig& config) {
  if (config.thread_id.empty()) return std::nullopt;
  ListOptions one;
  one.limit = 1;
  auto tuples = impl_->run_list(config, one, "get_tuple");
  if (tuples.empty()) return std::nullopt;
  return std::move(tuples.front());
}

std::vector<CheckpointTuple> PostgresSaver::list(const CheckpointConfig& config, const ListOptions& options) {
  return impl_->run_list(config, options, "list");
}

CheckpointConfig PostgresSaver::put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                                    const CheckpointMetadata& metadata, const ChannelVersions& new_versions) {
  impl_->require_writable("put");
  if (config.thread_id.empty()) {
    throw invalid_argument("put: config.thread_id is empty; every checkpoint belongs to a thread");
  }
  if (checkpoint.id.empty()) {
    throw invalid_argument("put: checkpoint.id is empty; create it with sg::new_checkpoint_id()");
  }
  ArrayLiteral channels, versions, bases, keeps, values;
  for (const auto& [channel, version] : new_versions) {
    const auto current = checkpoint.channel_versions.find(channel);
    if (current == checkpoint.channel_versions.end()) continue;  // channel now has no value
    if (current->second != version) {
      throw invalid_argument("put: new_versions gives channel \"" + channel + "\" version \"" + version +
                             "\" but channel_versions has \"" + current->second + "\"");
    }
    channels.add(channel);
    versions.add(version);
    if (const auto value = checkpoint.channel_values.find(channel); value != checkpoint.channel_values.end()) {
      bases.add_null();
      keeps.add_null();
      values.add(dump_value(value->second, "put: the value of channel \"" + channel + "\""));
    } else if (const auto delta = checkpoint.channel_deltas.find(channel); delta != checkpoint.channel_deltas.end()) {
      check_delta(channel, version, delta->second);
      bases.add(delta->second.base);
      keeps.add(std::to_string(delta->second.keep));
      values.add(dump_value(delta->second.append, "put: the delta of channel \"" + channel + "\""));
    } else {
      throw invalid_argument("put: channel \"" + channel +
                             "\" is in new_versions but has no entry in channel_values or channel_deltas");
    }
  }
  const std::string channel_versions = dump_value(json(checkpoint.channel_versions), "put: channel_versions");
  const std::string versions_seen = dump_value(json(checkpoint.versions_seen), "put: versions_seen");
  std::string meta = dump_value(metadata, "put: metadata");
  const bool has_chains = !checkpoint.delta_chains.is_object() || !checkpoint.delta_chains.empty();
  const std::string chains = has_chains ? dump_value(checkpoint.delta_chains, "put: delta_chains") : std::string();
  if (meta.find("\\u0000") != std::string::npos) meta = without_nul(metadata).dump();
  const std::string* parent = named_id(config);
  const std::string a_channels = channels.finish(), a_versions = versions.finish(), a_bases = bases.finish(),
                    a_keeps = keeps.finish(), a_values = values.finish();

  // A delta whose base this thread has not stored is not refused here (the memory and SQLite
  // savers refuse it): checking costs a probe per delta in every put, and the engine only names
  // stored bases. Reading such a checkpoint fails with SaverCorrupt naming the missing version.
  impl_->pool.run("put", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("sg_put", config.thread_id, config.checkpoint_ns, checkpoint.id,
                     parent != nullptr ? parent->c_str() : nullptr, checkpoint.v, checkpoint.ts, channel_versions,
                     versions_seen, meta, a_channels, a_versions, a_bases, a_keeps, a_values,
                     checkpoint.parent_writes_applied && parent != nullptr, has_chains ? chains.c_str() : nullptr);
  });
  return CheckpointConfig{config.thread_id, config.checkpoint_ns, checkpoint.id};
}

void PostgresSaver::put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                               std::string_view task_id) {
  impl_->require_writable("put_writes");
  if (config.thread_id.empty()) throw invalid_argument("put_writes: config.thread_id is empty");
  const std::string* checkpoint_id = named_id(config);
  if (checkpoint_id == nullptr) {
    throw invalid_argument("put_writes: config.checkpoint_id is empty; writes belong to a checkpoint");
  }
  if (writes.empty()) return;
  // One row per (task_id, idx); a special channel written twice in one call: the last one wins.
  std::vector<std::pair<int, const PendingWrite*>> rows;
  rows.reserve(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const int idx = format::write_index(writes[i].channel, static_cast<int>(i));
    const auto same = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.first == idx; });
    if (same != rows.end()) {
      same->second = &writes[i];
    } else {
      rows.emplace_back(idx, &writes[i]);
    }
  }
  ArrayLiteral idxs, channels, values;
  for (const auto& [idx, w] : rows) {
    idxs.add(std::to_string(idx));
    channels.add(w->channel);
    values.add(dump_value(w->value, "put_writes: the value written to \"" + w->channel + "\""));
  }
  const std::string a_idxs = idxs.finish(), a_channels = channels.finish(), a_values = values.finish();
  const std::string task(task_id);
  impl_->pool.run("put_writes", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("sg_put_writes", config.thread_id, config.checkpoint_ns, *checkpoint_id, task, a_idxs,
                     a_channels, a_values);
  });
}

void PostgresSaver::delete_thread(std::string_view thread_id) {
  impl_->require_writable("delete_thread");
  if (thread_id.empty()) return;
  const std::string thread(thread_id);
  impl_->pool.run("delete_thread", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("sg_delete_thread", thread);
  });
}

std::size_t PostgresSaver::prune(std::string_view thread_id, const PruneOptions& options) {
  impl_->require_writable("prune");
  if (!options.keep_last && !options.before) return 0;
  if (thread_id.empty()) return 0;
  const std::string thread(thread_id);
  const std::string keep = options.keep_last ? std::to_string(std::max<std::size_t>(*options.keep_last, 1)) : "";
  return impl_->pool.run("prune", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_prepared("sg_prune_checkpoints", thread,
                                            options.keep_last ? keep.c_str() : nullptr,
                                            options.before ? options.before->c_str() : nullptr);
    const auto deleted = static_cast<std::size_t>(r.affected_rows());
    if (deleted > 0) tx.exec_prepared("sg_prune_blobs", thread);
    tx.commit();
    return deleted;
  });
}

void PostgresSaver::copy_thread(std::string_view from, std::string_view to) {
  impl_->require_writable("copy_thread");
  if (from.empty() || to.empty()) throw invalid_argument("copy_thread: thread ids must not be empty");
  const std::string source(from), destination(to);
  auto exists_error = [&] {
    return invalid_argument("copy_thread: destination thread \"" + destination +
                            "\" already exists; delete it first or pick another id");
  };
  impl_->pool.run("copy_thread", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (tx.exec_prepared1("sg_thread_exists", destination)[0].as<bool>()) throw exists_error();
    try {
      tx.exec_prepared("sg_copy_thread", source, destination);
    } catch (const pqxx::unique_violation&) {
      throw exists_error();  // another caller copied onto it at the same time
    }
    tx.commit();
  });
}

std::optional<std::string> PostgresSaver::latest_checkpoint_id(const CheckpointConfig& config) {
  if (config.thread_id.empty()) return std::nullopt;
  return impl_->pool.run("latest_checkpoint_id", [&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("sg_latest", config.thread_id, config.checkpoint_ns);
    if (r.empty()) return std::nullopt;
    return std::string(r[0][0].c_str(), r[0][0].size());
  });
}

// -------------------------------------------------------------------------------- inspection

std::vector<ThreadInfo> PostgresSaver::list_threads(const ThreadListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object())
    throw invalid_argument("list_threads: filter must be a JSON object, got " + options.filter.dump());
  if (options.limit && *options.limit == 0) return {};
  const std::string& q = impl_->quoted_schema;
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  const std::string filter = filtered ? dump_value(without_nul(options.filter), "list_threads: the filter") : "";
  const auto limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  const std::string limit_text =
      limit >= static_cast<std::size_t>(std::numeric_limits<long long>::max()) ? std::string(kNoLimit) : std::to_string(limit);
  // $1 thread or NULL, $2 filter or NULL, $3 limit.
  const std::string sql =
      "WITH t AS (SELECT thread_id, count(*) AS n, max(checkpoint_id) AS last, "
      "sum(pg_column_size(metadata) + pg_column_size(channel_versions) + pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0))::bigint AS bytes, "
      "array_to_json(array_agg(DISTINCT checkpoint_ns))::text AS namespaces FROM " + q + ".sg_checkpoints "
      "WHERE ($1::text IS NULL OR thread_id = $1::text) GROUP BY thread_id),\n"
      "p AS (SELECT * FROM t WHERE $2::jsonb IS NULL OR EXISTS (SELECT 1 FROM " + q + ".sg_checkpoints m WHERE "
      "m.thread_id = t.thread_id AND NOT EXISTS (SELECT 1 FROM jsonb_each($2::jsonb) f WHERE m.metadata -> f.key "
      "IS DISTINCT FROM f.value)) ORDER BY last DESC, thread_id LIMIT $3::bigint)\n"
      "SELECT p.thread_id, p.n, p.last, l.ts, l.step, p.bytes + "
      "coalesce((SELECT sum(pg_column_size(b.value))::bigint FROM " + q + ".sg_blobs b WHERE b.thread_id = p.thread_id), 0) + "
      "coalesce((SELECT sum(pg_column_size(w.value))::bigint FROM " + q + ".sg_writes w WHERE w.thread_id = p.thread_id), 0), "
      "p.namespaces FROM p LEFT JOIN LATERAL (SELECT c.ts, c.metadata ->> 'step' AS step FROM " + q +
      ".sg_checkpoints c WHERE c.thread_id = p.thread_id AND c.checkpoint_id = p.last LIMIT 1) l ON true "
      "ORDER BY p.last DESC, p.thread_id";
  const pqxx::result r = impl_->pool.run("list_threads", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto result = tx.exec_params(sql, options.thread_id ? options.thread_id->c_str() : nullptr,
                                 filtered ? filter.c_str() : nullptr, limit_text);
    tx.commit();
    return result;
  });
  std::vector<ThreadInfo> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    ThreadInfo info;
    info.thread_id = row[0].c_str();
    info.checkpoints = row[1].as<std::size_t>();
    info.last_checkpoint_id = row[2].c_str();
    info.last_ts = row[3].is_null() ? "" : row[3].c_str();
    if (!row[4].is_null()) {
      const std::string step = row[4].c_str();
      const json j = json::parse(step, nullptr, false);
      if (j.is_number_integer()) info.last_step = j.get<std::int64_t>();
    }
    info.bytes = row[5].as<std::uint64_t>();
    const json namespaces = json::parse(std::string_view(row[6].c_str(), row[6].size()), nullptr, false);
    if (namespaces.is_array())
      for (const auto& ns : namespaces)
        if (ns.is_string()) info.namespaces.push_back(ns.get<std::string>());
    std::sort(info.namespaces.begin(), info.namespaces.end());
    out.push_back(std::move(info));
  }
  return out;
}

std::map<std::string, std::uint64_t> PostgresSaver::checkpoint_bytes(const CheckpointConfig& config) {
  const std::string& q = impl_->quoted_schema;
  struct Rows {
    pqxx::result checkpoints, blobs, writes;
  };
  Rows rows = impl_->pool.run("checkpoint_bytes", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    Rows out;
    out.checkpoints = tx.exec_params(
        "SELECT checkpoint_id, (pg_column_size(metadata) + pg_column_size(channel_versions) + "
        "pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0))::bigint, channel_versions::text FROM " + q + ".sg_checkpoints "
        "WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id",
        config.thread_id, config.checkpoint_ns);
    out.blobs = tx.exec_params("SELECT channel, version, pg_column_size(value)::bigint FROM " + q +
                                   ".sg_blobs WHERE thread_id = $1 AND checkpoint_ns = $2",
                               config.thread_id, config.checkpoint_ns);
    out.writes = tx.exec_params("SELECT checkpoint_id, sum(pg_column_size(value))::bigint FROM " + q +
                                    ".sg_writes WHERE thread_id = $1 AND checkpoint_ns = $2 GROUP BY checkpoint_id",
                                config.thread_id, config.checkpoint_ns);
    tx.commit();
    return out;
  });
  std::map<std::pair<std::string, std::string>, std::uint64_t> blobs;
  for (const auto& row : rows.blobs) blobs.emplace(std::pair{row[0].c_str(), row[1].c_str()}, row[2].as<std::uint64_t>());
  std::map<std::string, std::uint64_t> out;
  for (const auto& row : rows.checkpoints) {
    std::uint64_t bytes = row[1].as<std::uint64_t>();
    const json versions = json::parse(std::string_view(row[2].c_str(), row[2].size()), nullptr, false);
    if (!versions.is_object())
      throw SaverCorrupt("postgres saver: checkpoint \"" + std::string(row[0].c_str()) + "\" of thread \"" +
                         config.thread_id + "\" (namespace \"" + config.checkpoint_ns + "\", schema \"" +
                         impl_->options.schema + "\") is damaged: its channel_versions is not an object");
    for (const auto& [channel, version] : versions.items()) {
      if (!version.is_string()) continue;
      const auto b = blobs.find({channel, version.get<std::string>()});
      if (b == blobs.end()) continue;
      bytes += b->second;
      blobs.erase(b);
    }
    out.emplace(row[0].c_str(), bytes);
  }
  for (const auto& row : rows.writes)
    if (const auto it = out.find(row[0].c_str()); it != out.end()) it->second += row[1].as<std::uint64_t>();
  return out;
}

StorageStats PostgresSaver::storage_stats() {
  const std::string& q = impl_->quoted_schema;
  const std::string& schema = impl_->options.schema;
  const std::pair<const char*, std::string> tables[] = {
      {"sg_checkpoints", "pg_column_size(metadata) + pg_column_size(channel_versions) + pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0)"},
      {"sg_blobs", "pg_column_size(value)"},
      {"sg_writes", "pg_column_size(value)"}};
  StorageStats stats;
  impl_->pool.run("storage_stats", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    stats = StorageStats{};
    std::uint64_t total = 0;
    for (const auto& [name, size] : tables) {
      const pqxx::row row = tx.exec_params1(
          "SELECT count(*), coalesce(sum(" + size + "), 0)::bigint, pg_total_relation_size(format('%I.%I', $1::text, $2::text)::regclass) "
          "FROM " + q + "." + name,
          schema, std::string(name));
      TableStats t{name, row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>()};
      total += *t.disk_bytes;
      stats.tables.push_back(std::move(t));
    }
    stats.total_disk_bytes = total;
    tx.commit();
  });
  return stats;
}

std::unique_ptr<ThreadLock> PostgresSaver::lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  impl_->require_writable("lock_thread");
  if (thread_id.empty()) throw invalid_argument("lock_thread: thread_id is empty");
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  // The schema is part of the key: savers on distinct schemas never block each other.
  std::string key = impl_->options.schema;
  key.push_back('\x1f');
  key.append(thread_id);

  std::unique_ptr<pqxx::connection> conn = impl_->lock_connections->take();
  if (!conn) conn = impl_->pool.connect();
  int failures = 0;
  for (;;) {
    bool got = false;
    try {
      pqxx::nontransaction tx(*conn);
      got = tx.exec_prepared1("sg_try_lock", key)[0].as<bool>();
    } catch (const pqxx::pqxx_exception&) {
      const pg::Failure failure = pg::classify_current_exception();
      if (failure.kind != pg::FailureKind::broken || failures++ >= impl_->options.retries) {
        pg::throw_failure("lock_thread", failure);
      }
      ++impl_->counters.retries;
      conn = impl_->pool.connect();  // an idle lock connection may have died with its server
      ++impl_->counters.reconnects;
      continue;
    }
    if (got) return std::make_unique<PostgresThreadLock>(impl_->lock_connections, std::move(conn), std::move(key));
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), deadline - now));
  }
  impl_->lock_connections->give_back(std::move(conn));
  throw SaverError("sg.saver.404", "thread \"" + std::string(thread_id) + "\" is busy: another run (in this or another "
                                   "process) has held it for " + std::to_string(wait.count()) +
                                   " ms; try again later");
}

}  // namespace sg

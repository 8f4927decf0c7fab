#include "postgres_statements.hpp"

#include "stategraph/checkpoint/error.hpp"

namespace sg::pg {

using nlohmann::json;

void ArrayLiteral::add(std::string_view element) {
  if (text_.size() > 1) text_.push_back(',');
  text_.push_back('"');
  for (const char c : element) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void ArrayLiteral::add_null() {
  if (text_.size() > 1) text_.push_back(',');
  text_ += "NULL";
}

std::string ArrayLiteral::finish() {
  text_.push_back('}');
  return std::move(text_);
}

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
    throw SaverError(ErrorId::saver_invalid_argument, std::string(what) + " cannot be stored as JSON: " + e.what());
  }
}

std::string list_statement_name(unsigned flags) { return "sg_list_" + std::to_string(flags); }

namespace {


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
  auto param = [&n] {  // appended, not "$" + string: g++ 12 -O3 reports a false -Wrestrict there
    std::string p = "$";
    p += std::to_string(++n);
    return p;
  };
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

}  // namespace

std::vector<std::pair<std::string, std::string>> statements(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  // put: the changed values (ON CONFLICT DO NOTHING: a value is immutable per version), the
  // checkpoint row and, when $15 (parent_writes_applied), the deletion of the parent's value
  // writes (idx >= 0: its special writes stay for history), in one statement and so in one
  // transaction. A delta whose base this thread and namespace have not stored (unless this
  // version is: a put repeated) is refused as the other savers refuse it: `missing` names it, every
  // change is guarded by its absence, and the statement returns it (two index probes per delta,
  // inside the one round trip).
  out.emplace_back("sg_put",
                   "WITH b AS (SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::bigint[], "
                   "$14::json[]) AS b(channel, version, base, keep, value)),\n"
                   "missing AS (SELECT b.channel, b.version, b.base FROM b WHERE b.base IS NOT NULL AND NOT EXISTS "
                   "(SELECT 1 FROM " + s + ".sg_blobs x WHERE x.thread_id = $1 AND x.checkpoint_ns = $2 AND "
                   "x.channel = b.channel AND x.version = b.base) AND NOT EXISTS (SELECT 1 FROM " + s + ".sg_blobs x "
                   "WHERE x.thread_id = $1 AND x.checkpoint_ns = $2 AND x.channel = b.channel AND x.version = b.version) "
                   "LIMIT 1),\n"
                   "blobs AS (INSERT INTO " + s + ".sg_blobs (thread_id, checkpoint_ns, channel, version, base, "
                   "keep, value) SELECT $1, $2, b.channel, b.version, b.base, b.keep, b.value FROM b "
                   "WHERE NOT EXISTS (SELECT 1 FROM missing) ON CONFLICT DO NOTHING),\n"
                   "applied AS (DELETE FROM " + s + ".sg_writes WHERE $15::boolean AND thread_id = $1 AND "
                   "checkpoint_ns = $2 AND checkpoint_id = $4 AND idx >= 0 AND NOT EXISTS (SELECT 1 FROM missing)),\n"
                   "cp AS (INSERT INTO " + s + ".sg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
                   "parent_checkpoint_id, v, ts, channel_versions, versions_seen, metadata, delta_chains) "
                   "SELECT $1, $2, $3::text, $4::text, $5::integer, $6::text, $7::json, $8::json, $9::jsonb, $16::json "
                   "WHERE NOT EXISTS (SELECT 1 FROM missing) "
                   "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET "
                   "parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, v = EXCLUDED.v, ts = EXCLUDED.ts, "
                   "channel_versions = EXCLUDED.channel_versions, versions_seen = EXCLUDED.versions_seen, "
                   "metadata = EXCLUDED.metadata, delta_chains = EXCLUDED.delta_chains)\n"
                   "SELECT channel, version, base FROM missing");
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

}  // namespace sg::pg

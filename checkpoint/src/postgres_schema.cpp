#include "postgres_schema.hpp"

#include <array>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "postgres_connection.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/postgres_saver.hpp"

namespace sg::pg {

namespace {

// ---------------------------------------------------------------------------------- migrations
//
// Migration N (1-based) brings the schema from version N-1 to N; its number is recorded in
// sg_migrations. Never edit a released migration: add the next one and raise kSchemaVersion.
//
// Layout (version 1):
//  sg_checkpoints  one row per checkpoint, without values: channel_versions and versions_seen as
//                  json, metadata as jsonb (list filters). "C" collation on the keys, so that
//                  ORDER BY checkpoint_id is byte order (the order of time-ordered UUIDs) on any
//                  database locale and the primary key serves "latest" and "before".
//  sg_blobs        one row per (thread, ns, channel, version): base and keep are NULL for a
//                  value; for a ChannelDelta they hold its base version and keep count, and
//                  value holds its `append` array.
//  sg_writes       pending writes, one row per (checkpoint, task_id, idx).
// Values are `json` (exact text: every JSON value round-trips, "\u0000" included, and reads cost
// no jsonb-to-text conversion).
// Version 2: sg_checkpoints.delta_chains (json, NULL when empty) holds Checkpoint::delta_chains,
// which format-1 checkpoints kept in metadata.
constexpr std::array<std::string_view, 2> kMigrations = {
    R"sql(
CREATE TABLE @.sg_checkpoints (
  thread_id            text COLLATE "C" NOT NULL,
  checkpoint_ns        text COLLATE "C" NOT NULL,
  checkpoint_id        text COLLATE "C" NOT NULL,
  parent_checkpoint_id text COLLATE "C",
  v                    integer NOT NULL,
  ts                   text NOT NULL,
  channel_versions     json NOT NULL,
  versions_seen        json NOT NULL,
  metadata             jsonb NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id));
CREATE TABLE @.sg_blobs (
  thread_id     text COLLATE "C" NOT NULL,
  checkpoint_ns text COLLATE "C" NOT NULL,
  channel       text COLLATE "C" NOT NULL,
  version       text COLLATE "C" NOT NULL,
  base          text COLLATE "C",
  keep          bigint,
  value         json NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, channel, version),
  CHECK ((base IS NULL) = (keep IS NULL)));
CREATE TABLE @.sg_writes (
  thread_id     text COLLATE "C" NOT NULL,
  checkpoint_ns text COLLATE "C" NOT NULL,
  checkpoint_id text COLLATE "C" NOT NULL,
  task_id       text COLLATE "C" NOT NULL,
  idx           integer NOT NULL,
  channel       text NOT NULL,
  value         json NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx));
)sql",
    R"sql(
ALTER TABLE @.sg_checkpoints ADD COLUMN delta_chains json;
)sql",
};
static_assert(kMigrations.size() == PostgresSaver::kSchemaVersion);

constexpr std::string_view kCreateMigrations = R"sql(
CREATE TABLE @.sg_migrations (
  v          integer PRIMARY KEY,
  applied_at timestamp with time zone NOT NULL DEFAULT now());
)sql";

// What each table must look like at kSchemaVersion: columns (name, format_type) it must have
// and its primary key.
struct TableSpec {
  std::string_view name;
  std::vector<std::pair<std::string_view, std::string_view>> columns;
  std::string_view primary_key;
};

const std::vector<TableSpec>& table_specs() {
  static const std::vector<TableSpec> specs = {
      {"sg_migrations", {{"v", "integer"}, {"applied_at", "timestamp with time zone"}}, "v"},
      {"sg_checkpoints",
       {{"thread_id", "text"}, {"checkpoint_ns", "text"}, {"checkpoint_id", "text"},
        {"parent_checkpoint_id", "text"}, {"v", "integer"}, {"ts", "text"}, {"channel_versions", "json"},
        {"versions_seen", "json"}, {"metadata", "jsonb"}, {"delta_chains", "json"}},
       "thread_id,checkpoint_ns,checkpoint_id"},
      {"sg_blobs",
       {{"thread_id", "text"}, {"checkpoint_ns", "text"}, {"channel", "text"}, {"version", "text"},
        {"base", "text"}, {"keep", "bigint"}, {"value", "json"}},
       "thread_id,checkpoint_ns,channel,version"},
      {"sg_writes",
       {{"thread_id", "text"}, {"checkpoint_ns", "text"}, {"checkpoint_id", "text"}, {"task_id", "text"},
        {"idx", "integer"}, {"channel", "text"}, {"value", "json"}},
       "thread_id,checkpoint_ns,checkpoint_id,task_id,idx"},
  };
  return specs;
}

// A relation of the schema named like one of ours, as the catalog describes it.
struct Relation {
  std::string kind;                          // pg_class.relkind
  std::map<std::string, std::string> columns;  // name → format_type
  std::string primary_key;                   // comma-separated column names, in key order
};

std::map<std::string, Relation> read_relations(pqxx::work& tx, const std::string& schema) {
  const pqxx::result r = tx.exec_params(R"sql(
SELECT c.relname, c.relkind::text,
  coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), E'\n' ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
  coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.ord)
            FROM pg_constraint con
            CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
            WHERE con.conrelid = c.oid AND con.contype = 'p'), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname IN ('sg_migrations', 'sg_checkpoints', 'sg_blobs', 'sg_writes'))sql",
                                        schema);
  std::map<std::string, Relation> out;
  for (const auto& row : r) {
    Relation rel;
    rel.kind = row[1].c_str();
    const std::string columns = row[2].c_str();
    std::size_t start = 0;
    while (start < columns.size()) {
      std::size_t end = columns.find('\n', start);
      if (end == std::string::npos) end = columns.size();
      const std::string line = columns.substr(start, end - start);
      const std::size_t space = line.find(' ');
      rel.columns.emplace(line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1));
      start = end + 1;
    }
    rel.primary_key = row[3].c_str();
    out.emplace(row[0].c_str(), std::move(rel));
  }
  return out;
}

[[noreturn]] void not_ours(const std::string& schema, const std::string& detail) {
  throw SaverError("sg.saver.406", "postgres saver: schema \"" + schema +
                                       "\" is not a stategraph schema: " + detail +
                                       "; use another schema (PostgresSaverOptions::schema) or another database");
}

// Throws 406 unless `rel` has the shape of `spec`.
void check_shape(const std::string& schema, const TableSpec& spec, const Relation& rel) {
  const std::string table = "table " + std::string(spec.name);
  if (rel.kind != "r" && rel.kind != "p") {
    not_ours(schema, std::string(spec.name) + " exists but is not a table (relkind '" + rel.kind + "')");
  }
  for (const auto& [column, type] : spec.columns) {
    const auto it = rel.columns.find(std::string(column));
    if (it == rel.columns.end()) {
      not_ours(schema, table + " has no column " + std::string(column));
    }
    if (it->second != type) {
      not_ours(schema, table + " column " + std::string(column) + " is " + it->second + ", expected " +
                           std::string(type));
    }
  }
  if (rel.primary_key != spec.primary_key) {
    not_ours(schema, table + " has primary key (" + rel.primary_key + "), expected (" +
                         std::string(spec.primary_key) + ")");
  }
}

std::string with_schema(std::string_view sql, const std::string& quoted_schema) {
  std::string out;
  out.reserve(sql.size() + 8 * quoted_schema.size());
  for (const char c : sql) {
    if (c == '@') {
      out += quoted_schema;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void ensure_schema(pqxx::connection& conn, const std::string& schema, bool migrate) {
  const std::string q = quote_ident(schema);
  pqxx::work tx(conn);
  if (migrate) {
    // Serialises concurrent setups of this schema (threads or processes); released at commit.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('stategraph.migrations'), hashtext($1))", schema);
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists;
    // look first, so that a user without that right can use a schema made for it.
    if (tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema).empty()) {
      tx.exec("CREATE SCHEMA " + q);
    }
  }

  auto relations = read_relations(tx, schema);
  const auto& specs = table_specs();
  int current = 0;
  if (const auto m = relations.find("sg_migrations"); m != relations.end()) {
    check_shape(schema, specs[0], m->second);
    const pqxx::row row = tx.exec1("SELECT coalesce(max(v), 0) FROM " + q + ".sg_migrations");
    current = row[0].as<int>();
  }
  if (current > PostgresSaver::kSchemaVersion) {
    throw SaverError("sg.saver.405",
                     "postgres saver: schema \"" + schema + "\" was written by a newer stategraph: its tables are at "
                         "version " + std::to_string(current) + " (sg_migrations), this release reads version " +
                         std::to_string(PostgresSaver::kSchemaVersion) +
                         " at most; upgrade stategraph or use another schema");
  }
  if (current == 0) {
    // A fresh schema must not hold tables named like ours already: they belong to someone else.
    for (const auto& spec : specs) {
      if (spec.name != "sg_migrations" && relations.count(std::string(spec.name)) != 0) {
        not_ours(schema, "it has a table " + std::string(spec.name) + " but no stategraph migrations (sg_migrations)");
      }
    }
  }
  if (current < PostgresSaver::kSchemaVersion) {
    if (!migrate) {
      throw SaverError("sg.saver.408",
                       "postgres saver: schema \"" + schema + "\" is at version " + std::to_string(current) +
                           ", this release needs version " + std::to_string(PostgresSaver::kSchemaVersion) +
                           " and migrations are off; call PostgresSaver::setup() or construct with migrate = true");
    }
    if (relations.count("sg_migrations") == 0) tx.exec(with_schema(kCreateMigrations, q));
    for (int v = current + 1; v <= PostgresSaver::kSchemaVersion; ++v) {
      tx.exec(with_schema(kMigrations[static_cast<std::size_t>(v - 1)], q));
      tx.exec_params("INSERT INTO " + q + ".sg_migrations (v) VALUES ($1)", v);
    }
    relations = read_relations(tx, schema);
  }
  for (const auto& spec : specs) {
    const auto it = relations.find(std::string(spec.name));
    if (it == relations.end()) {
      not_ours(schema, "sg_migrations says version " + std::to_string(current) + " but table " +
                           std::string(spec.name) + " is missing");
    }
    check_shape(schema, spec, it->second);
  }
  tx.commit();
}

}  // namespace sg::pg

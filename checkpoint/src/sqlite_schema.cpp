#include "sqlite_schema.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Each release appends migrations; a migration is never edited once released. Version 0 (the
// migrations table itself and the application id) is applied with the first one.
// sg_checkpoints and sg_writes have small rows and are WITHOUT ROWID (no second copy of the key
// in a separate index: 7% less storage for a chat thread); sg_blobs keeps a rowid because full
// values of long lists are large rows.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE sg_checkpoints (
  thread_id            TEXT NOT NULL,
  checkpoint_ns        TEXT NOT NULL,
  checkpoint_id        TEXT NOT NULL,
  parent_checkpoint_id TEXT,               -- NULL for the first checkpoint of a thread
  metadata             TEXT NOT NULL,      -- JSON text
  checkpoint           BLOB NOT NULL,      -- CBOR {v, ts, channel_versions, versions_seen}
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
) WITHOUT ROWID;
-- list() across threads: newest first within a namespace (the key's thread_id is appended).
CREATE INDEX sg_checkpoints_by_ns ON sg_checkpoints (checkpoint_ns, checkpoint_id);
CREATE TABLE sg_blobs (
  thread_id     TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL,
  channel       TEXT NOT NULL,
  version       TEXT NOT NULL,
  base          TEXT,                      -- NULL: data is the value; else a delta on version base
  keep          INTEGER NOT NULL DEFAULT 0, -- delta: elements of base kept before data's elements
  data          BLOB NOT NULL,             -- CBOR: the value, or the appended array of a delta
  PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
);
CREATE TABLE sg_writes (
  thread_id     TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL,
  checkpoint_id TEXT NOT NULL,
  task_id       TEXT NOT NULL,
  idx           INTEGER NOT NULL,          -- position in the task's writes; -1 -3 -4 special channels
  channel       TEXT NOT NULL,
  value         BLOB NOT NULL,             -- CBOR
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
) WITHOUT ROWID;
)sql"},
    // Checksums (sqlite_checksum.hpp): XXH3-64 of the stored bytes as a signed INTEGER; NULL in
    // the rows written before (not checked). ADD COLUMN rewrites no row: instant on any size.
    {2, R"sql(
ALTER TABLE sg_checkpoints ADD COLUMN checksum INTEGER;  -- of checkpoint, then metadata
ALTER TABLE sg_blobs ADD COLUMN checksum INTEGER;        -- of data
ALTER TABLE sg_writes ADD COLUMN checksum INTEGER;       -- of value
)sql"},
    // sg_blobs keyed by version before channel. Keyed (thread, ns, channel, version), a step's
    // blobs went to one place per channel in the thread's key range — a chain run's 6 channels
    // dirtied 6 leaf pages of the key's index, each written whole to the WAL at every commit (a
    // third of a busy server's WAL pages). Versions grow with the steps, so a thread's new blobs
    // now land together at the end of its range. The delta-chain read (channel = ? AND version
    // <= ? ORDER BY version DESC) walks that range backwards and skips the other channels' rows.
    // The rows are copied as they are (an existing file's migration rewrites the table once).
    {3, R"sql(
CREATE TABLE sg_blobs_v3 (
  thread_id     TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL,
  channel       TEXT NOT NULL,
  version       TEXT NOT NULL,
  base          TEXT,                      -- NULL: data is the value; else a delta on version base
  keep          INTEGER NOT NULL DEFAULT 0, -- delta: elements of base kept before data's elements
  data          BLOB NOT NULL,             -- CBOR: the value, or the appended array of a delta
  checksum      INTEGER,                   -- of data
  PRIMARY KEY (thread_id, checkpoint_ns, version, channel)
);
INSERT INTO sg_blobs_v3 (thread_id, checkpoint_ns, channel, version, base, keep, data, checksum)
  SELECT thread_id, checkpoint_ns, channel, version, base, keep, data, checksum FROM sg_blobs;
DROP TABLE sg_blobs;
ALTER TABLE sg_blobs_v3 RENAME TO sg_blobs;
)sql"},
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "kSchemaVersion must be the number of migrations");

// What the file holds, read without writing anything.
struct Inspection {
  std::int32_t application_id = 0;
  std::vector<std::string> tables;  // user tables
  bool has_migrations = false;
  int version = 0;  // max(v) of sg_migrations
};

Inspection inspect(Connection& c) {
  Inspection in;
  {
    auto s = c.prepare("PRAGMA application_id");
    if (s.step()) in.application_id = static_cast<std::int32_t>(s.int64(0));
  }
  {
    auto s = c.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name");
    while (s.step()) {
      in.tables.emplace_back(s.text(0));
      if (in.tables.back() == "sg_migrations") in.has_migrations = true;
    }
  }
  if (in.has_migrations) {
    auto s = c.prepare("SELECT coalesce(max(v), 0) FROM sg_migrations");
    if (s.step()) in.version = static_cast<int>(s.int64(0));
  }
  return in;
}

std::string hex32(std::int32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

// Throws unless the file is ours (or empty) with a schema this build can use.
void check(const Inspection& in, const std::string& path) {
  if (in.application_id != kApplicationId) {
    if (in.application_id == 0 && in.tables.empty()) return;  // a new or empty database
    std::string what = "not a stategraph database: \"" + path + "\" is another application's SQLite database (";
    if (in.application_id != 0) what += "application_id " + hex32(in.application_id) + ", ";
    what += "tables:";
    for (std::size_t i = 0; i < in.tables.size() && i < 5; ++i) what += " " + in.tables[i];
    if (in.tables.size() > 5) what += " ...";
    what += "); stategraph only opens files it created (application_id " + hex32(kApplicationId) +
            ") or empty ones: give SqliteSaver a path of its own";
    throw SaverError(ErrorId::saver_not_a_store, what);
  }
  if (!in.has_migrations)
    throw SaverCorrupt("\"" + path + "\" is marked as a stategraph database but has no sg_migrations table; "
                       "it was damaged or edited by hand");
  if (in.version > kSchemaVersion)
    throw SaverError(ErrorId::saver_newer_schema, "schema from a newer release: \"" + path + "\" has schema version " +
                                         std::to_string(in.version) + " but this build of stategraph supports up to " +
                                         std::to_string(kSchemaVersion) +
                                         "; open it with the release that wrote it or a newer one");
}

}  // namespace

int prepare_schema(Connection& c) {
  // One read transaction, so application_id and the table list come from one snapshot: read
  // apart, a saver creating the file at the same moment could be seen half done (its tables
  // without its application_id) and the file taken for another application's.
  Inspection first;
  {
    Transaction read(c, Transaction::Mode::read);
    first = inspect(c);
    read.commit();
  }
  check(first, c.path());
  if (c.read_only()) {
    if (first.version < kOldestReadableSchema)
      throw SaverError(ErrorId::saver_schema_missing, "\"" + c.path() + "\" has " +
                                           (first.version == 0 ? std::string("no stategraph schema")
                                                               : "schema version " + std::to_string(first.version)) +
                                           " and was opened read-only, so it cannot be created or migrated to version " +
                                           std::to_string(kSchemaVersion) +
                                           "; open it once with a writable SqliteSaver of this release");
    return first.version;
  }
  // WAL is a property of the file; once set this is a no-op. Not inside a transaction. Two
  // connections switching a new file at once can deadlock on its locks, and SQLite then answers
  // BUSY at once instead of calling the busy handler: retried here, within the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + c.busy_timeout();
  for (;;) {
    try {
      auto s = c.prepare("PRAGMA journal_mode=WAL");
      while (s.step()) {
      }
      break;
    } catch (const SaverUnavailable& e) {
      const bool busy = !e.backend_code().empty() && (std::stoi(e.backend_code()) & 0xff) == SQLITE_BUSY;
      if (!busy || std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  if (first.version == kSchemaVersion) return kSchemaVersion;

  Transaction tx(c, Transaction::Mode::write);
  const Inspection in = inspect(c);  // another process may have migrated meanwhile
  check(in, c.path());
  if (in.version == kSchemaVersion) return kSchemaVersion;
  if (!in.has_migrations) {
    c.exec("CREATE TABLE sg_migrations (v INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
           "creating the migrations table");
    c.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(), "marking the database");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= in.version) continue;
    c.exec(m.sql, "applying schema migration " + std::to_string(m.version));
    c.prepare("INSERT INTO sg_migrations (v, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
        .bind(1, std::int64_t{m.version})
        .run();
  }
  tx.commit();
  return kSchemaVersion;
}

}  // namespace sg::sqlite_detail

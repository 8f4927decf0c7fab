#pragma once
// The two databases the CLI tests run against: a fresh SQLite file (SqliteDb) and a fresh schema
// on the Postgres test server (PostgresDb, SG_TEST_POSTGRES_URI; the tests fail without it).
// Each gives the saver to write through and the --db/--schema arguments of sg-checkpoints.

#include <memory>
#include <string>
#include <vector>

#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "postgres_factory.hpp"
#include "sqlite_factory.hpp"

struct SqliteDb {
  sgtest::TempDir dir;
  std::string path = (dir.path() / "cli.db").string();
  std::shared_ptr<sg::BaseCheckpointSaver> saver = std::make_shared<sg::SqliteSaver>(path);
  [[nodiscard]] std::vector<std::string> args() const { return {"--db", "sqlite:" + path}; }
  [[nodiscard]] std::string uri() const { return "sqlite:" + path; }
  /// Closes the saver (so that the file is complete and no connection is open).
  void close() { saver.reset(); }
};

struct PostgresDb {
  sgtest::SchemaGuard schema{"cli"};
  std::shared_ptr<sg::BaseCheckpointSaver> saver =
      std::make_shared<sg::PostgresSaver>(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));
  [[nodiscard]] std::vector<std::string> args() const { return {"--db", sgtest::postgres_uri(), "--schema", schema.name}; }
  [[nodiscard]] std::string uri() const { return sgtest::postgres_uri(); }
  void close() { saver.reset(); }
};

TYPE_TO_STRING(SqliteDb);
TYPE_TO_STRING(PostgresDb);

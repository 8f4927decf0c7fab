#pragma once
// sg-checkpoints: the --db address (sg::StoreUri: memory, sqlite:PATH, sqlite://PATH,
// postgres://..., postgresql://...; one grammar with sg-chatbot) and opening the saver behind it
// (sg::open_store) the way each command needs it.

#include <memory>
#include <string>
#include <string_view>

#include <stategraph/checkpoint/saver.hpp>
#include <stategraph/checkpoint/store_uri.hpp>

namespace sgcli {

/// Parses --db through sg::parse_store_uri.
/// @throws CliError sg.cli.702 (with the store's message) when it is not a store address.
sg::StoreUri parse_database_uri(std::string_view text);

/// The store every command works on: the global options --db, --schema and --immutable.
struct Database {
  sg::StoreUri uri;
  std::string schema = "public";  ///< Postgres schema of the saver's tables
  /// --immutable: the store does not change while the command runs (read-only media, a
  /// snapshot). SQLite opens the file with immutable=1 (SqliteSaverOptions::immutable: no locks,
  /// no -wal or -shm); writing commands are refused. Postgres reads as always.
  bool immutable = false;
};

/// How a command uses the database.
enum class Access {
  /// read-only: SQLite's "mode=ro" (SqliteSaverOptions::read_only: immutable=1 by itself when the
  /// file or its directory cannot be written; the -wal and -shm it had to create are removed
  /// again) / read-only Postgres sessions; must exist
  read,
  write,   ///< changes an existing store; never creates or migrates one
  create,  ///< may create the file or the schema (import)
};

/// Opens the saver of `db` for `access`.
/// @throws CliError sg.cli.714 for write or create with --immutable; sg.cli.703 when an SQLite
///         file is missing (read, write); sg::SaverError from the savers (401 unreachable, 405
///         newer schema, 406 not ours, 408 no schema, 413 a file or directory that cannot be
///         written, opened for writing, ...).
std::unique_ptr<sg::BaseCheckpointSaver> open_database(const Database& db, Access access);

}  // namespace sgcli

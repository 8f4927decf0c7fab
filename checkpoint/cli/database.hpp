#pragma once
// sg-checkpoints: the --db URI (sqlite:PATH, postgres://..., postgresql://...) and opening the
// saver behind it.

#include <memory>
#include <string>
#include <string_view>

#include <stategraph/checkpoint/saver.hpp>

namespace sgcli {

struct DatabaseUri {
  enum class Kind { sqlite, postgres };
  Kind kind = Kind::sqlite;
  std::string target;  ///< the file path (sqlite) or the libpq URI (postgres)
  /// For messages: the path, or the URI with its password replaced by ***.
  [[nodiscard]] std::string display() const;
};

/// Parses `sqlite:PATH` (also `sqlite://PATH`) and `postgres://...` / `postgresql://...`.
/// @throws CliError sg.cli.702 for anything else.
DatabaseUri parse_database_uri(std::string_view text);

/// How a command uses the database.
enum class Access {
  read,    ///< read-only: SQLITE_OPEN_READONLY / read-only Postgres sessions; must exist
  write,   ///< changes an existing store; never creates or migrates one
  create,  ///< may create the file or the schema (import)
};

/// Opens the saver for `uri` (Postgres tables in `schema`).
/// @throws CliError sg.cli.703 when an SQLite file is missing (read, write); sg::SaverError from
///         the savers (401 unreachable, 405 newer schema, 406 not ours, 408 no schema, ...).
std::unique_ptr<sg::BaseCheckpointSaver> open_database(const DatabaseUri& uri, const std::string& schema,
                                                       Access access);

}  // namespace sgcli

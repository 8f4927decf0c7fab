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

/// How a command uses the database.
enum class Access {
  read,    ///< read-only: SQLITE_OPEN_READONLY / read-only Postgres sessions; must exist
  write,   ///< changes an existing store; never creates or migrates one
  create,  ///< may create the file or the schema (import)
};

/// Opens the saver for `uri` (Postgres tables in `schema`).
/// @throws CliError sg.cli.703 when an SQLite file is missing (read, write); sg::SaverError from
///         the savers (401 unreachable, 405 newer schema, 406 not ours, 408 no schema, ...).
std::unique_ptr<sg::BaseCheckpointSaver> open_database(const sg::StoreUri& uri, const std::string& schema,
                                                       Access access);

}  // namespace sgcli

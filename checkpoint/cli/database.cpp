#include "database.hpp"

#include <filesystem>
#include <system_error>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/open_store.hpp>

#include "cli_error.hpp"

namespace sgcli {

sg::StoreUri parse_database_uri(std::string_view text) {
  try {
    return sg::parse_store_uri(text);
  } catch (const sg::Error& e) {
    throw CliError(sg::ErrorId::cli_bad_database_uri, "--db " + std::string(e.message()) + " (add --schema NAME for a Postgres schema other than public)",
                   kExitError);
  }
}

std::unique_ptr<sg::BaseCheckpointSaver> open_database(const Database& db, Access access) {
  const sg::StoreUri& uri = db.uri;
  if (db.immutable && access != Access::read)
    throw CliError(sg::ErrorId::cli_immutable_store,
                   "this command changes the store, and --immutable says it does not change; drop --immutable "
                   "(or use --dry-run)",
                   kExitError);
  if (uri.kind == sg::StoreUri::Kind::sqlite) {
    std::error_code ec;
    const auto status = std::filesystem::status(uri.target, ec);
    if (access != Access::create && !std::filesystem::exists(status))
      throw CliError(sg::ErrorId::cli_no_such_file, "no such database file: \"" + uri.target + "\"", kExitError);
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
      throw CliError(sg::ErrorId::cli_no_such_file, "\"" + uri.target + "\" is not a regular file", kExitError);
  }
  sg::StoreOptions options;
  options.read_only = access == Access::read;
  options.sqlite.immutable = db.immutable;
  options.postgres.schema = db.schema;
  options.postgres.pool_size = 2;
  options.postgres.migrate = access == Access::create;
  options.postgres.application_name = "sg-checkpoints";
  options.postgres.log = [](std::string_view) {};  // a retry that fails ends in the one error line anyway
  return sg::open_store(uri, std::move(options));
}

}  // namespace sgcli

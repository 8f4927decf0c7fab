#include "database.hpp"

#include <filesystem>
#include <regex>
#include <system_error>

#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "cli_error.hpp"

namespace sgcli {

namespace {
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
}  // namespace

std::string DatabaseUri::display() const {
  if (kind == Kind::sqlite) return "sqlite:" + target;
  static const std::regex password(R"(^(postgres(?:ql)?://[^:/@]*):[^@/]*@)");
  return std::regex_replace(target, password, "$1:***@");
}

DatabaseUri parse_database_uri(std::string_view text) {
  DatabaseUri uri;
  if (starts_with(text, "postgres://") || starts_with(text, "postgresql://")) {
    uri.kind = DatabaseUri::Kind::postgres;
    uri.target = std::string(text);
    return uri;
  }
  if (starts_with(text, "sqlite:")) {
    std::string_view path = text.substr(7);
    if (starts_with(path, "//")) path.remove_prefix(2);
    if (!path.empty()) {
      uri.target = std::string(path);
      return uri;
    }
  }
  throw CliError("sg.cli.702",
                 "--db \"" + std::string(text) +
                     "\" is not a database URI: use sqlite:PATH (a stategraph SQLite file) or "
                     "postgres://user@host:port/db (add --schema NAME for a schema other than public)",
                 kExitError);
}

std::unique_ptr<sg::BaseCheckpointSaver> open_database(const DatabaseUri& uri, const std::string& schema,
                                                       Access access) {
  if (uri.kind == DatabaseUri::Kind::sqlite) {
    std::error_code ec;
    const auto status = std::filesystem::status(uri.target, ec);
    if (access != Access::create && !std::filesystem::exists(status))
      throw CliError("sg.cli.703", "no such database file: \"" + uri.target + "\"", kExitError);
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
      throw CliError("sg.cli.703", "\"" + uri.target + "\" is not a regular file", kExitError);
    sg::SqliteSaverOptions options;
    options.read_only = access == Access::read;
    return std::make_unique<sg::SqliteSaver>(uri.target, options);
  }
  sg::PostgresSaverOptions options;
  options.schema = schema;
  options.pool_size = 2;
  options.read_only = access == Access::read;
  options.migrate = access == Access::create;
  options.application_name = "sg-checkpoints";
  options.log = [](std::string_view) {};  // a retry that fails ends in the one error line anyway
  return std::make_unique<sg::PostgresSaver>(uri.target, options);
}

}  // namespace sgcli

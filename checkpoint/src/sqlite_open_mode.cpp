#include "sqlite_open_mode.hpp"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

namespace {

// Writing is refused by permissions or read-only media (a missing path is SQLite's to report).
bool denied(const std::filesystem::path& p) {
  return ::access(p.c_str(), W_OK) != 0 && (errno == EACCES || errno == EPERM || errno == EROFS);
}

std::filesystem::path directory_of(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

OpenPlan plan_open(const std::string& path, bool read_only, bool immutable) {
  const auto dir = directory_of(path);
  if (!read_only) {
    const bool file_ok = !denied(path);
    if (!file_ok || denied(dir))
      throw SaverError(ErrorId::saver_not_writable,
                       "the SQLite database \"" + path + "\" cannot be opened for writing: " +
                           (file_ok ? "its directory \"" + dir.string() +
                                          "\" cannot be written (SQLite keeps its -wal and -shm files there)"
                                    : std::string("the file cannot be written")) +
                           "; open it read-only (SqliteSaverOptions::read_only)");
  }
  OpenPlan plan;
  if (!read_only) return plan;
  std::error_code ec;
  const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
  const bool wal_commits = !ec && wal_size > 0;
  if (immutable) {
    if (wal_commits)
      throw SaverError(ErrorId::saver_invalid_argument,
                       "immutable: \"" + path + "-wal\" holds commits that are not in \"" + path +
                           "\" yet (the database was not closed cleanly, or a writer is running); opened immutable, "
                           "SQLite would read the file without them: open it read-only instead");
    plan.mode = OpenMode::immutable;
    return plan;
  }
  if (!wal_commits && (denied(path) || denied(dir))) {
    plan.mode = OpenMode::immutable;
    return plan;
  }
  plan.mode = OpenMode::read_only;
  plan.tidy_companions = !exists(path + "-wal") && !exists(path + "-shm");
  return plan;
}

void require_writable_file(Connection& c) {
  if (sqlite3_db_readonly(c.db(), "main") == 1)
    throw SaverError(ErrorId::saver_not_writable,
                     "the SQLite database \"" + c.path() +
                         "\" cannot be opened for writing: SQLite opened it read-only (the file is write-protected "
                         "or on read-only media); open it read-only (SqliteSaverOptions::read_only)");
}

void remove_wal_companions(const std::string& path) noexcept {
  if (!exists(path + "-wal") && !exists(path + "-shm")) return;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK)
    sqlite3_exec(db, "PRAGMA query_only=1; SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  sqlite3_close_v2(db);
}

}  // namespace sg::sqlite_detail

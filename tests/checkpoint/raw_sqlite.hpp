#pragma once
// For the tests that look behind SqliteSaver's back (tests/checkpoint, tests/cli): RawDb, a plain
// sqlite3 connection to inspect and damage a database, and small helpers on files and errors.

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "stategraph/checkpoint/error.hpp"

namespace sgtest {

/// A raw SQLite connection, to inspect and damage databases behind the saver's back.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << message);
  }

  /// Rows of a query, each as its columns joined by '|'.
  std::vector<std::string> rows(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK, sql);
    std::vector<std::string> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        if (i > 0) row += '|';
        const auto* text = sqlite3_column_text(s, i);
        row += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    return out;
  }

  std::string one(const std::string& sql) {
    const auto r = rows(sql);
    REQUIRE_MESSAGE(r.size() == 1, sql);
    return r[0];
  }

  /// Every row of the saver's tables (schema 2), blobs in hex: equal dumps mean nothing was
  /// modified.
  std::vector<std::string> dump() {
    std::vector<std::string> all;
    for (const char* sql :
         {"SELECT v FROM sg_migrations ORDER BY v",
          "SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, hex(checkpoint), checksum "
          "FROM sg_checkpoints ORDER BY 1, 2, 3",
          "SELECT thread_id, checkpoint_ns, channel, version, base, keep, hex(data), checksum FROM sg_blobs "
          "ORDER BY 1, 2, 3, 4",
          "SELECT thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, hex(value), checksum FROM sg_writes "
          "ORDER BY 1, 2, 3, 4, 5"}) {
      auto r = rows(sql);
      all.insert(all.end(), r.begin(), r.end());
      all.emplace_back("--");
    }
    return all;
  }

  /// Changes one byte inside the blob `column` of the rows of `table` that `where` selects: the
  /// first byte of `needle` in it becomes `replacement` (an UPDATE with the modified blob).
  /// Returns the number of rows changed.
  int flip(const std::string& table, const std::string& column, const std::string& where, const std::string& needle,
           char replacement) {
    // sg_blobs has rowids; the WITHOUT ROWID tables are updated through `where` (one row).
    const bool rowid = table == "sg_blobs";
    const std::string select =
        std::string("SELECT ") + (rowid ? "rowid" : "0") + ", " + column + " FROM " + table + " WHERE " + where;
    sqlite3_stmt* s = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db_, select.c_str(), -1, &s, nullptr) == SQLITE_OK, select);
    std::vector<std::pair<std::int64_t, std::string>> found;
    while (sqlite3_step(s) == SQLITE_ROW) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s, 1));
      found.emplace_back(sqlite3_column_int64(s, 0), std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, 1))));
    }
    sqlite3_finalize(s);
    int changed = 0;
    for (auto& [id, bytes] : found) {
      const auto at = bytes.find(needle);
      if (at == std::string::npos) continue;
      bytes[at] = replacement;
      const std::string update =
          "UPDATE " + table + " SET " + column + " = ? WHERE " + (rowid ? "rowid = " + std::to_string(id) : where);
      REQUIRE(sqlite3_prepare_v2(db_, update.c_str(), -1, &s, nullptr) == SQLITE_OK);
      sqlite3_bind_blob(s, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
      const int rc = sqlite3_step(s);
      sqlite3_finalize(s);
      REQUIRE(rc == SQLITE_DONE);
      ++changed;
    }
    return changed;
  }

 private:
  sqlite3* db_ = nullptr;
};

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The names of the files in a directory, sorted.
inline std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// The SaverError thrown by fn (id "no exception" when none is).
struct Thrown {
  std::string id = "no exception";
  std::string message;
  std::string backend_code;
  bool retryable = false;
};

inline Thrown thrown_by(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    return {e.id(), e.what(), e.backend_code(), e.retryable()};
  }
  return {};
}

}  // namespace sgtest

#pragma once
// Internal to stategraph::sqlite: a thin RAII layer over one sqlite3 connection — cached prepared
// statements, a transaction guard, and the mapping of SQLite result codes to stategraph errors.
// A Connection is used by one thread at a time (the saver's pool hands it out).

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sg::sqlite_detail {

/// Throws the stategraph error for SQLite result code `rc` (extended codes):
///  BUSY/LOCKED, CANTOPEN, IOERR, FULL, READONLY, NOMEM, PERM, PROTOCOL → SaverUnavailable [401];
///  NOTADB → SaverError [406]; TOOBIG, RANGE → SaverError [403]; anything else (CORRUPT, a
///  missing table, a constraint the schema should make impossible) → SaverCorrupt [402].
/// The message is "<context>: <SQLite's message> (SQLite result code N) in database <path>";
/// backend_code is N in decimal (an extended result code; N & 0xff is the primary one).
[[noreturn]] void throw_sqlite(int rc, sqlite3* db, std::string_view context, const std::string& path);

class Connection;

/// A prepared statement borrowed for one use: bind, step, read columns. Reset when destroyed, so
/// a statement never keeps a read transaction open. Parameters and columns are 1- and 0-based.
/// Bound text and blobs are not copied: they must stay alive until the last step().
class Stmt {
 public:
  /// `in_use`: the cache's flag for a cached statement (cleared when done), or nullptr for a
  /// one-off statement (finalized when done).
  Stmt(Connection& connection, sqlite3_stmt* stmt, bool* in_use) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, double value);
  Stmt& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Stmt& bind_null(int index);

  /// Advances; true when a row is available. @throws via throw_sqlite.
  bool step();
  /// Steps to completion (for statements that return no rows).
  void run();

  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::string_view text(int column) const;
  [[nodiscard]] std::span<const std::uint8_t> blob(int column) const;
  [[nodiscard]] std::int64_t int64(int column) const;
  /// Columns of the result (0 for a statement that returns none).
  [[nodiscard]] int columns() const;

 private:
  Connection& connection_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

/// How a Connection opens its file.
enum class OpenMode {
  read_write,  ///< SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE on the plain path
  read_only,   ///< the URI "file:PATH?mode=ro" (the file must exist), `PRAGMA query_only`
  immutable,   ///< "file:PATH?mode=ro&immutable=1": no locks, no -wal or -shm; `PRAGMA query_only`
};

/// The URI filename SQLite opens for `path` in `mode` (read_only, immutable): "file:" and the
/// path with '%', '?' and '#' percent-escaped ("file://" before an absolute path).
std::string uri_filename(const std::string& path, OpenMode mode);

/// One open sqlite3 connection with its statement cache.
class Connection {
 public:
  /// Opens `path` (read_write: creating it when missing) and configures the connection:
  /// extended result codes, busy timeout, `synchronous`. Does not touch the schema.
  /// @throws SaverUnavailable [401] naming the path when SQLite cannot open it.
  Connection(const std::string& path, std::chrono::milliseconds busy_timeout, bool synchronous_full,
             OpenMode mode = OpenMode::read_write);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// A cached prepared statement for `sql` (prepared on first use).
  Stmt prepare(std::string_view sql);
  /// Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(const char* sql, std::string_view context);
  /// True when no transaction is open.
  [[nodiscard]] bool autocommit() const noexcept;

  [[nodiscard]] sqlite3* db() const noexcept { return db_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::chrono::milliseconds busy_timeout() const noexcept { return busy_timeout_; }
  [[nodiscard]] bool read_only() const noexcept { return mode_ != OpenMode::read_write; }
  /// True when the file's tables have the checksum columns (schema 2): readers select them, else
  /// NULL in their place. The saver sets it once it knows the schema version.
  [[nodiscard]] bool checksums() const noexcept { return checksums_; }
  void set_checksums(bool on) noexcept { checksums_ = on; }

  [[noreturn]] void fail(int rc, std::string_view context) const { throw_sqlite(rc, db_, context, path_); }

 private:
  friend class Stmt;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite3* db_ = nullptr;
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  OpenMode mode_ = OpenMode::read_write;
  bool checksums_ = true;
  std::unordered_map<std::string, Cached, Hash, std::equal_to<>> cache_;  // nodes are stable
};

/// A transaction on one connection: BEGIN (read) or BEGIN IMMEDIATE (write: takes the write lock
/// up front, waiting up to the busy timeout, so it never fails half-way on a lock upgrade).
/// Rolled back when destroyed without commit(), e.g. by an exception.
class Transaction {
 public:
  enum class Mode { read, write };
  Transaction(Connection& connection, Mode mode);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  /// @throws via throw_sqlite; the transaction is rolled back by the destructor then.
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace sg::sqlite_detail

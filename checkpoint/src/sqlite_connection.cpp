#include "sqlite_connection.hpp"

#include <string>
#include <utility>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

void throw_sqlite(int rc, sqlite3* db, std::string_view context, const std::string& path) {
  std::string message(context);
  message += ": ";
  // sqlite3_errmsg describes the connection's last error, which is this one when db is given.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (SQLite result code " + std::to_string(rc) + ") in database \"" + path + "\"";
  std::string code = std::to_string(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw SaverUnavailable(message + "; another connection held the database longer than the busy timeout",
                             std::move(code));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_AUTH:
      throw SaverUnavailable(message, std::move(code));
    case SQLITE_NOTADB:
      throw SaverError(ErrorId::saver_not_a_store, "not a stategraph database: " + message + ": the file is not an SQLite database",
                       std::move(code));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      throw SaverError(ErrorId::saver_invalid_argument, message, std::move(code));
    default:
      throw SaverCorrupt(message, std::move(code));
  }
}

// ------------------------------------------------------------------------------------- Stmt

Stmt::Stmt(Connection& connection, sqlite3_stmt* stmt, bool* in_use) noexcept
    : connection_(connection), stmt_(stmt), in_use_(in_use) {}

Stmt::~Stmt() {
  if (in_use_ != nullptr) {
    sqlite3_reset(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Stmt& Stmt::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) connection_.fail(rc, "binding a text parameter");
  return *this;
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) connection_.fail(rc, "binding an integer parameter");
  return *this;
}

Stmt& Stmt::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) connection_.fail(rc, "binding a real parameter");
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
  static constexpr std::uint8_t kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  const int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) connection_.fail(rc, "binding a blob parameter");
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) connection_.fail(rc, "binding NULL");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  std::string context = "running \"";
  context += sql != nullptr ? std::string_view(sql).substr(0, 80) : std::string_view("?");
  context += "\"";
  connection_.fail(rc, context);
}

void Stmt::run() {
  while (step()) {
  }
}

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string_view Stmt::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::span<const std::uint8_t> Stmt::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(n)};
}

std::int64_t Stmt::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

int Stmt::columns() const { return sqlite3_column_count(stmt_); }

// -------------------------------------------------------------------------------- Connection

std::string uri_filename(const std::string& path, OpenMode mode) {
  std::string uri = path.rfind('/', 0) == 0 ? "file://" : "file:";
  for (const char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#') {
      static constexpr char kHex[] = "0123456789abcdef";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(ch) >> 4];
      uri += kHex[static_cast<unsigned char>(ch) & 0xf];
    } else {
      uri += ch;
    }
  }
  uri += mode == OpenMode::immutable ? "?mode=ro&immutable=1" : "?mode=ro";
  return uri;
}

Connection::Connection(const std::string& path, std::chrono::milliseconds busy_timeout, bool synchronous_full,
                       OpenMode mode)
    : path_(path), busy_timeout_(busy_timeout), mode_(mode) {
  // NOMUTEX: the pool guarantees one thread at a time per connection.
  const bool read_only = mode != OpenMode::read_write;
  const int flags = (read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const std::string name = read_only ? uri_filename(path, mode) : path;
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open the SQLite database \"" + path + "\": ";
    message += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    message += " (SQLite result code " + std::to_string(rc) + ")";
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SaverUnavailable(message, std::to_string(rc));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  try {
    exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", "configuring the connection");
    if (read_only) exec("PRAGMA query_only=1", "configuring the connection");
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Stmt Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Stmt(*this, it->second.stmt, &it->second.in_use);
  }
  // Cache the first preparation of each text (the set of texts is small and fixed, apart from
  // list() filter shapes, which are capped); a statement already in use gets a one-off copy.
  const bool cache = it == cache_.end() && cache_.size() < 256;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string context = "preparing \"";
    context += sql.substr(0, 80);
    context += "\"";
    fail(rc, context);
  }
  if (!cache) return Stmt(*this, stmt, nullptr);
  const auto inserted = cache_.emplace(std::string(sql), Cached{stmt, true}).first;
  return Stmt(*this, stmt, &inserted->second.in_use);
}

void Connection::exec(const char* sql, std::string_view context) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, context);
}

bool Connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

// ------------------------------------------------------------------------------- Transaction

Transaction::Transaction(Connection& connection, Mode mode) : connection_(connection) {
  connection_.prepare(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN").run();
}

Transaction::~Transaction() {
  // SQLite may already have rolled back after an I/O error; only roll back what is still open.
  if (open_ && !connection_.autocommit()) sqlite3_exec(connection_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  connection_.prepare("COMMIT").run();
  open_ = false;
}

}  // namespace sg::sqlite_detail

// The run store's SQLite backend (run_store_backend.hpp): one connection to the saver's file (or
// to a private in-memory database), used by one caller at a time. Write transactions are BEGIN
// IMMEDIATE, so every write of the run store is atomic against every process on the file.
#include <mutex>
#include <string>

#include "run_store_backend.hpp"
#include "sqlite_connection.hpp"

namespace sg::run_store_detail {
namespace {

using sqlite_detail::Connection;
using sqlite_detail::Stmt;
using sqlite_detail::Transaction;

/// `sql` with the markers filled and $N made ?N (SQLite binds ?N at index N).
std::string sqlite_sql(std::string_view sql) {
  std::string out = fill_markers(sql, false);
  for (char& c : out)
    if (c == '$') c = '?';
  return out;
}

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Connection& connection) : connection_(connection) {}

  std::vector<Row> query(std::string_view sql, std::initializer_list<Param> params) override {
    Stmt stmt = connection_.prepare(sqlite_sql(sql));
    bind(stmt, params);
    std::vector<Row> rows;
    while (stmt.step()) {
      Row row(static_cast<std::size_t>(stmt.columns()));
      for (int i = 0; i < stmt.columns(); ++i) row[static_cast<std::size_t>(i)] = std::string(stmt.text(i));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::size_t exec(std::string_view sql, std::initializer_list<Param> params) override {
    Stmt stmt = connection_.prepare(sqlite_sql(sql));
    bind(stmt, params);
    stmt.run();
    return static_cast<std::size_t>(sqlite3_changes(connection_.db()));
  }

 private:
  static void bind(Stmt& stmt, std::initializer_list<Param> params) {
    int index = 1;
    for (const auto& p : params) {
      if (const auto* text = std::get_if<std::string_view>(&p)) stmt.bind(index, *text);
      else stmt.bind(index, std::get<std::int64_t>(p));
      ++index;
    }
  }

  Connection& connection_;
};

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(const std::string& path, bool memory)
      : connection_(memory ? ":memory:" : path, std::chrono::milliseconds(10000), false), memory_(memory) {}

  void transact(bool write, const std::function<void(Tx&)>& fn) override {
    std::lock_guard lock(mutex_);
    Transaction tx(connection_, write ? Transaction::Mode::write : Transaction::Mode::read);
    SqliteTx t(connection_);
    fn(t);
    tx.commit();
  }

  [[nodiscard]] std::string_view name() const noexcept override { return memory_ ? "memory" : "sqlite"; }

 private:
  std::mutex mutex_;
  Connection connection_;
  bool memory_;
};

}  // namespace

std::unique_ptr<Backend> sqlite_run_store_backend(const std::string& path, bool memory) {
  return std::make_unique<SqliteBackend>(path, memory);
}

}  // namespace sg::run_store_detail

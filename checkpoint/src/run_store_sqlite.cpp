// The run store's SQLite backend (run_store_backend.hpp). On a file: writes through the process's
// writer of the file (sqlite_shared_writer.hpp, shared with the saver: one warm page cache, group
// commit, writers queue on a mutex instead of SQLite's busy polling), reads on a connection of its own
// used by one caller at a time. In memory: one connection to a private in-memory database. Write
// transactions are BEGIN IMMEDIATE, so every write of the run store is atomic against every
// process on the file.
#include <memory>
#include <mutex>
#include <string>

#include "run_store_backend.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_shared_writer.hpp"

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

  std::int64_t insert_seq(std::string_view sql, std::initializer_list<Param> params) override {
    exec(sql, params);
    return sqlite3_last_insert_rowid(connection_.db());  // seq is the rowid (INTEGER PRIMARY KEY)
  }

 private:
  static void bind(Stmt& stmt, std::initializer_list<Param> params) {
    int index = 1;
    for (const auto& p : params) {
      // An empty view may have no data pointer, which SQLite binds as NULL: bind "" instead.
      if (const auto* text = std::get_if<std::string_view>(&p)) stmt.bind(index, text->empty() ? std::string_view("", 0) : *text);
      else stmt.bind(index, std::get<std::int64_t>(p));
      ++index;
    }
  }

  Connection& connection_;
};

constexpr std::chrono::milliseconds kBusyTimeout{10000};

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(const std::string& path, bool memory)
      : connection_(memory ? ":memory:" : path, kBusyTimeout, false),
        writer_(memory ? nullptr : sqlite_detail::SharedWriter::of(path, kBusyTimeout, false)),
        memory_(memory) {}

  void transact(bool write, const std::function<void(Tx&)>& fn) override {
    if (write && writer_) {
      writer_->write(kBusyTimeout, [&](Connection& c) {
        SqliteTx t(c);
        fn(t);
      });
      return;
    }
    std::lock_guard lock(mutex_);
    run(connection_, write, fn);
  }

  [[nodiscard]] std::string_view name() const noexcept override { return memory_ ? "memory" : "sqlite"; }

 private:
  static void run(Connection& c, bool write, const std::function<void(Tx&)>& fn) {
    Transaction tx(c, write ? Transaction::Mode::write : Transaction::Mode::read);
    SqliteTx t(c);
    fn(t);
    tx.commit();
  }

  std::mutex mutex_;
  Connection connection_;  // reads (and, in memory, writes)
  std::shared_ptr<sqlite_detail::SharedWriter> writer_;
  bool memory_;
};

}  // namespace

std::unique_ptr<Backend> sqlite_run_store_backend(const std::string& path, bool memory) {
  return std::make_unique<SqliteBackend>(path, memory);
}

}  // namespace sg::run_store_detail

#pragma once
// Private to stategraph's checkpoint libraries: what sg::RunStore (run_store.cpp, the one copy of
// the run store's SQL and rules) needs of a database — transactions of parameterised statements.
// The SQL is written once, with $1..$n placeholders (in order of first use) and two markers a
// backend fills in: {lock} (" FOR UPDATE" on Postgres, "" on SQLite, whose write transactions
// already hold the database), {skip_locked} (" FOR UPDATE SKIP LOCKED" / ""), {instr} (the
// position of a substring: strpos / instr) and, in the schema, {seq} (an auto-numbered key).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sg::run_store_detail {

using Param = std::variant<std::string_view, std::int64_t>;
/// A result row, columns as text (every column of the schema is NOT NULL).
using Row = std::vector<std::string>;

/// One open transaction.
class Tx {
 public:
  virtual ~Tx() = default;
  /// Runs a statement; its rows (none for INSERT/UPDATE/DELETE without RETURNING).
  virtual std::vector<Row> query(std::string_view sql, std::initializer_list<Param> params) = 0;
  /// Runs a statement. @returns the number of rows it changed.
  virtual std::size_t exec(std::string_view sql, std::initializer_list<Param> params) = 0;
  /// Runs an INSERT of one row into a table keyed by {seq}. @returns the row's seq. By default
  /// `sql` + " RETURNING seq"; SQLite reads the last rowid instead (its RETURNING builds and
  /// drops a temporary table per statement: ~7 % of a busy server's CPU).
  virtual std::int64_t insert_seq(std::string_view sql, std::initializer_list<Param> params) {
    const auto rows = query(std::string(sql) + " RETURNING seq", params);
    return std::stoll(rows.at(0).at(0));
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// Runs fn in one transaction and commits it; rolls back when fn throws. `write`: the
  /// transaction will write (SQLite: BEGIN IMMEDIATE). A transient failure (a serialization
  /// failure, a broken connection) may run fn again: fn must have no other effects.
  /// @throws SaverError as run_store.hpp says.
  virtual void transact(bool write, const std::function<void(Tx&)>& fn) = 0;
  /// "sqlite" | "postgres" | "memory".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// Statements run before the tables are created (Postgres: the schema, when missing).
  [[nodiscard]] virtual std::vector<std::string> setup() const { return {}; }
};

/// `sql` with the markers replaced for a backend (see the file comment).
std::string fill_markers(std::string_view sql, bool postgres);

/// Run-store backends. `memory`: a private in-memory SQLite database.
/// @throws SaverError [sg.saver.401] when the database cannot be opened.
std::unique_ptr<Backend> sqlite_run_store_backend(const std::string& path, bool memory);
/// `schema`: the saver's schema (PostgresSaverOptions::schema).
std::unique_ptr<Backend> postgres_run_store_backend(const std::string& uri, const std::string& schema);

}  // namespace sg::run_store_detail

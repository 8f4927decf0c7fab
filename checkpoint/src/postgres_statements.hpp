#pragma once
// Internal to stategraph::postgres: the saver's SQL — every prepared statement, one per call
// (list has one per combination of its options) — and the encoding of what put and put_writes
// pass to it (array literals; JSON text without NUL for jsonb).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::pg {

/// A Postgres array literal ({"a","b",NULL}) built element by element; every element is quoted,
/// so any text (JSON included) is carried exactly.
class ArrayLiteral {
 public:
  ArrayLiteral() { text_.push_back('{'); }
  void add(std::string_view element);
  void add_null();
  std::string finish();

 private:
  std::string text_;
};

/// `j` with U+0000 removed from every string and key: jsonb cannot hold it (LangGraph strips it
/// from metadata too: get_checkpoint_metadata).
nlohmann::json without_nul(const nlohmann::json& j);

/// j.dump(). @throws SaverError [sg.saver.403] "<what> cannot be stored as JSON: ..." (invalid UTF-8).
std::string dump_value(const nlohmann::json& value, std::string_view what);

/// The largest bigint: a limit that limits nothing.
inline constexpr std::string_view kNoLimit = "9223372036854775807";

/// list() variants: one prepared statement per combination of these flags.
enum ListFlags : unsigned { kByThread = 1, kById = 2, kBefore = 4, kFilter = 8, kNoValues = 16, kListVariants = 32 };

/// The name of the prepared list statement for `flags`.
std::string list_statement_name(unsigned flags);

/// (name, SQL) of every prepared statement, for the tables of `quoted_schema`.
std::vector<std::pair<std::string, std::string>> statements(const std::string& quoted_schema);

}  // namespace sg::pg

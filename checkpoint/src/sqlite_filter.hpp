#pragma once
// Internal to stategraph::sqlite: statements built at run time — their parameters, and the SQL
// that narrows a metadata filter inside SQLite (json_extract) before JSON equality decides in C++.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqlite_connection.hpp"

namespace sg::sqlite_detail {

/// A value to bind in a dynamically built statement.
using Param = std::variant<std::string, std::int64_t>;

/// Binds `params` to ?1, ?2, ... of `s`.
void bind_all(Stmt& s, const std::vector<Param>& params);

/// Appends to `sql` (a WHERE clause) conditions that keep at least every row whose metadata
/// matches `filter` (an object), and their parameters to `params`. Keys SQLite's JSON path
/// syntax cannot quote get no condition; a row whose metadata is not valid JSON is kept (reading
/// it reports the damage).
void filter_sql(const nlohmann::json& filter, std::string& sql, std::vector<Param>& params);

}  // namespace sg::sqlite_detail

#include "sqlite_filter.hpp"

#include <limits>

namespace sg::sqlite_detail {

using nlohmann::json;

void bind_all(Stmt& s, const std::vector<Param>& params) {
  int i = 1;
  for (const auto& p : params) {
    if (const auto* text = std::get_if<std::string>(&p)) {
      s.bind(i++, std::string_view(*text));
    } else {
      s.bind(i++, std::get<std::int64_t>(p));
    }
  }
}

void filter_sql(const json& filter, std::string& sql, std::vector<Param>& params) {
  for (const auto& [key, value] : filter.items()) {
    if (key.empty() || key.find_first_of("\"\\") != std::string::npos || key.find('\0') != std::string::npos) {
      continue;
    }
    const std::string path = "$.\"" + key + "\"";
    // json_valid first: a damaged row is kept so that reading it reports SaverCorrupt.
    sql += " AND CASE WHEN json_valid(metadata) THEN ";
    params.emplace_back(path);
    switch (value.type()) {
      case json::value_t::string: {
        const auto& text = value.get_ref<const std::string&>();
        if (text.find('\0') != std::string::npos) {
          sql += "json_type(metadata, ?) = 'text'";
        } else {
          sql += "json_type(metadata, ?) = 'text' AND json_extract(metadata, ?) = ?";
          params.emplace_back(path);
          params.emplace_back(text);
        }
        break;
      }
      case json::value_t::number_integer:
        sql += "json_type(metadata, ?) IN ('integer', 'real') AND json_extract(metadata, ?) = ?";
        params.emplace_back(path);
        params.emplace_back(value.get<std::int64_t>());
        break;
      case json::value_t::number_unsigned:
        if (value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          sql += "json_type(metadata, ?) IN ('integer', 'real') AND json_extract(metadata, ?) = ?";
          params.emplace_back(path);
          params.emplace_back(static_cast<std::int64_t>(value.get<std::uint64_t>()));
        } else {
          sql += "json_type(metadata, ?) IN ('integer', 'real')";
        }
        break;
      case json::value_t::number_float:  // no equality in SQL: its float parsing may differ in the last bit
        sql += "json_type(metadata, ?) IN ('integer', 'real')";
        break;
      case json::value_t::boolean:
        sql += value.get<bool>() ? "json_type(metadata, ?) = 'true'" : "json_type(metadata, ?) = 'false'";
        break;
      case json::value_t::null:
        sql += "json_type(metadata, ?) = 'null'";
        break;
      case json::value_t::object:
        sql += "json_type(metadata, ?) = 'object'";
        break;
      case json::value_t::array:
        sql += "json_type(metadata, ?) = 'array'";
        break;
      default:
        sql += "json_type(metadata, ?) IS NOT NULL";
        break;
    }
    sql += " ELSE 1 END";
  }
}

}  // namespace sg::sqlite_detail

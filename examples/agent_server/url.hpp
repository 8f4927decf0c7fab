#pragma once
/// @file
/// Request targets: a path's %XX escapes, its segments, and a query string's parameters
/// (RFC 3986 percent-encoding; application/x-www-form-urlencoded for queries, "+" as space).
///
/// Thread-safety: pure functions.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::server {

/// Decodes the %XX escapes of a path segment ("+" stays "+": this is a path, not a form);
/// nullopt for a bad escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view segment);

/// The path of a target, without "?query" (and "#fragment").
[[nodiscard]] std::string_view path_of(std::string_view target);
/// The query of a target ("" when there is none).
[[nodiscard]] std::string_view query_of(std::string_view target);
/// The path's segments, decoded: "/threads/a%20b/state" → {"threads", "a b", "state"}; empty
/// segments (doubled or trailing slashes) are dropped. nullopt for a bad escape.
[[nodiscard]] std::optional<std::vector<std::string>> path_segments(std::string_view target);
/// The query's parameters, decoded ("+" is a space); a repeated name keeps its last value, a name
/// without "=" maps to "". Bad escapes are kept as written.
[[nodiscard]] std::map<std::string, std::string> query_params(std::string_view target);

/// A parameter as a count: `fallback` when absent, empty or not a number.
[[nodiscard]] std::size_t query_size(const std::map<std::string, std::string>& query, const std::string& name,
                                     std::size_t fallback);
/// A parameter as a flag: present with "", "1" or "true".
[[nodiscard]] bool query_flag(const std::map<std::string, std::string>& query, const std::string& name);

}  // namespace sg::server

#pragma once
// Internal helpers of stategraph::nodes (not installed).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sg::nodes_detail {

/// A random (version 4) UUID in canonical form, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
/// Thread-safe (one generator per thread).
std::string uuid4();

/// Number of Unicode code points in UTF-8 text (Python's len() of a str).
std::size_t utf8_length(std::string_view s) noexcept;

/// a == b, rejecting most unequal ids by their last eight bytes first (generated ids share
/// prefixes such as "run-", not endings). For scans over a conversation's message ids.
inline bool same_id(const std::string& a, const std::string& b) noexcept {
  if (a.size() != b.size()) return false;
  const std::size_t n = a.size();
  if (n >= 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a.data() + n - 8, 8);
    std::memcpy(&y, b.data() + n - 8, 8);
    if (x != y) return false;
  }
  return std::char_traits<char>::compare(a.data(), b.data(), n) == 0;
}

/// Python's repr() of the value a JSON document would load as (dict, list, str, int, float,
/// True/False/None), e.g. {'a': 1, 'b': 'x'}. Object keys come out in nlohmann's (sorted) order,
/// which changes nothing about the length.
std::string python_repr(const nlohmann::json& j);

/// Python's str(): like python_repr, but a string is itself.
std::string python_str(const nlohmann::json& j);

/// A JSON value as text: a string is itself, anything else its compact dump.
std::string json_text(const nlohmann::json& j);

}  // namespace sg::nodes_detail

#pragma once
// sg-checkpoints: small text helpers shared by the commands (widths, sizes, JSON excerpts).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgcli {

/// Number of UTF-8 code points in `s` (the width of a cell, ignoring wide characters).
std::size_t display_width(std::string_view s);

/// "812 B", "4.7 KB", "1.2 MB" (powers of 1024).
std::string human_bytes(std::uint64_t bytes);

/// Compact JSON text on one line, cut to at most `max` code points with "…" (invalid UTF-8
/// replaced).
std::string excerpt(const nlohmann::json& value, std::size_t max = 60);

/// `s` on one line: newlines and tabs become spaces, cut like excerpt.
std::string one_line(std::string_view s, std::size_t max);

/// `items` joined by `sep`.
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

/// The integer, or null.
nlohmann::json optional_json(const std::optional<std::int64_t>& value);

/// Writes `value` as indented JSON (invalid UTF-8 replaced), then a newline.
void print_json(std::ostream& out, const nlohmann::json& value);

/// The integer step (sg::format::kStepKey) of checkpoint metadata, if any.
std::optional<std::int64_t> metadata_step(const nlohmann::json& metadata);

/// A metadata string field (e.g. sg::format::kSourceKey), or "".
std::string metadata_string(const nlohmann::json& metadata, std::string_view key);

}  // namespace sgcli

#pragma once
/// @file
/// sg::server::json_text: the Agent Server's one way of encoding JSON for the wire and its store.

#include <string>

#include <nlohmann/json.hpp>

namespace sg::server {

/// `value` as compact JSON text. A string that is not valid UTF-8 (a model's reply cut inside a
/// character, a tool's bytes) is encoded with U+FFFD in place of its bad bytes instead of
/// throwing: a response, an event or a run's result is never refused for it. Thread-safe.
[[nodiscard]] inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sg::server

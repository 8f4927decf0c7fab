#pragma once
/// @file
/// The request bodies of sg-chatbot's chat API (seed 002's `ChatRequest`) and what every request
/// parser of the HTTP server shares: a depth-limited JSON parse and the rules for thread ids.
///
/// These parse untrusted input: they never crash or hang on any byte string (fuzzed by
/// tests/fuzz/fuzz_chatbot_requests.cpp) and fail only with ChatbotError.
///
/// Thread-safety: reentrant functions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sg::chatbot {

/// Deepest nesting a request body may have (objects and arrays); deeper → 807.
inline constexpr int kMaxRequestJsonDepth = 32;
/// Longest thread id (session_id, "user", X-Thread-Id), in bytes.
inline constexpr std::size_t kMaxThreadIdBytes = 200;

/// Parses a request body that must be one JSON object.
/// @throws ChatbotError [sg.chatbot.807] when it is not valid JSON, not an object, or nested
///         deeper than kMaxRequestJsonDepth.
nlohmann::json parse_request_object(std::string_view body);

/// Checks a thread id taken from a request: 1..kMaxThreadIdBytes bytes of valid UTF-8 without
/// control characters. `what` names its source in the message ("session_id", "X-Thread-Id").
/// @throws ChatbotError [sg.chatbot.807] otherwise.
void check_thread_id(std::string_view id, std::string_view what);

/// Decodes the %XX escapes of a path segment ("+" stays "+": this is a path, not a form).
/// @throws ChatbotError [sg.chatbot.807] for a bad escape.
std::string percent_decode(std::string_view segment);

/// POST /chat and /chat/stream: `{"session_id": "...", "message": "...", "language"?: "..."}`
/// (seed 002's ChatRequest, plus the tutorial's language). Unknown fields are ignored.
struct ChatRequest {
  std::string session_id;               ///< the thread id (checked with check_thread_id)
  std::string message;                  ///< the user's text; may be blank (Chatbot::send → 801)
  std::optional<std::string> language;  ///< absent or null: the thread keeps its language
};

/// @throws ChatbotError [sg.chatbot.807] for a body that is not such an object (bad JSON, a
///         field missing or not a string, a bad session_id).
ChatRequest parse_chat_request(std::string_view body);

/// `object[key]` as a string: nullopt when absent or null.
/// @throws ChatbotError [sg.chatbot.807] when present with another type.
std::optional<std::string> optional_string(const nlohmann::json& object, const char* key);

}  // namespace sg::chatbot

#pragma once
/// @file
/// sg-chatbot's errors. Every one carries a stable id (sg.chatbot.8xx), printed by the REPL and
/// returned by the HTTP server as `{"error": {"id", "message"}}` with the table's HTTP status
/// (a 500's message is generic there; its detail goes to the server log, see http_routes.hpp).
/// The ids are data, as the library's are (stategraph/checkpoint/error_id.hpp): ChatbotErrorId
/// names one in code, kChatbotErrorTable gives its text, HTTP status and meaning, and README.md's
/// sg-chatbot error table is checked against it (tests/chatbot/chatbot_test.cpp). They are an
/// example's ids, so they live here and not in the library's table.
///
/// Thread-safety: constants, pure functions; exception objects are immutable.

#include <string>
#include <string_view>

#include <stategraph/checkpoint/error.hpp>

namespace sg::chatbot {

/// An sg-chatbot error id; the value is the id's number.
enum class ChatbotErrorId : int {
  empty_message = 801,
  unknown_thread = 802,
  model_failed = 803,
  cancelled = 804,
  bad_configuration = 805,
  thread_busy = 806,
  bad_request = 807,
  body_too_large = 808,
  unauthorized = 809,
  store_failed = 810,
  no_such_route = 811,
  internal_error = 812,
  stopping = 813,
  unsupported_media_type = 814,
  cross_origin = 815,
  host_not_allowed = 816,
  message_too_long = 817,
};

/// One row of sg-chatbot's error table.
struct ChatbotErrorInfo {
  ChatbotErrorId id;
  std::string_view code;  ///< "sg.chatbot.8xx"
  unsigned http_status;   ///< the HTTP status the server answers with (0: not an HTTP error)
  std::string_view meaning;
};

/// sg-chatbot's error table, in id order.
inline constexpr ChatbotErrorInfo kChatbotErrorTable[] = {
    {ChatbotErrorId::empty_message, "sg.chatbot.801", 400, "the message is empty (or only whitespace)"},
    {ChatbotErrorId::unknown_thread, "sg.chatbot.802", 404, "the thread (session) does not exist"},
    {ChatbotErrorId::model_failed, "sg.chatbot.803", 502,
     "the model failed (unreachable, error status, malformed reply); the thread is left as it was before the turn"},
    {ChatbotErrorId::cancelled, "sg.chatbot.804", 499, "the turn was cancelled (Ctrl-C, client gone); the thread is as before"},
    {ChatbotErrorId::bad_configuration, "sg.chatbot.805", 0,
     "invalid configuration: --checkpoints address, --memory, --max-tokens, an address that cannot be bound"},
    {ChatbotErrorId::thread_busy, "sg.chatbot.806", 503, "the thread stayed busy (another turn on it) past the wait"},
    {ChatbotErrorId::bad_request, "sg.chatbot.807", 400, "a malformed request (HTTP: bad JSON, missing or mistyped field)"},
    {ChatbotErrorId::body_too_large, "sg.chatbot.808", 413, "the request body (or head) is too large"},
    {ChatbotErrorId::unauthorized, "sg.chatbot.809", 401, "missing or wrong bearer token"},
    {ChatbotErrorId::store_failed, "sg.chatbot.810", 500, "the checkpoint store failed (the saver's sg.saver.4xx message follows; HTTP: in the server log only)"},
    {ChatbotErrorId::no_such_route, "sg.chatbot.811", 404, "HTTP: no such route, or the method is not allowed on it (405)"},
    {ChatbotErrorId::internal_error, "sg.chatbot.812", 500, "HTTP: an unexpected server error (a bug: the server log says where)"},
    {ChatbotErrorId::stopping, "sg.chatbot.813", 503, "HTTP: the server is stopping"},
    {ChatbotErrorId::unsupported_media_type, "sg.chatbot.814", 415,
     "HTTP: a request body that is not declared as JSON (Content-Type: application/json; a charset parameter is allowed)"},
    {ChatbotErrorId::cross_origin, "sg.chatbot.815", 403,
     "HTTP: the Origin header names another site than this server (a cross-site request)"},
    {ChatbotErrorId::host_not_allowed, "sg.chatbot.816", 403,
     "HTTP: the Host header is not a loopback name, an --allow-host name or the server's own address (DNS rebinding)"},
    {ChatbotErrorId::message_too_long, "sg.chatbot.817", 400,
     "the message alone is over the prompt budget (--max-tokens; memory trim or summary), so the model would never see it; nothing is stored (400 as OpenAI's context_length_exceeded; 413 stays the --max-body limit)"},
};

/// The row of `id`.
[[nodiscard]] constexpr const ChatbotErrorInfo& chatbot_error_info(ChatbotErrorId id) {
  for (const ChatbotErrorInfo& row : kChatbotErrorTable)
    if (row.id == id) return row;
  return kChatbotErrorTable[0];  // unreachable: every enumerator has a row (static_assert below)
}

namespace detail {
constexpr bool chatbot_error_table_is_consistent() {
  int previous = 800;
  for (const ChatbotErrorInfo& row : kChatbotErrorTable) {
    const int n = static_cast<int>(row.id);
    if (n != previous + 1 || row.code.size() != 14 || row.code.substr(0, 11) != "sg.chatbot." ||
        row.code[11] - '0' != n / 100 || row.code[12] - '0' != n / 10 % 10 || row.code[13] - '0' != n % 10)
      return false;
    previous = n;
  }
  return previous == static_cast<int>(ChatbotErrorId::message_too_long);
}
static_assert(chatbot_error_table_is_consistent(), "kChatbotErrorTable: rows and ChatbotErrorId disagree");
}  // namespace detail

/// The stable text id, e.g. "sg.chatbot.805".
[[nodiscard]] constexpr std::string_view chatbot_error_code(ChatbotErrorId id) { return chatbot_error_info(id).code; }

/// "[sg.chatbot.805] ": the prefix of a message line that carries `id`.
[[nodiscard]] inline std::string chatbot_error_tag(ChatbotErrorId id) {
  std::string tag = "[";  // appended, not "[" + string: g++ 12 -O3 reports a false -Wrestrict there
  tag += chatbot_error_code(id);
  tag += "] ";
  return tag;
}

class ChatbotError : public sg::Error {
 public:
  ChatbotError(ChatbotErrorId id, std::string_view message) : sg::Error(std::string(chatbot_error_code(id)), message) {}
};

}  // namespace sg::chatbot

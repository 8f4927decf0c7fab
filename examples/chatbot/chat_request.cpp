#include "chat_request.hpp"

#include "agent_server/url.hpp"
#include "chatbot_error.hpp"

namespace sg::chatbot {
namespace {

[[noreturn]] void malformed(const std::string& what) { throw ChatbotError(ChatbotErrorId::bad_request, what); }

/// Length of the UTF-8 sequence starting at `s[i]`, or 0 when it is not a valid one
/// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned min_second = 0x80;
  unsigned max_second = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) min_second = 0xA0;
    if (c == 0xED) max_second = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) min_second = 0x90;
    if (c == 0xF4) max_second = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0U) != 0x80U) return 0;
  return n;
}

}  // namespace

nlohmann::json parse_request_object(std::string_view body) {
  bool too_deep = false;
  // The callback sees the depth of every value as it is parsed; returning false for an
  // object/array start past the limit would still parse its inside, so the parse is stopped by
  // throwing and the flag tells that throw apart from a syntax error.
  const nlohmann::json::parser_callback_t limit_depth = [&too_deep](int depth, nlohmann::json::parse_event_t event,
                                                                     nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start) &&
        depth >= kMaxRequestJsonDepth) {
      too_deep = true;
      throw std::length_error("request JSON nested too deeply");
    }
    return true;
  };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body.begin(), body.end(), limit_depth);
  } catch (const nlohmann::json::parse_error& e) {
    // The position only: nlohmann's text quotes the input, which may not be valid UTF-8.
    malformed("the request body is not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::out_of_range&) {
    malformed("the request body holds a number out of range");
  } catch (const std::length_error&) {
    if (!too_deep) throw;
    malformed("the request body is nested deeper than " + std::to_string(kMaxRequestJsonDepth) + " levels");
  }
  if (!value.is_object()) malformed("the request body must be a JSON object");
  return value;
}

void check_thread_id(std::string_view id, std::string_view what) {
  const std::string name(what);
  if (id.empty()) malformed(name + " is empty");
  if (id.size() > kMaxThreadIdBytes)
    malformed(name + " is longer than " + std::to_string(kMaxThreadIdBytes) + " bytes");
  for (std::size_t i = 0; i < id.size();) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c == 0x7F) malformed(name + " contains a control character");
    const std::size_t n = utf8_sequence(id, i);
    if (n == 0) malformed(name + " is not valid UTF-8");
    i += n;
  }
}

std::optional<std::string> optional_string(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) malformed(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

std::string percent_decode(std::string_view segment) {
  auto decoded = sg::server::percent_decode(segment);
  if (!decoded) throw ChatbotError(ChatbotErrorId::bad_request, "a bad %-escape in the path");
  return std::move(*decoded);
}

ChatRequest parse_chat_request(std::string_view body) {
  const nlohmann::json object = parse_request_object(body);
  ChatRequest request;
  auto session = optional_string(object, "session_id");
  if (!session) malformed("\"session_id\" is missing (the thread to continue; any new id starts a thread)");
  check_thread_id(*session, "session_id");
  request.session_id = std::move(*session);
  auto message = optional_string(object, "message");
  if (!message) malformed("\"message\" is missing");
  request.message = std::move(*message);
  request.language = optional_string(object, "language");
  if (request.language && request.language->empty()) request.language.reset();
  return request;
}

}  // namespace sg::chatbot

// The OpenAI chat-completions wire format, as langchain-openai maps it (langchain-ai/langchain:
// libs/partners/openai/langchain_openai/chat_models/base.py).
#include "openai_wire.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "stategraph/nodes/errors.hpp"

namespace sg::nodes_detail {

namespace {

using nlohmann::json;

[[noreturn]] void malformed(const std::string& what, const json& j) {
  throw ModelError(ErrorId::nodes_malformed_reply, "malformed chat-completions " + what + ": " + text_excerpt(j.dump(), 200));
}

/// The server reported an error in a 200 body or inside a stream.
[[noreturn]] void server_error(const json& body) {
  throw ModelError(ErrorId::nodes_http_status, "the server replied with an error: " + openai_error_message(body.dump()));
}

void check_error_object(const json& j) {
  if (auto it = j.find("error"); it != j.end() && !it->is_null()) server_error(j);
}

std::string text_of(const json& content) {
  if (content.is_null()) return {};
  if (content.is_string()) return content.get<std::string>();
  std::string s;
  if (content.is_array())
    for (const auto& p : content) {
      if (p.is_string()) s += p.get<std::string>();
      else if (p.is_object() && p.value("type", "") == "text" && p.contains("text") && p["text"].is_string())
        s += p["text"].get<std::string>();
    }
  return s;
}

std::string opt_string(const json& j, const char* key, const char* what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) malformed(std::string(what) + " (\"" + key + "\" is not a string)", j);
  return it->get<std::string>();
}

std::int64_t token_count(const json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end() || it->is_null()) return 0;
  if (!it->is_number_integer() && !it->is_number_unsigned()) malformed("usage (\"" + std::string(key) + "\")", usage);
  return it->get<std::int64_t>();
}

std::optional<UsageMetadata> usage_of(const json& body) {
  auto it = body.find("usage");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) malformed("usage (not an object)", body);
  UsageMetadata u;
  u.input_tokens = token_count(*it, "prompt_tokens");
  u.output_tokens = token_count(*it, "completion_tokens");
  u.total_tokens = token_count(*it, "total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.input_tokens + u.output_tokens;
  return u;
}

/// Arguments text → JSON: empty → {}, valid JSON → it, else the raw text as a string (ToolNode
/// answers such a call with an error tool message).
json parse_arguments(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return text;
  return parsed;
}

/// The first choice of a reply or chunk, or nullptr when "choices" is absent or empty.
const json* first_choice(const json& body, const char* what) {
  auto it = body.find("choices");
  if (it == body.end() || it->is_null()) return nullptr;
  if (!it->is_array()) malformed(std::string(what) + " (\"choices\" is not an array)", body);
  if (it->empty()) return nullptr;
  const json& c = it->front();
  if (!c.is_object()) malformed(std::string(what) + " (a choice is not an object)", body);
  return &c;
}

void common_metadata(const json& body, json& meta) {
  if (auto it = body.find("model"); it != body.end() && it->is_string()) meta["model_name"] = *it;
  if (auto it = body.find("id"); it != body.end() && it->is_string()) meta["id"] = *it;
  if (auto it = body.find("system_fingerprint"); it != body.end() && it->is_string()) meta["system_fingerprint"] = *it;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// A non-negative decimal number ("2", "1.5"); nullopt for anything else.
std::optional<double> decimal(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 32) return std::nullopt;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) dot = true;
    else if (c < '0' || c > '9') return std::nullopt;
  }
  if (s == ".") return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

std::optional<std::chrono::system_clock::time_point> http_date(std::string_view text) {
  const std::string s(trim(text));
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char mon[4] = {};
  bool ok = false;
  if (const auto comma = s.find(','); comma != std::string::npos) {
    const char* rest = s.c_str() + comma + 1;
    char gmt[4] = {};
    if (std::sscanf(rest, " %d %3[A-Za-z] %d %d:%d:%d %3s", &day, mon, &year, &hh, &mm, &ss, gmt) == 7)
      ok = std::strcmp(gmt, "GMT") == 0;  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    else if (std::sscanf(rest, " %d-%3[A-Za-z]-%d %d:%d:%d %3s", &day, mon, &year, &hh, &mm, &ss, gmt) == 7)
      ok = std::strcmp(gmt, "GMT") == 0;  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  } else {
    ok = std::sscanf(s.c_str(), "%*3s %3[A-Za-z] %d %d:%d:%d %d", mon, &day, &hh, &mm, &ss, &year) == 6;  // asctime
  }
  if (!ok) return std::nullopt;
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (std::strcmp(mon, months[i]) == 0) month = i + 1;
  if (month == 0) return std::nullopt;
  if (year < 100) year += year < 70 ? 2000 : 1900;  // RFC 850's two-digit years
  if (hh > 23 || mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

}  // namespace

nlohmann::json openai_request_body(const OpenAIRequestParams& params, const Messages& messages,
                                   const std::vector<ToolSpec>& tools, const ChatOptions& options) {
  json body = json::object();
  body["model"] = params.model;
  json wire = json::array();
  for (const auto& m : messages) {
    json w = to_openai_json(m);
    if (m.type == MessageType::ai && w.contains("tool_calls") && w["content"] == "") w["content"] = nullptr;
    if (m.type == MessageType::tool) w.erase("name");
    wire.push_back(std::move(w));
  }
  body["messages"] = std::move(wire);
  if (!tools.empty()) {
    json t = json::array();
    for (const auto& spec : tools) t.push_back(to_openai_json(spec));
    body["tools"] = std::move(t);
  }
  if (const auto temperature = options.temperature ? options.temperature : params.temperature) body["temperature"] = *temperature;
  if (const auto max_tokens = options.max_tokens ? options.max_tokens : params.max_tokens) body["max_tokens"] = *max_tokens;
  if (!options.stop.empty()) body["stop"] = options.stop;
  if (params.stream) {
    body["stream"] = true;
    if (params.stream_usage) body["stream_options"] = {{"include_usage", true}};
  }
  if (options.extra.is_object())
    for (const auto& [key, value] : options.extra.items()) body[key] = value;
  return body;
}

Message openai_parse_completion(const nlohmann::json& body) {
  if (!body.is_object()) malformed("reply (not a JSON object)", body);
  check_error_object(body);
  const json* choice = first_choice(body, "reply");
  if (choice == nullptr) malformed("reply (no choices)", body);
  auto mit = choice->find("message");
  if (mit == choice->end() || !mit->is_object()) malformed("reply (the choice has no message object)", body);
  const json& msg = *mit;

  Message m = AIMessage("");
  if (auto it = msg.find("content"); it != msg.end() && !it->is_null()) {
    if (it->is_string()) m.content = *it;
    else if (it->is_array()) m.content = *it;
    else malformed("reply (message content is neither text nor a list)", body);
  }
  if (auto it = msg.find("tool_calls"); it != msg.end() && !it->is_null()) {
    if (!it->is_array()) malformed("reply (\"tool_calls\" is not an array)", body);
    for (const auto& tc : *it) {
      if (!tc.is_object()) malformed("reply (a tool call is not an object)", body);
      auto fit = tc.find("function");
      if (fit == tc.end() || !fit->is_object()) malformed("reply (a tool call has no function)", body);
      ToolCall call;
      call.id = opt_string(tc, "id", "tool call");
      call.name = opt_string(*fit, "name", "tool call");
      if (auto ait = fit->find("arguments"); ait != fit->end() && !ait->is_null()) {
        if (ait->is_string()) call.args = parse_arguments(ait->get<std::string>());
        else if (ait->is_object()) call.args = *ait;  // some servers send an object
        else malformed("reply (tool call arguments are neither text nor an object)", body);
      }
      m.tool_calls.push_back(std::move(call));
    }
  }
  m.usage = usage_of(body);
  json meta = json::object();
  common_metadata(body, meta);
  if (auto it = choice->find("finish_reason"); it != choice->end() && it->is_string()) meta["finish_reason"] = *it;
  if (auto it = body.find("usage"); it != body.end() && it->is_object()) meta["token_usage"] = *it;
  if (auto it = msg.find("refusal"); it != msg.end() && it->is_string()) meta["refusal"] = *it;
  m.response_metadata = std::move(meta);
  return m;
}

std::optional<MessageChunk> openai_parse_chunk(const nlohmann::json& chunk) {
  if (!chunk.is_object()) malformed("stream chunk (not a JSON object)", chunk);
  check_error_object(chunk);
  MessageChunk c;
  c.usage = usage_of(chunk);
  if (const json* choice = first_choice(chunk, "stream chunk")) {
    auto dit = choice->find("delta");
    if (dit != choice->end() && !dit->is_null()) {
      if (!dit->is_object()) malformed("stream chunk (\"delta\" is not an object)", chunk);
      const json& delta = *dit;
      if (auto it = delta.find("content"); it != delta.end() && !it->is_null()) {
        if (!it->is_string() && !it->is_array()) malformed("stream chunk (delta content is not text)", chunk);
        c.content = text_of(*it);
      }
      if (auto it = delta.find("tool_calls"); it != delta.end() && !it->is_null()) {
        if (!it->is_array()) malformed("stream chunk (\"tool_calls\" is not an array)", chunk);
        std::size_t position = 0;
        for (const auto& tc : *it) {
          if (!tc.is_object()) malformed("stream chunk (a tool call delta is not an object)", chunk);
          ToolCallChunk t;
          t.index = position++;
          if (auto iit = tc.find("index"); iit != tc.end() && !iit->is_null()) {
            if (!iit->is_number_unsigned() && !(iit->is_number_integer() && iit->get<std::int64_t>() >= 0))
              malformed("stream chunk (a tool call index is not a non-negative integer)", chunk);
            t.index = iit->get<std::size_t>();
          }
          t.id = opt_string(tc, "id", "stream chunk tool call");
          if (auto fit = tc.find("function"); fit != tc.end() && !fit->is_null()) {
            if (!fit->is_object()) malformed("stream chunk (a tool call function is not an object)", chunk);
            t.name = opt_string(*fit, "name", "stream chunk tool call");
            if (auto ait = fit->find("arguments"); ait != fit->end() && !ait->is_null())
              t.args = ait->is_string() ? ait->get<std::string>() : ait->dump();
          }
          c.tool_call_chunks.push_back(std::move(t));
        }
      }
    }
    if (auto it = choice->find("finish_reason"); it != choice->end() && it->is_string()) {
      c.response_metadata["finish_reason"] = *it;
      common_metadata(chunk, c.response_metadata);
    }
  }
  if (c.usage) common_metadata(chunk, c.response_metadata);
  if (c.content.empty() && c.tool_call_chunks.empty() && !c.usage && c.response_metadata.empty()) return std::nullopt;
  return c;
}

std::string openai_error_message(std::string_view body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto err = j.find("error");
    if (err != j.end() && err->is_object()) {
      std::string s = err->contains("message") ? text_of((*err)["message"]) : std::string();
      if (s.empty()) s = err->dump();
      std::string details;
      for (const char* key : {"type", "code", "param"}) {
        auto it = err->find(key);
        if (it == err->end() || it->is_null()) continue;
        details += (details.empty() ? "" : ", ") + std::string(key) + " " +
                   (it->is_string() ? it->get<std::string>() : it->dump());
      }
      return text_excerpt(details.empty() ? s : s + " (" + details + ")", 1000);
    }
    if (err != j.end() && err->is_string()) return text_excerpt(err->get<std::string>(), 1000);
    if (auto it = j.find("message"); it != j.end() && it->is_string()) return text_excerpt(it->get<std::string>(), 1000);
    if (auto it = j.find("detail"); it != j.end() && !it->is_null())
      return text_excerpt(it->is_string() ? it->get<std::string>() : it->dump(), 1000);
  }
  // Not an error object (an HTML page from a proxy, plain text): its first 300 characters.
  std::string text = text_excerpt(body, 300);
  return text.empty() ? "(empty body)" : text;
}

std::string text_excerpt(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;  // whitespace or control characters pending (collapsed into one space)
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') {
      space = true;
      ++i;
      continue;
    }
    // The length of a valid UTF-8 sequence starting here (RFC 3629), or 0.
    std::size_t len = 0;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    if (len > 1) {
      if (i + len > s.size()) len = 0;
      for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0U) != 0x80U) len = 0;
      if (len > 0) {
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
          len = 0;  // overlong, surrogate or beyond U+10FFFF
      }
    }
    if (chars + (space && !out.empty() ? 1 : 0) >= max_chars) {
      out += "...";
      return out;
    }
    if (space && !out.empty()) {
      out.push_back(' ');
      ++chars;
    }
    space = false;
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      i += 1;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
    ++chars;
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view retry_after_ms, std::string_view retry_after,
                                                           std::chrono::system_clock::time_point now) {
  using std::chrono::milliseconds;
  if (const auto ms = decimal(retry_after_ms)) return milliseconds(static_cast<std::int64_t>(std::llround(*ms)));
  if (const auto s = decimal(retry_after)) return milliseconds(static_cast<std::int64_t>(std::llround(*s * 1000.0)));
  if (const auto when = http_date(retry_after)) {
    const auto delta = std::chrono::duration_cast<milliseconds>(*when - now);
    return std::max(delta, milliseconds(0));
  }
  return std::nullopt;
}

std::chrono::milliseconds retry_backoff(int retry, std::chrono::milliseconds initial, double factor,
                                        std::chrono::milliseconds cap, double jitter) {
  const double base = static_cast<double>(initial.count()) * std::pow(factor, std::max(retry, 0));
  const double capped = std::min(base, static_cast<double>(cap.count()));
  const double j = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * (1.0 - 0.25 * j)));
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 10))
    text.replace(pos, secret.size(), "[redacted]");
  return text;
}

}  // namespace sg::nodes_detail

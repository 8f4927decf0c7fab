#include "stategraph/nodes/message.hpp"

#include <iostream>

#include "stategraph/nodes/errors.hpp"
#include "util.hpp"

namespace sg {

namespace {

using nlohmann::json;

[[noreturn]] void bad_message(std::string_view what) { throw UsageError(ErrorId::nodes_not_a_message, what); }

json checked_content(json content) {
  if (content.is_null()) return "";
  if (!content.is_string() && !content.is_array())
    bad_message("message content must be a string or an array of content parts, got " +
                std::string(content.type_name()) + ": " + content.dump());
  return content;
}

std::string optional_string(const json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) bad_message(std::string(what) + ": \"" + key + "\" must be a string, got " + it->dump());
  return it->get<std::string>();
}

/// Arguments given as JSON text: parsed when valid, else kept as the raw string.
json args_from_text(const std::string& text) {
  if (text.empty()) return json::object();
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return text;
  return parsed;
}

std::string rstrip(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string title_case(std::string_view type) {
  std::string t(type);
  if (!t.empty() && t[0] >= 'a' && t[0] <= 'z') t[0] = static_cast<char>(t[0] - 'a' + 'A');
  return t;
}

}  // namespace

const char* to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::system: return "system";
    case MessageType::human: return "human";
    case MessageType::ai: return "ai";
    case MessageType::tool: return "tool";
    case MessageType::remove: return "remove";
  }
  return "unknown";
}

std::optional<MessageType> message_type_from_string(std::string_view name) noexcept {
  if (name == "human" || name == "user") return MessageType::human;
  if (name == "ai" || name == "assistant") return MessageType::ai;
  if (name == "system" || name == "developer") return MessageType::system;
  if (name == "tool") return MessageType::tool;
  if (name == "remove") return MessageType::remove;
  return std::nullopt;
}

std::string Message::text() const {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_string()) {
        out += part.get<std::string>();
      } else if (part.is_object()) {
        auto kind = part.find("type");
        auto body = part.find("text");
        if (kind != part.end() && *kind == "text" && body != part.end() && body->is_string())
          out += body->get<std::string>();
      }
    }
  }
  return out;
}

namespace {
Message text_message(MessageType type, nlohmann::json content, std::string id) {
  Message m;
  m.type = type;
  m.content = checked_content(std::move(content));
  m.id = std::move(id);
  return m;
}
}  // namespace

Message SystemMessage(nlohmann::json content, std::string id) {
  return text_message(MessageType::system, std::move(content), std::move(id));
}

Message HumanMessage(nlohmann::json content, std::string id) {
  return text_message(MessageType::human, std::move(content), std::move(id));
}

Message AIMessage(nlohmann::json content, std::string id) {
  return text_message(MessageType::ai, std::move(content), std::move(id));
}

Message AIMessage(nlohmann::json content, std::vector<ToolCall> tool_calls, std::string id) {
  Message m = AIMessage(std::move(content), std::move(id));
  m.tool_calls = std::move(tool_calls);
  return m;
}

Message ToolMessage(nlohmann::json content, std::string tool_call_id, std::string id) {
  Message m;
  m.type = MessageType::tool;
  m.content = checked_content(std::move(content));
  m.tool_call_id = std::move(tool_call_id);
  m.id = std::move(id);
  return m;
}

Message RemoveMessage(std::string id) {
  Message m;
  m.type = MessageType::remove;
  m.id = std::move(id);
  return m;
}

void to_json(nlohmann::json& j, const ToolCall& c) {
  j = json{{"name", c.name}, {"args", c.args}, {"id", c.id}, {"type", "tool_call"}};
}

void from_json(const nlohmann::json& j, ToolCall& c) {
  if (!j.is_object()) bad_message("a tool call must be a JSON object, got " + j.dump());
  c = ToolCall{};
  c.id = optional_string(j, "id", "tool call");
  if (auto fn = j.find("function"); fn != j.end()) {  // OpenAI form
    if (!fn->is_object()) bad_message("tool call: \"function\" must be an object, got " + fn->dump());
    c.name = optional_string(*fn, "name", "tool call function");
    auto a = fn->find("arguments");
    if (a == fn->end() || a->is_null()) {
      c.args = json::object();
    } else if (a->is_string()) {
      c.args = args_from_text(a->get<std::string>());
    } else {
      c.args = *a;
    }
    return;
  }
  c.name = optional_string(j, "name", "tool call");
  auto a = j.find("args");
  c.args = (a == j.end() || a->is_null()) ? json::object() : *a;
}

void to_json(nlohmann::json& j, const UsageMetadata& u) {
  j = json{{"input_tokens", u.input_tokens}, {"output_tokens", u.output_tokens}, {"total_tokens", u.total_tokens}};
}

void from_json(const nlohmann::json& j, UsageMetadata& u) {
  if (!j.is_object()) bad_message("usage_metadata must be a JSON object, got " + j.dump());
  auto get = [&](const char* k) -> std::int64_t {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) bad_message(std::string("usage_metadata.") + k + " must be an integer");
    return it->get<std::int64_t>();
  };
  u.input_tokens = get("input_tokens");
  u.output_tokens = get("output_tokens");
  u.total_tokens = j.contains("total_tokens") ? get("total_tokens") : u.input_tokens + u.output_tokens;
}

void to_json(nlohmann::json& j, const Message& m) {
  j = json::object();
  j["type"] = to_string(m.type);
  // A remove message carries no content; LangGraph.js / @langchain/core 1.x write it as an
  // empty list (messages/modifier.ts), Python's langchain-core as "" (messages/modifier.py).
  j["content"] = m.type == MessageType::remove ? json::array() : m.content;
  if (!m.id.empty()) j["id"] = m.id;
  if (!m.name.empty()) j["name"] = m.name;
  if (!m.tool_calls.empty()) j["tool_calls"] = m.tool_calls;
  if (m.usage) j["usage_metadata"] = *m.usage;
  if (!m.response_metadata.empty()) j["response_metadata"] = m.response_metadata;
  if (m.type == MessageType::tool) {
    j["tool_call_id"] = m.tool_call_id;
    j["status"] = m.status == ToolStatus::error ? "error" : "success";
  } else if (!m.tool_call_id.empty()) {
    j["tool_call_id"] = m.tool_call_id;
  }
}

void from_json(const nlohmann::json& in, Message& m) {
  m = Message{};
  if (in.is_string()) {  // convert_to_messages: a string is a human message
    m.type = MessageType::human;
    m.content = in;
    return;
  }
  if (in.is_array()) {  // (role, content)
    if (in.size() != 2 || !in[0].is_string())
      bad_message("a message given as an array must be [role, content], got " + in.dump());
    auto type = message_type_from_string(in[0].get_ref<const std::string&>());
    if (!type) bad_message("unknown message role \"" + in[0].get<std::string>() + "\" in " + in.dump());
    m.type = *type;
    m.content = checked_content(in[1]);
    return;
  }
  if (!in.is_object()) bad_message("a message must be a JSON object, string or [role, content], got " + in.dump());

  // message_to_dict form: {"type": "human", "data": {...}}
  const json* src = &in;
  json merged;
  if (auto data = in.find("data"); data != in.end() && data->is_object() && !in.contains("content")) {
    merged = *data;
    if (in.contains("type")) merged["type"] = in["type"];
    src = &merged;
  }
  const json& j = *src;

  const char* role_key = j.contains("role") ? "role" : "type";
  auto role = j.find(role_key);
  if (role == j.end() || !role->is_string())
    bad_message("a message needs a string \"type\" (or \"role\"), got " + in.dump());
  auto type = message_type_from_string(role->get_ref<const std::string&>());
  if (!type)
    bad_message("unknown message " + std::string(role_key) + " \"" + role->get<std::string>() +
                "\" (expected system, human/user, ai/assistant, tool or remove)");
  m.type = *type;
  // A remove message's content ("" from Python, [] from JS, or absent) is ignored, as
  // @langchain/core's RemoveMessage constructor ignores it.
  if (auto c = j.find("content"); c != j.end() && m.type != MessageType::remove) m.content = checked_content(*c);
  m.id = optional_string(j, "id", "message");
  m.name = optional_string(j, "name", "message");
  if (auto tc = j.find("tool_calls"); tc != j.end() && !tc->is_null()) {
    if (!tc->is_array()) bad_message("\"tool_calls\" must be an array, got " + tc->dump());
    m.tool_calls = tc->get<std::vector<ToolCall>>();
  }
  if (auto u = j.find("usage_metadata"); u != j.end() && !u->is_null()) m.usage = u->get<UsageMetadata>();
  if (auto r = j.find("response_metadata"); r != j.end() && !r->is_null()) {
    if (!r->is_object()) bad_message("\"response_metadata\" must be an object, got " + r->dump());
    m.response_metadata = *r;
  }
  m.tool_call_id = optional_string(j, "tool_call_id", "message");
  if (auto s = j.find("status"); s != j.end() && !s->is_null()) {
    if (*s == "error") {
      m.status = ToolStatus::error;
    } else if (*s != "success") {
      bad_message("tool message \"status\" must be \"success\" or \"error\", got " + s->dump());
    }
  }
}

nlohmann::json to_openai_json(const Message& m) {
  json j = json::object();
  switch (m.type) {
    case MessageType::system: j["role"] = "system"; break;
    case MessageType::human: j["role"] = "user"; break;
    case MessageType::ai: j["role"] = "assistant"; break;
    case MessageType::tool: j["role"] = "tool"; break;
    case MessageType::remove: bad_message("a remove message (id \"" + m.id + "\") has no OpenAI form");
  }
  if (m.content.is_array()) {
    bool all_text = true;
    for (const auto& p : m.content)
      if (!p.is_string() && !(p.is_object() && p.value("type", "") == "text")) all_text = false;
    if (all_text) {
      std::string s;
      bool first = true;
      for (const auto& p : m.content) {
        if (!first) s += "\n";
        first = false;
        s += p.is_string() ? p.get<std::string>() : p.value("text", "");
      }
      j["content"] = s;
    } else {
      json parts = json::array();
      for (const auto& p : m.content)
        parts.push_back(p.is_string() ? json{{"type", "text"}, {"text", p}} : p);
      j["content"] = parts;
    }
  } else {
    j["content"] = m.content;
  }
  if (!m.name.empty()) j["name"] = m.name;
  if (m.type == MessageType::ai && !m.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& c : m.tool_calls)
      calls.push_back({{"id", c.id},
                       {"type", "function"},
                       {"function", {{"name", c.name}, {"arguments", nodes_detail::json_text(c.args)}}}});
    j["tool_calls"] = calls;
  }
  if (m.type == MessageType::tool) j["tool_call_id"] = m.tool_call_id;
  return j;
}

std::string message_title(const Message& m) {
  std::string padded = " ";  // appended, not " " + string: g++ 12 -O3 reports a false -Wrestrict there
  padded += title_case(to_string(m.type));
  padded += " Message ";
  const std::size_t len = nodes_detail::utf8_length(padded);
  const std::size_t sep_len = len < 80 ? (80 - len) / 2 : 0;
  const std::string sep(sep_len, '=');
  return sep + padded + sep + (len % 2 != 0 ? "=" : "");
}

std::string pretty_repr(const Message& m) {
  std::string title = message_title(m);
  if (!m.name.empty()) title += "\nName: " + m.name;
  const std::string body = m.content.is_string() ? m.content.get<std::string>() : nodes_detail::python_repr(m.content);
  std::string base = title + "\n\n" + body;
  if (m.type != MessageType::ai) return base;
  std::string lines;
  if (!m.tool_calls.empty()) {
    lines += "Tool Calls:";
    for (const auto& tc : m.tool_calls) {
      const std::string id = tc.id.empty() ? "None" : tc.id;
      lines += "\n  " + (tc.name.empty() ? std::string("Tool") : tc.name) + " (" + id + ")";
      lines += "\n Call ID: " + id;
      lines += "\n  Args:";
      if (tc.args.is_string()) {
        lines += "\n    " + tc.args.get<std::string>();
      } else if (tc.args.is_object()) {
        for (const auto& [k, v] : tc.args.items()) lines += "\n    " + k + ": " + nodes_detail::python_str(v);
      }
    }
  }
  return rstrip(rstrip(base) + "\n" + lines);
}

void pretty_print(const Message& m, std::ostream& out) { out << pretty_repr(m) << '\n'; }

void pretty_print(const Message& m) { pretty_print(m, std::cout); }

}  // namespace sg

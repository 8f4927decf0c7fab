#include "messages.hpp"

#include <map>
#include <set>

#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

const std::string* string_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

std::string title_of(const std::string& type) {
  if (type == "human") return "Human";
  if (type == "ai") return "Ai";
  if (type == "system") return "System";
  if (type == "tool") return "Tool";
  if (type == "remove") return "Remove";
  return type;
}

// The text of a content value: a string, or the text parts of a list (other parts named).
std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (!content.is_array()) return content.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  for (const auto& part : content) {
    if (!out.empty()) out += "\n";
    if (part.is_string()) {
      out += part.get<std::string>();
    } else if (part.is_object() && string_field(part, "text") != nullptr) {
      out += *string_field(part, "text");
    } else if (part.is_object() && string_field(part, "type") != nullptr) {
      out += "[" + *string_field(part, "type") + "]";
    } else {
      out += part.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  return out;
}

std::string id_of(const json& m) {
  const std::string* id = string_field(m, "id");
  return id != nullptr ? *id : "";
}

}  // namespace

bool is_message(const json& value) {
  if (!value.is_object()) return false;
  const std::string* type = string_field(value, "type");
  if (type == nullptr) return false;
  static const std::set<std::string, std::less<>> kTypes = {"human", "ai", "system", "tool", "remove"};
  return kTypes.count(*type) != 0 && (value.contains("content") || *type == "remove");
}

bool is_message_list(const json& value) {
  if (!value.is_array() || value.empty()) return false;
  for (const auto& element : value)
    if (!is_message(element)) return false;
  return true;
}

std::string render_message(const json& m) {
  const std::string type = string_field(m, "type") != nullptr ? *string_field(m, "type") : "?";
  std::string padded = " ";  // appended, not " " + string: g++ 12 -O3 reports a false -Wrestrict there
  padded += title_of(type);
  padded += " Message ";
  const std::size_t len = display_width(padded);
  const std::size_t side = len < 80 ? (80 - len) / 2 : 0;
  std::string out = std::string(side, '=') + padded + std::string(side, '=') + (len % 2 != 0 ? "=" : "") + "\n";
  if (const std::string id = id_of(m); !id.empty()) out += "id: " + id + "\n";
  if (const std::string* name = string_field(m, "name"); name != nullptr && !name->empty())
    out += "Name: " + *name + "\n";
  if (const std::string* call = string_field(m, "tool_call_id"); call != nullptr && !call->empty())
    out += "Tool call: " + *call + "\n";
  const std::string body = content_text(m.contains("content") ? m.at("content") : json());
  out += "\n" + body;
  if (const auto calls = m.find("tool_calls"); calls != m.end() && calls->is_array() && !calls->empty()) {
    if (!body.empty()) out += "\n";
    out += "Tool Calls:";
    for (const auto& call : *calls) {
      const std::string* name = call.is_object() ? string_field(call, "name") : nullptr;
      const std::string* id = call.is_object() ? string_field(call, "id") : nullptr;
      out += "\n  " + (name != nullptr ? *name : std::string("Tool")) + " (" + (id != nullptr ? *id : "None") + ")";
      out += "\n  Args:";
      if (const auto args = call.find("args"); args != call.end()) {
        if (args->is_object()) {
          for (const auto& [k, v] : args->items())
            out += "\n    " + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace));
        } else {
          out += "\n    " + args->dump(-1, ' ', false, json::error_handler_t::replace);
        }
      }
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string message_summary(const json& m, std::size_t max) {
  const std::string type = string_field(m, "type") != nullptr ? *string_field(m, "type") : "?";
  std::string head = "[" + type + "]";
  if (const std::string id = id_of(m); !id.empty()) head += " id=" + id;
  std::string text = content_text(m.contains("content") ? m.at("content") : json());
  if (const auto calls = m.find("tool_calls"); calls != m.end() && calls->is_array() && !calls->empty()) {
    std::string names;
    for (const auto& call : *calls)
      if (call.is_object() && string_field(call, "name") != nullptr)
        names += (names.empty() ? "" : ", ") + *string_field(call, "name");
    if (!text.empty()) text += ' ';
    text += "(tool calls: ";
    text += names;
    text += ')';
  }
  return head + ": " + one_line(text, max);
}

MessageDiff diff_messages(const json& before, const json& after) {
  MessageDiff d;
  const json empty = json::array();
  const json& a = before.is_array() ? before : empty;
  const json& b = after.is_array() ? after : empty;
  bool all_ids = true;
  for (const json* list : {&a, &b})
    for (const auto& m : *list)
      if (!m.is_object() || id_of(m).empty()) all_ids = false;
  if (all_ids) {
    std::map<std::string, const json*> old_by_id, new_by_id;
    for (const auto& m : a) old_by_id.emplace(id_of(m), &m);
    for (const auto& m : b) new_by_id.emplace(id_of(m), &m);
    for (const auto& m : b) {
      const auto it = old_by_id.find(id_of(m));
      if (it == old_by_id.end()) {
        d.added.push_back(m);
      } else if (*it->second != m) {
        d.replaced.emplace_back(*it->second, m);
      }
    }
    for (const auto& m : a)
      if (new_by_id.count(id_of(m)) == 0) d.removed.push_back(m);
    return d;
  }
  const std::size_t common = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < common; ++i)
    if (a[i] != b[i]) d.replaced.emplace_back(a[i], b[i]);
  for (std::size_t i = common; i < b.size(); ++i) d.added.push_back(b[i]);
  for (std::size_t i = common; i < a.size(); ++i) d.removed.push_back(a[i]);
  return d;
}

}  // namespace sgcli

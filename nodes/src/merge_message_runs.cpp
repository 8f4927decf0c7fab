// merge_message_runs: langchain_core/messages/utils.py `merge_message_runs` and
// messages/base.py `merge_content`.
#include "stategraph/nodes/merge_message_runs.hpp"

namespace sg {

namespace {

using nlohmann::json;

/// langchain_core merge_content(first, second) for str | list contents.
json merge_content(json first, const json& second) {
  if (first.is_string()) {
    if (second.is_string()) return first.get<std::string>() + second.get<std::string>();
    json merged = json::array({first});
    for (const auto& p : second) merged.push_back(p);
    return merged;
  }
  if (second.is_array()) {
    for (const auto& p : second) first.push_back(p);
    return first;
  }
  if (!first.empty() && first.back().is_string()) {
    first.back() = first.back().get<std::string>() + second.get<std::string>();
  } else if (!second.get_ref<const std::string&>().empty()) {
    first.push_back(second);
  }
  return first;
}

}  // namespace

Messages merge_message_runs(const Messages& messages, const std::string& chunk_separator) {
  Messages merged;
  for (const Message& msg : messages) {
    if (merged.empty() || msg.type == MessageType::tool || msg.type == MessageType::remove ||
        msg.type != merged.back().type) {
      merged.push_back(msg);
      continue;
    }
    Message& last = merged.back();
    json left = last.content;
    if (left.is_string() && msg.content.is_string() && !left.get_ref<const std::string&>().empty() &&
        !msg.content.get_ref<const std::string&>().empty())
      left = left.get<std::string>() + chunk_separator;
    last.content = merge_content(std::move(left), msg.content);
    last.tool_calls.insert(last.tool_calls.end(), msg.tool_calls.begin(), msg.tool_calls.end());
    if (msg.usage) {
      if (last.usage) {
        last.usage->input_tokens += msg.usage->input_tokens;
        last.usage->output_tokens += msg.usage->output_tokens;
        last.usage->total_tokens += msg.usage->total_tokens;
      } else {
        last.usage = msg.usage;
      }
    }
  }
  return merged;
}

}  // namespace sg

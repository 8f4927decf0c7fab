// filter_messages: langchain_core/messages/utils.py `filter_messages`.
#include "stategraph/nodes/filter_messages.hpp"

#include <algorithm>

namespace sg {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return !s.empty() && std::find(list.begin(), list.end(), s) != list.end();
}

bool contains(const std::vector<MessageType>& list, MessageType t) {
  return std::find(list.begin(), list.end(), t) != list.end();
}

}  // namespace

Messages filter_messages(const Messages& messages, const FilterOptions& o) {
  Messages out;
  const bool any_include = !o.include_names.empty() || !o.include_types.empty() || !o.include_ids.empty();
  for (const Message& original : messages) {
    if (contains(o.exclude_names, original.name) || contains(o.exclude_types, original.type) ||
        contains(o.exclude_ids, original.id))
      continue;
    if (o.exclude_all_tool_calls && (original.has_tool_calls() || original.type == MessageType::tool)) continue;

    Message msg = original;
    if (!o.exclude_tool_call_ids.empty()) {
      if (msg.has_tool_calls()) {
        std::erase_if(msg.tool_calls, [&](const ToolCall& c) { return contains(o.exclude_tool_call_ids, c.id); });
        if (msg.tool_calls.empty()) continue;
        if (msg.content.is_array()) {  // Anthropic content blocks
          nlohmann::json kept = nlohmann::json::array();
          for (const auto& block : msg.content) {
            const bool drop = block.is_object() && block.value("type", "") == "tool_use" &&
                              contains(o.exclude_tool_call_ids, block.value("id", ""));
            if (!drop) kept.push_back(block);
          }
          msg.content = std::move(kept);
        }
      } else if (msg.type == MessageType::tool && contains(o.exclude_tool_call_ids, msg.tool_call_id)) {
        continue;
      }
    }

    if (!any_include || contains(o.include_names, msg.name) || contains(o.include_types, msg.type) ||
        contains(o.include_ids, msg.id))
      out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace sg

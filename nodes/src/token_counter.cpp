// LangChain's count_tokens_approximately (langchain_core/messages/utils.py).
#include "stategraph/nodes/token_counter.hpp"

#include <cmath>

#include "util.hpp"

namespace sg {

namespace {

const char* openai_role(MessageType t) {
  switch (t) {
    case MessageType::system: return "system";
    case MessageType::human: return "user";
    case MessageType::ai: return "assistant";
    case MessageType::tool: return "tool";
    case MessageType::remove: return "remove";
  }
  return "";
}

/// Python's repr(message.tool_calls): [{'name': ..., 'args': {...}, 'id': ..., 'type': 'tool_call'}].
std::string tool_calls_repr(const std::vector<ToolCall>& calls) {
  std::string out = "[";
  bool first = true;
  for (const auto& c : calls) {
    if (!first) out += ", ";
    first = false;
    out += "{'name': " + nodes_detail::python_repr(c.name) + ", 'args': " + nodes_detail::python_repr(c.args) +
           ", 'id': " + (c.id.empty() ? std::string("None") : nodes_detail::python_repr(c.id)) +
           ", 'type': 'tool_call'}";
  }
  return out + "]";
}

double message_chars(const Message& m, const ApproxTokenOptions& o) {
  std::size_t chars = 0;
  if (m.content.is_string()) {
    chars += nodes_detail::utf8_length(m.content.get_ref<const std::string&>());
  } else {
    chars += nodes_detail::utf8_length(nodes_detail::python_repr(m.content));
  }
  if (m.type == MessageType::ai && !m.content.is_array() && !m.tool_calls.empty())
    chars += nodes_detail::utf8_length(tool_calls_repr(m.tool_calls));
  if (m.type == MessageType::tool) chars += nodes_detail::utf8_length(m.tool_call_id);
  chars += std::char_traits<char>::length(openai_role(m.type));
  if (!m.name.empty() && o.count_name) chars += nodes_detail::utf8_length(m.name);
  return static_cast<double>(chars);
}

}  // namespace

int CountTokensApproximately::operator()(const Messages& messages, const ApproxTokenOptions& options) const {
  double count = 0.0;
  for (const auto& m : messages) {
    // rounded up per message so that per-message counts add up to the list's count
    count += std::ceil(message_chars(m, options) / options.chars_per_token);
    count += options.extra_tokens_per_message;
  }
  return static_cast<int>(std::ceil(count));
}

int CountTokensApproximately::operator()(const Message& message, const ApproxTokenOptions& options) const {
  return static_cast<int>(std::ceil(std::ceil(message_chars(message, options) / options.chars_per_token) +
                                    options.extra_tokens_per_message));
}

}  // namespace sg

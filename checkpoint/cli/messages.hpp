#pragma once
// sg-checkpoints: chat messages as stored in a checkpoint (JSON objects with "type" human, ai,
// system, tool or remove, "content" a string or a list of parts, optional "id", "name",
// "tool_calls", "tool_call_id" — the shape of nodes/src/message.cpp's to_json), rendered as
// readable blocks, and the differences between two message lists.
//
// The CLI depends on the checkpoint layer only, so it reads the JSON directly.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgcli {

/// True for a JSON object that looks like a stored message.
bool is_message(const nlohmann::json& value);
/// True for a non-empty array whose elements are all messages.
bool is_message_list(const nlohmann::json& value);

/// A block in the style of LangGraph's pretty_print: an 80-column "=== Human Message ===" rule,
/// the id, name and tool-call lines, a blank line, and the content.
std::string render_message(const nlohmann::json& message);

/// "[ai] id=msg-2: Hello there…" on one line.
std::string message_summary(const nlohmann::json& message, std::size_t max = 70);

/// How message list `after` differs from `before`. Messages are matched by "id"; without ids,
/// by position.
struct MessageDiff {
  std::vector<nlohmann::json> added;
  std::vector<std::pair<nlohmann::json, nlohmann::json>> replaced;  ///< (before, after)
  std::vector<nlohmann::json> removed;
};
MessageDiff diff_messages(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace sgcli

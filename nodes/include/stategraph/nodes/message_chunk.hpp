#pragma once
/// @file
/// Streaming pieces of an ai message: sg::MessageChunk, and sg::ChunkAggregator which adds them
/// up into the final sg::Message.
///
/// Re-creates langchain-core's AIMessageChunk and its `+` (langchain-ai/langchain:
/// libs/core/langchain_core/messages/ai.py AIMessageChunk, add_ai_message_chunks;
/// messages/tool.py ToolCallChunk, default_tool_parser).
///
/// Thread-safety: values. A ChunkAggregator is used from one thread at a time.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/nodes/message.hpp"

namespace sg {

/// A piece of a streamed tool call. Pieces with the same `index` belong to one call: the first
/// usually carries id and name, the following ones more `args` text.
/// JSON: {"index": n, "id": ..., "name": ..., "args": "<json text fragment>"}.
struct ToolCallChunk {
  std::size_t index = 0;
  std::string id;
  std::string name;
  std::string args;  ///< a fragment of the arguments' JSON text

  friend bool operator==(const ToolCallChunk&, const ToolCallChunk&) = default;
};

/// A piece of a streamed ai message.
/// JSON: {"type": "AIMessageChunk", "content": "delta", "id": ..., "tool_call_chunks": [...],
///        "usage_metadata": {...}, "response_metadata": {...}} (empty optional fields left out).
struct MessageChunk {
  std::string id;       ///< the message's id; the same on every chunk of one reply
  std::string content;  ///< text delta
  std::vector<ToolCallChunk> tool_call_chunks;
  std::optional<UsageMetadata> usage;                              ///< usually on the last chunk
  nlohmann::json response_metadata = nlohmann::json::object();  ///< finish_reason, model_name, ...

  friend bool operator==(const MessageChunk&, const MessageChunk&) = default;
};

void to_json(nlohmann::json& j, const ToolCallChunk& c);
void from_json(const nlohmann::json& j, ToolCallChunk& c);
void to_json(nlohmann::json& j, const MessageChunk& c);
/// @throws UsageError [sg.nodes.603] when `j` is not a chunk.
void from_json(const nlohmann::json& j, MessageChunk& c);

/// Adds chunks up into one ai message, as LangChain's AIMessageChunk `+` then conversion to
/// AIMessage do: contents concatenated; tool call chunks grouped by index (first non-empty id
/// and name win, args fragments concatenated) and parsed — args text that is not valid JSON is
/// kept as a JSON string in ToolCall::args (ToolNode answers it with an error); empty args → {};
/// usage summed; response_metadata merged (later keys win); the first non-empty id wins.
class ChunkAggregator {
 public:
  void add(const MessageChunk& chunk);
  /// The ai message so far (tool calls in order of index).
  [[nodiscard]] Message message() const;
  [[nodiscard]] std::size_t chunks() const noexcept { return count_; }

 private:
  struct PendingCall {
    std::size_t index = 0;
    std::string id;
    std::string name;
    std::string args;
  };
  std::string id_;
  std::string content_;
  std::vector<PendingCall> calls_;
  std::optional<UsageMetadata> usage_;
  nlohmann::json response_metadata_ = nlohmann::json::object();
  std::size_t count_ = 0;
};

/// The message made of `chunks` (see ChunkAggregator).
[[nodiscard]] Message aggregate_chunks(const std::vector<MessageChunk>& chunks);

/// One message as chunks: its text as one chunk per word (the first word alone, each later word
/// with the whitespace before it: "Hi there" → "Hi", " there"), then, on a last chunk, its tool
/// calls (each one's args text cut in two fragments), usage and response_metadata. Aggregating
/// the result gives `message` back (for string content). Used by fake models and by
/// ChatModel's default streaming.
[[nodiscard]] std::vector<MessageChunk> split_into_chunks(const Message& message);

}  // namespace sg

#pragma once
// The OpenAI chat-completions wire format (internal to stategraph::nodes, not installed): pure
// functions from messages, tools and options to the request JSON, and from reply, chunk and error
// bodies to messages, chunks and error text. No I/O.
//
// Format: POST /v1/chat/completions (platform.openai.com/docs/api-reference/chat), as spoken by
// OpenAI, Ollama's /v1, llama.cpp's server and vLLM. The mapping to messages follows
// langchain-openai (langchain-ai/langchain: libs/partners/openai/langchain_openai/chat_models/
// base.py: _convert_message_to_dict, _convert_dict_to_message, _convert_delta_to_message_chunk,
// _create_usage_metadata, _create_chat_result).
//
// Thread-safety: pure functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/nodes/chat_model.hpp"
#include "stategraph/nodes/message.hpp"
#include "stategraph/nodes/message_chunk.hpp"
#include "stategraph/nodes/tool.hpp"

namespace sg::nodes_detail {

/// What the request takes from the model's configuration (ChatOptions override temperature and
/// max_tokens per call).
struct OpenAIRequestParams {
  std::string model;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  bool stream = false;
  /// With stream: ask for the final usage chunk (`stream_options: {include_usage: true}`).
  bool stream_usage = true;
};

/// The request body: {"model", "messages": [...], "tools"?: [...], "temperature"?, "max_tokens"?,
/// "stop"?, "stream"?, "stream_options"?} with ChatOptions::extra merged in last (its keys win).
/// Messages are converted by sg::to_openai_json(Message), then as langchain-openai sends them:
/// an assistant message with tool calls and empty text has content null; a tool message carries
/// only role, content and tool_call_id.
/// @throws UsageError [sg.nodes.603] for a remove message in `messages`.
[[nodiscard]] nlohmann::json openai_request_body(const OpenAIRequestParams& params, const Messages& messages,
                                                 const std::vector<ToolSpec>& tools, const ChatOptions& options);

/// A non-streaming reply body → an ai message (first choice): content (null → ""), tool calls
/// (arguments parsed; text that is not JSON kept as a string, see sg::ToolCall), usage
/// (prompt_tokens → input_tokens, completion_tokens → output_tokens, total_tokens) and
/// response_metadata {"model_name", "finish_reason", "id", "system_fingerprint", "token_usage",
/// "refusal"} (those the reply has). The message id stays empty.
/// @throws ModelError [sg.nodes.622] when the body is not such a reply (shape named in the message);
///         ModelError [sg.nodes.630] when it is an error object ({"error": ...}).
[[nodiscard]] Message openai_parse_completion(const nlohmann::json& body);

/// One streamed chunk → a message chunk: the first choice's delta content, its tool call deltas as
/// ToolCallChunks (index, id, name, arguments fragment), finish_reason (with model_name, id and
/// system_fingerprint) in response_metadata, and `usage` from the usage chunk (choices []).
/// @return nullopt when the chunk carries nothing (e.g. the role-only first chunk).
/// @throws as openai_parse_completion, for a chunk.
[[nodiscard]] std::optional<MessageChunk> openai_parse_chunk(const nlohmann::json& chunk);

/// The text to show for an error body: OpenAI's {"error": {"message", "type", "code"}} as
/// "message (type t, code c)"; also {"error": "text"}, {"message": ...}, {"detail": ...}. Anything
/// else (an HTML 502 page) as its first 300 characters, whitespace collapsed; "(empty body)".
[[nodiscard]] std::string openai_error_message(std::string_view body);

/// The delay a 429/503 asks for: the `retry-after-ms` header (milliseconds), else `retry-after`
/// (seconds, possibly fractional, or an HTTP date: IMF-fixdate, RFC 850 or asctime form, relative
/// to `now`). nullopt when absent or unparsable; a date in the past gives 0.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view retry_after_ms,
                                                                         std::string_view retry_after,
                                                                         std::chrono::system_clock::time_point now);

/// The delay before retry number `retry` (0 = the first retry): min(cap, initial * factor^retry),
/// reduced by up to 25 % by `jitter` in [0, 1) (openai-python's _calculate_retry_timeout).
[[nodiscard]] std::chrono::milliseconds retry_backoff(int retry, std::chrono::milliseconds initial, double factor,
                                                      std::chrono::milliseconds cap, double jitter);

/// At most `max_chars` characters of `s`, safe to put in an error message (and in JSON): runs of
/// whitespace and control characters become one space (none at the ends), bytes that are not
/// UTF-8 become U+FFFD, and "..." marks a cut.
[[nodiscard]] std::string text_excerpt(std::string_view s, std::size_t max_chars);

/// `text` with every occurrence of `secret` replaced by "[redacted]" (no-op for an empty secret).
[[nodiscard]] std::string redact(std::string text, std::string_view secret);

}  // namespace sg::nodes_detail

#pragma once
/// @file
/// The JSON of OpenAI's chat-completions API as sg-chatbot serves it at POST /v1/chat/completions:
/// the request (`chat.completion.create` parameters), the reply (`chat.completion`), the stream
/// chunks (`chat.completion.chunk`) and errors — enough for the official clients (the `openai`
/// npm and Python packages) and the tools built on them.
///
/// The server keeps each conversation as a thread, so a request names the thread to continue
/// ("user" or the X-Thread-Id header) and only its **last message** is the turn's input: it must
/// be a user message; earlier messages are ignored (the thread holds the history), and so are
/// system messages (the server's --system prompt applies) and sampling parameters (temperature,
/// max_tokens, ... are the server's model settings).
///
/// Follows OpenAI's API reference (platform.openai.com/docs/api-reference/chat: "The chat
/// completion object", "The chat completion chunk object", stream_options.include_usage).
///
/// Thread-safety: reentrant functions; parse_completion_request is fuzzed
/// (tests/fuzz/fuzz_chatbot_requests.cpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <stategraph/nodes/message.hpp>

namespace sg::chatbot {

/// What sg-chatbot takes from a chat-completions request.
struct CompletionRequest {
  std::string model;                ///< as given ("" when absent); echoed in the reply
  std::string input;                ///< the text of the last message (a user message)
  bool stream = false;              ///< "stream": true → chunks as SSE
  bool include_usage = false;       ///< "stream_options": {"include_usage": true}
  std::optional<std::string> user;  ///< "user" (a thread id), absent or "" → nullopt
  /// The request carries earlier turns (a user, assistant or tool message before the last one):
  /// a client that keeps its own history.
  bool has_history = false;
};

/// Parses a request body. Content may be a string or an array of text parts
/// ({"type": "text", "text": ...}; their texts are joined).
/// @throws ChatbotError [sg.chatbot.807] for bad JSON, a missing or empty "messages", a last
///         message that is not a user message, non-text content parts, mistyped fields or a bad
///         "user"; [sg.chatbot.801] when the last message's text is empty.
CompletionRequest parse_completion_request(std::string_view body);

/// "chatcmpl-" followed by 24 random letters and digits.
std::string new_completion_id();

/// The identity every object of one completion shares.
struct CompletionHead {
  std::string id;             ///< new_completion_id()
  std::int64_t created = 0;   ///< Unix time in seconds
  std::string model;          ///< echoed model name
};

/// The reply's usage as OpenAI's `usage` object {prompt_tokens, completion_tokens, total_tokens},
/// or null when the model reported none.
nlohmann::json completion_usage(const sg::Message& reply);

/// The reply's finish_reason: response_metadata["finish_reason"] when the model gave one, else "stop".
std::string finish_reason(const sg::Message& reply);

/// `chat.completion`: {id, object, created, model, choices: [{index: 0, message: {role:
/// "assistant", content, refusal: null}, logprobs: null, finish_reason}], usage?}.
nlohmann::json completion_json(const CompletionHead& head, const sg::Message& reply);

/// `chat.completion.chunk` with one choice: {id, object, created, model, choices: [{index: 0,
/// delta, logprobs: null, finish_reason}]} (finish_reason null while streaming).
nlohmann::json chunk_json(const CompletionHead& head, nlohmann::json delta,
                          std::optional<std::string> finish = std::nullopt);

/// The last chunk of a stream with stream_options.include_usage: choices [] and the usage.
nlohmann::json usage_chunk_json(const CompletionHead& head, nlohmann::json usage);

/// OpenAI's error object, extended with sg-chatbot's id: {"error": {"message", "type", "param":
/// null, "code", "id"}} where code and id are the sg.chatbot.8xx id and type is OpenAI's class
/// of the HTTP status ("invalid_request_error", "authentication_error", "not_found_error",
/// "api_error", ...).
nlohmann::json openai_error_json(std::string_view id, std::string_view message, unsigned status);

}  // namespace sg::chatbot

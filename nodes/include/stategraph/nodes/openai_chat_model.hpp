#pragma once
/// @file
/// sg::OpenAIChatModel — a chat model that talks to any OpenAI-compatible chat-completions
/// endpoint (OpenAI, Ollama's /v1, llama.cpp's server, vLLM) over libcurl, with SSE token
/// streaming, tool calls, timeouts, retries and cancellation.
///
/// @code{.cpp}
/// sg::OpenAIChatModel model({.model = "gpt-4o-mini", .temperature = 0.0});       // key from OPENAI_API_KEY
/// sg::OpenAIChatModel local({.base_url = "http://localhost:11434/v1", .model = "llama3.2"});  // Ollama
/// sg::Message reply = model.invoke({sg::HumanMessage("Hi! I'm Bob")});
/// model.stream({sg::HumanMessage("Tell me a joke")}, [](const sg::MessageChunk& c) { std::cout << c.content; });
/// @endcode
///
/// Re-creates langchain-openai's ChatOpenAI for the chat-completions API (langchain-ai/langchain:
/// libs/partners/openai/langchain_openai/chat_models/base.py: request payload, message and chunk
/// conversion, usage_metadata, response_metadata) and openai-python's retry behaviour
/// (openai/_base_client.py: retries on 429, 5xx and connection errors with exponential backoff
/// and jitter, honouring retry-after-ms / Retry-After up to 60 s).
///
/// Errors (all sg::ModelError; see nodes/errors.hpp for the table):
/// | id           | retryable() | when                                                             |
/// |--------------|-------------|------------------------------------------------------------------|
/// | sg.nodes.622 | no          | the reply or a stream chunk is not valid chat-completions JSON    |
/// | sg.run.305   | no          | ChatOptions::cancelled returned true (sg::Cancelled; the transfer |
/// |              |             | is stopped)                                                       |
/// | sg.nodes.630 | 429, 5xx    | the server answered with an error: HTTP status >= 400 (thrown as  |
/// |              |             | sg::ModelStatusError, with status()), or an error object in a 200 |
/// |              |             | reply or inside the stream; the server's own message is included |
/// | sg.nodes.631 | yes         | no HTTP answer: connection refused or reset, DNS, TLS, connect    |
/// |              |             | timeout, an empty reply                                          |
/// | sg.nodes.632 | yes         | the total time limit (options or ChatOptions::timeout) ran out    |
/// | sg.nodes.633 | yes         | the stream ended before `data: [DONE]` (connection closed early)  |
/// | sg.nodes.634 | no          | invalid options given to the constructor                          |
/// Retryable errors are retried inside the call (max_retries) as long as no chunk has been
/// delivered to the caller yet; 632 is never retried inside the call (the time is spent).
/// Error messages never contain the API key (it is redacted even when a server echoes it), nor
/// credentials in base_url (user info, key query parameters: sg::redact_password).
///
/// Thread-safety: an OpenAIChatModel is immutable after construction; invoke, stream, bind_tools
/// and name may be called from many threads at once. Each thread uses its own libcurl handles
/// (reused across its calls, so connections are kept alive).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stategraph/nodes/chat_model.hpp"
#include "stategraph/nodes/errors.hpp"

namespace sg {

/// Configuration of an OpenAIChatModel. Durations are wall-clock times.
struct OpenAIChatModelOptions {
  /// The API root, ending before "/chat/completions" (a trailing '/' is ignored), http:// or
  /// https://. Empty: the environment variable OPENAI_BASE_URL if set, else
  /// "https://api.openai.com/v1".
  std::string base_url{};
  /// The model name sent as "model", e.g. "gpt-4o-mini"; also the model's name(). Required.
  std::string model{};
  /// The environment variable holding the API key, read once by the constructor. When it is
  /// unset or empty, no Authorization header is sent (local servers need none). The key is sent
  /// only as "Authorization: Bearer <key>"; it is never logged, never part of name(), an error
  /// message or a message's metadata.
  std::string api_key_env = "OPENAI_API_KEY";
  /// Sampling temperature; unset = the server's default. ChatOptions::temperature overrides it.
  std::optional<double> temperature{};
  /// Most tokens to generate ("max_tokens"); unset = the server's default. ChatOptions::max_tokens
  /// overrides it.
  std::optional<int> max_tokens{};
  /// Time limit for establishing one connection (TCP and TLS). A connect timeout is a connection
  /// error (sg.nodes.631) and is retried.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  /// Time limit for the whole call: every attempt and the waits between them
  /// (sg.nodes.632 when it runs out). ChatOptions::timeout, when not 0, replaces it for one call.
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  /// Retries after the first attempt for 429, 5xx, connection errors and early-ended streams.
  int max_retries = 2;
  /// Backoff before retry n (0-based): min(retry_max_delay, retry_initial_delay *
  /// retry_backoff_factor^n), minus up to 25 % jitter. A server's retry-after-ms or Retry-After
  /// (seconds or an HTTP date) between 0 and 60 s is used instead when present.
  std::chrono::milliseconds retry_initial_delay{500};
  double retry_backoff_factor = 2.0;
  std::chrono::milliseconds retry_max_delay{std::chrono::seconds(8)};
  /// Extra request headers (name, value), e.g. {"OpenAI-Organization", "org-..."}. Names and
  /// values must not contain CR or LF.
  std::vector<std::pair<std::string, std::string>> headers{};
  /// When streaming, ask for the final usage chunk (`"stream_options": {"include_usage": true}`).
  /// Turn it off for servers that reject stream_options.
  bool stream_usage = true;
};

/// A chat model served over OpenAI's chat-completions API (POST {base_url}/chat/completions).
///
/// invoke sends a non-streaming request; stream sends `"stream": true` and parses the
/// server-sent events incrementally (CRLF, LF or CR line ends, comment lines, multi-line data),
/// delivering a MessageChunk per content delta, tool call delta (by index: id and name usually in
/// the first, argument text in the following ones), the finish chunk (response_metadata
/// finish_reason, model_name, id) and the usage chunk, until `data: [DONE]`. The tools from
/// bound_tools() are sent as "tools" of type "function". Replies carry usage (input/output/total
/// tokens) and response_metadata {"model_name", "finish_reason", "id", ...}; the message id is
/// the usual "run-<uuid>" (the provider's completion id is response_metadata["id"]).
///
/// Cancellation: ChatOptions::cancelled is polled at least every 50 ms while waiting for the
/// server and during the transfer; when it returns true the transfer is aborted and the call
/// throws sg::Cancelled [sg.run.305].
class OpenAIChatModel final : public ChatModel {
 public:
  /// Reads the API key from the environment variable options.api_key_env.
  /// @throws ModelError [sg.nodes.634] for an empty model, a base URL that is not http(s), a
  ///         negative timeout or retry setting, or a header with CR/LF.
  explicit OpenAIChatModel(OpenAIChatModelOptions options);
  /// Copies share the configuration and the key (cheap). A moved-from model may only be
  /// destroyed or assigned to.
  OpenAIChatModel(const OpenAIChatModel&);
  OpenAIChatModel& operator=(const OpenAIChatModel&);
  OpenAIChatModel(OpenAIChatModel&&) noexcept;
  OpenAIChatModel& operator=(OpenAIChatModel&&) noexcept;
  ~OpenAIChatModel() override;

  /// The configuration (base_url resolved, without the key).
  [[nodiscard]] const OpenAIChatModelOptions& options() const noexcept;
  /// The endpoint every call posts to: "{base_url}/chat/completions", credentials included: show
  /// it through sg::redact_password (stategraph/checkpoint/redact_password.hpp).
  [[nodiscard]] const std::string& endpoint() const noexcept;
  /// True when an API key was found in the environment at construction.
  [[nodiscard]] bool has_api_key() const noexcept;

 protected:
  Message do_invoke(const Messages& messages, const ChatOptions& options) const override;
  Message do_stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const override;
  [[nodiscard]] std::unique_ptr<ChatModel> clone() const override;
  /// options().model.
  [[nodiscard]] std::string do_name() const override;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // immutable; shared by copies (bind_tools)
};

/// The server answered with HTTP status >= 400 (sg.nodes.630). what() has the status and the
/// server's message (OpenAI's error.message, or the start of a non-JSON page). Retryable for 429
/// and 5xx.
class ModelStatusError : public ModelError {
 public:
  /// @param status the HTTP status; @param message the whole text (without the "[id] " prefix).
  ModelStatusError(int status, std::string_view message);
  /// The HTTP status, e.g. 400, 429, 502.
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace sg

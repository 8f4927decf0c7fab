#pragma once
/// @file
/// sg::ChatModel — the interface every chat model implements (the OpenAI-compatible HTTP client,
/// the fakes) — and sg::stream_chat, which streams a model's chunks out of a running graph.
///
/// @code{.cpp}
/// auto model = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{sg::AIMessage("Hi!")});
/// g.add_node("model", [model](const sg::MessagesState& s, sg::RunContext& ctx) {
///   return sg::Update<sg::MessagesState>{sg::set<&sg::MessagesState::messages>(sg::stream_chat(*model, s.messages, ctx))};
/// });
/// for (const auto& e : app.stream(input, cfg, sg::StreamMode::messages))
///   std::cout << e.data["chunk"]["content"].get<std::string>() << '|';
/// @endcode
///
/// Re-creates the part of langchain-core's BaseChatModel (langchain-ai/langchain:
/// libs/core/langchain_core/language_models/chat_models.py invoke / stream / bind_tools) that a
/// graph needs, and LangGraph's `messages` stream mode (langgraph/pregel/_messages.py
/// StreamMessagesHandler: each chunk with its node's metadata while the node runs).
///
/// Thread-safety: a ChatModel is shared by the nodes of many runs: invoke, stream, bind_tools and
/// name are const and must be safe to call from several threads at once (implementations keep
/// any mutable state behind their own synchronisation).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/nodes/message.hpp"
#include "stategraph/nodes/message_chunk.hpp"
#include "stategraph/nodes/tool.hpp"
#include "stategraph/run_context.hpp"

namespace sg {

/// Per-call options. Unset fields use the model's own defaults.
struct ChatOptions {
  std::optional<double> temperature{};
  /// Most tokens the model may generate for this reply.
  std::optional<int> max_tokens{};
  /// Stop sequences.
  std::vector<std::string> stop{};
  /// Whole-call time limit; 0 = the model's default. (Enforced by models that do I/O.)
  std::chrono::milliseconds timeout{0};
  /// Polled by the model (between chunks, during I/O); when it returns true the call stops with
  /// sg::Cancelled [sg.run.305], the error of a cancelled run. stream_chat sets it to the run's
  /// cancellation.
  std::function<bool()> cancelled{};
  /// Provider-specific request fields, merged into the request as they are (a JSON object).
  nlohmann::json extra = nlohmann::json::object();
};

/// Receives each chunk of a streamed reply, on the thread that called stream().
using ChunkCallback = std::function<void(const MessageChunk&)>;

/// A chat model: messages in, one ai message out.
///
/// Public calls are non-virtual (NVI); they add what every model must do the same way and call
/// the protected do_* hooks:
/// - the reply gets an id "run-<uuid4>" when the model gave none; when streaming, every chunk
///   carries that same id (so streamed chunks and the message saved in the state match);
/// - a reply that is not an ai message → sg::ModelError [sg.nodes.622];
/// - ChatOptions::cancelled is checked before the call and before each chunk is delivered
///   → sg::Cancelled [sg.run.305] (one kind of error for a cancelled call and a cancelled run).
/// Errors of the model itself are sg::ModelError (sg.nodes.62x/63x; retryable() tells a retry
/// policy whether trying again may help).
class ChatModel {
 public:
  virtual ~ChatModel() = default;

  /// One reply to `messages` (LangChain's `model.invoke(messages)`).
  /// @throws ModelError (see above); anything the implementation throws.
  Message invoke(const Messages& messages, const ChatOptions& options = {}) const;

  /// The same reply, streamed: `on_chunk` is called for each piece as it arrives (on this thread),
  /// and the whole message (the chunks added up) is returned.
  /// @throws as invoke; an exception thrown by `on_chunk` stops the call and propagates.
  Message stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const;
  Message stream(const Messages& messages, const ChunkCallback& on_chunk) const {
    return stream(messages, ChatOptions{}, on_chunk);
  }

  /// A copy of this model that offers `tools` to the model on every call (LangChain's
  /// `bind_tools`). Replaces previously bound tools. What the copy shares with this model (a
  /// connection pool, a fake's script) is up to the implementation.
  /// @throws UsageError [sg.nodes.606] for a tool without a name or two tools with one name.
  [[nodiscard]] std::unique_ptr<ChatModel> bind_tools(std::vector<ToolSpec> tools) const;

  /// The tools bound by bind_tools (empty for an unbound model).
  [[nodiscard]] const std::vector<ToolSpec>& bound_tools() const noexcept { return tools_; }

  /// A name for logs and stream metadata, e.g. "gpt-4o-mini" or "scripted-fake-chat-model".
  [[nodiscard]] std::string name() const { return do_name(); }

 protected:
  ChatModel() = default;
  ChatModel(const ChatModel&) = default;
  ChatModel& operator=(const ChatModel&) = default;
  ChatModel(ChatModel&&) = default;
  ChatModel& operator=(ChatModel&&) = default;

  /// The reply. `bound_tools()` holds the tools to offer.
  virtual Message do_invoke(const Messages& messages, const ChatOptions& options) const = 0;
  /// The reply, streamed. Default: do_invoke, then the reply as word chunks
  /// (sg::split_into_chunks) — override it for a real token stream.
  virtual Message do_stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const;
  /// A copy of this model (bind_tools sets the copy's tools).
  [[nodiscard]] virtual std::unique_ptr<ChatModel> clone() const = 0;
  [[nodiscard]] virtual std::string do_name() const = 0;

 private:
  std::vector<ToolSpec> tools_;
};

/// Calls `model` from inside a graph node and streams its reply out of the run: when the caller
/// streams sg::StreamMode::messages, each chunk is emitted as it arrives, while the node is still
/// running, with data
/// `{"chunk": <MessageChunk JSON>, "metadata": {"node", "step", "thread_id", "checkpoint_ns",
///   "task_id", "model"}}` (LangGraph's `(message_chunk, metadata)` pairs; its metadata keys are
/// langgraph_node / langgraph_step). When nobody streams messages, this is model.invoke.
/// The run's cancellation is passed to the model through ChatOptions::cancelled (unless the
/// caller set one).
/// @return the whole ai message (the chunks added up), ready to be written to the state.
/// @throws what model.invoke / model.stream throw.
/// Thread-safety: call it on the node's thread with the node's own RunContext.
Message stream_chat(const ChatModel& model, const Messages& messages, RunContext& ctx, ChatOptions options = {});

}  // namespace sg

#pragma once
/// @file
/// The tutorials' chatbot graph (seeds 000–002): state {messages, language, summary, turns}; a
/// "model" node that applies the memory strategy, fills the prompt template (a system prompt
/// with {language}) and streams the model's reply; with the `summary` strategy a "summarize"
/// node first folds older turns into a running summary.
///
///   buffer / trim:  START → model → END
///   summary:        START ─(history over budget?)→ summarize → model → END
///                         └──────────────────────────────────→ model
///
/// Re-creates LangChain's "Build a Chatbot" (message persistence, prompt templates with
/// {language}, trim_messages with strategy last, include_system, start_on human) and the memory
/// strategies of seed 002 (ConversationBufferMemory, trimming, ConversationSummaryBufferMemory)
/// as a LangGraph graph, the way LangGraph's docs build them ("How to add summary of the
/// conversation history": summarize_conversation removes folded messages with RemoveMessage).
///
/// Thread-safety: build_chatbot_graph is reentrant; the compiled graph is immutable and may run
/// many threads at once (see sg::CompiledGraph).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <stategraph/checkpoint/saver.hpp>
#include <stategraph/compiled_graph.hpp>
#include <stategraph/nodes/chat_model.hpp>

#include "chat_state.hpp"

namespace sg::chatbot {

/// How much of the conversation the model sees (seed 002's memory strategies).
enum class MemoryStrategy {
  buffer,   ///< every message (ConversationBufferMemory)
  trim,     ///< the newest messages within max_tokens (trim_messages, strategy last)
  summary,  ///< older turns folded into a running summary; recent turns verbatim
};

/// "buffer" | "trim" | "summary". @throws std::invalid_argument for anything else.
MemoryStrategy parse_memory_strategy(const std::string& name);
const char* to_string(MemoryStrategy strategy) noexcept;

/// The system prompt of the tutorial ("Prompt templates" section).
inline constexpr const char* kDefaultSystemPrompt =
    "You are a helpful assistant. Answer all questions to the best of your ability in {language}.";

/// The instruction the summarize node gives the model, after the messages to fold.
inline constexpr const char* kSummaryInstruction =
    "Distill the above chat messages into a single summary message. Include as many specific "
    "details as you can, such as names, facts and questions asked.";

struct ChatbotGraphOptions {
  /// The system prompt template; may use {language} (the state's language).
  std::string system_prompt = kDefaultSystemPrompt;
  MemoryStrategy memory = MemoryStrategy::trim;
  /// Token budget (sg::count_tokens_approximately) of the history the model sees: trim keeps the
  /// newest messages within it; summary folds older turns once the history exceeds it.
  int max_tokens = 4000;
  /// summary only: messages kept verbatim when folding (at least the last human message and
  /// the reply; rounded so the kept part starts with a human message).
  std::size_t summary_keep_messages = 4;
};

/// Builds and compiles the graph over `model` with `checkpointer` (may be null: no memory
/// between calls). The model is shared by every run.
/// @throws sg::CompileError only on a programming error in this file.
sg::CompiledGraph<ChatState> build_chatbot_graph(std::shared_ptr<const sg::ChatModel> model,
                                                 const ChatbotGraphOptions& options,
                                                 std::shared_ptr<sg::BaseCheckpointSaver> checkpointer);

/// The messages the model node sends for `state` (the prompt with the memory strategy applied);
/// exposed for tests and for `/history --prompt`.
sg::Messages model_input(const ChatState& state, const ChatbotGraphOptions& options);

/// Refuses a message that no prompt can carry: with memory trim or summary, when the system
/// prompt (its {language} filled with `language`, else ChatState's default) and `text` alone
/// count more than options.max_tokens (sg::count_tokens_approximately) — trim would drop the
/// message from every prompt. Exact for trim on a thread whose language is `language` (another
/// stored language may shift the count by a token or two). Reentrant.
/// @throws ChatbotError [sg.chatbot.817] with both counts.
void check_prompt_budget(const std::string& text, const std::optional<std::string>& language,
                         const ChatbotGraphOptions& options);

}  // namespace sg::chatbot

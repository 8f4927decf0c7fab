#pragma once
/// @file
/// Fake chat models for tests, examples and offline use — not LLMs. Their names say so:
/// "scripted-fake-chat-model" and "echo-fake-chat-model", and every reply's
/// response_metadata carries {"model_name": <that name>, "fake": true}.
///
/// @code{.cpp}
/// sg::ScriptedFakeChatModel model({sg::AIMessage("Hi Bob!"), sg::AIMessage("Your name is Bob.")});
/// model.set_delay(std::chrono::milliseconds(5));                     // slow stream
/// model.fail_on_call(3, std::make_exception_ptr(std::runtime_error("boom")));  // fault on the 3rd call
/// @endcode
///
/// Re-creates langchain-core's fakes (langchain-ai/langchain:
/// libs/core/langchain_core/language_models/fake_chat_models.py FakeMessagesListChatModel,
/// GenericFakeChatModel — which streams word by word) with call counting and fault and delay
/// injection in the style of the project's saver fakes.
///
/// Thread-safety: every member is thread-safe; calls from several threads take replies from the
/// script one at a time, in the order they get the lock.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stategraph/nodes/chat_model.hpp"

namespace sg {

/// What the fakes share: the reply source, counters, faults and delays. Copies made by
/// bind_tools share all of it with the original (one script, one call count).
class FakeChatModel : public ChatModel {
 public:
  /// Computes a reply from the conversation.
  using Responder = std::function<Message(const Messages&)>;

  /// Number of invoke/stream calls so far (all copies together), faulted calls included.
  [[nodiscard]] std::size_t calls() const;
  /// The conversation each call received, in call order (empty after keep_received(false)).
  [[nodiscard]] std::vector<Messages> received() const;
  /// Whether calls keep a copy of their input for received() (default true). Turn it off for
  /// long runs: each copy costs the whole conversation.
  void keep_received(bool keep);
  /// Makes the `call`-th call (1-based, counted over all copies) throw `error` (or
  /// sg::ModelError [sg.nodes.621] when null) before replying. A faulted call still consumes
  /// nothing from the script.
  void fail_on_call(std::size_t call, std::exception_ptr error = nullptr);
  /// invoke waits `delay` before replying; stream waits `delay` before each chunk.
  void set_delay(std::chrono::milliseconds delay);

 protected:
  FakeChatModel(std::string name, Responder responder);
  /// Replies in order; when they run out, the call throws sg::ModelError [sg.nodes.620] unless
  /// `cycle` starts over.
  FakeChatModel(std::string name, std::vector<Message> replies, bool cycle);

  Message do_invoke(const Messages& messages, const ChatOptions& options) const override;
  /// Streams the reply as sg::split_into_chunks does (one chunk per word, tool calls and usage
  /// last) and returns the chunks added up.
  Message do_stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const override;
  [[nodiscard]] std::string do_name() const override;

 private:
  struct Shared;
  Message next_reply(const Messages& messages) const;
  std::shared_ptr<Shared> shared_;
};

/// Replies from a script: a list of messages (string content, tool calls, usage, ids are kept as
/// given; missing usage is filled in with sg::count_tokens_approximately counts), or a
/// function of the conversation. A reply that is not an ai message is a ModelError
/// [sg.nodes.622], as for any model. Name: "scripted-fake-chat-model".
class ScriptedFakeChatModel final : public FakeChatModel {
 public:
  /// @param cycle start over when the replies run out (else sg::ModelError [sg.nodes.620]).
  explicit ScriptedFakeChatModel(std::vector<Message> replies, bool cycle = false);
  explicit ScriptedFakeChatModel(Responder responder);

 protected:
  [[nodiscard]] std::unique_ptr<ChatModel> clone() const override;
};

/// Replies with the text of the last message it receives (nothing for an empty conversation).
/// Name: "echo-fake-chat-model".
class EchoFakeChatModel final : public FakeChatModel {
 public:
  EchoFakeChatModel();

 protected:
  [[nodiscard]] std::unique_ptr<ChatModel> clone() const override;
};

}  // namespace sg

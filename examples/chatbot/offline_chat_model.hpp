#pragma once
/// @file
/// sg-chatbot's offline model: a rule-based FAKE chat model, not an LLM, used when no model
/// endpoint is configured so the chatbot runs anywhere (and tests get deterministic replies).
/// Its name is "offline-fake-chat-model" and every reply's response_metadata says
/// {"fake": true}; sg-chatbot prints a banner saying so and how to configure a real model.
///
/// What it can do, from the messages it is given (so trimming and summaries change what it
/// "remembers", exactly like a real model's context):
///  - learn a name ("I'm Bob", "I am Bob", "my name is Bob", a summary saying "name is Bob");
///  - answer "what's my name?" from that, or say it does not know;
///  - add or multiply two whole numbers ("whats 2 + 2");
///  - summarise (when the last message is sg::chatbot::kSummaryInstruction): the name it knows
///    and the user's questions;
///  - answer in the system prompt's language only by tagging its reply "[in Spanish]" etc.
/// Anything else gets a reply saying what it heard and that it is a fake.
///
/// Thread-safety: as sg::FakeChatModel (all members thread-safe).

#include <chrono>
#include <memory>

#include <stategraph/nodes/fake_chat_model.hpp>

namespace sg::chatbot {

class OfflineChatModel final : public sg::FakeChatModel {
 public:
  /// @param token_delay wait before each streamed word (0: as fast as possible).
  explicit OfflineChatModel(std::chrono::milliseconds token_delay = std::chrono::milliseconds(0));

  /// The rules above, as a pure function of the conversation.
  static sg::Message reply_to(const sg::Messages& messages);

 protected:
  [[nodiscard]] std::unique_ptr<sg::ChatModel> clone() const override;
};

}  // namespace sg::chatbot

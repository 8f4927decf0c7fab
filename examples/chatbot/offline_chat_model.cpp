#include "offline_chat_model.hpp"

#include <optional>
#include <string>

#include "chatbot_graph.hpp"
#include "offline_rules.hpp"

namespace sg::chatbot {
namespace {

/// "English" unless the system prompt says "... in <Language>".
std::string language_of(const sg::Messages& messages) {
  for (const auto& m : messages) {
    if (m.type != sg::MessageType::system) continue;
    if (auto language = offline_rules::language_in(m.text())) return *language;
  }
  return "English";
}

}  // namespace

sg::Message OfflineChatModel::reply_to(const sg::Messages& messages) {
  std::optional<std::string> name;
  std::vector<std::string> questions;
  for (const auto& m : messages) {
    if (m.type == sg::MessageType::ai) continue;
    const std::string text = m.text();
    if (text == kSummaryInstruction) continue;
    if (auto n = offline_rules::stated_name(text)) name = n;
    if (m.type == sg::MessageType::human && text.find('?') != std::string::npos) questions.push_back(text);
  }
  const std::string last = messages.empty() ? std::string() : messages.back().text();
  std::string reply;
  if (last == kSummaryInstruction) {
    reply = name ? "The user's name is " + *name + "." : "The user has not said their name.";
    if (!questions.empty()) {
      reply += " They asked:";
      for (std::size_t i = 0; i < questions.size(); ++i) reply += (i == 0 ? " \"" : "; \"") + questions[i] + "\"";
      reply += ".";
    }
    return sg::AIMessage(reply);
  }
  if (offline_rules::asks_name(last)) {
    reply = name ? "Your name is " + *name + "."
                 : "I don't know your name: you haven't told me in the part of our conversation I can see.";
  } else if (auto sum = offline_rules::arithmetic(last)) {
    reply = *sum;
  } else if (auto n = offline_rules::stated_name(last)) {
    reply = "Hi " + *n + "! How can I help you today?";
  } else {
    reply = "You said: \"" + last + "\". I am sg-chatbot's offline fake model, not an LLM: I only know your name "
            "and small sums. Configure a model endpoint for real answers (sg-chatbot --help).";
  }
  const std::string language = language_of(messages);
  if (language != "English") reply = "[in " + language + "] " + reply;
  return sg::AIMessage(reply);
}

OfflineChatModel::OfflineChatModel(std::chrono::milliseconds token_delay)
    : sg::FakeChatModel("offline-fake-chat-model", &OfflineChatModel::reply_to) {
  keep_received(false);
  set_delay(token_delay);
}

std::unique_ptr<sg::ChatModel> OfflineChatModel::clone() const { return std::make_unique<OfflineChatModel>(*this); }

}  // namespace sg::chatbot

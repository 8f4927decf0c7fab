#include "offline_chat_model.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <string>

#include "chatbot_graph.hpp"

namespace sg::chatbot {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The name stated in `text`, if any ("I'm Bob", "my name is Bob", "name is Bob").
std::optional<std::string> stated_name(const std::string& text) {
  static const std::regex pattern(R"((?:\bI'm|\bI am|\bname is|\bcall me)\s+([A-Z][a-zA-Z\-]*))", std::regex::icase);
  std::optional<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    const std::string l = lower(name);
    if (l == "not" || l == "a" || l == "an" || l == "the" || l == "sorry" || l == "fine" || l == "good") continue;
    name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    found = name;
  }
  return found;
}

bool asks_name(const std::string& text) {
  static const std::regex pattern(R"(what'?s my name|what is my name|who am i\b|do you know my name)", std::regex::icase);
  return std::regex_search(text, pattern);
}

std::optional<std::string> arithmetic(const std::string& text) {
  static const std::regex pattern(R"((-?\d{1,9})\s*([+*x\-])\s*(-?\d{1,9}))");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return std::nullopt;
  const long long a = std::stoll(m[1].str());
  const long long b = std::stoll(m[3].str());
  const char op = m[2].str()[0];
  const long long r = op == '+' ? a + b : op == '-' ? a - b : a * b;
  return m[1].str() + " " + m[2].str() + " " + m[3].str() + " = " + std::to_string(r) + ".";
}

/// "English" unless the system prompt says "... in <Language>".
std::string language_of(const sg::Messages& messages) {
  static const std::regex pattern(R"(\bin ([A-Z][a-zA-Z]+)\.?\s*$)");
  for (const auto& m : messages) {
    if (m.type != sg::MessageType::system) continue;
    std::smatch match;
    const std::string text = m.text();
    if (std::regex_search(text, match, pattern)) return match[1].str();
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
    if (auto n = stated_name(text)) name = n;
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
  if (asks_name(last)) {
    reply = name ? "Your name is " + *name + "."
                 : "I don't know your name: you haven't told me in the part of our conversation I can see.";
  } else if (auto sum = arithmetic(last)) {
    reply = *sum;
  } else if (auto n = stated_name(last)) {
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

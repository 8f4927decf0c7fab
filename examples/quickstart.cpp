// Quickstart: message persistence (LangChain "Build a Chatbot", section "Message persistence").
//
// A state holding a list of messages, one "model" node, START → model, compiled with an
// InMemorySaver. Each invoke appends the user's message; the saver keeps the conversation of
// every thread_id, so the second turn on "abc123" can use the first, while "abc234" starts fresh.
//
// There is no chat layer here: the "model" is ScriptedFakeModel, a few fixed rules that read the
// conversation. It is a fake, not an LLM, so the output is deterministic.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <stategraph/stategraph.hpp>

namespace quickstart {

struct Message {
  std::string role;  // "human" or "ai"
  std::string content;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Message, role, content)  // how checkpoints store it

struct ChatState {
  std::vector<Message> messages;
};

/// A scripted fake chat model (not an LLM): greets a name it finds in a human message
/// ("I'm Bob") and answers "What's my name?" from the conversation it is given.
class ScriptedFakeModel {
 public:
  Message invoke(const std::vector<Message>& conversation) const {
    std::string name;
    for (const auto& m : conversation)
      if (auto at = m.content.find("I'm "); m.role == "human" && at != std::string::npos)
        name = m.content.substr(at + 4, m.content.find_first_of(" .!?,", at + 4) - (at + 4));
    const std::string& last = conversation.back().content;
    if (last.find("What's my name") != std::string::npos)
      return {"ai", name.empty() ? "I'm sorry, I don't know your name: you haven't told me in this conversation."
                                 : "Your name is " + name + "! How can I help you today, " + name + "?"};
    if (!name.empty()) return {"ai", "Hi " + name + "! How can I assist you today?"};
    return {"ai", "I am a scripted fake model; I only know a few lines."};
  }
};

}  // namespace quickstart

template <>
struct sg::state_schema<quickstart::ChatState> {
  // sg::append: a write of one Message is appended to the list (LangGraph's MessagesState).
  static constexpr auto fields = sg::fields(sg::field<&quickstart::ChatState::messages>("messages", sg::append));
};

int main() {
  using quickstart::ChatState;
  using quickstart::Message;
  std::cout << "(the model below is ScriptedFakeModel: a scripted fake, not an LLM)\n";
  const quickstart::ScriptedFakeModel model;

  sg::StateGraph<ChatState> workflow;
  workflow.add_node("model", [&model](const ChatState& state) {
    return sg::Update<ChatState>{sg::set<&ChatState::messages>(model.invoke(state.messages))};
  });
  workflow.add_edge(sg::START, "model");
  auto app = workflow.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});

  auto chat = [&app](const std::string& thread_id, const std::string& query) {
    sg::RunConfig config;
    config.thread_id = thread_id;
    std::cout << "[thread " << thread_id << "] Human: " << query << "\n";
    auto output = app.invoke({sg::set<&ChatState::messages>(Message{"human", query})}, config);
    std::cout << "================================== Ai Message ==================================\n\n"
              << output.values.messages.back().content << "\n\n";
  };
  chat("abc123", "Hi! I'm Bob.");
  chat("abc123", "What's my name?");
  chat("abc234", "What's my name?");  // another thread: a fresh conversation
  chat("abc123", "What's my name?");  // back to the first one: still remembered

  sg::RunConfig first;
  first.thread_id = "abc123";
  std::cout << "thread abc123 holds " << app.get_state(first)->values.messages.size() << " messages\n";
}

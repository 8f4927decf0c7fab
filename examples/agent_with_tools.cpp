// Agent with tools: a model ↔ tools loop (LangGraph's ToolNode + tools_condition pattern).
//
//   START → agent ──tools_condition──→ tools → agent → ... → END
//
// The agent node asks the chat model; when the reply calls tools, sg::tools_condition routes to
// the "tools" node (sg::ToolNode), which runs the calls and appends their ToolMessages; the agent
// then answers with the results. The state is sg::MessagesState (messages merged by
// sg::add_messages) and every turn is saved by an InMemorySaver.
//
// The model is sg::ScriptedFakeChatModel — a scripted fake, not an LLM — whose script reads the
// conversation: a question "What is <expression>?" becomes a call to the calculator tool, and a
// tool result becomes the answer. A tool that fails (1 / 0) is answered with an error
// ToolMessage, and the model sees the error instead of the graph failing.
#include <cctype>
#include <cmath>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>
#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

namespace {

using nlohmann::json;

/// Evaluates + - * / with parentheses and unary minus, by recursive descent.
class Calculator {
 public:
  static double evaluate(const std::string& text) {
    Calculator c(text);
    const double v = c.sum();
    c.skip_spaces();
    if (c.at_ != c.text_.size()) throw std::invalid_argument("unexpected '" + c.text_.substr(c.at_) + "'");
    return v;
  }

 private:
  explicit Calculator(const std::string& text) : text_(text) {}
  void skip_spaces() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
  }
  bool eat(char c) {
    skip_spaces();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  double sum() {
    double v = product();
    for (;;) {
      if (eat('+')) {
        v += product();
      } else if (eat('-')) {
        v -= product();
      } else {
        return v;
      }
    }
  }
  double product() {
    double v = factor();
    for (;;) {
      if (eat('*')) {
        v *= factor();
      } else if (eat('/')) {
        const double d = factor();
        if (d == 0) throw std::domain_error("division by zero");
        v /= d;
      } else {
        return v;
      }
    }
  }
  double factor() {
    if (eat('-')) return -factor();
    if (eat('(')) {
      const double v = sum();
      if (!eat(')')) throw std::invalid_argument("missing ')'");
      return v;
    }
    skip_spaces();
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(text_.substr(at_), &used);
    } catch (const std::exception&) {
      throw std::invalid_argument("expected a number at '" + text_.substr(at_) + "'");
    }
    at_ += used;
    return v;
  }

  std::string text_;
  std::size_t at_ = 0;
};

std::string number_text(double v) {
  std::ostringstream out;
  out << v;  // 14, 2.5
  return out.str();
}

const sg::Tool calculator{
    "calculator",
    "Evaluates an arithmetic expression with + - * / and parentheses, e.g. 2 + 3 * 4.",
    {{"type", "object"},
     {"properties", {{"expression", {{"type", "string"}, {"description", "the expression"}}}}},
     {"required", {"expression"}}},
    [](const json& args) -> json { return number_text(Calculator::evaluate(args["expression"].get<std::string>())); }};

/// The fake model's script: a question becomes a calculator call; a tool result, the answer.
sg::Message scripted_reply(const sg::Messages& conversation) {
  const sg::Message& last = conversation.back();
  if (last.type == sg::MessageType::tool) {
    const std::string expression = conversation[conversation.size() - 2].tool_calls.at(0).args["expression"].get<std::string>();
    if (last.status == sg::ToolStatus::error)
      return sg::AIMessage("I could not compute " + expression + ": the calculator said \"" +
                           last.text().substr(0, last.text().find('\n')) + "\"");
    return sg::AIMessage(expression + " = " + last.text());
  }
  std::string question = last.text();  // "What is 2 + 3 * 4?"
  const auto from = question.find("is ");
  const auto to = question.rfind('?');
  const std::string expression =
      question.substr(from == std::string::npos ? 0 : from + 3, to == std::string::npos ? std::string::npos : to - from - 3);
  const std::string call_id = "call_" + std::to_string(conversation.size());
  return sg::AIMessage("", {sg::ToolCall{call_id, "calculator", {{"expression", expression}}}});
}

}  // namespace

int main() {
  using State = sg::MessagesState;
  std::cout << "(the model below is ScriptedFakeChatModel: a scripted fake, not an LLM)\n";
  sg::ScriptedFakeChatModel fake(scripted_reply);
  const sg::ToolNode tools({calculator});
  const std::shared_ptr<const sg::ChatModel> model = fake.bind_tools(tools.specs());

  sg::StateGraph<State> workflow;
  workflow.add_node("agent", [model](const State& state) {
    return sg::Update<State>{sg::set<&State::messages>(model->invoke(state.messages))};
  });
  workflow.add_node("tools", tools);
  workflow.add_edge(sg::START, "agent");
  workflow.add_conditional_edges("agent", sg::tools_condition, {{"tools", "tools"}, {sg::END, sg::END}});
  workflow.add_edge("tools", "agent");
  auto app = workflow.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});

  sg::RunConfig config;
  config.thread_id = "math";
  std::size_t printed = 0;
  for (const char* question : {"What is 2 + 3 * 4?", "What is 1 / 0?"}) {
    auto output = app.invoke({sg::set<&State::messages>(sg::HumanMessage(question))}, config);
    for (; printed < output.values.messages.size(); ++printed) sg::pretty_print(output.values.messages[printed]);
  }
  std::cout << "model calls: " << fake.calls() << ", messages in thread math: " << printed << "\n";
}

// Prompt templates: the chatbot tutorial's {language} template with a messages placeholder,
// escapes, missing variables, and a graph node that fills the template from its state.
#include <doctest/doctest.h>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

using nlohmann::json;

namespace {

struct ChatState {
  sg::Messages messages;
  std::string language = "English";
};

}  // namespace

template <>
struct sg::state_schema<ChatState> {
  static constexpr auto fields = sg::fields(sg::field<&ChatState::messages>("messages", sg::add_messages),
                                            sg::field<&ChatState::language>("language"));
};

namespace {

const sg::ChatPromptTemplate& tutorial_prompt() {
  static const sg::ChatPromptTemplate prompt{
      {"system", "You are a helpful assistant. Answer all questions to the best of your ability in {language}."},
      sg::MessagesPlaceholder("messages"),
  };
  return prompt;
}

}  // namespace

TEST_CASE("ChatPromptTemplate: {language} and a messages placeholder (the tutorial's prompt)") {
  const sg::Messages history{sg::HumanMessage("Hi! I'm Bob.", "1"), sg::AIMessage("¡Hola, Bob!", "2")};
  const sg::Messages out = tutorial_prompt().format_messages({{"language", "Spanish"}}, {{"messages", history}});
  REQUIRE(out.size() == 3);
  CHECK(out[0].type == sg::MessageType::system);
  CHECK(out[0].content ==
        "You are a helpful assistant. Answer all questions to the best of your ability in Spanish.");
  CHECK(out[1] == history[0]);
  CHECK(out[2] == history[1]);
  CHECK(tutorial_prompt().input_variables() == std::vector<std::string>{"language"});
  CHECK(tutorial_prompt().placeholder_names() == std::vector<std::string>{"messages"});

  // invoke(state-like JSON), as LangChain's prompt_template.invoke(state)
  const json state{{"language", "French"}, {"messages", json::array({{{"role", "user"}, {"content", "salut"}}})}};
  const auto from_json = tutorial_prompt().invoke(state);
  REQUIRE(from_json.size() == 2);
  CHECK(from_json[0].text().ends_with("in French."));
  CHECK(from_json[1] == sg::HumanMessage("salut"));
}

TEST_CASE("ChatPromptTemplate: roles, escapes, fixed messages, optional placeholders") {
  const sg::ChatPromptTemplate prompt{
      {"system", "Reply as JSON like {{\"answer\": ...}} about {topic}."},
      sg::SystemMessage("fixed {not a variable}"),
      {"placeholder", "{history}"},
      {"human", "{question}"},
      {"ai", "Thinking about {topic}..."},
  };
  const auto out = prompt.format_messages({{"topic", "owls"}, {"question", "Do owls sleep?"}});
  REQUIRE(out.size() == 4);
  CHECK(out[0].content == "Reply as JSON like {\"answer\": ...} about owls.");
  CHECK(out[1].content == "fixed {not a variable}");
  CHECK(out[2] == sg::HumanMessage("Do owls sleep?"));
  CHECK(out[3].type == sg::MessageType::ai);
  CHECK(prompt.input_variables() == std::vector<std::string>{"question", "topic"});
  CHECK(sg::format_template("{a}{{b}}{a}", {{"a", "x"}}) == "x{b}x");
}

TEST_CASE("ChatPromptTemplate: a missing variable is sg.nodes.602 naming it and the template") {
  const sg::Messages history{sg::HumanMessage("hi")};
  try {
    (void)tutorial_prompt().format_messages({}, {{"messages", history}});
    FAIL("no exception");
  } catch (const sg::UsageError& e) {
    CHECK(e.id() == "sg.nodes.602");
    const std::string what = e.what();
    CHECK(what.find("\"language\"") != std::string::npos);
    CHECK(what.find("in {language}.") != std::string::npos);  // the template
    CHECK(what.find("given: messages") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS((void)tutorial_prompt().format_messages({{"language", "English"}}),
                       doctest::Contains("placeholder \"messages\""), sg::UsageError);
  CHECK_THROWS_WITH_AS((void)tutorial_prompt().invoke(json{{"messages", json::array()}}),
                       doctest::Contains("[sg.nodes.602] prompt variable \"language\""), sg::UsageError);
}

TEST_CASE("ChatPromptTemplate: templates that do not parse are sg.nodes.604") {
  auto id_of = [](const char* role, const char* text) {
    try {
      sg::ChatPromptTemplate p{{role, text}};
      (void)p;
    } catch (const sg::UsageError& e) {
      return e.id();
    }
    return std::string("no error");
  };
  CHECK(id_of("system", "a { b") == "sg.nodes.604");
  CHECK(id_of("system", "a } b") == "sg.nodes.604");
  CHECK(id_of("system", "a {} b") == "sg.nodes.604");
  CHECK(id_of("wizard", "hi") == "sg.nodes.604");
  CHECK(id_of("placeholder", "x {h}") == "sg.nodes.604");
  CHECK(id_of("user", "{{ok}}") == "no error");
}

TEST_CASE("a graph node fills the prompt from its state / language persists across turns") {
  auto model = std::make_shared<sg::EchoFakeChatModel>();
  sg::StateGraph<ChatState> g;
  std::vector<sg::Messages> prompts;
  g.add_node("model", [model, &prompts](const ChatState& s) {
    sg::Messages prompt = tutorial_prompt().format_messages({{"language", s.language}}, {{"messages", s.messages}});
    prompts.push_back(prompt);
    return sg::Update<ChatState>{sg::set<&ChatState::messages>(model->invoke(prompt))};
  });
  g.add_edge(sg::START, "model");
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  sg::RunConfig cfg;
  cfg.thread_id = "abc456";
  app.invoke({sg::set<&ChatState::messages>(sg::HumanMessage("Hi! I'm Bob.")),
              sg::set<&ChatState::language>(std::string("Spanish"))},
             cfg);
  auto out = app.invoke({sg::set<&ChatState::messages>(sg::HumanMessage("What is my name?"))}, cfg);
  REQUIRE(prompts.size() == 2);
  CHECK(prompts[1][0].text().ends_with("in Spanish."));  // language omitted on turn 2, still Spanish
  CHECK(prompts[1].size() == 4);                          // system + human, ai, human
  CHECK(out.values.messages.back().text() == "What is my name?");  // the echo model
  CHECK(model->calls() == 2);
}

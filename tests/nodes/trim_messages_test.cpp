// trim_messages (strategies, partial messages, start_on/end_on, include_system, invalid options,
// the chatbot tutorial's example), count_tokens_approximately, filter_messages,
// merge_message_runs. Cases follow langchain-core's tests/unit_tests/messages/test_utils.py.
#include <doctest/doctest.h>

#include <stategraph/nodes/nodes.hpp>

using nlohmann::json;

namespace {

/// The 11 messages of the chatbot tutorial (seeds 000/001, "Managing Conversation History").
sg::Messages tutorial_messages() {
  return {
      sg::SystemMessage("you're a good assistant"),
      sg::HumanMessage("hi! I'm bob"),
      sg::AIMessage("hi!"),
      sg::HumanMessage("I like vanilla ice cream"),
      sg::AIMessage("nice"),
      sg::HumanMessage("whats 2 + 2"),
      sg::AIMessage("4"),
      sg::HumanMessage("thanks"),
      sg::AIMessage("no problem!"),
      sg::HumanMessage("having fun?"),
      sg::AIMessage("yes!"),
  };
}

std::vector<std::string> texts(const sg::Messages& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.text());
  return out;
}

/// langchain's dummy_token_counter: 3 + 4 + 3 tokens per string message, 3 + 4 per part + 3 for
/// a list content.
int dummy_token_counter(const sg::Messages& ms) {
  int count = 0;
  for (const auto& m : ms) count += m.content.is_string() ? 10 : 6 + 4 * static_cast<int>(m.content.size());
  return count;
}

/// test_utils.py _MESSAGES_TO_TRIM
sg::Messages to_trim() {
  return {
      sg::SystemMessage("This is a 4 token text."),
      sg::HumanMessage("This is a 4 token text.", "first"),
      sg::AIMessage(json::array({{{"type", "text"}, {"text", "This is the FIRST 4 token block."}},
                                 {{"type", "text"}, {"text", "This is the SECOND 4 token block."}}}),
                    "second"),
      sg::HumanMessage("This is a 4 token text.", "third"),
      sg::AIMessage("This is a 4 token text.", "fourth"),
  };
}

/// to_trim()[from, to)
sg::Messages slice(std::size_t from, std::size_t to) {
  const auto all = to_trim();
  return sg::Messages(all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(to));
}

}  // namespace

TEST_CASE("count_tokens_approximately: LangChain's chars/4 + 3 per message") {
  // "whats 2 + 2" (11) + "user" (4) = 15 chars → ceil(15/4) = 4, + 3
  CHECK(sg::count_tokens_approximately(sg::Messages{sg::HumanMessage("whats 2 + 2")}) == 7);
  // "you're a good assistant" (23) + "system" (6) = 29 → 8 + 3
  CHECK(sg::count_tokens_approximately(sg::Messages{sg::SystemMessage("you're a good assistant")}) == 11);
  CHECK(sg::count_tokens_approximately(tutorial_messages()) == 11 + 7 + 6 + 10 + 7 + 7 + 6 + 6 + 8 + 7 + 7);
  // name counted; code points, not bytes ("é" is one character)
  CHECK(sg::count_tokens_approximately(sg::HumanMessage("héllo").with_name("bob")) == 6);  // 5+4+3 = 12 → 3 + 3
  // code points of longer text, counted eight bytes at a time: 2-, 3- and 4-byte characters
  // across the 8-byte boundaries ("é" 2 bytes, "€" 3, "😀" 4; 40 code points, 58 bytes)
  const std::string mixed = "aé€😀bcdefgh€€éé😀😀xyz0123456789ABCDEFGHIJ";
  CHECK(sg::count_tokens_approximately(sg::Messages{sg::HumanMessage(mixed)}) == (40 + 4) / 4 + 3);
  // a tool message counts its tool_call_id; an ai message its tool calls' Python repr
  CHECK(sg::count_tokens_approximately(sg::Messages{sg::ToolMessage("4", "call_1")}) == 3 + 3);  // 1+6+4=11
  const sg::Message call = sg::AIMessage("", {sg::ToolCall{"c1", "calc", {{"a", 1}}}});
  // repr: [{'name': 'calc', 'args': {'a': 1}, 'id': 'c1', 'type': 'tool_call'}] = 69 chars, + 9
  CHECK(sg::count_tokens_approximately(sg::Messages{call}) == 20 + 3);  // ceil(78/4) = 20
  sg::ApproxTokenOptions o;
  o.chars_per_token = 1.0;
  o.extra_tokens_per_message = 0.5;
  CHECK(sg::count_tokens_approximately(sg::Messages{sg::HumanMessage("ab"), sg::HumanMessage("cd")}, o) == 13);
}

TEST_CASE("trim_messages reproduces the chatbot tutorial: max_tokens 65, last, include_system, start_on human") {
  // The tutorial passed token_counter=model (a chat model's get_num_tokens_from_messages). The
  // counter used here is sg::count_tokens_approximately (chars/4 rounded up + 3 per message,
  // OpenAI role names counted), which yields exactly the tutorial's output.
  const sg::TrimOptions trimmer{.max_tokens = 65,
                                .token_counter = sg::count_tokens_approximately,
                                .strategy = sg::TrimStrategy::last,
                                .allow_partial = false,
                                .include_system = true,
                                .start_on = {sg::MessageType::human}};
  const auto kept = sg::trim_messages(tutorial_messages(), trimmer);
  CHECK(texts(kept) == std::vector<std::string>{"you're a good assistant", "whats 2 + 2", "4", "thanks",
                                                "no problem!", "having fun?", "yes!"});
  CHECK(kept.front().type == sg::MessageType::system);
  CHECK(kept[1].type == sg::MessageType::human);

  // The tutorial's graph runs: 12 messages in, 8 out, for both follow-up questions.
  for (const char* query : {"What is my name?", "What math problem was asked?"}) {
    auto messages = tutorial_messages();
    messages.push_back(sg::HumanMessage(query));
    const auto trimmed = sg::trim_messages(messages, trimmer);
    CHECK(trimmed.size() == 8);
    CHECK(trimmed[1].text() == "whats 2 + 2");
    CHECK(trimmed.back().text() == query);
  }
}

TEST_CASE("trim_messages: strategy first keeps the longest prefix (test_trim_messages_first_30)") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 30, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::first});
  CHECK(kept == slice(0, 2));
}

TEST_CASE("trim_messages: first with allow_partial keeps a prefix of a list content") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 30, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::first, .allow_partial = true});
  REQUIRE(kept.size() == 3);
  CHECK(kept[2].id == "second");
  CHECK(kept[2].content == json::array({{{"type", "text"}, {"text", "This is the FIRST 4 token block."}}}));
}

TEST_CASE("trim_messages: first, allow_partial, end_on human") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 30, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::first, .allow_partial = true,
                                            .end_on = {sg::MessageType::human}});
  CHECK(kept == slice(0, 2));
}

TEST_CASE("trim_messages: last, include_system, allow_partial keeps the end of a list content") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 40, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::last, .allow_partial = true,
                                            .include_system = true});
  REQUIRE(kept.size() == 4);
  CHECK(kept[0] == to_trim()[0]);
  CHECK(kept[1].content == json::array({{{"type", "text"}, {"text", "This is the SECOND 4 token block."}}}));
  CHECK(kept[2].id == "third");
  CHECK(kept[3].id == "fourth");
}

TEST_CASE("trim_messages: last, include_system, allow_partial with no part that fits keeps whole messages") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 30, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::last, .allow_partial = true,
                                            .include_system = true});
  CHECK(kept == sg::Messages{to_trim()[0], to_trim()[3], to_trim()[4]});
}

TEST_CASE("trim_messages: last, allow_partial, start_on human drops the partial ai message") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 30, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::last, .allow_partial = true,
                                            .start_on = {sg::MessageType::human}});
  CHECK(kept == slice(3, 5));
}

TEST_CASE("trim_messages: last, end_on human is applied before trimming") {
  auto kept = sg::trim_messages(to_trim(), {.max_tokens = 20, .token_counter = dummy_token_counter,
                                            .strategy = sg::TrimStrategy::last,
                                            .end_on = {sg::MessageType::human}});
  // the trailing ai message goes first, then the last 20 tokens: [second (14), third (10)] > 20
  CHECK(kept == sg::Messages{to_trim()[3]});
}

TEST_CASE("trim_messages: partial text is split at newlines (and with a custom splitter)") {
  const sg::Messages ms{sg::HumanMessage("line one\nline two\nline three", "h")};
  auto words = [](const sg::Messages& m) {
    int n = 0;
    for (const auto& x : m) n += static_cast<int>(x.text().size());
    return n;
  };
  auto first = sg::trim_messages(ms, {.max_tokens = 18, .token_counter = words, .strategy = sg::TrimStrategy::first,
                                      .allow_partial = true});
  REQUIRE(first.size() == 1);
  CHECK(first[0].content == "line one\nline two\n");
  CHECK(first[0].id == "h");
  auto last = sg::trim_messages(ms, {.max_tokens = 19, .token_counter = words, .allow_partial = true});
  REQUIRE(last.size() == 1);
  CHECK(last[0].content == "line two\nline three");
  auto chars = sg::trim_messages(ms, {.max_tokens = 4, .token_counter = words, .allow_partial = true,
                                      .text_splitter = [](std::string_view t) {
                                        std::vector<std::string> out;
                                        for (char c : t) out.emplace_back(1, c);
                                        return out;
                                      }});
  CHECK(chars.at(0).content == "hree");
  CHECK(sg::split_text_on_newlines("a\nb\n") == std::vector<std::string>{"a\n", "b\n", ""});
}

TEST_CASE("trim_messages: everything fits / nothing fits / empty input / a per-message counter") {
  const auto all = tutorial_messages();
  CHECK(sg::trim_messages(all, {.max_tokens = 1000, .token_counter = sg::count_tokens_approximately}) == all);
  CHECK(sg::trim_messages(all, {.max_tokens = 0, .token_counter = sg::count_tokens_approximately}).empty());
  CHECK(sg::trim_messages({}, {.max_tokens = 5, .token_counter = sg::count_tokens_approximately}).empty());
  // one token per message: LangChain's token_counter=len
  auto by_count = sg::trim_messages(all, {.max_tokens = 4, .token_counter = [](const sg::Message&) { return 1; },
                                          .include_system = true, .start_on = {sg::MessageType::human}});
  CHECK(texts(by_count) == std::vector<std::string>{"you're a good assistant", "having fun?", "yes!"});
  // include_system with a budget smaller than the system message keeps just the system message
  auto tiny = sg::trim_messages(all, {.max_tokens = 5, .token_counter = sg::count_tokens_approximately,
                                      .include_system = true});
  CHECK(texts(tiny) == std::vector<std::string>{"you're a good assistant"});
}

TEST_CASE("trim_messages: incompatible options are sg.nodes.601") {
  const auto all = tutorial_messages();
  auto id_of = [&](const sg::TrimOptions& o) {
    try {
      (void)sg::trim_messages(all, o);
    } catch (const sg::UsageError& e) {
      return e.id() + " " + e.what();
    }
    return std::string("no error");
  };
  auto counter = sg::TokenCounter(sg::count_tokens_approximately);
  CHECK(id_of({.max_tokens = 10, .token_counter = counter, .strategy = sg::TrimStrategy::first,
               .start_on = {sg::MessageType::human}})
            .find("sg.nodes.601 [sg.nodes.601] trim_messages: start_on") == 0);
  CHECK(id_of({.max_tokens = 10, .token_counter = counter, .strategy = sg::TrimStrategy::first, .include_system = true})
            .find("include_system") != std::string::npos);
  CHECK(id_of({.max_tokens = 10}).find("token_counter") != std::string::npos);
  CHECK(id_of({.max_tokens = -1, .token_counter = counter}).find("max_tokens") != std::string::npos);
}

TEST_CASE("filter_messages (test_filter_message example)") {
  const sg::Messages ms{
      sg::SystemMessage("you're a good assistant."),
      sg::HumanMessage("what's your name", "foo").with_name("example_user"),
      sg::AIMessage("steve-o", "bar").with_name("example_assistant"),
      sg::HumanMessage("what's your favorite color", "baz"),
      sg::AIMessage("silicon blue", "blah"),
  };
  auto kept = sg::filter_messages(ms, {.include_names = {"example_user", "example_assistant"},
                                       .include_types = {sg::MessageType::system},
                                       .exclude_ids = {"bar"}});
  CHECK(kept == sg::Messages{ms[0], ms[1]});
  CHECK(sg::filter_messages(ms, {}) == ms);
  CHECK(sg::filter_messages(ms, {.exclude_types = {sg::MessageType::human}}).size() == 3);

  const sg::Messages tools{
      sg::HumanMessage("q"),
      sg::AIMessage("", {sg::ToolCall{"1", "a", json::object()}, sg::ToolCall{"2", "b", json::object()}}),
      sg::ToolMessage("r1", "1"),
      sg::ToolMessage("r2", "2"),
      sg::AIMessage("done"),
  };
  CHECK(texts(sg::filter_messages(tools, {.exclude_all_tool_calls = true})) == std::vector<std::string>{"q", "done"});
  auto without_1 = sg::filter_messages(tools, {.exclude_tool_call_ids = {"1"}});
  REQUIRE(without_1.size() == 4);
  CHECK(without_1[1].tool_calls == std::vector<sg::ToolCall>{sg::ToolCall{"2", "b", json::object()}});
  CHECK(without_1[2].tool_call_id == "2");
  CHECK(sg::filter_messages(tools, {.exclude_tool_call_ids = {"1", "2"}}).size() == 2);
}

TEST_CASE("merge_message_runs (test_merge_message_runs example)") {
  const sg::Messages ms{
      sg::SystemMessage("you're a good assistant."),
      sg::HumanMessage("what's your favorite color", "foo"),
      sg::HumanMessage("wait your favorite food", "bar"),
      sg::AIMessage("my favorite colo", {sg::ToolCall{"123", "blah_tool", {{"x", 2}}}}, "baz"),
      sg::AIMessage(json::array({{{"type", "text"}, {"text", "my favorite dish is lasagna"}}}),
                    {sg::ToolCall{"456", "blah_tool", {{"x", -10}}}}, "blur"),
      sg::ToolMessage("a", "123"),
      sg::ToolMessage("b", "456"),
  };
  auto merged = sg::merge_message_runs(ms);
  REQUIRE(merged.size() == 5);
  CHECK(merged[0] == ms[0]);
  CHECK(merged[1] == sg::HumanMessage("what's your favorite color\nwait your favorite food", "foo"));
  CHECK(merged[2].id == "baz");
  CHECK(merged[2].content ==
        json::array({"my favorite colo", {{"type", "text"}, {"text", "my favorite dish is lasagna"}}}));
  CHECK(merged[2].tool_calls.size() == 2);
  CHECK(merged[3] == ms[5]);  // tool messages are never merged
  CHECK(merged[4] == ms[6]);
  CHECK(sg::merge_message_runs({sg::HumanMessage("a"), sg::HumanMessage("b")}, " | ").at(0).content == "a | b");
  CHECK(sg::merge_message_runs({sg::HumanMessage(""), sg::HumanMessage("b")}).at(0).content == "b");
  CHECK(sg::merge_message_runs({}).empty());
}

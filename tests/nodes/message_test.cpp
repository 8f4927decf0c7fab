// Messages: JSON round trip, the shorthands accepted on input, pretty_print, OpenAI form,
// chunks and their aggregation.
#include <doctest/doctest.h>

#include <sstream>

#include <stategraph/nodes/nodes.hpp>

using nlohmann::json;

TEST_CASE("messages round-trip through JSON with stable field names") {
  sg::Message ai = sg::AIMessage("", {sg::ToolCall{"call_1", "calculator", {{"expression", "2 + 2"}}}}, "m3");
  ai.usage = sg::UsageMetadata{11, 10, 21};
  ai.response_metadata = {{"model_name", "gpt-4o-mini"}, {"finish_reason", "tool_calls"}};
  sg::Message tool = sg::ToolMessage("4", "call_1", "m4").with_name("calculator").with_status(sg::ToolStatus::error);
  const sg::Messages all{
      sg::SystemMessage("you're a good assistant", "m1"),
      sg::HumanMessage(json::array({{{"type", "text"}, {"text", "look: "}}, {{"type", "image_url"}, {"image_url", {{"url", "data:x"}}}}}),
                       "m2")
          .with_name("bob"),
      ai,
      tool,
      sg::RemoveMessage("m2"),
  };
  const json j = all;
  CHECK(j[0] == json{{"type", "system"}, {"content", "you're a good assistant"}, {"id", "m1"}});
  CHECK(j[1]["name"] == "bob");
  CHECK(j[1]["content"].is_array());
  CHECK(j[2]["tool_calls"] ==
        json::array({{{"name", "calculator"}, {"args", {{"expression", "2 + 2"}}}, {"id", "call_1"}, {"type", "tool_call"}}}));
  CHECK(j[2]["usage_metadata"] == json{{"input_tokens", 11}, {"output_tokens", 10}, {"total_tokens", 21}});
  CHECK(j[2]["response_metadata"]["model_name"] == "gpt-4o-mini");
  CHECK(j[3]["tool_call_id"] == "call_1");
  CHECK(j[3]["status"] == "error");
  CHECK(j[4] == json{{"type", "remove"}, {"content", json::array()}, {"id", "m2"}});

  const auto back = j.get<sg::Messages>();
  CHECK(back == all);
  CHECK(json(back).dump() == j.dump());
}

TEST_CASE("JSON input accepts LangChain's shorthands") {
  SUBCASE("role/content dicts, OpenAI roles") {
    auto ms = json::parse(R"([{"role": "user", "content": "hi"},
                              {"role": "assistant", "content": null,
                               "tool_calls": [{"id": "c1", "type": "function",
                                               "function": {"name": "calc", "arguments": "{\"a\": 1}"}}]},
                              {"role": "tool", "content": "1", "tool_call_id": "c1"},
                              {"role": "developer", "content": "be brief"}])")
                  .get<sg::Messages>();
    REQUIRE(ms.size() == 4);
    CHECK(ms[0].type == sg::MessageType::human);
    CHECK(ms[0].text() == "hi");
    CHECK(ms[1].type == sg::MessageType::ai);
    CHECK(ms[1].content == "");
    REQUIRE(ms[1].tool_calls.size() == 1);
    CHECK(ms[1].tool_calls[0] == sg::ToolCall{"c1", "calc", {{"a", 1}}});
    CHECK(ms[2].type == sg::MessageType::tool);
    CHECK(ms[2].tool_call_id == "c1");
    CHECK(ms[3].type == sg::MessageType::system);
  }
  SUBCASE("a string, a [role, content] pair, message_to_dict") {
    auto ms = json::parse(R"(["hello", ["ai", "hi!"], {"type": "human", "data": {"content": "x", "id": "7"}}])")
                  .get<sg::Messages>();
    REQUIRE(ms.size() == 3);
    CHECK(ms[0] == sg::HumanMessage("hello"));
    CHECK(ms[1] == sg::AIMessage("hi!"));
    CHECK(ms[2] == sg::HumanMessage("x", "7"));
  }
  SUBCASE("OpenAI arguments that are not JSON are kept as text") {
    auto m = json::parse(R"({"role": "assistant", "content": "",
                             "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{oops"}}]})")
                 .get<sg::Message>();
    CHECK(m.tool_calls.at(0).args == "{oops");
  }
  SUBCASE("malformed messages are clear errors [sg.nodes.603]") {
    auto bad = [](const char* text) {
      try {
        (void)json::parse(text).get<sg::Message>();
      } catch (const sg::UsageError& e) {
        CHECK(e.id() == "sg.nodes.603");
        return std::string(e.what());
      }
      FAIL("no exception for " << text);
      return std::string();
    };
    CHECK(bad(R"({"role": "wizard", "content": "x"})").find("wizard") != std::string::npos);
    CHECK(bad(R"({"content": "x"})").find("type") != std::string::npos);
    CHECK(bad(R"({"type": "human", "content": 5})").find("content") != std::string::npos);
    CHECK(bad(R"(42)").find("42") != std::string::npos);
    CHECK(bad(R"({"type": "ai", "content": "", "tool_calls": {}})").find("tool_calls") != std::string::npos);
  }
  CHECK_THROWS_AS((void)sg::HumanMessage(json(3)), sg::UsageError);
}

TEST_CASE("text() joins text parts / content parts are kept") {
  sg::Message m = sg::AIMessage(json::array({"a", {{"type", "text"}, {"text", "b"}}, {{"type", "image_url"}}}));
  CHECK(m.text() == "ab");
  CHECK(sg::HumanMessage("plain").text() == "plain");
}

TEST_CASE("pretty_print writes LangChain's title bar, blank line and content") {
  std::ostringstream out;
  sg::pretty_print(sg::AIMessage("Hi Bob! How can I assist you today?"), out);
  CHECK(out.str() ==
        "================================== Ai Message ==================================\n"
        "\n"
        "Hi Bob! How can I assist you today?\n");
  CHECK(sg::message_title(sg::HumanMessage("x")) ==
        "================================ Human Message =================================");
  CHECK(sg::message_title(sg::SystemMessage("x")).size() == 80);
  CHECK(sg::message_title(sg::ToolMessage("x", "c")) ==
        "================================= Tool Message =================================");

  const sg::Message call =
      sg::AIMessage("", {sg::ToolCall{"call_1", "calculator", {{"expression", "2 + 3 * 4"}, {"exact", true}}}});
  CHECK(sg::pretty_repr(call) ==
        "================================== Ai Message ==================================\n"
        "Tool Calls:\n"
        "  calculator (call_1)\n"
        " Call ID: call_1\n"
        "  Args:\n"
        "    exact: True\n"
        "    expression: 2 + 3 * 4");
  CHECK(sg::pretty_repr(sg::ToolMessage("14", "call_1").with_name("calculator")) ==
        "================================= Tool Message =================================\n"
        "Name: calculator\n"
        "\n"
        "14");
}

TEST_CASE("to_openai_json gives chat-completions messages") {
  CHECK(sg::to_openai_json(sg::HumanMessage("hi")) == json{{"role", "user"}, {"content", "hi"}});
  const json ai = sg::to_openai_json(sg::AIMessage("", {sg::ToolCall{"c1", "calc", {{"a", 1}}}}));
  CHECK(ai["role"] == "assistant");
  CHECK(ai["tool_calls"][0] ==
        json{{"id", "c1"}, {"type", "function"}, {"function", {{"name", "calc"}, {"arguments", R"({"a":1})"}}}});
  CHECK(sg::to_openai_json(sg::ToolMessage("1", "c1")) == json{{"role", "tool"}, {"content", "1"}, {"tool_call_id", "c1"}});
  CHECK(sg::to_openai_json(sg::HumanMessage(json::array({"a", {{"type", "text"}, {"text", "b"}}})))["content"] == "a\nb");
  CHECK_THROWS_AS((void)sg::to_openai_json(sg::RemoveMessage("x")), sg::UsageError);
}

TEST_CASE("chunks add up to the message / tool calls reassembled by index") {
  std::vector<sg::MessageChunk> chunks(4);
  chunks[0].id = "run-1";
  chunks[0].content = "Let me";
  chunks[1].content = " check.";
  chunks[1].tool_call_chunks = {{0, "call_a", "calculator", "{\"expr"}, {1, "call_b", "search", ""}};
  chunks[2].tool_call_chunks = {{1, "", "", "{\"q\": \"x\"}"}, {0, "", "", "ession\": \"1+1\"}"}};
  chunks[3].usage = sg::UsageMetadata{5, 7, 12};
  chunks[3].response_metadata = {{"finish_reason", "tool_calls"}};

  const sg::Message m = sg::aggregate_chunks(chunks);
  CHECK(m.type == sg::MessageType::ai);
  CHECK(m.id == "run-1");
  CHECK(m.content == "Let me check.");
  REQUIRE(m.tool_calls.size() == 2);
  CHECK(m.tool_calls[0] == sg::ToolCall{"call_a", "calculator", {{"expression", "1+1"}}});
  CHECK(m.tool_calls[1] == sg::ToolCall{"call_b", "search", {{"q", "x"}}});
  CHECK(m.usage == sg::UsageMetadata{5, 7, 12});
  CHECK(m.response_metadata["finish_reason"] == "tool_calls");

  SUBCASE("args that never become JSON are kept as text") {
    sg::MessageChunk c;
    c.tool_call_chunks = {{0, "c", "f", "{\"a\": "}};
    CHECK(sg::aggregate_chunks({c}).tool_calls.at(0).args == "{\"a\": ");
  }
  SUBCASE("a chunk's JSON round-trips") {
    const json j = chunks[1];
    CHECK(j["type"] == "AIMessageChunk");
    CHECK(j.get<sg::MessageChunk>() == chunks[1]);
  }
  SUBCASE("split_into_chunks is the inverse for text and tool calls") {
    sg::Message reply = sg::AIMessage("Hi  Todd!\nHere it is", {sg::ToolCall{"c", "calc", {{"x", 1}}}}, "id-9");
    reply.usage = sg::UsageMetadata{1, 2, 3};
    auto pieces = sg::split_into_chunks(reply);
    CHECK(pieces[0].content == "Hi");
    CHECK(pieces[1].content == "  Todd!");
    CHECK(pieces[2].content == "\nHere");
    CHECK(sg::aggregate_chunks(pieces) == reply);
  }
}

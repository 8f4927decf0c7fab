// RemoveMessage on the wire: written as LangGraph.js / @langchain/core 1.x write it (content []),
// read from both that form and Python langchain-core's (content "").
#include <doctest/doctest.h>

#include <stategraph/nodes/nodes.hpp>

using nlohmann::json;

TEST_CASE("a remove message is written with content [] as LangGraph.js writes it") {
  const json j = sg::RemoveMessage("m7");
  CHECK(j == json{{"type", "remove"}, {"content", json::array()}, {"id", "m7"}});
  CHECK(j.dump() == R"({"content":[],"id":"m7","type":"remove"})");
}

TEST_CASE("a remove message reads from the JS form, the Python form and without content") {
  for (const char* text : {R"({"type":"remove","content":[],"id":"m7"})", R"({"type":"remove","content":"","id":"m7"})",
                           R"({"type":"remove","id":"m7"})", R"({"type":"remove","data":{"content":"","id":"m7"}})"}) {
    CAPTURE(text);
    const auto m = json::parse(text).get<sg::Message>();
    CHECK(m.type == sg::MessageType::remove);
    CHECK(m.id == "m7");
    CHECK(m == sg::RemoveMessage("m7"));
    CHECK(json(m)["content"] == json::array());
  }
}

TEST_CASE("a remove message read from either form still deletes through add_messages") {
  sg::Messages state{sg::HumanMessage("hi", "a"), sg::AIMessage("hello", "b")};
  const auto py = json::parse(R"({"type":"remove","content":"","id":"a"})").get<sg::Message>();
  const auto js = json::parse(R"({"type":"remove","content":[],"id":"b"})").get<sg::Message>();
  const sg::Messages out = sg::add_messages(state, sg::Messages{py, js});
  CHECK(out.empty());
}

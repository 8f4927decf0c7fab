// Tools, ToolNode (parallel calls, error tool messages, handle_tool_errors) and tools_condition,
// alone and in a model ↔ tools loop with a checkpointer.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using State = sg::MessagesState;

const json kNumberArgs{{"type", "object"},
                       {"properties", {{"a", {{"type", "number"}}}, {"b", {{"type", "number"}}}}},
                       {"required", {"a", "b"}}};

sg::Tool add_tool() {
  return {"add", "Adds a and b.", kNumberArgs,
          [](const json& args) -> json { return args["a"].get<double>() + args["b"].get<double>(); }};
}

sg::Tool failing_tool() {
  return {"explode", "Always fails.", json{{"type", "object"}},
          [](const json&) -> json { throw std::runtime_error("the tool blew up"); }};
}

sg::Message calls(std::vector<sg::ToolCall> c) { return sg::AIMessage("", std::move(c), "ai-1"); }

/// Two tools that wait for each other: each returns "met" only if the other one started while it
/// was waiting (at most 10 s), which can happen only when they run in parallel.
struct Rendezvous {
  std::mutex mutex;
  std::condition_variable cv;
  int arrived = 0;
  json meet() {
    std::unique_lock lock(mutex);
    ++arrived;
    cv.notify_all();
    return cv.wait_for(lock, 10s, [&] { return arrived >= 2; }) ? "met" : "timed out alone";
  }
};

sg::RunConfig thread(std::string id) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  return c;
}

}  // namespace

TEST_CASE("ToolNode runs every tool call of the last ai message and answers in call order") {
  sg::ToolNode node({add_tool(), {"echo", "Echoes.", json{{"type", "object"}}, [](const json& a) -> json { return a; }}});
  const sg::Messages in{sg::HumanMessage("q"),
                        calls({{"c1", "add", {{"a", 2}, {"b", 3}}},
                               {"c2", "echo", {{"x", "y"}}},
                               {"c3", "add", {{"a", 0.5}, {"b", 0.25}}}})};
  const sg::Messages out = node.run(in);
  REQUIRE(out.size() == 3);
  CHECK(out[0] == sg::ToolMessage("5.0", "c1").with_name("add"));
  CHECK(out[1].content == R"({"x":"y"})");
  CHECK(out[1].tool_call_id == "c2");
  CHECK(out[2].content == "0.75");
  CHECK(out[2].status == sg::ToolStatus::success);
  CHECK(node.run({sg::HumanMessage("q"), sg::AIMessage("no tools")}).empty());
  CHECK(node.specs().at(0) == add_tool().spec());
  CHECK_THROWS_WITH_AS((void)node.run({sg::HumanMessage("q")}), doctest::Contains("[sg.nodes.605]"), sg::UsageError);
}

TEST_CASE("ToolNode runs the calls in parallel (two tools that rendezvous)") {
  auto meeting = std::make_shared<Rendezvous>();
  sg::ToolNode node({{"left", "", json{{"type", "object"}}, [meeting](const json&) { return meeting->meet(); }},
                     {"right", "", json{{"type", "object"}}, [meeting](const json&) { return meeting->meet(); }}});
  const auto start = std::chrono::steady_clock::now();
  const auto out = node.run({calls({{"l", "left", json::object()}, {"r", "right", json::object()}})});
  REQUIRE(out.size() == 2);
  CHECK(out[0].content == "met");
  CHECK(out[1].content == "met");
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("ToolNode turns an unknown tool, bad arguments and a throwing tool into error tool messages") {
  sg::ToolNode node({add_tool(), failing_tool()});
  const auto out = node.run({calls({{"u", "subtract", {{"a", 1}, {"b", 2}}},
                                    {"j", "add", json("{\"a\": 1, \"b\":")},  // model text that is not JSON
                                    {"m", "add", {{"a", 1}}},
                                    {"t", "add", {{"a", "one"}, {"b", 2}}},
                                    {"x", "explode", json::object()},
                                    {"ok", "add", {{"a", 1}, {"b", 1}}}})});
  REQUIRE(out.size() == 6);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(out[i].type == sg::MessageType::tool);
    CHECK(out[i].status == sg::ToolStatus::error);
  }
  CHECK(out[0].content == "Error: subtract is not a valid tool, try one of [add, explode].");
  CHECK(out[0].tool_call_id == "u");
  CHECK(out[1].text().find("not valid JSON") != std::string::npos);
  CHECK(out[2].text().find("missing required argument \"b\"") != std::string::npos);
  CHECK(out[3].text().find("argument \"a\" must be of type \"number\"") != std::string::npos);
  CHECK(out[4].content == "Error: the tool blew up\n Please fix your mistakes.");
  CHECK(out[4].name == "explode");
  CHECK(out[5].content == "2.0");
  CHECK(out[5].status == sg::ToolStatus::success);

  sg::ToolNodeOptions custom;
  custom.format_error = [](const sg::ToolCall& c, const std::exception& e) { return c.name + " said: " + e.what(); };
  sg::ToolNode formatted({failing_tool()}, custom);
  CHECK(formatted.run({calls({{"x", "explode", json::object()}})}).at(0).content == "explode said: the tool blew up");
}

TEST_CASE("ToolNode with handle_tool_errors off fails with sg.nodes.611, the tool's error nested") {
  sg::ToolNodeOptions strict;
  strict.handle_tool_errors = false;
  sg::ToolNode node({add_tool(), failing_tool()}, strict);
  try {
    (void)node.run({calls({{"ok", "add", {{"a", 1}, {"b", 1}}}, {"x", "explode", json::object()}})});
    FAIL("no exception");
  } catch (const sg::ToolError& e) {
    CHECK(e.id() == "sg.nodes.611");
    CHECK(e.tool() == "explode");
    CHECK(e.tool_call_id() == "x");
    CHECK_THROWS_WITH_AS(std::rethrow_if_nested(e), "the tool blew up", std::runtime_error);
  }
  // the model's mistakes are still answered, not thrown
  CHECK(node.run({calls({{"u", "nope", json::object()}})}).at(0).status == sg::ToolStatus::error);
}

TEST_CASE("ToolNode rejects bad tool lists (sg.nodes.606)") {
  CHECK_THROWS_WITH_AS(sg::ToolNode({add_tool(), add_tool()}), doctest::Contains("two tools are named \"add\""),
                       sg::UsageError);
  CHECK_THROWS_AS(sg::ToolNode({sg::Tool{"", "", {}, [](const json& a) { return a; }}}), sg::UsageError);
  CHECK_THROWS_AS(sg::ToolNode({sg::Tool{"nofunc", "", {}, {}}}), sg::UsageError);
}

TEST_CASE("tools_condition routes to \"tools\" after tool calls, else to END") {
  CHECK(sg::tools_condition(sg::Messages{calls({{"c", "add", json::object()}})}) == "tools");
  CHECK(sg::tools_condition(sg::Messages{sg::AIMessage("done")}) == sg::END);
  CHECK(sg::tools_condition(sg::Messages{}) == sg::END);
  State s;
  s.messages.push_back(calls({{"c", "add", json::object()}}));
  CHECK(sg::tools_condition(s) == "tools");
}

TEST_CASE("a model ↔ tools loop over MessagesState / with strict tools a failure keeps the saved state") {
  auto make = [](sg::ToolNodeOptions options) {
    auto model = std::make_shared<sg::ScriptedFakeChatModel>([](const sg::Messages& in) {
      if (in.back().type == sg::MessageType::tool) return sg::AIMessage("The sums are " + in[in.size() - 2].text() + " and " + in.back().text());
      return sg::AIMessage("", {sg::ToolCall{"c1", "add", {{"a", 1}, {"b", 2}}},
                                sg::ToolCall{"c2", in.back().text() == "boom" ? "explode" : "add", {{"a", 3}, {"b", 4}}}});
    });
    sg::StateGraph<State> g;
    g.add_node("agent", [model](const State& s) { return sg::Update<State>{sg::set<&State::messages>(model->invoke(s.messages))}; });
    g.add_node("tools", sg::ToolNode({add_tool(), failing_tool()}, std::move(options)));
    g.add_edge(sg::START, "agent");
    g.add_conditional_edges("agent", sg::tools_condition, {{"tools", "tools"}, {sg::END, sg::END}});
    g.add_edge("tools", "agent");
    return g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
  };

  auto app = make({});
  auto out = app.invoke({sg::set<&State::messages>(sg::HumanMessage("add things"))}, thread("loop"));
  REQUIRE(out.values.messages.size() == 5);  // human, ai (2 calls), tool, tool, ai
  CHECK(out.values.messages[2].tool_call_id == "c1");
  CHECK(out.values.messages[3].tool_call_id == "c2");
  CHECK(out.values.messages[4].content == "The sums are 3.0 and 7.0");

  sg::ToolNodeOptions strict;
  strict.handle_tool_errors = false;
  auto strict_app = make(strict);
  CHECK_THROWS_WITH_AS(strict_app.invoke({sg::set<&State::messages>(sg::HumanMessage("boom"))}, thread("s")),
                       doctest::Contains("sg.nodes.611"), sg::NodeError);
  auto saved = strict_app.get_state(thread("s"));
  REQUIRE(saved.has_value());
  REQUIRE(saved->values.messages.size() == 2);  // the human message and the ai tool calls; no tool message
  CHECK(saved->values.messages[1].has_tool_calls());
  CHECK(saved->next == std::vector<std::string>{"tools"});
}

// sg::OpenAIChatModel inside a graph, over real HTTP: tokens stream out of the running node
// (stream mode messages) and a model error leaves the thread's saved state as it was.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <set>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/nodes/openai_chat_model.hpp>
#include <stategraph/stategraph.hpp>

#include "test_server.hpp"

using nlohmann::json;
using sg_test::CannedResponse;
using sg_test::sse_event;
using sg_test::TestServer;
using namespace std::chrono_literals;

namespace {

using State = sg::MessagesState;

sg::RunConfig thread(std::string id) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  return c;
}

json delta_chunk(const json& delta, const json& finish_reason = nullptr) {
  return {{"id", "chatcmpl-g"}, {"object", "chat.completion.chunk"}, {"model", "gpt-test"},
          {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}}}};
}

std::shared_ptr<const sg::ChatModel> model_for(const TestServer& server) {
  sg::OpenAIChatModelOptions o;
  o.base_url = server.base_url();
  o.model = "gpt-test";
  o.api_key_env = "SG_TEST_OPENAI_KEY_GRAPH";
  o.timeout = 20s;
  o.max_retries = 0;
  return std::make_shared<sg::OpenAIChatModel>(o);
}

sg::CompiledGraph<State> chat_graph(std::shared_ptr<const sg::ChatModel> model, std::shared_ptr<sg::BaseCheckpointSaver> saver) {
  sg::StateGraph<State> g;
  g.add_node("model", [model](const State& s, sg::RunContext& ctx) {
    return sg::Update<State>{sg::set<&State::messages>(sg::stream_chat(*model, s.messages, ctx))};
  });
  g.add_edge(sg::START, "model").add_edge("model", sg::END);
  return g.compile({.checkpointer = std::move(saver)});
}

std::string nested_id(const sg::NodeError& e) {
  try {
    std::rethrow_if_nested(e);
  } catch (const sg::Error& inner) {
    return inner.id();
  } catch (...) {
  }
  return "not nested";
}

}  // namespace

TEST_CASE("OpenAIChatModel in a graph: stream mode messages yields chunks with node metadata while the node runs") {
  TestServer server;
  auto stream = CannedResponse::sse({sse_event(delta_chunk({{"role", "assistant"}, {"content", "Hi"}})),
                                     sse_event(delta_chunk({{"content", " Todd!"}})),
                                     sse_event(delta_chunk({{"content", " Here's a joke."}})),
                                     sse_event(delta_chunk(json::object(), "stop")), "data: [DONE]\n\n"});
  // The server sends the first chunk, then waits until the test's consumer has seen it: the rest
  // of the reply (and so the node's end) cannot come before.
  stream.hold = std::make_shared<std::atomic<bool>>(false);
  server.push(stream);
  auto app = chat_graph(model_for(server), std::make_shared<sg::InMemorySaver>());

  std::string text;
  std::vector<json> metadata;
  std::set<std::string> ids;
  for (const auto& e : app.stream({sg::set<&State::messages>(sg::HumanMessage("Hi I'm Todd, tell me a joke."))},
                                  thread("todd"), sg::StreamMode::messages)) {
    REQUIRE(e.mode == sg::StreamMode::messages);
    CHECK(e.node == "model");
    text += e.data["chunk"]["content"].get<std::string>();
    ids.insert(e.data["chunk"]["id"].get<std::string>());
    metadata.push_back(e.data["metadata"]);
    stream.hold->store(true);
  }
  CHECK(server.hold_timeouts() == 0);  // the first chunk reached the consumer while the node ran
  CHECK(text == "Hi Todd! Here's a joke.");
  REQUIRE(metadata.size() == 4);
  for (const auto& m : metadata) {
    CHECK(m["node"] == "model");
    CHECK(m["step"] == 1);
    CHECK(m["thread_id"] == "todd");
    CHECK(m["model"] == "gpt-test");
  }
  const auto saved = app.get_state(thread("todd"));
  REQUIRE(saved.has_value());
  REQUIRE(saved->values.messages.size() == 2);
  const sg::Message& reply = saved->values.messages[1];
  CHECK(reply.type == sg::MessageType::ai);
  CHECK(reply.content == "Hi Todd! Here's a joke.");
  CHECK(reply.response_metadata["finish_reason"] == "stop");
  REQUIRE(ids.size() == 1);
  CHECK(*ids.begin() == reply.id);  // the streamed chunks carry the saved message's id
  CHECK(server.requests().at(0).json()["messages"][0]["content"] == "Hi I'm Todd, tell me a joke.");
}

TEST_CASE("OpenAIChatModel in a graph: a model error (HTTP 400) leaves the thread's saved state unchanged") {
  TestServer server;
  // invoke streams nothing, so stream_chat calls model.invoke: a plain JSON reply.
  server.push(CannedResponse::json({{"id", "chatcmpl-1"},
                                    {"model", "gpt-test"},
                                    {"choices", {{{"index", 0},
                                                  {"message", {{"role", "assistant"}, {"content", "First answer."}}},
                                                  {"finish_reason", "stop"}}}}}));
  auto app = chat_graph(model_for(server), std::make_shared<sg::InMemorySaver>());
  app.invoke({sg::set<&State::messages>(sg::HumanMessage("first question"))}, thread("t"));
  const auto before = app.get_state(thread("t"));
  REQUIRE(before.has_value());
  REQUIRE(before->values.messages.size() == 2);

  server.push(CannedResponse::json(
      {{"error", {{"message", "This model's maximum context length is 8192 tokens."}, {"type", "invalid_request_error"}}}}, 400));
  try {
    app.invoke({sg::set<&State::messages>(sg::HumanMessage("second question"))}, thread("t"));
    FAIL("no exception");
  } catch (const sg::NodeError& e) {
    CHECK(e.node() == "model");
    CHECK(nested_id(e) == "sg.nodes.630");
    CHECK(std::string(e.what()).find("maximum context length") != std::string::npos);
  }
  // The input was saved (step 0); nothing of the failed model step was.
  const auto failed = app.get_state(thread("t"));
  REQUIRE(failed.has_value());
  REQUIRE(failed->values.messages.size() == 3);
  CHECK(sg::Messages(failed->values.messages.begin(), failed->values.messages.begin() + 2) == before->values.messages);
  CHECK(failed->values.messages[2].content == "second question");
  CHECK(failed->next == std::vector<std::string>{"model"});

  // Resuming fails again, now on a malformed stream chunk: the saved state is exactly as it was.
  server.push(CannedResponse::sse({"data: {oops\n\n"}));
  try {
    app.stream(std::nullopt, thread("t"), sg::StreamMode::messages, [](const sg::StreamEvent<State>&) {});
    FAIL("no exception");
  } catch (const sg::NodeError& e) {
    CHECK(nested_id(e) == "sg.nodes.622");
  }
  const auto after = app.get_state(thread("t"));
  REQUIRE(after.has_value());
  CHECK(after->values.messages == failed->values.messages);
  CHECK(after->next == failed->next);
  CHECK(after->config.checkpoint_id == failed->config.checkpoint_id);

  // And once the server answers, the resumed run completes from there.
  server.push(CannedResponse::sse({sse_event(delta_chunk({{"content", "Second answer."}})),
                                   sse_event(delta_chunk(json::object(), "stop")), "data: [DONE]\n\n"}));
  std::string streamed;
  const auto done = app.stream(std::nullopt, thread("t"), sg::StreamMode::messages, [&](const sg::StreamEvent<State>& e) {
    streamed += e.data["chunk"]["content"].get<std::string>();
  });
  CHECK(streamed == "Second answer.");
  REQUIRE(done.values.messages.size() == 4);
  CHECK(done.values.messages[3].content == "Second answer.");
}

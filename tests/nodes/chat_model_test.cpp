// ChatModel (NVI guarantees), the fake models (script, echo, counting, faults, delays,
// bind_tools) and token streaming out of a running graph (stream mode messages).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using State = sg::MessagesState;

sg::RunConfig thread(std::string id) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  return c;
}

/// The error nested in a NodeError, as its id (or what()).
std::string nested_id(const sg::NodeError& e) {
  try {
    std::rethrow_if_nested(e);
  } catch (const sg::Error& inner) {
    return inner.id();
  } catch (const std::exception& inner) {
    return inner.what();
  }
  return "not nested";
}

/// A graph: START → model → END, the model called through stream_chat.
sg::CompiledGraph<State> chat_graph(std::shared_ptr<const sg::ChatModel> model,
                                    std::shared_ptr<sg::BaseCheckpointSaver> saver = nullptr) {
  sg::StateGraph<State> g;
  g.add_node("model", [model](const State& s, sg::RunContext& ctx) {
    return sg::Update<State>{sg::set<&State::messages>(sg::stream_chat(*model, s.messages, ctx))};
  });
  g.add_edge(sg::START, "model").add_edge("model", sg::END);
  return g.compile({.checkpointer = std::move(saver)});
}

}  // namespace

TEST_CASE("ScriptedFakeChatModel replies in order, counts calls, records inputs, says it is fake") {
  sg::ScriptedFakeChatModel model({sg::AIMessage("Hi Bob!"), sg::AIMessage("Your name is Bob.")});
  CHECK(model.name().find("fake") != std::string::npos);
  const sg::Message first = model.invoke({sg::HumanMessage("Hi! I'm Bob")});
  CHECK(first.type == sg::MessageType::ai);
  CHECK(first.content == "Hi Bob!");
  CHECK(first.id.rfind("run-", 0) == 0);  // NVI: an id for every reply
  CHECK(first.response_metadata["fake"] == true);
  CHECK(first.response_metadata["model_name"] == model.name());
  CHECK(first.response_metadata["finish_reason"] == "stop");
  REQUIRE(first.usage.has_value());
  CHECK(first.usage->input_tokens == sg::count_tokens_approximately(sg::Messages{sg::HumanMessage("Hi! I'm Bob")}));
  CHECK(first.usage->total_tokens == first.usage->input_tokens + first.usage->output_tokens);

  CHECK(model.invoke({sg::HumanMessage("What's my name?")}).content == "Your name is Bob.");
  CHECK(model.calls() == 2);
  CHECK(model.received().at(1).at(0).text() == "What's my name?");
  CHECK_THROWS_WITH_AS(model.invoke({}), doctest::Contains("[sg.nodes.620]"), sg::ModelError);

  sg::ScriptedFakeChatModel cycling({sg::AIMessage("a"), sg::AIMessage("b")}, /*cycle=*/true);
  std::string seen;
  for (int i = 0; i < 5; ++i) seen += cycling.invoke({}).text();
  CHECK(seen == "ababa");
}

TEST_CASE("fake models stream word by word / the chunks add up to the returned message") {
  sg::ScriptedFakeChatModel model(
      [](const sg::Messages& in) { return sg::AIMessage("Why don't scientists trust atoms? (" + in.back().text() + ")"); });
  std::vector<sg::MessageChunk> chunks;
  const sg::Message m = model.stream({sg::HumanMessage("joke")}, [&](const sg::MessageChunk& c) { chunks.push_back(c); });
  REQUIRE(chunks.size() >= 6);
  CHECK(chunks[0].content == "Why");
  CHECK(chunks[1].content == " don't");
  std::string text;
  for (const auto& c : chunks) {
    text += c.content;
    CHECK(c.id == m.id);  // every chunk carries the message's id
  }
  CHECK(text == "Why don't scientists trust atoms? (joke)");
  CHECK(m.content == text);
  CHECK(m.id.rfind("run-", 0) == 0);
  CHECK(chunks.back().usage.has_value());

  sg::EchoFakeChatModel echo;
  CHECK(echo.name() == "echo-fake-chat-model");
  CHECK(echo.invoke({sg::HumanMessage("hello there")}).content == "hello there");
  CHECK(echo.stream({sg::HumanMessage("a b")}, nullptr).content == "a b");
  CHECK(echo.invoke({}).content == "");
}

TEST_CASE("fake models: injected faults, delays, cancellation, malformed replies") {
  sg::ScriptedFakeChatModel model({sg::AIMessage("one"), sg::AIMessage("two")});
  model.fail_on_call(1, std::make_exception_ptr(std::runtime_error("connection reset")));
  model.fail_on_call(2);
  CHECK_THROWS_WITH_AS(model.invoke({}), "connection reset", std::runtime_error);
  CHECK_THROWS_WITH_AS(model.invoke({}), doctest::Contains("[sg.nodes.621]"), sg::ModelError);
  CHECK(model.invoke({}).content == "one");  // faulted calls consume no reply
  CHECK(model.calls() == 3);

  model.set_delay(20ms);
  const auto start = std::chrono::steady_clock::now();
  int n = 0;
  (void)model.stream({}, [&](const sg::MessageChunk&) { ++n; });
  CHECK(std::chrono::steady_clock::now() - start >= n * 20ms);

  sg::EchoFakeChatModel echo;
  sg::ChatOptions cancelled;
  cancelled.cancelled = [] { return true; };
  // A cancelled call is the same kind of error as a cancelled run.
  CHECK_THROWS_WITH_AS(echo.invoke({sg::HumanMessage("x")}, cancelled), doctest::Contains("[sg.run.305]"),
                       sg::Cancelled);
  std::atomic<int> polls{0};
  sg::ChatOptions later;
  later.cancelled = [&] { return ++polls > 2; };  // before the call, chunk 1, then cancelled
  int delivered = 0;
  CHECK_THROWS_AS(echo.stream({sg::HumanMessage("a b c d")}, later, [&](const sg::MessageChunk&) { ++delivered; }),
                  sg::Cancelled);
  CHECK(delivered == 1);

  sg::ScriptedFakeChatModel wrong([](const sg::Messages&) { return sg::HumanMessage("not an ai message"); });
  CHECK_THROWS_WITH_AS(wrong.invoke({}), doctest::Contains("[sg.nodes.622]"), sg::ModelError);
}

TEST_CASE("bind_tools returns a copy with the tools that shares the fake's script") {
  sg::ScriptedFakeChatModel model({sg::AIMessage("a"), sg::AIMessage("b")});
  const sg::ToolSpec calc{"calculator", "Evaluates arithmetic.",
                          {{"type", "object"}, {"properties", {{"expression", {{"type", "string"}}}}}}};
  auto bound = model.bind_tools({calc});
  CHECK(model.bound_tools().empty());
  REQUIRE(bound->bound_tools().size() == 1);
  CHECK(bound->bound_tools()[0] == calc);
  CHECK(bound->name() == model.name());
  CHECK(bound->invoke({}).content == "a");
  CHECK(model.invoke({}).content == "b");
  CHECK(model.calls() == 2);
  CHECK(sg::to_openai_json(calc)["function"]["name"] == "calculator");
  CHECK_THROWS_WITH_AS((void)model.bind_tools({calc, calc}), doctest::Contains("[sg.nodes.606]"), sg::UsageError);
  CHECK_THROWS_AS((void)model.bind_tools({sg::ToolSpec{}}), sg::UsageError);
}

namespace {

/// Test gate between the graph's consumer and the model: after its first chunk the model waits
/// (at most 10 s) until the consumer has seen that chunk.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool consumer_saw_first = false;
  bool first_sent = false;
  bool model_saw_consumer = false;
};

/// Forwards to a model; holds the stream after the first chunk until the gate opens.
class GatedModel final : public sg::ChatModel {
 public:
  GatedModel(std::shared_ptr<const sg::ChatModel> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}

 protected:
  sg::Message do_invoke(const sg::Messages& m, const sg::ChatOptions& o) const override { return inner_->invoke(m, o); }
  sg::Message do_stream(const sg::Messages& m, const sg::ChatOptions& o, const sg::ChunkCallback& cb) const override {
    return inner_->stream(m, o, [&](const sg::MessageChunk& c) {
      cb(c);
      std::unique_lock lock(gate_->mutex);
      if (gate_->first_sent) return;
      gate_->first_sent = true;
      gate_->model_saw_consumer = gate_->cv.wait_for(lock, 10s, [&] { return gate_->consumer_saw_first; });
    });
  }
  std::unique_ptr<sg::ChatModel> clone() const override { return std::make_unique<GatedModel>(*this); }
  std::string do_name() const override { return inner_->name(); }

 private:
  std::shared_ptr<const sg::ChatModel> inner_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace

TEST_CASE("stream mode messages: chunks arrive while the node runs, with node/step/thread_id metadata") {
  auto fake = std::make_shared<sg::ScriptedFakeChatModel>(
      std::vector<sg::Message>{sg::AIMessage("Hi Todd! Here's a joke for you.")});
  auto gate = std::make_shared<Gate>();
  auto app = chat_graph(std::make_shared<GatedModel>(fake, gate), std::make_shared<sg::InMemorySaver>());

  std::string text;
  std::vector<json> metadata;
  std::set<std::string> chunk_ids;
  for (const auto& e : app.stream({sg::set<&State::messages>(sg::HumanMessage("Hi I'm Todd, please tell me a joke."))},
                                  thread("abc789"), sg::StreamMode::messages)) {
    REQUIRE(e.mode == sg::StreamMode::messages);
    CHECK(e.node == "model");
    text += e.data["chunk"]["content"].get<std::string>();
    chunk_ids.insert(e.data["chunk"]["id"].get<std::string>());
    metadata.push_back(e.data["metadata"]);
    {
      std::lock_guard lock(gate->mutex);
      gate->consumer_saw_first = true;
    }
    gate->cv.notify_all();
  }
  CHECK(gate->model_saw_consumer);  // chunk 1 reached the consumer before the model sent chunk 2
  CHECK(text == "Hi Todd! Here's a joke for you.");
  REQUIRE(metadata.size() >= 7);
  for (const auto& m : metadata) {
    CHECK(m["node"] == "model");
    CHECK(m["step"] == 1);
    CHECK(m["thread_id"] == "abc789");
    CHECK(m["model"] == "scripted-fake-chat-model");
  }
  auto saved = app.get_state(thread("abc789"));
  REQUIRE(saved.has_value());
  REQUIRE(saved->values.messages.size() == 2);
  CHECK(saved->values.messages[1].content == text);
  REQUIRE(chunk_ids.size() == 1);
  CHECK(*chunk_ids.begin() == saved->values.messages[1].id);  // chunks match the saved message
}

TEST_CASE("stream mode messages with a callback: all chunks before the node's update / invoke does not stream") {
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{sg::AIMessage("one two three")},
                                                           /*cycle=*/true);
  auto app = chat_graph(model);
  std::vector<std::string> order;
  app.stream({sg::set<&State::messages>(sg::HumanMessage("count"))}, {},
             sg::StreamMode::messages | sg::StreamMode::updates, [&](const sg::StreamEvent<State>& e) {
               order.push_back(e.mode == sg::StreamMode::messages ? "chunk:" + e.data["chunk"]["content"].get<std::string>()
                                                                  : "update:" + e.node);
             });
  CHECK(order == std::vector<std::string>{"chunk:one", "chunk: two", "chunk: three", "chunk:", "update:model"});

  auto out = app.invoke({sg::set<&State::messages>(sg::HumanMessage("count"))});
  CHECK(out.values.messages.back().content == "one two three");
  CHECK(model->calls() == 2);
}

TEST_CASE("a failing model fails the node / the saved state keeps only what came before / resume works") {
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{sg::AIMessage("recovered")});
  model->fail_on_call(1, std::make_exception_ptr(sg::ModelError(sg::ErrorId::nodes_http_status, "HTTP 503 from the server", true)));
  auto app = chat_graph(model, std::make_shared<sg::InMemorySaver>());
  try {
    app.invoke({sg::set<&State::messages>(sg::HumanMessage("hello"))}, thread("f"));
    FAIL("no exception");
  } catch (const sg::NodeError& e) {
    CHECK(e.node() == "model");
    CHECK(nested_id(e) == "sg.nodes.630");
  }
  auto saved = app.get_state(thread("f"));
  REQUIRE(saved.has_value());
  REQUIRE(saved->values.messages.size() == 1);
  CHECK(saved->values.messages[0].content == "hello");
  CHECK(saved->next == std::vector<std::string>{"model"});

  auto resumed = app.invoke(std::nullopt, thread("f"));
  REQUIRE(resumed.values.messages.size() == 2);
  CHECK(resumed.values.messages[1].content == "recovered");

  // a malformed reply (not an ai message) is a clear error too
  auto wrong = std::make_shared<sg::ScriptedFakeChatModel>(
      [](const sg::Messages&) { return sg::ToolMessage("?", "nobody"); });
  auto bad = chat_graph(wrong, std::make_shared<sg::InMemorySaver>());
  try {
    bad.invoke({sg::set<&State::messages>(sg::HumanMessage("hello"))}, thread("g"));
    FAIL("no exception");
  } catch (const sg::NodeError& e) {
    CHECK(nested_id(e) == "sg.nodes.622");
  }
  CHECK(bad.get_state(thread("g"))->values.messages.size() == 1);
}

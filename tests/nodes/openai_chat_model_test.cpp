// sg::OpenAIChatModel over real HTTP on 127.0.0.1 against the scripted Beast server
// (tests/nodes/test_server): replies, streaming, tool calls, retries, errors, timeouts,
// truncated and malformed streams, cancellation, the API key.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/nodes/openai_chat_model.hpp>
#include <stategraph/errors.hpp>

#include "test_server.hpp"

using nlohmann::json;
using sg_test::CannedResponse;
using sg_test::sse_event;
using sg_test::TestServer;
using namespace std::chrono_literals;

namespace {

constexpr const char* key_env = "SG_TEST_OPENAI_KEY";
constexpr const char* secret = "sk-test-0123456789abcdef-SECRET";

/// A model for `server` with short retry delays; the key comes from SG_TEST_OPENAI_KEY.
sg::OpenAIChatModel model_for(const TestServer& server, int max_retries = 2) {
  ::setenv(key_env, secret, 1);
  sg::OpenAIChatModelOptions o;
  o.base_url = server.base_url();
  o.model = "gpt-test";
  o.api_key_env = key_env;
  o.timeout = 15s;
  o.connect_timeout = 2s;
  o.max_retries = max_retries;
  o.retry_initial_delay = 20ms;
  return sg::OpenAIChatModel(o);
}

json completion(const std::string& content, json usage = nullptr) {
  json j = {{"id", "chatcmpl-1"},
            {"object", "chat.completion"},
            {"created", 1700000000},
            {"model", "gpt-test-2024"},
            {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}};
  if (!usage.is_null()) j["usage"] = usage;
  return j;
}

json chunk(const json& delta, const json& finish_reason = nullptr) {
  return {{"id", "chatcmpl-2"},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", "gpt-test-2024"},
          {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}}}};
}

json usage_chunk(int prompt, int completion) {
  return {{"id", "chatcmpl-2"},
          {"object", "chat.completion.chunk"},
          {"model", "gpt-test-2024"},
          {"choices", json::array()},
          {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}}}};
}

json openai_error(const std::string& message, const std::string& type = "invalid_request_error") {
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
}

/// A whole text stream: role chunk, one chunk per piece, finish, usage, [DONE].
std::vector<std::string> text_stream(const std::vector<std::string>& pieces, const std::string& eol = "\n") {
  std::vector<std::string> parts{sse_event(chunk({{"role", "assistant"}, {"content", ""}}), eol)};
  for (const auto& p : pieces) parts.push_back(sse_event(chunk({{"content", p}}), eol));
  parts.push_back(sse_event(chunk(json::object(), "stop"), eol));
  parts.push_back(sse_event(usage_chunk(5, static_cast<int>(pieces.size())), eol));
  parts.push_back("data: [DONE]" + eol + eol);
  return parts;
}

struct Caught {
  std::string id;
  std::string what;
  bool retryable = false;
  int status = 0;
};

template <class F>
Caught catch_model_error(F&& f) {
  try {
    f();
  } catch (const sg::ModelStatusError& e) {
    return {e.id(), e.what(), e.retryable(), e.status()};
  } catch (const sg::ModelError& e) {
    return {e.id(), e.what(), e.retryable(), 0};
  } catch (const sg::Cancelled& e) {  // a cancelled call: the same kind of error as a cancelled run
    return {e.id(), e.what(), e.retryable(), 0};
  }
  return {"no ModelError", "", false, 0};
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("OpenAIChatModel invoke: a reply over HTTP - the request carries model, messages, tools, options, Bearer key") {
  TestServer server;
  server.push(CannedResponse::json(completion("Hi Bob!", {{"prompt_tokens", 11}, {"completion_tokens", 3}, {"total_tokens", 14}})));
  sg::OpenAIChatModelOptions o;
  o.base_url = server.base_url() + "/";  // a trailing slash is fine
  o.model = "gpt-test";
  o.api_key_env = key_env;
  o.temperature = 0.2;
  o.max_tokens = 64;
  o.headers = {{"OpenAI-Organization", "org-test"}};
  ::setenv(key_env, secret, 1);
  const sg::OpenAIChatModel base(o);
  const sg::ToolSpec calc{"calculator", "Evaluates arithmetic.",
                          {{"type", "object"}, {"properties", {{"expression", {{"type", "string"}}}}}, {"required", {"expression"}}}};
  const auto model = base.bind_tools({calc});
  CHECK(model->name() == "gpt-test");
  CHECK(base.endpoint() == server.base_url() + "/chat/completions");
  CHECK(base.has_api_key());

  sg::ChatOptions call;
  call.temperature = 0.7;
  const sg::Message reply = model->invoke({sg::SystemMessage("You are terse."), sg::HumanMessage("Hi! I'm Bob"),
                                           sg::AIMessage("", {sg::ToolCall{"call_9", "calculator", {{"expression", "1+1"}}}}),
                                           sg::ToolMessage("2", "call_9")},
                                          call);
  CHECK(reply.type == sg::MessageType::ai);
  CHECK(reply.content == "Hi Bob!");
  CHECK(reply.id.rfind("run-", 0) == 0);
  REQUIRE(reply.usage.has_value());
  CHECK(*reply.usage == sg::UsageMetadata{11, 3, 14});
  CHECK(reply.response_metadata["finish_reason"] == "stop");
  CHECK(reply.response_metadata["model_name"] == "gpt-test-2024");
  CHECK(reply.response_metadata["id"] == "chatcmpl-1");

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1/chat/completions");
  CHECK(r.header("authorization") == std::string("Bearer ") + secret);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("accept") == "application/json");
  CHECK(r.header("openai-organization") == "org-test");
  const json body = r.json();
  CHECK(body["model"] == "gpt-test");
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0] == json{{"role", "system"}, {"content", "You are terse."}});
  CHECK(body["messages"][1] == json{{"role", "user"}, {"content", "Hi! I'm Bob"}});
  CHECK(body["messages"][2]["role"] == "assistant");
  CHECK(body["messages"][2]["tool_calls"][0]["function"]["name"] == "calculator");
  CHECK(body["messages"][3] == json{{"role", "tool"}, {"content", "2"}, {"tool_call_id", "call_9"}});
  CHECK(body["tools"] == json::array({{{"type", "function"},
                                        {"function", {{"name", "calculator"}, {"description", "Evaluates arithmetic."},
                                                      {"parameters", calc.parameters}}}}}));
  CHECK(body["temperature"] == 0.7);  // the call's options win over the model's
  CHECK(body["max_tokens"] == 64);
  CHECK_FALSE(body.contains("stream"));
}

TEST_CASE("OpenAIChatModel stream: CRLF line ends, comments, split events, the usage chunk and [DONE]") {
  TestServer server;
  auto parts = text_stream({"Why", " don't", " scientists", " trust atoms?"}, "\r\n");
  parts.insert(parts.begin(), ": OPENROUTER PROCESSING\r\n\r\n");  // a comment (keep-alive)
  // one event cut in the middle of its JSON, and a CRLF cut between CR and LF
  const std::string whole = parts[3];
  parts[3] = whole.substr(0, 17);
  parts.insert(parts.begin() + 4, whole.substr(17, whole.size() - 18));
  parts.insert(parts.begin() + 5, "\n");
  server.push(CannedResponse::sse(parts, 3ms));
  const auto model = model_for(server);

  std::vector<sg::MessageChunk> chunks;
  const sg::Message m = model.stream({sg::HumanMessage("joke")}, [&](const sg::MessageChunk& c) { chunks.push_back(c); });
  REQUIRE(chunks.size() == 6);  // 4 pieces, finish, usage (the role-only chunk carries nothing)
  CHECK(chunks[0].content == "Why");
  CHECK(chunks[1].content == " don't");
  CHECK(chunks[3].content == " trust atoms?");
  CHECK(chunks[4].response_metadata["finish_reason"] == "stop");
  CHECK(chunks[5].usage == sg::UsageMetadata{5, 4, 9});
  for (const auto& c : chunks) CHECK(c.id == m.id);
  CHECK(m.content == "Why don't scientists trust atoms?");
  CHECK(m.usage == sg::UsageMetadata{5, 4, 9});
  CHECK(m.response_metadata["finish_reason"] == "stop");
  CHECK(m.response_metadata["model_name"] == "gpt-test-2024");

  const auto r = server.requests().at(0);
  CHECK(r.header("accept") == "text/event-stream");
  CHECK(r.json()["stream"] == true);
  CHECK(r.json()["stream_options"] == json{{"include_usage", true}});
}

TEST_CASE("OpenAIChatModel stream: two parallel tool calls, streamed by index across chunks, reassembled") {
  TestServer server;
  auto call = [](std::size_t index, json fields) {
    fields["index"] = index;
    return chunk({{"tool_calls", {fields}}});
  };
  const std::string args0 = R"({"expression": "2 + 3 * 4"})";
  server.push(CannedResponse::sse({
      sse_event(chunk({{"role", "assistant"}, {"content", nullptr}})),
      sse_event(call(0, {{"id", "call_A"}, {"type", "function"}, {"function", {{"name", "calculator"}, {"arguments", ""}}}})),
      sse_event(call(0, {{"function", {{"arguments", args0.substr(0, 9)}}}})),
      sse_event(call(1, {{"id", "call_B"}, {"type", "function"}, {"function", {{"name", "search"}, {"arguments", "{\"q\""}}}})),
      sse_event(call(0, {{"function", {{"arguments", args0.substr(9)}}}})),
      sse_event(call(1, {{"function", {{"arguments", ": \"weather in SF\"}"}}}})),
      sse_event(chunk(json::object(), "tool_calls")),
      sse_event(usage_chunk(20, 30)),
      "data: [DONE]\n\n",
  }));
  const auto model = model_for(server);
  std::vector<sg::MessageChunk> chunks;
  const sg::Message m = model.stream({sg::HumanMessage("2+3*4? and the weather")}, [&](const sg::MessageChunk& c) { chunks.push_back(c); });
  REQUIRE(m.tool_calls.size() == 2);
  CHECK(m.tool_calls[0] == sg::ToolCall{"call_A", "calculator", {{"expression", "2 + 3 * 4"}}});
  CHECK(m.tool_calls[1] == sg::ToolCall{"call_B", "search", {{"q", "weather in SF"}}});
  CHECK(m.content == "");
  CHECK(m.response_metadata["finish_reason"] == "tool_calls");
  CHECK(m.usage == sg::UsageMetadata{20, 30, 50});
  REQUIRE(chunks.size() == 7);
  CHECK(chunks[0].tool_call_chunks.at(0) == sg::ToolCallChunk{0, "call_A", "calculator", ""});
  CHECK(chunks[2].tool_call_chunks.at(0).index == 1);
  CHECK(chunks[3].tool_call_chunks.at(0).args == args0.substr(9));
  CHECK(sg::aggregate_chunks(chunks).tool_calls == m.tool_calls);
}

TEST_CASE("OpenAIChatModel retries: 429 with Retry-After, 500, a dropped connection - then success") {
  TestServer server;
  auto limited = CannedResponse::json(openai_error("Rate limit reached for gpt-test", "requests"), 429);
  limited.headers = {{"Retry-After", "1"}};
  server.push(limited);
  server.push(CannedResponse::json(completion("after the rate limit")));
  const auto model = model_for(server);
  auto start = std::chrono::steady_clock::now();
  CHECK(model.invoke({sg::HumanMessage("hi")}).content == "after the rate limit");
  CHECK(seconds_since(start) >= 0.95);  // waited as the server asked (1 s), not the 20 ms backoff
  CHECK(server.request_count() == 2);

  server.push(CannedResponse::json(openai_error("The server had an error", "server_error"), 500));
  auto dropped = CannedResponse::json(completion("never sent"));
  dropped.drop = true;  // connection closed without an answer: a connection error
  server.push(dropped);
  server.push(CannedResponse::sse(text_stream({"third", " time"})));
  start = std::chrono::steady_clock::now();
  CHECK(model.stream({sg::HumanMessage("hi")}, nullptr).content == "third time");
  CHECK(seconds_since(start) < 2.0);  // backoff 20 ms, 40 ms
  CHECK(server.request_count() == 5);
  const auto bodies = server.requests();
  CHECK(bodies[2].body == bodies[4].body);  // the same request each time
}

TEST_CASE("OpenAIChatModel errors: a 400 carries the server's message and is not retried - 5xx gives up after max_retries") {
  TestServer server;
  server.push(CannedResponse::json(openai_error("Invalid value for 'temperature': must be <= 2."), 400));
  const auto model = model_for(server);
  Caught e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.630");
  CHECK(e.status == 400);
  CHECK_FALSE(e.retryable);
  CHECK(e.what.find("HTTP 400") != std::string::npos);
  CHECK(e.what.find("Invalid value for 'temperature': must be <= 2. (type invalid_request_error)") != std::string::npos);
  CHECK(e.what.find("/v1/chat/completions") != std::string::npos);
  CHECK(server.request_count() == 1);

  for (int i = 0; i < 3; ++i) server.push(CannedResponse::json(openai_error("Service unavailable", "server_error"), 503));
  e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.status == 503);
  CHECK(e.retryable);
  CHECK(e.what.find("gave up after 3 attempts") != std::string::npos);
  CHECK(server.request_count() == 4);
}

TEST_CASE("OpenAIChatModel errors: an HTML 502 page from a proxy - a JSON reply that is not a completion") {
  TestServer server;
  std::string page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
                     "<hr><center>nginx/1.25.3</center>\r\n";
  page += "<!-- " + std::string(400, '-') + " -->" + std::string(500, 'z') + "</body>\r\n</html>\r\n";
  server.push(CannedResponse::text(502, "text/html", page));
  const auto model = model_for(server, /*max_retries=*/0);
  Caught e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.630");
  CHECK(e.status == 502);
  CHECK(e.retryable);
  CHECK(e.what.find("HTTP 502: <html> <head><title>502 Bad Gateway</title></head>") != std::string::npos);
  CHECK(e.what.find("zzz") == std::string::npos);  // only the page's first 300 characters
  CHECK(e.what.size() < 500);

  server.push(CannedResponse::text(200, "application/json", "{\"choices\": [ {\"message\": "));
  e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.622");
  CHECK(e.what.find("not JSON") != std::string::npos);
  server.push(CannedResponse::json({{"object", "list"}, {"data", json::array()}}));
  e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.622");
  CHECK(e.what.find("no choices") != std::string::npos);
}

TEST_CASE("OpenAIChatModel stream errors: a malformed chunk, an error event, a truncated stream, no [DONE]") {
  TestServer server;
  const auto model = model_for(server);
  int delivered = 0;
  const auto count = [&](const sg::MessageChunk&) { ++delivered; };

  server.push(CannedResponse::sse({sse_event(chunk({{"content", "ok"}})), "data: {\"choices\": [{\"delta\": {\"content\": \"x\"}\n\n",
                                   "data: [DONE]\n\n"}));
  Caught e = catch_model_error([&] { (void)model.stream({sg::HumanMessage("hi")}, {}, count); });
  CHECK(e.id == "sg.nodes.622");
  CHECK(e.what.find("malformed stream chunk 2 (not JSON): {\"choices\"") != std::string::npos);
  CHECK(delivered == 1);

  server.push(CannedResponse::sse({sse_event(chunk({{"content", "partial"}})),
                                   sse_event(openai_error("The model is overloaded", "server_error"))}));
  e = catch_model_error([&] { (void)model.stream({sg::HumanMessage("hi")}, {}, count); });
  CHECK(e.id == "sg.nodes.630");
  CHECK(e.what.find("The model is overloaded") != std::string::npos);

  // The connection closes mid-stream after two content chunks: an error, and no retry (chunks
  // were delivered).
  delivered = 0;
  auto cut = CannedResponse::sse({sse_event(chunk({{"content", "Once"}})), sse_event(chunk({{"content", " upon"}})), "data: {\"choi"});
  cut.truncate = true;
  server.push(cut);
  const std::size_t before = server.request_count();
  e = catch_model_error([&] { (void)model.stream({sg::HumanMessage("story")}, {}, count); });
  CHECK(e.id == "sg.nodes.633");
  CHECK(e.retryable);
  CHECK(e.what.find("ended before \"data: [DONE]\" after 2 chunks") != std::string::npos);
  CHECK(delivered == 2);
  CHECK(server.request_count() == before + 1);

  // Cut before any chunk reached the caller: retried.
  auto early = CannedResponse::sse({sse_event(chunk({{"role", "assistant"}, {"content", ""}}))});
  early.truncate = true;
  server.push(early);
  server.push(CannedResponse::sse(text_stream({"second", " try"})));
  CHECK(model.stream({sg::HumanMessage("story")}, nullptr).content == "second try");
  CHECK(server.request_count() == before + 3);

  // A complete HTTP response that never said [DONE], every time.
  for (int i = 0; i < 3; ++i) server.push(CannedResponse::sse({sse_event(chunk({{"role", "assistant"}}))}));
  e = catch_model_error([&] { (void)model.stream({sg::HumanMessage("hi")}, nullptr); });
  CHECK(e.id == "sg.nodes.633");
  CHECK(e.what.find("the server closed the stream") != std::string::npos);
  CHECK(e.what.find("gave up after 3 attempts") != std::string::npos);
}

TEST_CASE("OpenAIChatModel timeouts: a slow stream exceeds the total time limit - a slow reply is not retried") {
  TestServer server;
  const auto model = model_for(server);
  server.push(CannedResponse::sse(text_stream({"a", "b", "c", "d", "e", "f"}), 250ms));
  sg::ChatOptions options;
  options.timeout = 600ms;
  int delivered = 0;
  auto start = std::chrono::steady_clock::now();
  Caught e = catch_model_error([&] { (void)model.stream({sg::HumanMessage("hi")}, options, [&](const sg::MessageChunk&) { ++delivered; }); });
  const double took = seconds_since(start);
  CHECK(e.id == "sg.nodes.632");
  CHECK(e.what.find("time limit of 600 ms") != std::string::npos);
  CHECK(delivered >= 1);
  CHECK(took >= 0.55);
  CHECK(took < 1.5);

  auto slow = CannedResponse::json(completion("too late"));
  slow.delay_before = 3s;
  server.push(slow);
  sg::OpenAIChatModelOptions o = model.options();
  o.timeout = 400ms;
  const sg::OpenAIChatModel quick(o);
  const std::size_t before = server.request_count();
  start = std::chrono::steady_clock::now();
  e = catch_model_error([&] { (void)quick.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.632");
  CHECK(seconds_since(start) < 1.5);
  CHECK(server.request_count() == before + 1);
}

TEST_CASE("OpenAIChatModel cancellation stops a stream that is waiting for the server within a second") {
  TestServer server;
  const auto model = model_for(server);
  auto parts = text_stream({"one", " two", " three", " four"});
  parts.erase(parts.begin());  // the first part is "one"; 5 s pass before each following part
  server.push(CannedResponse::sse(parts, 5s));
  std::atomic<bool> cancel{false};
  std::atomic<bool> first{false};
  sg::ChatOptions options;
  options.cancelled = [&] { return cancel.load(); };
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller([&] {
    while (!first.load()) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(300ms);
    cancelled_at = std::chrono::steady_clock::now();
    cancel = true;
  });
  int delivered = 0;
  const Caught e = catch_model_error([&] {
    (void)model.stream({sg::HumanMessage("count")}, options, [&](const sg::MessageChunk&) {
      ++delivered;
      first = true;
    });
  });
  const auto thrown_at = std::chrono::steady_clock::now();
  canceller.join();
  CHECK(e.id == "sg.run.305");
  CHECK(delivered == 1);
  CHECK(std::chrono::duration<double>(thrown_at - cancelled_at).count() < 1.0);

  // Cancelled before the call: no request at all.
  const std::size_t before = server.request_count();
  CHECK(catch_model_error([&] { (void)model.invoke({sg::HumanMessage("x")}, options); }).id == "sg.run.305");
  CHECK(server.request_count() == before);
}

TEST_CASE("OpenAIChatModel keeps the API key out of errors and name() - no key, no Authorization header") {
  TestServer server;
  const auto model = model_for(server, 0);
  CHECK(model.name().find(secret) == std::string::npos);
  server.push(CannedResponse::json(openai_error(std::string("Incorrect API key provided: ") + secret + "."), 401));
  const Caught e = catch_model_error([&] { (void)model.invoke({sg::HumanMessage("hi")}); });
  CHECK(e.status == 401);
  CHECK(e.what.find("Incorrect API key provided: [redacted].") != std::string::npos);
  CHECK(e.what.find(secret) == std::string::npos);
  CHECK(server.requests().at(0).header("authorization") == std::string("Bearer ") + secret);

  sg::OpenAIChatModelOptions o = model.options();
  o.api_key_env = "SG_TEST_OPENAI_KEY_UNSET";
  ::unsetenv("SG_TEST_OPENAI_KEY_UNSET");
  const sg::OpenAIChatModel keyless(o);
  CHECK_FALSE(keyless.has_api_key());
  server.push(CannedResponse::json(completion("local servers need no key")));
  CHECK(keyless.invoke({sg::HumanMessage("hi")}).content == "local servers need no key");
  CHECK(server.requests().at(1).headers.count("authorization") == 0);
}

TEST_CASE("OpenAIChatModel: connection refused is retried then reported - options are validated - OPENAI_BASE_URL") {
  std::uint16_t closed_port = 0;
  {
    TestServer gone;  // bound, then closed: nothing listens there any more
    closed_port = gone.port();
  }
  sg::OpenAIChatModelOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(closed_port) + "/v1";
  o.model = "gpt-test";
  o.max_retries = 1;
  o.retry_initial_delay = 10ms;
  const Caught e = catch_model_error([&] { (void)sg::OpenAIChatModel(o).invoke({sg::HumanMessage("hi")}); });
  CHECK(e.id == "sg.nodes.631");
  CHECK(e.retryable);
  CHECK(e.what.find("gave up after 2 attempts") != std::string::npos);

  auto invalid = [](auto tweak) {
    sg::OpenAIChatModelOptions bad;
    bad.base_url = "http://127.0.0.1:1/v1";
    bad.model = "m";
    tweak(bad);
    return catch_model_error([&] { sg::OpenAIChatModel m(bad); }).id;
  };
  CHECK(invalid([](auto& b) { b.model = ""; }) == "sg.nodes.634");
  CHECK(invalid([](auto& b) { b.base_url = "ftp://example.com"; }) == "sg.nodes.634");
  CHECK(invalid([](auto& b) { b.timeout = 0ms; }) == "sg.nodes.634");
  CHECK(invalid([](auto& b) { b.max_retries = -1; }) == "sg.nodes.634");
  CHECK(invalid([](auto& b) { b.headers = {{"X-Evil", "a\r\nInjected: yes"}}; }) == "sg.nodes.634");
  CHECK(invalid([](auto&) {}) == "no ModelError");

  sg::OpenAIChatModelOptions from_env;
  from_env.model = "m";
  ::setenv("OPENAI_BASE_URL", "http://localhost:11434/v1/", 1);
  CHECK(sg::OpenAIChatModel(from_env).endpoint() == "http://localhost:11434/v1/chat/completions");
  ::unsetenv("OPENAI_BASE_URL");
  CHECK(sg::OpenAIChatModel(from_env).endpoint() == "https://api.openai.com/v1/chat/completions");
  from_env.base_url = "http://user:pw@127.0.0.1:1/v1?api_key=k3y";
  from_env.max_retries = 0;
  const Caught refused = catch_model_error([&] { (void)sg::OpenAIChatModel(from_env).invoke({}); });
  CHECK(refused.what.find("pw@") == std::string::npos);  // credentials in the URL are not shown
  CHECK(refused.what.find("k3y") == std::string::npos);
  CHECK(refused.what.find("http://user:***@127.0.0.1:1/v1?api_key=***") != std::string::npos);
}

TEST_CASE("OpenAIChatModel stream: a JSON reply to a stream request still streams - a throwing callback stops the call") {
  TestServer server;
  const auto model = model_for(server);
  server.push(CannedResponse::json(completion("plain JSON reply")));
  std::string text;
  const sg::Message m = model.stream({sg::HumanMessage("hi")}, [&](const sg::MessageChunk& c) { text += c.content; });
  CHECK(m.content == "plain JSON reply");
  CHECK(text == "plain JSON reply");

  server.push(CannedResponse::sse(text_stream({"a", "b", "c"}), 20ms));
  int seen = 0;
  CHECK_THROWS_WITH_AS(model.stream({sg::HumanMessage("hi")},
                                    [&](const sg::MessageChunk&) {
                                      if (++seen == 2) throw std::runtime_error("consumer gave up");
                                    }),
                       "consumer gave up", std::runtime_error);
  CHECK(seen == 2);
  // The thread's handles are fine afterwards.
  server.push(CannedResponse::json(completion("still works")));
  CHECK(model.invoke({sg::HumanMessage("hi")}).content == "still works");
}

// The OpenAI chat-completions wire format (nodes/src/openai_wire.hpp): request bodies, replies,
// chunks, error bodies, Retry-After and backoff — pure functions, no I/O.
#include <doctest/doctest.h>

#include <stategraph/nodes/nodes.hpp>

#include "openai_wire.hpp"

using nlohmann::json;
namespace nd = sg::nodes_detail;
using namespace std::chrono_literals;

namespace {

std::string model_error_id(const std::function<void()>& f) {
  try {
    f();
  } catch (const sg::ModelError& e) {
    return e.id();
  }
  return "no ModelError";
}

}  // namespace

TEST_CASE("openai wire: the request body from messages, tools and options") {
  const sg::Messages messages{
      sg::SystemMessage("be brief"),
      sg::HumanMessage("what is 2+2?"),
      sg::AIMessage("", {sg::ToolCall{"call_1", "calculator", {{"expression", "2+2"}}}}),
      sg::ToolMessage("4", "call_1").with_name("calculator"),
  };
  const sg::ToolSpec calc{"calculator", "Evaluates arithmetic.",
                          {{"type", "object"}, {"properties", {{"expression", {{"type", "string"}}}}}}};
  sg::ChatOptions options;
  options.stop = {"\n\n"};
  options.extra = {{"seed", 7}, {"temperature", 0.9}};  // extra wins
  json body = nd::openai_request_body({"gpt-test", 0.2, 100, true, true}, messages, {calc}, options);
  CHECK(body["model"] == "gpt-test");
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0] == json{{"role", "system"}, {"content", "be brief"}});
  CHECK(body["messages"][1] == json{{"role", "user"}, {"content", "what is 2+2?"}});
  CHECK(body["messages"][2]["role"] == "assistant");
  CHECK(body["messages"][2]["content"].is_null());  // tool calls and no text: null, as langchain-openai
  CHECK(body["messages"][2]["tool_calls"][0] ==
        json{{"id", "call_1"}, {"type", "function"}, {"function", {{"name", "calculator"}, {"arguments", "{\"expression\":\"2+2\"}"}}}});
  CHECK(body["messages"][3] == json{{"role", "tool"}, {"content", "4"}, {"tool_call_id", "call_1"}});  // no name
  CHECK(body["tools"] == json::array({sg::to_openai_json(calc)}));
  CHECK(body["tools"][0]["type"] == "function");
  CHECK(body["temperature"] == 0.9);
  CHECK(body["max_tokens"] == 100);
  CHECK(body["seed"] == 7);
  CHECK(body["stop"] == json::array({"\n\n"}));
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"] == json{{"include_usage", true}});

  sg::ChatOptions per_call;
  per_call.temperature = 0.5;
  per_call.max_tokens = 10;
  body = nd::openai_request_body({"m", 0.2, 100, false, true}, {sg::HumanMessage("hi")}, {}, per_call);
  CHECK(body["temperature"] == 0.5);
  CHECK(body["max_tokens"] == 10);
  CHECK_FALSE(body.contains("stream"));
  CHECK_FALSE(body.contains("stream_options"));
  CHECK_FALSE(body.contains("tools"));
  body = nd::openai_request_body({"m", std::nullopt, std::nullopt, true, false}, {}, {}, {});
  CHECK_FALSE(body.contains("temperature"));
  CHECK_FALSE(body.contains("max_tokens"));
  CHECK_FALSE(body.contains("stream_options"));
  CHECK(body["messages"] == json::array());
  CHECK_THROWS_AS((void)nd::openai_request_body({"m"}, {sg::RemoveMessage("x")}, {}, {}), sg::UsageError);
}

TEST_CASE("openai wire: a completion becomes an ai message with tool calls, usage and metadata") {
  const json reply = json::parse(R"({
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_1",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
                 "message": {"role": "assistant", "content": null, "refusal": null, "tool_calls": [
                   {"id": "call_a", "type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"2+2\"}"}},
                   {"id": "call_b", "type": "function", "function": {"name": "search", "arguments": "{not json"}},
                   {"id": "call_c", "type": "function", "function": {"name": "now", "arguments": ""}}]}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}})");
  const sg::Message m = nd::openai_parse_completion(reply);
  CHECK(m.type == sg::MessageType::ai);
  CHECK(m.content == "");
  CHECK(m.id.empty());
  REQUIRE(m.tool_calls.size() == 3);
  CHECK(m.tool_calls[0] == sg::ToolCall{"call_a", "calculator", {{"expression", "2+2"}}});
  CHECK(m.tool_calls[1].args == "{not json");  // kept as text: ToolNode answers it with an error
  CHECK(m.tool_calls[2].args == json::object());
  REQUIRE(m.usage.has_value());
  CHECK(*m.usage == sg::UsageMetadata{12, 5, 17});
  CHECK(m.response_metadata["finish_reason"] == "tool_calls");
  CHECK(m.response_metadata["model_name"] == "gpt-4o-mini-2024-07-18");
  CHECK(m.response_metadata["id"] == "chatcmpl-abc");
  CHECK(m.response_metadata["system_fingerprint"] == "fp_1");
  CHECK(m.response_metadata["token_usage"]["total_tokens"] == 17);

  const sg::Message text = nd::openai_parse_completion(
      json{{"choices", {{{"message", {{"role", "assistant"}, {"content", "Hello!"}}}, {"finish_reason", "stop"}}}}});
  CHECK(text.content == "Hello!");
  CHECK_FALSE(text.usage.has_value());

  CHECK(model_error_id([] { (void)nd::openai_parse_completion(json::array()); }) == "sg.nodes.622");
  CHECK(model_error_id([] { (void)nd::openai_parse_completion(json{{"choices", json::array()}}); }) == "sg.nodes.622");
  CHECK(model_error_id([] { (void)nd::openai_parse_completion(json{{"choices", {{{"text", "legacy"}}}}}); }) == "sg.nodes.622");
  CHECK(model_error_id([] {
          (void)nd::openai_parse_completion(json{{"choices", {{{"message", {{"content", 5}}}}}}});
        }) == "sg.nodes.622");
  CHECK(model_error_id([] {
          (void)nd::openai_parse_completion(json{{"choices", {{{"message", {{"tool_calls", {{{"id", "x"}}}}}}}}}});
        }) == "sg.nodes.622");
  CHECK(model_error_id([] { (void)nd::openai_parse_completion(json{{"error", {{"message", "overloaded"}}}}); }) ==
        "sg.nodes.630");
  CHECK_THROWS_WITH_AS((void)nd::openai_parse_completion(json{{"choices", json::array()}}),
                       doctest::Contains("no choices"), sg::ModelError);
}

TEST_CASE("openai wire: stream chunks become message chunks") {
  CHECK_FALSE(nd::openai_parse_chunk(json::parse(R"({"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})")));
  auto c = nd::openai_parse_chunk(json::parse(R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})"));
  REQUIRE(c);
  CHECK(c->content == "Hel");
  CHECK(c->response_metadata.empty());
  c = nd::openai_parse_chunk(json::parse(R"({"choices":[{"index":0,"delta":{"tool_calls":[
      {"index":1,"id":"call_2","type":"function","function":{"name":"search","arguments":""}},
      {"index":0,"function":{"arguments":"{\"a\""}}]}}]})"));
  REQUIRE(c);
  REQUIRE(c->tool_call_chunks.size() == 2);
  CHECK(c->tool_call_chunks[0] == sg::ToolCallChunk{1, "call_2", "search", ""});
  CHECK(c->tool_call_chunks[1] == sg::ToolCallChunk{0, "", "", "{\"a\""});
  c = nd::openai_parse_chunk(json::parse(R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"));
  REQUIRE(c);
  CHECK(c->response_metadata == json{{"finish_reason", "stop"}, {"model_name", "m"}, {"id", "chatcmpl-9"}});
  c = nd::openai_parse_chunk(json::parse(R"({"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})"));
  REQUIRE(c);
  CHECK(c->usage == sg::UsageMetadata{3, 4, 7});
  CHECK(c->content.empty());
  CHECK_FALSE(nd::openai_parse_chunk(json::parse(R"({"id":"c","choices":[],"usage":null})")));

  CHECK(model_error_id([] { (void)nd::openai_parse_chunk(json("text")); }) == "sg.nodes.622");
  CHECK(model_error_id([] { (void)nd::openai_parse_chunk(json{{"choices", {{{"delta", "x"}}}}}); }) == "sg.nodes.622");
  CHECK(model_error_id([] {
          (void)nd::openai_parse_chunk(json{{"choices", {{{"delta", {{"tool_calls", {{{"index", -1}}}}}}}}}});
        }) == "sg.nodes.622");
  CHECK(model_error_id([] { (void)nd::openai_parse_chunk(json{{"error", {{"message", "boom"}}}}); }) == "sg.nodes.630");
}

TEST_CASE("openai wire: error bodies become the server's message") {
  CHECK(nd::openai_error_message(
            R"({"error":{"message":"Invalid value for 'temperature'.","type":"invalid_request_error","param":"temperature","code":null}})") ==
        "Invalid value for 'temperature'. (type invalid_request_error, param temperature)");
  CHECK(nd::openai_error_message(R"({"error":"model not found"})") == "model not found");  // Ollama
  CHECK(nd::openai_error_message(R"({"object":"error","message":"bad model","code":404})") == "bad model");  // vLLM
  CHECK(nd::openai_error_message(R"({"detail":"Not Found"})") == "Not Found");
  CHECK(nd::openai_error_message("") == "(empty body)");
  std::string html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n";
  html += std::string(1000, 'x') + "</body></html>";
  const std::string m = nd::openai_error_message(html);
  CHECK(m.rfind("<html> <head><title>502 Bad Gateway</title></head> <body> <center>", 0) == 0);
  CHECK(m.size() == 303);  // 300 characters and "..."
  CHECK(m.find('\n') == std::string::npos);
}

TEST_CASE("openai wire: Retry-After (ms, seconds, HTTP dates) and backoff") {
  using sc = std::chrono::system_clock;
  const sc::time_point now = sc::time_point{std::chrono::sys_days{std::chrono::year{1994} / 11 / 6}} + 8h + 49min + 30s;
  CHECK(nd::parse_retry_after("1500", "", now) == 1500ms);
  CHECK(nd::parse_retry_after("250.4", "9", now) == 250ms);  // retry-after-ms wins
  CHECK(nd::parse_retry_after("", "2", now) == 2000ms);
  CHECK(nd::parse_retry_after("", " 0.5 ", now) == 500ms);
  CHECK(nd::parse_retry_after("", "Sun, 06 Nov 1994 08:49:37 GMT", now) == 7000ms);    // IMF-fixdate
  CHECK(nd::parse_retry_after("", "Sunday, 06-Nov-94 08:49:40 GMT", now) == 10000ms);  // RFC 850
  CHECK(nd::parse_retry_after("", "Sun Nov  6 08:49:31 1994", now) == 1000ms);         // asctime
  CHECK(nd::parse_retry_after("", "Sun, 06 Nov 1994 08:00:00 GMT", now) == 0ms);       // in the past
  CHECK_FALSE(nd::parse_retry_after("", "", now));
  CHECK_FALSE(nd::parse_retry_after("soon", "-3", now));
  CHECK_FALSE(nd::parse_retry_after("", "Sun, 31 Feb 1994 08:00:00 GMT", now));
  CHECK_FALSE(nd::parse_retry_after("", "Sun, 06 Foo 1994 08:00:00 GMT", now));

  CHECK(nd::retry_backoff(0, 500ms, 2.0, 8s, 0.0) == 500ms);
  CHECK(nd::retry_backoff(1, 500ms, 2.0, 8s, 0.0) == 1000ms);
  CHECK(nd::retry_backoff(3, 500ms, 2.0, 8s, 0.0) == 4000ms);
  CHECK(nd::retry_backoff(10, 500ms, 2.0, 8s, 0.0) == 8000ms);  // capped
  CHECK(nd::retry_backoff(0, 500ms, 2.0, 8s, 1.0) == 375ms);    // at most 25 % jitter
}

TEST_CASE("openai wire: redact") {
  CHECK(nd::redact("key sk-123 and sk-123", "sk-123") == "key [redacted] and [redacted]");
  CHECK(nd::redact("nothing", "") == "nothing");
}

TEST_CASE("openai wire: text excerpts for error messages are valid UTF-8 without control characters") {
  CHECK(nd::text_excerpt("  a\r\n\tb  ", 10) == "a b");
  CHECK(nd::text_excerpt("h\xC3\xA9llo", 10) == "h\xC3\xA9llo");
  CHECK(nd::text_excerpt("h\xC3\xA9llo", 2) == "h\xC3\xA9...");
  CHECK(nd::text_excerpt("bad \xFF\xC3 bytes \xED\xA0\x80", 50) == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(nd::text_excerpt("", 5).empty());
  CHECK(nd::openai_error_message("\x01\x02") == "(empty body)");
  CHECK_NOTHROW((void)json(nd::openai_error_message("<html>\xFE\xFF garbage</html>")).dump());
}

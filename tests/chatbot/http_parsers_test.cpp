// The request parsers and formatters of sg-chatbot's HTTP server, without a server:
// chat_request.hpp, openai_compat.hpp, sse_writer.hpp and the route helpers of http_routes.hpp.
#include <doctest/doctest.h>

#include <string>

#include "chat_request.hpp"
#include "chatbot_error.hpp"
#include "error_id.hpp"
#include "http_client.hpp"
#include "http_routes.hpp"
#include "openai_compat.hpp"
#include "agent_server/sse_writer.hpp"

using namespace sg::chatbot;  // NOLINT(google-build-using-namespace): a test file
using nlohmann::json;
using sgtest::error_id;

TEST_CASE("chatbot http parsers: sse_event frames text as data lines") {
  CHECK(sse_event("hello") == "data: hello\n\n");
  CHECK(sse_event(" leading space") == "data:  leading space\n\n");
  CHECK(sse_event("") == "data: \n\n");
  CHECK(sse_event("a\nb\r\nc\rd") == "data: a\ndata: b\ndata: c\ndata: d\n\n");
  CHECK(sse_event("ends\n") == "data: ends\ndata: \n\n");
  CHECK(sse_event("{\"x\":1}", "error") == "event: error\ndata: {\"x\":1}\n\n");
  // What a reader gets back.
  const auto events = sgtest::parse_sse(sse_event("a\nb\r\nc") + sse_event(" x", "error") + std::string(kSseDone));
  REQUIRE(events.size() == 3);
  CHECK(events[0].data == "a\nb\nc");
  CHECK(events[1].event == "error");
  CHECK(events[1].data == " x");
  CHECK(events[2].data == "[DONE]");
}

TEST_CASE("chatbot http parsers: parse_chat_request takes session_id, message and language") {
  const ChatRequest r = parse_chat_request(R"({"session_id": "user_001", "message": "Hi", "extra": [1]})");
  CHECK(r.session_id == "user_001");
  CHECK(r.message == "Hi");
  CHECK_FALSE(r.language);
  CHECK(parse_chat_request(R"({"session_id": "s", "message": "", "language": "Spanish"})").language == "Spanish");
  CHECK_FALSE(parse_chat_request(R"({"session_id": "s", "message": "x", "language": null})").language);
  CHECK(parse_chat_request(R"({"session_id": "s", "message": "  "})").message == "  ");  // Chatbot::send refuses it (801)

  for (const char* bad : {"", "null", "[]", "\"text\"", "{", R"({"message": "x"})", R"({"session_id": "", "message": "x"})",
                          R"({"session_id": "s"})", R"({"session_id": 1, "message": "x"})", R"({"session_id": "s", "message": 2})",
                          R"({"session_id": "s", "message": "x", "language": 3})", R"({"session_id": "a\u0000b", "message": "x"})",
                          R"({"session_id": "a\nb", "message": "x"})", "[1E2222222]", "{\"a\": \xff}",
                          R"({"session_id": "s", "message": "x", "n": 1e999})"}) {
    CAPTURE(bad);
    CHECK(error_id([&] { (void)parse_chat_request(bad); }) == "sg.chatbot.807");
  }
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  CHECK(error_id([&] { (void)parse_request_object(deep); }) == "sg.chatbot.807");
  const std::string ok_depth = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
  CHECK(parse_request_object(ok_depth).is_object());
}

TEST_CASE("chatbot http parsers: thread ids are 1 to 200 bytes of UTF-8 without control characters") {
  CHECK(error_id([] { check_thread_id("user_001", "id"); }) == "no error");
  CHECK(error_id([] { check_thread_id("bob with spaces/é", "id"); }) == "no error");
  CHECK(error_id([] { check_thread_id(std::string(200, 'x'), "id"); }) == "no error");
  CHECK(error_id([] { check_thread_id(std::string(201, 'x'), "id"); }) == "sg.chatbot.807");
  CHECK(error_id([] { check_thread_id("", "id"); }) == "sg.chatbot.807");
  CHECK(error_id([] { check_thread_id("tab\there", "id"); }) == "sg.chatbot.807");
  CHECK(error_id([] { check_thread_id("del\x7f", "id"); }) == "sg.chatbot.807");
  CHECK(error_id([] { check_thread_id("\xc3", "id"); }) == "sg.chatbot.807");          // truncated
  CHECK(error_id([] { check_thread_id("\xc0\xaf", "id"); }) == "sg.chatbot.807");      // overlong
  CHECK(error_id([] { check_thread_id("\xed\xa0\x80", "id"); }) == "sg.chatbot.807");  // a surrogate
  CHECK(error_id([] { check_thread_id("\xf4\x90\x80\x80", "id"); }) == "sg.chatbot.807");  // past U+10FFFF
  CHECK(error_id([] { check_thread_id("\xf0\x9f\x98\x80", "id"); }) == "no error");      // an emoji
}

TEST_CASE("chatbot http parsers: parse_completion_request takes the last user message") {
  const CompletionRequest r = parse_completion_request(R"({
      "model": "gpt-4o-mini", "user": "thread-1", "stream": true, "stream_options": {"include_usage": true},
      "temperature": 0.2,
      "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hi! I'm Bob"}]})");
  CHECK(r.model == "gpt-4o-mini");
  CHECK(r.user == "thread-1");
  CHECK(r.stream);
  CHECK(r.include_usage);
  CHECK(r.input == "Hi! I'm Bob");
  CHECK_FALSE(r.has_history);

  const CompletionRequest parts = parse_completion_request(R"({"messages": [
      {"role": "user", "content": "old"}, {"role": "assistant", "content": "old reply"},
      {"role": "user", "content": [{"type": "text", "text": "What's "}, {"type": "text", "text": "my name?"}]}]})");
  CHECK(parts.input == "What's my name?");
  CHECK(parts.has_history);
  CHECK(parts.model.empty());
  CHECK_FALSE(parts.stream);
  CHECK_FALSE(parts.user);
  CHECK_FALSE(parse_completion_request(R"({"user": "", "messages": [{"role": "user", "content": "x"}]})").user);

  CHECK(error_id([] { (void)parse_completion_request(R"({"messages": [{"role": "user", "content": " "}]})"); }) ==
        "sg.chatbot.801");
  for (const char* bad :
       {R"({})", R"({"messages": []})", R"({"messages": {}})", R"({"messages": ["hi"]})", R"({"messages": [{"content": "x"}]})",
        R"({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]})",
        R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})",
        R"({"messages": [{"role": "user", "content": 5}]})", R"({"messages": [{"role": "user", "content": "x"}], "stream": "yes"})",
        R"({"messages": [{"role": "user", "content": "x"}], "user": 5})",
        R"({"messages": [{"role": "user", "content": "x"}], "stream_options": 1})"}) {
    CAPTURE(bad);
    CHECK(error_id([&] { (void)parse_completion_request(bad); }) == "sg.chatbot.807");
  }
}

TEST_CASE("chatbot http parsers: chat.completion and chunk objects") {
  const CompletionHead head{"chatcmpl-abc", 1700000000, "m"};
  sg::Message reply = sg::AIMessage("Hello");
  reply.usage = sg::UsageMetadata{3, 2, 5};
  const json c = completion_json(head, reply);
  CHECK(c["id"] == "chatcmpl-abc");
  CHECK(c["object"] == "chat.completion");
  CHECK(c["created"] == 1700000000);
  CHECK(c["model"] == "m");
  CHECK(c["choices"][0]["message"] == json{{"role", "assistant"}, {"content", "Hello"}, {"refusal", nullptr}});
  CHECK(c["choices"][0]["finish_reason"] == "stop");
  CHECK(c["usage"] == json{{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}});
  reply.response_metadata["finish_reason"] = "length";
  reply.usage.reset();
  CHECK(completion_json(head, reply)["choices"][0]["finish_reason"] == "length");
  CHECK_FALSE(completion_json(head, reply).contains("usage"));

  const json chunk = chunk_json(head, {{"content", "He"}});
  CHECK(chunk["object"] == "chat.completion.chunk");
  CHECK(chunk["choices"][0]["delta"] == json{{"content", "He"}});
  CHECK(chunk["choices"][0]["finish_reason"].is_null());
  CHECK(chunk_json(head, json::object(), "stop")["choices"][0]["finish_reason"] == "stop");
  CHECK(usage_chunk_json(head, nullptr)["choices"].empty());

  const std::string id = new_completion_id();
  CHECK(id.rfind("chatcmpl-", 0) == 0);
  CHECK(id.size() == 9 + 24);
  CHECK(id != new_completion_id());

  const json e = openai_error_json("sg.chatbot.801", "empty", 400);
  CHECK(e["error"]["type"] == "invalid_request_error");
  CHECK(e["error"]["code"] == "sg.chatbot.801");
  CHECK(e["error"]["id"] == "sg.chatbot.801");
  CHECK(e["error"]["message"] == "empty");
}

TEST_CASE("chatbot http parsers: status of each error id and percent-decoding") {
  CHECK(http_status("sg.chatbot.801") == 400);
  CHECK(http_status("sg.chatbot.802") == 404);
  CHECK(http_status("sg.chatbot.803") == 502);
  CHECK(http_status("sg.chatbot.804") == 499);
  CHECK(http_status("sg.chatbot.806") == 503);
  CHECK(http_status("sg.chatbot.807") == 400);
  CHECK(http_status("sg.chatbot.808") == 413);
  CHECK(http_status("sg.chatbot.809") == 401);
  CHECK(http_status("sg.chatbot.810") == 500);
  CHECK(http_status("sg.chatbot.811") == 404);
  CHECK(http_status("sg.chatbot.812") == 500);
  CHECK(http_status("sg.chatbot.813") == 503);
  CHECK(http_status("sg.chatbot.814") == 415);
  CHECK(http_status("sg.chatbot.815") == 403);
  CHECK(http_status("sg.chatbot.816") == 403);
  CHECK(http_status("sg.chatbot.817") == 400);
  CHECK(http_status("sg.saver.401") == 500);
  const ApiResponse r = error_response("sg.chatbot.802", "no session \"x\"");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body) == json{{"error", {{"id", "sg.chatbot.802"}, {"message", "no session \"x\""}}}});

  CHECK(percent_decode("a%20b%2Fc%C3%A9+d") == "a b/cé+d");
  for (const char* bad : {"%", "%2", "%zz", "a%g0"}) {
    CAPTURE(bad);
    CHECK(error_id([&] { (void)percent_decode(bad); }) == "sg.chatbot.807");
  }
}

TEST_CASE("chatbot http parsers: a 500's body is generic and its detail is for the log") {
  const std::string detail = "the checkpoint store failed: [sg.saver.407] no such table: checkpoints (/srv/x/chat.db)";
  for (const bool openai : {false, true}) {
    CAPTURE(openai);
    const ApiResponse r = error_response(ChatbotErrorId::store_failed, detail, openai);
    CHECK(r.status == 500);
    const json error = json::parse(r.body)["error"];
    CHECK(error["id"] == "sg.chatbot.810");
    const std::string message = error["message"].get<std::string>();
    REQUIRE(message.rfind("internal error; see the server log (sg.chatbot.810, ref ", 0) == 0);
    CHECK(r.body.find("/srv/x") == std::string::npos);
    CHECK(r.body.find("checkpoints") == std::string::npos);
    const std::string ref = message.substr(message.find("ref ") + 4, 8);
    CHECK(ref.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(message == "internal error; see the server log (sg.chatbot.810, ref " + ref + ")");
    CHECK(r.log == "[sg.chatbot.810] ref " + ref + ": " + detail);
  }
  CHECK(json::parse(error_response("sg.saver.401", "host db.internal:5432 unreachable").body)["error"]["message"]
            .get<std::string>()
            .rfind("internal error; ", 0) == 0);  // another library's id is a 500 too
  CHECK(error_response(ChatbotErrorId::internal_error, "a").log != error_response(ChatbotErrorId::internal_error, "a").log);
  // Other statuses keep their message and log nothing.
  const ApiResponse model = error_response(ChatbotErrorId::model_failed, "the model failed: HTTP 401");
  CHECK(json::parse(model.body)["error"]["message"] == "the model failed: HTTP 401");
  CHECK(model.log.empty());
}


// sg-chatbot's HTTP server (examples/chatbot/http_server.hpp) in process, over real HTTP on
// 127.0.0.1 (port 0) with libcurl, on real SQLite files: every route, the error statuses, SSE
// framing, a client that disconnects mid-stream, serialisation on one session and parallelism
// across sessions (proved with gates, not timing), stop() during a turn, and a restart on the
// same file.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/fake_chat_model.hpp>

#include "chatbot.hpp"
#include "chatbot_error.hpp"
#include "http_client.hpp"
#include "http_server.hpp"
#include "offline_chat_model.hpp"
#include "temp_dir.hpp"
#include "served.hpp"
#include "test_models.hpp"

using sg::chatbot::HttpServer;
using sg::chatbot::ServerOptions;
using sgtest::HttpResult;
using sgtest::Served;
using nlohmann::json;

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "[";
    for (const auto& s : v) out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
    return (out + "]").c_str();
  }
};
}  // namespace doctest

namespace {

std::string joined_tokens(const std::vector<sgtest::SseEvent>& events) {
  std::string out;
  for (const auto& e : events)
    if (e.event.empty() && e.data != "[DONE]") out += e.data;
  return out;
}

/// Polls `done` every few milliseconds for at most 20 s; returns whether it became true.
template <class F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

TEST_CASE("chatbot http: POST /chat answers and the session remembers the name") {
  Served s;
  const HttpResult first = s.chat("user_001", "Hi! I'm Bob");
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type") == "application/json");
  const json body = first.json();
  CHECK(body == json{{"session_id", "user_001"}, {"response", "Hi Bob! How can I help you today?"}, {"turn_count", 1}});
  const HttpResult second = s.chat("user_001", "What's my name?");
  CHECK(second.json()["response"] == "Your name is Bob.");
  CHECK(second.json()["turn_count"] == 2);
  CHECK(s.chat("user_002", "What's my name?").json()["response"].get<std::string>().find("I don't know your name") == 0);
}

TEST_CASE("chatbot http: history, thread list and DELETE of a session") {
  Served s;
  REQUIRE(s.chat("alice", "Hi! I'm Alice").status == 200);
  REQUIRE(s.client->post("/chat", {{"session_id", "bob with spaces/é"}, {"message", "I'm Bob"}, {"language", "Spanish"}}).status ==
          200);

  const HttpResult history = s.client->get("/chat/alice/history");
  REQUIRE(history.status == 200);
  const json h = history.json();
  CHECK(h["session_id"] == "alice");
  CHECK(h["turn_count"] == 1);
  CHECK(h["language"] == "English");
  REQUIRE(h["messages"].size() == 2);
  CHECK(h["messages"][0]["role"] == "human");
  CHECK(h["messages"][0]["content"] == "Hi! I'm Alice");
  CHECK(h["messages"][1]["role"] == "ai");
  CHECK_FALSE(h["messages"][1]["id"].get<std::string>().empty());

  // A session id with a space, a slash and a non-ASCII letter, percent-encoded in the path.
  const HttpResult encoded = s.client->get("/chat/bob%20with%20spaces%2F%C3%A9/history");
  REQUIRE(encoded.status == 200);
  CHECK(encoded.json()["session_id"] == "bob with spaces/é");
  CHECK(encoded.json()["language"] == "Spanish");

  const HttpResult threads = s.client->get("/threads");
  REQUIRE(threads.status == 200);
  std::vector<std::string> ids;
  const json list = threads.json();
  for (const auto& t : list["threads"]) {
    ids.push_back(t["thread_id"].get<std::string>());
    CHECK_FALSE(t["updated_at"].get<std::string>().empty());
  }
  CHECK(ids == std::vector<std::string>{"bob with spaces/é", "alice"});  // newest first
  CHECK(s.client->get("/threads?limit=1").json()["threads"].size() == 1);
  CHECK(s.client->get("/threads?limit=x").status == 400);

  const HttpResult deleted = s.client->del("/chat/alice");
  CHECK(deleted.status == 200);
  CHECK(deleted.json()["session_id"] == "alice");
  CHECK(s.client->get("/chat/alice/history").status == 404);
  CHECK(s.client->del("/chat/alice").status == 404);
  CHECK(s.client->get("/threads").json()["threads"].size() == 1);
}

TEST_CASE("chatbot http: /chat/stream sends the reply as SSE events ending with [DONE]") {
  Served s;
  int pieces = 0;
  const HttpResult r = s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", "Hi! I'm Bob"}},
                                        [&](std::string_view) { return ++pieces > 0; });
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/event-stream; charset=utf-8");
  CHECK(r.header("cache-control") == "no-cache");
  CHECK(r.header("transfer-encoding") == "chunked");
  const auto events = sgtest::parse_sse(r.body);
  REQUIRE(events.size() > 4);  // the offline model streams word by word
  CHECK(events.back().data == "[DONE]");
  CHECK(r.body.size() >= 14);
  CHECK(r.body.substr(r.body.size() - 14) == "data: [DONE]\n\n");
  CHECK(joined_tokens(events) == "Hi Bob! How can I help you today?");
  CHECK(s.texts("s") == std::vector<std::string>{"Hi! I'm Bob", "Hi Bob! How can I help you today?"});
  // The session continues with /chat.
  CHECK(s.chat("s", "What's my name?").json()["response"] == "Your name is Bob.");
}

TEST_CASE("chatbot http: an HTTP/1.0 client gets the stream unchunked, ended by the close") {
  Served s;
  s.client->http10 = true;
  const HttpResult r = s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", "Hi! I'm Bob"}},
                                        [](std::string_view) { return true; });
  REQUIRE(r.status == 200);
  CHECK(r.error.empty());
  CHECK(r.header("transfer-encoding").empty());
  const auto events = sgtest::parse_sse(r.body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().data == "[DONE]");
  CHECK(joined_tokens(events) == "Hi Bob! How can I help you today?");
  CHECK(s.client->post("/chat", {{"session_id", "s"}, {"message", "What's my name?"}}).json()["response"] ==
        "Your name is Bob.");
}

TEST_CASE("chatbot http: SSE events keep spaces and split lines of a token") {
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      std::vector<sg::Message>{sg::AIMessage("line one\nline two\n  indented")});
  Served s(model);
  const HttpResult r = s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", "hi"}},
                                        [](std::string_view) { return true; });
  REQUIRE(r.status == 200);
  CHECK(joined_tokens(sgtest::parse_sse(r.body)) == "line one\nline two\n  indented");
}

TEST_CASE("chatbot http: bad requests get JSON errors with their ids and statuses") {
  ServerOptions options;
  options.max_body_bytes = 2000;
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options);
  const auto expect_error = [](const HttpResult& r, long status, const std::string& id) {
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.error_id() == id);
    CHECK_FALSE(r.json()["error"]["message"].get<std::string>().empty());
  };
  expect_error(s.chat("s", ""), 400, "sg.chatbot.801");
  expect_error(s.chat("s", " \n\t"), 400, "sg.chatbot.801");
  expect_error(s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", ""}}, [](std::string_view) { return true; }),
               400, "sg.chatbot.801");
  expect_error(s.client->request("POST", "/chat", "{not json", {"Content-Type: application/json"}), 400, "sg.chatbot.807");
  expect_error(s.client->request("POST", "/chat", "[1, 2]", {"Content-Type: application/json"}), 400, "sg.chatbot.807");
  expect_error(s.client->post("/chat", {{"message", "hi"}}), 400, "sg.chatbot.807");
  expect_error(s.client->post("/chat", {{"session_id", 7}, {"message", "hi"}}), 400, "sg.chatbot.807");
  expect_error(s.client->post("/chat", {{"session_id", "s"}, {"message", {"hi"}}}), 400, "sg.chatbot.807");
  expect_error(s.client->request("POST", "/chat", std::string(100, '[') + std::string(100, ']'), {"Content-Type: application/json"}),
               400, "sg.chatbot.807");
  expect_error(s.client->get("/chat/nobody/history"), 404, "sg.chatbot.802");
  expect_error(s.client->del("/chat/nobody"), 404, "sg.chatbot.802");
  expect_error(s.client->get("/chat/bad%zz/history"), 400, "sg.chatbot.807");
  expect_error(s.client->get("/nowhere"), 404, "sg.chatbot.811");
  const HttpResult wrong_method = s.client->get("/chat");
  expect_error(wrong_method, 405, "sg.chatbot.811");
  CHECK(wrong_method.header("allow") == "POST");
  // Nothing of the refused requests was saved.
  CHECK(s.client->get("/threads").json()["threads"].empty());

  // Over --max-body: 413, whether curl waits for "100 Continue" or sends the body at once.
  const std::string big = json{{"session_id", "s"}, {"message", std::string(5000, 'x')}}.dump();
  expect_error(s.client->request("POST", "/chat", big, {"Content-Type: application/json", "Expect: 100-continue"}), 413,
               "sg.chatbot.808");
  expect_error(s.client->request("POST", "/chat", big, {"Content-Type: application/json", "Expect:"}), 413,
               "sg.chatbot.808");
  // Just under the limit is fine.
  CHECK(s.chat("s", std::string(1500, 'x')).status == 200);
}

TEST_CASE("chatbot http: a bearer token guards every route but the page") {
  ServerOptions options;
  options.token = "s3cret";
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options);
  const HttpResult none = s.chat("s", "hi");
  CHECK(none.status == 401);
  CHECK(none.error_id() == "sg.chatbot.809");
  CHECK(none.header("www-authenticate") == "Bearer");
  CHECK(s.client->post("/chat", {{"session_id", "s"}, {"message", "hi"}}, {"Authorization: Bearer wrong"}).status == 401);
  CHECK(s.client->post("/chat", {{"session_id", "s"}, {"message", "hi"}}, {"Authorization: Bearer s3cret0"}).status == 401);
  CHECK(s.client->get("/threads").status == 401);
  CHECK(s.client->get("/chat/s/history").status == 401);
  CHECK(s.client->post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).status == 401);
  CHECK(s.client->get("/threads").json()["error"]["id"] == "sg.chatbot.809");
  CHECK(s.client->get("/").status == 200);  // the page asks for the token itself
  const HttpResult ok = s.client->post("/chat", {{"session_id", "s"}, {"message", "hi"}}, {"Authorization: Bearer s3cret"});
  CHECK(ok.status == 200);
  CHECK(s.client->get("/threads", {"Authorization: bearer s3cret"}).status == 200);
}

TEST_CASE("chatbot http: a failing model gives 502 with a message and the session stays as it was") {
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      std::vector<sg::Message>{sg::AIMessage("one"), sg::AIMessage("two"), sg::AIMessage("three")});
  model->fail_on_call(2);
  model->fail_on_call(3);
  Served s(model);
  REQUIRE(s.chat("s", "first").status == 200);
  const HttpResult failed = s.chat("s", "second");
  CHECK(failed.status == 502);
  CHECK(failed.error_id() == "sg.chatbot.803");
  CHECK(failed.json()["error"]["message"].get<std::string>().find("the model failed") != std::string::npos);
  // A stream whose model fails before any text also gets the 502 (the head waits for the first piece).
  const HttpResult failed_stream =
      s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", "third"}}, [](std::string_view) { return true; });
  CHECK(failed_stream.status == 502);
  CHECK(failed_stream.error_id() == "sg.chatbot.803");
  CHECK(s.texts("s") == std::vector<std::string>{"first", "one"});
  const HttpResult next = s.chat("s", "fourth");
  CHECK(next.json()["response"] == "two");
  CHECK(next.json()["turn_count"] == 2);
}

TEST_CASE("chatbot http: a stream client that disconnects cancels the turn and the thread stays as before") {
  auto model = std::make_shared<sgtest::EndlessModel>();
  Served s(model);
  // The thread's state before: one turn made by a model that ends (max_chunks 3).
  model->state().max_chunks = 3;
  REQUIRE(s.chat("s", "before").status == 200);
  const auto before = s.texts("s");
  REQUIRE(before == std::vector<std::string>{"before", "word word word "});
  model->state().max_chunks = 20000;

  bool got_token = false;
  const HttpResult r = s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", "never finished"}},
                                        [&](std::string_view data) {
                                          got_token = got_token || data.find("data: word") != std::string_view::npos;
                                          return !got_token;  // hang up after the first token
                                        });
  CHECK(got_token);
  CHECK_FALSE(r.error.empty());  // the client aborted the transfer
  // The server's next writes fail, which cancels the turn; the thread is restored.
  CHECK(eventually([&] { return model->state().cancelled.load() == 1; }));
  CHECK(eventually([&] { return s.server->stats().calls_running == 0; }));
  CHECK(s.texts("s") == before);
  CHECK(s.client->get("/chat/s/history").json()["turn_count"] == 1);
}

TEST_CASE("chatbot http: two concurrent requests on one session both land in the history") {
  sgtest::Gate gate;
  auto model = std::make_shared<sg::ScriptedFakeChatModel>([&gate](const sg::Messages& messages) {
    gate.arrive_and_wait();
    return sg::AIMessage("reply to " + messages.back().text());
  });
  {
    ServerOptions options;
    options.threads = 4;
    Served s(model, options);
    auto first = std::async(std::launch::async, [&] { return s.chat("shared", "first"); });
    REQUIRE(gate.wait_for_arrivals(1));  // the first turn is in the model
    auto second = std::async(std::launch::async, [&] { return s.chat("shared", "second"); });
    // The second request waits behind the first, queued by the server (not lost, not parallel).
    CHECK(eventually([&] { return s.server->stats().calls_waiting == 1; }));
    CHECK(model->calls() == 1);
    gate.open();
    const HttpResult a = first.get();
    const HttpResult b = second.get();
    CHECK(a.status == 200);
    CHECK(b.status == 200);
    CHECK(a.json()["turn_count"] == 1);
    CHECK(b.json()["turn_count"] == 2);
    CHECK(s.texts("shared") == std::vector<std::string>{"first", "reply to first", "second", "reply to second"});
    CHECK(s.server->stats().calls_waiting == 0);
  }
}

TEST_CASE("chatbot http: eight concurrent requests on one session all land") {
  Served s;
  std::vector<std::future<HttpResult>> replies;
  for (int i = 0; i < 8; ++i)
    replies.push_back(std::async(std::launch::async, [&s, i] { return s.chat("busy", "whats " + std::to_string(i) + " + 1"); }));
  std::vector<long> counts;
  for (auto& r : replies) {
    const HttpResult reply = r.get();
    CHECK(reply.status == 200);
    counts.push_back(reply.json()["turn_count"].get<long>());
  }
  std::sort(counts.begin(), counts.end());
  CHECK(counts == std::vector<long>{1, 2, 3, 4, 5, 6, 7, 8});  // each turn saw all the turns before it
  const auto texts = s.texts("busy");
  REQUIRE(texts.size() == 16);
  for (int i = 0; i < 8; ++i) {
    const std::string question = "whats " + std::to_string(i) + " + 1";
    const auto at = std::find(texts.begin(), texts.end(), question);
    REQUIRE(at != texts.end());
    CHECK(*(at + 1) == std::to_string(i) + " + 1 = " + std::to_string(i + 1) + ".");  // answered right after
  }
}

TEST_CASE("chatbot http: requests on two sessions run in parallel") {
  sgtest::Gate gate;
  // Each call waits until both calls are in the model: only parallel turns can both say "together".
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      [&gate](const sg::Messages&) { return sg::AIMessage(gate.rendezvous(2) ? "together" : "alone"); });
  ServerOptions options;
  options.threads = 2;
  Served s(model, options);
  auto a = std::async(std::launch::async, [&] { return s.chat("one", "hi"); });
  auto b = std::async(std::launch::async, [&] { return s.chat("two", "hi"); });
  CHECK(a.get().json()["response"] == "together");
  CHECK(b.get().json()["response"] == "together");
}

TEST_CASE("chatbot http: reads answer while every turn worker is busy with a slow turn") {
  sgtest::Gate gate;
  // Turns wait at the gate (but the seed turn, which makes a session to read); reads must not.
  auto model = std::make_shared<sg::ScriptedFakeChatModel>([&gate](const sg::Messages& messages) {
    if (messages.back().text() != "seed") gate.arrive_and_wait();
    return sg::AIMessage("reply to " + messages.back().text());
  });
  ServerOptions options;
  options.threads = 2;  // two turn workers, both taken below
  Served s(model, options);
  REQUIRE(s.chat("one", "seed").status == 200);
  auto first = std::async(std::launch::async, [&] { return s.chat("one", "slow"); });
  auto second = std::async(std::launch::async, [&] { return s.chat("two", "slow"); });
  REQUIRE(gate.wait_for_arrivals(2));  // both turns are in the model, holding both turn workers
  const HttpResult threads = s.client->get("/threads");
  const HttpResult history = s.client->get("/chat/one/history");  // the session of a running turn
  const HttpResult missing = s.client->get("/chat/nobody/history");
  // The reads answered while the turns still wait at the closed gate.
  const bool turns_running = first.wait_for(std::chrono::seconds(0)) == std::future_status::timeout &&
                             second.wait_for(std::chrono::seconds(0)) == std::future_status::timeout;
  gate.open();
  CHECK(turns_running);
  CHECK(threads.status == 200);
  CHECK(threads.json()["threads"].size() >= 1);
  CHECK(history.status == 200);
  REQUIRE(history.json()["messages"].size() >= 2);
  CHECK(history.json()["messages"][0]["content"] == "seed");
  CHECK(missing.status == 404);
  CHECK(first.get().json()["response"] == "reply to slow");
  CHECK(second.get().json()["response"] == "reply to slow");
}

TEST_CASE("chatbot http: stop() during a turn cancels it and the thread stays as before") {
  auto model = std::make_shared<sgtest::EndlessModel>();
  Served s(model);
  auto pending = std::async(std::launch::async, [&] { return s.chat("s", "endless"); });
  REQUIRE(eventually([&] { return model->state().chunks.load() > 0; }));
  s.server->stop();
  s.server->stop();  // idempotent
  const HttpResult r = pending.get();
  // The turn was cancelled: the client got 499, or the connection closed before it.
  CHECK((r.status == 499 || r.status == 0));
  if (r.status == 499) CHECK(r.error_id() == "sg.chatbot.804");
  CHECK(model->state().cancelled.load() == 1);
  CHECK_FALSE(s.bot->thread("s"));  // its first turn: the thread is gone again
}

TEST_CASE("chatbot http: a second server on the same SQLite file continues a session") {
  sgtest::TempDir dir;
  const std::string db = dir.file("shared.db");
  {
    Served first(std::make_shared<sg::chatbot::OfflineChatModel>(), {}, db);
    REQUIRE(first.chat("bob", "Hi! I'm Bob").status == 200);
  }
  Served second(std::make_shared<sg::chatbot::OfflineChatModel>(), {}, db);
  const HttpResult r = second.chat("bob", "What's my name?");
  CHECK(r.json()["response"] == "Your name is Bob.");
  CHECK(r.json()["turn_count"] == 2);
}

TEST_CASE("chatbot http: an address that cannot be bound is sg.chatbot.805") {
  Served s;
  ServerOptions taken;
  taken.host = "127.0.0.1";
  taken.port = s.server->port();
  const auto error_of = [&](const ServerOptions& options) -> std::string {
    try {
      HttpServer second(*s.bot, options);
    } catch (const sg::chatbot::ChatbotError& e) {
      return e.id() + " " + std::string(e.message());
    }
    return "no error";
  };
  const std::string in_use = error_of(taken);
  CHECK(in_use.rfind("sg.chatbot.805 cannot listen on 127.0.0.1:", 0) == 0);
  ServerOptions foreign;
  foreign.host = "192.0.2.1";  // TEST-NET-1: an address of no interface here
  foreign.port = 0;
  CHECK(error_of(foreign).rfind("sg.chatbot.805 cannot listen on 192.0.2.1:0", 0) == 0);
  CHECK(s.chat("s", "still serving").status == 200);
}

TEST_CASE("chatbot http: GET / serves the Agent Server's web page (chat and Studio, its files under /ui/)") {
  Served s;
  const HttpResult page = s.client->get("/");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").rfind("text/html", 0) == 0);
  CHECK(page.header("content-security-policy").find("default-src 'none'") == 0);
  CHECK(page.body.find("/ui/app.js") != std::string::npos);
  CHECK(s.client->get("/ui/app.js").status == 200);
  CHECK(s.client->request("POST", "/", "x").status == 405);
}

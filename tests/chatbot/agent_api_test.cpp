// sg-chatbot's server also serves the Agent Server API (examples/chatbot/http_server.hpp): the
// chat graph as assistant "chatbot" on the store of /chat, in process over real HTTP on
// 127.0.0.1. Who owns which path, the token as the API key, and the guard answering each route in
// its owner's ids (sg.chatbot.814/815/816 on the chatbot's routes, sg.server.913/914/915 on the
// API's). The official SDK against the real binary: clients/langgraph_sdk.mjs.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "served.hpp"

using nlohmann::json;
using sgtest::HttpResult;
using sgtest::Served;

namespace {

const std::string kJson = "Content-Type: application/json";
const json kHello = {{"session_id", "s"}, {"message", "Hi! I'm Bob"}};

}  // namespace

TEST_CASE("chatbot agent api: assistant \"chatbot\" runs on the store of /chat, both ways") {
  Served s;
  const HttpResult assistants = s.client->request("POST", "/assistants/search", "{}", {kJson});
  REQUIRE(assistants.status == 200);
  REQUIRE(assistants.json().size() == 1);
  CHECK(assistants.json()[0]["graph_id"] == "chatbot");

  // A /chat turn, then a run of the API on the same thread: the model sees the turn.
  REQUIRE(s.chat("s", "Hi! I'm Bob").status == 200);
  const HttpResult state = s.client->get("/threads/s/state");
  REQUIRE(state.status == 200);
  CHECK(state.json()["values"]["turns"] == 1);
  const HttpResult run = s.client->request(
      "POST", "/threads/s/runs/wait",
      json{{"assistant_id", "chatbot"}, {"input", {{"messages", {{{"role", "user"}, {"content", "What's my name?"}}}}}}}.dump(),
      {kJson});
  REQUIRE(run.status == 200);
  CHECK(run.json()["messages"].back()["content"] == "Your name is Bob.");
  CHECK(s.texts("s") == std::vector<std::string>{"Hi! I'm Bob", "Hi Bob! How can I help you today?", "What's my name?",
                                                 "Your name is Bob."});
  CHECK(s.client->get("/chat/s/history").json()["turn_count"] == 2);
}

TEST_CASE("chatbot agent api: GET /threads is the chatbot's list, POST /threads the API's, unknown paths the chatbot's") {
  Served s;
  const HttpResult created = s.client->request("POST", "/threads", R"({"thread_id": "made-by-the-api"})", {kJson});
  REQUIRE(created.status == 200);
  CHECK(created.json()["thread_id"] == "made-by-the-api");
  CHECK(s.client->get("/threads").json().contains("threads"));
  CHECK(s.client->get("/nowhere").error_id() == "sg.chatbot.811");
  CHECK(s.client->get("/threads/nope").error_id() == "sg.server.903");
  CHECK(s.client->get("/ok").json()["ok"] == true);
}

TEST_CASE("chatbot agent api: the --token is the API key too (X-Api-Key or bearer)") {
  sg::chatbot::ServerOptions options;
  options.token = "s3cret";
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options);
  const HttpResult none = s.client->request("POST", "/threads", "{}", {kJson});
  CHECK(none.status == 401);
  CHECK(none.error_id() == "sg.server.906");
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "X-Api-Key: s3cret"}).status == 200);
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Authorization: Bearer s3cret"}).status == 200);
  CHECK(s.client->get("/threads").error_id() == "sg.chatbot.809");  // the chatbot's own route, its own id
}

TEST_CASE("chatbot agent api: the guard answers each route in its owner's ids") {
  sg::chatbot::ServerOptions options;
  options.allowed_hosts = {"chat.example.lan"};
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options);
  const std::string port = std::to_string(s.server->port());
  const std::string evil = "Origin: http://evil.example";
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, evil}).error_id() == "sg.server.914");
  CHECK(s.client->post("/chat", kHello, {evil}).error_id() == "sg.chatbot.815");
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Host: evil.example:" + port}).error_id() == "sg.server.915");
  CHECK(s.client->get("/threads", {"Host: evil.example:" + port}).error_id() == "sg.chatbot.816");
  const HttpResult form = s.client->request("POST", "/threads", "{}", {"Content-Type: text/plain"});
  CHECK(form.status == 415);
  CHECK(form.error_id() == "sg.server.913");
  CHECK(s.client->request("POST", "/chat", kHello.dump(), {"Content-Type: text/plain"}).error_id() == "sg.chatbot.814");
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Host: chat.example.lan:" + port}).status == 200);
  // Nothing of the refused requests was stored.
  CHECK(s.client->get("/threads").json()["threads"].empty());
}

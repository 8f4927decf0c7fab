// The hardening of sg-chatbot's HTTP server (issue 13 item 6), in process over real HTTP on
// 127.0.0.1: what a browser could be tricked into sending is refused (a body not declared as
// JSON 415, another site's Origin 403, a Host that is not this server's 403); a 500 says only
// "internal error" and its detail goes to the server log; a malformed chunked body gets 400
// (raw sockets); a message over the prompt budget is refused before anything is stored.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/fake_chat_model.hpp>

#include "faulty_saver.hpp"
#include "served.hpp"

using sg::chatbot::ServerOptions;
using sgtest::HttpResult;
using sgtest::Served;
using nlohmann::json;

namespace {

const json kHello = {{"session_id", "s"}, {"message", "Hi! I'm Bob"}};
const json kCompletion = {{"user", "s"}, {"messages", {{{"role", "user"}, {"content", "Hi! I'm Bob"}}}}};

/// Sends `request` to 127.0.0.1:`port` on a fresh connection, then (with `half_close`) ends the
/// sending side; returns everything the server sends until it closes (or 10 s pass).
std::string raw_exchange(std::uint16_t port, const std::string& request, bool half_close) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return reply;
}

/// A chunked POST /chat whose body (after the head) is `chunks`.
std::string chunked_chat(std::uint16_t port, const std::string& chunks) {
  return "POST /chat HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks;
}

/// The chunked encoding of `data` as one chunk and the last chunk.
std::string one_chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n0\r\n\r\n";
}

}  // namespace

TEST_CASE("chatbot http hardening: a body on a JSON route needs Content-Type application/json (415 sg.chatbot.814)") {
  Served s;
  const std::string body = kHello.dump();
  for (const char* type : {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
                           "Content-Type: multipart/form-data; boundary=x", "Content-Type: application/json; charset=latin1",
                           "Content-Type:"}) {
    CAPTURE(type);
    for (const char* path : {"/chat", "/chat/stream"}) {
      const HttpResult r = s.client->request("POST", path, body, {type});
      CHECK(r.status == 415);
      CHECK(r.error_id() == "sg.chatbot.814");
    }
    const HttpResult openai = s.client->request("POST", "/v1/chat/completions", kCompletion.dump(), {type});
    CHECK(openai.status == 415);
    CHECK(openai.json()["error"]["code"] == "sg.chatbot.814");  // OpenAI's error object
  }
  // curl's default type for a POST body (a form's) is refused too.
  CHECK(s.client->request("POST", "/chat", body).status == 415);
  CHECK(s.client->get("/threads").json()["threads"].empty());  // nothing was stored
  CHECK(s.client->request("POST", "/chat", body, {"Content-Type: Application/JSON; charset=\"UTF-8\""}).status == 200);
  CHECK(s.client->request("POST", "/v1/chat/completions", kCompletion.dump(), {"Content-Type: application/json;charset=utf-8"})
            .status == 200);
}

TEST_CASE("chatbot http hardening: a request from another site's page is refused (403 sg.chatbot.815)") {
  Served s;
  const std::string own = "http://127.0.0.1:" + std::to_string(s.server->port());
  const std::string other_port = "http://127.0.0.1:" + std::to_string(s.server->port() == 1 ? 2 : s.server->port() - 1);
  for (const std::string& origin : {std::string("http://evil.example"), other_port, "https" + own.substr(4),
                                    std::string("null"), "http://localhost:" + std::to_string(s.server->port())}) {
    CAPTURE(origin);
    const HttpResult post = s.client->post("/chat", kHello, {"Origin: " + origin});
    CHECK(post.status == 403);
    CHECK(post.error_id() == "sg.chatbot.815");
    CHECK(s.client->get("/threads", {"Origin: " + origin}).status == 403);
    CHECK(s.client->del("/chat/s", {"Origin: " + origin}).status == 403);
    CHECK(s.client->post("/v1/chat/completions", kCompletion, {"Origin: " + origin}).json()["error"]["code"] ==
          "sg.chatbot.815");
  }
  CHECK(s.client->get("/threads").json()["threads"].empty());
  // The page's own requests carry the server's origin.
  CHECK(s.client->post("/chat", kHello, {"Origin: " + own}).status == 200);
  CHECK(s.client->get("/chat/s/history", {"Origin: " + own}).status == 200);
}

TEST_CASE("chatbot http hardening: the Host must name this server, against DNS rebinding (403 sg.chatbot.816)") {
  ServerOptions options;
  options.allowed_hosts = {"chat.example.lan"};
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options);
  const std::string port = std::to_string(s.server->port());
  for (const std::string& host : {"evil.example:" + port, std::string("evil.example"), "chat.example.lan.evil:" + port,
                                  "127.0.0.1.nip.io:" + port, "localhost@evil.example:" + port}) {
    CAPTURE(host);
    const HttpResult post = s.client->post("/chat", kHello, {"Host: " + host, "Origin: http://" + host});
    CHECK(post.status == 403);
    CHECK(post.error_id() == "sg.chatbot.816");
    CHECK(s.client->get("/", {"Host: " + host}).status == 403);  // the page too
    CHECK(s.client->get("/threads", {"Host: " + host}).status == 403);
  }
  CHECK(s.client->get("/threads").json()["threads"].empty());
  for (const std::string& host : std::vector<std::string>{"localhost:" + port, "LocalHost.:" + port, "[::1]:" + port,
                                                          "127.0.0.1", "chat.example.lan:8443", "CHAT.example.lan"}) {
    CAPTURE(host);
    CHECK(s.client->post("/chat", kHello, {"Host: " + host, "Origin: http://" + host}).status == 200);
  }
}

TEST_CASE("chatbot http hardening: a 500 says only \"internal error\" and the detail goes to the server log") {
  // The store fails with a message that holds a path and SQL, as SQLite's and Postgres's do.
  const std::string detail = "near \"SELEC\": syntax error in SELEC thread_id FROM checkpoints (/srv/secret/chat.db)";
  std::shared_ptr<sgtest::FaultySaver> faulty;
  sgtest::LogLines log;
  ServerOptions options;
  options.log = log.sink();
  Served s(std::make_shared<sg::chatbot::OfflineChatModel>(), options, {}, [&](sg::chatbot::ChatbotConfig& config) {
    faulty = std::make_shared<sgtest::FaultySaver>(config.saver);
    config.saver = faulty;
  });
  const auto fail_always = [&](sgtest::SaverCall call) {
    faulty->fail(call, 1, true, [&] { throw sg::SaverError(sg::ErrorId::saver_statement_rejected, detail, "1"); });
  };
  fail_always(sgtest::SaverCall::list_threads);
  fail_always(sgtest::SaverCall::put);

  std::vector<std::string> refs;
  const auto expect_generic = [&](const HttpResult& r, const json& error, long status = 500) {
    CHECK(r.status == status);
    CHECK(error["id"] == "sg.chatbot.810");
    const std::string message = error["message"].get<std::string>();
    CHECK(message.rfind("internal error; see the server log (sg.chatbot.810, ref ", 0) == 0);
    CHECK(r.body.find("/srv/secret") == std::string::npos);
    CHECK(r.body.find("SELEC") == std::string::npos);
    refs.push_back(message.substr(message.find("ref ") + 4, 8));
  };
  const HttpResult threads = s.client->get("/threads");
  expect_generic(threads, threads.json()["error"]);
  const HttpResult turn = s.chat("s", "Hi! I'm Bob");
  expect_generic(turn, turn.json()["error"]);
  // The store fails when the turn is saved, after the reply streamed: an error event says it.
  const HttpResult stream = s.client->stream("/chat/stream", kHello, [](std::string_view) { return true; });
  const auto events = sgtest::parse_sse(stream.body);
  REQUIRE(events.size() >= 2);
  CHECK(events.back().data == "[DONE]");
  CHECK(events[events.size() - 2].event == "error");
  expect_generic(stream, json::parse(events[events.size() - 2].data)["error"], 200);
  const HttpResult openai = s.client->post("/v1/chat/completions", kCompletion);
  expect_generic(openai, openai.json()["error"]);

  // Each answer's reference leads to one log line with the whole message.
  const std::vector<std::string> lines = log.lines();
  REQUIRE(refs.size() == 4);
  for (const std::string& ref : refs) {
    CAPTURE(ref);
    int found = 0;
    for (const std::string& line : lines)
      if (line.find("ref " + ref + ": ") != std::string::npos) {
        ++found;
        CHECK(line.rfind("[sg.chatbot.810] ref " + ref + ": the checkpoint store failed", 0) == 0);
        CHECK(line.find(detail) != std::string::npos);
      }
    CHECK(found == 1);
  }
  // Other errors keep their message and log nothing.
  faulty->heal();
  CHECK(s.client->get("/chat/nobody/history").json()["error"]["message"] == "no session \"nobody\"");
  CHECK(log.lines().size() == lines.size());
}

TEST_CASE("chatbot http hardening: a malformed chunked body gets 400 sg.chatbot.807") {
  Served s;
  const std::uint16_t port = s.server->port();
  const std::string body = json{{"session_id", "chunked"}, {"message", "Hi! I'm Bob"}}.dump();
  // A well-formed chunked body is answered.
  const std::string ok = raw_exchange(port, chunked_chat(port, one_chunk(body)), false);
  CHECK(ok.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(ok.find("Hi Bob!") != std::string::npos);
  REQUIRE(s.client->del("/chat/chunked").status == 200);

  struct Case {
    const char* name;
    std::string chunks;
    bool half_close;
  };
  const std::string whole = one_chunk(body);  // "<size>\r\n<body>\r\n0\r\n\r\n"
  const std::vector<Case> cases = {
      {"a chunk size that is not hex", "zz\r\n" + body + "\r\n0\r\n\r\n", false},
      {"a chunk size line without its CRLF", "4 junk junk\n" + body + "\r\n0\r\n\r\n", false},
      {"chunk data without its CRLF", std::string(whole).replace(whole.size() - 7, 2, "XX"), false},
      {"a chunk cut short by the end of the stream", "ff\r\n" + body.substr(0, 10), true},
      {"no last chunk before the end of the stream", whole.substr(0, whole.size() - 5), true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const std::string reply = raw_exchange(port, chunked_chat(port, c.chunks), c.half_close);
    CHECK(reply.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(reply.find("\"sg.chatbot.807\"") != std::string::npos);
    CHECK(reply.find("malformed request body") != std::string::npos);
  }
  CHECK(s.client->get("/threads").json()["threads"].empty());
}

TEST_CASE("chatbot http hardening: a message over the prompt budget is refused before it is stored (400 sg.chatbot.817)") {
  // The tutorial's budget: 65 tokens, a system prompt of 11 → a message of at most 54 tokens,
  // i.e. 200 characters (ceil((200 + len("user")) / 4) + 3 = 54).
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      [](const sg::Messages& messages) { return sg::AIMessage("saw " + std::to_string(messages.back().text().size())); });
  Served s(model, {}, {}, [](sg::chatbot::ChatbotConfig& config) {
    config.graph.memory = sg::chatbot::MemoryStrategy::trim;
    config.graph.max_tokens = 65;
    config.graph.system_prompt = "you're a good assistant";
  });
  const std::string longest(200, 'x');
  const std::string too_long(201, 'x');
  const HttpResult refused = s.chat("s", too_long);
  CHECK(refused.status == 400);
  CHECK(refused.error_id() == "sg.chatbot.817");
  CHECK(refused.json()["error"]["message"].get<std::string>().find("over the prompt budget of 65") != std::string::npos);
  const HttpResult stream = s.client->stream("/chat/stream", {{"session_id", "s"}, {"message", too_long}},
                                             [](std::string_view) { return true; });
  CHECK(stream.status == 400);
  CHECK(stream.error_id() == "sg.chatbot.817");
  const json completion = {{"user", "s"}, {"messages", {{{"role", "user"}, {"content", too_long}}}}};
  CHECK(s.client->post("/v1/chat/completions", completion).json()["error"]["code"] == "sg.chatbot.817");
  CHECK(model->calls() == 0);
  CHECK(s.client->get("/chat/s/history").status == 404);  // nothing stored
  const HttpResult fits = s.chat("s", longest);
  CHECK(fits.status == 200);
  CHECK(fits.json()["response"] == "saw 200");  // the model saw the whole message
}

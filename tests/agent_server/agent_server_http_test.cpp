// sg::AgentServer over real HTTP on 127.0.0.1 (the demo graphs on an in-memory saver, libcurl as
// the client): the request guard on the API's routes (a foreign Origin 403 [sg.server.914], a Host
// that is not the server's 403 [sg.server.915], a body not declared as JSON 415 [sg.server.913],
// --allow-host), the API key, and an application's routes served first
// (AgentServerOptions::routes: who owns which request, and whose error answers a failure).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <stategraph/checkpoint/memory_saver.hpp>

#include "agent_server/agent_routes.hpp"
#include "agent_server/agent_server.hpp"
#include "agent_server/demo_graphs.hpp"
#include "agent_server/url.hpp"
#include "http_client.hpp"

using nlohmann::json;
using sgtest::HttpClient;
using sgtest::HttpResult;

namespace {

/// An AgentServer with the demo graphs on a free loopback port, and a client pointed at it.
struct Running {
  explicit Running(sg::AgentServerOptions options = {}) {
    options.graphs = sg::demo::demo_graphs(std::make_shared<sg::InMemorySaver>());
    options.host = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 4096;
    server = std::make_unique<sg::AgentServer>(std::move(options));
    client = std::make_unique<HttpClient>(url());
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  std::unique_ptr<sg::AgentServer> server;
  std::unique_ptr<HttpClient> client;
};

const std::string kJson = "Content-Type: application/json";

/// The number of threads the server has.
std::size_t thread_count(const Running& s) {
  const HttpResult r = s.client->request("POST", "/threads/search", R"({"limit": 100})", {kJson});
  REQUIRE(r.status == 200);
  return r.json().size();
}

void expect_error(const HttpResult& r, long status, const std::string& id) {
  CHECK(r.status == status);
  CHECK(r.error_id() == id);
  const json body = r.json();
  CHECK_FALSE(body.value("detail", "").empty());  // the field the SDK shows
}

/// An application's routes: /app and /app/..., and GET /threads (a list of its own, as
/// sg-chatbot's); every answer and failure says it is the application's.
class AppRoutes final : public sg::server::Router {
 public:
  bool owns(std::string_view method, std::string_view path) const override {
    if (path == "/threads") return method == "GET";
    return path == "/app" || path.rfind("/app/", 0) == 0;
  }
  std::variant<sg::server::HttpResponse, sg::server::HttpCall> route(const sg::server::HttpRequest& request) const override {
    return sg::server::json_response({{"app", std::string(sg::server::path_of(request.target))}});
  }
  sg::server::HttpResponse failure(sg::server::HttpFailure kind, std::string_view message,
                                   const sg::server::HttpRequest& request) const override {
    return sg::server::json_response({{"app_failure", static_cast<int>(kind)},
                                      {"message", message},
                                      {"path", std::string(sg::server::path_of(request.target))}},
                                     418);
  }
};

}  // namespace

TEST_CASE("agent server http: a request from another site's page is refused on the API's routes (403 sg.server.914)") {
  Running s;
  const std::string own = s.url();
  for (const std::string& origin : {std::string("http://evil.example"), std::string("null"), "https" + own.substr(4),
                                    "http://localhost:" + std::to_string(s.server->port())}) {
    CAPTURE(origin);
    expect_error(s.client->request("POST", "/threads", "{}", {kJson, "Origin: " + origin}), 403, "sg.server.914");
    expect_error(s.client->request("POST", "/runs/wait", R"({"assistant_id": "chain", "input": {}})", {kJson, "Origin: " + origin}),
                 403, "sg.server.914");
    expect_error(s.client->get("/assistants/agent", {"Origin: " + origin}), 403, "sg.server.914");
  }
  CHECK(thread_count(s) == 0);  // nothing of the refused requests was done
  // A page served from this server carries its own origin; clients that send none (the SDK) pass.
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Origin: " + own}).status == 200);
  CHECK(s.client->request("POST", "/threads", "{}", {kJson}).status == 200);
  CHECK(thread_count(s) == 2);
}

TEST_CASE("agent server http: the Host must name this server, against DNS rebinding (403 sg.server.915, --allow-host)") {
  sg::AgentServerOptions options;
  options.allowed_hosts = {"agent.example.lan"};
  Running s(options);
  const std::string port = std::to_string(s.server->port());
  for (const std::string& host : {"evil.example:" + port, std::string("evil.example"), "agent.example.lan.evil:" + port,
                                  "127.0.0.1.nip.io:" + port}) {
    CAPTURE(host);
    // Host first: a re-pointed page sends its own name as Host and Origin alike.
    expect_error(s.client->request("POST", "/threads", "{}", {kJson, "Host: " + host, "Origin: http://" + host}), 403,
                 "sg.server.915");
    expect_error(s.client->get("/ok", {"Host: " + host}), 403, "sg.server.915");
    expect_error(s.client->get("/nowhere", {"Host: " + host}), 403, "sg.server.915");
  }
  CHECK(thread_count(s) == 0);
  for (const std::string& host : {"localhost:" + port, "[::1]:" + port, std::string("127.0.0.1"),
                                  std::string("agent.example.lan:8443"), std::string("AGENT.example.lan")}) {
    CAPTURE(host);
    CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Host: " + host, "Origin: http://" + host}).status == 200);
  }
}

TEST_CASE("agent server http: a body on the API's routes needs Content-Type application/json (415 sg.server.913)") {
  Running s;
  for (const char* type : {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
                           "Content-Type: multipart/form-data; boundary=x", "Content-Type: application/json; charset=latin1",
                           "Content-Type:"}) {
    CAPTURE(type);
    expect_error(s.client->request("POST", "/threads", "{}", {type}), 415, "sg.server.913");
    expect_error(s.client->request("POST", "/runs/wait", R"({"assistant_id": "chain", "input": {}})", {type}), 415,
                 "sg.server.913");
  }
  expect_error(s.client->request("POST", "/threads", "{}"), 415, "sg.server.913");  // curl's default: a form's type
  CHECK(thread_count(s) == 0);
  // As the SDK sends it; a charset is fine; a request without a body needs no type.
  CHECK(s.client->request("POST", "/threads", "{}", {"Content-Type: Application/JSON; charset=\"UTF-8\""}).status == 200);
  CHECK(s.client->request("POST", "/threads", "", {"Content-Type: text/plain"}).status == 200);
  CHECK(thread_count(s) == 2);
}

TEST_CASE("agent server http: the API key as X-Api-Key or a bearer token, /ok needs none") {
  sg::AgentServerOptions options;
  options.api_key = "k3y";
  Running s(options);
  expect_error(s.client->request("POST", "/threads", "{}", {kJson}), 401, "sg.server.906");
  expect_error(s.client->request("POST", "/threads", "{}", {kJson, "X-Api-Key: wrong"}), 401, "sg.server.906");
  CHECK(s.client->get("/ok").status == 200);
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "X-Api-Key: k3y"}).status == 200);
  CHECK(s.client->request("POST", "/threads", "{}", {kJson, "Authorization: Bearer k3y"}).status == 200);
}

TEST_CASE("agent server http: an application's routes come first, other paths are the API's or (unknown) the application's") {
  sg::AgentServerOptions options;
  options.routes = std::make_shared<AppRoutes>();
  Running s(options);
  const auto app_path = [](const HttpResult& r) {
    const json body = r.json();
    return body.is_object() ? body.value("app", std::string("<not the app's>")) : std::string("<not the app's>");
  };
  CHECK(app_path(s.client->get("/app")) == "/app");
  CHECK(app_path(s.client->get("/app/x?y=1")) == "/app/x");
  CHECK(app_path(s.client->get("/threads")) == "/threads");    // GET /threads: the application's
  CHECK(app_path(s.client->get("/nowhere")) == "/nowhere");    // unknown: the application's 404 to give
  const HttpResult page = s.client->get("/");  // "/" is the API's (its web page) unless the app owns it
  CHECK(app_path(page) == "<not the app's>");
  CHECK(page.header("content-type").rfind("text/html", 0) == 0);
  const HttpResult created = s.client->request("POST", "/threads", "{}", {kJson});  // POST /threads: the API's
  CHECK(created.status == 200);
  CHECK(created.json().contains("thread_id"));
  CHECK(s.client->get("/assistants/chain").json()["graph_id"] == "chain");
  expect_error(s.client->get("/threads/nope"), 404, "sg.server.903");

  // Each owner answers the failures of its requests in its own shape: the guard's and the server's.
  const HttpResult app_origin = s.client->get("/app/x", {"Origin: http://evil.example"});
  CHECK(app_origin.status == 418);
  CHECK(app_origin.json()["app_failure"] == static_cast<int>(sg::server::HttpFailure::cross_origin));
  CHECK(app_origin.json()["path"] == "/app/x");
  expect_error(s.client->get("/threads/x/state", {"Origin: http://evil.example"}), 403, "sg.server.914");
  const std::string big(5000, ' ');
  const HttpResult app_big = s.client->request("POST", "/app/x", big, {kJson, "Expect:"});
  CHECK(app_big.status == 418);
  CHECK(app_big.json()["app_failure"] == static_cast<int>(sg::server::HttpFailure::body_too_large));
  expect_error(s.client->request("POST", "/threads", big, {kJson, "Expect:"}), 413, "sg.server.910");
}

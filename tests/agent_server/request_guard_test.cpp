// The HTTP core's RequestGuard (examples/agent_server/request_guard.hpp) without a server: Host
// and origin parsing, the Host and Origin checks, and the Content-Type check, with the refusal
// kind each answers (each application maps it to its own id: tests/chatbot/http_hardening_test.cpp
// and agent_server_http_test.cpp over real HTTP).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent_server/request_guard.hpp"

using namespace sg::server;  // NOLINT(google-build-using-namespace): a test file

namespace {

/// The refusal's kind as text ("no refusal" when none), and a check that its message is not empty.
std::string refusal_of(const std::optional<GuardRefusal>& refusal) {
  if (!refusal) return "no refusal";
  CHECK_FALSE(refusal->message.empty());
  switch (refusal->kind) {
    case HttpFailure::host_not_allowed: return "host_not_allowed";
    case HttpFailure::cross_origin: return "cross_origin";
    case HttpFailure::unsupported_media_type: return "unsupported_media_type";
    default: return "another failure";
  }
}

}  // namespace

TEST_CASE("request guard: parse_authority reads Host headers and origins") {
  CHECK(parse_authority("localhost") == Authority{"localhost", 80});
  CHECK(parse_authority("LocalHost.:8080") == Authority{"localhost", 8080});
  CHECK(parse_authority("127.0.0.1:65535") == Authority{"127.0.0.1", 65535});
  CHECK(parse_authority("[::1]:8080") == Authority{"::1", 8080});
  CHECK(parse_authority("[0:0:0:0:0:0:0:1]") == Authority{"::1", 80});
  CHECK(parse_authority("[::ffff:192.168.1.5]:1") == Authority{"192.168.1.5", 1});
  CHECK(parse_authority("chat.example.lan:") == Authority{"chat.example.lan", 80});
  for (const char* bad : {"", ":80", ".", "..:80", "::1", "[::1", "[::1]x", "[127.0.0.1]", "a:b", "a:65536", "a:-1", "a:1:2", "a b",
                          "user@host", "host/path", "host%2f", "[::1]:80:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_authority(bad));
  }
  CHECK(normalise_host("[::1]") == "::1");
  CHECK(normalise_host("Chat.Example.LAN.") == "chat.example.lan");
  CHECK(normalise_host("::ffff:10.0.0.1") == "10.0.0.1");
}

TEST_CASE("request guard: RequestGuard lets in this server's names and its own origin only") {
  const RequestGuard guard({"chat.example.lan", "[fd00::5]"});
  const auto check = [&](std::string_view host, std::string_view origin = {}, std::string_view local = {}) {
    return refusal_of(guard.check(host, origin, local));
  };
  for (const char* host : {"localhost", "localhost:8080", "LOCALHOST.:1", "127.0.0.1:8080", "127.0.0.2", "[::1]:8080",
                           "chat.example.lan", "chat.example.lan:8443", "[fd00::5]:80"}) {
    CAPTURE(host);
    CHECK(check(host) == "no refusal");
  }
  for (const char* host : {"", "evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io",
                           "sub.chat.example.lan", "10.0.0.7:8080", "0.0.0.0:8080", "[::]:8080", "::1"}) {
    CAPTURE(host);
    CHECK(check(host) == "host_not_allowed");
  }
  // The address the client connected to (the bound address, or an interface's under a wildcard bind).
  CHECK(check("10.0.0.7:8080", {}, "10.0.0.7") == "no refusal");
  CHECK(check("10.0.0.7:8080", {}, "::ffff:10.0.0.7") == "no refusal");
  CHECK(check("[fe80::1]:8080", {}, "fe80::1") == "no refusal");
  CHECK(check("10.0.0.8:8080", {}, "10.0.0.7") == "host_not_allowed");

  CHECK(check("127.0.0.1:8080", "http://127.0.0.1:8080") == "no refusal");
  CHECK(check("localhost", "HTTP://LocalHost:80") == "no refusal");
  CHECK(check("[::1]:8080", "http://[::1]:8080") == "no refusal");
  for (const char* origin : {"http://evil.example", "http://127.0.0.1:8081", "https://127.0.0.1:8080", "http://localhost:8080",
                             "null", "http://127.0.0.1:8080/", "127.0.0.1:8080", "http://"}) {
    CAPTURE(origin);
    CHECK(check("127.0.0.1:8080", origin) == "cross_origin");
  }
  // The Host is checked first: a foreign page re-pointed here cannot pass by sending a matching Origin.
  CHECK(check("evil.example:8080", "http://evil.example:8080") == "host_not_allowed");
}

TEST_CASE("request guard: check_json_content_type takes application/json and a utf-8 charset") {
  for (const char* ok : {"application/json", "Application/JSON", " application/json ", "application/json; charset=utf-8",
                         "application/json;charset=UTF-8", "application/json; charset=\"utf-8\"", "application/json;"}) {
    CAPTURE(ok);
    CHECK(refusal_of(check_json_content_type(ok)) == "no refusal");
  }
  for (const char* bad : {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                          "application/jsonx", "application/json-patch+json", "text/json", "application/json; charset=latin1",
                          "application/json; boundary=x", "application/json; charset"}) {
    CAPTURE(bad);
    CHECK(refusal_of(check_json_content_type(bad)) == "unsupported_media_type");
  }
}

TEST_CASE("request guard: check() takes the request's Host, then its Origin, and check_json_body only a body") {
  const RequestGuard guard({});
  HttpRequest request;
  request.method = "POST";
  request.target = "/threads";
  request.host = "127.0.0.1:2024";
  CHECK(refusal_of(guard.check(request)) == "no refusal");
  CHECK(refusal_of(check_json_body(request)) == "no refusal");  // no body: no Content-Type needed
  request.body = "{}";
  CHECK(refusal_of(check_json_body(request)) == "unsupported_media_type");
  request.content_type = "application/json; charset=utf-8";
  CHECK(refusal_of(check_json_body(request)) == "no refusal");
  request.origin = "http://evil.example";
  CHECK(refusal_of(guard.check(request)) == "cross_origin");
  request.host = "evil.example";
  CHECK(refusal_of(guard.check(request)) == "host_not_allowed");
}

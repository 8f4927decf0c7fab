#pragma once
/// @file
/// What the HTTP core refuses so that a web page of another site cannot use a server on its
/// visitor's machine through the visitor's browser. It guards every server on the core:
/// sg-chatbot's routes and the Agent Server API alike. Each refusal is an HttpFailure that the
/// request's Router answers with its own error id (Router::failure: sg-chatbot 814/815/816,
/// sg::AgentServer 913/914/915). HttpServer checks the Host and Origin of every request before a
/// router sees it (RequestGuard); a router checks the body of each route that takes JSON
/// (check_json_body), so that a route that does not exist for the method still answers 404/405.
///
/// - DNS rebinding (HttpFailure::host_not_allowed, 403): the Host header must name this server:
///   a loopback name or address (localhost, 127.0.0.0/8, [::1]; any port), a name the operator
///   allowed (--allow-host; the address the server was told to bind), or the address the client
///   connected to (the bound address; for a wildcard bind, the interface's). A page whose own
///   name was re-pointed at this machine sends its own name as Host.
/// - Cross-site requests, CSRF (HttpFailure::cross_origin, 403): a request whose Origin header is
///   present and is not the server's own origin — "http://" and the Host header the request was
///   addressed to, ports compared with 80 for a missing one — is refused. A browser sends Origin
///   with every cross-site fetch and form post.
/// - Bodies not declared as JSON (HttpFailure::unsupported_media_type, 415): the routes that take
///   a body (every one of both servers takes JSON) need `Content-Type: application/json` with it
///   (a charset=utf-8 parameter allowed). An HTML form cannot send that type, and a script can
///   send it cross-site only after a CORS preflight, which these servers never grant. (The
///   official @langchain/langgraph-sdk and openai clients send it.)
///
/// Thread-safety: RequestGuard is immutable after construction (check() from any threads at
/// once); the functions are reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent_server/http_types.hpp"

namespace sg::server {

/// The host and port of a Host header or an origin, normalised: a name in lower case without
/// trailing dots; an IP address in its canonical text without brackets (an IPv4-mapped IPv6
/// address as IPv4).
struct Authority {
  std::string host;
  std::uint16_t port = 80;  ///< 80 when the text has none (the only scheme served is http)
  bool operator==(const Authority&) const = default;
};

/// Parses "HOST[:PORT]" where HOST is a name, an IPv4 address or "[IPv6]". nullopt when it is
/// none of these (empty, a bad port, userinfo, a path, an unbracketed IPv6 address).
[[nodiscard]] std::optional<Authority> parse_authority(std::string_view text);

/// `host` as parse_authority normalises it ("[::1]" → "::1", "LocalHost." → "localhost").
[[nodiscard]] std::string normalise_host(std::string_view host);

/// Why a request is refused: the failure its Router answers, and a message for the client (valid
/// UTF-8: the client's headers appear in it cut short, with '?' for bytes that are not printable
/// ASCII).
struct GuardRefusal {
  HttpFailure kind;
  std::string message;
};

class RequestGuard {
 public:
  /// @param allowed_hosts names or addresses the Host header may carry besides the loopback
  ///        ones, with any port (--allow-host; the server's non-wildcard bind address).
  explicit RequestGuard(const std::vector<std::string>& allowed_hosts);

  /// The request's Host, then its Origin; nullopt when it passes.
  [[nodiscard]] std::optional<GuardRefusal> check(const HttpRequest& request) const;

  /// The same from the headers.
  /// @param host the Host header ("" when absent: refused).
  /// @param origin the Origin header ("" when absent: allowed).
  /// @param local_address the address the client connected to ("" when unknown).
  [[nodiscard]] std::optional<GuardRefusal> check(std::string_view host, std::string_view origin,
                                                  std::string_view local_address) const;

 private:
  std::vector<std::string> allowed_;  // normalised
};

/// Accepts "application/json", any case, optionally with a charset=utf-8 parameter; anything
/// else (a missing header included) is an unsupported_media_type refusal.
[[nodiscard]] std::optional<GuardRefusal> check_json_content_type(std::string_view content_type);

/// For a route that takes a JSON body: a request without a body passes; one with a body needs
/// check_json_content_type's Content-Type.
[[nodiscard]] std::optional<GuardRefusal> check_json_body(const HttpRequest& request);

}  // namespace sg::server

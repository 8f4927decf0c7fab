#pragma once
/// @file
/// What sg-chatbot's HTTP server refuses before it routes a request, so that a web page of
/// another site cannot use the server through its visitor's browser:
///
/// - Cross-site requests (CSRF): a request whose Origin header is present and is not the
///   server's own origin — "http://" and the Host header the request was addressed to, ports
///   compared with 80 for a missing one — is refused (403, sg.chatbot.815). A browser sends
///   Origin with every cross-site fetch and form post, so a page elsewhere cannot act here.
/// - Bodies not declared as JSON: the JSON routes take a body only with `Content-Type:
///   application/json` (a charset=utf-8 parameter allowed; else 415, sg.chatbot.814). An HTML
///   form cannot send that type, and a script can send it cross-site only after a CORS
///   preflight, which this server never grants.
/// - DNS rebinding: the Host header must name this server: a loopback name or address
///   (localhost, 127.0.0.0/8, [::1]; any port), a name the operator allowed (--allow-host), or
///   the address the client connected to (the bound address; for a wildcard bind, the
///   interface's). Else 403, sg.chatbot.816: a page whose own name was re-pointed at this
///   machine sends its own name as Host.
///
/// Thread-safety: RequestGuard is immutable after construction (check() from any threads at
/// once); the functions are reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::chatbot {

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
std::optional<Authority> parse_authority(std::string_view text);

/// `host` as parse_authority normalises it ("[::1]" → "::1", "LocalHost." → "localhost").
std::string normalise_host(std::string_view host);

class RequestGuard {
 public:
  /// @param allowed_hosts names or addresses the Host header may carry besides the loopback
  ///        ones, with any port (--allow-host; the server's non-loopback bind address).
  explicit RequestGuard(const std::vector<std::string>& allowed_hosts);

  /// Refuses a request a browser may have been made to send (see the file comment).
  /// @param host the Host header ("" when absent: refused).
  /// @param origin the Origin header ("" when absent: allowed).
  /// @param local_address the address the client connected to ("" when unknown).
  /// @throws ChatbotError [sg.chatbot.816] for the Host, [sg.chatbot.815] for the Origin.
  void check(std::string_view host, std::string_view origin, std::string_view local_address) const;

 private:
  std::vector<std::string> allowed_;  // normalised
};

/// Accepts "application/json", any case, optionally with a charset=utf-8 parameter.
/// @throws ChatbotError [sg.chatbot.814] for anything else (a missing header included).
void check_json_content_type(std::string_view content_type);

}  // namespace sg::chatbot

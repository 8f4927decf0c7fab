// RequestGuard (request_guard.hpp): the Host, Origin and Content-Type checks of the HTTP core.
#include "agent_server/request_guard.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace sg::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A client's header quoted for a message: cut to a readable length, and every byte that is not
/// printable ASCII shown as '?' (the message must be valid UTF-8).
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 120;
  std::string out = "\"";
  for (const char c : s.substr(0, kMax)) out += c >= ' ' && c <= '~' ? c : '?';
  return out + (s.size() > kMax ? "...\"" : "\"");
}

/// An IP address, when `host` (without brackets) is one; IPv4-mapped IPv6 as IPv4.
std::optional<boost::asio::ip::address> address_of(std::string_view host) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()));
  return address;
}

bool is_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

bool is_loopback(const std::string& normalised) {
  if (normalised == "localhost") return true;
  const auto address = address_of(normalised);
  return address && address->is_loopback();
}

}  // namespace

std::string normalise_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (const auto address = address_of(host)) return address->to_string();
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return lower(host);
}

std::optional<Authority> parse_authority(std::string_view text) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address_v6(std::string(host.substr(1, host.size() - 2)), ec);
    if (ec) return std::nullopt;  // brackets hold an IPv6 address and nothing else
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
    if (!is_name(host)) return std::nullopt;  // also refuses a second colon: an unbracketed IPv6 address
  }
  Authority out;
  out.host = normalise_host(host);
  if (out.host.empty()) return std::nullopt;  // "."
  if (!port.empty()) {
    unsigned value = 0;
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr != port.data() + port.size() || value > 65535 || port.size() > 5)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

RequestGuard::RequestGuard(const std::vector<std::string>& allowed_hosts) {
  for (const auto& name : allowed_hosts) allowed_.push_back(normalise_host(name));
}

std::optional<GuardRefusal> RequestGuard::check(const HttpRequest& request) const {
  return check(request.host, request.origin, request.local_address);
}

std::optional<GuardRefusal> RequestGuard::check(std::string_view host, std::string_view origin,
                                                std::string_view local_address) const {
  if (host.empty()) return GuardRefusal{HttpFailure::host_not_allowed, "the request has no Host header"};
  const auto authority = parse_authority(host);
  const bool allowed = authority && (is_loopback(authority->host) ||
                                     std::find(allowed_.begin(), allowed_.end(), authority->host) != allowed_.end() ||
                                     (!local_address.empty() && authority->host == normalise_host(local_address)));
  if (!allowed)
    return GuardRefusal{HttpFailure::host_not_allowed,
                        "Host " + quoted(host) +
                            " is not a name of this server: it answers to localhost, 127.0.0.1, [::1], the address it "
                            "is bound to and the names given with --allow-host NAME (a page whose name was re-pointed at "
                            "this machine, DNS rebinding, sends its own name)"};
  if (origin.empty()) return std::nullopt;
  static constexpr std::string_view scheme = "http://";
  const bool same = origin.size() > scheme.size() && lower(origin.substr(0, scheme.size())) == scheme &&
                    parse_authority(origin.substr(scheme.size())) == authority;
  if (!same)
    return GuardRefusal{HttpFailure::cross_origin, "Origin " + quoted(origin) +
                                                       " is not this server's origin (http:// and Host " + quoted(host) +
                                                       "): requests from other sites' pages are refused"};
  return std::nullopt;
}

std::optional<GuardRefusal> check_json_content_type(std::string_view content_type) {
  const auto refusal = [&] {
    return GuardRefusal{HttpFailure::unsupported_media_type,
                        "the body must be JSON sent with \"Content-Type: application/json\" (got " +
                            (content_type.empty() ? std::string("no Content-Type") : quoted(content_type)) + ")"};
  };
  const auto semicolon = content_type.find(';');
  if (lower(trim(content_type.substr(0, semicolon))) != "application/json") return refusal();
  std::string_view parameters = semicolon == std::string_view::npos ? std::string_view() : content_type.substr(semicolon + 1);
  while (!trim(parameters).empty()) {
    const auto end = std::min(parameters.find(';'), parameters.size());
    const std::string_view parameter = trim(parameters.substr(0, end));
    parameters = end == parameters.size() ? std::string_view() : parameters.substr(end + 1);
    const auto equals = parameter.find('=');
    if (equals == std::string_view::npos || lower(trim(parameter.substr(0, equals))) != "charset") return refusal();
    std::string_view value = trim(parameter.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (lower(value) != "utf-8") return refusal();
  }
  return std::nullopt;
}

std::optional<GuardRefusal> check_json_body(const HttpRequest& request) {
  if (request.body.empty()) return std::nullopt;
  return check_json_content_type(request.content_type);
}

}  // namespace sg::server

#include "stategraph/checkpoint/redact_password.hpp"

#include <cctype>

namespace sg {

namespace {

constexpr std::string_view kMask = "***";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_password_key(std::string_view key) { return key == "password" || key == "sslpassword"; }

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// postgres[ql]://[user[:password]@]host.../db[?key=value&...]
std::string redact_uri(std::string_view uri, std::size_t after_scheme) {
  std::string out(uri.substr(0, after_scheme));
  std::string_view rest = uri.substr(after_scheme);
  // libpq: the user info is what precedes the first '@' met before any '/'.
  const auto stop = rest.find_first_of("@/");
  if (stop != std::string_view::npos && rest[stop] == '@') {
    const std::string_view userinfo = rest.substr(0, stop);
    const auto colon = userinfo.find(':');
    if (colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1)).append(kMask);
    } else {
      out.append(userinfo);
    }
    out.push_back('@');
    rest.remove_prefix(stop + 1);
  }
  const auto query = rest.find('?');
  out.append(rest.substr(0, query));
  if (query == std::string_view::npos) return out;
  out.push_back('?');
  std::string_view params = rest.substr(query + 1);
  for (bool first = true;; first = false) {
    const auto amp = params.find('&');
    const std::string_view param = params.substr(0, amp);
    if (!first) out.push_back('&');
    const auto eq = param.find('=');
    if (eq != std::string_view::npos && is_password_key(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1)).append(kMask);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  return out;
}

// key = value pairs separated by spaces; a value is '...' (with \' and \\ escapes) or a run of
// non-space characters (libpq's conninfo_parse).
std::string redact_conninfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // Spaces between pairs.
    while (i < n && is_space(text[i])) out.push_back(text[i++]);
    const std::size_t key_start = i;
    while (i < n && text[i] != '=' && !is_space(text[i])) ++i;
    const std::string_view key = text.substr(key_start, i - key_start);
    out.append(key);
    while (i < n && is_space(text[i])) out.push_back(text[i++]);
    if (i >= n || text[i] != '=') continue;  // not a pair: copied as it is
    out.push_back(text[i++]);
    while (i < n && is_space(text[i])) out.push_back(text[i++]);
    const std::size_t value_start = i;
    if (i < n && text[i] == '\'') {
      ++i;
      while (i < n && text[i] != '\'') i += (text[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i < n) ++i;  // the closing quote
    } else {
      while (i < n && !is_space(text[i])) ++i;
    }
    if (is_password_key(key)) {
      out.append(kMask);
    } else {
      out.append(text.substr(value_start, i - value_start));
    }
  }
  return out;
}

// The length of "scheme://" when `text` starts with a URI scheme (RFC 3986: a letter, then
// letters, digits, '+', '-', '.'), else 0.
std::size_t scheme_length(std::string_view text) {
  if (text.empty() || std::isalpha(static_cast<unsigned char>(text[0])) == 0) return 0;
  std::size_t i = 1;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.'))
    ++i;
  return text.substr(i, 3) == "://" ? i + 3 : 0;
}

}  // namespace

std::string redact_password(std::string_view text) {
  if (const std::size_t after_scheme = scheme_length(text); after_scheme != 0) return redact_uri(text, after_scheme);
  if (text.find('=') != std::string_view::npos && !starts_with(text, "sqlite:")) return redact_conninfo(text);
  return std::string(text);
}

}  // namespace sg

#include "stategraph/checkpoint/redact_password.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sg {

namespace {

constexpr std::string_view kMask = "***";

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool equal_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// The names whose values are secrets (header comment).
bool is_secret_key(std::string_view key) {
  static constexpr std::array<std::string_view, 13> kSecretKeys{
      "password", "sslpassword", "passwd",       "pwd",        "api_key", "apikey",       "api-key",
      "key",      "token",       "access_token", "auth_token", "secret",  "client_secret"};
  return std::any_of(kSecretKeys.begin(), kSecretKeys.end(), [&](std::string_view k) { return equal_nocase(k, key); });
}

/// A character of a key in `key=value` (libpq's keywords, and the names above).
bool is_key_char(char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; }

/// Where a URI that starts in a message ends.
bool ends_uri(char c) { return is_space(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`'; }

// The length of "scheme://" when `text` starts with a URI scheme (RFC 3986: a letter, then
// letters, digits, '+', '-', '.'), else 0.
std::size_t scheme_length(std::string_view text) {
  if (text.empty() || !is_alpha(text[0])) return 0;
  std::size_t i = 1;
  while (i < text.size() && (is_alnum(text[i]) || text[i] == '+' || text[i] == '-' || text[i] == '.')) ++i;
  return text.substr(i, 3) == "://" ? i + 3 : 0;
}

// scheme://[user[:password]@]host.../path[?key=value&...][#fragment], the whole of `uri`.
void redact_uri(std::string_view uri, std::size_t after_scheme, std::string& out) {
  const std::string_view scheme = uri.substr(0, after_scheme - 3);
  out.append(uri.substr(0, after_scheme));
  std::string_view rest = uri.substr(after_scheme);
  // libpq: the user info is what precedes the first '@' met before any '/'.
  const auto stop = rest.find_first_of("@/");
  if (stop != std::string_view::npos && rest[stop] == '@') {
    const std::string_view userinfo = rest.substr(0, stop);
    const auto colon = userinfo.find(':');
    if (colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1)).append(kMask);
    } else if (equal_nocase(scheme, "http") || equal_nocase(scheme, "https")) {
      out.append(kMask);
    } else {
      out.append(userinfo);
    }
    out.push_back('@');
    rest.remove_prefix(stop + 1);
  }
  const auto query = rest.find('?');
  out.append(rest.substr(0, query));
  if (query == std::string_view::npos) return;
  out.push_back('?');
  rest.remove_prefix(query + 1);
  while (!rest.empty()) {
    const auto end = rest.find_first_of("&#");
    const std::string_view param = rest.substr(0, end);
    const auto eq = param.find('=');
    if (eq != std::string_view::npos && is_secret_key(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1)).append(kMask);
    } else {
      out.append(param);
    }
    if (end == std::string_view::npos) return;
    if (rest[end] == '#') {
      out.append(rest.substr(end));
      return;
    }
    out.push_back('&');
    rest.remove_prefix(end + 1);
  }
}

// At text[i], a `key = value` pair whose key is a secret (libpq's conninfo_parse: spaces around
// '=', a value '...' with \' and \\ escapes or a run of non-space characters): appends it
// masked and returns the index after it; else returns i.
std::size_t redact_pair(std::string_view text, std::size_t i, std::string& out) {
  const std::size_t n = text.size();
  std::size_t j = i;
  while (j < n && is_key_char(text[j])) ++j;
  if (j == i || !is_secret_key(text.substr(i, j - i))) return i;
  std::size_t eq = j;
  while (eq < n && is_space(text[eq])) ++eq;
  if (eq >= n || text[eq] != '=') return i;
  std::size_t value = eq + 1;
  while (value < n && is_space(text[value])) ++value;
  std::size_t end = value;
  if (end < n && text[end] == '\'') {
    ++end;
    while (end < n && text[end] != '\'') end += (text[end] == '\\' && end + 1 < n) ? 2 : 1;
    if (end < n) ++end;  // the closing quote
  } else {
    while (end < n && !is_space(text[end])) ++end;
  }
  out.append(text.substr(i, value - i)).append(kMask);
  return end;
}

}  // namespace

std::string redact_password(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const bool word_start = i == 0 || !is_key_char(text[i - 1]);
    if (word_start && is_alpha(text[i])) {
      if (const std::size_t after_scheme = scheme_length(text.substr(i)); after_scheme != 0) {
        std::size_t end = i + after_scheme;
        while (end < n && !ends_uri(text[end])) ++end;
        redact_uri(text.substr(i, end - i), after_scheme, out);
        i = end;
        continue;
      }
      if (const std::size_t next = redact_pair(text, i, out); next != i) {
        i = next;
        continue;
      }
      while (i < n && is_key_char(text[i])) out.push_back(text[i++]);  // a word that is neither
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace sg

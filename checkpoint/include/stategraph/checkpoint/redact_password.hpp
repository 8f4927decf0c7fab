#pragma once
/// @file
/// sg::redact_password — the one function that hides secrets (passwords, API keys, tokens) in a
/// text before it is shown: store addresses and model endpoints in banners (sg-checkpoints,
/// sg-chatbot), the Postgres saver's and the OpenAI chat model's error messages, and the last
/// line of defence of both binaries' error output.

#include <string>
#include <string_view>

namespace sg {

/// `text` with every secret replaced by "***". `text` may be one address or a whole message
/// with addresses in it; it understands:
///   - URIs, anywhere in the text (any `scheme://`: libpq's `postgres[ql]://`, an
///     OpenAI-compatible `https://` base URL, a mistyped address in an error), ending at a space,
///     a quote or `<>`:
///       - the password of the user info: `postgres://user:secret@host/db` →
///         `postgres://user:***@host/db`; the user info ends at the first '@' before the first
///         '/', as libpq reads it. In an `http://` or `https://` URL a user info without ':' is
///         hidden too (`https://KEY@host/v1` → `https://***@host/v1`: APIs take keys as user
///         names), while `postgres://user@host` keeps its user name;
///       - the query parameters named in the list below (`?password=secret&sslmode=require` →
///         `?password=***&sslmode=require`, `?api_key=k` → `?api_key=***`);
///   - `key=value` pairs outside URIs whose key is in the list (libpq's key/value conninfo
///     `host=h password=secret`, `password = 'it\'s'` → `host=h password=***`, `password = ***`;
///     values quoted with ' and backslash escapes as libpq reads them, else up to a space);
///   - anything else (`sqlite:PATH`, `memory`, `user=password`) is returned unchanged.
/// Secret names (case-insensitive): password, sslpassword, passwd, pwd, api_key, apikey,
/// api-key, key, token, access_token, auth_token, secret, client_secret.
/// Idempotent: redacting a redacted text changes nothing.
/// Thread-safety: reentrant. Never throws except std::bad_alloc.
[[nodiscard]] std::string redact_password(std::string_view text);

}  // namespace sg

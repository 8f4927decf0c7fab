#pragma once
/// @file
/// sg::redact_password — the one function that hides a password in a store address before it
/// is shown (sg-checkpoints, sg-chatbot, the Postgres saver's error messages).

#include <string>
#include <string_view>

namespace sg {

/// `text` with every password replaced by "***". Understands:
///   - URIs (libpq's `postgres[ql]://`, and any other `scheme://`, so that a mistyped address
///     shown in an error hides its password too): `postgres://user:secret@host/db` →
///     `postgres://user:***@host/db`, and the query parameters `password=` and `sslpassword=`
///     (`...?password=secret` → `...?password=***`); the user info ends at the first '@'
///     before the first '/', as libpq reads it;
///   - libpq key=value strings: `host=h password=secret` / `password = 'it''s'` →
///     `host=h password=***` (values quoted with ' and backslash escapes, as libpq reads them);
///   - anything else (`sqlite:PATH`, `memory`) is returned unchanged.
/// Thread-safety: reentrant. Never throws except std::bad_alloc.
[[nodiscard]] std::string redact_password(std::string_view text);

}  // namespace sg

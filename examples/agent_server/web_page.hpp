#pragma once
/// @file
/// sg::server::web_page_response: the web page of sg::AgentServer — `GET /` (and /index.html)
/// and its files under `/ui/` (the page's scripts and style, and Debian's marked, DOMPurify and
/// highlight.js, all embedded at build time: examples/agent_server/CMakeLists.txt). The page
/// talks to the server only through the Agent Server API; see web/index.html.
///
/// The page is public (no API key: the key gates the API calls the page makes, which it asks for
/// once and keeps in localStorage). Every answer carries a Content-Security-Policy that lets the
/// page load scripts, styles and images from this server only, connect to this server only, and
/// run no inline script; and `X-Content-Type-Options: nosniff`.
///
/// Thread-safety: a pure function of its arguments; call it from any threads at once.

#include <optional>
#include <string_view>

#include "agent_server/http_types.hpp"

namespace sg::server {

/// The page's answer to `method` `target` ("/ui/app.js?x" is "/ui/app.js"), or nullopt when the
/// path is not the page's: `/`, `/index.html` or `/ui/<file>`. A path of the page with another
/// method than GET answers 405 with `Allow: GET`; an unknown file under /ui/, 404.
/// Errors are in the Agent Server API's shape (agent_routes.hpp).
[[nodiscard]] std::optional<HttpResponse> web_page_response(std::string_view method, std::string_view target);

}  // namespace sg::server

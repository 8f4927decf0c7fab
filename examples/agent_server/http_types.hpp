#pragma once
/// @file
/// What an application gives sg::server::HttpServer (http_server.hpp): a Router that turns a
/// request into either a complete response or a call to run on a worker thread. Routers see no
/// sockets: sg-chatbot's routes (examples/chatbot/http_routes.hpp) and sg::AgentServer's
/// (agent_routes.hpp) are two of them.
///
/// Thread-safety: a Router's route() and failure() are called from the server's I/O threads, many
/// at once; a Call's `run` on a worker thread. Requests are views valid during route() only.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <stategraph/run_config.hpp>

#include "sse_writer.hpp"

namespace sg::server {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// What a route needs of an HTTP request (views into it, valid during route()).
struct HttpRequest {
  std::string_view method;          ///< "GET", "POST", ...
  std::string_view target;          ///< "/chat/abc/history?x=1" (path and query, as sent)
  std::string_view body;
  std::string_view authorization;   ///< the Authorization header ("" when absent)
  std::string_view thread_header;   ///< the X-Thread-Id header ("" when absent)
  std::string_view host;            ///< the Host header ("" when absent)
  std::string_view origin;          ///< the Origin header ("" when absent)
  std::string_view content_type;    ///< the Content-Type header ("" when absent)
  std::string_view local_address;   ///< the server address the client connected to ("" when unknown)
  std::string_view api_key;         ///< the X-Api-Key header ("" when absent; the LangGraph SDK sends it)
  std::string_view last_event_id;   ///< the Last-Event-ID header ("" when absent; SSE reconnects)
};

/// A complete response.
struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  HttpHeaders headers;  ///< extra headers (Allow, WWW-Authenticate, Content-Location, ...)
  /// For the server log only, never sent: the detail of a 500 whose body says only "internal
  /// error"; "" otherwise.
  std::string log;
};

/// Work for a worker thread: a run, a read, a delete.
struct HttpCall {
  /// Calls with the same non-empty key run one after another, in arrival order ("" for calls
  /// that may run at once).
  std::string session;
  /// A read: it runs on the server's read workers, never behind the other calls.
  bool read_only = false;
  /// Whether `run` streams its body through the ResponseStream (text/event-stream).
  bool streaming = false;
  /// Extra headers of the streamed response's head.
  HttpHeaders stream_headers;
  /// Runs the call (blocking). `stream` is non-null exactly when `streaming`; once the stream
  /// has started, the returned response is ignored. `cancel` is cancelled when the server stops.
  /// Never throws: failures become error responses or error events.
  std::function<HttpResponse(ResponseStream* stream, const sg::CancellationToken& cancel)> run;
};

/// Failures the server meets before a route sees the request.
enum class HttpFailure {
  bad_request,             ///< a malformed request head or chunked body (400)
  head_too_large,          ///< the request head is over the server's limit (431)
  body_too_large,          ///< the body is over ServerOptions::max_body_bytes (413)
  internal,                ///< a call threw (a bug; 500)
  stopping,                ///< the server is stopping (503)
  host_not_allowed,        ///< RequestGuard: the Host is not a name of this server (403)
  cross_origin,            ///< RequestGuard: the Origin is another site's (403)
  unsupported_media_type,  ///< RequestGuard: a body not declared as JSON (415)
};

/// An application's routes.
///
/// Several routers can share one server (sg::AgentServer: an application's routes, then the Agent
/// Server API's): each request has one owner, the first router that owns() its method and path,
/// which answers it and its failures.
class Router {
 public:
  virtual ~Router() = default;
  /// Whether `method` on `path` (a target's path, without the query) is one of this router's
  /// routes: its owner answers the request, a 404 or 405 included. Default: every request.
  [[nodiscard]] virtual bool owns(std::string_view method, std::string_view path) const {
    (void)method;
    (void)path;
    return true;
  }
  /// The answer to `request`, or the call that will produce it. Must not throw.
  [[nodiscard]] virtual std::variant<HttpResponse, HttpCall> route(const HttpRequest& request) const = 0;
  /// The application's error response for a failure of the server itself or a refusal of the
  /// RequestGuard (in its error shape and with its ids, the status of its table; the server sets
  /// the status of head_too_large to 431). `request` holds what was read of the request: empty
  /// views when the head could not be read, an empty body when the body was not read.
  [[nodiscard]] virtual HttpResponse failure(HttpFailure kind, std::string_view message,
                                             const HttpRequest& request) const = 0;
};

}  // namespace sg::server

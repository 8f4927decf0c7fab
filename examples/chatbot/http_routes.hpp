#pragma once
/// @file
/// The routes of sg-chatbot's HTTP server (see http_server.hpp for the API), free of sockets: a
/// request goes in; out comes either an answer at once (the page, a 401, a 404, a malformed body)
/// or a call to run on a worker thread (anything that touches the model or the checkpoint
/// store), which the server runs, serialised with the other calls of its session.
///
/// Thread-safety: ApiRoutes is immutable after construction; route() and the calls it returns
/// may run on any threads at once (the Chatbot is thread-safe).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <stategraph/run_config.hpp>

#include "chatbot.hpp"
#include "chatbot_error.hpp"
#include "agent_server/http_types.hpp"

namespace sg::chatbot {

using sg::server::HttpHeaders;
using sg::server::kSseDone;
using sg::server::ResponseStream;
using sg::server::sse_event;
/// The chatbot routes' names for the server's request, response and call (http_types.hpp).
using ApiRequest = sg::server::HttpRequest;
using ApiResponse = sg::server::HttpResponse;
using ApiCall = sg::server::HttpCall;

/// The HTTP status of an sg.chatbot.8xx id (kChatbotErrorTable in chatbot_error.hpp); 500 for any
/// other id.
unsigned http_status(std::string_view error_id);

/// `{"error": {"id", "message"}}` with the id's status; with `openai`, OpenAI's error object
/// (openai_error_json), which also carries the id. A 500 (a store failure, a bug) is the
/// server's problem and its message may hold paths, SQL or connection details: the body then
/// says only "internal error; see the server log (<id>, ref <8 hex digits>)" and `log` holds
/// "[<id>] ref <same>: <message>" for the server to log. Reentrant.
ApiResponse error_response(std::string_view id, std::string_view message, bool openai = false);
/// The same for one of sg-chatbot's own ids.
ApiResponse error_response(ChatbotErrorId id, std::string_view message, bool openai = false);

class ApiRoutes final : public sg::server::Router {
 public:
  /// @param bot must outlive the routes and the calls they return.
  /// @param token when not empty, every route but the page needs "Authorization: Bearer <token>".
  ApiRoutes(Chatbot& bot, std::string token);

  /// The chatbot's paths: /, /index.html, /chat and /chat/..., /v1/..., and GET /threads (the
  /// other methods on /threads are the Agent Server API's: POST /threads creates a thread).
  [[nodiscard]] bool owns(std::string_view method, std::string_view path) const override;
  /// The answer to `request`, or the call that will produce it (the server's RequestGuard has
  /// passed its Host and Origin: agent_server/request_guard.hpp). A body on a JSON route (POST
  /// /chat, /chat/stream, /v1/chat/completions) needs Content-Type application/json (415
  /// sg.chatbot.814).
  [[nodiscard]] std::variant<ApiResponse, ApiCall> route(const ApiRequest& request) const override;
  /// The server's own failures and the RequestGuard's refusals as sg-chatbot errors (under /v1
  /// in OpenAI's error object): bad_request 807, head/body too large 808, internal 812,
  /// stopping 813, unsupported_media_type 814, cross_origin 815, host_not_allowed 816.
  [[nodiscard]] ApiResponse failure(sg::server::HttpFailure kind, std::string_view message,
                                    const ApiRequest& request) const override;

 private:
  [[nodiscard]] bool authorized(std::string_view authorization) const noexcept;
  [[nodiscard]] ApiCall chat(std::string_view body, bool stream) const;
  [[nodiscard]] ApiCall completions(const ApiRequest& request) const;
  [[nodiscard]] ApiCall history(std::string thread_id) const;
  [[nodiscard]] ApiCall erase(std::string thread_id) const;
  [[nodiscard]] ApiCall threads(std::string_view query) const;
  [[nodiscard]] ApiResponse models() const;

  Chatbot* bot_;
  std::string token_;
};

}  // namespace sg::chatbot

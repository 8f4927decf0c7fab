#pragma once
/// @file
/// sg::server::AgentRoutes: the Agent Server API's routes (LangGraph: langgraph-api api/*.mjs,
/// the subset @langchain/langgraph-sdk's Client and useStream call) as a Router for HttpServer.
///
///   GET  /ok, /info; GET /, /ui/... (the web page: web_page.hpp)
///   POST /assistants/search; GET /assistants/{id}[/graph|/schemas|/subgraphs]
///   POST /threads, /threads/search; GET|PATCH|DELETE /threads/{id}; POST /threads/{id}/copy
///   GET  /threads/{id}/state[/{checkpoint_id}]; POST /threads/{id}/state[/checkpoint]
///   GET|POST /threads/{id}/history
///   POST /threads/{id}/runs[/stream|/wait]; GET /threads/{id}/runs
///   GET|DELETE /threads/{id}/runs/{run_id}; GET .../join, .../stream; POST .../cancel
///   POST /runs[/stream|/wait] (stateless: a temporary thread); GET /runs/{run_id}/stream
/// Any other route of the API answers 501 [sg.server.907]; an unknown path 404 [sg.server.903].
/// An assistant is a served graph: its assistant_id is assistant_id_for(graph id) (LangGraph's
/// UUID v5); the graph id is accepted wherever an assistant id is.
///
/// Errors: `{"detail": message, "error": {"id", "message"}}` with server_error.hpp's status. A
/// 500 says only "internal error" with a ref; the detail goes to the server log.
/// With an API key, every route but /ok and the web page needs it (X-Api-Key, or Authorization:
/// Bearer). A body needs Content-Type application/json (415 [sg.server.913]); the server refuses a
/// foreign Origin (403 [sg.server.914]) and a Host that is not its own (403 [sg.server.915])
/// before routing (request_guard.hpp).
///
/// Thread-safety: immutable after construction; route() from any threads at once.

#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "agent_server/http_types.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/server_error.hpp"

namespace sg::server {

/// The API's error response for `id` (see the file comment); a 500's `message` goes to the log.
[[nodiscard]] HttpResponse agent_error(AgentServerErrorId id, std::string_view message);
/// The error response for an exception thrown by a graph, a saver or the RunManager: its sg id
/// decides (sg.state.501, sg.update.2xx → 422; sg.run.307 → 404; sg.saver.404 → 422 busy;
/// RunRejected → its id; anything else → 500).
[[nodiscard]] HttpResponse agent_error(const std::exception& e);
/// A JSON response with status 200 (or `status`).
[[nodiscard]] HttpResponse json_response(const nlohmann::json& body, unsigned status = 200);

class AgentRoutes final : public Router {
 public:
  /// @param manager must outlive the routes and their calls.
  /// @param api_key when not empty, every route but /ok and the web page (/, /ui/...) needs it.
  AgentRoutes(RunManager& manager, std::string api_key);

  /// The API's paths: the web page (/, /index.html, /ui/...), /ok, /info, /assistants...,
  /// /threads..., /runs..., and /store, /mcp, /a2a (501); any method. (On a server that also
  /// serves an application's routes, those come first.)
  [[nodiscard]] bool owns(std::string_view method, std::string_view path) const override;
  [[nodiscard]] std::variant<HttpResponse, HttpCall> route(const HttpRequest& request) const override;
  /// The server's failures and the RequestGuard's refusals as the API's errors: bad_request 901,
  /// head/body too large 910, internal 908, stopping 909, unsupported_media_type 913,
  /// cross_origin 914, host_not_allowed 915.
  [[nodiscard]] HttpResponse failure(HttpFailure kind, std::string_view message, const HttpRequest& request) const override;

 private:
  [[nodiscard]] std::variant<HttpResponse, HttpCall> assistants(const HttpRequest& request,
                                                                const std::vector<std::string>& path,
                                                                const nlohmann::json& body) const;
  [[nodiscard]] std::variant<HttpResponse, HttpCall> threads(const HttpRequest& request,
                                                             const std::vector<std::string>& path,
                                                             const nlohmann::json& body) const;
  [[nodiscard]] std::variant<HttpResponse, HttpCall> thread_state(const HttpRequest& request,
                                                                  const std::string& thread_id,
                                                                  const std::vector<std::string>& path,
                                                                  const nlohmann::json& body) const;
  [[nodiscard]] std::variant<HttpResponse, HttpCall> runs(const HttpRequest& request, const std::string& thread_id,
                                                          const std::vector<std::string>& rest,
                                                          const nlohmann::json& body) const;
  /// POST /runs/batch: an array of stateless background runs, created in order (201-style run
  /// objects, in order); the first refused ends the batch with its error.
  [[nodiscard]] std::variant<HttpResponse, HttpCall> batch_runs(const nlohmann::json& body) const;
  /// POST /runs/cancel?action=interrupt|rollback: {run_ids, thread_id?} (each must exist: else
  /// 404 and none is cancelled) or {status: pending|running|all, thread_id?}; 204.
  [[nodiscard]] std::variant<HttpResponse, HttpCall> cancel_runs(const nlohmann::json& body,
                                                                 const std::map<std::string, std::string>& query) const;
  /// The API's Thread object (status, values and interrupts read from the saver).
  [[nodiscard]] nlohmann::json thread_json(const ThreadRecord& record) const;
  /// A streaming call that writes the run's events from `from` on.
  [[nodiscard]] HttpCall stream_call(std::string run_id, std::uint64_t from, bool cancel_on_disconnect,
                                     HttpHeaders headers) const;

  /// The graph id an assistant id (its UUID or the graph id itself) names; unknown ids as given.
  [[nodiscard]] std::string graph_of_assistant(const std::string& assistant_id) const;

  RunManager* manager_;
  std::string api_key_;
};

/// The API's Run object.
[[nodiscard]] nlohmann::json run_json(const RunRecord& run);
/// The API's Assistant object for a served graph.
[[nodiscard]] nlohmann::json assistant_json(const std::string& graph_id);

}  // namespace sg::server

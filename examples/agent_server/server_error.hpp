#pragma once
/// @file
/// sg::AgentServer's error ids (sg.server.9xx): every error response carries one, with the
/// table's HTTP status, as `{"detail": <message>, "error": {"id", "message"}}` — "detail" is the
/// field the Agent Server API's clients read; "error" is this project's shape. The ids are data,
/// as the library's are (stategraph/checkpoint/error_id.hpp): AgentServerErrorId names one in
/// code, kAgentServerErrorTable gives its text and status, and README.md's table under
/// "Serving a graph" is checked against it (tests/agent_server).
///
/// Thread-safety: constants and pure functions.

#include <string>
#include <string_view>

namespace sg::server {

enum class AgentServerErrorId : int {
  bad_request = 901,
  invalid_request = 902,
  not_found = 903,
  already_exists = 904,
  thread_busy = 905,
  unauthorized = 906,
  not_implemented = 907,
  internal_error = 908,
  stopping = 909,
  body_too_large = 910,
  bad_configuration = 911,
  run_failed = 912,
  unsupported_media_type = 913,
  cross_origin = 914,
  host_not_allowed = 915,
  store_unavailable = 920,
};

struct AgentServerErrorInfo {
  AgentServerErrorId id;
  std::string_view code;  ///< "sg.server.9xx"
  unsigned http_status;   ///< 0: not an HTTP answer
  std::string_view meaning;
};

inline constexpr AgentServerErrorInfo kAgentServerErrorTable[] = {
    {AgentServerErrorId::bad_request, "sg.server.901", 400, "a malformed request: bad JSON, a bad %-escape, a malformed HTTP head or chunked body"},
    {AgentServerErrorId::invalid_request, "sg.server.902", 422,
     "a well-formed request with a field of the wrong type or outside its values (stream_mode, multitask_strategy, an input that does not convert to the graph's state)"},
    {AgentServerErrorId::not_found, "sg.server.903", 404, "no such route, assistant, thread, run or checkpoint (405 for a known route with another method)"},
    {AgentServerErrorId::already_exists, "sg.server.904", 409, "a thread with this id exists (POST /threads with if_exists \"raise\")"},
    {AgentServerErrorId::thread_busy, "sg.server.905", 422,
     "the thread has a run pending or running and the new run's multitask_strategy is \"reject\", or a state update met a running run"},
    {AgentServerErrorId::unauthorized, "sg.server.906", 401, "missing or wrong API key (X-Api-Key or Authorization: Bearer)"},
    {AgentServerErrorId::not_implemented, "sg.server.907", 501, "a route of the Agent Server API that this server does not implement (crons, store, ...)"},
    {AgentServerErrorId::internal_error, "sg.server.908", 500, "an unexpected server error or a store failure (detail in the server log under the answer's ref)"},
    {AgentServerErrorId::stopping, "sg.server.909", 503, "the server is stopping"},
    {AgentServerErrorId::body_too_large, "sg.server.910", 413, "the request body (or head: 431) is over the limit"},
    {AgentServerErrorId::bad_configuration, "sg.server.911", 0,
     "invalid server configuration: an address that cannot be bound, a graph without a checkpointer, two graphs with one id"},
    {AgentServerErrorId::run_failed, "sg.server.912", 0,
     "not an HTTP status: the id of a run's \"error\" event when the graph failed with an exception that carries no sg id"},
    {AgentServerErrorId::unsupported_media_type, "sg.server.913", 415,
     "a request body that is not declared as JSON (Content-Type: application/json; a charset=utf-8 parameter is allowed)"},
    {AgentServerErrorId::cross_origin, "sg.server.914", 403,
     "the Origin header names another site than this server (a cross-site request from a page elsewhere)"},
    {AgentServerErrorId::host_not_allowed, "sg.server.915", 403,
     "the Host header is not a loopback name, an --allow-host name or the server's own address (DNS rebinding)"},
    {AgentServerErrorId::store_unavailable, "sg.server.920", 503,
     "the store (SQLite file or Postgres) cannot be reached or stayed busy [sg.saver.401]: nothing was changed; retry"},
};

/// The row of `id`.
[[nodiscard]] constexpr const AgentServerErrorInfo& agent_server_error_info(AgentServerErrorId id) {
  for (const AgentServerErrorInfo& row : kAgentServerErrorTable)
    if (row.id == id) return row;
  return kAgentServerErrorTable[0];
}

/// "sg.server.9xx".
[[nodiscard]] inline std::string agent_server_error_code(AgentServerErrorId id) {
  return std::string(agent_server_error_info(id).code);
}

}  // namespace sg::server

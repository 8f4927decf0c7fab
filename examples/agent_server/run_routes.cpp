// AgentRoutes' run routes (agent_routes.hpp): create (background, stream, wait), a batch of
// stateless runs, list, get, delete, join, join a stream, cancel one or many (LangGraph:
// langgraph-api api/runs.mjs).
#include <algorithm>
#include <thread>

#include "agent_server/agent_routes.hpp"
#include "agent_server/json_text.hpp"
#include "agent_server/url.hpp"

namespace sg::server {
namespace {

std::string sse(const RunEvent& e) {
  std::string out = "event: " + e.event + "\ndata: ";
  out += json_text(e.data.get());
  out += "\nid: " + std::to_string(e.id) + "\n\n";
  return out;
}

}  // namespace

nlohmann::json run_json(const RunRecord& run) {
  return {{"run_id", run.run_id},
          {"thread_id", run.thread_id},
          {"assistant_id", run.assistant_id},
          {"created_at", run.created_at},
          {"updated_at", run.updated_at},
          {"status", run.status},
          {"metadata", run.metadata},
          {"kwargs", run.kwargs},
          {"multitask_strategy", run.multitask_strategy}};
}

HttpCall AgentRoutes::stream_call(std::string run_id, std::uint64_t from, bool cancel_on_disconnect,
                                  HttpHeaders headers) const {
  HttpCall call;
  call.streaming = true;
  call.stream_headers = std::move(headers);
  RunManager* m = manager_;
  call.run = [m, run_id = std::move(run_id), from, cancel_on_disconnect](ResponseStream* out,
                                                                         const sg::CancellationToken& cancel) {
    std::uint64_t next = from;
    // Held while this stream reads (taken once the run is in this process's memory): the run's
    // events are freed when its last stream is done, unless it is stream_resumable.
    RunManager::StreamHold hold;
    try {
      for (;;) {
        if (!hold) hold = m->hold_stream(run_id);
        auto batch = m->events(run_id, next, std::chrono::milliseconds(1000));
        if (!batch.found) {
          if (!out->started()) return agent_error(AgentServerErrorId::not_found, "run " + run_id + " not found");
          break;
        }
        std::string bytes;
        for (const auto& e : batch.events) {
          bytes += sse(e);
          next = e.id + 1;
        }
        if (!bytes.empty()) out->write(bytes);
        if (batch.done) break;
        if (cancel.cancelled()) break;  // the server is stopping
        if (batch.events.empty()) out->write(": heartbeat\n\n");
      }
      if (!out->started()) out->write(": end\n\n");
    } catch (const ClientGone&) {
      if (cancel_on_disconnect) m->cancel_run(run_id, "interrupt");
    }
    return HttpResponse{};
  };
  return call;
}

std::variant<HttpResponse, HttpCall> AgentRoutes::batch_runs(const nlohmann::json& body) const {
  if (!body.is_array()) return agent_error(AgentServerErrorId::invalid_request, "a batch is an array of runs");
  std::vector<std::pair<std::string, nlohmann::json>> runs;  // graph id, payload
  for (const auto& payload : body) {
    if (!payload.is_object() || !payload.contains("assistant_id") || !payload["assistant_id"].is_string())
      return agent_error(AgentServerErrorId::invalid_request, "each run of a batch needs \"assistant_id\" (a graph id)");
    runs.emplace_back(graph_of_assistant(payload["assistant_id"].get<std::string>()), payload);
  }
  // Stateless background runs, created in order on a call worker; the first that is refused
  // ends the batch with its error (the ones before it stay created, as LangGraph's do).
  HttpCall call;
  call.run = [&m = *manager_, runs = std::move(runs)](ResponseStream*, const sg::CancellationToken&) {
    try {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& [graph_id, payload] : runs)
        out.push_back(run_json(m.create_run("", graph_id, payload, RunManager::new_id(), false)));
      return json_response(out);
    } catch (const std::exception& e) {
      return agent_error(e);
    }
  };
  return call;
}

std::variant<HttpResponse, HttpCall> AgentRoutes::cancel_runs(const nlohmann::json& body,
                                                              const std::map<std::string, std::string>& query) const {
  const std::string action = query.contains("action") ? query.at("action") : "interrupt";
  if (action != "interrupt" && action != "rollback")
    return agent_error(AgentServerErrorId::invalid_request, "action must be interrupt or rollback");
  if (!body.is_object()) return agent_error(AgentServerErrorId::invalid_request, "the body must be an object");
  const nlohmann::json thread = body.value("thread_id", nlohmann::json());
  const nlohmann::json ids = body.value("run_ids", nlohmann::json());
  const nlohmann::json status = body.value("status", nlohmann::json());
  if (!thread.is_null() && !thread.is_string())
    return agent_error(AgentServerErrorId::invalid_request, "thread_id must be a string");
  if (ids.is_null() == status.is_null())
    return agent_error(AgentServerErrorId::invalid_request, "give either run_ids or status");
  if (!ids.is_null() && (!ids.is_array() || !std::all_of(ids.begin(), ids.end(), [](const auto& i) { return i.is_string(); })))
    return agent_error(AgentServerErrorId::invalid_request, "run_ids must be an array of run ids");
  if (!status.is_null() && status != "pending" && status != "running" && status != "all")
    return agent_error(AgentServerErrorId::invalid_request, "status must be pending, running or all");
  HttpCall call;
  call.run = [&m = *manager_, thread_id = thread.is_string() ? thread.get<std::string>() : std::string(), ids, status,
              action](ResponseStream*, const sg::CancellationToken&) {
    try {
      std::vector<std::string> targets;
      if (ids.is_array()) {
        for (const auto& i : ids) {  // every id must name a run (of the thread, when given) first
          const auto run = m.run(i.get<std::string>());
          if (!run || (!thread_id.empty() && run->thread_id != thread_id))
            return agent_error(AgentServerErrorId::not_found, "run " + i.get<std::string>() + " not found");
          targets.push_back(run->run_id);
        }
      } else {
        targets = m.active_run_ids(thread_id, status.get<std::string>());
      }
      for (const auto& id : targets) m.cancel_run(id, action);
      HttpResponse r;
      r.status = 204;
      return r;
    } catch (const std::exception& e) {
      return agent_error(e);
    }
  };
  return call;
}

std::variant<HttpResponse, HttpCall> AgentRoutes::runs(const HttpRequest& request, const std::string& thread_id,
                                                       const std::vector<std::string>& rest,
                                                       const nlohmann::json& body) const {
  RunManager& m = *manager_;
  const std::string method(request.method);
  const bool stateless = thread_id.empty();
  const auto query = query_params(request.target);
  // Create: POST [/threads/{id}]/runs[/stream|/wait]
  if (method == "POST" && (rest.empty() || (rest.size() == 1 && (rest[0] == "stream" || rest[0] == "wait")))) {
    if (!body.is_object() || !body.contains("assistant_id") || !body["assistant_id"].is_string())
      return agent_error(AgentServerErrorId::invalid_request, "a run needs \"assistant_id\" (a graph id)");
    // The run is admitted on a call worker (the store's round trips stay off the I/O threads);
    // its id is chosen here, for the Content-Location of a stream's head.
    const std::string run_id = RunManager::new_id();
    const std::string graph_id = graph_of_assistant(body["assistant_id"].get<std::string>());
    const bool streamed = !rest.empty() && rest[0] == "stream";
    auto create = [&m, thread_id, graph_id, body, run_id, streamed] {
      return m.create_run(thread_id, graph_id, body, run_id, streamed);
    };
    HttpHeaders headers{{"Content-Location", stateless ? "/runs/" + run_id : "/threads/" + thread_id + "/runs/" + run_id}};
    const bool cancel_on_disconnect = body.value("on_disconnect", "continue") == "cancel";
    if (!rest.empty() && rest[0] == "stream") {
      HttpCall call = stream_call(run_id, 0, cancel_on_disconnect, std::move(headers));
      call.run = [create, stream = std::move(call.run)](ResponseStream* out, const sg::CancellationToken& cancel) {
        try {
          (void)create();
        } catch (const std::exception& e) {
          return agent_error(e);
        }
        return stream(out, cancel);
      };
      return call;
    }
    HttpCall call;
    call.run = [&m, create, headers = std::move(headers), cancel_on_disconnect, background = rest.empty()](
                   ResponseStream*, const sg::CancellationToken& cancel) {
      try {
        const RunRecord run = create();
        HttpResponse r;
        if (background) {
          r = json_response(run_json(run));
        } else {
          auto values = m.wait_text(run.run_id, cancel);
          if (!values) return agent_error(AgentServerErrorId::not_found, "run " + run.run_id + " not found");
          if (cancel.cancelled() && cancel_on_disconnect) m.cancel_run(run.run_id, "interrupt");
          r.body = std::move(*values);
        }
        r.headers = headers;
        return r;
      } catch (const std::exception& e) {
        return agent_error(e);
      }
    };
    return call;
  }
  if (stateless) {  // GET /runs/{run_id}/stream
    if (method == "GET" && rest.size() == 2 && rest[1] == "stream")
      return stream_call(rest[0], 0, query_flag(query, "cancel_on_disconnect"), {});
    if (method == "POST" && rest.size() == 1 && rest[0] == "batch") return batch_runs(body);
    if (method == "POST" && rest.size() == 1 && rest[0] == "cancel") return cancel_runs(body, query);
    return agent_error(AgentServerErrorId::not_found, "no such run route");
  }
  if (!m.thread(thread_id)) return agent_error(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  if (rest.empty() && method == "GET") {
    const std::size_t limit = query_size(query, "limit", 10);
    const std::size_t offset = query_size(query, "offset", 0);
    const std::string status = query.contains("status") ? query.at("status") : "";
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : m.list_runs(thread_id, limit, offset, status)) out.push_back(run_json(r));
    return json_response(out);
  }
  if (rest.empty()) return agent_error(AgentServerErrorId::not_found, "no such run route");
  const std::string run_id = rest[0];
  const auto run = m.run(run_id);
  if (!run || run->thread_id != thread_id) return agent_error(AgentServerErrorId::not_found, "run " + run_id + " not found");
  if (rest.size() == 1) {
    if (method == "GET") return json_response(run_json(*run));
    if (method == "DELETE") {
      m.delete_run(run_id);
      HttpResponse r;
      r.status = 204;
      return r;
    }
  }
  if (rest.size() == 2 && rest[1] == "join" && method == "GET") {
    HttpCall call;
    call.run = [&m, run_id](ResponseStream*, const sg::CancellationToken& cancel) {
      auto values = m.wait_text(run_id, cancel);
      if (!values) return agent_error(AgentServerErrorId::not_found, "run " + run_id + " not found");
      HttpResponse r;
      r.body = std::move(*values);
      return r;
    };
    return call;
  }
  if (rest.size() == 2 && rest[1] == "stream" && method == "GET") {
    std::uint64_t from = 0;
    if (!request.last_event_id.empty()) {
      try {
        from = std::stoull(std::string(request.last_event_id)) + 1;
      } catch (const std::exception&) {
        from = 0;
      }
    }
    return stream_call(run_id, from, query_flag(query, "cancel_on_disconnect"), {});
  }
  if (rest.size() == 2 && rest[1] == "cancel" && method == "POST") {
    const std::string action = query.contains("action") ? query.at("action") : "interrupt";
    if (action != "interrupt" && action != "rollback")
      return agent_error(AgentServerErrorId::invalid_request, "action must be interrupt or rollback");
    const bool wait = query_flag(query, "wait");
    m.cancel_run(run_id, action);
    if (!wait) {
      HttpResponse r;
      r.status = 202;
      return r;
    }
    HttpCall call;
    call.run = [&m, run_id](ResponseStream*, const sg::CancellationToken& cancel) {
      (void)m.wait(run_id, cancel);
      HttpResponse r;
      r.status = 204;
      return r;
    };
    return call;
  }
  return agent_error(AgentServerErrorId::not_found, "no such run route");
}

}  // namespace sg::server

// AgentRoutes (agent_routes.hpp): dispatch, errors, assistants, threads and their state. The
// run routes are in run_routes.cpp.
#include "agent_server/agent_routes.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <random>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/errors.hpp>

#include "agent_server/json_text.hpp"
#include "agent_server/request_guard.hpp"
#include "agent_server/url.hpp"
#include "agent_server/web_page.hpp"

namespace sg::server {
namespace {

std::string new_ref() {
  thread_local std::mt19937 rng{std::random_device{}()};
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rng()));
  return buf;
}

std::size_t size_field(const nlohmann::json& body, const char* name, std::size_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_unsigned()) return fallback;
  return it->get<std::size_t>();
}

/// A read of the store or a graph, on a read worker; errors become responses.
HttpCall read_call(std::function<HttpResponse()> f) {
  HttpCall call;
  call.read_only = true;
  call.run = [f = std::move(f)](ResponseStream*, const sg::CancellationToken&) {
    try {
      return f();
    } catch (const std::exception& e) {
      return agent_error(e);
    }
  };
  return call;
}

/// A write, on a call worker serialised with the other calls on `session`.
HttpCall write_call(std::string session, std::function<HttpResponse()> f) {
  HttpCall call = read_call(std::move(f));
  call.read_only = false;
  call.session = std::move(session);
  return call;
}

nlohmann::json interrupts_by_task(const nlohmann::json& state) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& t : state.value("tasks", nlohmann::json::array()))
    if (!t.value("interrupts", nlohmann::json::array()).empty()) out[t.value("id", "")] = t["interrupts"];
  return out;
}

}  // namespace

HttpResponse json_response(const nlohmann::json& body, unsigned status) {
  HttpResponse r;
  r.status = status;
  r.body = json_text(body);
  return r;
}

HttpResponse agent_error(AgentServerErrorId id, std::string_view message) {
  const AgentServerErrorInfo& info = agent_server_error_info(id);
  const std::string code(info.code);
  std::string shown(message);
  HttpResponse r;
  if (info.http_status == 500 || info.http_status == 0) {
    const std::string ref = new_ref();
    r.log = "[" + code + "] ref " + ref + ": " + std::string(message);
    shown = "internal error; see the server log (" + code + ", ref " + ref + ")";
  }
  r.status = info.http_status == 0 ? 500 : info.http_status;
  r.body = json_text({{"detail", shown}, {"error", {{"id", code}, {"message", shown}}}});
  return r;
}

HttpResponse agent_error(const std::exception& e) {
  if (const auto* rejected = dynamic_cast<const RunRejected*>(&e)) return agent_error(rejected->id(), e.what());
  if (const auto* error = dynamic_cast<const sg::Error*>(&e)) {
    const auto id = error->error_id();
    if (id) {
      const int n = static_cast<int>(*id);
      if (n == static_cast<int>(ErrorId::run_unknown_checkpoint)) return agent_error(AgentServerErrorId::not_found, e.what());
      if (n == static_cast<int>(ErrorId::saver_thread_busy)) return agent_error(AgentServerErrorId::thread_busy, e.what());
      if (n == static_cast<int>(ErrorId::saver_unavailable)) return agent_error(AgentServerErrorId::store_unavailable, e.what());
      if ((n >= 200 && n < 300) || n == static_cast<int>(ErrorId::state_value_does_not_convert) ||
          n == static_cast<int>(ErrorId::run_invalid_option) || n == static_cast<int>(ErrorId::run_nothing_to_resume) ||
          n == static_cast<int>(ErrorId::run_resume_without_interrupt) ||
          n == static_cast<int>(ErrorId::run_unknown_subgraph_namespace) || n == static_cast<int>(ErrorId::nodes_not_a_message))
        return agent_error(AgentServerErrorId::invalid_request, e.what());
    }
  }
  return agent_error(AgentServerErrorId::internal_error, e.what());
}

nlohmann::json assistant_json(const std::string& graph_id) {
  return {{"assistant_id", assistant_id_for(graph_id)}, {"graph_id", graph_id},
          {"name", graph_id},           {"description", nullptr},
          {"config", nlohmann::json::object()}, {"context", nlohmann::json::object()},
          {"metadata", {{"created_by", "system"}}}, {"version", 1},
          {"created_at", "1970-01-01T00:00:00.000+00:00"}, {"updated_at", "1970-01-01T00:00:00.000+00:00"}};
}

std::string AgentRoutes::graph_of_assistant(const std::string& assistant_id) const {
  for (const auto& [graph_id, graph] : manager_->graphs())
    if (assistant_id == graph_id || assistant_id == assistant_id_for(graph_id)) return graph_id;
  return assistant_id;
}

AgentRoutes::AgentRoutes(RunManager& manager, std::string api_key) : manager_(&manager), api_key_(std::move(api_key)) {}

bool AgentRoutes::owns(std::string_view /*method*/, std::string_view path) const {
  // "", "index.html", "ui": the web page (an application's own "/" comes first: sg-chatbot's page).
  static constexpr std::string_view kHeads[] = {"",        "index.html", "ui",    "ok",  "info", "assistants",
                                                "threads", "runs",       "store", "mcp", "a2a"};
  if (path.empty() || path.front() != '/') return false;
  std::string_view head = path.substr(1);
  head = head.substr(0, head.find('/'));
  return std::find(std::begin(kHeads), std::end(kHeads), head) != std::end(kHeads);
}

HttpResponse AgentRoutes::failure(HttpFailure kind, std::string_view message, const HttpRequest& /*request*/) const {
  switch (kind) {
    case HttpFailure::unsupported_media_type: return agent_error(AgentServerErrorId::unsupported_media_type, message);
    case HttpFailure::cross_origin: return agent_error(AgentServerErrorId::cross_origin, message);
    case HttpFailure::host_not_allowed: return agent_error(AgentServerErrorId::host_not_allowed, message);
    case HttpFailure::bad_request: return agent_error(AgentServerErrorId::bad_request, message);
    case HttpFailure::head_too_large:
    case HttpFailure::body_too_large: return agent_error(AgentServerErrorId::body_too_large, message);
    case HttpFailure::stopping: return agent_error(AgentServerErrorId::stopping, message);
    case HttpFailure::internal: break;
  }
  return agent_error(AgentServerErrorId::internal_error, message);
}

std::variant<HttpResponse, HttpCall> AgentRoutes::route(const HttpRequest& request) const {
  try {
    const auto path = path_segments(request.target);
    if (!path) return agent_error(AgentServerErrorId::bad_request, "a bad %-escape in the path");
    const std::string method(request.method);
    if (path->size() == 1 && (*path)[0] == "ok") return json_response({{"ok", true}});
    // The page is public, as /ok is: the key gates the API calls it makes.
    if (auto page = web_page_response(request.method, request.target)) return std::move(*page);
    if (!api_key_.empty()) {
      const bool key_ok = request.api_key == api_key_ || request.authorization == "Bearer " + api_key_;
      if (!key_ok) return agent_error(AgentServerErrorId::unauthorized, "missing or wrong API key (X-Api-Key)");
    }
    if (path->size() == 1 && (*path)[0] == "info")
      return json_response({{"version", "stategraph"},
                            {"flags", {{"assistants", true}, {"crons", false}, {"langsmith", false}}}});
    nlohmann::json body = nlohmann::json::object();
    if (auto refusal = check_json_body(request)) return failure(refusal->kind, refusal->message, request);
    if (!request.body.empty()) {
      body = nlohmann::json::parse(request.body, nullptr, false);
      if (body.is_discarded()) return agent_error(AgentServerErrorId::bad_request, "the request body is not valid JSON");
    }
    if (path->empty()) return agent_error(AgentServerErrorId::not_found, "no route for /");
    const std::string& head = (*path)[0];
    if (head == "assistants") return assistants(request, *path, body);
    if (head == "threads") return threads(request, *path, body);
    if (head == "runs") {
      if (path->size() >= 2 && (*path)[1] == "crons") return agent_error(AgentServerErrorId::not_implemented, "crons are not implemented");
      return runs(request, "", std::vector<std::string>(path->begin() + 1, path->end()), body);
    }
    if (head == "store" || head == "mcp" || head == "a2a")
      return agent_error(AgentServerErrorId::not_implemented, "/" + head + " is not implemented");
    return agent_error(AgentServerErrorId::not_found, "no route " + method + " " + std::string(path_of(request.target)));
  } catch (const std::exception& e) {
    return agent_error(e);
  }
}

std::variant<HttpResponse, HttpCall> AgentRoutes::assistants(const HttpRequest& request,
                                                             const std::vector<std::string>& path,
                                                             const nlohmann::json& body) const {
  const auto& graphs = manager_->graphs();
  if (path.size() == 2 && path[1] == "search" && request.method == "POST") {
    const std::string graph_id = body.value("graph_id", "");
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, graph] : graphs)
      if (graph_id.empty() || graph_id == id) out.push_back(assistant_json(id));
    const std::size_t offset = size_field(body, "offset", 0);
    const std::size_t limit = size_field(body, "limit", 10);
    nlohmann::json page = nlohmann::json::array();
    for (std::size_t i = offset; i < out.size() && page.size() < limit; ++i) page.push_back(out[i]);
    return json_response(page);
  }
  if (path.size() == 2 && path[1] == "count" && request.method == "POST") return json_response(graphs.size());
  if (path.size() < 2) return agent_error(AgentServerErrorId::not_implemented, "creating assistants is not implemented");
  auto it = graphs.find(graph_of_assistant(path[1]));
  if (it == graphs.end()) return agent_error(AgentServerErrorId::not_found, "no assistant \"" + path[1] + "\"");
  const auto& graph = it->second;
  const auto query = query_params(request.target);
  if (request.method != "GET") return agent_error(AgentServerErrorId::not_implemented, "changing assistants is not implemented");
  if (path.size() == 2) return json_response(assistant_json(it->first));
  if (path.size() == 3 && path[2] == "graph") return json_response(graph->graph_json(query_flag(query, "xray")));
  if (path.size() == 3 && path[2] == "schemas") {
    const nlohmann::json state = graph->state_schema();
    return json_response({{"graph_id", it->first},
                          {"input_schema", state},
                          {"output_schema", state},
                          {"state_schema", state},
                          {"config_schema", nullptr},
                          {"context_schema", nullptr}});
  }
  if (path.size() >= 3 && path[2] == "subgraphs") return json_response(nlohmann::json::object());
  return agent_error(AgentServerErrorId::not_implemented, "this assistant route is not implemented");
}

nlohmann::json AgentRoutes::thread_json(const ThreadRecord& record) const {
  auto graph = manager_->graph_of(record);
  std::optional<nlohmann::json> state;
  if (graph) state = graph->state({.thread_id = record.thread_id}, false);
  const std::string status = manager_->thread_status(record, state);
  nlohmann::json out{{"thread_id", record.thread_id},
                     {"created_at", record.created_at},
                     {"updated_at", record.updated_at},
                     {"state_updated_at", state ? (*state)["created_at"] : nlohmann::json(record.updated_at)},
                     {"metadata", record.metadata},
                     {"status", status},
                     {"values", state ? (*state)["values"] : nlohmann::json()},
                     {"interrupts", state ? interrupts_by_task(*state) : nlohmann::json::object()},
                     {"config", nlohmann::json::object()}};
  if (record.failed) out["error"] = record.error;
  return out;
}

std::variant<HttpResponse, HttpCall> AgentRoutes::threads(const HttpRequest& request,
                                                          const std::vector<std::string>& path,
                                                          const nlohmann::json& body) const {
  const std::string_view method = request.method;
  RunManager& m = *manager_;
  if (path.size() == 1 && method == "POST") {
    if (!body.is_object()) return agent_error(AgentServerErrorId::invalid_request, "the body must be an object");
    const std::string thread_id = body.value("thread_id", "");
    const std::string if_exists = body.value("if_exists", "raise");
    const nlohmann::json metadata = body.value("metadata", nlohmann::json::object());
    return write_call(thread_id, [this, &m, thread_id, if_exists, metadata] {
      return json_response(thread_json(m.create_thread(thread_id, metadata, if_exists)));
    });
  }
  if (path.size() == 2 && path[1] == "search" && method == "POST") {
    const nlohmann::json metadata = body.value("metadata", nlohmann::json::object());
    const std::string status = body.value("status", "");
    const std::size_t limit = size_field(body, "limit", 10);
    const std::size_t offset = size_field(body, "offset", 0);
    return read_call([this, &m, metadata, status, limit, offset] {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& t : m.search_threads(metadata, status, limit, offset)) out.push_back(thread_json(t));
      return json_response(out);
    });
  }
  if (path.size() == 2 && path[1] == "count" && method == "POST") {
    const nlohmann::json metadata = body.value("metadata", nlohmann::json::object());
    const std::string status = body.value("status", "");
    return read_call([&m, metadata, status] {
      return json_response(m.search_threads(metadata, status, SIZE_MAX, 0).size());
    });
  }
  if (path.size() < 2) return agent_error(AgentServerErrorId::not_found, "no such thread route");
  const std::string thread_id = path[1];
  if (path.size() == 2) {
    if (method == "GET")
      return read_call([this, &m, thread_id] {
        auto t = m.thread(thread_id);
        if (!t) return agent_error(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
        return json_response(thread_json(*t));
      });
    if (method == "PATCH") {
      const nlohmann::json metadata = body.value("metadata", nlohmann::json::object());
      return write_call(thread_id, [this, &m, thread_id, metadata] {
        return json_response(thread_json(m.patch_thread(thread_id, metadata)));
      });
    }
    if (method == "DELETE")
      return write_call(thread_id, [&m, thread_id] {
        if (!m.delete_thread(thread_id)) return agent_error(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
        HttpResponse r;
        r.status = 204;
        return r;
      });
    return agent_error(AgentServerErrorId::not_found, "no route " + std::string(method) + " /threads/{thread_id}");
  }
  const std::string& what = path[2];
  if (what == "copy" && method == "POST")
    return write_call(thread_id, [this, &m, thread_id] { return json_response(thread_json(m.copy_thread(thread_id))); });
  if (what == "state" || what == "history") return thread_state(request, thread_id, path, body);
  if (what == "runs") return runs(request, thread_id, std::vector<std::string>(path.begin() + 3, path.end()), body);
  if (what == "stream") return agent_error(AgentServerErrorId::not_implemented, "joining a thread's stream is not implemented");
  return agent_error(AgentServerErrorId::not_found, "no such thread route");
}

std::variant<HttpResponse, HttpCall> AgentRoutes::thread_state(const HttpRequest& request, const std::string& thread_id,
                                                               const std::vector<std::string>& path,
                                                               const nlohmann::json& body) const {
  RunManager& m = *manager_;
  const std::string method(request.method);
  const auto query = query_params(request.target);
  auto graph_for = [&m, thread_id]() -> std::shared_ptr<const ServedGraph> {
    auto t = m.thread(thread_id);
    if (!t) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
    return m.graph_of(*t);  // null: no run on the thread yet
  };
  const nlohmann::json empty_state{{"values", nlohmann::json::object()}, {"next", nlohmann::json::array()},
                                   {"tasks", nlohmann::json::array()}, {"metadata", nlohmann::json::object()},
                                   {"created_at", nullptr}, {"checkpoint", nullptr}, {"parent_checkpoint", nullptr},
                                   {"interrupts", nlohmann::json::array()}};
  if (path[2] == "history") {
    ListOptions options;
    options.limit = method == "GET" ? query_size(query, "limit", 10) : size_field(body, "limit", 10);
    std::string before = method == "GET" ? (query.contains("before") ? query.at("before") : "") : "";
    std::string ns;
    if (method == "POST") {
      if (auto b = body.find("before"); b != body.end()) {
        if (b->is_string()) before = b->get<std::string>();
        else if (b->is_object()) {  // a checkpoint, or a config {configurable: {checkpoint_id}}
          const nlohmann::json& c = b->contains("configurable") ? (*b)["configurable"] : *b;
          if (c.is_object()) before = c.value("checkpoint_id", "");
        }
      }
      if (auto f = body.find("metadata"); f != body.end() && f->is_object()) options.filter = *f;
      if (auto c = body.find("checkpoint"); c != body.end() && c->is_object()) ns = c->value("checkpoint_ns", "");
    }
    if (!before.empty()) options.before = before;
    return read_call([graph_for, thread_id, options, ns] {
      auto graph = graph_for();
      if (!graph) return json_response(nlohmann::json::array());
      return json_response(graph->history({.thread_id = thread_id, .checkpoint_ns = ns}, options));
    });
  }
  // /state
  if (method == "GET" || (method == "POST" && path.size() == 4 && path[3] == "checkpoint")) {
    RunConfig config{.thread_id = thread_id};
    bool subgraphs = query_flag(query, "subgraphs");
    if (path.size() == 4 && path[3] != "checkpoint") config.checkpoint_id = path[3];
    if (method == "POST") {
      const nlohmann::json c = body.value("checkpoint", nlohmann::json::object());
      if (c.contains("checkpoint_id") && c["checkpoint_id"].is_string()) config.checkpoint_id = c["checkpoint_id"].get<std::string>();
      config.checkpoint_ns = c.value("checkpoint_ns", "");
      subgraphs = body.value("subgraphs", false);
    }
    return read_call([graph_for, thread_id, config, subgraphs, empty_state] {
      auto graph = graph_for();
      // A thread without checkpoints: an empty state, as LangGraph shows a new thread.
      if (!graph) return json_response(empty_state);
      auto state = graph->state(config, subgraphs);
      if (!state) {
        if (config.checkpoint_id) return agent_error(AgentServerErrorId::not_found, "checkpoint " + *config.checkpoint_id + " not found");
        return json_response(empty_state);
      }
      return json_response(*state);
    });
  }
  if (method == "POST" && path.size() == 3) {  // update_state
    RunConfig config{.thread_id = thread_id};
    const nlohmann::json checkpoint = body.value("checkpoint", nlohmann::json::object());
    if (checkpoint.is_object() && checkpoint.contains("checkpoint_id") && checkpoint["checkpoint_id"].is_string())
      config.checkpoint_id = checkpoint["checkpoint_id"].get<std::string>();
    if (auto id = body.find("checkpoint_id"); id != body.end() && id->is_string()) config.checkpoint_id = id->get<std::string>();
    if (checkpoint.is_object()) config.checkpoint_ns = checkpoint.value("checkpoint_ns", "");
    config.thread_lock_wait = std::chrono::milliseconds(0);
    const nlohmann::json values = body.value("values", nlohmann::json());
    std::optional<std::string> as_node;
    if (auto a = body.find("as_node"); a != body.end() && a->is_string()) as_node = a->get<std::string>();
    return write_call(thread_id, [&m, graph_for, thread_id, config, values, as_node] {
      if (m.busy(thread_id))
        return agent_error(AgentServerErrorId::thread_busy, "thread " + thread_id + " has a run in progress");
      auto graph = graph_for();
      if (!graph) return agent_error(AgentServerErrorId::invalid_request, "thread " + thread_id + " has had no run: which graph's state to update is not known");
      const CheckpointConfig written = graph->update_state(config, values, as_node);
      return json_response({{"checkpoint", checkpoint_json(written)}});
    });
  }
  return agent_error(AgentServerErrorId::not_found, "no such state route");
}

}  // namespace sg::server

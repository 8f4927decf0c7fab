// sg::AgentServer (agent_server.hpp): a RunManager and AgentRoutes on the shared HttpServer.
#include "agent_server/agent_server.hpp"

#include <map>

#include <stategraph/checkpoint/open_store.hpp>

#include "agent_server/agent_routes.hpp"
#include "agent_server/http_server.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/server_error.hpp"

namespace sg {
namespace {

[[noreturn]] void bad_configuration(const std::string& message) {
  throw AgentServerError("[" + server::agent_server_error_code(server::AgentServerErrorId::bad_configuration) + "] " +
                         message);
}

std::map<std::string, std::shared_ptr<const ServedGraph>> graph_map(const std::vector<ServedGraphEntry>& graphs) {
  if (graphs.empty()) bad_configuration("no graph to serve");
  std::map<std::string, std::shared_ptr<const ServedGraph>> out;
  for (const auto& g : graphs) {
    if (g.id.empty() || !g.graph) bad_configuration("a graph needs an id and a compiled graph");
    if (!g.graph->checkpointer())
      bad_configuration("graph \"" + g.id + "\" has no checkpointer: compile it with {.checkpointer = saver}");
    if (!out.emplace(g.id, g.graph).second) bad_configuration("two graphs are served as \"" + g.id + "\"");
  }
  return out;
}

std::shared_ptr<RunStore> memory_run_store() { return open_run_store(StoreUri{}); }

}  // namespace

struct AgentServer::Impl {
  explicit Impl(const AgentServerOptions& o)
      : manager(graph_map(o.graphs), o.run_store ? o.run_store : memory_run_store(),
                {.workers = o.run_workers, .lease = o.run_lease, .poll = o.run_poll, .log = o.log}),
        routes(manager, o.api_key) {}
  server::RunManager manager;
  server::AgentRoutes routes;
  std::unique_ptr<server::HttpServer> http;
};

AgentServer::AgentServer(AgentServerOptions options) : impl_(std::make_unique<Impl>(options)) {
  server::ServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.name = "sg-agent-server";
  http.max_body_bytes = options.max_body_bytes;
  http.threads = options.io_threads;
  http.workers = options.http_workers;
  http.log = options.log;
  try {
    impl_->http = std::make_unique<server::HttpServer>(impl_->routes, std::move(http));
  } catch (const server::BindError& e) {
    bad_configuration(e.what());
  }
}

AgentServer::~AgentServer() { stop(); }

std::uint16_t AgentServer::port() const noexcept { return impl_->http->port(); }

void AgentServer::stop() {
  if (impl_->http) impl_->http->stop();
}

void AgentServer::wait() { impl_->http->wait(); }

}  // namespace sg

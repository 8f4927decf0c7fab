// sg::AgentServer (agent_server.hpp): a RunManager and AgentRoutes — after an application's own
// routes, when it has some — on the shared HttpServer.
#include "agent_server/agent_server.hpp"

#include <map>

#include <stategraph/checkpoint/open_store.hpp>

#include "agent_server/agent_routes.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/server_error.hpp"
#include "agent_server/url.hpp"

namespace sg {
namespace {

std::map<std::string, std::shared_ptr<const ServedGraph>> graph_map(const std::vector<ServedGraphEntry>& graphs) {
  if (graphs.empty()) throw AgentServerError("no graph to serve");
  std::map<std::string, std::shared_ptr<const ServedGraph>> out;
  for (const auto& g : graphs) {
    if (g.id.empty() || !g.graph) throw AgentServerError("a graph needs an id and a compiled graph");
    if (!g.graph->checkpointer())
      throw AgentServerError("graph \"" + g.id + "\" has no checkpointer: compile it with {.checkpointer = saver}");
    if (!out.emplace(g.id, g.graph).second) throw AgentServerError("two graphs are served as \"" + g.id + "\"");
  }
  return out;
}

std::shared_ptr<RunStore> memory_run_store() { return open_run_store(StoreUri{}); }

/// The server's router: each request goes to its one owner (AgentServerOptions::routes).
class OwnerRouter final : public server::Router {
 public:
  OwnerRouter(std::shared_ptr<const server::Router> app, const server::AgentRoutes& api) : app_(std::move(app)), api_(&api) {}

  std::variant<server::HttpResponse, server::HttpCall> route(const server::HttpRequest& request) const override {
    return owner(request).route(request);
  }
  server::HttpResponse failure(server::HttpFailure kind, std::string_view message,
                               const server::HttpRequest& request) const override {
    return owner(request).failure(kind, message, request);
  }

 private:
  [[nodiscard]] const server::Router& owner(const server::HttpRequest& request) const {
    if (!app_) return *api_;
    const std::string_view path = server::path_of(request.target);
    if (app_->owns(request.method, path)) return *app_;
    if (api_->owns(request.method, path)) return *api_;
    return *app_;
  }

  std::shared_ptr<const server::Router> app_;
  const server::AgentRoutes* api_;
};

}  // namespace

AgentServerError::AgentServerError(std::string_view message)
    : sg::Error(server::agent_server_error_code(server::AgentServerErrorId::bad_configuration), message) {}

struct AgentServer::Impl {
  explicit Impl(const AgentServerOptions& o)
      : manager(graph_map(o.graphs), o.run_store ? o.run_store : memory_run_store(),
                {.workers = o.run_workers, .lease = o.run_lease, .poll = o.run_poll, .log = o.log}),
        api(manager, o.api_key),
        routes(o.routes, api) {}
  server::RunManager manager;
  server::AgentRoutes api;
  OwnerRouter routes;
  std::unique_ptr<server::HttpServer> http;
};

AgentServer::AgentServer(AgentServerOptions options) : impl_(std::make_unique<Impl>(options)) {
  server::ServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.allowed_hosts = std::move(options.allowed_hosts);
  http.name = std::move(options.name);
  http.max_body_bytes = options.max_body_bytes;
  http.threads = options.io_threads;
  http.workers = options.http_workers;
  http.io_timeout = options.io_timeout;
  http.log = std::move(options.log);
  try {
    impl_->http = std::make_unique<server::HttpServer>(impl_->routes, std::move(http));
  } catch (const server::BindError& e) {
    throw AgentServerError(e.what());
  }
}

AgentServer::~AgentServer() { stop(); }

std::uint16_t AgentServer::port() const noexcept { return impl_->http->port(); }

server::ServerStats AgentServer::stats() const { return impl_->http->stats(); }

void AgentServer::stop() {
  if (impl_->http) impl_->http->stop();
}

void AgentServer::wait() { impl_->http->wait(); }

}  // namespace sg

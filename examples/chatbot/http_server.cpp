// sg-chatbot's HTTP server: one sg::AgentServer with the chatbot's routes (ApiRoutes) before the
// Agent Server API's, and the chat graph as assistant "chatbot".
#include "http_server.hpp"

#include "chatbot_error.hpp"
#include "chatbot_graph.hpp"
#include "http_routes.hpp"

namespace sg::chatbot {

struct HttpServer::Impl {
  std::unique_ptr<sg::AgentServer> server;
};

HttpServer::HttpServer(Chatbot& bot, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  const ChatbotConfig& config = bot.config();
  sg::AgentServerOptions served;
  // The graph on the store itself: the Chatbot's ReentrantLockSaver lets only its own calls
  // share a thread's lock while it holds it (reentrant_lock_saver.hpp).
  served.graphs.emplace_back("chatbot", build_chatbot_graph(config.model, config.graph, config.saver));
  served.routes = std::make_shared<ApiRoutes>(bot, options.token);
  served.host = std::move(options.host);
  served.port = options.port;
  served.api_key = std::move(options.token);
  served.allowed_hosts = std::move(options.allowed_hosts);
  served.io_threads = options.threads;
  served.run_workers = options.threads;
  served.http_workers = options.threads;
  served.max_body_bytes = options.max_body_bytes;
  served.io_timeout = options.io_timeout;
  served.name = "sg-chatbot";
  served.log = std::move(options.log);
  served.run_store = std::move(options.run_store);
  try {
    impl_->server = std::make_unique<sg::AgentServer>(std::move(served));
  } catch (const sg::AgentServerError& e) {
    throw ChatbotError(ChatbotErrorId::bad_configuration, e.message());
  }
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const noexcept { return impl_->server->port(); }

ServerStats HttpServer::stats() const { return impl_->server->stats(); }

void HttpServer::stop() {
  if (impl_->server) impl_->server->stop();
}

void HttpServer::wait() { impl_->server->wait(); }

}  // namespace sg::chatbot

// sg-chatbot's HTTP server: its routes (ApiRoutes) on the shared Beast server
// (examples/agent_server/http_server.hpp).
#include "http_server.hpp"

#include <boost/asio/ip/address.hpp>

#include "agent_server/http_server.hpp"
#include "chatbot_error.hpp"
#include "http_routes.hpp"

namespace sg::chatbot {
namespace {

/// The Host names a server accepts besides the loopback ones and the address a client reached:
/// --allow-host, and the --host it was given unless that is a wildcard address.
std::vector<std::string> allowed_hosts(const ServerOptions& options) {
  std::vector<std::string> out = options.allowed_hosts;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options.host, ec);
  if (ec || !address.is_unspecified()) out.push_back(options.host);
  return out;
}

sg::server::ServerOptions server_options(const ServerOptions& o) {
  sg::server::ServerOptions out;
  out.host = o.host;
  out.port = o.port;
  out.name = "sg-chatbot";
  out.max_body_bytes = o.max_body_bytes;
  out.threads = o.threads;
  out.io_timeout = o.io_timeout;
  out.log = o.log;
  return out;
}

}  // namespace

struct HttpServer::Impl {
  Impl(Chatbot& bot, const ServerOptions& options) : routes(bot, options.token, allowed_hosts(options)) {}
  ApiRoutes routes;
  std::unique_ptr<sg::server::HttpServer> server;
};

HttpServer::HttpServer(Chatbot& bot, ServerOptions options) : impl_(std::make_unique<Impl>(bot, options)) {
  try {
    impl_->server = std::make_unique<sg::server::HttpServer>(impl_->routes, server_options(options));
  } catch (const sg::server::BindError& e) {
    throw ChatbotError(ChatbotErrorId::bad_configuration, e.what());
  }
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const noexcept { return impl_->server->port(); }

ServerStats HttpServer::stats() const { return impl_->server->stats(); }

void HttpServer::stop() { impl_->server->stop(); }

void HttpServer::wait() { impl_->server->wait(); }

}  // namespace sg::chatbot

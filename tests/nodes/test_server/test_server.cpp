// The scripted loopback server: Boost.Beast HTTP over Asio C++20 coroutines (Boost 1.74:
// use_awaitable + redirect_error; failures travel as error_code, a timeout is set before every
// read, as in Beast's examples).
#include "test_server.hpp"

#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sg_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

nlohmann::json RecordedRequest::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string RecordedRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

CannedResponse CannedResponse::json(const nlohmann::json& body, int status) {
  CannedResponse r;
  r.status = status;
  r.parts = {body.dump()};
  return r;
}

CannedResponse CannedResponse::text(int status, std::string content_type, std::string body) {
  CannedResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.parts = {std::move(body)};
  return r;
}

CannedResponse CannedResponse::sse(std::vector<std::string> parts, std::chrono::milliseconds delay_between) {
  CannedResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-cache"}};
  r.parts = std::move(parts);
  r.chunked = true;
  r.delay_between = delay_between;
  return r;
}

std::string sse_event(const nlohmann::json& data, const std::string& eol) { return "data: " + data.dump() + eol + eol; }

struct TestServer::Impl {
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;
  mutable std::mutex mutex;
  std::deque<CannedResponse> queue;
  std::vector<RecordedRequest> requests;
  std::size_t aborted = 0;
  std::size_t hold_timeouts = 0;
  std::thread thread;

  CannedResponse next(const http::request<http::string_body>& req) {
    RecordedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(field.value());
    }
    r.body = req.body();
    std::lock_guard lock(mutex);
    requests.push_back(std::move(r));
    if (queue.empty())
      return CannedResponse::json({{"error", {{"message", "test server: no canned response left"}, {"type", "test"}}}}, 500);
    CannedResponse c = std::move(queue.front());
    queue.pop_front();
    return c;
  }

  void count_abort() {
    std::lock_guard lock(mutex);
    ++aborted;
  }

  static net::awaitable<void> sleep(std::chrono::milliseconds d) {
    if (d <= 0ms) co_return;
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(d);
    beast::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  /// Writes the response; returns whether the connection may serve another request.
  net::awaitable<bool> respond(beast::tcp_stream& stream, const http::request<http::string_body>& req, CannedResponse r) {
    beast::error_code ec;
    co_await sleep(r.delay_before);
    if (r.drop) co_return false;
    const bool keep_alive = req.keep_alive() && !r.truncate;
    if (!r.chunked) {
      http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
      res.set(http::field::content_type, r.content_type);
      for (const auto& [name, value] : r.headers) res.set(name, value);
      for (const auto& p : r.parts) res.body() += p;
      res.keep_alive(keep_alive);
      res.prepare_payload();
      stream.expires_after(30s);
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      co_return !ec && keep_alive;
    }
    http::response<http::empty_body> res{static_cast<http::status>(r.status), req.version()};
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(30s);
    co_await http::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return false;
    for (std::size_t i = 0; i < r.parts.size(); ++i) {
      if (i == 1 && r.hold) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!r.hold->load() && std::chrono::steady_clock::now() < until) co_await sleep(5ms);
        if (!r.hold->load()) {
          std::lock_guard lock(mutex);
          ++hold_timeouts;
        }
      }
      if (i > 0) co_await sleep(r.delay_between);
      if (r.parts[i].empty()) continue;  // an empty chunk would end the body
      stream.expires_after(30s);
      co_await net::async_write(stream, http::make_chunk(net::buffer(r.parts[i])), net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        count_abort();
        co_return false;
      }
    }
    if (r.truncate) co_return false;  // closed without the last chunk
    stream.expires_after(30s);
    co_await net::async_write(stream, http::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
    co_return !ec && keep_alive;
  }

  net::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      stream.expires_after(30s);
      co_await http::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      if (!co_await respond(stream, req, next(req))) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;  // the acceptor was closed
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }
};

TestServer::TestServer() : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

TestServer::~TestServer() {
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->ioc.stop();
  });
  impl_->thread.join();
}

std::uint16_t TestServer::port() const noexcept { return impl_->port; }

std::string TestServer::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/v1"; }

void TestServer::push(CannedResponse response) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.push_back(std::move(response));
}

std::vector<RecordedRequest> TestServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t TestServer::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t TestServer::aborted_responses() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->aborted;
}

std::size_t TestServer::hold_timeouts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hold_timeouts;
}

}  // namespace sg_test

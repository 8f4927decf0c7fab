// sg::server::HttpServer: Boost.Beast (1.74) over Asio C++20 coroutines. Failures travel as
// error_code inside and a timeout is set before every socket operation, as in Beast's examples;
// the routes (a Router) see no sockets.
//
// Blocking work (runs, checkpoint reads) never runs on an I/O thread: a connection's coroutine
// hands the route's call to a CallQueue (a worker pool that runs the calls of one session one
// after another; one for calls, one for reads, so a read never waits for a run)
// and is resumed with the response. A streaming call writes through a
// SocketStream: each write is handed back to the connection's strand and the worker waits for it,
// so a failed write surfaces in the call (which cancels its work) and a slow reader slows the call
// instead of filling memory.
#include "agent_server/http_server.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "agent_server/call_queue.hpp"
#include "agent_server/cancel_registry.hpp"
#include "agent_server/http_types.hpp"
#include "agent_server/request_guard.hpp"

namespace sg::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;          // request line and headers
constexpr std::size_t kLingerLimit = 64U * 1024U * 1024U;  // bytes drained after a 413
constexpr std::chrono::seconds kLingerTime{2};

/// Beast 1.74's string_view is boost::string_view.
std::string_view view(beast::string_view s) noexcept { return {s.data(), s.size()}; }

/// One accepted connection. Its socket's executor is the connection's strand: the connection's
/// coroutine and the writes of a streaming call (SocketStream) run on it, one at a time.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {
    beast::error_code ec;
    const auto local = stream.socket().local_endpoint(ec);
    if (!ec) local_address = local.address().to_string();
  }
  beast::tcp_stream stream;
  std::string local_address;  ///< the server address the client connected to ("" when unknown)
};

/// A parse error of the request itself (a bad chunk, a message cut short), not of the socket.
bool malformed_request(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_chunk).category() && ec != http::error::end_of_stream;
}

/// The request as a Router sees it: views into `req` (its body only `with_body`: once it was read).
HttpRequest request_view(const http::request<http::string_body>& req, const Connection& connection, bool with_body) {
  return HttpRequest{view(req.method_string()), view(req.target()), with_body ? std::string_view(req.body()) : std::string_view(),
                     view(req[http::field::authorization]), view(req["X-Thread-Id"]), view(req[http::field::host]),
                     view(req[http::field::origin]), view(req[http::field::content_type]), connection.local_address,
                     view(req["X-Api-Key"]), view(req["Last-Event-ID"])};
}

/// The Host names a server accepts besides the loopback ones and the address a client reached:
/// ServerOptions::allowed_hosts, and the host it binds unless that is a wildcard address.
std::vector<std::string> allowed_hosts(const ServerOptions& options) {
  std::vector<std::string> out = options.allowed_hosts;
  beast::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec || !address.is_unspecified()) out.push_back(options.host);
  return out;
}

/// The body of a streamed response, written from a worker thread (see the file comment).
class SocketStream final : public ResponseStream {
 public:
  SocketStream(Connection& connection, unsigned version, bool keep_alive, const HttpHeaders& headers,
               std::chrono::seconds timeout, const std::string& server_name)
      : connection_(connection), chunked_(version >= 11), timeout_(timeout) {
    head_.version(version);
    head_.result(http::status::ok);
    head_.set(http::field::server, server_name);
    head_.set(http::field::content_type, "text/event-stream; charset=utf-8");
    head_.set(http::field::cache_control, "no-cache");
    head_.set("X-Accel-Buffering", "no");
    for (const auto& [name, value] : headers) head_.set(name, value);
    // HTTP/1.0 has no chunked encoding: the body then ends when the connection closes.
    head_.keep_alive(keep_alive && chunked_);
    if (chunked_) head_.chunked(true);
    serializer_.emplace(head_);
  }

  void write(std::string_view bytes) override {
    if (failed_) throw ClientGone("the client went away");
    const bool first = !started_;
    started_ = true;
    auto done = std::make_shared<std::promise<beast::error_code>>();
    auto result = done->get_future();
    net::dispatch(connection_.stream.get_executor(), [this, first, bytes, done] {
      if (!first) return write_body(bytes, done);
      connection_.stream.expires_after(timeout_);
      http::async_write_header(connection_.stream, *serializer_,
                               [this, bytes, done](beast::error_code ec, std::size_t) {
                                 if (ec) return done->set_value(ec);
                                 write_body(bytes, done);
                               });
    });
    // The write completes or times out (io_timeout): the I/O threads run until the workers end.
    if (const beast::error_code ec = result.get()) {
      failed_ = true;
      throw ClientGone("the client went away (" + ec.message() + ")");
    }
  }

  [[nodiscard]] bool started() const noexcept override { return started_; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] bool chunked() const noexcept { return chunked_; }

 private:
  void write_body(std::string_view bytes, const std::shared_ptr<std::promise<beast::error_code>>& done) {
    auto finish = [done](beast::error_code ec, std::size_t) { done->set_value(ec); };
    connection_.stream.expires_after(timeout_);
    if (chunked_) net::async_write(connection_.stream, http::make_chunk(net::buffer(bytes.data(), bytes.size())), finish);
    else net::async_write(connection_.stream, net::buffer(bytes.data(), bytes.size()), finish);
  }

  Connection& connection_;
  bool chunked_;
  std::chrono::seconds timeout_;
  http::response<http::empty_body> head_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  bool started_ = false;  // worker thread only
  bool failed_ = false;   // worker thread only
};

}  // namespace

struct HttpServer::Impl {
  Impl(const Router& router, ServerOptions opts)
      : options(std::move(opts)),
        routes(router),
        guard(allowed_hosts(options)),
        calls(std::max<std::size_t>(options.workers != 0 ? options.workers : options.threads, 1)),
        reads(std::max<std::size_t>(options.threads, 1)) {}

  ServerOptions options;
  const Router& routes;
  RequestGuard guard;
  net::io_context ioc{static_cast<int>(std::max<std::size_t>(options.threads, 1))};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::shared_ptr<net::signal_set> signals;  // created by wait()
  std::uint16_t port = 0;
  std::vector<std::thread> threads;
  CallQueue calls;  // calls that are not reads
  CallQueue reads;  // read calls
  CancelRegistry cancels;
  std::atomic<std::uint64_t> requests{0};

  std::mutex connections_mutex;
  bool closing = false;  // no new connections (guarded by connections_mutex)
  std::map<Connection*, std::weak_ptr<Connection>> connections;

  std::mutex stop_mutex;  // stop() runs once
  bool stopped = false;
  std::mutex wake_mutex;  // wait() sleeps until woken
  std::condition_variable wake;
  bool wake_requested = false;

  void log(std::string_view line) const {
    if (options.log) return options.log(line);
    std::cerr << (options.name + ": " + std::string(line) + "\n") << std::flush;  // one write: lines stay whole
  }

  void request_wake() {
    {
      std::lock_guard lock(wake_mutex);
      wake_requested = true;
    }
    wake.notify_all();
  }

  bool add_connection(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(connections_mutex);
    if (closing) return false;
    connections.emplace(c.get(), c);
    return true;
  }
  void remove_connection(Connection* c) {
    std::lock_guard lock(connections_mutex);
    connections.erase(c);
  }
  void close_connections() {
    std::lock_guard lock(connections_mutex);
    closing = true;
    for (const auto& [raw, weak] : connections) {
      if (auto c = weak.lock()) {
        net::post(c->stream.get_executor(), [c] {
          beast::error_code ignored;
          c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          c->stream.close();
        });
      }
    }
  }

  /// Runs `f` on a worker of `queue` (after the calls queued before it on `key`) and resumes
  /// with its result; when the server is stopping, with a 503 instead.
  /// `request` (whose router answers a failure) lives in the awaiting coroutine's frame.
  net::awaitable<HttpResponse> on_worker(CallQueue& queue, std::string key, const HttpRequest& request,
                                         std::function<HttpResponse()> f) {
    auto initiate = [&queue, &routes = routes, &request, key = std::move(key), f = std::move(f)](auto handler) mutable {
      auto shared = std::make_shared<decltype(handler)>(std::move(handler));
      auto complete = [shared](HttpResponse response) {
        auto executor = net::get_associated_executor(*shared);
        net::dispatch(executor, [shared, response = std::move(response)]() mutable {
          (*shared)(std::exception_ptr(), std::move(response));
        });
      };
      const bool queued = queue.submit(key, [&routes, &request, f = std::move(f), complete]() {
        HttpResponse response;
        try {
          response = f();
        } catch (const std::exception& e) {  // calls do not throw; this is a safety net
          response = routes.failure(HttpFailure::internal, std::string("unexpected error: ") + e.what(), request);
        } catch (...) {
          response = routes.failure(HttpFailure::internal, "unexpected error", request);
        }
        complete(std::move(response));
      });
      if (!queued) complete(routes.failure(HttpFailure::stopping, "the server is stopping", request));
    };
    return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, HttpResponse)>(
        std::move(initiate), net::use_awaitable);
  }

  net::awaitable<bool> write_response(beast::tcp_stream& stream, HttpResponse r, unsigned version, bool keep_alive) {
    if (!r.log.empty()) log(r.log);
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    if (r.status == 499) res.reason("Client Closed Request");
    res.set(http::field::server, options.name);
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    beast::error_code ec;
    stream.expires_after(options.io_timeout);
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    co_return !ec && keep_alive;
  }

  /// After refusing a request whose body is still coming: stop sending, then read and drop what
  /// the client sends for a while, so that it sees the answer instead of a reset connection.
  static net::awaitable<void> linger(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16384> scratch{};
    std::size_t total = 0;
    stream.expires_after(kLingerTime);
    while (!ec && total < kLingerLimit) total += co_await stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
  }

  net::awaitable<bool> run_call(Connection& connection, const HttpRequest& request, HttpCall& call, unsigned version,
                                bool keep_alive) {
    const auto entry = cancels.add();
    std::optional<SocketStream> out;
    if (call.streaming) out.emplace(connection, version, keep_alive, call.stream_headers, options.io_timeout, options.name);
    const sg::CancellationToken& cancel = entry->token();
    HttpResponse response = co_await on_worker(call.read_only ? reads : calls, call.session, request, [&call, &out, &cancel] {
      return call.run(out ? &*out : nullptr, cancel);
    });
    if (!out || !out->started()) co_return co_await write_response(connection.stream, std::move(response), version, keep_alive);
    if (!response.log.empty()) log(response.log);  // its body went out as an error event
    if (out->failed() || !out->chunked()) co_return false;
    beast::error_code ec;
    connection.stream.expires_after(options.io_timeout);
    co_await net::async_write(connection.stream, http::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
    co_return !ec && keep_alive;
  }

  /// Serves one request; returns whether the connection may serve another.
  net::awaitable<bool> serve_one(Connection& connection, beast::flat_buffer& buffer) {
    beast::tcp_stream& stream = connection.stream;
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options.max_body_bytes);
    beast::error_code ec;
    stream.expires_after(options.io_timeout);
    co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::header_limit) {
      HttpResponse r = routes.failure(HttpFailure::head_too_large,
                                      "the request head is larger than " + std::to_string(kHeaderLimit) + " bytes", {});
      r.status = 431;
      co_await write_response(stream, std::move(r), 11, false);
      co_return false;
    }
    if (ec == http::error::body_limit) {  // a Content-Length over the limit, seen with the head
      co_await write_response(stream, too_large(request_view(parser.get(), connection, false)), parser.get().version(), false);
      co_await linger(stream);
      co_return false;
    }
    if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout && ec != net::error::eof &&
        ec != net::error::operation_aborted && ec != net::error::connection_reset && ec != net::error::bad_descriptor) {
      co_await write_response(stream, routes.failure(HttpFailure::bad_request, "malformed HTTP request: " + ec.message(), {}), 11,
                              false);
      co_return false;
    }
    if (ec) co_return false;
    ++requests;
    const auto expect = parser.get()[http::field::expect];
    if (!parser.is_done() && beast::iequals(expect, "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      stream.expires_after(options.io_timeout);
      co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return false;
    }
    if (!parser.is_done()) {
      stream.expires_after(options.io_timeout);
      co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec == http::error::body_limit || malformed_request(ec)) {
        const HttpRequest head = request_view(parser.get(), connection, false);
        HttpResponse refusal = ec == http::error::body_limit
                                  ? too_large(head)
                                  : routes.failure(HttpFailure::bad_request, "malformed request body: " + ec.message(), head);
        co_await write_response(stream, std::move(refusal), parser.get().version(), false);
        co_await linger(stream);
        co_return false;
      }
      if (ec) co_return false;
    }
    http::request<http::string_body> req = parser.release();
    const bool keep_alive = req.keep_alive();
    const HttpRequest request = request_view(req, connection, true);
    if (auto refusal = guard.check(request))
      co_return co_await write_response(stream, routes.failure(refusal->kind, refusal->message, request), req.version(),
                                        keep_alive);
    auto routed = routes.route(request);
    if (auto* response = std::get_if<HttpResponse>(&routed))
      co_return co_await write_response(stream, std::move(*response), req.version(), keep_alive);
    co_return co_await run_call(connection, request, std::get<HttpCall>(routed), req.version(), keep_alive);
  }

  HttpResponse too_large(const HttpRequest& request) const {
    return routes.failure(HttpFailure::body_too_large,
                          "the request body is larger than " + std::to_string(options.max_body_bytes) + " bytes (--max-body)",
                          request);
  }

  net::awaitable<void> session(std::shared_ptr<Connection> connection) {
    beast::flat_buffer buffer;
    try {
      while (co_await serve_one(*connection, buffer)) {
      }
    } catch (const std::exception& e) {
      log(std::string("connection failed: ") + e.what());
    }
    beast::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->stream.close();
    remove_connection(connection.get());
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket(net::make_strand(ioc));
      beast::error_code ec;
      co_await acceptor.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {  // e.g. out of file descriptors: try again shortly
        net::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      // Streams are written as many small chunks: without this, each chunk after the first waits
      // for the client's delayed ACK (Nagle; 40 ms on Linux).
      socket.set_option(tcp::no_delay(true), ec);
      auto connection = std::make_shared<Connection>(std::move(socket));
      if (!add_connection(connection)) {
        connection->stream.close();
        continue;
      }
      net::co_spawn(connection->stream.get_executor(), session(connection), net::detached);
    }
  }
};

HttpServer::HttpServer(const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {
  Impl& s = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  const auto endpoints = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  if (ec || endpoints.empty())
    throw BindError("cannot resolve the address to serve on, " + where + ": " + ec.message());
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw BindError("cannot listen on " + where + ": " + ec.message());
  s.port = s.acceptor.local_endpoint().port();
  net::co_spawn(s.acceptor.get_executor(), s.accept_loop(), net::detached);
  const std::size_t n = std::max<std::size_t>(s.options.threads, 1);
  for (std::size_t i = 0; i < n; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const noexcept { return impl_->port; }

ServerStats HttpServer::stats() const {
  ServerStats out;
  {
    std::lock_guard lock(impl_->connections_mutex);
    out.connections = impl_->connections.size();
  }
  out.reads_running = impl_->reads.running();
  out.calls_running = impl_->calls.running() + out.reads_running;
  out.calls_waiting = impl_->calls.waiting() + impl_->reads.waiting();
  out.requests = impl_->requests.load();
  return out;
}

void HttpServer::stop() {
  Impl& s = *impl_;
  std::lock_guard stop_lock(s.stop_mutex);
  if (s.stopped) return;
  s.stopped = true;
  s.request_wake();
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  if (s.signals) net::post(s.signals->get_executor(), [signals = s.signals] {
      beast::error_code ignored;
      signals->cancel(ignored);
    });
  // Running calls end (cancelled) and their answers are written while the I/O threads still run.
  s.cancels.cancel_all();
  s.calls.close_and_join();
  s.reads.close_and_join();
  s.close_connections();
  s.work.reset();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

void HttpServer::wait() {
  Impl& s = *impl_;
  {
    std::lock_guard stop_lock(s.stop_mutex);
    if (s.stopped) return;
    if (!s.signals) {
      s.signals = std::make_shared<net::signal_set>(net::make_strand(s.ioc), SIGINT, SIGTERM);
      s.signals->async_wait([&s](const beast::error_code& ec, int) {
        if (!ec) s.request_wake();
      });
    }
  }
  {
    std::unique_lock lock(s.wake_mutex);
    s.wake.wait(lock, [&s] { return s.wake_requested; });
  }
  stop();
}

}  // namespace sg::server

#pragma once
/// @file
/// sg::server::HttpServer: an HTTP/1.1 server (Boost.Beast over Asio C++20 coroutines) for a
/// Router (http_types.hpp): sg-chatbot's routes and sg::AgentServer's run on it.
///
/// A request is read (head limit 16 KiB → 431, body limit max_body_bytes → 413, a malformed head
/// or chunked body → 400, each answered through Router::failure), checked by the RequestGuard
/// (request_guard.hpp: a Host that is not this server's, a foreign Origin → 403, answered
/// through Router::failure too), handed to the router, and its answer written; a call the router
/// returns runs on a worker thread.
///
/// Streams: each piece of a streamed body is written as it arrives; the head (200,
/// text/event-stream) goes out with the first piece, so a call that fails before writing gets
/// its proper error status. A client that goes away (a write fails or times out) makes the
/// call's next write throw ClientGone.
///
/// Concurrency: socket I/O runs on `threads` Asio threads (one strand per connection, a timeout
/// before every operation); calls run on a pool of `threads` workers, so up to `threads` run at
/// once. Calls with one session key run one after another in arrival order, queued without
/// holding a worker. Read calls run on a pool of their own, `threads` read workers, so they
/// never wait for the others.
///
/// Thread-safety: construct, stop, wait and the destructor from one owner thread (never from a
/// request); port and stats from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"

namespace sg::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  ///< address to bind (loopback unless told otherwise)
  std::uint16_t port = 8080;       ///< 0: any free port (see HttpServer::port)
  /// Names the Host header may carry besides localhost, 127.0.0.1, [::1], `host` (unless a
  /// wildcard address) and the address a client connected to (--allow-host; request_guard.hpp).
  /// Any port.
  std::vector<std::string> allowed_hosts;
  /// The Server header of every response and the prefix of log lines written to std::cerr.
  std::string name = "stategraph";
  std::size_t max_body_bytes = 1U << 20;  ///< larger request bodies → 413
  std::size_t threads = 4;         ///< I/O threads and read workers, each (see above)
  /// Call workers (calls that are not reads); 0: `threads`. A call that streams or waits for a
  /// long run holds one for as long.
  std::size_t workers = 0;
  /// Time limit of every socket operation: reading a request, writing a response or one piece of
  /// a stream (a client that stops reading for this long is gone).
  std::chrono::seconds io_timeout{30};
  /// Receives the server's log lines (the detail of every 500 answer, a failed connection), each
  /// whole and without a newline; called from I/O threads, so it must be thread-safe. Empty:
  /// std::cerr, as "<name>: <line>".
  std::function<void(std::string_view line)> log;
};

/// Counters of a running server (for monitoring and tests).
struct ServerStats {
  std::size_t connections = 0;    ///< open connections
  std::size_t calls_running = 0;  ///< calls on worker threads
  std::size_t reads_running = 0;  ///< of which reads (on the read workers)
  std::size_t calls_waiting = 0;  ///< calls queued behind another call of their session
  std::uint64_t requests = 0;     ///< requests read so far
};

/// The address to serve on cannot be resolved or bound (what() says which and why).
class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  /// Binds and starts serving `router` (which must outlive the server).
  /// @throws BindError when the address cannot be resolved or bound.
  HttpServer(const Router& router, ServerOptions options);
  /// Stops (as stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] ServerStats stats() const;
  /// Stops accepting, cancels running calls (their CancellationToken), waits for the worker
  /// threads, closes every connection and joins the I/O threads.
  /// Idempotent.
  void stop();
  /// Blocks until stop() is called or SIGINT/SIGTERM arrives.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg::server

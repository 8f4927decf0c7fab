#pragma once
/// @file
/// sg-chatbot's HTTP server: one sg::AgentServer (examples/agent_server) that serves the chatbot's
/// own routes (http_routes.hpp) — the chat API of seed 002, an OpenAI-compatible
/// /v1/chat/completions and a small web page at "/" — and, on the same saver, the chat graph as
/// the Agent Server API's assistant "chatbot", so LangGraph's SDK (@langchain/langgraph-sdk,
/// useStream) runs turns and reads threads that /chat sees, and the other way round.
///
///   POST   /chat                  {session_id, message[, language]} → {session_id, response, turn_count}
///   POST   /chat/stream           same body → text/event-stream: `data: <token>` events, then `data: [DONE]`
///   GET    /chat/{session_id}/history → {session_id, turn_count, language, summary, messages: [{role, content, id}]}
///   DELETE /chat/{session_id}     → {message}            (deletes the thread's checkpoints)
///   GET    /threads               → {threads: [{thread_id, updated_at}]}
///   POST   /v1/chat/completions   OpenAI chat-completions (stream true/false); the thread is the
///                                 request's "user" field or the X-Thread-Id header; the last
///                                 user message is the turn's input
///   GET    /v1/models             the model, as OpenAI's model list
///   GET    /                      the web page: the Agent Server's (examples/agent_server/web)
///   /ok, /info, /assistants/..., POST /threads, /threads/{id}/..., /runs/...: the Agent Server
///                                 API (agent_server/agent_routes.hpp), assistant "chatbot"
/// Any other path is the chatbot's (404 sg.chatbot.811).
/// Errors of the chatbot's routes are JSON `{"error": {"id": "sg.chatbot.8xx", "message": ...}}`
/// with the status of the table in chatbot_error.hpp (empty message 400, unknown session 404,
/// oversized body 413, model failure 502, bad token 401); under /v1 they are OpenAI's error
/// object, which also carries the id. The API's routes answer with their own errors
/// (sg.server.9xx, server_error.hpp). A 500's body says only "internal error" with the id and a
/// reference; its detail (paths, SQL) goes to the log (ServerOptions::log). A malformed request
/// (head or chunked body) gets 400.
/// With a token, every route but the page needs it: as "Authorization: Bearer <token>" on the
/// chatbot's routes (the page asks for it and sends it), as X-Api-Key (the SDK's apiKey) or the
/// same bearer token on the API's (but /ok).
/// Requests a browser could be tricked into sending are refused, on every route: another site's
/// Origin (403), a Host that is not this server's (403, DNS rebinding), a body without
/// Content-Type application/json (415); see agent_server/request_guard.hpp.
///
/// /v1/chat/completions: the thread is the X-Thread-Id header, else "user"; the reply's
/// X-Thread-Id header names it. Without either, a request whose only non-system message is the
/// user's starts a new thread with a random id; one that carries earlier turns gets 400 (the
/// server would otherwise drop the history the client sent). See openai_compat.hpp.
///
/// Streams: each piece of the reply is written as it arrives; the head (200) goes out with the
/// first piece, so a turn that fails before any text gets its proper error status. A failure
/// after that ends the stream with an error event and `data: [DONE]`. A client that goes away
/// (a write fails or times out) cancels the turn and the thread stays as it was.
///
/// Concurrency: socket I/O runs on `threads` Asio threads (Beast, C++20 coroutines, one strand
/// per connection, a timeout before every operation); turns and deletes run on a pool of
/// `threads` turn workers, so up to `threads` turns run at once. Calls on one session (turns,
/// DELETE) run one after another in arrival order, queued by the server without holding a
/// worker. Reads (history, thread list) run on a pool of their own, `threads` read workers, so
/// they never wait for turns (nor for the thread lock: reads take none). The API's runs execute
/// on `threads` run workers; a run and a /chat turn on one thread take the store's thread lock
/// in turn (the API's graph is compiled on the store itself, not on the Chatbot's
/// ReentrantLockSaver, whose holds only the Chatbot's own calls may share).
///
/// Thread-safety: construct, stop, wait and the destructor from one owner thread (never from a
/// request); port and stats from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent_server/agent_server.hpp"
#include "chatbot.hpp"

namespace sg::chatbot {

struct ServerOptions {
  std::string host = "127.0.0.1";  ///< address to bind (loopback unless told otherwise)
  std::uint16_t port = 8080;       ///< 0: any free port (see HttpServer::port)
  /// When set, every request but the page's needs it ("Authorization: Bearer <token>"; on the
  /// Agent Server API also X-Api-Key, the SDK's apiKey).
  std::string token;
  /// Names the Host header may carry besides localhost, 127.0.0.1, [::1] and the address the
  /// server is bound to (--allow-host; agent_server/request_guard.hpp). Any port.
  std::vector<std::string> allowed_hosts;
  std::size_t max_body_bytes = 1U << 20;  ///< larger request bodies → 413
  std::size_t threads = 4;         ///< I/O threads, turn, read and run workers, each (see above)
  /// Time limit of every socket operation: reading a request, writing a response or one piece of
  /// a stream (a client that stops reading for this long is gone).
  std::chrono::seconds io_timeout{30};
  /// Receives the server's log lines (the detail of every 500 answer, a failed connection), each
  /// whole and without a newline; called from I/O threads, so it must be thread-safe. Empty:
  /// std::cerr, as "sg-chatbot: <line>".
  std::function<void(std::string_view line)> log;
  /// Where the Agent Server API keeps its threads, runs and run events (sg::open_run_store on the
  /// chatbot's store: durable, shared by every server on the store); empty: in memory.
  std::shared_ptr<sg::RunStore> run_store;
};

/// Counters of a running server (sg::server::ServerStats: turns and deletes are its calls).
using ServerStats = sg::server::ServerStats;

class HttpServer {
 public:
  /// Binds and starts serving `bot` (which must outlive the server), and its graph (built again
  /// from bot.config() on its store) as assistant "chatbot".
  /// @throws ChatbotError [sg.chatbot.805] when the address cannot be bound.
  HttpServer(Chatbot& bot, ServerOptions options);
  /// Stops (as stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The bound port (useful with port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] ServerStats stats() const;
  /// Stops accepting, cancels running turns (their clients get 499 or a stream error event),
  /// waits for the worker threads, closes every connection and joins the I/O threads.
  /// Idempotent.
  void stop();
  /// Blocks until stop() is called or SIGINT/SIGTERM arrives.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg::chatbot

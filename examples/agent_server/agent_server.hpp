#pragma once
/// @file
/// sg::AgentServer: serves compiled graphs over LangGraph's Agent Server API (the HTTP API of
/// LangGraph Platform that @langchain/langgraph-sdk, useStream and agent-chat-ui talk to).
///
/// @code{.cpp}
/// auto chat = chat_builder.compile({.checkpointer = saver});
/// auto flow = flow_builder.compile({.checkpointer = saver});
/// sg::AgentServer server({.graphs = {{"chat", chat}, {"flow", flow}}, .port = 2024});
/// server.wait();  // until SIGINT/SIGTERM
/// @endcode
///
/// Each graph is an assistant whose assistant_id is its graph id; its states cross the wire as
/// JSON through the typed state's to_json/from_json (served_graph.hpp). Routes, shapes and errors:
/// agent_routes.hpp; runs and threads: run_manager.hpp; README "Serving a graph".
///
/// An application can serve its own routes on the same server (AgentServerOptions::routes, a
/// Router): sg-chatbot serve is its /chat, /v1 and page routes plus the chat graph as assistant
/// "chatbot" (examples/chatbot/http_server.hpp). Every request, on either, passes the
/// RequestGuard first (request_guard.hpp: Host, Origin; a JSON body's Content-Type per route).
///
/// Thread-safety: construct, stop, wait and the destructor from one owner thread; port() from
/// any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/run_store.hpp>

#include "agent_server/http_server.hpp"
#include "agent_server/http_types.hpp"
#include "agent_server/served_graph.hpp"

namespace sg {

/// A graph to serve under `id` (its assistant's graph_id and assistant_id).
struct ServedGraphEntry {
  std::string id;
  std::shared_ptr<const ServedGraph> graph;

  ServedGraphEntry(std::string graph_id, std::shared_ptr<const ServedGraph> served)
      : id(std::move(graph_id)), graph(std::move(served)) {}
  template <class S>
  ServedGraphEntry(std::string graph_id, CompiledGraph<S> compiled)  // NOLINT(google-explicit-constructor)
      : id(std::move(graph_id)), graph(serve_graph(std::move(compiled))) {}
};

struct AgentServerOptions {
  /// The graphs, each compiled with a checkpointer (they may share one).
  std::vector<ServedGraphEntry> graphs;
  std::string host = "127.0.0.1";  ///< address to bind
  std::uint16_t port = 2024;       ///< 0: any free port (see port())
  /// When set, every route of the API but /ok and the web page (/, /ui/...) needs it as X-Api-Key
  /// (the SDK's apiKey) or a bearer token. (An application's routes check their own credentials.)
  std::string api_key;
  /// Names the Host header may carry besides localhost, 127.0.0.1, [::1], `host` (unless a
  /// wildcard address) and the address a client connected to (--allow-host; request_guard.hpp).
  std::vector<std::string> allowed_hosts;
  /// An application's own routes, served before the API's: a request whose method and path
  /// `routes->owns()` is theirs; else a path of the API (AgentRoutes::owns) is the API's; any other
  /// request, and a failure before a request's head was read, is again theirs (their 404 and
  /// error shape). Null: the API answers everything. Must not throw; shared with the server.
  std::shared_ptr<const server::Router> routes;
  std::size_t io_threads = 2;      ///< socket I/O threads (and as many read workers)
  /// Runs executing at once (each on its own worker thread; runs of one thread are queued).
  std::size_t run_workers = 16;
  /// Where threads, runs and run events are kept (sg::open_run_store on the graphs' store): with
  /// SQLite or Postgres they are durable and every server process on the store shares the runs.
  /// Empty: a private in-memory run store (runs forgotten at exit, not shared).
  std::shared_ptr<RunStore> run_store;
  /// A claimed run's lease: when its process dies, another takes the run over this long after
  /// the last renewal (renewed every lease / 4).
  std::chrono::milliseconds run_lease{10000};
  /// How often idle workers look for runs another process admitted.
  std::chrono::milliseconds run_poll{100};
  /// HTTP calls at once (a streamed or waited run holds one while it runs).
  std::size_t http_workers = 64;
  std::size_t max_body_bytes = 4U << 20;  ///< larger request bodies → 413
  /// Time limit of every socket operation (a client that stops reading this long is gone).
  std::chrono::seconds io_timeout{30};
  /// The Server header of every response and the prefix of log lines written to std::cerr.
  std::string name = "sg-agent-server";
  /// The server's log lines (500 details, failed connections); empty: std::cerr.
  std::function<void(std::string_view line)> log;
};

/// A configuration the server cannot start with: id() "sg.server.911", what() "[sg.server.911] "
/// and message().
class AgentServerError : public sg::Error {
 public:
  explicit AgentServerError(std::string_view message);
};

class AgentServer {
 public:
  /// Binds and starts serving.
  /// @throws AgentServerError [sg.server.911] when the address cannot be bound, a graph has no
  ///         checkpointer, two graphs share an id, or there is no graph.
  explicit AgentServer(AgentServerOptions options);
  /// Stops (as stop()).
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// The HTTP server's counters (connections, calls running and waiting, requests).
  [[nodiscard]] server::ServerStats stats() const;
  /// Stops accepting, cancels running runs (status "interrupted"), closes connections, joins
  /// every thread. Idempotent.
  void stop();
  /// Blocks until stop() or SIGINT/SIGTERM, then stops.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg

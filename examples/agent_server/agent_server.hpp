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

#include <stategraph/checkpoint/run_store.hpp>

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
  /// When set, every route but /ok and the web page (/, /ui/...) needs it as X-Api-Key (the SDK's
  /// apiKey) or a bearer token.
  std::string api_key;
  std::size_t io_threads = 2;      ///< socket I/O threads
  /// Runs executing at once (each on its own worker thread; runs of one thread are queued).
  std::size_t run_workers = 4;
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
  /// The server's log lines (500 details, failed connections); empty: std::cerr.
  std::function<void(std::string_view line)> log;
};

/// A configuration the server cannot start with ([sg.server.911] in what()).
class AgentServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

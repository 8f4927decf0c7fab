#pragma once
// `sg-bench server`: real `sg-agent-server` processes (LangGraph's Agent Server API over the demo
// graphs) on one store under C concurrent clients, each one keep-alive connection per server it
// talks to, doing R runs one after another; a client program on one thread (Asio coroutines,
// http_load.hpp) so that it takes little of the CPU the servers need. Reports runs/s, latency
// percentiles (and time to first token for the chat graph), errors, CPU and peak RSS.
// Only the HTTP API is used, so the bench does not depend on how the server keeps its runs.

#include <cstddef>
#include <string>
#include <vector>

namespace sg_bench {

struct ServerOptions {
  std::string graph = "chain";        ///< "chain" (a → b → c, runs/wait) or "agent" (the chat graph, runs/stream)
  bool stateless = false;             ///< chain: POST /runs/wait (a temporary thread per run) instead of the client's thread
  std::string durability;             ///< the runs' `durability` (sync | async | exit); empty: not sent (the server's async)
  int servers = 1;                    ///< sg-agent-server processes on the one store
  int clients = 32;                   ///< concurrent clients
  int runs = 100;                     ///< measured runs per client
  int warmup = 1;                     ///< unmeasured runs per client first
  bool spread = false;                ///< a client's run k goes to server (client + k) % servers, not always the same one
  std::string store = "sqlite";       ///< "sqlite" (a file under $TMPDIR), "postgres" (a database of its own) or "memory"
  std::string postgres;               ///< cluster URI; empty: SG_TEST_POSTGRES_URI
  std::size_t run_workers = 16;       ///< the servers' --run-workers
  std::string binary;                 ///< sg-agent-server; empty: this build's (or the one next to sg-bench)
  std::vector<std::string> server_args;  ///< more arguments for every sg-agent-server
  bool keep = false;                  ///< keep the directory (server logs, SQLite file) and the Postgres database
};

/// Starts options.servers servers one after another (`--port 0`, each port read from its
/// "serving on http://HOST:PORT/" line), creates each client's thread (unless stateless), runs
/// the warm-up and then the measured runs (the clock starts when every client has done its
/// warm-up), stops the servers (SIGTERM) and prints one JSON line. Every answer is checked: a
/// 200 with the values the run must give (chain: `count` and `steps` grown by this run; agent: a
/// `metadata` event, no `error` event, the streamed tokens spelling the model's reply).
/// @throws std::runtime_error after the JSON line when any run failed or a server did not exit
///         with status 0 (the first failures and the servers' logs on stderr), or before it when a
///         server does not start.
void run_server(const ServerOptions& options);

}  // namespace sg_bench

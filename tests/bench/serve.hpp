#pragma once
// `sg-bench serve`: the real `sg-chatbot serve` process (offline fake model, no delay) under a
// load of S sessions, each one keep-alive HTTP/1.1 connection sending T turns of POST /chat one
// after another, from a client that runs on one thread (Asio coroutines) so that it takes little
// of the CPU the server needs. Reports throughput, latency percentiles and both processes' CPU.

#include <cstddef>
#include <string>
#include <vector>

namespace sg_bench {

struct ServeOptions {
  std::string store = "sqlite";       ///< "sqlite" (a file under $TMPDIR) or "postgres"
  std::string postgres;               ///< cluster URI; empty: SG_TEST_POSTGRES_URI (a database of its own is made)
  int sessions = 32;                  ///< concurrent sessions, one connection each
  int turns = 100;                    ///< measured turns per session
  int warmup = 1;                     ///< unmeasured turns per session first (connects, creates the threads)
  std::size_t server_threads = 4;     ///< the server's --threads
  std::string binary;                 ///< sg-chatbot; empty: this build's (or the one next to sg-bench)
  std::vector<std::string> server_args;  ///< more arguments for `sg-chatbot serve`
  bool keep = false;                  ///< keep the SQLite file / Postgres database and the server log
};

/// Starts the server (`--port 0`, its port read from its "serving on http://HOST:PORT/" line),
/// runs the load, stops the server (SIGTERM) and prints one JSON line. Every answer must be a 200
/// whose turn_count is the session's turn number.
/// @throws std::runtime_error when the server does not start, a request fails or an answer is wrong
///         (the server's log is in the message).
void run_serve(const ServeOptions& options);

}  // namespace sg_bench

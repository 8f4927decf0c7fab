// sg-bench: `sg-bench linear --n 100 --saver memory`, `sg-bench fanout --k 50 --saver none`,
// `sg-bench blocking --tasks 20 --tasks 200`, `sg-bench serve --store sqlite --sessions 32`,
// `sg-bench server --graph chain --servers 3 --store postgres`.
// Prints one JSON object per line; figures are medians over --repeat measured invocations.
#include <exception>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench.hpp"
#include "chat.hpp"
#include "cli.hpp"
#include "serve.hpp"
#include "server.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sg-bench: micro-benchmarks of the stategraph engine (one JSON line per run)"};
  app.fallthrough();  // --baseline and --save-baseline after the subcommand too
  app.require_subcommand(1);

  sg_bench::Options options;
  auto add_common = [&options](CLI::App* sub) {
    sub->add_option("--saver", options.saver,
                    "checkpointer: none, memory, sqlite (a file under $TMPDIR) or postgres (a schema of its own)")
        ->check(CLI::IsMember({"none", "memory", "sqlite", "postgres"}))
        ->capture_default_str();
    sub->add_option("--postgres", options.postgres, "Postgres URI for --saver postgres (default: $SG_TEST_POSTGRES_URI)");
    sub->add_option("--repeat", options.repeat, "measured invocations (median reported)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--warmup", options.warmup, "unmeasured invocations first")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    sub->add_option("--threads", options.threads, "CompileOptions::threads (0 = no limit besides the executor's)")
        ->capture_default_str();
    sub->add_option("--durability", options.durability, "sync, async or exit")
        ->check(CLI::IsMember({"sync", "async", "exit"}))
        ->capture_default_str();
    sub->add_flag("--allocs", options.allocs,
                  "count heap allocations (operator new, every thread) during the measured invocations: "
                  "allocs_per_invoke, alloc_bytes_per_invoke, allocs_per_node_step");
  };

  int n = 100;
  auto* linear = app.add_subcommand("linear", "a chain of N nodes, each adding 1 to an int (reports us_per_node_step)");
  linear->add_option("--n", n, "number of nodes")->check(CLI::PositiveNumber)->capture_default_str();
  add_common(linear);

  int k = 50;
  auto* fanout = app.add_subcommand("fanout", "START → K parallel nodes → a join of all K (reports ms_per_invoke)");
  fanout->add_option("--k", k, "number of parallel nodes")->check(CLI::Range(2, 100000))->capture_default_str();
  add_common(fanout);

  auto* chain3 = app.add_subcommand("chain3", "START → a → b → c → END, each adding 1 (linear --n 3; reports ms_per_invoke "
                                              "and sqlite_txn_per_invoke)");
  add_common(chain3);
  auto* fanout5 = app.add_subcommand("fanout5", "START → 5 parallel nodes → join (fanout --k 5; reports ms_per_invoke and "
                                                "sqlite_txn_per_invoke)");
  add_common(fanout5);

  std::vector<int> blocking_tasks{20, 200};
  int sleep_ms = 100;
  auto* blocking = app.add_subcommand("blocking", "START → N Send tasks each sleeping --sleep-ms (a blocking model call) "
                                                  "(reports ms_per_invoke per N)");
  blocking->add_option("--tasks", blocking_tasks, "Send tasks per invoke; repeat for several runs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  blocking->add_option("--sleep-ms", sleep_ms, "how long each task blocks, in milliseconds")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_common(blocking);

  sg_bench::ChatOptions chat_options;
  auto* chat = app.add_subcommand("chat", "the tutorial chatbot graph for T turns on one thread (per-turn cost, storage, reads)");
  chat->add_option("--saver", chat_options.saver, "memory, sqlite or postgres")
      ->check(CLI::IsMember({"memory", "sqlite", "postgres"}))
      ->capture_default_str();
  chat->add_option("--turns", chat_options.turns, "conversation turns")->check(CLI::Range(2, 1000000))->capture_default_str();
  chat->add_option("--postgres", chat_options.postgres, "Postgres URI (default: $SG_TEST_POSTGRES_URI)");
  chat->add_flag("!--no-full-history", chat_options.full_history,
                 "skip get_state_history with values (history_ms null); it decodes every checkpoint's conversation");
  chat->add_option("--sample", chat_options.sample,
                   "also measure storage every N turns, untimed (bytes_per_turn_samples: [[turn, bytes per turn]])")
      ->check(CLI::Range(1, 1000000));
  chat->add_flag("--keep", chat_options.keep, "keep the SQLite file or Postgres schema and print where it is");
  chat->add_flag("!--no-checksums", chat_options.checksums,
                 "SQLite: store no per-item checksums (SqliteSaverOptions::checksums = false), to measure their cost");

  sg_bench::CliOptions cli_options;
  auto* cli = app.add_subcommand("cli", "sg-checkpoints threads (10,000 threads) and history (1,500 checkpoints) on SQLite, "
                                        "timed as processes");
  cli->add_option("--threads", cli_options.threads, "threads of the first database")->capture_default_str();
  cli->add_option("--turns", cli_options.turns, "chat turns of the long thread (3 checkpoints each)")->capture_default_str();
  cli->add_option("--repeat", cli_options.repeat, "timed runs per command (median)")->capture_default_str();
  cli->add_option("--dir", cli_options.dir, "keep the databases here (reused when present)");
  cli->add_option("--binary", cli_options.binary, "the sg-checkpoints to time (default: this build's)");

  sg_bench::ServeOptions serve_options;
  auto* serve = app.add_subcommand("serve", "POST /chat against a real `sg-chatbot serve --offline`: S sessions x T turns "
                                            "(turns/s, latency percentiles, server and client CPU)");
  serve->add_option("--store", serve_options.store, "sqlite (a file under $TMPDIR) or postgres")
      ->check(CLI::IsMember({"sqlite", "postgres"}))
      ->capture_default_str();
  serve->add_option("--postgres", serve_options.postgres, "Postgres cluster URI (default: $SG_TEST_POSTGRES_URI); "
                                                          "the bench makes a database of its own and drops it");
  serve->add_option("--sessions", serve_options.sessions, "concurrent sessions, one keep-alive connection each")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  serve->add_option("--turns", serve_options.turns, "measured turns per session")->check(CLI::Range(1, 1000000))->capture_default_str();
  serve->add_option("--warmup", serve_options.warmup, "unmeasured turns per session first")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  serve->add_option("--server-threads", serve_options.server_threads, "the server's --threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--binary", serve_options.binary, "the sg-chatbot to run (default: this build's)");
  serve->add_option("--server-arg", serve_options.server_args, "one more argument for `sg-chatbot serve` (repeatable)")
      ->allow_extra_args(false);
  serve->add_flag("--keep", serve_options.keep, "keep the SQLite file or Postgres database and the server log");
  sg_bench::ServerOptions server_options;
  auto* server = app.add_subcommand("server", "LangGraph Agent Server API runs against real `sg-agent-server` processes on one "
                                              "store: C clients x R runs (runs/s, latency percentiles, errors)");
  server->add_option("--graph", server_options.graph,
                     "chain (a -> b -> c, POST /threads/{id}/runs/wait) or agent (the chat graph: one turn per run, "
                     "POST /threads/{id}/runs/stream with stream_mode messages-tuple)")
      ->check(CLI::IsMember({"chain", "agent"}))
      ->capture_default_str();
  server->add_flag("--stateless", server_options.stateless, "chain: POST /runs/wait (a temporary thread per run)");
  server->add_option("--durability", server_options.durability,
                     "the runs' durability (LangGraph's: sync, async, exit; default: not sent, the server's async)")
      ->check(CLI::IsMember({"sync", "async", "exit"}));
  server->add_option("--servers", server_options.servers, "sg-agent-server processes on the one store")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  server->add_option("--clients", server_options.clients, "concurrent clients (round-robin over the servers)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  server->add_option("--runs", server_options.runs, "measured runs per client")->check(CLI::Range(1, 1000000))->capture_default_str();
  server->add_option("--warmup", server_options.warmup, "unmeasured runs per client first")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  server->add_flag("--spread", server_options.spread,
                   "send a client's successive runs to different servers (its thread shared between them)");
  server->add_option("--store", server_options.store, "sqlite (a file under $TMPDIR), postgres (a database of its own) or memory")
      ->check(CLI::IsMember({"sqlite", "postgres", "memory"}))
      ->capture_default_str();
  server->add_option("--postgres", server_options.postgres, "Postgres cluster URI (default: $SG_TEST_POSTGRES_URI); "
                                                            "the bench makes a database of its own and drops it");
  server->add_option("--run-workers", server_options.run_workers, "the servers' --run-workers")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  server->add_option("--server-bin", server_options.binary, "the sg-agent-server to run (default: this build's)");
  server->add_option("--server-arg", server_options.server_args, "one more argument for every sg-agent-server (repeatable)")
      ->allow_extra_args(false);
  server->add_flag("--keep", server_options.keep, "keep the directory (server logs, SQLite file) and the Postgres database");
  sg_bench::ReportOptions report_options;
  app.add_option("--save-baseline", report_options.save_baseline,
                 "also write every JSON line to FILE (truncated first), for a later --baseline");
  app.add_option("--baseline", report_options.baseline,
                 "compare with FILE from an earlier --save-baseline: each line gains vs_baseline {figure: ratio}")
      ->check(CLI::ExistingFile);

  CLI11_PARSE(app, argc, argv);
  try {
    sg_bench::set_report_options(report_options);
    if (*chain3) sg_bench::run_linear(3, options, "chain3");
    if (*fanout5) sg_bench::run_fanout(5, options, "fanout5");
    if (*linear) sg_bench::run_linear(n, options);
    if (*fanout) sg_bench::run_fanout(k, options);
    if (*blocking) sg_bench::run_blocking(blocking_tasks, sleep_ms, options);
    if (*chat) sg_bench::run_chat(chat_options);
    if (*cli) sg_bench::run_cli(cli_options);
    if (*serve) sg_bench::run_serve(serve_options);
    if (*server) sg_bench::run_server(server_options);
  } catch (const std::exception& e) {
    std::cerr << "sg-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

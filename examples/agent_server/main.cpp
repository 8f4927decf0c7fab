// sg-agent-server: the demo graphs (demo_graphs.hpp) behind sg::AgentServer, on a store of the
// user's choosing. See README "Serving a graph".
//
//   sg-agent-server [--host 127.0.0.1] [--port 2024] [--store sqlite:agent.db] [--api-key KEY]
//                   [--run-workers 16] [--run-lease-ms 10000] [--fake-delay-ms 0] [--allow-host NAME]...
// Prints "serving on http://HOST:PORT/" when ready; SIGINT/SIGTERM stop it (exit 0).
// Exit status 2 for a bad configuration (store, address).
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <stategraph/checkpoint/open_store.hpp>
#include <stategraph/checkpoint/redact_password.hpp>

#include "agent_server/agent_server.hpp"
#include "agent_server/allocator_tuning.hpp"
#include "agent_server/demo_graphs.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sg-agent-server: stategraph's demo graphs (agent, approval, chain, relay) over the LangGraph Agent Server API"};
  std::string host = "127.0.0.1";
  int port = 2024;
  std::string store = "sqlite:agent.db";
  std::string api_key;
  std::size_t run_workers = 16;
  std::vector<std::string> allowed_hosts;
  int fake_delay_ms = 0;
  app.add_option("--host", host, "address to bind")->capture_default_str();
  app.add_option("--port", port, "port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--store", store, "checkpoint store: sqlite:PATH, postgres://..., memory")->capture_default_str();
  app.add_option("--api-key", api_key, "require this key (X-Api-Key) on every route but /ok and the web page");
  app.add_option("--run-workers", run_workers, "runs executing at once")->capture_default_str()->check(CLI::Range(1, 256));
  long run_lease_ms = 10000;
  app.add_option("--run-lease-ms", run_lease_ms,
                 "a run whose server died is taken over this long after its last lease renewal")
      ->capture_default_str()
      ->check(CLI::Range(200L, 3600000L));
  app.add_option("--allow-host", allowed_hosts,
                 "Also answer requests whose Host header is NAME (repeatable; any port). Always answered: localhost, "
                 "127.0.0.1, [::1] and the --host address; other names are refused (403) against DNS rebinding")
      ->type_name("NAME")
      ->allow_extra_args(false);
  app.add_option("--fake-delay-ms", fake_delay_ms, "the agent's fake model waits this long before each streamed chunk")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  CLI11_PARSE(app, argc, argv);
  sg::server::tune_allocator_for_serving();
  try {
    const sg::StoreUri uri = sg::parse_store_uri(store);
    std::shared_ptr<sg::BaseCheckpointSaver> saver = sg::open_store(uri);
    sg::AgentServerOptions options;
    options.graphs = sg::demo::demo_graphs(saver, std::chrono::milliseconds(fake_delay_ms));
    options.host = host;
    options.port = static_cast<std::uint16_t>(port);
    options.api_key = api_key;
    options.run_workers = run_workers;
    options.run_store = sg::open_run_store(uri);
    options.run_lease = std::chrono::milliseconds(run_lease_ms);
    options.allowed_hosts = allowed_hosts;
    sg::AgentServer server(std::move(options));
    std::cout << "sg-agent-server: graphs agent, approval, chain, relay (the agent's model is a scripted fake, not an LLM); store "
              << sg::redact_password(store) << "\n"
              << "serving on http://" << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":"
              << server.port() << "/" << std::endl;
    server.wait();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sg-agent-server: " << sg::redact_password(e.what()) << "\n";
    return 2;
  }
}

// sg-chatbot: the tutorials' chatbot (seeds 000–002) as a terminal chat and an HTTP server.
// See repl.hpp, http_server.hpp and README.md ("sg-chatbot").
#include <iostream>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/open_store.hpp>
#include <stategraph/checkpoint/redact_password.hpp>

#include "agent_server/allocator_tuning.hpp"
#include "chatbot.hpp"
#include "chatbot_error.hpp"
#include "http_server.hpp"
#include "repl.hpp"
#include "settings.hpp"

int main(int argc, char** argv) {
  using namespace sg::chatbot;  // NOLINT(google-build-using-namespace): a main file
  auto parsed = parse_command_line(argc, argv);
  if (!parsed.settings) return parsed.exit_code;
  const Settings& settings = *parsed.settings;
  try {
    ModelChoice model = make_model(settings);
    ChatbotConfig config;
    config.model = model.model;
    const sg::StoreUri store = checkpoint_store(settings);
    config.saver = sg::open_store(store);
    config.one_writer = store.kind == sg::StoreUri::Kind::sqlite;  // SQLite: one writing transaction at a time
    config.graph.system_prompt = settings.system_prompt;
    config.graph.memory = settings.memory;
    config.graph.max_tokens = settings.max_tokens;
    Chatbot bot(config);
    if (!settings.serve) return run_repl(bot, settings, model);
    sg::server::tune_allocator_for_serving();
    if (const std::string warning = exposure_warning(settings.server); !warning.empty()) std::cerr << warning << std::endl;
    ServerOptions server_options = settings.server;
    server_options.run_store = sg::open_run_store(store);  // the API's runs: durable, beside the checkpoints
    HttpServer server(bot, std::move(server_options));
    std::cerr << "sg-chatbot serving on http://" << settings.server.host << ":" << server.port() << "/ · checkpoints "
              << store.display() << "\nmodel: " << model.description
              << "\nthe Agent Server API (LangGraph SDK) serves the chat graph as assistant \"chatbot\"" << std::endl;
    server.wait();
    return 0;
  } catch (const sg::Error& e) {
    std::cerr << "sg-chatbot: " << sg::redact_password(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sg-chatbot: " << chatbot_error_tag(ChatbotErrorId::bad_configuration) << sg::redact_password(e.what())
              << "\n";
    return 2;
  }
}

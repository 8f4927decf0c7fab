#include "settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <stategraph/checkpoint/redact_password.hpp>
#include <stategraph/nodes/openai_chat_model.hpp>

#include "chatbot_error.hpp"
#include "offline_chat_model.hpp"

namespace sg::chatbot {
namespace {

std::string env(const std::string& name) {
  const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

/// The flags of the model, the store and the graph: the REPL's and serve's.
void add_model_and_store_options(CLI::App& app, Settings& s, std::string& memory, int& delay_ms) {
  app.add_option("--checkpoints", s.checkpoints,
                 "Where threads are kept: sqlite:PATH, postgres://USER@HOST:PORT/DB or memory")
      ->capture_default_str();
  app.add_option("--model", s.model, "Model name sent to the endpoint (default gpt-4o-mini)");
  app.add_option("--base-url", s.base_url,
                 "OpenAI-compatible API root, e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1 "
                 "(Ollama), http://127.0.0.1:8080/v1 (llama.cpp); default $OPENAI_BASE_URL");
  app.add_option("--api-key-env", s.api_key_env, "Environment variable holding the API key")->capture_default_str();
  app.add_option("--system", s.system_prompt, "System prompt; {language} is replaced by the thread's language")
      ->capture_default_str();
  app.add_option("--max-tokens", s.max_tokens, "Token budget of the history the model sees (trim, summary)")
      ->capture_default_str()
      ->check(CLI::Range(16, 10'000'000));
  app.add_option("--memory", memory, "Memory strategy: buffer (everything), trim (newest within --max-tokens), "
                                     "summary (older turns folded into a summary)")
      ->capture_default_str()
      ->check(CLI::IsMember({"buffer", "trim", "summary"}));
  app.add_flag("--offline", s.offline, "Use the offline fake model even when an endpoint is configured");
  app.add_option("--fake-delay-ms", delay_ms, "Offline fake model: delay before each streamed word")
      ->capture_default_str()
      ->check(CLI::Range(0, 10'000));
}

/// The REPL's own flags.
void add_repl_options(CLI::App& app, Settings& s) {
  app.add_option("--thread", s.thread, "Thread (conversation) id")->capture_default_str();
  app.add_option_function<std::string>(
         "--language", [&s](const std::string& l) { s.language = l; },
         "Language the assistant answers in (kept with the thread; new threads: English)");
}

/// A usage error of sg-chatbot's own (not CLI11's): one line with its id on stderr, exit 2.
ParsedCommandLine refuse(const std::string& message) {
  std::cerr << "sg-chatbot: " << chatbot_error_tag(ChatbotErrorId::bad_configuration) << message << "\n";
  return {std::nullopt, 2};
}

/// Whether `token` can be a bearer token (RFC 6750: printable, no spaces).
bool valid_token(const std::string& token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
  Settings s;
  std::string memory = "trim";
  int delay_ms = 0;
  CLI::App app{
      "sg-chatbot: the LangChain/LangGraph tutorials' chatbot on stategraph. Every thread is kept in a "
      "checkpoint store and continues after a restart.\n"
      "  sg-chatbot [options]          a terminal chat (reads one message per line when stdin is not a terminal)\n"
      "  sg-chatbot serve [options]    an HTTP server: POST /chat, /chat/stream, /v1/chat/completions, web page at /",
      "sg-chatbot"};
  add_repl_options(app, s);
  add_model_and_store_options(app, s, memory, delay_ms);
  CLI::App* serve = app.add_subcommand("serve", "Serve the chat over HTTP (Boost.Beast)");
  int port = 8080;
  std::size_t max_body = s.server.max_body_bytes;
  serve->add_option("--host", s.server.host, "Address to bind (beyond loopback without --token: a warning)")
      ->capture_default_str();
  serve->add_option("--port", port, "Port (0: any free port, printed at start)")->capture_default_str()->check(CLI::Range(0, 65535));
  serve->add_option("--token", s.server.token, "Require \"Authorization: Bearer TOKEN\" on every request "
                                                "(printable, no spaces); the Agent Server API also takes it as "
                                                "X-Api-Key (the LangGraph SDK's apiKey)");
  serve->add_option("--allow-host", s.server.allowed_hosts,
                    "Also answer requests whose Host header is NAME (repeatable; any port). Always answered: localhost, "
                    "127.0.0.1, [::1] and the --host address; other names are refused (403) against DNS rebinding")
      ->type_name("NAME")
      ->allow_extra_args(false);
  serve->add_option("--max-body", max_body, "Largest request body in bytes (larger: 413)")->capture_default_str();
  serve->add_option("--threads", s.server.threads, "Turn workers, read workers and I/O threads, N of each (turns on different sessions run in parallel; "
                    "reads never wait for turns)")->capture_default_str()->check(CLI::Range(1, 256));
  // serve's help lists every flag it takes: the model and store flags are serve's own too (given
  // before `serve` they still count).
  add_model_and_store_options(*serve, s, memory, delay_ms);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream err;  // CLI11 may echo arguments: a --base-url or --checkpoints with a password
    const int code = app.exit(e, std::cout, err);
    std::cerr << sg::redact_password(err.str()) << std::flush;
    return {std::nullopt, code};
  }
  if (serve->count("--token") > 0 && !valid_token(s.server.token)) {
    return refuse("--token must be a non-empty bearer token without spaces or control characters (leave --token "
                  "out to serve without authentication)");
  }
  s.memory = parse_memory_strategy(memory);
  s.fake_delay = std::chrono::milliseconds(delay_ms);
  s.serve = serve->parsed();
  s.server.port = static_cast<std::uint16_t>(port);
  s.server.max_body_bytes = max_body;
  return {s, 0};
}

bool is_loopback(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string name(host);
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, name.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24U) == 127U;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, name.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;  // ::ffff:127.x.y.z
  }
  return false;  // another name, or an address of an interface
}

std::string exposure_warning(const ServerOptions& server) {
  if (!server.token.empty() || is_loopback(server.host)) return {};
  return "sg-chatbot: warning: serving on " + server.host +
         " (beyond loopback) without --token: anyone who can reach it can read, write and delete every "
         "thread; give --token TOKEN, or --host 127.0.0.1";
}

sg::StoreUri checkpoint_store(const Settings& settings) {
  try {
    return sg::parse_store_uri(settings.checkpoints);
  } catch (const sg::Error& e) {
    throw ChatbotError(ChatbotErrorId::bad_configuration, "--checkpoints " + std::string(e.message()));
  }
}

ModelChoice make_model(const Settings& s) {
  std::string base_url = s.base_url.empty() ? env("OPENAI_BASE_URL") : s.base_url;
  const bool has_key = !env(s.api_key_env).empty();
  if (s.offline || (base_url.empty() && !has_key)) {
    ModelChoice choice;
    choice.model = std::make_shared<OfflineChatModel>(s.fake_delay);
    choice.offline = true;
    choice.description =
        "offline-fake-chat-model — a FAKE rule-based model, not an LLM (it knows your name and small sums). "
        "For a real model: --base-url http://127.0.0.1:11434/v1 --model llama3.2 (Ollama), "
        "--base-url http://127.0.0.1:8080/v1 (llama.cpp server), or export OPENAI_API_KEY=... for OpenAI.";
    return choice;
  }
  sg::OpenAIChatModelOptions options;
  options.base_url = base_url;
  options.model = s.model.empty() ? "gpt-4o-mini" : s.model;
  options.api_key_env = s.api_key_env;
  auto model = std::make_shared<sg::OpenAIChatModel>(options);
  ModelChoice choice;
  choice.description =
      options.model + " at " + sg::redact_password(model->endpoint()) + (model->has_api_key() ? "" : " (no API key)");
  choice.model = std::move(model);
  return choice;
}

}  // namespace sg::chatbot

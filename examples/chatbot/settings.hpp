#pragma once
/// @file
/// sg-chatbot's command line (CLI11) and what it configures: the model, the checkpoint store,
/// the graph's memory strategy and, for `serve`, the HTTP server.
///
/// Thread-safety: plain values and reentrant functions.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <stategraph/checkpoint/store_uri.hpp>
#include <stategraph/nodes/chat_model.hpp>

#include "chatbot_graph.hpp"
#include "http_server.hpp"

namespace sg::chatbot {

struct Settings {
  std::string thread = "default";
  std::string model;                     ///< empty: "gpt-4o-mini" for an endpoint
  std::string base_url;                  ///< empty: $OPENAI_BASE_URL
  std::string api_key_env = "OPENAI_API_KEY";
  std::string system_prompt = kDefaultSystemPrompt;
  std::optional<std::string> language;   ///< set only when --language was given
  int max_tokens = 4000;
  MemoryStrategy memory = MemoryStrategy::trim;
  std::string checkpoints = "sqlite:sg-chatbot.db";  ///< a store address (sg::parse_store_uri)
  bool offline = false;                  ///< --offline: the fake model even if an endpoint is set
  std::chrono::milliseconds fake_delay{0};
  bool serve = false;                    ///< the `serve` subcommand
  ServerOptions server;
};

/// What parse_command_line decided.
struct ParsedCommandLine {
  std::optional<Settings> settings;  ///< empty when the program should exit with `exit_code`
  int exit_code = 0;                 ///< 0 after --help, 2 for a usage error (printed)
};

/// Parses argv (printing help or usage errors as CLI11 does, with any password in them redacted
/// by sg::redact_password). `serve --token` must be a bearer token: empty, with spaces or with
/// control characters is refused with [sg.chatbot.805] on stderr and exit code 2.
ParsedCommandLine parse_command_line(int argc, char** argv);

/// Whether `host` (a --host value) names only this machine: "localhost", 127.0.0.0/8, ::1 (or
/// ::ffff:127.x.y.z), with or without [brackets]. Any other name or address is not.
/// Thread-safety: reentrant.
bool is_loopback(std::string_view host);

/// The line `serve` prints on stderr when it binds beyond loopback without a token (anyone who
/// reaches the address can use every thread), or "" when it does not.
/// Thread-safety: reentrant.
std::string exposure_warning(const ServerOptions& server);

/// The --checkpoints store address, parsed (memory, sqlite:PATH, sqlite://PATH, postgres://...;
/// the grammar of sg::parse_store_uri, shared with sg-checkpoints --db).
/// @throws ChatbotError [sg.chatbot.805] when it is not a store address.
sg::StoreUri checkpoint_store(const Settings& settings);

/// The model the settings ask for and a one-line description for the banner. With no endpoint
/// configured (no --base-url, no $OPENAI_BASE_URL, no API key in --api-key-env) or with
/// --offline: the offline fake model, and the description says so and how to configure one.
/// @throws sg::ModelError [sg.nodes.634] for invalid endpoint options.
struct ModelChoice {
  std::shared_ptr<const sg::ChatModel> model;
  std::string description;
  bool offline = false;
};
ModelChoice make_model(const Settings& settings);

}  // namespace sg::chatbot

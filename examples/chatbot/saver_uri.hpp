#pragma once
/// @file
/// Opens a checkpoint saver from a URI, as sg-chatbot's --checkpoints takes it:
///   `memory`                      an InMemorySaver (forgotten when the process ends)
///   `sqlite:PATH`                 a SqliteSaver on the file PATH (created if missing)
///   `postgres://...`, `postgresql://...`  a PostgresSaver (libpq URI)
///
/// @throws ChatbotError [sg.chatbot.805] for any other form; SaverError (sg.saver.4xx) when the
///         store cannot be opened (unreadable file, not a stategraph database, unreachable
///         server, schema from a newer release).
/// Thread-safety: reentrant.

#include <memory>
#include <string>

#include <stategraph/checkpoint/saver.hpp>

namespace sg::chatbot {

std::shared_ptr<sg::BaseCheckpointSaver> open_saver(const std::string& uri);

/// The URI with a Postgres password replaced by "***" (for banners and logs).
std::string redact_uri(const std::string& uri);

}  // namespace sg::chatbot

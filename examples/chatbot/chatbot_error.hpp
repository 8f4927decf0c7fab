#pragma once
/// @file
/// sg-chatbot's errors. Every one carries a stable id (sg.chatbot.8xx), printed by the REPL and
/// returned by the HTTP server as `{"error": {"id", "message"}}`.
///
/// | id              | HTTP | meaning                                                           |
/// |-----------------|------|-------------------------------------------------------------------|
/// | sg.chatbot.801  | 400  | the message is empty (or only whitespace)                         |
/// | sg.chatbot.802  | 404  | the thread (session) does not exist                               |
/// | sg.chatbot.803  | 502  | the model failed (unreachable, error status, malformed reply);    |
/// |                 |      | the thread is left as it was before the turn                      |
/// | sg.chatbot.804  | 499  | the turn was cancelled (Ctrl-C, client gone); thread as before     |
/// | sg.chatbot.805  | —    | invalid configuration: --checkpoints URI, --memory, --max-tokens  |
/// | sg.chatbot.806  | 503  | the thread stayed busy (another turn on it) past the wait         |
/// | sg.chatbot.807  | 400  | a malformed request (HTTP: bad JSON, missing or mistyped field)   |
/// | sg.chatbot.808  | 413  | the request body is too large                                     |
/// | sg.chatbot.809  | 401  | missing or wrong bearer token                                     |
/// | sg.chatbot.810  | 500  | the checkpoint store failed (see the nested sg.saver.4xx message) |
/// | sg.chatbot.811  | 404/405 | HTTP: no such route, or the method is not allowed on it        |
/// | sg.chatbot.812  | 500  | HTTP: an unexpected server error (a bug: the message says where)  |
/// | sg.chatbot.813  | 503  | HTTP: the server is stopping                                      |
///
/// Thread-safety: exception objects are immutable.

#include <string>
#include <string_view>

#include <stategraph/checkpoint/error.hpp>

namespace sg::chatbot {

class ChatbotError : public sg::Error {
 public:
  ChatbotError(std::string id, std::string_view message) : sg::Error(std::move(id), message) {}
};

}  // namespace sg::chatbot

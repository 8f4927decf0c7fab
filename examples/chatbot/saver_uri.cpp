#include "saver_uri.hpp"

#include <regex>

#include <stategraph/checkpoint/memory_saver.hpp>
#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "chatbot_error.hpp"

namespace sg::chatbot {

std::shared_ptr<sg::BaseCheckpointSaver> open_saver(const std::string& uri) {
  if (uri == "memory") return std::make_shared<sg::InMemorySaver>();
  if (uri.rfind("sqlite:", 0) == 0) {
    const std::string path = uri.substr(7);
    if (path.empty()) throw ChatbotError("sg.chatbot.805", "--checkpoints sqlite: needs a file path (sqlite:PATH)");
    return std::make_shared<sg::SqliteSaver>(path);
  }
  if (uri.rfind("postgres://", 0) == 0 || uri.rfind("postgresql://", 0) == 0) {
    return std::make_shared<sg::PostgresSaver>(uri);
  }
  throw ChatbotError("sg.chatbot.805", "--checkpoints \"" + redact_uri(uri) +
                                           "\" is not memory, sqlite:PATH or postgres://USER@HOST:PORT/DB");
}

std::string redact_uri(const std::string& uri) {
  static const std::regex password(R"(^(postgres(?:ql)?://[^:/@]*:)[^@]*@)");
  return std::regex_replace(uri, password, "$1***@");
}

}  // namespace sg::chatbot

#pragma once
// sgtest::Served: a Chatbot on a SQLite file in a fresh directory and sg-chatbot's HTTP server
// on a free loopback port, with a libcurl client pointed at it; sgtest::LogLines: a server log
// sink that keeps the lines. For the in-process HTTP tests (http_server_test.cpp,
// http_hardening_test.cpp).
//
// Thread-safety: a Served is driven by one test thread (its client may be copied to others);
// LogLines may be written from any thread.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "chatbot.hpp"
#include "http_client.hpp"
#include "http_server.hpp"
#include "offline_chat_model.hpp"
#include "temp_dir.hpp"

namespace sgtest {

struct Served {
  /// `configure` may change the Chatbot's configuration (memory buffer, a SqliteSaver on
  /// db_path) before the Chatbot is made, e.g. wrap the saver or set a token budget.
  explicit Served(std::shared_ptr<const sg::ChatModel> model = std::make_shared<sg::chatbot::OfflineChatModel>(),
                  sg::chatbot::ServerOptions options = {}, std::string db = {},
                  const std::function<void(sg::chatbot::ChatbotConfig&)>& configure = {})
      : db_path(db.empty() ? dir.file("chat.db") : std::move(db)) {
    sg::chatbot::ChatbotConfig config;
    config.model = std::move(model);
    config.saver = std::make_shared<sg::SqliteSaver>(db_path);
    config.graph.memory = sg::chatbot::MemoryStrategy::buffer;
    if (configure) configure(config);
    bot = std::make_unique<sg::chatbot::Chatbot>(config);
    options.host = "127.0.0.1";
    options.port = 0;
    server = std::make_unique<sg::chatbot::HttpServer>(*bot, options);
    client = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(server->port()));
  }
  ~Served() {
    server.reset();
    bot.reset();
  }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  HttpResult chat(const std::string& session, const std::string& message) const {
    return client->post("/chat", {{"session_id", session}, {"message", message}});
  }
  /// The texts of the session's messages (via GET history).
  std::vector<std::string> texts(const std::string& session) const {
    std::vector<std::string> out;
    const HttpResult r = client->get("/chat/" + session + "/history");
    if (r.status != 200) return {"<status " + std::to_string(r.status) + ">"};
    const nlohmann::json body = r.json();
    for (const auto& m : body["messages"]) out.push_back(m["content"].get<std::string>());
    return out;
  }

  TempDir dir;
  std::string db_path;
  std::unique_ptr<sg::chatbot::Chatbot> bot;
  std::unique_ptr<sg::chatbot::HttpServer> server;
  std::unique_ptr<HttpClient> client;
};

/// Keeps the lines a server logs (ServerOptions::log = lines.sink()); must outlive the server.
class LogLines {
 public:
  [[nodiscard]] std::function<void(std::string_view)> sink() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace sgtest

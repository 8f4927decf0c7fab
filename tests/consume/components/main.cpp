// Uses the installed package's components: a chat state (stategraph::nodes' sg::Messages and
// add_messages) kept by a SqliteSaver (stategraph::sqlite) in a temporary file, continued through
// a second saver on the same file opened by sg::open_store (stategraph::store); a PostgresSaver
// (stategraph::postgres, libpqxx) on a closed port must fail with sg.saver.401; an
// OpenAIChatModel (libcurl) is constructed. Exits non-zero when a value is not the expected one.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <stategraph/checkpoint/open_store.hpp>
#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/nodes.hpp>
#include <stategraph/nodes/openai_chat_model.hpp>
#include <stategraph/stategraph.hpp>

namespace consume {

struct Chat {
  sg::Messages messages;
};

}  // namespace consume

template <>
struct sg::state_schema<consume::Chat> {
  static constexpr auto fields = sg::fields(sg::field<&consume::Chat::messages>("messages", sg::add_messages));
};

namespace {

using consume::Chat;

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << '\n';
    ++failures;
  }
}

sg::StateGraph<Chat> echo_graph() {
  sg::StateGraph<Chat> graph;
  graph.add_node("echo", [](const Chat& s) {
    return sg::set<&Chat::messages>(sg::AIMessage("echo: " + s.messages.back().text()));
  });
  graph.add_edge(sg::START, "echo");
  graph.add_edge("echo", sg::END);
  return graph;
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sg-consume-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  try {
    sg::RunConfig config;
    config.thread_id = "consume-components";
    {
      const auto app = echo_graph().compile({.checkpointer = std::make_shared<sg::SqliteSaver>(dir / "chat.db")});
      const auto first = app.invoke(sg::Update<Chat>{sg::set<&Chat::messages>(sg::HumanMessage("hello"))}, config);
      expect(first.values.messages.size() == 2, "first run: two messages");
    }
    {
      // A fresh saver on the same file, opened by address (stategraph::store), continues the thread.
      std::shared_ptr<sg::BaseCheckpointSaver> saver = sg::open_store("sqlite:" + (dir / "chat.db").string());
      const auto app = echo_graph().compile({.checkpointer = saver});
      const auto second = app.invoke(sg::Update<Chat>{sg::set<&Chat::messages>(sg::HumanMessage("again"))}, config);
      expect(second.values.messages.size() == 4, "second run continues the stored thread");
      if (second.values.messages.size() == 4) {
        expect(second.values.messages[3].text() == "echo: again", "second answer");
        std::cout << "sqlite: " << second.values.messages[1].text() << " / " << second.values.messages[3].text()
                  << '\n';
      }
    }

    try {
      sg::PostgresSaverOptions options;
      options.connect_timeout = std::chrono::seconds(2);
      sg::PostgresSaver saver("postgresql://nobody@127.0.0.1:1/none", options);
      expect(false, "PostgresSaver on a closed port must throw");
    } catch (const sg::SaverError& e) {
      expect(e.id() == "sg.saver.401", std::string("PostgresSaver on a closed port: ") + e.what());
      std::cout << "postgres: " << e.id() << " as expected\n";
    }

    sg::OpenAIChatModelOptions model_options;
    model_options.base_url = "http://127.0.0.1:1/v1";
    model_options.model = "consume";
    const sg::OpenAIChatModel model(model_options);
    expect(model.name().find("consume") != std::string::npos, "OpenAIChatModel name");
  } catch (const std::exception& e) {
    std::cerr << "FAIL: exception: " << e.what() << '\n';
    ++failures;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (failures != 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "consume components: OK\n";
  return 0;
}

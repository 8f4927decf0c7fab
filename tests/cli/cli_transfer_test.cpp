// sg-checkpoints export / import: a thread moved SQLite → Postgres → SQLite comes back exactly.

#include <doctest/doctest.h>

#include <fstream>

#include "cli_runner.hpp"
#include "databases.hpp"
#include "engine_threads.hpp"
#include "helpers.hpp"

namespace {

using nlohmann::json;
using sgtest::run_cli;

std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Lines of an export without the header (which names the thread).
std::string body(const std::string& text) { return text.substr(text.find('\n') + 1); }

void check_same_thread(sg::BaseCheckpointSaver& a, const std::string& ta, sg::BaseCheckpointSaver& b,
                       const std::string& tb) {
  const auto x = a.list({ta, "", std::nullopt});
  const auto y = b.list({tb, "", std::nullopt});
  REQUIRE(x.size() == y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(x[i].checkpoint == y[i].checkpoint);
    CHECK(x[i].metadata == y[i].metadata);
    CHECK(x[i].pending_writes == y[i].pending_writes);
    CHECK(x[i].parent_config.has_value() == y[i].parent_config.has_value());
  }
}

}  // namespace

TEST_CASE("cli export and import move a thread SQLite to Postgres and back exactly") {
  SqliteDb lite;
  sgtest::write_chat(lite.saver);
  sgtest::Run extra(*lite.saver, "chat", "sub:1");  // a second namespace
  extra.step({{"inner", json::array({1, 2})}});
  lite.saver->put_writes(extra.config_of(0), std::vector<sg::PendingWrite>{{"", "inner", 3}, {"", "__error__", {{"message", "boom"}}}},
                         "task-x");
  PostgresDb pg;
  sgtest::TempDir dir;
  const std::string file1 = (dir.path() / "chat.jsonl").string();
  const std::string file2 = (dir.path() / "chat-pg.jsonl").string();

  const auto exported = run_cli(with(lite.args(), {"export", "chat", "-o", file1}));
  REQUIRE_MESSAGE(exported.code == 0, exported.err);
  CHECK(exported.out.empty());
  const std::string text1 = sgtest::read_file(file1);
  CHECK(std::count(text1.begin(), text1.end(), '\n') == 1 + 15 + 1);
  const json header = json::parse(text1.substr(0, text1.find('\n')));
  CHECK(header["format"] == "stategraph.thread");
  CHECK(header["checkpoints"] == 16);
  // Stdout gives the same lines.
  CHECK(run_cli(with(lite.args(), {"export", "chat"})).out == text1);

  const auto imported = run_cli(with(pg.args(), {"import", file1}));
  REQUIRE_MESSAGE(imported.code == 0, imported.err);
  check_same_thread(*lite.saver, "chat", *pg.saver, "chat");
  sg::ListOptions all;
  CHECK(lite.saver->list({"chat", "sub:1", std::nullopt}).front().pending_writes ==
        pg.saver->list({"chat", "sub:1", std::nullopt}).front().pending_writes);
  REQUIRE(run_cli(with(pg.args(), {"export", "chat", "-o", file2})).code == 0);
  CHECK(sgtest::read_file(file2) == text1);

  // Back into SQLite under another id.
  const auto back = run_cli(with(lite.args(), {"import", file2, "--thread", "chat-copy", "--json"}));
  REQUIRE_MESSAGE(back.code == 0, back.err);
  CHECK(back.json()["checkpoints"] == 16);
  check_same_thread(*lite.saver, "chat", *lite.saver, "chat-copy");
  CHECK(body(run_cli(with(lite.args(), {"export", "chat-copy"})).out) == body(text1));

  // The engine reads the imported thread like the original.
  sg::StateGraph<sg::MessagesState> graph;
  graph.add_node("model", [](const sg::MessagesState&) { return sg::Update<sg::MessagesState>{}; });
  graph.add_edge(sg::START, "model");
  auto app = graph.compile({.checkpointer = pg.saver});
  sg::RunConfig cfg;
  cfg.thread_id = "chat";
  const auto state = app.get_state(cfg);
  REQUIRE(state.has_value());
  CHECK(state->values.messages.size() == 7);

  // Importing onto an existing thread is refused; a dry run checks without writing.
  const auto again = run_cli(with(pg.args(), {"import", file1}));
  CHECK(again.code == 2);
  CHECK(contains(again.err, "[sg.cli.709]"));
  const auto dry = run_cli(with(pg.args(), {"import", file1, "--thread", "other", "--dry-run"}));
  CHECK(dry.code == 0);
  CHECK(pg.saver->list({"other", "", std::nullopt}).empty());
}

TEST_CASE("cli import rejects files that are not exports and leaves nothing half imported") {
  SqliteDb db;
  sgtest::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    const auto p = (dir.path() / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  };
  const auto missing = run_cli(with(db.args(), {"import", (dir.path() / "nope.jsonl").string()}));
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "[sg.cli.711]"));
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"empty.jsonl", ""},
           {"garbage.jsonl", "this is not json\n"},
           {"wrong.jsonl", "{\"format\":\"other\"}\n"},
           {"version.jsonl", "{\"format\":\"stategraph.thread\",\"version\":9,\"thread_id\":\"t\",\"checkpoints\":0}\n"}}) {
    const auto r = run_cli(with(db.args(), {"import", write(name, text)}));
    CAPTURE(name);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "[sg.cli.710]"));
    CHECK(sgtest::one_line(r.err));
  }
  // A good export, cut short and damaged: nothing of the thread stays.
  sgtest::write_chat(db.saver, "t");
  const std::string good = run_cli(with(db.args(), {"export", "t"})).out;
  std::string cut = good.substr(0, good.find('\n', good.find('\n', good.find('\n') + 1) + 1) + 1);
  auto r = run_cli(with(db.args(), {"import", write("cut.jsonl", cut), "--thread", "t2"}));
  CHECK(r.code == 2);
  CHECK(contains(r.err, "truncated"));
  CHECK(db.saver->list({"t2", "", std::nullopt}).empty());
  std::string bad = good;
  bad.replace(bad.find("\"channel_versions\""), 18, "\"channel_versionz\"");
  r = run_cli(with(db.args(), {"import", write("bad.jsonl", bad), "--thread", "t3"}));
  CHECK(r.code == 2);
  CHECK(contains(r.err, "line 2"));
  CHECK(db.saver->list({"t3", "", std::nullopt}).empty());
}

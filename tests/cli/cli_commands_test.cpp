// sg-checkpoints on real databases, SQLite and Postgres alike: every command run as a process,
// its --json output checked against what the saver API and the engine say.

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

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

// Three threads written through the saver API: "a" (3 steps, one pending write), "b" (1 step,
// metadata user=bob), "c" (2 steps).
template <class Db>
void write_simple(Db& db) {
  sgtest::Run a(*db.saver, "a");
  a.step({{"n", 0}}, {}, {{"user", "ann"}});
  a.step({{"n", 1}, {"text", "hello"}});
  a.step({{"n", 2}});
  db.saver->put_writes(a.config_of(2), std::vector<sg::PendingWrite>{{"", "n", 3}, {"", "text", "pending"}}, "task-1");
  sgtest::Run b(*db.saver, "b");
  b.step({{"n", 0}}, {}, {{"user", "bob"}});
  sgtest::Run c(*db.saver, "c");
  c.step({{"n", 0}});
  c.step({{"n", 1}});
}

}  // namespace

#define CLI_TEST(name) TEST_CASE_TEMPLATE("cli " name, Db, SqliteDb, PostgresDb)

CLI_TEST("threads lists every thread with checkpoints last step and size") {
  Db db;
  write_simple(db);
  const auto r = run_cli(with(db.args(), {"threads", "--json"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.err.empty());
  const json j = r.json();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 3);
  CHECK(j[0]["thread_id"] == "c");  // most recent first
  CHECK(j[2]["thread_id"] == "a");
  CHECK(j[2]["checkpoints"] == 3);
  CHECK(j[2]["last_step"] == 1);
  CHECK(j[2]["bytes"].get<std::uint64_t>() > 0);
  CHECK(j[2]["last_updated"].get<std::string>().size() == 27);

  const auto table = run_cli(with(db.args(), {"threads"}));
  REQUIRE(table.code == 0);
  CHECK(table.out.rfind("THREAD  CHECKPOINTS  NAMESPACES  LAST STEP  LAST UPDATED", 0) == 0);
  CHECK(std::count(table.out.begin(), table.out.end(), '\n') == 4);

  const auto filtered = run_cli(with(db.args(), {"threads", "--filter", "user=bob", "--json"}));
  REQUIRE(filtered.code == 0);
  REQUIRE(filtered.json().size() == 1);
  CHECK(filtered.json()[0]["thread_id"] == "b");
  const auto by_step = run_cli(with(db.args(), {"threads", "--filter", "step=1", "--filter", "source=loop", "--json"}));
  REQUIRE(by_step.code == 0);
  CHECK(by_step.json().size() == 1);
  const auto limited = run_cli(with(db.args(), {"threads", "--limit", "2", "--json"}));
  REQUIRE(limited.code == 0);
  CHECK(limited.json().size() == 2);
  const auto bad = run_cli(with(db.args(), {"threads", "--filter", "nokey"}));
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "[sg.cli.701]"));
}

CLI_TEST("history shows the engine's next nodes and the channels each step changed") {
  Db db;
  std::map<std::string, sgtest::ExpectedNext> expected;
  expected["chat"] = sgtest::write_chat(db.saver);
  expected["fanout"] = sgtest::write_fanout(db.saver);
  expected["sends"] = sgtest::write_sends(db.saver);
  for (const auto& [thread, next_of] : expected) {
    CAPTURE(thread);
    const auto r = run_cli(with(db.args(), {"history", thread, "--json"}));
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const json rows = r.json();
    REQUIRE(rows.size() == next_of.size());
    std::string previous;
    for (const auto& row : rows) {
      const std::string id = row["checkpoint_id"].get<std::string>();
      CAPTURE(id);
      if (!previous.empty()) CHECK(id < previous);  // newest first
      previous = id;
      REQUIRE(next_of.count(id) == 1);
      CHECK_MESSAGE(row["next"].get<std::vector<std::string>>() == next_of.at(id),
                    row["next"].dump() << " vs engine " << json(next_of.at(id)).dump());
      CHECK(row["bytes"].get<std::uint64_t>() > 0);
    }
  }
  // The chat: the newest checkpoint (after the model's reply) changed messages.
  const json chat = run_cli(with(db.args(), {"history", "chat", "--json"})).json();
  CHECK(chat[0]["changed"] == json::array({"messages"}));
  CHECK(chat[0]["source"] == "loop");
  CHECK(chat.back()["source"] == "input");
  CHECK(chat.back()["parent_checkpoint_id"].is_null());
  // The stopped fan-out waits for c; the map-reduce for its three Sends (one entry each, as the
  // engine's next).
  CHECK(run_cli(with(db.args(), {"history", "fanout", "--json"})).json()[0]["next"] == json::array({"c"}));
  CHECK(run_cli(with(db.args(), {"history", "sends", "--json"})).json()[0]["next"] ==
        json::array({"work", "work", "work"}));
  const auto limited = run_cli(with(db.args(), {"history", "chat", "--limit", "2", "--json"}));
  CHECK(limited.json().size() == 2);
  const auto table = run_cli(with(db.args(), {"history", "chat"}));
  REQUIRE(table.code == 0);
  CHECK(table.out.rfind("CHECKPOINT", 0) == 0);
  CHECK(contains(table.out, "NEXT"));
  CHECK(contains(table.out, "model"));
}

CLI_TEST("show renders the state with messages as blocks") {
  Db db;
  sgtest::write_chat(db.saver);
  const auto r = run_cli(with(db.args(), {"show", "chat"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "=============================== Human Message ================================"));
  CHECK(contains(r.out, "hello number two, edited"));
  CHECK(contains(r.out, "reply to: hello number 3"));
  CHECK(contains(r.out, "messages (7 messages):"));
  CHECK(contains(r.out, "id: h-1"));
  CHECK_FALSE(contains(r.out, "branch:to:"));  // the engine's channels only with --all-channels

  const json j = run_cli(with(db.args(), {"show", "chat", "--json"})).json();
  const auto messages = j["values"]["messages"];
  REQUIRE(messages.is_array());
  std::vector<std::string> ids;
  for (const auto& m : messages) ids.push_back(m["id"].get<std::string>());
  CHECK(ids == std::vector<std::string>{"h-1", "h-2", "ai-2", "h-3", "ai-3", "ai-4", "ai-5"});  // ai-1 removed
  CHECK(j["next"] == json::array());

  // An older checkpoint by id prefix, one channel.
  const json history = run_cli(with(db.args(), {"history", "chat", "--json"})).json();
  const std::string oldest = history.back()["checkpoint_id"].get<std::string>();
  const auto first = run_cli(with(db.args(), {"show", "chat", oldest.substr(0, 30), "--json"}));
  REQUIRE_MESSAGE(first.code == 0, first.err);
  CHECK(first.json()["checkpoint_id"] == oldest);
  CHECK(first.json()["next"] == json::array({"__start__"}));
  const auto channel = run_cli(with(db.args(), {"show", "chat", "--channel", "messages", "--json"}));
  REQUIRE(channel.code == 0);
  CHECK(channel.json()["value"].size() == 7);
  const auto missing = run_cli(with(db.args(), {"show", "chat", "--channel", "nope"}));
  CHECK(missing.code == 1);
  CHECK(contains(missing.err, "[sg.cli.706]"));
  CHECK(contains(missing.err, "messages"));
}

CLI_TEST("diff names added replaced and removed messages") {
  Db db;
  sgtest::write_chat(db.saver);
  const json history = run_cli(with(db.args(), {"history", "chat", "--json"})).json();
  // Checkpoints (newest first): ..., [2] after the edit turn's model, [1] input of the removal, [0] after removal.
  const std::string after_turn3 = history[6]["checkpoint_id"].get<std::string>();
  const std::string latest = history[0]["checkpoint_id"].get<std::string>();
  const auto r = run_cli(with(db.args(), {"diff", "chat", after_turn3, latest, "--json"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const json j = r.json();
  REQUIRE(j["channels"].size() == 1);
  const json& m = j["channels"][0]["messages"];
  CHECK(j["channels"][0]["channel"] == "messages");
  std::set<std::string> added, replaced, removed;
  for (const auto& x : m["added"]) added.insert(x["id"].get<std::string>());
  for (const auto& x : m["replaced"]) replaced.insert(x["after"]["id"].get<std::string>());
  for (const auto& x : m["removed"]) removed.insert(x["id"].get<std::string>());
  CHECK(added == std::set<std::string>{"ai-4", "ai-5"});
  CHECK(replaced == std::set<std::string>{"h-2"});
  CHECK(removed == std::set<std::string>{"ai-1"});
  const auto text = run_cli(with(db.args(), {"diff", "chat", after_turn3, latest}));
  CHECK(contains(text.out, "~ messages: 2 added, 1 replaced, 1 removed"));
  CHECK(contains(text.out, "- [ai] id=ai-1"));
  const auto same = run_cli(with(db.args(), {"diff", "chat", latest, latest}));
  CHECK(contains(same.out, "(no channel changed)"));
}

CLI_TEST("writes lists the pending writes of a checkpoint") {
  Db db;
  write_simple(db);
  const json history = run_cli(with(db.args(), {"history", "a", "--json"})).json();
  const auto r = run_cli(with(db.args(), {"writes", "a", history[0]["checkpoint_id"].get<std::string>(), "--json"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.json() == json::array({{{"task_id", "task-1"}, {"channel", "n"}, {"value", 3}},
                                 {{"task_id", "task-1"}, {"channel", "text"}, {"value", "pending"}}}));
  const auto table = run_cli(with(db.args(), {"writes", "a", history[0]["checkpoint_id"].get<std::string>()}));
  CHECK(contains(table.out, "task-1  text     \"pending\""));
  const auto unknown = run_cli(with(db.args(), {"writes", "a", "ffffffff"}));
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.err, "[sg.cli.705]"));
}

CLI_TEST("delete asks for --yes without a terminal and --dry-run changes nothing") {
  Db db;
  write_simple(db);
  const auto refused = run_cli(with(db.args(), {"delete", "a"}));
  CHECK(refused.code == 2);
  CHECK(contains(refused.err, "[sg.cli.707]"));
  CHECK(sgtest::one_line(refused.err));
  const auto dry = run_cli(with(db.args(), {"delete", "a", "--dry-run"}));
  CHECK(dry.code == 0);
  CHECK(contains(dry.out, "would delete thread \"a\" (3 checkpoints"));
  CHECK(db.saver->list({"a", "", std::nullopt}).size() == 3);
  const auto done = run_cli(with(db.args(), {"delete", "a", "--yes"}));
  REQUIRE_MESSAGE(done.code == 0, done.err);
  CHECK(db.saver->list({"a", "", std::nullopt}).empty());
  CHECK(db.saver->list({"b", "", std::nullopt}).size() == 1);
  const auto again = run_cli(with(db.args(), {"delete", "a", "--yes"}));
  CHECK(again.code == 1);
  CHECK(contains(again.err, "[sg.cli.704]"));
}

CLI_TEST("prune by keep-last before and older-than and across all threads") {
  Db db;
  sgtest::Run run(*db.saver, "long");
  for (int i = 0; i < 10; ++i) run.step({{"n", i}});
  write_simple(db);
  auto count = [&](const std::string& thread) { return db.saver->list({thread, "", std::nullopt}).size(); };
  const auto dry = run_cli(with(db.args(), {"prune", "long", "--keep-last", "4", "--dry-run", "--json"}));
  REQUIRE_MESSAGE(dry.code == 0, dry.err);
  CHECK(dry.json()["checkpoints"] == 6);
  CHECK(count("long") == 10);
  CHECK(run_cli(with(db.args(), {"prune", "long", "--keep-last", "4"})).code == 2);  // no --yes
  REQUIRE(run_cli(with(db.args(), {"prune", "long", "--keep-last", "4", "--yes"})).code == 0);
  CHECK(count("long") == 4);
  CHECK(db.saver->get_tuple({"long", "", std::nullopt})->checkpoint == run.history.back());
  // --before a checkpoint (by prefix).
  const std::string keep_from = run.history[8].id;
  const auto before = run_cli(with(db.args(), {"prune", "long", "--before", keep_from.substr(0, 34), "--yes", "--json"}));
  REQUIRE_MESSAGE(before.code == 0, before.err);
  CHECK(before.json()["checkpoints"] == 2);
  CHECK(count("long") == 2);
  // --older-than: nothing is a day old; everything is older than 0s except each newest.
  CHECK(run_cli(with(db.args(), {"prune", "--all", "--older-than", "1d", "--yes", "--json"})).json()["checkpoints"] == 0);
  const auto all = run_cli(with(db.args(), {"prune", "--all", "--older-than", "0s", "--yes", "--json"}));
  REQUIRE_MESSAGE(all.code == 0, all.err);
  CHECK(all.json()["checkpoints"] == 1 + 2 + 0 + 1);
  for (const char* t : {"long", "a", "b", "c"}) CHECK(count(t) == 1);
  // Usage errors.
  for (const auto& bad : std::vector<std::vector<std::string>>{{"prune", "long"},
                                                               {"prune", "long", "--all", "--keep-last", "1"},
                                                               {"prune", "long", "--keep-last", "1", "--older-than", "1d"},
                                                               {"prune", "long", "--older-than", "soon"},
                                                               {"prune", "long", "--keep-last", "0"}}) {
    std::vector<std::string> args = db.args();
    args.insert(args.end(), bad.begin(), bad.end());
    const auto r = run_cli(args);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "[sg.cli.701]"));
  }
}

CLI_TEST("copy makes a new thread and refuses an existing one") {
  Db db;
  write_simple(db);
  CHECK(run_cli(with(db.args(), {"copy", "a", "a2", "--dry-run"})).code == 0);
  CHECK(db.saver->list({"a2", "", std::nullopt}).empty());
  const auto r = run_cli(with(db.args(), {"copy", "a", "a2"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(db.saver->list({"a2", "", std::nullopt}).size() == 3);
  const auto exists = run_cli(with(db.args(), {"copy", "a", "b"}));
  CHECK(exists.code == 2);
  CHECK(contains(exists.err, "[sg.cli.709]"));
  const auto missing = run_cli(with(db.args(), {"copy", "zz", "new"}));
  CHECK(missing.code == 1);
  CHECK(contains(missing.err, "[sg.cli.704]"));
}

CLI_TEST("stats and verify on a healthy database") {
  Db db;
  write_simple(db);
  sgtest::write_chat(db.saver);
  const auto stats = run_cli(with(db.args(), {"stats", "--json"}));
  REQUIRE_MESSAGE(stats.code == 0, stats.err);
  const json s = stats.json();
  CHECK(s["threads"] == 4);
  REQUIRE(s["tables"].size() == 3);
  CHECK(s["tables"][0]["table"] == "sg_checkpoints");
  CHECK(s["per_thread"][0]["thread_id"] == "chat");  // the largest first
  CHECK(s["total_disk_bytes"].get<std::uint64_t>() > 0);
  const auto text = run_cli(with(db.args(), {"stats"}));
  CHECK(contains(text.out, "sg_blobs"));
  const auto verify = run_cli(with(db.args(), {"verify", "--json"}));
  REQUIRE_MESSAGE(verify.code == 0, verify.err);
  CHECK(verify.json()["ok"] == true);
  CHECK(verify.json()["checkpoints"] == 6 + 15);
  CHECK(contains(run_cli(with(db.args(), {"verify"})).out, "ok: 4 threads"));
}

CLI_TEST("unknown threads and checkpoints exit 1 with one line") {
  Db db;
  write_simple(db);
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"history", "nope"},
                                                               {"show", "nope"},
                                                               {"show", "a", "0000"},
                                                               {"diff", "a", "0000", "1111"},
                                                               {"export", "nope"}}) {
    std::vector<std::string> args = db.args();
    args.insert(args.end(), cmd.begin(), cmd.end());
    const auto r = run_cli(args);
    CAPTURE(cmd[0]);
    CHECK(r.code == 1);
    CHECK(sgtest::one_line(r.err));
    CHECK((contains(r.err, "[sg.cli.704]") || contains(r.err, "[sg.cli.705]")));
    CHECK(r.out.empty());
  }
}

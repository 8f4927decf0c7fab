// sg-checkpoints on bad input: missing files, files that are not databases or not ours, damaged
// rows, unreachable servers, bad command lines — one line with a stable id and the right exit
// code, never a crash; and reading commands never change the file.

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <fstream>
#include <set>

#include "cli_runner.hpp"
#include "databases.hpp"
#include "helpers.hpp"

namespace {

using nlohmann::json;
using sgtest::run_cli;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> with_args(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

void sql(const std::string& path, const std::string& statement) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}

// Checks a failure: exit code, one line on stderr with the id, nothing on stdout.
void check_failure(const sgtest::CliResult& r, int code, const std::string& id) {
  CHECK(r.code == code);
  CHECK_MESSAGE(contains(r.err, "[" + id + "]"), r.err);
  CHECK(sgtest::one_line(r.err));
  CHECK(r.err.rfind("sg-checkpoints: [", 0) == 0);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("cli a missing file, a non-database and a foreign database are reported, not crashed on") {
  sgtest::TempDir dir;
  const std::string missing = (dir.path() / "missing.db").string();
  check_failure(run_cli({"--db", "sqlite:" + missing, "threads"}), 2, "sg.cli.703");
  CHECK_FALSE(std::filesystem::exists(missing));
  check_failure(run_cli({"--db", "sqlite:" + missing, "delete", "t", "--yes"}), 2, "sg.cli.703");
  CHECK_FALSE(std::filesystem::exists(missing));

  const std::string text = (dir.path() / "notes.db").string();
  std::ofstream(text) << "hello, this is not a database, just text that is long enough to look like a file\n";
  for (const char* cmd : {"threads", "stats", "verify"}) check_failure(run_cli({"--db", "sqlite:" + text, cmd}), 2, "sg.saver.406");

  const std::string foreign = (dir.path() / "app.db").string();
  sql(foreign, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ann')");
  const auto r = run_cli({"--db", "sqlite:" + foreign, "threads"});
  check_failure(r, 2, "sg.saver.406");
  CHECK(contains(r.err, "users"));

  const std::string empty = (dir.path() / "empty.db").string();
  std::ofstream(empty).close();
  check_failure(run_cli({"--db", "sqlite:" + empty, "threads"}), 2, "sg.saver.408");
  CHECK(std::filesystem::file_size(empty) == 0);

  check_failure(run_cli({"--db", "sqlite:" + dir.path().string(), "threads"}), 2, "sg.cli.703");
  check_failure(run_cli({"--db", "mysql://x", "threads"}), 2, "sg.cli.702");
  check_failure(run_cli({"--db", "chat.db", "threads"}), 2, "sg.cli.702");
}

TEST_CASE("cli a damaged row: reads fail with sg.saver.402, verify lists it and exits 1") {
  SqliteDb db;
  sgtest::Run good(*db.saver, "good");
  good.step({{"n", 1}});
  sgtest::Run bad(*db.saver, "bad");
  bad.step({{"n", 1}, {"text", "first"}});
  bad.step({{"text", "second"}});
  bad.step({{"n", 2}});
  db.close();
  // Damage the value "text" at its second version and the metadata of nothing else.
  sql(db.path, "UPDATE sg_blobs SET data = X'00112233' WHERE thread_id = 'bad' AND channel = 'text' AND version = '" +
                   sgtest::version(2) + "'");
  const auto show = run_cli(with_args(db.args(), {"show", "bad"}));
  check_failure(show, 2, "sg.saver.402");
  CHECK(contains(show.err, "text"));
  // Listing and history need no values: they still work.
  CHECK(run_cli(with_args(db.args(), {"threads"})).code == 0);
  CHECK(run_cli(with_args(db.args(), {"history", "bad"})).code == 0);
  const auto verify = run_cli(with_args(db.args(), {"verify", "--json"}));
  CHECK(verify.code == 1);
  CHECK(contains(verify.err, "[sg.cli.712]"));
  CHECK(sgtest::one_line(verify.err));
  const json j = json::parse(verify.out);
  CHECK(j["ok"] == false);
  REQUIRE(j["problems"].size() == 2);  // the two checkpoints that refer to the damaged value
  std::set<std::string> broken;
  for (const auto& p : j["problems"]) {
    CHECK(p["thread_id"] == "bad");
    broken.insert(p["checkpoint_id"].get<std::string>());
    CHECK(contains(p["error"].get<std::string>(), "sg.saver.402"));
  }
  CHECK(broken == std::set<std::string>{bad.history[1].id, bad.history[2].id});
  const auto text = run_cli(with_args(db.args(), {"verify"}));
  CHECK(text.code == 1);
  CHECK(contains(text.out, bad.history[1].id));

  // Damaged metadata: history fails cleanly, threads still lists.
  sql(db.path, "UPDATE sg_checkpoints SET metadata = '{not json' WHERE thread_id = 'good'");
  check_failure(run_cli(with_args(db.args(), {"history", "good"})), 2, "sg.saver.402");
  CHECK(run_cli(with_args(db.args(), {"threads", "--filter", "step=0"})).code == 0);
  const auto verify2 = run_cli(with_args(db.args(), {"verify", "--json"}));
  CHECK(verify2.code == 1);
  CHECK(json::parse(verify2.out)["problems"].size() == 3);
}

TEST_CASE("cli reading commands leave the SQLite file unchanged") {
  SqliteDb db;
  sgtest::Run run(*db.saver, "t");
  run.step({{"n", 1}});
  run.step({{"n", 2}});
  db.saver->put_writes(run.config_of(1), std::vector<sg::PendingWrite>{{"", "n", 3}}, "task");
  db.close();
  const std::string before = sgtest::read_file(db.path);
  const auto id = run.history[1].id;
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"threads"},
                                                               {"history", "t"},
                                                               {"show", "t"},
                                                               {"diff", "t", run.history[0].id, id},
                                                               {"writes", "t", id},
                                                               {"export", "t"},
                                                               {"stats"},
                                                               {"verify"},
                                                               {"delete", "t", "--dry-run"},
                                                               {"prune", "t", "--keep-last", "1", "--dry-run"},
                                                               {"copy", "t", "u", "--dry-run"}}) {
    const auto r = run_cli(with_args(db.args(), cmd));
    CAPTURE(cmd[0]);
    CHECK_MESSAGE(r.code == 0, r.err);
  }
  CHECK(sgtest::read_file(db.path) == before);
  CHECK_FALSE(std::filesystem::exists(db.path + ".locks"));
  CHECK_FALSE(std::filesystem::exists(db.path + "-wal"));  // mode=ro, tidied up (cli_store_test.cpp)
  CHECK_FALSE(std::filesystem::exists(db.path + "-shm"));
}

TEST_CASE("cli usage errors exit 2 and --help works everywhere") {
  check_failure(run_cli({"threads"}), 2, "sg.cli.701");  // no --db
  check_failure(run_cli({"--db", "sqlite:x.db", "frobnicate"}), 2, "sg.cli.701");
  check_failure(run_cli({"--db", "sqlite:x.db", "history"}), 2, "sg.cli.701");
  check_failure(run_cli({"--db", "sqlite:x.db", "threads", "--limit", "many"}), 2, "sg.cli.701");
  const auto top = run_cli({"--help"});
  CHECK(top.code == 0);
  CHECK(contains(top.out, "Exit codes"));
  for (const char* cmd : {"threads", "history", "show", "diff", "writes", "delete", "prune", "copy", "export", "import",
                          "stats", "verify"}) {
    const auto r = run_cli({cmd, "--help"});
    CAPTURE(cmd);
    CHECK(r.code == 0);
    CHECK(contains(r.out, cmd));
  }
}

TEST_CASE("cli Postgres: an unreachable server and a schema that is not there") {
  const auto r = run_cli({"--db", "postgresql://postgres@127.0.0.1:1/postgres", "threads"});
  check_failure(r, 2, "sg.saver.401");
  CHECK(r.seconds < 10);
  const auto missing = run_cli({"--db", sgtest::postgres_uri(), "--schema", "sg_cli_no_such_schema", "threads"});
  check_failure(missing, 2, "sg.saver.408");
}

TEST_CASE("cli on a terminal: destructive commands ask, and long verifies show a progress bar") {
  SqliteDb db;
  sgtest::Run run(*db.saver, "t");
  for (int i = 0; i < 250; ++i) run.step({{"n", i}});
  sgtest::Run other(*db.saver, "u");
  other.step({{"n", 1}});
  const auto declined = sgtest::run_cli_tty(with_args(db.args(), {"delete", "t"}), "n\n");
  CHECK(declined.code == 1);
  CHECK(contains(declined.out, "Delete thread \"t\" (250 checkpoints"));
  CHECK(contains(declined.out, "[y/N]"));
  CHECK(contains(declined.out, "[sg.cli.708]"));
  CHECK(db.saver->list({"t", "", std::nullopt}).size() == 250);

  const auto verify = sgtest::run_cli_tty(with_args(db.args(), {"verify"}));
  CHECK(verify.code == 0);
  CHECK(contains(verify.out, "verifying ["));
  CHECK(contains(verify.out, "100% 251/251"));
  CHECK(contains(verify.out, "ok: 2 threads, 251 checkpoints"));
  // Not on a terminal: no bar.
  const auto plain = run_cli(with_args(db.args(), {"verify"}));
  CHECK_FALSE(contains(plain.err + plain.out, "verifying ["));

  const auto pruned = sgtest::run_cli_tty(with_args(db.args(), {"prune", "t", "--keep-last", "10"}), "y\n");
  CHECK(pruned.code == 0);
  CHECK(contains(pruned.out, "Prune 240 checkpoints from 1 thread"));
  CHECK(db.saver->list({"t", "", std::nullopt}).size() == 10);
  const auto deleted = sgtest::run_cli_tty(with_args(db.args(), {"delete", "t"}), "yes\n");
  CHECK(deleted.code == 0);
  CHECK(db.saver->list({"t", "", std::nullopt}).empty());
  CHECK(db.saver->list({"u", "", std::nullopt}).size() == 1);
}

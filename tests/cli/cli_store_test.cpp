// sg-checkpoints on the store itself, with the real binary on real files: verify runs SQLite's
// quick_check and finds a damaged page; checksums find a changed byte inside a stored message
// (and without them it goes unseen); reading commands leave a cleanly closed database one file,
// unchanged, also in a read-only directory and with --immutable; writing commands on a store
// that cannot be written are refused with stable ids.

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli_runner.hpp"
#include "databases.hpp"
#include "helpers.hpp"
#include "raw_sqlite.hpp"

namespace {

using nlohmann::json;
using sgtest::listing;
using sgtest::run_cli;
using Raw = sgtest::RawDb;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

json message(const std::string& type, const std::string& content) { return {{"type", type}, {"content", content}}; }

// Threads enough to fill several pages of sg_checkpoints.
void fill(sg::BaseCheckpointSaver& saver, int threads, int steps) {
  for (int t = 0; t < threads; ++t) {
    sgtest::Run run(saver, "thread-" + std::to_string(t));
    for (int s = 0; s < steps; ++s) run.step({{"n", s}, {"text", "step " + std::to_string(s) + " of a longer text"}});
  }
}

// Restores a mode when the test ends (a 0555 directory cannot be cleaned up otherwise).
class ModeGuard {
 public:
  ModeGuard(std::filesystem::path path, mode_t mode) : path_(std::move(path)) {
    struct stat st {};
    REQUIRE(::stat(path_.c_str(), &st) == 0);
    old_ = st.st_mode & 07777;
    REQUIRE(::chmod(path_.c_str(), mode) == 0);
  }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;
  ~ModeGuard() { ::chmod(path_.c_str(), old_); }

 private:
  std::filesystem::path path_;
  mode_t old_ = 0;
};

// The binary as a user whom file permissions bind: root is not (CAP_DAC_OVERRIDE), so as root it
// runs under setpriv without that capability (util-linux; the tests run as root in CI).
std::vector<std::string> unprivileged() {
  if (::geteuid() != 0) return {};
  return {"setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"};
}

const std::vector<std::string> kReadingCommands[] = {
    {"threads"}, {"history", "t"}, {"show", "t"}, {"writes", "t", "@1"}, {"diff", "t", "@0", "@1"},
    {"export", "t"}, {"stats"}, {"verify"}};

// A reading command with "@N" replaced by the id of checkpoint N of `history`.
std::vector<std::string> resolved(const std::vector<std::string>& command, const std::vector<sg::Checkpoint>& history) {
  std::vector<std::string> out;
  for (const auto& word : command)
    out.push_back(word.rfind('@', 0) == 0 ? history.at(std::stoul(word.substr(1))).id : word);
  return out;
}

}  // namespace

TEST_CASE("cli verify runs PRAGMA quick_check: a damaged page of sg_checkpoints fails it with SQLite's words") {
  SqliteDb db;
  fill(*db.saver, 8, 8);
  db.close();
  const auto healthy = run_cli(with(db.args(), {"verify"}));
  REQUIRE_MESSAGE(healthy.code == 0, healthy.err);
  CHECK(contains(healthy.out, "storage      PRAGMA quick_check: ok"));
  CHECK(contains(healthy.out, "checksums    all 192 stored items carry one"));  // 64 rows, 128 values
  CHECK(contains(healthy.out, "ok: 8 threads, 64 checkpoints"));

  // Overwrite the middle of a leaf page of sg_checkpoints (past page 1; cell contents there).
  std::int64_t page_size = 0, page = 0;
  {
    Raw raw(db.path);
    page_size = std::stoll(raw.one("PRAGMA page_size"));
    const auto pages = raw.rows(
        "SELECT pageno FROM dbstat WHERE name = 'sg_checkpoints' AND pagetype = 'leaf' ORDER BY pageno");
    REQUIRE(pages.size() >= 3);
    page = std::stoll(pages[pages.size() / 2]);
  }
  REQUIRE(page > 1);
  {
    std::fstream file(db.path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((page - 1) * page_size + page_size / 2);
    const std::string junk(page_size / 4, '\xff');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::vector<std::string> said;  // what SQLite says, one line each (without its header line)
  {
    Raw raw(db.path);
    const auto rows = raw.rows("PRAGMA quick_check");
    REQUIRE(rows.size() >= 1);
    REQUIRE(rows[0] != "ok");  // the damage is one SQLite sees
    for (const auto& row : rows) {
      std::istringstream lines(row);
      for (std::string line; std::getline(lines, line);)
        if (line != "*** in database main ***") said.push_back(line);
    }
  }
  REQUIRE_FALSE(said.empty());

  const auto verify = run_cli(with(db.args(), {"verify"}));
  CHECK(verify.code == 1);
  CHECK(sgtest::one_line(verify.err));
  CHECK_MESSAGE(contains(verify.err, "[sg.cli.712] verification failed: PRAGMA quick_check reported"), verify.err);
  CHECK(contains(verify.err, said[0]));
  CHECK(contains(verify.out, "storage      PRAGMA quick_check found problems"));
  for (const auto& line : said) CHECK(contains(verify.out, "  " + line + "\n"));
  const auto as_json = run_cli(with(db.args(), {"verify", "--json"}));
  CHECK(as_json.code == 1);
  const json j = as_json.json();
  CHECK(j["ok"] == false);
  CHECK(j["storage"]["method"] == "PRAGMA quick_check");
  CHECK(j["storage"]["problems"] == json(said));
}

TEST_CASE("cli verify finds a changed byte inside a stored message by its checksum, and without one cannot") {
  SqliteDb db;
  sgtest::Run run(*db.saver, "chat");
  run.step({{"messages", json::array({message("human", "hello world")})}});
  run.step({{"messages", json::array({message("human", "hello world"), message("ai", "hi there")})}});
  run.step({{"n", 1}});
  db.close();
  // "hello world" becomes "hello vorld": still a valid value.
  REQUIRE(Raw(db.path).flip("sg_blobs", "data", "channel = 'messages' AND version = '" + sgtest::version(1) + "'",
                            "world", 'v') == 1);
  const auto show = run_cli(with(db.args(), {"show", "chat", run.history[0].id}));
  CHECK(show.code == 2);
  CHECK(contains(show.err, "[sg.saver.412]"));

  const auto verify = run_cli(with(db.args(), {"verify", "--json"}));
  CHECK(verify.code == 1);
  CHECK(contains(verify.err, "[sg.cli.712] verification failed: 1 broken item"));
  const json j = verify.json();
  CHECK(j["storage"]["problems"].empty());
  REQUIRE(j["problems"].size() == 1);  // the one checkpoint that refers to version 1
  CHECK(j["problems"][0]["checkpoint_id"] == run.history[0].id);
  const auto error = j["problems"][0]["error"].get<std::string>();
  CHECK(contains(error, "sg.saver.412"));
  CHECK(contains(error, "channel \"messages\""));
  CHECK(contains(run_cli(with(db.args(), {"verify"})).out, run.history[0].id));

  // Without checksums (as in a file written before schema 2) the change goes unseen.
  Raw(db.path).exec("UPDATE sg_blobs SET checksum = NULL");
  const auto blind = run_cli(with(db.args(), {"verify"}));
  CHECK(blind.code == 0);
  CHECK(contains(blind.out, "checksums    3 stored items carry one (XXH3-64), checked as loaded; 3 items carry none"));
  CHECK(contains(run_cli(with(db.args(), {"show", "chat", run.history[0].id})).out, "hello vorld"));
}

TEST_CASE("cli verify on a schema-1 store says no checksums are stored and changes nothing") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "format1.db";
  std::filesystem::copy_file(std::filesystem::path(SG_CHECKPOINT_FIXTURES) / "format1.db", path);
  const std::string before = sgtest::read_file(path);
  const auto verify = run_cli({"--db", "sqlite:" + path.string(), "verify"});
  CHECK_MESSAGE(verify.code == 0, verify.err);
  CHECK(contains(verify.out, "storage      PRAGMA quick_check: ok (reads every page of the file)"));
  CHECK(contains(verify.out, "checksums    none stored: "));
  CHECK(sgtest::read_file(path) == before);
  CHECK(listing(dir.path()) == std::vector<std::string>{"format1.db"});
}

TEST_CASE("cli reading commands leave a cleanly closed database one file, unchanged, and a writer's files alone") {
  sgtest::TempDir dir;
  const std::string path = (dir.path() / "we?ird #1 100%.db").string();  // URI characters in the name
  auto saver = std::make_shared<sg::SqliteSaver>(path);
  sgtest::Run run(*saver, "t");
  run.step({{"n", 1}});
  run.step({{"n", 2}, {"text", "two"}});
  saver->put_writes(run.config_of(1), std::vector<sg::PendingWrite>{{"", "n", 3}}, "task");
  const std::vector<std::string> db{"--db", "sqlite:" + path};

  // While the writer is open, its -wal and -shm are its own: a reader leaves them.
  CHECK(run_cli(with(db, {"threads"})).code == 0);
  CHECK(std::filesystem::exists(path + "-wal"));
  CHECK(std::filesystem::exists(path + "-shm"));
  saver.reset();

  const auto files = listing(dir.path());
  REQUIRE(files.size() == 1);
  const std::string bytes = sgtest::read_file(path);
  for (const auto& command : kReadingCommands) {
    const auto args = resolved(command, run.history);
    CAPTURE(args[0]);
    const auto r = run_cli(with(db, args));
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(listing(dir.path()) == files);
    CHECK(sgtest::read_file(path) == bytes);
    const auto immutable = run_cli(with(with(db, {"--immutable"}), args));
    CHECK_MESSAGE(immutable.code == 0, immutable.err);
    CHECK(immutable.out == r.out);
    CHECK(listing(dir.path()) == files);
  }
}

TEST_CASE("cli --immutable refuses writing commands with sg.cli.714, and a -wal holding commits") {
  SqliteDb db;
  sgtest::Run run(*db.saver, "t");
  run.step({{"n", 1}});
  run.step({{"n", 2}});
  // The writer is open with commits in its -wal: an immutable open would not see them.
  const auto live = run_cli(with(db.args(), {"--immutable", "threads"}));
  CHECK(live.code == 2);
  CHECK(contains(live.err, "[sg.saver.403]"));
  CHECK(contains(live.err, "cli.db-wal\" holds commits"));
  const std::string exported = run_cli(with(db.args(), {"export", "t"})).out;
  db.close();
  const std::string file = (std::filesystem::path(db.path).parent_path() / "t.jsonl").string();
  std::ofstream(file) << exported;
  const std::string bytes = sgtest::read_file(db.path);
  for (const auto& command : std::vector<std::vector<std::string>>{{"delete", "t", "--yes"},
                                                                   {"prune", "t", "--keep-last", "1", "--yes"},
                                                                   {"copy", "t", "u"},
                                                                   {"import", file, "--thread", "u"}}) {
    CAPTURE(command[0]);
    const auto r = run_cli(with(with(db.args(), {"--immutable"}), command));
    CHECK(r.code == 2);
    CHECK_MESSAGE(contains(r.err, "[sg.cli.714]"), r.err);
    CHECK(sgtest::one_line(r.err));
  }
  CHECK(run_cli(with(db.args(), {"--immutable", "delete", "t", "--dry-run"})).code == 0);
  CHECK(sgtest::read_file(db.path) == bytes);
}

TEST_CASE("cli a store in a read-only directory: reading works and creates nothing, writing fails with sg.saver.413") {
  sgtest::TempDir outer;
  const auto dir = outer.path() / "ro";
  std::filesystem::create_directory(dir);
  const std::string path = (dir / "chat.db").string();
  std::vector<sg::Checkpoint> history;
  {
    sg::SqliteSaver saver(path);
    sgtest::Run run(saver, "t");
    run.step({{"n", 1}});
    run.step({{"n", 2}});
    saver.put_writes(run.config_of(1), std::vector<sg::PendingWrite>{{"", "n", 3}}, "task");
    history = run.history;
  }
  const std::vector<std::string> db{"--db", "sqlite:" + path};
  const std::string bytes = sgtest::read_file(path);
  const auto as_user = unprivileged();

  struct Case {
    mode_t file, directory;
    const char* why;  // in sg.saver.413's message
  };
  for (const Case& c : {Case{0444, 0555, "the file cannot be written"}, Case{0644, 0555, "its directory"},
                        Case{0444, 0755, "the file cannot be written"}}) {
    CAPTURE(c.file);
    CAPTURE(c.directory);
    const ModeGuard file(path, c.file);
    const ModeGuard directory(dir, c.directory);
    for (const auto& command : kReadingCommands) {
      const auto args = resolved(command, history);
      CAPTURE(args[0]);
      const auto r = run_cli(with(db, args), {}, as_user);
      CHECK_MESSAGE(r.code == 0, r.err);
    }
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"delete", "t", "--yes"}, {"copy", "t", "u"}, {"prune", "t", "--keep-last", "1", "--yes"}}) {
      CAPTURE(command[0]);
      const auto r = run_cli(with(db, command), {}, as_user);
      CHECK(r.code == 2);
      CHECK_MESSAGE(contains(r.err, "[sg.saver.413]"), r.err);
      CHECK(contains(r.err, c.why));
    }
    CHECK(listing(dir) == std::vector<std::string>{"chat.db"});
  }
  CHECK(sgtest::read_file(path) == bytes);
}

TEST_CASE("cli verify on Postgres says there is no quick_check") {
  PostgresDb db;
  sgtest::Run run(*db.saver, "t");
  run.step({{"n", 1}});
  const auto r = run_cli(with(db.args(), {"verify"}));
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "storage      not checked: Postgres has no quick_check"));
  CHECK(contains(r.out, "SHOW data_checksums"));
  CHECK(contains(r.out, "checksums    none: the Postgres saver stores no checksums"));
  const json j = run_cli(with(db.args(), {"verify", "--json"})).json();
  CHECK(j["storage"]["method"] == "");
  CHECK(j["checksums"]["with"].is_null());
}

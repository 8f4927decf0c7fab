// SqliteSaver specifics beyond the conformance suite: bad input (unopenable paths, files that are
// not ours, schemas from newer releases, damaged rows — each a clear error, nothing modified),
// the storage layout (values once per version, deltas as deltas), busy handling, several savers
// on one file, metadata filters in SQL, and lock files.

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "raw_sqlite.hpp"
#include "sqlite_factory.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sgtest::file_bytes;
using sgtest::listing;
using sgtest::RawDb;
using sgtest::thrown_by;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

sg::CheckpointConfig cfg(std::string thread, std::string ns = "", std::optional<std::string> id = std::nullopt) {
  return {std::move(thread), std::move(ns), std::move(id)};
}

}  // namespace

// ------------------------------------------------------------------------------- bad input

TEST_CASE("sqlite a path that cannot be opened throws sg.saver.401 with the path and SQLite's message") {
  sgtest::TempDir dir;
  const auto missing = dir.path() / "no such dir" / "x.db";
  const auto t = thrown_by([&] { sg::SqliteSaver saver(missing); });
  CHECK(t.id == "sg.saver.401");
  CHECK(t.retryable);
  CHECK(t.backend_code == std::to_string(SQLITE_CANTOPEN));
  CHECK(contains(t.message, missing.string()));
  CHECK(contains(t.message, "unable to open database file"));
  CHECK_FALSE(std::filesystem::exists(missing.parent_path()));

  // A directory is not a database file either.
  const auto on_dir = thrown_by([&] { sg::SqliteSaver saver(dir.path()); });
  CHECK(on_dir.id == "sg.saver.401");
  CHECK(contains(on_dir.message, dir.path().string()));

  CHECK(thrown_by([] { sg::SqliteSaver saver(":memory:"); }).id == "sg.saver.403");
  CHECK(thrown_by([] { sg::SqliteSaver saver(""); }).id == "sg.saver.403");
  CHECK(thrown_by([] { sg::SqliteSaver saver("file:x.db?mode=memory"); }).id == "sg.saver.403");
}

TEST_CASE("sqlite a file that is not an SQLite database throws sg.saver.406 and is left alone") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "garbage.db";
  {
    std::ofstream out(path, std::ios::binary);
    std::string bytes(4096, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919 + 13) % 251);
    out << bytes;
  }
  const std::string before = file_bytes(path);
  const auto t = thrown_by([&] { sg::SqliteSaver saver(path); });
  CHECK(t.id == "sg.saver.406");
  CHECK_FALSE(t.retryable);
  CHECK(t.backend_code == std::to_string(SQLITE_NOTADB));
  CHECK(contains(t.message, "not a stategraph database"));
  CHECK(contains(t.message, path.string()));
  CHECK(file_bytes(path) == before);
  CHECK_FALSE(std::filesystem::exists(path.string() + "-wal"));

  // A short text file too.
  const auto text = dir.path() / "notes.txt";
  std::ofstream(text) << "hello, this is not a database\n";
  CHECK(thrown_by([&] { sg::SqliteSaver saver(text); }).id == "sg.saver.406");
  CHECK(file_bytes(text) == "hello, this is not a database\n");
}

TEST_CASE("sqlite another application's database throws sg.saver.406 and is left alone") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "app.db";
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')");
  }
  const std::string before = file_bytes(path);
  const auto t = thrown_by([&] { sg::SqliteSaver saver(path); });
  CHECK(t.id == "sg.saver.406");
  CHECK(contains(t.message, "another application's SQLite database"));
  CHECK(contains(t.message, "users"));
  CHECK(file_bytes(path) == before);
  CHECK_FALSE(std::filesystem::exists(path.string() + "-wal"));
  {
    RawDb raw(path);
    CHECK(raw.one("PRAGMA journal_mode") == "delete");  // not switched to WAL
  }

  // Marked by another application (application_id), even without tables.
  const auto marked = dir.path() / "marked.db";
  RawDb(marked).exec("PRAGMA application_id = 1234");
  const auto m = thrown_by([&] { sg::SqliteSaver saver(marked); });
  CHECK(m.id == "sg.saver.406");
  CHECK(contains(m.message, "application_id 0x000004d2"));
}

TEST_CASE("sqlite a schema from a newer release throws sg.saver.405 and is left alone") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "newer.db";
  {
    sg::SqliteSaver saver(path);
    sgtest::Run run(saver, "t");
    run.step({{"a", 1}});
  }
  {
    RawDb raw(path);
    raw.exec("INSERT INTO sg_migrations (v, applied_at) VALUES (999, '2030-01-01T00:00:00Z')");
  }
  std::vector<std::string> before;
  {
    RawDb raw(path);
    before = raw.dump();
  }
  const auto t = thrown_by([&] { sg::SqliteSaver saver(path); });
  CHECK(t.id == "sg.saver.405");
  CHECK_FALSE(t.retryable);
  CHECK(contains(t.message, "schema from a newer release"));
  CHECK(contains(t.message, "schema version 999"));
  CHECK(contains(t.message, "supports up to " + std::to_string(sg::SqliteSaver::kSchemaVersion)));
  RawDb raw(path);
  CHECK(raw.dump() == before);
}

TEST_CASE("sqlite a stategraph database without its migrations table throws sg.saver.402") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "damaged.db";
  { sg::SqliteSaver saver(path); }
  RawDb(path).exec("DROP TABLE sg_migrations");
  const auto t = thrown_by([&] { sg::SqliteSaver saver(path); });
  CHECK(t.id == "sg.saver.402");
  CHECK(contains(t.message, "sg_migrations"));
}

TEST_CASE("sqlite a new database gets the schema once, reopening keeps the data") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "fresh.db";
  std::ofstream(path).close();  // an empty file counts as a new database
  sg::Checkpoint first;
  {
    sg::SqliteSaver saver(path);
    CHECK(saver.path() == path);
    sgtest::Run r(saver, "t");
    r.step({{"a", 1}, {"b", json::array({1, 2})}});
    r.step({{"a", 2}});
    first = r.history.back();
  }
  for (int i = 0; i < 2; ++i) {
    sg::SqliteSaver saver(path);
    const auto t = saver.get_tuple(cfg("t"));
    REQUIRE(t.has_value());
    CHECK(t->checkpoint == first);
  }
  RawDb raw(path);
  CHECK(raw.rows("SELECT v FROM sg_migrations ORDER BY v") == std::vector<std::string>{"1", "2", "3"});
  CHECK(raw.one("PRAGMA application_id") == std::to_string(0x53475350));
  CHECK(raw.one("PRAGMA journal_mode") == "wal");
  CHECK(raw.one("PRAGMA integrity_check") == "ok");
}

TEST_CASE("sqlite savers opening one new file at once all succeed") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "race.db";
  std::atomic<int> failures{0};
  std::mutex errors_mutex;
  std::string errors;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      try {
        sg::SqliteSaver saver(path);
        sgtest::Run run(saver, "t" + std::to_string(i));
        run.step({{"a", i}});
      } catch (const std::exception& e) {
        std::lock_guard lock(errors_mutex);
        errors += std::string(e.what()) + "\n";
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO(errors);
  CHECK(failures.load() == 0);
  RawDb raw(path);
  CHECK(raw.rows("SELECT v FROM sg_migrations ORDER BY v") == std::vector<std::string>{"1", "2", "3"});
  CHECK(raw.one("SELECT count(*) FROM sg_checkpoints") == "4");
}

// ---------------------------------------------------------------------------- damaged rows

TEST_CASE("sqlite a damaged row throws sg.saver.402 naming it and nothing is modified") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "corrupt.db";
  sg::SqliteSaver saver(path);
  sgtest::Run run(saver, "t");
  run.step({{"a", "a1"}, {"b", json::array({1, 2, 3})}});
  run.step({{"a", "a2"}});
  run.step({{"a", "a3"}});
  saver.put_writes(run.config_of(2), std::vector<sg::PendingWrite>{{"", "a", "w"}}, "task");
  const std::string& id0 = run.history[0].id;
  const std::string& id2 = run.history[2].id;
  const std::string b_version = run.history[0].channel_versions.at("b");

  auto check_corrupt = [&](const std::function<void()>& fn, const std::vector<std::string>& names) {
    RawDb raw(path);
    const auto before = raw.dump();
    const auto t = thrown_by(fn);
    CHECK(t.id == "sg.saver.402");
    CHECK_FALSE(t.retryable);
    for (const auto& name : names) CHECK_MESSAGE(contains(t.message, name), t.message << " lacks " << name);
    CHECK(raw.dump() == before);
  };

  SUBCASE("a value that does not decode") {
    RawDb(path).exec("UPDATE sg_blobs SET data = CAST('garbage{' AS BLOB) WHERE channel = 'b'");
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {"\"t\"", id2, "channel \"b\"", b_version});
    check_corrupt([&] { saver.get_tuple(run.config_of(0)); }, {id0, "channel \"b\""});
    check_corrupt([&] { saver.list(cfg("t")); }, {"channel \"b\""});
    // What does not need the damaged value still works.
    CHECK(saver.latest_checkpoint_id(cfg("t")) == id2);
    CHECK(saver.list(cfg("t"), {.filter = {{"source", "nothing"}}, .before = std::nullopt, .limit = std::nullopt}).empty());
  }
  SUBCASE("a value that is missing") {
    RawDb(path).exec("DELETE FROM sg_blobs WHERE channel = 'b'");
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {id2, "channel \"b\"", "not stored"});
  }
  SUBCASE("a checkpoint row that does not decode") {
    RawDb(path).exec("UPDATE sg_checkpoints SET checkpoint = X'FFFF00' WHERE checkpoint_id = '" + id2 + "'");
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {id2, "checkpoint row"});
    CHECK(saver.get_tuple(run.config_of(1))->checkpoint == run.history[1]);
    // prune needs every remaining row: it fails and deletes nothing.
    check_corrupt([&] { saver.prune("t", {.keep_last = 1, .before = std::nullopt}); }, {id2});
  }
  SUBCASE("metadata that is not JSON, also under a filter evaluated in SQL") {
    RawDb(path).exec("UPDATE sg_checkpoints SET metadata = '{not json' WHERE checkpoint_id = '" + id2 + "'");
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {id2, "metadata"});
    check_corrupt([&] { saver.list(cfg("t"), {.filter = {{"source", "loop"}}, .before = std::nullopt, .limit = std::nullopt}); },
                  {id2, "metadata"});
  }
  SUBCASE("a pending write that does not decode") {
    RawDb(path).exec("UPDATE sg_writes SET value = X'D9D9F71F'");  // the mark, then a reserved byte
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {id2, "task \"task\""});
  }
  SUBCASE("a delta that keeps more elements than its base has") {
    // Version v9 of b: keep 5 elements of b's value (which has 3), append nothing (marked CBOR []).
    RawDb(path).exec("INSERT INTO sg_blobs VALUES ('t', '', 'b', 'v9', '" + b_version + "', 5, X'D9D9F780', NULL)");
    sg::Checkpoint c = run.history[2];
    c.id = sg::new_checkpoint_id();
    c.channel_versions["b"] = "v9";
    c.channel_values.clear();
    saver.put(run.config_of(2), c, sgtest::metadata("loop", 2), {});
    check_corrupt([&] { saver.get_tuple(cfg("t")); }, {c.id, "channel \"b\"", "keeps 5 elements"});
    CHECK(saver.get_tuple(run.config_of(2))->checkpoint == run.history[2]);
  }
}

// --------------------------------------------------------------------------------- storage

TEST_CASE("sqlite stores each value once per version and deltas as deltas") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "storage.db";
  sg::SqliteSaver saver(path);
  // A conversation the way the engine sends it: a full value, then deltas; an unchanged channel.
  std::vector<sg::Checkpoint> history;
  json messages = json::array();
  std::optional<std::string> parent;
  for (int step = 0; step < 12; ++step) {
    sg::Checkpoint c = history.empty() ? sg::Checkpoint{} : history.back();
    c.id = sg::new_checkpoint_id();
    c.ts = sg::utc_now_iso8601();
    c.channel_values.clear();
    c.channel_deltas.clear();
    sg::ChannelVersions new_versions;
    const std::string v = sgtest::version(step + 1);
    const json added = json::array({"q" + std::to_string(step), "a" + std::to_string(step)});
    if (step == 0 || step == 6) {
      for (const auto& m : added) messages.push_back(m);
      c.channel_values["messages"] = messages;
    } else {
      c.channel_deltas["messages"] = {c.channel_versions.at("messages"), messages.size(), added};
      for (const auto& m : added) messages.push_back(m);
    }
    c.channel_versions["messages"] = v;
    new_versions["messages"] = v;
    if (step == 0) {
      c.channel_values["system"] = "be brief";
      c.channel_versions["system"] = v;
      new_versions["system"] = v;
    }
    saver.put(cfg("t", "", parent), c, sgtest::metadata("loop", step), new_versions);
    parent = c.id;
    c.channel_deltas.clear();
    c.channel_values = {{"messages", messages}, {"system", "be brief"}};
    history.push_back(c);
  }
  for (const auto& expected : history) CHECK(saver.get_tuple(cfg("t", "", expected.id))->checkpoint == expected);

  RawDb raw(path);
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE channel = 'system'") == "1");
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE channel = 'messages'") == "12");
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE channel = 'messages' AND base IS NULL") == "2");
  // A delta row holds only what its step added.
  CHECK(std::stoi(raw.one("SELECT max(length(data)) FROM sg_blobs WHERE base IS NOT NULL")) <= 3 + 9);
  CHECK(raw.one("SELECT keep FROM sg_blobs WHERE version = '" + sgtest::version(12) + "'") == "22");

  // prune keeps the snapshot that the remaining deltas need, drops the older chain.
  CHECK(saver.prune("t", {.keep_last = 2, .before = std::nullopt}) == 10);
  CHECK(saver.get_tuple(cfg("t"))->checkpoint == history.back());
  CHECK(saver.get_tuple(cfg("t", "", history[10].id))->checkpoint == history[10]);
  CHECK(raw.rows("SELECT version FROM sg_blobs WHERE channel = 'messages' ORDER BY version") ==
        std::vector<std::string>{sgtest::version(7), sgtest::version(8), sgtest::version(9), sgtest::version(10),
                                 sgtest::version(11), sgtest::version(12)});
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE channel = 'system'") == "1");
}

TEST_CASE("sqlite put refuses metadata that is not UTF-8 and stores nothing") {
  // (A delta whose base is not stored is refused by every saver: saver_conformance_put.cpp.)
  sgtest::TempDir dir;
  sg::SqliteSaver saver(dir.path() / "delta.db");
  // Metadata must be valid UTF-8 to be stored as JSON text.
  auto plain = sgtest::checkpoint({{"a", 1}});
  CHECK(thrown_by([&] { saver.put(cfg("t"), plain, {{"bad", "\xff\xfe"}}, plain.channel_versions); }).id ==
        "sg.saver.403");
  CHECK(saver.list(cfg("t")).empty());
}

// ------------------------------------------------------------------------------ concurrency

TEST_CASE("sqlite a writer past the busy timeout gets a retryable sg.saver.401") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "busy.db";
  sg::SqliteSaverOptions options;
  options.busy_timeout = 100ms;
  sg::SqliteSaver saver(path, options);
  RawDb blocker(path);
  blocker.exec("BEGIN IMMEDIATE");
  auto c = sgtest::checkpoint({{"a", 1}});
  const auto start = std::chrono::steady_clock::now();
  const auto t = thrown_by([&] { saver.put(cfg("t"), c, sgtest::metadata("loop", 0), c.channel_versions); });
  CHECK(std::chrono::steady_clock::now() - start >= 100ms);
  CHECK(t.id == "sg.saver.401");
  CHECK(t.retryable);
  CHECK(t.backend_code == std::to_string(SQLITE_BUSY));
  CHECK(contains(t.message, "busy timeout"));
  CHECK(saver.latest_checkpoint_id(cfg("t")) == std::nullopt);  // readers are not blocked (WAL)
  blocker.exec("COMMIT");
  saver.put(cfg("t"), c, sgtest::metadata("loop", 0), c.channel_versions);
  CHECK(saver.latest_checkpoint_id(cfg("t")) == c.id);
}

// ------------------------------------------------------------------------------------- list

TEST_CASE("sqlite list filters in SQL agree with JSON equality") {
  sgtest::TempDir dir;
  sg::SqliteSaver saver(dir.path() / "filter.db");
  sgtest::Run run(saver, "t");
  run.step({{"i", 0}}, {}, {{"flag", true}, {"one", 1}, {"dotted.key", "x"}, {"quo\"te", "q"}, {"f", 0.5}, {"nil", nullptr}});
  run.step({{"i", 1}}, {}, {{"flag", false}, {"one", 1.0}, {"dotted.key", "y"}, {"f", 1.5}, {"nested", {{"a", json::array({1})}}}});
  run.step({{"i", 2}}, {}, {{"flag", 1}, {"one", "1"}, {"nil", 0}, {"big", 18446744073709551615ULL}});
  const auto& h = run.history;
  auto ids = [&](const json& filter) {
    return sgtest::ids_of(saver.list(cfg("t"), {.filter = filter, .before = std::nullopt, .limit = std::nullopt}));
  };
  using V = std::vector<std::string>;
  CHECK(ids({{"flag", true}}) == V{h[0].id});
  CHECK(ids({{"flag", false}}) == V{h[1].id});
  CHECK(ids({{"flag", 1}}) == V{h[2].id});  // 1 is not true
  CHECK(ids({{"one", 1}}) == V{h[1].id, h[0].id});  // 1 == 1.0 in JSON
  CHECK(ids({{"one", "1"}}) == V{h[2].id});
  CHECK(ids({{"dotted.key", "y"}}) == V{h[1].id});
  CHECK(ids({{"quo\"te", "q"}}) == V{h[0].id});
  CHECK(ids({{"f", 1.5}}) == V{h[1].id});
  CHECK(ids({{"nil", nullptr}}) == V{h[0].id});
  CHECK(ids({{"nested", {{"a", json::array({1})}}}}) == V{h[1].id});
  CHECK(ids({{"nested", {{"a", json::array({2})}}}}).empty());
  CHECK(ids({{"big", 18446744073709551615ULL}}) == V{h[2].id});
  CHECK(ids({{"flag", true}, {"one", 1}}) == V{h[0].id});
  CHECK(thrown_by([&] { saver.list(cfg("t"), {.filter = json::array(), .before = std::nullopt, .limit = std::nullopt}); }).id ==
        "sg.saver.403");
}

// ------------------------------------------------------------------------------ lock files

TEST_CASE("sqlite lock_thread locks a byte of one lock file per database and creates or deletes no file per run") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "locks.db";
  sg::SqliteSaverOptions options;
  options.lock_directory = dir.path() / "my locks";
  sg::SqliteSaver saver(path, options);
  const std::string long_id(300, 'x');
  auto files = [&] {
    return std::distance(std::filesystem::directory_iterator(options.lock_directory), std::filesystem::directory_iterator());
  };
  {
    auto a = saver.lock_thread("t/with:odd chars", 0ms);
    auto b = saver.lock_thread(long_id, 0ms);
    CHECK(files() == 1);
    CHECK(std::filesystem::exists(options.lock_directory / "threads.lock"));
    CHECK(a->is_held());
    CHECK(thrown_by([&] { saver.lock_thread(long_id, 0ms); }).id == "sg.saver.404");
    // A second saver on the same file (or another process) sees the same locks.
    sg::SqliteSaver other(path, options);
    const auto t = thrown_by([&] { other.lock_thread("t/with:odd chars", 30ms); });
    CHECK(t.id == "sg.saver.404");
    CHECK(contains(t.message, "thread \"t/with:odd chars\" is busy"));
    CHECK(other.lock_thread("another thread", 0ms) != nullptr);
  }
  // Released; the file stays (it is created once, never per run).
  CHECK(files() == 1);
  {
    sg::SqliteSaver other(path, options);
    CHECK(other.lock_thread(long_id, 0ms) != nullptr);
  }
  CHECK(saver.lock_thread(long_id, 0ms) != nullptr);
  CHECK(files() == 1);
}

TEST_CASE("sqlite lock_thread waits for a run of the same saver and gets the lock when it ends") {
  sgtest::TempDir dir;
  sg::SqliteSaver saver(dir.path() / "wait.db");
  auto held = saver.lock_thread("t", 0ms);
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    held.reset();
  });
  const auto start = std::chrono::steady_clock::now();
  CHECK(saver.lock_thread("t", 5s) != nullptr);
  CHECK(std::chrono::steady_clock::now() - start >= 40ms);
  releaser.join();
}

TEST_CASE("sqlite lock_thread's lock reports itself lost once its lock file is deleted") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "lost.db";
  sg::SqliteSaver saver(path);
  auto held = saver.lock_thread("t", 0ms);
  CHECK(held->is_held());
  std::filesystem::remove(dir.path() / "lost.db.locks" / "threads.lock");
  CHECK_FALSE(held->is_held());  // a new saver would lock a new file: no exclusion any more
  std::ofstream(dir.path() / "lost.db.locks" / "threads.lock") << "";
  CHECK_FALSE(held->is_held());  // stays false
}

TEST_CASE("sqlite read_only reads everything, refuses writes with sg.saver.409 and changes no file") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "ro.db";
  std::vector<sg::Checkpoint> history;
  {
    sg::SqliteSaver writer(path);
    sgtest::Run run(writer, "t");
    run.step({{"a", 1}});
    run.step({{"a", 2}, {"b", "x"}});
    writer.put_writes(run.config_of(1), std::vector<sg::PendingWrite>{{"", "a", 3}}, "task");
    history = run.history;
  }
  const auto files = listing(dir.path());
  const std::string bytes = file_bytes(path);
  {
    sg::SqliteSaverOptions options;
    options.read_only = true;
    sg::SqliteSaver saver(path, options);
    const auto latest = saver.get_tuple({"t", "", std::nullopt});
    REQUIRE(latest.has_value());
    CHECK(latest->checkpoint == history[1]);
    CHECK(latest->pending_writes.size() == 1);
    CHECK(saver.list({"t", "", std::nullopt}).size() == 2);
    const auto threads = saver.list_threads();
    REQUIRE(threads.size() == 1);
    CHECK(threads[0].checkpoints == 2);
    CHECK(saver.storage_stats().tables.size() == 3);
    CHECK(saver.checkpoint_bytes({"t", "", std::nullopt}).size() == 2);
    CHECK(thrown_by([&] { saver.put({"t", "", history[1].id}, history[1], sgtest::metadata("loop", 5), {}); }).id ==
          "sg.saver.409");
    CHECK(thrown_by([&] {
            saver.put_writes({"t", "", history[1].id}, std::vector<sg::PendingWrite>{{"", "a", 4}}, "task2");
          }).id == "sg.saver.409");
    CHECK(thrown_by([&] { saver.delete_thread("t"); }).id == "sg.saver.409");
    CHECK(thrown_by([&] { saver.prune("t", {.keep_last = 1, .before = std::nullopt}); }).id == "sg.saver.409");
    CHECK(thrown_by([&] { saver.copy_thread("t", "u"); }).id == "sg.saver.409");
    CHECK(thrown_by([&] { saver.lock_thread("t", std::chrono::milliseconds(0)); }).id == "sg.saver.409");
  }
  CHECK(file_bytes(path) == bytes);
  // No lock directory, and no WAL companions left behind (sqlite_integrity.cpp has more).
  CHECK(listing(dir.path()) == files);
}

TEST_CASE("sqlite read_only does not create, migrate or accept foreign files") {
  sgtest::TempDir dir;
  sg::SqliteSaverOptions options;
  options.read_only = true;
  const auto missing = dir.path() / "missing.db";
  CHECK(thrown_by([&] { sg::SqliteSaver saver(missing, options); }).id == "sg.saver.401");
  CHECK_FALSE(std::filesystem::exists(missing));

  const auto empty = dir.path() / "empty.db";
  std::ofstream(empty).close();
  const auto t = thrown_by([&] { sg::SqliteSaver saver(empty, options); });
  CHECK(t.id == "sg.saver.408");
  CHECK(contains(t.message, "read-only"));
  CHECK(std::filesystem::file_size(empty) == 0);

  const auto text = dir.path() / "notes.txt";
  std::ofstream(text) << "hello, this is not a database\n";
  CHECK(thrown_by([&] { sg::SqliteSaver saver(text, options); }).id == "sg.saver.406");
}

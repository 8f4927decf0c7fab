// SqliteSaver's integrity features: per-item checksums (schema 2) that find a changed byte a
// decoder would accept, the storage check (PRAGMA quick_check), schema-1 files (no checksums)
// read as they are or migrated, and read-only opens that leave a cleanly closed database as one
// file (mode=ro, tidied up) or never touch it (immutable).

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "raw_sqlite.hpp"
#include "sqlite_factory.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"

namespace {

using nlohmann::json;
using sgtest::file_bytes;
using sgtest::listing;
using sgtest::thrown_by;
using Raw = sgtest::RawDb;

const std::filesystem::path kFixtures = SG_CHECKPOINT_FIXTURES;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json message(const std::string& type, const std::string& content) { return {{"type", type}, {"content", content}}; }

// A store at `path` with one checkpoint of thread "t", closed cleanly.
void one_checkpoint(const std::filesystem::path& path) {
  sg::SqliteSaver writer(path);
  sgtest::Run run(writer, "t");
  run.step({{"a", 1}});
}

sg::SqliteSaverOptions read_only() {
  sg::SqliteSaverOptions options;
  options.read_only = true;
  return options;
}

}  // namespace

TEST_CASE("sqlite checksums: a changed byte that still decodes fails the read with sg.saver.412 naming it") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "sums.db";
  sg::SqliteSaver saver(path);
  sgtest::Run run(saver, "chat");
  run.step({{"messages", json::array({message("human", "hello world")})}});
  run.step({{"messages", json::array({message("human", "hello world"), message("ai", "hi there")})}});
  saver.put_writes(run.config_of(1), std::vector<sg::PendingWrite>{{"", "note", "pending words"}}, "task-1");
  const std::string id0 = run.history[0].id, id1 = run.history[1].id;
  Raw raw(path);
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE checksum IS NULL") == "0");
  CHECK(raw.one("SELECT count(*) FROM sg_writes WHERE checksum IS NULL") == "0");
  CHECK(raw.one("SELECT count(*) FROM sg_checkpoints WHERE checksum IS NULL") == "0");
  const auto check = saver.check_storage();
  CHECK(check.method == "PRAGMA quick_check");
  CHECK(check.problems.empty());
  CHECK(check.with_checksum == 2 + 2 + 1);
  CHECK(check.without_checksum == 0);

  SUBCASE("in a stored message") {
    REQUIRE(raw.flip("sg_blobs", "data", "version = '" + sgtest::version(1) + "'", "world", 'v') == 1);
    const auto t = thrown_by([&] { (void)saver.get_tuple(run.config_of(0)); });
    CHECK(t.id == "sg.saver.412");
    CHECK_MESSAGE(contains(t.message, id0), t.message);
    CHECK(contains(t.message, "channel \"messages\" at version \"" + sgtest::version(1) + "\""));
    CHECK(contains(t.message, "does not match its checksum"));
    CHECK(saver.get_tuple(run.config_of(1))->checkpoint == run.history[1]);  // the other version is intact
    CHECK(thrown_by([&] { (void)saver.list({"chat", "", std::nullopt}); }).id == "sg.saver.412");
    // The same change without a checksum is read back as if it had been stored so.
    raw.exec("UPDATE sg_blobs SET checksum = NULL");
    const auto unseen = saver.get_tuple(run.config_of(0));
    REQUIRE(unseen.has_value());
    CHECK(unseen->checkpoint.channel_values.at("messages")[0]["content"] == "hello vorld");
  }
  SUBCASE("in a pending write") {
    REQUIRE(raw.flip("sg_writes", "value", "task_id = 'task-1'", "words", 'W') == 1);
    const auto t = thrown_by([&] { (void)saver.get_tuple(run.config_of(1)); });
    CHECK(t.id == "sg.saver.412");
    CHECK(contains(t.message, id1));
    CHECK(contains(t.message, "task \"task-1\""));
  }
  SUBCASE("in a checkpoint's metadata (JSON text, still valid)") {
    raw.exec("UPDATE sg_checkpoints SET metadata = replace(metadata, '\"loop\"', '\"loap\"') WHERE checkpoint_id = '" +
             id1 + "'");
    const auto t = thrown_by([&] { (void)saver.get_tuple(run.config_of(1)); });
    CHECK(t.id == "sg.saver.412");
    CHECK(contains(t.message, id1));
    CHECK(contains(t.message, "checkpoint row"));
  }
}

TEST_CASE("sqlite copy_thread copies the checksums, which still match") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "copy.db";
  sg::SqliteSaver saver(path);
  sgtest::Run run(saver, "a");
  run.step({{"x", "one"}});
  run.step({{"x", "two"}, {"y", json::array({1, 2})}});
  saver.copy_thread("a", "b");
  Raw raw(path);
  for (const char* table : {"sg_checkpoints", "sg_blobs"})
    CHECK(raw.one(std::string("SELECT count(*) FROM ") + table + " WHERE thread_id = 'b' AND checksum IS NULL") == "0");
  const auto copied = saver.list({"b", "", std::nullopt});
  REQUIRE(copied.size() == 2);
  CHECK(copied[0].checkpoint == run.history[1]);
}

TEST_CASE("sqlite a schema-1 file (no checksums) reads read-only as it is, and a writable open migrates it to the latest") {
  sgtest::TempDir dir;
  const auto old_path = dir.path() / "old.db";
  const auto migrated_path = dir.path() / "migrated.db";
  std::filesystem::copy_file(kFixtures / "format1.db", old_path);
  std::filesystem::copy_file(kFixtures / "format1.db", migrated_path);
  const std::string bytes = file_bytes(old_path);
  {
    sg::SqliteSaver old(old_path, read_only());
    sg::SqliteSaver migrated(migrated_path);
    for (const char* thread : {"chat", "chat-keep"}) {
      CAPTURE(thread);
      const auto a = old.list({thread, "", std::nullopt});
      const auto b = migrated.list({thread, "", std::nullopt});
      REQUIRE(a.size() == b.size());
      REQUIRE_FALSE(a.empty());
      for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].checkpoint == b[i].checkpoint);
        CHECK(a[i].metadata == b[i].metadata);
        CHECK(a[i].pending_writes.size() == b[i].pending_writes.size());
      }
    }
    const auto check = old.check_storage();
    CHECK(check.problems.empty());
    CHECK(check.with_checksum == 0);
    CHECK(check.without_checksum > 10);
    // Migrated: the old rows keep no checksum, a new checkpoint has one.
    sgtest::Run run(migrated, "new");
    run.step({{"x", 1}});
    const auto after = migrated.check_storage();
    CHECK(after.with_checksum == 2);  // the checkpoint row and its one value
    CHECK(after.without_checksum == check.without_checksum);
  }
  CHECK(file_bytes(old_path) == bytes);
  CHECK(Raw(old_path).one("SELECT max(v) FROM sg_migrations") == "1");
  CHECK(Raw(migrated_path).one("SELECT max(v) FROM sg_migrations") == std::to_string(sg::SqliteSaver::kSchemaVersion));
  // Schema 3: the blobs keyed by version before channel (the values read above came through it).
  const std::string blobs = Raw(migrated_path).one("SELECT sql FROM sqlite_schema WHERE name = 'sg_blobs'");
  CHECK(blobs.find("PRIMARY KEY (thread_id, checkpoint_ns, version, channel)") != std::string::npos);
  CHECK(Raw(migrated_path).one("SELECT count(*) FROM sg_blobs WHERE thread_id <> 'new'") ==
        Raw(old_path).one("SELECT count(*) FROM sg_blobs"));
}

TEST_CASE("sqlite read_only leaves a cleanly closed database one file, and a live writer's files alone") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "ro.db";
  one_checkpoint(path);
  REQUIRE(listing(dir.path()) == std::vector<std::string>{"ro.db"});
  {
    sg::SqliteSaver reader(path, read_only());
    CHECK(reader.list({"t", "", std::nullopt}).size() == 1);
    // While it reads, SQLite keeps its WAL companions (created for this reader).
    CHECK(std::filesystem::exists(path.string() + "-shm"));
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{"ro.db"});

  // A writer is running: its -wal and -shm stay, and it goes on writing after the reader is gone.
  sg::SqliteSaver writer(path);
  sgtest::Run run(writer, "u");
  run.step({{"a", 1}});
  {
    sg::SqliteSaver reader(path, read_only());
    CHECK(reader.list({"u", "", std::nullopt}).size() == 1);
  }
  CHECK(std::filesystem::exists(path.string() + "-wal"));
  CHECK(std::filesystem::exists(path.string() + "-shm"));
  run.step({{"a", 2}});
  CHECK(writer.list({"u", "", std::nullopt}).size() == 2);
}

TEST_CASE("sqlite immutable reads without creating anything and refuses a -wal that holds commits") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "snap.db";
  sg::SqliteSaverOptions immutable;
  immutable.immutable = true;
  {
    sg::SqliteSaver writer(path);
    sgtest::Run run(writer, "t");
    run.step({{"a", 1}});
    run.step({{"a", 2}});
    // The writer is open and has committed into its -wal: immutable would not see those commits.
    const auto t = thrown_by([&] { sg::SqliteSaver saver(path, immutable); });
    CHECK(t.id == "sg.saver.403");
    CHECK(contains(t.message, "snap.db-wal\" holds commits"));
  }
  const std::string bytes = file_bytes(path);
  {
    sg::SqliteSaver saver(path, immutable);
    CHECK(saver.list({"t", "", std::nullopt}).size() == 2);
    CHECK(listing(dir.path()) == std::vector<std::string>{"snap.db"});  // not even while open
    CHECK(thrown_by([&] { saver.delete_thread("t"); }).id == "sg.saver.409");
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{"snap.db"});
  CHECK(file_bytes(path) == bytes);
}

TEST_CASE("sqlite paths with URI characters open read-only and immutable") {
  sgtest::TempDir dir;
  const auto path = dir.path() / "odd ?name #1 100%.db";
  one_checkpoint(path);
  sg::SqliteSaverOptions immutable;
  immutable.immutable = true;
  for (const auto& options : {read_only(), immutable}) {
    sg::SqliteSaver saver(path, options);
    CHECK(saver.list({"t", "", std::nullopt}).size() == 1);
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{path.filename().string()});
}

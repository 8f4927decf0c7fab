// PostgresSaver specifics beyond the conformance suite: deltas stored as deltas, values stored
// once, exact JSON round trips, schema versions and foreign tables, corrupt rows, unreachable
// servers, reconnects, timeouts, atomic puts and in-process thread locks.

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "postgres_factory.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The SaverError a call throws ("no exception" when none); `out` receives it.
std::string error_of(const std::function<void()>& fn, std::optional<sg::SaverError>* out = nullptr) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    if (out != nullptr) out->emplace(e);
    return e.id();
  }
  return "no exception";
}

long long count(const std::string& sql) { return sgtest::postgres_exec(sql)[0][0].as<long long>(); }

std::string q(const std::string& schema) { return "\"" + schema + "\""; }

sg::Checkpoint delta_checkpoint(const sg::ChannelVersion& version, std::optional<sg::ChannelDelta> delta,
                                const json& value = nullptr) {
  sg::Checkpoint c;
  c.id = sg::new_checkpoint_id();
  c.ts = sg::utc_now_iso8601();
  c.channel_versions["messages"] = version;
  if (delta) {
    c.channel_deltas["messages"] = *delta;
  } else {
    c.channel_values["messages"] = value;
  }
  return c;
}

// A thread of `steps` checkpoints whose "messages" grow by one message each step: a full value at
// every step in `snapshots`, otherwise a delta appending to the previous version.
struct DeltaThread {
  std::vector<sg::Checkpoint> puts;
  std::vector<json> expected;  // the full value after each step
  DeltaThread(sg::BaseCheckpointSaver& saver, const std::string& thread, int steps, std::set<int> snapshots) {
    json all = json::array();
    std::string parent;
    for (int i = 0; i < steps; ++i) {
      all.push_back({{"id", i}, {"text", "message " + std::to_string(i)}});
      std::optional<sg::ChannelDelta> delta;
      if (snapshots.count(i) == 0) delta = sg::ChannelDelta{sgtest::version(i), static_cast<std::size_t>(i), json::array({all.back()})};
      auto c = delta_checkpoint(sgtest::version(i + 1), delta, all);
      sg::CheckpointConfig config{thread, "", std::nullopt};
      if (!parent.empty()) config.checkpoint_id = parent;
      saver.put(config, c, sgtest::metadata("loop", i), c.channel_versions);
      parent = c.id;
      puts.push_back(c);
      expected.push_back(all);
    }
  }
};

}  // namespace

TEST_CASE("PostgresSaver stores a ChannelDelta as a delta and resolves it on read") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const std::string s = q(f.schema->name);
  DeltaThread run(saver, "t", 8, {0, 5});

  for (std::size_t i = 0; i < run.puts.size(); ++i) {
    const auto t = saver.get_tuple({"t", "", run.puts[i].id});
    REQUIRE(t.has_value());
    CHECK(t->checkpoint.channel_values.at("messages") == run.expected[i]);
    CHECK(t->checkpoint.channel_deltas.empty());
  }
  const auto all = saver.list({"t", "", std::nullopt});
  REQUIRE(all.size() == 8);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].checkpoint.channel_values.at("messages") == run.expected[7 - i]);
  // Pages whose delta bases lie outside the page.
  for (const std::size_t newest : {5U, 3U}) {
    sg::ListOptions page;
    page.before = run.puts[newest + 1].id;
    page.limit = 2;
    const auto l = saver.list({"t", "", std::nullopt}, page);
    REQUIRE(l.size() == 2);
    CHECK(l[0].checkpoint.channel_values.at("messages") == run.expected[newest]);
    CHECK(l[1].checkpoint.channel_values.at("messages") == run.expected[newest - 1]);
  }

  // Stored as written: step 3 holds only what it appended, on top of version 3.
  const auto row = sgtest::postgres_exec("SELECT base, keep, value::text FROM " + s +
                                         ".sg_blobs WHERE thread_id = 't' AND version = '" + sgtest::version(4) + "'");
  REQUIRE(row.size() == 1);
  CHECK(std::string(row[0][0].c_str()) == sgtest::version(3));
  CHECK(row[0][1].as<int>() == 3);
  CHECK(json::parse(row[0][2].c_str()) == json::array({run.expected[3].back()}));
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs WHERE base IS NULL") == 2);  // the two snapshots

  // A delta may also drop elements: keep fewer than the base has.
  auto replace = delta_checkpoint(sgtest::version(100), sg::ChannelDelta{sgtest::version(8), 2, json::array({"x"})});
  saver.put({"t", "", run.puts.back().id}, replace, sgtest::metadata("loop", 8), replace.channel_versions);
  CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint.channel_values.at("messages") ==
        json::array({run.expected[0][0], run.expected[1][1], "x"}));

  // copy_thread copies the deltas; the copy resolves on its own.
  saver.copy_thread("t", "copy");
  saver.delete_thread("t");
  const auto copied = saver.list({"copy", "", std::nullopt});
  REQUIRE(copied.size() == 9);
  CHECK(copied[1].checkpoint.channel_values.at("messages") == run.expected[7]);
}

TEST_CASE("PostgresSaver prune keeps the delta bases the remaining checkpoints need") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const std::string s = q(f.schema->name);
  DeltaThread chain(saver, "chain", 6, {0});     // one snapshot, then deltas all the way
  DeltaThread snap(saver, "snap", 6, {0, 4});    // a second snapshot at step 4

  sg::PruneOptions keep1;
  keep1.keep_last = 1;
  CHECK(saver.prune("chain", keep1) == 5);
  CHECK(saver.prune("snap", keep1) == 5);
  // chain: the latest delta needs every earlier version; snap: only versions 5 and 6.
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs WHERE thread_id = 'chain'") == 6);
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs WHERE thread_id = 'snap'") == 2);
  CHECK(saver.get_tuple({"chain", "", std::nullopt})->checkpoint.channel_values.at("messages") == chain.expected[5]);
  CHECK(saver.get_tuple({"snap", "", std::nullopt})->checkpoint.channel_values.at("messages") == snap.expected[5]);
}

TEST_CASE("PostgresSaver stores each value once per channel and version") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const std::string s = q(f.schema->name);
  sgtest::Run run(saver, "t");
  run.step({{"big", json::array({1, 2, 3})}, {"n", 0}});
  for (int i = 1; i < 10; ++i) run.step({{"n", i}});
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs") == 11);  // big once, n ten times
  CHECK(count("SELECT count(*) FROM " + s + ".sg_checkpoints") == 10);

  // A value for a version that is already stored is not overwritten.
  sg::Checkpoint c = run.history.back();
  c.id = sg::new_checkpoint_id();
  c.channel_values = {{"big", "different"}};
  saver.put({"t", "", run.history.back().id}, c, sgtest::metadata("loop", 9), {{"big", c.channel_versions.at("big")}});
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs") == 11);
  CHECK(saver.get_tuple({"t", "", c.id})->checkpoint.channel_values.at("big") == json::array({1, 2, 3}));
}

TEST_CASE("PostgresSaver round-trips any JSON value exactly") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const json tricky = {{"nul", std::string("a\0b", 3)},
                       {"unicode", "h\u00e9llo \u4e16\u754c \U0001F600"},
                       {"escapes", "quote \" backslash \\ tab \t newline \n {braces} ,comma"},
                       {"big", 18446744073709551615ULL},
                       {"negative", -9223372036854775807LL},
                       {"float", 0.1},
                       {"exp", 1.5e300},
                       {"empty", json::object()},
                       {"list", json::array({nullptr, true, false, ""})}};
  auto c = sgtest::checkpoint({{"tricky", tricky}, {"null", nullptr}, {"string", "NULL"}, {"array", json::array()}});
  const json meta = sgtest::metadata("loop", 0, {{"note", std::string("x\0y", 3)}, {"unicode", "\u00e9"}});
  saver.put({"t", "", std::nullopt}, c, meta, c.channel_versions);
  const sg::PendingWrite write{"task", std::string("ch\"an"), tricky};
  saver.put_writes({"t", "", c.id}, {&write, 1}, "task");

  const auto t = saver.get_tuple({"t", "", std::nullopt});
  REQUIRE(t.has_value());
  CHECK(t->checkpoint == c);
  CHECK(t->checkpoint.channel_values.at("tricky").at("nul").get<std::string>().size() == 3);
  REQUIRE(t->pending_writes.size() == 1);
  CHECK(t->pending_writes[0] == write);
  // jsonb cannot hold U+0000: metadata strings lose it (as in LangGraph); everything else stays.
  CHECK(t->metadata.at("note") == "xy");
  CHECK(t->metadata.at("unicode") == "\u00e9");
  sg::ListOptions filter;
  filter.filter = {{"note", std::string("x\0y", 3)}};
  CHECK(saver.list({"t", "", std::nullopt}, filter).size() == 1);
}

TEST_CASE("PostgresSaver latest_checkpoint_id is the newest of the thread and namespace") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  CHECK_FALSE(saver.latest_checkpoint_id({"t", "", std::nullopt}).has_value());
  sgtest::Run root(saver, "t");
  sgtest::Run child(saver, "t", "child:1");
  root.step({{"a", 1}});
  child.step({{"a", 2}});
  root.step({{"a", 3}});
  child.step({{"a", 4}});
  CHECK(saver.latest_checkpoint_id({"t", "", std::nullopt}) == root.history[1].id);
  CHECK(saver.latest_checkpoint_id({"t", "child:1", std::nullopt}) == child.history[1].id);
  CHECK_FALSE(saver.latest_checkpoint_id({"u", "", std::nullopt}).has_value());
  CHECK_FALSE(saver.latest_checkpoint_id({"", "", std::nullopt}).has_value());
}

TEST_CASE("PostgresSaver on an unreachable server throws SaverUnavailable quickly") {
  sg::PostgresSaverOptions options;
  options.connect_timeout = 2s;

  // Nothing listens: refused at once.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);
  std::optional<sg::SaverError> e;
  auto start = Clock::now();
  CHECK(error_of([&] { sg::PostgresSaver s("postgresql://postgres:secret@127.0.0.1:" + std::to_string(port) + "/postgres", options); }, &e) ==
        "sg.saver.401");
  CHECK(Clock::now() - start < 2s);
  REQUIRE(e.has_value());
  CHECK(e->retryable());
  CHECK(e->backend_code() == "08001");
  const std::string message(e->message());
  CHECK_MESSAGE(message.find("127.0.0.1") != std::string::npos, message);
  CHECK_MESSAGE(message.find("secret") == std::string::npos, message);  // the password is not shown

  // Something listens but never answers: connect_timeout ends the wait.
  REQUIRE(::listen(probe, 8) == 0);
  start = Clock::now();
  CHECK(error_of([&] { sg::PostgresSaver s("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres", options); }, &e) ==
        "sg.saver.401");
  const auto waited = Clock::now() - start;
  CHECK(waited >= 1500ms);
  CHECK(waited < 6s);
  MESSAGE("connect timeout after " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                                   << " ms: " << std::string(e->what()));
  ::close(probe);

  // pool_size 0 is a usage error.
  options.pool_size = 0;
  CHECK(error_of([&] { sg::PostgresSaver s(sgtest::postgres_uri(), options); }) == "sg.saver.403");
}

TEST_CASE("PostgresSaver refuses a schema written by a newer release (405) and leaves it alone") {
  sgtest::SchemaGuard schema("newer");
  const std::string s = q(schema.name);
  {
    sg::PostgresSaver saver(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));
    sgtest::Run(saver, "t").step({{"a", 1}});
  }
  sgtest::postgres_exec("INSERT INTO " + s + ".sg_migrations (v) VALUES (" +
                        std::to_string(sg::PostgresSaver::kSchemaVersion + 1) + ")");
  std::optional<sg::SaverError> e;
  CHECK(error_of([&] { sg::PostgresSaver saver(sgtest::postgres_uri(), sgtest::postgres_options(schema.name)); }, &e) ==
        "sg.saver.405");
  REQUIRE(e.has_value());
  CHECK_MESSAGE(std::string(e->message()).find("newer") != std::string::npos, std::string(e->what()));
  auto no_migrate = sgtest::postgres_options(schema.name);
  no_migrate.migrate = false;
  CHECK(error_of([&] { sg::PostgresSaver saver(sgtest::postgres_uri(), no_migrate); }) == "sg.saver.405");
  CHECK(count("SELECT count(*) FROM " + s + ".sg_checkpoints") == 1);
  CHECK(count("SELECT max(v) FROM " + s + ".sg_migrations") == sg::PostgresSaver::kSchemaVersion + 1);
}

TEST_CASE("PostgresSaver refuses tables of another shape (406) and leaves them alone") {
  const std::string uri = sgtest::postgres_uri();
  SUBCASE("a foreign sg_checkpoints without sg_migrations") {
    sgtest::SchemaGuard schema("foreign");
    const std::string s = q(schema.name);
    sgtest::postgres_exec("CREATE SCHEMA " + s + "; CREATE TABLE " + s +
                          ".sg_checkpoints (id integer PRIMARY KEY, data text); INSERT INTO " + s +
                          ".sg_checkpoints VALUES (1, 'theirs')");
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name)); }, &e) == "sg.saver.406");
    REQUIRE(e.has_value());
    CHECK_MESSAGE(std::string(e->message()).find("sg_checkpoints") != std::string::npos, std::string(e->what()));
    CHECK(count("SELECT count(*) FROM " + s + ".sg_checkpoints WHERE data = 'theirs'") == 1);
    CHECK(count("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema.name + "'") == 1);  // nothing created
  }
  SUBCASE("a foreign sg_migrations") {
    sgtest::SchemaGuard schema("foreignm");
    const std::string s = q(schema.name);
    sgtest::postgres_exec("CREATE SCHEMA " + s + "; CREATE TABLE " + s + ".sg_migrations (name text PRIMARY KEY)");
    CHECK(error_of([&] { sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name)); }) == "sg.saver.406");
  }
  SUBCASE("one of our tables altered") {
    sgtest::SchemaGuard schema("altered");
    const std::string s = q(schema.name);
    { sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name)); }
    sgtest::postgres_exec("ALTER TABLE " + s + ".sg_blobs ALTER COLUMN value TYPE text");
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name)); }, &e) == "sg.saver.406");
    REQUIRE(e.has_value());
    CHECK_MESSAGE(std::string(e->message()).find("value") != std::string::npos, std::string(e->what()));
  }
  SUBCASE("a view in place of a table") {
    sgtest::SchemaGuard schema("view");
    const std::string s = q(schema.name);
    sgtest::postgres_exec("CREATE SCHEMA " + s + "; CREATE VIEW " + s + ".sg_writes AS SELECT 1 AS x");
    CHECK(error_of([&] { sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name)); }) == "sg.saver.406");
  }
}

TEST_CASE("PostgresSaver without migrations needs a current schema (408), setup() makes it") {
  sgtest::SchemaGuard schema("nomig");
  auto options = sgtest::postgres_options(schema.name);
  options.migrate = false;
  CHECK(error_of([&] { sg::PostgresSaver saver(sgtest::postgres_uri(), options); }) == "sg.saver.408");
  CHECK(count("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema.name + "'") == 0);  // nothing created
  { sg::PostgresSaver migrating(sgtest::postgres_uri(), sgtest::postgres_options(schema.name)); }
  sg::PostgresSaver saver(sgtest::postgres_uri(), options);
  saver.setup();  // idempotent
  sgtest::Run run(saver, "t");
  run.step({{"a", 1}});
  CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint == run.history[0]);
}

TEST_CASE("PostgresSaver setup is safe when many savers start at once" * doctest::timeout(60)) {
  sgtest::SchemaGuard schema("race");
  constexpr int kSavers = 6;
  std::atomic<int> ready{0};
  std::vector<std::string> errors(kSavers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSavers; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kSavers) std::this_thread::yield();
      try {
        sg::PostgresSaver saver(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));
        sgtest::Run(saver, "t" + std::to_string(i)).step({{"a", i}});
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK_MESSAGE(e.empty(), e);
  CHECK(count("SELECT count(*) FROM " + q(schema.name) + ".sg_migrations") == sg::PostgresSaver::kSchemaVersion);
  CHECK(count("SELECT count(*) FROM " + q(schema.name) + ".sg_checkpoints") == kSavers);
}

TEST_CASE("PostgresSaver reports a damaged row as SaverCorrupt and modifies nothing") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const std::string s = q(f.schema->name);
  DeltaThread run(saver, "t", 4, {0});
  const auto totals = [&] {
    return count("SELECT (SELECT count(*) FROM " + s + ".sg_checkpoints) * 1000000 + (SELECT count(*) FROM " + s +
                 ".sg_blobs) * 1000 + (SELECT count(*) FROM " + s + ".sg_writes)");
  };
  const long long before = totals();

  SUBCASE("channel_versions that are not an object") {
    sgtest::postgres_exec("UPDATE " + s + ".sg_checkpoints SET channel_versions = '[1, 2]' WHERE checkpoint_id = '" +
                          run.puts[1].id + "'");
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { (void)saver.get_tuple({"t", "", run.puts[1].id}); }, &e) == "sg.saver.402");
    REQUIRE(e.has_value());
    CHECK_MESSAGE(std::string(e->message()).find(run.puts[1].id) != std::string::npos, std::string(e->what()));
    CHECK_FALSE(e->retryable());
    CHECK(error_of([&] { (void)saver.list({"t", "", std::nullopt}); }) == "sg.saver.402");
    // Other checkpoints still load.
    CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint.channel_values.at("messages") == run.expected[3]);
    CHECK(count("SELECT count(*) FROM " + s + ".sg_checkpoints WHERE channel_versions::text = '[1, 2]'") == 1);
  }
  SUBCASE("a delta whose append is not an array") {
    sgtest::postgres_exec("UPDATE " + s + ".sg_blobs SET value = '{\"x\": 1}' WHERE version = '" + sgtest::version(3) + "'");
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { (void)saver.get_tuple({"t", "", std::nullopt}); }, &e) == "sg.saver.402");
    REQUIRE(e.has_value());
    CHECK_MESSAGE(std::string(e->message()).find("messages") != std::string::npos, std::string(e->what()));
    CHECK(saver.get_tuple({"t", "", run.puts[1].id}).has_value());  // before the damage: fine
  }
  SUBCASE("a delta that keeps more than its base has") {
    sgtest::postgres_exec("UPDATE " + s + ".sg_blobs SET keep = 99 WHERE version = '" + sgtest::version(2) + "'");
    CHECK(error_of([&] { (void)saver.get_tuple({"t", "", run.puts[1].id}); }) == "sg.saver.402");
  }
  SUBCASE("a value that is missing") {
    sgtest::postgres_exec("DELETE FROM " + s + ".sg_blobs WHERE version = '" + sgtest::version(1) + "'");
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { (void)saver.get_tuple({"t", "", std::nullopt}); }, &e) == "sg.saver.402");
    REQUIRE(e.has_value());
    CHECK_MESSAGE(std::string(e->message()).find("not stored") != std::string::npos, std::string(e->what()));
    saver.delete_thread("t");  // a damaged thread can still be deleted
    CHECK(saver.list({"t", "", std::nullopt}).empty());
    return;
  }
  CHECK(totals() == before);
}

TEST_CASE("PostgresSaver reconnects once after its connection is killed, visibly") {
  sgtest::SchemaGuard schema("reconnect");
  auto options = sgtest::postgres_options(schema.name);
  options.application_name = schema.name;
  std::mutex m;
  std::vector<std::string> log;
  options.log = [&](std::string_view line) {
    const std::lock_guard lock(m);
    log.emplace_back(line);
  };
  options.pool_size = 1;
  sg::PostgresSaver saver(sgtest::postgres_uri(), options);
  sgtest::Run run(saver, "t");
  run.step({{"a", 1}});
  const auto kill_backends = [&] {
    // The select list runs only for the rows WHERE keeps (a WHERE clause may run its terms in any
    // order, and pg_terminate_backend must never reach other sessions).
    return count("SELECT coalesce(sum(CASE WHEN pg_terminate_backend(pid, 5000) THEN 1 ELSE 0 END), 0) "
                 "FROM pg_stat_activity WHERE application_name = '" + schema.name + "' AND pid <> pg_backend_pid()");
  };
  REQUIRE(kill_backends() == 1);

  const auto t = saver.get_tuple({"t", "", std::nullopt});  // retried on a new connection
  REQUIRE(t.has_value());
  CHECK(t->checkpoint == run.history[0]);
  CHECK(saver.stats().reconnects == 1);
  CHECK(saver.stats().retries == 1);
  REQUIRE(log.size() == 1);
  CHECK_MESSAGE(log[0].find("reconnecting") != std::string::npos, log[0]);
  MESSAGE("logged: " << log[0]);
  CHECK_MESSAGE(log[0].find("get_tuple") != std::string::npos, log[0]);
  run.step({{"a", 2}});  // and the new connection works for writes too
  CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint == run.history[1]);

  SUBCASE("with retries off the call fails with the SQLSTATE, the next one reconnects") {
    options.retries = 0;
    sg::PostgresSaver strict(sgtest::postgres_uri(), options);
    (void)strict.get_tuple({"t", "", std::nullopt});
    REQUIRE(kill_backends() >= 1);
    std::optional<sg::SaverError> e;
    CHECK(error_of([&] { (void)strict.get_tuple({"t", "", std::nullopt}); }, &e) == "sg.saver.401");
    REQUIRE(e.has_value());
    CHECK(e->retryable());
    CHECK_MESSAGE((e->backend_code() == "57P01" || e->backend_code() == "08006"), e->backend_code());
    MESSAGE("after pg_terminate_backend: " << std::string(e->what()));
    CHECK(strict.get_tuple({"t", "", std::nullopt})->checkpoint == run.history[1]);
  }
}

TEST_CASE("PostgresSaver cancels a statement that exceeds statement_timeout") {
  PostgresFactory f;
  auto options = sgtest::postgres_options("");
  (void)f.make();
  options.schema = f.schema->name;
  options.statement_timeout = 300ms;
  sg::PostgresSaver saver(sgtest::postgres_uri(), options);
  auto blocker = sgtest::postgres_admin();
  pqxx::work tx(*blocker);
  tx.exec("LOCK TABLE " + q(f.schema->name) + ".sg_checkpoints IN ACCESS EXCLUSIVE MODE");
  std::optional<sg::SaverError> e;
  const auto start = Clock::now();
  CHECK(error_of([&] { sgtest::Run(saver, "t").step({{"a", 1}}); }, &e) == "sg.saver.401");
  CHECK(Clock::now() - start < 5s);
  REQUIRE(e.has_value());
  CHECK(e->backend_code() == "57014");
  tx.abort();
  sgtest::Run run(saver, "t");
  run.step({{"a", 1}});
  CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint == run.history[0]);
}

TEST_CASE("PostgresSaver put is atomic: a rejected checkpoint stores none of its values") {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  const std::string s = q(f.schema->name);
  sgtest::postgres_exec("ALTER TABLE " + s + ".sg_checkpoints ADD CONSTRAINT sg_test_reject CHECK (ts <> 'reject me')");
  auto c = sgtest::checkpoint({{"a", 1}, {"b", "two"}});
  c.ts = "reject me";
  std::optional<sg::SaverError> e;
  CHECK(error_of([&] { saver.put({"t", "", std::nullopt}, c, sgtest::metadata("input", -1), c.channel_versions); }, &e) ==
        "sg.saver.407");
  REQUIRE(e.has_value());
  CHECK(e->backend_code() == "23514");
  CHECK_FALSE(e->retryable());
  CHECK(count("SELECT count(*) FROM " + s + ".sg_blobs") == 0);
  CHECK(count("SELECT count(*) FROM " + s + ".sg_checkpoints") == 0);
}

TEST_CASE("PostgresSaver lock_thread within one process" * doctest::timeout(30)) {
  PostgresFactory f;
  auto owned = f.make();
  auto& saver = *owned;
  auto first = saver.lock_thread("t", 0ms);
  REQUIRE(first != nullptr);
  const auto start = Clock::now();
  std::optional<sg::SaverError> e;
  CHECK(error_of([&] { (void)saver.lock_thread("t", 200ms); }, &e) == "sg.saver.404");
  CHECK(Clock::now() - start >= 200ms);
  REQUIRE(e.has_value());
  CHECK_MESSAGE(std::string(e->message()).find("busy") != std::string::npos, std::string(e->what()));
  CHECK_NOTHROW((void)saver.lock_thread("u", 0ms));

  // A waiter gets the thread as soon as it is released.
  std::thread releaser([&] {
    std::this_thread::sleep_for(150ms);
    first.reset();
  });
  std::unique_ptr<sg::ThreadLock> second;
  CHECK_NOTHROW(second = saver.lock_thread("t", 5s));
  releaser.join();
  CHECK(second != nullptr);

  // Savers on another schema do not share locks.
  PostgresFactory g;
  auto other = g.make();
  CHECK_NOTHROW((void)other->lock_thread("t", 0ms));
  // The lock outlives nothing it needs: destroy the saver first, then the lock.
  owned.reset();
  second.reset();
}

TEST_CASE("PostgresSaver read_only reads, refuses writes with sg.saver.409 and creates nothing") {
  sgtest::SchemaGuard schema("ro");
  std::vector<sg::Checkpoint> history;
  {
    sg::PostgresSaver writer(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));
    sgtest::Run run(writer, "t");
    run.step({{"a", 1}});
    run.step({{"a", 2}});
    history = run.history;
  }
  auto options = sgtest::postgres_options(schema.name);
  options.read_only = true;
  sg::PostgresSaver saver(sgtest::postgres_uri(), options);
  CHECK(saver.get_tuple({"t", "", std::nullopt})->checkpoint == history[1]);
  CHECK(saver.list_threads().size() == 1);
  CHECK(saver.storage_stats().tables.size() == 3);
  CHECK(error_of([&] { saver.put({"t", "", history[1].id}, history[1], sgtest::metadata("loop", 5), {}); }) ==
        "sg.saver.409");
  CHECK(error_of([&] { saver.delete_thread("t"); }) == "sg.saver.409");
  CHECK(error_of([&] { saver.prune("t", {.keep_last = 1, .before = std::nullopt}); }) == "sg.saver.409");
  CHECK(error_of([&] { saver.copy_thread("t", "u"); }) == "sg.saver.409");
  CHECK(error_of([&] { saver.setup(); }) == "sg.saver.409");
  CHECK(saver.list({"t", "", std::nullopt}).size() == 2);

  sgtest::SchemaGuard missing("ro_missing");
  options.schema = missing.name;
  CHECK(error_of([&] { sg::PostgresSaver none(sgtest::postgres_uri(), options); }) == "sg.saver.408");
  CHECK(count("SELECT count(*) FROM pg_namespace WHERE nspname = '" + missing.name + "'") == 0);
}

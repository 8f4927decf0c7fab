// `sg-bench chat`: the tutorial chatbot graph (MessagesState with add_messages, one model node
// with a fake model that answers a fixed 40-word reply at once) on one thread for T turns of a
// 20-word human message, on a memory, SQLite or Postgres saver. Measures per-turn wall time
// (medians of the first and last 50 turns), storage added per turn (read from the database),
// get_state and get_state_history over the whole thread.
#include "chat.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include <pqxx/pqxx>
#include <sqlite3.h>

#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/add_messages.hpp>
#include <stategraph/nodes/fake_chat_model.hpp>
#include <stategraph/nodes/token_counter.hpp>

namespace sg_bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string words(int n, int seed) {
  static const char* vocab[] = {"the", "graph", "runs", "every", "node", "once", "per", "step",
                                "and", "saves", "a", "checkpoint", "so", "any", "thread", "resumes"};
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(vocab[(i * 7 + seed) % 16]);
  return s;
}

/// Bytes the saver's data occupies now.
struct StorageMeter {
  virtual ~StorageMeter() = default;
  virtual std::optional<std::uint64_t> bytes() = 0;
};

struct SqliteMeter final : StorageMeter {
  std::filesystem::path path;
  std::optional<std::uint64_t> bytes() override {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return std::nullopt;
    }
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    auto pragma = [&](const char* sql) -> std::uint64_t {
      sqlite3_stmt* st = nullptr;
      std::uint64_t v = 0;
      if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = static_cast<std::uint64_t>(sqlite3_column_int64(st, 0));
      sqlite3_finalize(st);
      return v;
    };
    const auto used = (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * pragma("PRAGMA page_size");
    sqlite3_close(db);
    return used;
  }
};

struct PostgresMeter final : StorageMeter {
  std::string uri, schema;
  std::optional<std::uint64_t> bytes() override {
    pqxx::connection c(uri);
    pqxx::work w(c);
    auto r = w.exec_params(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
        schema);
    return r[0][0].as<std::uint64_t>();
  }
};

double median_of(std::vector<double> v) { return median(std::move(v)); }

}  // namespace

void run_chat(const ChatOptions& o) {
  const std::string reply_text = words(40, 3);
  // The reply states its token usage, as a real model's does. Without it the fake model estimates
  // the input tokens by counting the whole conversation on every call: test-double work that
  // grows with the conversation and would be measured as the engine's.
  sg::Message reply = sg::AIMessage(reply_text);
  const auto reply_tokens = static_cast<std::int64_t>(sg::count_tokens_approximately(sg::Messages{reply}));
  reply.usage = sg::UsageMetadata{0, reply_tokens, reply_tokens};
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{reply}, /*cycle=*/true);
  model->keep_received(false);
  sg::StateGraph<sg::MessagesState> g;
  g.add_node("model", [model](const sg::MessagesState& s) {
    return sg::Update<sg::MessagesState>{sg::set<&sg::MessagesState::messages>(model->invoke(s.messages))};
  });
  g.add_edge(sg::START, "model");

  std::shared_ptr<sg::BaseCheckpointSaver> saver;
  std::unique_ptr<StorageMeter> meter;
  std::filesystem::path tmpdir;
  std::string pg_schema;
  if (o.saver == "memory") {
    saver = std::make_shared<sg::InMemorySaver>();
  } else if (o.saver == "sqlite") {
    tmpdir = std::filesystem::temp_directory_path() / ("sg-bench-chat-" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmpdir);
    auto m = std::make_unique<SqliteMeter>();
    m->path = tmpdir / "chat.db";
    sg::SqliteSaverOptions so;
    so.checksums = o.checksums;
    saver = std::make_shared<sg::SqliteSaver>(m->path, so);
    meter = std::move(m);
  } else {
    auto m = std::make_unique<PostgresMeter>();
    m->uri = postgres_uri(o.postgres);
    m->schema = pg_schema = "sg_bench_" + std::to_string(::getpid());
    sg::PostgresSaverOptions po;
    po.schema = pg_schema;
    saver = std::make_shared<sg::PostgresSaver>(m->uri, po);
    meter = std::move(m);
  }
  auto app = g.compile({.checkpointer = saver});
  sg::RunConfig cfg;
  cfg.thread_id = "bench";

  std::vector<double> turn_ms;
  std::optional<std::uint64_t> after_first;
  nlohmann::json samples = nlohmann::json::array();
  for (int t = 0; t < o.turns; ++t) {
    auto t0 = Clock::now();
    auto out = app.invoke({sg::set<&sg::MessagesState::messages>(sg::HumanMessage(words(20, t)))}, cfg);
    turn_ms.push_back(ms_since(t0));
    if (out.values.messages.size() != static_cast<std::size_t>(2 * (t + 1)))
      throw std::runtime_error("turn " + std::to_string(t) + ": wrong number of messages");
    if (t == 0 && meter) after_first = meter->bytes();
    if (o.sample > 0 && t > 0 && (t + 1) % o.sample == 0 && meter && after_first)
      if (auto now = meter->bytes())
        samples.push_back({t + 1, static_cast<double>(*now - *after_first) / t});
  }
  std::optional<std::uint64_t> total = meter ? meter->bytes() : std::nullopt;

  auto t0 = Clock::now();
  auto state = app.get_state(cfg);
  const double get_state_ms = ms_since(t0);
  if (!state || state->values.messages.size() != static_cast<std::size_t>(2 * o.turns))
    throw std::runtime_error("get_state returned the wrong conversation");
  // The same read by a graph that has not run the thread (another process, or after a restart):
  // the state is read from the saver and decoded, not taken from the graph's state cache.
  auto cold = g.compile({.checkpointer = saver});
  t0 = Clock::now();
  auto cold_state = cold.get_state(cfg);
  const double get_state_cold_ms = ms_since(t0);
  if (!cold_state || cold_state->values.messages != state->values.messages)
    throw std::runtime_error("get_state from the saver differs from the kept state");
  std::optional<double> history_ms;
  std::optional<std::size_t> history_size;
  if (o.full_history) {
    t0 = Clock::now();
    const auto history = app.get_state_history(cfg);
    history_ms = ms_since(t0);
    history_size = history.size();
  }
  // The same history without channel values (ListOptions::values = false): ids, parents,
  // metadata, next nodes and tasks — what a history listing shows; no value is read or decoded.
  sg::ListOptions light;
  light.values = false;
  t0 = Clock::now();
  const auto history_light = app.get_state_history(cfg, light);
  const double history_no_values_ms = ms_since(t0);
  if (history_size && history_light.size() != *history_size)
    throw std::runtime_error("the two histories differ in length");

  const std::size_t window = std::min<std::size_t>(50, turn_ms.size());
  nlohmann::json j{{"bench", "chat"},
                   {"saver", o.saver},
                   {"turns", o.turns},
                   {"checksums", o.saver == "sqlite" ? nlohmann::json(o.checksums) : nlohmann::json()},
                   {"ms_per_turn_first50", median_of({turn_ms.begin(), turn_ms.begin() + static_cast<std::ptrdiff_t>(window)})},
                   {"ms_per_turn_last50", median_of({turn_ms.end() - static_cast<std::ptrdiff_t>(window), turn_ms.end()})},
                   {"get_state_ms", get_state_ms},
                   {"get_state_cold_ms", get_state_cold_ms},
                   {"history_ms", history_ms ? nlohmann::json(*history_ms) : nlohmann::json()},
                   {"history_no_values_ms", history_no_values_ms},
                   {"checkpoints", history_light.size()}};
  if (o.sample > 0) j["bytes_per_turn_samples"] = std::move(samples);
  if (total.has_value() && after_first.has_value() && o.turns > 1) {
    const std::uint64_t end_bytes = total.value();
    j["bytes_per_turn"] = static_cast<double>(end_bytes - after_first.value()) / (o.turns - 1);
    j["total_bytes"] = end_bytes;
  } else {
    j["bytes_per_turn"] = nullptr;  // the memory saver has no database to measure
    j["total_bytes"] = nullptr;
  }
  std::cout << j.dump() << std::endl;

  app = g.compile();  // drop the saver before removing its storage
  cold = g.compile();
  saver.reset();
  if (o.keep) {
    if (!tmpdir.empty()) std::cerr << "sg-bench: kept the database: sqlite:" << (tmpdir / "chat.db").string() << "\n";
    if (!pg_schema.empty()) std::cerr << "sg-bench: kept the Postgres schema " << pg_schema << "\n";
    return;
  }
  if (!tmpdir.empty()) std::filesystem::remove_all(tmpdir);
  if (!pg_schema.empty()) {
    pqxx::connection c(postgres_uri(o.postgres));
    pqxx::work w(c);
    w.exec("DROP SCHEMA IF EXISTS " + w.quote_name(pg_schema) + " CASCADE");
    w.commit();
  }
}

}  // namespace sg_bench

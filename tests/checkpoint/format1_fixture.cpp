// Checkpoints written in format 1 (tests/checkpoint/fixtures/format1.db, made by
// fixtures/make_format1_fixture.cpp with the code of that format) read with today's code: every
// checkpoint's values, versions, metadata and pending writes exactly as they were read when the
// file was written (fixtures/format1.expected.json), the engine's delta bookkeeping now in
// Checkpoint::delta_chains instead of metadata["delta_chain"], and both threads continue.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "fixtures/format1_graph.hpp"
#include "sqlite_factory.hpp"

namespace {

using nlohmann::json;

const std::filesystem::path kFixtures = SG_CHECKPOINT_FIXTURES;

json expected_listing() {
  std::ifstream in(kFixtures / "format1.expected.json");
  REQUIRE(in.good());
  return json::parse(in);
}

/// The fixture copied into a private directory (opening a SqliteSaver writes to its file).
struct Copy {
  sgtest::TempDir dir;
  std::filesystem::path db = dir.path() / "format1.db";
  Copy() { std::filesystem::copy_file(kFixtures / "format1.db", db); }
};

/// Messages after `turns` completed turns of format1::graph.
std::vector<std::string> chat_after(int turns) {
  std::vector<std::string> out;
  for (int n = 1; n <= turns; ++n) {
    out.push_back(format1::user_message(n));
    out.push_back("ai: reply to " + std::to_string(out.size()) + " messages");
  }
  return out;
}

}  // namespace

TEST_CASE("format 1 fixture: every checkpoint reads as it was written, with delta_chains out of metadata") {
  Copy copy;
  const json expected = expected_listing();
  sg::SqliteSaver saver(copy.db);
  std::size_t with_chains = 0, with_writes = 0, with_interrupt = 0, with_error = 0;
  for (const auto& thread : format1::thread_ids()) {
    CAPTURE(thread);
    const json& want = expected.at(thread);
    const auto got = saver.list({thread, "", std::nullopt});
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      const auto& t = got[i];
      const json& w = want[i];
      CHECK(t.checkpoint.id == w.at("id"));
      CHECK(t.checkpoint.v == 1);
      CHECK(w.at("v") == 1);
      CHECK(json(t.parent_config ? json(*t.parent_config->checkpoint_id) : json(nullptr)) == w.at("parent"));
      CHECK(t.metadata == w.at("metadata"));
      CHECK_FALSE(t.metadata.contains("delta_chain"));
      CHECK(t.checkpoint.delta_chains == (w.at("delta_chain").is_null() ? json::object() : w.at("delta_chain")));
      CHECK(json(t.checkpoint.channel_values) == w.at("channel_values"));
      CHECK(json(t.checkpoint.channel_versions) == w.at("channel_versions"));
      CHECK(json(t.checkpoint.versions_seen) == w.at("versions_seen"));
      json writes = json::array();
      for (const auto& pw : t.pending_writes) writes.push_back(pw);
      CHECK(writes == w.at("pending_writes"));
      with_chains += w.at("delta_chain").is_null() ? 0 : 1;
      with_writes += t.pending_writes.empty() ? 0 : 1;
      for (const auto& pw : t.pending_writes) {
        with_interrupt += pw.channel == sg::format::kInterruptWrite ? 1 : 0;
        with_error += pw.channel == sg::format::kErrorWrite ? 1 : 0;
      }
      // get_tuple agrees with list.
      const auto one = saver.get_tuple(t.config);
      REQUIRE(one.has_value());
      CHECK(one->checkpoint == t.checkpoint);
      CHECK(one->metadata == t.metadata);
    }
  }
  // The fixture holds what it claims to: delta bookkeeping, writes, an interrupt, an error.
  CHECK(with_chains > 4);
  CHECK(with_writes > 4);
  CHECK(with_interrupt == 2);
  CHECK(with_error >= 1);
}

TEST_CASE("format 1 fixture: both threads resume the interrupted turn and go on in format 2") {
  Copy copy;
  auto saver = std::make_shared<sg::SqliteSaver>(copy.db);
  for (const auto& thread : format1::thread_ids()) {
    CAPTURE(thread);
    const auto before = saver->get_tuple({thread, "", std::nullopt});
    REQUIRE(before.has_value());
    REQUIRE(before->checkpoint.delta_chains.contains("messages"));
    auto app = format1::graph(saver, thread == "chat-keep", std::make_shared<std::atomic<bool>>(false));
    sg::RunConfig cfg;
    cfg.thread_id = thread;
    const auto paused = app.get_state(cfg);
    REQUIRE(paused.has_value());
    CHECK(paused->next == std::vector<std::string>{"guard"});
    CHECK_FALSE(paused->metadata.contains("delta_chain"));

    const auto resumed = app.invoke(sg::Command<format1::Chat>{.resume = "yes"}, cfg);
    CHECK_FALSE(resumed.interrupted());
    CHECK(resumed.values.messages == chat_after(6));
    CHECK(resumed.values.turns == 6);
    CHECK(resumed.values.approved == "yes");
    const auto next = app.invoke({sg::set<&format1::Chat::messages>(format1::user_message(7))}, cfg);
    CHECK(next.values.messages == chat_after(7));
    CHECK(next.values.turns == 7);

    // What the new code wrote: format 2, the bookkeeping in the checkpoint, continued from the
    // format-1 checkpoints' (the chain's full value is one the old code stored or a later one).
    const auto latest = saver->get_tuple({thread, "", std::nullopt});
    REQUIRE(latest.has_value());
    CHECK(latest->checkpoint.v == 2);
    CHECK_FALSE(latest->metadata.contains("delta_chain"));
    REQUIRE(latest->checkpoint.delta_chains.contains("messages"));
    for (const auto& snapshot : app.get_state_history(cfg)) CHECK_FALSE(snapshot.metadata.contains("delta_chain"));

    // A fresh graph on a fresh saver of the same file reads the same state.
    auto again = format1::graph(std::make_shared<sg::SqliteSaver>(copy.db), false,
                                std::make_shared<std::atomic<bool>>(false));
    const auto reread = again.get_state(cfg);
    REQUIRE(reread.has_value());
    CHECK(reread->values.messages == chat_after(7));
  }
}

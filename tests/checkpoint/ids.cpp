// Checkpoint ids, timestamps, the JSON forms of the data model, and the error types.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace {

using nlohmann::json;

bool is_well_formed(const std::string& id) {
  static const std::regex kUuid6("^[0-9a-f]{8}-[0-9a-f]{4}-6[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(id, kUuid6);
}

// The 60-bit Gregorian timestamp of a UUIDv6, converted to Unix time in 100 ns units.
std::int64_t unix_ticks_of(const std::string& id) {
  const std::string hex = id.substr(0, 8) + id.substr(9, 4) + id.substr(15, 3);
  const std::uint64_t gregorian = std::stoull(hex, nullptr, 16);
  return static_cast<std::int64_t>(gregorian - 0x01B21DD213814000ULL);
}

}  // namespace

TEST_CASE("new_checkpoint_id is a UUIDv6 with the current time") {
  const auto before = std::chrono::system_clock::now();
  const std::string id = sg::new_checkpoint_id();
  const auto after = std::chrono::system_clock::now();
  CHECK(id.size() == 36);
  CHECK(is_well_formed(id));
  CHECK(id[14] == '6');
  const auto to_ticks = [](auto tp) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count() / 100;
  };
  const std::int64_t ticks = unix_ticks_of(id);
  CHECK(ticks >= to_ticks(before) - 1);
  CHECK(ticks <= to_ticks(after) + 1000);  // a burst may have pushed the counter a little ahead
}

TEST_CASE("new_checkpoint_id strictly increases over 100000 calls") {
  std::vector<std::string> ids;
  ids.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) ids.push_back(sg::new_checkpoint_id());
  std::size_t bad = 0;
  for (std::size_t i = 1; i < ids.size(); ++i) bad += ids[i - 1] < ids[i] ? 0 : 1;
  CHECK(bad == 0);
  CHECK(is_well_formed(ids.front()));
  CHECK(is_well_formed(ids.back()));
}

TEST_CASE("new_checkpoint_id is unique and ordered across threads") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25'000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t] {
      auto& out = per_thread[static_cast<std::size_t>(t)];
      out.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) out.push_back(sg::new_checkpoint_id());
    });
  }
  for (auto& th : threads) th.join();

  std::vector<std::string> all;
  for (const auto& ids : per_thread) {
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(all.size() == static_cast<std::size_t>(kThreads * kPerThread));
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(std::all_of(all.begin(), all.end(), [](const std::string& id) { return id[14] == '6'; }));
}

TEST_CASE("utc_now_iso8601 has microseconds and a Z") {
  const std::string ts = sg::utc_now_iso8601();
  CHECK(std::regex_match(ts, std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)")));
  CHECK(ts.substr(0, 2) == "20");
  const std::string later = sg::utc_now_iso8601();
  CHECK(ts <= later);
}

TEST_CASE("Checkpoint JSON round trip") {
  sg::Checkpoint c;
  c.v = 1;
  c.id = sg::new_checkpoint_id();
  c.ts = "2026-11-23T10:00:00.123456Z";
  c.channel_values = {{"messages", json::array({{{"role", "ai"}, {"content", "x"}}})}, {"n", 3}};
  c.channel_versions = {{"messages", "00000000000000000002.00000000000000ab"},
                        {"n", "00000000000000000001.00000000000000cd"}};
  c.versions_seen = {{"agent", {{"messages", "00000000000000000001.00000000000000ab"}}}, {"__input__", {}}};

  const json j = c;
  CHECK(j.size() == 6);  // no "delta_chains" while it is empty
  CHECK(j.at("v") == 1);
  CHECK(j.at("id") == c.id);
  CHECK(j.at("ts") == c.ts);
  CHECK(j.at("channel_values").at("n") == 3);
  CHECK(j.at("channel_versions").at("n") == "00000000000000000001.00000000000000cd");
  CHECK(j.at("versions_seen").at("agent").at("messages") == "00000000000000000001.00000000000000ab");
  CHECK(j.at("versions_seen").at("__input__").is_object());

  const auto back = j.get<sg::Checkpoint>();
  CHECK(back == c);
  CHECK(json::parse(j.dump()).get<sg::Checkpoint>() == c);

  sg::Checkpoint chained = c;
  chained.delta_chains = {{"messages", json::array({2, 5, 1})}};
  const json with_chains = chained;
  CHECK(with_chains.at("delta_chains") == chained.delta_chains);
  CHECK(with_chains.get<sg::Checkpoint>() == chained);

  json missing = j;
  missing.erase("versions_seen");
  CHECK_THROWS_AS((void)missing.get<sg::Checkpoint>(), json::exception);
  json wrong_type = j;
  wrong_type["v"] = "one";
  CHECK_THROWS_AS((void)wrong_type.get<sg::Checkpoint>(), json::exception);
}

TEST_CASE("PendingWrite JSON round trip") {
  const sg::PendingWrite w{"task-1", "__error__", {{"id", "sg.run.301"}, {"message", "boom"}}};
  const json j = w;
  CHECK(j == json{{"task_id", "task-1"}, {"channel", "__error__"},
                  {"value", {{"id", "sg.run.301"}, {"message", "boom"}}}});
  CHECK(j.get<sg::PendingWrite>() == w);
  const sg::PendingWrite null_value{"t", "c", nullptr};
  CHECK(json(null_value).get<sg::PendingWrite>() == null_value);
  const json no_value = {{"task_id", "t"}, {"channel", "c"}};
  CHECK_THROWS_AS((void)no_value.get<sg::PendingWrite>(), json::exception);
}

TEST_CASE("errors carry an id a message and retryability") {
  const sg::Error e("sg.compile.101", "edge \"a\"->\"b\": unknown node \"b\"");
  CHECK(std::string(e.what()) == "[sg.compile.101] edge \"a\"->\"b\": unknown node \"b\"");
  CHECK(e.id() == "sg.compile.101");
  CHECK(e.message() == "edge \"a\"->\"b\": unknown node \"b\"");
  CHECK_FALSE(e.retryable());

  const sg::SaverError s("sg.saver.403", "put: no thread", "22023");
  CHECK(std::string(s.what()) == "[sg.saver.403] put: no thread");
  CHECK(s.message() == "put: no thread");
  CHECK(s.backend_code() == "22023");
  CHECK_FALSE(s.retryable());

  const sg::SaverUnavailable u("connection refused", "08006");
  CHECK(u.id() == "sg.saver.401");
  CHECK(u.retryable());
  CHECK(u.backend_code() == "08006");
  CHECK(std::string(u.what()) == "[sg.saver.401] connection refused");

  const sg::SaverCorrupt c("row 3 does not parse");
  CHECK(c.id() == "sg.saver.402");
  CHECK_FALSE(c.retryable());
  CHECK(c.backend_code().empty());
  CHECK(c.message() == "row 3 does not parse");

  const sg::Error empty("sg.x.1", "");
  CHECK(empty.message().empty());
  CHECK(std::string(empty.what()) == "[sg.x.1] ");

  // The hierarchy: catchable as SaverError, Error and std::runtime_error.
  CHECK_THROWS_AS(throw sg::SaverCorrupt("x"), sg::SaverError);
  CHECK_THROWS_AS(throw sg::SaverUnavailable("x"), sg::Error);
  CHECK_THROWS_AS(throw sg::SaverError("sg.saver.403", "x"), std::runtime_error);
}

// Ad-hoc latency of PostgresSaver calls over loopback (not a test; see postgres_tests.cmake).
//
//   SG_TEST_POSTGRES_URI=postgresql://postgres@127.0.0.1:PORT/postgres postgres_latency [STEPS]
//
// Simulates a chat thread: every step changes a counter and appends one ~40-word message to a
// "messages" channel (a ChannelDelta, with a full snapshot every 50 steps), then puts one pending
// write. Prints median and 90th percentile of put, put_writes, get_tuple (latest),
// latest_checkpoint_id and list (whole thread) in microseconds. Works in a schema of its own,
// dropped at the end (kept when SG_LATENCY_KEEP is set). Also prints the storage used per step.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include <stategraph/checkpoint/postgres_saver.hpp>

#include "helpers.hpp"
#include "postgres_crash_message.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Series {
  const char* name;
  std::vector<double> us;
  void add(Clock::time_point start) {
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  void print() {
    std::sort(us.begin(), us.end());
    std::printf("%-22s n=%-5zu median %8.1f us   p90 %8.1f us\n", name, us.size(), us[us.size() / 2],
                us[us.size() * 9 / 10]);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* uri = std::getenv("SG_TEST_POSTGRES_URI");
  if (uri == nullptr) {
    std::fprintf(stderr, "set SG_TEST_POSTGRES_URI to a postgresql:// URI\n");
    return 2;
  }
  const long steps = argc > 1 ? std::atol(argv[1]) : 500;
  sg::PostgresSaverOptions options;
  options.schema = "sg_latency_" + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
  Series put{"put", {}}, writes{"put_writes", {}}, get{"get_tuple (latest)", {}}, latest{"latest_checkpoint_id", {}},
      list{"list (whole thread)", {}};
  {
    sg::PostgresSaver saver(uri, options);
    nlohmann::json all = nlohmann::json::array();
    std::string parent;
    for (long i = 0; i < steps; ++i) {
      sg::Checkpoint c;
      c.id = sg::new_checkpoint_id();
      c.ts = sg::utc_now_iso8601();
      c.channel_versions = {{"messages", sgtest::version(i + 1)}, {"n", sgtest::version(i + 1)}, {"language", sgtest::version(1)}};
      c.versions_seen["agent"] = {{"messages", sgtest::version(i)}};
      all.push_back(sgtest::crash_message(i));
      if (i % 50 == 0) {
        c.channel_values["messages"] = all;
      } else {
        c.channel_deltas["messages"] = {sgtest::version(i), static_cast<std::size_t>(i), nlohmann::json::array({all.back()})};
      }
      c.channel_values["n"] = i;
      sg::ChannelVersions changed = {{"messages", sgtest::version(i + 1)}, {"n", sgtest::version(i + 1)}};
      if (i == 0) {
        c.channel_values["language"] = "English";
        changed["language"] = sgtest::version(1);
      }
      sg::CheckpointConfig config{"t", "", std::nullopt};
      if (!parent.empty()) config.checkpoint_id = parent;
      auto start = Clock::now();
      saver.put(config, c, sgtest::metadata("loop", static_cast<int>(i)), changed);
      put.add(start);
      const sg::PendingWrite w{"task-" + std::to_string(i), "messages", all.back()};
      start = Clock::now();
      saver.put_writes({"t", "", c.id}, {&w, 1}, w.task_id);
      writes.add(start);
      start = Clock::now();
      const auto t = saver.get_tuple({"t", "", std::nullopt});
      get.add(start);
      if (!t || t->checkpoint.channel_values.at("messages").size() != all.size()) {
        std::fprintf(stderr, "wrong value at step %ld\n", i);
        return 1;
      }
      start = Clock::now();
      (void)saver.latest_checkpoint_id({"t", "", std::nullopt});
      latest.add(start);
      parent = c.id;
    }
    for (int i = 0; i < 5; ++i) {
      const auto start = Clock::now();
      const auto l = saver.list({"t", "", std::nullopt});
      list.add(start);
      if (l.size() != static_cast<std::size_t>(steps)) return 1;
    }
  }
  std::printf("PostgresSaver over %s, %ld steps (messages grow to %ld)\n", "loopback", steps, steps);
  put.print();
  writes.print();
  get.print();
  latest.print();
  list.print();
  pqxx::connection admin(uri);
  pqxx::nontransaction tx(admin);
  const std::string s = tx.quote_name(options.schema);
  const auto bytes = tx.exec("SELECT pg_total_relation_size('" + s + ".sg_checkpoints') + pg_total_relation_size('" +
                             s + ".sg_blobs') + pg_total_relation_size('" + s + ".sg_writes')")[0][0].as<long long>();
  std::printf("storage: %lld bytes in all, %lld bytes per step (tables, indexes, TOAST)\n", bytes, bytes / steps);
  if (std::getenv("SG_LATENCY_KEEP") == nullptr) {
    tx.exec("DROP SCHEMA " + s + " CASCADE");
  } else {
    std::printf("kept schema %s\n", s.c_str());
  }
  return 0;
}

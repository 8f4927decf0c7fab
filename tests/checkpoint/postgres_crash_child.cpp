// Helper process for the crash-safety test (postgres_processes.cpp): puts checkpoints on one
// thread in a loop, the way a run does, until it is killed.
//
//   postgres_crash_child URI SCHEMA THREAD
//
// Step i puts a checkpoint whose "messages" channel holds crash_message(0..i) — as a ChannelDelta
// appending message i to the previous version, and in full every 10th step — and whose "n"
// channel holds i, then a pending write {"task", "n", i + 1}; after both returned it prints
// "put <i> <checkpoint id>". Exit status 1 on any error.

#include <cstdio>
#include <iostream>
#include <string>

#include <stategraph/checkpoint/postgres_saver.hpp>

#include "helpers.hpp"
#include "postgres_crash_message.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: postgres_crash_child URI SCHEMA THREAD\n";
    return 2;
  }
  try {
    sg::PostgresSaverOptions options;
    options.schema = argv[2];
    sg::PostgresSaver saver(argv[1], options);
    const std::string thread = argv[3];
    std::string parent;
    nlohmann::json all = nlohmann::json::array();
    for (long i = 0;; ++i) {
      sg::Checkpoint c;
      c.id = sg::new_checkpoint_id();
      c.ts = sg::utc_now_iso8601();
      c.channel_versions = {{"messages", sgtest::version(i + 1)}, {"n", sgtest::version(i + 1)}};
      c.versions_seen["node"] = c.channel_versions;
      all.push_back(sgtest::crash_message(i));
      if (i % 10 == 0) {
        c.channel_values["messages"] = all;
      } else {
        c.channel_deltas["messages"] =
            sg::ChannelDelta{sgtest::version(i), static_cast<std::size_t>(i), nlohmann::json::array({all.back()})};
      }
      c.channel_values["n"] = i;
      sg::CheckpointConfig config{thread, "", std::nullopt};
      if (!parent.empty()) config.checkpoint_id = parent;
      saver.put(config, c, sgtest::metadata("loop", static_cast<int>(i)), c.channel_versions);
      const sg::PendingWrite write{"task", "n", i + 1};
      saver.put_writes({thread, "", c.id}, {&write, 1}, "task");
      std::printf("put %ld %s\n", i, c.id.c_str());
      std::fflush(stdout);
      parent = c.id;
    }
  } catch (const std::exception& e) {
    std::cerr << "postgres_crash_child: " << e.what() << '\n';
    return 1;
  }
}

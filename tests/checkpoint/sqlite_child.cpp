// sg_sqlite_child: a second process for the SqliteSaver multi-process tests
// (tests/checkpoint/sqlite_processes.cpp). Prints one line per event on stdout, flushed at once.
//
//   sg_sqlite_child lock DB THREAD WAIT_MS
//       lock_thread(THREAD, WAIT_MS): prints "locked PID" and holds the lock until stdin reaches
//       end of file (exit 0), or prints "busy" (exit 3).
//   sg_sqlite_child run DB THREAD STEPS
//       Holds lock_thread(THREAD) and runs like the engine: resumes from the latest checkpoint
//       of THREAD (or starts at n = 0) and puts STEPS checkpoints, each appending two messages
//       to "messages" (a delta on the previous version; a full value every 8th version) and
//       setting "n", with a pending write before each put. Prints "put N" after each commit.
//       Checkpoint n holds messages m0 .. m(2n+1); the tests check that invariant after a kill.
//
// Exit status: 0 done, 2 error (message on stderr), 3 busy, 64 bad usage.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

namespace {

using nlohmann::json;

// Version n in the saver format.
std::string version(long n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%020ld.%016x", n, 0x5eedU);
  return buf;
}

// Message number i: a small object with some bulk, so that transactions take a while.
json message(long i) {
  return json{{"id", "m" + std::to_string(i)}, {"content", std::string(512, static_cast<char>('a' + i % 26))}};
}

void say(const std::string& line) {
  std::cout << line << std::endl;  // flushed: the parent reads line by line
}

int lock(sg::SqliteSaver& saver, const std::string& thread, long wait_ms) {
  try {
    auto held = saver.lock_thread(thread, std::chrono::milliseconds(wait_ms));
    say("locked " + std::to_string(::getpid()));
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
    return 0;
  } catch (const sg::SaverError& e) {
    if (e.id() != "sg.saver.404") throw;
    say("busy");
    return 3;
  }
}

int run(sg::SqliteSaver& saver, const std::string& thread, long steps) {
  auto held = saver.lock_thread(thread, std::chrono::seconds(30));
  const sg::CheckpointConfig latest{thread, "", std::nullopt};
  sg::Checkpoint c;
  long n = 0;          // the step the next checkpoint records
  long counter = 0;    // the last version used
  std::optional<std::string> parent;
  if (auto t = saver.get_tuple(latest)) {
    c = t->checkpoint;
    n = t->checkpoint.channel_values.at("n").get<long>() + 1;
    counter = std::stol(t->checkpoint.channel_versions.at("n").substr(0, 20));
    parent = t->checkpoint.id;
  }
  for (long s = 0; s < steps; ++s, ++n) {
    ++counter;
    sg::Checkpoint next;
    next.id = sg::new_checkpoint_id();
    next.ts = sg::utc_now_iso8601();
    next.channel_versions["n"] = version(counter);
    next.channel_versions["messages"] = version(counter);
    next.channel_values["n"] = n;
    const json added = json::array({message(2 * n), message(2 * n + 1)});
    if (n % 8 == 0 || !c.channel_versions.count("messages")) {
      json all = json::array();
      for (long i = 0; i <= 2 * n + 1; ++i) all.push_back(message(i));
      next.channel_values["messages"] = std::move(all);
    } else {
      next.channel_deltas["messages"] = sg::ChannelDelta{c.channel_versions.at("messages"), static_cast<std::size_t>(2 * n), added};
    }
    next.versions_seen["agent"] = {{"n", version(counter - 1)}};
    if (parent) {
      const std::vector<sg::PendingWrite> writes{{"", "messages", added}};
      saver.put_writes({thread, "", parent}, writes, "task-" + std::to_string(n));
    }
    const json meta = {{"source", "loop"}, {"step", n}, {"parents", json::object()}};
    saver.put({thread, "", parent}, next, meta, next.channel_versions);
    parent = next.id;
    c = std::move(next);
    say("put " + std::to_string(n));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: sg_sqlite_child lock|run DB THREAD WAIT_MS|STEPS\n";
    return 64;
  }
  const std::string mode = argv[1];
  try {
    sg::SqliteSaver saver(argv[2]);
    if (mode == "lock") return lock(saver, argv[3], std::atol(argv[4]));
    if (mode == "run") return run(saver, argv[3], std::atol(argv[4]));
    std::cerr << "unknown mode " << mode << "\n";
    return 64;
  } catch (const std::exception& e) {
    std::cerr << "sg_sqlite_child: " << e.what() << "\n";
    say(std::string("error ") + e.what());
    return 2;
  }
}

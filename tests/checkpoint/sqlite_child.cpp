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
//   sg_sqlite_child graph DB THREAD DURABILITY MARKS HANG
//       Runs (or, when THREAD has a checkpoint, resumes) a real graph with sg::SqliteSaver under
//       DURABILITY (sync|async|exit): START → fast0, fast1, fast2, slow in parallel → join → END.
//       Every node appends its name and a newline to the file MARKS when it starts. With HANG=1,
//       "slow" prints "slow running" and then blocks until killed. Prints "done ITEMS" at the end.
//
// Exit status: 0 done, 2 error (message on stderr), 3 busy, 64 bad usage.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/stategraph.hpp>

namespace crash_graph {
struct State {
  std::vector<std::string> items;
};
}  // namespace crash_graph

template <>
struct sg::state_schema<crash_graph::State> {
  static constexpr auto fields = sg::fields(sg::field<&crash_graph::State::items>("items", sg::append));
};

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

int graph(const std::string& db, const std::string& thread, const std::string& durability, const std::string& marks,
          bool hang) {
  using S = crash_graph::State;
  auto mark = [marks](const std::string& name) {
    std::ofstream(marks, std::ios::app) << name << std::endl;  // flushed before the node goes on
  };
  sg::StateGraph<S> g;
  std::vector<std::string> branches{"fast0", "fast1", "fast2", "slow"};
  for (const auto& name : branches) {
    g.add_node(name, [name, mark, hang](const S&) {
      mark(name);
      if (name == "slow" && hang) {
        say("slow running");
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      return sg::Update<S>{sg::set<&S::items>(name)};
    });
    g.add_edge(sg::START, name);
  }
  g.add_node("join", [mark](const S&) {
    mark("join");
    return sg::Update<S>{sg::set<&S::items>(std::string("join"))};
  });
  g.add_edge(branches, "join");
  g.add_edge("join", sg::END);
  auto saver = std::make_shared<sg::SqliteSaver>(db);
  auto app = g.compile({.checkpointer = saver});
  sg::RunConfig cfg;
  cfg.thread_id = thread;
  cfg.durability = durability == "sync" ? sg::Durability::sync
                   : durability == "exit" ? sg::Durability::exit
                                          : sg::Durability::async;
  const bool resume = saver->latest_checkpoint_id({thread, "", std::nullopt}).has_value();
  const auto out = resume ? app.invoke(std::nullopt, cfg) : app.invoke(sg::Update<S>{}, cfg);
  std::vector<std::string> items = out.values.items;
  std::sort(items.begin(), items.end());
  std::string line = "done";
  for (const auto& i : items) line += " " + i;
  say(line);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::string(argv[1]) == "graph") {
    try {
      return graph(argv[2], argv[3], argv[4], argv[5], std::string(argv[6]) == "1");
    } catch (const std::exception& e) {
      std::cerr << "sg_sqlite_child: " << e.what() << "\n";
      say(std::string("error ") + e.what());
      return 2;
    }
  }
  if (argc != 5) {
    std::cerr << "usage: sg_sqlite_child lock|run DB THREAD WAIT_MS|STEPS, or graph DB THREAD DURABILITY MARKS HANG\n";
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

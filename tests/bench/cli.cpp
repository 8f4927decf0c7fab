#include "cli.hpp"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

#include "bench.hpp"

namespace sg_bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string words(int n, int seed) {
  static const char* kWords[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string(i ? " " : "") + kWords[(i * 7 + seed) % 8];
  return out;
}

// 10,000 threads, each an input and a loop checkpoint with a small message list, written
// through the saver API in a handful of transactions' worth of puts.
void build_threads_db(const std::string& path, int threads) {
  sg::SqliteSaver saver(path);
  for (int t = 0; t < threads; ++t) {
    const std::string thread = "thread-" + std::to_string(t);
    sg::Checkpoint c;
    c.id = sg::new_checkpoint_id();
    c.ts = sg::utc_now_iso8601();
    c.channel_values["messages"] = json::array({{{"type", "human"}, {"content", words(12, t)}, {"id", "h"}}});
    c.channel_versions["messages"] = "00000000000000000001.0000000000000000";
    const json meta = {{"source", "input"}, {"step", -1}, {"parents", json::object()}, {"user", "u" + std::to_string(t % 97)}};
    saver.put({thread, "", std::nullopt}, c, meta, c.channel_versions);
    sg::Checkpoint d = c;
    d.id = sg::new_checkpoint_id();
    d.channel_values.clear();
    d.channel_deltas["messages"] = {"00000000000000000001.0000000000000000", 1,
                                    json::array({{{"type", "ai"}, {"content", words(30, t)}, {"id", "a"}}})};
    d.channel_versions["messages"] = "00000000000000000002.0000000000000000";
    d.versions_seen["model"] = {{"branch:to:model", "00000000000000000001.0000000000000000"}};
    saver.put({thread, "", c.id}, d, {{"source", "loop"}, {"step", 0}, {"parents", json::object()}},
              {{"messages", d.channel_versions["messages"]}});
  }
}

// One conversation of `turns` turns run by the engine (the tutorial chatbot shape): 3 checkpoints
// per turn.
void build_history_db(const std::string& path, int turns) {
  auto saver = std::make_shared<sg::SqliteSaver>(path);
  sg::StateGraph<sg::MessagesState> graph;
  graph.add_node("model", [](const sg::MessagesState& s) {
    return sg::Update<sg::MessagesState>{
        sg::set<&sg::MessagesState::messages>(sg::AIMessage(words(40, static_cast<int>(s.messages.size()))))};
  });
  graph.add_edge(sg::START, "model");
  auto app = graph.compile({.checkpointer = saver});
  sg::RunConfig cfg;
  cfg.thread_id = "long";
  for (int i = 0; i < turns; ++i)
    app.invoke({sg::set<&sg::MessagesState::messages>(sg::HumanMessage(words(20, i)))}, cfg);
}

// Runs the binary with stdout to /dev/null; returns the wall time in ms; throws on failure.
double time_process(const std::string& binary, const std::vector<std::string>& args) {
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (!::freopen("/dev/null", "w", stdout)) ::_exit(126);
    std::vector<char*> argv;
    std::string bin = binary;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("sg-checkpoints " + args.back() + " failed with status " + std::to_string(status));
  return ms;
}

}  // namespace

void run_cli(const CliOptions& options) {
  std::string binary = options.binary;
#ifdef SG_CHECKPOINTS_BIN
  if (binary.empty()) binary = SG_CHECKPOINTS_BIN;
#endif
  if (binary.empty()) throw std::runtime_error("sg-bench cli: --binary PATH of sg-checkpoints is required");
  std::filesystem::path dir = options.dir;
  bool remove = false;
  if (dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "sg-bench-cli-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    remove = true;
  }
  std::filesystem::create_directories(dir);
  const std::string threads_db = (dir / "threads.db").string();
  const std::string history_db = (dir / "history.db").string();
  auto build_start = Clock::now();
  if (!std::filesystem::exists(threads_db)) build_threads_db(threads_db, options.threads);
  if (!std::filesystem::exists(history_db)) build_history_db(history_db, options.turns);
  const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();

  struct Case {
    std::string name;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      {"cli-threads", {"--db", "sqlite:" + threads_db, "threads"}},
      {"cli-threads-json", {"--db", "sqlite:" + threads_db, "threads", "--json"}},
      {"cli-threads-filter", {"--db", "sqlite:" + threads_db, "threads", "--filter", "user=u7", "--json"}},
      {"cli-history", {"--db", "sqlite:" + history_db, "history", "long"}},
      {"cli-history-json", {"--db", "sqlite:" + history_db, "history", "long", "--json"}},
      {"cli-show", {"--db", "sqlite:" + history_db, "show", "long"}},
      {"cli-stats", {"--db", "sqlite:" + threads_db, "stats"}},
  };
  for (const auto& c : cases) {
    time_process(binary, c.args);  // warm the page cache
    std::vector<double> samples;
    for (int i = 0; i < options.repeat; ++i) samples.push_back(time_process(binary, c.args));
    std::cout << json{{"bench", c.name},
                      {"threads", c.name.rfind("cli-threads", 0) == 0 || c.name == "cli-stats" ? options.threads : 1},
                      {"checkpoints", c.name.rfind("cli-threads", 0) == 0 || c.name == "cli-stats" ? 2 * options.threads
                                                                                                   : 3 * options.turns},
                      {"repeat", options.repeat},
                      {"ms_median", median(samples)},
                      {"ms_max", *std::max_element(samples.begin(), samples.end())},
                      {"build_s", build_s}}
                     .dump()
              << std::endl;
  }
  if (remove) std::filesystem::remove_all(dir);
}

}  // namespace sg_bench

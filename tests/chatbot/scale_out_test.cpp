// Scale-out (issue 13 item 5): several `sg-chatbot serve` processes on one store — 3 on one
// Postgres database, 2 on one SQLite file — and 20 sessions of 20 turns each, every session's
// turns spread over all the servers, while one server is killed with SIGKILL and started again
// in the middle of the run. A client whose request fails (refused, reset, 5xx) tries the turn
// again on the next server with a new text.
//
// Afterwards, for every session: each acknowledged turn is in the history exactly once, in the
// order acknowledged; every other human message there is an unacknowledged attempt (a turn can
// finish and be saved just before its server dies, unacknowledged) and is there at most once;
// human and AI messages alternate. `sg-checkpoints verify` finds every checkpoint sound, and its
// `history --json` shows no fork: every turn input off the head's line of parents is one of the
// session's failed attempts.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sys/wait.h>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "servers_common.hpp"
#include "temp_dir.hpp"

using nlohmann::json;
using sgtest::HttpClient;
using sgtest::HttpResult;

namespace {

constexpr int kSessions = 20;
constexpr int kTurns = 20;

/// The servers, one of which is replaced while the clients run.
class Fleet {
 public:
  Fleet(const std::string& checkpoints, int servers, const sgtest::TempDir& dir) : dir_(dir) {
    args_ = {"--checkpoints", checkpoints, "--offline", "--fake-delay-ms", "2", "--memory", "buffer"};
    for (int i = 0; i < servers; ++i) {
      servers_.push_back(std::make_unique<sgtest::ServerProcess>(SG_CHATBOT_BIN, args_, log(i)));
      urls_.push_back(servers_.back()->url());
    }
  }
  [[nodiscard]] std::string url(int i) const {
    std::lock_guard lock(mutex_);
    return urls_[static_cast<std::size_t>(i) % urls_.size()];
  }
  [[nodiscard]] int size() const { return static_cast<int>(servers_.size()); }
  /// SIGKILL server `i`, wait `down`, start it again (a new port; clients pick it up).
  void crash_and_restart(int i, std::chrono::milliseconds down) {
    servers_[static_cast<std::size_t>(i)]->kill();
    std::this_thread::sleep_for(down);
    servers_[static_cast<std::size_t>(i)] = std::make_unique<sgtest::ServerProcess>(SG_CHATBOT_BIN, args_, log(i, 1));
    std::lock_guard lock(mutex_);
    urls_[static_cast<std::size_t>(i)] = servers_[static_cast<std::size_t>(i)]->url();
  }
  /// SIGTERM to all; true when every one exited 0.
  bool stop() {
    bool ok = true;
    for (auto& s : servers_) ok = s->stop() == 0 && ok;
    return ok;
  }

 private:
  [[nodiscard]] std::string log(int i, int generation = 0) const {
    return dir_.file("server" + std::to_string(i) + "." + std::to_string(generation) + ".log");
  }
  const sgtest::TempDir& dir_;
  std::vector<std::string> args_;
  std::vector<std::unique_ptr<sgtest::ServerProcess>> servers_;
  mutable std::mutex mutex_;
  std::vector<std::string> urls_;
};

struct Session {
  std::string thread;
  std::vector<std::string> acknowledged;  // in order
  std::set<std::string> failed;           // attempts not acknowledged
};

/// Runs `sg-checkpoints ARGS`; returns (exit status, stdout).
std::pair<int, std::string> sg_checkpoints(const std::string& args) {
  std::string out;
  FILE* pipe = ::popen((std::string(SG_CHECKPOINTS_BIN) + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Inputs of turns ("input" checkpoints) that are not on the head's line of parents.
int inputs_off_the_head_line(const json& history) {
  std::map<std::string, std::string> parent;
  for (const auto& row : history)
    parent[row["checkpoint_id"].get<std::string>()] =
        row["parent_checkpoint_id"].is_string() ? row["parent_checkpoint_id"].get<std::string>() : "";
  std::set<std::string> line;
  for (std::string at = history.empty() ? "" : history.front()["checkpoint_id"].get<std::string>(); !at.empty();
       at = parent.count(at) != 0 ? parent[at] : "")
    if (!line.insert(at).second) break;
  int off = 0;
  for (const auto& row : history)
    if (row["source"] == "input" && line.count(row["checkpoint_id"].get<std::string>()) == 0) ++off;
  return off;
}

void scale_out(const std::string& store, const std::string& checkpoints, int servers) {
  sgtest::TempDir dir;
  Fleet fleet(checkpoints, servers, dir);
  const std::string prefix = "scale-" + std::to_string(std::random_device{}() % 100000) + "-";
  std::vector<Session> sessions(kSessions);
  std::atomic<int> done{0};
  std::atomic<int> attempts{0};
  const auto started = std::chrono::steady_clock::now();

  std::vector<std::thread> clients;
  for (int k = 0; k < kSessions; ++k) {
    sessions[static_cast<std::size_t>(k)].thread = prefix + std::to_string(k);
    clients.emplace_back([&, k] {
      Session& s = sessions[static_cast<std::size_t>(k)];
      int server = k;
      for (int j = 0; j < kTurns; ++j) {
        for (int attempt = 0; attempt < 20; ++attempt) {
          const std::string text = "whats " + std::to_string(j) + " + " + std::to_string(k) +
                                   (attempt == 0 ? "" : " (again " + std::to_string(attempt) + ")");
          ++attempts;
          const HttpResult r = HttpClient(fleet.url(server++)).post("/chat", {{"session_id", s.thread}, {"message", text}});
          if (r.status == 200) {
            s.acknowledged.push_back(text);
            break;
          }
          s.failed.insert(text);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ++done;
      }
    });
  }
  // The crash: server 0, once a third of the turns are done, down for 300 ms.
  while (done < kSessions * kTurns / 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const int in_flight_at_kill = kSessions * kTurns - done;  // turns not done yet when it died
  fleet.crash_and_restart(0, std::chrono::milliseconds(300));
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  int acknowledged = 0, failed = 0, lost = 0, duplicated = 0, unexplained = 0, forks = 0, branches = 0;
  for (const auto& s : sessions) {
    CAPTURE(s.thread);
    acknowledged += static_cast<int>(s.acknowledged.size());
    failed += static_cast<int>(s.failed.size());
    const auto got = sgtest::history(fleet.url(1), s.thread);
    std::vector<std::string> humans;
    bool alternating = true;
    for (std::size_t i = 0; i < got.size(); ++i) {
      alternating = alternating && got[i].role == (i % 2 == 0 ? "human" : "ai") && !got[i].content.empty();
      if (got[i].role == "human") humans.push_back(got[i].content);
    }
    CHECK(alternating);
    // The acknowledged turns, in order, once each; anything else is a failed attempt, once.
    std::vector<std::string> in_order;
    for (const auto& h : humans) {
      if (std::count(humans.begin(), humans.end(), h) > 1) ++duplicated;
      if (std::find(s.acknowledged.begin(), s.acknowledged.end(), h) != s.acknowledged.end()) in_order.push_back(h);
      else if (s.failed.count(h) == 0) ++unexplained;
    }
    CHECK_MESSAGE(in_order == s.acknowledged, "history: " << sgtest::joined(humans) << "\nacknowledged: " << sgtest::joined(s.acknowledged));
    for (const auto& a : s.acknowledged)
      if (std::find(humans.begin(), humans.end(), a) == humans.end()) ++lost;
    CHECK(s.acknowledged.size() == static_cast<std::size_t>(kTurns));
    // No fork: a turn's input off the head's line is one of this session's failed attempts.
    const auto [status, out] = sg_checkpoints("--db '" + checkpoints + "' history '" + s.thread + "' --json");
    REQUIRE_MESSAGE(status == 0, out);
    const int off = inputs_off_the_head_line(json::parse(out));
    CHECK(off <= static_cast<int>(s.failed.size()));
    branches += off;
    forks += std::max(0, off - static_cast<int>(s.failed.size()));
  }
  const auto [verify_status, verify_out] = sg_checkpoints("--db '" + checkpoints + "' verify");
  CHECK_MESSAGE(verify_status == 0, verify_out);
  std::cout << "chatbot servers: " << store << ", " << servers << " servers, " << kSessions << " sessions x " << kTurns
            << " turns in " << seconds << " s: 1 server killed (SIGKILL, " << in_flight_at_kill
            << " turns still to do) and restarted; " << attempts << " requests, " << acknowledged << " acknowledged, "
            << failed << " failed and tried again; lost " << lost << ", duplicated " << duplicated << ", unexplained "
            << unexplained << ", forks " << forks << " (" << branches
            << " failed turns left as branches off the head line); verify: " << verify_out.substr(0, verify_out.find('\n'))
            << std::endl;
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(unexplained == 0);
  CHECK(fleet.stop());
}

}  // namespace

TEST_CASE("chatbot servers: Postgres - 3 servers, 20 sessions x 20 turns, one server killed and restarted: nothing acknowledged lost") {
  sgtest::PostgresDatabase database;
  scale_out("Postgres", database.uri(), 3);
}

TEST_CASE("chatbot servers: SQLite - 2 servers on one file, 20 sessions x 20 turns, one killed and restarted: nothing acknowledged lost") {
  sgtest::TempDir dir;
  scale_out("SQLite", "sqlite:" + dir.file("chat.db"), 2);
}

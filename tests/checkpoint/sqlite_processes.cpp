// SqliteSaver across real processes: lock_thread excludes another process (and is released when
// that process exits or is killed), a writer killed with SIGKILL mid-run leaves a database that
// opens and resumes, and two processes write one file at once. The other process is
// sg_sqlite_child (sqlite_child.cpp), started with posix_spawn; every wait is bounded.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_factory.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// A running sg_sqlite_child with pipes to its stdin and from its stdout. The destructor kills
/// and reaps it if it is still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> all{SG_SQLITE_CHILD};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, SG_SQLITE_CHILD, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    REQUIRE_MESSAGE(rc == 0, "posix_spawn " SG_SQLITE_CHILD " failed");
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    close_stdin();
    ::close(stdout_);
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// The next line of output, or nullopt when none comes within `timeout` (or at end of file).
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;  // end of file: the child exited
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Reads lines until one starts with `prefix`; returns it, or nullopt after `timeout`.
  std::optional<std::string> wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto line = read_line(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!line) return std::nullopt;
      if (line->rfind(prefix, 0) == 0) return line;
    }
    return std::nullopt;
  }

  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  void kill(int signal) { ::kill(pid_, signal); }

  /// The exit status (128 + signal when killed), or nullopt when still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

std::string error_id(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    return e.id();
  }
  return "no exception";
}

std::string integrity_check(const std::filesystem::path& db) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK);
  std::string result;
  while (sqlite3_step(s) == SQLITE_ROW) result += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return result;
}

// Checks the invariant sg_sqlite_child keeps: checkpoint n holds messages m0 .. m(2n+1), and
// each checkpoint's parent is the one before it (the history never forks). Returns the steps.
std::vector<long> check_child_history(sg::SqliteSaver& saver, const std::string& thread) {
  const auto history = saver.list({thread, "", std::nullopt});  // newest first; loads every value
  std::vector<long> steps;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& t = history[i];
    const long n = t.checkpoint.channel_values.at("n").get<long>();
    steps.push_back(n);
    const json& messages = t.checkpoint.channel_values.at("messages");
    REQUIRE(messages.size() == static_cast<std::size_t>(2 * n + 2));
    for (std::size_t m = 0; m < messages.size(); ++m) CHECK(messages[m].at("id") == "m" + std::to_string(m));
    if (i + 1 < history.size()) {
      REQUIRE(t.parent_config.has_value());
      CHECK(t.parent_config->checkpoint_id == history[i + 1].checkpoint.id);
      CHECK(history[i + 1].checkpoint.channel_values.at("n").get<long>() == n - 1);
    } else {
      CHECK(n == 0);
      CHECK_FALSE(t.parent_config.has_value());
    }
  }
  return steps;
}

}  // namespace

TEST_CASE("sqlite lock_thread excludes another process until it exits or is killed") {
  sgtest::TempDir dir;
  const auto db = dir.path() / "locks.db";
  sg::SqliteSaver saver(db);

  Child a({"lock", db.string(), "t", "0"});
  const auto locked = a.read_line(20s);
  REQUIRE(locked.has_value());
  CHECK(*locked == "locked " + std::to_string(a.pid()));

  // This process waits the whole wait, then gets sg.saver.404 naming the lock (an OFD lock does
  // not record its holder's pid).
  const auto start = std::chrono::steady_clock::now();
  std::string message;
  try {
    saver.lock_thread("t", 200ms);
  } catch (const sg::SaverError& e) {
    CHECK(e.id() == "sg.saver.404");
    message = e.what();
  }
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(message.find("threads.lock") != std::string::npos);
  CHECK(saver.lock_thread("other thread", 0ms) != nullptr);  // only "t" is held

  // A third process gives up after its wait...
  Child b({"lock", db.string(), "t", "200"});
  CHECK(b.read_line(20s) == "busy");
  CHECK(b.wait(20s) == 3);

  // ...and another waits and gets the lock as soon as the holder exits normally.
  Child c({"lock", db.string(), "t", "30000"});
  CHECK_FALSE(c.read_line(300ms).has_value());
  a.close_stdin();
  CHECK(a.wait(20s) == 0);
  const auto c_locked = c.read_line(20s);
  REQUIRE(c_locked.has_value());
  CHECK(*c_locked == "locked " + std::to_string(c.pid()));
  CHECK(error_id([&] { saver.lock_thread("t", 0ms); }) == "sg.saver.404");

  // A holder killed with SIGKILL releases the lock too (the kernel drops its OFD lock).
  c.kill(SIGKILL);
  CHECK(c.wait(20s) == 128 + SIGKILL);
  auto mine = saver.lock_thread("t", 10s);
  CHECK(mine != nullptr);
  Child d({"lock", db.string(), "t", "0"});
  CHECK(d.read_line(20s) == "busy");
  mine.reset();
  Child e({"lock", db.string(), "t", "0"});
  CHECK(e.read_line(20s) == "locked " + std::to_string(e.pid()));
}

TEST_CASE("sqlite a writer killed with SIGKILL mid-run leaves a database that opens and resumes") {
  sgtest::TempDir dir;
  const auto db = dir.path() / "crash.db";
  std::mt19937 rng(std::random_device{}());
  long confirmed = -1;  // the last step a child reported as committed
  for (int round = 0; round < 5; ++round) {
    Child writer({"run", db.string(), "t", "100000"});
    const long target = confirmed + 15 + static_cast<long>(rng() % 20);
    std::optional<std::string> line;
    long reported = confirmed;
    while (reported < target) {
      line = writer.read_line(30s);
      REQUIRE_MESSAGE(line.has_value(), "the writer stopped reporting");
      REQUIRE_MESSAGE(line->rfind("put ", 0) == 0, *line);
      reported = std::stol(line->substr(4));
    }
    // Kill it a random moment later: usually in the middle of a put or put_writes.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    writer.kill(SIGKILL);
    REQUIRE(writer.wait(20s) == 128 + SIGKILL);
    confirmed = reported;

    CHECK(integrity_check(db) == "ok");
    sg::SqliteSaver saver(db);
    const auto steps = check_child_history(saver, "t");  // every checkpoint loads and is complete
    REQUIRE_FALSE(steps.empty());
    CHECK(steps.front() >= confirmed);  // every reported commit survived
    CHECK(steps.size() == static_cast<std::size_t>(steps.front() + 1));
    confirmed = steps.front();
    // The latest checkpoint has the pending write of the task that ran on it, when the child
    // got that far; a write is never attached to the wrong checkpoint.
    for (const auto& t : saver.list({"t", "", std::nullopt}, {.filter = json::object(), .before = std::nullopt, .limit = 5})) {
      for (const auto& w : t.pending_writes) CHECK(w.task_id == "task-" + std::to_string(t.checkpoint.channel_values.at("n").get<long>() + 1));
    }
  }
  // A last run resumes from the latest checkpoint and finishes cleanly.
  Child writer({"run", db.string(), "t", "5"});
  CHECK(writer.wait(30s) == 0);
  sg::SqliteSaver saver(db);
  const auto steps = check_child_history(saver, "t");
  CHECK(steps.front() == confirmed + 5);
}

// How often each node of the child's graph started, from its MARKS file.
std::map<std::string, int> node_starts(const std::filesystem::path& marks) {
  std::map<std::string, int> starts;
  std::ifstream in(marks);
  for (std::string line; std::getline(in, line);) ++starts[line];
  return starts;
}

// Writes stored for the thread (pending writes of any checkpoint), read with a connection of its own.
int stored_writes(const std::filesystem::path& db) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(raw, 2000);
  sqlite3_stmt* s = nullptr;
  int n = -1;
  if (sqlite3_prepare_v2(raw, "SELECT count(DISTINCT task_id) FROM sg_writes WHERE thread_id = 't' AND idx >= 0", -1, &s,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return n;
}

TEST_CASE("engine on sqlite: after SIGKILL mid-step, a resumed sync run re-runs no task whose writes were stored") {
  for (const std::string durability : {"sync", "async", "exit"}) {
    CAPTURE(durability);
    sgtest::TempDir dir;
    const auto db = dir.path() / "graph.db";
    const auto marks = dir.path() / "marks";
    {
      Child victim({"graph", db.string(), "t", durability, marks.string(), "1"});
      REQUIRE(victim.wait_for_line("slow running", 30s).has_value());
      const auto started = std::chrono::steady_clock::now() + 20s;
      auto fast_started = [&] {
        const auto starts = node_starts(marks);
        return starts.count("fast0") + starts.count("fast1") + starts.count("fast2") == 3;
      };
      while (!fast_started() && std::chrono::steady_clock::now() < started) std::this_thread::sleep_for(5ms);
      REQUIRE(fast_started());
      if (durability == "sync") {
        // fast0..2 finished while "slow" still runs: their writes are stored now, not with the
        // step's checkpoint (3 tasks; __start__'s were applied and deleted with step 0's).
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (stored_writes(db) < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        REQUIRE(stored_writes(db) == 3);
      } else {
        std::this_thread::sleep_for(50ms);  // they finish; their writes wait for the step's checkpoint
      }
      victim.kill(SIGKILL);
      REQUIRE(victim.wait(20s) == 128 + SIGKILL);
    }
    CHECK(integrity_check(db) == "ok");
    Child resumed({"graph", db.string(), "t", durability, marks.string(), "0"});
    const auto done = resumed.wait_for_line("done", 30s);
    REQUIRE(done.has_value());
    CHECK(*done == "done fast0 fast1 fast2 join slow");  // each write applied exactly once
    CHECK(resumed.wait(20s) == 0);
    const auto starts = node_starts(marks);
    CHECK(starts.at("slow") == 2);
    CHECK(starts.at("join") == 1);
    // sync: stored before the kill, never run again. async: a step's task writes are stored with
    // its checkpoint, so the killed step runs again. exit: nothing was stored, the run starts over.
    const int fast_runs = durability == "sync" ? 1 : 2;
    for (const char* fast : {"fast0", "fast1", "fast2"}) CHECK(starts.at(fast) == fast_runs);
  }
}

TEST_CASE("sqlite two processes write one file at the same time") {
  sgtest::TempDir dir;
  const auto db = dir.path() / "shared.db";
  { sg::SqliteSaver create(db); }
  Child a({"run", db.string(), "a", "150"});
  Child b({"run", db.string(), "b", "150"});
  CHECK(a.wait(60s) == 0);
  CHECK(b.wait(60s) == 0);
  sg::SqliteSaver saver(db);
  CHECK(check_child_history(saver, "a").size() == 150);
  CHECK(check_child_history(saver, "b").size() == 150);
  CHECK(integrity_check(db) == "ok");
}

// PostgresSaver with real second processes: lock_thread excludes another process (and is released
// when that process exits or is killed), and a writer killed with SIGKILL mid-run leaves every
// committed checkpoint loadable and the latest complete.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "postgres_crash_message.hpp"
#include "postgres_factory.hpp"
#include "stategraph/checkpoint/error.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A child process with pipes to its stdin and from its stdout; killed (SIGKILL) and reaped when
// destroyed if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    REQUIRE_MESSAGE(rc == 0, "posix_spawn " << argv[0] << " failed: " << rc);
  }
  ~Child() {
    close_stdin();
    if (stdout_ >= 0) ::close(stdout_);
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line of the child's stdout, or nullopt on EOF or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  void kill(int signal) { ::kill(pid_, signal); }

  // Exit status, or 128 + signal number; -1 when the child is still running after `timeout`.
  int wait(std::chrono::milliseconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (Clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(5ms);
    }
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
  std::string buffer_;
};

std::vector<std::string> lock_child(const std::string& schema, const std::string& thread, const char* mode,
                                    std::chrono::milliseconds wait) {
  return {SG_POSTGRES_LOCK_CHILD, sgtest::postgres_uri(), schema, thread, mode, std::to_string(wait.count())};
}

std::string saver_error_id(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    return e.id();
  }
  return "no exception";
}

}  // namespace

TEST_CASE("PostgresSaver lock_thread excludes another process until it exits" * doctest::timeout(60)) {
  sgtest::SchemaGuard schema("lockp");
  sg::PostgresSaver saver(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));

  Child holder(lock_child(schema.name, "t", "hold", 5000ms));
  REQUIRE(holder.read_line(20s) == std::optional<std::string>("locked"));

  // This process waits for the whole wait, then gets "thread busy".
  const auto start = Clock::now();
  CHECK(saver_error_id([&] { (void)saver.lock_thread("t", 300ms); }) == "sg.saver.404");
  CHECK(Clock::now() - start >= 300ms);
  // So does a third process.
  Child busy(lock_child(schema.name, "t", "try", 300ms));
  CHECK(busy.read_line(20s) == std::optional<std::string>("sg.saver.404"));
  CHECK(busy.wait() == 4);
  // Other threads are free.
  CHECK_NOTHROW((void)saver.lock_thread("another thread", 0ms));

  // A process that waits gets the thread once the holder exits.
  Child waiter(lock_child(schema.name, "t", "try", 20000ms));
  std::this_thread::sleep_for(200ms);
  CHECK(waiter.wait(0ms) == -1);  // still waiting
  holder.close_stdin();
  CHECK(holder.wait() == 0);
  CHECK(waiter.read_line(20s) == std::optional<std::string>("locked"));
  CHECK(waiter.wait() == 0);
  // And this process too, once the waiter is gone.
  const auto lock = saver.lock_thread("t", 10s);
  CHECK(lock != nullptr);

  // While this process holds it, another process waits and then gives up.
  Child late(lock_child(schema.name, "t", "try", 200ms));
  CHECK(late.wait() == 4);
}

TEST_CASE("PostgresSaver lock_thread held by a killed process is released" * doctest::timeout(60)) {
  sgtest::SchemaGuard schema("lockk");
  sg::PostgresSaver saver(sgtest::postgres_uri(), sgtest::postgres_options(schema.name));
  Child holder(lock_child(schema.name, "t", "hold", 5000ms));
  REQUIRE(holder.read_line(20s) == std::optional<std::string>("locked"));
  CHECK(saver_error_id([&] { (void)saver.lock_thread("t", 0ms); }) == "sg.saver.404");
  holder.kill(SIGKILL);
  CHECK(holder.wait() == 128 + SIGKILL);
  // The server drops the dead client's session, and its advisory lock with it.
  const auto start = Clock::now();
  std::unique_ptr<sg::ThreadLock> lock;
  CHECK_NOTHROW(lock = saver.lock_thread("t", 10s));
  CHECK(lock != nullptr);
  CHECK(Clock::now() - start < 5s);
}

TEST_CASE("PostgresSaver survives a writer killed with SIGKILL mid-run" * doctest::timeout(90)) {
  sgtest::SchemaGuard schema("crash");
  const std::string uri = sgtest::postgres_uri();
  {
    sg::PostgresSaver setup(uri, sgtest::postgres_options(schema.name));  // schema ready before the child
  }
  std::vector<std::string> reported;  // ids the child confirmed, in order
  {
    Child writer({SG_POSTGRES_CRASH_CHILD, uri, schema.name, "t"});
    // Let it write a while, then kill it at an arbitrary point of a put.
    while (reported.size() < 60) {
      const auto line = writer.read_line(30s);
      REQUIRE_MESSAGE(line.has_value(), "the writer stopped after " << reported.size() << " checkpoints");
      REQUIRE(line->rfind("put ", 0) == 0);
      reported.push_back(line->substr(line->rfind(' ') + 1));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(1000 + std::random_device{}() % 5000));
    writer.kill(SIGKILL);
    CHECK(writer.wait() == 128 + SIGKILL);
    while (const auto line = writer.read_line(100ms)) reported.push_back(line->substr(line->rfind(' ') + 1));
  }

  sg::PostgresSaver saver(uri, sgtest::postgres_options(schema.name));
  const auto all = saver.list({"t", "", std::nullopt});
  REQUIRE(all.size() >= reported.size());
  // The killed put either committed entirely or not at all: at most one more than reported.
  CHECK(all.size() <= reported.size() + 1);
  std::set<std::string> stored;
  for (const auto& t : all) stored.insert(t.checkpoint.id);
  for (const auto& id : reported) CHECK_MESSAGE(stored.count(id) == 1, "committed checkpoint " << id << " is missing");

  // Every checkpoint is complete: its conversation holds messages 0..step, its counter is step.
  for (const auto& t : all) {
    const long step = t.metadata.at("step").get<long>();
    const auto& messages = t.checkpoint.channel_values.at("messages");
    REQUIRE(messages.size() == static_cast<std::size_t>(step + 1));
    for (long i = 0; i <= step; ++i) CHECK(messages[static_cast<std::size_t>(i)] == sgtest::crash_message(i));
    CHECK(t.checkpoint.channel_values.at("n") == step);
  }
  const auto latest = saver.get_tuple({"t", "", std::nullopt});
  REQUIRE(latest.has_value());
  CHECK(latest->checkpoint.id == all.front().checkpoint.id);
  CHECK(latest->metadata.at("step").get<long>() + 1 == static_cast<long>(all.size()));
  CHECK(*stored.rbegin() == latest->checkpoint.id);
  // A later run resumes from it: the next put on top of it loads.
  sgtest::Run next(saver, "t2");
  next.step({{"after", "crash"}});
  CHECK(saver.get_tuple({"t2", "", std::nullopt})->checkpoint == next.history[0]);
}

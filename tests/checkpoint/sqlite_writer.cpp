// The one writer of a process per SQLite file (sqlite_shared_writer.hpp): several savers and
// threads writing at once, group commit with a failing write among the others, opening a saver
// on a file written without pause, and the WAL checkpoints its background thread runs
// (sqlite_wal_checkpointer.hpp).

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "raw_sqlite.hpp"
#include "sqlite_factory.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sgtest::RawDb;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

sg::CheckpointConfig cfg(std::string thread) { return {std::move(thread), "", std::nullopt}; }

/// "<prefix><i>" (appended, not "t" + to_string: a g++ 12 -Wrestrict false positive in Release).
std::string named(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

/// Two savers on one new file `file` and six threads writing through them from construction on:
/// thread i writes `steps` checkpoints of its thread "t<i>" through `first` or `second`
/// (alternately) and reads the last back; a failure of any of them counts in `failures`.
struct SixWriters {
  SixWriters(const char* file, int steps) : path(dir.path() / file), first(path), second(path) {
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([this, i, steps] {
        try {
          sg::SqliteSaver& saver = i % 2 == 0 ? first : second;
          sgtest::Run run(saver, named("t", i));
          for (int s = 0; s < steps; ++s) run.step({{"n", s}, {"from", i}});
          if (saver.get_tuple(run.latest_config())->checkpoint != run.history.back()) ++failures;
        } catch (...) {
          ++failures;
        }
      });
    }
  }
  SixWriters(const SixWriters&) = delete;
  SixWriters& operator=(const SixWriters&) = delete;
  ~SixWriters() { join(); }
  void join() {
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }

  sgtest::TempDir dir;
  std::filesystem::path path;
  sg::SqliteSaver first;
  sg::SqliteSaver second;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
};

}  // namespace

TEST_CASE("sqlite several savers on one file write concurrently") {
  SixWriters w("many.db", 100);
  w.join();
  CHECK(w.failures.load() == 0);
  for (int i = 0; i < 6; ++i) CHECK(w.first.list(cfg(named("t", i))).size() == 100);
}

TEST_CASE("sqlite writes of many threads share commits, and a write that fails is rolled back alone") {
  // Every writer of a process goes through one connection that commits the writes queued
  // meanwhile together (sqlite_shared_writer.hpp): a failing write among them must not take the
  // others down with it, nor leave anything of its own.
  SixWriters w("group.db", 150);
  std::atomic<int>& failures = w.failures;
  std::atomic<int> refused{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> spoilers;
  for (int i = 0; i < 2; ++i) {
    spoilers.emplace_back([&, i] {
      sg::SqliteSaver& saver = i == 0 ? w.first : w.second;
      while (writing.load()) {
        // A delta on a version nobody stored: refused inside the write transaction.
        auto c = sgtest::checkpoint({});
        c.channel_deltas["messages"] = {"no-such-version", 0, json::array({"x"})};
        c.channel_versions["messages"] = sgtest::version(2);
        try {
          saver.put(cfg(named("bad", i)), c, sgtest::metadata("loop", 0), c.channel_versions);
          ++failures;
        } catch (const sg::SaverError& e) {
          if (e.id() == "sg.saver.403" && contains(e.what(), "no-such-version")) ++refused;
          else ++failures;
        }
      }
    });
  }
  w.join();
  writing = false;
  for (auto& t : spoilers) t.join();
  CHECK(failures.load() == 0);
  CHECK(refused.load() > 0);
  for (int i = 0; i < 6; ++i) CHECK(w.first.list(cfg(named("t", i))).size() == 150);
  CHECK(w.first.list(cfg("bad0")).empty());
  CHECK(w.second.list(cfg("bad1")).empty());
  RawDb raw(w.path);
  CHECK(raw.one("SELECT count(*) FROM sg_blobs WHERE thread_id LIKE 'bad%'") == "0");
}

TEST_CASE("sqlite a saver opened on a file that others write without pause opens at once and writes") {
  // Opening adjusts the process's shared writer of the file (busy timeout, synchronous): that
  // must not wait for a gap in the others' writes.
  SixWriters w("busy_open.db", 300);
  std::this_thread::sleep_for(20ms);
  const auto start = std::chrono::steady_clock::now();
  sg::SqliteSaverOptions options;
  options.synchronous = sg::SqliteSynchronous::full;
  options.busy_timeout = 20s;
  sg::SqliteSaver third(w.path, options);
  const auto opened = std::chrono::steady_clock::now() - start;
  sgtest::Run run(third, "third");
  for (int s = 0; s < 10; ++s) run.step({{"n", s}});
  w.join();
  CHECK(opened < 2s);
  CHECK(w.failures.load() == 0);
  CHECK(third.list(cfg("third")).size() == 10);
  for (int i = 0; i < 6; ++i) CHECK(third.list(cfg(named("t", i))).size() == 300);
}


TEST_CASE("sqlite the WAL is checkpointed in the background and stays small under continuous writes") {
  // The writer's commits copy no pages back themselves below 16,384 WAL pages (64 MiB), except the
  // last few the checkpointer's thread left (it copies once the WAL passes 4,000 pages), after
  // which the WAL starts over: ~20 MiB at most here. Without the thread, or when a checkpoint that
  // runs beside the writer never lets the WAL start over, it grows to 64 MiB.
  sgtest::TempDir dir;
  const auto path = dir.path() / "wal.db";
  const std::filesystem::path wal = path.string() + "-wal";
  sg::SqliteSaver saver(path);
  sgtest::Run run(saver, "long");
  const std::string filler(600, 'x');
  std::uintmax_t largest = 0;
  for (int s = 0; s < 5000; ++s) {
    run.step({{"n", s}, {named("filler", s % 50), filler}});
    std::error_code ec;
    largest = std::max(largest, std::filesystem::file_size(wal, ec));
  }
  INFO("largest WAL: " << largest << " bytes");
  CHECK(largest > 0);
  CHECK(largest < 40u * 1024 * 1024);
  // Everything is readable, through this saver and a fresh one.
  CHECK(saver.list(cfg("long")).size() == 5000);
  sg::SqliteSaver again(path);
  CHECK(again.get_tuple(run.latest_config())->checkpoint == run.history.back());
}

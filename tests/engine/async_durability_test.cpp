// Durability async on a saver that is not in process (FaultySaver over InMemorySaver): the run's
// checkpoints queue up and are stored together (CheckpointSaver::put_batches) when the run
// flushes, or kAsyncDelay after the first was queued while a step is still running.
// No timing assertions: a slow step waits on the test, which looks for what was stored meanwhile.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faulty_saver.hpp"
#include "test_states.hpp"

using test::Counter;

namespace {

sg::RunConfig async_thread(std::string id) {
  auto c = test::thread(std::move(id));
  c.durability = sg::Durability::async;
  return c;
}

/// START → a → b → c, each appending its name to `log`; b calls `b_does` first.
sg::CompiledGraph<Counter> chain(std::shared_ptr<sg::BaseCheckpointSaver> saver, std::function<void()> b_does = {}) {
  sg::StateGraph<Counter> g;
  for (const std::string n : {"a", "b", "c"})
    g.add_node(n, [n, b_does](const Counter&) {
      if (n == "b" && b_does) b_does();
      return sg::Update<Counter>{sg::set<&Counter::log>(n)};
    });
  g.add_edge(sg::START, "a").add_edge("a", "b").add_edge("b", "c");
  return g.compile({.checkpointer = std::move(saver)});
}

/// A gate a node waits at until the test opens it (or 20 s pass).
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("async durability: quick runs store their checkpoints together, in one put_batches at the end") {
  auto memory = std::make_shared<sg::InMemorySaver>();
  auto saver = std::make_shared<sgtest::FaultySaver>(memory);
  auto app = chain(saver);
  constexpr int kRuns = 20;
  for (int i = 0; i < kRuns; ++i) {
    const auto out = app.invoke({}, async_thread("t" + std::to_string(i)));
    CHECK(out.values.log == std::vector<std::string>{"a", "b", "c"});
    // Stored when invoke returned: the input, step 0, a, b, c.
    CHECK(memory->list({"t" + std::to_string(i), "", std::nullopt}).size() == 5);
  }
  CHECK(saver->calls(sgtest::SaverCall::put) == 5 * kRuns);
  // A run's 5 checkpoints take ~tens of µs, the queue waits 5 ms: stored in one group each (a
  // run preempted for longer stores two groups; that every one of 20 is, cannot happen).
  CHECK(saver->calls(sgtest::SaverCall::put_batches) >= 1);
  CHECK(saver->calls(sgtest::SaverCall::put_batches) <= 2 * kRuns);
  // The same under sync: one saver call a checkpoint, never grouped.
  const auto grouped = saver->calls(sgtest::SaverCall::put_batches);
  auto sync = test::thread("sync");
  sync.durability = sg::Durability::sync;
  app.invoke({}, sync);
  CHECK(saver->calls(sgtest::SaverCall::put_batches) == grouped);
}

TEST_CASE("async durability: the checkpoints before a slow step are stored while it runs") {
  auto memory = std::make_shared<sg::InMemorySaver>();
  auto saver = std::make_shared<sgtest::FaultySaver>(memory);
  Gate gate;
  std::atomic<bool> b_started{false};
  auto app = chain(saver, [&] {
    b_started = true;
    gate.wait();
  });
  std::string failed;
  std::thread run([&] {
    try {
      app.invoke({}, async_thread("slow"));
    } catch (const std::exception& e) {
      failed = e.what();
    }
  });
  // While b waits, the checkpoint after a reaches the saver (kAsyncDelay after it was queued).
  bool stored = false;
  for (int i = 0; i < 2000 && !stored; ++i) {  // at most ~20 s; usually within a few ms
    if (b_started) {
      if (const auto t = memory->get_tuple({"slow", "", std::nullopt})) {
        const auto log = t->checkpoint.channel_values.find("log");  // none in the input's checkpoint
        stored = log != t->checkpoint.channel_values.end() && log->second == nlohmann::json::array({"a"});
      }
    }
    if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  gate.release();
  run.join();
  CHECK(stored);
  CHECK(failed.empty());
  CHECK(memory->get_tuple({"slow", "", std::nullopt})->checkpoint.channel_values.at("log") ==
        nlohmann::json::array({"a", "b", "c"}));
}

TEST_CASE("async durability: a run that pauses or fails has what it queued stored when invoke returns") {
  auto memory = std::make_shared<sg::InMemorySaver>();
  auto saver = std::make_shared<sgtest::FaultySaver>(memory);
  {
    auto app = chain(saver);
    auto cfg = async_thread("paused");
    cfg.interrupt_before = std::vector<std::string>{"c"};
    app.invoke({}, cfg);
    const auto t = memory->get_tuple({"paused", "", std::nullopt});
    REQUIRE(t.has_value());
    CHECK(t->checkpoint.channel_values.at("log") == nlohmann::json::array({"a", "b"}));
    CHECK(app.get_state(async_thread("paused"))->next == std::vector<std::string>{"c"});
  }
  auto app = chain(saver, [] { throw std::runtime_error("b fails"); });
  CHECK_THROWS_WITH(app.invoke({}, async_thread("failed")), doctest::Contains("b fails"));
  const auto t = memory->get_tuple({"failed", "", std::nullopt});
  REQUIRE(t.has_value());
  CHECK(t->checkpoint.channel_values.at("log") == nlohmann::json::array({"a"}));
  bool error_kept = false;
  for (const auto& w : t->pending_writes) error_kept = error_kept || w.channel == "__error__";
  CHECK(error_kept);  // b's error, as under sync
}

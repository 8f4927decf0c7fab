// sg::Executor and how runs use it: blocking tasks all run at once, graphs share the default
// executor, CompileOptions::executor and ::threads, nested runs on a capped executor.
// No timing assertions: tasks meet at a rendezvous (with a generous bound) and count themselves.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "faulty_saver.hpp"
#include "test_states.hpp"

using test::Counter;

namespace {

/// Counts the tasks in flight and the most at once. Thread-safe.
class InFlight {
 public:
  /// Enters, waits until `target` tasks have been in flight at once (or, should that never
  /// happen, `patience` has passed), leaves. Once the target is met every later task passes.
  void meet(int target, std::chrono::milliseconds patience = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    enter(lock);
    if (now_ >= target) met_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, patience, [&] { return met_; });
    --now_;
  }
  /// Enters, sleeps `d`, leaves.
  void hold(std::chrono::milliseconds d) {
    {
      std::unique_lock lock(mutex_);
      enter(lock);
    }
    std::this_thread::sleep_for(d);
    std::lock_guard lock(mutex_);
    --now_;
  }
  [[nodiscard]] int peak() const {
    std::lock_guard lock(mutex_);
    return peak_;
  }

 private:
  void enter(std::unique_lock<std::mutex>&) {
    ++now_;
    peak_ = std::max(peak_, now_);
  }
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int now_ = 0;
  int peak_ = 0;
  bool met_ = false;
};

/// A router sending `n` empty Counters to `node`.
auto send_to(std::string node, int n) {
  return [node = std::move(node), n](const Counter&) {
    return std::vector<sg::Send>(static_cast<std::size_t>(n), sg::Send(node, Counter{}));
  };
}

/// START → fan → `n` Sends to `worker` (each adds 1 to value) → END.
sg::StateGraph<Counter> fan_out(int n, std::function<void()> task) {
  sg::StateGraph<Counter> g;
  g.add_node("fan", [](const Counter&) { return sg::Update<Counter>{}; });
  g.add_node("worker", [task = std::move(task)](const Counter&) {
    task();
    return sg::Update<Counter>{sg::set<&Counter::value>(1)};
  });
  g.add_edge(sg::START, "fan");
  g.add_conditional_edges("fan", send_to("worker", n), sg::PathMap(std::vector<std::string>{"worker"}));
  g.add_edge("worker", sg::END);
  return g;
}

}  // namespace

TEST_CASE("executor: 20 Send tasks that block all run at once on the default executor") {
  InFlight tasks;
  auto app = fan_out(20, [&] { tasks.meet(20); }).compile();
  CHECK(app.invoke({}).values.value == 20);
  CHECK(tasks.peak() == 20);
  CHECK(sg::default_executor()->stats().threads <= sg::default_executor()->max_threads());
}

TEST_CASE("executor: two compiled graphs share the default executor") {
  const auto executor = sg::default_executor();
  CHECK(executor == sg::default_executor());
  const auto posted = executor->stats().posted;
  std::atomic<int> on_default{0};
  auto task_of = [&](InFlight& tasks) {
    return [&] {
      if (sg::default_executor()->runs_this_thread()) ++on_default;
      tasks.meet(4);
    };
  };
  InFlight first_tasks;
  InFlight second_tasks;
  auto first = fan_out(4, task_of(first_tasks)).compile();
  auto second = fan_out(4, task_of(second_tasks)).compile();
  CHECK(first.invoke({}).values.value == 4);
  const int after_first = on_default.load();
  CHECK(second.invoke({}).values.value == 4);
  // Of 4 tasks at once, the invoking thread runs one: the other 3 ran on default executor workers.
  CHECK(after_first >= 3);
  CHECK(on_default.load() - after_first >= 3);
  CHECK(executor->stats().posted >= posted + 6);
}

TEST_CASE("executor: CompileOptions::executor replaces the default one") {
  auto own = std::make_shared<sg::Executor>(sg::ExecutorOptions{.max_threads = 3});
  const auto default_posted = sg::default_executor()->stats().posted;
  InFlight tasks;
  std::atomic<int> on_own{0};
  std::atomic<int> on_default{0};
  auto app = fan_out(6, [&] {
               if (own->runs_this_thread()) ++on_own;
               if (sg::default_executor()->runs_this_thread()) ++on_default;
               tasks.meet(4);
             }).compile({.executor = own});
  CHECK(app.invoke({}).values.value == 6);
  CHECK(tasks.peak() == 4);  // the invoking thread and the executor's 3 threads
  CHECK(on_own.load() >= 3);
  CHECK(on_default.load() == 0);
  CHECK(own->stats().started <= 3);
  CHECK(own->stats().posted >= 3);
  CHECK(sg::default_executor()->stats().posted == default_posted);
}

TEST_CASE("executor: CompileOptions::threads and RunConfig::max_concurrency bound the tasks of a step") {
  InFlight tasks;
  auto app = fan_out(12, [&] { tasks.hold(std::chrono::milliseconds(5)); }).compile({.threads = 3});
  CHECK(app.invoke({}).values.value == 12);
  CHECK(tasks.peak() <= 3);

  InFlight serial;
  auto one = fan_out(5, [&] { serial.hold(std::chrono::milliseconds(1)); }).compile({.threads = 1});
  CHECK(one.invoke({}).values.value == 5);
  CHECK(serial.peak() == 1);

  InFlight bounded;
  auto unbounded = fan_out(12, [&] { bounded.hold(std::chrono::milliseconds(5)); }).compile();
  sg::RunConfig two;
  two.max_concurrency = 2;
  CHECK(unbounded.invoke({}, two).values.value == 12);
  CHECK(bounded.peak() <= 2);
}

TEST_CASE("executor: nested runs fanned out on an executor of 2 threads finish") {
  auto small = std::make_shared<sg::Executor>(sg::ExecutorOptions{.max_threads = 2});
  auto inner = std::make_shared<sg::CompiledGraph<Counter>>(
      fan_out(20, [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }).compile({.executor = small}));
  sg::StateGraph<Counter> outer;
  outer.add_node("fan", [](const Counter&) { return sg::Update<Counter>{}; });
  outer.add_node("call", [inner](const Counter&) {
    return sg::Update<Counter>{sg::set<&Counter::value>(inner->invoke({}).values.value)};
  });
  outer.add_edge(sg::START, "fan");
  outer.add_conditional_edges("fan", send_to("call", 8), sg::PathMap(std::vector<std::string>{"call"}));
  outer.add_edge("call", sg::END);
  auto app = outer.compile({.executor = small});
  CHECK(app.invoke({}).values.value == 8 * 20);
  CHECK(small->stats().started <= 2);
}

TEST_CASE("executor: nested runs with asynchronous checkpoints on an executor of 1 thread finish") {
  // A durable-like saver (not in-process): async durability drains its queue on the executor, or
  // on the run's own thread when no worker is free to start that job.
  auto one = std::make_shared<sg::Executor>(sg::ExecutorOptions{.max_threads = 1});
  auto saver = std::make_shared<sgtest::FaultySaver>(std::make_shared<sg::InMemorySaver>());
  auto inner = std::make_shared<sg::CompiledGraph<Counter>>(
      fan_out(6, [] {}).compile({.checkpointer = saver, .executor = one}));
  std::atomic<int> calls{0};
  sg::StateGraph<Counter> outer;
  outer.add_node("fan", [](const Counter&) { return sg::Update<Counter>{}; });
  outer.add_node("call", [inner, &calls](const Counter&) {
    const auto out = inner->invoke({}, test::thread("inner-" + std::to_string(calls++)));
    return sg::Update<Counter>{sg::set<&Counter::value>(out.values.value)};
  });
  outer.add_edge(sg::START, "fan");
  outer.add_conditional_edges("fan", send_to("call", 4), sg::PathMap(std::vector<std::string>{"call"}));
  outer.add_edge("call", sg::END);
  auto app = outer.compile({.checkpointer = saver, .executor = one});
  CHECK(app.invoke({}, test::thread("outer")).values.value == 4 * 6);
  CHECK(saver->calls(sgtest::SaverCall::put) >= 5 * 3);  // every run's checkpoints were stored
}

TEST_CASE("executor: grows a thread per blocked job up to max_threads, then queues") {
  InFlight jobs;
  std::atomic<int> done{0};
  {
    sg::Executor executor({.max_threads = 5});
    for (int i = 0; i < 5; ++i)
      executor.post([&] {
        jobs.meet(5);
        ++done;
      });
    for (int i = 0; i < 10; ++i) executor.post([&] { ++done; });
    CHECK(executor.stats().started <= 5);
    CHECK(executor.stats().posted == 15);
  }  // the destructor lets the workers run every queued job
  CHECK(done.load() == 15);
  CHECK(jobs.peak() == 5);
}

TEST_CASE("executor: idle workers above min_threads exit") {
  sg::Executor executor({.max_threads = 4, .min_threads = 1, .idle_timeout = std::chrono::milliseconds(1)});
  InFlight jobs;
  for (int i = 0; i < 4; ++i) executor.post([&] { jobs.meet(4); });
  CHECK(jobs.peak() <= 4);
  bool shrunk = false;
  for (int i = 0; i < 2000 && !shrunk; ++i) {  // at most ~20 s; usually at once
    const auto s = executor.stats();
    shrunk = s.queued == 0 && s.threads == 1;
    if (!shrunk) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(shrunk);
  CHECK(executor.stats().started == 4);
}

TEST_CASE("executor: an executor destroyed by its own job does not wait for itself") {
  auto executor = std::make_shared<sg::Executor>(sg::ExecutorOptions{.max_threads = 1});
  std::mutex mutex;
  std::condition_variable cv;
  bool destroyed = false;
  auto* raw = executor.get();
  raw->post([&mutex, &cv, &destroyed, owned = std::move(executor)]() mutable {
    owned.reset();  // the last reference: ~Executor runs on its own worker
    std::lock_guard lock(mutex);
    destroyed = true;
    cv.notify_all();
  });
  std::unique_lock lock(mutex);
  CHECK(cv.wait_for(lock, std::chrono::seconds(20), [&] { return destroyed; }));
}

TEST_CASE("executor: max_threads 0 is a usage error (sg.run.306)") {
  CHECK_THROWS_WITH_AS(sg::Executor({.max_threads = 0}), doctest::Contains("sg.run.306"), sg::ConfigError);
}

TEST_CASE("executor: post_after posts a job once its delay has passed, cancel takes it back") {
  sg::Executor executor;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<int> ran;
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard lock(mutex);
      ran.push_back(n);
      cv.notify_all();
    };
  };
  const auto start = std::chrono::steady_clock::now();
  executor.post_after(std::chrono::milliseconds(30), record(2));
  const auto cancelled = executor.post_after(std::chrono::milliseconds(10), record(99));
  executor.post_after(std::chrono::milliseconds(20), record(1));  // earlier than the first: wakes the timer
  CHECK(executor.cancel(cancelled));
  CHECK_FALSE(executor.cancel(cancelled));  // gone already
  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return ran.size() == 2; }));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(30));  // never early
  CHECK(ran == std::vector<int>{1, 2});  // in due order
  lock.unlock();
  const auto id = executor.post_after(std::chrono::milliseconds(0), record(3));
  lock.lock();
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return ran.size() == 3; }));
  CHECK_FALSE(executor.cancel(id));  // posted (and run): too late
}

TEST_CASE("executor: destroying an executor runs the jobs post_after queued, due or not") {
  std::atomic<int> ran{0};
  {
    sg::Executor executor({.max_threads = 1});
    executor.post_after(std::chrono::hours(1), [&] { ++ran; });
    executor.post_after(std::chrono::hours(2), [&] { ++ran; });
  }
  CHECK(ran.load() == 2);
}

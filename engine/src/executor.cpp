// sg::Executor: one mutex guards a FIFO deque of jobs and the worker counts; workers wait on a
// condition variable (with the idle timeout) and are detached, each holding the shared state, so
// a worker still returning after the Executor is gone touches only memory it co-owns. Jobs of
// post_after wait, ordered by due time, for a thread of their own (started on first use, detached
// the same way) that posts each when due.

#include "stategraph/executor.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "stategraph/errors.hpp"

namespace sg {

namespace detail {

struct ExecutorState {
  explicit ExecutorState(ExecutorOptions o) : options(o) {}
  const ExecutorOptions options;
  std::mutex mutex;
  std::condition_variable wake;    // a job was queued, or the executor stops
  std::condition_variable exited;  // a worker exited
  std::deque<std::function<void()>> queue;
  std::size_t threads = 0;
  std::size_t idle = 0;
  std::size_t started = 0;
  std::size_t posted = 0;
  bool stopping = false;
  // post_after: jobs by (due time, id), the due time of each id, and the thread that posts them.
  std::map<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>, std::function<void()>> delayed;
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> due_of;
  std::uint64_t last_id = 0;
  bool timer_running = false;
  std::condition_variable timer_wake;  // an earlier job was queued, or the executor stops
};

}  // namespace detail

namespace {

thread_local const detail::ExecutorState* current_executor = nullptr;  // whom this thread works for

/// A worker's life: run queued jobs in order; wait (at most idle_timeout) when there are none;
/// exit when stopping with nothing queued, or when idle too long above min_threads.
void work(std::shared_ptr<detail::ExecutorState> s) noexcept {
  current_executor = s.get();
  std::unique_lock lock(s->mutex);
  for (;;) {
    if (!s->queue.empty()) {
      std::function<void()> job = std::move(s->queue.front());
      s->queue.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // its captures are released outside the lock
      lock.lock();
      continue;
    }
    if (s->stopping) break;
    ++s->idle;
    const bool woken =
        s->wake.wait_for(lock, s->options.idle_timeout, [&] { return !s->queue.empty() || s->stopping; });
    --s->idle;
    if (!woken && s->threads > s->options.min_threads) break;
  }
  --s->threads;
  s->exited.notify_all();
}

/// Queues `job` (s->mutex held) and starts a worker when none is idle and fewer than max_threads
/// are alive. @throws what starting a thread throws when no worker is alive (the job is then not queued).
void push(const std::shared_ptr<detail::ExecutorState>& s, std::function<void()> job) {
  s->queue.push_back(std::move(job));
  ++s->posted;
  // Each idle worker takes one queued job; a job beyond them needs a new worker.
  if (s->queue.size() <= s->idle || s->threads >= s->options.max_threads) {
    s->wake.notify_one();
    return;
  }
  try {
    std::thread(work, s).detach();
  } catch (...) {
    if (s->threads == 0) {  // nobody would ever run it
      s->queue.pop_back();
      --s->posted;
      throw;
    }
    return;  // a busy worker takes it later
  }
  ++s->threads;
  ++s->started;
}

/// Posts every delayed job due by `until` (s->mutex held). A job that cannot be posted (no worker
/// and none can start) is dropped: nothing could run it.
void post_due(const std::shared_ptr<detail::ExecutorState>& s, std::chrono::steady_clock::time_point until) {
  while (!s->delayed.empty() && s->delayed.begin()->first.first <= until) {
    auto node = s->delayed.extract(s->delayed.begin());
    s->due_of.erase(node.key().second);
    try {
      push(s, std::move(node.mapped()));
    } catch (...) {
    }
  }
}

/// The post_after thread's life: sleep until the earliest due time, post what is due; at stop,
/// post everything (the destructor waits for it).
void time_jobs(std::shared_ptr<detail::ExecutorState> s) noexcept {
  std::unique_lock lock(s->mutex);
  while (!s->stopping) {
    if (s->delayed.empty()) {
      s->timer_wake.wait(lock);
      continue;
    }
    const auto due = s->delayed.begin()->first.first;
    if (std::chrono::steady_clock::now() < due) {
      s->timer_wake.wait_until(lock, due);
      continue;
    }
    post_due(s, std::chrono::steady_clock::now());
  }
  s->timer_running = false;
  s->exited.notify_all();
}

}  // namespace

Executor::Executor(ExecutorOptions options) {
  if (options.max_threads == 0)
    throw ConfigError(ErrorId::run_invalid_option, "Executor: max_threads must be at least 1");
  options.min_threads = std::min(options.min_threads, options.max_threads);
  state_ = std::make_shared<detail::ExecutorState>(options);
}

Executor::~Executor() {
  std::unique_lock lock(state_->mutex);
  post_due(state_, std::chrono::steady_clock::time_point::max());  // every queued job runs
  state_->stopping = true;
  state_->wake.notify_all();
  state_->timer_wake.notify_all();
  const std::size_t self = runs_this_thread() ? 1 : 0;  // a job destroying its own executor
  state_->exited.wait(lock, [&] { return state_->threads == self && !state_->timer_running; });
}

void Executor::post(std::function<void()> job) {
  std::lock_guard lock(state_->mutex);
  push(state_, std::move(job));
}

Executor::DelayedJob Executor::post_after(std::chrono::steady_clock::duration delay, std::function<void()> job) {
  const auto due = std::chrono::steady_clock::now() + delay;
  std::lock_guard lock(state_->mutex);
  if (!state_->timer_running) {
    std::thread(time_jobs, state_).detach();
    state_->timer_running = true;
  }
  const std::uint64_t id = ++state_->last_id;
  const bool earliest = state_->delayed.empty() || due < state_->delayed.begin()->first.first;
  state_->delayed.emplace(std::make_pair(due, id), std::move(job));
  state_->due_of.emplace(id, due);
  if (earliest) state_->timer_wake.notify_one();  // it sleeps until a later time, or for good
  return id;
}

bool Executor::cancel(DelayedJob id) noexcept {
  std::function<void()> job;  // destroyed outside the lock
  {
    std::lock_guard lock(state_->mutex);
    const auto at = state_->due_of.find(id);
    if (at == state_->due_of.end()) return false;
    const auto node = state_->delayed.find({at->second, id});
    job = std::move(node->second);
    state_->delayed.erase(node);
    state_->due_of.erase(at);
  }
  return true;
}

ExecutorStats Executor::stats() const {
  std::lock_guard lock(state_->mutex);
  return {state_->threads, state_->idle, state_->queue.size(), state_->started, state_->posted};
}

std::size_t Executor::max_threads() const noexcept { return state_->options.max_threads; }

bool Executor::runs_this_thread() const noexcept { return current_executor == state_.get(); }

std::shared_ptr<Executor> default_executor() {
  // Never destroyed: graphs in static storage may still run while other statics are destroyed.
  static auto* const instance = new std::shared_ptr<Executor>(std::make_shared<Executor>());
  return *instance;
}

}  // namespace sg

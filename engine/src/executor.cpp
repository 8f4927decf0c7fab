// sg::Executor: one mutex guards a FIFO deque of jobs and the worker counts; workers wait on a
// condition variable (with the idle timeout) and are detached, each holding the shared state, so
// a worker still returning after the Executor is gone touches only memory it co-owns.

#include "stategraph/executor.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
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

}  // namespace

Executor::Executor(ExecutorOptions options) {
  if (options.max_threads == 0)
    throw ConfigError(ErrorId::run_invalid_option, "Executor: max_threads must be at least 1");
  options.min_threads = std::min(options.min_threads, options.max_threads);
  state_ = std::make_shared<detail::ExecutorState>(options);
}

Executor::~Executor() {
  std::unique_lock lock(state_->mutex);
  state_->stopping = true;
  state_->wake.notify_all();
  const std::size_t self = runs_this_thread() ? 1 : 0;  // a job destroying its own executor
  state_->exited.wait(lock, [&] { return state_->threads == self; });
}

void Executor::post(std::function<void()> job) {
  std::lock_guard lock(state_->mutex);
  state_->queue.push_back(std::move(job));
  ++state_->posted;
  // Each idle worker takes one queued job; a job beyond them needs a new worker.
  if (state_->queue.size() <= state_->idle || state_->threads >= state_->options.max_threads) {
    state_->wake.notify_one();
    return;
  }
  try {
    std::thread(work, state_).detach();
  } catch (...) {
    if (state_->threads == 0) {  // nobody would ever run it
      state_->queue.pop_back();
      --state_->posted;
      throw;
    }
    return;  // a busy worker takes it later
  }
  ++state_->threads;
  ++state_->started;
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

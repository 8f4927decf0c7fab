#pragma once
/// @file
/// sg::Executor: the threads that run the tasks of supersteps (and asynchronous checkpoint
/// writes). One process-wide instance, sg::default_executor(), is shared by every compiled graph
/// unless CompileOptions::executor names another, so graphs and their child runs share threads
/// instead of each owning a pool.
///
/// Nodes may block (a model call, a tool's HTTP request): the executor never lets queued work
/// wait behind blocked workers while it may still grow. When a job is posted and no worker is
/// idle, it starts another thread, up to ExecutorOptions::max_threads; a worker idle for
/// ExecutorOptions::idle_timeout exits while more than ExecutorOptions::min_threads remain. A run
/// never depends on a free worker to make progress: the thread that invokes a graph runs tasks of
/// each superstep itself, so nested runs (a node invoking another graph) cannot deadlock on a
/// capped executor, they only run with less parallelism.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace sg {

namespace detail {
struct ExecutorState;
}  // namespace detail

/// Options of an Executor.
struct ExecutorOptions {
  /// Most worker threads alive at once (≥ 1). Beyond it, posted jobs wait for a worker.
  std::size_t max_threads = 256;
  /// Workers kept when idle (they are started on demand, not in advance); clamped to max_threads.
  std::size_t min_threads = std::thread::hardware_concurrency();
  /// How long a worker above min_threads waits for a job before it exits.
  std::chrono::milliseconds idle_timeout{10000};
};

/// Counters of an Executor, read together under its lock.
struct ExecutorStats {
  std::size_t threads = 0;  ///< workers alive now
  std::size_t idle = 0;     ///< workers waiting for a job now
  std::size_t queued = 0;   ///< jobs posted and not started yet
  std::size_t started = 0;  ///< threads started since construction
  std::size_t posted = 0;   ///< jobs posted since construction
};

/// A growing pool of worker threads running posted jobs in FIFO order.
///
/// Thread-safety: every member function may be called from any thread, including from a job
/// running on this executor. The destructor must not race with post(); it lets the workers run
/// every queued job, then waits for them to exit (except the calling thread, when a job of this
/// executor destroys it).
class Executor {
 public:
  /// @throws sg::ConfigError (sg.run.306) when options.max_threads is 0.
  explicit Executor(ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Queues `job` to run on a worker; starts a worker first when none is idle and fewer than
  /// max_threads are alive. `job` must not throw (an escaping exception calls std::terminate).
  /// @throws std::system_error when no worker is alive and none can be started (the job is then
  ///         not queued); std::bad_alloc.
  void post(std::function<void()> job);

  /// Identifies a job queued by post_after, for cancel (never 0).
  using DelayedJob = std::uint64_t;
  /// Queues `job` to be posted (as post does) once `delay` has passed; returns its id for cancel.
  /// A thread of the executor's own (started on first use) waits for the due times, so jobs
  /// that are cancelled before they are due cost no wake-up of a worker. A job is posted no
  /// earlier than due, later when the workers are all busy. Destroying the executor posts the
  /// jobs not yet due at once (every queued job runs). `job` must not throw.
  /// @throws std::system_error when the waiting thread cannot be started; std::bad_alloc.
  DelayedJob post_after(std::chrono::steady_clock::duration delay, std::function<void()> job);
  /// Removes a job post_after queued if it was not posted yet. Returns false when it was (it
  /// runs, or ran) or `id` is unknown. Never throws.
  bool cancel(DelayedJob id) noexcept;

  [[nodiscard]] ExecutorStats stats() const;
  [[nodiscard]] std::size_t max_threads() const noexcept;
  /// Whether the calling thread is one of this executor's workers.
  [[nodiscard]] bool runs_this_thread() const noexcept;

 private:
  std::shared_ptr<detail::ExecutorState> state_;  // shared with the workers, which may outlive the Executor briefly
};

/// The process-wide executor used by graphs compiled without CompileOptions::executor, created
/// with default ExecutorOptions on first use and never destroyed (its idle workers do not delay
/// process exit). Thread-safe.
[[nodiscard]] std::shared_ptr<Executor> default_executor();

}  // namespace sg

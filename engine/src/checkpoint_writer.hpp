#pragma once
// CheckpointWriter: sends a run's checkpoints and pending writes to the saver, now (sync) or on a
// background queue that keeps their order (async) and is drained by a job on the graph's
// executor — or by the run's own thread when it flushes before that job has started, so a run
// never waits for a free worker (nested runs on a busy, capped executor). LangGraph:
// pregel/_loop.py _put_checkpoint, put_writes and the durability modes (semantics reference §3.8).

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "stategraph/checkpoint/saver.hpp"
#include "stategraph/executor.hpp"

namespace sg::detail {

/// Fails unless `lock` (null: no lock, nothing to check) is still held: called right before a
/// write reaches the saver, by a run's CheckpointWriter and by update_state.
/// @throws SaverError [sg.saver.411] when ThreadLock::is_held() is false.
void require_held(const ThreadLock* lock);

class CheckpointWriter {
 public:
  CheckpointWriter(BaseCheckpointSaver& saver, bool background, Executor& executor)
      : saver_(saver), background_(background), executor_(executor) {}
  /// Stores what is still queued (on this thread if no worker does it); failures are dropped.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  /// The run's thread lock (the root run's for a subgraph), checked right before each put and
  /// put_writes reaches the saver: a lost lock (ThreadLock::is_held false) fails the write with
  /// SaverError [sg.saver.411] and stores nothing, so a run that lost its thread never forks it.
  /// Null: no check. Set before the first write; `lock` must outlive the writer's writes.
  void set_lock(const ThreadLock* lock) noexcept { lock_ = lock; }

  void put(CheckpointConfig config, Checkpoint checkpoint, CheckpointMetadata metadata,
           ChannelVersions new_versions);
  void put_writes(CheckpointConfig config, std::vector<PendingWrite> writes, std::string task_id);
  /// Waits until everything queued is stored; rethrows the first failure.
  void flush();

 private:
  /// The queue, shared with the drain job posted to the executor (which may start after the
  /// writer is gone; it then finds the queue empty).
  struct Queue {
    std::mutex mutex;
    std::condition_variable idle;  // draining became false
    std::deque<std::function<void()>> jobs;
    bool posted = false;    // a drain job is on the executor and has not started
    bool draining = false;  // a thread is running jobs
    std::exception_ptr error;
  };
  static void drain(Queue& q, std::unique_lock<std::mutex>& lock);
  void submit(std::function<void()> job);
  void wait_stored(std::unique_lock<std::mutex>& lock);
  void check_lock() const { require_held(lock_); }

  BaseCheckpointSaver& saver_;
  bool background_;
  Executor& executor_;
  const ThreadLock* lock_ = nullptr;
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
};

}  // namespace sg::detail

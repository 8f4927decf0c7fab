#pragma once
// CheckpointWriter: sends a run's checkpoints and pending writes to the saver, batching them so a
// superstep costs at most one saver transaction (CheckpointSaver::put_batch): task writes wait for
// the step's checkpoint and are stored with it, except that under durability sync the writes of a
// task that finishes while others of its step still run are stored at once (group commit: what
// queues up while one commit runs goes in the next). Puts under sync and exit, and to in-process
// savers, are stored before put returns. Under async (a saver that is not in process) a put is
// queued, and the queue is stored — every batch in it, in ONE transaction
// (CheckpointSaver::put_batches) — kAsyncDelay after the first batch entered it, by a job of the
// graph's executor (Executor::post_after), or sooner by the run's own thread when it flushes (the
// run ends, pauses or fails). A run whose steps are quicker than that therefore stores all its
// checkpoints in one commit at its end, on its own thread, without handing anything over; a slow
// step (a model call) has the checkpoints before it stored while it runs. A crash loses at most
// what was queued: the last kAsyncDelay of a run's checkpoints, never an acknowledged run's.
// LangGraph: pregel/_loop.py _put_checkpoint, put_writes and the durability modes (semantics
// reference §3.8); its async puts go to a background executor at once, one saver call each.
//
// Thread-safety: put and flush are called by the run's thread; put_writes by any task's thread,
// concurrently.

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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
  /// `background`: durability async on a saver that is not in process.
  CheckpointWriter(BaseCheckpointSaver& saver, bool background, Executor& executor);
  /// Stores what is still queued (on this thread if no worker does it); failures are dropped.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  /// The run's thread lock (the root run's for a subgraph), checked right before each batch
  /// reaches the saver: a lost lock (ThreadLock::is_held false) fails the write with
  /// SaverError [sg.saver.411] and stores nothing, so a run that lost its thread never forks it.
  /// Null: no check. Set before the first write; `lock` must outlive the writer's writes.
  void set_lock(const ThreadLock* lock) noexcept { queue_->lock = lock; }

  /// The writes of the step a checkpoint ends that were never queued (StepRunner::take_unsaved):
  /// made only when needed. Called at most once, on the thread that called put.
  using Unsaved = std::function<std::vector<TaskWrites>()>;

  /// How long an async put waits for the run's next ones before the queue is stored.
  static constexpr std::chrono::milliseconds kAsyncDelay{5};

  /// Stores a checkpoint together with every write queued so far and `with` (writes of this
  /// checkpoint), in one put_batch. Not background: stored when it returns. Background: queued
  /// (see the file comment).
  /// `unsaved` (may be empty): the step's writes that `put` applies and, as its
  /// parent_writes_applied says, deletes with the rest of its parent's value writes; they are
  /// made only when the put goes to the background queue (made now, stored with it), keeps its
  /// parent's writes, or fails (then stored alone, as queued writes are when a put fails).
  /// @throws what put_batch throws (not background), or the failure of an earlier group commit.
  void put(CheckpointPut put, std::vector<TaskWrites> with = {}, const Unsaved& unsaved = {});
  /// Queues a task's writes for the next put or flush; with `now` and not background, stores
  /// them before the step's checkpoint (group commit; failures are reported by the next put or
  /// flush). The calling thread may do the commit, for itself and what queued meanwhile.
  void put_writes(TaskWrites writes, bool now);
  /// Waits until everything queued is stored; rethrows the first failure.
  void flush();

 private:
  struct Batch {
    std::vector<TaskWrites> writes;
    std::optional<CheckpointPut> put;
    const Unsaved* unsaved = nullptr;  // put's `unsaved`: only in a batch stored before put returns
  };
  /// The queue, shared with the drain job posted to the executor (which may start after the
  /// writer is gone; it then finds the queue empty).
  struct Queue {
    BaseCheckpointSaver* saver = nullptr;
    const ThreadLock* lock = nullptr;
    std::mutex mutex;
    std::condition_variable idle;  // draining or committing became false
    std::vector<Batch> jobs;  // first in, first out (a vector allocates nothing until used)
    std::vector<TaskWrites> now;    // writes to store at once (sync group commit)
    std::vector<TaskWrites> later;  // writes that wait for the next put or flush
    std::optional<Executor::DelayedJob> timer;  // a drain is due (post_after) and has not started
    bool draining = false;    // a thread is running jobs
    bool committing = false;  // a thread is storing `now`
    std::exception_ptr error;
  };
  /// Stores every queued job (`lock` held; released while storing), unless another thread does.
  static void drain(Queue& q, std::unique_lock<std::mutex>& lock);
  static void store(Queue& q, Batch& b);
  /// Stores `group` in one put_batches; should that fail (nothing stored), batch by batch as
  /// store() does, so that a failure keeps what it kept before.
  static void store_group(Queue& q, std::vector<Batch>& group);
  /// store() or store_group() with `lock` released; a failure is kept in q.error. What was
  /// stored is freed before the lock is taken again.
  static void store_unlocked(Queue& q, Batch b, std::unique_lock<std::mutex>& lock);
  static void store_unlocked(Queue& q, std::vector<Batch> group, std::unique_lock<std::mutex>& lock);
  template <class Store, class Release>
  static void unlocked(Queue& q, std::unique_lock<std::mutex>& lock, Store&& store, Release&& release);
  void wait_stored(std::unique_lock<std::mutex>& lock);
  std::vector<TaskWrites> take_queued();

  bool background_;
  Executor& executor_;
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
};

}  // namespace sg::detail

#include "checkpoint_writer.hpp"

#include "stategraph/checkpoint/error.hpp"

namespace sg::detail {

CheckpointWriter::CheckpointWriter(BaseCheckpointSaver& saver, bool background, Executor& executor)
    : background_(background), executor_(executor) {
  queue_->saver = &saver;
}

CheckpointWriter::~CheckpointWriter() {
  std::unique_lock lock(queue_->mutex);
  // (A drain already posted finds the queue gone or empty: it holds it weakly.)
  queue_->idle.wait(lock, [&] { return !queue_->committing; });
  if (auto w = take_queued(); !w.empty() && !queue_->error) queue_->jobs.push_back({std::move(w), std::nullopt});
  wait_stored(lock);
}

void require_held(const ThreadLock* lock) {
  if (lock != nullptr && !lock->is_held())
    throw SaverError(ErrorId::saver_lock_lost,
                     "the run lost its thread lock (its session with the store ended, e.g. a Postgres restart); "
                     "it stops writing so that it cannot fork the thread another run may now hold");
}

std::vector<TaskWrites> CheckpointWriter::take_queued() {
  std::vector<TaskWrites> out = std::move(queue_->now);
  queue_->now.clear();
  if (out.empty()) {
    out = std::move(queue_->later);
  } else {
    for (auto& w : queue_->later) out.push_back(std::move(w));
  }
  queue_->later.clear();
  return out;
}

void CheckpointWriter::put(CheckpointPut put, std::vector<TaskWrites> with, const Unsaved& unsaved) {
  std::unique_lock lock(queue_->mutex);
  Queue& q = *queue_;
  q.idle.wait(lock, [&] { return !q.committing; });  // a group commit of this step's writes
  if (q.error) {
    if (background_) return;  // the chain is broken; flush() reports it
    std::rethrow_exception(q.error);
  }
  Batch b{take_queued(), std::move(put)};
  for (auto& w : with) b.writes.push_back(std::move(w));
  // Writes the put would not delete are made now (a put that keeps its parent's writes).
  const auto& parent = b.put->config.checkpoint_id;
  const bool deletes_them = b.put->checkpoint.parent_writes_applied && parent && !parent->empty();
  if (!background_) {
    // Now, on this thread: after the jobs still queued, in order. wait_stored() runs them here
    // (nothing is queued for later in this mode), so `unsaved` is called, if at all, before put
    // returns.
    if (unsaved && deletes_them) {
      b.unsaved = &unsaved;
    } else if (unsaved) {
      for (auto& w : unsaved()) b.writes.push_back(std::move(w));
    }
    if (q.jobs.empty() && !q.draining) {
      // Nothing is queued ahead of it: stored here, as drain would.
      q.draining = true;
      store_unlocked(q, std::move(b), lock);
      q.draining = false;
      q.idle.notify_all();
    } else {
      q.jobs.push_back(std::move(b));
      wait_stored(lock);
    }
    if (q.error) std::rethrow_exception(q.error);
    return;
  }
  // Queued: its step's writes are made now (the StepRunner moves on).
  if (unsaved)
    for (auto& w : unsaved()) b.writes.push_back(std::move(w));
  q.jobs.push_back(std::move(b));
  if (q.draining || q.timer) return;  // that drain stores this job too
  try {
    q.timer = executor_.post_after(kAsyncDelay, [weak = std::weak_ptr<Queue>(queue_)] {
      const auto qp = weak.lock();
      if (!qp) return;  // the writer is gone, and stored everything first
      std::unique_lock held(qp->mutex);
      qp->timer.reset();
      drain(*qp, held);
    });
  } catch (...) {
    // No thread to wait with: the job stays queued for the next flush (at the latest, the run's end).
  }
}

void CheckpointWriter::put_writes(TaskWrites writes, bool now) {
  if (writes.writes.empty()) return;
  std::unique_lock lock(queue_->mutex);
  Queue& q = *queue_;
  if (q.error) return;  // reported by the next put or flush()
  if (!now || background_) {
    q.later.push_back(std::move(writes));
    return;
  }
  q.now.push_back(std::move(writes));
  if (q.committing) return;  // the thread committing takes these in its next round
  q.committing = true;
  while (!q.now.empty() && !q.error) {
    Batch b{std::move(q.now), std::nullopt};
    q.now.clear();
    store_unlocked(q, std::move(b), lock);
  }
  q.committing = false;
  q.idle.notify_all();
}

void CheckpointWriter::store(Queue& q, Batch& b) {
  require_held(q.lock);
  try {
    if (b.put) {
      q.saver->put_batch(b.writes, std::move(*b.put));  // not read again: the saver may keep its values
    } else {
      q.saver->put_batch(b.writes, nullptr);
    }
  } catch (...) {
    // The checkpoint failed: its step's task writes, which it would have applied, are still
    // worth keeping as pending writes (a resumed run then does not run those tasks again).
    if (b.unsaved != nullptr)
      for (auto& w : (*b.unsaved)()) b.writes.push_back(std::move(w));
    if (b.put && !b.writes.empty()) {
      try {
        require_held(q.lock);
        q.saver->put_batch(b.writes, nullptr);
      } catch (...) {
        // The first failure is the one reported.
      }
    }
    throw;
  }
}

void CheckpointWriter::store_group(Queue& q, std::vector<Batch>& group) {
  if (group.size() == 1) {
    store(q, group.front());
    return;
  }
  require_held(q.lock);
  std::vector<PutBatch> batches;
  batches.reserve(group.size());
  for (auto& b : group) batches.push_back({std::move(b.writes), std::move(b.put)});
  try {
    q.saver->put_batches(batches);
    return;
  } catch (...) {
    // Nothing of it is stored (SQLite, Postgres): one batch at a time, as before there were
    // groups, so that a failure keeps what it kept then (the batches before it, its writes).
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    group[i].writes = std::move(batches[i].writes);
    group[i].put = std::move(batches[i].put);
  }
  for (auto& b : group) store(q, b);
}

template <class Store, class Release>
void CheckpointWriter::unlocked(Queue& q, std::unique_lock<std::mutex>& lock, Store&& store, Release&& release) {
  lock.unlock();
  std::exception_ptr error;
  try {
    store();
  } catch (...) {
    error = std::current_exception();
  }
  release();  // freed outside the lock
  lock.lock();
  if (error) q.error = error;
}

void CheckpointWriter::store_unlocked(Queue& q, Batch b, std::unique_lock<std::mutex>& lock) {
  unlocked(q, lock, [&] { store(q, b); }, [&] { b = Batch{}; });
}

void CheckpointWriter::store_unlocked(Queue& q, std::vector<Batch> group, std::unique_lock<std::mutex>& lock) {
  unlocked(q, lock, [&] { store_group(q, group); }, [&] { group.clear(); });
}

void CheckpointWriter::drain(Queue& q, std::unique_lock<std::mutex>& lock) {
  if (q.draining) return;  // another thread runs the jobs, in order
  q.draining = true;
  while (!q.jobs.empty() && !q.error) {
    std::vector<Batch> group = std::move(q.jobs);
    q.jobs.clear();
    store_unlocked(q, std::move(group), lock);
  }
  q.jobs.clear();  // empty, or abandoned after a failure
  q.draining = false;
  q.idle.notify_all();
}

void CheckpointWriter::wait_stored(std::unique_lock<std::mutex>& lock) {
  // Stored here and now: the timed drain is not needed (if it was posted already, it finds
  // nothing to do, and clears `timer` itself).
  if (queue_->timer && executor_.cancel(*queue_->timer)) queue_->timer.reset();
  while (queue_->draining || (!queue_->jobs.empty() && !queue_->error)) {
    if (queue_->draining)
      queue_->idle.wait(lock);
    else
      drain(*queue_, lock);  // the drain job has not started: do its work here
  }
}

void CheckpointWriter::flush() {
  std::unique_lock lock(queue_->mutex);
  queue_->idle.wait(lock, [&] { return !queue_->committing; });
  if (auto w = take_queued(); !w.empty() && !queue_->error) queue_->jobs.push_back({std::move(w), std::nullopt});
  wait_stored(lock);
  if (queue_->error) std::rethrow_exception(queue_->error);
}

}  // namespace sg::detail

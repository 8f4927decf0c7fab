#include "checkpoint_writer.hpp"

#include "stategraph/checkpoint/error.hpp"

namespace sg::detail {

CheckpointWriter::~CheckpointWriter() {
  std::unique_lock lock(queue_->mutex);
  wait_stored(lock);
}

void CheckpointWriter::put(CheckpointConfig config, Checkpoint checkpoint, CheckpointMetadata metadata,
                           ChannelVersions new_versions) {
  if (!background_) {
    check_lock();
    saver_.put(config, checkpoint, metadata, new_versions);
    return;
  }
  submit([this, config = std::move(config), cp = std::move(checkpoint), md = std::move(metadata),
          nv = std::move(new_versions)] {
    check_lock();
    saver_.put(config, cp, md, nv);
  });
}

void CheckpointWriter::put_writes(CheckpointConfig config, std::vector<PendingWrite> writes, std::string task_id) {
  if (!background_) {
    check_lock();
    saver_.put_writes(config, writes, task_id);
    return;
  }
  submit([this, config = std::move(config), w = std::move(writes), id = std::move(task_id)] {
    check_lock();
    saver_.put_writes(config, w, id);
  });
}

void require_held(const ThreadLock* lock) {
  if (lock != nullptr && !lock->is_held())
    throw SaverError(ErrorId::saver_lock_lost,
                     "the run lost its thread lock (its session with the store ended, e.g. a Postgres restart); "
                     "it stops writing so that it cannot fork the thread another run may now hold");
}

void CheckpointWriter::submit(std::function<void()> job) {
  std::lock_guard lock(queue_->mutex);
  if (queue_->error) return;  // the chain is broken; flush() reports it
  queue_->jobs.push_back(std::move(job));
  if (queue_->draining || queue_->posted) return;  // that drain runs this job too
  try {
    executor_.post([q = queue_] {
      std::unique_lock held(q->mutex);
      q->posted = false;
      drain(*q, held);
    });
    queue_->posted = true;
  } catch (...) {
    // No worker: the job stays queued for the next submit or flush().
  }
}

void CheckpointWriter::drain(Queue& q, std::unique_lock<std::mutex>& lock) {
  if (q.draining) return;  // another thread runs the jobs, in order
  q.draining = true;
  while (!q.jobs.empty() && !q.error) {
    std::function<void()> job = std::move(q.jobs.front());
    q.jobs.pop_front();
    lock.unlock();
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    job = nullptr;
    lock.lock();
    if (error) q.error = error;
  }
  q.jobs.clear();  // empty, or abandoned after a failure
  q.draining = false;
  q.idle.notify_all();
}

void CheckpointWriter::wait_stored(std::unique_lock<std::mutex>& lock) {
  while (queue_->draining || (!queue_->jobs.empty() && !queue_->error)) {
    if (queue_->draining)
      queue_->idle.wait(lock);
    else
      drain(*queue_, lock);  // the drain job has not started: do its work here
  }
}

void CheckpointWriter::flush() {
  std::unique_lock lock(queue_->mutex);
  wait_stored(lock);
  if (queue_->error) std::rethrow_exception(queue_->error);
}

}  // namespace sg::detail

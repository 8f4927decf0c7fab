#include "checkpoint_writer.hpp"

#include <boost/asio/post.hpp>

namespace sg::detail {

CheckpointWriter::~CheckpointWriter() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return !draining_; });
}

void CheckpointWriter::put(CheckpointConfig config, Checkpoint checkpoint, CheckpointMetadata metadata,
                           ChannelVersions new_versions) {
  if (!background_) {
    saver_.put(config, checkpoint, metadata, new_versions);
    return;
  }
  submit([this, config = std::move(config), cp = std::move(checkpoint), md = std::move(metadata),
          nv = std::move(new_versions)] { saver_.put(config, cp, md, nv); });
}

void CheckpointWriter::put_writes(CheckpointConfig config, std::vector<PendingWrite> writes, std::string task_id) {
  if (!background_) {
    saver_.put_writes(config, writes, task_id);
    return;
  }
  submit([this, config = std::move(config), w = std::move(writes), id = std::move(task_id)] {
    saver_.put_writes(config, w, id);
  });
}

void CheckpointWriter::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (error_) return;  // the chain is broken; flush() reports it
  queue_.push_back(std::move(job));
  if (!draining_) {
    draining_ = true;
    boost::asio::post(pool_, [this] { drain(); });
  }
}

void CheckpointWriter::drain() {
  for (;;) {
    std::function<void()> job;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty() || error_) {
        queue_.clear();
        draining_ = false;
        idle_.notify_all();
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
    }
  }
}

void CheckpointWriter::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return !draining_; });
  if (error_) std::rethrow_exception(error_);
}

}  // namespace sg::detail

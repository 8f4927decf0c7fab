#pragma once
// CheckpointWriter: sends a run's checkpoints and pending writes to the saver, now (sync) or on a
// background queue that keeps their order (async). LangGraph: pregel/_loop.py _put_checkpoint,
// put_writes and the durability modes (semantics reference §3.8).

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "stategraph/checkpoint/saver.hpp"

namespace sg::detail {

class CheckpointWriter {
 public:
  CheckpointWriter(BaseCheckpointSaver& saver, bool background, boost::asio::thread_pool& pool)
      : saver_(saver), background_(background), pool_(pool) {}
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  void put(CheckpointConfig config, Checkpoint checkpoint, CheckpointMetadata metadata,
           ChannelVersions new_versions);
  void put_writes(CheckpointConfig config, std::vector<PendingWrite> writes, std::string task_id);
  /// Waits until everything queued is stored; rethrows the first failure.
  void flush();

 private:
  void submit(std::function<void()> job);
  void drain();

  BaseCheckpointSaver& saver_;
  bool background_;
  boost::asio::thread_pool& pool_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  bool draining_ = false;
  std::exception_ptr error_;
};

}  // namespace sg::detail
